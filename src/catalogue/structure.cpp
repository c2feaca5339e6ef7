// The catalogue's structure: fonds, categories, retention periods, reference-code
// schemes, storage locations, and the defaults created at start.
#include <algorithm>
#include <functional>
#include <map>

#include "catalogue/internal.h"
#include "text/text.h"

namespace dangan::catalogue {

using json = nlohmann::json;
using namespace detail;

namespace detail {

Status staff_may(const Actor& by, auth::Permission p) {
  if (by.role == Role::patron) return forbidden("a portal account cannot do this");
  return auth::require(by, p);
}

Status may_read(const Actor& by) {
  if (by.role == Role::patron) return {};
  return auth::require(by, auth::Permission::record_read);
}

std::string now_text(const Clock& c) { return format_time(c.now()); }
std::string today_text(const Clock& c) { return format_time(c.now()).substr(0, 10); }

std::string like_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Result<std::vector<std::int64_t>> category_path_ids(store::Tx& tx, std::int64_t category_id) {
  auto row = TRY(tx.one("SELECT path FROM categories WHERE id = ?", {category_id}, "category"));
  std::vector<std::int64_t> out;
  std::string path = row.str(0);
  std::size_t i = 0;
  while (i < path.size()) {
    auto slash = path.find('/', i);
    if (slash == std::string::npos) slash = path.size();
    if (slash > i) out.push_back(std::stoll(path.substr(i, slash - i)));
    i = slash + 1;
  }
  return out;
}

Result<std::pair<std::string, std::string>> cabinet_and_box(store::Tx& tx,
                                                              std::int64_t location_id) {
  std::pair<std::string, std::string> out;
  std::optional<std::int64_t> at = location_id;
  for (int depth = 0; at && depth < 10; ++depth) {
    auto row = TRY(tx.one("SELECT kind, code, parent_id FROM locations WHERE id = ?", {*at},
                          "location"));
    if (row.str(0) == "cabinet" && out.first.empty()) out.first = row.str(1);
    if (row.str(0) == "box" && out.second.empty()) out.second = row.str(1);
    at = row.opt_i64(2);
  }
  return out;
}

Result<std::string> location_label(store::Tx& tx, std::int64_t location_id) {
  auto row = TRY(tx.one("SELECT label FROM locations WHERE id = ?", {location_id}, "location"));
  return row.str(0);
}

Result<Scheme> load_scheme(store::Tx& tx, std::int64_t id) {
  auto r = TRY(tx.maybe_one(
      "SELECT id, code, name, template, fonds_id, category_id, reuse_numbers FROM "
      "reference_schemes WHERE id = ?",
      {id}));
  if (!r) return not_found("no reference-code scheme with id " + std::to_string(id));
  return Scheme{r->i64(0), r->str(1), r->str(2), r->str(3), r->opt_i64(4), r->opt_i64(5),
                r->i64(6) != 0};
}

Result<Scheme> scheme_for(store::Tx& tx, std::int64_t fonds_id, std::int64_t category_id) {
  // A scheme for a category also covers the category's subtree.
  auto path = TRY(category_path_ids(tx, category_id));
  auto rows = TRY(tx.query(
      "SELECT id, fonds_id, category_id FROM reference_schemes WHERE (fonds_id IS NULL OR "
      "fonds_id = ?)",
      {fonds_id}));
  std::optional<std::int64_t> best;
  int best_rank = -1;
  for (auto& r : rows) {
    int rank = 0;
    if (auto c = r.opt_i64(2)) {
      auto pos = std::find(path.begin(), path.end(), *c);
      if (pos == path.end()) continue;
      rank += 2 + static_cast<int>(pos - path.begin()) * 4;  // deeper category beats fonds
    }
    if (r.opt_i64(1)) rank += 1;
    if (rank > best_rank) best_rank = rank, best = r.i64(0);
  }
  if (!best) return invalid("category_id", "no reference-code scheme covers this fonds and category");
  return load_scheme(tx, *best);
}

// ---- Lookup: each answer kept for the object's life ------------------------------------

namespace {

// The cached value for `key`, asking `get` the first time (errors are not kept).
template <class Map, class Key, class Get>
auto memo(Map& map, const Key& key, Get&& get) -> Result<typename Map::mapped_type> {
  if (auto it = map.find(key); it != map.end()) return it->second;
  auto v = TRY(get());
  return map.emplace(key, std::move(v)).first->second;
}

}  // namespace

Result<bool> Lookup::fonds_exists(std::int64_t id) {
  return memo(fonds_, id, [&]() -> Result<bool> {
    return TRY(tx_.maybe_one("SELECT id FROM fonds WHERE id = ?", {id})).has_value();
  });
}

Result<std::optional<std::int64_t>> Lookup::fonds_by_code(const std::string& code) {
  return memo(fonds_by_code_, code, [&]() -> Result<std::optional<std::int64_t>> {
    auto row = TRY(tx_.maybe_one("SELECT id FROM fonds WHERE code = ?", {code}));
    if (!row) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{row->i64(0)};
  });
}

Result<std::pair<std::string, std::string>> Lookup::fonds_codes(std::int64_t id) {
  return memo(fonds_codes_, id, [&]() -> Result<std::pair<std::string, std::string>> {
    auto f = TRY(tx_.one(
        "SELECT f.code, u.code FROM fonds f LEFT JOIN units u ON u.id = f.unit_id WHERE f.id = ?",
        {id}, "fonds"));
    return std::pair{f.str(0), f.str(1)};
  });
}

Result<bool> Lookup::category_exists(std::int64_t id) {
  return memo(categories_, id, [&]() -> Result<bool> {
    return TRY(tx_.maybe_one("SELECT id FROM categories WHERE id = ?", {id})).has_value();
  });
}

Result<std::optional<std::int64_t>> Lookup::category_by_code(std::optional<std::int64_t> parent,
                                                             const std::string& code) {
  return memo(category_by_code_, std::pair{parent.value_or(0), code},
              [&]() -> Result<std::optional<std::int64_t>> {
                auto row = TRY(
                    parent ? tx_.maybe_one(
                                 "SELECT id FROM categories WHERE parent_id = ? AND code = ?",
                                 {*parent, code})
                           : tx_.maybe_one(
                                 "SELECT id FROM categories WHERE parent_id IS NULL AND code = ?",
                                 {code}));
                if (!row) return std::optional<std::int64_t>{};
                return std::optional<std::int64_t>{row->i64(0)};
              });
}

Result<std::string> Lookup::category_code(std::int64_t id) {
  return memo(category_code_, id, [&]() -> Result<std::string> {
    return TRY(tx_.one("SELECT code FROM categories WHERE id = ?", {id}, "category")).str(0);
  });
}

Result<std::vector<std::int64_t>> Lookup::category_path(std::int64_t id) {
  return memo(category_path_, id, [&] { return category_path_ids(tx_, id); });
}

Result<std::optional<std::string>> Lookup::retention_code(const std::string& code_or_name) {
  return memo(retention_code_, code_or_name, [&]() -> Result<std::optional<std::string>> {
    auto row = TRY(tx_.maybe_one("SELECT code FROM retention_periods WHERE code = ? OR name = ?",
                                 {code_or_name, code_or_name}));
    if (!row) return std::optional<std::string>{};
    return std::optional<std::string>{row->str(0)};
  });
}

Result<std::optional<std::int64_t>> Lookup::retention_years(const std::string& code) {
  return memo(retention_years_, code, [&]() -> Result<std::optional<std::int64_t>> {
    auto row =
        TRY(tx_.one("SELECT years FROM retention_periods WHERE code = ?", {code}, "retention"));
    return row.opt_i64(0);
  });
}

Result<std::optional<std::string>> Lookup::patron_status(std::int64_t id) {
  return memo(patron_status_, id, [&]() -> Result<std::optional<std::string>> {
    auto row = TRY(tx_.maybe_one("SELECT status FROM patrons WHERE id = ?", {id}));
    if (!row) return std::optional<std::string>{};
    return std::optional<std::string>{row->str(0)};
  });
}

Result<bool> Lookup::location_exists(std::int64_t id) {
  return memo(locations_, id, [&]() -> Result<bool> {
    return TRY(tx_.maybe_one("SELECT id FROM locations WHERE id = ?", {id})).has_value();
  });
}

Result<std::pair<std::string, std::string>> Lookup::cabinet_and_box(std::int64_t location_id) {
  return memo(cabinet_box_, location_id,
              [&] { return detail::cabinet_and_box(tx_, location_id); });
}

Result<std::optional<std::string>> Lookup::unit_code(std::int64_t id) {
  return memo(unit_code_, id, [&]() -> Result<std::optional<std::string>> {
    auto row = TRY(tx_.maybe_one("SELECT code FROM units WHERE id = ?", {id}));
    if (!row) return std::optional<std::string>{};
    return std::optional<std::string>{row->str(0)};
  });
}

Result<Scheme> Lookup::scheme_for(std::int64_t fonds_id, std::int64_t category_id) {
  return memo(scheme_for_, std::pair{fonds_id, category_id},
              [&] { return detail::scheme_for(tx_, fonds_id, category_id); });
}

}  // namespace detail

namespace {

bool valid_code(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

Result<std::string> required_code(const json& body) {
  if (!body.contains("code") || !body["code"].is_string())
    return invalid("code", "code is required (1 to 32 letters, digits, - _ .)");
  std::string code = body["code"].get<std::string>();
  if (!valid_code(code)) return invalid("code", "code must be 1 to 32 letters, digits, - _ .");
  return code;
}

Result<std::string> required_name(const json& body) {
  auto name = TRY(opt_string(body, "name", 200));
  if (!name || name->empty()) return invalid("name", "name is required");
  return *name;
}

Result<std::optional<std::int64_t>> opt_id(const json& body, const char* name) {
  if (!body.contains(name) || body[name].is_null()) return std::optional<std::int64_t>{};
  if (!body[name].is_number_integer() || body[name].get<std::int64_t>() <= 0)
    return invalid(name, std::string(name) + " must be a positive integer");
  return std::optional<std::int64_t>{body[name].get<std::int64_t>()};
}

json fonds_json(const store::Row& r) {
  return {{"id", r.i64(0)},          {"code", r.str(1)},       {"name", r.str(2)},
          {"unit_id", r.opt_i64(3) ? json(*r.opt_i64(3)) : json()},
          {"description", r.str(4)}, {"created_at", r.str(5)}, {"updated_at", r.str(6)}};
}
constexpr const char* kFondsCols = "id, code, name, unit_id, description, created_at, updated_at";

json category_json(const store::Row& r) {
  std::string path = r.str(4);
  long depth = std::count(path.begin(), path.end(), '/') - 2;
  return {{"id", r.i64(0)},
          {"parent_id", r.opt_i64(1) ? json(*r.opt_i64(1)) : json()},
          {"code", r.str(2)},
          {"name", r.str(3)},
          {"depth", std::max(0L, depth)},
          {"records", r.i64(5)}};
}

json retention_json(const store::Row& r) {
  return {{"code", r.str(0)},
          {"name", r.str(1)},
          {"years", r.opt_i64(2) ? json(*r.opt_i64(2)) : json()},
          {"position", r.i64(3)}};
}

json scheme_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"code", r.str(1)},
          {"name", r.str(2)},
          {"template", r.str(3)},
          {"fonds_id", r.opt_i64(4) ? json(*r.opt_i64(4)) : json()},
          {"category_id", r.opt_i64(5) ? json(*r.opt_i64(5)) : json()},
          {"reuse_numbers", r.i64(6) != 0},
          {"created_at", r.str(7)},
          {"updated_at", r.str(8)}};
}
constexpr const char* kSchemeCols =
    "id, code, name, template, fonds_id, category_id, reuse_numbers, created_at, updated_at";

