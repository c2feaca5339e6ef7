// The loans desk: lend, renew, return, and the views of loans (loans.h).
#include "loans/loans.h"

#include <algorithm>
#include <chrono>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/body.h"
#include "core/cursor.h"
#include "patrons/patrons.h"
#include "patrons/timeline.h"
#include "patrons/writes.h"
#include "store/keyset.h"

namespace dangan::loans {

using json = nlohmann::json;

namespace {

constexpr const char* kCols =
    "l.id, l.record_id, l.patron_id, l.lent_by, l.lent_at, l.due_at, l.renewals, l.returned_at, "
    "l.returned_to, l.note, l.return_note, r.reference_code, r.title, r.access_level";

struct Loan {
  std::int64_t id = 0, record_id = 0, patron_id = 0, renewals = 0;
  std::optional<std::int64_t> lent_by, returned_to;
  std::string lent_at, due_at, note, return_note, reference_code, title, access_level;
  std::optional<std::string> returned_at;
};

Loan from_row(const store::Row& r) {
  Loan l;
  l.id = r.i64(0);
  l.record_id = r.i64(1);
  l.patron_id = r.i64(2);
  l.lent_by = r.opt_i64(3);
  l.lent_at = r.str(4);
  l.due_at = r.str(5);
  l.renewals = r.i64(6);
  l.returned_at = r.opt_str(7);
  l.returned_to = r.opt_i64(8);
  l.note = r.str(9);
  l.return_note = r.str(10);
  l.reference_code = r.str(11);
  l.title = r.str(12);
  l.access_level = r.str(13);
  return l;
}

bool is_patron(const Actor& by) { return by.role == Role::patron; }

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(); }
json opt(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(); }

// Days past the due time, a day begun counting as one (0 when not yet due or returned).
std::int64_t days_overdue(const Loan& l, TimePoint now) {
  if (l.returned_at) return 0;
  auto due = parse_time(l.due_at);
  if (!due || now <= *due) return 0;
  return std::chrono::duration_cast<std::chrono::days>(now - *due - std::chrono::microseconds(1))
             .count() +
         1;
}

json view(const Actor& by, const Loan& l, TimePoint now) {
  // A secret record's entry is shown only to those who may see secret records.
  bool hide = l.access_level == "secret" &&
              (is_patron(by) || (by.role != Role::system &&
                                 !auth::allowed(by.role, auth::Permission::record_secret)));
  std::int64_t late = days_overdue(l, now);
  json v = {{"id", l.id},
            {"record_id", hide ? json() : json(l.record_id)},
            {"reference_code", hide ? json() : json(l.reference_code)},
            {"title", hide ? json() : json(l.title)},
            {"access_level", l.access_level},
            {"patron_id", l.patron_id},
            {"lent_at", l.lent_at},
            {"due_at", l.due_at},
            {"renewals", l.renewals},
            {"returned_at", opt(l.returned_at)},
            {"status", l.returned_at ? "returned" : (late > 0 ? "overdue" : "open")},
            {"overdue", late > 0},
            {"days_overdue", late}};
  if (!is_patron(by)) {
    v["lent_by"] = opt(l.lent_by);
    v["returned_to"] = opt(l.returned_to);
    v["note"] = l.note;
    v["return_note"] = l.return_note;
  }
  return v;
}

// One loan as staff lists show it: the view and the borrower's name as the loans list
// gives it (patrons::add_patron_names, the read recorded; null for the borrower's own
// portal view, which has no names).
Result<json> named_view(store::Tx& tx, const Actor& by, audit::ReadRecorder& reads, const Loan& l,
                        TimePoint now) {
  json one = json::array({view(by, l, now)});
  if (!is_patron(by)) TRY_STATUS(patrons::add_patron_names(tx, by, &reads, one, "loans"));
  return std::move(one[0]);
}

Result<Loan> load(store::Tx& tx, std::int64_t id) {
  auto row = TRY(tx.maybe_one(std::string("SELECT ") + kCols +
                                  " FROM loans l JOIN records r ON r.id = l.record_id WHERE l.id = ?",
                              {id}));
  if (!row) return not_found("no loan with id " + std::to_string(id));
  return from_row(*row);
}

// Staff with `p`; portal accounts are refused.
Status staff_may(const Actor& by, auth::Permission p) {
  if (is_patron(by)) return forbidden("patrons cannot change loans");
  return auth::require(by, p);
}

// The patron as a unit-scoped member of staff may see it, active (not merged or erased).
Status check_patron(store::Tx& tx, const Actor& by, std::int64_t patron_id) {
  if (by.unit_scoped) {
    auto p = TRY(tx.maybe_one("SELECT unit_id FROM patrons WHERE id = ?", {patron_id}));
    if (p && p->opt_i64(0) != by.unit_id)
      return fail(ErrorCode::not_found, "no patron with id " + std::to_string(patron_id),
                  "patron_id");
  }
  return patrons::may_write_about(tx, patron_id, patrons::IfMissing::not_found);
}

// Staff may act on a loan only when they may see its patron; otherwise it does not exist.
Status check_visible(store::Tx& tx, const Actor& by, const Loan& l) {
  if (is_patron(by)) {
    if (by.patron_id != l.patron_id) return not_found("no loan with id " + std::to_string(l.id));
    return {};
  }
  if (by.unit_scoped) {
    auto p = TRY(tx.one("SELECT unit_id FROM patrons WHERE id = ?", {l.patron_id}, "patron"));
    if (p.opt_i64(0) != by.unit_id) return not_found("no loan with id " + std::to_string(l.id));
  }
  return {};
}

// A due time given by staff: ISO 8601, after now and no later than max_days from now.
Result<TimePoint> due_from(const json& body, TimePoint now, TimePoint fallback, int max_days) {
  auto text = TRY(body::optional_text(body, "due_at", 40));
  if (!text) return fallback;
  auto t = parse_time(*text);
  if (!t) return invalid("due_at", "due_at must be a time like 2026-12-31T17:00:00+08:00");
  if (*t <= now) return invalid("due_at", "due_at must be in the future");
  if (*t > now + std::chrono::days(max_days))
    return invalid("due_at", "due_at may be at most " + std::to_string(max_days) +
                                 " days from now");
  return *t;
}

std::string record_label(const Loan& l) {
  return l.access_level == "secret" ? l.reference_code : l.reference_code + " " + l.title;
}

}  // namespace

