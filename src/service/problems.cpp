// Problem management (D13): cause codes, the causes of tickets, problems, improvement
// actions and cause trends. See quality.h.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "patrons/timeline.h"
#include "service/internal.h"
#include "service/periods.h"
#include "service/quality.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

struct Cause {
  std::int64_t id = 0;
  std::string code, name;
  std::optional<std::int64_t> parent_id;
  bool active = true;
};

Result<std::map<std::int64_t, Cause>> load_causes(store::Tx& tx) {
  auto rows = TRY(tx.query("SELECT id, code, name, parent_id, active FROM cause_codes ORDER BY code"));
  std::map<std::int64_t, Cause> out;
  for (auto& r : rows) out[r.i64(0)] = {r.i64(0), r.str(1), r.str(2), r.opt_i64(3), r.i64(4) != 0};
  return out;
}

// `id` and every code below it.
std::set<std::int64_t> subtree(const std::map<std::int64_t, Cause>& all, std::int64_t id) {
  std::set<std::int64_t> out{id};
  for (bool grew = true; grew;) {
    grew = false;
    for (auto& [cid, c] : all)
      if (c.parent_id && out.contains(*c.parent_id) && out.insert(cid).second) grew = true;
  }
  return out;
}

std::int64_t top_of(const std::map<std::int64_t, Cause>& all, std::int64_t id) {
  for (int guard = 0; guard < 64; ++guard) {
    auto it = all.find(id);
    if (it == all.end() || !it->second.parent_id) return id;
    id = *it->second.parent_id;
  }
  return id;
}

// "流程 / 手续繁琐"
std::string path_name(const std::map<std::int64_t, Cause>& all, std::int64_t id) {
  std::string out;
  for (int guard = 0; guard < 64; ++guard) {
    auto it = all.find(id);
    if (it == all.end()) break;
    out = out.empty() ? it->second.name : it->second.name + " / " + out;
    if (!it->second.parent_id) break;
    id = *it->second.parent_id;
  }
  return out;
}

json cause_json(const std::map<std::int64_t, Cause>& all, const Cause& c) {
  return {{"id", c.id},         {"code", c.code},     {"name", c.name},
          {"parent_id", opt(c.parent_id)}, {"active", c.active}, {"path", path_name(all, c.id)}};
}

// Reports (举报) are listed only to those who may see them (tickets.h).
std::string visible_tickets(const Actor& by, store::Params& p, const char* alias = "t") {
  if (by.role == Role::system || auth::allowed(by.role, auth::Permission::ticket_confidential))
    return "1 = 1";
  p.emplace_back(by.user_id);
  return std::string("(") + alias + ".kind <> 'report' OR " + alias + ".assignee_id = ?)";
}

bool valid_code(const std::string& s) {
  if (s.empty() || s.size() > 60) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

constexpr const char* kProblemCols =
    "p.id, p.title, p.description, p.cause_id, p.status, p.root_cause, p.owner_id, p.created_by, "
    "p.created_at, p.updated_at, p.resolved_at, (SELECT COUNT(*) FROM problem_tickets pt WHERE "
    "pt.problem_id = p.id), u.display_name";

json problem_json(const store::Row& r, const std::map<std::int64_t, Cause>& causes) {
  return {{"id", r.i64(0)},
          {"title", r.str(1)},
          {"description", r.str(2)},
          {"cause_id", r.i64(3)},
          {"cause", path_name(causes, r.i64(3))},
          {"status", r.str(4)},
          {"root_cause", r.str(5)},
          {"owner_id", opt(r.opt_i64(6))},
          {"owner_name", opt(r.opt_str(12))},
          {"created_by", opt(r.opt_i64(7))},
          {"created_at", r.str(8)},
          {"updated_at", r.str(9)},
          {"resolved_at", opt(r.opt_str(10))},
          {"ticket_count", r.i64(11)}};
}

constexpr const char* kActionCols =
    "a.id, a.problem_id, a.title, a.unit_id, a.owner_id, a.due_on, a.status, a.result, "
    "a.created_by, a.created_at, a.updated_at, a.done_at, un.name, u.display_name, p.title";
constexpr const char* kActionFrom =
    " FROM improvement_actions a JOIN units un ON un.id = a.unit_id JOIN users u ON u.id = "
    "a.owner_id JOIN problems p ON p.id = a.problem_id";

json action_json(const store::Row& r, const std::string& today) {
  std::string status = r.str(6);
  bool overdue = (status == "planned" || status == "in_progress") && r.str(5) < today;
  return {{"id", r.i64(0)},          {"problem_id", r.i64(1)},  {"problem_title", r.str(14)},
          {"title", r.str(2)},       {"unit_id", r.i64(3)},     {"unit_name", r.str(12)},
          {"owner_id", r.i64(4)},    {"owner_name", r.str(13)}, {"due_on", r.str(5)},
          {"status", status},        {"overdue", overdue},      {"result", r.str(7)},
          {"created_by", opt(r.opt_i64(8))}, {"created_at", r.str(9)}, {"updated_at", r.str(10)},
          {"done_at", opt(r.opt_str(11))}};
}

Result<std::int64_t> require_cause(store::Tx& tx, const json& body, const char* field) {
  auto id = TRY(optional_id(body, field));
  if (!id) return invalid(field, std::string(field) + " is required");
  auto row = TRY(tx.maybe_one("SELECT active FROM cause_codes WHERE id = ?", {*id}));
  if (!row) return invalid(field, "no such cause code");
  if (row->i64(0) == 0) return invalid(field, "the cause code is retired");
  return *id;
}

Result<std::string> date_field(const json& body, const char* field, bool required) {
  auto v = TRY(optional_text(body, field, 10));
  if (!v) {
    if (required) return invalid(field, std::string(field) + " is required");
    return std::string();
  }
  if (!valid_date(*v)) return invalid(field, std::string(field) + " must be a date YYYY-MM-DD");
  return *v;
}

}  // namespace

