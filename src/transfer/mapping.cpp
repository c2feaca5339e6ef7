#include "transfer/mapping.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <unordered_map>

#include "core/clock.h"
#include "text/text.h"

namespace dangan::transfer {

using json = nlohmann::json;

const std::vector<std::string>& record_fields() {
  static const std::vector<std::string> kFields = {
      "title",     "description", "keywords",    "creator",      "year",
      "date_from", "date_to",     "date",        "fonds",        "fonds_id",
      "category",  "category_id", "retention",   "access_level", "carrier",
      "pages",     "important",   "location_id", "patron_id",    "reference_code"};
  return kFields;
}

namespace {

bool known_field(const std::string& f) {
  auto& all = record_fields();
  return std::find(all.begin(), all.end(), f) != all.end();
}

// Case- and width-folded, traditional → simplified, without spaces, '_' and '-'.
std::string header_key(std::string_view header) {
  std::string folded = text::fold(header);
  std::string out;
  for (char c : folded)
    if (c != ' ' && c != '_' && c != '-' && c != '\t' && c != '.') out += c;
  return out;
}

const std::unordered_map<std::string, std::string>& default_headers() {
  static const auto kMap = [] {
    std::vector<std::pair<std::vector<std::string>, std::string>> groups = {
        {{"title", "题名", "标题", "案卷题名", "文件题名", "名称"}, "title"},
        {{"description", "abstract", "summary", "描述", "摘要", "内容提要", "提要", "内容摘要"},
         "description"},
        {{"keywords", "keyword", "subject", "subjects", "tags", "关键词", "主题词", "关键字"},
         "keywords"},
        {{"creator", "author", "责任者", "作者", "责任人"}, "creator"},
        {{"year", "年度", "年份"}, "year"},
        {{"date", "日期", "形成日期", "成文日期", "文件日期"}, "date"},
        {{"date_from", "start date", "from", "起始日期", "开始日期", "起日期"}, "date_from"},
        {{"date_to", "end date", "to", "终止日期", "结束日期", "止日期"}, "date_to"},
        {{"fonds", "fonds code", "全宗号", "全宗", "全宗代号"}, "fonds"},
        {{"fonds_id"}, "fonds_id"},
        {{"category", "category code", "series", "类别", "门类", "类别号", "类别代号", "门类代号",
          "分类号"},
         "category"},
        {{"category_id"}, "category_id"},
        {{"retention", "retention code", "retention period", "保管期限", "期限"}, "retention"},
        {{"access_level", "access", "密级", "开放状态", "开放等级", "访问级别"}, "access_level"},
        {{"carrier", "medium", "载体", "载体类型", "载体形式"}, "carrier"},
        {{"pages", "page count", "页数"}, "pages"},
        {{"important", "重要", "重要档案", "是否重要"}, "important"},
        {{"location_id"}, "location_id"},
        {{"patron_id"}, "patron_id"},
        {{"reference_code", "reference", "ref code", "identifier", "档号", "档案号"},
         "reference_code"},
    };
    std::unordered_map<std::string, std::string> m;
    for (auto& [names, field] : groups)
      for (auto& n : names) m.emplace(header_key(n), field);
    return m;
  }();
  return kMap;
}

// fold() runs OpenCC, which costs tens of microseconds; the short words matched against
// fixed tables (levels, carriers, yes/no, names) are mostly written one way, so they are
// looked up as they are (ASCII lower-cased) first and folded only when that misses.
template <class Map>
auto find_folded(const Map& m, const std::string& v) {
  std::string lower = v;
  for (auto& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  auto it = m.find(lower);
  if (it != m.end()) return it;
  return m.find(text::fold(v));
}

// Full-width ASCII (ＡＢＣ１２３／) to half-width, and the ideographic space to a space:
// all numbers and dates need of folding, without OpenCC's cost.
std::string halfwidth(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xEF && i + 2 < s.size()) {
      unsigned cp = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) |
                    (static_cast<unsigned char>(s[i + 2]) & 0x3F);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        out += static_cast<char>(cp - 0xFEE0);
        i += 2;
        continue;
      }
    } else if (c == 0xE3 && s.compare(i, 3, "\xE3\x80\x80") == 0) {
      out += ' ';
      i += 2;
      continue;
    }
    out += s[i];
  }
  return out;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  std::string out(s.substr(b, e - b + 1));
  // Full-width spaces at the edges, as Chinese spreadsheets often have.
  const std::string ideo = "\xE3\x80\x80";
  while (out.starts_with(ideo)) out.erase(0, ideo.size());
  while (out.ends_with(ideo)) out.erase(out.size() - ideo.size());
  return out;
}

