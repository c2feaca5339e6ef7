#include "patrons/patrons.h"

#include <algorithm>
#include <map>
#include <set>

#include "auth/auth.h"
#include "patrons/fields.h"
#include "patrons/timeline.h"
#include "patrons/validation.h"
#include "text/text.h"

namespace dangan::patrons {

using json = nlohmann::json;
using namespace detail;

View view_for(const Actor& a, std::int64_t patron_id) {
  switch (a.role) {
    case Role::manager:
    case Role::system:
      return View::full;
    case Role::administrator:
    case Role::archivist:
    case Role::agent:
      return View::masked;
    case Role::analyst:
      return View::deidentified;
    case Role::patron:
      return a.patron_id == patron_id ? View::self : View::none;
    case Role::auditor:
      return View::none;
  }
  return View::none;
}

namespace {

std::string now_text(const Clock& c) { return format_time(c.now()); }

// A patron's own record, or a staff role with `p`; unit-scoped staff only in their unit.

// Loads an active patron (merged ids answer with where they went).

Status write_contacts(store::Tx& tx, std::int64_t id, const std::string& kind,
                      const std::vector<std::string>& values, const std::string& now) {
  // Keeps rows whose normalised value stays (with their validity and verification),
  // removes the rest, adds the new ones, and renumbers positions in the given order.
  auto rows = TRY(tx.query(
      "SELECT id, normalized FROM patron_contacts WHERE patron_id = ? AND kind = ?", {id, kind}));
  std::map<std::string, std::int64_t> existing;
  for (auto& r : rows) existing[r.str(1)] = r.i64(0);
  std::set<std::int64_t> kept;
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::string norm = kind == "phone" ? *normalize_phone(values[i]) : *normalize_email(values[i]);
    if (auto it = existing.find(norm); it != existing.end() && !kept.count(it->second)) {
      kept.insert(it->second);
      TRY(tx.exec("UPDATE patron_contacts SET value = ?, position = ? WHERE id = ?",
                  {values[i], static_cast<std::int64_t>(i), it->second}));
    } else {
      TRY(
          tx.exec("INSERT INTO patron_contacts (patron_id, kind, value, normalized, position, "
                  "created_at) VALUES (?,?,?,?,?,?)",
                  {id, kind, values[i], norm, static_cast<std::int64_t>(i), now}));
    }
  }
  for (auto& [norm, cid] : existing)
    if (!kept.count(cid)) TRY(tx.exec("DELETE FROM patron_contacts WHERE id = ?", {cid}));
  return {};
}

Status write_tags(store::Tx& tx, std::int64_t id, const std::vector<std::string>& tags) {
  TRY(tx.exec("DELETE FROM patron_tags WHERE patron_id = ?", {id}));
  for (auto& t : tags)
    TRY(tx.exec("INSERT INTO patron_tags (patron_id, tag) VALUES (?,?)", {id, t}));
  return {};
}

Status check_references(store::Tx& tx, const Input& in) {
  if (in.organisation_id && *in.organisation_id) {
    auto o =
        TRY(tx.maybe_one("SELECT type, status FROM patrons WHERE id = ?", {**in.organisation_id}));
    if (!o || o->str(0) != "organisation" || o->str(1) != "active")
      return invalid("organisation_id", "must be an active organisation patron");
  }
  if (in.unit_id && *in.unit_id) {
    auto u = TRY(tx.maybe_one("SELECT id FROM units WHERE id = ?", {**in.unit_id}));
    if (!u) return invalid("unit_id", "no such unit");
  }
  return {};
}

}  // namespace

