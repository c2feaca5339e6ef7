#include "service/tickets.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "patrons/timeline.h"
#include "patrons/writes.h"
#include "service/internal.h"
#include "service/routing.h"
#include "text/text.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

constexpr const char* kCols =
    "id, number, kind, priority, status, channel, subject, patron_id, team_id, assignee_id, "
    "created_by, created_at, updated_at, clock_start, paused_seconds, waiting_since, "
    "first_response_due, resolution_due, first_response_at, resolved_at, closed_at, "
    "reopen_count, first_response_breached, resolution_breached, escalated_to, escalated_at, "
    "resolution, (SELECT COUNT(*) FROM sensitive_patrons s WHERE s.patron_id = tickets.patron_id), "
    "routed_by";

Ticket from_row(const store::Row& r) {
  Ticket t;
  t.id = r.i64(0);
  t.number = r.str(1);
  t.kind = r.str(2);
  t.priority = r.str(3);
  t.status = r.str(4);
  t.channel = r.str(5);
  t.subject = r.str(6);
  t.patron_id = r.opt_i64(7);
  t.team_id = r.opt_i64(8);
  t.assignee_id = r.opt_i64(9);
  t.created_by = r.opt_i64(10);
  t.created_at = r.str(11);
  t.updated_at = r.str(12);
  t.clock_start = r.str(13);
  t.paused_seconds = r.i64(14);
  t.waiting_since = r.opt_str(15);
  t.first_response_due = r.str(16);
  t.resolution_due = r.str(17);
  t.first_response_at = r.opt_str(18);
  t.resolved_at = r.opt_str(19);
  t.closed_at = r.opt_str(20);
  t.reopen_count = r.i64(21);
  t.first_response_breached = r.i64(22) != 0;
  t.resolution_breached = r.i64(23) != 0;
  t.escalated_to = r.opt_i64(24);
  t.escalated_at = r.opt_str(25);
  t.resolution = r.str(26);
  t.patron_sensitive = r.i64(27) > 0;
  t.routed_by = r.str(28);
  return t;
}

// The subject as compared for repeat contacts: folded (traditional → simplified,
// full-width → half-width, case) without spaces and punctuation.
std::string subject_key(const std::string& subject) {
  std::string f = text::fold(subject), out;
  for (std::size_t i = 0; i < f.size(); ++i) {
    auto c = static_cast<unsigned char>(f[i]);
    if (c < 0x80) {
      if (std::isalnum(c)) out += static_cast<char>(c);
      continue;
    }
    // CJK symbols and punctuation, U+3000–U+303F: E3 80 80 … E3 80 BF.
    if (c == 0xE3 && i + 2 < f.size() && static_cast<unsigned char>(f[i + 1]) == 0x80) {
      i += 2;
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

bool is_patron(const Actor& by) { return by.role == Role::patron; }

json staff_json(const Ticket& t) {
  return {{"id", t.id},
          {"number", t.number},
          {"kind", t.kind},
          {"priority", t.priority},
          {"status", t.status},
          {"channel", t.channel},
          {"subject", t.subject},
          {"patron_id", opt(t.patron_id)},
          {"team_id", opt(t.team_id)},
          {"assignee_id", opt(t.assignee_id)},
          {"created_by", opt(t.created_by)},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at},
          {"first_response_due", t.first_response_due},
          {"resolution_due", t.resolution_due},
          {"first_response_at", opt(t.first_response_at)},
          {"resolved_at", opt(t.resolved_at)},
          {"closed_at", opt(t.closed_at)},
          {"reopen_count", t.reopen_count},
          {"breached",
           {{"first_response", t.first_response_breached}, {"resolution", t.resolution_breached}}},
          {"sla", {{"paused_seconds", t.paused_seconds}, {"waiting_since", opt(t.waiting_since)}}},
          {"escalated_to", opt(t.escalated_to)},
          {"escalated_at", opt(t.escalated_at)},
          {"resolution", t.resolution},
          {"patron_sensitive", t.patron_sensitive},
          {"routed_by", t.routed_by}};
}

json patron_json(const Ticket& t) {
  return {{"id", t.id},
          {"number", t.number},
          {"kind", t.kind},
          {"status", t.status},
          {"channel", t.channel},
          {"subject", t.subject},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at},
          {"resolved_at", opt(t.resolved_at)},
          {"closed_at", opt(t.closed_at)},
          {"resolution", t.resolution}};
}

json view(const Actor& by, const Ticket& t) {
  return is_patron(by) ? patron_json(t) : staff_json(t);
}

struct Budget {
  std::int64_t first_response = 0, resolution = 0;  // working seconds
};

// The policy's budget, scaled by the patron's service tier (routing.h).
Result<Budget> budget(store::Tx& tx, const std::string& kind, const std::string& priority,
                      std::optional<std::int64_t> patron_id) {
  auto row = TRY(tx.maybe_one(
      "SELECT first_response_minutes, resolution_minutes FROM sla_policies WHERE kind = ? AND "
      "priority = ?",
      {kind, priority}));
  if (!row) return invalid("priority", "no SLA policy for " + kind + " at priority " + priority);
  std::int64_t percent = TRY(tier_of(tx, patron_id)).sla_percent;
  return Budget{row->i64(0) * 60 * percent / 100, row->i64(1) * 60 * percent / 100};
}

TimePoint parse(const std::string& s) { return parse_time(s).value_or(TimePoint{}); }

// Leaving waiting_on_patron: the working time spent waiting is added to the pause and
// extends the resolution deadline; appends those column changes to `sets` and `p`.
void end_wait(const Ticket& t, const BusinessCalendar& cal, const Budget& b, TimePoint now,
              std::string& sets, store::Params& p) {
  if (t.status != "waiting_on_patron" || !t.waiting_since) return;
  std::int64_t paused = t.paused_seconds + cal.working_seconds(parse(*t.waiting_since), now);
  sets += ", paused_seconds = ?, waiting_since = NULL, resolution_due = ?";
  p.emplace_back(paused);
  p.emplace_back(format_time(cal.add(parse(t.clock_start), b.resolution + paused)));
}

bool active(const std::string& status) {
  return status == "new" || status == "open" || status == "reopened" ||
         status == "waiting_on_patron";
}

Status touch_timeline(store::Tx& tx, const Actor& by, const Ticket& t, const std::string& kind,
                      const std::string& summary, const Clock& clock,
                      json detail = json::object()) {
  if (!t.patron_id) return {};
  detail["number"] = t.number;
  detail["kind"] = t.kind;
  TRY(timeline::append(
      tx, by, {*t.patron_id, kind, summary, detail, "ticket", std::to_string(t.id)}, clock));
  return {};
}

}  // namespace