std::string text_of(const Cell& c) { return trim(cell_text(c)); }

bool empty_cell(const Cell& c) {
  if (c.is_null()) return true;
  if (c.is_string()) return trim(c.get_ref<const std::string&>()).empty();
  if (c.is_array()) return c.empty();
  return false;
}

std::optional<std::int64_t> whole_number(const Cell& c, std::string_view suffixes = {}) {
  if (c.is_number_integer()) return c.get<std::int64_t>();
  if (c.is_number_float()) {
    double d = c.get<double>();
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
    return std::nullopt;
  }
  if (!c.is_string()) return std::nullopt;
  std::string s = trim(c.get_ref<const std::string&>());
  std::string folded = halfwidth(s);
  // An allowed unit after the number ("1998年", "12页").
  for (std::string_view suffix : {std::string_view("年"), std::string_view("页"),
                                  std::string_view("p"), std::string_view("pp")})
    if (suffixes.find(suffix) != std::string_view::npos && folded.size() > suffix.size() &&
        folded.ends_with(suffix)) {
      folded.resize(folded.size() - suffix.size());
      folded = trim(folded);
      break;
    }
  std::int64_t v = 0;
  auto r = std::from_chars(folded.data(), folded.data() + folded.size(), v);
  if (r.ec != std::errc() || r.ptr != folded.data() + folded.size() || folded.empty())
    return std::nullopt;
  return v;
}

// "YYYY-MM-DD", or "YYYY-MM" / "YYYY" for a month or a year, from the ways people
// write dates (2023-04-05, 2023/4/5, 2023.4.5, 2023年4月5日, 20230405, 2023年4月, an Excel
// serial number); nullopt when it is not one.
std::optional<std::string> parse_date(const Cell& c) {
  if (c.is_number()) {
    auto n = whole_number(c);
    if (!n) return std::nullopt;
    if (*n >= 1000 && *n <= 9999) return std::to_string(*n);  // a year, not 1902's serial
    if (*n >= 10000101 && *n <= 99991231) return parse_date(Cell(std::to_string(*n)));
    if (*n >= 1 && *n < 2958466) return excel_serial_to_iso(static_cast<double>(*n)).substr(0, 10);
    return std::nullopt;
  }
  if (!c.is_string()) return std::nullopt;
  std::string s = halfwidth(trim(c.get_ref<const std::string&>()));
  // A time of day after the date is dropped.
  if (auto at = s.find_first_of("Tt "); at != std::string::npos && at >= 8) s.resize(at);
  if (s.size() == 8 && std::all_of(s.begin(), s.end(), ::isdigit))
    s = s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2);
  std::string norm;
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, 3, "年") == 0 || s.compare(i, 3, "月") == 0) {
      if (i + 3 < s.size()) norm += '-';
      i += 3;
    } else if (s.compare(i, 3, "日") == 0 && i + 3 == s.size()) {
      i += 3;
    } else if (s[i] == '/' || s[i] == '.') {
      norm += '-';
      ++i;
    } else {
      norm += s[i++];
    }
  }
  int parts[3] = {0, 0, 0};
  int count = 0;
  std::size_t at = 0;
  while (count < 3) {
    std::size_t end = norm.find('-', at);
    if (end == std::string::npos) end = norm.size();
    std::string_view part(norm.data() + at, end - at);
    if (part.empty() || (count == 0 && part.size() != 4) || (count > 0 && part.size() > 2))
      return std::nullopt;
    auto r = std::from_chars(part.data(), part.data() + part.size(), parts[count]);
    if (r.ec != std::errc() || r.ptr != part.data() + part.size()) return std::nullopt;
    ++count;
    if (end == norm.size()) break;
    at = end + 1;
    if (count == 3) return std::nullopt;  // something after the day
  }
  char buf[32];
  if (count == 1) {
    std::snprintf(buf, sizeof buf, "%04d", parts[0]);
    return std::string(buf);
  }
  if (count == 2) {
    if (parts[1] < 1 || parts[1] > 12) return std::nullopt;
    std::snprintf(buf, sizeof buf, "%04d-%02d", parts[0], parts[1]);
    return std::string(buf);
  }
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", parts[0], parts[1], parts[2]);
  if (!valid_date(buf)) return std::nullopt;
  return std::string(buf);
}

