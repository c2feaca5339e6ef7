// Service traces and risk alerts: rules, raising, and the alert workflow.
#include <algorithm>

#include "audit/audit.h"
#include "loans/loans.h"
#include "patrons/patrons.h"
#include "patrons/timeline.h"
#include "patrons/writes.h"
#include "service/internal.h"
#include "service/tickets.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

constexpr const char* kAlertCols =
    "id, kind, status, summary, patron_id, ticket_id, subject_user_id, assignee_id, detail, "
    "created_at, updated_at, resolved_at, resolution";

json alert_json(const store::Row& r) {
  auto detail = json::parse(r.str(8), nullptr, false);
  return {{"id", r.i64(0)},
          {"kind", r.str(1)},
          {"status", r.str(2)},
          {"summary", r.str(3)},
          {"patron_id", opt(r.opt_i64(4))},
          {"ticket_id", opt(r.opt_i64(5))},
          {"subject_user_id", opt(r.opt_i64(6))},
          {"assignee_id", opt(r.opt_i64(7))},
          {"detail", detail.is_discarded() ? json::object() : detail},
          {"created_at", r.str(9)},
          {"updated_at", r.str(10)},
          {"resolved_at", opt(r.opt_str(11))},
          {"resolution", r.str(12)}};
}

// The rule's parameters when it is enabled.
Result<std::optional<json>> rule(store::Tx& tx, const char* kind) {
  auto row = TRY(
      tx.maybe_one("SELECT enabled, params FROM alert_rules WHERE kind = ?", {std::string(kind)}));
  if (!row || row->i64(0) == 0) return std::optional<json>{};
  auto p = json::parse(row->str(1), nullptr, false);
  if (!p.is_object()) return std::optional<json>{};
  return std::optional<json>{p};
}

std::int64_t param(const json& p, const char* name, std::int64_t fallback) {
  auto it = p.find(name);
  return it != p.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

struct NewAlert {
  std::string kind, dedupe_key, summary;
  std::optional<std::int64_t> patron_id, ticket_id, subject_user_id;
  json detail = json::object();
};

// Raises the alert unless one with its key is unresolved; returns its id when raised.
Result<std::optional<std::int64_t>> raise(store::Tx& tx, const NewAlert& a, const Clock& clock) {
  std::string now = format_time(clock.now());
  auto row = TRY(tx.maybe_one(
      "INSERT INTO alerts (kind, status, summary, patron_id, ticket_id, subject_user_id, "
      "dedupe_key, detail, created_at, updated_at) VALUES (?,'open',?,?,?,?,?,?,?,?) ON CONFLICT "
      "DO NOTHING RETURNING id",
      {a.kind, a.summary, store::opt(a.patron_id), store::opt(a.ticket_id),
       store::opt(a.subject_user_id), a.dedupe_key, a.detail.dump(), now, now}));
  if (!row) return std::optional<std::int64_t>{};
  std::int64_t id = row->i64(0);
  const Actor sys = system_actor();
  TRY_STATUS(audit::append(
      tx, sys, {"alert.raise", "alert", std::to_string(id), a.patron_id, "", {{"kind", a.kind}}},
      clock));
  if (a.patron_id)
    TRY(timeline::append(
        tx, sys,
        {*a.patron_id, "alert.raised", a.summary, {{"kind", a.kind}}, "alert", std::to_string(id)},
        clock));
  return std::optional<std::int64_t>{id};
}

bool sees_privacy(const Actor& by) {
  return by.role == Role::system || auth::allowed(by.role, auth::Permission::ticket_confidential);
}

}  // namespace

