// Records: creation with their reference code, reading by view, changes, listing,
// closing, legal holds, relations, use counts, and the search documents.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include <spdlog/spdlog.h>

#include "catalogue/internal.h"
#include "core/cursor.h"
#include "patrons/timeline.h"
#include "store/keyset.h"
#include "text/text.h"

namespace dangan::catalogue {

using json = nlohmann::json;
using namespace detail;

RecordView view_of(const Actor& by, const std::string& level) {
  switch (by.role) {
    case Role::system:
    case Role::archivist:
    case Role::manager:
      return RecordView::full;
    case Role::administrator:
    case Role::agent:
    case Role::analyst:
      return level == "secret" ? RecordView::none : RecordView::full;
    case Role::patron:
      if (level == "open") return RecordView::full;
      if (level == "controlled") return RecordView::entry;
      return RecordView::none;
    case Role::auditor:
      return RecordView::none;
  }
  return RecordView::none;
}

RecordView patron_view(const std::string& level, bool own_file, bool embargoed, bool granted) {
  if (level == "secret") return RecordView::none;
  if (own_file) return RecordView::full;
  if (embargoed) return RecordView::entry;
  if (level == "open") return RecordView::full;
  return granted ? RecordView::full : RecordView::entry;
}

namespace {

constexpr const char* kRecordSelect =
    "SELECT r.id, r.reference_code, r.title, r.description, r.keywords, r.creator, r.year, "
    "r.date_from, r.date_to, r.fonds_id, f.code, f.name, r.category_id, c.code, c.name, "
    "r.retention_code, rp.name, rp.years, r.retention_until, r.access_level, r.location_id, "
    "l.label, r.carrier, r.pages, r.patron_id, r.important, r.status, r.legal_hold, "
    "r.legal_hold_reason, r.rights, r.embargo_until, r.source_authority, r.use_count, r.version, "
    "r.created_at, r.updated_at, r.closed_at, r.disposed_at, r.scheme_id, r.number_released, "
    "r.unit_id, f.unit_id "
    "FROM records r JOIN fonds f ON f.id = r.fonds_id JOIN categories c ON c.id = r.category_id "
    "JOIN retention_periods rp ON rp.code = r.retention_code "
    "LEFT JOIN locations l ON l.id = r.location_id";

json opt_json(const std::optional<std::string>& v) { return v ? json(*v) : json(); }
json opt_json(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(); }

json record_json(const store::Row& r) {
  json keywords = json::parse(r.str(4), nullptr, false);
  json rights = json::parse(r.str(29), nullptr, false);
  return {
      {"id", r.i64(0)},
      {"reference_code", r.str(1)},
      {"title", r.str(2)},
      {"description", r.str(3)},
      {"keywords", keywords.is_array() ? keywords : json::array()},
      {"creator", r.str(5)},
      {"year", opt_json(r.opt_i64(6))},
      {"date_from", opt_json(r.opt_str(7))},
      {"date_to", opt_json(r.opt_str(8))},
      {"fonds", {{"id", r.i64(9)}, {"code", r.str(10)}, {"name", r.str(11)}}},
      {"category", {{"id", r.i64(12)}, {"code", r.str(13)}, {"name", r.str(14)}}},
      {"retention", {{"code", r.str(15)}, {"name", r.str(16)}, {"years", opt_json(r.opt_i64(17))}}},
      {"retention_until", opt_json(r.opt_str(18))},
      {"access_level", r.str(19)},
      {"location", r.opt_i64(20) ? json{{"id", r.i64(20)}, {"label", r.str(21)}} : json()},
      {"carrier", r.str(22)},
      {"pages", opt_json(r.opt_i64(23))},
      {"patron_id", opt_json(r.opt_i64(24))},
      {"important", r.i64(25) != 0},
      {"status", r.str(26)},
      {"legal_hold", r.i64(27) != 0},
      {"legal_hold_reason", opt_json(r.opt_str(28))},
      {"rights", rights.is_object() ? rights : json::object()},
      {"embargo_until", opt_json(r.opt_str(30))},
      {"source_authority", r.i64(31)},
      {"use_count", r.i64(32)},
      {"version", r.i64(33)},
      {"created_at", r.str(34)},
      {"updated_at", r.str(35)},
      {"closed_at", opt_json(r.opt_str(36))},
      {"disposed_at", opt_json(r.opt_str(37))},
      {"scheme_id", opt_json(r.opt_i64(38))},
      {"number_released", r.i64(39) != 0},
  };
}

// What `view` leaves of a full record. A patron sees their own customer file in full
// (unless secret); the catalogue entry of a controlled record omits content, location
// and links.
json apply_view(json rec, RecordView view, const Actor& by) {
  if (view == RecordView::full && by.role == Role::patron) {
    rec.erase("location");
    rec.erase("legal_hold_reason");
    rec.erase("scheme_id");
    if (rec["patron_id"] != json(by.patron_id.value_or(-1))) rec["patron_id"] = nullptr;
  }
  if (view == RecordView::entry) {
    json e = json::object();
    for (auto* k : {"id", "reference_code", "title", "keywords", "creator", "year", "date_from",
                    "date_to", "fonds", "category", "access_level", "carrier", "pages", "status",
                    "rights", "embargo_until"})
      e[k] = rec[k];
    e["content_hidden"] = true;
    return e;
  }
  rec["content_hidden"] = false;
  return rec;
}

// Whether `rec` is the portal account `by`'s own customer file.
bool own_file(const Actor& by, const json& rec) {
  return by.role == Role::patron && by.patron_id && rec["patron_id"] == json(*by.patron_id);
}

// `today`: an embargo (D44) ends on its day. `granted`: the patron's grants (sorted).
RecordView view_for_record(const Actor& by, const json& rec, const std::string& today,
                           const std::vector<std::int64_t>& granted = {}) {
  if (by.role != Role::patron) return view_of(by, rec["access_level"].get<std::string>());
  bool own = own_file(by, rec);
  bool embargoed =
      rec["embargo_until"].is_string() && rec["embargo_until"].get<std::string>() > today;
  bool is_granted =
      std::binary_search(granted.begin(), granted.end(), rec["id"].get<std::int64_t>());
  return patron_view(rec["access_level"].get<std::string>(), own, embargoed, is_granted);
}

bool valid_date(const std::string& s) {
  // YYYY, YYYY-MM or YYYY-MM-DD with real months and days.
  auto digits = [&](std::size_t from, std::size_t n) {
    if (s.size() < from + n) return false;
    for (std::size_t i = from; i < from + n; ++i)
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
  };
  if (s.size() != 4 && s.size() != 7 && s.size() != 10) return false;
  if (!digits(0, 4)) return false;
  if (s.size() >= 7 && (s[4] != '-' || !digits(5, 2))) return false;
  if (s.size() == 10 && (s[7] != '-' || !digits(8, 2))) return false;
  if (s.size() >= 7) {
    int m = std::stoi(s.substr(5, 2));
    if (m < 1 || m > 12) return false;
    if (s.size() == 10) {
      int y = std::stoi(s.substr(0, 4)), d = std::stoi(s.substr(8, 2));
      static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
      if (d < 1 || d > days[m - 1] || (m == 2 && d == 29 && !leap)) return false;
    }
  }
  return true;
}

// Splits "a；b, c" into keywords.
std::vector<std::string> split_keywords(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    auto b = cur.find_first_not_of(' '), e = cur.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
    cur.clear();
  };
  for (std::size_t i = 0; i < s.size();) {
    bool sep = false;
    for (std::string_view d : {",", ";", "，", "；", "、"})
      if (s.compare(i, d.size(), d) == 0) {
        flush();
        i += d.size();
        sep = true;
        break;
      }
    if (!sep) cur.push_back(s[i++]);
  }
  flush();
  return out;
}

struct Input {
  std::optional<std::string> title, description, creator, date_from, date_to, access_level,
      carrier, reference_code, embargo_until, retention_code;
  std::optional<std::vector<std::string>> keywords;
  std::optional<std::optional<std::int64_t>> year, pages, patron_id, location_id;
  std::optional<std::int64_t> fonds_id, category_id, source_authority;
  std::optional<bool> important;
  std::optional<json> rights;
};

const std::initializer_list<std::string_view> kRecordFields = {
    "title",         "description", "keywords",       "creator",         "year",
    "date_from",     "date_to",     "fonds",          "fonds_id",        "category",
    "category_id",   "retention",   "retention_code", "access_level",    "carrier",
    "pages",         "patron_id",   "important",      "location_id",     "reference_code",
    "rights",        "embargo_until", "source_authority"};

Result<std::optional<std::optional<std::int64_t>>> nullable_int(const json& body, const char* name,
                                                                std::int64_t lo, std::int64_t hi) {
  using R = std::optional<std::optional<std::int64_t>>;
  if (!body.contains(name)) return R{};
  if (body[name].is_null()) return R{std::optional<std::int64_t>{}};
  if (!body[name].is_number_integer() || body[name].get<std::int64_t>() < lo ||
      body[name].get<std::int64_t>() > hi)
    return invalid(name, std::string(name) + " must be an integer from " + std::to_string(lo) +
                             " to " + std::to_string(hi));
  return R{body[name].get<std::int64_t>()};
}

Result<Input> parse_input(Lookup& look, const json& body, bool creating) {
  TRY_STATUS(only_fields(body, kRecordFields));
  Input in;
  in.title = TRY(opt_string(body, "title", 500));
  if (creating && (!in.title || in.title->find_first_not_of(" \t\r\n") == std::string::npos))
    return invalid("title", "title is required");
  if (in.title && in.title->find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid("title", "title cannot be empty");
  in.description = TRY(opt_string(body, "description", 20000));
  in.creator = TRY(opt_string(body, "creator", 200));
  if (body.contains("keywords") && !body["keywords"].is_null()) {
    std::vector<std::string> kws;
    if (body["keywords"].is_string()) {
      kws = split_keywords(body["keywords"].get<std::string>());
    } else if (body["keywords"].is_array()) {
      for (auto& k : body["keywords"]) {
        if (!k.is_string()) return invalid("keywords", "keywords must be strings");
        for (auto& part : split_keywords(k.get<std::string>())) kws.push_back(part);
      }
    } else {
      return invalid("keywords", "keywords must be a list of strings");
    }
    if (kws.size() > 30) return invalid("keywords", "at most 30 keywords");
    for (auto& k : kws) {
      long len = text::utf8_length(k);
      if (len < 0 || len > 50) return invalid("keywords", "a keyword has at most 50 characters");
    }
    in.keywords = kws;
  } else if (body.contains("keywords")) {
    in.keywords = std::vector<std::string>{};
  }
  in.year = TRY(nullable_int(body, "year", 1000, 9999));
  in.pages = TRY(nullable_int(body, "pages", 0, 1000000));
  in.patron_id = TRY(nullable_int(body, "patron_id", 1, INT64_MAX));
  in.location_id = TRY(nullable_int(body, "location_id", 1, INT64_MAX));
  for (auto* k : {"date_from", "date_to", "embargo_until"}) {
    auto v = TRY(opt_string(body, k, 10));
    if (v && !v->empty() && !valid_date(*v))
      return invalid(k, std::string(k) + " must be a date: YYYY, YYYY-MM or YYYY-MM-DD");
    if (v && v->empty()) v.reset();
    if (std::string_view(k) == "date_from") in.date_from = v;
    if (std::string_view(k) == "date_to") in.date_to = v;
    if (std::string_view(k) == "embargo_until") in.embargo_until = v;
  }
  if (in.date_from && in.date_to && *in.date_to < *in.date_from)
    return invalid("date_to", "date_to must not be before date_from");
  in.access_level = TRY(opt_string(body, "access_level", 20));
  if (creating && !in.access_level)
    return invalid("access_level", "access_level is required: open, controlled or secret");
  if (in.access_level && *in.access_level != "open" && *in.access_level != "controlled" &&
      *in.access_level != "secret")
    return invalid("access_level", "access_level must be open, controlled or secret");
  in.carrier = TRY(opt_string(body, "carrier", 20));
  if (in.carrier) {
    static const std::set<std::string> carriers = {"paper", "electronic", "photo",
                                                   "audio", "video",      "other"};
    if (!carriers.count(*in.carrier))
      return invalid("carrier", "carrier must be paper, electronic, photo, audio, video or other");
  }
  in.reference_code = TRY(opt_string(body, "reference_code", 100));
  if (in.reference_code) {
    auto& c = *in.reference_code;
    if (c.empty() || std::any_of(c.begin(), c.end(), [](char ch) {
          return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '{' || ch == '}';
        }))
      return invalid("reference_code", "a reference code has no spaces or braces");
  }
  if (body.contains("important")) {
    if (!body["important"].is_boolean()) return invalid("important", "must be true or false");
    in.important = body["important"].get<bool>();
  }
  if (body.contains("source_authority")) {
    auto v = TRY(nullable_int(body, "source_authority", 0, 10));
    in.source_authority = v && *v ? **v : 0;
  }
  if (body.contains("rights") && !body["rights"].is_null()) {
    const json& r = body["rights"];
    if (!r.is_object()) return invalid("rights", "rights must be an object");
    for (auto& [k, v] : r.items()) {
      if (k == "reproduction_allowed") {
        if (!v.is_boolean()) return invalid("rights", "reproduction_allowed must be true or false");
      } else if (k == "holder" || k == "licence" || k == "note") {
        if (!v.is_string() || text::utf8_length(v.get<std::string>()) > 500)
          return invalid("rights", "rights." + k + " must be text of at most 500 characters");
      } else {
        return invalid("rights", "rights has holder, licence, reproduction_allowed and note");
      }
    }
    in.rights = r;
  } else if (body.contains("rights")) {
    in.rights = json::object();
  }

  // References by id or code.
  auto ref = [&](const char* id_key, const char* code_key, auto&& exists, auto&& by_code,
                 const char* what) -> Result<std::optional<std::int64_t>> {
    if (body.contains(id_key) && !body[id_key].is_null()) {
      if (!body[id_key].is_number_integer()) return invalid(id_key, std::string(id_key) + " must be an integer");
      std::int64_t id = body[id_key].get<std::int64_t>();
      if (!TRY(exists(id))) return invalid(id_key, std::string("no such ") + what);
      return std::optional<std::int64_t>{id};
    }
    if (body.contains(code_key) && !body[code_key].is_null()) {
      if (!body[code_key].is_string()) return invalid(code_key, std::string(code_key) + " must be a code");
      auto id = TRY(by_code(body[code_key].get<std::string>()));
      if (!id) return invalid(code_key, std::string("no ") + what + " with code " + body[code_key].get<std::string>());
      return id;
    }
    return std::optional<std::int64_t>{};
  };
  in.fonds_id = TRY(ref(
      "fonds_id", "fonds", [&](std::int64_t id) { return look.fonds_exists(id); },
      [&](const std::string& code) { return look.fonds_by_code(code); }, "fonds"));
  // A category code names a top-level category or, as "WS.BG", a path of codes.
  if (body.contains("category") && !body["category"].is_null() && !body.contains("category_id")) {
    if (!body["category"].is_string()) return invalid("category", "category must be a code");
    std::string path = body["category"].get<std::string>();
    std::optional<std::int64_t> at;
    std::size_t i = 0;
    while (i <= path.size()) {
      auto dot = path.find('.', i);
      std::string code = path.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
      auto id = TRY(look.category_by_code(at, code));
      if (!id) return invalid("category", "no category with code " + path);
      at = *id;
      if (dot == std::string::npos) break;
      i = dot + 1;
    }
    in.category_id = at;
  } else {
    auto exists = [&](std::int64_t id) { return look.category_exists(id); };
    // Only by id: the code branch is never reached (the id branch answers first).
    in.category_id = TRY(ref(
        "category_id", "category_id", exists,
        [&](const std::string&) -> Result<std::optional<std::int64_t>> {
          return std::optional<std::int64_t>{};
        },
        "category"));
  }
  auto retention = TRY(opt_string(body, body.contains("retention_code") ? "retention_code" : "retention", 32));
  if (retention) {
    auto code = TRY(look.retention_code(*retention));
    if (!code)
      return invalid(body.contains("retention_code") ? "retention_code" : "retention",
                     "no retention period " + *retention);
    in.retention_code = *code;
  }
  if (in.patron_id && *in.patron_id) {
    auto status = TRY(look.patron_status(**in.patron_id));
    if (status != std::optional<std::string>("active"))
      return invalid("patron_id", "must be an active patron");
  }
  if (in.location_id && *in.location_id) {
    if (!TRY(look.location_exists(**in.location_id)))
      return invalid("location_id", "no such location");
  }
  return in;
}

Result<std::optional<std::string>> retention_until(Lookup& look, const std::string& code,
                                                   std::optional<std::int64_t> year) {
  auto years = TRY(look.retention_years(code));
  if (!years || !year) return std::optional<std::string>{};
  // Counted from 1 January after the filing year: it ends on 31 December of year + N.
  return std::optional<std::string>{std::to_string(*year + *years) + "-12-31"};
}

Result<CodeParts> code_parts(Lookup& look, const Actor& by, std::int64_t fonds_id,
                             std::int64_t category_id, const std::string& retention,
                             std::int64_t year, std::optional<std::int64_t> location_id,
                             const std::string& tmpl) {
  CodeParts p;
  std::tie(p.fonds, p.unit) = TRY(look.fonds_codes(fonds_id));
  if (p.unit.empty() && by.unit_id) {
    auto u = TRY(look.unit_code(*by.unit_id));
    if (u) p.unit = *u;
  }
  auto path = TRY(look.category_path(category_id));
  for (auto id : path) {
    std::string code = TRY(look.category_code(id));
    if (!p.category_path.empty()) p.category_path += ".";
    p.category_path += code;
    p.category = code;
  }
  p.year = std::to_string(year);
  p.retention = retention;
  if (location_id) {
    auto [cabinet, box] = TRY(look.cabinet_and_box(*location_id));
    p.cabinet = cabinet;
    p.box = box;
  }
  for (auto& name : template_placeholders(tmpl)) {
    if (name == "unit" && p.unit.empty())
      return invalid("fonds_id", "the reference-code scheme needs a unit code: give the fonds a unit");
    if (name == "cabinet" && p.cabinet.empty())
      return invalid("location_id", "the reference-code scheme needs a cabinet: give a location_id in a cabinet");
    if (name == "box" && p.box.empty())
      return invalid("location_id", "the reference-code scheme needs a box: give a location_id in a box");
  }
  return p;
}

// The fonds and category a record gets when its body names none.
Result<std::int64_t> default_fonds(Lookup& look, const Config& config) {
  auto id = TRY(look.fonds_by_code(config.default_fonds));
  if (!id) return invalid("fonds", "the default fonds " + config.default_fonds + " is missing");
  return *id;
}

Result<std::int64_t> default_category(Lookup& look, const Config& config) {
  auto id = TRY(look.category_by_code(std::nullopt, config.default_category));
  if (!id)
    return invalid("category",
                   "the default category " + config.default_category + " is missing");
  return *id;
}

}  // namespace

// ---- search documents ------------------------------------------------------------------

Result<search::Document> Service::document_of(store::Tx& tx, std::int64_t id) {
  auto row = TRY(tx.maybe_one(std::string(kRecordSelect) + " WHERE r.id = ?", {id}));
  if (!row) return not_found("no record with id " + std::to_string(id));
  json rec = record_json(*row);
  search::Document d;
  d.kind = "record";
  d.id = id;
  d.reference_code = rec["reference_code"];
  d.title = rec["title"];
  d.description = rec["description"];
  d.creator = rec["creator"];
  for (auto& k : rec["keywords"]) d.keywords.push_back(k.get<std::string>());
  auto texts = TRY(tx.query(
      "SELECT b.text FROM attachments a JOIN blobs b ON b.sha256 = a.sha256 WHERE a.record_id = ? "
      "AND a.removed = 0 AND b.text IS NOT NULL ORDER BY a.id",
      {id}));
  for (auto& t : texts) {
    if (!d.content.empty()) d.content += "\n";
    d.content += t.str(0);
  }
  d.fonds_id = rec["fonds"]["id"];
  d.category_id = rec["category"]["id"];
  d.category_path = TRY(category_path_ids(tx, d.category_id));
  if (rec["year"].is_number_integer()) d.year = rec["year"].get<int>();
  d.access_level = rec["access_level"];
  // Under embargo an open record is, for patrons, a catalogue entry only: index it as
  // controlled until then (lift_embargoes, which the server runs as the day changes,
  // re-indexes it on the day).
  if (d.access_level == "open" && rec["embargo_until"].is_string() &&
      rec["embargo_until"].get<std::string>() > today_text(clock_))
    d.access_level = "controlled";
  d.carrier = rec["carrier"];
  d.important = rec["important"];
  d.use_count = rec["use_count"];
  d.source_authority = rec["source_authority"].get<int>();
  d.updated_at = rec["updated_at"];
  auto cited = TRY(tx.one("SELECT COUNT(*) FROM record_relations WHERE related_id = ?", {id}, "count"));
  d.cited_by = cited.i64(0);
  return d;
}

namespace {

Status reindex_one(Service& s, store::Tx& tx, std::int64_t id) {
  auto doc = TRY(s.document_of(tx, id));
  return search::upsert(tx, doc);
}

}  // namespace

// ---- create ----------------------------------------------------------------------------

namespace detail {

Result<NewRecord> check_new_record(Lookup& look, const Actor& by, const json& body,
                                   const Config& config, const std::string& now) {
  Input in = TRY(parse_input(look, body, true));
  NewRecord r;
  r.fonds_id = in.fonds_id ? *in.fonds_id : TRY(default_fonds(look, config));
  r.category_id = in.category_id ? *in.category_id : TRY(default_category(look, config));
  r.retention = in.retention_code.value_or(config.default_retention);
  r.now = now;
  // The filing year (年度): given, else the start date's, else this year.
  std::optional<std::int64_t> year = in.year ? *in.year : std::nullopt;
  if (!year && in.date_from) year = std::stoll(in.date_from->substr(0, 4));
  if (!year) year = std::stoll(now.substr(0, 4));
  r.year = *year;
  r.location_id = in.location_id ? *in.location_id : std::nullopt;
  r.scheme = TRY(look.scheme_for(r.fonds_id, r.category_id));
  r.parts = TRY(code_parts(look, by, r.fonds_id, r.category_id, r.retention, r.year, r.location_id,
                           r.scheme.tmpl));
  r.reference_code = in.reference_code;
  r.retention_until = TRY(retention_until(look, r.retention, year));
  r.title = *in.title;
  r.description = in.description.value_or("");
  r.creator = in.creator.value_or("");
  r.keywords = in.keywords.value_or(std::vector<std::string>{});
  r.keywords_json = json(r.keywords).dump();
  r.date_from = in.date_from;
  r.date_to = in.date_to;
  r.access_level = *in.access_level;
  r.carrier = in.carrier.value_or("paper");
  r.pages = in.pages ? *in.pages : std::nullopt;
  r.patron_id = in.patron_id ? *in.patron_id : std::nullopt;
  r.important = in.important.value_or(false);
  r.rights_json = in.rights.value_or(json::object()).dump();
  r.embargo_until = in.embargo_until;
  r.source_authority = in.source_authority.value_or(0);
  return r;
}

const char* const kRecordInsert =
    "INSERT INTO records (reference_code, scheme_id, series, seq, title, description, keywords, "
    "creator, year, date_from, date_to, fonds_id, category_id, retention_code, retention_until, "
    "access_level, location_id, carrier, pages, patron_id, important, rights, embargo_until, "
    "source_authority, unit_id, created_by, created_at, updated_at)";

void record_values(store::Params& out, const NewRecord& r, const Numbered& n, const Actor& by) {
  out.insert(out.end(),
             {n.code, r.scheme.id, n.series, n.seq ? store::Value(n.seq) : store::null_value(),
              r.title, r.description, r.keywords_json, r.creator, r.year, store::opt(r.date_from),
              store::opt(r.date_to), r.fonds_id, r.category_id, r.retention,
              store::opt(r.retention_until), r.access_level, store::opt(r.location_id), r.carrier,
              store::opt(r.pages), store::opt(r.patron_id), std::int64_t{r.important},
              r.rights_json, store::opt(r.embargo_until), r.source_authority,
              store::opt(by.unit_id), by.user_id ? store::Value(by.user_id) : store::null_value(),
              r.now, r.now});
}

search::Document new_document(const NewRecord& r, std::int64_t id, const std::string& code,
                              const std::vector<std::int64_t>& category_path,
                              const std::string& today) {
  search::Document d;
  d.kind = "record";
  d.id = id;
  d.reference_code = code;
  d.title = r.title;
  d.description = r.description;
  d.creator = r.creator;
  d.keywords = r.keywords;
  d.fonds_id = r.fonds_id;
  d.category_id = r.category_id;
  d.category_path = category_path;
  d.year = static_cast<int>(r.year);
  d.access_level = r.access_level;
  // As document_of: under embargo an open record is indexed as controlled.
  if (d.access_level == "open" && r.embargo_until && *r.embargo_until > today)
    d.access_level = "controlled";
  d.carrier = r.carrier;
  d.important = r.important;
  d.source_authority = static_cast<int>(r.source_authority);
  d.updated_at = r.now;
  return d;
}

audit::Entry create_entry(const NewRecord& r, std::int64_t id, const Numbered& n) {
  json detail = {{"reference_code", n.code}};
  if (n.released_id) detail["reused_number"] = true;
  return {"record.create", "record", std::to_string(id), r.patron_id, "", detail};
}

Status created_event(store::Tx& tx, const Actor& by, const NewRecord& r, std::int64_t id,
                     const std::string& code, const Clock& clock) {
  if (!r.patron_id) return {};
  TRY(timeline::append(tx, by,
                       {*r.patron_id, "record.created", "档案 " + code + " " + r.title,
                        {{"reference_code", code}}, "record", std::to_string(id)},
                       clock));
  return {};
}

}  // namespace detail

Result<json> Service::create_record_in(store::Tx& tx, const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  Lookup look(tx);
  NewRecord r = TRY(check_new_record(look, by, body, config_, now_text(clock_)));
  Numbered n;
  if (r.reference_code) {
    n.code = *r.reference_code;
    n.series = render_series(r.scheme.tmpl, r.parts);
    if (auto seq = seq_in_series(n.series, n.code)) {
      n.seq = *seq;
      TRY_STATUS(claim_number(tx, r.scheme, n.series, *seq));
    } else {
      n.series.clear();
    }
  } else {
    n = TRY(take_number(tx, r.scheme, r.parts, r.now));
  }
  if (TRY(tx.maybe_one("SELECT id FROM records WHERE reference_code = ? AND number_released = 0",
                       {n.code})))
    return conflict("reference code " + n.code + " is already used", "reference_code");
  store::Params values;
  record_values(values, r, n, by);
  auto row = TRY(tx.one(std::string(kRecordInsert) +
                            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                            "RETURNING id",
                        values, "record"));
  std::int64_t id = row.i64(0);
  TRY_STATUS(attach_reused_number(tx, n, id));
  if (r.location_id)
    TRY(tx.exec("INSERT INTO record_moves (record_id, from_location_id, to_location_id, reason, "
                "moved_by, moved_at) VALUES (?, NULL, ?, 'filed', ?, ?)",
                {id, *r.location_id, by.user_id ? store::Value(by.user_id) : store::null_value(),
                 r.now}));
  TRY_STATUS(audit::append(tx, by, create_entry(r, id, n), clock_));
  TRY_STATUS(created_event(tx, by, r, id, n.code, clock_));
  TRY_STATUS(reindex_one(*this, tx, id));
  auto out = TRY(tx.one(std::string(kRecordSelect) + " WHERE r.id = ?", {id}, "record"));
  return apply_view(record_json(out), RecordView::full, by);
}

Result<json> Service::create_record(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto rec = TRY(create_record_in(*tx, by, body));
  TRY_STATUS(tx->commit());
  return rec;
}

// ---- read ------------------------------------------------------------------------------

namespace {

Result<json> load_full(store::Tx& tx, std::int64_t id) {
  auto row = TRY(tx.maybe_one(std::string(kRecordSelect) + " WHERE r.id = ?", {id}));
  if (!row) return not_found("no record with id " + std::to_string(id));
  return record_json(*row);
}

}  // namespace

Result<std::vector<std::int64_t>> Service::grants_of(store::Tx& tx, const Actor& by) {
  if (by.role != Role::patron || !by.patron_id || !grants_) return std::vector<std::int64_t>{};
  auto ids = TRY(grants_(tx, *by.patron_id));
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::vector<std::int64_t>> Service::content_granted(const Actor& patron) {
  std::vector<std::int64_t> out;
  if (patron.role != Role::patron || !patron.patron_id) return out;
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto granted = TRY(grants_of(*tx, patron));
  std::string today = today_text(clock_);
  // Own customer files first (the records_patron index): those search indexes as
  // controlled (controlled ones, and open ones under embargo); then the grants, each
  // checked against patron_view as the record view would.
  auto own = TRY(tx->query(
      "SELECT id FROM records WHERE patron_id = ? AND status = 'active' AND (access_level = "
      "'controlled' OR (access_level = 'open' AND embargo_until > ?))",
      {*patron.patron_id, today}));
  for (const auto& r : own) out.push_back(r.i64(0));
  if (!granted.empty()) {
    store::Params p;
    auto rows = TRY(tx->query("SELECT id, access_level, embargo_until FROM records WHERE id IN " +
                                  store::in_ids(granted, p) +
                                  " AND access_level = 'controlled' AND status = 'active'",
                              p));
    for (const auto& r : rows) {
      bool embargoed = !r.is_null(2) && r.str(2) > today;
      if (patron_view(r.str(1), false, embargoed, true) == RecordView::full)
        out.push_back(r.i64(0));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<json> Service::get_record(const Actor& by, std::int64_t id) {
  TRY_STATUS(may_read(by));
  auto tx = TRY(db_.begin(store::TxMode::read));
  json rec = TRY(load_full(*tx, id));
  auto view = view_for_record(by, rec, today_text(clock_), TRY(grants_of(*tx, by)));
  if (view == RecordView::none) return not_found("no record with id " + std::to_string(id));
  if (view == RecordView::full) {
    auto rel = TRY(tx->query(
        "SELECT rr.id, rr.kind, rr.record_id, rr.related_id, r.reference_code, r.title, "
        "r.access_level FROM record_relations rr JOIN records r ON r.id = CASE WHEN "
        "rr.record_id = ? THEN rr.related_id ELSE rr.record_id END WHERE rr.record_id = ? OR "
        "rr.related_id = ? ORDER BY rr.id",
        {id, id, id}));
    json relations = json::array();
    for (auto& r : rel) {
      if (view_of(by, r.str(6)) == RecordView::none) continue;
      bool outgoing = r.i64(2) == id;
      relations.push_back({{"id", r.i64(0)},
                           {"kind", r.str(1)},
                           {"direction", outgoing ? "outgoing" : "incoming"},
                           {"record", {{"id", outgoing ? r.i64(3) : r.i64(2)},
                                       {"reference_code", r.str(4)},
                                       {"title", r.str(5)}}}});
    }
    rec["relations"] = relations;
    auto att = TRY(tx->one("SELECT COUNT(*) FROM attachments WHERE record_id = ? AND removed = 0",
                           {id}, "count"));
    rec["attachment_count"] = att.i64(0);
  }
  // A customer file is personal data of its patron: its reads are audited, a portal
  // account's too unless the file is its own (one lent to another patron, say).
  if (rec["patron_id"].is_number_integer() && !own_file(by, rec))
    reads_.record(by, {"record.read", "record", std::to_string(id),
                       rec["patron_id"].get<std::int64_t>()});
  if (by.role == Role::patron && on_patron_view_) on_patron_view_(by, id);
  return apply_view(std::move(rec), view, by);
}

Result<json> Service::get_record_by_code(const Actor& by, const std::string& code) {
  TRY_STATUS(may_read(by));
  std::int64_t id = 0;
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    // The record holding the number now, else the newest one that held it.
    auto row = TRY(tx->maybe_one(
        "SELECT id FROM records WHERE reference_code = ? ORDER BY number_released, id DESC LIMIT 1",
        {code}));
    if (!row) return not_found("no record with reference code " + code);
    id = row->i64(0);
  }
  return get_record(by, id);
}

// ---- update ----------------------------------------------------------------------------

Result<json> Service::update_record(const Actor& by, std::int64_t id, const json& body,
                                    std::optional<std::int64_t> expected_version) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  if (body.contains("reference_code"))
    return invalid("reference_code", "a reference code never changes once given");
  auto tx = TRY(db_.begin(store::TxMode::write));
  json rec = TRY(load_full(*tx, id));
  if (view_of(by, rec["access_level"]) == RecordView::none)
    return not_found("no record with id " + std::to_string(id));
  if (rec["status"] == "disposed") return conflict("this record was disposed of");
  if (expected_version && *expected_version != rec["version"].get<std::int64_t>())
    return conflict("the record changed since you read it (version " +
                        std::to_string(rec["version"].get<std::int64_t>()) + "); reload and retry",
                    "version");
  Lookup look(*tx);
  Input in = TRY(parse_input(look, body, false));
  if (in.access_level == std::optional<std::string>("secret") &&
      !auth::allowed(by.role, auth::Permission::record_secret) && by.role != Role::system)
    return forbidden("only roles that see secret records may make one secret");
  if (in.location_id) return invalid("location_id", "move a record with POST /records/{id}/move");
  std::string set;
  store::Params params;
  std::vector<std::string> changed;
  auto put = [&](const char* col, store::Value v) {
    set += std::string(", ") + col + " = ?";
    params.push_back(std::move(v));
    changed.push_back(col);
  };
  if (in.title) put("title", *in.title);
  if (in.description) put("description", *in.description);
  if (in.keywords) put("keywords", json(*in.keywords).dump());
  if (in.creator) put("creator", *in.creator);
  if (in.date_from || body.contains("date_from")) put("date_from", store::opt(in.date_from));
  if (in.date_to || body.contains("date_to")) put("date_to", store::opt(in.date_to));
  if (in.access_level) put("access_level", *in.access_level);
  if (in.carrier) put("carrier", *in.carrier);
  if (in.pages) put("pages", store::opt(*in.pages));
  if (in.patron_id) put("patron_id", store::opt(*in.patron_id));
  if (in.important) put("important", std::int64_t{*in.important});
  if (in.rights) put("rights", in.rights->dump());
  if (in.embargo_until || body.contains("embargo_until"))
    put("embargo_until", store::opt(in.embargo_until));
  if (in.source_authority) put("source_authority", *in.source_authority);
  if (in.fonds_id) put("fonds_id", *in.fonds_id);
  if (in.category_id) put("category_id", *in.category_id);
  std::optional<std::int64_t> year =
      rec["year"].is_number_integer() ? std::optional<std::int64_t>(rec["year"].get<std::int64_t>())
                                      : std::nullopt;
  if (in.year) {
    if (!*in.year) return invalid("year", "a record keeps its filing year");
    year = **in.year;
    put("year", *year);
  }
  std::string retention = rec["retention"]["code"];
  if (in.retention_code) {
    retention = *in.retention_code;
    put("retention_code", retention);
  }
  if (in.year || in.retention_code) put("retention_until", store::opt(TRY(retention_until(look, retention, year))));
  if (changed.empty()) return invalid("body", "nothing to change");
  params.push_back(now_text(clock_));
  params.push_back(id);
  TRY(tx->exec("UPDATE records SET " + set.substr(2) + ", updated_at = ?, version = version + 1 WHERE id = ?",
               params));
  json detail = {{"fields", changed}};
  if (in.access_level && *in.access_level != rec["access_level"])
    detail["access_level"] = {rec["access_level"], *in.access_level};
  std::optional<std::int64_t> patron = rec["patron_id"].is_number_integer()
                                           ? std::optional<std::int64_t>(rec["patron_id"].get<std::int64_t>())
                                           : std::nullopt;
  TRY_STATUS(audit::append(*tx, by, {"record.update", "record", std::to_string(id), patron, "", detail},
                           clock_));
  TRY_STATUS(reindex_one(*this, *tx, id));
  json out = TRY(load_full(*tx, id));
  TRY_STATUS(tx->commit());
  return apply_view(std::move(out), RecordView::full, by);
}

// ---- list ------------------------------------------------------------------------------

Result<json> Service::list_records(const Actor& by, const RecordQuery& q) {
  TRY_STATUS(may_read(by));
  static const std::map<std::string, std::string> sorts = {{"id", "r.id"},
                                                           {"reference_code", "r.reference_code"},
                                                           {"title", "r.title"},
                                                           {"year", "r.year"},
                                                           {"updated_at", "r.updated_at"}};
  bool desc = !q.sort.empty() && q.sort[0] == '-';
  auto it = sorts.find(desc ? q.sort.substr(1) : q.sort);
  if (it == sorts.end())
    return invalid("sort", "must be one of id, reference_code, title, year, updated_at (prefix - to reverse)");
  const std::string& col = it->second;
  if (q.access_level && *q.access_level != "open" && *q.access_level != "controlled" &&
      *q.access_level != "secret")
    return invalid("access_level", "must be open, controlled or secret");
  if (q.status && *q.status != "active" && *q.status != "closed" && *q.status != "disposed")
    return invalid("status", "must be active, closed or disposed");
  std::string where = " WHERE 1 = 1";
  store::Params params;
  bool secret_ok = by.role == Role::system || auth::allowed(by.role, auth::Permission::record_secret);
  if (!secret_ok) where += " AND r.access_level <> 'secret'";
  if (q.fonds_id) where += " AND r.fonds_id = ?", params.push_back(*q.fonds_id);
  if (q.patron_id) where += " AND r.patron_id = ?", params.push_back(*q.patron_id);
  if (q.location_id) where += " AND r.location_id = ?", params.push_back(*q.location_id);
  if (q.year_from) where += " AND r.year >= ?", params.push_back(std::int64_t{*q.year_from});
  if (q.year_to) where += " AND r.year <= ?", params.push_back(std::int64_t{*q.year_to});
  if (q.access_level) where += " AND r.access_level = ?", params.push_back(*q.access_level);
  if (q.carrier) where += " AND r.carrier = ?", params.push_back(*q.carrier);
  where += " AND r.status = ?", params.push_back(q.status.value_or("active"));
  if (q.reference_code_prefix)
    where += " AND r.reference_code LIKE ? ESCAPE '\\'",
        params.push_back(like_escape(*q.reference_code_prefix) + "%");
  auto tx = TRY(db_.begin(store::TxMode::read));
  if (q.category_id) {
    auto c = TRY(tx->maybe_one("SELECT path FROM categories WHERE id = ?", {*q.category_id}));
    if (!c) return invalid("category_id", "no such category");
    where += " AND c.path LIKE ? ESCAPE '\\'";
    params.push_back(like_escape(c->str(0)) + "%");
  }
  // The cursor is the last id when sorting by id, else [key, id] of the last row (a year as
  // its decimal text; NULL years sort as 0 so the order is total).
  if (col == "r.id") {
    if (auto after = TRY(cursor::parse_id(q.cursor)))
      where += store::after_id("r.id", *after, desc, params);
  } else if (auto after = TRY(col == "r.updated_at" ? cursor::parse_time_key(q.cursor)
                                                    : cursor::parse_key(q.cursor))) {
    if (col == "r.year") {
      std::int64_t year = 0;
      const auto& v = after->value;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), year);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size())
        return std::unexpected(cursor::malformed());
      where += " AND (COALESCE(r.year, 0) " + std::string(desc ? "<" : ">") +
               " ? OR (COALESCE(r.year, 0) = ? AND r.id " + (desc ? "<" : ">") + " ?))";
      params.insert(params.end(), {year, year, after->id});
    } else {
      where += store::after_key(col, "r.id", *after, desc, params);
    }
  }
  std::string order = col == "r.id" ? "r.id" : (col == "r.year" ? "COALESCE(r.year, 0)" : col) +
                                                   std::string(desc ? " DESC" : "") + ", r.id";
  std::string sql = std::string(kRecordSelect) + where + " ORDER BY " + order +
                    (desc ? " DESC" : "") + " LIMIT ?";
  params.push_back(static_cast<std::int64_t>(q.limit + 1));
  auto rows = TRY(tx->query(sql, params));
  json items = json::array();
  std::size_t n = std::min<std::size_t>(rows.size(), static_cast<std::size_t>(q.limit));
  // The WHERE above leaves out what the viewer may not see at all (secret records without
  // record_secret; the roles with it see them whole), so every row is shown. Should a rule
  // ever hide a row here instead, the page ends without a cursor: the cursor is made of the
  // last row's sort key, and a hidden row's title must not reach the viewer through it.
  bool hidden_row = false;
  auto granted = TRY(grants_of(*tx, by));
  // Customer files are personal data of their patrons: a list of them is audited as a
  // read of each patron listed (once per patron per page), but a portal account's own.
  std::set<std::int64_t> patrons_seen;
  for (std::size_t i = 0; i < n; ++i) {
    json rec = record_json(rows[i]);
    auto view = view_for_record(by, rec, today_text(clock_), granted);
    if (view == RecordView::none) {
      hidden_row = true;
      continue;
    }
    if (rec["patron_id"].is_number_integer() && !own_file(by, rec))
      patrons_seen.insert(rec["patron_id"].get<std::int64_t>());
    items.push_back(apply_view(std::move(rec), view, by));
  }
  for (auto p : patrons_seen) reads_.record(by, {"record.list", "patron", std::to_string(p), p});
  json out = {{"items", items}, {"next_cursor", nullptr}};
  if (hidden_row) {
    spdlog::error("event=record_list_hidden_row role={} message=\"a listed record was not "
                  "visible to its viewer; the page ends without a cursor\"",
                  to_string(by.role));
  } else if (rows.size() > n && n > 0) {
    auto& last = rows[n - 1];
    std::string key = col == "r.year"         ? std::to_string(last.opt_i64(6).value_or(0))
                      : col == "r.title"      ? last.str(2)
                      : col == "r.updated_at" ? last.str(35)
                                              : last.str(1);
    out["next_cursor"] =
        col == "r.id" ? cursor::encode_id(last.i64(0)) : cursor::encode_key(key, last.i64(0));
  }
  return out;
}

