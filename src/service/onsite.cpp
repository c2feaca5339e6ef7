// On-site visits (上门服务): booking, the staff calendar, the outcome (onsite.h).
#include "service/onsite.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "patrons/patrons.h"
#include "patrons/timeline.h"
#include "patrons/validation.h"
#include "patrons/writes.h"
#include "service/internal.h"
#include "service/routing.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

const std::initializer_list<std::string_view> kPurposes = {"consultation", "collection",
                                                           "delivery", "appraisal", "other"};
const std::initializer_list<std::string_view> kStatuses = {"requested", "booked", "done",
                                                           "cancelled", "no_show"};

constexpr const char* kCols =
    "id, patron_id, ticket_id, purpose, status, address, contact_phone, starts_at, ends_at, "
    "notes, patron_note, requested_by_patron, outcome, duration_minutes, items, satisfaction, "
    "cancel_reason, created_by, created_at, updated_at, closed_by, closed_at";

struct Visit {
  std::int64_t id = 0, patron_id = 0;
  std::optional<std::int64_t> ticket_id, duration_minutes, satisfaction, created_by, closed_by;
  std::string purpose, status, address, contact_phone, starts_at, ends_at, notes, patron_note,
      outcome, items, cancel_reason, created_at, updated_at;
  bool requested_by_patron = false;
  std::optional<std::string> closed_at;
  std::vector<std::pair<std::int64_t, std::string>> staff;  // user id, display name
};

Visit from_row(const store::Row& r) {
  Visit v;
  v.id = r.i64(0);
  v.patron_id = r.i64(1);
  v.ticket_id = r.opt_i64(2);
  v.purpose = r.str(3);
  v.status = r.str(4);
  v.address = r.str(5);
  v.contact_phone = r.str(6);
  v.starts_at = r.str(7);
  v.ends_at = r.str(8);
  v.notes = r.str(9);
  v.patron_note = r.str(10);
  v.requested_by_patron = r.i64(11) != 0;
  v.outcome = r.str(12);
  v.duration_minutes = r.opt_i64(13);
  v.items = r.str(14);
  v.satisfaction = r.opt_i64(15);
  v.cancel_reason = r.str(16);
  v.created_by = r.opt_i64(17);
  v.created_at = r.str(18);
  v.updated_at = r.str(19);
  v.closed_by = r.opt_i64(20);
  v.closed_at = r.opt_str(21);
  return v;
}

// Fills `staff` of every visit in two queries at most.
Status load_staff(store::Tx& tx, std::vector<Visit>& visits) {
  if (visits.empty()) return {};
  store::Params ids;
  for (auto& v : visits) ids.emplace_back(v.id);
  auto rows = TRY(store::query_in(tx,
                                  "SELECT s.visit_id, u.id, u.display_name FROM onsite_visit_staff "
                                  "s JOIN users u ON u.id = s.user_id WHERE s.visit_id IN",
                                  ids, " ORDER BY u.id"));
  for (auto& v : visits) {
    v.staff.clear();
    for (auto& r : rows)
      if (r.i64(0) == v.id) v.staff.emplace_back(r.i64(1), r.str(2));
  }
  return {};
}

Result<Visit> load_visit(store::Tx& tx, std::int64_t id) {
  auto row =
      TRY(tx.maybe_one(std::string("SELECT ") + kCols + " FROM onsite_visits WHERE id = ?", {id}));
  if (!row) return not_found("no on-site visit with id " + std::to_string(id));
  std::vector<Visit> one{from_row(*row)};
  TRY_STATUS(load_staff(tx, one));
  return one.front();
}

bool is_patron(const Actor& by) { return by.role == Role::patron; }

bool assigned(const Actor& by, const Visit& v) {
  return std::any_of(v.staff.begin(), v.staff.end(),
                     [&](const auto& s) { return s.first == by.user_id; });
}