std::optional<std::string> access_level(const std::string& v) {
  static const std::unordered_map<std::string, std::string> kLevels = {{"open", "open"},
                                                                       {"public", "open"},
                                                                       {"开放", "open"},
                                                                       {"公开", "open"},
                                                                       {"controlled", "controlled"},
                                                                       {"restricted", "controlled"},
                                                                       {"internal", "controlled"},
                                                                       {"控制", "controlled"},
                                                                       {"限制", "controlled"},
                                                                       {"内部", "controlled"},
                                                                       {"受控", "controlled"},
                                                                       {"不开放", "controlled"},
                                                                       {"控制使用", "controlled"},
                                                                       {"限制利用", "controlled"},
                                                                       {"secret", "secret"},
                                                                       {"confidential", "secret"},
                                                                       {"涉密", "secret"},
                                                                       {"秘密", "secret"},
                                                                       {"机密", "secret"},
                                                                       {"绝密", "secret"}};
  auto it = find_folded(kLevels, v);
  if (it == kLevels.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> carrier(const std::string& v) {
  static const std::unordered_map<std::string, std::string> kCarriers = {
      {"paper", "paper"},
      {"纸质", "paper"},
      {"纸", "paper"},
      {"纸张", "paper"},
      {"electronic", "electronic"},
      {"电子", "electronic"},
      {"数字", "electronic"},
      {"photo", "photo"},
      {"photograph", "photo"},
      {"照片", "photo"},
      {"相片", "photo"},
      {"图片", "photo"},
      {"audio", "audio"},
      {"录音", "audio"},
      {"音频", "audio"},
      {"video", "video"},
      {"录像", "video"},
      {"视频", "video"},
      {"other", "other"},
      {"其他", "other"},
      {"其它", "other"}};
  auto it = find_folded(kCarriers, v);
  if (it == kCarriers.end()) return std::nullopt;
  return it->second;
}

std::optional<bool> boolean(const Cell& c) {
  if (c.is_boolean()) return c.get<bool>();
  if (c.is_number_integer()) {
    auto v = c.get<std::int64_t>();
    if (v == 0 || v == 1) return v == 1;
    return std::nullopt;
  }
  if (!c.is_string()) return std::nullopt;
  static const std::unordered_map<std::string, bool> kWords = {
      {"true", true},   {"yes", true},   {"y", true},  {"1", true},
      {"是", true},     {"重要", true},  {"√", true},  {"✓", true},
      {"false", false}, {"no", false},   {"n", false}, {"0", false},
      {"否", false},    {"一般", false}, {"×", false}, {"不重要", false}};
  auto it = find_folded(kWords, trim(c.get_ref<const std::string&>()));
  if (it == kWords.end()) return std::nullopt;
  return it->second;
}

// Keywords from an array or a string separated by ; ； , ， 、 | or new lines.
json keywords(const Cell& c) {
  json out = json::array();
  std::set<std::string> seen;
  auto add = [&](std::string k) {
    k = trim(k);
    if (!k.empty() && seen.insert(k).second) out.push_back(std::move(k));
  };
  if (c.is_array()) {
    for (auto& e : c) add(cell_text(e));
    return out;
  }
  std::string s = cell_text(c);
  std::string cur;
  for (std::size_t i = 0; i < s.size();) {
    static const std::string_view kWide[] = {"；", "，", "、", "｜"};
    bool sep = false;
    if (s[i] == ';' || s[i] == ',' || s[i] == '|' || s[i] == '\n' || s[i] == '\r') {
      sep = true;
      i += 1;
    } else {
      for (auto w : kWide)
        if (s.compare(i, w.size(), w) == 0) {
          sep = true;
          i += w.size();
          break;
        }
    }
    if (sep) {
      add(std::move(cur));
      cur.clear();
    } else {
      cur += s[i++];
    }
  }
  add(std::move(cur));
  return out;
}

std::string squeeze(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

std::string by_name(const std::map<std::string, std::string>& names, const std::string& v) {
  if (names.empty()) return v;
  auto it = names.find(squeeze(v));
  if (it == names.end()) it = names.find(squeeze(text::fold(v)));
  return it == names.end() ? v : it->second;
}

}  // namespace

// ---------------------------------------------------------------- Mapping

Result<Mapping> Mapping::from_json(const json& j) {
  if (!j.is_object()) return invalid("mapping", "the mapping must be a JSON object");
  Mapping m;
  const json* columns = &j;
  if (j.contains("columns") || j.contains("defaults")) {
    for (auto& [k, v] : j.items())
      if (k != "columns" && k != "defaults")
        return invalid("mapping", "unknown member '" + k + "': use columns and defaults");
    static const json kEmpty = json::object();
    columns = j.contains("columns") ? &j["columns"] : &kEmpty;
    if (!columns->is_object()) return invalid("mapping", "columns must be an object");
    if (j.contains("defaults")) {
      if (!j["defaults"].is_object()) return invalid("mapping", "defaults must be an object");
      for (auto& [field, value] : j["defaults"].items()) {
        if (!known_field(field))
          return invalid("mapping", "defaults: unknown record field '" + field + "'");
        m.defaults[field] = value;
      }
    }
  }
  for (auto& [header, field] : columns->items()) {
    if (field.is_null()) {
      m.columns[header] = "";
      continue;
    }
    if (!field.is_string())
      return invalid("mapping", "column '" + header + "': give a record field name or null");
    std::string f = field.get<std::string>();
    if (!f.empty() && !known_field(f))
      return invalid("mapping", "column '" + header + "': unknown record field '" + f + "'");
    m.columns[header] = f;
  }
  return m;
}

json Mapping::to_json() const {
  json cols = json::object(), defs = json::object();
  for (auto& [h, f] : columns) cols[h] = f.empty() ? json() : json(f);
  for (auto& [f, v] : defaults) defs[f] = v;
  return {{"columns", cols}, {"defaults", defs}};
}

std::string default_field(std::string_view header) {
  auto& m = default_headers();
  auto it = m.find(header_key(header));
  return it == m.end() ? "" : it->second;
}

// ---------------------------------------------------------------- errors

json RowError::to_json() const { return {{"row", row}, {"column", column}, {"message", message}}; }

std::string RowError::to_string() const {
  std::string out;
  if (row > 0) out = "row " + std::to_string(row);
  if (!column.empty()) out += (out.empty() ? "column " : ", column ") + column;
  return out.empty() ? message : out + ": " + message;
}

// ---------------------------------------------------------------- Plan

// One cell into its field of `body`; the problem as a message, or "" when fine.
static std::string convert(const std::string& field, const Cell& c, const Lookups& lookups,
                           json& body) {
  if (field == "title" || field == "description" || field == "creator" ||
      field == "reference_code") {
    if (c.is_object()) return "must be text";
    body[field] = text_of(c);
  } else if (field == "keywords") {
    body[field] = keywords(c);
  } else if (field == "year") {
    auto y = whole_number(c, "年");
    if (!y || *y < 1000 || *y > 9999) return "must be a year between 1000 and 9999";
    body[field] = *y;
  } else if (field == "date_from" || field == "date_to") {
    auto d = parse_date(c);
    if (!d) return "must be a date (YYYY-MM-DD, 2023/4/5, 2023年4月5日; or YYYY-MM, YYYY)";
    body[field] = *d;
  } else if (field == "date") {
    auto y = whole_number(c, "年");
    if (y && *y >= 1000 && *y <= 9999) {
      body[field] = *y;
    } else {
      auto d = parse_date(c);
      if (!d) return "must be a date (YYYY-MM-DD, 2023/4/5, 2023年4月5日; or YYYY-MM, YYYY)";
      body[field] = *d;
    }
  } else if (field == "fonds") {
    body[field] = by_name(lookups.fonds_by_name, text_of(c));
  } else if (field == "category") {
    body[field] = by_name(lookups.category_by_name, text_of(c));
  } else if (field == "retention") {
    body[field] = by_name(lookups.retention_by_name, text_of(c));
  } else if (field == "access_level") {
    auto l = access_level(text_of(c));
    if (!l) return "must be open, controlled or secret (开放, 控制, 涉密)";
    body[field] = *l;
  } else if (field == "carrier") {
    auto v = carrier(text_of(c));
    if (!v)
      return "must be paper, electronic, photo, audio, video or other (纸质, 电子, 照片, 录音, "
             "录像, 其他)";
    body[field] = *v;
  } else if (field == "pages") {
    auto n = whole_number(c, "页 p pp");
    if (!n || *n < 0 || *n > 10000000) return "must be a whole number of pages (0 or more)";
    body[field] = *n;
  } else if (field == "important") {
    auto b = boolean(c);
    if (!b) return "must be yes or no (是/否, true/false, 1/0)";
    body[field] = *b;
  } else if (field == "fonds_id" || field == "category_id" || field == "location_id" ||
             field == "patron_id") {
    auto n = whole_number(c);
    if (!n || *n <= 0) return "must be a positive whole number (an id)";
    body[field] = *n;
  }
  return {};
}

Status Plan::map_column(std::size_t index, const std::string& header) {
  std::string field;
  if (auto it = mapping_.columns.find(header); it != mapping_.columns.end())
    field = it->second;
  else
    field = default_field(header);
  if (field_of_.size() <= index) field_of_.resize(index + 1);
  if (field.empty()) {
    ignored_.push_back(header);
    return {};
  }
  if (auto taken = column_of_.find(field); taken != column_of_.end())
    return invalid("mapping", "columns '" + taken->second + "' and '" + header + "' both give " +
                                  field + ": map one of them to null");
  field_of_[index] = field;
  column_of_[field] = header;
  return {};
}

Result<Plan> Plan::make(const std::vector<std::string>& columns, const Mapping& mapping) {
  Plan p;
  p.mapping_ = mapping;
  for (std::size_t i = 0; i < columns.size(); ++i) TRY_STATUS(p.map_column(i, columns[i]));
  p.known_columns_ = columns.size();
  auto given = [&](const std::string& f) {
    return p.column_of_.count(f) > 0 || mapping.defaults.count(f) > 0;
  };
  if (!given("title"))
    return invalid("mapping",
                   "no column gives the title: name one 题名 or title, or map it (\"columns\": "
                   "{\"your header\": \"title\"})");
  if (!given("access_level"))
    return invalid("mapping",
                   "no column gives the access level: add a column 密级 or access_level (open, "
                   "controlled, secret), or give a default (\"defaults\": {\"access_level\": "
                   "\"open\"})");
  // Defaults go through the same checks as cells, once.
  for (auto& [field, value] : mapping.defaults) {
    json body = json::object();
    std::string message = convert(field, value, {}, body);
    if (!message.empty()) return invalid("mapping", "defaults." + field + ": " + message);
  }
  return p;
}

std::string Plan::column_of(const std::string& field) const {
  for (std::string f :
       {field, field + "_id", field.ends_with("_id") ? field.substr(0, field.size() - 3) : field,
        field == "retention_code" ? std::string("retention") : field}) {
    if (auto it = column_of_.find(f); it != column_of_.end()) return it->second;
  }
  if ((field == "year" || field == "date_from" || field == "date_to") && column_of_.count("date"))
    return column_of_.at("date");
  return field;
}

json Plan::to_json() const {
  json out = json::object();
  for (auto& [field, header] : column_of_) out[header] = field;
  return out;
}

std::optional<json> Plan::to_record(const Row& row, const std::vector<std::string>& columns,
                                    const Lookups& lookups, std::vector<RowError>& errors) {
  // JSON tables grow columns as keys appear.
  while (known_columns_ < columns.size()) {
    if (!map_column(known_columns_, columns[known_columns_])) {
      if (field_of_.size() <= known_columns_) field_of_.resize(known_columns_ + 1);
      ignored_.push_back(columns[known_columns_]);
    }
    ++known_columns_;
  }
  std::size_t before = errors.size();
  json body = json::object();
  auto error = [&](const std::string& field, std::string message) {
    errors.push_back({row.number, column_of(field), std::move(message)});
  };
  // In the file's column order, so errors come in the order a person reads the row.
  std::vector<std::pair<std::string, const Cell*>> cells;
  std::set<std::string> present;
  for (std::size_t i = 0; i < field_of_.size(); ++i) {
    if (field_of_[i].empty()) continue;
    if (i < row.cells.size() && !empty_cell(row.cells[i])) {
      cells.emplace_back(field_of_[i], &row.cells[i]);
      present.insert(field_of_[i]);
    }
  }
  for (auto& [field, value] : mapping_.defaults)
    if (!present.count(field) && !empty_cell(value)) {
      cells.emplace_back(field, &value);
      present.insert(field);
    }
  for (auto& [field, cp] : cells) {
    std::string message = convert(field, *cp, lookups, body);
    if (!message.empty()) error(field, std::move(message));
  }
  // One date: the range's two ends and the year, unless columns of their own give them.
  if (auto d = body.find("date"); d != body.end()) {
    if (d->is_number()) {
      body.emplace("year", *d);
    } else {
      std::string iso = d->get<std::string>();
      body.emplace("date_from", iso);
      body.emplace("date_to", iso);
      body.emplace("year", std::stoi(iso.substr(0, 4)));
    }
    body.erase("date");
  }
  if (!present.count("title")) error("title", "required");
  if (body.contains("title") && body["title"].get_ref<const std::string&>().empty())
    error("title", "required");
  if (body.contains("date_from") && body.contains("date_to") &&
      body["date_to"].get_ref<const std::string&>() <
          body["date_from"].get_ref<const std::string&>())
    error("date_to", "must not be before the start date " + body["date_from"].get<std::string>());
  if (errors.size() > before) return std::nullopt;
  return body;
}

}  // namespace dangan::transfer
