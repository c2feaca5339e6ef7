// search_bench.cpp — builds the search index from generated records through the real
// code (search::Bulk) and measures indexing, index size, and top-20 searches with facets
// over a query mix; side by side with a naive LIKE '%term%' scan (both backends) and with
// FTS5's trigram tokenizer over the raw text (SQLite), reported as ratios.
//
//   bench_search_bench --database sqlite:/tmp/s.db --records bench/data/records-1m.jsonl
//       [--count N] [--threads T] [--reps R] [--skip-index] [--baselines]
//       [--baseline-queries N] [--queries tests/fixtures/search/queries.json] [--phases]
//       [--faq N]
//
// --faq N adds N FAQ entries (documents of kind "faq", as src/service/faq.cpp indexes
// them) before the queries: with another kind in the index, catalogue queries filter on
// their kind, and this measures what that costs.
//
// Records come from tests/fixtures/search/generate.py (bench/run-search makes them).
// The query mix: the judged queries of the fixture (the same vocabulary: topic names,
// two-character words, traditional, mixed, pinyin, initials, English, creators), the
// three most common words, and reference codes and code prefixes drawn from the indexed
// records; run as an archivist (every access level) and, for a third of them, as a
// patron. Each query runs `reps` times after one warm-up run; latencies are per call of
// search::run in a read transaction.
//
// Prints a human summary and one machine line:
//   BENCH_SEARCH backend=… records=… index_s=… records_per_s=… size_mb=… p50_ms=… p99_ms=…
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "search/search.h"
#include "store/db.h"

using namespace dangan;
using json = nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

struct Options {
  std::string database, records, queries = "tests/fixtures/search/queries.json";
  long count = 0;
  int threads = 0, reps = 5, baseline_queries = 12, faq = 0;
  bool skip_index = false, baselines = false, phases = false;
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "search_bench: %s\n", msg);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--database")
      o.database = next();
    else if (a == "--records")
      o.records = next();
    else if (a == "--queries")
      o.queries = next();
    else if (a == "--count")
      o.count = std::stol(next());
    else if (a == "--threads")
      o.threads = std::stoi(next());
    else if (a == "--reps")
      o.reps = std::stoi(next());
    else if (a == "--baseline-queries")
      o.baseline_queries = std::stoi(next());
    else if (a == "--skip-index")
      o.skip_index = true;
    else if (a == "--baselines")
      o.baselines = true;
    else if (a == "--phases")
      o.phases = true;
    else if (a == "--faq")
      o.faq = std::stoi(next());
    else
      usage(("unknown option " + a).c_str());
  }
  if (o.database.empty()) usage("--database is required");
  if (!o.skip_index && o.records.empty()) usage("--records is required unless --skip-index");
  return o;
}

search::Document document_of(const json& j) {
  search::Document d;
  d.id = j["id"];
  d.reference_code = j["reference_code"];
  d.title = j["title"];
  d.description = j["description"];
  d.creator = j["creator"];
  for (const auto& k : j["keywords"]) d.keywords.push_back(k);
  d.fonds_id = j["fonds_id"];
  d.category_id = j["category_id"];
  for (const auto& c : j["category_path"]) d.category_path.push_back(c);
  d.year = j["year"].get<int>();
  d.access_level = j["access_level"];
  d.carrier = j["carrier"];
  d.important = j["important"];
  d.use_count = j["use_count"];
  d.cited_by = j["cited_by"];
  d.source_authority = j["source_authority"];
  d.updated_at = j["updated_at"];
  return d;
}

