// pk_lookup.cpp — the database floor under GET /api/v1/patrons/{id}: the same lookups,
// done directly through the store API, without HTTP, sessions, views or auditing.
//
//   bench_pk_lookup --database URL [--threads T] [--seconds S] [--what row|load]
//                   [--max-id N] [--pool P]
//
// --what row:  one read transaction + the server's patron query
//              (SELECT <the columns patrons::detail::load reads> FROM patrons WHERE id = ?)
// --what load: one read transaction + patrons::detail::load (that query, the contacts
//              and the tags, assembled into JSON) — exactly the database work of a GET.
// T threads (default 2) loop over random ids in [1, max-id] (default: MAX(id)) for S
// seconds (default 10), with a pool of P connections (default 16, the server's default).
// Prints one BENCH_RESULT line in the format of bench/wrk/common.lua.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "patrons/fields.h"
#include "store/db.h"

using namespace dangan;
using SteadyClock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::string url, what = "load";
  int threads = 2, pool = 16;
  double seconds = 10;
  std::int64_t max_id = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (!v) {
      std::cerr << "missing value for " << a << "\n";
      return 2;
    }
    ++i;
    if (a == "--database") url = v;
    else if (a == "--threads") threads = std::max(1, std::atoi(v));
    else if (a == "--seconds") seconds = std::atof(v);
    else if (a == "--what") what = v;
    else if (a == "--max-id") max_id = std::atoll(v);
    else if (a == "--pool") pool = std::max(1, std::atoi(v));
    else {
      std::cerr << "usage: bench_pk_lookup --database URL [--threads T] [--seconds S] "
                   "[--what row|load] [--max-id N] [--pool P]\n";
      return 2;
    }
  }
  if (url.empty() || (what != "row" && what != "load")) {
    std::cerr << "bench_pk_lookup: --database URL is required; --what is row or load\n";
    return 2;
  }
  store::OpenOptions oo;
  oo.pool_size = pool;
  oo.migrate = false;
  auto db = store::open(url, oo);
  if (!db) {
    std::cerr << "bench_pk_lookup: " << db.error().message << "\n";
    return 1;
  }
  if (max_id <= 0) {
    auto tx = (*db)->begin(store::TxMode::read);
    if (!tx) return 1;
    auto r = (*tx)->one("SELECT COALESCE(MAX(id), 0) FROM patrons", {}, "max");
    if (!r || r->i64(0) <= 0) {
      std::cerr << "bench_pk_lookup: no patrons\n";
      return 1;
    }
    max_id = r->i64(0);
  }
  // The column list of patrons::detail::load, in its order.
  std::string row_sql =
      "SELECT id, type, status, merged_into, id_doc_type, id_doc_number, organisation_id, interests, "
      "consent_contact, consent_contact_at, consent_marketing, consent_marketing_at, "
      "consent_processing, consent_processing_at, unit_id, version, created_at, updated_at";
  for (auto& f : patrons::detail::fields()) row_sql += ", " + std::string(f.name);
  row_sql += " FROM patrons WHERE id = ?";

  std::atomic<bool> stop{false};
  std::atomic<long> failures{0};
  std::vector<std::vector<float>> lat(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool_threads;
  auto start = SteadyClock::now();
  for (int t = 0; t < threads; ++t) {
    pool_threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<unsigned>(t) * 7919u + 1);
      auto& mine = lat[static_cast<std::size_t>(t)];
      mine.reserve(1 << 20);
      while (!stop.load(std::memory_order_relaxed)) {
        std::int64_t id = 1 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(max_id));
        auto t0 = SteadyClock::now();
        bool ok = false;
        if (auto tx = (*db)->begin(store::TxMode::read)) {
          if (what == "row") ok = (*tx)->maybe_one(row_sql, {id}).has_value();
          else ok = patrons::detail::load(**tx, id).has_value();
        }
        if (!ok) failures.fetch_add(1, std::memory_order_relaxed);
        mine.push_back(std::chrono::duration<float, std::milli>(SteadyClock::now() - t0).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool_threads) th.join();
  double secs = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::vector<float> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    if (all.empty()) return 0.0f;
    return all[std::min(all.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(all.size())))];
  };
  std::printf(
      "BENCH_RESULT requests=%zu seconds=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
      "max_ms=%.2f errors=%ld non2xx=0\n",
      all.size(), secs, static_cast<double>(all.size()) / secs, pct(50), pct(90), pct(99),
      all.empty() ? 0.0f : all.back(), failures.load());
  return 0;
}
