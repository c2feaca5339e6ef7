// store_internal.h — what the two adapters share; nothing outside src/store includes this.
//
// The migration runner lives here, above the adapters, so that both backends apply the
// same files under the same rules: one transaction per migration together with its
// schema_migrations row, and (PostgreSQL) an advisory lock so that two processes
// starting at once do not both migrate.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/db.h"

namespace dangan::store::detail {

// Applies pending embedded migrations to `db`; returns how many ran.
Result<int> apply_migrations(Database& db);
// Highest applied migration version, 0 for an empty database.
Result<int> read_schema_version(Database& db);

// Shortest text that parses back to the same double ("0.1", "1e+300", "inf").
std::string format_double(double v);
// Current UTC time as ISO 8601 with seconds, e.g. 2024-05-01T08:00:00Z.
std::string utc_now_iso8601();

// A Tx that has failed once refuses further work: PostgreSQL aborts the transaction
// on any error, and SQLite is held to the same rule so that code tested on one backend
// behaves the same on the other.
Error already_failed(const Error& first);
Error already_finished();

}  // namespace dangan::store::detail

namespace dangan::store::sqlite {
Result<std::unique_ptr<Database>> open(const std::string& path, const OpenOptions& options);
Status restore(const std::string& path, const std::string& src);
}  // namespace dangan::store::sqlite

namespace dangan::store::postgres {
Result<std::unique_ptr<Database>> open(const std::string& url, const OpenOptions& options);
Status restore(const std::string& url, const std::string& src);
// `?` → $1, $2 … outside string literals, quoted identifiers and comments; stores the
// number of placeholders in `count` when given.
std::string rewrite_placeholders(std::string_view sql, int* count = nullptr);
// The URL without its password (user:pass@ and ?password=…), for logs and child processes.
struct SplitUrl {
  std::string url;       // without the password
  std::string password;  // decoded; empty when none
};
SplitUrl split_password(std::string_view url);
}  // namespace dangan::store::postgres
