#include "transfer/import.h"

#include <sodium.h>

#include <condition_variable>
#include <deque>
#include <thread>
#include <unordered_map>

#include "audit/audit.h"
#include "auth/auth.h"
#include "transfer/tables_internal.h"

namespace dangan::transfer {

using json = nlohmann::json;

namespace {

constexpr const char* kJobCols =
    "id, kind, filename, format, file_sha256, mapping, mode, batch_size, dry_run, skip_existing, "
    "status, rows_total, rows_done, rows_imported, rows_skipped, rows_failed, last_row, errors, "
    "message, created_by, created_at, updated_at, finished_at";

// Rows checked and queued before the catalogue writes them (BulkCreator::flush): a
// flush numbers its series with two statements, so bigger is cheaper, up to the memory the
// queue holds (about 1 KB a row).
constexpr std::size_t kFlushRows = 2048;

json opt(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(); }
json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(); }

Result<store::Row> load_job(store::Tx& tx, std::int64_t id) {
  auto row =
      TRY(tx.maybe_one(std::string("SELECT ") + kJobCols + " FROM import_jobs WHERE id = ?", {id}));
  if (!row) return not_found("no import job " + std::to_string(id));
  return *row;
}

Status may_import(const Actor& by) {
  TRY_STATUS(auth::require(by, auth::Permission::record_transfer));
  if (by.role != Role::system && !auth::allowed(by.role, auth::Permission::record_write))
    return forbidden("importing creates records: your role (" + std::string(to_string(by.role)) +
                     ") may not create records");
  return {};
}

// Database trouble, as opposed to a row the catalogue refused.
bool fatal(const Error& e) {
  return e.code == ErrorCode::internal || e.code == ErrorCode::unavailable ||
         e.code == ErrorCode::unauthenticated || e.code == ErrorCode::too_many_requests;
}

}  // namespace

json job_json(const store::Row& r) {
  json mapping = json::parse(r.str(5), nullptr, false);
  json errors = json::parse(r.str(17), nullptr, false);
  return {{"id", r.i64(0)},
          {"kind", r.str(1)},
          {"filename", r.str(2)},
          {"format", r.str(3)},
          {"file_sha256", r.str(4)},
          {"mapping", mapping.is_discarded() ? json::object() : mapping},
          {"mode", r.str(6)},
          {"batch_size", opt(r.opt_i64(7))},
          {"dry_run", r.i64(8) != 0},
          {"skip_existing", r.i64(9) != 0},
          {"status", r.str(10)},
          {"rows_total", opt(r.opt_i64(11))},
          {"rows_done", r.i64(12)},
          {"rows_imported", r.i64(13)},
          {"rows_skipped", r.i64(14)},
          {"rows_failed", r.i64(15)},
          {"last_row", r.i64(16)},
          {"errors", errors.is_array() ? errors : json::array()},
          {"message", opt(r.opt_str(18))},
          {"created_by", opt(r.opt_i64(19))},
          {"created_at", r.str(20)},
          {"updated_at", r.str(21)},
          {"finished_at", opt(r.opt_str(22))}};
}

Result<std::string> sha256_of(const Input& input) {
  auto src = TRY(detail::open_source(input));
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  std::string buf(1 << 16, '\0');
  for (;;) {
    std::size_t n = TRY(src->read(buf.data(), buf.size()));
    if (n == 0) break;
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf.data()), n);
  }
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, out);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return std::string(hex);
}

Importer::Importer(store::Database& db, catalogue::Service& catalogue, const Clock& clock)
    : db_(db), catalogue_(catalogue), clock_(clock) {}

void Importer::publish(const Progress& p) {
  std::lock_guard lock(mu_);
  live_[p.job_id] = p;
}

void Importer::retire(std::int64_t job_id) {
  std::lock_guard lock(mu_);
  live_.erase(job_id);
}

