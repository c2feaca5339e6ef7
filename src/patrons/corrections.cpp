// Key-field corrections (D11), contact validity (D12), relations (D49) and the
// data-quality report (D12).
#include "auth/auth.h"
#include "core/cursor.h"
#include "patrons/fields.h"
#include "patrons/patrons.h"
#include "patrons/timeline.h"
#include "patrons/validation.h"
#include "text/text.h"

namespace dangan::patrons {

using json = nlohmann::json;
using namespace detail;

namespace {

// Values are shown as the caller's view shows the field: managers in full; agents and
// archivists (who decide on corrections) with ID numbers masked; others not at all.
json change_json(const store::Row& r, View view) {
  auto parse = [&](std::size_t i) {
    if (r.is_null(i) || (view != View::full && view != View::masked)) return json();
    auto v = json::parse(r.str(i), nullptr, false);
    if (v.is_discarded()) return json();
    if (view == View::masked && v.is_object() && v.contains("number") && v["number"].is_string())
      v["number"] = mask_id_number(v["number"].get<std::string>());
    return v;
  };
  return {{"id", r.i64(0)},
          {"patron_id", r.i64(1)},
          {"field", r.str(2)},
          {"old_value", parse(3)},
          {"new_value", parse(4)},
          {"reason", r.str(5)},
          {"status", r.str(6)},
          {"requested_by", r.str(7)},
          {"requested_at", r.str(8)},
          {"decided_by", r.is_null(9) ? json() : json(r.str(9))},
          {"decided_at", r.is_null(10) ? json() : json(r.str(10))},
          {"decision_note", r.is_null(11) ? json() : json(r.str(11))}};
}

constexpr const char* kChangeSelect =
    "SELECT k.id, k.patron_id, k.field, k.old_value, k.new_value, k.reason, k.status, "
    "ru.username, k.requested_at, du.username, k.decided_at, k.decision_note, k.requested_by "
    "FROM key_field_changes k JOIN users ru ON ru.id = k.requested_by "
    "LEFT JOIN users du ON du.id = k.decided_by";

}  // namespace

Result<json> Service::key_changes(const Actor& by, std::optional<std::int64_t> patron_id,
                                  std::optional<std::string> status) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_write));
  if (status && *status != "pending" && *status != "approved" && *status != "rejected")
    return invalid("status", "must be pending, approved or rejected");
  std::string sql = std::string(kChangeSelect) + " WHERE 1=1";
  store::Params p;
  if (patron_id) sql += " AND k.patron_id = ?", p.push_back(*patron_id);
  if (status) sql += " AND k.status = ?", p.push_back(*status);
  // Unit-scoped staff see only their unit's patrons (D6), so only their corrections: the
  // values are the patron's name or ID document.
  if (by.unit_scoped && by.unit_id)
    sql += " AND k.patron_id IN (SELECT id FROM patrons WHERE unit_id = ?)",
        p.push_back(*by.unit_id);
  sql += " ORDER BY k.id DESC LIMIT 200";
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(sql, p));
  json items = json::array();
  // Values are personal data: shown in full only to roles with the full view.
  for (auto& r : rows) items.push_back(change_json(r, view_for(by, 0)));
  TRY_STATUS(add_patron_names(*tx, by, &reads_, items, "key_changes"));
  return json{{"items", items}, {"next_cursor", nullptr}};
}

