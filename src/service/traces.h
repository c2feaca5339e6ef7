// traces.h — configurable trace points (DOMAIN.md D33, seed 004 篇4): what patrons do
// with the archive's services — records they view, attachments they download, portal
// pages they open, the keys they press in the phone system (IVR) — recorded for the
// report of portal feature use.
//
// Invariants:
//  - an event is stored only when its trace point is enabled (trace_points, changed by
//    service_config) AND the patron has consented to processing (the patrons module's
//    `consents.processing`); both are checked when the batch is written, so a consent
//    withdrawn a moment ago is honoured;
//  - recording never costs the request a transaction: record() queues in memory, and a
//    background thread writes the queue every `interval` (or at 512 pending) in one write
//    transaction with multi-row INSERTs; a crash loses at most one interval of traces;
//  - events older than their point's retention_days are deleted by the same thread
//    (hourly) and by purge();
//  - page paths are stored with numeric segments replaced by {id}, so a path names a
//    feature, never a record or ticket.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::service {

struct FeatureUseQuery {
  std::string kind = "portal_page";  // record_view, download, portal_page, ivr
  std::optional<std::string> from, to;  // YYYY-MM-DD, inclusive; default the last 30 days
  int limit = 50;                       // targets listed
};

class Traces {
 public:
  Traces(store::Database& db, const Clock& clock = system_clock(),
         std::chrono::milliseconds interval = std::chrono::milliseconds(500));
  ~Traces();
  Traces(const Traces&) = delete;
  Traces& operator=(const Traces&) = delete;

  // Hooks for other modules (cheap; no database work on the caller's thread). Only
  // portal accounts (patrons) are traced.
  void record_view(const Actor& by, std::int64_t record_id);
  void download(const Actor& by, std::int64_t record_id, std::int64_t attachment_id);

  // POST /traces/page from the portal: {path}. Returns whether it was queued.
  Result<nlohmann::json> page(const Actor& by, const nlohmann::json& body);
  // POST /traces/ivr from the call system (staff account with ticket_write):
  // {caller (phone) | patron_id, keys: "1>3>2" or ["1","3","2"], call_id?}.
  Result<nlohmann::json> ivr(const Actor& by, const nlohmann::json& body);

  Result<nlohmann::json> points(const Actor& by);
  // {enabled, retention_days}
  Result<nlohmann::json> put_point(const Actor& by, const std::string& kind,
                                   const nlohmann::json& body);
  // Targets by count with unique patrons, totals, and the trend per day.
  Result<nlohmann::json> feature_use(const Actor& by, const FeatureUseQuery& q);

  // Writes the queue now (tests, reports, shutdown).
  void flush();
  // Deletes events past their retention; returns how many.
  Result<std::int64_t> purge();

  // "/portal/questions/17?x=1" → "/portal/questions/{id}"; nullopt for what is not a
  // portal path.
  static std::optional<std::string> normalize_path(std::string_view path);

 private:
  struct Pending {
    std::string kind;
    std::optional<std::int64_t> patron_id;
    std::string phone;  // IVR: normalized caller number when no patron_id
    std::string target;
    std::optional<std::int64_t> record_id;
    std::string at;
  };
  bool enabled(const std::string& kind);
  void enqueue(Pending p);
  void loop();
  Status write(std::vector<Pending>& batch);
  Status refresh_points();

  store::Database& db_;
  const Clock& clock_;
  std::chrono::milliseconds interval_;
  // Which points are on, as last read (refreshed every few seconds, and at once after a
  // change in this process): record() drops events of a disabled point without queuing.
  std::mutex points_mu_;
  std::vector<std::string> enabled_;
  std::chrono::steady_clock::time_point points_read_{};
  std::mutex mu_;
  std::mutex flushing_;  // one flush at a time (flush())
  std::condition_variable cv_;
  std::vector<Pending> pending_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_purge_{};
  std::thread thread_;
};

}  // namespace dangan::service