// CPU time of the calling thread: with SQLite, a search runs entirely on it, so this is
// what the search costs when other processes take the cores (wall time then includes
// waiting for one).
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// utime + stime of another process on this machine (/proc/PID/stat), in ms.
double process_cpu_ms_of(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ms_since(Steady::time_point t0) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "search_bench: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}
void must(Status s, const char* what) {
  if (!s) {
    std::fprintf(stderr, "search_bench: %s: %s\n", what, s.error().message.c_str());
    std::exit(1);
  }
}

double size_mb(store::Database& db, const std::string& url) {
  if (db.backend() == store::Backend::sqlite) {
    std::error_code ec;
    auto path = url.substr(7);
    double bytes = static_cast<double>(std::filesystem::file_size(path, ec));
    auto wal = std::filesystem::file_size(path + "-wal", ec);
    if (!ec) bytes += static_cast<double>(wal);
    return bytes / 1048576.0;
  }
  auto tx = must(db.begin(store::TxMode::read), "begin");
  auto row = must(tx->one("SELECT pg_total_relation_size('search_docs')", {}, "size"), "size");
  return static_cast<double>(row.i64(0)) / 1048576.0;
}

struct Q {
  std::string q, kind;
  search::Audience audience = search::Audience::staff_all;
};

std::vector<Q> query_mix(const Options& o, const std::vector<std::string>& codes) {
  std::vector<Q> mix;
  std::ifstream in(o.queries);
  if (!in) usage(("cannot read " + o.queries).c_str());
  json judged = json::parse(in);
  for (const auto& j : judged) {
    std::string kind = j["kind"];
    if (kind == "code" || kind == "code_prefix") continue;  // codes of the fixture
    mix.push_back({j["q"], kind});
  }
  for (const char* w : {"档案", "管理", "资料"}) mix.push_back({w, "common"});
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const std::string& c = codes[i];
    if (i % 2 == 0) {
      mix.push_back({c, "code"});
    } else {
      auto dash = c.find('-', c.find('-') + 1);
      mix.push_back(
          {dash == std::string::npos ? c.substr(0, 7) : c.substr(0, dash), "code_prefix"});
    }
  }
  std::size_t n = mix.size();
  for (std::size_t i = 0; i < n; i += 3) {
    Q p = mix[i];
    p.audience = search::Audience::patron;
    p.kind += "/patron";
    mix.push_back(p);
  }
  return mix;
}

// ---------------------------------------------------------------- baselines

// The raw text the baselines search: what a naive implementation would scan.
void build_baselines(store::Database& db) {
  auto tx = must(db.begin(store::TxMode::write), "begin");
  if (std::getenv("BENCH_REUSE_TRIGRAM")) {  // a database kept from an earlier run
    auto have = tx->maybe_one("SELECT 1 FROM bench_trigram LIMIT 1", {});
    if (have && *have) {
      std::printf("  trigram index kept from an earlier run (BENCH_REUSE_TRIGRAM)\n");
      return;
    }
  }
  must(tx->exec_script("DROP TABLE IF EXISTS bench_trigram;"
                       "CREATE VIRTUAL TABLE bench_trigram USING fts5(title, body, content='', "
                       "tokenize='trigram')"),
       "create trigram");
  auto t0 = Steady::now();
  must(tx->exec("INSERT INTO bench_trigram(rowid, title, body) SELECT srowid, title, "
                "description || ' ' || creator || ' ' || keywords || ' ' || reference_code "
                "FROM search_docs"),
       "fill trigram");
  must(tx->commit(), "commit");
  std::printf("  trigram index built in %.1f s\n", ms_since(t0) / 1000);
}

struct Baseline {
  double ms = 0;
  long total = 0;
};

Baseline like_scan(store::Database& db, const std::string& term) {
  auto tx = must(db.begin(store::TxMode::read), "begin");
  auto t0 = Steady::now();
  std::string pattern = "%" + term + "%";
  auto rows = must(tx->query("SELECT id FROM search_docs WHERE title LIKE ? OR description LIKE ? "
                             "OR creator LIKE ? OR keywords LIKE ? OR reference_code LIKE ? "
                             "ORDER BY srowid DESC LIMIT 20",
                             {pattern, pattern, pattern, pattern, pattern}),
                   "like");
  auto count = must(tx->one("SELECT count(*) FROM search_docs WHERE title LIKE ? OR description "
                            "LIKE ? OR creator LIKE ? OR keywords LIKE ? OR reference_code LIKE ?",
                            {pattern, pattern, pattern, pattern, pattern}, "count"),
                    "like count");
  return {ms_since(t0), static_cast<long>(count.i64(0))};
}

