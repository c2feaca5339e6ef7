// keyset.h — the SQL side of keyset paging: the condition that resumes a list after the row a
// cursor (core/cursor.h) names, so every (key, id) list compares the same way on both backends.
// Invariant: the list is ORDER BY key, id (both ascending, or both DESC) and the id breaks
// ties, so pages join without gaps or repeats.
#pragma once
#include <string>
#include <string_view>

#include "core/cursor.h"
#include "store/db.h"

namespace dangan::store {

// " AND (key > ? OR (key = ? AND id > ?))" (`<` when descending) with its three parameters
// appended to `p`.
inline std::string after_key(std::string_view key_col, std::string_view id_col,
                             const cursor::Key& k, bool desc, Params& p) {
  std::string op = desc ? " < ?" : " > ?";
  p.emplace_back(k.value);
  p.emplace_back(k.value);
  p.emplace_back(k.id);
  return " AND (" + std::string(key_col) + op + " OR (" + std::string(key_col) + " = ? AND " +
         std::string(id_col) + op + "))";
}

// " AND id > ?" (`<` when descending) with its parameter appended to `p`.
inline std::string after_id(std::string_view id_col, std::int64_t id, bool desc, Params& p) {
  p.emplace_back(id);
  return " AND " + std::string(id_col) + (desc ? " < ?" : " > ?");
}

}  // namespace dangan::store
