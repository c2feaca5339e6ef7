// XLSX reading with libzip (the container) and pugixml (the XML). The sheet and the
// shared-string table are decompressed a chunk at a time; a small scanner finds each
// <row> (or <si>) element and only that element goes through pugixml, so a sheet of a
// million rows never sits in memory as one document.
#include <zip.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <pugixml.hpp>
#include <set>
#include <unordered_map>

#include "transfer/tables_internal.h"

namespace dangan::transfer::detail {

namespace {

constexpr std::size_t kChunk = 1 << 16;
constexpr std::size_t kMaxElementBytes = 64u << 20;
constexpr std::size_t kMaxSharedStringBytes = 1u << 30;

std::string_view local_name(std::string_view qname) {
  auto colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// An attribute by local name ("r:id" answers "id").
const char* attr(const pugi::xml_node& n, std::string_view name) {
  for (auto a : n.attributes())
    if (local_name(a.name()) == name) return a.value();
  return nullptr;
}

pugi::xml_node child(const pugi::xml_node& n, std::string_view name) {
  for (auto c : n.children())
    if (local_name(c.name()) == name) return c;
  return {};
}

// All text of <t> elements below `n`, leaving out phonetic runs (<rPh>).
void collect_text(const pugi::xml_node& n, std::string& out) {
  for (auto c : n.children()) {
    auto name = local_name(c.name());
    if (name == "rPh" || name == "phoneticPr") continue;
    if (name == "t") {
      out += c.text().get();
      continue;
    }
    if (c.type() == pugi::node_element) collect_text(c, out);
  }
}

class Archive {
 public:
  ~Archive() {
    if (zip_) zip_discard(zip_);
  }

  Status open(const Input& input) {
    if (input.bytes) {
      if (input.bytes->compare(0, 4, "\xD0\xCF\x11\xE0") == 0) return old_xls();
      zip_error_t error;
      zip_error_init(&error);
      zip_source_t* src =
          zip_source_buffer_create(input.bytes->data(), input.bytes->size(), 0, &error);
      if (!src) return not_zip(zip_error_code_zip(&error));
      zip_ = zip_open_from_source(src, ZIP_RDONLY, &error);
      if (!zip_) {
        zip_source_free(src);
        int code = zip_error_code_zip(&error);
        zip_error_fini(&error);
        return not_zip(code);
      }
      zip_error_fini(&error);
      bytes_ = input.bytes;
      return {};
    }
    if (std::FILE* f = std::fopen(input.path.c_str(), "rb")) {
      char magic[4] = {};
      bool ole = std::fread(magic, 1, 4, f) == 4 && std::memcmp(magic, "\xD0\xCF\x11\xE0", 4) == 0;
      std::fclose(f);
      if (ole) return old_xls();
    } else {
      return fail(ErrorCode::not_found, "cannot open " + input.path, "file");
    }
    int err = 0;
    zip_ = zip_open(input.path.c_str(), ZIP_RDONLY, &err);
    if (!zip_) return not_zip(err);
    return {};
  }

  std::optional<zip_int64_t> locate(const std::string& name) const {
    zip_int64_t i = zip_name_locate(zip_, name.c_str(), ZIP_FL_NOCASE);
    if (i < 0) return std::nullopt;
    return i;
  }

  Result<std::string> read_all(const std::string& name) {
    auto i = locate(name);
    if (!i) return invalid("file", "not an XLSX workbook: " + name + " is missing");
    zip_file_t* f = zip_fopen_index(zip_, static_cast<zip_uint64_t>(*i), 0);
    if (!f) return invalid("file", "XLSX: cannot open " + name + ": " + zip_strerror(zip_));
    std::string out;
    char buf[kChunk];
    for (;;) {
      zip_int64_t n = zip_fread(f, buf, sizeof buf);
      if (n < 0) {
        std::string msg = zip_file_strerror(f);
        zip_fclose(f);
        return invalid("file", "XLSX: " + name + " is damaged: " + msg);
      }
      if (n == 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      if (out.size() > kMaxElementBytes)
        return invalid("file", "XLSX: " + name + " is larger than expected");
    }
    zip_fclose(f);
    return out;
  }

  zip_t* zip() const { return zip_; }

 private:
  static Status not_zip(int code) {
    if (code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS || code == ZIP_ER_READ)
      return invalid("file", "not an XLSX file (not a zip archive): save it from Excel as .xlsx");
    zip_error_t e;
    zip_error_init_with_code(&e, code);
    std::string msg = zip_error_strerror(&e);
    zip_error_fini(&e);
    return invalid("file", "not a readable XLSX file: " + msg);
  }
  static Status old_xls() {
    return invalid("file", "an old Excel .xls file: save it as .xlsx (or CSV) and import that");
  }

  zip_t* zip_ = nullptr;
  std::shared_ptr<const std::string> bytes_;  // zip_source_buffer does not copy
};

// The elements named `name` in one zip entry, each as its own XML text.
class ElementStream {
 public:
  ElementStream() = default;
  ElementStream(const ElementStream&) = delete;
  ~ElementStream() {
    if (file_) zip_fclose(file_);
  }

  Status open(Archive& archive, const std::string& entry) {
    auto i = archive.locate(entry);
    if (!i) return invalid("file", "not an XLSX workbook: " + entry + " is missing");
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive.zip(), static_cast<zip_uint64_t>(*i), 0, &st) == 0 &&
        (st.valid & ZIP_STAT_SIZE))
      size_ = st.size;
    file_ = zip_fopen_index(archive.zip(), static_cast<zip_uint64_t>(*i), 0);
    if (!file_)
      return invalid("file", "XLSX: cannot open " + entry + ": " + zip_strerror(archive.zip()));
    entry_ = entry;
    return {};
  }

  // The next element whose local name is in `names`; false at the end of the entry.
  // Offsets are kept relative to pos_ (the element's '<'), since fill() moves the buffer.
  Result<bool> next(std::initializer_list<std::string_view> names, std::string& out,
                    std::string& matched) {
    for (;;) {
      auto lt = buf_.find('<', pos_);
      if (lt == std::string::npos) {
        pos_ = buf_.size();
        if (!TRY(fill())) return false;
        continue;
      }
      pos_ = lt;
      std::size_t name_len;
      for (;;) {
        auto e = buf_.find_first_of(" \t\r\n/>", pos_ + 1);
        if (e != std::string::npos) {
          name_len = e - pos_ - 1;
          break;
        }
        if (!TRY(fill())) return invalid("file", "XLSX: " + entry_ + " ends inside a tag");
      }
      std::string qname = buf_.substr(pos_ + 1, name_len);
      auto ln = local_name(qname);
      if (qname.empty() || qname[0] == '?' || qname[0] == '!' ||
          std::find(names.begin(), names.end(), ln) == names.end()) {
        ++pos_;
        continue;
      }
      matched.assign(ln);
      // End of the start tag (attribute values may hold '>').
      std::size_t i = name_len + 1;
      char quote = 0;
      for (;; ++i) {
        while (pos_ + i >= buf_.size())
          if (!TRY(fill())) return invalid("file", "XLSX: " + entry_ + " ends inside a tag");
        char c = buf_[pos_ + i];
        if (quote) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '>') {
          break;
        }
      }
      std::size_t len;
      if (buf_[pos_ + i - 1] == '/') {
        len = i + 1;
      } else {
        std::string close = "</" + qname;
        std::size_t from = i + 1;
        for (;;) {
          auto at = buf_.find(close, pos_ + from);
          if (at != std::string::npos) {
            auto gt = buf_.find('>', at + close.size());
            if (gt != std::string::npos) {
              len = gt + 1 - pos_;
              break;
            }
            from = at - pos_;
          } else {
            std::size_t have = buf_.size() - pos_;
            from = std::max(from, have > close.size() ? have - close.size() : 0);
          }
          if (buf_.size() - pos_ > kMaxElementBytes)
            return invalid("file", "XLSX: an element of " + entry_ + " is larger than 64 MB");
          if (!TRY(fill()))
            return invalid("file", "XLSX: " + entry_ + " ends inside <" + matched + ">");
        }
      }
      out.assign(buf_, pos_, len);
      pos_ += len;
      return true;
    }
  }