namespace detail {

Status may_see(const Actor& by, const Ticket& t) {
  if (is_patron(by)) {
    if (by.patron_id && t.patron_id == by.patron_id) return {};
    return not_found("no such ticket");
  }
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  if (t.kind == "report" && by.role != Role::system &&
      !auth::allowed(by.role, auth::Permission::ticket_confidential) && t.assignee_id != by.user_id)
    return not_found("no such ticket");
  return {};
}

Result<Ticket> load(store::Tx& tx, std::int64_t id) {
  auto row = TRY(tx.maybe_one(std::string("SELECT ") + kCols + " FROM tickets WHERE id = ?", {id}));
  if (!row) return not_found("no such ticket");
  return from_row(*row);
}

Status add_message(store::Tx& tx, std::int64_t ticket_id, const std::string& kind,
                   const std::string& channel, std::optional<std::int64_t> author,
                   const std::string& body, const std::string& now) {
  TRY(
      tx.exec("INSERT INTO ticket_messages (ticket_id, kind, channel, author_id, body, created_at) "
              "VALUES (?,?,?,?,?,?)",
              {ticket_id, kind, channel, store::opt(author), body, now}));
  return {};
}

std::optional<std::int64_t> author_of(const Actor& by) {
  if (by.user_id == 0) return std::nullopt;
  return by.user_id;
}

}  // namespace detail

Desk::Desk(store::Database& db, audit::ReadRecorder& reads, std::string timezone,
           const Clock& clock)
    : db_(db), reads_(reads), timezone_(std::move(timezone)), clock_(clock) {}

Result<json> Desk::open(const Actor& by, const json& body, const WithinOpen& within,
                        const std::string& patron_channel) {
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto t = TRY(open(by, body, *tx, within, patron_channel));
  TRY_STATUS(tx->commit());
  return t;
}

