// The desk's settings (calendar, SLA policies), teams and standard answers (话术).
#include <algorithm>

#include "service/internal.h"
#include "service/tickets.h"
#include "text/text.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace detail {

Status staff_may(const Actor& by, auth::Permission p) {
  if (by.role == Role::patron) return forbidden("staff only");
  return auth::require(by, p);
}

Result<std::int64_t> after_id(const std::optional<std::string>& cursor) {
  return TRY(cursor::parse_id(cursor)).value_or(0);
}

json id_page(json items, const store::Rows& rows, int limit) {
  json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (rows.size() > static_cast<std::size_t>(limit))
    out["next_cursor"] = cursor::encode_id(rows[static_cast<std::size_t>(limit) - 1].i64(0));
  return out;
}

Result<std::optional<cursor::Key>> after_time_id(const std::optional<std::string>& cursor) {
  return cursor::parse_time_key(cursor);
}

json key_page(json items, const store::Rows& rows, int limit, int key_col) {
  json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (rows.size() > static_cast<std::size_t>(limit)) {
    const auto& last = rows[static_cast<std::size_t>(limit) - 1];
    out["next_cursor"] = cursor::encode_key(last.str(key_col), last.i64(0));
  }
  return out;
}

Status check_user(store::Tx& tx, std::int64_t id, const char* field) {
  auto row = TRY(tx.maybe_one("SELECT role, disabled FROM users WHERE id = ?", {id}));
  if (!row) return invalid(field, "no such user");
  if (row->i64(1) != 0) return invalid(field, "the user is disabled");
  if (row->str(0) == "patron" || row->str(0) == "auditor")
    return invalid(field, "a " + row->str(0) + " account cannot work on tickets");
  return {};
}

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }
json opt(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace detail

namespace {

constexpr const char* kWeekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string now_text(const Clock& c) { return format_time(c.now()); }

json answer_json(const store::Row& r) {
  return {{"id", r.i64(0)},   {"title", r.str(1)},      {"scenario", r.str(2)},
          {"body", r.str(3)}, {"created_at", r.str(4)}, {"updated_at", r.str(5)}};
}

constexpr const char* kAnswerCols = "id, title, scenario, body, created_at, updated_at";

}  // namespace

Result<BusinessCalendar> Desk::calendar(store::Tx& tx) {
  CalendarSpec spec;
  spec.timezone = timezone_;
  auto hours = TRY(tx.query("SELECT weekday, hours FROM service_hours"));
  for (auto& r : hours) {
    auto d = r.i64(0);
    if (d < 1 || d > 7) continue;
    spec.weekly[d - 1] = TRY(parse_day_hours(r.str(1), "weekly"));
  }
  auto days = TRY(tx.query("SELECT day, kind, name, hours FROM service_calendar_days"));
  for (auto& r : days) {
    CalendarDay d;
    d.kind = r.str(1) == "workday" ? CalendarDay::Kind::workday : CalendarDay::Kind::holiday;
    d.name = r.str(2);
    d.hours = TRY(parse_day_hours(r.str(3), "hours"));
    spec.days[r.str(0)] = std::move(d);
  }
  return BusinessCalendar::make(std::move(spec));
}

Result<json> Desk::settings(const Actor& by) {
  if (!staff_may(by, auth::Permission::service_config))
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto cal = TRY(calendar(*tx));
  json weekly = json::object();
  for (int i = 0; i < 7; ++i) weekly[kWeekdays[i]] = format_day_hours(cal.spec().weekly[i]);
  json days = json::array();
  auto rows =
      TRY(tx->query("SELECT day, kind, name, hours FROM service_calendar_days ORDER BY day"));
  for (auto& r : rows)
    days.push_back(
        {{"date", r.str(0)}, {"kind", r.str(1)}, {"name", r.str(2)}, {"hours", r.str(3)}});
  json policies = json::array();
  auto pol = TRY(tx->query(
      "SELECT kind, priority, first_response_minutes, resolution_minutes FROM sla_policies "
      "ORDER BY kind, priority"));
  for (auto& r : pol)
    policies.push_back({{"kind", r.str(0)},
                        {"priority", r.str(1)},
                        {"first_response_minutes", r.i64(2)},
                        {"resolution_minutes", r.i64(3)}});
  json visits = json::object();
  auto vs = TRY(tx->query("SELECT key, value FROM service_settings ORDER BY key"));
  for (auto& r : vs) {
    auto v = json::parse(r.str(1), nullptr, false);
    visits[r.str(0)] = v.is_discarded() ? json(r.str(1)) : v;
  }
  return json{{"timezone", timezone_},
              {"weekly", weekly},
              {"days", days},
              {"policies", policies},
              {"visits", visits}};
}

Result<json> Desk::put_hours(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}));
  std::vector<std::pair<int, std::string>> changes;
  for (int i = 0; i < 7; ++i) {
    auto v = TRY(optional_text(body, kWeekdays[i], 200));
    if (!v) continue;
    auto hours = TRY(parse_day_hours(*v, kWeekdays[i]));
    changes.emplace_back(i + 1, format_day_hours(hours));
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  for (auto& [d, h] : changes)
    TRY(tx->exec("UPDATE service_hours SET hours = ? WHERE weekday = ?",
                 {h, static_cast<std::int64_t>(d)}));
  // The week must keep some working time, or no deadline could ever fall.
  auto check = calendar(*tx);
  if (!check) return std::unexpected(check.error());
  TRY_STATUS(audit::append(
      *tx, by, {"service.hours", "service_calendar", "weekly", std::nullopt, "", body}, clock_));
  TRY_STATUS(tx->commit());
  return settings(by);
}