// ---- close, legal hold, relations, uses --------------------------------------------------

Result<json> Service::close_record(const Actor& by, std::int64_t id, const std::string& reason) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  if (reason.empty()) return invalid("reason", "say why the file is closed");
  auto tx = TRY(db_.begin(store::TxMode::write));
  json rec = TRY(load_full(*tx, id));
  if (view_of(by, rec["access_level"]) == RecordView::none)
    return not_found("no record with id " + std::to_string(id));
  if (rec["status"] != "active") return conflict("this record is " + rec["status"].get<std::string>());
  std::string now = now_text(clock_);
  json detail = {{"reference_code", rec["reference_code"]}};
  // Closed files leave the active series: the shelf place is freed (顶号换空间), and a
  // scheme that reuses numbers gets this one back.
  if (rec["location"].is_object()) {
    TRY(tx->exec("INSERT INTO record_moves (record_id, from_location_id, to_location_id, reason, "
                 "moved_by, moved_at) VALUES (?, ?, NULL, ?, ?, ?)",
                 {id, rec["location"]["id"].get<std::int64_t>(), "closed: " + reason,
                  by.user_id ? store::Value(by.user_id) : store::null_value(), now}));
    detail["freed_location_id"] = rec["location"]["id"];
  }
  if (rec["scheme_id"].is_number_integer()) {
    auto scheme = TRY(load_scheme(*tx, rec["scheme_id"].get<std::int64_t>()));
    auto num = TRY(tx->one("SELECT series, seq FROM records WHERE id = ?", {id}, "record"));
    if (scheme.reuse_numbers && !num.is_null(1) && !num.str(0).empty()) {
      TRY(tx->exec("INSERT INTO released_numbers (scheme_id, series, seq, reference_code, "
                   "released_by_record, released_at) VALUES (?,?,?,?,?,?)",
                   {scheme.id, num.str(0), num.i64(1), rec["reference_code"].get<std::string>(), id,
                    now}));
      TRY(tx->exec("UPDATE records SET number_released = 1 WHERE id = ?", {id}));
      detail["number_released"] = true;
    }
  }
  TRY(tx->exec("UPDATE records SET status = 'closed', closed_at = ?, location_id = NULL, "
               "updated_at = ?, version = version + 1 WHERE id = ?",
               {now, now, id}));
  std::optional<std::int64_t> patron = rec["patron_id"].is_number_integer()
                                           ? std::optional<std::int64_t>(rec["patron_id"].get<std::int64_t>())
                                           : std::nullopt;
  TRY_STATUS(audit::append(*tx, by, {"record.close", "record", std::to_string(id), patron, reason, detail},
                           clock_));
  if (patron)
    TRY(timeline::append(*tx, by,
                         {*patron, "record.closed", "档案 " + rec["reference_code"].get<std::string>() + " 销户",
                          detail, "record", std::to_string(id)},
                         clock_));
  TRY_STATUS(reindex_one(*this, *tx, id));
  json out = TRY(load_full(*tx, id));
  TRY_STATUS(tx->commit());
  return apply_view(std::move(out), RecordView::full, by);
}

