// mapping.h — which column of an imported table feeds which record field, and turning a
// row's cells into the body catalogue::Service::create_record_in takes.
//
// A mapping names, per source column header, a record field or "" (ignored), plus
// default values for fields whose cell is empty. The default mapping understands the
// English field names and the headers Chinese archives use (题名 → title, 档号 →
// reference_code, 年度 → year, 保管期限 → retention, 密级 → access_level, …; the table is
// in docs/import-export.md); a user's mapping is applied over it.
//
// Conversion never stops at the first problem: every cell that cannot become its field
// adds a RowError (row, column, message), and the row is imported only without errors.
// What is checked here is what a cell alone can tell (a year is a year, a level is one of
// the three); what needs the catalogue (does fonds QZ09 exist, is the code taken) is
// checked by the catalogue when the record is created, and reported the same way.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "transfer/tables.h"

namespace dangan::transfer {

// The record fields a column can feed, and the pseudo-field "date" (one date: sets
// date_from, date_to and, when no column gives it, year).
const std::vector<std::string>& record_fields();

struct Mapping {
  std::map<std::string, std::string> columns;      // header → field ("" = ignore)
  std::map<std::string, nlohmann::json> defaults;  // field → value for empty cells
  // {"columns": {...}, "defaults": {...}}, or a flat {"header": "field"} object.
  static Result<Mapping> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

// The field a header means by the default mapping; "" when it means none. Headers are
// compared case-insensitively, full-width folded, with spaces, '_' and '-' ignored.
std::string default_field(std::string_view header);

struct RowError {
  std::int64_t row = 0;  // 0: about the file, not one row
  std::string column;    // the source header ("" when about the whole row)
  std::string message;
  nlohmann::json to_json() const;
  // "row 12, column 年度: must be a year between 1000 and 9999"
  std::string to_string() const;
};

// Names the catalogue knows, so a cell may give a name where a code is expected
// (保管期限 "永久" → its code, 类别 "文书" → "WS").
struct Lookups {
  std::map<std::string, std::string> retention_by_name, category_by_name, fonds_by_name;
};

// Which column feeds which field, for one table's header.
class Plan {
 public:
  // Fails with `invalid` when the mapping names an unknown field or a header the table
  // lacks, when two columns feed one field, or when nothing feeds the title.
  static Result<Plan> make(const std::vector<std::string>& columns, const Mapping& mapping);

  // The record body for a row; appends to `errors` (and returns nullopt) when a cell is
  // wrong. `columns` may have grown since make() (JSON): new columns are mapped too.
  std::optional<nlohmann::json> to_record(const Row& row, const std::vector<std::string>& columns,
                                          const Lookups& lookups, std::vector<RowError>& errors);

  // The column a record field came from (for errors the catalogue reports by field).
  std::string column_of(const std::string& field) const;
  // Headers that feed nothing.
  const std::vector<std::string>& ignored() const { return ignored_; }
  nlohmann::json to_json() const;  // {"题名": "title", …} as applied

 private:
  Status map_column(std::size_t index, const std::string& header);
  Mapping mapping_;
  std::vector<std::string> field_of_;  // by column index; "" = ignored
  std::map<std::string, std::string> column_of_;
  std::vector<std::string> ignored_;
  std::size_t known_columns_ = 0;
};

}  // namespace dangan::transfer
