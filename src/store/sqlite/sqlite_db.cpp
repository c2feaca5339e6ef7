// sqlite_db.cpp — the SQLite adapter.
//
// One writer connection, guarded by a timed mutex that a write Tx holds for its whole
// life (BEGIN IMMEDIATE inside, so another process writing the same file waits on the
// busy timeout instead of failing mid-transaction), and a pool of reader connections
// that run deferred read transactions on WAL snapshots, so readers never wait for the
// writer. Each connection caches its prepared statements by SQL text: domain code
// sends the same few statements over and over, and preparing costs more than running
// a primary-key lookup.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "store/db.h"
#include "store/sqlite/fts5_terms.h"
#include "store/store_internal.h"

namespace dangan::store::sqlite {

namespace {

namespace fs = std::filesystem;

// Past this many distinct statements on one connection the SQL is probably being built
// dynamically (IN lists of varying length); the cache is dropped rather than grown.
constexpr std::size_t kStatementCacheLimit = 256;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// sqlite3_errmsg names tables, columns and constraints, never bound values, so it is
// safe to pass on.
Error map_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
      rc == SQLITE_CONSTRAINT_ROWID) {
    return Error{ErrorCode::conflict, msg, {}};
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Error{ErrorCode::unavailable, "database is busy: " + msg, {}};
  }
  return Error{ErrorCode::internal, std::string(what) + ": " + msg, {}};
}

bool only_separators(const char* p) {
  for (; *p != '\0'; ++p) {
    if (*p != ';' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') return false;
  }
  return true;
}

// Resets a statement and drops its bindings (which point into the caller's Params) on
// every way out of a call.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* s) : s_(s) {}
  ~StatementUse() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* s_;
};

class Connection {
 public:
  enum class Role { writer, reader };

