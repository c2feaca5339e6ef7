#include "catalogue/collection.h"

#include <zint.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <tuple>

#include "catalogue/internal.h"
#include "patrons/patrons.h"
#include "core/cursor.h"
#include "text/text.h"

namespace dangan::catalogue {

using json = nlohmann::json;
using namespace detail;

namespace {

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(); }
json opt(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(); }

bool valid_day(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  int m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

Result<std::string> required_text(const json& body, const char* name, long max_len) {
  auto v = TRY(opt_string(body, name, max_len));
  if (!v || v->find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid(name, std::string(name) + " is required");
  return *v;
}

Result<std::optional<std::string>> opt_day(const json& body, const char* name) {
  auto v = TRY(opt_string(body, name, 10));
  if (v && !valid_day(*v)) return invalid(name, std::string(name) + " must be a date YYYY-MM-DD");
  return v;
}

Result<std::string> one_of(const json& body, const char* name,
                           std::initializer_list<const char*> values, const char* fallback) {
  if (!body.contains(name) || body[name].is_null()) {
    if (fallback) return std::string(fallback);
    std::string all;
    for (auto* v : values) all += (all.empty() ? "" : ", ") + std::string(v);
    return invalid(name, std::string(name) + " is required: " + all);
  }
  if (body[name].is_string())
    for (auto* v : values)
      if (body[name].get<std::string>() == v) return std::string(v);
  std::string all;
  for (auto* v : values) all += (all.empty() ? "" : ", ") + std::string(v);
  return invalid(name, std::string(name) + " must be one of " + all);
}

Result<std::optional<std::int64_t>> opt_ref(store::Tx& tx, const json& body, const char* name,
                                            const char* table) {
  if (!body.contains(name) || body[name].is_null()) return std::optional<std::int64_t>{};
  if (!body[name].is_number_integer()) return invalid(name, std::string(name) + " must be an id");
  std::int64_t id = body[name].get<std::int64_t>();
  auto row = TRY(tx.maybe_one(std::string("SELECT id FROM ") + table + " WHERE id = ?", {id}));
  if (!row) return invalid(name, std::string("no such ") + name);
  return std::optional<std::int64_t>{id};
}

Status location_exists(store::Tx& tx, std::int64_t id) {
  auto row = TRY(tx.maybe_one("SELECT id FROM locations WHERE id = ?", {id}));
  if (!row) return not_found("no location with id " + std::to_string(id));
  return {};
}

Status may_handle_alerts(const Actor& by) {
  if (by.role == Role::patron) return forbidden("a portal account cannot do this");
  if (by.role == Role::system || auth::allowed(by.role, auth::Permission::record_write) ||
      auth::allowed(by.role, auth::Permission::appraisal_decide))
    return {};
  return forbidden("your role (" + std::string(to_string(by.role)) + ") may not do this");
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

// ---- D7 ---------------------------------------------------------------------------------

Result<json> Collection::create_donor(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  TRY_STATUS(only_fields(body, {"kind", "name", "patron_id", "contact", "notes"}));
  auto kind = TRY(one_of(body, "kind", {"person", "organisation"}, nullptr));
  auto name = TRY(required_text(body, "name", 200));
  auto contact = TRY(opt_string(body, "contact", 500));
  auto notes = TRY(opt_string(body, "notes", 2000));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto patron = TRY(opt_ref(*tx, body, "patron_id", "patrons"));
  auto row = TRY(tx->one(
      "INSERT INTO donors (kind, name, patron_id, contact, notes, created_at) VALUES "
      "(?,?,?,?,?,?) RETURNING id",
      {kind, name, store::opt(patron), contact.value_or(""), notes.value_or(""), now_text(clock_)},
      "donor"));
  TRY_STATUS(audit::append(*tx, by, {"donor.create", "donor", std::to_string(row.i64(0)), patron},
                           clock_));
  TRY_STATUS(tx->commit());
  return json{{"id", row.i64(0)},        {"kind", kind},
              {"name", name},            {"patron_id", opt(patron)},
              {"contact", contact.value_or("")}, {"notes", notes.value_or("")}};
}

Result<json> Collection::list_donors(const Actor& by) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(
      "SELECT d.id, d.kind, d.name, d.patron_id, d.contact, d.notes, "
      "(SELECT COUNT(*) FROM accessions a WHERE a.donor_id = d.id), "
      "(SELECT COUNT(*) FROM agreements g WHERE g.donor_id = d.id) FROM donors d ORDER BY d.name"));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"id", r.i64(0)},
                     {"kind", r.str(1)},
                     {"name", r.str(2)},
                     {"patron_id", opt(r.opt_i64(3))},
                     {"contact", r.str(4)},
                     {"notes", r.str(5)},
                     {"accessions", r.i64(6)},
                     {"agreements", r.i64(7)}});
  return json{{"items", items}};
}

