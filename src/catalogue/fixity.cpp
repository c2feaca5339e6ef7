// Fixity (D41): re-hash every copy of a blob, repair a bad copy from a good one, and
// keep the result per blob and per run.
#include <spdlog/spdlog.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "catalogue/attachments.h"
#include "catalogue/attachments_internal.h"

namespace dangan::catalogue::attachments {

using json = nlohmann::json;

namespace {

constexpr int kPage = 200;
constexpr std::size_t kMaxProblemsKept = 1000;

struct BlobResult {
  std::string sha256;
  bool ok = false;
  bool encrypted = false;  // what the files are, once checked (and maybe encrypted here)
  std::string detail;
};

constexpr const char* kRemoved = "removed during the check";

// Checks both copies of one blob and repairs what can be repaired. The common case (all
// well) reads files only; repairs, re-encryption and flag corrections run in a write
// transaction holding the blob's lock, so an upload or deletion of the same content
// cannot interleave, and look at the files again under it.
Result<BlobResult> check_blob(store::Database& db, BlobStore& store, const std::string& sha,
                              bool flagged_encrypted, bool is_protected, FixityRun& run) {
  BlobResult res;
  res.sha256 = sha;
  const auto& cfg = store.config();
  CopyCheck primary = store.check(cfg.dir, sha);
  CopyCheck replica = store.has_replica() ? store.check(cfg.replica_dir, sha) : CopyCheck{};
  bool copies_ok =
      primary.state == CopyState::ok && (!store.has_replica() || replica.state == CopyState::ok);
  if (copies_ok && primary.encrypted == flagged_encrypted && (!is_protected || primary.encrypted)) {
    res.ok = true;
    res.encrypted = primary.encrypted;
    res.detail = "ok";
    return res;
  }

  auto tx = TRY(db.begin(store::TxMode::write));
  TRY_STATUS(detail::lock_blob(*tx, sha));
  auto row = TRY(tx->maybe_one("SELECT encrypted FROM blobs WHERE sha256 = ?", {sha}));
  if (!row) {
    res.ok = true;
    res.detail = kRemoved;
    return res;
  }
  primary = store.check(cfg.dir, sha);
  if (store.has_replica()) replica = store.check(cfg.replica_dir, sha);
  std::vector<std::string> notes;
  auto note_problem = [&](std::string_view copy, const CopyCheck& c, bool repaired) {
    run.problems.push_back({sha, std::string(copy), std::string(to_string(c.state)), repaired});
    notes.push_back(std::string(copy) + " " + std::string(to_string(c.state)) +
                    (repaired ? ", repaired from the other copy" : ""));
  };
  if (!store.has_replica()) {
    res.ok = primary.state == CopyState::ok;
    res.encrypted = primary.encrypted;
    if (!res.ok) note_problem("primary", primary, false);
  } else if (primary.state == CopyState::ok && replica.state == CopyState::ok) {
    res.ok = true;
    res.encrypted = primary.encrypted;
  } else if (primary.state == CopyState::ok || replica.state == CopyState::ok) {
    bool primary_good = primary.state == CopyState::ok;
    const auto& from = primary_good ? cfg.dir : cfg.replica_dir;
    const auto& to = primary_good ? cfg.replica_dir : cfg.dir;
    auto copied = store.copy(from, to, sha);
    note_problem(primary_good ? "replica" : "primary", primary_good ? replica : primary,
                 copied.has_value());
    if (copied) ++run.repaired;
    res.ok = copied.has_value();
    res.encrypted = (primary_good ? primary : replica).encrypted;
    if (!copied) notes.push_back("repair failed: " + copied.error().message);
  } else {
    note_problem("primary", primary, false);
    note_problem("replica", replica, false);
  }

  if (res.ok) {
    // Protected records' content is encrypted at rest; a record may have become
    // controlled or secret after its attachment was stored.
    auto protected_use = TRY(tx->maybe_one(
        "SELECT 1 FROM attachments a JOIN records r ON r.id = a.record_id WHERE a.sha256 = ? "
        "AND a.removed = 0 AND r.access_level <> 'open'",
        {sha}));
    if (protected_use && !res.encrypted) {
      auto plain = TRY(store.read(sha));
      auto staged = TRY(store.stage(sha, plain, true));
      TRY_STATUS(store.publish(staged));
      res.encrypted = true;
      ++run.encrypted;
      notes.push_back("encrypted, as a controlled or secret record uses it");
      TRY(tx->exec("UPDATE blobs SET key_id = ? WHERE sha256 = ?", {staged.key_id(), sha}));
    }
    if (res.encrypted != (row->i64(0) != 0)) {
      TRY(tx->exec("UPDATE blobs SET encrypted = ? WHERE sha256 = ?",
                   {std::int64_t{res.encrypted ? 1 : 0}, sha}));
      notes.push_back(res.encrypted ? "recorded as encrypted" : "recorded as not encrypted");
    }
  }
  if (notes.empty()) notes.push_back("ok");
  for (std::size_t i = 0; i < notes.size(); ++i) res.detail += (i ? "; " : "") + notes[i];
  TRY_STATUS(tx->commit());
  return res;
}

}  // namespace

Result<FixityRun> run_fixity(store::Database& db, const Config& config, const FixityOptions& opt,
                             const std::function<void(std::int64_t, std::int64_t)>& progress,
                             const Clock& clock) {
  BlobStore store(blob_store_config(config));
  FixityRun run;
  std::string started = format_time(clock.now());
  std::string cutoff = format_time(clock.now() - std::chrono::days(opt.older_than_days));
  std::string where = opt.all ? "1 = 1" : "(fixity_checked_at IS NULL OR fixity_checked_at < ?)";
  store::Params filter;
  if (!opt.all) filter.push_back(cutoff);
  std::int64_t total = 0;
  {
    auto tx = TRY(db.begin(store::TxMode::read));
    total = TRY(tx->one("SELECT COUNT(*) FROM blobs WHERE " + where, filter, "blobs")).i64(0);
  }
  std::string after;
  for (;;) {
    struct Item {
      std::string sha;
      bool encrypted, is_protected;
    };
    std::vector<Item> page;
    {
      auto tx = TRY(db.begin(store::TxMode::read));
      store::Params p = filter;
      p.push_back(after);
      p.push_back(std::int64_t{kPage});
      auto rows = TRY(tx->query(
          "SELECT sha256, encrypted, CASE WHEN EXISTS (SELECT 1 FROM attachments a JOIN records r "
          "ON r.id = a.record_id WHERE a.sha256 = blobs.sha256 AND a.removed = 0 AND "
          "r.access_level <> 'open') THEN 1 ELSE 0 END FROM blobs WHERE " +
              where + " AND sha256 > ? ORDER BY sha256 LIMIT ?",
          p));
      for (auto& r : rows) page.push_back({r.str(0), r.i64(1) != 0, r.i64(2) != 0});
    }
    if (page.empty()) break;
    std::vector<BlobResult> results;
    for (auto& item : page) {
      const std::string& sha = item.sha;
      auto r = check_blob(db, store, sha, item.encrypted, item.is_protected, run);
      if (!r) return std::unexpected(r.error());
      if (r->detail == kRemoved) continue;
      ++run.checked;
      r->ok ? ++run.ok : ++run.failed;
      if (!r->ok) spdlog::error("event=fixity_failed sha256={} detail=\"{}\"", sha, r->detail);
      results.push_back(std::move(*r));
    }
    {
      auto tx = TRY(db.begin(store::TxMode::write));
      std::string now = format_time(clock.now());
      for (auto& r : results)
        TRY(tx->exec(
            "UPDATE blobs SET fixity_checked_at = ?, fixity_ok = ?, fixity_detail = ? WHERE "
            "sha256 = ?",
            {now, std::int64_t{r.ok ? 1 : 0}, r.detail, r.sha256}));
      TRY_STATUS(tx->commit());
    }
    after = page.back().sha;
    if (progress) progress(run.checked, total);
  }
  run.swept = store.sweep_temporary(std::chrono::hours(24));

  json problems = json::array();
  for (std::size_t i = 0; i < run.problems.size() && i < kMaxProblemsKept; ++i) {
    auto& p = run.problems[i];
    problems.push_back(
        {{"sha256", p.sha256}, {"copy", p.copy}, {"problem", p.problem}, {"repaired", p.repaired}});
  }
  auto tx = TRY(db.begin(store::TxMode::write));
  std::string scope =
      opt.scope_label.empty()
          ? (opt.all ? "all" : "older than " + std::to_string(opt.older_than_days) + " days")
          : opt.scope_label;
  auto id = TRY(tx->one(
      "INSERT INTO fixity_runs (started_at, finished_at, scope, checked, ok, failed, repaired, "
      "problems) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
      {started, format_time(clock.now()), scope, run.checked, run.ok, run.failed, run.repaired,
       problems.dump()},
      "fixity run"));
  run.id = id.i64(0);
  TRY_STATUS(audit::append(*tx, system_actor(),
                           {"fixity.run",
                            "fixity_run",
                            std::to_string(run.id),
                            std::nullopt,
                            scope,
                            {{"checked", run.checked},
                             {"ok", run.ok},
                             {"failed", run.failed},
                             {"repaired", run.repaired},
                             {"encrypted", run.encrypted}}},
                           clock));
  TRY_STATUS(tx->commit());
  spdlog::info(
      "event=fixity_run id={} checked={} ok={} failed={} repaired={} encrypted={} swept={}", run.id,
      run.checked, run.ok, run.failed, run.repaired, run.encrypted, run.swept);
  return run;
}

Result<json> Service::fixity_report(const Actor& by) {
  // The report names records of every access level.
  if (by.role == Role::patron) return forbidden("portal accounts may not read the fixity report");
  TRY_STATUS(auth::require(by, auth::Permission::record_secret));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto totals =
      TRY(tx->one("SELECT COUNT(*), COUNT(fixity_checked_at), "
                  "COALESCE(SUM(CASE WHEN fixity_ok = 1 THEN 1 ELSE 0 END), 0), "
                  "COALESCE(SUM(CASE WHEN fixity_ok = 0 THEN 1 ELSE 0 END), 0), "
                  "COALESCE(SUM(size), 0), COALESCE(SUM(encrypted), 0), "
                  "COALESCE(SUM(CASE WHEN scan_status = 'unscanned' THEN 1 ELSE 0 END), 0), "
                  "MIN(fixity_checked_at) FROM blobs",
                  {}, "blobs"));
  json report = {{"blobs",
                  {{"total", totals.i64(0)},
                   {"checked", totals.i64(1)},
                   {"never_checked", totals.i64(0) - totals.i64(1)},
                   {"ok", totals.i64(2)},
                   {"failed", totals.i64(3)},
                   {"bytes", totals.i64(4)},
                   {"encrypted", totals.i64(5)},
                   {"unscanned", totals.i64(6)},
                   {"oldest_check", totals.is_null(7) ? json() : json(totals.str(7))}}},
                 {"replica", blobs_->has_replica()}};
  auto runs = TRY(tx->query(
      "SELECT id, started_at, finished_at, scope, checked, ok, failed, repaired, problems FROM "
      "fixity_runs ORDER BY id DESC LIMIT 10"));
  json run_list = json::array();
  for (auto& r : runs) {
    json problems = json::parse(r.str(8), nullptr, false);
    run_list.push_back({{"id", r.i64(0)},
                        {"started_at", r.str(1)},
                        {"finished_at", r.str(2)},
                        {"scope", r.str(3)},
                        {"checked", r.i64(4)},
                        {"ok", r.i64(5)},
                        {"failed", r.i64(6)},
                        {"repaired", r.i64(7)},
                        {"problems", problems.is_discarded() ? json::array() : problems}});
  }
  report["runs"] = run_list;
  auto failed = TRY(tx->query(
      "SELECT sha256, size, fixity_checked_at, fixity_detail FROM blobs WHERE fixity_ok = 0 "
      "ORDER BY fixity_checked_at, sha256 LIMIT 200"));
  json items = json::array();
  for (auto& r : failed) {
    json uses = json::array();
    auto atts = TRY(tx->query(
        "SELECT id, record_id, filename FROM attachments WHERE sha256 = ? AND removed = 0 "
        "ORDER BY id",
        {r.str(0)}));
    for (auto& a : atts)
      uses.push_back(
          {{"attachment_id", a.i64(0)}, {"record_id", a.i64(1)}, {"filename", a.str(2)}});
    items.push_back({{"sha256", r.str(0)},
                     {"size", r.i64(1)},
                     {"checked_at", r.str(2)},
                     {"detail", r.str(3)},
                     {"attachments", uses}});
  }
  report["items"] = items;
  report["next_cursor"] = nullptr;

  // Signatures (D41): embedded ones whose integrity check failed or could not be made
  // are a preservation problem of their own — the file is intact as stored (fixity), but
  // not what was signed.
  auto sig_totals = TRY(tx->one(
      "SELECT "
      "COALESCE(SUM(CASE WHEN s.source = 'embedded' THEN 1 ELSE 0 END), 0), "
      "COALESCE(SUM(CASE WHEN s.integrity = 'intact' THEN 1 ELSE 0 END), 0), "
      "COALESCE(SUM(CASE WHEN s.integrity = 'not_intact' THEN 1 ELSE 0 END), 0), "
      "COALESCE(SUM(CASE WHEN s.integrity = 'unknown' THEN 1 ELSE 0 END), 0), "
      "COALESCE(SUM(CASE WHEN s.source = 'recorded' THEN 1 ELSE 0 END), 0) "
      "FROM attachment_signatures s JOIN attachments a ON a.id = s.attachment_id "
      "WHERE s.removed = 0 AND a.removed = 0",
      {}, "signatures"));
  json sig_items = json::array();
  auto bad = TRY(tx->query(
      "SELECT a.id, a.record_id, a.filename, s.field_name, s.signer, s.integrity, s.detail "
      "FROM attachment_signatures s JOIN attachments a ON a.id = s.attachment_id "
      "WHERE s.removed = 0 AND a.removed = 0 AND s.source = 'embedded' AND "
      "s.integrity <> 'intact' ORDER BY a.id, s.id LIMIT 200"));
  for (auto& r : bad) {
    json detail = json::parse(r.str(6), nullptr, false);
    sig_items.push_back(
        {{"attachment_id", r.i64(0)},
         {"record_id", r.i64(1)},
         {"filename", r.str(2)},
         {"field", r.str(3)},
         {"signer", r.is_null(4) ? json() : json(r.str(4))},
         {"integrity", r.str(5)},
         {"coverage", detail.is_object() ? detail.value("coverage", json()) : json()},
         {"problems", detail.is_object() ? detail.value("problems", json::array()) : json()}});
  }
  report["signatures"] = {{"embedded", sig_totals.i64(0)},   {"intact", sig_totals.i64(1)},
                          {"not_intact", sig_totals.i64(2)}, {"unknown", sig_totals.i64(3)},
                          {"recorded", sig_totals.i64(4)},   {"items", sig_items}};
  return report;
}

}  // namespace dangan::catalogue::attachments
