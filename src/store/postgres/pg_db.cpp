// pg_db.cpp — the PostgreSQL adapter (libpqxx 6.4).
//
// A pool of up to options.pool_size connections, opened on first need. A Tx holds one
// connection for its life: write transactions are READ COMMITTED, read transactions
// REPEATABLE READ READ ONLY, so that a read Tx sees one snapshot, as it does on SQLite
// (read-only transactions never fail serialisation at that level). Statements are
// prepared once per connection and cached by their SQL text, with `?` rewritten to $n.
// A connection that reports itself broken is dropped when its Tx ends; begin() retries
// once on a fresh connection, which is what a server restart between requests needs.
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>
#include <unordered_map>

#include "store/db.h"
#include "store/postgres/pg_tools.h"
#include "store/store_internal.h"

namespace dangan::store::postgres {

namespace {

// Past this many distinct statements on one connection, further ones run unnamed
// (exec_params) instead of growing the server's prepared-statement memory.
constexpr std::size_t kStatementCacheLimit = 256;

// Type OIDs from pg_type.dat; stable across PostgreSQL versions.
constexpr pqxx::oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701,
                    kNumeric = 1700;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

std::string first_line(const char* what) {
  std::string_view s(what);
  if (s.substr(0, 6) == "ERROR:") s.remove_prefix(6);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return std::string(s.substr(0, std::min(s.find('\n'), std::size_t{300})));
}

// Server messages of these SQLSTATE classes name objects (tables, columns, constraints)
// but not values; class 22 (data exceptions), DETAIL lines and RAISE messages can quote
// the data itself, so they are never passed on.
bool message_is_safe(const std::string& sqlstate) {
  static constexpr std::string_view kSafe[] = {"08", "0A", "23", "25", "3D", "3F",
                                               "40", "42", "53", "55", "57"};
  for (auto c : kSafe) {
    if (sqlstate.compare(0, 2, c) == 0) return true;
  }
  return false;
}

Error from_sqlstate(const std::string& sqlstate, const char* what) {
  std::string detail = message_is_safe(sqlstate) ? ": " + first_line(what) : "";
  if (sqlstate == "23505") return Error{ErrorCode::conflict, first_line(what), {}};
  if (sqlstate == "08P01") {  // protocol violation: a bug on our side, not an outage
    return Error{ErrorCode::internal, "database error (SQLSTATE 08P01)" + detail, {}};
  }
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014" ||
      sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate.starts_with("57P")) {
    return Error{ErrorCode::unavailable, "database busy (SQLSTATE " + sqlstate + ")" + detail, {}};
  }
  return Error{ErrorCode::internal, "database error (SQLSTATE " + sqlstate + ")" + detail, {}};
}

// Turns the exception in flight into an Error; sets `broken` when the connection must
// not be reused.
Error current_error(bool& broken) {
  try {
    throw;
  } catch (const pqxx::in_doubt_error&) {
    broken = true;
    return Error{ErrorCode::unavailable,
                 "connection lost during commit; the change may or may not have been saved",
                 {}};
  } catch (const pqxx::broken_connection& e) {
    broken = true;
    return Error{
        ErrorCode::unavailable, "PostgreSQL connection failed: " + first_line(e.what()), {}};
  } catch (const pqxx::serialization_failure&) {
    return Error{ErrorCode::unavailable, "database busy (serialization failure)", {}};
  } catch (const pqxx::deadlock_detected&) {
    return Error{ErrorCode::unavailable, "database busy (deadlock)", {}};
  } catch (const pqxx::transaction_rollback&) {
    return Error{ErrorCode::unavailable, "database busy (transaction rolled back)", {}};
  } catch (const pqxx::sql_error& e) {
    return from_sqlstate(e.sqlstate(), e.what());
  } catch (const pqxx::usage_error& e) {
    return Error{ErrorCode::internal, std::string("database usage error: ") + e.what(), {}};
  } catch (const std::invalid_argument& e) {
    return Error{ErrorCode::internal, e.what(), {}};  // ours: names no value
  } catch (const std::exception&) {
    return Error{ErrorCode::internal, "database error", {}};
  }
}

struct Statement {
  std::string name;  // empty: not prepared, run `sql` unnamed
  std::string sql;   // with $n placeholders
  int params = 0;
};

struct Connection {
  std::unique_ptr<pqxx::connection> conn;
  // Declared after `conn` so it is destroyed (and unregistered) first. Server notices
  // ("table does not exist, skipping") would otherwise go to stderr unstructured.
  std::unique_ptr<pqxx::quiet_errorhandler> quiet;
  std::unordered_map<std::string, Statement, StringHash, std::equal_to<>> statements;
  int next_statement = 0;
  bool broken = false;