Result<json> Desk::open(const Actor& by, const json& body, store::Tx& outer,
                        const WithinOpen& within, const std::string& patron_channel) {
  bool patron = is_patron(by);
  if (patron) {
    if (!by.patron_id) return forbidden("this account is not linked to a patron");
    TRY_STATUS(only_fields(body, {"kind", "subject", "body"}));
  } else {
    TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
    TRY_STATUS(only_fields(body, {"kind", "priority", "channel", "subject", "body", "patron_id",
                                  "team_id", "assignee_id"}));
  }
  auto kind = TRY(one_of(body, "kind", kKinds, nullptr));
  auto priority =
      patron ? std::string("normal") : TRY(one_of(body, "priority", kPriorities, "normal"));
  auto channel =
      patron ? patron_channel : TRY(one_of(body, "channel", kChannels, nullptr));
  auto subject = TRY(required_text(body, "subject", 200));
  auto text = TRY(required_text(body, "body", 20000));
  std::optional<std::int64_t> patron_id =
      patron ? by.patron_id : TRY(optional_id(body, "patron_id"));
  auto team_id = patron ? std::nullopt : TRY(optional_id(body, "team_id"));
  auto assignee_id = patron ? std::nullopt : TRY(optional_id(body, "assignee_id"));

  store::Tx* tx = &outer;
  // No new ticket about an erased (or merged) patron; a portal account's patron is active
  // (erasure closes the accounts).
  if (patron_id && !patron) TRY_STATUS(patrons::may_write_about(*tx, *patron_id));
  if (team_id && !TRY(tx->maybe_one("SELECT 1 FROM service_teams WHERE id = ?", {*team_id})))
    return invalid("team_id", "no such team");
  if (assignee_id) TRY_STATUS(check_user(*tx, *assignee_id, "assignee_id"));
  auto cal = TRY(calendar(*tx));
  // A tier's default priority, unless staff chose one.
  if (patron || !body.contains("priority")) priority = TRY(tier_of(*tx, patron_id)).default_priority;
  auto b = TRY(budget(*tx, kind, priority, patron_id));
  TimePoint now_tp = clock_.now();
  std::string now = format_time(now_tp);
  // Face to face and on the phone, opening the ticket is the first response.
  bool answered_now = !patron && (channel == "counter" || channel == "phone");
  std::string status = (answered_now || assignee_id) ? "open" : "new";
  std::string provisional = "pending-" + std::to_string(now_tp.time_since_epoch().count()) + "-" +
                            std::to_string(by.user_id);
  auto row = TRY(tx->one(
      "INSERT INTO tickets (number, kind, priority, status, channel, subject, patron_id, team_id, "
      "assignee_id, created_by, created_at, updated_at, clock_start, first_response_due, "
      "resolution_due, first_response_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
      {provisional, kind, priority, status, channel, subject, store::opt(patron_id),
       store::opt(team_id), store::opt(assignee_id),
       patron ? store::null_value() : store::opt(author_of(by)), now, now, now,
       format_time(cal.add(now_tp, b.first_response)), format_time(cal.add(now_tp, b.resolution)),
       answered_now ? store::Value(now) : store::null_value()},
      "ticket"));
  std::int64_t id = row.i64(0);
  char number[32];
  std::snprintf(number, sizeof number, "T%s-%06lld", now.substr(0, 4).c_str(),
                static_cast<long long>(id));
  TRY(tx->exec("UPDATE tickets SET number = ?, subject_key = ? WHERE id = ?",
               {std::string(number), subject_key(subject), id}));
  TRY_STATUS(
      add_message(*tx, id, "patron", channel, patron ? std::nullopt : author_of(by), text, now));
  if (!team_id && !assignee_id) {
    auto routed = TRY(route(*tx, channel, kind, subject + "\n" + text, patron_id));
    if (!routed.why.empty())
      TRY(tx->exec("UPDATE tickets SET team_id = ?, assignee_id = ?, routed_by = ? WHERE id = ?",
                   {store::opt(routed.team_id), store::opt(routed.assignee_id), routed.why, id}));
  }
  auto t = TRY(load(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {"ticket.open",
                            "ticket",
                            std::to_string(id),
                            patron_id,
                            "",
                            {{"kind", kind}, {"channel", channel}, {"priority", priority}}},
                           clock_));
  TRY_STATUS(touch_timeline(*tx, by, t, "ticket.opened",
                            "Ticket " + t.number + " (" + kind + ") opened: " + subject, clock_,
                            {{"channel", channel}}));
  TRY_STATUS(evaluate_opened(*tx, id));
  if (within) TRY_STATUS(within(*tx, id));
  t = TRY(load(*tx, id));  // a repeated complaint may have marked the patron sensitive
  return view(by, t);
}