namespace detail {

Status record_ticket_cause(store::Tx& tx, const Actor& by, std::int64_t ticket_id,
                           std::int64_t cause_id, const Clock& clock) {
  auto t = TRY(load(tx, ticket_id));
  auto causes = TRY(load_causes(tx));
  auto found = causes.find(cause_id);
  if (found == causes.end()) return invalid("cause_id", "no such cause code");
  if (!found->second.active) return invalid("cause_id", "the cause code is retired");
  // A ticket in a problem keeps a cause within the problem's.
  auto linked = TRY(tx.query("SELECT p.cause_id FROM problem_tickets pt JOIN problems p ON p.id = "
                             "pt.problem_id WHERE pt.ticket_id = ?",
                             {ticket_id}));
  for (auto& l : linked)
    if (!subtree(causes, l.i64(0)).contains(cause_id))
      return invalid("cause_id", "the ticket belongs to a problem of another cause (" +
                                     path_name(causes, l.i64(0)) + ")");
  std::string now = format_time(clock.now());
  TRY(tx.exec(
      "INSERT INTO ticket_causes (ticket_id, cause_id, set_by, set_at) VALUES (?,?,?,?) ON "
      "CONFLICT (ticket_id) DO UPDATE SET cause_id = excluded.cause_id, set_by = excluded.set_by, "
      "set_at = excluded.set_at",
      {ticket_id, cause_id, store::opt(author_of(by)), now}));
  std::string name = path_name(causes, cause_id);
  TRY_STATUS(audit::append(tx, by,
                           {"ticket.cause",
                            "ticket",
                            std::to_string(ticket_id),
                            t.patron_id,
                            "",
                            {{"cause_id", cause_id}}},
                           clock));
  if (t.patron_id)
    TRY(timeline::append(tx, by,
                         {*t.patron_id, "ticket.cause_set", "Cause of " + t.number + ": " + name,
                          json{{"cause_id", cause_id}}, "ticket", std::to_string(ticket_id)},
                         clock));
  return {};
}

}  // namespace detail

Quality::Quality(store::Database& db, audit::ReadRecorder& reads, Desk& desk, const Clock& clock)
    : db_(db), reads_(reads), desk_(desk), clock_(clock) {
  add_builtin_case_sources();
}

std::string Quality::local_today() {
  TimePoint now = clock_.now();
  if (auto tx = db_.begin(store::TxMode::read))
    if (auto cal = desk_.calendar(**tx)) return cal->local_date(now);
  return format_time(now).substr(0, 10);
}

Result<json> Quality::list_causes(const Actor& by) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto causes = TRY(load_causes(*tx));
  json items = json::array();
  for (auto& [id, c] : causes) items.push_back(cause_json(causes, c));
  return json{{"items", items}, {"next_cursor", nullptr}};
}