json location_json(const store::Row& r) {
  json j = {{"id", r.i64(0)},
            {"parent_id", r.opt_i64(1) ? json(*r.opt_i64(1)) : json()},
            {"kind", r.str(2)},
            {"code", r.str(3)},
            {"name", r.str(4)},
            {"capacity", r.opt_i64(5) ? json(*r.opt_i64(5)) : json()},
            {"label", r.str(6)},
            {"records", r.i64(7)}};
  if (auto cap = r.opt_i64(5)) j["vacant"] = std::max<std::int64_t>(0, *cap - r.i64(7));
  return j;
}
constexpr const char* kLocationSelect =
    "SELECT l.id, l.parent_id, l.kind, l.code, l.name, l.capacity, l.label, "
    "(SELECT COUNT(*) FROM records r WHERE r.location_id = l.id) FROM locations l";

const std::map<std::string, int>& kind_rank() {
  static const std::map<std::string, int> m = {
      {"building", 0}, {"room", 1}, {"cabinet", 2}, {"shelf", 3}, {"box", 4}};
  return m;
}

}  // namespace

Service::Service(store::Database& db, audit::ReadRecorder& reads, const Config& config,
                 const Clock& clock)
    : db_(db), reads_(reads), config_(config), clock_(clock) {
  weights_.title = config.search_weight_title;
  weights_.reference_code = config.search_weight_reference_code;
  weights_.keywords = config.search_weight_keywords;
  weights_.creator = config.search_weight_creator;
  weights_.description = config.search_weight_description;
  weights_.content = config.search_weight_content;
  weights_.pinyin = config.search_weight_pinyin;
  weights_.important = config.search_boost_important;
  weights_.use = config.search_boost_use;
  weights_.cited = config.search_boost_cited;
  weights_.authority = config.search_boost_authority;
  weights_.recency = config.search_boost_recency;
  weights_.recency_days = config.search_recency_days;
}

