// log.cpp — the search log and the unmet-demand report.
#include <algorithm>
#include <chrono>
#include <map>

#include "search/search.h"

namespace dangan::search {

using json = nlohmann::json;

namespace {

const char* audience_name(Audience a) {
  switch (a) {
    case Audience::staff_all:
      return "staff_all";
    case Audience::staff_open_controlled:
      return "staff_open_controlled";
    case Audience::patron:
      return "patron";
  }
  return "patron";
}

// The Monday (UTC) of the week of an ISO 8601 date or time, as YYYY-MM-DD.
std::string week_of(const std::string& at) {
  auto t = parse_time(at.substr(0, 10));
  if (!t) return at.substr(0, 10);
  auto days = std::chrono::floor<std::chrono::days>(*t);
  std::chrono::weekday wd{days};
  auto monday = days - (wd - std::chrono::Monday);
  std::chrono::year_month_day ymd{monday};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace

Result<std::int64_t> log_search(store::Tx& tx, const LogEntry& e, const Clock& clock) {
  auto row = TRY(tx.one(
      "INSERT INTO search_log (searched_at, user_id, patron_id, audience, query, normalized, "
      "total) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {format_time(clock.now()), e.user_id ? store::Value(e.user_id) : store::null_value(),
       store::opt(e.patron_id), std::string(audience_name(e.audience)), e.query, e.normalized,
       e.total},
      "search"));
  return row.i64(0);
}

Status mark_opened(store::Tx& tx, std::int64_t search_id, std::int64_t user_id,
                   std::int64_t record_id, const Clock& clock) {
  auto row =
      TRY(tx.maybe_one("SELECT user_id, opened_at FROM search_log WHERE id = ?", {search_id}));
  if (!row || row->is_null(0) || row->i64(0) != user_id) return not_found("search not found");
  if (!row->is_null(1)) return {};
  TRY(tx.exec("UPDATE search_log SET opened_record_id = ?, opened_at = ? WHERE id = ?",
              {record_id, format_time(clock.now()), search_id}));
  return {};
}

Result<json> unmet_demand(store::Tx& tx, const DemandQuery& q) {
  if (q.limit < 1 || q.limit > 500) return invalid("limit", "must be between 1 and 500");
  std::string from = q.from.empty() ? std::string("0000") : q.from;
  std::string to = q.to.empty() ? std::string("9999") : q.to;
  // A date as the upper bound includes that whole day.
  if (to.size() == 10) to += "T99";
  // Per term and day; weeks and totals are summed here (a handful of rows per term).
  auto rows = TRY(
      tx.query("SELECT normalized, substr(searched_at, 1, 10) AS day, count(*), "
               "sum(CASE WHEN total = 0 THEN 1 ELSE 0 END), max(searched_at) FROM search_log "
               "WHERE searched_at >= ? AND searched_at <= ? AND (total = 0 OR opened_at IS NULL) "
               "GROUP BY normalized, substr(searched_at, 1, 10)",
               {from, to}));
  struct Term {
    std::int64_t searches = 0, found_nothing = 0;
    std::string last;
    std::map<std::string, std::int64_t> weeks;
  };
  std::map<std::string, Term> terms;
  for (const auto& r : rows) {
    Term& t = terms[r.str(0)];
    t.searches += r.i64(2);
    t.found_nothing += r.i64(3);
    t.last = std::max(t.last, r.str(4));
    t.weeks[week_of(r.str(1))] += r.i64(2);
  }
  std::vector<std::pair<std::string, Term>> sorted(terms.begin(), terms.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    if (a.second.searches != b.second.searches) return a.second.searches > b.second.searches;
    return a.second.last > b.second.last;
  });
  json items = json::array();
  for (std::size_t i = 0; i < sorted.size() && i < static_cast<std::size_t>(q.limit); ++i) {
    const auto& [term, t] = sorted[i];
    json weekly = json::array();
    for (const auto& [week, n] : t.weeks) weekly.push_back({{"week", week}, {"count", n}});
    items.push_back({{"term", term},
                     {"searches", t.searches},
                     {"found_nothing", t.found_nothing},
                     {"not_opened", t.searches - t.found_nothing},
                     {"last_searched_at", t.last},
                     {"weekly", weekly}});
  }
  return json{{"items", items}};
}

Status forget_searcher(store::Tx& tx, std::optional<std::int64_t> user_id,
                       std::optional<std::int64_t> patron_id) {
  if (user_id) TRY(tx.exec("UPDATE search_log SET user_id = NULL WHERE user_id = ?", {*user_id}));
  if (patron_id)
    TRY(tx.exec("UPDATE search_log SET patron_id = NULL, user_id = NULL WHERE patron_id = ?",
                {*patron_id}));
  return {};
}

}  // namespace dangan::search
