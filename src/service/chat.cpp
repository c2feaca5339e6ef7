#include "service/chat.h"

#include "patrons/timeline.h"
#include "patrons/writes.h"
#include "service/internal.h"
#include "service/routing.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

constexpr const char* kActive = "('new','open','waiting_on_patron','reopened')";

bool over(const std::string& status) { return status == "resolved" || status == "closed"; }

// Staff who may take chats given to a team are its members.
constexpr const char* kMayTake =
    "(t.assignee_id IS NULL OR t.assignee_id = ?) AND (t.team_id IS NULL OR t.assignee_id = ? "
    "OR t.team_id IN (SELECT team_id FROM service_team_members WHERE user_id = ?))";

json chat_row(const store::Row& r) {
  return {{"id", r.i64(0)},           {"number", r.str(1)},        {"subject", r.str(2)},
          {"kind", r.str(3)},         {"priority", r.str(4)},      {"patron_id", opt(r.opt_i64(5))},
          {"team_id", opt(r.opt_i64(6))}, {"assignee_id", opt(r.opt_i64(7))},
          {"status", r.str(8)},       {"created_at", r.str(9)},    {"updated_at", r.str(10)},
          {"routed_by", r.str(11)},   {"last_patron_line", r.str(12)},
          {"patron_sensitive", r.i64(13) > 0}};
}

constexpr const char* kChatCols =
    "t.id, t.number, t.subject, t.kind, t.priority, t.patron_id, t.team_id, t.assignee_id, "
    "t.status, t.created_at, t.updated_at, t.routed_by, COALESCE((SELECT m.body FROM "
    "ticket_messages m WHERE m.ticket_id = t.id AND m.kind = 'patron' ORDER BY m.id DESC LIMIT "
    "1), ''), (SELECT COUNT(*) FROM sensitive_patrons s WHERE s.patron_id = t.patron_id)";

}  // namespace

Result<ChatUpdate> Watch::poll() {
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto row = TRY(tx->maybe_one(
      "SELECT t.status, t.kind, t.patron_id, t.assignee_id, t.chat_accepted_at, COALESCE(NULLIF(u.display_name, ''), u.username) "
      "FROM tickets t LEFT JOIN users u ON u.id = t.assignee_id WHERE t.id = ?",
      {ticket_id_}));
  if (!row) return not_found("no such ticket");
  // Checked on every poll: an agent taken off a report, or a merged patron, stops seeing it.
  Ticket seen;
  seen.kind = row->str(1);
  seen.patron_id = row->opt_i64(2);
  seen.assignee_id = row->opt_i64(3);
  TRY_STATUS(may_see(reader_, seen));
  bool patron = reader_.role == Role::patron;
  ChatUpdate out;
  auto rows = TRY(tx->query(
      "SELECT m.id, m.kind, m.author_id, u.display_name, m.body, m.created_at FROM "
      "ticket_messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.ticket_id = ? AND m.id > "
      "? " +
          std::string(patron ? "AND m.kind IN ('patron','reply') " : "") +
          "ORDER BY m.id LIMIT 200",
      {ticket_id_, after_}));
  for (auto& r : rows) {
    json m = {{"id", r.i64(0)}, {"kind", r.str(1)}, {"body", r.str(4)}, {"created_at", r.str(5)}};
    if (patron) {
      m["from"] = r.str(1) == "patron" ? "you" : "staff";
    } else {
      m["author_id"] = opt(r.opt_i64(2));
      m["author_name"] = opt(r.opt_str(3));
    }
    after_ = r.i64(0);
    out.lines.push_back({r.i64(0), std::move(m)});
  }
  std::string status = row->str(0);
  json state = {{"status", status},
                {"accepted", !row->is_null(4)},
                {"agent_name", row->is_null(4) ? json(nullptr) : opt(row->opt_str(5))}};
  std::string key = state.dump();
  if (key != last_state_) {
    last_state_ = key;
    out.state = std::move(state);
  }
  // A full page may leave more behind: not over until the thread is read to its end.
  out.over = over(status) && rows.size() < 200;
  return out;
}

Chats::Chats(store::Database& db, Desk& desk, audit::ReadRecorder& reads, const Clock& clock)
    : db_(db), desk_(desk), reads_(reads), clock_(clock) {}

Result<json> Chats::start(const Actor& by, const json& body) {
  if (by.role != Role::patron) return forbidden("a chat is started by a patron on the portal");
  TRY_STATUS(only_fields(body, {"kind", "subject", "body"}));
  auto text = TRY(required_text(body, "body", 20000));
  auto subject = TRY(optional_text(body, "subject", 200));
  json ticket = {{"kind", body.contains("kind") ? body["kind"] : json("consultation")},
                 {"subject", subject && !subject->empty() ? *subject : std::string("在线咨询")},
                 {"body", text}};
  return desk_.open(by, ticket, {}, "chat");
}