Status Service::ensure_defaults() {
  auto tx = TRY(db_.begin(store::TxMode::write));
  std::string now = now_text(clock_);
  // 保管期限 as the 2006 rules name them, plus the older 长期.
  auto periods = TRY(tx->one("SELECT COUNT(*) FROM retention_periods", {}, "count"));
  if (periods.i64(0) == 0) {
    struct P {
      const char* code;
      const char* name;
      std::optional<std::int64_t> years;
    };
    std::int64_t pos = 0;
    for (auto p : {P{"Y", "永久", std::nullopt}, P{"C", "长期", 50}, P{"D30", "定期30年", 30},
                   P{"D10", "定期10年", 10}})
      TRY(tx->exec(
          "INSERT INTO retention_periods (code, name, years, position, created_at) VALUES "
          "(?,?,?,?,?)",
          {p.code, p.name, store::opt(p.years), pos++, now}));
  }
  auto has_retention = TRY(tx->maybe_one("SELECT code FROM retention_periods WHERE code = ?",
                                         {config_.default_retention}));
  if (!has_retention)
    return invalid("default_retention",
                   "the configured default retention period " + config_.default_retention +
                       " does not exist");
  auto fonds = TRY(tx->maybe_one("SELECT id FROM fonds WHERE code = ?", {config_.default_fonds}));
  if (!fonds) {
    if (!valid_code(config_.default_fonds))
      return invalid("default_fonds", "the configured default fonds code is not a valid code");
    TRY(tx->exec(
        "INSERT INTO fonds (code, name, description, created_at, updated_at) VALUES (?,?,?,?,?)",
        {config_.default_fonds, "本馆全宗", "created at first start", now, now}));
  }
  auto category = TRY(tx->maybe_one(
      "SELECT id FROM categories WHERE code = ? AND parent_id IS NULL", {config_.default_category}));
  if (!category) {
    if (!valid_code(config_.default_category))
      return invalid("default_category", "the configured default category code is not valid");
    auto row = TRY(tx->one(
        "INSERT INTO categories (parent_id, code, name, path, created_at, updated_at) VALUES "
        "(NULL, ?, ?, '', ?, ?) RETURNING id",
        {config_.default_category, config_.default_category == "WS" ? "文书" : "默认门类", now, now},
        "category"));
    TRY(tx->exec("UPDATE categories SET path = ? WHERE id = ?",
                 {"/" + std::to_string(row.i64(0)) + "/", row.i64(0)}));
  }
  auto scheme =
      TRY(tx->maybe_one("SELECT id FROM reference_schemes WHERE fonds_id IS NULL AND "
                        "category_id IS NULL",
                        {}));
  if (!scheme)
    TRY(tx->exec(
        "INSERT INTO reference_schemes (code, name, template, reuse_numbers, created_at, "
        "updated_at) VALUES ('default', '全宗-门类-年度-保管期限-件号', "
        "'{fonds}-{category}-{year}-{retention}-{seq:04}', 0, ?, ?)",
        {now, now}));
  return tx->commit();
}