Result<json> Service::decide_key_change(const Actor& by, std::int64_t change_id, bool approve,
                                        const std::string& note) {
  TRY_STATUS(staff_may(by, auth::Permission::key_change_decide));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row =
      TRY(tx->one(std::string(kChangeSelect) + " WHERE k.id = ?", {change_id}, "key-field change"));
  if (row.str(6) != "pending") return conflict("this change was already " + row.str(6));
  if (row.i64(12) == by.user_id)
    return forbidden("a second person must decide on a change you requested");
  std::int64_t patron_id = row.i64(1);
  json p = TRY(load_active_in_scope(*tx, by, patron_id));
  std::string now = format_time(clock_.now());
  std::string field = row.str(2);
  if (approve) {
    json nv = json::parse(row.str(4), nullptr, false);
    if (json::parse(row.str(3), nullptr, false) != p[field])
      return conflict("the field changed since this correction was requested; request it again");
    if (field == "id_document") {
      if (nv.is_object()) {
        auto same = TRY(find_candidates(*tx, {{"id_document", nv}}, patron_id));
        if (!same.empty())
          return conflict("another patron has this ID document", "id_document.number");
        TRY(tx->exec("UPDATE patrons SET id_doc_type = ?, id_doc_number = ? WHERE id = ?",
                     {nv["type"].get<std::string>(), nv["number"].get<std::string>(), patron_id}));
      } else {
        TRY(tx->exec("UPDATE patrons SET id_doc_type = NULL, id_doc_number = NULL WHERE id = ?",
                     {patron_id}));
      }
    } else {
      const Field* f = find_field(field);
      if (!f || !f->key) return fail(ErrorCode::internal, "unknown key field");
      TRY(tx->exec(
          "UPDATE patrons SET " + std::string(f->name) + " = ? WHERE id = ?",
          {nv.is_string() ? store::Value(nv.get<std::string>()) : store::null_value(), patron_id}));
    }
    TRY(tx->exec("UPDATE patrons SET updated_at = ?, version = version + 1 WHERE id = ?",
                 {now, patron_id}));
    json full = *TRY(load(*tx, patron_id));
    TRY_STATUS(refresh_keys(*tx, full));
  }
  TRY(
      tx->exec("UPDATE key_field_changes SET status = ?, decided_by = ?, decided_at = ?, "
               "decision_note = ? WHERE id = ?",
               {approve ? "approved" : "rejected", by.user_id, now, note, change_id}));
  TRY_STATUS(audit::append(*tx, by,
                           {approve ? "patron.key_change_approved" : "patron.key_change_rejected",
                            "key_field_change",
                            std::to_string(change_id),
                            patron_id,
                            note,
                            {{"field", field}}},
                           clock_));
  TRY(timeline::append(
      *tx, by,
      {patron_id,
       approve ? "patron.key_change_approved" : "patron.key_change_rejected",
       std::string("correction of ") + field + (approve ? " approved" : " rejected"),
       {{"field", field}, {"change_id", change_id}}},
      clock_));
  auto after =
      TRY(tx->one(std::string(kChangeSelect) + " WHERE k.id = ?", {change_id}, "key-field change"));
  TRY_STATUS(tx->commit());
  return change_json(after, view_for(by, 0));
}

Result<json> Service::set_contact_validity(const Actor& by, std::int64_t patron_id,
                                           std::int64_t contact_id, bool valid,
                                           const std::string& reason) {
  if (by.role == Role::patron) {
    if (by.patron_id != patron_id) return forbidden("a portal account sees only its own record");
  } else {
    TRY_STATUS(staff_may(by, auth::Permission::patron_write));
  }
  if (!valid && text::utf8_length(reason) < 2)
    return invalid("reason", "say why the contact is invalid, e.g. bounce or failed_call");
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (by.role != Role::patron) TRY(load_active_in_scope(*tx, by, patron_id));
  auto c = TRY(tx->one("SELECT kind FROM patron_contacts WHERE id = ? AND patron_id = ?",
                       {contact_id, patron_id}, "contact"));
  std::string now = format_time(clock_.now());
  if (valid)
    TRY(tx->exec(
        "UPDATE patron_contacts SET valid = 1, invalid_reason = NULL, last_verified_at = ? "
        "WHERE id = ?",
        {now, contact_id}));
  else
    TRY(tx->exec("UPDATE patron_contacts SET valid = 0, invalid_reason = ? WHERE id = ?",
                 {reason, contact_id}));
  TRY_STATUS(audit::append(*tx, by,
                           {valid ? "patron.contact_verified" : "patron.contact_invalidated",
                            "contact",
                            std::to_string(contact_id),
                            patron_id,
                            reason,
                            {{"kind", c.str(0)}}},
                           clock_));
  TRY(timeline::append(*tx, by,
                       {patron_id,
                        valid ? "patron.contact_verified" : "patron.contact_invalidated",
                        c.str(0) + (valid ? " verified" : " marked invalid: " + reason),
                        {{"contact_id", contact_id}}},
                       clock_));
  json full = *TRY(load(*tx, patron_id));
  TRY_STATUS(tx->commit());
  return apply_view(full, view_for(by, patron_id));
}