Status Desk::evaluate_opened(store::Tx& tx, std::int64_t ticket_id) {
  auto t = TRY(
      tx.one("SELECT patron_id, kind, subject_key, number, created_at FROM tickets WHERE id = ?",
             {ticket_id}, "ticket"));
  auto patron_id = t.opt_i64(0);
  if (!patron_id) return {};
  TimePoint now = clock_.now();
  if (auto p = TRY(rule(tx, "repeat_contact"))) {
    std::int64_t count = std::max<std::int64_t>(2, param(*p, "count", 3));
    std::int64_t days = std::max<std::int64_t>(1, param(*p, "days", 7));
    auto n = TRY(tx.one(
        "SELECT COUNT(*) FROM tickets WHERE patron_id = ? AND subject_key = ? AND created_at >= ?",
        {*patron_id, t.str(2), format_time(now - std::chrono::days(days))}, "count"));
    if (n.i64(0) >= count)
      TRY(raise(tx,
                {"repeat_contact",
                 "repeat_contact:" + std::to_string(*patron_id) + ":" + t.str(2),
                 "Contacted " + std::to_string(n.i64(0)) + " times in " + std::to_string(days) +
                     " days about the same subject (" + t.str(3) + ")",
                 patron_id,
                 ticket_id,
                 std::nullopt,
                 {{"count", n.i64(0)}, {"days", days}}},
                clock_));
  }
  if (t.str(1) == "complaint") {
    if (auto p = TRY(rule(tx, "repeat_complaint"))) {
      std::int64_t days = std::max<std::int64_t>(1, param(*p, "days", 90));
      auto n =
          TRY(tx.one("SELECT COUNT(*) FROM tickets WHERE patron_id = ? AND kind = 'complaint' AND "
                     "created_at >= ?",
                     {*patron_id, format_time(now - std::chrono::days(days))}, "count"));
      if (n.i64(0) >= 2) {
        auto id = TRY(raise(tx,
                            {"repeat_complaint",
                             "repeat_complaint:" + std::to_string(*patron_id),
                             "Second complaint within " + std::to_string(days) +
                                 " days: the patron is now marked sensitive (敏感客户)",
                             patron_id,
                             ticket_id,
                             std::nullopt,
                             {{"complaints", n.i64(0)}, {"days", days}}},
                            clock_));
        TRY(tx.exec(
            "INSERT INTO sensitive_patrons (patron_id, since, reason, alert_id) VALUES (?,?,?,?) "
            "ON CONFLICT (patron_id) DO NOTHING",
            {*patron_id, format_time(now),
             std::to_string(n.i64(0)) + " complaints within " + std::to_string(days) + " days",
             store::opt(id)}));
      }
    }
  }
  return {};
}

Result<int> Desk::evaluate_periodic(store::Tx& tx, const BusinessCalendar& cal) {
  int raised = 0;
  TimePoint now = clock_.now();
  if (auto p = TRY(rule(tx, "sla_warning"))) {
    std::int64_t before = std::max<std::int64_t>(1, param(*p, "minutes_before", 60)) * 60;
    // Working time can stretch over a long holiday: look two weeks ahead, then measure.
    auto rows = TRY(
        tx.query("SELECT id, number, resolution_due, patron_id FROM tickets WHERE status IN "
                 "('new','open','reopened') AND resolution_breached = 0 AND sla_warned = 0 AND "
                 "resolution_due > ? AND resolution_due <= ? ORDER BY resolution_due LIMIT 1000",
                 {format_time(now), format_time(now + std::chrono::days(14))}));
    for (auto& r : rows) {
      auto due = parse_time(r.str(2));
      if (!due || cal.working_seconds(now, *due) > before) continue;
      TRY(tx.exec("UPDATE tickets SET sla_warned = 1 WHERE id = ?", {r.i64(0)}));
      auto id = TRY(raise(tx,
                          {"sla_warning",
                           "sla_warning:" + std::to_string(r.i64(0)) + ":" + r.str(2),
                           "Ticket " + r.str(1) + " must be resolved by " + r.str(2),
                           r.opt_i64(3),
                           r.i64(0),
                           std::nullopt,
                           {{"resolution_due", r.str(2)}}},
                          clock_));
      if (id) ++raised;
    }
  }
  if (auto p = TRY(rule(tx, "privacy_reads"))) {
    std::int64_t reads = std::max<std::int64_t>(1, param(*p, "reads", 200));
    std::int64_t minutes = std::max<std::int64_t>(1, param(*p, "minutes", 60));
    auto heavy = TRY(
        audit::personal_reads_since(tx, format_time(now - std::chrono::minutes(minutes)), reads));
    for (auto& h : heavy) {
      auto id = TRY(raise(tx,
                          {"privacy_reads",
                           "privacy_reads:" + std::to_string(h.actor_id),
                           h.actor_name + " read personal data " + std::to_string(h.reads) +
                               " times in " + std::to_string(minutes) + " minutes",
                           std::nullopt,
                           std::nullopt,
                           h.actor_id,
                           {{"reads", h.reads}, {"minutes", minutes}}},
                          clock_));
      if (id) ++raised;
    }
  }
  if (auto p = TRY(rule(tx, "loan_overdue"))) {
    std::int64_t days = std::clamp<std::int64_t>(param(*p, "days", 0), 0, 365);
    for (auto& l : TRY(loans::Desk::overdue(tx, now, static_cast<int>(days)))) {
      auto id = TRY(raise(tx,
                          {"loan_overdue",
                           "loan_overdue:" + std::to_string(l.loan_id) + ":" + l.due_at,
                           "Loan of " + l.reference_code + " was due " + l.due_at,
                           l.patron_id,
                           std::nullopt,
                           std::nullopt,
                           {{"loan_id", l.loan_id}, {"record_id", l.record_id}, {"due_at", l.due_at}}},
                          clock_));
      if (id) ++raised;
    }
  }
  return raised;
}

