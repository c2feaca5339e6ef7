// Service recovery on complaints and follow-up visits (回访).
#include <sodium.h>

#include <algorithm>
#include <charconv>

#include "patrons/timeline.h"
#include "patrons/writes.h"
#include "service/internal.h"
#include "service/quality.h"
#include "service/tickets.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

constexpr const char* kVisitCols =
    "id, ticket_id, patron_id, reason, status, due_at, channel, satisfaction, comments, done_by, "
    "done_at, created_at";

json visit_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"ticket_id", opt(r.opt_i64(1))},
          {"patron_id", r.i64(2)},
          {"reason", r.str(3)},
          {"status", r.str(4)},
          {"due_at", r.str(5)},
          {"channel", opt(r.opt_str(6))},
          {"satisfaction", opt(r.opt_i64(7))},
          {"comments", r.str(8)},
          {"done_by", opt(r.opt_i64(9))},
          {"done_at", opt(r.opt_str(10))},
          {"created_at", r.str(11)}};
}

Result<std::string> setting(store::Tx& tx, const std::string& key, const std::string& fallback) {
  auto row = TRY(tx.maybe_one("SELECT value FROM service_settings WHERE key = ?", {key}));
  return row ? row->str(0) : fallback;
}

double to_double(const std::string& s, double fallback) {
  double v = fallback;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() ? v : fallback;
}

// Working seconds in a standard day (a Monday's hours; 7.5 h when Monday is closed).
std::int64_t working_day(const BusinessCalendar& cal) {
  std::int64_t n = 0;
  for (const auto& s : cal.spec().weekly[0]) n += s.end - s.begin;
  return n > 0 ? n : 450 * 60;
}

}  // namespace

Status Desk::plan_visit_after_close(store::Tx& tx, std::int64_t ticket_id, const std::string& kind,
                                    std::optional<std::int64_t> patron_id,
                                    const BusinessCalendar& cal) {
  if (!patron_id) return {};
  // Nobody calls an erased patron back.
  if (TRY(patrons::is_erased(tx, patron_id))) return {};
  std::string reason;
  if (kind == "complaint") {
    reason = "complaint";
  } else {
    double rate = to_double(TRY(setting(tx, "visit_sample_rate", "0.1")), 0.1);
    // A fair draw from libsodium's generator; rate 0 never and rate 1 always visits.
    double draw = static_cast<double>(randombytes_uniform(1000000)) / 1000000.0;
    if (rate <= 0 || draw >= rate) return {};
    reason = "sample";
  }
  // One scheduled visit per ticket at a time (a ticket closed again after reopening).
  if (TRY(tx.maybe_one(
          "SELECT 1 FROM follow_up_visits WHERE ticket_id = ? AND status = 'scheduled'",
          {ticket_id})))
    return {};
  double days = to_double(TRY(setting(tx, "visit_after_working_days", "3")), 3);
  TimePoint now = clock_.now();
  auto due = cal.add(now, static_cast<std::int64_t>(days * static_cast<double>(working_day(cal))));
  TRY(tx.exec(
      "INSERT INTO follow_up_visits (ticket_id, patron_id, reason, status, due_at, created_at) "
      "VALUES (?,?,?,'scheduled',?,?)",
      {ticket_id, *patron_id, reason, format_time(due), format_time(now)}));
  return {};
}

Result<json> Desk::offer_recovery(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"cause", "remedy", "cause_id"}));
  auto cause = TRY(required_text(body, "cause", 1000));
  auto cause_id = TRY(optional_id(body, "cause_id"));  // a cause code (D13, quality.h)
  auto remedy = TRY(required_text(body, "remedy", 2000));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto t = TRY(load(*tx, id));
  TRY_STATUS(may_see(by, t));
  TRY_STATUS(patrons::refuse_if_erased(*tx, t.patron_id));
  if (t.kind != "complaint") return invalid("kind", "service recovery is for complaints");
  if (t.status == "closed") return conflict("the complaint is closed; reopen it first", "status");
  auto existing =
      TRY(tx->maybe_one("SELECT accepted FROM ticket_recoveries WHERE ticket_id = ?", {id}));
  std::string now = format_time(clock_.now());
  if (existing && !existing->is_null(0) && existing->i64(0) == 1)
    return conflict("the patron accepted the remedy already", "recovery");
  TRY(tx->exec(
      "INSERT INTO ticket_recoveries (ticket_id, cause, remedy, offered_by, offered_at) VALUES "
      "(?,?,?,?,?) ON CONFLICT (ticket_id) DO UPDATE SET cause = excluded.cause, remedy = "
      "excluded.remedy, offered_by = excluded.offered_by, offered_at = excluded.offered_at, "
      "accepted = NULL, patron_comment = '', answered_at = NULL",
      {id, cause, remedy, store::opt(author_of(by)), now}));
  TRY_STATUS(
      add_message(*tx, id, "system", t.channel, author_of(by), "remedy offered: " + remedy, now));
  if (cause_id) TRY_STATUS(record_ticket_cause(*tx, by, id, *cause_id, clock_));
  auto patron_id = t.patron_id;
  TRY_STATUS(audit::append(
      *tx, by, {"ticket.recovery_offer", "ticket", std::to_string(id), patron_id}, clock_));
  if (patron_id)
    TRY(timeline::append(
        *tx, by,
        {*patron_id, "ticket.recovery_offered", "Remedy offered on " + t.number + ": " + remedy,
         json::object(), "ticket", std::to_string(id)},
        clock_));
  TRY_STATUS(tx->commit());
  return get(by, id);
}