// Managers, the staff who go and the patron themself see the address and phone whole.
bool sees_whole(const Actor& by, const Visit& v) {
  if (is_patron(by)) return by.patron_id == v.patron_id;
  return by.role == Role::manager || by.role == Role::system || assigned(by, v);
}

// The personal fields a view of `v` discloses (whole or cut): what a read is audited for.
json disclosed(const Visit& v) {
  json f = json::array({"address"});
  if (!v.contact_phone.empty()) f.push_back("contact_phone");
  return f;
}

std::string purpose_zh(const std::string& p) {
  if (p == "consultation") return "咨询";
  if (p == "collection") return "接收";
  if (p == "delivery") return "送达";
  if (p == "appraisal") return "鉴定";
  return "其他";
}

json view(const Actor& by, const Visit& v) {
  json staff = json::array();
  for (auto& [id, name] : v.staff) staff.push_back({{"id", id}, {"display_name", name}});
  json items = json::parse(v.items, nullptr, false);
  if (!items.is_array()) items = json::array();
  json out = {{"id", v.id},
              {"patron_id", v.patron_id},
              {"ticket_id", opt(v.ticket_id)},
              {"purpose", v.purpose},
              {"status", v.status},
              {"address", v.address},
              {"contact_phone", v.contact_phone},
              {"starts_at", v.starts_at},
              {"ends_at", v.ends_at},
              {"staff", staff},
              {"patron_note", v.patron_note},
              {"requested_by_patron", v.requested_by_patron},
              {"duration_minutes", opt(v.duration_minutes)},
              {"items", items},
              {"satisfaction", opt(v.satisfaction)},
              {"cancel_reason", v.cancel_reason},
              {"created_at", v.created_at},
              {"updated_at", v.updated_at},
              {"closed_at", opt(v.closed_at)},
              {"masked", json::array()}};
  if (!is_patron(by)) {
    out["notes"] = v.notes;
    out["outcome"] = v.outcome;
    out["created_by"] = opt(v.created_by);
    out["closed_by"] = opt(v.closed_by);
  }
  if (!sees_whole(by, v)) {
    out["address"] = patrons::mask_text(v.address, 6);
    out["masked"].push_back("address");
    if (!v.contact_phone.empty()) {
      out["contact_phone"] = patrons::mask_phone(v.contact_phone);
      out["masked"].push_back("contact_phone");
    }
  }
  return out;
}

struct Window {
  TimePoint start, end;
};

Result<std::optional<TimePoint>> time_field(const json& body, const char* name) {
  auto text = TRY(optional_text(body, name, 40));
  if (!text) return std::optional<TimePoint>();
  auto t = parse_time(*text);
  if (!t)
    return invalid(name, std::string(name) + " must be a time like 2026-12-01T09:00:00+08:00");
  return t;
}

// The window in `body`; members not given keep `current`'s (or are required without one).
Result<Window> window_from(const json& body, const std::optional<Window>& current) {
  auto start = TRY(time_field(body, "starts_at"));
  auto end = TRY(time_field(body, "ends_at"));
  if (!current && !start) return invalid("starts_at", "say when the visit starts (starts_at)");
  if (!current && !end) return invalid("ends_at", "say when the visit ends (ends_at)");
  return Window{start.value_or(current ? current->start : TimePoint{}),
                end.value_or(current ? current->end : TimePoint{})};
}

// Within one local day that is a working day of the desk's calendar.
Status check_window(const BusinessCalendar& cal, const Window& w) {
  if (w.end <= w.start) return invalid("ends_at", "ends_at must be after starts_at");
  std::string day = cal.local_date(w.start);
  if (cal.local_date(w.end - std::chrono::microseconds(1)) != day)
    return invalid("ends_at", "a visit's window lies within one day");
  if (!cal.is_working_day(w.start)) {
    auto it = cal.spec().days.find(day);
    std::string why = it != cal.spec().days.end() && !it->second.name.empty()
                          ? " (" + it->second.name + ")"
                          : "";
    return invalid("starts_at", day + why + " is not a working day of the service calendar");
  }
  return {};
}