Result<json> Quality::create_cause(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"code", "name", "parent_id"}));
  auto code = TRY(required_text(body, "code", 60));
  if (!valid_code(code))
    return invalid("code", "code is lower-case letters, digits, '.', '_' or '-'");
  auto name = TRY(required_text(body, "name", 100));
  auto parent = TRY(optional_id(body, "parent_id"));
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (parent && !TRY(tx->maybe_one("SELECT 1 FROM cause_codes WHERE id = ?", {*parent})))
    return invalid("parent_id", "no such cause code");
  if (TRY(tx->maybe_one("SELECT 1 FROM cause_codes WHERE code = ?", {code})))
    return conflict("a cause code " + code + " exists already", "code");
  auto row = TRY(tx->one(
      "INSERT INTO cause_codes (code, name, parent_id) VALUES (?,?,?) RETURNING id", {code, name,
                                                                                     store::opt(parent)},
      "cause code"));
  TRY_STATUS(audit::append(*tx, by,
                           {"cause_code.create", "cause_code", std::to_string(row.i64(0)),
                            std::nullopt, "", {{"code", code}}},
                           clock_));
  auto causes = TRY(load_causes(*tx));
  TRY_STATUS(tx->commit());
  return cause_json(causes, causes.at(row.i64(0)));
}

Result<json> Quality::update_cause(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"name", "active"}));
  auto name = TRY(optional_text(body, "name", 100));
  if (name && name->empty()) return invalid("name", "name is required");
  std::optional<bool> active;
  if (body.contains("active")) {
    if (!body["active"].is_boolean()) return invalid("active", "active must be true or false");
    active = body["active"].get<bool>();
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (!TRY(tx->maybe_one("SELECT 1 FROM cause_codes WHERE id = ?", {id})))
    return not_found("no such cause code");
  if (name) TRY(tx->exec("UPDATE cause_codes SET name = ? WHERE id = ?", {*name, id}));
  if (active)
    TRY(tx->exec("UPDATE cause_codes SET active = ? WHERE id = ?",
                 {static_cast<std::int64_t>(*active ? 1 : 0), id}));
  TRY_STATUS(audit::append(
      *tx, by, {"cause_code.update", "cause_code", std::to_string(id), std::nullopt, "", body},
      clock_));
  auto causes = TRY(load_causes(*tx));
  TRY_STATUS(tx->commit());
  return cause_json(causes, causes.at(id));
}

Result<json> Quality::ticket_cause(const Actor& by, std::int64_t ticket_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto t = TRY(load(*tx, ticket_id));
  TRY_STATUS(may_see(by, t));
  auto causes = TRY(load_causes(*tx));
  auto row = TRY(tx->maybe_one(
      "SELECT cause_id, set_by, set_at FROM ticket_causes WHERE ticket_id = ?", {ticket_id}));
  auto problems = TRY(tx->query(
      "SELECT p.id, p.title, p.status FROM problem_tickets pt JOIN problems p ON p.id = "
      "pt.problem_id WHERE pt.ticket_id = ? ORDER BY p.id",
      {ticket_id}));
  json ps = json::array();
  for (auto& p : problems) ps.push_back({{"id", p.i64(0)}, {"title", p.str(1)}, {"status", p.str(2)}});
  json out = {{"ticket_id", ticket_id}, {"cause", nullptr}, {"problems", ps}};
  if (row) {
    out["cause"] = cause_json(causes, causes.at(row->i64(0)));
    out["set_by"] = opt(row->opt_i64(1));
    out["set_at"] = row->str(2);
  }
  return out;
}

Result<json> Quality::set_ticket_cause(const Actor& by, std::int64_t ticket_id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"cause_id"}));
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto t = TRY(load(*tx, ticket_id));
    TRY_STATUS(may_see(by, t));
    auto cause = TRY(require_cause(*tx, body, "cause_id"));
    TRY_STATUS(record_ticket_cause(*tx, by, ticket_id, cause, clock_));
    TRY_STATUS(tx->commit());
  }
  return ticket_cause(by, ticket_id);
}

