#include "app/transfer_cli.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "audit/audit.h"
#include "auth/auth.h"
#include "catalogue/catalogue.h"
#include "transfer/export.h"
#include "transfer/import.h"

namespace dangan::app {

using json = nlohmann::json;

namespace {

int report_error(const Error& e) {
  std::cerr << "dangan: " << e.message;
  if (!e.field.empty() && e.message.find(e.field) == std::string::npos)
    std::cerr << " (" << e.field << ")";
  std::cerr << "\n";
  return e.code == ErrorCode::invalid ? 2 : 1;
}

// 1234567 → "1,234,567"
std::string grouped(std::int64_t n) {
  std::string s = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string duration(double secs) {
  auto s = static_cast<long>(std::lround(secs));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

// A bar that redraws one line on a terminal, and prints a line every few seconds
// otherwise (logs, pipes).
class ProgressBar {
 public:
  explicit ProgressBar(std::string verb)
      : verb_(std::move(verb)), tty_(isatty(STDERR_FILENO) != 0) {}

  void update(std::int64_t done, std::int64_t total, double rate, std::optional<double> eta) {
    auto now = std::chrono::steady_clock::now();
    auto gap = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
    if (drawn_ && (done == last_done_ || (now - last_ < gap && done != total))) return;
    last_ = now;
    last_done_ = done;
    drawn_ = true;
    std::string line;
    if (total > 0) {
      double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
      char pct[16];
      std::snprintf(pct, sizeof pct, "%3.0f%%", frac * 100);
      line = pct;
      if (tty_) {
        int width = 24, filled = static_cast<int>(frac * width);
        line += " [" + std::string(static_cast<std::size_t>(filled), '#') +
                std::string(static_cast<std::size_t>(width - filled), '.') + "]";
      }
      line += " " + grouped(done) + "/" + grouped(total) + " rows";
    } else {
      line = grouped(done) + " rows";
    }
    if (rate > 0) line += "  " + grouped(static_cast<std::int64_t>(rate)) + " rows/s";
    if (eta && total > 0 && done < total) line += "  ETA " + duration(*eta);
    if (tty_)
      std::fprintf(stderr, "\r%s: %s\x1b[K", verb_.c_str(), line.c_str());
    else
      std::fprintf(stderr, "%s: %s\n", verb_.c_str(), line.c_str());
    std::fflush(stderr);
  }
  void done() {
    if (tty_ && drawn_) std::fputc('\n', stderr);
  }

 private:
  std::string verb_;
  bool tty_;
  bool drawn_ = false;
  std::int64_t last_done_ = -1;
  std::chrono::steady_clock::time_point last_;
};

Result<Actor> actor_for(store::Database& db, const std::string& username) {
  if (username.empty()) {
    Actor a = system_actor();
    a.username = "command line";
    return a;
  }
  auto tx = TRY(db.begin(store::TxMode::read));
  auto u = auth::find_user(*tx, username);
  if (!u) return invalid("as", "no account " + username);
  if (u->disabled) return invalid("as", "the account " + username + " is disabled");
  Actor a;
  a.user_id = u->id;
  a.username = u->username;
  a.role = u->role;
  a.unit_id = u->unit_id;
  a.unit_scoped = u->unit_scoped;
  a.patron_id = u->patron_id;
  a.request_id = "cli";
  return a;
}

Result<transfer::Format> format_for(const std::string& given, const std::string& file) {
  if (!given.empty()) return transfer::parse_format(given);
  if (auto f = transfer::format_from_path(file)) return *f;
  return invalid("format", "cannot tell the format from " + file + ": give --format");
}

}  // namespace

int import_records(const Config& config, store::Database& db, const ImportCommand& cmd) {
  auto format = format_for(cmd.format, cmd.file);
  if (!format) return report_error(format.error());
  auto by = actor_for(db, cmd.as_user);
  if (!by) return report_error(by.error());
  transfer::ImportOptions o;
  o.format = *format;
  o.read.encoding = cmd.encoding;
  o.read.sheet = cmd.sheet;
  o.dry_run = cmd.dry_run;
  o.batch_size = cmd.batch;
  o.skip_existing = cmd.skip_existing;
  o.filename = std::filesystem::path(cmd.file).filename().string();
  if (cmd.job && cmd.batch <= 0)
    return report_error(
        {ErrorCode::invalid, "--job continues a batch import: give --batch N too", "job"});
  if (!cmd.mapping_file.empty()) {
    std::ifstream in(cmd.mapping_file, std::ios::binary);
    if (!in)
      return report_error({ErrorCode::invalid, "cannot read " + cmd.mapping_file, "mapping"});
    std::stringstream ss;
    ss << in.rdbuf();
    json j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded())
      return report_error({ErrorCode::invalid, cmd.mapping_file + " is not valid JSON", "mapping"});
    auto m = transfer::Mapping::from_json(j);
    if (!m) return report_error(m.error());
    o.mapping = *m;
    o.mapping_given = true;
  }
  if (!std::filesystem::exists(cmd.file))
    return report_error({ErrorCode::invalid, "no file " + cmd.file, "file"});

  audit::ReadRecorder reads(db);
  catalogue::Service catalogue(db, reads, config);
  if (auto s = catalogue.ensure_defaults(); !s) return report_error(s.error());
  transfer::Importer importer(db, catalogue);
  auto input = transfer::Input::file(cmd.file);
  auto job =
      importer.start(*by, input, o, cmd.job ? std::optional<std::int64_t>(cmd.job) : std::nullopt);
  if (!job) return report_error(job.error());
  std::int64_t id = (*job)["id"].get<std::int64_t>();
  std::cerr << (cmd.job ? "continuing" : "started") << " import job " << id << " ("
            << (cmd.dry_run ? "dry run, " : "")
            << (cmd.batch > 0 ? "batches of " + std::to_string(cmd.batch)
                              : std::string("all or nothing"))
            << ")\n";
  ProgressBar bar(cmd.dry_run ? "checking" : "importing");
  auto result = importer.run(*by, id, input, o, [&](const transfer::Progress& p) {
    bar.update(p.rows_done, p.rows_total, p.rate, p.eta_seconds);
  });
  bar.done();
  if (!result) {
    report_error(result.error());
    if (cmd.batch > 0)
      std::cerr << "continue with: dangan import records " << cmd.file << " --batch " << cmd.batch
                << " --job " << id << "\n";
    return 1;
  }
  const json& j = *result;
  // Row errors first (stderr), the summary last (stdout).
  const auto& errors = j["errors"];
  std::size_t shown = 0;
  for (auto& e : errors) {
    if (shown++ == 100) break;
    transfer::RowError r{e["row"].get<std::int64_t>(), e["column"].get<std::string>(),
                         e["message"].get<std::string>()};
    std::cerr << r.to_string() << "\n";
  }
  std::int64_t failed = j["rows_failed"].get<std::int64_t>();
  if (failed > static_cast<std::int64_t>(std::min<std::size_t>(errors.size(), 100)))
    std::cerr << "… and more: " << grouped(failed) << " rows failed in all (GET /api/v1/records/"
              << "imports/" << id << " lists the first " << transfer::kMaxStoredErrors << ")\n";
  std::string status = j["status"].get<std::string>();
  std::cout << "job " << id << " " << status << (cmd.dry_run ? " (dry run)" : "") << ": "
            << grouped(j["rows_done"].get<std::int64_t>()) << " rows checked, "
            << grouped(j["rows_imported"].get<std::int64_t>())
            << (cmd.dry_run ? " would be imported, " : " imported, ")
            << grouped(j["rows_skipped"].get<std::int64_t>()) << " skipped, " << grouped(failed)
            << " failed\n";
  if (j["message"].is_string()) std::cout << j["message"].get<std::string>() << "\n";
  if (status == "failed" && cmd.batch > 0 && !cmd.dry_run && j["last_row"].get<std::int64_t>() > 0)
    std::cerr << "continue with: dangan import records " << cmd.file << " --batch " << cmd.batch
              << " --job " << id << "\n";
  return status == "succeeded" ? 0 : 1;
}

int export_records(const Config& config, store::Database& db, const ExportCommand& cmd) {
  auto format = format_for(cmd.format, cmd.file);
  if (!format) return report_error(format.error());
  auto by = actor_for(db, cmd.as_user);
  if (!by) return report_error(by.error());
  transfer::ExportOptions o;
  o.format = *format;
  auto opt = [](const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
  };
  o.filter.fonds = opt(cmd.fonds);
  o.filter.category = opt(cmd.category);
  o.filter.access_level = opt(cmd.access_level);
  o.filter.status = opt(cmd.status);
  o.filter.carrier = opt(cmd.carrier);
  if (cmd.year_from) o.filter.year_from = cmd.year_from;
  if (cmd.year_to) o.filter.year_to = cmd.year_to;

  audit::ReadRecorder reads(db);
  catalogue::Service catalogue(db, reads, config);
  if (auto s = catalogue.ensure_defaults(); !s) return report_error(s.error());
  transfer::Exporter exporter(db, catalogue);
  ProgressBar bar("exporting");
  auto started = std::chrono::steady_clock::now();
  auto n = exporter.write(*by, cmd.file, o, [&](std::int64_t done) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    bar.update(done, 0, secs > 0 ? static_cast<double>(done) / secs : 0, std::nullopt);
  });
  bar.done();
  if (!n) {
    if (cmd.file != "-") std::filesystem::remove(cmd.file);
    return report_error(n.error());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // With the records on standard output, the summary goes to standard error.
  (cmd.file == "-" ? std::cerr : std::cout)
      << "exported " << grouped(*n) << " records to " << (cmd.file == "-" ? "stdout" : cmd.file)
      << " (" << transfer::to_string(*format) << ", " << duration(secs) << ")\n";
  return 0;
}

}  // namespace dangan::app