Result<std::string> phone_from(const json& body) {
  auto phone = TRY(optional_text(body, "contact_phone", 30)).value_or("");
  int digits = 0;
  for (char c : phone) {
    if (c >= '0' && c <= '9')
      ++digits;
    else if (c != '+' && c != '-' && c != ' ' && c != '(' && c != ')')
      return invalid("contact_phone", "a phone number: digits, +, -, spaces and brackets");
  }
  if (!phone.empty() && (digits < 5 || digits > 20))
    return invalid("contact_phone", "a phone number has 5 to 20 digits");
  return phone;
}

Result<std::optional<std::vector<std::int64_t>>> staff_from(const json& body) {
  if (!body.contains("staff_ids") || body["staff_ids"].is_null())
    return std::optional<std::vector<std::int64_t>>();
  const auto& a = body["staff_ids"];
  if (!a.is_array() || a.size() > 10)
    return invalid("staff_ids", "staff_ids is a list of at most 10 user ids");
  std::set<std::int64_t> ids;
  for (const auto& x : a) {
    if (!x.is_number_integer() || x.get<std::int64_t>() <= 0)
      return invalid("staff_ids", "staff_ids is a list of user ids");
    ids.insert(x.get<std::int64_t>());
  }
  return std::vector<std::int64_t>(ids.begin(), ids.end());
}

// Nobody in `staff` is in another active visit overlapping [start, end). On PostgreSQL
// the staff members' user rows are locked first (in id order, so two bookings cannot
// deadlock), which makes a concurrent booking of the same person wait for this one and
// then see it; SQLite runs one write transaction at a time.
Status check_free(store::Tx& tx, const std::vector<std::int64_t>& staff, const std::string& start,
                  const std::string& end, std::int64_t self_id) {
  if (staff.empty()) return {};
  store::Params p;
  std::string marks = store::in_ids(staff, p);
  if (tx.backend() == store::Backend::postgres)
    TRY(tx.query("SELECT id FROM users WHERE id IN " + marks + " ORDER BY id FOR NO KEY UPDATE",
                 p));
  p.emplace_back(self_id);
  p.emplace_back(end);
  p.emplace_back(start);
  auto clash = TRY(tx.maybe_one(
      "SELECT v.id, v.starts_at, v.ends_at, u.display_name FROM onsite_visit_staff s JOIN "
      "onsite_visits v ON v.id = s.visit_id JOIN users u ON u.id = s.user_id WHERE s.user_id IN " +
          marks +
          " AND v.status IN ('requested','booked') AND v.id <> ? AND v.starts_at < ? AND "
          "v.ends_at > ? ORDER BY v.starts_at, v.id LIMIT 1",
      p));
  if (clash)
    return fail(ErrorCode::conflict,
                clash->str(3) + " is already booked for on-site visit " + clash->str(0) + " (" +
                    clash->str(1) + " – " + clash->str(2) + ")",
                "staff_ids");
  return {};
}

Status replace_staff(store::Tx& tx, std::int64_t visit_id, const std::vector<std::int64_t>& staff) {
  TRY(tx.exec("DELETE FROM onsite_visit_staff WHERE visit_id = ?", {visit_id}));
  for (auto id : staff)
    TRY(tx.exec("INSERT INTO onsite_visit_staff (visit_id, user_id) VALUES (?,?)", {visit_id, id}));
  return {};
}

// The visit as `by` may know it: a patron only their own (others do not exist).
Status check_visible(const Actor& by, const Visit& v) {
  if (is_patron(by) && by.patron_id != v.patron_id)
    return not_found("no on-site visit with id " + std::to_string(v.id));
  return {};
}