Result<json> Importer::start(const Actor& by, const Input& input, const ImportOptions& o,
                             std::optional<std::int64_t> job_id) {
  TRY_STATUS(may_import(by));
  if (o.format == Format::dublin_core)
    return invalid("format", "Dublin Core is an export format; import csv, xlsx, json or ndjson");
  if (o.batch_size < 0) return invalid("batch", "the batch size must be a positive number of rows");
  std::string sha = TRY(sha256_of(input));
  std::string now = format_time(clock_.now());
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (job_id) {
    auto row = TRY(load_job(*tx, *job_id));
    json job = job_json(row);
    std::string id = std::to_string(*job_id);
    if (job["mode"] != "batch" || job["dry_run"].get<bool>())
      return conflict("job " + id + " cannot be continued: only a batch import (--batch N) " +
                          "commits as it goes; start a new import",
                      "job");
    if (job["status"] == "succeeded" || job["status"] == "completed_with_errors")
      return conflict(
          "job " + id + " has already finished (" + job["status"].get<std::string>() + ")", "job");
    if (job["file_sha256"] != sha)
      return conflict("job " + id +
                          " was started with another file; continue it with the same "
                          "file, or start a new import",
                      "job");
    if (job["format"] != std::string(to_string(o.format)))
      return conflict("job " + id + " read its file as " + job["format"].get<std::string>(), "job");
    if (o.mapping_given && job["mapping"] != o.mapping.to_json())
      return conflict("job " + id + " was started with another mapping; continue it without one",
                      "mapping");
    TRY(
        tx->exec("UPDATE import_jobs SET status = 'queued', message = NULL, updated_at = ? "
                 "WHERE id = ?",
                 {now, *job_id}));
    TRY_STATUS(tx->commit());
    auto read = TRY(db_.begin(store::TxMode::read));
    return job_json(TRY(load_job(*read, *job_id)));
  }
  std::string filename = o.filename.empty() ? input.name() : o.filename;
  auto row = TRY(tx->one(
      "INSERT INTO import_jobs (kind, filename, format, file_sha256, mapping, mode, batch_size, "
      "dry_run, skip_existing, status, created_by, created_at, updated_at) VALUES "
      "('records', ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) RETURNING id",
      {filename, std::string(to_string(o.format)), sha, o.mapping.to_json().dump(),
       std::string(o.batch_size > 0 ? "batch" : "all_or_nothing"),
       o.batch_size > 0 ? store::Value(o.batch_size) : store::null_value(), std::int64_t{o.dry_run},
       std::int64_t{o.skip_existing}, by.user_id ? store::Value(by.user_id) : store::null_value(),
       now, now},
      "import job"));
  std::int64_t id = row.i64(0);
  TRY_STATUS(tx->commit());
  auto read = TRY(db_.begin(store::TxMode::read));
  return job_json(TRY(load_job(*read, id)));
}

// ---------------------------------------------------------------- one run of a job

class Importer::Run {
 public:
  Run(Importer& im, const Actor& by, const json& job, const Input& input,
      const ImportOptions& options, const ProgressFn& progress)
      : im_(im), by_(by), job_(job), input_(input), options_(options), progress_(progress) {
    id_ = job["id"].get<std::int64_t>();
    batch_ = job["mode"] == "batch" ? job["batch_size"].get<std::int64_t>() : 0;
    dry_ = job["dry_run"].get<bool>();
    skip_existing_ = job["skip_existing"].get<bool>();
    last_row_ = job["last_row"].get<std::int64_t>();
    p_.job_id = id_;
    p_.rows_done = job["rows_done"].get<std::int64_t>();
    p_.rows_imported = job["rows_imported"].get<std::int64_t>();
    p_.rows_skipped = job["rows_skipped"].get<std::int64_t>();
    p_.rows_failed = job["rows_failed"].get<std::int64_t>();
    for (auto& e : job["errors"]) stored_errors_.push_back(e);
    done_before_ = p_.rows_done;
    started_ = std::chrono::steady_clock::now();
  }