Result<json> Service::set_legal_hold(const Actor& by, std::int64_t id, bool hold,
                                     const std::string& reason) {
  TRY_STATUS(staff_may(by, auth::Permission::appraisal_decide));
  if (reason.empty()) return invalid("reason", "say why");
  auto tx = TRY(db_.begin(store::TxMode::write));
  json rec = TRY(load_full(*tx, id));
  if (rec["status"] == "disposed") return conflict("this record was disposed of");
  TRY(tx->exec("UPDATE records SET legal_hold = ?, legal_hold_reason = ?, updated_at = ?, "
               "version = version + 1 WHERE id = ?",
               {std::int64_t{hold}, hold ? store::Value(reason) : store::null_value(),
                now_text(clock_), id}));
  TRY_STATUS(audit::append(*tx, by,
                           {hold ? "record.legal_hold" : "record.legal_hold_release", "record",
                            std::to_string(id), std::nullopt, reason},
                           clock_));
  json out = TRY(load_full(*tx, id));
  TRY_STATUS(tx->commit());
  return apply_view(std::move(out), RecordView::full, by);
}

Result<json> Service::add_relation(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  TRY_STATUS(only_fields(body, {"related_id", "kind"}));
  if (!body.contains("related_id") || !body["related_id"].is_number_integer())
    return invalid("related_id", "related_id is required");
  std::int64_t other = body["related_id"].get<std::int64_t>();
  if (!body.contains("kind") || !body["kind"].is_string())
    return invalid("kind", "kind is required: cites, refers_to or part_of");
  std::string kind = body["kind"].get<std::string>();
  if (kind != "cites" && kind != "refers_to" && kind != "part_of")
    return invalid("kind", "kind must be cites, refers_to or part_of");
  if (other == id) return invalid("related_id", "a record cannot relate to itself");
  auto tx = TRY(db_.begin(store::TxMode::write));
  json rec = TRY(load_full(*tx, id));
  if (view_of(by, rec["access_level"]) == RecordView::none)
    return not_found("no record with id " + std::to_string(id));
  auto o = TRY(tx->maybe_one("SELECT access_level FROM records WHERE id = ?", {other}));
  if (!o || view_of(by, o->str(0)) == RecordView::none)
    return invalid("related_id", "no such record");
  if (TRY(tx->maybe_one("SELECT id FROM record_relations WHERE record_id = ? AND related_id = ? AND kind = ?",
                        {id, other, kind})))
    return conflict("this relation exists");
  auto row = TRY(tx->one("INSERT INTO record_relations (record_id, related_id, kind, created_at) "
                         "VALUES (?,?,?,?) RETURNING id",
                         {id, other, kind, now_text(clock_)}, "relation"));
  TRY_STATUS(audit::append(*tx, by,
                           {"record.relate", "record", std::to_string(id), std::nullopt, "",
                            {{"related_id", other}, {"kind", kind}}},
                           clock_));
  // Being cited is an importance signal of the other record.
  TRY_STATUS(reindex_one(*this, *tx, other));
  TRY_STATUS(tx->commit());
  return json{{"id", row.i64(0)}, {"record_id", id}, {"related_id", other}, {"kind", kind}};
}