// A window as people read it, in the service calendar's time zone: "2026-11-30 09:30–11:00"
// (the end's date too when it is another day). The stored form is UTC with microseconds.
std::string local_window(const BusinessCalendar& cal, const std::string& starts,
                         const std::string& ends) {
  auto a = parse_time(starts), b = parse_time(ends);
  if (!a || !b) return starts + " – " + ends;
  auto at = [&](TimePoint t, bool with_date) {
    std::string date = cal.local_date(t);
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(t - cal.local_midnight(date)).count();
    char hm[8];
    std::snprintf(hm, sizeof hm, "%02d:%02d", static_cast<int>(secs / 3600 % 24),
                  static_cast<int>(secs / 60 % 60));
    return with_date ? date + " " + hm : std::string(hm);
  };
  return at(*a, true) + "–" + at(*b, cal.local_date(*a) != cal.local_date(*b));
}

std::string label(const BusinessCalendar& cal, const Visit& v) {
  return purpose_zh(v.purpose) + " (" + v.purpose + "), " +
         local_window(cal, v.starts_at, v.ends_at);
}

}  // namespace

OnSite::OnSite(store::Database& db, audit::ReadRecorder& reads, Desk& desk, const Clock& clock)
    : db_(db), reads_(reads), desk_(desk), clock_(clock) {}

Result<json> OnSite::book(const Actor& by, const json& body) {
  bool patron = is_patron(by);
  if (patron) {
    if (!by.patron_id) return forbidden("this account is not linked to a patron");
    TRY_STATUS(only_fields(body, {"purpose", "address", "contact_phone", "starts_at", "ends_at",
                                  "note"}));
  } else {
    TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
    TRY_STATUS(only_fields(body, {"patron_id", "purpose", "address", "contact_phone", "starts_at",
                                  "ends_at", "staff_ids", "ticket_id", "notes"}));
  }
  std::optional<std::int64_t> patron_id =
      patron ? by.patron_id : TRY(optional_id(body, "patron_id"));
  if (!patron_id) return invalid("patron_id", "say which patron is visited");
  auto purpose = TRY(one_of(body, "purpose", kPurposes, nullptr));
  auto address = TRY(required_text(body, "address", 500));
  auto phone = TRY(phone_from(body));
  auto window = TRY(window_from(body, std::nullopt));
  std::vector<std::int64_t> staff;
  std::optional<std::int64_t> ticket_id;
  std::string notes, patron_note;
  if (patron) {
    patron_note = TRY(optional_text(body, "note", 2000)).value_or("");
  } else {
    staff = TRY(staff_from(body)).value_or(std::vector<std::int64_t>{});
    ticket_id = TRY(optional_id(body, "ticket_id"));
    notes = TRY(optional_text(body, "notes", 4000)).value_or("");
  }
  TimePoint now = clock_.now();
  if (patron && window.start <= now)
    return invalid("starts_at", "choose a window that has not begun yet");

  auto tx = TRY(db_.begin(store::TxMode::write));
  if (patron && !TRY(tier_of(*tx, patron_id)).on_site)
    return forbidden("your service tier does not include on-site visits; please ask the desk");
  // An active patron (merged or erased ones cannot be visited).
  TRY_STATUS(patrons::may_write_about(*tx, *patron_id, patrons::IfMissing::not_found));
  if (ticket_id) {
    auto t = TRY(load(*tx, *ticket_id));
    TRY_STATUS(may_see(by, t));
    if (t.patron_id != patron_id) return invalid("ticket_id", "the ticket is not this patron's");
  }
  auto cal = TRY(desk_.calendar(*tx));
  TRY_STATUS(check_window(cal, window));
  for (auto id : staff) TRY_STATUS(check_user(*tx, id, "staff_ids"));
  std::string start = format_time(window.start), end = format_time(window.end);
  TRY_STATUS(check_free(*tx, staff, start, end, 0));
  std::string status = staff.empty() ? "requested" : "booked";
  std::string now_s = format_time(now);
  auto row = TRY(tx->one(
      "INSERT INTO onsite_visits (patron_id, ticket_id, purpose, status, address, contact_phone, "
      "starts_at, ends_at, notes, patron_note, requested_by_patron, created_by, created_at, "
      "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
      {*patron_id, store::opt(ticket_id), purpose, status, address, phone, start, end, notes,
       patron_note, static_cast<std::int64_t>(patron ? 1 : 0), store::opt(author_of(by)), now_s,
       now_s},
      "on-site visit"));
  std::int64_t id = row.i64(0);
  TRY_STATUS(replace_staff(*tx, id, staff));
  auto v = TRY(load_visit(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {patron ? "onsite.request" : "onsite.book",
                            "onsite_visit",
                            std::to_string(id),
                            *patron_id,
                            "",
                            {{"purpose", purpose},
                             {"status", status},
                             {"starts_at", start},
                             {"ends_at", end},
                             {"staff_ids", staff}}},
                           clock_));
  TRY(timeline::append(
      *tx, by,
      {*patron_id,
       status == "booked" ? "onsite.booked" : "onsite.requested",
       std::string(status == "booked" ? "On-site visit booked: " : "On-site visit requested: ") +
           label(cal, v),
       {{"purpose", purpose}, {"starts_at", start}, {"ends_at", end}},
       "onsite_visit",
       std::to_string(id)},
      clock_));
  TRY_STATUS(tx->commit());
  return view(by, v);
}