Result<json> Desk::get(const Actor& by, std::int64_t id) {
  if (!is_patron(by)) TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto t = TRY(load(*tx, id));
  TRY_STATUS(may_see(by, t));
  bool patron = is_patron(by);
  auto rows = TRY(tx->query(
      "SELECT m.id, m.kind, m.channel, m.author_id, u.display_name, m.body, m.created_at FROM "
      "ticket_messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.ticket_id = ? " +
          std::string(patron ? "AND m.kind IN ('patron','reply') " : "") + "ORDER BY m.id",
      {id}));
  json messages = json::array();
  for (auto& r : rows) {
    json m = {{"id", r.i64(0)},
              {"kind", r.str(1)},
              {"channel", r.str(2)},
              {"body", r.str(5)},
              {"created_at", r.str(6)}};
    if (!patron) {
      m["author_id"] = opt(r.opt_i64(3));
      m["author_name"] = opt(r.opt_str(4));
    } else {
      m["from"] = r.str(1) == "patron" ? "you" : "staff";
    }
    messages.push_back(std::move(m));
  }
  json out = view(by, t);
  out["messages"] = messages;
  if (t.kind == "complaint") {
    auto rec = TRY(tx->maybe_one(
        "SELECT cause, remedy, offered_at, accepted, patron_comment, answered_at FROM "
        "ticket_recoveries WHERE ticket_id = ?",
        {id}));
    json recovery = nullptr;
    if (rec) {
      recovery = {{"remedy", rec->str(1)},
                  {"offered_at", rec->str(2)},
                  {"accepted", rec->is_null(3) ? json(nullptr) : json(rec->i64(3) == 1)},
                  {"patron_comment", rec->str(4)},
                  {"answered_at", opt(rec->opt_str(5))}};
      if (!patron) recovery["cause"] = rec->str(0);
    }
    out["recovery"] = recovery;
  }
  if (!patron) {
    auto esc =
        TRY(tx->query("SELECT id, reason, due_at, escalated_to, created_at, acknowledged_at FROM "
                      "ticket_escalations WHERE ticket_id = ? ORDER BY id",
                      {id}));
    json list = json::array();
    for (auto& r : esc)
      list.push_back({{"id", r.i64(0)},
                      {"reason", r.str(1)},
                      {"due_at", r.str(2)},
                      {"escalated_to", opt(r.opt_i64(3))},
                      {"created_at", r.str(4)},
                      {"acknowledged_at", opt(r.opt_str(5))}});
    out["escalations"] = list;
    // A ticket's thread is personal data of its patron: the read is audited.
    if (t.patron_id) reads_.record(by, {"ticket.read", "ticket", std::to_string(id), t.patron_id});
  }
  return out;
}

Result<json> Desk::list(const Actor& by, const TicketQuery& q) {
  bool patron = is_patron(by);
  if (patron) {
    if (!by.patron_id) return forbidden("this account is not linked to a patron");
  } else {
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  }
  std::string where = "1 = 1";
  store::Params p;
  if (patron) {
    where += " AND patron_id = ?";
    p.emplace_back(*by.patron_id);
  } else if (by.role != Role::system &&
             !auth::allowed(by.role, auth::Permission::ticket_confidential)) {
    where += " AND (kind <> 'report' OR assignee_id = ?)";
    p.emplace_back(by.user_id);
  }
  if (q.status) {
    if (*q.status == "active") {
      where += " AND status IN ('new','open','waiting_on_patron','reopened')";
    } else {
      if (!is_one_of(*q.status,
                     {"new", "open", "waiting_on_patron", "resolved", "closed", "reopened"}))
        return invalid("status", "unknown status " + *q.status);
      where += " AND status = ?";
      p.emplace_back(*q.status);
    }
  }
  auto eq = [&](const std::optional<std::string>& v, const char* col,
                std::initializer_list<std::string_view> allowed) -> Status {
    if (!v) return {};
    if (!is_one_of(*v, allowed)) return invalid(col, "unknown " + std::string(col) + " " + *v);
    where += std::string(" AND ") + col + " = ?";
    p.emplace_back(*v);
    return {};
  };
  TRY_STATUS(eq(q.kind, "kind", kKinds));
  TRY_STATUS(eq(q.priority, "priority", kPriorities));
  TRY_STATUS(eq(q.channel, "channel", kChannels));
  auto id_eq = [&](const std::optional<std::int64_t>& v, const char* col) {
    if (!v) return;
    where += std::string(" AND ") + col + " = ?";
    p.emplace_back(*v);
  };
  if (!patron) {
    id_eq(q.patron_id, "patron_id");
    id_eq(q.assignee_id, "assignee_id");
    id_eq(q.team_id, "team_id");
    if (q.mine) id_eq(by.user_id, "assignee_id");
    if (q.breached) where += " AND (first_response_breached = 1 OR resolution_breached = 1)";
    if (q.escalated) {
      where +=
          " AND id IN (SELECT ticket_id FROM ticket_escalations WHERE escalated_to = ? AND "
          "acknowledged_at IS NULL)";
      p.emplace_back(by.user_id);
    }
  }
  if (!q.q.empty()) {
    where += " AND (subject LIKE ? OR number LIKE ?)";
    std::string like = "%" + q.q + "%";
    p.emplace_back(like);
    p.emplace_back(like);
  }
  // Sorting by id, or by a time column then id; the cursor is the last id, or [time, id] of
  // the last row.
  bool desc = q.sort.starts_with('-');
  std::string key = desc ? q.sort.substr(1) : q.sort;
  if (!is_one_of(key, {"id", "created_at", "resolution_due"}))
    return invalid("sort", "sort by id, created_at or resolution_due (prefix - for descending)");
  std::string dir = desc ? " DESC" : "";
  if (key == "id") {
    if (auto after = TRY(after_id(q.cursor))) where += store::after_id("id", after, desc, p);
  } else if (auto after = TRY(after_time_id(q.cursor))) {
    where += store::after_key(key, "id", *after, desc, p);
  }
  int limit = std::clamp(q.limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows =
      TRY(tx->query(std::string("SELECT ") + kCols + " FROM tickets WHERE " + where + " ORDER BY " +
                        (key == "id" ? "" : key + dir + ", ") + "id" + dir + " LIMIT ?",
                    p));
  json items = json::array();
  std::optional<Ticket> last;
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
    last = from_row(rows[i]);
    items.push_back(view(by, *last));
  }
  json out = {{"items", items}, {"next_cursor", nullptr}};
  if (rows.size() > static_cast<std::size_t>(limit) && last)
    out["next_cursor"] =
        key == "id" ? cursor::encode_id(last->id)
                    : cursor::encode_key(
                          key == "created_at" ? last->created_at : last->resolution_due, last->id);
  return out;
}

