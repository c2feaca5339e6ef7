#include "transfer/export_requests.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "audit/audit.h"
#include "auth/auth.h"
#include "catalogue/blob_store.h"
#include "text/text.h"

namespace dangan::transfer {

using json = nlohmann::json;
namespace fs = std::filesystem;

fs::path export_dir(const Config& config) {
  if (!config.export_dir.empty()) return fs::path(config.export_dir).lexically_normal();
  fs::path blobs = catalogue::blob_store_config(config).dir;
  return (blobs.has_parent_path() ? blobs.parent_path() : fs::path(".")) / "exports";
}

namespace {

const char* kColumns =
    "r.id, r.requested_by, u.username, r.requested_at, r.format, r.filter, r.purpose, "
    "r.reasons, r.status, r.decided_by, d.username, r.decided_at, r.decision_reason, "
    "r.started_at, r.finished_at, r.row_count, r.file_size, r.file_sha256, r.message, "
    "r.expires_at, r.download_count, r.last_downloaded_at";
const char* kFrom =
    " FROM export_requests r LEFT JOIN users u ON u.id = r.requested_by "
    "LEFT JOIN users d ON d.id = r.decided_by";

json to_json(const store::Row& r) {
  auto opt_text = [&](std::size_t i) { return r.is_null(i) ? json() : json(r.str(i)); };
  auto opt_int = [&](std::size_t i) { return r.is_null(i) ? json() : json(r.i64(i)); };
  auto parsed = [&](std::size_t i, json fallback) {
    json j = json::parse(r.str(i), nullptr, false);
    return j.is_discarded() ? fallback : j;
  };
  return {{"id", r.i64(0)},
          {"requested_by", {{"id", r.i64(1)}, {"username", opt_text(2)}}},
          {"requested_at", r.str(3)},
          {"format", r.str(4)},
          {"filter", parsed(5, json::object())},
          {"purpose", r.str(6)},
          {"reasons", parsed(7, json::array())},
          {"needs_approval", !parsed(7, json::array()).empty()},
          {"status", r.str(8)},
          {"decided_by",
           r.is_null(9) ? json() : json{{"id", r.i64(9)}, {"username", opt_text(10)}}},
          {"decided_at", opt_text(11)},
          {"decision_reason", opt_text(12)},
          {"started_at", opt_text(13)},
          {"finished_at", opt_text(14)},
          {"rows", opt_int(15)},
          {"file_size", opt_int(16)},
          {"file_sha256", opt_text(17)},
          {"message", opt_text(18)},
          {"expires_at", opt_text(19)},
          {"download_count", r.i64(20)},
          {"last_downloaded_at", opt_text(21)}};
}

bool sees_all(const Actor& by) {
  return by.role == Role::system || auth::allowed(by.role, auth::Permission::export_approve) ||
         auth::allowed(by.role, auth::Permission::audit_read);
}

Status may_read(const Actor& by) {
  if (sees_all(by) || auth::allowed(by.role, auth::Permission::record_transfer)) return {};
  return forbidden("your role (" + std::string(to_string(by.role)) +
                   ") may not see export requests");
}

Result<std::string> reason_text(const std::string& raw, const char* field, bool required) {
  std::string_view s = raw;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (required && s.empty()) return invalid(field, std::string("give a ") + field);
  if (s.size() > 2000) return invalid(field, "at most 2000 bytes");
  if (!text::valid_utf8(s)) return invalid(field, "must be valid UTF-8");
  return std::string(s);
}

ExportFilter filter_from(const json& j) {
  ExportFilter f;
  auto str = [&](const char* k) -> std::optional<std::string> {
    if (j.contains(k) && j[k].is_string()) return j[k].get<std::string>();
    return std::nullopt;
  };
  auto num = [&](const char* k) -> std::optional<int> {
    if (j.contains(k) && j[k].is_number_integer()) return j[k].get<int>();
    return std::nullopt;
  };
  f.fonds = str("fonds");
  f.category = str("category");
  f.access_level = str("access_level");
  f.status = str("status");
  f.carrier = str("carrier");
  f.year_from = num("year_from");
  f.year_to = num("year_to");
  return f;
}

Status sync_file(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return fail(ErrorCode::internal, "cannot open " + p.string());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail(ErrorCode::internal, "cannot sync " + p.string());
  return {};
}

Result<std::pair<std::int64_t, std::string>> size_and_hash(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return fail(ErrorCode::internal, "the export file could not be read back");
  catalogue::Sha256 hasher;
  std::string buf(1 << 16, '\0');
  std::int64_t size = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = in.gcount();
    if (n <= 0) break;
    hasher.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    size += n;
  }
  return std::pair{size, hasher.hex()};
}

}  // namespace