Result<json> Collection::create_agreement(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  TRY_STATUS(only_fields(body, {"donor_id", "kind", "signed_on", "expires_on", "terms",
                                "access_conditions"}));
  auto kind = TRY(one_of(body, "kind", {"donation", "deposit", "purchase", "transfer", "loan"}, nullptr));
  auto signed_on = TRY(opt_day(body, "signed_on"));
  if (!signed_on) return invalid("signed_on", "signed_on is required (YYYY-MM-DD)");
  auto expires = TRY(opt_day(body, "expires_on"));
  if (expires && *expires < *signed_on) return invalid("expires_on", "expires_on is before signed_on");
  auto terms = TRY(opt_string(body, "terms", 5000));
  auto access = TRY(opt_string(body, "access_conditions", 2000));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto donor = TRY(opt_ref(*tx, body, "donor_id", "donors"));
  if (!donor) return invalid("donor_id", "donor_id is required");
  auto row = TRY(tx->one(
      "INSERT INTO agreements (donor_id, kind, signed_on, expires_on, terms, access_conditions, "
      "created_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
      {*donor, kind, *signed_on, store::opt(expires), terms.value_or(""), access.value_or(""),
       now_text(clock_)},
      "agreement"));
  TRY_STATUS(audit::append(*tx, by, {"agreement.create", "agreement", std::to_string(row.i64(0))},
                           clock_));
  TRY_STATUS(tx->commit());
  return json{{"id", row.i64(0)},   {"donor_id", *donor},       {"kind", kind},
              {"signed_on", *signed_on}, {"expires_on", opt(expires)},
              {"terms", terms.value_or("")}, {"access_conditions", access.value_or("")}};
}

Result<json> Collection::list_agreements(const Actor& by, std::optional<std::int64_t> donor_id) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  std::string sql =
      "SELECT g.id, g.donor_id, d.name, g.kind, g.signed_on, g.expires_on, g.terms, "
      "g.access_conditions FROM agreements g JOIN donors d ON d.id = g.donor_id";
  store::Params params;
  if (donor_id) sql += " WHERE g.donor_id = ?", params.push_back(*donor_id);
  auto rows = TRY(tx->query(sql + " ORDER BY g.signed_on DESC, g.id DESC", params));
  std::string today = today_text(clock_);
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"id", r.i64(0)},
                     {"donor", {{"id", r.i64(1)}, {"name", r.str(2)}}},
                     {"kind", r.str(3)},
                     {"signed_on", r.str(4)},
                     {"expires_on", opt(r.opt_str(5))},
                     {"expired", r.opt_str(5) && *r.opt_str(5) < today},
                     {"terms", r.str(6)},
                     {"access_conditions", r.str(7)}});
  return json{{"items", items}};
}

Result<json> Collection::create_plan(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  TRY_STATUS(only_fields(body, {"year", "title", "description", "target_count", "status"}));
  if (!body.contains("year") || !body["year"].is_number_integer() || body["year"].get<int>() < 1900 ||
      body["year"].get<int>() > 2200)
    return invalid("year", "year is required (1900 to 2200)");
  auto title = TRY(required_text(body, "title", 200));
  auto description = TRY(opt_string(body, "description", 5000));
  std::optional<std::int64_t> target;
  if (body.contains("target_count") && !body["target_count"].is_null()) {
    if (!body["target_count"].is_number_integer() || body["target_count"].get<std::int64_t>() < 1)
      return invalid("target_count", "target_count must be a positive integer");
    target = body["target_count"].get<std::int64_t>();
  }
  auto status = TRY(one_of(body, "status", {"draft", "active", "closed"}, "active"));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row = TRY(tx->one(
      "INSERT INTO acquisition_plans (year, title, description, target_count, status, created_at) "
      "VALUES (?,?,?,?,?,?) RETURNING id",
      {body["year"].get<std::int64_t>(), title, description.value_or(""), store::opt(target), status,
       now_text(clock_)},
      "plan"));
  TRY_STATUS(audit::append(*tx, by, {"acquisition_plan.create", "acquisition_plan",
                                     std::to_string(row.i64(0))},
                           clock_));
  TRY_STATUS(tx->commit());
  return json{{"id", row.i64(0)}, {"year", body["year"]}, {"title", title},
              {"description", description.value_or("")}, {"target_count", opt(target)},
              {"status", status}, {"accessions", 0}, {"items_received", 0}};
}

Result<json> Collection::list_plans(const Actor& by) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(
      "SELECT p.id, p.year, p.title, p.description, p.target_count, p.status, "
      "(SELECT COUNT(*) FROM accessions a WHERE a.plan_id = p.id), "
      "(SELECT COALESCE(SUM(a.item_count), 0) FROM accessions a WHERE a.plan_id = p.id) "
      "FROM acquisition_plans p ORDER BY p.year DESC, p.id DESC"));
  json items = json::array();
  for (auto& r : rows) {
    json j = {{"id", r.i64(0)},         {"year", r.i64(1)},     {"title", r.str(2)},
              {"description", r.str(3)}, {"target_count", opt(r.opt_i64(4))},
              {"status", r.str(5)},      {"accessions", r.i64(6)}, {"items_received", r.i64(7)}};
    if (auto t = r.opt_i64(4))
      j["progress"] = std::round(1000.0 * static_cast<double>(r.i64(7)) / static_cast<double>(*t)) / 1000.0;
    items.push_back(j);
  }
  return json{{"items", items}};
}