Result<json> Desk::post(const Actor& by, std::int64_t id, const json& body) {
  bool patron = is_patron(by);
  if (patron) {
    TRY_STATUS(only_fields(body, {"body"}));
  } else {
    TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
    TRY_STATUS(only_fields(body, {"kind", "body", "channel"}));
  }
  auto kind =
      patron ? std::string("patron") : TRY(one_of(body, "kind", {"reply", "note"}, nullptr));
  auto text = TRY(required_text(body, "body", 20000));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto t = TRY(load(*tx, id));
  TRY_STATUS(may_see(by, t));
  // No reply, note or message on an erased patron's thread: it was erased with them.
  TRY_STATUS(patrons::refuse_if_erased(*tx, t.patron_id));
  // A patron writes in a chat on the chat channel, elsewhere through the portal's form.
  auto channel = patron ? std::string(t.channel == "chat" ? "chat" : "web_form")
                        : TRY(one_of(body, "channel", kChannels, t.channel.c_str()));
  if (t.status == "closed" && kind != "note")
    return conflict("the ticket is closed; reopen it first", "status");
  TimePoint now_tp = clock_.now();
  std::string now = format_time(now_tp);
  TRY_STATUS(add_message(*tx, id, kind, channel, author_of(by), text, now));
  if (kind == "reply" && on_reply_) {
    auto m =
        TRY(tx->one("SELECT MAX(id) FROM ticket_messages WHERE ticket_id = ?", {id}, "message"));
    TRY_STATUS(on_reply_(*tx, by, id, m.i64(0), channel, text));
  }
  std::string status = t.status;
  std::string sets = "updated_at = ?";
  store::Params p{now};
  if (kind == "reply") {
    if (!t.first_response_at) {
      sets += ", first_response_at = ?";
      p.emplace_back(now);
    }
    if (status == "new") status = "open";
  } else if (kind == "patron") {
    if (status == "waiting_on_patron") {
      // The patron answered: the resolution clock runs again.
      auto cal = TRY(calendar(*tx));
      auto b = TRY(budget(*tx, t.kind, t.priority, t.patron_id));
      end_wait(t, cal, b, now_tp, sets, p);
      status = "open";
    } else if (status == "resolved") {
      return conflict("the ticket is resolved; ask staff to reopen it, or open a new one",
                      "status");
    }
  }
  sets += ", status = ?";
  p.emplace_back(status);
  p.emplace_back(id);
  TRY(tx->exec("UPDATE tickets SET " + sets + " WHERE id = ?", p));
  TRY_STATUS(audit::append(
      *tx, by,
      {"ticket." + kind, "ticket", std::to_string(id), t.patron_id, "", {{"channel", channel}}},
      clock_));
  if (kind != "note")
    TRY_STATUS(touch_timeline(*tx, by, t,
                              kind == "reply" ? "ticket.replied" : "ticket.patron_wrote",
                              (kind == "reply" ? "Reply on " : "Patron wrote on ") + t.number,
                              clock_, {{"channel", channel}}));
  auto after = TRY(load(*tx, id));
  TRY_STATUS(tx->commit());
  return view(by, after);
}

