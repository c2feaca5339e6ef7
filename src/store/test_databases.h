// test_databases.h — for unit tests only: a fresh, fully migrated database per test on
// each available backend. SQLite: a file in a temporary directory. PostgreSQL (when
// DANGAN_TEST_PG_URL is set): a new database in that cluster, dropped afterwards, so
// tests never see each other's rows.
#pragma once
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <system_error>

#include "store/db.h"

namespace dangan::testing {

inline std::string unique_suffix() {
  static std::atomic<int> counter{0};
  static const std::string run = [] {
    std::random_device rd;
    return std::to_string(::getpid()) + "_" + std::to_string(rd() % 100000);
  }();
  return run + "_" + std::to_string(++counter);
}

// A directory of its own under the system's temporary directory ("dangan-<what>-…"),
// removed with everything in it when the test ends.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(std::string_view what = "test")
      : path(std::filesystem::temp_directory_path() /
             ("dangan-" + std::string(what) + "-" + unique_suffix())) {
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

class TestDatabase {
 public:
  // backend: "sqlite" or "postgres".
  explicit TestDatabase(const std::string& backend, store::OpenOptions options = {}) {
    if (backend == "sqlite") {
      dir_ = std::filesystem::temp_directory_path() / ("dangan-test-" + unique_suffix());
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:" + (dir_ / "test.db").string();
    } else {
      const char* base = std::getenv("DANGAN_TEST_PG_URL");
      REQUIRE(base != nullptr);
      admin_url_ = base;
      name_ = "t_" + unique_suffix();
      auto slash = admin_url_.rfind('/');
      REQUIRE(slash != std::string::npos);
      url_ = admin_url_.substr(0, slash + 1) + name_;
      pqxx::connection c(admin_url_);
      pqxx::nontransaction n(c);
      n.exec0("CREATE DATABASE " + name_);
    }
    auto db = store::open(url_, options);
    if (!db) FAIL("open failed: ", db.error().message);
    db_ = std::move(*db);
  }
  ~TestDatabase() {
    db_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    if (!name_.empty()) {
      try {
        pqxx::connection c(admin_url_);
        pqxx::nontransaction n(c);
        n.exec0("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      } catch (const std::exception&) {
      }
    }
  }
  store::Database& db() { return *db_; }
  const std::string& url() const { return url_; }
  // Another handle on the same database (as a second server process would have).
  std::unique_ptr<store::Database> open_again(store::OpenOptions options = {}) const {
    auto db = store::open(url_, options);
    if (!db) FAIL("open failed: ", db.error().message);
    return std::move(*db);
  }

 private:
  std::filesystem::path dir_;
  std::string url_, admin_url_, name_;
  std::unique_ptr<store::Database> db_;
};

// The tables that have a column named `column` (e.g. every table holding patron data
// through `patron_id`), on either backend.
inline std::set<std::string> tables_with_column(store::Tx& tx, const std::string& column) {
  auto rows = tx.backend() == store::Backend::sqlite
                  ? tx.query("SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p "
                             "WHERE m.type = 'table' AND p.name = ?",
                             {column})
                  : tx.query("SELECT table_name::text FROM information_schema.columns WHERE "
                             "column_name = ? AND table_schema = current_schema()",
                             {column});
  REQUIRE_MESSAGE(rows, (rows ? "" : rows.error().message));
  std::set<std::string> out;
  for (const auto& r : *rows) out.insert(r.str(0));
  return out;
}

// Runs `body` once on SQLite and, when DANGAN_TEST_PG_URL is set, once on PostgreSQL.
inline void each_backend(const std::function<void(const std::string& backend)>& body) {
  {
    INFO("backend: sqlite");
    body("sqlite");
  }
  const char* pg = std::getenv("DANGAN_TEST_PG_URL");
  if (pg != nullptr && *pg != '\0') {
    INFO("backend: postgres");
    body("postgres");
  }
}

}  // namespace dangan::testing