namespace {

constexpr const char* kAccessionSelect =
    "SELECT a.id, a.accession_number, a.plan_id, a.donor_id, d.name, a.agreement_id, a.method, "
    "a.received_on, a.source, a.item_count, a.condition, a.notes, a.created_at, "
    "(SELECT COUNT(*) FROM accession_records ar WHERE ar.accession_id = a.id) "
    "FROM accessions a LEFT JOIN donors d ON d.id = a.donor_id";

json accession_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"accession_number", r.str(1)},
          {"plan_id", opt(r.opt_i64(2))},
          {"donor", r.opt_i64(3) ? json{{"id", r.i64(3)}, {"name", r.str(4)}} : json()},
          {"agreement_id", opt(r.opt_i64(5))},
          {"method", r.str(6)},
          {"received_on", r.str(7)},
          {"source", r.str(8)},
          {"item_count", r.i64(9)},
          {"condition", r.str(10)},
          {"notes", r.str(11)},
          {"created_at", r.str(12)},
          {"records_linked", r.i64(13)}};
}

}  // namespace

Result<json> Collection::create_accession(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  TRY_STATUS(only_fields(body, {"plan_id", "donor_id", "agreement_id", "method", "received_on",
                                "source", "item_count", "condition", "notes"}));
  auto method = TRY(one_of(body, "method", {"transfer", "donation", "deposit", "purchase", "collection"}, nullptr));
  auto received = TRY(opt_day(body, "received_on"));
  if (!received) return invalid("received_on", "received_on is required (YYYY-MM-DD)");
  auto source = TRY(required_text(body, "source", 300));
  if (!body.contains("item_count") || !body["item_count"].is_number_integer() ||
      body["item_count"].get<std::int64_t>() < 1 || body["item_count"].get<std::int64_t>() > 10000000)
    return invalid("item_count", "item_count is required: how many items arrived (1 or more)");
  auto condition = TRY(opt_string(body, "condition", 2000));
  auto notes = TRY(opt_string(body, "notes", 5000));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto plan = TRY(opt_ref(*tx, body, "plan_id", "acquisition_plans"));
  auto donor = TRY(opt_ref(*tx, body, "donor_id", "donors"));
  auto agreement = TRY(opt_ref(*tx, body, "agreement_id", "agreements"));
  if (agreement) {
    auto g = TRY(tx->one("SELECT donor_id FROM agreements WHERE id = ?", {*agreement}, "agreement"));
    if (donor && g.i64(0) != *donor)
      return invalid("agreement_id", "the agreement belongs to another donor");
    donor = g.i64(0);
  }
  if ((method == "donation" || method == "deposit") && !donor)
    return invalid("donor_id", "a donation or deposit names its donor");
  // 接收号: year and the next number of that year, under the writer's lock.
  std::string year = received->substr(0, 4);
  auto last = TRY(tx->one(
      "INSERT INTO scheme_counters (scheme_id, series, last_seq) VALUES ("
      "(SELECT id FROM reference_schemes WHERE fonds_id IS NULL AND category_id IS NULL), ?, 1) "
      "ON CONFLICT (scheme_id, series) DO UPDATE SET last_seq = scheme_counters.last_seq + 1 "
      "RETURNING last_seq",
      {"accession:" + year}, "counter"));
  char number[32];
  std::snprintf(number, sizeof number, "JS-%s-%04lld", year.c_str(), static_cast<long long>(last.i64(0)));
  auto row = TRY(tx->one(
      "INSERT INTO accessions (accession_number, plan_id, donor_id, agreement_id, method, "
      "received_on, source, item_count, condition, notes, created_by, created_at) VALUES "
      "(?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
      {std::string(number), store::opt(plan), store::opt(donor), store::opt(agreement), method,
       *received, source, body["item_count"].get<std::int64_t>(), condition.value_or(""),
       notes.value_or(""), by.user_id ? store::Value(by.user_id) : store::null_value(),
       now_text(clock_)},
      "accession"));
  std::int64_t id = row.i64(0);
  TRY_STATUS(audit::append(*tx, by, {"accession.create", "accession", std::to_string(id), std::nullopt,
                                     "", {{"accession_number", number}}},
                           clock_));
  auto out = TRY(tx->one(std::string(kAccessionSelect) + " WHERE a.id = ?", {id}, "accession"));
  TRY_STATUS(tx->commit());
  return accession_json(out);
}

