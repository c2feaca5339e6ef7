// tables.h — reading and writing tables of cells in the formats archives exchange
// catalogues in: CSV, XLSX, JSON (an array of objects) and NDJSON (one object a line).
//
// Readers stream: a CSV or NDJSON file is read in chunks and a row is handed out at a
// time, an XLSX sheet is decompressed in chunks and parsed a <row> at a time, a JSON
// array an object at a time; memory stays flat whatever the number of rows (XLSX shared
// strings are the exception: a workbook's string table is held while its sheet is read).
//
// What a reader guarantees:
//  - every cell is null (empty), a string (valid UTF-8), an integer, a double or a
//    boolean; a JSON source may also give arrays and objects;
//  - CSV follows RFC 4180 (quoted fields, doubled quotes, newlines inside quotes, CRLF or
//    LF), is UTF-8 with or without a BOM, UTF-16 with a BOM, or GB18030/GBK as Chinese
//    Excel saves it (detected when the start of the file is not valid UTF-8), and its
//    delimiter is ',' unless the header line shows ';' or a tab instead;
//  - XLSX cells in a date format come out as ISO dates ("2023-04-05", with "T10:30:00"
//    when the serial has a time), numbers as integers when they are whole;
//  - rows whose cells are all empty are skipped (they still count in row numbers);
//  - Row::number is what a person finds the row by: the spreadsheet row for CSV and XLSX
//    (the header is row 1), the object's position for a JSON array (first is 1), the line
//    for NDJSON.
// Malformed input is an `invalid` error whose message says where ("row 12: …").
//
// Writers stream too (XLSX through libxlsxwriter's constant_memory mode). CSV is written
// UTF-8 with a BOM and CRLF, so Excel opens Chinese text correctly; a text cell starting
// with = + - @ is written with a leading apostrophe so a spreadsheet never runs it as a
// formula, and the CSV reader removes that apostrophe again (round trip).
#pragma once
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace dangan::transfer {

enum class Format { csv, xlsx, json, ndjson, dublin_core };
std::string_view to_string(Format f);  // "csv", "xlsx", "json", "ndjson", "dc"
// Accepts the names above (and "dublin_core"); `invalid` (field "format") otherwise.
Result<Format> parse_format(std::string_view name);
// By the file name's extension (.csv .txt .xlsx .json .ndjson .jsonl .xml).
std::optional<Format> format_from_path(std::string_view path);
std::string_view content_type(Format f);
std::string_view extension(Format f);  // without the dot

using Cell = nlohmann::json;

struct Row {
  std::int64_t number = 0;
  std::vector<Cell> cells;  // aligned with TableReader::columns(); may be shorter
};

struct ReadOptions {
  std::string encoding = "auto";  // CSV: auto, utf-8, gb18030 (also "gbk"), utf-16le, utf-16be
  char delimiter = 0;             // CSV: 0 = from the header line
  std::string sheet;              // XLSX: the sheet's name; empty = the first sheet
};

// Where the bytes come from: a file, or bytes already in memory (an upload).
struct Input {
  std::string path;
  std::shared_ptr<const std::string> bytes;
  static Input file(std::string p) { return {std::move(p), nullptr}; }
  static Input memory(std::shared_ptr<const std::string> b) { return {{}, std::move(b)}; }
  std::string name() const { return bytes ? std::string("upload") : path; }
};

class TableReader {
 public:
  virtual ~TableReader() = default;
  // Column names: the header row (CSV, XLSX) or the keys seen so far (JSON, which adds
  // a key the first time an object has it).
  const std::vector<std::string>& columns() const { return columns_; }
  // The next row that has a non-empty cell; false at the end.
  virtual Result<bool> next(Row& row) = 0;
  // How far through the input, 0..1.
  virtual double progress() const = 0;
  // The number of data rows when the file says so without reading it (XLSX dimension).
  virtual std::optional<std::int64_t> row_count_hint() const { return std::nullopt; }
  // What the text was decoded from ("utf-8", "gb18030", …).
  const std::string& encoding() const { return encoding_; }

 protected:
  std::vector<std::string> columns_;
  std::string encoding_ = "utf-8";
};

Result<std::unique_ptr<TableReader>> open_reader(Format format, const Input& input,
                                                 const ReadOptions& options = {});
// The data rows of the input (row_count_hint, or one pass through a second reader).
Result<std::int64_t> count_rows(Format format, const Input& input, const ReadOptions& options);

enum class CellKind { text, integer, number, boolean, date, list };
struct Column {
  std::string name;
  CellKind kind = CellKind::text;
};

class TableWriter {
 public:
  virtual ~TableWriter() = default;
  virtual Status begin(const std::vector<Column>& columns) = 0;
  // Cells by column position: null, string, number, boolean or (list) an array of
  // strings, joined with "; " where the format has no lists.
  virtual Status write(const std::vector<Cell>& cells) = 0;
  // Flushes and closes the output; nothing is complete before it returns success.
  virtual Status finish() = 0;
};

struct WriteOptions {
  std::string sheet_name = "records";  // XLSX
  bool constant_memory = true;         // XLSX: rows go to a temporary file as written
  std::string tmpdir;                  // XLSX temporary files ("" = the system's)
};

// Writes to `path`; "-" means standard output (not for XLSX). Dublin Core needs record
// fields, not a table: see export.h.
Result<std::unique_ptr<TableWriter>> open_writer(Format format, const std::string& path,
                                                 const WriteOptions& options = {});
// Text formats only (CSV, JSON, NDJSON) into a stream the caller owns.
Result<std::unique_ptr<TableWriter>> open_writer(Format format, std::ostream& out);

// Shared by the writers and the importer.
// "2023-04-05" or "2023-04-05T10:30:00" from an Excel serial (1900 or 1904 system).
std::string excel_serial_to_iso(double serial, bool date1904 = false);
// Whole days since 1899-12-30 for a valid "YYYY-MM-DD"; nullopt otherwise.
std::optional<std::int64_t> iso_to_excel_serial(std::string_view iso);
// Text of a cell for formats without types ("" for null, "; "-joined lists).
std::string cell_text(const Cell& c);

}  // namespace dangan::transfer
