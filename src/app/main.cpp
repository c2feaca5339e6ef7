// main.cpp — the `dangan` command: serve, migrate, demo, user, backup, restore, audit,
// fixity, import and export.
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "app/app.h"
#include "app/transfer_cli.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "catalogue/catalogue.h"
#include "catalogue/attachments.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "store/db.h"

using namespace dangan;

namespace {

int fail_with(const Error& e) {
  std::cerr << "dangan: " << e.message;
  if (!e.field.empty()) std::cerr << " (" << e.field << ")";
  std::cerr << "\n";
  return e.code == ErrorCode::invalid ? 2 : 1;
}

std::string read_password() {
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives every thread that allocates its own arena; with a worker pool that
  // fragments into hundreds of megabytes. A few arenas keep RSS flat at the same speed.
  mallopt(M_ARENA_MAX, 4);
  crypto::init();
  CLI::App cli{"dangan — patron-relationship management for archives and libraries"};
  cli.require_subcommand(1);
  cli.fallthrough();  // --config and --log-level work before or after the subcommand
  std::string config_file, database, listen, log_level;
  cli.add_option("--config", config_file, "TOML configuration file");
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  auto db_option = [&](CLI::App* sub) {
    sub->add_option("--database", database,
                    "sqlite:PATH or postgresql://… (default sqlite:./data/dangan.db)");
  };

  auto* serve = cli.add_subcommand("serve", "serve the web console, portal and API");
  db_option(serve);
  serve->add_option("--listen", listen, "HOST:PORT (default 127.0.0.1:8080)");
  auto* migrate = cli.add_subcommand("migrate", "apply pending schema migrations");
  db_option(migrate);
  auto* demo = cli.add_subcommand("demo", "load the demo data set once (patrons, staff accounts)");
  db_option(demo);

  auto* user = cli.add_subcommand("user", "staff and portal accounts");
  user->require_subcommand(1);
  std::string username, role, display_name;
  std::int64_t patron_id = 0, unit_id = 0;
  auto* user_add =
      user->add_subcommand("add", "add an account; the password is read from standard input");
  user_add->add_option("name", username, "username")->required();
  user_add
      ->add_option("--role", role,
                   "administrator, archivist, agent, manager, analyst, auditor, patron")
      ->required();
  user_add->add_option("--display-name", display_name, "shown in the console");
  user_add->add_option("--patron", patron_id, "for --role patron: the patron id");
  user_add->add_option("--unit", unit_id, "unit id");
  db_option(user_add);
  auto* user_list = user->add_subcommand("list", "list accounts");
  db_option(user_list);
  auto* user_disable = user->add_subcommand("disable", "disable an account and end its sessions");
  user_disable->add_option("name", username, "username")->required();
  db_option(user_disable);

  std::string path;
  auto* backup = cli.add_subcommand("backup", "consistent online backup to a file");
  backup->add_option("dest", path, "backup file")->required();
  db_option(backup);
  auto* restore =
      cli.add_subcommand("restore", "replace the database with a backup (server stopped)");
  restore->add_option("src", path, "backup file")->required();
  db_option(restore);

  auto* audit_cmd = cli.add_subcommand("audit", "the audit trail");
  audit_cmd->require_subcommand(1);
  auto* verify = audit_cmd->add_subcommand("verify", "check the hash chain; exits 1 when broken");
  db_option(verify);

  auto* reindex = cli.add_subcommand("reindex", "rebuild the search index from the catalogue");
  db_option(reindex);
  auto* fixity = cli.add_subcommand(
      "fixity", "re-hash attachment content, repair a bad copy from the replica, report");
  bool fixity_all = false;
  int fixity_days = 30;
  auto* fixity_all_flag = fixity->add_flag("--all", fixity_all, "check every blob");
  fixity
      ->add_option("--older-than", fixity_days,
                   "check blobs not checked for DAYS days, and new ones (default 30)")
      ->check(CLI::Range(0, 36500))
      ->excludes(fixity_all_flag);
  db_option(fixity);

  // Bulk import and export of catalogue records (src/transfer).
  auto* import_cmd = cli.add_subcommand("import", "bulk import");
  import_cmd->require_subcommand(1);
  app::ImportCommand imp;
  auto* import_records = import_cmd->add_subcommand(
      "records", "import catalogue records from CSV, XLSX, JSON or NDJSON");
  import_records->add_option("file", imp.file, "the file")->required();
  import_records->add_option("--format", imp.format,
                             "csv, xlsx, json, ndjson (default: by extension)");
  import_records->add_option("--mapping", imp.mapping_file,
                             "JSON: {\"columns\": {\"header\": \"field\"}, \"defaults\": {…}}");
  import_records->add_flag("--dry-run", imp.dry_run, "check every row, write nothing");
  import_records->add_option("--batch", imp.batch,
                             "commit every N rows (resumable) instead of all or nothing");
  import_records->add_option("--job", imp.job, "continue this batch job after its last batch");
  import_records->add_flag("--skip-existing", imp.skip_existing,
                           "skip rows whose reference code is taken instead of failing them");
  import_records->add_option("--encoding", imp.encoding, "CSV: auto, utf-8, gb18030, utf-16le");
  import_records->add_option("--sheet", imp.sheet, "XLSX: the sheet's name (default: the first)");
  import_records->add_option("--as", imp.as_user, "act as this account (default: the system)");
  db_option(import_records);

  auto* export_cmd = cli.add_subcommand("export", "bulk export");
  export_cmd->require_subcommand(1);
  app::ExportCommand exp;
  auto* export_records = export_cmd->add_subcommand(
      "records", "export catalogue records as CSV, XLSX, JSON, NDJSON or Dublin Core XML");
  export_records->add_option("file", exp.file, "the file (- for standard output)")->required();
  export_records->add_option("--format", exp.format,
                             "csv, xlsx, json, ndjson, dc (default: by extension)");
  export_records->add_option("--fonds", exp.fonds, "fonds code");
  export_records->add_option("--category", exp.category, "category code or path (WS.BG)");
  export_records->add_option("--year-from", exp.year_from, "first year");
  export_records->add_option("--year-to", exp.year_to, "last year");
  export_records->add_option("--access-level", exp.access_level, "open, controlled or secret");
  export_records->add_option("--status", exp.status, "active (default), closed, disposed, all");
  export_records->add_option("--carrier", exp.carrier, "paper, electronic, photo, audio, video");
  export_records->add_option("--as", exp.as_user, "act as this account (default: the system)");
  db_option(export_records);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  auto loaded = load_config(config_file);
  if (!loaded) return fail_with(loaded.error());
  Config config = *loaded;
  if (!database.empty()) config.database = database;
  if (!listen.empty()) config.listen = listen;
  if (!log_level.empty()) config.log_level = log_level;
  init_logging(config.log_level);

  try {
    if (serve->parsed()) return app::serve(config);
    if (restore->parsed()) {
      if (auto s = store::restore(config.database, path); !s) return fail_with(s.error());
      std::cout << "restored " << path << "\n";
      return 0;
    }
    // Only these may start a new database; the others work on data that must exist.
    const bool may_create = migrate->parsed() || demo->parsed() || user_add->parsed() ||
                            import_records->parsed();
    auto db = app::open_database(config, true, may_create);
    if (!db) return fail_with(db.error());
    if (migrate->parsed()) {
      auto v = (*db)->schema_version();
      if (!v) return fail_with(v.error());
      std::cout << "schema at version " << *v << "\n";
      return 0;
    }
    if (demo->parsed()) {
      auto pw = app::load_demo(**db, config);
      if (!pw) return fail_with(pw.error());
      std::cout << (pw->empty() ? "demo data already loaded\n" : "demo data loaded\n");
      return 0;
    }
    if (user_add->parsed()) {
      auto r = parse_role(role);
      if (!r) return fail_with({ErrorCode::invalid, "unknown role " + role, "role"});
      auth::NewUser u{username,
                      display_name,
                      read_password(),
                      *r,
                      unit_id ? std::optional<std::int64_t>(unit_id) : std::nullopt,
                      false,
                      patron_id ? std::optional<std::int64_t>(patron_id) : std::nullopt};
      if (auto hashed = auth::hash_new_password(u); !hashed) return fail_with(hashed.error());
      auto tx = (*db)->begin(store::TxMode::write);
      if (!tx) return fail_with(tx.error());
      auto created = auth::create_user(**tx, u);
      if (!created) return fail_with(created.error());
      if (auto s = audit::append(
              **tx, system_actor(),
              {"user.create", "user", std::to_string(created->id), u.patron_id, "command line"});
          !s)
        return fail_with(s.error());
      if (auto s = (*tx)->commit(); !s) return fail_with(s.error());
      std::cout << "added " << created->username << " (" << to_string(created->role) << ", id "
                << created->id << ")\n";
      return 0;
    }
    if (user_list->parsed()) {
      auto tx = (*db)->begin(store::TxMode::read);
      if (!tx) return fail_with(tx.error());
      auto users = auth::list_users(**tx);
      if (!users) return fail_with(users.error());
      for (auto& u : *users)
        std::cout << u.id << "\t" << u.username << "\t" << to_string(u.role)
                  << (u.disabled ? "\tdisabled" : "") << "\n";
      return 0;
    }
    if (user_disable->parsed()) {
      auto tx = (*db)->begin(store::TxMode::write);
      if (!tx) return fail_with(tx.error());
      auto u = auth::find_user(**tx, username);
      if (!u) return fail_with(u.error());
      if (auto s = auth::set_disabled(**tx, u->id, true); !s) return fail_with(s.error());
      if (auto s =
              audit::append(**tx, system_actor(),
                            {"user.disable", "user", std::to_string(u->id), {}, "command line"});
          !s)
        return fail_with(s.error());
      if (auto s = (*tx)->commit(); !s) return fail_with(s.error());
      std::cout << "disabled " << username << "\n";
      return 0;
    }
    if (import_records->parsed()) return app::import_records(config, **db, imp);
    if (export_records->parsed()) return app::export_records(config, **db, exp);
    if (backup->parsed()) {
      if (auto s = (*db)->backup(path); !s) return fail_with(s.error());
      std::cout << "backed up to " << path << "\n";
      return 0;
    }
    if (reindex->parsed()) {
      audit::ReadRecorder reads(**db);
      catalogue::Service catalogue(**db, reads, config);
      if (auto s = catalogue.ensure_defaults(); !s) return fail_with(s.error());
      bool tty = isatty(STDERR_FILENO) != 0;
      auto started = std::chrono::steady_clock::now();
      auto n = catalogue.reindex([&](std::int64_t done, std::int64_t total) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::fprintf(stderr, tty ? "\rreindexed %lld of %lld records (%.0f/s)   " : "reindexed %lld of %lld records (%.0f/s)\n",
                     static_cast<long long>(done), static_cast<long long>(total),
                     secs > 0 ? static_cast<double>(done) / secs : 0.0);
      });
      if (tty) std::fputc('\n', stderr);
      if (!n) return fail_with(n.error());
      std::cout << "search index rebuilt: " << *n << " records\n";
      return 0;
    }
    if (fixity->parsed()) {
      catalogue::attachments::FixityOptions opt;
      opt.all = fixity_all;
      opt.older_than_days = fixity_days;
      opt.scope_label = fixity_all ? "--all" : "--older-than " + std::to_string(fixity_days);
      bool tty = isatty(STDERR_FILENO) != 0;
      auto run = catalogue::attachments::run_fixity(
          **db, config, opt, [tty](std::int64_t done, std::int64_t total) {
            if (tty) std::cerr << "\rchecked " << done << " of " << total << std::flush;
          });
      if (tty) std::cerr << "\n";
      if (!run) return fail_with(run.error());
      for (auto& p : run->problems)
        std::cout << p.sha256 << "\t" << p.copy << "\t" << p.problem
                  << (p.repaired ? "\trepaired" : "\tNOT REPAIRED") << "\n";
      std::cout << "fixity run " << run->id << ": " << run->checked << " checked, " << run->ok
                << " ok, " << run->failed << " failed, " << run->repaired << " repaired, "
                << run->encrypted << " encrypted, " << run->swept
                << " stale temporary files removed\n";
      return run->failed > 0 ? 1 : 0;
    }
    if (verify->parsed()) {
      auto report = audit::verify(**db);
      if (!report) return fail_with(report.error());
      if (report->ok) {
        std::cout << "audit chain intact: " << report->checked << " entries\n";
        return 0;
      }
      std::cout << "audit chain BROKEN at entry " << report->bad_seq.value_or(0) << ": "
                << report->problem << " (" << report->checked << " entries checked)\n";
      return 1;
    }
  } catch (const std::exception& e) {
    spdlog::critical("event=fatal what=\"{}\"", e.what());
    return 1;
  }
  return 0;
}