Result<json> Collection::list_accessions(const Actor& by, std::optional<std::int64_t> plan_id,
                                         std::optional<std::string> cursor, int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  std::string sql = std::string(kAccessionSelect) + " WHERE 1 = 1";
  store::Params params;
  if (plan_id) sql += " AND a.plan_id = ?", params.push_back(*plan_id);
  if (auto after = TRY(cursor::parse_id(cursor))) sql += " AND a.id < ?", params.push_back(*after);
  sql += " ORDER BY a.id DESC LIMIT ?";
  params.push_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(sql, params));
  json items = json::array();
  std::size_t n = std::min<std::size_t>(rows.size(), static_cast<std::size_t>(limit));
  for (std::size_t i = 0; i < n; ++i) items.push_back(accession_json(rows[i]));
  json out = {{"items", items}, {"next_cursor", nullptr}};
  if (rows.size() > n && n > 0) out["next_cursor"] = cursor::encode_id(rows[n - 1].i64(0));
  return out;
}

Result<json> Collection::get_accession(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto row = TRY(tx->maybe_one(std::string(kAccessionSelect) + " WHERE a.id = ?", {id}));
  if (!row) return not_found("no accession with id " + std::to_string(id));
  json out = accession_json(*row);
  auto recs = TRY(tx->query(
      "SELECT r.id, r.reference_code, r.title, r.access_level FROM accession_records ar JOIN "
      "records r ON r.id = ar.record_id WHERE ar.accession_id = ? ORDER BY r.id",
      {id}));
  json items = json::array();
  for (auto& r : recs)
    if (view_of(by, r.str(3)) != RecordView::none)
      items.push_back({{"id", r.i64(0)}, {"reference_code", r.str(1)}, {"title", r.str(2)}});
  out["records"] = items;
  return out;
}

Result<json> Collection::link_records(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  TRY_STATUS(only_fields(body, {"record_ids"}));
  if (!body.contains("record_ids") || !body["record_ids"].is_array() || body["record_ids"].empty() ||
      body["record_ids"].size() > 1000)
    return invalid("record_ids", "record_ids: a list of 1 to 1000 record ids");
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto acc = TRY(tx->maybe_one("SELECT id FROM accessions WHERE id = ?", {id}));
  if (!acc) return not_found("no accession with id " + std::to_string(id));
  int linked = 0;
  for (auto& v : body["record_ids"]) {
    if (!v.is_number_integer()) return invalid("record_ids", "record ids are integers");
    auto rec = TRY(tx->maybe_one("SELECT id FROM records WHERE id = ?", {v.get<std::int64_t>()}));
    if (!rec) return invalid("record_ids", "no record with id " + std::to_string(v.get<std::int64_t>()));
    auto exists = TRY(tx->maybe_one(
        "SELECT 1 FROM accession_records WHERE accession_id = ? AND record_id = ?", {id, v.get<std::int64_t>()}));
    if (exists) continue;
    TRY(tx->exec("INSERT INTO accession_records (accession_id, record_id) VALUES (?,?)",
                 {id, v.get<std::int64_t>()}));
    ++linked;
  }
  TRY_STATUS(audit::append(*tx, by, {"accession.link", "accession", std::to_string(id), std::nullopt,
                                     "", {{"linked", linked}}},
                           clock_));
  TRY_STATUS(tx->commit());
  return get_accession(by, id);
}

// ---- D48 --------------------------------------------------------------------------------

Result<json> Collection::add_equipment(const Actor& by, std::int64_t location_id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  TRY_STATUS(only_fields(body, {"kind", "name", "serial", "installed_on", "last_serviced_on", "status"}));
  auto kind = TRY(one_of(body, "kind",
                         {"air_conditioner", "dehumidifier", "humidifier", "thermo_hygrometer",
                          "fire_suppression", "compact_shelving", "security", "other"},
                         nullptr));
  auto name = TRY(required_text(body, "name", 200));
  auto serial = TRY(opt_string(body, "serial", 100));
  auto installed = TRY(opt_day(body, "installed_on"));
  auto serviced = TRY(opt_day(body, "last_serviced_on"));
  auto status = TRY(one_of(body, "status", {"working", "faulty", "retired"}, "working"));
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY_STATUS(location_exists(*tx, location_id));
  auto row = TRY(tx->one(
      "INSERT INTO storage_equipment (location_id, kind, name, serial, installed_on, "
      "last_serviced_on, status, created_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
      {location_id, kind, name, serial.value_or(""), store::opt(installed), store::opt(serviced),
       status, now_text(clock_)},
      "equipment"));
  TRY_STATUS(audit::append(*tx, by, {"equipment.create", "equipment", std::to_string(row.i64(0))}, clock_));
  TRY_STATUS(tx->commit());
  return json{{"id", row.i64(0)}, {"location_id", location_id}, {"kind", kind}, {"name", name},
              {"serial", serial.value_or("")}, {"installed_on", opt(installed)},
              {"last_serviced_on", opt(serviced)}, {"status", status}};
}

Result<json> Collection::list_equipment(const Actor& by, std::int64_t location_id) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  TRY_STATUS(location_exists(*tx, location_id));
  auto rows = TRY(tx->query(
      "SELECT id, kind, name, serial, installed_on, last_serviced_on, status FROM storage_equipment "
      "WHERE location_id = ? ORDER BY kind, name",
      {location_id}));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"id", r.i64(0)}, {"kind", r.str(1)}, {"name", r.str(2)}, {"serial", r.str(3)},
                     {"installed_on", opt(r.opt_str(4))}, {"last_serviced_on", opt(r.opt_str(5))},
                     {"status", r.str(6)}});
  return json{{"items", items}};
}