  // The prepared statement for `sql`, prepared on first use while the cache has room.
  Statement statement(std::string_view sql) {
    if (auto it = statements.find(sql); it != statements.end()) return it->second;
    Statement st;
    st.sql = rewrite_placeholders(sql, &st.params);
    if (statements.size() >= kStatementCacheLimit) return st;
    st.name = "s" + std::to_string(++next_statement);
    conn->prepare(st.name, st.sql);
    statements.emplace(std::string(sql), st);
    return st;
  }

  void forget(std::string_view sql) {
    if (auto it = statements.find(sql); it != statements.end()) statements.erase(it);
  }
};

std::string with_connect_timeout(const std::string& url) {
  if (url.find("connect_timeout=") != std::string::npos) return url;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=10";
}

struct Shared {
  std::string url;
  std::string described;
  OpenOptions options;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<Connection>> idle;
  int open_count = 0;

  Result<std::unique_ptr<Connection>> connect() {
    auto c = std::make_unique<Connection>();
    try {
      c->conn = std::make_unique<pqxx::connection>(url);
      c->quiet = std::make_unique<pqxx::quiet_errorhandler>(*c->conn);
      c->conn->set_client_encoding("UTF8");
      // Write transactions are READ COMMITTED (db.h) even where the server's default
      // says otherwise; pqxx's plain BEGIN would inherit that default.
      c->conn->set_variable("default_transaction_isolation", "'read committed'");
    } catch (...) {
      bool broken = false;
      Error e = current_error(broken);
      e.code = ErrorCode::unavailable;
      return std::unexpected(e);
    }
    return c;
  }

  Result<std::unique_ptr<Connection>> acquire() {
    std::unique_lock lk(mu);
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
    const int limit = std::max(1, options.pool_size);
    while (idle.empty() && open_count >= limit) {
      if (cv.wait_until(lk, deadline) == std::cv_status::timeout && idle.empty() &&
          open_count >= limit) {
        return fail(ErrorCode::unavailable, "all database connections are busy");
      }
    }
    if (!idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      return c;
    }
    ++open_count;
    lk.unlock();
    auto c = connect();
    if (!c) {
      lk.lock();
      --open_count;
      cv.notify_one();
    }
    return c;
  }

  void release(std::unique_ptr<Connection> c) {
    bool keep = !c->broken && c->conn && c->conn->is_open();
    if (!keep) c.reset();  // closes outside the lock
    {
      std::lock_guard lk(mu);
      if (keep) {
        idle.push_back(std::move(c));
      } else {
        --open_count;
      }
    }
    cv.notify_one();
  }
};

using ReadTransaction = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

Value column(const pqxx::field& f, pqxx::oid type) {
  if (f.is_null()) return std::monostate{};
  std::string_view s(f.c_str(), f.size());
  switch (type) {
    case kInt2:
    case kInt4:
    case kInt8: {
      std::int64_t v = 0;
      std::from_chars(s.data(), s.data() + s.size(), v);
      return v;
    }
    case kFloat4:
    case kFloat8:
    case kNumeric: {
      double v = 0;
      std::from_chars(s.data(), s.data() + s.size(), v);
      return v;
    }
    case kBool:
      return std::int64_t{s == "t" ? 1 : 0};
    default:
      return std::string(s);
  }
}

class PgTx final : public Tx {
 public:
  PgTx(std::shared_ptr<Shared> shared, std::unique_ptr<Connection> conn,
       std::unique_ptr<pqxx::dbtransaction> tx, TxMode mode)
      : shared_(std::move(shared)), conn_(std::move(conn)), tx_(std::move(tx)), mode_(mode) {}

  ~PgTx() override {
    tx_.reset();  // rolls back unless committed; pqxx swallows errors here
    if (conn_) shared_->release(std::move(conn_));
  }

  Result<Rows> query(std::string_view sql, const Params& params) override {
    TRY_STATUS(usable());
    try {
      pqxx::result r = run(sql, params);
      Rows rows;
      const auto ncols = r.columns();
      std::vector<pqxx::oid> types(ncols);
      for (pqxx::row::size_type c = 0; c < ncols; ++c) {
        rows.columns.emplace_back(r.column_name(c));
        types[c] = r.column_type(c);
      }
      rows.rows.reserve(r.size());
      for (const auto& pr : r) {
        Row row;
        row.cols.reserve(ncols);
        for (pqxx::row::size_type c = 0; c < ncols; ++c)
          row.cols.push_back(column(pr[c], types[c]));
        rows.rows.push_back(std::move(row));
      }
      return rows;
    } catch (...) {
      return std::unexpected(record(sql));
    }
  }