Result<json> Desk::update(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"kind", "priority", "team_id", "assignee_id", "subject"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto t = TRY(load(*tx, id));
  TRY_STATUS(may_see(by, t));
  if (!active(t.status) && t.status != "resolved")
    return conflict("a closed ticket cannot be changed; reopen it first", "status");
  std::string kind = TRY(one_of(body, "kind", kKinds, t.kind.c_str()));
  std::string priority = TRY(one_of(body, "priority", kPriorities, t.priority.c_str()));
  std::string subject = t.subject;
  if (body.contains("subject")) {
    subject = TRY(required_text(body, "subject", 200));
    // Routing fields may still change (so the ticket can be closed); its text may not.
    TRY_STATUS(patrons::refuse_if_erased(*tx, t.patron_id));
  }
  auto team_id = t.team_id;
  if (body.contains("team_id")) {
    team_id = TRY(optional_id(body, "team_id"));
    if (team_id && !TRY(tx->maybe_one("SELECT 1 FROM service_teams WHERE id = ?", {*team_id})))
      return invalid("team_id", "no such team");
  }
  auto assignee_id = t.assignee_id;
  if (body.contains("assignee_id")) {
    assignee_id = TRY(optional_id(body, "assignee_id"));
    if (assignee_id) TRY_STATUS(check_user(*tx, *assignee_id, "assignee_id"));
  }
  std::string first_due = t.first_response_due, resolution_due = t.resolution_due;
  if (kind != t.kind || priority != t.priority) {
    // Re-planned from where each clock started, the pauses kept.
    auto cal = TRY(calendar(*tx));
    auto b = TRY(budget(*tx, kind, priority, t.patron_id));
    first_due = format_time(cal.add(parse(t.created_at), b.first_response));
    resolution_due = format_time(cal.add(parse(t.clock_start), b.resolution + t.paused_seconds));
  }
  std::string status = t.status;
  if (status == "new" && assignee_id) status = "open";
  std::string now = format_time(clock_.now());
  TRY(tx->exec(
      "UPDATE tickets SET kind = ?, priority = ?, subject = ?, team_id = ?, assignee_id = ?, "
      "first_response_due = ?, resolution_due = ?, status = ?, updated_at = ? WHERE id = ?",
      {kind, priority, subject, store::opt(team_id), store::opt(assignee_id), first_due,
       resolution_due, status, now, id}));
  json detail = json::object();
  for (auto& [k, v] : body.items()) detail[k] = k == "subject" ? json("(changed)") : v;
  TRY_STATUS(audit::append(
      *tx, by, {"ticket.update", "ticket", std::to_string(id), t.patron_id, "", detail}, clock_));
  auto after = TRY(load(*tx, id));
  TRY_STATUS(tx->commit());
  return view(by, after);
}

Result<json> Desk::act(const Actor& by, std::int64_t id, const std::string& action,
                       const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  if (!is_one_of(action, {"wait", "resume", "resolve", "close", "reopen"}))
    return not_found("no such action; use wait, resume, resolve, close or reopen");
  TRY_STATUS(only_fields(body, {"resolution", "reason"}));
  std::optional<std::string> resolution, reason;
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto t = TRY(load(*tx, id));
  TRY_STATUS(may_see(by, t));
  // An erased patron's ticket may still be settled, so it leaves the queues and its SLA
  // counts: resolved without a text (none may be recorded about them; no remedy can be
  // offered), and closed. Reopening would start new work about them: refused.
  bool erased = TRY(patrons::is_erased(*tx, t.patron_id));
  if (erased &&
      (action == "reopen" || TRY(optional_text(body, "resolution", 5000)).value_or("") != ""))
    return patrons::erased_conflict(*t.patron_id);
  if (action == "resolve" && !erased) resolution = TRY(required_text(body, "resolution", 5000));
  if (action == "reopen") reason = TRY(required_text(body, "reason", 1000));
  TimePoint now_tp = clock_.now();
  std::string now = format_time(now_tp);
  auto cal = TRY(calendar(*tx));
  auto b = TRY(budget(*tx, t.kind, t.priority, t.patron_id));
  auto refuse = [&](const char* from) {
    return conflict(
        "cannot " + action + " a ticket that is " + t.status + " (only from " + from + ")",
        "status");
  };
  std::string sets, status, summary;
  store::Params p;
  if (action == "wait") {
    if (!is_one_of(t.status, {"new", "open", "reopened"})) return refuse("new, open or reopened");
    status = "waiting_on_patron";
    sets += ", waiting_since = ?";
    p.emplace_back(now);
    summary = "waiting on the patron";
  } else if (action == "resume") {
    if (t.status != "waiting_on_patron") return refuse("waiting_on_patron");
    status = "open";
    end_wait(t, cal, b, now_tp, sets, p);
    summary = "resumed";
  } else if (action == "resolve") {
    if (!active(t.status)) return refuse("new, open, waiting_on_patron or reopened");
    if (t.kind == "complaint" && !erased &&
        !TRY(tx->maybe_one("SELECT 1 FROM ticket_recoveries WHERE ticket_id = ?", {id})))
      return conflict("offer a service recovery (cause and remedy) before resolving a complaint",
                      "recovery");
    status = "resolved";
    end_wait(t, cal, b, now_tp, sets, p);
    sets += ", resolved_at = ?, resolution = ?";
    p.emplace_back(now);
    p.emplace_back(resolution.value_or(""));
    summary = resolution ? "resolved: " + *resolution : "resolved";
  } else if (action == "close") {
    if (t.status != "resolved") return refuse("resolved");
    status = "closed";
    sets += ", closed_at = ?";
    p.emplace_back(now);
    summary = "closed";
  } else {  // reopen
    if (t.status != "resolved" && t.status != "closed") return refuse("resolved or closed");
    status = "reopened";
    // A fresh resolution clock from now; a new breach of it escalates again.
    sets +=
        ", reopen_count = reopen_count + 1, clock_start = ?, paused_seconds = 0, waiting_since = "
        "NULL, resolution_due = ?, resolution_breached = 0, resolved_at = NULL, closed_at = NULL";
    p.emplace_back(now);
    p.emplace_back(format_time(cal.add(now_tp, b.resolution)));
    summary = "reopened: " + *reason;
  }
  store::Params all{status, now};
  for (auto& v : p) all.push_back(v);
  all.emplace_back(id);
  all.emplace_back(t.status);
  // The status in the WHERE makes a concurrent change of the same ticket lose cleanly.
  auto n = TRY(tx->exec(
      "UPDATE tickets SET status = ?, updated_at = ?" + sets + " WHERE id = ? AND status = ?",
      all));
  if (n != 1) return conflict("the ticket changed meanwhile; reload it", "status");
  TRY_STATUS(add_message(*tx, id, "system", t.channel, author_of(by), summary, now));
  if (action == "close") TRY_STATUS(plan_visit_after_close(*tx, id, t.kind, t.patron_id, cal));
  TRY_STATUS(notify_patron(*tx, t.patron_id, id, state_notice(t.number, status), now));
  json detail = {{"from", t.status}, {"to", status}};
  if (reason) detail["reason"] = *reason;
  TRY_STATUS(audit::append(
      *tx, by, {"ticket." + action, "ticket", std::to_string(id), t.patron_id, "", detail},
      clock_));
  if (action != "wait" && action != "resume") {
    std::string done = action == "resolve" ? "resolved" : action == "close" ? "closed" : "reopened";
    TRY_STATUS(
        touch_timeline(*tx, by, t, "ticket." + done, "Ticket " + t.number + " " + done, clock_));
  }
  auto after = TRY(load(*tx, id));
  TRY_STATUS(tx->commit());
  return view(by, after);
}