Result<json> Desk::list_alerts(const Actor& by, const std::optional<std::string>& status,
                               const std::optional<std::string>& kind,
                               std::optional<std::int64_t> patron_id,
                               const std::optional<std::string>& cursor, int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  std::string where = "1 = 1";
  store::Params p;
  if (!sees_privacy(by)) where += " AND kind <> 'privacy_reads'";
  if (status) {
    if (*status == "unresolved") {
      where += " AND status <> 'resolved'";
    } else {
      if (!is_one_of(*status, {"open", "assigned", "acknowledged", "resolved"}))
        return invalid("status", "status is open, assigned, acknowledged, resolved or unresolved");
      where += " AND status = ?";
      p.emplace_back(*status);
    }
  }
  if (kind) {
    if (!is_one_of(*kind, {"repeat_contact", "repeat_complaint", "sla_warning", "privacy_reads",
                        "loan_overdue"}))
      return invalid("kind", "unknown alert kind " + *kind);
    where += " AND kind = ?";
    p.emplace_back(*kind);
  }
  if (patron_id) {
    where += " AND patron_id = ?";
    p.emplace_back(*patron_id);
  }
  if (auto after = TRY(after_id(cursor))) {
    where += " AND id < ?";
    p.emplace_back(after);
  }
  limit = std::clamp(limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kAlertCols + " FROM alerts WHERE " + where +
                                " ORDER BY id DESC LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(alert_json(rows[i]));
  TRY_STATUS(patrons::add_patron_names(*tx, by, &reads_, items, "alerts"));
  return id_page(std::move(items), rows, limit);
}

Result<json> Desk::act_on_alert(const Actor& by, std::int64_t id, const std::string& action,
                                const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  if (!is_one_of(action, {"assign", "acknowledge", "resolve"}))
    return not_found("no such action; use assign, acknowledge or resolve");
  TRY_STATUS(only_fields(body, {"assignee_id", "resolution"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row =
      TRY(tx->maybe_one(std::string("SELECT ") + kAlertCols + " FROM alerts WHERE id = ?", {id}));
  if (!row) return not_found("no such alert");
  std::string kind = row->str(1), status = row->str(2);
  if (kind == "privacy_reads" && !sees_privacy(by)) return not_found("no such alert");
  if (status == "resolved") return conflict("the alert is resolved", "status");
  std::string now = format_time(clock_.now());
  std::string sets = "updated_at = ?";
  store::Params p{now};
  json detail = {{"from", status}};
  if (action == "assign") {
    auto assignee = TRY(optional_id(body, "assignee_id"));
    if (!assignee) return invalid("assignee_id", "assignee_id is required");
    TRY_STATUS(check_user(*tx, *assignee, "assignee_id"));
    sets += ", status = 'assigned', assignee_id = ?";
    p.emplace_back(*assignee);
    detail["assignee_id"] = *assignee;
  } else if (action == "acknowledge") {
    if (status == "acknowledged") return conflict("the alert is acknowledged already", "status");
    sets += ", status = 'acknowledged'";
    if (row->is_null(7)) {
      sets += ", assignee_id = ?";
      p.emplace_back(by.user_id);
    }
  } else {
    // An erased patron's alert is resolved without a text (none may be recorded about them).
    std::string resolution;
    if (TRY(patrons::is_erased(*tx, row->opt_i64(4)))) {
      if (!TRY(optional_text(body, "resolution", 2000)).value_or("").empty())
        return patrons::erased_conflict(*row->opt_i64(4));
    } else {
      resolution = TRY(required_text(body, "resolution", 2000));
    }
    sets += ", status = 'resolved', resolved_at = ?, resolution = ?";
    p.emplace_back(now);
    p.emplace_back(resolution);
  }
  p.emplace_back(id);
  p.emplace_back(status);
  auto n = TRY(tx->exec("UPDATE alerts SET " + sets + " WHERE id = ? AND status = ?", p));
  if (n != 1) return conflict("the alert changed meanwhile; reload it", "status");
  TRY_STATUS(audit::append(
      *tx, by, {"alert." + action, "alert", std::to_string(id), row->opt_i64(4), "", detail},
      clock_));
  auto after = TRY(
      tx->one(std::string("SELECT ") + kAlertCols + " FROM alerts WHERE id = ?", {id}, "alert"));
  TRY_STATUS(tx->commit());
  return alert_json(after);
}

Result<json> Desk::alert_rules(const Actor& by) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows =
      TRY(tx->query("SELECT kind, enabled, params, updated_at FROM alert_rules ORDER BY kind"));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"kind", r.str(0)},
                     {"enabled", r.i64(1) != 0},
                     {"params", json::parse(r.str(2), nullptr, false)},
                     {"updated_at", r.str(3)}});
  return json{{"items", items}};
}