Result<json> Desk::put_calendar_day(const Actor& by, const std::string& date, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"kind", "name", "hours"}));
  if (!valid_date(date) || date.size() != 10)
    return invalid("date", "write the date as YYYY-MM-DD");
  auto kind = TRY(one_of(body, "kind", {"holiday", "workday"}, nullptr));
  auto name = TRY(optional_text(body, "name", 100)).value_or("");
  auto hours_text = TRY(optional_text(body, "hours", 200)).value_or("");
  if (kind == "holiday" && !hours_text.empty())
    return invalid("hours", "a holiday has no working hours");
  auto hours = TRY(parse_day_hours(hours_text, "hours"));
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(tx->exec(
      "INSERT INTO service_calendar_days (day, kind, name, hours) VALUES (?,?,?,?) ON CONFLICT "
      "(day) DO UPDATE SET kind = excluded.kind, name = excluded.name, hours = excluded.hours",
      {date, kind, name, format_day_hours(hours)}));
  TRY_STATUS(audit::append(*tx, by,
                           {"service.calendar_day",
                            "service_calendar",
                            date,
                            std::nullopt,
                            "",
                            {{"kind", kind}, {"name", name}}},
                           clock_));
  TRY_STATUS(tx->commit());
  return json{{"date", date}, {"kind", kind}, {"name", name}, {"hours", format_day_hours(hours)}};
}

Status Desk::delete_calendar_day(const Actor& by, const std::string& date) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto n = TRY(tx->exec("DELETE FROM service_calendar_days WHERE day = ?", {date}));
  if (n == 0) return not_found("no holiday or make-up workday on " + date);
  TRY_STATUS(
      audit::append(*tx, by, {"service.calendar_day_delete", "service_calendar", date}, clock_));
  return tx->commit();
}