Desk::Desk(store::Database& db, audit::ReadRecorder& reads, Settings settings, const Clock& clock)
    : db_(db), reads_(reads), settings_(settings), clock_(clock) {}

Result<json> Desk::lend(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::loan_write));
  TRY_STATUS(body::only_fields(body, {"record_id", "reference_code", "patron_id", "due_at", "note"}));
  auto record_id = TRY(body::optional_id(body, "record_id"));
  auto code = TRY(body::optional_text(body, "reference_code", 200));
  auto patron_id = TRY(body::optional_id(body, "patron_id"));
  auto note = TRY(body::optional_text(body, "note", 1000)).value_or("");
  if (!patron_id) return invalid("patron_id", "say to which patron the record is lent");
  if (record_id.has_value() == code.has_value())
    return invalid("record_id", "give either record_id or reference_code (a scanned label)");
  TimePoint now = clock_.now();
  auto due = TRY(due_from(body, now, now + std::chrono::days(settings_.loan_days),
                          settings_.max_loan_days));

  auto tx = TRY(db_.begin(store::TxMode::write));
  auto rec = TRY(tx->maybe_one(
      record_id ? "SELECT id, reference_code, title, access_level, status FROM records WHERE id = ?"
                : "SELECT id, reference_code, title, access_level, status FROM records WHERE "
                  "reference_code = ?",
      {record_id ? store::Value(*record_id) : store::Value(*code)}));
  bool sees_secret = auth::allowed(by.role, auth::Permission::record_secret) ||
                     by.role == Role::system;
  const char* field = record_id ? "record_id" : "reference_code";
  if (!rec || (rec->str(3) == "secret" && !sees_secret))
    return fail(ErrorCode::not_found, "no such record", field);
  if (rec->str(4) != "active")
    return fail(ErrorCode::conflict, "a " + rec->str(4) + " record cannot be lent", field);
  std::string level = rec->str(3);
  if (level != "open") {
    if (by.role != Role::system && !auth::allowed(by.role, auth::Permission::loan_restricted))
      return fail(ErrorCode::forbidden,
                   "a " + level + " record is lent only with a manager's approval", field);
    if (note.empty())
      return invalid("note", "lending a " + level + " record: say on what basis (approval)");
  }
  TRY_STATUS(check_patron(*tx, by, *patron_id));
  std::int64_t rid = rec->i64(0);
  if (auto open = TRY(tx->maybe_one(
          "SELECT id, due_at FROM loans WHERE record_id = ? AND returned_at IS NULL", {rid})))
    return fail(ErrorCode::conflict,
                 "this record is on loan already (loan " + open->str(0) + ", due " + open->str(1) +
                     ")",
                 field);
  std::string now_s = format_time(now);
  auto row = TRY(tx->one(
      "INSERT INTO loans (record_id, patron_id, lent_by, lent_at, due_at, note, approved_level) "
      "VALUES (?,?,?,?,?,?,?) RETURNING id",
      {rid, *patron_id, by.user_id ? store::Value(by.user_id) : store::Value(), now_s,
       format_time(due), note, level == "open" ? store::Value() : store::Value(level)},
      "loan"));
  std::int64_t id = row.i64(0);
  auto l = TRY(load(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {"loan.lend", "loan", std::to_string(id), *patron_id, "",
                            {{"record_id", rid}, {"due_at", l.due_at}, {"access_level", level}}},
                           clock_));
  TRY(timeline::append(*tx, by,
                       {*patron_id, "loan.lent", "Borrowed " + record_label(l) + ", due " + l.due_at,
                        {{"record_id", rid}, {"due_at", l.due_at}}, "loan", std::to_string(id)},
                       clock_));
  json out = TRY(named_view(*tx, by, reads_, l, now));
  TRY_STATUS(tx->commit());
  if (on_lent_) on_lent_(rid);
  return out;
}