namespace {

struct Thresholds {
  double t_min = 14, t_max = 24, h_min = 45, h_max = 60;
  bool configured = false;
};

Result<Thresholds> thresholds_for(store::Tx& tx, std::int64_t location_id) {
  // The room's own, else the nearest ancestor's, else the defaults.
  std::optional<std::int64_t> at = location_id;
  for (int depth = 0; at && depth < 10; ++depth) {
    auto t = TRY(tx.maybe_one(
        "SELECT temperature_min, temperature_max, humidity_min, humidity_max FROM "
        "environment_thresholds WHERE location_id = ?",
        {*at}));
    if (t) return Thresholds{t->f64(0), t->f64(1), t->f64(2), t->f64(3), true};
    auto p = TRY(tx.one("SELECT parent_id FROM locations WHERE id = ?", {*at}, "location"));
    at = p.opt_i64(0);
  }
  return Thresholds{};
}

json thresholds_json(const Thresholds& t) {
  return {{"temperature_min", t.t_min}, {"temperature_max", t.t_max}, {"humidity_min", t.h_min},
          {"humidity_max", t.h_max}, {"configured", t.configured}};
}

}  // namespace

Result<json> Collection::set_thresholds(const Actor& by, std::int64_t location_id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::catalogue_config));
  TRY_STATUS(only_fields(body, {"temperature_min", "temperature_max", "humidity_min", "humidity_max"}));
  double v[4];
  const char* names[] = {"temperature_min", "temperature_max", "humidity_min", "humidity_max"};
  for (int i = 0; i < 4; ++i) {
    if (!body.contains(names[i]) || !body[names[i]].is_number())
      return invalid(names[i], std::string(names[i]) + " is required (a number)");
    v[i] = body[names[i]].get<double>();
  }
  if (v[0] < -40 || v[1] > 60 || v[0] >= v[1])
    return invalid("temperature_max", "temperatures: -40 to 60 °C, minimum below maximum");
  if (v[2] < 0 || v[3] > 100 || v[2] >= v[3])
    return invalid("humidity_max", "humidity: 0 to 100 %, minimum below maximum");
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY_STATUS(location_exists(*tx, location_id));
  TRY(tx->exec(
      "INSERT INTO environment_thresholds (location_id, temperature_min, temperature_max, "
      "humidity_min, humidity_max, updated_at) VALUES (?,?,?,?,?,?) ON CONFLICT (location_id) DO "
      "UPDATE SET temperature_min = excluded.temperature_min, temperature_max = "
      "excluded.temperature_max, humidity_min = excluded.humidity_min, humidity_max = "
      "excluded.humidity_max, updated_at = excluded.updated_at",
      {location_id, v[0], v[1], v[2], v[3], now_text(clock_)}));
  TRY_STATUS(audit::append(*tx, by, {"environment.thresholds", "location", std::to_string(location_id),
                                     std::nullopt, "", body},
                           clock_));
  TRY_STATUS(tx->commit());
  return thresholds_json(Thresholds{v[0], v[1], v[2], v[3], true});
}