Result<json> Desk::put_policy(const Actor& by, const std::string& kind, const std::string& priority,
                              const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  if (!is_one_of(kind, kKinds)) return not_found("no such ticket kind");
  if (!is_one_of(priority, kPriorities)) return not_found("no such priority");
  TRY_STATUS(only_fields(body, {"first_response_minutes", "resolution_minutes"}));
  auto minutes = [&](const char* name) -> Result<std::int64_t> {
    if (!body.contains(name) || !body[name].is_number_integer() ||
        body[name].get<std::int64_t>() <= 0 || body[name].get<std::int64_t>() > 525600)
      return invalid(name,
                     std::string(name) + " must be a whole number of working minutes, 1 to 525600");
    return body[name].get<std::int64_t>();
  };
  auto first = TRY(minutes("first_response_minutes"));
  auto resolution = TRY(minutes("resolution_minutes"));
  if (resolution < first)
    return invalid("resolution_minutes", "resolution cannot come before the first response");
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(tx->exec(
      "INSERT INTO sla_policies (kind, priority, first_response_minutes, resolution_minutes) "
      "VALUES (?,?,?,?) ON CONFLICT (kind, priority) DO UPDATE SET first_response_minutes = "
      "excluded.first_response_minutes, resolution_minutes = excluded.resolution_minutes",
      {kind, priority, first, resolution}));
  TRY_STATUS(
      audit::append(*tx, by,
                    {"service.sla_policy",
                     "sla_policy",
                     kind + "/" + priority,
                     std::nullopt,
                     "",
                     {{"first_response_minutes", first}, {"resolution_minutes", resolution}}},
                    clock_));
  TRY_STATUS(tx->commit());
  return json{{"kind", kind},
              {"priority", priority},
              {"first_response_minutes", first},
              {"resolution_minutes", resolution}};
}

Result<json> Desk::create_team(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"name", "manager_id", "member_ids"}));
  auto name = TRY(required_text(body, "name", 100));
  auto manager = TRY(optional_id(body, "manager_id"));
  std::vector<std::int64_t> members;
  if (body.contains("member_ids")) {
    if (!body["member_ids"].is_array())
      return invalid("member_ids", "member_ids must be a list of user ids");
    for (auto& m : body["member_ids"]) {
      if (!m.is_number_integer())
        return invalid("member_ids", "member_ids must be a list of user ids");
      members.push_back(m.get<std::int64_t>());
    }
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (TRY(tx->maybe_one("SELECT 1 FROM service_teams WHERE name = ?", {name})))
    return conflict("a team with this name exists", "name");
  if (manager) {
    auto role =
        TRY(tx->maybe_one("SELECT role FROM users WHERE id = ? AND disabled = 0", {*manager}));
    if (!role || role->str(0) != "manager") return invalid("manager_id", "not an active manager");
  }
  for (auto m : members) TRY_STATUS(check_user(*tx, m, "member_ids"));
  auto row = TRY(tx->one(
      "INSERT INTO service_teams (name, manager_id, created_at) VALUES (?,?,?) RETURNING id",
      {name, store::opt(manager), now_text(clock_)}, "team"));
  std::int64_t id = row.i64(0);
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  for (auto m : members)
    TRY(tx->exec("INSERT INTO service_team_members (team_id, user_id) VALUES (?,?)", {id, m}));
  TRY_STATUS(
      audit::append(*tx, by, {"service.team_create", "service_team", std::to_string(id)}, clock_));
  TRY_STATUS(tx->commit());
  return json{{"id", id}, {"name", name}, {"manager_id", opt(manager)}, {"member_ids", members}};
}

Result<json> Desk::list_teams(const Actor& by) {
  // The administrator configures teams and answers: they may list what they edit.
  if (!staff_may(by, auth::Permission::service_config))
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query("SELECT id, name, manager_id FROM service_teams ORDER BY name"));
  auto members =
      TRY(tx->query("SELECT team_id, user_id FROM service_team_members ORDER BY team_id, user_id"));
  json items = json::array();
  for (auto& r : rows) {
    json ids = json::array();
    for (auto& m : members)
      if (m.i64(0) == r.i64(0)) ids.push_back(m.i64(1));
    items.push_back({{"id", r.i64(0)},
                     {"name", r.str(1)},
                     {"manager_id", opt(r.opt_i64(2))},
                     {"member_ids", ids}});
  }
  return json{{"items", items}};
}