namespace detail {

Status staff_may(const Actor& by, auth::Permission perm) {
  if (by.role == Role::patron) return forbidden("a portal account cannot do this");
  return auth::require(by, perm);
}

Status in_scope(const Actor& by, const json& p) {
  if (by.role == Role::patron) {
    if (by.patron_id != p["id"].get<std::int64_t>())
      return forbidden("a portal account sees only its own record");
    return {};
  }
  if (by.unit_scoped && by.unit_id && p["unit_id"] != json(*by.unit_id))
    return forbidden("this patron belongs to another unit");
  return {};
}

Status may_touch(const Actor& by, const json& p, auth::Permission perm) {
  if (by.role != Role::patron) TRY_STATUS(auth::require(by, perm));
  return in_scope(by, p);
}

Result<json> load_existing(store::Tx& tx, std::int64_t id) {
  auto p = TRY(load(tx, id));
  if (!p) return not_found("no patron with id " + std::to_string(id));
  if ((*p)["status"] == "merged")
    return fail(ErrorCode::conflict, "this patron was merged into another",
                "merged_into:" + std::to_string((*p)["merged_into"].get<std::int64_t>()));
  return *p;
}

Result<json> load_active_in_scope(store::Tx& tx, const Actor& by, std::int64_t id) {
  json p = TRY(load_existing(tx, id));
  if (p["status"] != "active") return conflict("this patron is " + p["status"].get<std::string>());
  TRY_STATUS(in_scope(by, p));
  return p;
}
json brief(const json& p) {
  return {{"id", p["id"]},
          {"type", p["type"]},
          {"name", p["name"]},
          {"status", p["status"]},
          {"unit_id", p["unit_id"]}};
}

// Active patrons that look like the same party: same ID document (hard), same phone or
// e-mail, or the same name (folded, or same pinyin) in the same organisation.
Result<json> find_candidates(store::Tx& tx, const json& probe, std::optional<std::int64_t> self) {
  std::map<std::int64_t, std::set<std::string>> hits;
  std::int64_t skip = self.value_or(0);
  if (probe.contains("id_document") && probe["id_document"].is_object()) {
    auto rows = TRY(tx.query(
        "SELECT id FROM patrons WHERE id_doc_type = ? AND id_doc_number = ? AND status = 'active'",
        {probe["id_document"].value("type", ""), probe["id_document"].value("number", "")}));
    for (auto& r : rows) hits[r.i64(0)].insert("id_document");
  }
  for (auto [key, kind] : {std::pair{"phones", "phone"}, std::pair{"emails", "email"}}) {
    if (!probe.contains(key) || !probe[key].is_array()) continue;
    for (auto& v : probe[key]) {
      if (!v.is_string()) continue;
      auto norm = std::string(kind) == "phone" ? normalize_phone(v.get<std::string>())
                                               : normalize_email(v.get<std::string>());
      if (!norm) continue;
      auto rows = TRY(tx.query(
          "SELECT DISTINCT c.patron_id FROM patron_contacts c JOIN patrons p ON p.id = c.patron_id "
          "WHERE c.kind = ? AND c.normalized = ? AND p.status = 'active'",
          {kind, *norm}));
      for (auto& r : rows) hits[r.i64(0)].insert(key);
    }
  }
  if (probe.contains("name") && probe["name"].is_string()) {
    std::string name = probe["name"];
    std::optional<std::int64_t> org;
    if (probe.contains("organisation_id") && probe["organisation_id"].is_number_integer())
      org = probe["organisation_id"].get<std::int64_t>();
    std::string org_name = probe.value("organisation_name", json("")).is_string()
                               ? probe.value("organisation_name", "")
                               : "";
    // Indexed on (organisation, name_key): cheap however large the organisation.
    std::string key = name_key(name);
    if (org) {
      auto rows =
          TRY(tx.query("SELECT id FROM patrons WHERE organisation_id = ? AND name_key = ? "
                       "AND status = 'active'",
                       {*org, key}));
      for (auto& r : rows) hits[r.i64(0)].insert("name");
    }
    if (!org_name.empty()) {
      auto rows =
          TRY(tx.query("SELECT id FROM patrons WHERE organisation_name = ? AND "
                       "name_key = ? AND status = 'active'",
                       {org_name, key}));
      for (auto& r : rows) hits[r.i64(0)].insert("name");
    }
  }
  json out = json::array();
  for (auto& [id, why] : hits) {
    if (id == skip) continue;
    auto p = TRY(load(tx, id));
    if (!p) continue;
    json c = brief(*p);
    c["matched_on"] = json(std::vector<std::string>(why.begin(), why.end()));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace detail

Service::Service(store::Database& db, audit::ReadRecorder& reads, const Clock& clock)
    : db_(db), reads_(reads), clock_(clock) {}

Result<CreateResult> Service::create(const Actor& by, const json& body) {
  TRY_STATUS(auth::require(by, auth::Permission::patron_write));
  if (by.role == Role::patron) return forbidden();
  Input in = TRY(parse_input(body, true, false));
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY_STATUS(check_references(*tx, in));
  if (in.id_document && *in.id_document) {
    json probe = {{"id_document",
                   {{"type", (*in.id_document)->first}, {"number", (*in.id_document)->second}}}};
    auto same = TRY(find_candidates(*tx, probe, std::nullopt));
    if (!same.empty())
      return conflict("a patron with this ID document exists (id " +
                          std::to_string(same[0]["id"].get<std::int64_t>()) + ")",
                      "id_document.number");
  }
  std::string now = now_text(clock_);
  std::string cols = "type, created_at, updated_at, search_text";
  store::Params params{*in.type, now, now, std::string()};
  for (auto& [name, value] : in.columns) cols += ", " + name, params.push_back(value);
  if (in.id_document && *in.id_document) {
    cols += ", id_doc_type, id_doc_number";
    params.push_back((*in.id_document)->first);
    params.push_back((*in.id_document)->second);
  }
  if (in.interests) cols += ", interests", params.push_back(json(*in.interests).dump());
  if (in.organisation_id)
    cols += ", organisation_id", params.push_back(store::opt(*in.organisation_id));
  std::optional<std::int64_t> unit = in.unit_id ? *in.unit_id : std::nullopt;
  if (!unit && by.unit_id) unit = by.unit_id;  // new patrons belong to the creator's unit
  if (by.unit_scoped && unit != by.unit_id)
    return forbidden("you may create patrons only in your unit");
  cols += ", unit_id", params.push_back(store::opt(unit));
  if (in.consents)
    for (auto& [k, given] : *in.consents) {
      cols += ", consent_" + k + ", consent_" + k + "_at";
      params.push_back(std::int64_t(given));
      params.push_back(now);
    }
  std::string marks(params.size() * 2 - 1, '?');
  for (std::size_t i = 1; i < marks.size(); i += 2) marks[i] = ',';
  auto row = TRY(tx->one("INSERT INTO patrons (" + cols + ") VALUES (" + marks + ") RETURNING id",
                         params, "patron"));
  std::int64_t id = row.i64(0);
  if (in.phones) TRY_STATUS(write_contacts(*tx, id, "phone", *in.phones, now));
  if (in.emails) TRY_STATUS(write_contacts(*tx, id, "email", *in.emails, now));
  if (in.tags) TRY_STATUS(write_tags(*tx, id, *in.tags));
  json full = *TRY(load(*tx, id));
  TRY_STATUS(refresh_keys(*tx, full));
  CreateResult result;
  for (auto& c : TRY(find_candidates(*tx, full, id)))
    if (in_scope(by, c)) result.duplicate_candidates.push_back(c);
  TRY_STATUS(audit::append(*tx, by, {"patron.create", "patron", std::to_string(id), id}, clock_));
  TRY(timeline::append(
      *tx, by, {id, "patron.created", "registered", {{"by_role", to_string(by.role)}}}, clock_));
  TRY_STATUS(tx->commit());
  result.patron = apply_view(full, view_for(by, id));
  return result;
}

Result<json> Service::get(const Actor& by, std::int64_t id) {
  auto tx = TRY(db_.begin(store::TxMode::read));
  json p = TRY(load_existing(*tx, id));
  TRY_STATUS(may_touch(by, p, auth::Permission::patron_read));
  View v = view_for(by, id);
  auto shown = disclosed(p, v);
  if (!shown.empty())
    reads_.record(by, {"patron.read", "patron", std::to_string(id), id, "", {{"fields", shown}}});
  return apply_view(p, v);
}

Result<json> Service::update(const Actor& by, std::int64_t id, const json& body,
                             std::optional<std::int64_t> expected_version) {
  bool self = by.role == Role::patron;
  Input in = TRY(parse_input(body, false, self));
  auto tx = TRY(db_.begin(store::TxMode::write));
  json p = TRY(load_existing(*tx, id));
  TRY_STATUS(may_touch(by, p, auth::Permission::patron_write));
  if (p["status"] != "active") return conflict("this patron was erased and cannot be changed");
  if (expected_version && *expected_version != p["version"].get<std::int64_t>())
    return conflict("the patron changed since you read it (version " +
                        std::to_string(p["version"].get<std::int64_t>()) + "); reload and retry",
                    "version");
  TRY_STATUS(check_references(*tx, in));
  std::string now = now_text(clock_);
  std::vector<std::string> changed;
  json pending = json::array();

  // Key fields: pending corrections with the old value kept.
  auto propose = [&](const std::string& field, const json& old_value,
                     const json& new_value) -> Status {
    if (old_value == new_value) return {};
    if (in.reason.size() < 4)
      return invalid("reason",
                     "changing " + field + " needs a reason (a second person approves it)");
    auto r = TRY(tx->one(
        "INSERT INTO key_field_changes (patron_id, field, old_value, new_value, reason, "
        "requested_by, requested_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
        {id, field, old_value.dump(), new_value.dump(), in.reason, by.user_id, now}, "change"));
    pending.push_back({{"id", r.i64(0)}, {"field", field}, {"status", "pending"}});
    return {};
  };
  std::string set;
  store::Params params;
  for (auto& [name, value] : in.columns) {
    const Field* f = find_field(name);
    json nv =
        std::holds_alternative<std::string>(value) ? json(std::get<std::string>(value)) : json();
    if (f->key) {
      TRY_STATUS(propose(name, p[name], nv));
      continue;
    }
    if (p[name] == nv) continue;
    set += ", " + name + " = ?";
    params.push_back(value);
    changed.push_back(name);
  }
  if (in.id_document) {
    json nv = *in.id_document
                  ? json{{"type", (*in.id_document)->first}, {"number", (*in.id_document)->second}}
                  : json();
    if (nv.is_object()) {
      auto same = TRY(find_candidates(*tx, {{"id_document", nv}}, id));
      if (!same.empty())
        return conflict("another patron has this ID document", "id_document.number");
    }
    TRY_STATUS(propose("id_document", p["id_document"], nv));
  }
  if (in.interests && json(*in.interests) != p["interests"]) {
    set += ", interests = ?";
    params.push_back(json(*in.interests).dump());
    changed.push_back("interests");
  }
  if (in.organisation_id &&
      json(*in.organisation_id ? json(**in.organisation_id) : json()) != p["organisation_id"]) {
    set += ", organisation_id = ?";
    params.push_back(store::opt(*in.organisation_id));
    changed.push_back("organisation_id");
  }
  if (in.unit_id) {
    if (by.unit_scoped) return forbidden("unit-scoped staff cannot move patrons between units");
    if (json(*in.unit_id ? json(**in.unit_id) : json()) != p["unit_id"]) {
      set += ", unit_id = ?";
      params.push_back(store::opt(*in.unit_id));
      changed.push_back("unit_id");
    }
  }
  if (in.consents)
    for (auto& [k, given] : *in.consents) {
      if (p["consents"][k]["given"] == given) continue;
      set += ", consent_" + k + " = ?, consent_" + k + "_at = ?";
      params.push_back(std::int64_t(given));
      params.push_back(now);
      changed.push_back("consents." + k);
    }
  if (in.phones && json(*in.phones) != p["phones"]) {
    TRY_STATUS(write_contacts(*tx, id, "phone", *in.phones, now));
    changed.push_back("phones");
  }
  if (in.emails && json(*in.emails) != p["emails"]) {
    TRY_STATUS(write_contacts(*tx, id, "email", *in.emails, now));
    changed.push_back("emails");
  }
  if (in.tags && json(*in.tags) != p["tags"]) {
    TRY_STATUS(write_tags(*tx, id, *in.tags));
    changed.push_back("tags");
  }
  if (!changed.empty() || !pending.empty()) {
    params.insert(params.begin(), now);
    params.push_back(id);
    TRY(tx->exec("UPDATE patrons SET updated_at = ?, version = version + 1" + set + " WHERE id = ?",
                 params));
    json full = *TRY(load(*tx, id));
    TRY_STATUS(refresh_keys(*tx, full));
    json detail = {{"fields", changed}};
    if (!pending.empty()) detail["pending_key_changes"] = pending;
    TRY_STATUS(audit::append(
        *tx, by, {"patron.update", "patron", std::to_string(id), id, in.reason, detail}, clock_));
    if (!changed.empty())
      TRY(timeline::append(
          *tx, by, {id, "patron.changed", "details changed", {{"fields", changed}}}, clock_));
    if (!pending.empty())
      TRY(timeline::append(*tx, by,
                           {id,
                            "patron.key_change_requested",
                            "correction of key fields requested",
                            {{"changes", pending}}},
                           clock_));
  }
  json full = *TRY(load(*tx, id));
  TRY_STATUS(tx->commit());
  json out = apply_view(full, view_for(by, id));
  out["pending_key_changes"] = pending;
  return out;
}

}  // namespace dangan::patrons