  double progress() const {
    if (size_ == 0) return 0;
    return std::min(1.0, static_cast<double>(consumed_) / static_cast<double>(size_));
  }

 private:
  // Drops what lies before pos_ (which becomes 0) and appends a chunk.
  Result<bool> fill() {
    if (eof_) return false;
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    std::size_t old = buf_.size();
    buf_.resize(old + kChunk);
    zip_int64_t n = zip_fread(file_, buf_.data() + old, kChunk);
    if (n < 0) {
      buf_.resize(old);
      return invalid("file", "XLSX: " + entry_ + " is damaged: " + zip_file_strerror(file_));
    }
    buf_.resize(old + static_cast<std::size_t>(n));
    consumed_ += static_cast<std::uint64_t>(n);
    if (n == 0) eof_ = true;
    return n > 0;
  }

  zip_file_t* file_ = nullptr;
  std::string entry_;
  std::string buf_;
  std::size_t pos_ = 0;
  std::uint64_t size_ = 0, consumed_ = 0;
  bool eof_ = false;
};

// Built-in number formats that show dates or times (including the CJK ones).
bool builtin_date_format(int id) {
  return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
         (id >= 50 && id <= 58);
}

// A custom format shows a date when, leaving out quoted text, escapes and [colour] or
// [$-804] parts, it has y, m, d, h or s.
bool custom_date_format(std::string_view code) {
  bool quoted = false, bracket = false, escaped = false;
  for (std::size_t i = 0; i < code.size(); ++i) {
    char c = code[i];
    if (escaped) {
      escaped = false;
      continue;
    }
    if (quoted) {
      if (c == '"') quoted = false;
      continue;
    }
    if (bracket) {
      if (c == ']') bracket = false;
      continue;
    }
    if (c == '\\' || c == '_' || c == '*') {
      escaped = true;
      continue;
    }
    if (c == '"') {
      quoted = true;
      continue;
    }
    if (c == '[') {
      // [h], [mm], [ss]: elapsed time, still a time.
      if (i + 1 < code.size() && std::strchr("hHmMsS", code[i + 1])) continue;
      bracket = true;
      continue;
    }
    if (c == ';') break;  // the first section decides
    if (std::strchr("yYmMdDhHsSe", c)) return true;
  }
  return false;
}

// "AB12" → 27 (0-based column); -1 when there are no letters.
long column_of(std::string_view ref) {
  long col = 0;
  std::size_t i = 0;
  for (; i < ref.size() && std::isalpha(static_cast<unsigned char>(ref[i])); ++i)
    col = col * 26 + (std::toupper(static_cast<unsigned char>(ref[i])) - 'A' + 1);
  return i == 0 ? -1 : col - 1;
}

long row_of(std::string_view ref) {
  std::size_t i = 0;
  while (i < ref.size() && std::isalpha(static_cast<unsigned char>(ref[i]))) ++i;
  long r = 0;
  auto res = std::from_chars(ref.data() + i, ref.data() + ref.size(), r);
  return res.ec == std::errc() ? r : 0;
}

Cell number_cell(std::string_view v) {
  double d = 0;
  auto res = std::from_chars(v.data(), v.data() + v.size(), d);
  if (res.ec != std::errc()) return std::string(v);
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
    return static_cast<std::int64_t>(d);
  return d;
}

class XlsxReader : public TableReader {
 public:
  Status open(const Input& input, const ReadOptions& options) {
    TRY_STATUS(archive_.open(input));
    std::string sheet_entry = TRY(find_sheet(options.sheet));
    TRY_STATUS(read_styles());
    TRY_STATUS(read_shared_strings());
    TRY_STATUS(sheet_.open(archive_, sheet_entry));

    std::string xml, which;
    std::optional<long> last_row;
    while (TRY(sheet_.next({"dimension", "row"}, xml, which))) {
      if (which == "dimension") {
        pugi::xml_document doc;
        if (doc.load_buffer(xml.data(), xml.size())) {
          std::string_view ref =
              attr(doc.first_child(), "ref") ? attr(doc.first_child(), "ref") : "";
          auto colon = ref.find(':');
          if (colon != std::string_view::npos) last_row = row_of(ref.substr(colon + 1));
        }
        continue;
      }
      Row row;
      TRY_STATUS(parse_row(xml, row));
      if (all_empty(row.cells)) continue;
      for (std::size_t i = 0; i < row.cells.size(); ++i) {
        std::string name = cell_text(row.cells[i]);
        auto b = name.find_first_not_of(" \t");
        name = b == std::string::npos ? "" : name.substr(b, name.find_last_not_of(" \t") - b + 1);
        columns_.push_back(name.empty() ? unnamed_column(i) : name);
      }
      while (!columns_.empty() && columns_.back() == unnamed_column(columns_.size() - 1))
        columns_.pop_back();
      if (last_row && *last_row > row.number) hint_ = *last_row - row.number;
      return {};
    }
    return invalid("file", "the sheet has no header row");
  }