Status Service::remove_relation(const Actor& by, std::int64_t id, std::int64_t relation_id) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row = TRY(tx->maybe_one(
      "SELECT related_id FROM record_relations WHERE id = ? AND record_id = ?", {relation_id, id}));
  if (!row) return not_found("no such relation on this record");
  TRY(tx->exec("DELETE FROM record_relations WHERE id = ?", {relation_id}));
  TRY_STATUS(audit::append(*tx, by,
                           {"record.unrelate", "record", std::to_string(id), std::nullopt, "",
                            {{"related_id", row->i64(0)}}},
                           clock_));
  TRY_STATUS(reindex_one(*this, *tx, row->i64(0)));
  return tx->commit();
}

Status Service::count_use(std::int64_t id) {
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row = TRY(tx->maybe_one(
      "UPDATE records SET use_count = use_count + 1 WHERE id = ? AND status <> 'disposed' "
      "RETURNING use_count, important",
      {id}));
  if (!row) return not_found("no record with id " + std::to_string(id));
  auto cited = TRY(tx->one("SELECT COUNT(*) FROM record_relations WHERE related_id = ?", {id}, "count"));
  TRY_STATUS(search::update_signals(*tx, "record", id, row->i64(0), cited.i64(0), row->i64(1) != 0));
  return tx->commit();
}