Result<json> Quality::cause_tickets(const Actor& by, std::int64_t cause_id, bool unlinked,
                                    const std::optional<std::string>& cursor, int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto after = TRY(after_id(cursor));
  limit = std::clamp(limit, 1, 200);
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto causes = TRY(load_causes(*tx));
  if (!causes.contains(cause_id)) return not_found("no such cause code");
  auto ids = subtree(causes, cause_id);
  store::Params p;
  std::string where = "tc.cause_id IN " + store::in_ids(ids, p);  // its values first
  where += " AND " + visible_tickets(by, p);
  if (unlinked) where += " AND NOT EXISTS (SELECT 1 FROM problem_tickets pt WHERE pt.ticket_id = t.id)";
  if (after) {
    where += " AND t.id < ?";
    p.emplace_back(after);
  }
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto rows = TRY(tx->query(
      "SELECT t.id, t.number, t.kind, t.status, t.subject, t.channel, t.created_at, tc.cause_id, "
      "t.patron_id FROM tickets t JOIN ticket_causes tc ON tc.ticket_id = t.id WHERE " +
          where + " ORDER BY t.id DESC LIMIT ?",
      p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
    auto& r = rows[i];
    items.push_back({{"id", r.i64(0)},
                     {"number", r.str(1)},
                     {"kind", r.str(2)},
                     {"status", r.str(3)},
                     {"subject", r.str(4)},
                     {"channel", r.str(5)},
                     {"created_at", r.str(6)},
                     {"cause_id", r.i64(7)},
                     {"cause", path_name(causes, r.i64(7))},
                     {"patron_id", opt(r.opt_i64(8))}});
  }
  return id_page(items, rows, limit);
}

Result<json> Quality::create_problem(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::problem_manage));
  TRY_STATUS(only_fields(body, {"title", "description", "cause_id", "owner_id", "ticket_ids"}));
  auto title = TRY(required_text(body, "title", 200));
  auto description = TRY(optional_text(body, "description", 5000)).value_or("");
  auto owner = TRY(optional_id(body, "owner_id"));
  std::vector<std::int64_t> ticket_ids;
  if (body.contains("ticket_ids") && !body["ticket_ids"].is_null()) {
    if (!body["ticket_ids"].is_array() || body["ticket_ids"].size() > 500)
      return invalid("ticket_ids", "ticket_ids is a list of at most 500 ticket ids");
    for (auto& v : body["ticket_ids"]) {
      if (!v.is_number_integer() || v.get<std::int64_t>() <= 0)
        return invalid("ticket_ids", "ticket_ids holds ticket ids");
      ticket_ids.push_back(v.get<std::int64_t>());
    }
  }
  std::int64_t id = 0;
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto cause = TRY(require_cause(*tx, body, "cause_id"));
    if (owner) TRY_STATUS(check_user(*tx, *owner, "owner_id"));
    std::string now = format_time(clock_.now());
    auto row = TRY(tx->one(
        "INSERT INTO problems (title, description, cause_id, status, owner_id, created_by, "
        "created_at, updated_at) VALUES (?,?,?,'open',?,?,?,?) RETURNING id",
        {title, description, cause, store::opt(owner), store::opt(author_of(by)), now, now},
        "problem"));
    id = row.i64(0);
    TRY_STATUS(audit::append(*tx, by,
                             {"problem.create", "problem", std::to_string(id), std::nullopt, "",
                              {{"cause_id", cause}, {"tickets", ticket_ids.size()}}},
                             clock_));
    auto causes = TRY(load_causes(*tx));
    auto allowed = subtree(causes, cause);
    for (auto tid : ticket_ids) {
      auto t = load(*tx, tid);
      if (!t || !may_see(by, *t)) return invalid("ticket_ids", "no such ticket: " + std::to_string(tid));
      auto tc = TRY(tx->maybe_one("SELECT cause_id FROM ticket_causes WHERE ticket_id = ?", {tid}));
      if (!tc)
        TRY_STATUS(record_ticket_cause(*tx, by, tid, cause, clock_));
      else if (!allowed.contains(tc->i64(0)))
        return invalid("ticket_ids", t->number + " has another cause (" +
                                         path_name(causes, tc->i64(0)) + ")");
      TRY(tx->exec(
          "INSERT INTO problem_tickets (problem_id, ticket_id, linked_by, linked_at) VALUES "
          "(?,?,?,?) ON CONFLICT (problem_id, ticket_id) DO NOTHING",
          {id, tid, store::opt(author_of(by)), now}));
    }
    TRY_STATUS(tx->commit());
  }
  return get_problem(by, id);
}

