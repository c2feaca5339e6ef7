#include "search/search_api.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "auth/auth.h"
#include "patrons/timeline.h"

namespace dangan::search {

using json = nlohmann::json;
using http::Request;

namespace {

// A search's log entry and, for a portal patron, their timeline event: written in one
// transaction right after the search. The search itself only reads, so it must not wait
// for, or fail because of, someone else's long write (on SQLite, an all-or-nothing import
// holds the one writer for a minute): when the write cannot begin within kLogWait, the
// entry is queued and a background thread writes it once the database is free. That
// search then answers without a search_id (it cannot be marked as opened). Entries
// wait in memory only: at most kMaxQueued, and a process killed meanwhile loses them.
class SearchLog {
 public:
  static constexpr std::chrono::milliseconds kLogWait{250};
  static constexpr std::size_t kMaxQueued = 10000;

  explicit SearchLog(store::Database& db) : db_(db) {
    thread_ = std::jthread([this](std::stop_token stop) { drain(stop); });
  }
  ~SearchLog() {
    thread_.request_stop();
    cv_.notify_all();
    thread_.join();
    flush();  // a last try; what cannot be written is said in the log
    std::lock_guard lk(mu_);
    if (!queue_.empty())
      spdlog::warn("event=search_log_lost entries={} reason=\"database busy at exit\"",
                   queue_.size());
  }

  // Writes now, or queues when the database is busy (then nullopt).
  Result<std::optional<std::int64_t>> record(const Actor& by, const LogEntry& e) {
    auto tx = db_.begin_write_within(kLogWait);
    if (!tx) {
      if (tx.error().code != ErrorCode::unavailable) return std::unexpected(tx.error());
      enqueue({by, e});
      return std::optional<std::int64_t>();
    }
    std::int64_t id = TRY(write(**tx, by, e));
    TRY_STATUS((*tx)->commit());
    return std::optional<std::int64_t>(id);
  }

 private:
  struct Pending {
    Actor by;
    LogEntry entry;
  };

  static Result<std::int64_t> write(store::Tx& tx, const Actor& by, const LogEntry& e) {
    std::int64_t id = TRY(log_search(tx, e, system_clock()));
    if (by.role == Role::patron && by.patron_id) {
      std::string found = std::to_string(e.total) + (e.total_exact ? "" : "+");
      TRY(timeline::append(tx, by,
                           {*by.patron_id,
                            "search",
                            "Searched \"" + e.query + "\": " + found + " found",
                            {{"query", e.query}, {"total", e.total}, {"search_id", id}},
                            "search",
                            std::to_string(id)}));
    }
    return id;
  }

  void enqueue(Pending p) {
    {
      std::lock_guard lk(mu_);
      if (queue_.size() >= kMaxQueued) {
        queue_.pop_front();
        spdlog::warn("event=search_log_lost entries=1 reason=\"queue full\"");
      }
      queue_.push_back(std::move(p));
    }
    spdlog::info("event=search_log_deferred reason=\"database busy\"");
    cv_.notify_all();
  }

  // Writes what is queued in one transaction; false when the database is still busy.
  bool flush() {
    std::deque<Pending> batch;
    {
      std::lock_guard lk(mu_);
      batch.swap(queue_);
    }
    if (batch.empty()) return true;
    auto put_back = [&] {
      std::lock_guard lk(mu_);
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
    };
    auto tx = db_.begin(store::TxMode::write);
    if (!tx) {
      put_back();
      return false;
    }
    for (auto it = batch.begin(); it != batch.end(); ++it) {
      if (auto w = write(**tx, it->by, it->entry); !w) {
        // Busy again: all of it waits. Any other error would fail this entry every time:
        // it goes (said in the log), the others wait for the next try.
        if (w.error().code != ErrorCode::unavailable) {
          spdlog::warn("event=search_log_lost entries=1 reason=\"{}\"", w.error().message);
          batch.erase(it);
        }
        tx->reset();  // rolls back what this try wrote
        put_back();
        return false;
      }
    }
    if (auto c = (*tx)->commit(); !c) {
      put_back();
      return false;
    }
    spdlog::info("event=search_log_written entries={}", batch.size());
    return true;
  }