  Result<std::int64_t> exec(std::string_view sql, const Params& params) override {
    TRY_STATUS(usable());
    try {
      return static_cast<std::int64_t>(run(sql, params).affected_rows());
    } catch (...) {
      return std::unexpected(record(sql));
    }
  }

  Status exec_script(std::string_view sql) override {
    TRY_STATUS(usable());
    try {
      tx_->exec(std::string(sql));  // simple protocol: several statements are allowed
      return {};
    } catch (...) {
      return std::unexpected(record({}));
    }
  }

  Status commit() override {
    TRY_STATUS(usable());
    try {
      tx_->commit();
      done_ = true;
      // The connection goes back to the pool now, not when the caller drops the Tx.
      tx_.reset();
      shared_->release(std::move(conn_));
      return {};
    } catch (...) {
      return std::unexpected(record({}));
    }
  }

  Backend backend() const override { return Backend::postgres; }
  TxMode mode() const override { return mode_; }

 private:
  pqxx::result run(std::string_view sql, const Params& params) {
    Statement st = conn_->statement(sql);
    // Checked here because the server calls a count mismatch a protocol violation.
    if (st.params != static_cast<int>(params.size())) {
      throw std::invalid_argument("statement expects " + std::to_string(st.params) +
                                  " parameters, got " + std::to_string(params.size()));
    }
    std::vector<std::string> text(params.size());
    std::vector<const char*> ptrs(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (auto p = std::get_if<std::int64_t>(&v)) {
        text[i] = std::to_string(*p);
      } else if (auto p = std::get_if<double>(&v)) {
        text[i] = detail::format_double(*p);
      } else if (auto p = std::get_if<std::string>(&v)) {
        text[i] = *p;
      } else {
        continue;  // NULL stays a null pointer
      }
      ptrs[i] = text[i].c_str();
    }
    auto dyn = pqxx::prepare::make_dynamic_params(ptrs);
    if (!st.name.empty()) return tx_->exec_prepared(st.name, dyn);
    return tx_->exec_params(st.sql, dyn);
  }

  Status usable() const {
    if (done_) return std::unexpected(detail::already_finished());
    if (failed_) return std::unexpected(detail::already_failed(*failed_));
    return {};
  }

  // Called inside a catch block: the server has aborted the transaction, so every
  // later call fails too (see detail::already_failed).
  Error record(std::string_view sql) {
    Error e = current_error(conn_->broken);
    // A cached plan whose tables changed shape cannot be used again.
    if (!sql.empty() && (e.message.find("0A000") != std::string::npos ||
                         e.message.find("26000") != std::string::npos)) {
      conn_->forget(sql);
    }
    failed_ = e;
    return e;
  }

  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<pqxx::dbtransaction> tx_;
  TxMode mode_;
  bool done_ = false;
  std::optional<Error> failed_;
};

class PgDatabase final : public Database {
 public:
  explicit PgDatabase(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

  Result<std::unique_ptr<Tx>> begin(TxMode mode) override {
    for (int attempt = 0;; ++attempt) {
      auto conn = TRY(shared_->acquire());
      try {
        // pqxx sends BEGIN here, so a dead connection shows itself now, not mid-Tx.
        std::unique_ptr<pqxx::dbtransaction> tx;
        if (mode == TxMode::write) {
          tx = std::make_unique<pqxx::work>(*conn->conn);
        } else {
          tx = std::make_unique<ReadTransaction>(*conn->conn);
        }
        return std::unique_ptr<Tx>(new PgTx(shared_, std::move(conn), std::move(tx), mode));
      } catch (...) {
        Error e = current_error(conn->broken);
        bool retry = conn->broken && attempt == 0;
        shared_->release(std::move(conn));
        if (!retry) return std::unexpected(e);
      }
    }
  }

  Backend backend() const override { return Backend::postgres; }
  Result<int> migrate() override { return detail::apply_migrations(*this); }
  Result<int> schema_version() override { return detail::read_schema_version(*this); }
  Status backup(const std::string& dest) override { return dump_database(shared_->url, dest); }

  Status ping() override {
    auto tx = TRY(begin(TxMode::read));
    TRY(tx->query("SELECT 1"));
    return {};
  }

  std::string describe() const override { return shared_->described; }

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace

Result<std::unique_ptr<Database>> open(const std::string& url, const OpenOptions& options) {
  auto shared = std::make_shared<Shared>();
  shared->url = with_connect_timeout(url);
  shared->described = split_password(url).url;
  shared->options = options;
  // Connect once now, so a wrong URL or a server that is down fails at start.
  auto first = TRY(shared->connect());
  {
    std::lock_guard lk(shared->mu);
    ++shared->open_count;
  }
  shared->release(std::move(first));
  return std::unique_ptr<Database>(new PgDatabase(std::move(shared)));
}

}  // namespace dangan::store::postgres
