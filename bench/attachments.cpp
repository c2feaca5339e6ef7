// attachments.cpp — what an attachment upload costs, step by step and whole.
//
//   bench_attachments [--dir DIR] [--clamav-db DIR] [--sizes 4096,1048576,16777216]
//                     [--count N]
//
// For each size: SHA-256, libmagic identification, one ClamAV scan in-process (with the
// signatures in --clamav-db, default tests/fixtures/clamav: two signatures, so this is
// the floor of a scan, not its cost with freshclam's millions), staging a plaintext and
// an encrypted copy (write + fsync + rename + directory fsync), and N complete
// Service::upload calls on SQLite (synchronous=FULL) into an open and into a secret
// record (distinct random content, so no deduplication). Prints ms per step and MB/s.
// Run it on the disk the blobs will live on.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "catalogue/attachments.h"
#include "catalogue/blob_store.h"
#include "catalogue/content.h"
#include "catalogue/virus_scan.h"
#include "core/crypto.h"
#include "core/log.h"
#include "store/db.h"

using namespace dangan;
using namespace dangan::catalogue;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

namespace {

double ms_since(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

std::string random_bytes(std::size_t n, std::mt19937_64& rng) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    auto v = rng();
    std::memcpy(s.data() + i, &v, 8);
  }
  return s;
}

// Best of a few runs of fn, in ms.
template <class F>
double best_of(int runs, F fn) {
  double best = 1e18;
  for (int i = 0; i < runs; ++i) {
    auto t = Steady::now();
    fn();
    best = std::min(best, ms_since(t));
  }
  return best;
}

std::int64_t make_record(store::Database& db, const std::string& level, int n) {
  auto tx = db.begin(store::TxMode::write);
  std::string now = "2025-01-01T00:00:00.000000Z";
  if (n == 0) {
    (void)(*tx)->exec("INSERT INTO fonds (code, name, created_at, updated_at) VALUES ('BF','b',?,?)", {now, now});
    (void)(*tx)->exec("INSERT INTO categories (code, name, created_at, updated_at) VALUES ('BC','b',?,?)", {now, now});
    (void)(*tx)->exec("INSERT INTO retention_periods (code, name, years, created_at) VALUES ('BR','b',10,?)", {now});
  }
  auto id = (*tx)->one(
      "INSERT INTO records (reference_code, title, fonds_id, category_id, retention_code, "
      "access_level, created_at, updated_at) VALUES (?, 'bench', (SELECT id FROM fonds WHERE "
      "code='BF'), (SELECT id FROM categories WHERE code='BC'), 'BR', ?, ?, ?) RETURNING id",
      {"BENCH-" + std::to_string(n), level, now, now}, "record");
  (void)(*tx)->commit();
  return id->i64(0);
}

}  // namespace

int main(int argc, char** argv) {
  crypto::init();
  init_logging("warn");
  std::string dir = "/tmp/dangan-bench-attachments", clamav = "tests/fixtures/clamav";
  std::vector<std::size_t> sizes{4096, 1 << 20, 16 << 20};
  int count = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--dir") dir = v;
    if (a == "--clamav-db") clamav = v;
    if (a == "--count") count = std::stoi(v);
    if (a == "--sizes") {
      sizes.clear();
      for (std::size_t p = 0; p < v.size();) {
        auto c = v.find(',', p);
        sizes.push_back(std::stoull(v.substr(p, c - p)));
        p = c == std::string::npos ? v.size() : c + 1;
      }
    }
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  Config config;
  config.database = "sqlite:" + dir + "/bench.db";
  config.blob_dir = dir + "/blobs";
  config.clamav_db = clamav;
  config.max_attachment_bytes = 1u << 30;
  auto db = store::open(config.database);
  if (!db) {
    std::fprintf(stderr, "open: %s\n", db.error().message.c_str());
    return 1;
  }
  std::mt19937_64 rng(42);

  auto t = Steady::now();
  VirusScanner scanner(clamav, config.max_attachment_bytes);
  if (!scanner.wait_ready(std::chrono::seconds(120))) {
    std::fprintf(stderr, "no ClamAV signatures in %s\n", clamav.c_str());
    return 1;
  }
  std::printf("clamav engine load (%s): %.1f ms\n", clamav.c_str(), ms_since(t));
  BlobStore store(blob_store_config(config));
  (void)store.key_id();

  attachments::Service service(**db, config, {});
  std::int64_t open_id = make_record(**db, "open", 0), secret_id = make_record(**db, "secret", 1);

  std::printf("%10s %9s %9s %9s %9s %11s %11s %19s %19s\n", "bytes", "sha256", "identify",
              "scan", "(cached)", "stage plain", "stage enc", "upload open", "upload secret");
  for (std::size_t size : sizes) {
    std::string content = random_bytes(size, rng);
    std::string sha;
    double hash_ms = best_of(3, [&] {
      Sha256 h;
      h.update(content);
      sha = h.hex();
    });
    double id_ms = best_of(3, [&] { (void)identify(content); });
    // libclamav caches clean results by hash: every scan gets content of its own.
    std::vector<std::string> fresh;
    for (int i = 0; i < 3; ++i) fresh.push_back(random_bytes(size, rng));
    int next = 0;
    double scan_ms = best_of(3, [&] { (void)scanner.scan(fresh[next++]); });
    double cached_ms = best_of(3, [&] { (void)scanner.scan(fresh[0]); });
    double plain_ms = best_of(3, [&] {
      auto s = store.stage(sha, content, false);
      (void)store.publish(*s);
    });
    double enc_ms = best_of(3, [&] {
      auto s = store.stage(sha, content, true);
      (void)store.publish(*s);
    });
    store.remove(sha);
    double up[2] = {0, 0};
    for (int which = 0; which < 2; ++which) {
      auto start = Steady::now();
      for (int i = 0; i < count; ++i) {
        std::string c = random_bytes(size, rng);
        auto r = service.upload(system_actor(), which ? secret_id : open_id, "f.bin", c);
        if (!r) {
          std::fprintf(stderr, "upload: %s\n", r.error().message.c_str());
          return 1;
        }
      }
      up[which] = ms_since(start) / count;
    }
    std::printf("%10zu %7.2fms %7.2fms %7.2fms %7.2fms %9.2fms %9.2fms %8.1fms %4.0fMB/s %8.1fms %4.0fMB/s\n",
                size, hash_ms, id_ms, scan_ms, cached_ms, plain_ms, enc_ms, up[0],
                size / 1048576.0 / (up[0] / 1000), up[1], size / 1048576.0 / (up[1] / 1000));
  }
  fs::remove_all(dir);
  return 0;
}
