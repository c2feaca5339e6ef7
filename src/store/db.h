// db.h — the one storage interface, with an SQLite and a PostgreSQL adapter.
//
// Domain modules write portable SQL with `?` placeholders; the PostgreSQL adapter
// rewrites them to $1, $2 … Values are NULL, 64-bit integers, doubles or UTF-8 text
// (timestamps are ISO 8601 UTC text, booleans 0/1, JSON documents text).
//
// Invariants:
//  - a Tx that is destroyed without commit() rolls back;
//  - commit() returns success only when the backend reported the commit durable
//    (SQLite WAL with synchronous=FULL; PostgreSQL after its WAL flush);
//  - a unique-constraint violation surfaces as ErrorCode::conflict, a busy or lost
//    connection as ErrorCode::unavailable, anything else as ErrorCode::internal with a
//    message that never contains parameter values (they may be personal data).
//  - write transactions are serialised on SQLite (BEGIN IMMEDIATE, one writer); on
//    PostgreSQL they run READ COMMITTED and take explicit locks where a rule needs it.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace dangan::store {

using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
using Params = std::vector<Value>;

inline Value null_value() { return std::monostate{}; }
// Maps an empty optional to NULL.
template <class T>
Value opt(const std::optional<T>& v) {
  if (!v) return std::monostate{};
  return Value(*v);
}
// The list of an `IN` for `ids` ("(?,?,?)"), their values appended to `p`:
// "WHERE id IN " + in_ids(ids, p). No ids give "(NULL)", which matches nothing.
template <class Ids>
std::string in_ids(const Ids& ids, Params& p) {
  std::string marks;
  for (auto id : ids) {
    marks += marks.empty() ? "?" : ",?";
    p.emplace_back(static_cast<std::int64_t>(id));
  }
  return marks.empty() ? "(NULL)" : "(" + marks + ")";
}

struct Row {
  std::vector<Value> cols;
  bool is_null(std::size_t i) const { return std::holds_alternative<std::monostate>(cols.at(i)); }
  std::int64_t i64(std::size_t i) const;  // 0 when NULL; parses text
  double f64(std::size_t i) const;        // 0 when NULL
  std::string str(std::size_t i) const;   // "" when NULL; formats numbers
  std::optional<std::string> opt_str(std::size_t i) const;
  std::optional<std::int64_t> opt_i64(std::size_t i) const;
};

struct Rows {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  bool empty() const { return rows.empty(); }
  std::size_t size() const { return rows.size(); }
  const Row& operator[](std::size_t i) const { return rows.at(i); }
  auto begin() const { return rows.begin(); }
  auto end() const { return rows.end(); }
};

enum class Backend { sqlite, postgres };
enum class TxMode { read, write };

class Tx {
 public:
  virtual ~Tx() = default;
  virtual Result<Rows> query(std::string_view sql, const Params& params = {}) = 0;
  // Runs a statement; returns the number of rows it changed.
  virtual Result<std::int64_t> exec(std::string_view sql, const Params& params = {}) = 0;
  // Runs several statements without parameters (migrations, DDL).
  virtual Status exec_script(std::string_view sql) = 0;
  virtual Status commit() = 0;
  virtual Backend backend() const = 0;
  virtual TxMode mode() const = 0;

  // Convenience: first row of a query, or not_found with `what` in the message.
  Result<Row> one(std::string_view sql, const Params& params, std::string_view what);
  Result<std::optional<Row>> maybe_one(std::string_view sql, const Params& params);
};

// Many rows in few statements: runs `head` + " VALUES (?,…),(?,…)…" + `tail` over
// `values` (rows of `width` values each, row after row), at most `max_rows` rows a
// statement. Statements hold a power of two of rows (256, 128, … 1), so a load of any size
// uses a handful of distinct SQL texts and each is prepared once per connection (both
// backends cache statements by their text). Returns what the statements' RETURNING
// clauses gave, statement after statement (no order is promised within a statement).
Result<Rows> insert_rows(Tx& tx, std::string_view head, std::size_t width, const Params& values,
                         std::string_view tail = {}, std::size_t max_rows = 256);
// The same for a query with an IN list: `head` + " (?,?,…)" + `tail`, one value a slot,
// at most `max_values` a statement; the rows of all statements.
Result<Rows> query_in(Tx& tx, std::string_view head, const Params& values,
                      std::string_view tail = {}, std::size_t max_values = 256);

struct OpenOptions {
  int pool_size = 8;           // PostgreSQL connections / SQLite readers
  int busy_timeout_ms = 5000;  // SQLite
  bool migrate = true;         // apply pending migrations on open
  bool create = true;          // SQLite: make the file when it does not exist
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Result<std::unique_ptr<Tx>> begin(TxMode mode) = 0;
  // A write transaction for work that can wait for later (a log entry): gives up with
  // `unavailable` after `wait` instead of the busy timeout when another write holds the
  // database (SQLite's one writer: a long import, in this process or another).
  virtual Result<std::unique_ptr<Tx>> begin_write_within(std::chrono::milliseconds wait) {
    (void)wait;
    return begin(TxMode::write);
  }
  virtual Backend backend() const = 0;
  // Applies the numbered migrations not yet applied; returns how many ran.
  virtual Result<int> migrate() = 0;
  virtual Result<int> schema_version() = 0;
  // Consistent online copy of the whole database to `dest` (a file path for SQLite,
  // a pg_dump custom-format file for PostgreSQL).
  virtual Status backup(const std::string& dest) = 0;
  virtual Status ping() = 0;
  // URL with any password removed, for logs.
  virtual std::string describe() const = 0;
};

// url: "sqlite:PATH" or "postgresql://…" / "postgres://…".
Result<std::unique_ptr<Database>> open(const std::string& url, const OpenOptions& options = {});
// Replaces the database at `url` with the backup at `src` (server must be stopped).
Status restore(const std::string& url, const std::string& src);

// Embedded migrations: {version, name, sql} for a backend, ordered by version.
struct Migration {
  int version;
  std::string name;
  std::string_view sql;
};
std::vector<Migration> migrations(Backend backend);

}  // namespace dangan::store
