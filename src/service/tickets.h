// tickets.h — the service desk: every question, complaint, suggestion, request and
// report (举报) a patron brings, on any channel, as a ticket with a thread and an SLA.
//
// A ticket moves through these states; nothing else changes them:
//
//                 first staff reply / assign
//   new ---------------------------------------> open <-------------------+
//    |                                     wait |  ^ patron replies,      |
//    |                                          v  | or resume            |
//    |                              waiting_on_patron                     |
//    |    resolve (from new, open, waiting, reopened)                     |
//    +-------------------> resolved --close--> closed                     |
//                            |                   |                        |
//                            +------reopen-------+--> reopened --reply----+
//
// SLA: each (kind, priority) has a budget of working minutes to the first response and
// to resolution, counted on the desk's calendar (calendar.h). The first response is the
// first staff reply, or the creation itself when staff open the ticket face to face or
// on the phone (counter, phone). Waiting on the patron stops the resolution clock: the
// working time spent waiting is added back to the deadline. Reopening starts a fresh
// resolution clock. `sweep` (run every minute by the server) marks breached deadlines
// and escalates each breach once, to the team's manager or else to a manager.
//
// Who sees what: staff with ticket_read see tickets, except reports (举报), which only
// managers and the assignee see; internal notes never reach the patron; a patron (portal
// account) sees and opens only their own tickets, replies in them, and never sees notes,
// assignees or escalations.
//
// Invariants: every change is one transaction with its audit entry and, when the
// ticket has a patron, a timeline event; a breach is escalated at most once per
// deadline; due times are UTC ISO 8601 like every time in the API.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audit/audit.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "service/calendar.h"
#include "store/db.h"

namespace dangan::service {

struct TicketQuery {
  std::optional<std::string> status;  // a state, or "active" (new, open, waiting, reopened)
  std::optional<std::string> kind, priority, channel;
  std::optional<std::int64_t> patron_id, assignee_id, team_id;
  bool mine = false;         // assigned to the caller
  bool breached = false;     // a deadline passed
  bool escalated = false;    // escalated to the caller, not yet acknowledged
  std::string q;             // in subject or number
  std::string sort = "-id";  // id, created_at, resolution_due; '-' = descending
  std::optional<std::string> cursor;
  int limit = 50;
};

class Desk {
 public:
  // `timezone`: the IANA zone of the working hours (the configuration's display zone).
  Desk(store::Database& db, audit::ReadRecorder& reads, std::string timezone = "Asia/Shanghai",
       const Clock& clock = system_clock());
  // Fills {patron_name} in standard answers (the patrons module's view for the actor);
  // without it the placeholder stays as written.
  void on_patron_name(std::function<std::optional<std::string>(const Actor&, std::int64_t)> f) {
    patron_name_ = std::move(f);
  }