Result<json> Quality::list_problems(const Actor& by, const ProblemQuery& q) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  std::string today = local_today();
  auto after = TRY(after_id(q.cursor));
  int limit = std::clamp(q.limit, 1, 200);
  std::string where = "1 = 1";
  store::Params p;
  if (q.status) {
    if (*q.status == "active") {
      where += " AND p.status IN ('open','analysing')";
    } else {
      if (!is_one_of(*q.status, {"open", "analysing", "resolved", "closed"}))
        return invalid("status", "status is open, analysing, resolved, closed or active");
      where += " AND p.status = ?";
      p.emplace_back(*q.status);
    }
  }
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto causes = TRY(load_causes(*tx));
  if (q.cause_id) {
    if (!causes.contains(*q.cause_id)) return invalid("cause_id", "no such cause code");
    auto ids = subtree(causes, *q.cause_id);
    where += " AND p.cause_id IN " + store::in_ids(ids, p);
  }
  if (after) {
    where += " AND p.id < ?";
    p.emplace_back(after);
  }
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto rows = TRY(tx->query(std::string("SELECT ") + kProblemCols +
                                ", (SELECT COUNT(*) FROM improvement_actions a WHERE a.problem_id "
                                "= p.id AND a.status IN ('planned','in_progress') AND a.due_on < "
                                "?) FROM problems p LEFT JOIN users u ON u.id = p.owner_id WHERE " +
                                where + " ORDER BY p.id DESC LIMIT ?",
                            [&] {
                              store::Params all{today};
                              all.insert(all.end(), p.begin(), p.end());
                              return all;
                            }()));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
    auto j = problem_json(rows[i], causes);
    j["overdue_actions"] = rows[i].i64(13);
    items.push_back(j);
  }
  return id_page(items, rows, limit);
}

Result<json> Quality::get_problem(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  std::string today = local_today();
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto causes = TRY(load_causes(*tx));
  auto row = TRY(tx->maybe_one(std::string("SELECT ") + kProblemCols +
                                   " FROM problems p LEFT JOIN users u ON u.id = p.owner_id "
                                   "WHERE p.id = ?",
                               {id}));
  if (!row) return not_found("no such problem");
  json out = problem_json(*row, causes);
  store::Params p{id};
  std::string vis = visible_tickets(by, p);
  auto tickets = TRY(tx->query(
      "SELECT t.id, t.number, t.kind, t.status, t.subject, t.channel, t.created_at, tc.cause_id "
      "FROM problem_tickets pt JOIN tickets t ON t.id = pt.ticket_id LEFT JOIN ticket_causes tc "
      "ON tc.ticket_id = t.id WHERE pt.problem_id = ? AND " +
          vis + " ORDER BY t.id DESC",
      p));
  json ts = json::array();
  for (auto& r : tickets)
    ts.push_back({{"id", r.i64(0)},
                  {"number", r.str(1)},
                  {"kind", r.str(2)},
                  {"status", r.str(3)},
                  {"subject", r.str(4)},
                  {"channel", r.str(5)},
                  {"created_at", r.str(6)},
                  {"cause", r.is_null(7) ? json(nullptr) : json(path_name(causes, r.i64(7)))}});
  out["tickets"] = ts;
  auto actions = TRY(tx->query(std::string("SELECT ") + kActionCols + kActionFrom +
                                   " WHERE a.problem_id = ? ORDER BY a.due_on, a.id",
                               {id}));
  json as = json::array();
  for (auto& r : actions) as.push_back(action_json(r, today));
  out["actions"] = as;
  return out;
}

Result<json> Quality::update_problem(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::problem_manage));
  TRY_STATUS(only_fields(body, {"title", "description", "root_cause", "status", "owner_id"}));
  auto title = TRY(optional_text(body, "title", 200));
  if (title && title->empty()) return invalid("title", "title is required");
  auto description = TRY(optional_text(body, "description", 5000));
  auto root_cause = TRY(optional_text(body, "root_cause", 5000));
  std::optional<std::string> status;
  if (body.contains("status"))
    status = TRY(one_of(body, "status", {"open", "analysing", "resolved", "closed"}, nullptr));
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto cur = TRY(tx->maybe_one("SELECT status, root_cause FROM problems WHERE id = ?", {id}));
    if (!cur) return not_found("no such problem");
    std::string now = format_time(clock_.now());
    if (status && (*status == "resolved" || *status == "closed") &&
        root_cause.value_or(cur->str(1)).empty())
      return invalid("root_cause", "a problem is resolved with its root cause written down");
    if (title) TRY(tx->exec("UPDATE problems SET title = ? WHERE id = ?", {*title, id}));
    if (description)
      TRY(tx->exec("UPDATE problems SET description = ? WHERE id = ?", {*description, id}));
    if (root_cause)
      TRY(tx->exec("UPDATE problems SET root_cause = ? WHERE id = ?", {*root_cause, id}));
    if (body.contains("owner_id")) {
      auto owner = TRY(optional_id(body, "owner_id"));
      if (owner) TRY_STATUS(check_user(*tx, *owner, "owner_id"));
      TRY(tx->exec("UPDATE problems SET owner_id = ? WHERE id = ?", {store::opt(owner), id}));
    }
    if (status && *status != cur->str(0)) {
      bool done = *status == "resolved" || *status == "closed";
      TRY(tx->exec("UPDATE problems SET status = ?, resolved_at = ? WHERE id = ?",
                   {*status, done ? store::Value(now) : store::null_value(), id}));
    }
    TRY(tx->exec("UPDATE problems SET updated_at = ? WHERE id = ?", {now, id}));
    json detail = body;
    for (auto k : {"description", "root_cause"})
      if (detail.contains(k)) detail[k] = "(changed)";
    TRY_STATUS(audit::append(
        *tx, by, {"problem.update", "problem", std::to_string(id), std::nullopt, "", detail},
        clock_));
    TRY_STATUS(tx->commit());
  }
  return get_problem(by, id);
}