ExportRequests::ExportRequests(store::Database& db, Exporter& exporter, const Config& config,
                               const Clock& clock)
    : db_(db), exporter_(exporter), config_(config), clock_(clock), dir_(export_dir(config)) {}

ExportRequests::~ExportRequests() {
  std::lock_guard lock(threads_mu_);
  threads_.clear();  // jthread joins
}

Result<json> ExportRequests::load(store::Tx& tx, std::int64_t id) {
  auto row = TRY(tx.one(std::string("SELECT ") + kColumns + kFrom + " WHERE r.id = ?", {id},
                        "export request"));
  return to_json(row);
}

Result<ExportRequests::Created> ExportRequests::create(const Actor& by, const ExportOptions& o,
                                                       const std::string& raw_purpose) {
  if (by.role == Role::patron) return forbidden("portal accounts may not export records");
  TRY_STATUS(auth::require(by, auth::Permission::record_transfer));
  std::string purpose = TRY(reason_text(raw_purpose, "purpose", false));
  const std::int64_t threshold = config_.export_approval_threshold;
  ExportScan scan = TRY(exporter_.scan(by, o, threshold));
  json reasons = json::array();
  if (scan.more)
    reasons.push_back(threshold == 0 ? "every export through the API needs approval"
                                     : "more than " + std::to_string(threshold) + " records");
  if (scan.controlled || o.filter.access_level == "controlled")
    reasons.push_back("includes controlled records");
  if (scan.secret || o.filter.access_level == "secret") reasons.push_back("includes secret records");
  bool needs_approval = !reasons.empty();

  std::string format(to_string(o.format));
  std::string filter = o.filter.to_json().dump();
  std::string now = format_time(clock_.now());
  std::int64_t id = 0;
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    if (needs_approval) {
      auto same = TRY(tx->maybe_one(
          "SELECT id FROM export_requests WHERE requested_by = ? AND status = 'pending' AND "
          "format = ? AND filter = ? ORDER BY id LIMIT 1",
          {by.user_id, format, filter}));
      if (same) return Created{TRY(load(*tx, same->i64(0))), false};
    }
    auto row = TRY(tx->one(
        "INSERT INTO export_requests (requested_by, requested_at, format, filter, purpose, "
        "reasons, status) VALUES (?,?,?,?,?,?,?) RETURNING id",
        {by.user_id, now, format, filter, purpose, reasons.dump(),
         std::string(needs_approval ? "pending" : "approved")},
        "export request"));
    id = row.i64(0);
    TRY_STATUS(audit::append(*tx, by,
                             {"record.export_request",
                              "export_request",
                              std::to_string(id),
                              {},
                              purpose,
                              {{"format", format},
                               {"filter", o.filter.to_json()},
                               {"reasons", reasons},
                               {"approval", needs_approval ? "needed" : "not needed"}}},
                             clock_));
    TRY_STATUS(tx->commit());
  }
  if (needs_approval) {
    spdlog::info("event=export_request_pending id={} user_id={} reasons=\"{}\"", id, by.user_id,
                 reasons.dump());
    return Created{TRY(get(by, id)), false};
  }
  // Small and open: runs now, in this request, as exports always did.
  TRY_STATUS(run(id));
  return Created{TRY(get(by, id)), true};
}

Result<json> ExportRequests::list(const Actor& by, std::optional<std::string> status,
                                  std::optional<std::int64_t> before, int limit) {
  TRY_STATUS(may_read(by));
  static const std::vector<std::string> kStates = {"pending", "approved", "running", "ready",
                                                   "failed",  "rejected", "expired"};
  if (status && std::find(kStates.begin(), kStates.end(), *status) == kStates.end())
    return invalid("status",
                   "status must be pending, approved, running, ready, failed, rejected or "
                   "expired");
  TRY_STATUS(expire());
  std::string sql = std::string("SELECT ") + kColumns + kFrom + " WHERE 1 = 1";
  store::Params params;
  if (!sees_all(by)) {
    sql += " AND r.requested_by = ?";
    params.push_back(by.user_id);
  }
  if (status) {
    sql += " AND r.status = ?";
    params.push_back(*status);
  }
  if (before) {
    sql += " AND r.id < ?";
    params.push_back(*before);
  }
  sql += " ORDER BY r.id DESC LIMIT ?";
  params.push_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(sql, params));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(to_json(rows.rows[i]));
  json next = rows.size() > static_cast<std::size_t>(limit)
                  ? json(std::to_string(items.back()["id"].get<std::int64_t>()))
                  : json();
  return json{{"items", items}, {"next_cursor", next}};
}

Result<json> ExportRequests::get(const Actor& by, std::int64_t id) {
  TRY_STATUS(may_read(by));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto row = TRY(tx->maybe_one(std::string("SELECT ") + kColumns + kFrom + " WHERE r.id = ?", {id}));
  if (!row || (!sees_all(by) && row->i64(1) != by.user_id))
    return not_found("no such export request");
  return to_json(*row);
}