// ---- moves -----------------------------------------------------------------------------

Result<json> Service::move_record(const Actor& by, std::int64_t id, std::int64_t location_id,
                                  const std::string& reason) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  auto tx = TRY(db_.begin(store::TxMode::write));
  json rec = TRY(load_full(*tx, id));
  if (view_of(by, rec["access_level"]) == RecordView::none)
    return not_found("no record with id " + std::to_string(id));
  if (rec["status"] == "disposed") return conflict("this record was disposed of");
  auto loc = TRY(tx->maybe_one(
      "SELECT l.capacity, (SELECT COUNT(*) FROM records r WHERE r.location_id = l.id) FROM "
      "locations l WHERE l.id = ?",
      {location_id}));
  if (!loc) return invalid("location_id", "no such location");
  std::optional<std::int64_t> from = rec["location"].is_object()
                                         ? std::optional<std::int64_t>(rec["location"]["id"].get<std::int64_t>())
                                         : std::nullopt;
  if (from == location_id) return conflict("the record is already there");
  if (auto cap = loc->opt_i64(0); cap && loc->i64(1) >= *cap)
    return conflict("that location is full (" + std::to_string(*cap) + " records)", "location_id");
  std::string now = now_text(clock_);
  TRY(tx->exec("INSERT INTO record_moves (record_id, from_location_id, to_location_id, reason, "
               "moved_by, moved_at) VALUES (?,?,?,?,?,?)",
               {id, store::opt(from), location_id, reason,
                by.user_id ? store::Value(by.user_id) : store::null_value(), now}));
  TRY(tx->exec("UPDATE records SET location_id = ?, updated_at = ?, version = version + 1 WHERE id = ?",
               {location_id, now, id}));
  TRY_STATUS(audit::append(*tx, by,
                           {"record.move", "record", std::to_string(id), std::nullopt, reason,
                            {{"from", from ? json(*from) : json()}, {"to", location_id}}},
                           clock_));
  json out = TRY(load_full(*tx, id));
  TRY_STATUS(tx->commit());
  return apply_view(std::move(out), RecordView::full, by);
}