  void drain(std::stop_token stop) {
    while (!stop.stop_requested()) {
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, stop, [&] { return !queue_.empty(); });
        if (stop.stop_requested()) return;
      }
      if (!flush()) {
        std::unique_lock lk(mu_);
        cv_.wait_for(lk, stop, std::chrono::seconds(1), [] { return false; });
      }
    }
  }

  store::Database& db_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Pending> queue_;
  std::jthread thread_;
};

// "a,b,,c" → {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    std::string part =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<std::vector<std::int64_t>> id_list(const Request& r, const std::string& name) {
  std::vector<std::int64_t> out;
  auto v = http::text_param(r, name);
  if (!v) return out;
  for (const auto& part : split_list(*v)) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (ec != std::errc() || p != part.data() + part.size() || n <= 0)
      return invalid(name, "must be positive integers separated by commas");
    out.push_back(n);
  }
  return out;
}

Result<std::vector<std::string>> word_list(const Request& r, const std::string& name,
                                           std::initializer_list<std::string_view> allowed) {
  std::vector<std::string> out;
  auto v = http::text_param(r, name);
  if (!v) return out;
  for (const auto& part : split_list(*v)) {
    bool ok = false;
    for (auto a : allowed) ok = ok || part == a;
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return invalid(name, "must be one or more of " + list);
    }
    out.push_back(part);
  }
  return out;
}

Result<std::optional<int>> year_param(const Request& r, const std::string& name) {
  auto v = TRY(http::int_param(r, name));
  if (!v) return std::optional<int>();
  if (*v < 1 || *v > 9999) return invalid(name, "must be a year between 1 and 9999");
  return std::optional<int>(static_cast<int>(*v));
}

// Who searches as what; auditors do not search.
Result<Audience> audience_of(const Actor& a) {
  if (a.role == Role::patron) {
    if (!a.patron_id) return forbidden("this portal account is not linked to a patron");
    return Audience::patron;
  }
  if (a.role == Role::auditor) return forbidden("auditors do not search the catalogue");
  TRY_STATUS(auth::require(a, auth::Permission::record_read));
  return auth::allowed(a.role, auth::Permission::record_secret) ? Audience::staff_all
                                                                : Audience::staff_open_controlled;
}

void label_facets(json& facets, const FacetLabels& labels) {
  if (!labels) return;
  for (const char* facet : {"category", "fonds"}) {
    if (!facets.contains(facet)) continue;
    std::vector<std::int64_t> ids;
    for (const auto& v : facets[facet]) ids.push_back(v["value"].get<std::int64_t>());
    if (ids.empty()) continue;
    json names = labels(facet, ids);
    if (!names.is_object()) continue;
    for (auto& v : facets[facet]) {
      auto key = std::to_string(v["value"].get<std::int64_t>());
      if (names.contains(key)) v["label"] = names[key];
    }
  }
}

json hit_json(const Hit& h) {
  return {{"id", h.id},
          {"reference_code", h.reference_code},
          {"title", h.title},
          {"snippet", h.snippet},
          {"score", h.score},
          {"year", h.year ? json(*h.year) : json()},
          {"access_level", h.access_level},
          {"carrier", h.carrier},
          {"fonds_id", h.fonds_id},
          {"category_id", h.category_id},
          {"content_hidden", h.content_hidden},
          {"match", h.match}};
}

}  // namespace

Weights weights_from(const Config& c) {
  Weights w;
  w.title = c.search_weight_title;
  w.reference_code = c.search_weight_reference_code;
  w.keywords = c.search_weight_keywords;
  w.creator = c.search_weight_creator;
  w.description = c.search_weight_description;
  w.content = c.search_weight_content;
  w.pinyin = c.search_weight_pinyin;
  w.important = c.search_boost_important;
  w.use = c.search_boost_use;
  w.cited = c.search_boost_cited;
  w.authority = c.search_boost_authority;
  w.recency = c.search_boost_recency;
  w.recency_days = c.search_recency_days;
  return w;
}