Result<json> Desk::acknowledge_escalation(const Actor& by, std::int64_t escalation_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_escalation));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row = TRY(tx->maybe_one(
      "SELECT ticket_id, escalated_to, acknowledged_at FROM ticket_escalations WHERE id = ?",
      {escalation_id}));
  if (!row) return not_found("no such escalation");
  auto t = TRY(load(*tx, row->i64(0)));
  TRY_STATUS(may_see(by, t));
  if (row->opt_str(2)) return conflict("already acknowledged");
  std::string now = format_time(clock_.now());
  TRY(tx->exec("UPDATE ticket_escalations SET acknowledged_at = ? WHERE id = ?",
               {now, escalation_id}));
  TRY_STATUS(audit::append(*tx, by,
                           {"ticket.escalation_acknowledged",
                            "ticket",
                            std::to_string(t.id),
                            t.patron_id,
                            "",
                            {{"escalation_id", escalation_id}}},
                           clock_));
  TRY_STATUS(tx->commit());
  return json{{"id", escalation_id}, {"ticket_id", t.id}, {"acknowledged_at", now}};
}

Result<int> Desk::sweep() {
  const Actor sys = system_actor();
  std::string now = format_time(clock_.now());
  auto tx = TRY(db_.begin(store::TxMode::write));
  // Oldest-first, bounded: a backlog is worked off over several sweeps.
  auto first = TRY(tx->query(
      "SELECT id, first_response_due FROM tickets WHERE first_response_at IS NULL AND "
      "first_response_breached = 0 AND status IN ('new','open','reopened','waiting_on_patron') "
      "AND first_response_due <= ? ORDER BY first_response_due LIMIT 500",
      {now}));
  auto resolution = TRY(tx->query(
      "SELECT id, resolution_due FROM tickets WHERE resolution_breached = 0 AND status IN "
      "('new','open','reopened') AND resolution_due <= ? ORDER BY resolution_due LIMIT 500",
      {now}));
  int found = 0;
  auto escalate = [&](std::int64_t id, const std::string& reason,
                      const std::string& due) -> Status {
    std::string flag =
        reason == "first_response" ? "first_response_breached" : "resolution_breached";
    auto claimed = TRY(
        tx->exec("UPDATE tickets SET " + flag + " = 1 WHERE id = ? AND " + flag + " = 0", {id}));
    if (claimed != 1) return {};
    auto t = TRY(load(*tx, id));
    std::optional<std::int64_t> to;
    if (t.team_id) {
      auto m = TRY(tx->maybe_one(
          "SELECT t.manager_id FROM service_teams t JOIN users u ON u.id = t.manager_id WHERE "
          "t.id = ? AND u.disabled = 0",
          {*t.team_id}));
      if (m) to = m->opt_i64(0);
    }
    if (!to) {
      auto m = TRY(tx->maybe_one(
          "SELECT id FROM users WHERE role = 'manager' AND disabled = 0 ORDER BY id LIMIT 1", {}));
      if (m) to = m->i64(0);
    }
    TRY(tx->exec(
        "INSERT INTO ticket_escalations (ticket_id, reason, due_at, escalated_to, created_at) "
        "VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
        {id, reason, due, store::opt(to), now}));
    TRY(tx->exec("UPDATE tickets SET escalated_to = ?, escalated_at = ? WHERE id = ?",
                 {store::opt(to), now, id}));
    TRY_STATUS(audit::append(*tx, sys,
                             {"ticket.escalate",
                              "ticket",
                              std::to_string(id),
                              t.patron_id,
                              "",
                              {{"reason", reason}, {"due_at", due}, {"escalated_to", opt(to)}}},
                             clock_));
    TRY_STATUS(
        add_message(*tx, id, "system", t.channel, std::nullopt,
                    (reason == "first_response" ? "first response" : std::string("resolution")) +
                        " deadline " + due + " passed; escalated",
                    now));
    TRY_STATUS(touch_timeline(
        *tx, sys, t, "ticket.escalated",
        "Ticket " + t.number + " escalated: " +
            (reason == "first_response" ? "no first response" : "not resolved") + " in time",
        clock_, {{"reason", reason}}));
    ++found;
    return {};
  };
  for (auto& r : first) TRY_STATUS(escalate(r.i64(0), "first_response", r.str(1)));
  for (auto& r : resolution) TRY_STATUS(escalate(r.i64(0), "resolution", r.str(1)));
  auto cal = TRY(calendar(*tx));
  int raised = TRY(evaluate_periodic(*tx, cal));
  TRY_STATUS(tx->commit());
  if (found > 0) spdlog::info("event=sla_breaches count={}", found);
  if (raised > 0) spdlog::info("event=alerts_raised count={}", raised);
  return found;
}