Result<json> Service::record_moves(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  json rec = TRY(load_full(*tx, id));
  if (view_of(by, rec["access_level"]) == RecordView::none)
    return not_found("no record with id " + std::to_string(id));
  auto rows = TRY(tx->query(
      "SELECT m.id, m.from_location_id, lf.label, m.to_location_id, lt.label, m.reason, u.username, "
      "m.moved_at FROM record_moves m LEFT JOIN locations lf ON lf.id = m.from_location_id "
      "LEFT JOIN locations lt ON lt.id = m.to_location_id LEFT JOIN users u ON u.id = m.moved_by "
      "WHERE m.record_id = ? ORDER BY m.id",
      {id}));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"id", r.i64(0)},
                     {"from", r.opt_i64(1) ? json{{"id", r.i64(1)}, {"label", r.str(2)}} : json()},
                     {"to", r.opt_i64(3) ? json{{"id", r.i64(3)}, {"label", r.str(4)}} : json()},
                     {"reason", r.str(5)},
                     {"moved_by", r.opt_str(6) ? json(r.str(6)) : json()},
                     {"moved_at", r.str(7)}});
  return json{{"items", items}};
}

// ---- harvesting ------------------------------------------------------------------------

Result<json> Service::harvest(const HarvestQuery& q) {
  std::string where =
      " WHERE r.access_level = 'open' AND (r.embargo_until IS NULL OR r.embargo_until <= ?)";
  store::Params params{today_text(clock_)};
  if (q.id) where += " AND r.id = ?", params.push_back(*q.id);
  if (q.from) where += " AND r.updated_at >= ?", params.push_back(*q.from);
  if (q.until) where += " AND r.updated_at <= ?", params.push_back(*q.until);
  if (q.fonds_id) where += " AND r.fonds_id = ?", params.push_back(*q.fonds_id);
  auto tx = TRY(db_.begin(store::TxMode::read));
  if (q.category_id) {
    auto c = TRY(tx->maybe_one("SELECT path FROM categories WHERE id = ?", {*q.category_id}));
    if (!c) return json{{"items", json::array()}, {"more", false}};
    where += " AND c.path LIKE ? ESCAPE '\\'";
    params.push_back(like_escape(c->str(0)) + "%");
  }
  if (q.after) {
    where += " AND (r.updated_at > ? OR (r.updated_at = ? AND r.id > ?))";
    params.push_back(q.after->first);
    params.push_back(q.after->first);
    params.push_back(q.after->second);
  }
  params.push_back(static_cast<std::int64_t>(q.limit + 1));
  auto rows = TRY(tx->query(std::string(kRecordSelect) + where + " ORDER BY r.updated_at, r.id LIMIT ?",
                            params));
  json items = json::array();
  std::size_t n = std::min<std::size_t>(rows.size(), static_cast<std::size_t>(q.limit));
  for (std::size_t i = 0; i < n; ++i) {
    json rec = record_json(rows[i]);
    rec["deleted"] = rec["status"] == "disposed";
    auto path = TRY(category_path_ids(*tx, rec["category"]["id"].get<std::int64_t>()));
    json codes = json::array();
    for (auto cid : path)
      codes.push_back(TRY(tx->one("SELECT code FROM categories WHERE id = ?", {cid}, "category")).str(0));
    rec["category"]["path_codes"] = codes;
    items.push_back(std::move(rec));
  }
  return json{{"items", items}, {"more", rows.size() > n}};
}