  static Result<std::unique_ptr<Connection>> open(const std::string& path, Role role,
                                                  int busy_timeout_ms) {
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (role == Role::writer) flags |= SQLITE_OPEN_CREATE;
    register_terms_tokenizer();  // the search index's FTS5 table names it
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    auto conn = std::unique_ptr<Connection>(new Connection(db));
    if (rc != SQLITE_OK) {
      return std::unexpected(Error{ErrorCode::unavailable,
                                   std::string("cannot open SQLite database: ") +
                                       (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)),
                                   {}});
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, busy_timeout_ms);
    // mmap: reads come from the OS page cache without a pread() and a copy per page; a
    // full-text search touches thousands of pages (measured: a third of search time went
    // to pread at 100k records). Bounded by SQLite's own limit (2 GB by default).
    std::string pragmas = "PRAGMA foreign_keys=ON;PRAGMA mmap_size=2147483648;";
    if (role == Role::writer) {
      // FULL: a commit is reported only after the WAL is synced (see db.h).
      pragmas += "PRAGMA synchronous=FULL;";
      // A WAL file that a big transaction grew is cut back to 64 MB when it is next
      // written from its start (see Checkpointer), instead of keeping its size on disk.
      pragmas += "PRAGMA journal_size_limit=67108864;";
    } else {
      pragmas += "PRAGMA query_only=1;";
    }
    TRY_STATUS(conn->exec_script(pragmas));
    if (role == Role::writer) {
      Rows r;
      TRY_STATUS(conn->run("PRAGMA journal_mode=WAL", {}, &r, nullptr));
      if (r.rows.empty() || r.rows[0].str(0) != "wal") {
        return fail(ErrorCode::unavailable,
                    "SQLite database cannot use WAL mode (is it on a network file system?)");
      }
    }
    return conn;
  }

  ~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* handle() { return db_; }

  Status exec_script(std::string_view sql) {
    std::string text(sql);
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(map_error(db_, rc, "SQL script failed"));
    return {};
  }

  // Runs one statement; collects rows into `out` and the change count into `changes`
  // when they are given.
  Status run(std::string_view sql, const Params& params, Rows* out, std::int64_t* changes) {
    sqlite3_stmt* stmt = TRY(prepare(sql));
    StatementUse use(stmt);
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
      return fail(ErrorCode::internal, "statement expects " + std::to_string(expected) +
                                           " parameters, got " + std::to_string(params.size()));
    }
    for (int i = 0; i < expected; ++i) {
      const Value& v = params[static_cast<std::size_t>(i)];
      int rc = SQLITE_OK;
      if (auto p = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, i + 1, *p);
      } else if (auto p = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, i + 1, *p);
      } else if (auto p = std::get_if<std::string>(&v)) {
        // STATIC is safe: StatementUse clears the binding before `params` can go away.
        rc = sqlite3_bind_text64(stmt, i + 1, p->data(), p->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, i + 1);
      }
      if (rc != SQLITE_OK) return std::unexpected(map_error(db_, rc, "binding failed"));
    }
    const int ncols = sqlite3_column_count(stmt);
    if (out != nullptr) {
      out->columns.clear();
      out->rows.clear();
      for (int c = 0; c < ncols; ++c) out->columns.emplace_back(sqlite3_column_name(stmt, c));
    }
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return std::unexpected(map_error(db_, rc, "statement failed"));
      if (out == nullptr) continue;
      Row row;
      row.cols.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) row.cols.push_back(column(stmt, c));
      out->rows.push_back(std::move(row));
    }
    if (changes != nullptr) *changes = sqlite3_changes64(db_);
    return {};
  }

  // Rolls back whatever transaction is open; used on paths that cannot report errors.
  void rollback_quietly() {
    if (sqlite3_get_autocommit(db_) == 0) (void)run("ROLLBACK", {}, nullptr, nullptr);
  }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  static Value column(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER:
        return Value(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
      case SQLITE_FLOAT:
        return Value(sqlite3_column_double(stmt, c));
      case SQLITE_TEXT: {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        return Value(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
      }
      case SQLITE_BLOB: {
        auto p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, c));
        return Value(p ? std::string(p, n) : std::string());
      }
      default:
        return Value(std::monostate{});
    }
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
    if (cache_.size() >= kStatementCacheLimit) {
      for (auto& [text, stmt] : cache_) sqlite3_finalize(stmt);
      cache_.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return std::unexpected(map_error(db_, rc, "cannot prepare statement"));
    if (stmt == nullptr) return fail(ErrorCode::internal, "empty SQL statement");
    std::string rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
    if (!only_separators(rest.c_str())) {
      sqlite3_finalize(stmt);
      return fail(ErrorCode::internal, "one statement per call; use exec_script for several");
    }
    cache_.emplace(std::string(sql), stmt);
    return stmt;
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> cache_;
};

// Copies the WAL back into the database file on a thread of its own.
//
// SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1000
// pages, on the committing thread, before the commit returns: a write that happened to
// cross the line waited for the whole WAL to be copied and the file synced, and the next
// write waited behind it (measured: 2.4 s of the 4.2 s commit of a 1M-record index
// load). Here the writer connection's WAL hook only wakes this thread, which runs a
// PASSIVE checkpoint on its own connection: it takes no lock the writer or readers wait
// for (its copying and the database file's fsync do share the disk with them). Frames a
// reader still needs are left, and tried again a second later.
//
// SQLite writes the WAL from its start again only when a write transaction begins with
// everything copied. A writer that begins right after a commit, while that commit's
// frames are being copied, appends instead; back-to-back transactions (an import, a
// reindex) would grow the WAL without end. So a write transaction that begins while the
// WAL holds more than kBehindPages waits (holding the write lock, so nothing is added
// meanwhile) for the checkpoint to catch up; it then starts the WAL afresh. The wait
// falls on the next writer instead of the committer, and only past that size.
// Durability does not depend on any of this: a commit is durable once its WAL frames are
// synced.
class Checkpointer {
 public:
  static constexpr int kPages = 1000;          // SQLite's own threshold
  static constexpr int kBehindPages = 16'384;  // 64 MB of 4 KB pages

  // Opens its connection at once, so a database it cannot checkpoint fails to open
  // instead of growing its WAL unnoticed.
  static Result<std::unique_ptr<Checkpointer>> start(const std::string& path, int busy_timeout_ms) {
    std::unique_ptr<Checkpointer> c(new Checkpointer());
    TRY_STATUS(c->open(path, busy_timeout_ms));
    try {
      c->thread_ = std::thread([p = c.get()] { p->run(); });
    } catch (const std::system_error& e) {
      return fail(ErrorCode::unavailable,
                  std::string("cannot start the WAL checkpoint thread: ") + e.what());
    }
    return c;
  }