  // The job's final row. Problems with the file or the database end the job `failed`
  // with a message; only a failure to record that is returned as an error.
  Result<json> execute() {
    auto s = work();
    if (!s) {
      rollback();  // what this run had not committed
      std::string message = s.error().message;
      if (batch_ && !dry_ && last_row_ > 0)
        message += " (rows up to " + std::to_string(last_row_) +
                   " are imported; run the job again to continue after them)";
      else if (!dry_)
        message += "; nothing was imported";
      TRY_STATUS(save_final("failed", message));
    }
    auto tx = TRY(im_.db_.begin(store::TxMode::read));
    return job_json(TRY(load_job(*tx, id_)));
  }

 private:
  Status work() {
    TRY_STATUS(set_running());
    auto reader = TRY(open_reader(options_.format, input_, options_.read));
    // The first row is read before planning: a JSON file names its columns as it goes.
    Row row;
    auto first = reader->next(row);
    Mapping mapping = options_.mapping;
    if (!options_.mapping_given && job_["mapping"].is_object() && !job_["mapping"].empty())
      mapping = TRY(Mapping::from_json(job_["mapping"]));
    plan_ = TRY(Plan::make(reader->columns(), mapping));
    TRY_STATUS(load_lookups());
    p_.rows_total = TRY(count_rows(options_.format, input_, options_.read));
    TRY_STATUS(save_total());
    report(true);

    TRY_STATUS(begin());
    // Reading and mapping run on a thread of their own, a chunk of rows ahead: the
    // database work on this thread is the import's critical path.
    Reading reading(*this, std::move(reader), std::move(row), std::move(first));
    std::int64_t in_batch = 0;
    for (;;) {
      Chunk chunk = reading.next();
      for (Mapped& m : chunk.rows) {
        if (options_.stop && options_.stop->load(std::memory_order_relaxed))
          return fail(ErrorCode::unavailable, "the import was stopped (the server is shutting down)");
        ++p_.rows_done;
        ++in_batch;
        current_row_ = m.number;
        if (m.body && !check_duplicate(m.number, *m.body, m.errors)) {
          ++p_.rows_skipped;
        } else if (!m.errors.empty()) {
          ++p_.rows_failed;
          for (auto& e : m.errors) keep(e);
        } else {
          TRY_STATUS(queue(m.number, *m.body));
        }
        if (batch_ && in_batch >= batch_) {
          TRY_STATUS(end_batch(false));
          in_batch = 0;
        }
        if ((p_.rows_done & 127) == 0) report(false);
      }
      if (chunk.error) {
        // A damaged file part-way: what came before it in this batch is sound.
        if (batch_) TRY_STATUS(end_batch(false));
        return std::unexpected(*chunk.error);
      }
      if (chunk.last) break;
    }
    if (batch_) return end_batch(true);
    return end_all_or_nothing();
  }

  // A write transaction and the catalogue's bulk creator in it.
  Status begin() {
    tx_ = TRY(im_.db_.begin(store::TxMode::write));
    catalogue::BulkCreator::Options o;
    o.audit_detail = {{"import_job", id_}};
    creator_ = std::make_unique<catalogue::BulkCreator>(im_.catalogue_, *tx_, by_, o);
    return {};
  }

  // Rolls back what is not committed (the creator goes first: it uses the Tx).
  void rollback() {
    creator_.reset();
    tx_.reset();
  }

  std::int64_t resumed_after() const { return resume_from_; }

  // A row read and mapped to a record body (or to its errors).
  struct Mapped {
    std::int64_t number = 0;
    std::optional<json> body;
    std::vector<RowError> errors;
  };
  struct Chunk {
    std::vector<Mapped> rows;
    std::optional<Error> error;  // the file could not be read further
    bool last = false;
  };