Result<std::int64_t> Desk::inbound_message(store::Tx& tx, std::int64_t ticket_id,
                                           const std::string& channel, const std::string& body) {
  const Actor sys = system_actor();
  auto t = TRY(load(tx, ticket_id));
  TRY_STATUS(patrons::refuse_if_erased(tx, t.patron_id));  // the caller threads elsewhere
  TimePoint now_tp = clock_.now();
  std::string now = format_time(now_tp);
  auto cal = TRY(calendar(tx));
  auto b = TRY(budget(tx, t.kind, t.priority, t.patron_id));
  std::string sets = "updated_at = ?";
  store::Params p{now};
  std::string status = t.status;
  bool reopen = t.status == "resolved" || t.status == "closed";
  if (t.status == "waiting_on_patron") {
    end_wait(t, cal, b, now_tp, sets, p);
    status = "open";
  } else if (reopen) {
    // The patron wrote again about a settled matter: reopened, as staff would.
    status = "reopened";
    sets +=
        ", reopen_count = reopen_count + 1, clock_start = ?, paused_seconds = 0, waiting_since = "
        "NULL, resolution_due = ?, resolution_breached = 0, resolved_at = NULL, closed_at = NULL";
    p.emplace_back(now);
    p.emplace_back(format_time(cal.add(now_tp, b.resolution)));
  }
  sets += ", status = ?";
  p.emplace_back(status);
  p.emplace_back(ticket_id);
  p.emplace_back(t.status);
  auto n = TRY(tx.exec("UPDATE tickets SET " + sets + " WHERE id = ? AND status = ?", p));
  if (n != 1) return conflict("the ticket changed meanwhile", "status");
  TRY_STATUS(add_message(tx, ticket_id, "patron", channel, std::nullopt, body, now));
  auto m = TRY(
      tx.one("SELECT MAX(id) FROM ticket_messages WHERE ticket_id = ?", {ticket_id}, "message"));
  if (reopen) {
    TRY_STATUS(add_message(tx, ticket_id, "system", channel, std::nullopt,
                           "reopened: the patron wrote again (" + channel + ")", now));
    TRY_STATUS(audit::append(tx, sys,
                             {"ticket.reopen",
                              "ticket",
                              std::to_string(ticket_id),
                              t.patron_id,
                              "",
                              {{"from", t.status}, {"to", status}, {"reason", "patron wrote"}}},
                             clock_));
    TRY_STATUS(
        touch_timeline(tx, sys, t, "ticket.reopened", "Ticket " + t.number + " reopened", clock_));
    TRY_STATUS(notify_patron(tx, t.patron_id, ticket_id, state_notice(t.number, status), now));
  }
  TRY_STATUS(audit::append(tx, sys,
                           {"ticket.patron",
                            "ticket",
                            std::to_string(ticket_id),
                            t.patron_id,
                            "",
                            {{"channel", channel}}},
                           clock_));
  TRY_STATUS(touch_timeline(tx, sys, t, "ticket.patron_wrote", "Patron wrote on " + t.number,
                            clock_, {{"channel", channel}}));
  return m.i64(0);
}

}  // namespace dangan::service