Result<json> ExportRequests::approve(const Actor& by, std::int64_t id, const std::string& reason) {
  return decide(by, id, reason, true);
}

Result<json> ExportRequests::reject(const Actor& by, std::int64_t id, const std::string& reason) {
  return decide(by, id, reason, false);
}

Result<json> ExportRequests::decide(const Actor& by, std::int64_t id, const std::string& raw,
                                    bool approve) {
  if (by.role == Role::patron) return forbidden("portal accounts may not decide exports");
  TRY_STATUS(auth::require(by, auth::Permission::export_approve));
  std::string reason = TRY(reason_text(raw, "reason", true));
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto row = TRY(tx->maybe_one(
        "SELECT requested_by, status, format, filter FROM export_requests WHERE id = ?", {id}));
    if (!row) return not_found("no such export request");
    if (row->i64(0) == by.user_id)
      return forbidden("you may not decide your own export request: another manager does");
    if (row->str(1) != "pending") return conflict("this export request is " + row->str(1));
    std::string now = format_time(clock_.now());
    auto changed = TRY(tx->exec(
        "UPDATE export_requests SET status = ?, decided_by = ?, decided_at = ?, "
        "decision_reason = ? WHERE id = ? AND status = 'pending'",
        {std::string(approve ? "approved" : "rejected"), by.user_id, now, reason, id}));
    if (changed != 1) return conflict("this export request was decided meanwhile");
    json filter = json::parse(row->str(3), nullptr, false);
    TRY_STATUS(audit::append(*tx, by,
                             {approve ? "record.export_approve" : "record.export_reject",
                              "export_request",
                              std::to_string(id),
                              {},
                              reason,
                              {{"requested_by", row->i64(0)},
                               {"format", row->str(2)},
                               {"filter", filter.is_discarded() ? json::object() : filter}}},
                             clock_));
    TRY_STATUS(tx->commit());
  }
  if (approve) submit(id);
  return get(by, id);
}

Status ExportRequests::run(std::int64_t id) {
  Actor requester;
  ExportOptions o;
  std::string now = format_time(clock_.now());
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto row = TRY(tx->maybe_one(
        "SELECT requested_by, format, filter, status FROM export_requests WHERE id = ?", {id}));
    if (!row || (row->str(3) != "approved" && row->str(3) != "running")) return {};
    auto user = auth::get_user(*tx, row->i64(0));
    auto format = parse_format(row->str(1));
    json filter = json::parse(row->str(2), nullptr, false);
    std::string problem;
    if (!user)
      problem = "the requester's account is gone";
    else if (user->disabled)
      problem = "the requester's account is disabled";
    else if (!format)
      problem = "unknown format " + row->str(1);
    if (!problem.empty()) {
      TRY(tx->exec(
          "UPDATE export_requests SET status = 'failed', message = ?, finished_at = ? WHERE id = ?",
          {problem, now, id}));
      return tx->commit();
    }
    requester.user_id = user->id;
    requester.username = user->username;
    requester.role = user->role;
    requester.unit_id = user->unit_id;
    requester.unit_scoped = user->unit_scoped;
    requester.patron_id = user->patron_id;
    requester.request_id = "export-" + std::to_string(id);
    o.format = *format;
    o.filter = filter_from(filter.is_discarded() ? json::object() : filter);
    o.request_id = id;
    TRY(tx->exec("UPDATE export_requests SET status = 'running', started_at = ? WHERE id = ?",
                 {now, id}));
    TRY_STATUS(tx->commit());
  }

  std::error_code ec;
  fs::create_directories(dir_, ec);
  fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  std::string ext(extension(o.format));
  fs::path final_path = dir_ / (std::to_string(id) + "." + ext);
  fs::path part = dir_ / (std::to_string(id) + "." + ext + ".part");
  o.write.tmpdir = dir_.string();
  auto written = [&]() -> Result<std::int64_t> {
    std::int64_t n = TRY(exporter_.write(requester, part.string(), o));
    TRY_STATUS(sync_file(part));
    fs::rename(part, final_path, ec);
    if (ec) return fail(ErrorCode::internal, "cannot move the export into place: " + ec.message());
    return n;
  }();
  std::string done = format_time(clock_.now());
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (!written) {
    fs::remove(part, ec);
    spdlog::error("event=export_failed id={} message=\"{}\"", id, written.error().message);
    TRY(tx->exec(
        "UPDATE export_requests SET status = 'failed', message = ?, finished_at = ? WHERE id = ?",
        {written.error().message, done, id}));
    TRY_STATUS(audit::append(*tx, requester,
                             {"record.export_fail",
                              "export_request",
                              std::to_string(id),
                              {},
                              "",
                              {{"message", written.error().message}}},
                             clock_));
    return tx->commit();
  }
  auto [size, sha] = TRY(size_and_hash(final_path));
  std::string expires =
      format_time(clock_.now() + std::chrono::hours(24) * config_.export_keep_days);
  TRY(tx->exec(
      "UPDATE export_requests SET status = 'ready', row_count = ?, file_size = ?, file_sha256 = ?, "
      "finished_at = ?, expires_at = ?, message = NULL WHERE id = ?",
      {*written, size, sha, done, expires, id}));
  TRY_STATUS(tx->commit());
  spdlog::info("event=export_ready id={} rows={} bytes={}", id, *written, size);
  return {};
}

