#include "transfer/tables.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "transfer/tables_internal.h"

namespace dangan::transfer {

std::string_view to_string(Format f) {
  switch (f) {
    case Format::csv:
      return "csv";
    case Format::xlsx:
      return "xlsx";
    case Format::json:
      return "json";
    case Format::ndjson:
      return "ndjson";
    case Format::dublin_core:
      return "dc";
  }
  return "csv";
}

Result<Format> parse_format(std::string_view name) {
  std::string n(name);
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "csv") return Format::csv;
  if (n == "xlsx") return Format::xlsx;
  if (n == "json") return Format::json;
  if (n == "ndjson" || n == "jsonl") return Format::ndjson;
  if (n == "dc" || n == "dublin_core" || n == "xml") return Format::dublin_core;
  return invalid("format", "unknown format '" + n + "': use csv, xlsx, json, ndjson or dc");
}

std::optional<Format> format_from_path(std::string_view path) {
  auto dot = path.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string ext(path.substr(dot + 1));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "csv" || ext == "txt" || ext == "tsv") return Format::csv;
  if (ext == "xlsx") return Format::xlsx;
  if (ext == "json") return Format::json;
  if (ext == "ndjson" || ext == "jsonl") return Format::ndjson;
  if (ext == "xml") return Format::dublin_core;
  return std::nullopt;
}

std::string_view content_type(Format f) {
  switch (f) {
    case Format::csv:
      return "text/csv; charset=utf-8";
    case Format::xlsx:
      return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    case Format::json:
      return "application/json";
    case Format::ndjson:
      return "application/x-ndjson";
    case Format::dublin_core:
      return "application/xml";
  }
  return "application/octet-stream";
}

std::string_view extension(Format f) {
  switch (f) {
    case Format::csv:
      return "csv";
    case Format::xlsx:
      return "xlsx";
    case Format::json:
      return "json";
    case Format::ndjson:
      return "ndjson";
    case Format::dublin_core:
      return "xml";
  }
  return "bin";
}

// ---------------------------------------------------------------- dates

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

const std::int64_t kExcelEpoch = days_from_civil(1899, 12, 30);  // serial 0 (after 1900-03-01)

}  // namespace

std::string excel_serial_to_iso(double serial, bool date1904) {
  double whole = std::floor(serial);
  double frac = serial - whole;
  auto days = static_cast<std::int64_t>(whole);
  std::int64_t epoch_days;
  if (date1904) {
    epoch_days = days_from_civil(1904, 1, 1) + days;
  } else if (days >= 61) {
    epoch_days = kExcelEpoch + days;
  } else if (days == 60) {
    // Excel's 1900-02-29, which never was (kept from Lotus 1-2-3): the day after the 28th.
    epoch_days = days_from_civil(1900, 3, 1);
  } else {
    epoch_days = days_from_civil(1899, 12, 31) + days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(epoch_days, y, m, d);
  char buf[96];
  auto secs = static_cast<long>(std::llround(frac * 86400.0));
  if (secs >= 86400) secs = 86399;
  if (secs == 0)
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  else
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02ld:%02ld:%02ld", static_cast<long long>(y),
                  m, d, secs / 3600, secs / 60 % 60, secs % 60);
  return buf;
}

std::optional<std::int64_t> iso_to_excel_serial(std::string_view iso) {
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return std::nullopt;
  int y = 0, m = 0, d = 0;
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    auto r = std::from_chars(iso.data() + at, iso.data() + at + len, out);
    return r.ec == std::errc() && r.ptr == iso.data() + at + len;
  };
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) return std::nullopt;
  if (m < 1 || m > 12 || d < 1) return std::nullopt;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDays[m - 1] + (m == 2 && leap)) return std::nullopt;
  // Before 1900-03-01 Excel's serials disagree with the calendar; such dates stay text.
  if (y < 1900 || (y == 1900 && m < 3)) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) - kExcelEpoch;
}

