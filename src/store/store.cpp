// store.cpp — backend-independent parts of the store: Row accessors, the Tx conveniences,
// URL dispatch, the embedded migration list and the migration runner.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <set>
#include <system_error>

#include "core/embedded.h"
#include "store/db.h"
#include "store/store_internal.h"

namespace dangan::store {

namespace {

std::int64_t parse_i64(std::string_view s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && ptr == s.data() + s.size()) return v;
  // Text such as "3.0" (a numeric column read as text) still has an integer meaning.
  double d = 0;
  auto [dptr, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (dec == std::errc() && std::isfinite(d)) return static_cast<std::int64_t>(d);
  return 0;
}

double parse_f64(std::string_view s) {
  double d = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  return ec == std::errc() ? d : 0.0;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::int64_t Row::i64(std::size_t i) const {
  const Value& v = cols.at(i);
  if (auto p = std::get_if<std::int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v))
    return std::isfinite(*p) ? static_cast<std::int64_t>(*p) : 0;
  if (auto p = std::get_if<std::string>(&v)) return parse_i64(*p);
  return 0;
}

double Row::f64(std::size_t i) const {
  const Value& v = cols.at(i);
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
  if (auto p = std::get_if<std::string>(&v)) return parse_f64(*p);
  return 0.0;
}

std::string Row::str(std::size_t i) const {
  const Value& v = cols.at(i);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return detail::format_double(*p);
  return {};
}

std::optional<std::string> Row::opt_str(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return str(i);
}

std::optional<std::int64_t> Row::opt_i64(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return i64(i);
}

Result<Row> Tx::one(std::string_view sql, const Params& params, std::string_view what) {
  auto row = TRY(maybe_one(sql, params));
  if (!row) return not_found(std::string(what) + " not found");
  return std::move(*row);
}

Result<std::optional<Row>> Tx::maybe_one(std::string_view sql, const Params& params) {
  Rows rows = TRY(query(sql, params));
  if (rows.rows.empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows.rows.front()));
}

namespace {

// The largest power of two that is at most `n` and at most `cap` (cap >= 1).
std::size_t chunk_of(std::size_t n, std::size_t cap) {
  std::size_t c = 1;
  while (c * 2 <= n && c * 2 <= cap) c *= 2;
  return c;
}

Status append_rows(Rows& into, Rows&& from) {
  if (into.columns.empty()) into.columns = std::move(from.columns);
  for (auto& r : from.rows) into.rows.push_back(std::move(r));
  return {};
}

}  // namespace

Result<Rows> insert_rows(Tx& tx, std::string_view head, std::size_t width, const Params& values,
                         std::string_view tail, std::size_t max_rows) {
  Rows out;
  if (width == 0 || values.size() % width != 0)
    return fail(ErrorCode::internal, "insert_rows: the values are not whole rows");
  std::string one = "(";
  for (std::size_t i = 0; i < width; ++i) one += i ? ",?" : "?";
  one += ")";
  const std::size_t rows = values.size() / width;
  std::size_t at = 0;
  while (at < rows) {
    std::size_t n = chunk_of(rows - at, std::max<std::size_t>(1, max_rows));
    std::string sql(head);
    sql += " VALUES ";
    for (std::size_t i = 0; i < n; ++i) {
      if (i) sql += ",";
      sql += one;
    }
    if (!tail.empty()) sql += " ", sql += tail;
    Params p(values.begin() + static_cast<std::ptrdiff_t>(at * width),
             values.begin() + static_cast<std::ptrdiff_t>((at + n) * width));
    TRY_STATUS(append_rows(out, TRY(tx.query(sql, p))));
    at += n;
  }
  return out;
}

Result<Rows> query_in(Tx& tx, std::string_view head, const Params& values, std::string_view tail,
                      std::size_t max_values) {
  Rows out;
  std::size_t at = 0;
  while (at < values.size()) {
    std::size_t n = chunk_of(values.size() - at, std::max<std::size_t>(1, max_values));
    std::string sql(head);
    sql += " (";
    for (std::size_t i = 0; i < n; ++i) sql += i ? ",?" : "?";
    sql += ")";
    if (!tail.empty()) sql += " ", sql += tail;
    Params p(values.begin() + static_cast<std::ptrdiff_t>(at),
             values.begin() + static_cast<std::ptrdiff_t>(at + n));
    TRY_STATUS(append_rows(out, TRY(tx.query(sql, p))));
    at += n;
  }
  return out;
}

Result<std::unique_ptr<Database>> open(const std::string& url, const OpenOptions& options) {
  std::unique_ptr<Database> db;
  if (starts_with(url, "sqlite:")) {
    db = TRY(sqlite::open(url.substr(7), options));
  } else if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    db = TRY(postgres::open(url, options));
  } else {
    // The URL itself is not echoed: it may hold a password.
    return invalid("database_url", "unsupported database URL; use sqlite:PATH or postgresql://...");
  }
  if (options.migrate) TRY(db->migrate());
  return db;
}