Result<json> Service::relations(const Actor& by, std::int64_t id) {
  auto tx = TRY(db_.begin(store::TxMode::read));
  json p = TRY(load_existing(*tx, id));
  TRY_STATUS(may_touch(by, p, auth::Permission::patron_read));
  // Both directions: "A member_of B" shows on A and on B (as the group's members).
  auto rows =
      TRY(tx->query("SELECT r.id, r.kind, r.role, r.related_id, q.name, q.type, 'outgoing' FROM "
                    "patron_relations r "
                    "JOIN patrons q ON q.id = r.related_id WHERE r.patron_id = ? UNION ALL "
                    "SELECT r.id, r.kind, r.role, r.patron_id, q.name, q.type, 'incoming' FROM "
                    "patron_relations r "
                    "JOIN patrons q ON q.id = r.patron_id WHERE r.related_id = ? ORDER BY 2, 1",
                    {id, id}));
  bool names = by.role != Role::analyst;
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"id", r.i64(0)},
                     {"kind", r.str(1)},
                     {"role", r.is_null(2) ? json() : json(r.str(2))},
                     {"patron_id", r.i64(3)},
                     {"name", names || r.str(5) == "organisation" ? json(r.str(4)) : json()},
                     {"type", r.str(5)},
                     {"direction", r.str(6)}});
  return json{{"items", items}, {"next_cursor", nullptr}};
}

Result<json> Service::add_relation(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_write));
  if (!body.is_object()) return invalid("", "the body must be a JSON object");
  for (auto it = body.begin(); it != body.end(); ++it)
    if (it.key() != "related_id" && it.key() != "kind" && it.key() != "role")
      return invalid(it.key(), "unknown field");
  if (!body.contains("related_id") || !body["related_id"].is_number_integer())
    return invalid("related_id", "is required: the id of the other patron");
  if (!body.contains("kind") || !body["kind"].is_string() ||
      std::find(std::begin(kRelationKinds), std::end(kRelationKinds),
                body["kind"].get<std::string>()) == std::end(kRelationKinds))
    return invalid("kind",
                   "must be household, research_group, member_of, colleague, guardian or other");
  std::string role;
  if (body.contains("role")) {
    if (!body["role"].is_string() || text::utf8_length(body["role"].get<std::string>()) > 100)
      return invalid("role", "must be a string of at most 100 characters");
    role = body["role"];
  }
  std::int64_t other = body["related_id"];
  if (other == id) return invalid("related_id", "a patron cannot be related to itself");
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(load_active_in_scope(*tx, by, id));
  auto q = TRY(load(*tx, other));
  if (!q || (*q)["status"] != "active") return invalid("related_id", "no such active patron");
  std::string kind = body["kind"];
  if (kind == "member_of" && (*q)["type"] != "organisation")
    return invalid("related_id", "member_of needs an organisation");
  auto r = tx->one(
      "INSERT INTO patron_relations (patron_id, related_id, kind, role, created_at) "
      "VALUES (?,?,?,?,?) RETURNING id",
      {id, other, kind, role.empty() ? store::null_value() : store::Value(role),
       format_time(clock_.now())},
      "relation");
  if (!r) {
    if (r.error().code == ErrorCode::conflict) return conflict("this relation exists already");
    return std::unexpected(r.error());
  }
  json detail = {{"relation_id", r->i64(0)}, {"kind", kind}, {"related_id", other}};
  TRY_STATUS(audit::append(
      *tx, by, {"patron.relation_added", "patron", std::to_string(id), id, "", detail}, clock_));
  TRY(timeline::append(*tx, by, {id, "patron.relation_added", kind + " relation added", detail},
                       clock_));
  TRY(timeline::append(*tx, by, {other, "patron.relation_added", kind + " relation added", detail},
                       clock_));
  TRY_STATUS(tx->commit());
  return json{{"id", r->i64(0)},
              {"patron_id", id},
              {"related_id", other},
              {"kind", kind},
              {"role", role.empty() ? json() : json(role)}};
}

Status Service::remove_relation(const Actor& by, std::int64_t id, std::int64_t relation_id) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_write));
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(load_active_in_scope(*tx, by, id));
  auto r =
      TRY(tx->one("SELECT kind, related_id, patron_id FROM patron_relations WHERE id = ? AND "
                  "(patron_id = ? OR related_id = ?)",
                  {relation_id, id, id}, "relation"));
  TRY(tx->exec("DELETE FROM patron_relations WHERE id = ?", {relation_id}));
  json detail = {{"relation_id", relation_id}, {"kind", r.str(0)}};
  TRY_STATUS(audit::append(
      *tx, by, {"patron.relation_removed", "patron", std::to_string(id), id, "", detail}, clock_));
  TRY(timeline::append(
      *tx, by, {id, "patron.relation_removed", r.str(0) + " relation removed", detail}, clock_));
  return tx->commit();
}