Result<json> Collection::add_readings(const Actor& by, std::int64_t location_id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  std::vector<json> list;
  if (body.contains("readings")) {
    TRY_STATUS(only_fields(body, {"readings"}));
    if (!body["readings"].is_array() || body["readings"].empty() || body["readings"].size() > 1000)
      return invalid("readings", "readings: a list of 1 to 1000 readings");
    for (auto& r : body["readings"]) list.push_back(r);
  } else {
    list.push_back(body);
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY_STATUS(location_exists(*tx, location_id));
  Thresholds th = TRY(thresholds_for(*tx, location_id));
  std::string now = now_text(clock_);
  json raised = json::array();
  int stored = 0;
  for (auto& r : list) {
    TRY_STATUS(only_fields(r, {"at", "temperature", "humidity", "source"}));
    std::optional<double> t, h;
    if (r.contains("temperature") && !r["temperature"].is_null()) {
      if (!r["temperature"].is_number() || std::abs(r["temperature"].get<double>()) > 80)
        return invalid("temperature", "temperature must be a number of °C");
      t = r["temperature"].get<double>();
    }
    if (r.contains("humidity") && !r["humidity"].is_null()) {
      if (!r["humidity"].is_number() || r["humidity"].get<double>() < 0 || r["humidity"].get<double>() > 100)
        return invalid("humidity", "humidity must be 0 to 100 (% RH)");
      h = r["humidity"].get<double>();
    }
    if (!t && !h) return invalid("temperature", "a reading has a temperature, a humidity or both");
    std::string at = now;
    if (r.contains("at")) {
      if (!r["at"].is_string() || !parse_time(r["at"].get<std::string>()))
        return invalid("at", "at must be an ISO 8601 time");
      at = format_time(*parse_time(r["at"].get<std::string>()));
    }
    auto source = TRY(opt_string(r, "source", 50));
    auto row = TRY(tx->one(
        "INSERT INTO environment_readings (location_id, at, temperature, humidity, source, "
        "recorded_by, created_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
        {location_id, at, t ? store::Value(*t) : store::null_value(),
         h ? store::Value(*h) : store::null_value(), source.value_or("manual"),
         by.user_id ? store::Value(by.user_id) : store::null_value(), now},
        "reading"));
    ++stored;
    std::int64_t reading = row.i64(0);
    struct Check {
      const char* kind;
      std::optional<double> value;
      bool out;
      double limit;
      bool high;
    };
    Check checks[] = {{"temperature_high", t, t && *t > th.t_max, th.t_max, true},
                      {"temperature_low", t, t && *t < th.t_min, th.t_min, false},
                      {"humidity_high", h, h && *h > th.h_max, th.h_max, true},
                      {"humidity_low", h, h && *h < th.h_min, th.h_min, false}};
    for (auto& c : checks) {
      if (!c.out) continue;
      auto open = TRY(tx->maybe_one(
          "SELECT id, worst_value FROM environment_alerts WHERE location_id = ? AND kind = ? AND "
          "status <> 'resolved'",
          {location_id, std::string(c.kind)}));
      if (open) {
        double worst = c.high ? std::max(open->f64(1), *c.value) : std::min(open->f64(1), *c.value);
        TRY(tx->exec("UPDATE environment_alerts SET last_reading_id = ?, worst_value = ?, readings = "
                     "readings + 1 WHERE id = ?",
                     {reading, worst, open->i64(0)}));
      } else {
        auto a = TRY(tx->one(
            "INSERT INTO environment_alerts (location_id, kind, first_reading_id, last_reading_id, "
            "worst_value, threshold, created_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
            {location_id, std::string(c.kind), reading, reading, *c.value, c.limit, now}, "alert"));
        TRY_STATUS(audit::append(*tx, by, {"environment.alert", "environment_alert",
                                           std::to_string(a.i64(0)), std::nullopt, "",
                                           {{"kind", c.kind}, {"value", *c.value}, {"threshold", c.limit}}},
                                 clock_));
        raised.push_back({{"id", a.i64(0)}, {"kind", c.kind}, {"value", *c.value}, {"threshold", c.limit}});
      }
    }
  }
  TRY_STATUS(tx->commit());
  return json{{"stored", stored}, {"alerts_raised", raised}, {"thresholds", thresholds_json(th)}};
}

Result<json> Collection::readings(const Actor& by, std::int64_t location_id,
                                  std::optional<std::string> from, std::optional<std::string> to,
                                  int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  TRY_STATUS(location_exists(*tx, location_id));
  std::string sql =
      "SELECT id, at, temperature, humidity, source FROM environment_readings WHERE location_id = ?";
  store::Params params{location_id};
  for (auto [v, op, name] : {std::tuple{&from, ">=", "from"}, std::tuple{&to, "<=", "to"}}) {
    if (!*v) continue;
    auto t = parse_time(**v);
    if (!t) return invalid(name, std::string(name) + " must be an ISO 8601 time");
    sql += std::string(" AND at ") + op + " ?";
    params.push_back(format_time(*t));
  }
  sql += " ORDER BY at DESC, id DESC LIMIT ?";
  params.push_back(static_cast<std::int64_t>(limit));
  auto rows = TRY(tx->query(sql, params));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"id", r.i64(0)}, {"at", r.str(1)},
                     {"temperature", r.is_null(2) ? json() : json(r.f64(2))},
                     {"humidity", r.is_null(3) ? json() : json(r.f64(3))}, {"source", r.str(4)}});
  Thresholds th = TRY(thresholds_for(*tx, location_id));
  return json{{"items", items}, {"thresholds", thresholds_json(th)}};
}

Result<json> Collection::alerts(const Actor& by, std::optional<std::string> status, int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  if (status && *status != "open" && *status != "acknowledged" && *status != "resolved" && *status != "active")
    return invalid("status", "status must be open, acknowledged, resolved or active (open or acknowledged)");
  std::string sql =
      "SELECT a.id, a.location_id, l.label, a.kind, a.worst_value, a.threshold, a.readings, "
      "a.status, a.created_at, a.acknowledged_at, a.resolved_at, a.note, r.at FROM "
      "environment_alerts a JOIN locations l ON l.id = a.location_id JOIN environment_readings r "
      "ON r.id = a.last_reading_id";
  store::Params params;
  if (status == std::optional<std::string>("active")) sql += " WHERE a.status <> 'resolved'";
  else if (status) sql += " WHERE a.status = ?", params.push_back(*status);
  sql += " ORDER BY a.id DESC LIMIT ?";
  params.push_back(static_cast<std::int64_t>(limit));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(sql, params));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"id", r.i64(0)},
                     {"location", {{"id", r.i64(1)}, {"label", r.str(2)}}},
                     {"kind", r.str(3)},
                     {"worst_value", r.f64(4)},
                     {"threshold", r.f64(5)},
                     {"readings", r.i64(6)},
                     {"status", r.str(7)},
                     {"created_at", r.str(8)},
                     {"acknowledged_at", opt(r.opt_str(9))},
                     {"resolved_at", opt(r.opt_str(10))},
                     {"note", r.str(11)},
                     {"last_reading_at", r.str(12)}});
  return json{{"items", items}};
}

