// Trace points: queue in memory, write in batches, report feature use.
#include "service/traces.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "patrons/validation.h"
#include "service/internal.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

const std::initializer_list<std::string_view> kPoints = {"record_view", "download", "portal_page",
                                                         "ivr"};

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status may_report(const Actor& by) {
  if (by.role == Role::patron) return forbidden("staff only");
  if (auth::allowed(by.role, auth::Permission::trace_report) ||
      auth::allowed(by.role, auth::Permission::service_config) || by.role == Role::system)
    return {};
  return forbidden("your role (" + std::string(to_string(by.role)) + ") may not do this");
}

std::string day_of(TimePoint t) { return format_time(t).substr(0, 10); }

}  // namespace

Traces::Traces(store::Database& db, const Clock& clock, std::chrono::milliseconds interval)
    : db_(db), clock_(clock), interval_(interval) {
  if (auto s = refresh_points(); !s)
    spdlog::warn("event=trace_points_read_failed message=\"{}\"", s.error().message);
  last_purge_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { loop(); });
}

Traces::~Traces() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::optional<std::string> Traces::normalize_path(std::string_view path) {
  auto cut = path.find_first_of("?#");
  if (cut != std::string_view::npos) path = path.substr(0, cut);
  if (path != "/portal" && !path.starts_with("/portal/")) return std::nullopt;
  if (path.size() > 200) return std::nullopt;
  std::string out;
  std::size_t pos = 1, segments = 0;
  while (pos <= path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    auto seg = path.substr(pos, next - pos);
    pos = next + 1;
    if (seg.empty()) continue;
    if (++segments > 8) return std::nullopt;
    for (char c : seg)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.'))
        return std::nullopt;
    out += '/';
    out += is_digits(seg) ? "{id}" : std::string(seg);
  }
  return out;
}

Status Traces::refresh_points() {
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query("SELECT kind FROM trace_points WHERE enabled = 1"));
  std::vector<std::string> on;
  for (auto& r : rows) on.push_back(r.str(0));
  std::lock_guard lock(points_mu_);
  enabled_ = std::move(on);
  points_read_ = std::chrono::steady_clock::now();
  return {};
}

bool Traces::enabled(const std::string& kind) {
  std::lock_guard lock(points_mu_);
  return std::find(enabled_.begin(), enabled_.end(), kind) != enabled_.end();
}

void Traces::enqueue(Pending p) {
  std::size_t n;
  {
    std::lock_guard lock(mu_);
    pending_.push_back(std::move(p));
    n = pending_.size();
  }
  if (n >= 512) cv_.notify_all();
}

void Traces::record_view(const Actor& by, std::int64_t record_id) {
  if (by.role != Role::patron || !by.patron_id || !enabled("record_view")) return;
  enqueue({"record_view", by.patron_id, "", "record:" + std::to_string(record_id), record_id,
           format_time(clock_.now())});
}

void Traces::download(const Actor& by, std::int64_t record_id, std::int64_t attachment_id) {
  if (by.role != Role::patron || !by.patron_id || !enabled("download")) return;
  enqueue({"download", by.patron_id, "", "attachment:" + std::to_string(attachment_id), record_id,
           format_time(clock_.now())});
}

Result<json> Traces::page(const Actor& by, const json& body) {
  if (by.role != Role::patron || !by.patron_id)
    return forbidden("only portal pages of patrons are traced");
  TRY_STATUS(only_fields(body, {"path"}));
  auto raw = TRY(required_text(body, "path", 400));
  auto path = normalize_path(raw);
  if (!path) return invalid("path", "path is a portal path such as /portal/questions");
  if (!enabled("portal_page")) return json{{"queued", false}};
  enqueue({"portal_page", by.patron_id, "", *path, std::nullopt, format_time(clock_.now())});
  return json{{"queued", true}, {"path", *path}};
}

Result<json> Traces::ivr(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"caller", "patron_id", "keys", "call_id"}));
  auto patron_id = TRY(optional_id(body, "patron_id"));
  auto caller = TRY(optional_text(body, "caller", 40));
  TRY(optional_text(body, "call_id", 100));  // the call system's own reference; checked only
  if (!patron_id && !caller) return invalid("caller", "caller (a phone number) or patron_id");
  std::string phone;
  if (!patron_id) {
    auto n = patrons::normalize_phone(*caller);
    if (!n) return invalid("caller", "caller is not a phone number");
    phone = *n;
  }
  std::vector<std::string> keys;
  if (body.contains("keys") && body["keys"].is_array()) {
    for (const auto& k : body["keys"]) {
      if (!k.is_string()) return invalid("keys", "keys are strings of 0–9, * and #");
      keys.push_back(k.get<std::string>());
    }
  } else if (body.contains("keys") && body["keys"].is_string()) {
    std::string s = body["keys"].get<std::string>();
    std::size_t pos = 0;
    while (pos <= s.size()) {
      auto next = s.find('>', pos);
      if (next == std::string::npos) next = s.size();
      keys.push_back(s.substr(pos, next - pos));
      pos = next + 1;
    }
  } else {
    return invalid("keys", "keys is the path of keys pressed, e.g. \"1>3>2\" or [\"1\",\"3\"]");
  }
  if (keys.empty() || keys.size() > 20) return invalid("keys", "keys holds 1 to 20 menu choices");
  std::string target;
  for (const auto& k : keys) {
    if (k.empty() || k.size() > 4 ||
        !std::all_of(k.begin(), k.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '*' || c == '#'; }))
      return invalid("keys", "keys are strings of 0–9, * and #");
    target += (target.empty() ? "" : ">") + k;
  }
  if (!enabled("ivr")) return json{{"queued", false}};
  enqueue({"ivr", patron_id, phone, target, std::nullopt, format_time(clock_.now())});
  return json{{"queued", true}, {"keys", target}};
}