// ---- fonds -----------------------------------------------------------------------------

Result<json> Service::create_fonds(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::catalogue_config));
  TRY_STATUS(only_fields(body, {"code", "name", "unit_id", "description"}));
  auto code = TRY(required_code(body));
  auto name = TRY(required_name(body));
  auto unit = TRY(opt_id(body, "unit_id"));
  auto description = TRY(opt_string(body, "description", 2000));
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (unit && !TRY(tx->maybe_one("SELECT id FROM units WHERE id = ?", {*unit})))
    return invalid("unit_id", "no such unit");
  if (TRY(tx->maybe_one("SELECT id FROM fonds WHERE code = ?", {code})))
    return conflict("a fonds with code " + code + " exists", "code");
  std::string now = now_text(clock_);
  auto row = TRY(tx->one(
      "INSERT INTO fonds (code, name, unit_id, description, created_at, updated_at) VALUES "
      "(?,?,?,?,?,?) RETURNING " +
          std::string(kFondsCols),
      {code, name, store::opt(unit), description.value_or(""), now, now}, "fonds"));
  TRY_STATUS(audit::append(*tx, by, {"fonds.create", "fonds", std::to_string(row.i64(0))}, clock_));
  TRY_STATUS(tx->commit());
  return fonds_json(row);
}