Result<json> Collection::update_alert(const Actor& by, std::int64_t id, const std::string& action,
                                      const std::string& note) {
  TRY_STATUS(may_handle_alerts(by));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto a = TRY(tx->maybe_one("SELECT status FROM environment_alerts WHERE id = ?", {id}));
  if (!a) return not_found("no alert with id " + std::to_string(id));
  std::string now = now_text(clock_);
  std::string status = a->str(0);
  if (action == "acknowledge") {
    if (status != "open") return conflict("the alert is " + status);
    TRY(tx->exec("UPDATE environment_alerts SET status = 'acknowledged', acknowledged_by = ?, "
                 "acknowledged_at = ?, note = ? WHERE id = ?",
                 {by.user_id, now, note, id}));
  } else {
    if (status == "resolved") return conflict("the alert is already resolved");
    if (note.empty()) return invalid("note", "say what was done");
    TRY(tx->exec("UPDATE environment_alerts SET status = 'resolved', resolved_by = ?, resolved_at = "
                 "?, note = ? WHERE id = ?",
                 {by.user_id, now, note, id}));
  }
  TRY_STATUS(audit::append(*tx, by, {"environment_alert." + action, "environment_alert",
                                     std::to_string(id), std::nullopt, note},
                           clock_));
  TRY_STATUS(tx->commit());
  auto all = TRY(alerts(by, std::nullopt, 1000));
  for (auto& item : all["items"])
    if (item["id"] == id) return item;
  return not_found("no alert with id " + std::to_string(id));
}

Result<json> Collection::add_inspection(const Actor& by, std::int64_t location_id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::record_write));
  TRY_STATUS(only_fields(body, {"inspected_on", "inspector", "findings", "actions"}));
  auto day = TRY(opt_day(body, "inspected_on"));
  auto inspector = TRY(required_text(body, "inspector", 100));
  auto findings = TRY(required_text(body, "findings", 5000));
  auto actions = TRY(opt_string(body, "actions", 5000));
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY_STATUS(location_exists(*tx, location_id));
  std::string on = day.value_or(today_text(clock_));
  auto row = TRY(tx->one(
      "INSERT INTO storeroom_inspections (location_id, inspected_on, inspector, findings, actions, "
      "created_by, created_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
      {location_id, on, inspector, findings, actions.value_or(""),
       by.user_id ? store::Value(by.user_id) : store::null_value(), now_text(clock_)},
      "inspection"));
  TRY_STATUS(audit::append(*tx, by, {"inspection.create", "location", std::to_string(location_id)}, clock_));
  TRY_STATUS(tx->commit());
  return json{{"id", row.i64(0)}, {"location_id", location_id}, {"inspected_on", on},
              {"inspector", inspector}, {"findings", findings}, {"actions", actions.value_or("")}};
}

Result<json> Collection::inspections(const Actor& by, std::int64_t location_id) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  TRY_STATUS(location_exists(*tx, location_id));
  auto rows = TRY(tx->query(
      "SELECT id, inspected_on, inspector, findings, actions FROM storeroom_inspections WHERE "
      "location_id = ? ORDER BY inspected_on DESC, id DESC",
      {location_id}));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"id", r.i64(0)}, {"inspected_on", r.str(1)}, {"inspector", r.str(2)},
                     {"findings", r.str(3)}, {"actions", r.str(4)}});
  return json{{"items", items}};
}

// ---- D36 --------------------------------------------------------------------------------

Result<std::string> code128_svg(const std::string& text, double x, double y, double height,
                                double module, double* width_out) {
  std::unique_ptr<zint_symbol, void (*)(zint_symbol*)> sym(ZBarcode_Create(), ZBarcode_Delete);
  if (!sym) return fail(ErrorCode::internal, "barcode library unavailable");
  sym->symbology = BARCODE_CODE128;
  sym->show_hrt = 0;
  sym->height = 50;
  int rc = ZBarcode_Encode_and_Buffer_Vector(
      sym.get(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()), 0);
  if (rc >= ZINT_ERROR || !sym->vector)
    return invalid("reference_code", "this code cannot be printed as a Code 128 barcode");
  double sx = module, sy = height / std::max(1.0f, sym->vector->height);
  std::string out;
  double right = 0;
  for (auto* r = sym->vector->rectangles; r; r = r->next) {
    out += "<rect x=\"" + num(x + r->x * sx) + "\" y=\"" + num(y + r->y * sy) + "\" width=\"" +
           num(r->width * sx) + "\" height=\"" + num(r->height * sy) + "\"/>";
    right = std::max(right, static_cast<double>((r->x + r->width) * sx));
  }
  if (width_out) *width_out = right;
  return out;
}