  ~Checkpointer() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    sqlite3_close_v2(db_);
  }

  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // sqlite3_wal_hook callback: runs on the writing thread after each commit.
  static int on_commit(void* self, sqlite3*, const char*, int pages) {
    if (pages >= kPages) static_cast<Checkpointer*>(self)->wake(pages);
    return SQLITE_OK;
  }

  // Called with the write lock held, before BEGIN: when the WAL has grown past
  // kBehindPages, waits (at most `timeout`) until a checkpoint pass that began after the
  // last commit has ended.
  void catch_up(std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu_);
    if (wal_pages_ < kBehindPages) return;
    const std::uint64_t want = requested_;
    done_cv_.wait_for(lk, timeout, [&] { return completed_ >= want || stop_; });
  }

 private:
  Checkpointer() = default;

  Status open(const std::string& path, int busy_timeout_ms) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK)
      return std::unexpected(map_error(db_, sqlite3_errcode(db_), "cannot open the database"));
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    // FULL: the database file is synced before the copied frames count as copied and the
    // writer may overwrite them (the build's default is FULL too; this does not rely on
    // it). A connection finds the WAL at its first read; until then a checkpoint on it
    // does nothing (and says so only by a log size of -1).
    int rc = sqlite3_exec(db_, "PRAGMA synchronous=FULL; SELECT 1 FROM sqlite_schema LIMIT 1",
                          nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
      return std::unexpected(map_error(db_, rc, "cannot read the database to checkpoint it"));
    return {};
  }

  void wake(int pages) {
    {
      std::lock_guard lk(mu_);
      wal_pages_ = pages;
      ++requested_;
    }
    cv_.notify_one();
  }

  void run() {
    bool retry = false;  // frames were left for a reader: try again in a while
    for (;;) {
      std::uint64_t pass = 0;
      {
        std::unique_lock lk(mu_);
        auto wanted = [this] { return requested_ > completed_ || stop_; };
        if (retry)
          cv_.wait_for(lk, std::chrono::seconds(1), wanted);
        else
          cv_.wait(lk, wanted);
        if (stop_) break;
        pass = requested_;
      }
      const auto t0 = std::chrono::steady_clock::now();
      int log = 0, copied = 0;
      int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        spdlog::error("event=wal_checkpoint_failed message=\"{}\"", sqlite3_errmsg(db_));
      } else if (ms >= 1000) {
        spdlog::info("event=wal_checkpoint pages={} copied={} ms={}", log, copied, ms);
      }
      // BUSY: another process's checkpoint is running; it copies the same frames.
      retry = rc == SQLITE_OK && copied < log;
      {
        std::lock_guard lk(mu_);
        completed_ = std::max(completed_, pass);
        if (rc == SQLITE_OK && copied == log && requested_ == pass) wal_pages_ = 0;
      }
      done_cv_.notify_all();
    }
  }

  sqlite3* db_ = nullptr;  // used by the thread only, once started
  std::mutex mu_;
  std::condition_variable cv_;       // work for the thread
  std::condition_variable done_cv_;  // a pass ended
  std::uint64_t requested_ = 0;      // commits that asked for a pass
  std::uint64_t completed_ = 0;      // requests the last ended pass covered
  int wal_pages_ = 0;                // the WAL's size at the last commit
  bool stop_ = false;
  std::thread thread_;
};

// State shared by the Database and every Tx it hands out, so a Tx stays valid even if
// it outlives the Database object.
struct Shared {
  ~Shared() {
    // The hook points at the checkpointer, which goes first (members in reverse order).
    if (writer) sqlite3_wal_hook(writer->handle(), nullptr, nullptr);
  }

  std::string path;
  OpenOptions options;
  std::timed_mutex writer_mu;
  std::unique_ptr<Connection> writer;
  std::unique_ptr<Checkpointer> checkpointer;  // after `writer`: stops before it closes
  std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::vector<std::unique_ptr<Connection>> idle_readers;
  int open_readers = 0;

