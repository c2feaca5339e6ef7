// import.h — bulk import of catalogue records from CSV, XLSX, JSON or NDJSON, as jobs.
//
// A job reads a file row by row (never all of it at once; on a thread of its own, a
// chunk ahead), turns each row into a record body through the column mapping
// (mapping.h) and creates the records through the catalogue's bulk creator
// (catalogue::BulkCreator: create_record_in's checks and numbering, its writes gathered),
// so every catalogue rule, the reference code, the audit entry and the search index
// update apply as for one record.
// Every row is checked, whatever failed before it; each problem is reported with its row,
// column and message. Two semantics, chosen per job (docs/import-export.md):
//
//   all_or_nothing (default)  one write transaction for the whole file. If any row fails,
//                             nothing is written: the job ends `failed` with every row's
//                             errors. On SQLite other writers wait while it runs.
//   batch (batch_size N)      a transaction per N rows; a failing row is reported and
//                             left out (nothing of it is written: rows are checked before
//                             any is written), the others are imported. Each batch commits with
//                             the job's progress (last_row = the last row it covered), so
//                             running the same job again after a crash (job_id) continues
//                             after the last committed batch and never imports a row
//                             twice. The file must be the same one (SHA-256 compared); a
//                             second process continuing the same job at once loses at its
//                             first commit (the job's last_row moved) and stops.
//   dry_run                   everything is checked exactly as in a real import — records
//                             are created in transactions that are rolled back — and only
//                             the job's own row is written.
//
// A reference_code that is already taken fails its row (conflict), or with skip_existing
// the row is skipped and counted. Rows are counted by the number a person finds them by
// (tables.h). A job keeps its first kMaxStoredErrors errors; rows_failed counts all.
//
// Importing needs record_transfer, and record_write to create records.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "catalogue/catalogue.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/db.h"
#include "transfer/mapping.h"
#include "transfer/tables.h"

namespace dangan::transfer {

constexpr std::size_t kMaxStoredErrors = 1000;

struct ImportOptions {
  Format format = Format::csv;
  ReadOptions read;
  Mapping mapping;
  bool mapping_given = false;  // a resumed job keeps its own mapping unless one is given
  bool dry_run = false;
  std::int64_t batch_size = 0;  // 0: all or nothing
  bool skip_existing = false;   // a taken reference_code skips the row instead of failing it
  std::string filename;         // shown in the job ("upload" when empty)
  // Set by a server that is shutting down: the run stops at the next row (an all-or-
  // nothing job writes nothing; a batch job keeps its committed batches and can go on).
  const std::atomic<bool>* stop = nullptr;
};

struct Progress {
  std::int64_t job_id = 0;
  std::int64_t rows_total = 0;  // data rows in the file (0 while counting)
  std::int64_t rows_done = 0;   // checked so far, this run and runs before it
  std::int64_t rows_imported = 0, rows_skipped = 0, rows_failed = 0;
  double seconds = 0;  // this run so far
  double rate = 0;     // rows per second in this run
  std::optional<double> eta_seconds;
};
using ProgressFn = std::function<void(const Progress&)>;

class Importer {
 public:
  Importer(store::Database& db, catalogue::Service& catalogue, const Clock& clock = system_clock());

  // Checks the permissions, the format and (when resuming) that `job_id` may continue
  // with this file; writes the job (status queued) and returns it. The file is hashed.
  Result<nlohmann::json> start(const Actor& by, const Input& input, const ImportOptions& options,
                               std::optional<std::int64_t> job_id = std::nullopt);
  // Runs a started job to its end; the job row says how it ended (also when this returns
  // an error, which is only for problems with the job itself, not with rows).
  Result<nlohmann::json> run(const Actor& by, std::int64_t job_id, const Input& input,
                             const ImportOptions& options, const ProgressFn& progress = {});

  Result<nlohmann::json> get(const Actor& by, std::int64_t job_id);
  // Newest first; `cursor` is the last id of the page before.
  Result<nlohmann::json> list(const Actor& by, std::optional<std::int64_t> before_id, int limit);

 private:
  class Run;
  void publish(const Progress& p);
  void retire(std::int64_t job_id);

  store::Database& db_;
  catalogue::Service& catalogue_;
  const Clock& clock_;
  std::mutex mu_;
  std::map<std::int64_t, Progress> live_;  // jobs running in this process
};

// The job's row as the API shows it.
nlohmann::json job_json(const store::Row& row);
// SHA-256 of the input, read in chunks.
Result<std::string> sha256_of(const Input& input);

}  // namespace dangan::transfer
