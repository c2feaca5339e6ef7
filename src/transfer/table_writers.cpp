// Table writers: CSV, JSON, NDJSON as text streams; XLSX through libxlsxwriter.
#include <xlsxwriter.h>

#include <fstream>
#include <iostream>

#include "text/text.h"
#include "transfer/tables.h"

namespace dangan::transfer {

namespace {

// An owned file, or a stream someone else owns.
class Output {
 public:
  static Result<Output> to_path(const std::string& path) {
    Output o;
    if (path == "-") {
      o.out_ = &std::cout;
      return o;
    }
    o.file_ = std::make_unique<std::ofstream>();
    o.file_->open(path, std::ios::binary | std::ios::trunc);
    if (!*o.file_) return fail(ErrorCode::invalid, "cannot write " + path, "file");
    o.out_ = o.file_.get();
    o.path_ = path;
    return o;
  }
  static Output to_stream(std::ostream& out) {
    Output o;
    o.out_ = &out;
    return o;
  }
  std::ostream& operator*() { return *out_; }
  Status close() {
    out_->flush();
    if (file_) file_->close();
    if (!*out_ || (file_ && file_->fail()))
      return fail(ErrorCode::internal,
                  "writing " + (path_.empty() ? std::string("the output") : path_) + " failed");
    return {};
  }

 private:
  std::unique_ptr<std::ofstream> file_;
  std::ostream* out_ = nullptr;
  std::string path_;
};

class CsvWriter : public TableWriter {
 public:
  explicit CsvWriter(Output out) : out_(std::move(out)) {}
  Status begin(const std::vector<Column>& columns) override {
    columns_ = columns;
    *out_ << "\xEF\xBB\xBF";
    std::string line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i) line += ',';
      append_field(line, columns[i].name, false);
    }
    line += "\r\n";
    *out_ << line;
    return {};
  }
  Status write(const std::vector<Cell>& cells) override {
    line_.clear();
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i) line_ += ',';
      if (i >= cells.size() || cells[i].is_null()) continue;
      append_field(line_, cell_text(cells[i]), cells[i].is_string() || cells[i].is_array());
    }
    line_ += "\r\n";
    *out_ << line_;
    if (!*out_) return fail(ErrorCode::internal, "writing the CSV output failed");
    return {};
  }
  Status finish() override { return out_.close(); }

 private:
  static void append_field(std::string& line, const std::string& v, bool text) {
    bool guard = text && !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@');
    bool quote = guard || v.find_first_of(",\"\r\n") != std::string::npos ||
                 (!v.empty() && (v.front() == ' ' || v.back() == ' '));
    if (!quote) {
      line += v;
      return;
    }
    line += '"';
    if (guard) line += '\'';
    for (char c : v) {
      if (c == '"') line += '"';
      line += c;
    }
    line += '"';
  }

  Output out_;
  std::vector<Column> columns_;
  std::string line_;
};

nlohmann::ordered_json ordered(const Cell& c) {
  switch (c.type()) {
    case nlohmann::json::value_t::null:
      return nullptr;
    case nlohmann::json::value_t::string:
      return c.get_ref<const std::string&>();
    case nlohmann::json::value_t::boolean:
      return c.get<bool>();
    case nlohmann::json::value_t::number_integer:
      return c.get<std::int64_t>();
    case nlohmann::json::value_t::number_unsigned:
      return c.get<std::uint64_t>();
    case nlohmann::json::value_t::number_float:
      return c.get<double>();
    case nlohmann::json::value_t::array: {
      auto a = nlohmann::ordered_json::array();
      for (auto& e : c) a.push_back(ordered(e));
      return a;
    }
    case nlohmann::json::value_t::object: {
      auto o = nlohmann::ordered_json::object();
      for (auto& [k, v] : c.items()) o[k] = ordered(v);
      return o;
    }
    default:
      return nullptr;
  }
}

class JsonWriter : public TableWriter {
 public:
  JsonWriter(Output out, bool ndjson) : out_(std::move(out)), ndjson_(ndjson) {}
  Status begin(const std::vector<Column>& columns) override {
    columns_ = columns;
    if (!ndjson_) *out_ << "[";
    return {};
  }
  Status write(const std::vector<Cell>& cells) override {
    // Keys in column order.
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const Cell& c = i < cells.size() ? cells[i] : nullptr_cell();
      auto& slot = obj[columns_[i].name];
      if (columns_[i].kind == CellKind::list && c.is_string())
        slot = nlohmann::ordered_json::array({c.get<std::string>()});
      else
        slot = ordered(c);
    }
    std::string text = obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (ndjson_) {
      *out_ << text << '\n';
    } else {
      *out_ << (first_ ? "\n" : ",\n") << text;
    }
    first_ = false;
    if (!*out_) return fail(ErrorCode::internal, "writing the JSON output failed");
    return {};
  }
  Status finish() override {
    if (!ndjson_) *out_ << (first_ ? "]\n" : "\n]\n");
    return out_.close();
  }

 private:
  static const Cell& nullptr_cell() {
    static const Cell kNull;
    return kNull;
  }
  Output out_;
  bool ndjson_;
  bool first_ = true;
  std::vector<Column> columns_;
};

constexpr std::size_t kExcelMaxRows = 1048576;
constexpr std::size_t kExcelMaxText = 32767;

class XlsxWriter : public TableWriter {
 public:
  XlsxWriter(std::string path, WriteOptions options)
      : path_(std::move(path)), options_(std::move(options)) {}
  ~XlsxWriter() override {
    // Never finished (an error on the way): close to free the library's memory; the
    // half-written file is removed.
    if (workbook_) {
      workbook_close(workbook_);
      std::remove(path_.c_str());
    }
  }