Result<json> OnSite::get(const Actor& by, std::int64_t id) {
  if (!is_patron(by)) TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto v = TRY(load_visit(*tx, id));
  TRY_STATUS(check_visible(by, v));
  if (!is_patron(by))
    reads_.record(by, {"onsite.read", "onsite_visit", std::to_string(id), v.patron_id, "",
                       {{"fields", disclosed(v)}, {"whole", sees_whole(by, v)}}});
  if (is_patron(by)) return view(by, v);
  // The patron's name as the list gives it (the onsite.read above records the read).
  json one = json::array({view(by, v)});
  TRY_STATUS(patrons::add_patron_names(*tx, by, nullptr, one, "onsite_visits"));
  return std::move(one[0]);
}

Result<json> OnSite::list(const Actor& by, const OnSiteQuery& q) {
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
  } else {
    if (q.patron_id) {
      where += " AND patron_id = ?";
      p.emplace_back(*q.patron_id);
    }
    if (q.staff_id) {
      where += " AND id IN (SELECT visit_id FROM onsite_visit_staff WHERE user_id = ?)";
      p.emplace_back(*q.staff_id);
    }
  }
  if (q.status) {
    if (*q.status == "active") {
      where += " AND status IN ('requested','booked')";
    } else if (is_one_of(*q.status, kStatuses)) {
      where += " AND status = ?";
      p.emplace_back(*q.status);
    } else {
      return invalid("status", "status is requested, booked, done, cancelled, no_show or active");
    }
  }
  for (auto [field, op] : {std::pair{"from", ">="}, std::pair{"to", "<"}}) {
    const auto& text = std::string_view(field) == "from" ? q.from : q.to;
    if (!text) continue;
    auto t = parse_time(*text);
    if (!t) return invalid(field, std::string(field) + " must be a date or an ISO 8601 time");
    where += std::string(" AND starts_at ") + op + " ?";
    p.emplace_back(format_time(*t));
  }
  // Soonest window first; the cursor is [starts_at, id] of the last row.
  if (auto after = TRY(after_time_id(q.cursor)))
    where += store::after_key("starts_at", "id", *after, false, p);
  int limit = std::clamp(q.limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kCols + " FROM onsite_visits WHERE " + where +
                                " ORDER BY starts_at, id LIMIT ?",
                            p));
  std::vector<Visit> visits;
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    visits.push_back(from_row(rows[i]));
  TRY_STATUS(load_staff(*tx, visits));
  json items = json::array();
  std::set<std::int64_t> read;
  for (auto& v : visits) {
    items.push_back(view(by, v));
    if (!patron && read.insert(v.patron_id).second)
      reads_.record(by, {"onsite.list_read", "patron", std::to_string(v.patron_id), v.patron_id});
  }
  // The names' reads are the onsite.list_read entries just recorded.
  if (!patron) TRY_STATUS(patrons::add_patron_names(*tx, by, nullptr, items, "onsite_visits"));
  return key_page(std::move(items), rows, limit, 7);
}