Result<std::string> Collection::record_label(const Actor& by, std::int64_t record_id) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto r = TRY(tx->maybe_one(
      "SELECT r.reference_code, r.title, f.name, rp.name, r.year, r.access_level, l.label FROM "
      "records r JOIN fonds f ON f.id = r.fonds_id JOIN retention_periods rp ON rp.code = "
      "r.retention_code LEFT JOIN locations l ON l.id = r.location_id WHERE r.id = ?",
      {record_id}));
  if (!r || view_of(by, r->str(5)) == RecordView::none)
    return not_found("no record with id " + std::to_string(record_id));
  double bw = 0;
  std::string bars = TRY(code128_svg(r->str(0), 10, 64, 40, 1.0, &bw));
  std::string title = r->str(1);
  if (text::utf8_length(title) > 24) {
    // Cut at a code point boundary: the label has room for about 24 characters.
    std::size_t cut = 0;
    for (int n = 0; n < 23 && cut < title.size(); ++n) {
      unsigned char c = static_cast<unsigned char>(title[cut]);
      cut += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    }
    title = title.substr(0, cut) + "…";
  }
  double width = std::max(260.0, bw + 20);
  std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) + "\" height=\"130\" "
      "viewBox=\"0 0 " + num(width) + " 130\" font-family=\"Noto Sans CJK SC, sans-serif\">"
      "<rect width=\"100%\" height=\"100%\" fill=\"#fff\" stroke=\"#000\"/>"
      "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">" + xml_escape(r->str(0)) +
      "</text><text x=\"10\" y=\"42\" font-size=\"12\">" + xml_escape(title) +
      "</text><text x=\"10\" y=\"58\" font-size=\"10\">" + xml_escape(r->str(2)) + " · " +
      xml_escape(r->str(3)) + (r->opt_i64(4) ? " · " + std::to_string(r->i64(4)) : std::string()) +
      "</text><g fill=\"#000\">" + bars + "</g></svg>";
  return svg;
}

Result<std::string> Collection::box_label(const Actor& by, std::int64_t location_id) {
  TRY_STATUS(staff_may(by, auth::Permission::record_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto loc = TRY(tx->maybe_one("SELECT kind, code, label FROM locations WHERE id = ?", {location_id}));
  if (!loc) return not_found("no location with id " + std::to_string(location_id));
  auto recs = TRY(tx->query(
      "SELECT r.reference_code, r.title, r.patron_id, r.access_level, r.year FROM records r WHERE "
      "r.location_id = ? ORDER BY r.reference_code",
      {location_id}));
  std::vector<const store::Row*> shown;
  for (auto& r : recs)
    if (view_of(by, r.str(3)) != RecordView::none) shown.push_back(&r);
  std::string lines;
  double y = 50;
  auto line = [&](const std::string& text, int size) {
    lines += "<text x=\"10\" y=\"" + num(y) + "\" font-size=\"" + std::to_string(size) + "\">" +
             xml_escape(text) + "</text>";
    y += size + 6;
  };
  line(loc->str(2), 11);
  if (shown.empty()) {
    line("（空盒）", 12);
  } else if (shown.size() == 1 || std::all_of(shown.begin(), shown.end(), [&](const store::Row* r) {
               return r->opt_i64(2) && r->opt_i64(2) == shown.front()->opt_i64(2);
             })) {
    // One customer per box (high voltage): the customer's name (as the patron list shows
    // it to whoever prints the label, the read recorded), the file number and title.
    if (auto pid = shown.front()->opt_i64(2)) {
      auto names = TRY(patrons::names_in_list(*tx, by, reads_, {*pid}, "box_label"));
      if (names[*pid].is_string()) line(names[*pid].get<std::string>(), 13);
    }
    line(shown.front()->str(0), 14);
    line(shown.front()->str(1), 12);
    if (shown.size() > 1) line("共 " + std::to_string(shown.size()) + " 卷", 11);
  } else {
    // Several customers per box (low voltage): the range of file numbers.
    line(shown.front()->str(0) + " — " + shown.back()->str(0), 13);
    line("共 " + std::to_string(shown.size()) + " 卷", 11);
  }
  std::string code = "LOC-" + std::to_string(location_id);
  double bw = 0;
  std::string bars = TRY(code128_svg(code, 10, y, 36, 1.2, &bw));
  double height = y + 50;
  double width = std::max(300.0, bw + 20);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) + "\" height=\"" +
         num(height) + "\" viewBox=\"0 0 " + num(width) + " " + num(height) +
         "\" font-family=\"Noto Sans CJK SC, sans-serif\">"
         "<rect width=\"100%\" height=\"100%\" fill=\"#fff\" stroke=\"#000\"/>"
         "<text x=\"10\" y=\"26\" font-size=\"16\" font-weight=\"bold\">" +
         xml_escape(loc->str(0) == "box" ? "档案盒 " + loc->str(1) : loc->str(1)) + "</text>" + lines +
         "<g fill=\"#000\">" + bars + "</g></svg>";
}

}  // namespace dangan::catalogue
