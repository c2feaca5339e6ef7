// transfer_api.h — /api/v1/records/imports and /api/v1/records/export.
//
// An import's file is the raw request body; the job runs on a thread of its own, one
// import at a time per process (later ones wait as `queued`), and the POST answers 202
// with the job at once. GET /records/imports/{id} shows its progress (live while it runs
// in this process) and its row errors. An export that needs no approval answers the
// whole file with its Content-Type and a dated Content-Disposition filename; one that
// does (export_requests.h) answers 202 with a pending export request, which a manager
// approves at /records/exports/{id}/approve before its requester downloads the file.
//
// Stopping the server stops running imports at their next row (see ImportOptions::stop)
// and waits for them to record how far they got.
#pragma once
#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include "http/api.h"
#include "transfer/export.h"
#include "transfer/export_requests.h"
#include "transfer/import.h"

namespace dangan::transfer {

class ImportRunner {
 public:
  explicit ImportRunner(Importer& importer) : importer_(importer) {}
  ~ImportRunner();  // stops and joins the running imports
  // Runs a started job on its own thread; `bytes` is the file.
  void submit(const Actor& by, std::int64_t job_id, std::shared_ptr<const std::string> bytes,
              ImportOptions options);
  Importer& importer() { return importer_; }

 private:
  Importer& importer_;
  std::atomic<bool> stop_{false};
  std::mutex run_mu_;  // one import at a time
  std::mutex threads_mu_;
  struct Worker {
    std::shared_ptr<std::atomic<bool>> done;
    std::jthread thread;
  };
  std::list<Worker> threads_;
};

void register_routes(http::Api& api, ImportRunner& imports, Exporter& exporter,
                     ExportRequests& exports, const Clock& clock = system_clock());

}  // namespace dangan::transfer