void ExportRequests::submit(std::int64_t id) {
  std::lock_guard lock(threads_mu_);
  threads_.remove_if([](const Worker& w) { return w.done->load(); });
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::jthread thread([this, id, done] {
    struct Done {
      std::atomic<bool>& flag;
      ~Done() { flag = true; }
    } mark{*done};
    std::lock_guard one_at_a_time(run_mu_);
    if (auto st = run(id); !st)
      spdlog::error("event=export_run_failed id={} message=\"{}\"", id, st.error().message);
  });
  threads_.push_back({std::move(done), std::move(thread)});
}

void ExportRequests::resume() {
  auto ids = [&]() -> Result<std::vector<std::int64_t>> {
    auto tx = TRY(db_.begin(store::TxMode::read));
    auto rows = TRY(tx->query(
        "SELECT id FROM export_requests WHERE status IN ('approved','running') ORDER BY id"));
    std::vector<std::int64_t> out;
    for (auto& r : rows) out.push_back(r.i64(0));
    return out;
  }();
  if (!ids) {
    spdlog::error("event=export_resume_failed message=\"{}\"", ids.error().message);
    return;
  }
  for (auto id : *ids) submit(id);
}

void ExportRequests::wait_idle() {
  std::lock_guard lock(threads_mu_);
  threads_.clear();
}

Status ExportRequests::expire() {
  std::string now = format_time(clock_.now());
  std::vector<std::pair<std::int64_t, std::string>> gone;
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    auto rows = TRY(tx->query(
        "SELECT id, format FROM export_requests WHERE status = 'ready' AND expires_at < ?", {now}));
    for (auto& r : rows) gone.emplace_back(r.i64(0), r.str(1));
  }
  if (gone.empty()) return {};
  auto tx = TRY(db_.begin(store::TxMode::write));
  for (auto& [id, format] : gone)
    TRY(tx->exec("UPDATE export_requests SET status = 'expired' WHERE id = ? AND status = 'ready'",
                 {id}));
  TRY_STATUS(tx->commit());
  for (auto& [id, format] : gone) {
    auto f = parse_format(format);
    std::error_code ec;
    if (f) fs::remove(dir_ / (std::to_string(id) + "." + std::string(extension(*f))), ec);
  }
  return {};
}

Result<ExportFile> ExportRequests::download(const Actor& by, std::int64_t id) {
  TRY_STATUS(may_read(by));
  TRY_STATUS(expire());
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row = TRY(tx->maybe_one(
      "SELECT requested_by, status, format, file_sha256, row_count FROM export_requests WHERE "
      "id = ?",
      {id}));
  if (!row || (!sees_all(by) && row->i64(0) != by.user_id))
    return not_found("no such export request");
  if (row->i64(0) != by.user_id)
    return forbidden("only the user who asked for an export downloads its file");
  TRY_STATUS(auth::require(by, auth::Permission::record_transfer));
  if (row->str(1) != "ready")
    return conflict(row->str(1) == "pending" ? "this export waits for a manager's approval"
                                             : "this export is " + row->str(1));
  auto format = TRY(parse_format(row->str(2)));
  fs::path path = dir_ / (std::to_string(id) + "." + std::string(extension(format)));
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::internal, "the export's file is missing");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string now = format_time(clock_.now());
  TRY(tx->exec(
      "UPDATE export_requests SET download_count = download_count + 1, last_downloaded_at = ? "
      "WHERE id = ?",
      {now, id}));
  TRY_STATUS(audit::append(*tx, by,
                           {"record.export_download",
                            "export_request",
                            std::to_string(id),
                            {},
                            "",
                            {{"format", row->str(2)},
                             {"rows", row->is_null(4) ? json() : json(row->i64(4))},
                             {"sha256", row->str(3)}}},
                           clock_));
  TRY_STATUS(tx->commit());
  ExportFile f;
  f.body = ss.str();
  f.content_type = std::string(content_type(format));
  f.filename = "records-" + now.substr(0, 10) + "." + std::string(extension(format));
  return f;
}

}  // namespace dangan::transfer