Result<json> Quality::link_ticket(const Actor& by, std::int64_t problem_id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::problem_manage));
  TRY_STATUS(only_fields(body, {"ticket_id"}));
  auto tid = TRY(optional_id(body, "ticket_id"));
  if (!tid) return invalid("ticket_id", "ticket_id is required");
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto prob =
        TRY(tx->maybe_one("SELECT cause_id, status FROM problems WHERE id = ?", {problem_id}));
    if (!prob) return not_found("no such problem");
    if (prob->str(1) == "closed") return conflict("the problem is closed", "status");
    auto t = load(*tx, *tid);
    if (!t || !may_see(by, *t)) return invalid("ticket_id", "no such ticket");
    auto causes = TRY(load_causes(*tx));
    auto tc = TRY(tx->maybe_one("SELECT cause_id FROM ticket_causes WHERE ticket_id = ?", {*tid}));
    if (!tc) {
      TRY_STATUS(record_ticket_cause(*tx, by, *tid, prob->i64(0), clock_));
    } else if (!subtree(causes, prob->i64(0)).contains(tc->i64(0))) {
      return invalid("ticket_id", t->number + " has another cause (" +
                                      path_name(causes, tc->i64(0)) + ")");
    }
    std::string now = format_time(clock_.now());
    auto n = TRY(tx->exec(
        "INSERT INTO problem_tickets (problem_id, ticket_id, linked_by, linked_at) VALUES "
        "(?,?,?,?) ON CONFLICT (problem_id, ticket_id) DO NOTHING",
        {problem_id, *tid, store::opt(author_of(by)), now}));
    if (n > 0) {
      TRY(tx->exec("UPDATE problems SET updated_at = ? WHERE id = ?", {now, problem_id}));
      TRY_STATUS(audit::append(*tx, by,
                               {"problem.link_ticket", "problem", std::to_string(problem_id),
                                t->patron_id, "", {{"ticket_id", *tid}}},
                               clock_));
    }
    TRY_STATUS(tx->commit());
  }
  return get_problem(by, problem_id);
}

Status Quality::unlink_ticket(const Actor& by, std::int64_t problem_id, std::int64_t ticket_id) {
  TRY_STATUS(staff_may(by, auth::Permission::problem_manage));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto n = TRY(tx->exec("DELETE FROM problem_tickets WHERE problem_id = ? AND ticket_id = ?",
                        {problem_id, ticket_id}));
  if (n == 0) return not_found("the ticket is not in this problem");
  TRY(tx->exec("UPDATE problems SET updated_at = ? WHERE id = ?",
               {format_time(clock_.now()), problem_id}));
  TRY_STATUS(audit::append(*tx, by,
                           {"problem.unlink_ticket", "problem", std::to_string(problem_id),
                            std::nullopt, "", {{"ticket_id", ticket_id}}},
                           clock_));
  return tx->commit();
}