Result<json> Desk::renew(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::loan_write));
  TRY_STATUS(body::only_fields(body, {"due_at"}));
  TimePoint now = clock_.now();
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto l = TRY(load(*tx, id));
  TRY_STATUS(check_visible(*tx, by, l));
  if (l.returned_at) return conflict("this loan was returned on " + *l.returned_at, "status");
  // An erased patron's loan is only returned: renewing would go on lending to them.
  TRY_STATUS(patrons::refuse_if_erased(*tx, l.patron_id));
  if (l.renewals >= settings_.max_renewals)
    return conflict("renewed " + std::to_string(l.renewals) + " times already, the most allowed",
                    "renewals");
  TimePoint base = std::max(now, parse_time(l.due_at).value_or(now));
  auto due = TRY(due_from(body, now, base + std::chrono::days(settings_.loan_days),
                          settings_.max_loan_days));
  if (due <= parse_time(l.due_at).value_or(now))
    return invalid("due_at", "a renewal must move the due time later than " + l.due_at);
  std::string old_due = l.due_at;
  TRY(tx->exec("UPDATE loans SET due_at = ?, renewals = renewals + 1 WHERE id = ?",
               {format_time(due), id}));
  l = TRY(load(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {"loan.renew", "loan", std::to_string(id), l.patron_id, "",
                            {{"from", old_due}, {"to", l.due_at}}},
                           clock_));
  TRY(timeline::append(*tx, by,
                       {l.patron_id, "loan.renewed", "Renewed " + record_label(l) + ", now due " + l.due_at,
                        {{"record_id", l.record_id}, {"due_at", l.due_at}}, "loan",
                        std::to_string(id)},
                       clock_));
  json out = TRY(named_view(*tx, by, reads_, l, now));
  TRY_STATUS(tx->commit());
  return out;
}

Result<json> Desk::give_back(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::loan_write));
  TRY_STATUS(body::only_fields(body, {"note"}));
  auto note = TRY(body::optional_text(body, "note", 1000)).value_or("");
  TimePoint now = clock_.now();
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto l = TRY(load(*tx, id));
  TRY_STATUS(check_visible(*tx, by, l));
  if (l.returned_at) return conflict("this loan was returned on " + *l.returned_at, "status");
  // The record comes back from an erased patron too; a note about them may not.
  if (!note.empty()) TRY_STATUS(patrons::refuse_if_erased(*tx, l.patron_id));
  std::int64_t late = days_overdue(l, now);
  std::string now_s = format_time(now);
  TRY(tx->exec(
      "UPDATE loans SET returned_at = ?, returned_to = ?, return_note = ? WHERE id = ? AND "
      "returned_at IS NULL",
      {now_s, by.user_id ? store::Value(by.user_id) : store::Value(), note, id}));
  l = TRY(load(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {"loan.return", "loan", std::to_string(id), l.patron_id, "",
                            {{"record_id", l.record_id}, {"days_overdue", late}}},
                           clock_));
  TRY(timeline::append(
      *tx, by,
      {l.patron_id, "loan.returned",
       "Returned " + record_label(l) +
           (late > 0 ? ", " + std::to_string(late) + " days late" : std::string()),
       {{"record_id", l.record_id}, {"days_overdue", late}}, "loan", std::to_string(id)},
      clock_));
  json out = TRY(named_view(*tx, by, reads_, l, now));
  TRY_STATUS(tx->commit());
  return out;
}