Result<json> Service::list_fonds(const Actor& by) {
  TRY_STATUS(may_read(by));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query("SELECT " + std::string(kFondsCols) + " FROM fonds ORDER BY code"));
  json items = json::array();
  for (auto& r : rows) items.push_back(fonds_json(r));
  return json{{"items", items}};
}

Result<json> Service::update_fonds(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::catalogue_config));
  TRY_STATUS(only_fields(body, {"name", "unit_id", "description"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(tx->one("SELECT id FROM fonds WHERE id = ?", {id}, "fonds " + std::to_string(id)));
  std::string now = now_text(clock_);
  if (body.contains("name")) {
    auto name = TRY(required_name(body));
    TRY(tx->exec("UPDATE fonds SET name = ? WHERE id = ?", {name, id}));
  }
  if (body.contains("unit_id")) {
    auto unit = TRY(opt_id(body, "unit_id"));
    if (unit && !TRY(tx->maybe_one("SELECT id FROM units WHERE id = ?", {*unit})))
      return invalid("unit_id", "no such unit");
    TRY(tx->exec("UPDATE fonds SET unit_id = ? WHERE id = ?", {store::opt(unit), id}));
  }
  if (body.contains("description")) {
    auto d = TRY(opt_string(body, "description", 2000));
    TRY(tx->exec("UPDATE fonds SET description = ? WHERE id = ?", {d.value_or(""), id}));
  }
  auto row = TRY(tx->one("UPDATE fonds SET updated_at = ? WHERE id = ? RETURNING " +
                             std::string(kFondsCols),
                         {now, id}, "fonds"));
  TRY_STATUS(audit::append(*tx, by, {"fonds.update", "fonds", std::to_string(id)}, clock_));
  TRY_STATUS(tx->commit());
  return fonds_json(row);
}

// ---- categories ------------------------------------------------------------------------

Result<json> Service::create_category(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::catalogue_config));
  TRY_STATUS(only_fields(body, {"code", "name", "parent_id"}));
  auto code = TRY(required_code(body));
  auto name = TRY(required_name(body));
  auto parent = TRY(opt_id(body, "parent_id"));
  auto tx = TRY(db_.begin(store::TxMode::write));
  std::string parent_path;
  if (parent) {
    auto p = TRY(tx->maybe_one("SELECT path FROM categories WHERE id = ?", {*parent}));
    if (!p) return invalid("parent_id", "no such category");
    parent_path = p->str(0);
    if (std::count(parent_path.begin(), parent_path.end(), '/') > 8)
      return invalid("parent_id", "categories nest at most 8 levels deep");
  }
  auto dup = TRY(tx->maybe_one(
      parent ? "SELECT id FROM categories WHERE parent_id = ? AND code = ?"
             : "SELECT id FROM categories WHERE parent_id IS NULL AND code = ?",
      parent ? store::Params{*parent, code} : store::Params{code}));
  if (dup) return conflict("a category with code " + code + " exists at this level", "code");
  std::string now = now_text(clock_);
  auto row = TRY(tx->one(
      "INSERT INTO categories (parent_id, code, name, path, created_at, updated_at) VALUES "
      "(?,?,?,'',?,?) RETURNING id",
      {store::opt(parent), code, name, now, now}, "category"));
  std::int64_t id = row.i64(0);
  std::string path = (parent ? parent_path : std::string("/")) + std::to_string(id) + "/";
  TRY(tx->exec("UPDATE categories SET path = ? WHERE id = ?", {path, id}));
  TRY_STATUS(audit::append(*tx, by, {"category.create", "category", std::to_string(id)}, clock_));
  TRY_STATUS(tx->commit());
  return json{{"id", id},     {"parent_id", parent ? json(*parent) : json()},
              {"code", code}, {"name", name},
              {"depth", std::count(path.begin(), path.end(), '/') - 2},
              {"records", 0}};
}

Result<json> Service::list_categories(const Actor& by) {
  TRY_STATUS(may_read(by));
  auto tx = TRY(db_.begin(store::TxMode::read));
  // The count is of what the records list shows this viewer: active records, and secret
  // ones only to roles that see them (a patron must not learn a secret record exists).
  const bool secret_ok =
      by.role == Role::system || auth::allowed(by.role, auth::Permission::record_secret);
  auto rows = TRY(tx->query(
      std::string("SELECT c.id, c.parent_id, c.code, c.name, c.path, (SELECT COUNT(*) FROM "
                  "records r WHERE r.category_id = c.id AND r.status = 'active'") +
      (secret_ok ? "" : " AND r.access_level <> 'secret'") + ") FROM categories c"));
  // Depth-first order (parents before children, siblings by code) for a tree view.
  std::map<std::optional<std::int64_t>, std::vector<const store::Row*>> children;
  for (auto& r : rows) children[r.opt_i64(1)].push_back(&r);
  for (auto& [_, v] : children)
    std::sort(v.begin(), v.end(),
              [](const store::Row* a, const store::Row* b) { return a->str(2) < b->str(2); });
  json items = json::array();
  std::function<void(std::optional<std::int64_t>)> walk = [&](std::optional<std::int64_t> p) {
    auto it = children.find(p);
    if (it == children.end()) return;
    for (auto* r : it->second) {
      items.push_back(category_json(*r));
      walk(r->i64(0));
    }
  };
  walk(std::nullopt);
  return json{{"items", items}};
}

