// app.h — the running server: opens the database, wires the modules' routes, serves
// the web front end, health checks and the OpenAPI document.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::app {

// Serves until SIGTERM/SIGINT; returns the process exit code.
int serve(const Config& config);
// `create` false: a SQLite file that does not exist is an error (commands that only read
// or change existing data), so a mistyped path does not quietly start an empty database.
Result<std::unique_ptr<store::Database>> open_database(const Config& config, bool migrate,
                                                      bool create = true);
// Loads the demo data set (about 200 patrons, staff accounts) unless already loaded.
// Returns the admin password it set, or empty when the demo was already there.
Result<std::string> load_demo(store::Database& db, const Config& config);
// The demo catalogue (called by load_demo): fonds, categories, schemes, a storeroom and
// about 400 records, some of them customer files of `patron_ids`.
Status load_catalogue_demo(store::Database& db, const Config& config,
                           const std::vector<std::int64_t>& patron_ids);

}  // namespace dangan::app