void register_search_routes(http::Api& api, store::Database& db, const Config& config,
                            FacetLabels facet_labels, ContentAllowed content_allowed) {
  const Weights weights = weights_from(config);

  // Lives as long as the route that uses it (the router keeps the handler).
  auto log = std::make_shared<SearchLog>(db);
  api.secured_json(
      "GET", "/api/v1/search",
      [&db, weights, facet_labels, content_allowed, log](Request& r,
                                                         const Actor& a) -> Result<json> {
        TRY_STATUS(http::only_params(r, {"q", "limit", "offset", "fonds_id", "category_id",
                                         "year_from", "year_to", "access_level", "carrier"}));
        Query q;
        q.audience = TRY(audience_of(a));
        auto text = r.param("q");
        if (!text) return invalid("q", "required: what to search for");
        q.q = *text;
        q.limit = TRY(http::limit_param(r, 20, 100));
        auto offset = TRY(http::int_param(r, "offset"));
        if (offset && (*offset < 0 || *offset > 10000))
          return invalid("offset", "must be between 0 and 10000");
        q.offset = offset ? static_cast<int>(*offset) : 0;
        q.fonds_ids = TRY(id_list(r, "fonds_id"));
        q.category_ids = TRY(id_list(r, "category_id"));
        q.year_from = TRY(year_param(r, "year_from"));
        q.year_to = TRY(year_param(r, "year_to"));
        if (q.year_from && q.year_to && *q.year_from > *q.year_to)
          return invalid("year_to", "must not be before year_from");
        q.access_levels = TRY(word_list(r, "access_level", {"open", "controlled", "secret"}));
        q.carriers = TRY(
            word_list(r, "carrier", {"paper", "electronic", "photo", "audio", "video", "other"}));
        if (q.audience == Audience::patron && content_allowed)
          q.content_allowed = content_allowed(a);

        Results res;
        {
          auto tx = TRY(db.begin(store::TxMode::read));
          res = TRY(run(*tx, q, weights));
        }
        // The log entry and, for a patron, the timeline event (SearchLog above).
        LogEntry e;
        e.user_id = a.user_id;
        e.patron_id = a.role == Role::patron ? a.patron_id : std::nullopt;
        e.audience = q.audience;
        e.query = q.q;
        e.normalized = res.normalized;
        e.total = res.total;
        e.total_exact = res.total_exact;
        std::optional<std::int64_t> search_id = TRY(log->record(a, e));
        json items = json::array();
        for (const auto& h : res.items) items.push_back(hit_json(h));
        label_facets(res.facets, facet_labels);
        json out = {{"items", items},
                    {"total", res.total},
                    {"total_exact", res.total_exact},
                    {"facets", res.facets},
                    {"facets_exact", res.facets_exact},
                    {"search_id", search_id ? json(*search_id) : json()},
                    {"offset", q.offset},
                    {"limit", q.limit},
                    {"suggestion", res.suggestion ? json(*res.suggestion) : json()}};
        return out;
      });

  api.secured_json("POST", "/api/v1/search/{id}/opened",
                   [&db](Request& r, const Actor& a) -> Result<json> {
                     if (a.role == Role::auditor)
                       return forbidden("auditors do not search the catalogue");
                     auto id = TRY(http::id_path(r));
                     auto body = TRY(http::json_body(r));
                     TRY_STATUS(http::only_fields(body, {"record_id"}));
                     if (!body.contains("record_id") || !body["record_id"].is_number_integer() ||
                         body["record_id"].get<std::int64_t>() <= 0)
                       return invalid("record_id", "required: the id of the record opened");
                     auto record_id = body["record_id"].get<std::int64_t>();
                     auto tx = TRY(db.begin(store::TxMode::write));
                     TRY_STATUS(mark_opened(*tx, id, a.user_id, record_id, system_clock()));
                     TRY_STATUS(tx->commit());
                     return json{{"search_id", id}, {"record_id", record_id}, {"opened", true}};
                   });

  api.secured_json("GET", "/api/v1/search/unmet-demand",
                   [&db](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(auth::require(a, auth::Permission::search_demand));
                     TRY_STATUS(http::only_params(r, {"from", "to", "limit"}));
                     DemandQuery q;
                     for (const char* name : {"from", "to"}) {
                       if (auto v = http::text_param(r, name)) {
                         if (!parse_time(*v))
                           return invalid(name, "must be a date (YYYY-MM-DD) or an ISO 8601 time");
                         (std::string(name) == "from" ? q.from : q.to) = *v;
                       }
                     }
                     q.limit = TRY(http::limit_param(r, 50, 500));
                     auto tx = TRY(db.begin(store::TxMode::read));
                     return unmet_demand(*tx, q);
                   });
}

}  // namespace dangan::search