Result<json> Service::update_category(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::catalogue_config));
  TRY_STATUS(only_fields(body, {"name"}));
  auto name = TRY(required_name(body));
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(tx->one("SELECT id FROM categories WHERE id = ?", {id}, "category " + std::to_string(id)));
  TRY(tx->exec("UPDATE categories SET name = ?, updated_at = ? WHERE id = ?",
               {name, now_text(clock_), id}));
  TRY_STATUS(audit::append(*tx, by, {"category.update", "category", std::to_string(id)}, clock_));
  auto row = TRY(tx->one(
      "SELECT c.id, c.parent_id, c.code, c.name, c.path, "
      "(SELECT COUNT(*) FROM records r WHERE r.category_id = c.id) FROM categories c WHERE c.id = ?",
      {id}, "category"));
  TRY_STATUS(tx->commit());
  return category_json(row);
}

// ---- retention periods -----------------------------------------------------------------

Result<json> Service::list_retention_periods(const Actor& by) {
  TRY_STATUS(may_read(by));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(
      "SELECT code, name, years, position FROM retention_periods ORDER BY position, code"));
  json items = json::array();
  for (auto& r : rows) items.push_back(retention_json(r));
  return json{{"items", items}};
}

Result<json> Service::put_retention_period(const Actor& by, const std::string& code,
                                           const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::catalogue_config));
  TRY_STATUS(only_fields(body, {"name", "years", "position"}));
  if (!valid_code(code)) return invalid("code", "code must be 1 to 32 letters, digits, - _ .");
  auto name = TRY(required_name(body));
  std::optional<std::int64_t> years;
  if (body.contains("years") && !body["years"].is_null()) {
    if (!body["years"].is_number_integer() || body["years"].get<std::int64_t>() < 1 ||
        body["years"].get<std::int64_t>() > 1000)
      return invalid("years", "years must be 1 to 1000, or null for permanent");
    years = body["years"].get<std::int64_t>();
  }
  std::int64_t position = 100;
  if (body.contains("position")) {
    if (!body["position"].is_number_integer()) return invalid("position", "must be an integer");
    position = body["position"].get<std::int64_t>();
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto existing = TRY(tx->maybe_one("SELECT years FROM retention_periods WHERE code = ?", {code}));
  if (existing) {
    TRY(tx->exec("UPDATE retention_periods SET name = ?, years = ?, position = ? WHERE code = ?",
                 {name, store::opt(years), position, code}));
    // Records keep the period's code; their end dates follow the new length.
    if (existing->opt_i64(0) != years) {
      if (years)
        TRY(tx->exec(tx->backend() == store::Backend::sqlite
                         ? "UPDATE records SET retention_until = (year + ?) || '-12-31' WHERE "
                           "retention_code = ? AND year IS NOT NULL AND status <> 'disposed'"
                         : "UPDATE records SET retention_until = CAST(year + CAST(? AS BIGINT) AS "
                           "TEXT) || '-12-31' WHERE retention_code = ? AND year IS NOT NULL AND "
                           "status <> 'disposed'",
                     {*years, code}));
      else
        TRY(tx->exec("UPDATE records SET retention_until = NULL WHERE retention_code = ?", {code}));
    }
  } else {
    TRY(tx->exec(
        "INSERT INTO retention_periods (code, name, years, position, created_at) VALUES "
        "(?,?,?,?,?)",
        {code, name, store::opt(years), position, now_text(clock_)}));
  }
  TRY_STATUS(audit::append(*tx, by, {"retention_period.put", "retention_period", code}, clock_));
  TRY_STATUS(tx->commit());
  return json{{"code", code},
              {"name", name},
              {"years", years ? json(*years) : json()},
              {"position", position}};
}

// ---- reference-code schemes ------------------------------------------------------------

