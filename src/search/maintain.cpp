// maintain.cpp — rebuilding the index when text preparation has changed.
//
// The fingerprint of the analyzer is its version (analysis::kAnalyzerVersion, bumped with
// every change to the rules or the column layout) and the hash of the terms it gives for
// a fixed sample in every script it handles, which also changes when ICU's dictionary or
// OpenCC's tables do.
#include <spdlog/spdlog.h>

#include <chrono>

#include "search/search_internal.h"

namespace dangan::search {

namespace {

std::string fingerprint() {
  Document d;
  d.id = 1;
  d.reference_code = "QZ01—WS·2019-D30-0001";
  d.title = "客户档案管理办法（2019年修订）檔案館藏目錄 Records of Loans ＡＢＣ";
  d.keywords = {"地方志", "银行会计"};
  d.creator = "上海市档案局";
  d.description = "档案管理人员应建立档案台帐。沈默的船。Recording the café's loans.";
  d.content = "乾隆年間的族譜";
  d.year = 2019;
  d.access_level = "controlled";
  auto p = analysis::prepare(d);
  return "v" + std::to_string(analysis::kAnalyzerVersion) + "-" + std::to_string(p.hash());
}

}  // namespace

// PostgreSQL's own layout of the tsvector (tsvector_text), bumped when it changes:
// 1 = the catalogue entry's terms also marked (kTsEntryMark).
constexpr int kPgLayout = 1;

Result<std::int64_t> maintain(store::Database& db) {
  std::string want = fingerprint();
  if (db.backend() == store::Backend::postgres) want += "-pg" + std::to_string(kPgLayout);
  auto tx = TRY(db.begin(store::TxMode::write));
  auto have = TRY(tx->maybe_one("SELECT value FROM search_meta WHERE key = 'analyzer'", {}));
  if (have && have->str(0) == want) return std::int64_t{0};
  auto any = TRY(tx->maybe_one("SELECT 1 FROM search_docs LIMIT 1", {}));
  std::int64_t done = 0;
  if (any) {
    auto t0 = std::chrono::steady_clock::now();
    spdlog::info("event=search_rebuild_started reason=\"{}\"",
                 have ? "text preparation changed" : "new index layout");
    const bool sqlite = tx->backend() == store::Backend::sqlite;
    if (sqlite) TRY(tx->exec("INSERT INTO search_fts(search_fts) VALUES ('delete-all')"));
    Bulk bulk(*tx, 0, true);
    std::string kind;
    std::int64_t after = 0;
    const std::string select = std::string("SELECT ") + detail::kDocColumns +
                               " FROM search_docs WHERE (kind, id) > (?, ?) ORDER BY kind, id "
                               "LIMIT 5000";
    while (true) {
      auto rows = TRY(tx->query(select, {kind, after}));
      if (rows.empty()) break;
      for (const auto& r : rows) {
        // SQLite: the row goes and comes back with its new terms (and candidate order);
        // PostgreSQL rewrites it in place.
        if (sqlite) TRY(tx->exec("DELETE FROM search_docs WHERE srowid = ?", {r.i64(0)}));
        TRY_STATUS(bulk.add(detail::document_from_row(r)));
        kind = r.str(1);
        after = r.i64(2);
      }
      done += static_cast<std::int64_t>(rows.size());
    }
    TRY_STATUS(bulk.finish());
    spdlog::info("event=search_rebuild_done documents={} seconds={:.1f}", done,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  TRY(tx->exec(
      "INSERT INTO search_meta (key, value) VALUES ('analyzer', ?) ON CONFLICT (key) DO UPDATE "
      "SET value = excluded.value",
      {want}));
  TRY_STATUS(tx->commit());
  return done;
}

}  // namespace dangan::search