  // Reads and maps the file on its own thread, at most kAhead chunks ahead of the caller;
  // rows up to resumed_after() are passed over. Stops (and is joined) when destroyed.
  class Reading {
   public:
    static constexpr std::size_t kRows = 256, kAhead = 8;
    Reading(Run& run, std::unique_ptr<TableReader> reader, Row first_row, Result<bool> first)
        : run_(run), reader_(std::move(reader)) {
      thread_ = std::thread([this, row = std::move(first_row), first = std::move(first)]() mutable {
        produce(std::move(row), std::move(first));
      });
    }
    ~Reading() {
      {
        std::lock_guard lock(mu_);
        cancel_ = true;
      }
      cv_.notify_all();
      thread_.join();
    }
    Chunk next() {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !ready_.empty(); });
      Chunk c = std::move(ready_.front());
      ready_.pop_front();
      cv_.notify_all();
      return c;
    }

   private:
    void produce(Row row, Result<bool> more) {
      Chunk chunk;
      for (bool have = true;; have = false) {
        if (!have) more = reader_->next(row);
        if (!more) {
          chunk.error = more.error();
          break;
        }
        if (!*more) {
          chunk.last = true;
          break;
        }
        if (row.number <= run_.resumed_after()) continue;
        Mapped m;
        m.number = row.number;
        {
          std::lock_guard lock(run_.plan_mu_);  // a JSON file's new columns change the plan
          m.body = run_.plan_.to_record(row, reader_->columns(), run_.lookups_, m.errors);
        }
        chunk.rows.push_back(std::move(m));
        if (chunk.rows.size() >= kRows && !push(std::move(chunk))) return;
      }
      push(std::move(chunk));
    }
    // False when the caller stopped reading.
    bool push(Chunk&& c) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return cancel_ || ready_.size() < kAhead; });
      if (cancel_) return false;
      ready_.push_back(std::move(c));
      c = Chunk{};
      cv_.notify_all();
      return true;
    }

    Run& run_;
    std::unique_ptr<TableReader> reader_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Chunk> ready_;
    bool cancel_ = false;
    std::thread thread_;
  };

  std::string column_of(const std::string& field) {
    std::lock_guard lock(plan_mu_);
    return plan_.column_of(field);
  }

  Status set_running() {
    resume_from_ = last_row_;
    auto tx = TRY(im_.db_.begin(store::TxMode::write));
    TRY(tx->exec("UPDATE import_jobs SET status = 'running', updated_at = ? WHERE id = ?",
                 {now(), id_}));
    return tx->commit();
  }

  Status save_total() {
    auto tx = TRY(im_.db_.begin(store::TxMode::write));
    TRY(tx->exec("UPDATE import_jobs SET rows_total = ?, updated_at = ? WHERE id = ?",
                 {p_.rows_total, now(), id_}));
    return tx->commit();
  }

  // Category and fonds names, so a cell may name them instead of giving the code.
  Status load_lookups() {
    auto cats = TRY(im_.catalogue_.list_categories(by_));
    std::map<std::int64_t, std::pair<std::optional<std::int64_t>, std::string>> by_id;
    for (auto& c : cats["items"])
      by_id[c["id"].get<std::int64_t>()] = {
          c["parent_id"].is_null()
              ? std::nullopt
              : std::optional<std::int64_t>(c["parent_id"].get<std::int64_t>()),
          c["code"].get<std::string>()};
    std::map<std::string, int> name_count;
    for (auto& c : cats["items"]) ++name_count[squeeze(c["name"].get<std::string>())];
    for (auto& c : cats["items"]) {
      std::string name = squeeze(c["name"].get<std::string>());
      if (name_count[name] != 1) continue;  // ambiguous: only codes then
      std::string path = c["code"].get<std::string>();
      auto parent = by_id[c["id"].get<std::int64_t>()].first;
      for (int guard = 0; parent && guard < 64; ++guard) {
        auto& p = by_id[*parent];
        path = p.second + "." + path;
        parent = p.first;
      }
      lookups_.category_by_name[name] = path;
    }
    auto fonds = TRY(im_.catalogue_.list_fonds(by_));
    for (auto& f : fonds["items"])
      lookups_.fonds_by_name[squeeze(f["name"].get<std::string>())] = f["code"].get<std::string>();
    auto periods = TRY(im_.catalogue_.list_retention_periods(by_));
    // By name ("定期30年"), and by the way spreadsheets often write it ("30年", "30").
    for (auto& r : periods["items"]) {
      std::string code = r["code"].get<std::string>();
      lookups_.retention_by_name[squeeze(r["name"].get<std::string>())] = code;
      if (r["years"].is_number_integer()) {
        std::string n = std::to_string(r["years"].get<std::int64_t>());
        for (auto key : {n, n + "年", "定期" + n + "年"})
          lookups_.retention_by_name.emplace(key, code);
      }
    }
    return {};
  }

  static std::string squeeze(const std::string& s) {
    std::string out;
    for (char c : s)
      if (c != ' ' && c != '\t') out += c;
    return out;
  }

  // A reference code given twice in the file: the second row fails, or is skipped (false)
  // with skip_existing.
  bool check_duplicate(std::int64_t row, const json& body, std::vector<RowError>& errors) {
    auto it = body.find("reference_code");
    if (it == body.end()) return true;
    auto [at, fresh] = codes_.emplace(it->get<std::string>(), row);
    if (fresh) return true;
    if (skip_existing_) return false;
    errors.push_back({row, column_of("reference_code"),
                      "reference code " + it->get<std::string>() + " is also in row " +
                          std::to_string(at->second)});
    return true;
  }

  void keep(const RowError& e) {
    if (stored_errors_.size() < kMaxStoredErrors) stored_errors_.push_back(e.to_json());
  }

  // Checks the row's record as the catalogue creates it and queues it; a row the
  // catalogue refuses is reported at once, the others when their batch is written.
  Status queue(std::int64_t row, const json& body) {
    auto ticket = creator_->add(body);
    if (!ticket) return refused(row, ticket.error());
    queued_rows_.push_back(row);
    if (creator_->queued() >= kFlushRows) return written(TRY(creator_->flush()));
    return {};
  }

  // Writes what is queued, and the search index's queue, before a commit (or the end of
  // a dry run's batch).
  Status finish_writes() {
    if (!creator_) return {};
    return written(TRY(creator_->finish()));
  }

  // Counts what the creator wrote; a record it refused (a reference code already held)
  // fails its row, or is skipped with skip_existing.
  Status written(const std::vector<catalogue::BulkCreator::Outcome>& outcomes) {
    if (outcomes.size() != queued_rows_.size())
      return fail(ErrorCode::internal, "the catalogue reported another number of records");
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i].error)
        TRY_STATUS(refused(queued_rows_[i], *outcomes[i].error));
      else
        ++p_.rows_imported;
    }
    queued_rows_.clear();
    return {};
  }

  Status refused(std::int64_t row, const Error& e) {
    if (fatal(e)) return std::unexpected(e);
    if (e.code == ErrorCode::conflict && e.field == "reference_code" && skip_existing_) {
      ++p_.rows_skipped;
      return {};
    }
    ++p_.rows_failed;
    keep({row, e.field.empty() ? "" : column_of(e.field), e.message});
    return {};
  }

  std::string final_status(bool committed_rows) const {
    if (p_.rows_failed == 0) return "succeeded";
    return committed_rows ? "completed_with_errors" : "failed";
  }

  // One transaction: committed only when every row went in (and never in a dry run).
  Status end_all_or_nothing() {
    // Also after failures: the queued rows' reference codes are checked there.
    TRY_STATUS(finish_writes());
    bool clean = p_.rows_failed == 0;
    if (clean && !dry_) {
      TRY_STATUS(write_job(*tx_, "succeeded", std::nullopt, true));
      TRY_STATUS(audit_import(*tx_));
      creator_.reset();
      auto s = tx_->commit();
      tx_.reset();
      if (!s) return std::unexpected(s.error());
      report(true);
      return {};
    }
    rollback();
    std::optional<std::string> message;
    if (!clean)
      message = std::to_string(p_.rows_failed) + (p_.rows_failed == 1 ? " row" : " rows") +
                " failed; nothing was imported";
    if (!dry_) p_.rows_imported = 0;
    // A dry run's rows_imported says how many rows would have been imported.
    TRY_STATUS(save_final(clean ? "succeeded" : "failed", message));
    report(true);
    return {};
  }

  // Commits a batch with the job's progress; a dry run rolls it back and records the
  // progress on its own.
  Status end_batch(bool last) {
    TRY_STATUS(finish_writes());
    std::string status = last ? final_status(!dry_) : "running";
    if (dry_) {
      rollback();
      last_row_ = current_row_;
      auto tx = TRY(im_.db_.begin(store::TxMode::write));
      TRY_STATUS(write_job(*tx, status, std::nullopt, last));
      TRY_STATUS(tx->commit());
    } else {
      std::int64_t expected = last_row_;
      last_row_ = std::max(last_row_, current_row_);
      auto changed = TRY(write_job(*tx_, status, std::nullopt, last, expected));
      if (changed != 1)
        return conflict("job " + std::to_string(id_) +
                        " is being continued by another process; this run stopped");
      if (last) TRY_STATUS(audit_import(*tx_));
      creator_.reset();
      auto s = tx_->commit();
      tx_.reset();
      if (!s) {
        last_row_ = expected;
        return std::unexpected(s.error());
      }
    }
    report(true);  // a batch is a natural point to show progress
    if (!last) TRY_STATUS(begin());
    return {};
  }

  Result<std::int64_t> write_job(store::Tx& tx, const std::string& status,
                                 std::optional<std::string> message, bool finished,
                                 std::optional<std::int64_t> expected_last_row = std::nullopt) {
    std::string sql =
        "UPDATE import_jobs SET status = ?, rows_total = ?, rows_done = ?, rows_imported = ?, "
        "rows_skipped = ?, rows_failed = ?, last_row = ?, errors = ?, message = ?, "
        "updated_at = ?, finished_at = ? WHERE id = ?";
    std::string at = now();
    // Row order: a refused reference code is known only when its batch is written, after
    // rows further on were checked.
    std::stable_sort(stored_errors_.begin(), stored_errors_.end(),
                     [](const json& a, const json& b) { return a.value("row", 0) < b.value("row", 0); });
    store::Params params = {status,
                            p_.rows_total,
                            p_.rows_done,
                            p_.rows_imported,
                            p_.rows_skipped,
                            p_.rows_failed,
                            batch_ ? last_row_ : std::int64_t{0},
                            stored_errors_.dump(-1, ' ', false, json::error_handler_t::replace),
                            store::opt(message),
                            at,
                            finished ? store::Value(at) : store::null_value(),
                            id_};
    if (expected_last_row) {
      sql += " AND last_row = ?";
      params.push_back(*expected_last_row);
    }
    return tx.exec(sql, params);
  }

  Status save_final(const std::string& status, std::optional<std::string> message) {
    auto tx = TRY(im_.db_.begin(store::TxMode::write));
    TRY(write_job(*tx, status, std::move(message), true));
    return tx->commit();
  }

  Status audit_import(store::Tx& tx) {
    json detail = {{"job_id", id_},
                   {"filename", job_["filename"]},
                   {"format", job_["format"]},
                   {"mode", job_["mode"]},
                   {"rows_imported", p_.rows_imported},
                   {"rows_skipped", p_.rows_skipped},
                   {"rows_failed", p_.rows_failed}};
    return audit::append(
        tx, by_, {"record.import", "import_job", std::to_string(id_), {}, "", detail}, im_.clock_);
  }

  void report(bool force) {
    auto t = std::chrono::steady_clock::now();
    if (!force && t - last_report_ < std::chrono::milliseconds(200)) return;
    last_report_ = t;
    p_.seconds = std::chrono::duration<double>(t - started_).count();
    std::int64_t this_run = p_.rows_done - done_before_;
    p_.rate = p_.seconds > 0 ? static_cast<double>(this_run) / p_.seconds : 0;
    if (p_.rate > 0 && p_.rows_total >= p_.rows_done)
      p_.eta_seconds = static_cast<double>(p_.rows_total - p_.rows_done) / p_.rate;
    im_.publish(p_);
    if (progress_) progress_(p_);
  }

  std::string now() const { return format_time(im_.clock_.now()); }

  Importer& im_;
  const Actor& by_;
  json job_;
  const Input& input_;
  const ImportOptions& options_;
  const ProgressFn& progress_;
  std::int64_t id_ = 0, batch_ = 0, last_row_ = 0, resume_from_ = 0, current_row_ = 0;
  std::int64_t done_before_ = 0;
  bool dry_ = false, skip_existing_ = false;
  Plan plan_;
  std::mutex plan_mu_;  // plan_ is also used by the reading thread
  Lookups lookups_;
  Progress p_;
  json stored_errors_ = json::array();
  std::unique_ptr<store::Tx> tx_;
  std::unique_ptr<catalogue::BulkCreator> creator_;  // in tx_; destroyed before it
  std::vector<std::int64_t> queued_rows_;            // the rows of the creator's queue
  std::unordered_map<std::string, std::int64_t> codes_;
  std::chrono::steady_clock::time_point started_, last_report_;
};

