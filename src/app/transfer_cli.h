// transfer_cli.h — `dangan import records` and `dangan export records`: the transfer
// module from the command line, with a progress bar on standard error (plain lines when
// it is not a terminal), a summary on standard output, and exit code 0 only on success.
#pragma once
#include <cstdint>
#include <string>

#include "core/config.h"
#include "store/db.h"

namespace dangan::app {

struct ImportCommand {
  std::string file, format, mapping_file, as_user, encoding = "auto", sheet;
  bool dry_run = false, skip_existing = false;
  std::int64_t batch = 0, job = 0;
};

struct ExportCommand {
  std::string file, format, fonds, category, access_level, status, carrier, as_user;
  int year_from = 0, year_to = 0;
};

// Exit codes: 0 success; 1 the import failed or left rows out, or the export failed;
// 2 bad arguments.
int import_records(const Config& config, store::Database& db, const ImportCommand& cmd);
int export_records(const Config& config, store::Database& db, const ExportCommand& cmd);

}  // namespace dangan::app