Result<json> Quality::add_action(const Actor& by, std::int64_t problem_id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::problem_manage));
  TRY_STATUS(only_fields(body, {"title", "unit_id", "owner_id", "due_on"}));
  auto title = TRY(required_text(body, "title", 300));
  auto unit = TRY(optional_id(body, "unit_id"));
  if (!unit) return invalid("unit_id", "unit_id (the department that acts) is required");
  auto owner = TRY(optional_id(body, "owner_id"));
  if (!owner) return invalid("owner_id", "owner_id is required");
  auto due = TRY(date_field(body, "due_on", true));
  std::int64_t id = 0;
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto prob = TRY(tx->maybe_one("SELECT status FROM problems WHERE id = ?", {problem_id}));
    if (!prob) return not_found("no such problem");
    if (prob->str(0) == "closed") return conflict("the problem is closed", "status");
    if (!TRY(tx->maybe_one("SELECT 1 FROM units WHERE id = ?", {*unit})))
      return invalid("unit_id", "no such unit");
    TRY_STATUS(check_user(*tx, *owner, "owner_id"));
    std::string now = format_time(clock_.now());
    auto row = TRY(tx->one(
        "INSERT INTO improvement_actions (problem_id, title, unit_id, owner_id, due_on, status, "
        "created_by, created_at, updated_at) VALUES (?,?,?,?,?,'planned',?,?,?) RETURNING id",
        {problem_id, title, *unit, *owner, due, store::opt(author_of(by)), now, now}, "action"));
    id = row.i64(0);
    TRY(tx->exec("UPDATE problems SET updated_at = ? WHERE id = ?", {now, problem_id}));
    TRY_STATUS(audit::append(*tx, by,
                             {"improvement_action.create", "improvement_action",
                              std::to_string(id), std::nullopt, "",
                              {{"problem_id", problem_id}, {"unit_id", *unit},
                               {"owner_id", *owner}, {"due_on", due}}},
                             clock_));
    TRY_STATUS(tx->commit());
  }
  std::string today = local_today();
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto row = TRY(tx->one(std::string("SELECT ") + kActionCols + kActionFrom + " WHERE a.id = ?",
                         {id}, "action"));
  return action_json(row, today);
}

Result<json> Quality::update_action(const Actor& by, std::int64_t id, const json& body) {
  if (by.role == Role::patron) return forbidden("staff only");
  bool manager = by.role == Role::system || auth::allowed(by.role, auth::Permission::problem_manage);
  TRY_STATUS(only_fields(body, {"title", "unit_id", "owner_id", "due_on", "status", "result"}));
  std::optional<std::string> status;
  if (body.contains("status"))
    status = TRY(one_of(body, "status", {"planned", "in_progress", "done", "cancelled"}, nullptr));
  auto result = TRY(optional_text(body, "result", 5000));
  auto title = TRY(optional_text(body, "title", 300));
  if (title && title->empty()) return invalid("title", "title is required");
  auto unit = TRY(optional_id(body, "unit_id"));
  auto owner = TRY(optional_id(body, "owner_id"));
  auto due = TRY(date_field(body, "due_on", false));
  std::string today = local_today();
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(
      tx->maybe_one("SELECT owner_id, status, problem_id FROM improvement_actions WHERE id = ?", {id}));
  if (!cur) return not_found("no such improvement action");
  bool owner_self = cur->i64(0) == by.user_id;
  if (!manager) {
    if (!owner_self) {
      TRY_STATUS(staff_may(by, auth::Permission::problem_manage));  // the refusal
    }
    if (title || unit || owner || !due.empty())
      return forbidden("the owner reports progress (status, result); a manager changes the rest");
  }
  if (status && *status == "done" && result.value_or("").empty() &&
      TRY(tx->one("SELECT result FROM improvement_actions WHERE id = ?", {id}, "action")).str(0).empty())
    return invalid("result", "a done action says what was done (result)");
  std::string now = format_time(clock_.now());
  if (title) TRY(tx->exec("UPDATE improvement_actions SET title = ? WHERE id = ?", {*title, id}));
  if (unit) {
    if (!TRY(tx->maybe_one("SELECT 1 FROM units WHERE id = ?", {*unit})))
      return invalid("unit_id", "no such unit");
    TRY(tx->exec("UPDATE improvement_actions SET unit_id = ? WHERE id = ?", {*unit, id}));
  }
  if (owner) {
    TRY_STATUS(check_user(*tx, *owner, "owner_id"));
    TRY(tx->exec("UPDATE improvement_actions SET owner_id = ? WHERE id = ?", {*owner, id}));
  }
  if (!due.empty()) TRY(tx->exec("UPDATE improvement_actions SET due_on = ? WHERE id = ?", {due, id}));
  if (result) TRY(tx->exec("UPDATE improvement_actions SET result = ? WHERE id = ?", {*result, id}));
  if (status && *status != cur->str(1))
    TRY(tx->exec("UPDATE improvement_actions SET status = ?, done_at = ? WHERE id = ?",
                 {*status, *status == "done" ? store::Value(now) : store::null_value(), id}));
  TRY(tx->exec("UPDATE improvement_actions SET updated_at = ? WHERE id = ?", {now, id}));
  TRY(tx->exec("UPDATE problems SET updated_at = ? WHERE id = ?", {now, cur->i64(2)}));
  json detail = body;
  if (detail.contains("result")) detail["result"] = "(changed)";
  TRY_STATUS(audit::append(*tx, by,
                           {"improvement_action.update", "improvement_action", std::to_string(id),
                            std::nullopt, "", detail},
                           clock_));
  auto row = TRY(tx->one(std::string("SELECT ") + kActionCols + kActionFrom + " WHERE a.id = ?",
                         {id}, "action"));
  TRY_STATUS(tx->commit());
  return action_json(row, today);
}