std::string cell_text(const Cell& c) {
  if (c.is_null()) return {};
  if (c.is_string()) return c.get<std::string>();
  if (c.is_boolean()) return c.get<bool>() ? "true" : "false";
  if (c.is_number_integer()) return c.dump();
  if (c.is_number_float()) {
    double v = c.get<double>();
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15)
      return std::to_string(static_cast<std::int64_t>(v));
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
  }
  if (c.is_array()) {
    std::string out;
    for (auto& e : c) {
      std::string t = cell_text(e);
      if (t.empty()) continue;
      if (!out.empty()) out += "; ";
      out += t;
    }
    return out;
  }
  return c.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// ---------------------------------------------------------------- sources

namespace detail {

namespace {

class FileSource : public ByteSource {
 public:
  FileSource(std::FILE* f, std::uint64_t size) : f_(f), size_(size) {}
  ~FileSource() override { std::fclose(f_); }
  Result<std::size_t> read(char* buf, std::size_t n) override {
    std::size_t got = std::fread(buf, 1, n, f_);
    if (got == 0 && std::ferror(f_)) return fail(ErrorCode::internal, "reading the file failed");
    consumed_ += got;
    return got;
  }
  std::uint64_t size() const override { return size_; }
  std::uint64_t consumed() const override { return consumed_; }

 private:
  std::FILE* f_;
  std::uint64_t size_;
  std::uint64_t consumed_ = 0;
};

class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {}
  Result<std::size_t> read(char* buf, std::size_t n) override {
    std::size_t left = bytes_->size() - pos_;
    std::size_t k = std::min(n, left);
    std::memcpy(buf, bytes_->data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::uint64_t size() const override { return bytes_->size(); }
  std::uint64_t consumed() const override { return pos_; }

 private:
  std::shared_ptr<const std::string> bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> open_source(const Input& input) {
  if (input.bytes) return std::make_unique<MemorySource>(input.bytes);
  std::FILE* f = std::fopen(input.path.c_str(), "rb");
  if (!f) return fail(ErrorCode::not_found, "cannot open " + input.path, "file");
  std::setvbuf(f, nullptr, _IOFBF, 1 << 16);
  std::uint64_t size = 0;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    long end = std::ftell(f);
    if (end > 0) size = static_cast<std::uint64_t>(end);
    std::fseek(f, 0, SEEK_SET);
  }
  return std::make_unique<FileSource>(f, size);
}

std::string unnamed_column(std::size_t index) { return "column " + std::to_string(index + 1); }

bool all_empty(const std::vector<Cell>& cells) {
  for (auto& c : cells) {
    if (c.is_null()) continue;
    if (c.is_string() &&
        c.get_ref<const std::string&>().find_first_not_of(" \t\r\n") == std::string::npos)
      continue;
    return false;
  }
  return true;
}

}  // namespace detail

Result<std::unique_ptr<TableReader>> open_reader(Format format, const Input& input,
                                                 const ReadOptions& options) {
  switch (format) {
    case Format::csv:
      return detail::open_csv_reader(TRY(detail::open_source(input)), options);
    case Format::json:
      return detail::open_json_reader(TRY(detail::open_source(input)), false);
    case Format::ndjson:
      return detail::open_json_reader(TRY(detail::open_source(input)), true);
    case Format::xlsx:
      return detail::open_xlsx_reader(input, options);
    case Format::dublin_core:
      break;
  }
  return invalid("format",
                 "Dublin Core is an export format only; import csv, xlsx, json or ndjson");
}

Result<std::int64_t> count_rows(Format format, const Input& input, const ReadOptions& options) {
  auto reader = TRY(open_reader(format, input, options));
  if (auto hint = reader->row_count_hint()) return *hint;
  std::int64_t n = 0;
  Row row;
  while (TRY(reader->next(row))) ++n;
  return n;
}

}  // namespace dangan::transfer