Baseline trigram(store::Database& db, const std::string& term) {
  auto tx = must(db.begin(store::TxMode::read), "begin");
  auto t0 = Steady::now();
  std::string phrase = "\"" + term + "\"";
  auto rows = tx->query(
      "SELECT rowid FROM bench_trigram WHERE bench_trigram MATCH ? ORDER BY rank LIMIT 20",
      {phrase});
  long total = 0;
  if (rows) {
    auto count = tx->one("SELECT count(*) FROM bench_trigram WHERE bench_trigram MATCH ?", {phrase},
                         "count");
    if (count) total = static_cast<long>(count->i64(0));
  }
  return {ms_since(t0), total};
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  store::OpenOptions open_options;
  open_options.pool_size = 4;
  auto db = must(store::open(o.database, open_options), "open");
  const char* backend = db->backend() == store::Backend::sqlite ? "sqlite" : "postgres";
  std::vector<std::string> codes;
  long records = 0;
  double index_s = 0, writer_us = 0, process_us = 0, server_us = 0;
  double add_s = 0, finish_s = 0, commit_s = 0;  // the phases of index_s
  double checkpoint_s = -1;  // SQLite: from the commit until the WAL is in the database file
  int prep_threads = 0;

  {
    // What the server does at start: rebuild when the analyzer or the layout changed.
    auto t0 = Steady::now();
    auto n = must(search::maintain(*db), "maintain");
    if (n > 0)
      std::printf("  index rebuilt from search_docs (search::maintain): %lld documents in %.1f s\n",
                  static_cast<long long>(n), ms_since(t0) / 1000);
  }
  if (!o.skip_index) {
    std::ifstream in(o.records);
    if (!in) usage(("cannot read " + o.records).c_str());
    // Read first, so the timing is the index's, not JSON parsing's.
    std::vector<search::Document> docs;
    std::string line;
    while ((o.count == 0 || static_cast<long>(docs.size()) < o.count) && std::getline(in, line))
      docs.push_back(document_of(json::parse(line)));
    records = static_cast<long>(docs.size());
    std::fprintf(stderr, "indexing %ld records on %s\n", records, backend);
    auto t0 = Steady::now();
    const double writer0 = thread_cpu_ms(), process0 = process_cpu_ms();
    auto tx = must(db->begin(store::TxMode::write), "begin");
    // PostgreSQL: the CPU time of the server process doing the load (same machine).
    long server_pid = 0;
    if (db->backend() == store::Backend::postgres)
      server_pid =
          static_cast<long>(must(tx->one("SELECT pg_backend_pid()", {}, "pid"), "pid").i64(0));
    const double server0 = server_pid ? process_cpu_ms_of(server_pid) : 0;
    must(search::clear(*tx), "clear");
    {
      search::Bulk bulk(*tx, o.threads, true);
      long n = 0;
      for (auto& d : docs) {
        must(bulk.add(std::move(d)), "add");
        if (++n % 100000 == 0)
          std::fprintf(stderr, "  %ld (%.0f/s)\n", n, n / (ms_since(t0) / 1000));
      }
      add_s = ms_since(t0) / 1000;
      must(bulk.finish(), "finish");
      prep_threads = bulk.threads();
      finish_s = ms_since(t0) / 1000 - add_s;
    }
    if (server_pid)
      server_us = (process_cpu_ms_of(server_pid) - server0) * 1000 / static_cast<double>(records);
    const double before_commit = ms_since(t0) / 1000;
    must(tx->commit(), "commit");
    index_s = ms_since(t0) / 1000;
    commit_s = index_s - before_commit;
    writer_us = (thread_cpu_ms() - writer0) * 1000 / static_cast<double>(records);
    process_us = (process_cpu_ms() - process0) * 1000 / static_cast<double>(records);
    if (db->backend() == store::Backend::postgres) {
      // What autovacuum does within a minute or two of a load, so the figures are of the
      // steady state (measured at 100k: p50 7.9 ms right after the load, 5.6 ms after
      // VACUUM at a higher load average; the first reads set hint bits on every row). A
      // connection of its own: VACUUM cannot run inside a transaction.
      auto v0 = Steady::now();
      pqxx::connection conn(o.database);
      pqxx::nontransaction n(conn);
      n.exec("VACUUM (ANALYZE) search_docs");
      std::printf("  VACUUM (ANALYZE) after the load: %.1f s\n", ms_since(v0) / 1000);
    } else {
      // What the server reaches soon after: the load's WAL copied into the database
      // (a connection of its own: a checkpoint cannot run inside a transaction). The
      // server's own checkpoint thread has started on it when the commit returned; this
      // waits for it, then empties the WAL, and says how long that took.
      auto c0 = Steady::now();
      sqlite3* raw = nullptr;
      if (sqlite3_open(o.database.substr(7).c_str(), &raw) == SQLITE_OK) {
        sqlite3_busy_timeout(raw, 600000);
        // A connection finds the WAL at its first read; a checkpoint before that does
        // nothing. BUSY comes at once, without the busy handler, while the other
        // checkpoint runs.
        sqlite3_exec(raw, "SELECT 1 FROM sqlite_schema LIMIT 1", nullptr, nullptr, nullptr);
        int rc = SQLITE_BUSY;
        for (int i = 0; i < 6000 && rc == SQLITE_BUSY; ++i) {
          rc =
              sqlite3_wal_checkpoint_v2(raw, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
          if (rc == SQLITE_BUSY) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (rc != SQLITE_OK)
          std::fprintf(stderr, "  checkpoint after the load failed: %s\n", sqlite3_errmsg(raw));
      }
      sqlite3_close(raw);
      checkpoint_s = ms_since(c0) / 1000;
    }
  }
  if (o.faq > 0) {
    auto tx = must(db->begin(store::TxMode::write), "begin");
    for (int i = 1; i <= o.faq; ++i) {
      search::Document d;
      d.kind = "faq";
      d.id = i;
      d.title = "如何查询退休档案和婚姻登记档案（第" + std::to_string(i) + "条）";
      d.description = "工作日携带本人身份证件到一楼查档窗口办理，档案馆开放时间为周一至周五。";
      d.updated_at = "2026-11-26T00:00:00Z";
      must(search::upsert(*tx, d), "faq upsert");
    }
    must(tx->commit(), "commit");
    std::printf("  %d FAQ documents in the index (catalogue queries filter on their kind)\n",
                o.faq);
  }
  {
    auto tx = must(db->begin(store::TxMode::read), "begin");
    auto row = must(tx->one("SELECT count(*) FROM search_docs WHERE kind = 'record'", {}, "count"),
                    "count");
    records = static_cast<long>(row.i64(0));
    // Codes spread over the collection.
    std::mt19937 rng(7);
    for (int i = 0; i < 10 && records > 0; ++i) {
      std::int64_t id = 1 + static_cast<std::int64_t>(rng() % static_cast<unsigned>(records));
      auto r = must(tx->maybe_one("SELECT reference_code FROM search_docs WHERE kind = 'record' "
                                  "AND id = ?",
                                  {id}),
                    "code");
      if (r) codes.push_back(r->str(0));
    }
  }
  double mb = size_mb(*db, o.database);
  std::printf("search benchmark, %s, %ld records\n", backend, records);
  if (index_s > 0) {
    std::printf("  indexing: %.1f s, %.0f records/s (%d threads preparing text)\n", index_s,
                records / index_s, prep_threads);
    std::printf(
        "    CPU per record: %.0f µs in this process (%.0f µs on the writing thread, %.0f µs "
        "preparing text on the others)",
        process_us, writer_us, process_us - writer_us);
    if (server_us > 0) std::printf(", and %.0f µs in the PostgreSQL server", server_us);
    std::printf("\n");
    std::printf("    phases: adding %.1f s, the last chunks %.1f s, commit %.1f s\n", add_s,
                finish_s, commit_s);
    if (checkpoint_s >= 0)
      std::printf(
          "    then the WAL copied into the database file (not in the time above): %.1f s\n",
          checkpoint_s);
  }
  std::printf("  database size with the index: %.0f MB\n", mb);

  // Queries.
  if (o.phases) spdlog::set_level(spdlog::level::debug);  // event=search_phases per query
  auto mix = query_mix(o, codes);
  search::Weights w;
  std::vector<double> all, staff, patron, cpu;
  std::map<std::string, std::vector<double>> by_kind;
  for (const auto& m : mix) {
    for (int rep = -1; rep < o.reps; ++rep) {
      auto t0 = Steady::now();
      double c0 = thread_cpu_ms();
      auto tx = must(db->begin(store::TxMode::read), "begin");
      search::Query q;
      q.q = m.q;
      q.audience = m.audience;
      q.limit = 20;
      auto r = search::run(*tx, q, w);
      double ms = ms_since(t0);
      double cpu_ms = thread_cpu_ms() - c0;
      if (!r) {
        std::fprintf(stderr, "query %s failed: %s\n", m.q.c_str(), r.error().message.c_str());
        continue;
      }
      if (rep < 0) continue;  // warm-up
      all.push_back(ms);
      cpu.push_back(cpu_ms);
      (m.audience == search::Audience::patron ? patron : staff).push_back(ms);
      by_kind[m.kind.substr(0, m.kind.find('/'))].push_back(ms);
    }
  }
  std::printf(
      "  top-20 with facets, %zu queries × %d runs: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
      "max %.2f ms\n",
      mix.size(), o.reps, percentile(all, 0.5), percentile(all, 0.9), percentile(all, 0.99),
      percentile(all, 1.0));
  std::printf("    CPU time of the searching thread%s: p50 %.2f ms, p99 %.2f ms\n",
              db->backend() == store::Backend::postgres ? " (client side only)" : "",
              percentile(cpu, 0.5), percentile(cpu, 0.99));
  std::printf("    staff p50 %.2f / p99 %.2f ms; patrons p50 %.2f / p99 %.2f ms\n",
              percentile(staff, 0.5), percentile(staff, 0.99), percentile(patron, 0.5),
              percentile(patron, 0.99));
  for (auto& [kind, v] : by_kind)
    std::printf("    %-12s p50 %7.2f ms  p99 %7.2f ms\n", kind.c_str(), percentile(v, 0.5),
                percentile(v, 0.99));

  double like_p50 = 0, tri_p50 = 0, ours_p50 = 0;
  if (o.baselines) {
    const bool sqlite = db->backend() == store::Backend::sqlite;
    if (sqlite) build_baselines(*db);
    // The Chinese words of the mix (the baselines match substrings; pinyin and stems
    // they cannot), each run twice, the second timed: LIKE scans the table every time.
    std::vector<std::string> terms;
    for (const auto& m : mix)
      if ((m.kind == "simplified" || m.kind == "two_char" || m.kind == "common") &&
          static_cast<int>(terms.size()) < o.baseline_queries)
        terms.push_back(m.q);
    std::vector<double> like_ms, tri_ms, ours_ms;
    int tri_answered = 0;
    std::printf(
        "  baselines over %zu Chinese queries (top 20 and the count of matches; "
        "the second of two runs):\n",
        terms.size());
    for (const auto& t : terms) {
      double ours = 0;
      long long total = 0;
      bool exact = true;
      for (int rep = 0; rep < 2; ++rep) {
        auto tx = must(db->begin(store::TxMode::read), "begin");
        search::Query q;
        q.q = t;
        q.audience = search::Audience::staff_all;
        auto t0 = Steady::now();
        auto r = must(search::run(*tx, q, w), "ours");
        ours = ms_since(t0);
        total = r.total;
        exact = r.total_exact;
      }
      Baseline l, g;
      for (int rep = 0; rep < 2; ++rep) {
        l = like_scan(*db, t);
        if (sqlite) g = trigram(*db, t);
      }
      like_ms.push_back(l.ms);
      ours_ms.push_back(ours);
      if (sqlite) tri_ms.push_back(g.ms);
      if (g.total > 0) ++tri_answered;
      std::printf("    %-10s ours %7.2f ms (%lld%s)  LIKE %8.1f ms (%ld)", t.c_str(), ours, total,
                  exact ? "" : "+", l.ms, l.total);
      if (sqlite) std::printf("  trigram %7.1f ms (%ld)", g.ms, g.total);
      std::printf("\n");
    }
    like_p50 = percentile(like_ms, 0.5);
    tri_p50 = percentile(tri_ms, 0.5);
    ours_p50 = percentile(ours_ms, 0.5);
    const double ours_p99 = std::max(percentile(ours_ms, 0.99), 1e-3);
    std::printf("  p50: ours %.2f ms, LIKE %.1f ms (%.0f× ours)", ours_p50, like_p50,
                like_p50 / std::max(ours_p50, 1e-3));
    if (sqlite)
      std::printf(", trigram %.1f ms (%.1f× ours)", tri_p50, tri_p50 / std::max(ours_p50, 1e-3));
    std::printf("\n  p99 (the slowest): ours %.2f ms, LIKE %.1f ms (%.0f× ours)", ours_p99,
                percentile(like_ms, 0.99), percentile(like_ms, 0.99) / ours_p99);
    if (sqlite)
      std::printf(", trigram %.1f ms (%.1f× ours); trigram found something for %d of %zu",
                  percentile(tri_ms, 0.99), percentile(tri_ms, 0.99) / ours_p99, tri_answered,
                  terms.size());
    std::printf("\n");
  }
  std::printf(
      "BENCH_SEARCH backend=%s records=%ld index_s=%.1f records_per_s=%.0f size_mb=%.0f "
      "p50_ms=%.2f p99_ms=%.2f like_p50_ms=%.1f trigram_p50_ms=%.1f\n",
      backend, records, index_s, index_s > 0 ? records / index_s : 0.0, mb, percentile(all, 0.5),
      percentile(all, 0.99), like_p50, tri_p50);
  return 0;
}