// ---- preview and reindex ---------------------------------------------------------------

Result<json> Service::preview_code(const Actor& by, const json& fields) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  auto tx = TRY(db_.begin(store::TxMode::read));
  json probe = fields;
  if (!probe.contains("title")) probe["title"] = "preview";
  if (!probe.contains("access_level")) probe["access_level"] = "open";
  Lookup look(*tx);
  Input in = TRY(parse_input(look, probe, true));
  std::int64_t fonds_id = in.fonds_id ? *in.fonds_id : TRY(default_fonds(look, config_));
  std::int64_t category_id =
      in.category_id ? *in.category_id : TRY(default_category(look, config_));
  std::string retention = in.retention_code.value_or(config_.default_retention);
  std::int64_t year = in.year && *in.year ? **in.year : std::stoll(now_text(clock_).substr(0, 4));
  auto scheme = TRY(look.scheme_for(fonds_id, category_id));
  auto parts = TRY(code_parts(look, by, fonds_id, category_id, retention, year,
                              in.location_id ? *in.location_id : std::nullopt, scheme.tmpl));
  std::string series = render_series(scheme.tmpl, parts);
  std::int64_t next = 1;
  std::optional<std::int64_t> reused;
  if (scheme.reuse_numbers) {
    auto free = TRY(tx->maybe_one(
        "SELECT MIN(seq) FROM released_numbers WHERE scheme_id = ? AND series = ? AND "
        "reused_by_record IS NULL",
        {scheme.id, series}));
    if (free && !free->is_null(0)) reused = free->i64(0);
  }
  auto c = TRY(tx->maybe_one("SELECT last_seq FROM scheme_counters WHERE scheme_id = ? AND series = ?",
                             {scheme.id, series}));
  if (c) next = c->i64(0) + 1;
  return json{{"scheme", {{"id", scheme.id}, {"code", scheme.code}, {"template", scheme.tmpl}}},
              {"series", series},
              {"reference_code", render_code(scheme.tmpl, parts, reused.value_or(next))},
              {"reuses_released_number", reused.has_value()}};
}