  Result<bool> next(Row& row) override {
    std::string xml, which;
    while (TRY(sheet_.next({"row"}, xml, which))) {
      TRY_STATUS(parse_row(xml, row));
      if (all_empty(row.cells)) continue;
      return true;
    }
    return false;
  }

  double progress() const override { return sheet_.progress(); }
  std::optional<std::int64_t> row_count_hint() const override { return hint_; }

 private:
  // The zip entry of the named sheet, or of the first one.
  Result<std::string> find_sheet(const std::string& wanted) {
    std::string wb = TRY(archive_.read_all("xl/workbook.xml"));
    pugi::xml_document doc;
    if (auto r = doc.load_buffer(wb.data(), wb.size()); !r)
      return invalid("file",
                     std::string("XLSX: xl/workbook.xml is not valid XML: ") + r.description());
    auto workbook = doc.document_element();
    if (auto pr = child(workbook, "workbookPr")) {
      const char* d = attr(pr, "date1904");
      date1904_ = d && (std::string_view(d) == "1" || std::string_view(d) == "true");
    }
    std::string rid;
    std::vector<std::string> names;
    for (auto s : child(workbook, "sheets").children()) {
      if (local_name(s.name()) != "sheet") continue;
      const char* name = attr(s, "name");
      names.emplace_back(name ? name : "");
      if (rid.empty() && (wanted.empty() || wanted == names.back())) {
        const char* id = attr(s, "id");
        rid = id ? id : "";
        if (rid.empty()) return invalid("file", "XLSX: sheet without a relationship id");
      }
    }
    if (rid.empty()) {
      if (names.empty()) return invalid("file", "XLSX: the workbook has no sheets");
      std::string list;
      for (auto& n : names) list += (list.empty() ? "" : ", ") + n;
      return invalid("sheet", "no sheet named '" + wanted + "' (the workbook has: " + list + ")");
    }
    std::string rels = TRY(archive_.read_all("xl/_rels/workbook.xml.rels"));
    pugi::xml_document rdoc;
    if (auto r = rdoc.load_buffer(rels.data(), rels.size()); !r)
      return invalid("file", std::string("XLSX: workbook relationships are not valid XML: ") +
                                 r.description());
    for (auto rel : rdoc.document_element().children()) {
      const char* id = attr(rel, "Id");
      const char* target = attr(rel, "Target");
      if (!id || !target || rid != id) continue;
      std::string t = target;
      if (t.starts_with("/")) return t.substr(1);
      return "xl/" + t;
    }
    return invalid("file", "XLSX: the sheet's relationship " + rid + " is missing");
  }