Result<json> Desk::answer_recovery(const Actor& by, std::int64_t id, const json& body) {
  if (by.role != Role::patron) TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"accepted", "comment"}));
  if (!body.contains("accepted") || !body["accepted"].is_boolean())
    return invalid("accepted", "accepted must be true or false");
  bool accepted = body["accepted"].get<bool>();
  auto comment = TRY(optional_text(body, "comment", 2000)).value_or("");
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto t = TRY(load(*tx, id));
  TRY_STATUS(may_see(by, t));  // a patron answers only on their own complaint
  TRY_STATUS(patrons::refuse_if_erased(*tx, t.patron_id));
  auto rec = TRY(tx->maybe_one("SELECT accepted FROM ticket_recoveries WHERE ticket_id = ?", {id}));
  if (!rec) return conflict("no remedy has been offered on this ticket", "recovery");
  if (!rec->is_null(0)) return conflict("the remedy was answered already", "recovery");
  std::string now = format_time(clock_.now());
  TRY(tx->exec(
      "UPDATE ticket_recoveries SET accepted = ?, patron_comment = ?, answered_at = ? WHERE "
      "ticket_id = ?",
      {static_cast<std::int64_t>(accepted ? 1 : 0), comment, now, id}));
  auto patron_id = t.patron_id;
  TRY_STATUS(add_message(*tx, id, "system", t.channel, author_of(by),
                         std::string(accepted ? "remedy accepted" : "remedy declined") +
                             (comment.empty() ? "" : ": " + comment),
                         now));
  TRY_STATUS(audit::append(*tx, by,
                           {"ticket.recovery_answer",
                            "ticket",
                            std::to_string(id),
                            patron_id,
                            "",
                            {{"accepted", accepted}}},
                           clock_));
  if (patron_id)
    TRY(timeline::append(*tx, by,
                         {*patron_id,
                          "ticket.recovery_answered",
                          accepted ? "Accepted the remedy" : "Declined the remedy",
                          {{"accepted", accepted}},
                          "ticket",
                          std::to_string(id)},
                         clock_));
  TRY_STATUS(tx->commit());
  return get(by, id);
}

Result<json> Desk::list_visits(const Actor& by, const std::optional<std::string>& status,
                               std::optional<std::int64_t> patron_id,
                               const std::optional<std::string>& cursor, int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  std::string where = "1 = 1";
  store::Params p;
  if (status) {
    if (!is_one_of(*status, {"scheduled", "done", "unreachable", "cancelled"}))
      return invalid("status", "status is scheduled, done, unreachable or cancelled");
    where += " AND status = ?";
    p.emplace_back(*status);
  }
  if (patron_id) {
    where += " AND patron_id = ?";
    p.emplace_back(*patron_id);
  }
  // Soonest due first; the cursor is [due_at, id] of the last row.
  if (auto after = TRY(after_time_id(cursor)))
    where += store::after_key("due_at", "id", *after, false, p);
  limit = std::clamp(limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kVisitCols + " FROM follow_up_visits WHERE " +
                                where + " ORDER BY due_at, id LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(visit_json(rows[i]));
  return key_page(std::move(items), rows, limit, 5);
}

Result<json> Desk::schedule_visit(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"patron_id", "ticket_id", "due_at"}));
  auto patron_id = TRY(optional_id(body, "patron_id"));
  if (!patron_id) return invalid("patron_id", "patron_id is required");
  auto ticket_id = TRY(optional_id(body, "ticket_id"));
  auto due_text = TRY(optional_text(body, "due_at", 40));
  std::optional<TimePoint> due;
  if (due_text) {
    due = parse_time(*due_text);
    if (!due) return invalid("due_at", "due_at must be a date or an ISO 8601 time");
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  std::optional<Ticket> ticket;
  if (ticket_id) {
    ticket = TRY(load(*tx, *ticket_id));
    TRY_STATUS(may_see(by, *ticket));
  }
  TRY_STATUS(patrons::may_write_about(*tx, *patron_id));
  if (ticket && ticket->patron_id != patron_id)
    return invalid("ticket_id", "the ticket is not this patron's");
  TimePoint now = clock_.now();
  if (!due) {
    auto cal = TRY(calendar(*tx));
    due = cal.add(now, working_day(cal));
  }
  auto row = TRY(tx->one(
      "INSERT INTO follow_up_visits (ticket_id, patron_id, reason, status, due_at, created_at) "
      "VALUES (?,?,'manual','scheduled',?,?) RETURNING " +
          std::string(kVisitCols),
      {store::opt(ticket_id), *patron_id, format_time(*due), format_time(now)}, "visit"));
  TRY_STATUS(audit::append(
      *tx, by, {"visit.schedule", "follow_up_visit", std::to_string(row.i64(0)), patron_id},
      clock_));
  TRY_STATUS(tx->commit());
  return visit_json(row);
}