  // Settings: the calendar (time zone, weekly hours, dated days) and SLA policies.
  Result<nlohmann::json> settings(const Actor& by);
  Result<nlohmann::json> put_hours(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> put_calendar_day(const Actor& by, const std::string& date,
                                          const nlohmann::json& body);
  Status delete_calendar_day(const Actor& by, const std::string& date);
  Result<nlohmann::json> put_policy(const Actor& by, const std::string& kind,
                                    const std::string& priority, const nlohmann::json& body);
  // The calendar as configured now (reads the database).
  Result<BusinessCalendar> calendar(store::Tx& tx);

  // Teams.
  Result<nlohmann::json> create_team(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_teams(const Actor& by);
  Result<nlohmann::json> update_team(const Actor& by, std::int64_t id, const nlohmann::json& body);

  // Tickets. open: kind, subject, body (the first message), channel; optional priority
  // (normal), patron_id, team_id, assignee_id. A patron opens tickets for themself on
  // the web_form channel (or `patron_channel`: chat.h starts chats with "chat").
  // `within`, when given, runs in the opening transaction with the new ticket's id (the
  // message board links its post there); its failure undoes the ticket.
  using WithinOpen = std::function<Status(store::Tx&, std::int64_t ticket_id)>;
  Result<nlohmann::json> open(const Actor& by, const nlohmann::json& body,
                              const WithinOpen& within = {},
                              const std::string& patron_channel = "web_form");
  // The same inside the caller's transaction (not committed here): e-mail and gateway
  // messages open their ticket in the transaction that records the message.
  Result<nlohmann::json> open(const Actor& by, const nlohmann::json& body, store::Tx& tx,
                              const WithinOpen& within = {},
                              const std::string& patron_channel = "web_form");
  // A message from the patron (or prospect) that arrived on `channel` (e-mail, SMS …) in
  // the caller's transaction, by the system: waiting → open (the clock runs again);
  // resolved or closed → reopened with a fresh resolution clock, as staff reopening
  // would. Returns the message's id.
  Result<std::int64_t> inbound_message(store::Tx& tx, std::int64_t ticket_id,
                                       const std::string& channel, const std::string& body);
  // Called in the transaction of every staff reply (kind reply) with the new message's
  // id and the reply's channel: e-mail replies are queued for sending there (mail.h).
  using ReplyHook = std::function<Status(store::Tx&, const Actor&, std::int64_t ticket_id,
                                         std::int64_t message_id, const std::string& channel,
                                         const std::string& body)>;
  void on_reply(ReplyHook f) { on_reply_ = std::move(f); }
  Result<nlohmann::json> get(const Actor& by, std::int64_t id);
  Result<nlohmann::json> list(const Actor& by, const TicketQuery& q);
  // kind reply (to the patron) or note (internal); a patron's message is always `patron`
  // and reopens the conversation (waiting → open; resolved → reopened).
  Result<nlohmann::json> post(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // priority, kind, team_id, assignee_id, subject; a new kind or priority re-plans the
  // deadlines from the clock's start.
  Result<nlohmann::json> update(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // action: wait, resume, resolve (needs resolution text), close, reopen (needs reason).
  Result<nlohmann::json> act(const Actor& by, std::int64_t id, const std::string& action,
                             const nlohmann::json& body);
  // Service recovery on a complaint (a complaint is resolved only after one is offered):
  // staff offer {cause, remedy}; the patron answers {accepted, comment} on the portal, or
  // staff record their answer.
  Result<nlohmann::json> offer_recovery(const Actor& by, std::int64_t id,
                                        const nlohmann::json& body);
  Result<nlohmann::json> answer_recovery(const Actor& by, std::int64_t id,
                                         const nlohmann::json& body);

  // Follow-up visits (回访). Closing a complaint with a patron schedules one; other closed
  // tickets with a patron are sampled at `visit_sample_rate`; staff may schedule one by
  // hand. Recording a visit (done with satisfaction 1–5 and comments, unreachable, or
  // cancelled) lands on the patron's timeline.
  Result<nlohmann::json> list_visits(const Actor& by, const std::optional<std::string>& status,
                                     std::optional<std::int64_t> patron_id,
                                     const std::optional<std::string>& cursor, int limit);
  Result<nlohmann::json> schedule_visit(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> record_visit(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // {visit_sample_rate 0–1, visit_after_working_days 0–30}
  Result<nlohmann::json> put_visit_settings(const Actor& by, const nlohmann::json& body);

  // Risk alerts (seed 004 篇4). Rules (alert_rules; docs/service.md): repeat_contact
  // and repeat_complaint are evaluated when a ticket is opened, in its transaction;
  // sla_warning, privacy_reads and loan_overdue by sweep(). A second complaint within the rule's days
  // marks the patron sensitive (敏感客户), shown on their tickets and service summary.
  // Alerts about staff reading personal data (privacy_reads) are for managers only.
  // Each step (assign, acknowledge, resolve) is audited.
  Result<nlohmann::json> list_alerts(const Actor& by, const std::optional<std::string>& status,
                                     const std::optional<std::string>& kind,
                                     std::optional<std::int64_t> patron_id,
                                     const std::optional<std::string>& cursor, int limit);
  // action: assign {assignee_id}, acknowledge, resolve {resolution}.
  Result<nlohmann::json> act_on_alert(const Actor& by, std::int64_t id, const std::string& action,
                                      const nlohmann::json& body);
  Result<nlohmann::json> alert_rules(const Actor& by);
  Result<nlohmann::json> put_alert_rule(const Actor& by, const std::string& kind,
                                        const nlohmann::json& body);
  // What the desk knows of a patron: sensitive or not, active tickets, unresolved alerts,
  // the last satisfaction score from a follow-up visit.
  Result<nlohmann::json> patron_summary(const Actor& by, std::int64_t patron_id);

  // A manager takes note of an escalation (any manager: the one it went to may be away).
  Result<nlohmann::json> acknowledge_escalation(const Actor& by, std::int64_t escalation_id);

  // Marks deadlines passed at `now` and escalates them, then evaluates the periodic alert
  // rules; returns how many breaches it found. Safe to run from several processes at once
  // (each breach is claimed by one conditional UPDATE, each alert by its unique key).
  Result<int> sweep();

  // Standard answers (话术). render fills {patron_name}, {ticket_number}, {agent_name},
  // {subject} for a ticket.
  Result<nlohmann::json> create_answer(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_answers(const Actor& by, const std::string& q, int limit);
  Result<nlohmann::json> update_answer(const Actor& by, std::int64_t id,
                                       const nlohmann::json& body);
  Status delete_answer(const Actor& by, std::int64_t id);
  Result<nlohmann::json> render_answer(const Actor& by, std::int64_t id, std::int64_t ticket_id);

 private:
  store::Database& db_;
  audit::ReadRecorder& reads_;
  std::string timezone_;
  const Clock& clock_;
  std::function<std::optional<std::string>(const Actor&, std::int64_t)> patron_name_;
  ReplyHook on_reply_;

  // The rules evaluated when a ticket is opened (inside its transaction).
  Status evaluate_opened(store::Tx& tx, std::int64_t ticket_id);
  // The rules evaluated by the sweep; returns alerts raised.
  Result<int> evaluate_periodic(store::Tx& tx, const BusinessCalendar& cal);
  // After closing `ticket_id`: the visit its kind or the sample calls for, if any.
  Status plan_visit_after_close(store::Tx& tx, std::int64_t ticket_id, const std::string& kind,
                                std::optional<std::int64_t> patron_id, const BusinessCalendar& cal);
};

}  // namespace dangan::service