void Traces::flush() {
  // One flush at a time, as the audit's ReadRecorder::flush: a flush that finds nothing
  // pending waits for the one in progress (the background loop's), so when flush() returns
  // every event queued before it is written — the feature-use report counts on that.
  std::lock_guard serial(flushing_);
  std::vector<Pending> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return;
  if (auto s = write(batch); !s)
    spdlog::error("event=trace_flush_failed events={} code={} message=\"{}\"", batch.size(),
                  to_string(s.error().code), s.error().message);
}

void Traces::loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait_for(lock, interval_, [&] { return stopping_ || pending_.size() >= 512; });
    bool stop = stopping_;
    lock.unlock();
    flush();
    auto now = std::chrono::steady_clock::now();
    bool stale;
    {
      std::lock_guard plock(points_mu_);
      stale = now - points_read_ > std::chrono::seconds(5);
    }
    if (stale && !stop)
      if (auto s = refresh_points(); !s)
        spdlog::warn("event=trace_points_read_failed message=\"{}\"", s.error().message);
    if (now - last_purge_ > std::chrono::hours(1) && !stop) {
      last_purge_ = now;
      if (auto n = purge(); !n)
        spdlog::warn("event=trace_purge_failed message=\"{}\"", n.error().message);
    }
    lock.lock();
    if (stop && pending_.empty()) return;
  }
}

Status Traces::write(std::vector<Pending>& batch) {
  auto tx = TRY(db_.begin(store::TxMode::write));
  // Both conditions again at write time: the point may have been turned off, the consent
  // withdrawn, since the event was queued.
  std::set<std::string> on;
  for (auto& r : TRY(tx->query("SELECT kind FROM trace_points WHERE enabled = 1")))
    on.insert(r.str(0));
  // IVR callers by phone: a number that names exactly one patron identifies them.
  store::Params phones;
  for (auto& e : batch)
    if (!e.patron_id && !e.phone.empty()) phones.emplace_back(e.phone);
  std::map<std::string, std::set<std::int64_t>> by_phone;
  if (!phones.empty())
    for (auto& r : TRY(store::query_in(
             *tx,
             "SELECT c.normalized, c.patron_id FROM patron_contacts c WHERE c.kind = 'phone' AND "
             "c.normalized IN",
             phones)))
      by_phone[r.str(0)].insert(r.i64(1));
  for (auto& e : batch)
    if (!e.patron_id && !e.phone.empty()) {
      auto it = by_phone.find(e.phone);
      if (it != by_phone.end() && it->second.size() == 1) e.patron_id = *it->second.begin();
    }
  store::Params ids;
  std::set<std::int64_t> seen;
  for (auto& e : batch)
    if (e.patron_id && seen.insert(*e.patron_id).second) ids.emplace_back(*e.patron_id);
  std::set<std::int64_t> consenting;
  if (!ids.empty())
    for (auto& r : TRY(store::query_in(
             *tx,
             "SELECT id FROM patrons WHERE consent_processing = 1 AND status = 'active' AND id IN",
             ids)))
      consenting.insert(r.i64(0));
  store::Params values;
  for (auto& e : batch) {
    if (!on.contains(e.kind) || !e.patron_id || !consenting.contains(*e.patron_id)) continue;
    values.emplace_back(e.kind);
    values.emplace_back(*e.patron_id);
    values.emplace_back(e.target);
    values.emplace_back(store::opt(e.record_id));
    values.emplace_back(e.at);
  }
  if (values.empty()) return {};
  TRY(store::insert_rows(*tx, "INSERT INTO trace_events (kind, patron_id, target, record_id, at)",
                         5, values));
  return tx->commit();
}

Result<std::int64_t> Traces::purge() {
  auto tx = TRY(db_.begin(store::TxMode::write));
  std::int64_t n = 0;
  TimePoint now = clock_.now();
  for (auto& r : TRY(tx->query("SELECT kind, retention_days FROM trace_points")))
    n += TRY(tx->exec("DELETE FROM trace_events WHERE kind = ? AND at < ?",
                      {r.str(0), format_time(now - std::chrono::days(r.i64(1)))}));
  TRY_STATUS(tx->commit());
  return n;
}