Result<json> OnSite::update(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"purpose", "address", "contact_phone", "starts_at", "ends_at",
                                "staff_ids", "ticket_id", "notes", "status"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto v = TRY(load_visit(*tx, id));
  if (v.status != "requested" && v.status != "booked")
    return conflict("the visit is " + v.status + " and cannot change", "status");
  // An erased patron's visit is only cancelled (without a reason).
  TRY_STATUS(patrons::refuse_if_erased(*tx, v.patron_id));
  TimePoint now = clock_.now();
  std::vector<std::string> changed;
  Visit n = v;
  if (body.contains("purpose")) n.purpose = TRY(one_of(body, "purpose", kPurposes, nullptr));
  if (body.contains("address")) n.address = TRY(required_text(body, "address", 500));
  if (body.contains("contact_phone")) n.contact_phone = TRY(phone_from(body));
  if (body.contains("notes")) n.notes = TRY(optional_text(body, "notes", 4000)).value_or("");
  if (body.contains("ticket_id")) {
    n.ticket_id = TRY(optional_id(body, "ticket_id"));
    if (n.ticket_id) {
      auto t = TRY(load(*tx, *n.ticket_id));
      TRY_STATUS(may_see(by, t));
      if (t.patron_id != v.patron_id)
        return invalid("ticket_id", "the ticket is not this patron's");
    }
  }
  Window current{parse_time(v.starts_at).value_or(now), parse_time(v.ends_at).value_or(now)};
  bool window_given = body.contains("starts_at") || body.contains("ends_at");
  auto window = TRY(window_from(body, current));
  if (window_given) {
    n.starts_at = format_time(window.start);
    n.ends_at = format_time(window.end);
  }
  auto new_staff = TRY(staff_from(body));
  std::vector<std::int64_t> staff;
  for (auto& s : v.staff) staff.push_back(s.first);
  bool staff_changed = new_staff && *new_staff != staff;
  if (new_staff) staff = *new_staff;
  if (body.contains("status")) {
    auto s = TRY(one_of(body, "status", {"booked", "no_show"}, nullptr));
    if (s == "no_show") {
      if (v.status != "booked") return conflict("only a booked visit can be a no-show", "status");
      if (now < current.start)
        return conflict("the visit has not begun yet (it starts " + v.starts_at + ")", "status");
    }
    n.status = s;
  }
  if (n.status == "booked" && staff.empty())
    return invalid("staff_ids", "a booked visit needs at least one member of staff who goes");
  if (window_given) {
    auto cal = TRY(desk_.calendar(*tx));
    TRY_STATUS(check_window(cal, window));
  }
  if (staff_changed)
    for (auto sid : staff) TRY_STATUS(check_user(*tx, sid, "staff_ids"));
  if (n.status != "no_show" && (window_given || staff_changed))
    TRY_STATUS(check_free(*tx, staff, n.starts_at, n.ends_at, id));

  for (auto [name, a, b] : {std::tuple{"purpose", &v.purpose, &n.purpose},
                            std::tuple{"address", &v.address, &n.address},
                            std::tuple{"contact_phone", &v.contact_phone, &n.contact_phone},
                            std::tuple{"notes", &v.notes, &n.notes},
                            std::tuple{"starts_at", &v.starts_at, &n.starts_at},
                            std::tuple{"ends_at", &v.ends_at, &n.ends_at},
                            std::tuple{"status", &v.status, &n.status}})
    if (*a != *b) changed.emplace_back(name);
  if (v.ticket_id != n.ticket_id) changed.emplace_back("ticket_id");
  if (staff_changed) changed.emplace_back("staff_ids");
  std::string now_s = format_time(now);
  bool closing = n.status == "no_show";
  TRY(tx->exec(
      "UPDATE onsite_visits SET purpose = ?, address = ?, contact_phone = ?, notes = ?, "
      "ticket_id = ?, starts_at = ?, ends_at = ?, status = ?, updated_at = ?, closed_by = ?, "
      "closed_at = ? WHERE id = ?",
      {n.purpose, n.address, n.contact_phone, n.notes, store::opt(n.ticket_id), n.starts_at,
       n.ends_at, n.status, now_s, closing ? store::opt(author_of(by)) : store::Value(),
       closing ? store::Value(now_s) : store::Value(), id}));
  if (staff_changed) TRY_STATUS(replace_staff(*tx, id, staff));
  auto after = TRY(load_visit(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {closing ? "onsite.no_show" : "onsite.update",
                            "onsite_visit",
                            std::to_string(id),
                            v.patron_id,
                            "",
                            {{"changed", changed}, {"status", n.status}, {"staff_ids", staff}}},
                           clock_));
  // The patron's history shows confirmations, moves of a booked window and no-shows.
  std::optional<std::pair<std::string, std::string>> event;
  auto cal = TRY(desk_.calendar(*tx));
  if (closing)
    event = {"onsite.no_show", "On-site visit: nobody was there — " + label(cal, after)};
  else if (v.status == "requested" && n.status == "booked")
    event = {"onsite.booked", "On-site visit booked: " + label(cal, after)};
  else if (n.status == "booked" && (v.starts_at != n.starts_at || v.ends_at != n.ends_at))
    event = {"onsite.rescheduled",
             "On-site visit moved to " + local_window(cal, n.starts_at, n.ends_at)};
  if (event)
    TRY(timeline::append(*tx, by,
                         {v.patron_id,
                          event->first,
                          event->second,
                          {{"starts_at", n.starts_at}, {"ends_at", n.ends_at}},
                          "onsite_visit",
                          std::to_string(id)},
                         clock_));
  TRY_STATUS(tx->commit());
  return view(by, after);
}