Result<json> Service::create_scheme(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::catalogue_config));
  TRY_STATUS(
      only_fields(body, {"code", "name", "template", "fonds_id", "category_id", "reuse_numbers"}));
  auto code = TRY(required_code(body));
  auto name = TRY(required_name(body));
  auto tmpl = TRY(opt_string(body, "template", 200));
  if (!tmpl) return invalid("template", "template is required, e.g. {fonds}-{category}-{year}-{seq:04}");
  TRY_STATUS(check_template(*tmpl));
  auto fonds = TRY(opt_id(body, "fonds_id"));
  auto category = TRY(opt_id(body, "category_id"));
  bool reuse = false;
  if (body.contains("reuse_numbers")) {
    if (!body["reuse_numbers"].is_boolean()) return invalid("reuse_numbers", "must be true or false");
    reuse = body["reuse_numbers"].get<bool>();
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (fonds && !TRY(tx->maybe_one("SELECT id FROM fonds WHERE id = ?", {*fonds})))
    return invalid("fonds_id", "no such fonds");
  if (category && !TRY(tx->maybe_one("SELECT id FROM categories WHERE id = ?", {*category})))
    return invalid("category_id", "no such category");
  if (TRY(tx->maybe_one("SELECT id FROM reference_schemes WHERE code = ?", {code})))
    return conflict("a scheme with code " + code + " exists", "code");
  auto same_scope = TRY(tx->maybe_one(
      "SELECT code FROM reference_schemes WHERE COALESCE(fonds_id, 0) = ? AND "
      "COALESCE(category_id, 0) = ?",
      {fonds.value_or(0), category.value_or(0)}));
  if (same_scope)
    return conflict("scheme " + same_scope->str(0) + " already covers this fonds and category",
                    "category_id");
  std::string now = now_text(clock_);
  auto row = TRY(tx->one(
      "INSERT INTO reference_schemes (code, name, template, fonds_id, category_id, reuse_numbers, "
      "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?) RETURNING " +
          std::string(kSchemeCols),
      {code, name, *tmpl, store::opt(fonds), store::opt(category), std::int64_t{reuse}, now, now},
      "scheme"));
  TRY_STATUS(audit::append(*tx, by, {"scheme.create", "scheme", std::to_string(row.i64(0))}, clock_));
  TRY_STATUS(tx->commit());
  return scheme_json(row);
}

Result<json> Service::list_schemes(const Actor& by) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query("SELECT " + std::string(kSchemeCols) +
                            " FROM reference_schemes ORDER BY code"));
  json items = json::array();
  for (auto& r : rows) items.push_back(scheme_json(r));
  return json{{"items", items}};
}