Status restore(const std::string& url, const std::string& src) {
  if (starts_with(url, "sqlite:")) return sqlite::restore(url.substr(7), src);
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    return postgres::restore(url, src);
  }
  return invalid("database_url", "unsupported database URL; use sqlite:PATH or postgresql://...");
}

std::vector<Migration> migrations(Backend backend) {
  const std::string_view dir = backend == Backend::sqlite ? "sqlite/" : "postgres/";
  std::vector<Migration> out;
  for (const EmbeddedFile& f : dangan_migration_files()) {
    std::string_view path = f.path;
    if (!starts_with(path, dir)) continue;
    std::string_view file = path.substr(dir.size());
    // Only NNNN_name.sql directly in the backend's folder is a migration.
    if (file.find('/') != std::string_view::npos || file.size() < 5 ||
        file.substr(file.size() - 4) != ".sql") {
      continue;
    }
    file.remove_suffix(4);
    int version = 0;
    auto [ptr, ec] = std::from_chars(file.data(), file.data() + file.size(), version);
    if (ec != std::errc() || ptr == file.data() || version <= 0) continue;
    std::string_view name = file.substr(static_cast<std::size_t>(ptr - file.data()));
    if (!name.empty() && (name.front() == '_' || name.front() == '-')) name.remove_prefix(1);
    out.push_back(Migration{version, std::string(name), f.data});
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

namespace detail {

std::string format_double(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "0";
  return std::string(buf, ptr);
}

std::string utc_now_iso8601() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Error already_failed(const Error& first) {
  return Error{first.code, "transaction rolled back after an earlier error: " + first.message,
               first.field};
}

Error already_finished() {
  return Error{ErrorCode::internal, "transaction already committed or rolled back", {}};
}

namespace {

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)";

// Serialises migrators across processes on PostgreSQL; released at commit or rollback.
// On SQLite BEGIN IMMEDIATE already admits one writer at a time.
Status lock_migrations(Tx& tx) {
  if (tx.backend() != Backend::postgres) return {};
  TRY(tx.query("SELECT pg_advisory_xact_lock(7228116300219350351)"));
  return {};
}

Result<bool> migrations_table_exists(Tx& tx) {
  const char* sql = tx.backend() == Backend::sqlite
                        ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
                        : "SELECT 1 WHERE to_regclass(?) IS NOT NULL";
  auto row = TRY(tx.maybe_one(sql, {std::string("schema_migrations")}));
  return row.has_value();
}

}  // namespace

Result<int> apply_migrations(Database& db) {
  std::vector<Migration> list = migrations(db.backend());
  std::set<int> versions;
  for (const Migration& m : list) {
    if (!versions.insert(m.version).second) {
      return fail(ErrorCode::internal,
                  "two embedded migrations share version " + std::to_string(m.version));
    }
  }
  {
    auto tx = TRY(db.begin(TxMode::write));
    TRY_STATUS(lock_migrations(*tx));
    TRY_STATUS(tx->exec_script(kCreateMigrationsTable));
    TRY_STATUS(tx->commit());
  }
  std::set<int> applied;
  {
    auto tx = TRY(db.begin(TxMode::read));
    Rows rows = TRY(tx->query("SELECT version FROM schema_migrations"));
    for (const Row& r : rows) applied.insert(static_cast<int>(r.i64(0)));
  }
  int ran = 0;
  for (const Migration& m : list) {
    if (applied.contains(m.version)) continue;
    auto tx = TRY(db.begin(TxMode::write));
    TRY_STATUS(lock_migrations(*tx));
    // Another process may have applied it between our read and our lock.
    auto done = TRY(tx->maybe_one("SELECT 1 FROM schema_migrations WHERE version = ?",
                                  {std::int64_t{m.version}}));
    if (done) continue;
    if (auto st = tx->exec_script(m.sql); !st) {
      return fail(st.error().code, "migration " + std::to_string(m.version) + "_" + m.name +
                                       " failed: " + st.error().message);
    }
    TRY(tx->exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                 {std::int64_t{m.version}, m.name, utc_now_iso8601()}));
    TRY_STATUS(tx->commit());
    ++ran;
  }
  return ran;
}

Result<int> read_schema_version(Database& db) {
  auto tx = TRY(db.begin(TxMode::read));
  if (!TRY(migrations_table_exists(*tx))) return 0;
  auto row =
      TRY(tx->one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}, "schema version"));
  return static_cast<int>(row.i64(0));
}

}  // namespace detail

}  // namespace dangan::store