Result<json> OnSite::done(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"outcome", "duration_minutes", "items", "satisfaction"}));
  auto outcome = TRY(required_text(body, "outcome", 4000));
  const auto& d = body.contains("duration_minutes") ? body["duration_minutes"] : json();
  if (!d.is_number_integer() || d.get<std::int64_t>() < 1 || d.get<std::int64_t>() > 1440)
    return invalid("duration_minutes", "how long the visit took, 1 to 1440 minutes");
  std::int64_t minutes = d.get<std::int64_t>();
  json items = json::array();
  if (body.contains("items") && !body["items"].is_null()) {
    const auto& a = body["items"];
    if (!a.is_array() || a.size() > 100)
      return invalid("items", "items is a list of at most 100 entries");
    for (const auto& x : a) {
      if (!x.is_string()) return invalid("items", "each item is a text");
      json one = {{"item", x}};
      auto text = required_text(one, "item", 200);
      if (!text) return invalid("items", "each item is a text of 1 to 200 characters");
      items.push_back(*text);
    }
  }
  std::optional<std::int64_t> satisfaction;
  if (body.contains("satisfaction") && !body["satisfaction"].is_null()) {
    const auto& s = body["satisfaction"];
    if (!s.is_number_integer() || s.get<std::int64_t>() < 1 || s.get<std::int64_t>() > 5)
      return invalid("satisfaction", "satisfaction is a whole number from 1 to 5");
    satisfaction = s.get<std::int64_t>();
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto v = TRY(load_visit(*tx, id));
  if (v.status == "requested")
    return conflict("the visit is only requested; book it with staff first", "status");
  if (v.status != "booked") return conflict("the visit is " + v.status + " already", "status");
  TRY_STATUS(patrons::refuse_if_erased(*tx, v.patron_id));
  TimePoint now = clock_.now();
  if (now < parse_time(v.starts_at).value_or(now))
    return conflict("the visit has not begun yet (it starts " + v.starts_at + ")", "status");
  std::string now_s = format_time(now);
  TRY(tx->exec(
      "UPDATE onsite_visits SET status = 'done', outcome = ?, duration_minutes = ?, items = ?, "
      "satisfaction = ?, updated_at = ?, closed_by = ?, closed_at = ? WHERE id = ? AND status = "
      "'booked'",
      {outcome, minutes, items.dump(), store::opt(satisfaction), now_s, store::opt(author_of(by)),
       now_s, id}));
  auto after = TRY(load_visit(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {"onsite.done",
                            "onsite_visit",
                            std::to_string(id),
                            v.patron_id,
                            "",
                            {{"duration_minutes", minutes},
                             {"items", items.size()},
                             {"satisfaction", opt(satisfaction)}}},
                           clock_));
  std::string summary = "On-site visit done: " + purpose_zh(v.purpose) + " (" + v.purpose + "), " +
                        std::to_string(minutes) + " min";
  if (!items.empty()) summary += ", " + std::to_string(items.size()) + " item(s)";
  if (satisfaction) summary += ", satisfaction " + std::to_string(*satisfaction) + "/5";
  TRY(timeline::append(*tx, by,
                       {v.patron_id,
                        "onsite.done",
                        summary,
                        {{"duration_minutes", minutes},
                         {"items", items},
                         {"satisfaction", opt(satisfaction)}},
                        "onsite_visit",
                        std::to_string(id)},
                       clock_));
  TRY_STATUS(tx->commit());
  return view(by, after);
}