Result<json> Service::data_quality(const Actor& by) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  std::string unit_clause;
  store::Params up;
  if (by.unit_scoped && by.unit_id) unit_clause = " AND unit_id = ?", up.push_back(*by.unit_id);
  auto total = TRY(tx->one("SELECT COUNT(*) FROM patrons WHERE status = 'active'" + unit_clause, up,
                           "count"))
                   .i64(0);
  json fill = json::object();
  for (auto& f : fields()) {
    if (f.privacy == Privacy::staff_only) continue;
    std::string name(f.name);
    auto n = TRY(tx->one("SELECT COUNT(*) FROM patrons WHERE status = 'active' AND " + name +
                             " IS NOT NULL AND " + name + " <> ''" + unit_clause,
                         up, "count"))
                 .i64(0);
    fill[name] = total ? static_cast<double>(n) / static_cast<double>(total) : 0.0;
  }
  for (auto [label, kind] : {std::pair{"phones", "phone"}, std::pair{"emails", "email"}}) {
    store::Params p{std::string(kind)};
    p.insert(p.end(), up.begin(), up.end());
    auto n =
        TRY(tx->one("SELECT COUNT(DISTINCT c.patron_id) FROM patron_contacts c JOIN patrons p ON "
                    "p.id = c.patron_id WHERE c.kind = ? AND p.status = 'active'" +
                        std::string(unit_clause.empty() ? "" : " AND p.unit_id = ?"),
                    p, "count"))
            .i64(0);
    fill[label] = total ? static_cast<double>(n) / static_cast<double>(total) : 0.0;
  }
  std::string stale_before = format_time(clock_.now() - std::chrono::days(365));
  store::Params cp{stale_before};
  cp.insert(cp.end(), up.begin(), up.end());
  auto c = TRY(tx->one(
      "SELECT COUNT(*), SUM(CASE WHEN c.valid = 0 THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN c.valid = 1 AND (c.last_verified_at IS NULL OR c.last_verified_at < ?) "
      "THEN 1 ELSE 0 END) FROM patron_contacts c JOIN patrons p ON p.id = c.patron_id "
      "WHERE p.status = 'active'" +
          std::string(unit_clause.empty() ? "" : " AND p.unit_id = ?"),
      cp, "count"));
  auto stale = TRY(tx->one(
                       "SELECT COUNT(*) FROM patrons WHERE status = 'active' AND updated_at < ?" +
                           unit_clause,
                       [&] {
                         store::Params p{stale_before};
                         p.insert(p.end(), up.begin(), up.end());
                         return p;
                       }(),
                       "count"))
                   .i64(0);
  return json{{"patrons", total},
              {"fill_rate", fill},
              {"contacts",
               {{"total", c.i64(0)}, {"invalid", c.i64(1)}, {"unverified_for_a_year", c.i64(2)}}},
              {"stale_patrons", stale},
              {"stale_after_days", 365}};
}

Result<json> Service::contacts_due(const Actor& by, int days, std::optional<std::int64_t> after,
                                   int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_write));
  if (days < 1 || days > 3650) return invalid("days", "must be 1 to 3650");
  std::string before = format_time(clock_.now() - std::chrono::days(days));
  std::string sql =
      "SELECT c.id, c.patron_id, c.kind, c.value, c.last_verified_at, p.name, p.unit_id "
      "FROM patron_contacts c JOIN patrons p ON p.id = c.patron_id "
      "WHERE p.status = 'active' AND c.valid = 1 AND "
      "(c.last_verified_at IS NULL OR c.last_verified_at < ?) AND c.id > ?";
  store::Params params{before, after.value_or(0)};
  if (by.unit_scoped && by.unit_id) sql += " AND p.unit_id = ?", params.push_back(*by.unit_id);
  sql += " ORDER BY c.id LIMIT ?";
  params.push_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(sql, params));
  bool full = view_for(by, 0) == View::full;
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < limit; ++i) {
    auto& r = rows[i];
    std::string value = r.str(3);
    if (!full) value = r.str(2) == "phone" ? mask_phone(value) : mask_email(value);
    items.push_back({{"contact_id", r.i64(0)},
                     {"patron_id", r.i64(1)},
                     {"patron_name", r.str(5)},
                     {"kind", r.str(2)},
                     {"value", value},
                     {"last_verified_at", r.is_null(4) ? json() : json(r.str(4))}});
  }
  json out = {{"items", items}, {"next_cursor", nullptr}};
  if (static_cast<int>(rows.size()) > limit)
    out["next_cursor"] = cursor::encode_id(rows[limit - 1].i64(0));
  return out;
}

}  // namespace dangan::patrons