Result<json> Traces::points(const Actor& by) {
  TRY_STATUS(may_report(by));
  auto tx = TRY(db_.begin(store::TxMode::read));
  json items = json::array();
  for (auto& r : TRY(tx->query(
           "SELECT kind, enabled, retention_days, updated_at FROM trace_points ORDER BY kind")))
    items.push_back({{"kind", r.str(0)},
                     {"enabled", r.i64(1) != 0},
                     {"retention_days", r.i64(2)},
                     {"updated_at", r.str(3)}});
  return json{{"items", items}};
}

Result<json> Traces::put_point(const Actor& by, const std::string& kind, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  if (!is_one_of(kind, kPoints))
    return not_found("no trace point " + kind + "; use record_view, download, portal_page, ivr");
  TRY_STATUS(only_fields(body, {"enabled", "retention_days"}));
  if (body.contains("enabled") && !body["enabled"].is_boolean())
    return invalid("enabled", "enabled must be true or false");
  if (body.contains("retention_days") &&
      (!body["retention_days"].is_number_integer() || body["retention_days"].get<int>() < 1 ||
       body["retention_days"].get<int>() > 3650))
    return invalid("retention_days", "retention_days is a whole number from 1 to 3650");
  auto tx = TRY(db_.begin(store::TxMode::write));
  std::string now = format_time(clock_.now());
  if (body.contains("enabled"))
    TRY(tx->exec("UPDATE trace_points SET enabled = ?, updated_at = ? WHERE kind = ?",
                 {static_cast<std::int64_t>(body["enabled"].get<bool>() ? 1 : 0), now, kind}));
  if (body.contains("retention_days"))
    TRY(tx->exec("UPDATE trace_points SET retention_days = ?, updated_at = ? WHERE kind = ?",
                 {body["retention_days"].get<std::int64_t>(), now, kind}));
  TRY_STATUS(audit::append(
      *tx, by, {"trace_point.update", "trace_point", kind, std::nullopt, "", body}, clock_));
  TRY_STATUS(tx->commit());
  TRY_STATUS(refresh_points());
  return points(by);
}

Result<json> Traces::feature_use(const Actor& by, const FeatureUseQuery& q) {
  TRY_STATUS(may_report(by));
  if (!is_one_of(q.kind, kPoints))
    return invalid("kind", "kind is record_view, download, portal_page or ivr");
  std::string to = q.to.value_or(day_of(clock_.now()));
  if (!valid_date(to)) return invalid("to", "to is a date YYYY-MM-DD");
  std::string from = q.from.value_or(day_of(*parse_time(to) - std::chrono::days(29)));
  if (!valid_date(from)) return invalid("from", "from is a date YYYY-MM-DD");
  if (from > to) return invalid("from", "from is after to");
  TimePoint first = *parse_time(from), last = *parse_time(to);
  if (last - first > std::chrono::days(366)) return invalid("from", "at most 366 days at once");
  std::string lo = format_time(first), hi = format_time(last + std::chrono::days(1));
  int limit = std::clamp(q.limit, 1, 200);
  flush();  // what this process queued counts
  auto tx = TRY(db_.begin(store::TxMode::read));
  json targets = json::array();
  for (auto& r : TRY(tx->query(
           "SELECT target, COUNT(*), COUNT(DISTINCT patron_id) FROM trace_events WHERE kind = ? "
           "AND at >= ? AND at < ? GROUP BY target ORDER BY COUNT(*) DESC, target LIMIT ?",
           {q.kind, lo, hi, static_cast<std::int64_t>(limit)})))
    targets.push_back({{"target", r.str(0)}, {"count", r.i64(1)}, {"patrons", r.i64(2)}});
  auto total = TRY(tx->one(
      "SELECT COUNT(*), COUNT(DISTINCT patron_id) FROM trace_events WHERE kind = ? AND at >= ? "
      "AND at < ?",
      {q.kind, lo, hi}, "totals"));
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> per_day;
  for (auto& r : TRY(tx->query(
           "SELECT SUBSTR(at, 1, 10), COUNT(*), COUNT(DISTINCT patron_id) FROM trace_events WHERE "
           "kind = ? AND at >= ? AND at < ? GROUP BY SUBSTR(at, 1, 10)",
           {q.kind, lo, hi})))
    per_day[r.str(0)] = {r.i64(1), r.i64(2)};
  json trend = json::array();
  for (TimePoint d = first; d <= last; d += std::chrono::days(1)) {
    auto it = per_day.find(day_of(d));
    trend.push_back({{"day", day_of(d)},
                     {"count", it == per_day.end() ? 0 : it->second.first},
                     {"patrons", it == per_day.end() ? 0 : it->second.second}});
  }
  auto point = TRY(tx->one("SELECT enabled, retention_days FROM trace_points WHERE kind = ?",
                           {q.kind}, "trace point"));
  return json{{"kind", q.kind},
              {"from", from},
              {"to", to},
              {"enabled", point.i64(0) != 0},
              {"retention_days", point.i64(1)},
              {"total", total.i64(0)},
              {"unique_patrons", total.i64(1)},
              {"targets", targets},
              {"trend", trend}};
}

}  // namespace dangan::service