  Result<std::unique_ptr<Connection>> acquire_reader() {
    std::unique_lock lk(pool_mu);
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
    const int limit = std::max(1, options.pool_size);
    while (idle_readers.empty() && open_readers >= limit) {
      if (pool_cv.wait_until(lk, deadline) == std::cv_status::timeout && idle_readers.empty() &&
          open_readers >= limit) {
        return fail(ErrorCode::unavailable, "all database readers are busy");
      }
    }
    if (!idle_readers.empty()) {
      auto conn = std::move(idle_readers.back());
      idle_readers.pop_back();
      return conn;
    }
    ++open_readers;
    lk.unlock();
    auto conn = Connection::open(path, Connection::Role::reader, options.busy_timeout_ms);
    if (!conn) {
      lk.lock();
      --open_readers;
      pool_cv.notify_one();
    }
    return conn;
  }

  void release_reader(std::unique_ptr<Connection> conn) {
    conn->rollback_quietly();
    {
      std::lock_guard lk(pool_mu);
      idle_readers.push_back(std::move(conn));
    }
    pool_cv.notify_one();
  }
};

class SqliteTx final : public Tx {
 public:
  // Write transaction: owns the writer lock.
  SqliteTx(std::shared_ptr<Shared> shared, std::unique_lock<std::timed_mutex> lock)
      : shared_(std::move(shared)),
        lock_(std::move(lock)),
        conn_(shared_->writer.get()),
        mode_(TxMode::write) {}
  // Read transaction: owns a pooled reader.
  SqliteTx(std::shared_ptr<Shared> shared, std::unique_ptr<Connection> reader)
      : shared_(std::move(shared)),
        reader_(std::move(reader)),
        conn_(reader_.get()),
        mode_(TxMode::read) {}

  ~SqliteTx() override {
    if (!done_) conn_->rollback_quietly();
    if (reader_) shared_->release_reader(std::move(reader_));
  }

  Result<Rows> query(std::string_view sql, const Params& params) override {
    TRY_STATUS(usable());
    Rows rows;
    TRY_STATUS(record(conn_->run(sql, params, &rows, nullptr)));
    return rows;
  }

  Result<std::int64_t> exec(std::string_view sql, const Params& params) override {
    TRY_STATUS(usable());
    std::int64_t changes = 0;
    TRY_STATUS(record(conn_->run(sql, params, nullptr, &changes)));
    return changes;
  }

  Status exec_script(std::string_view sql) override {
    TRY_STATUS(usable());
    return record(conn_->exec_script(sql));
  }

  Status commit() override {
    TRY_STATUS(usable());
    auto st = conn_->run("COMMIT", {}, nullptr, nullptr);
    if (!st) {
      failed_ = st.error();
      return st;
    }
    done_ = true;
    // The transaction is over: let the next writer in (and the reader back into the
    // pool) now, not when the caller happens to drop the Tx — code that commits and then
    // starts another write transaction would otherwise wait for itself.
    if (lock_.owns_lock()) lock_.unlock();
    if (reader_) shared_->release_reader(std::move(reader_));
    return {};
  }

  Backend backend() const override { return Backend::sqlite; }
  TxMode mode() const override { return mode_; }

 private:
  Status usable() const {
    if (done_) return std::unexpected(detail::already_finished());
    if (failed_) return std::unexpected(detail::already_failed(*failed_));
    return {};
  }
  Status record(Status st) {
    if (!st) failed_ = st.error();
    return st;
  }

  std::shared_ptr<Shared> shared_;
  std::unique_lock<std::timed_mutex> lock_;
  std::unique_ptr<Connection> reader_;
  Connection* conn_;
  TxMode mode_;
  bool done_ = false;
  std::optional<Error> failed_;
};

Status sync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return fail(ErrorCode::internal, "cannot open " + p.string() + " to sync it");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail(ErrorCode::internal, "fsync failed for " + p.string());
  return {};
}