Result<json> Importer::run(const Actor& by, std::int64_t job_id, const Input& input,
                           const ImportOptions& options, const ProgressFn& progress) {
  TRY_STATUS(may_import(by));
  json job;
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    job = job_json(TRY(load_job(*tx, job_id)));
  }
  if (job["status"] != "queued")
    return conflict("job " + std::to_string(job_id) + " is " + job["status"].get<std::string>() +
                    "; start it (again) first");
  Run r(*this, by, job, input, options, progress);
  auto out = r.execute();
  retire(job_id);
  return out;
}

Result<json> Importer::get(const Actor& by, std::int64_t job_id) {
  TRY_STATUS(auth::require(by, auth::Permission::record_transfer));
  auto tx = TRY(db_.begin(store::TxMode::read));
  json job = job_json(TRY(load_job(*tx, job_id)));
  std::lock_guard lock(mu_);
  if (auto it = live_.find(job_id); it != live_.end()) {
    // In this process and further along than the table shows (an all-or-nothing job
    // commits only at its end).
    const Progress& p = it->second;
    job["rows_total"] = p.rows_total;
    job["rows_done"] = p.rows_done;
    job["rows_imported"] = p.rows_imported;
    job["rows_skipped"] = p.rows_skipped;
    job["rows_failed"] = p.rows_failed;
    job["rate"] = p.rate;
    job["eta_seconds"] = p.eta_seconds ? json(*p.eta_seconds) : json();
  }
  return job;
}

Result<json> Importer::list(const Actor& by, std::optional<std::int64_t> before_id, int limit) {
  TRY_STATUS(auth::require(by, auth::Permission::record_transfer));
  auto tx = TRY(db_.begin(store::TxMode::read));
  std::string sql = std::string("SELECT ") + kJobCols + " FROM import_jobs";
  store::Params params;
  if (before_id) {
    sql += " WHERE id < ?";
    params.push_back(*before_id);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.push_back(static_cast<std::int64_t>(limit + 1));
  auto rows = TRY(tx->query(sql, params));
  json items = json::array();
  std::size_t n = std::min<std::size_t>(rows.size(), static_cast<std::size_t>(limit));
  for (std::size_t i = 0; i < n; ++i) {
    json j = job_json(rows[i]);
    j.erase("errors");  // the list stays small; GET /imports/{id} has them
    j["error_count"] = j["rows_failed"];
    items.push_back(std::move(j));
  }
  json out = {{"items", items}, {"next_cursor", nullptr}};
  if (rows.size() > n && n > 0) out["next_cursor"] = std::to_string(rows[n - 1].i64(0));
  return out;
}

}  // namespace dangan::transfer