  Status read_styles() {
    if (!archive_.locate("xl/styles.xml")) return {};
    std::string xml = TRY(archive_.read_all("xl/styles.xml"));
    pugi::xml_document doc;
    if (auto r = doc.load_buffer(xml.data(), xml.size()); !r)
      return invalid("file",
                     std::string("XLSX: xl/styles.xml is not valid XML: ") + r.description());
    auto ss = doc.document_element();
    std::set<int> custom_dates;
    for (auto f : child(ss, "numFmts").children()) {
      const char* id = attr(f, "numFmtId");
      const char* code = attr(f, "formatCode");
      if (id && code && custom_date_format(code)) custom_dates.insert(std::atoi(id));
    }
    for (auto xf : child(ss, "cellXfs").children()) {
      if (local_name(xf.name()) != "xf") continue;
      const char* id = attr(xf, "numFmtId");
      int n = id ? std::atoi(id) : 0;
      date_styles_.push_back(builtin_date_format(n) || custom_dates.count(n) > 0);
    }
    return {};
  }

  Status read_shared_strings() {
    if (!archive_.locate("xl/sharedStrings.xml")) return {};
    ElementStream s;
    TRY_STATUS(s.open(archive_, "xl/sharedStrings.xml"));
    std::string xml, which;
    std::size_t total = 0;
    while (TRY(s.next({"si"}, xml, which))) {
      pugi::xml_document doc;
      if (auto r = doc.load_buffer(xml.data(), xml.size(),
                                   pugi::parse_default | pugi::parse_ws_pcdata_single);
          !r)
        return invalid("file", std::string("XLSX: shared string ") +
                                   std::to_string(strings_.size()) +
                                   " is not valid XML: " + r.description());
      std::string text;
      collect_text(doc.document_element(), text);
      total += text.size();
      if (total > kMaxSharedStringBytes)
        return invalid("file", "XLSX: the shared strings are larger than 1 GB");
      strings_.push_back(std::move(text));
    }
    return {};
  }