fs::path parent_or_dot(const fs::path& p) {
  return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

Status make_parent_dir(const fs::path& p) {
  std::error_code ec;
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  if (ec)
    return fail(ErrorCode::unavailable, "cannot create directory " + p.parent_path().string());
  return {};
}

// Whether a connection has the database open. Every connection to a WAL database holds
// a shared lock on the "DMS" byte (offset 128) of the -shm file for as long as it is open
// (SQLite's WAL file format, "the wal-index locks"); asking whether an exclusive lock
// there would be granted tells without taking one. An open-file-description lock is used
// because it conflicts with SQLite's POSIX locks even inside this same process. Closing
// the probe's descriptor drops this process's own POSIX locks on the -shm file, so it is
// for a process without a connection of its own to the database (`dangan restore`).
bool in_use(const fs::path& db) {
  const std::string shm = db.string() + "-shm";
  int fd = ::open(shm.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no -shm: nobody has it open in WAL mode
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  probe.l_start = 128;
  probe.l_len = 1;
  bool used = ::fcntl(fd, F_OFD_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return used;
}

void remove_sidecars(const fs::path& db) {
  std::error_code ec;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) fs::remove(db.string() + suffix, ec);
}

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

  Result<std::unique_ptr<Tx>> begin(TxMode mode) override {
    if (mode == TxMode::write)
      return begin_write_within(std::chrono::milliseconds(shared_->options.busy_timeout_ms));
    auto reader = TRY(shared_->acquire_reader());
    if (auto st = reader->run("BEGIN", {}, nullptr, nullptr); !st) {
      shared_->release_reader(std::move(reader));
      return std::unexpected(st.error());
    }
    return std::unique_ptr<Tx>(new SqliteTx(shared_, std::move(reader)));
  }

  Result<std::unique_ptr<Tx>> begin_write_within(std::chrono::milliseconds wait) override {
    const std::chrono::milliseconds full(shared_->options.busy_timeout_ms);
    wait = std::min(wait, full);
    std::unique_lock lock(shared_->writer_mu, std::defer_lock);
    if (!lock.try_lock_for(wait)) {
      return fail(ErrorCode::unavailable, "database is busy: another write is in progress");
    }
    shared_->writer->rollback_quietly();
    shared_->checkpointer->catch_up(wait);
    // Another process's write (an import from the command line) is waited for by
    // SQLite's busy handler: as long as `wait` here.
    sqlite3* h = shared_->writer->handle();
    if (wait < full) sqlite3_busy_timeout(h, static_cast<int>(wait.count()));
    Status st = shared_->writer->run("BEGIN IMMEDIATE", {}, nullptr, nullptr);
    if (wait < full) sqlite3_busy_timeout(h, static_cast<int>(full.count()));
    TRY_STATUS(st);
    return std::unique_ptr<Tx>(new SqliteTx(shared_, std::move(lock)));
  }

  Backend backend() const override { return Backend::sqlite; }
  Result<int> migrate() override { return detail::apply_migrations(*this); }
  Result<int> schema_version() override { return detail::read_schema_version(*this); }

  Status backup(const std::string& dest) override {
    const fs::path target(dest);
    std::error_code same_ec;
    if (fs::equivalent(target, shared_->path, same_ec)) {
      return invalid("dest", "backup destination is the live database");
    }
    TRY_STATUS(make_parent_dir(target));
    const fs::path tmp = target.string() + ".tmp";
    std::error_code ec;
    fs::remove(tmp, ec);
    remove_sidecars(tmp);
    auto reader = TRY(shared_->acquire_reader());
    Status st = copy_into(reader->handle(), tmp);
    shared_->release_reader(std::move(reader));
    if (!st) {
      fs::remove(tmp, ec);
      return st;
    }
    TRY_STATUS(sync_path(tmp, false));
    fs::rename(tmp, target, ec);
    if (ec) return fail(ErrorCode::internal, "cannot move backup into place: " + ec.message());
    return sync_path(parent_or_dot(target), true);
  }

  Status ping() override {
    auto tx = TRY(begin(TxMode::read));
    TRY(tx->query("SELECT 1"));
    return {};
  }

  std::string describe() const override { return "sqlite:" + shared_->path; }

 private:
  // One backup step over all pages runs inside a single read transaction of `src`, so
  // the copy is one consistent snapshot while the writer goes on committing.
  static Status copy_into(sqlite3* src, const fs::path& tmp) {
    sqlite3* dst = nullptr;
    int rc =
        sqlite3_open_v2(tmp.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
      Error e = map_error(dst, rc, "cannot create backup file");
      sqlite3_close_v2(dst);
      return std::unexpected(e);
    }
    sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == nullptr) {
      Error e = map_error(dst, sqlite3_extended_errcode(dst), "backup failed");
      sqlite3_close_v2(dst);
      return std::unexpected(e);
    }
    rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    Status st;
    if (rc != SQLITE_DONE) st = std::unexpected(map_error(dst, rc, "backup failed"));
    // Leave the copy self-contained: no WAL next to it that a file copy could miss.
    if (st) sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    sqlite3_close_v2(dst);
    return st;
  }

  std::shared_ptr<Shared> shared_;
};

}  // namespace