Result<json> Desk::get(const Actor& by, std::int64_t id) {
  if (!is_patron(by)) TRY_STATUS(auth::require(by, auth::Permission::loan_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto l = TRY(load(*tx, id));
  TRY_STATUS(check_visible(*tx, by, l));
  return named_view(*tx, by, reads_, l, clock_.now());
}

Result<json> Desk::list(const Actor& by, const LoanQuery& q) {
  bool patron = is_patron(by);
  if (patron) {
    if (!by.patron_id) return forbidden("this account is not linked to a patron");
  } else {
    TRY_STATUS(auth::require(by, auth::Permission::loan_read));
  }
  TimePoint now = clock_.now();
  std::string now_s = format_time(now);
  std::string where = "1 = 1";
  store::Params p;
  if (patron) {
    where += " AND l.patron_id = ?";
    p.emplace_back(*by.patron_id);
  } else {
    if (q.patron_id) {
      where += " AND l.patron_id = ?";
      p.emplace_back(*q.patron_id);
    }
    if (q.record_id) {
      where += " AND l.record_id = ?";
      p.emplace_back(*q.record_id);
    }
    if (by.unit_scoped) {
      where += " AND l.patron_id IN (SELECT id FROM patrons WHERE unit_id = ?)";
      p.emplace_back(by.unit_id ? store::Value(*by.unit_id) : store::Value(std::int64_t{-1}));
    }
  }
  if (q.status) {
    if (*q.status == "open") {
      where += " AND l.returned_at IS NULL";
    } else if (*q.status == "overdue") {
      where += " AND l.returned_at IS NULL AND l.due_at < ?";
      p.emplace_back(now_s);
    } else if (*q.status == "returned") {
      where += " AND l.returned_at IS NOT NULL";
    } else {
      return invalid("status", "status is open, overdue or returned");
    }
  }
  bool desc = q.sort.starts_with('-');
  std::string key = desc ? q.sort.substr(1) : q.sort;
  if (!body::is_one_of(key, {"id", "due_at", "lent_at"}))
    return invalid("sort", "sort by id, due_at or lent_at (prefix - for descending)");
  std::string dir = desc ? " DESC" : "";
  // The cursor is the last id when sorting by id, else [time, id] of the last row.
  if (key == "id") {
    if (auto after = TRY(cursor::parse_id(q.cursor)))
      where += store::after_id("l.id", *after, desc, p);
  } else if (auto after = TRY(cursor::parse_time_key(q.cursor))) {
    where += store::after_key("l." + key, "l.id", *after, desc, p);
  }
  int limit = std::clamp(q.limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kCols +
                                " FROM loans l JOIN records r ON r.id = l.record_id WHERE " + where +
                                " ORDER BY " + (key == "id" ? "" : "l." + key + dir + ", ") +
                                "l.id" + dir + " LIMIT ?",
                            p));
  json items = json::array();
  std::optional<Loan> last;
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
    last = from_row(rows[i]);
    items.push_back(view(by, *last, now));
  }
  if (!patron) TRY_STATUS(patrons::add_patron_names(*tx, by, &reads_, items, "loans"));
  json out = {{"items", items}, {"next_cursor", nullptr}};
  if (rows.size() > static_cast<std::size_t>(limit) && last)
    out["next_cursor"] =
        key == "id" ? cursor::encode_id(last->id)
                    : cursor::encode_key(key == "due_at" ? last->due_at : last->lent_at, last->id);
  return out;
}

Result<std::vector<std::int64_t>> Desk::lent_to(store::Tx& tx, std::int64_t patron_id) {
  auto rows = TRY(tx.query(
      "SELECT record_id FROM loans WHERE patron_id = ? AND returned_at IS NULL AND "
      "approved_level IS NOT NULL ORDER BY record_id",
      {patron_id}));
  std::vector<std::int64_t> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r.i64(0));
  return out;
}

Result<std::vector<Overdue>> Desk::overdue(store::Tx& tx, TimePoint as_of, int grace_days,
                                           int limit) {
  auto rows = TRY(tx.query(
      "SELECT l.id, l.patron_id, l.record_id, r.reference_code, l.due_at FROM loans l JOIN "
      "records r ON r.id = l.record_id WHERE l.returned_at IS NULL AND l.due_at < ? ORDER BY "
      "l.due_at, l.id LIMIT ?",
      {format_time(as_of - std::chrono::days(grace_days)), static_cast<std::int64_t>(limit)}));
  std::vector<Overdue> out;
  for (const auto& r : rows) out.push_back({r.i64(0), r.i64(1), r.i64(2), r.str(3), r.str(4)});
  return out;
}

}  // namespace dangan::loans