Result<json> Quality::list_actions(const Actor& by, const ActionQuery& q) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto after = TRY(after_id(q.cursor));
  int limit = std::clamp(q.limit, 1, 200);
  std::string today = local_today();
  std::string where = "1 = 1";
  store::Params p;
  if (q.status) {
    if (*q.status == "active") {
      where += " AND a.status IN ('planned','in_progress')";
    } else {
      if (!is_one_of(*q.status, {"planned", "in_progress", "done", "cancelled"}))
        return invalid("status", "status is planned, in_progress, done, cancelled or active");
      where += " AND a.status = ?";
      p.emplace_back(*q.status);
    }
  }
  if (q.overdue) {
    where += " AND a.status IN ('planned','in_progress') AND a.due_on < ?";
    p.emplace_back(today);
  }
  auto add = [&](const char* col, std::optional<std::int64_t> v) {
    if (!v) return;
    where += std::string(" AND ") + col + " = ?";
    p.emplace_back(*v);
  };
  add("a.owner_id", q.mine ? std::optional<std::int64_t>(by.user_id) : q.owner_id);
  add("a.unit_id", q.unit_id);
  add("a.problem_id", q.problem_id);
  if (after) {
    where += " AND a.id < ?";
    p.emplace_back(after);
  }
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kActionCols + kActionFrom + " WHERE " + where +
                                " ORDER BY a.id DESC LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(action_json(rows[i], today));
  return id_page(items, rows, limit);
}

Result<json> Quality::cause_trends(const Actor& by, const TrendQuery& q) {
  TRY_STATUS(staff_may(by, auth::Permission::service_report));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto cal = TRY(desk_.calendar(*tx));
  auto per = TRY(make_periods(cal, clock_.now(), q));
  auto causes = TRY(load_causes(*tx));
  // Counted by the ticket's opening, when the failure met the patron.
  auto rows = TRY(tx->query(
      "SELECT tc.cause_id, t.created_at FROM ticket_causes tc JOIN tickets t ON t.id = "
      "tc.ticket_id WHERE t.created_at >= ? AND t.created_at < ?",
      {per.from_utc, per.to_utc}));
  std::map<std::int64_t, std::vector<std::int64_t>> counts;
  for (auto& r : rows) {
    int i = per.index_of(r.str(1));
    if (i < 0) continue;
    auto& c = counts[q.top ? top_of(causes, r.i64(0)) : r.i64(0)];
    c.resize(per.starts.size());
    ++c[static_cast<std::size_t>(i)];
  }
  json items = json::array();
  for (auto& [cause, c] : counts) {
    std::int64_t total = 0;
    for (auto n : c) total += n;
    double before = 0;
    for (std::size_t i = 0; i + 1 < c.size(); ++i) before += static_cast<double>(c[i]);
    double mean = c.size() > 1 ? before / static_cast<double>(c.size() - 1) : 0;
    double latest = static_cast<double>(c.back());
    bool rising = c.size() > 1 && latest >= mean + 2 && latest >= 1.5 * mean;
    const Cause& k = causes.at(cause);
    items.push_back({{"cause_id", cause},
                     {"code", k.code},
                     {"name", k.name},
                     {"path", path_name(causes, cause)},
                     {"parent_id", opt(k.parent_id)},
                     {"counts", c},
                     {"total", total},
                     {"latest", c.back()},
                     {"mean_before", std::round(mean * 100) / 100},
                     {"rising", rising}});
  }
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
    if (a["rising"] != b["rising"]) return a["rising"].get<bool>();
    return a["total"].get<std::int64_t>() > b["total"].get<std::int64_t>();
  });
  return json{{"period", q.period}, {"buckets", per.starts}, {"from", per.first_day},
              {"to", per.last_day}, {"items", items}};
}

}  // namespace dangan::service
