// pg_tools.h — PostgreSQL helpers that need no connection: running pg_dump/pg_restore
// as child processes. The password travels in the child's environment (PGPASSWORD),
// never on its command line, where `ps` would show it.
#pragma once
#include <string>

#include "core/result.h"

namespace dangan::store::postgres {

// pg_dump --format=custom of the database at `url` into the file `dest` (written to
// dest.tmp, then renamed, so a failed dump never replaces a good one).
Status dump_database(const std::string& url, const std::string& dest);

}  // namespace dangan::store::postgres