Result<json> Desk::update_team(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"name", "manager_id", "member_ids"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto team = TRY(tx->maybe_one("SELECT name, manager_id FROM service_teams WHERE id = ?", {id}));
  if (!team) return not_found("no such team");
  std::string name = team->str(0);
  if (body.contains("name")) {
    name = TRY(required_text(body, "name", 100));
    if (TRY(tx->maybe_one("SELECT 1 FROM service_teams WHERE name = ? AND id <> ?", {name, id})))
      return conflict("a team with this name exists", "name");
  }
  auto manager = team->opt_i64(1);
  if (body.contains("manager_id")) {
    manager = TRY(optional_id(body, "manager_id"));
    if (manager) {
      auto role =
          TRY(tx->maybe_one("SELECT role FROM users WHERE id = ? AND disabled = 0", {*manager}));
      if (!role || role->str(0) != "manager") return invalid("manager_id", "not an active manager");
    }
  }
  TRY(tx->exec("UPDATE service_teams SET name = ?, manager_id = ? WHERE id = ?",
               {name, store::opt(manager), id}));
  if (body.contains("member_ids")) {
    if (!body["member_ids"].is_array())
      return invalid("member_ids", "member_ids must be a list of user ids");
    std::vector<std::int64_t> members;
    for (auto& m : body["member_ids"]) {
      if (!m.is_number_integer())
        return invalid("member_ids", "member_ids must be a list of user ids");
      TRY_STATUS(check_user(*tx, m.get<std::int64_t>(), "member_ids"));
      members.push_back(m.get<std::int64_t>());
    }
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    TRY(tx->exec("DELETE FROM service_team_members WHERE team_id = ?", {id}));
    for (auto m : members)
      TRY(tx->exec("INSERT INTO service_team_members (team_id, user_id) VALUES (?,?)", {id, m}));
  }
  TRY_STATUS(
      audit::append(*tx, by, {"service.team_update", "service_team", std::to_string(id)}, clock_));
  TRY_STATUS(tx->commit());
  auto all = TRY(list_teams(system_actor()));
  for (auto& t : all["items"])
    if (t["id"] == id) return t;
  return not_found("no such team");
}

Result<json> Desk::create_answer(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"title", "scenario", "body"}));
  auto title = TRY(required_text(body, "title", 200));
  auto scenario = TRY(optional_text(body, "scenario", 200)).value_or("");
  auto text = TRY(required_text(body, "body", 5000));
  std::string now = now_text(clock_);
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row = TRY(tx->one(
      "INSERT INTO standard_answers (title, scenario, body, search_text, created_by, created_at, "
      "updated_at) VALUES (?,?,?,?,?,?,?) RETURNING " +
          std::string(kAnswerCols),
      {title, scenario, text, text::fold(title + "\n" + scenario + "\n" + text),
       store::opt(author_of(by)), now, now},
      "answer"));
  TRY_STATUS(audit::append(
      *tx, by, {"service.answer_create", "standard_answer", std::to_string(row.i64(0))}, clock_));
  TRY_STATUS(tx->commit());
  return answer_json(row);
}

Result<json> Desk::list_answers(const Actor& by, const std::string& q, int limit) {
  // The administrator configures teams and answers: they may list what they edit.
  if (!staff_may(by, auth::Permission::service_config))
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  std::string where = "1 = 1";
  store::Params p;
  // Every word of the query, folded like the stored text (檔案 finds 档案, ABC finds abc).
  std::string folded = text::fold(q);
  std::size_t i = 0;
  while (i < folded.size()) {
    auto j = folded.find(' ', i);
    if (j == std::string::npos) j = folded.size();
    if (j > i) {
      std::string word = folded.substr(i, j - i);
      std::string escaped;
      for (char c : word) {
        if (c == '%' || c == '_' || c == '\\') escaped += '\\';
        escaped += c;
      }
      where += " AND search_text LIKE ? ESCAPE '\\'";
      p.emplace_back("%" + escaped + "%");
    }
    i = j + 1;
  }
  p.emplace_back(static_cast<std::int64_t>(std::clamp(limit, 1, 200)));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kAnswerCols + " FROM standard_answers WHERE " +
                                where + " ORDER BY title, id LIMIT ?",
                            p));
  json items = json::array();
  for (auto& r : rows) items.push_back(answer_json(r));
  return json{{"items", items}, {"next_cursor", nullptr}};
}