  Status begin(const std::vector<Column>& columns) override {
    columns_ = columns;
    lxw_workbook_options o{};
    o.constant_memory = options_.constant_memory ? LXW_TRUE : LXW_FALSE;
    o.tmpdir = options_.tmpdir.empty() ? nullptr : options_.tmpdir.data();
    o.use_zip64 = LXW_TRUE;
    workbook_ = workbook_new_opt(path_.c_str(), &o);
    if (!workbook_) return fail(ErrorCode::invalid, "cannot write " + path_, "file");
    sheet_ = workbook_add_worksheet(workbook_, options_.sheet_name.c_str());
    bold_ = workbook_add_format(workbook_);
    format_set_bold(bold_);
    date_ = workbook_add_format(workbook_);
    format_set_num_format(date_, "yyyy-mm-dd");
    for (std::size_t i = 0; i < columns.size(); ++i) {
      double width = 14;
      if (columns[i].name == "title") width = 40;
      if (columns[i].name == "description") width = 60;
      worksheet_set_column(sheet_, static_cast<lxw_col_t>(i), static_cast<lxw_col_t>(i), width,
                           nullptr);
      TRY_STATUS(check(worksheet_write_string(sheet_, 0, static_cast<lxw_col_t>(i),
                                              columns[i].name.c_str(), bold_),
                       i));
    }
    worksheet_freeze_panes(sheet_, 1, 0);
    row_ = 1;
    return {};
  }

  Status write(const std::vector<Cell>& cells) override {
    if (row_ >= kExcelMaxRows)
      return invalid("format",
                     "an XLSX sheet holds at most 1,048,575 rows: narrow the export "
                     "with filters or use CSV");
    auto r = static_cast<lxw_row_t>(row_);
    for (std::size_t i = 0; i < columns_.size() && i < cells.size(); ++i) {
      const Cell& c = cells[i];
      auto col = static_cast<lxw_col_t>(i);
      if (c.is_null()) continue;
      lxw_error e = LXW_NO_ERROR;
      if (c.is_boolean()) {
        e = worksheet_write_boolean(sheet_, r, col, c.get<bool>(), nullptr);
      } else if (c.is_number()) {
        e = worksheet_write_number(sheet_, r, col, c.get<double>(), nullptr);
      } else {
        std::string text = cell_text(c);
        if (columns_[i].kind == CellKind::date)
          if (auto serial = iso_to_excel_serial(text)) {
            TRY_STATUS(check(
                worksheet_write_number(sheet_, r, col, static_cast<double>(*serial), date_), i));
            continue;
          }
        if (text.size() > kExcelMaxText &&
            text::utf8_length(text) > static_cast<long>(kExcelMaxText))
          return invalid(columns_[i].name,
                         "row " + std::to_string(row_ + 1) + ", column " + columns_[i].name +
                             ": longer than Excel's 32,767 characters; export as CSV or JSON");
        e = worksheet_write_string(sheet_, r, col, text.c_str(), nullptr);
      }
      TRY_STATUS(check(e, i));
    }
    ++row_;
    return {};
  }

  Status finish() override {
    lxw_error e = workbook_close(workbook_);
    workbook_ = nullptr;
    if (e != LXW_NO_ERROR) {
      std::remove(path_.c_str());
      return fail(ErrorCode::internal,
                  std::string("writing the XLSX file failed: ") + lxw_strerror(e));
    }
    return {};
  }

 private:
  Status check(lxw_error e, std::size_t col) const {
    if (e == LXW_NO_ERROR) return {};
    return fail(ErrorCode::internal, "XLSX: row " + std::to_string(row_ + 1) + ", column " +
                                         (col < columns_.size() ? columns_[col].name : "?") + ": " +
                                         lxw_strerror(e));
  }

  std::string path_;
  WriteOptions options_;
  std::vector<Column> columns_;
  lxw_workbook* workbook_ = nullptr;
  lxw_worksheet* sheet_ = nullptr;
  lxw_format* bold_ = nullptr;
  lxw_format* date_ = nullptr;
  std::size_t row_ = 0;
};

}  // namespace

Result<std::unique_ptr<TableWriter>> open_writer(Format format, const std::string& path,
                                                 const WriteOptions& options) {
  switch (format) {
    case Format::csv:
      return std::make_unique<CsvWriter>(TRY(Output::to_path(path)));
    case Format::json:
      return std::make_unique<JsonWriter>(TRY(Output::to_path(path)), false);
    case Format::ndjson:
      return std::make_unique<JsonWriter>(TRY(Output::to_path(path)), true);
    case Format::xlsx:
      if (path == "-") return invalid("file", "XLSX cannot go to standard output: name a file");
      return std::make_unique<XlsxWriter>(path, options);
    case Format::dublin_core:
      break;
  }
  return invalid("format", "Dublin Core is written by the record export (export.h)");
}

Result<std::unique_ptr<TableWriter>> open_writer(Format format, std::ostream& out) {
  switch (format) {
    case Format::csv:
      return std::make_unique<CsvWriter>(Output::to_stream(out));
    case Format::json:
      return std::make_unique<JsonWriter>(Output::to_stream(out), false);
    case Format::ndjson:
      return std::make_unique<JsonWriter>(Output::to_stream(out), true);
    default:
      break;
  }
  return invalid("format", "only CSV, JSON and NDJSON can be written to a stream");
}

}  // namespace dangan::transfer