Result<json> Desk::put_alert_rule(const Actor& by, const std::string& kind, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  static const std::map<std::string, std::vector<std::pair<std::string, std::pair<int, int>>>>
      kParams = {{"repeat_contact", {{"count", {2, 100}}, {"days", {1, 365}}}},
                 {"repeat_complaint", {{"days", {1, 3650}}}},
                 {"sla_warning", {{"minutes_before", {1, 10080}}}},
                 {"privacy_reads", {{"reads", {1, 1000000}}, {"minutes", {1, 10080}}}},
                 {"loan_overdue", {{"days", {0, 365}}}}};
  auto spec = kParams.find(kind);
  if (spec == kParams.end()) return not_found("no such alert rule");
  TRY_STATUS(only_fields(body, {"enabled", "params"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur =
      TRY(tx->one("SELECT enabled, params FROM alert_rules WHERE kind = ?", {kind}, "alert rule"));
  bool enabled = cur.i64(0) != 0;
  json params = json::parse(cur.str(1), nullptr, false);
  if (!params.is_object()) params = json::object();
  if (body.contains("enabled")) {
    if (!body["enabled"].is_boolean()) return invalid("enabled", "enabled must be true or false");
    enabled = body["enabled"].get<bool>();
  }
  if (body.contains("params")) {
    if (!body["params"].is_object()) return invalid("params", "params must be an object");
    for (auto& [k, v] : body["params"].items()) {
      auto it = std::find_if(spec->second.begin(), spec->second.end(),
                             [&](auto& e) { return e.first == k; });
      if (it == spec->second.end())
        return invalid("params." + k, "unknown parameter " + k + " for " + kind);
      if (!v.is_number_integer() || v.get<std::int64_t>() < it->second.first ||
          v.get<std::int64_t>() > it->second.second)
        return invalid("params." + k, k + " must be a whole number from " +
                                          std::to_string(it->second.first) + " to " +
                                          std::to_string(it->second.second));
      params[k] = v;
    }
  }
  std::string now = format_time(clock_.now());
  TRY(tx->exec("UPDATE alert_rules SET enabled = ?, params = ?, updated_at = ? WHERE kind = ?",
               {static_cast<std::int64_t>(enabled ? 1 : 0), params.dump(), now, kind}));
  TRY_STATUS(audit::append(*tx, by,
                           {"alert_rule.update",
                            "alert_rule",
                            kind,
                            std::nullopt,
                            "",
                            {{"enabled", enabled}, {"params", params}}},
                           clock_));
  TRY_STATUS(tx->commit());
  return json{{"kind", kind}, {"enabled", enabled}, {"params", params}, {"updated_at", now}};
}

Result<json> Desk::patron_summary(const Actor& by, std::int64_t patron_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  if (!TRY(tx->maybe_one("SELECT 1 FROM patrons WHERE id = ?", {patron_id})))
    return not_found("no such patron");
  auto sensitive = TRY(tx->maybe_one(
      "SELECT since, reason FROM sensitive_patrons WHERE patron_id = ?", {patron_id}));
  auto counts = TRY(tx->one(
      "SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind = 'complaint' THEN 1 ELSE 0 END), 0) FROM "
      "tickets WHERE patron_id = ? AND status IN ('new','open','waiting_on_patron','reopened')",
      {patron_id}, "count"));
  auto alerts =
      TRY(tx->one("SELECT COUNT(*) FROM alerts WHERE patron_id = ? AND status <> 'resolved'",
                  {patron_id}, "count"));
  auto visit = TRY(tx->maybe_one(
      "SELECT satisfaction, done_at FROM follow_up_visits WHERE patron_id = ? AND status = 'done' "
      "ORDER BY done_at DESC, id DESC LIMIT 1",
      {patron_id}));
  json out = {{"patron_id", patron_id},
              {"sensitive", sensitive.has_value()},
              {"active_tickets", counts.i64(0)},
              {"active_complaints", counts.i64(1)},
              {"unresolved_alerts", alerts.i64(0)},
              {"last_satisfaction", visit ? json(visit->i64(0)) : json(nullptr)},
              {"last_visit_at", visit ? json(visit->str(1)) : json(nullptr)}};
  if (sensitive)
    out["sensitive_since"] = sensitive->str(0), out["sensitive_reason"] = sensitive->str(1);
  return out;
}

}  // namespace dangan::service