Result<std::int64_t> Service::lift_embargoes() {
  const std::string today = today_text(clock_);
  std::int64_t lifted = 0;
  for (;;) {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto ids = TRY(tx->query(
        "SELECT r.id FROM records r JOIN search_docs s ON s.kind = 'record' AND s.id = r.id "
        "WHERE r.embargo_until IS NOT NULL AND r.embargo_until <= ? AND r.access_level = 'open' "
        "AND r.status <> 'disposed' AND s.access_level = 'controlled' ORDER BY r.id LIMIT 500",
        {today}));
    for (auto& row : ids) TRY_STATUS(reindex_one(*this, *tx, row.i64(0)));
    TRY_STATUS(tx->commit());
    lifted += static_cast<std::int64_t>(ids.size());
    if (ids.size() < 500) return lifted;
  }
}

Result<std::int64_t> Service::reindex(
    const std::function<void(std::int64_t, std::int64_t)>& progress) {
  std::int64_t total = 0;
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    total = TRY(tx->one("SELECT COUNT(*) FROM records", {}, "count")).i64(0);
  }
  std::int64_t done = 0, after = 0;
  // Records a transaction: each holds the write lock for ~0.35 s when the index was in
  // step and ~1 s when every record's text changed (measured at 100k), so a server running
  // meanwhile keeps taking writes between them.
  constexpr std::int64_t kBatch = 8192;
  // PostgreSQL: the rows are locked until the commit, so an edit made meanwhile (which
  // rewrites the record's entry itself) waits instead of being overwritten by the entry
  // made here from what was read before it.
  const std::string select =
      std::string("SELECT id, status FROM records WHERE id > ? ORDER BY id LIMIT ?") +
      (db_.backend() == store::Backend::postgres ? " FOR SHARE" : "");
  while (true) {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto rows = TRY(tx->query(select, {after, kBatch}));
    if (rows.empty()) break;
    {
      // Text is prepared on the bulk loader's threads while this one reads the next
      // records (measured: BENCHMARKS.md "Session 7").
      search::Bulk bulk(*tx);
      std::vector<std::int64_t> disposed;
      for (auto& r : rows) {
        if (r.str(1) == "disposed")
          disposed.push_back(r.i64(0));
        else
          TRY_STATUS(bulk.add(TRY(document_of(*tx, r.i64(0)))));
        after = r.i64(0);
      }
      TRY_STATUS(bulk.finish());
      // After the additions: an FTS5 delete between them would end the segment being
      // built.
      for (auto id : disposed) TRY_STATUS(search::remove(*tx, "record", id));
    }
    TRY_STATUS(tx->commit());
    done += static_cast<std::int64_t>(rows.size());
    if (progress) progress(done, total);
  }
  return done;
}

}  // namespace dangan::catalogue
