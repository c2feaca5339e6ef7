// cursor.h — keyset-pagination cursors for every list (`cursor=` in, `next_cursor` out): one
// strict parser and one encoding, so a malformed cursor is the same 400 on every route and
// never a 500 or a silent first page.
//
// Two shapes, both opaque to clients (they pass `next_cursor` back unchanged):
// - an id cursor, for lists ordered by id alone: the last row's id in decimal ("42");
// - a key cursor, for lists ordered by (key, id): the JSON array [key, id] of the last row
//   (["2026-11-26T09:00:00Z",42]); a time key must be a time parse_time() reads.
// Invariants: ids are positive int64s written without sign, spaces, leading zeros or trailing
// text; anything else (12abc, -1, 0, 99999999999999999999, NUL, "") is refused with
// invalid("cursor", …).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace dangan::cursor {

// The id in an id cursor; nullopt when there is no cursor (first page).
Result<std::optional<std::int64_t>> parse_id(const std::optional<std::string>& cursor);
std::string encode_id(std::int64_t id);

// The last row's sort key and id.
struct Key {
  std::string value;
  std::int64_t id = 0;
};
// A key cursor whose key is any string (a name, a date).
Result<std::optional<Key>> parse_key(const std::optional<std::string>& cursor);
// A key cursor whose key must be a time (or a date) as parse_time() reads it.
Result<std::optional<Key>> parse_time_key(const std::optional<std::string>& cursor);
std::string encode_key(std::string_view value, std::int64_t id);

// The error every parser answers, for callers that refuse a cursor for their own reasons.
Error malformed();

}  // namespace dangan::cursor