Result<json> Desk::update_answer(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"title", "scenario", "body"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(tx->maybe_one(
      std::string("SELECT ") + kAnswerCols + " FROM standard_answers WHERE id = ?", {id}));
  if (!cur) return not_found("no such standard answer");
  std::string title = cur->str(1), scenario = cur->str(2), text = cur->str(3);
  if (body.contains("title")) title = TRY(required_text(body, "title", 200));
  if (body.contains("scenario")) scenario = TRY(optional_text(body, "scenario", 200)).value_or("");
  if (body.contains("body")) text = TRY(required_text(body, "body", 5000));
  auto row =
      TRY(tx->one("UPDATE standard_answers SET title = ?, scenario = ?, body = ?, search_text = ?, "
                  "updated_at = ? "
                  "WHERE id = ? RETURNING " +
                      std::string(kAnswerCols),
                  {title, scenario, text, text::fold(title + "\n" + scenario + "\n" + text),
                   now_text(clock_), id},
                  "answer"));
  TRY_STATUS(audit::append(
      *tx, by, {"service.answer_update", "standard_answer", std::to_string(id)}, clock_));
  TRY_STATUS(tx->commit());
  return answer_json(row);
}

Status Desk::delete_answer(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto n = TRY(tx->exec("DELETE FROM standard_answers WHERE id = ?", {id}));
  if (n == 0) return not_found("no such standard answer");
  TRY_STATUS(audit::append(
      *tx, by, {"service.answer_delete", "standard_answer", std::to_string(id)}, clock_));
  return tx->commit();
}

Result<json> Desk::render_answer(const Actor& by, std::int64_t id, std::int64_t ticket_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto ticket = TRY(load(*tx, ticket_id));
  TRY_STATUS(may_see(by, ticket));
  // Filling in the patron's ticket reads it, as opening it does.
  if (ticket.patron_id)
    reads_.record(by, {"ticket.read", "ticket", std::to_string(ticket_id), ticket.patron_id});
  auto row = TRY(tx->maybe_one(
      std::string("SELECT ") + kAnswerCols + " FROM standard_answers WHERE id = ?", {id}));
  if (!row) return not_found("no such standard answer");
  auto agent = by.user_id
                   ? TRY(tx->maybe_one("SELECT display_name FROM users WHERE id = ?", {by.user_id}))
                   : std::nullopt;
  std::map<std::string, std::string> values = {
      {"ticket_number", ticket.number},
      {"subject", ticket.subject},
      {"agent_name", agent ? agent->str(0) : std::string()}};
  if (ticket.patron_id && patron_name_)
    if (auto n = patron_name_(by, *ticket.patron_id)) values["patron_name"] = *n;
  std::string text = row->str(3), out;
  std::vector<std::string> unfilled;
  for (std::size_t i = 0; i < text.size();) {
    auto open = text.find('{', i);
    if (open == std::string::npos) {
      out += text.substr(i);
      break;
    }
    auto close = text.find('}', open);
    if (close == std::string::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    std::string key = text.substr(open + 1, close - open - 1);
    if (auto v = values.find(key); v != values.end()) {
      out += v->second;
    } else {
      out += text.substr(open, close - open + 1);
      unfilled.push_back(key);
    }
    i = close + 1;
  }
  return json{{"id", id}, {"title", row->str(1)}, {"text", out}, {"unfilled", unfilled}};
}

}  // namespace dangan::service