  Status parse_row(const std::string& xml, Row& row) {
    pugi::xml_document doc;
    if (auto r = doc.load_buffer(xml.data(), xml.size(),
                                 pugi::parse_default | pugi::parse_ws_pcdata_single);
        !r)
      return invalid("file", "XLSX: row after row " + std::to_string(last_row_) +
                                 " is not valid XML: " + r.description());
    auto rn = doc.document_element();
    const char* r = attr(rn, "r");
    long number = r ? std::atol(r) : last_row_ + 1;
    if (number <= 0) number = last_row_ + 1;
    last_row_ = number;
    row.number = number;
    row.cells.assign(columns_.size(), nullptr);
    long next_col = 0;
    for (auto c : rn.children()) {
      if (local_name(c.name()) != "c") continue;
      const char* ref = attr(c, "r");
      long col = ref ? column_of(ref) : next_col;
      if (col < 0) col = next_col;
      next_col = col + 1;
      if (col > 16383)
        return invalid("file",
                       "XLSX: row " + std::to_string(number) + " has a cell beyond column XFD");
      const char* t = attr(c, "t");
      std::string_view type = t ? t : "n";
      const char* s = attr(c, "s");
      std::size_t style = s ? static_cast<std::size_t>(std::atol(s)) : 0;
      Cell value;
      if (type == "inlineStr") {
        std::string text;
        if (auto is = child(c, "is")) collect_text(is, text);
        value = std::move(text);
      } else {
        auto v = child(c, "v");
        if (!v) continue;
        std::string_view text = v.text().get();
        if (type == "s") {
          long idx = -1;
          std::from_chars(text.data(), text.data() + text.size(), idx);
          if (idx < 0 || static_cast<std::size_t>(idx) >= strings_.size())
            return invalid("file", "XLSX: row " + std::to_string(number) +
                                       " refers to a shared string that does not exist");
          value = strings_[static_cast<std::size_t>(idx)];
        } else if (type == "b") {
          value = text == "1" || text == "true";
        } else if (type == "str" || type == "e") {
          value = std::string(text);
        } else if (type == "d") {
          value = std::string(text.substr(
              0, text.find('T') == 10 && text.substr(10) == "T00:00:00" ? 10 : text.size()));
        } else {
          bool is_date = style < date_styles_.size() && date_styles_[style];
          double d = 0;
          auto res = std::from_chars(text.data(), text.data() + text.size(), d);
          if (is_date && res.ec == std::errc() && d >= 0 && d < 2958466)
            value = excel_serial_to_iso(d, date1904_);
          else
            value = number_cell(text);
        }
      }
      if (value.is_string() && value.get_ref<const std::string&>().empty()) continue;
      if (static_cast<std::size_t>(col) >= row.cells.size())
        row.cells.resize(static_cast<std::size_t>(col) + 1);
      row.cells[static_cast<std::size_t>(col)] = std::move(value);
    }
    return {};
  }

  Archive archive_;
  ElementStream sheet_;
  std::vector<std::string> strings_;
  std::vector<bool> date_styles_;
  bool date1904_ = false;
  long last_row_ = 0;
  std::optional<std::int64_t> hint_;
};

}  // namespace

Result<std::unique_ptr<TableReader>> open_xlsx_reader(const Input& input,
                                                      const ReadOptions& options) {
  auto r = std::make_unique<XlsxReader>();
  TRY_STATUS(r->open(input, options));
  return std::unique_ptr<TableReader>(std::move(r));
}

}  // namespace dangan::transfer::detail