Result<json> Chats::queue(const Actor& by) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  std::string reports;
  store::Params p{by.user_id, by.user_id, by.user_id};
  if (by.role != Role::system && !auth::allowed(by.role, auth::Permission::ticket_confidential)) {
    reports = " AND (t.kind <> 'report' OR t.assignee_id = ?)";
    p.emplace_back(by.user_id);
  }
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto waiting = TRY(tx->query(std::string("SELECT ") + kChatCols +
                                   " FROM tickets t WHERE t.channel = 'chat' AND t.status = 'new' "
                                   "AND " +
                                   kMayTake + reports + " ORDER BY t.id LIMIT 100",
                               p));
  auto mine = TRY(tx->query(std::string("SELECT ") + kChatCols +
                                " FROM tickets t WHERE t.channel = 'chat' AND t.assignee_id = ? "
                                "AND t.status IN ('open','waiting_on_patron','reopened') "
                                "ORDER BY t.updated_at DESC, t.id DESC LIMIT 100",
                            {by.user_id}));
  json out = {{"waiting", json::array()}, {"mine", json::array()}};
  for (auto& r : waiting) out["waiting"].push_back(chat_row(r));
  for (auto& r : mine) out["mine"].push_back(chat_row(r));
  auto me = TRY(tx->maybe_one("SELECT status FROM agent_availability WHERE user_id = ?",
                              {by.user_id}));
  out["availability"] = me ? me->str(0) : "offline";
  return out;
}

Result<json> Chats::accept(const Actor& by, std::int64_t ticket_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto t = TRY(load(*tx, ticket_id));
  TRY_STATUS(may_see(by, t));
  if (t.channel != "chat") return invalid("id", "ticket " + t.number + " is not a chat");
  // Nobody is left to chat with: an erased patron's chat is only resolved and closed.
  TRY_STATUS(patrons::refuse_if_erased(*tx, t.patron_id));
  std::string now = format_time(clock_.now());
  auto n = TRY(tx->exec(std::string("UPDATE tickets SET assignee_id = ?, status = 'open', "
                                    "chat_accepted_at = ?, updated_at = ? WHERE id = ? AND "
                                    "status = 'new' AND ") +
                            "(assignee_id IS NULL OR assignee_id = ?) AND (team_id IS NULL OR "
                            "assignee_id = ? OR team_id IN (SELECT team_id FROM "
                            "service_team_members WHERE user_id = ?))",
                        {by.user_id, now, now, ticket_id, by.user_id, by.user_id, by.user_id}));
  if (n == 0) {
    if (t.status != "new") return conflict("the chat was already accepted", "status");
    return conflict("the chat was given to another agent or a team you are not in", "assignee_id");
  }
  auto name = TRY(tx->one("SELECT COALESCE(NULLIF(display_name, ''), username) FROM users WHERE id = ?", {by.user_id}, "user"));
  TRY_STATUS(add_message(*tx, ticket_id, "system", "chat", author_of(by),
                         name.str(0) + " accepted the chat", now));
  TRY_STATUS(notify_patron(*tx, t.patron_id, ticket_id, state_notice(t.number, "open"), now));
  TRY_STATUS(audit::append(*tx, by,
                           {"chat.accept", "ticket", std::to_string(ticket_id), t.patron_id, "", {}},
                           clock_));
  if (t.patron_id)
    TRY(timeline::append(*tx, by,
                         {*t.patron_id,
                          "chat.accepted",
                          "Chat " + t.number + " accepted by " + name.str(0),
                          {{"number", t.number}},
                          "ticket",
                          std::to_string(ticket_id)},
                         clock_));
  TRY_STATUS(tx->commit());
  return json{{"id", ticket_id},
              {"status", "open"},
              {"assignee_id", by.user_id},
              {"chat_accepted_at", now}};
}

Result<json> Chats::say(const Actor& by, std::int64_t ticket_id, const json& body) {
  if (by.role == Role::patron) return desk_.post(by, ticket_id, body);
  json line = body;
  if (line.is_object() && !line.contains("kind")) line["kind"] = "reply";
  return desk_.post(by, ticket_id, line);
}

Result<std::unique_ptr<Watch>> Chats::watch(const Actor& by, std::int64_t ticket_id,
                                            std::int64_t after) {
  if (by.role != Role::patron) TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto t = TRY(load(*tx, ticket_id));
  TRY_STATUS(may_see(by, t));
  // Watching the thread reads it: one audited read of the patron's data per watch.
  if (by.role != Role::patron && t.patron_id)
    reads_.record(by, {"ticket.read", "ticket", std::to_string(ticket_id), t.patron_id});
  return std::make_unique<Watch>(db_, by, ticket_id, after);
}

Result<json> Chats::set_availability(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"status"}));
  auto status = TRY(one_of(body, "status", {"available", "away", "offline"}, nullptr));
  std::string now = format_time(clock_.now());
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(tx->exec(
      "INSERT INTO agent_availability (user_id, status, updated_at) VALUES (?,?,?) ON CONFLICT "
      "(user_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
      {by.user_id, status, now}));
  TRY_STATUS(audit::append(
      *tx, by,
      {"agent.availability", "user", std::to_string(by.user_id), std::nullopt, "", {{"status", status}}},
      clock_));
  TRY_STATUS(tx->commit());
  return json{{"user_id", by.user_id}, {"status", status}, {"updated_at", now}};
}

Result<json> Chats::availability(const Actor& by) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(
      std::string("SELECT u.id, u.display_name, u.role, COALESCE(a.status, 'offline'), u.username, "
                  "a.updated_at, (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = u.id AND "
                  "t.status IN ") +
      kActive +
      ") FROM users u LEFT JOIN agent_availability a ON a.user_id = u.id WHERE u.disabled = 0 "
      "AND u.role IN ('agent','archivist','manager') ORDER BY u.id"));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"user_id", r.i64(0)},
                     {"display_name", r.str(1)},
                     {"role", r.str(2)},
                     {"status", r.str(3)},
                     {"updated_at", opt(r.opt_str(5))},
                     {"username", r.str(4)},
                     {"active_tickets", r.i64(6)}});
  return json{{"items", items}};
}

}  // namespace dangan::service