Result<json> OnSite::cancel(const Actor& by, std::int64_t id, const json& body) {
  bool patron = is_patron(by);
  if (!patron) TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"reason"}));
  auto reason = TRY(optional_text(body, "reason", 1000)).value_or("");
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto v = TRY(load_visit(*tx, id));
  TRY_STATUS(check_visible(by, v));
  if (v.status != "requested" && v.status != "booked")
    return conflict("the visit is " + v.status + " already", "status");
  if (!reason.empty()) TRY_STATUS(patrons::refuse_if_erased(*tx, v.patron_id));
  TimePoint now = clock_.now();
  if (patron && now >= parse_time(v.starts_at).value_or(now))
    return conflict("the visit has begun; please call the desk", "status");
  std::string now_s = format_time(now);
  TRY(tx->exec(
      "UPDATE onsite_visits SET status = 'cancelled', cancel_reason = ?, updated_at = ?, "
      "closed_by = ?, closed_at = ? WHERE id = ?",
      {reason, now_s, store::opt(author_of(by)), now_s, id}));
  auto after = TRY(load_visit(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {"onsite.cancel",
                            "onsite_visit",
                            std::to_string(id),
                            v.patron_id,
                            reason,
                            {{"by_patron", patron}, {"was", v.status}}},
                           clock_));
  auto cal = TRY(desk_.calendar(*tx));
  TRY(timeline::append(
      *tx, by,
      {v.patron_id,
       "onsite.cancelled",
       "On-site visit cancelled" + std::string(patron ? " by the patron" : "") + ": " +
           label(cal, v) +
           (reason.empty() ? "" : " — " + reason),
       {{"by_patron", patron}},
       "onsite_visit",
       std::to_string(id)},
      clock_));
  TRY_STATUS(tx->commit());
  return view(by, after);
}

}  // namespace dangan::service