Result<json> Service::update_scheme(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::catalogue_config));
  TRY_STATUS(only_fields(body, {"name", "template", "reuse_numbers"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(load_scheme(*tx, id));
  if (body.contains("name")) {
    auto name = TRY(required_name(body));
    TRY(tx->exec("UPDATE reference_schemes SET name = ? WHERE id = ?", {name, id}));
  }
  if (body.contains("template")) {
    // A new template starts new series; numbers already given stay with their records.
    auto tmpl = TRY(opt_string(body, "template", 200));
    if (!tmpl) return invalid("template", "template cannot be removed");
    TRY_STATUS(check_template(*tmpl));
    TRY(tx->exec("UPDATE reference_schemes SET template = ? WHERE id = ?", {*tmpl, id}));
  }
  if (body.contains("reuse_numbers")) {
    if (!body["reuse_numbers"].is_boolean()) return invalid("reuse_numbers", "must be true or false");
    TRY(tx->exec("UPDATE reference_schemes SET reuse_numbers = ? WHERE id = ?",
                 {std::int64_t{body["reuse_numbers"].get<bool>()}, id}));
  }
  auto row = TRY(tx->one("UPDATE reference_schemes SET updated_at = ? WHERE id = ? RETURNING " +
                             std::string(kSchemeCols),
                         {now_text(clock_), id}, "scheme"));
  TRY_STATUS(audit::append(*tx, by, {"scheme.update", "scheme", std::to_string(id)}, clock_));
  TRY_STATUS(tx->commit());
  return scheme_json(row);
}

// ---- locations -------------------------------------------------------------------------

Result<json> Service::create_location(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::catalogue_config));
  TRY_STATUS(only_fields(body, {"kind", "code", "name", "parent_id", "capacity"}));
  if (!body.contains("kind") || !body["kind"].is_string() ||
      !kind_rank().count(body["kind"].get<std::string>()))
    return invalid("kind", "kind must be building, room, cabinet, shelf or box");
  std::string kind = body["kind"].get<std::string>();
  auto code = TRY(required_code(body));
  auto name = TRY(opt_string(body, "name", 200));
  auto parent = TRY(opt_id(body, "parent_id"));
  std::optional<std::int64_t> capacity;
  if (body.contains("capacity") && !body["capacity"].is_null()) {
    if (!body["capacity"].is_number_integer() || body["capacity"].get<std::int64_t>() < 0 ||
        body["capacity"].get<std::int64_t>() > 1000000)
      return invalid("capacity", "capacity must be 0 to 1000000 records");
    capacity = body["capacity"].get<std::int64_t>();
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  std::string parent_path, parent_label;
  if (parent) {
    auto p = TRY(tx->maybe_one("SELECT kind, path, label FROM locations WHERE id = ?", {*parent}));
    if (!p) return invalid("parent_id", "no such location");
    if (kind_rank().at(p->str(0)) >= kind_rank().at(kind))
      return invalid("kind", "a " + kind + " cannot be inside a " + p->str(0));
    parent_path = p->str(1);
    parent_label = p->str(2);
  } else if (kind != "building") {
    return invalid("parent_id", "only a building has no parent");
  }
  auto dup = TRY(tx->maybe_one(
      parent ? "SELECT id FROM locations WHERE parent_id = ? AND code = ?"
             : "SELECT id FROM locations WHERE parent_id IS NULL AND code = ?",
      parent ? store::Params{*parent, code} : store::Params{code}));
  if (dup) return conflict("a location with code " + code + " exists here", "code");
  std::string label = (parent ? parent_label + " / " : std::string()) +
                      (name && !name->empty() ? *name : code);
  auto row = TRY(tx->one(
      "INSERT INTO locations (parent_id, kind, code, name, capacity, path, label, created_at) "
      "VALUES (?,?,?,?,?,'',?,?) RETURNING id",
      {store::opt(parent), kind, code, name.value_or(""), store::opt(capacity), label,
       now_text(clock_)},
      "location"));
  std::int64_t id = row.i64(0);
  TRY(tx->exec("UPDATE locations SET path = ? WHERE id = ?",
               {(parent ? parent_path : std::string("/")) + std::to_string(id) + "/", id}));
  TRY_STATUS(audit::append(*tx, by, {"location.create", "location", std::to_string(id)}, clock_));
  auto out = TRY(tx->one(std::string(kLocationSelect) + " WHERE l.id = ?", {id}, "location"));
  TRY_STATUS(tx->commit());
  return location_json(out);
}

Result<json> Service::list_locations(const Actor& by, std::optional<std::int64_t> parent_id) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(parent_id ? tx->query(std::string(kLocationSelect) +
                                            " WHERE l.parent_id = ? ORDER BY l.code",
                                        {*parent_id})
                            : tx->query(std::string(kLocationSelect) +
                                        " WHERE l.parent_id IS NULL ORDER BY l.code"));
  json items = json::array();
  for (auto& r : rows) items.push_back(location_json(r));
  return json{{"items", items}};
}

Result<json> Service::vacant_locations(const Actor& by, std::optional<std::int64_t> under,
                                       int needed) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  if (needed < 1 || needed > 100000) return invalid("needed", "needed must be 1 to 100000");
  auto tx = TRY(db_.begin(store::TxMode::read));
  std::string sql = std::string(kLocationSelect) + " WHERE l.capacity IS NOT NULL";
  store::Params params;
  if (under) {
    auto p = TRY(tx->maybe_one("SELECT path FROM locations WHERE id = ?", {*under}));
    if (!p) return invalid("under", "no such location");
    sql += " AND l.path LIKE ? ESCAPE '\\'";
    params.push_back(like_escape(p->str(0)) + "%");
  }
  auto rows = TRY(tx->query(sql, params));
  // Fullest first: fills partly used boxes before opening new ones.
  std::vector<json> slots;
  for (auto& r : rows) {
    json j = location_json(r);
    if (j["vacant"].get<std::int64_t>() > 0) slots.push_back(j);
  }
  std::sort(slots.begin(), slots.end(), [](const json& a, const json& b) {
    auto va = a["vacant"].get<std::int64_t>(), vb = b["vacant"].get<std::int64_t>();
    return va != vb ? va < vb : a["id"].get<std::int64_t>() < b["id"].get<std::int64_t>();
  });
  json items = json::array();
  std::int64_t room = 0;
  for (auto& s : slots) {
    if (room >= needed) break;
    room += s["vacant"].get<std::int64_t>();
    items.push_back(s);
  }
  return json{{"items", items}, {"vacant", room}, {"enough", room >= needed}};
}

}  // namespace dangan::catalogue