Result<json> Desk::record_visit(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"outcome", "satisfaction", "comments", "channel"}));
  auto outcome = TRY(one_of(body, "outcome", {"done", "unreachable", "cancelled"}, nullptr));
  std::optional<std::int64_t> satisfaction;
  if (body.contains("satisfaction") && !body["satisfaction"].is_null()) {
    if (!body["satisfaction"].is_number_integer() || body["satisfaction"].get<std::int64_t>() < 1 ||
        body["satisfaction"].get<std::int64_t>() > 5)
      return invalid("satisfaction", "satisfaction is a whole number from 1 to 5");
    satisfaction = body["satisfaction"].get<std::int64_t>();
  }
  if (outcome == "done" && !satisfaction)
    return invalid("satisfaction",
                   "a visit that reached the patron records their satisfaction (1–5)");
  if (outcome != "done" && satisfaction)
    return invalid("satisfaction", "only a visit that reached the patron has a satisfaction");
  auto comments = TRY(optional_text(body, "comments", 2000)).value_or("");
  auto channel = TRY(one_of(
      body, "channel", {"phone", "counter", "email", "sms", "instant_message", "letter", "on_site"},
      "phone"));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto v = TRY(tx->maybe_one(
      std::string("SELECT ") + kVisitCols + " FROM follow_up_visits WHERE id = ?", {id}));
  if (!v) return not_found("no such follow-up visit");
  if (v->str(4) != "scheduled") return conflict("the visit was recorded already", "status");
  // An erased patron's scheduled visit can only be cancelled, without a comment.
  if ((outcome != "cancelled" || !comments.empty()) && TRY(patrons::is_erased(*tx, v->i64(2))))
    return patrons::erased_conflict(v->i64(2));
  std::string now = format_time(clock_.now());
  auto row = TRY(tx->one(
      "UPDATE follow_up_visits SET status = ?, satisfaction = ?, comments = ?, channel = ?, "
      "done_by = ?, done_at = ? WHERE id = ? RETURNING " +
          std::string(kVisitCols),
      {outcome, store::opt(satisfaction), comments, channel, store::opt(author_of(by)), now, id},
      "visit"));
  std::int64_t patron_id = row.i64(2);
  TRY_STATUS(audit::append(*tx, by,
                           {"visit.record",
                            "follow_up_visit",
                            std::to_string(id),
                            patron_id,
                            "",
                            {{"outcome", outcome}, {"satisfaction", opt(satisfaction)}}},
                           clock_));
  std::string summary =
      outcome == "done" ? "Follow-up visit: satisfaction " + std::to_string(*satisfaction) + "/5"
      : outcome == "unreachable" ? "Follow-up visit: could not reach the patron"
                                 : "Follow-up visit cancelled";
  TRY(timeline::append(
      *tx, by,
      {patron_id,
       "visit.recorded",
       summary,
       {{"outcome", outcome}, {"satisfaction", opt(satisfaction)}, {"channel", channel}},
       "follow_up_visit",
       std::to_string(id)},
      clock_));
  TRY_STATUS(tx->commit());
  return visit_json(row);
}

Result<json> Desk::put_visit_settings(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"visit_sample_rate", "visit_after_working_days"}));
  std::vector<std::pair<std::string, std::string>> changes;
  if (body.contains("visit_sample_rate")) {
    const auto& v = body["visit_sample_rate"];
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1)
      return invalid("visit_sample_rate", "visit_sample_rate is a share from 0 to 1");
    changes.emplace_back("visit_sample_rate", v.dump());
  }
  if (body.contains("visit_after_working_days")) {
    const auto& v = body["visit_after_working_days"];
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 30)
      return invalid("visit_after_working_days", "visit_after_working_days is from 0 to 30");
    changes.emplace_back("visit_after_working_days", v.dump());
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  for (auto& [k, v] : changes)
    TRY(tx->exec(
        "INSERT INTO service_settings (key, value) VALUES (?,?) ON CONFLICT (key) DO UPDATE SET "
        "value = excluded.value",
        {k, v}));
  TRY_STATUS(audit::append(
      *tx, by, {"service.visit_settings", "service_settings", "visits", std::nullopt, "", body},
      clock_));
  TRY_STATUS(tx->commit());
  return settings(by);
}

}  // namespace dangan::service