Result<std::unique_ptr<Database>> open(const std::string& path, const OpenOptions& options) {
  if (path.empty()) return invalid("database_url", "sqlite: needs a file path");
  if (!options.create) {
    std::error_code ec;
    if (!fs::exists(fs::path(path), ec)) {
      return fail(ErrorCode::not_found,
                  "no database at " + path + " (dangan serve or dangan migrate creates one)",
                  "database");
    }
  }
  TRY_STATUS(make_parent_dir(fs::path(path)));
  auto shared = std::make_shared<Shared>();
  shared->path = path;
  shared->options = options;
  shared->writer = TRY(Connection::open(path, Connection::Role::writer, options.busy_timeout_ms));
  // Replaces SQLite's automatic checkpoint, which is itself a WAL hook.
  shared->checkpointer = TRY(Checkpointer::start(path, options.busy_timeout_ms));
  sqlite3_wal_hook(shared->writer->handle(), &Checkpointer::on_commit, shared->checkpointer.get());
  return std::unique_ptr<Database>(new SqliteDatabase(std::move(shared)));
}

Status restore(const std::string& path, const std::string& src) {
  std::error_code ec;
  if (!fs::is_regular_file(src, ec)) return invalid("src", "backup file not found");
  // A process with the database open keeps writing to the file it opened, which the
  // rename below would unlink: everything it wrote after the restore would be lost.
  if (in_use(path)) {
    return fail(ErrorCode::conflict,
                "the database is open in another program (stop the server before restoring)",
                "database");
  }
  // An empty file would pass quick_check as an empty database and wipe the data.
  {
    char header[16] = {};
    std::ifstream in(src, std::ios::binary);
    in.read(header, sizeof header);
    if (!in ||
        std::string_view(header, sizeof header) != std::string_view("SQLite format 3\0", 16)) {
      return invalid("src", "backup file is not a valid SQLite database");
    }
  }
  const fs::path target(path);
  TRY_STATUS(make_parent_dir(target));
  // Copy first and check the copy, so what is installed is exactly what was checked.
  const fs::path tmp = target.string() + ".restore-tmp";
  remove_sidecars(tmp);
  fs::copy_file(src, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) return fail(ErrorCode::internal, "cannot copy backup: " + ec.message());
  {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(tmp.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    std::string verdict;
    if (rc == SQLITE_OK) {
      sqlite3_exec(
          db, "PRAGMA quick_check",
          [](void* out, int n, char** vals, char**) {
            if (n > 0 && vals[0] != nullptr && static_cast<std::string*>(out)->empty()) {
              *static_cast<std::string*>(out) = vals[0];
            }
            return 0;
          },
          &verdict, nullptr);
    }
    sqlite3_close_v2(db);
    if (verdict != "ok") {
      fs::remove(tmp, ec);
      remove_sidecars(tmp);
      return invalid("src", "backup file is not a valid SQLite database");
    }
  }
  TRY_STATUS(sync_path(tmp, false));
  // A WAL left from the old database would be replayed onto the restored one; it goes
  // before the new file takes the name.
  remove_sidecars(target);
  fs::rename(tmp, target, ec);
  if (ec) return fail(ErrorCode::internal, "cannot move restored database into place");
  return sync_path(parent_or_dot(target), true);
}

}  // namespace dangan::store::sqlite
