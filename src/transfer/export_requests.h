// export_requests.h — bulk exports through the API need approval (D42).
//
// An export asked for through the API is checked first (Exporter::scan): if it would
// hold more than Config::export_approval_threshold records, or any controlled or
// secret record, it becomes a request in state `pending`; a manager (export_approve)
// approves or rejects it with a reason — never their own request; on approval the
// export runs on a thread of its own and the file is kept, for the requester only, for
// export_keep_days. Exports that need no approval run at once in the caller's request
// (as before), and are recorded as requests too (approved automatically), so the
// register of exports is complete.
//
//   pending ──approve──> approved ──> running ──> ready ──(keep days)──> expired
//      └──reject──> rejected                   └──> failed
//
// Every step is audited: record.export_request (with the reasons), record.export_approve
// and record.export_reject (with the manager's reason), record.export (written by the
// Exporter when the file is complete, as the requester, with the request id) and
// record.export_download (each download of the file).
//
// Who sees what: the requester their own requests; export_approve and audit_read all of
// them. Only the requester downloads the file, and only while they still may export.
//
// Invariants: a request leaves `pending` once (the update is conditional on the state,
// so two managers deciding at once cannot both win); the file exists exactly while the
// request is `ready` (written as <id>.<ext>.part, fsync'd and renamed; deleted when
// the request expires); a server stopped while an export runs runs it again at start.
// The command line (`dangan export records`) is an operator on the server: it is not
// limited, and its exports are audited as record.export.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "core/actor.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/result.h"
#include "store/db.h"
#include "transfer/export.h"

namespace dangan::transfer {

// The file of a ready export, for its requester.
struct ExportFile {
  std::string body, content_type, filename;
};

class ExportRequests {
 public:
  ExportRequests(store::Database& db, Exporter& exporter, const Config& config,
                 const Clock& clock = system_clock());
  ~ExportRequests();  // waits for running exports

  // Checks the export and either runs it at once (status `ready`, `ran_now` true) or
  // records a pending request (`ran_now` false). A pending request identical to one
  // the same user already has pending is not made twice: that one is returned.
  struct Created {
    nlohmann::json request;
    bool ran_now = false;
  };
  Result<Created> create(const Actor& by, const ExportOptions& o, const std::string& purpose);
  Result<nlohmann::json> list(const Actor& by, std::optional<std::string> status,
                              std::optional<std::int64_t> before, int limit);
  Result<nlohmann::json> get(const Actor& by, std::int64_t id);
  Result<nlohmann::json> approve(const Actor& by, std::int64_t id, const std::string& reason);
  Result<nlohmann::json> reject(const Actor& by, std::int64_t id, const std::string& reason);
  Result<ExportFile> download(const Actor& by, std::int64_t id);

  // Runs approved exports left over by a stopped server (call once at start).
  void resume();
  // Marks ready exports past their keep time expired and deletes their files.
  Status expire();
  // Waits until no export runs (tests).
  void wait_idle();

  std::filesystem::path dir() const { return dir_; }

 private:
  Result<nlohmann::json> decide(const Actor& by, std::int64_t id, const std::string& reason,
                                bool approve);
  Status run(std::int64_t id);  // approved → running → ready | failed
  void submit(std::int64_t id);
  Result<nlohmann::json> load(store::Tx& tx, std::int64_t id);

  store::Database& db_;
  Exporter& exporter_;
  const Config& config_;
  const Clock& clock_;
  std::filesystem::path dir_;
  std::mutex run_mu_;  // one export at a time
  std::mutex threads_mu_;
  struct Worker {
    std::shared_ptr<std::atomic<bool>> done;
    std::jthread thread;
  };
  std::list<Worker> threads_;
};

// Where approved exports are kept: Config::export_dir, or "exports" beside the blob
// directory.
std::filesystem::path export_dir(const Config& config);

}  // namespace dangan::transfer
