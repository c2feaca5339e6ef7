// store_test.cpp — one body per behaviour, run on SQLite (a temporary file) and, when
// DANGAN_TEST_PG_URL is set, on PostgreSQL. Tables carry a per-run suffix and are
// dropped afterwards, so runs can share a PostgreSQL database.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <pqxx/pqxx>
#include <random>
#include <thread>

#include "store/db.h"
#include "store/store_internal.h"
#include "store/test_databases.h"

namespace dangan::store {
namespace {

namespace fs = std::filesystem;
using ::dangan::testing::TempDir;

std::string run_suffix() {
  static const std::string s = [] {
    std::random_device rd;
    return std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000);
  }();
  return s;
}

std::string table_name(std::string_view base) {
  static std::atomic<int> counter{0};
  return "t_" + std::string(base) + "_" + run_suffix() + "_" + std::to_string(++counter);
}

std::unique_ptr<Database> must_open(const std::string& url, OpenOptions options = {}) {
  auto db = open(url, options);
  if (!db) FAIL("open failed: ", db.error().message);
  return std::move(*db);
}

// Creates a table for one test and drops it when the test ends.
struct TestTable {
  Database* db;  // a test that reopens its database points this at the new one
  std::string name;
  TestTable(Database& d, std::string_view base, std::string_view columns)
      : db(&d), name(table_name(base)) {
    auto tx = db->begin(TxMode::write);
    REQUIRE(tx);
    REQUIRE((*tx)->exec_script("CREATE TABLE " + name + " (" + std::string(columns) + ")"));
    REQUIRE((*tx)->commit());
  }
  ~TestTable() {
    auto tx = db->begin(TxMode::write);
    if (tx && (*tx)->exec_script("DROP TABLE IF EXISTS " + name)) (void)(*tx)->commit();
  }
};

std::int64_t count_rows(Database& db, const std::string& table) {
  auto tx = db.begin(TxMode::read);
  REQUIRE(tx);
  auto row = (*tx)->one("SELECT COUNT(*) FROM " + table, {}, "count");
  REQUIRE(row);
  return row->i64(0);
}

const char* pg_url() {
  const char* url = std::getenv("DANGAN_TEST_PG_URL");
  return url != nullptr && *url != '\0' ? url : nullptr;
}

// Runs `body(url)` once per available backend.
void for_each_backend(const std::function<void(const std::string&)>& body) {
  {
    TempDir dir{"store-test"};
    INFO("backend: sqlite");
    body("sqlite:" + (dir.path / "data" / "test.db").string());
  }
  if (const char* url = pg_url()) {
    INFO("backend: postgres");
    body(url);
  }
}

TEST_CASE("store: values of every type round-trip") {
  for_each_backend([](const std::string& url) {
    auto db = must_open(url);
    TestTable t(*db, "values", "id BIGINT PRIMARY KEY, i BIGINT, f DOUBLE PRECISION, s TEXT");
    const std::string chinese = "档案管理 檔案 — 张三";
    const std::string tricky = "it's \"quoted\"\nsecond line ?";
    {
      auto tx = db->begin(TxMode::write);
      REQUIRE(tx);
      const std::string sql = "INSERT INTO " + t.name + " (id, i, f, s) VALUES (?, ?, ?, ?)";
      Params rows[] = {
          {std::int64_t{1}, std::numeric_limits<std::int64_t>::max(), 0.1, chinese},
          {std::int64_t{2}, std::numeric_limits<std::int64_t>::min(), -1e300, std::string()},
          {std::int64_t{3}, null_value(), null_value(), null_value()},
          {std::int64_t{4}, std::int64_t{0}, 2.5, tricky},
      };
      for (const Params& p : rows) {
        auto n = (*tx)->exec(sql, p);
        REQUIRE(n);
        CHECK(*n == 1);
      }
      REQUIRE((*tx)->commit());
    }
    auto tx = db->begin(TxMode::read);
    REQUIRE(tx);
    auto rows = (*tx)->query("SELECT id, i, f, s FROM " + t.name + " ORDER BY id");
    REQUIRE(rows);
    REQUIRE(rows->size() == 4);
    CHECK(rows->columns == std::vector<std::string>{"id", "i", "f", "s"});
    const Row& r1 = (*rows)[0];
    CHECK(std::get<std::int64_t>(r1.cols[1]) == std::numeric_limits<std::int64_t>::max());
    CHECK(std::get<double>(r1.cols[2]) == 0.1);
    CHECK(std::get<std::string>(r1.cols[3]) == chinese);
    const Row& r2 = (*rows)[1];
    CHECK(r2.i64(1) == std::numeric_limits<std::int64_t>::min());
    CHECK(r2.f64(2) == -1e300);
    CHECK(std::holds_alternative<std::string>(r2.cols[3]));  // empty text is not NULL
    CHECK(r2.str(3).empty());
    const Row& r3 = (*rows)[2];
    CHECK(r3.is_null(1));
    CHECK(r3.is_null(2));
    CHECK(r3.is_null(3));
    CHECK(r3.opt_str(3) == std::nullopt);
    CHECK(r3.opt_i64(1) == std::nullopt);
    CHECK(r3.i64(1) == 0);
    CHECK((*rows)[3].str(3) == tricky);
    CHECK((*rows)[3].str(2) == "2.5");
    CHECK((*rows)[3].str(0) == "4");

    auto found = (*tx)->one("SELECT s FROM " + t.name + " WHERE s = ?", {chinese}, "value");
    REQUIRE(found);
    CHECK(found->str(0) == chinese);
    auto missing =
        (*tx)->one("SELECT s FROM " + t.name + " WHERE id = ?", {std::int64_t{99}}, "widget");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK(missing.error().message.find("widget") != std::string::npos);

    if (db->backend() == Backend::postgres) {
      auto typed = (*tx)->one(
          "SELECT true, false, 1.5::numeric, 7::smallint, 3::int, 2.5::real, now()", {}, "typed");
      REQUIRE(typed);
      CHECK(std::get<std::int64_t>(typed->cols[0]) == 1);
      CHECK(std::get<std::int64_t>(typed->cols[1]) == 0);
      CHECK(std::get<double>(typed->cols[2]) == 1.5);
      CHECK(std::get<std::int64_t>(typed->cols[3]) == 7);
      CHECK(std::get<std::int64_t>(typed->cols[4]) == 3);
      CHECK(std::get<double>(typed->cols[5]) == 2.5);
      CHECK(std::holds_alternative<std::string>(typed->cols[6]));
    }
  });
}

TEST_CASE("store: unique violation is a conflict without the value, and fails the tx") {
  for_each_backend([](const std::string& url) {
    auto db = must_open(url);
    TestTable t(*db, "conflict", "id BIGINT PRIMARY KEY, email TEXT NOT NULL");
    {
      auto tx = db->begin(TxMode::write);
      REQUIRE(tx);
      REQUIRE(
          (*tx)->exec_script("CREATE UNIQUE INDEX " + t.name + "_email ON " + t.name + " (email)"));
      REQUIRE((*tx)->exec("INSERT INTO " + t.name + " VALUES (?, ?)",
                          {std::int64_t{1}, std::string("张三@example.cn")}));
      REQUIRE((*tx)->commit());
    }
    {
      auto tx = db->begin(TxMode::write);
      REQUIRE(tx);
      REQUIRE((*tx)->exec("INSERT INTO " + t.name + " VALUES (?, ?)",
                          {std::int64_t{2}, std::string("李四@example.cn")}));
      auto dup = (*tx)->exec("INSERT INTO " + t.name + " VALUES (?, ?)",
                             {std::int64_t{3}, std::string("张三@example.cn")});
      REQUIRE_FALSE(dup);
      CHECK(dup.error().code == ErrorCode::conflict);
      CHECK(dup.error().message.find("张三") == std::string::npos);
      CHECK(dup.error().message.find("example") == std::string::npos);
      // Both backends refuse to go on after an error (PostgreSQL must; SQLite is held to it).
      CHECK_FALSE((*tx)->query("SELECT 1"));
      auto st = (*tx)->commit();
      REQUIRE_FALSE(st);
      CHECK(st.error().code == ErrorCode::conflict);
    }
    CHECK(count_rows(*db, t.name) == 1);  // 李四's row went with the failed tx

    auto tx = db->begin(TxMode::write);
    REQUIRE(tx);
    auto pk = (*tx)->exec("INSERT INTO " + t.name + " VALUES (?, ?)",
                          {std::int64_t{1}, std::string("other@example.cn")});
    REQUIRE_FALSE(pk);
    CHECK(pk.error().code == ErrorCode::conflict);
  });
}

TEST_CASE("store: a Tx destroyed without commit rolls back; read Tx cannot write") {
  for_each_backend([](const std::string& url) {
    auto db = must_open(url);
    TestTable t(*db, "rollback", "id BIGINT PRIMARY KEY");
    {
      auto tx = db->begin(TxMode::write);
      REQUIRE(tx);
      REQUIRE((*tx)->exec("INSERT INTO " + t.name + " VALUES (?)", {std::int64_t{1}}));
    }
    CHECK(count_rows(*db, t.name) == 0);
    auto rtx = db->begin(TxMode::read);
    REQUIRE(rtx);
    CHECK((*rtx)->mode() == TxMode::read);
    auto w = (*rtx)->exec("INSERT INTO " + t.name + " VALUES (?)", {std::int64_t{2}});
    REQUIRE_FALSE(w);
    CHECK(w.error().code == ErrorCode::internal);
    rtx->reset();
    CHECK(count_rows(*db, t.name) == 0);
    // A finished Tx refuses work instead of starting a new transaction silently.
    auto tx = db->begin(TxMode::write);
    REQUIRE(tx);
    REQUIRE((*tx)->commit());
    CHECK_FALSE((*tx)->exec("INSERT INTO " + t.name + " VALUES (?)", {std::int64_t{3}}));
  });
}

TEST_CASE("store: commit ends the transaction at once, before the Tx is dropped") {
  for_each_backend([](const std::string& url) {
    OpenOptions o;
    o.pool_size = 1;
    o.busy_timeout_ms = 200;
    auto db = must_open(url, o);
    TestTable t(*db, "commit_releases", "id BIGINT PRIMARY KEY");
    auto first = db->begin(TxMode::write);
    REQUIRE(first);
    REQUIRE((*first)->exec("INSERT INTO " + t.name + " VALUES (?)", {std::int64_t{1}}));
    REQUIRE((*first)->commit());
    // `first` is still alive: the writer lock (SQLite) and the only pooled connection
    // (PostgreSQL) must already be free for the next transaction.
    auto second = db->begin(TxMode::write);
    REQUIRE(second);
    REQUIRE((*second)->exec("INSERT INTO " + t.name + " VALUES (?)", {std::int64_t{2}}));
    REQUIRE((*second)->commit());
    auto read = db->begin(TxMode::read);
    REQUIRE(read);
    CHECK((*read)->one("SELECT COUNT(*) FROM " + t.name, {}, "count")->i64(0) == 2);
  });
}

// Frames in the WAL and frames already copied into the database file, read from the
// wal-index (the -shm file; SQLite's documented layout: mxFrame at byte 16 of the header,
// nBackfill at byte 96, both native-endian 32-bit).
std::pair<std::uint32_t, std::uint32_t> wal_progress(const fs::path& db_file) {
  std::ifstream in(db_file.string() + "-shm", std::ios::binary);
  char buf[100] = {};
  if (!in.read(buf, sizeof buf)) return {0, 0};
  std::uint32_t frames = 0, copied = 0;
  std::memcpy(&frames, buf + 16, 4);
  std::memcpy(&copied, buf + 96, 4);
  return {frames, copied};
}

// One commit of ~8 MB into `table` (id, blob): 2,000 rows of 4 KB, so 2,000 pages, past
// the 1,000 pages that start a checkpoint. Ids from `from` on.
void commit_8mb(Database& db, const std::string& table, std::int64_t from) {
  const std::string blob(4000, 'x');
  auto tx = db.begin(TxMode::write);
  REQUIRE(tx);
  for (std::int64_t i = from; i < from + 2000; ++i)
    REQUIRE((*tx)->exec("INSERT INTO " + table + " VALUES (?, ?)", {i, blob}));
  REQUIRE((*tx)->commit());
}

TEST_CASE("store: SQLite copies the WAL into the database file after big commits, and reuses it") {
  TempDir dir{"store-test"};
  const fs::path file = dir.path / "wal.db";
  auto db = must_open("sqlite:" + file.string());
  TestTable t(*db, "wal", "id BIGINT PRIMARY KEY, b BLOB");
  // Nothing in this test checkpoints: the copy is the store's own thread's, after the
  // commit. Waits until it has copied every frame.
  auto wait_for_checkpoint = [&] {
    std::pair<std::uint32_t, std::uint32_t> p;
    for (int i = 0; i < 600; ++i) {
      p = wal_progress(file);
      if (p.first >= 2000 && p.second == p.first) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return p;
  };
  commit_8mb(*db, t.name, 0);
  auto [frames, copied] = wait_for_checkpoint();
  CHECK(frames >= 2000);
  CHECK(copied == frames);
  CHECK(fs::file_size(file) >= 8'000'000);
  const auto wal_after_one = fs::file_size(file.string() + "-wal");
  // Once everything is copied, the next commits write the WAL from its start again
  // instead of growing it.
  for (std::int64_t from : {2000, 4000}) {
    commit_8mb(*db, t.name, from);
    auto [f, c] = wait_for_checkpoint();
    CHECK(c == f);
  }
  CHECK(fs::file_size(file) >= 24'000'000);
  CHECK(fs::file_size(file.string() + "-wal") <= wal_after_one + 1'000'000);
  CHECK(count_rows(*db, t.name) == 6000);
}

TEST_CASE("store: SQLite's WAL stays bounded under back-to-back big commits") {
  TempDir dir{"store-test"};
  const fs::path file = dir.path / "wal.db";
  auto db = must_open("sqlite:" + file.string());
  TestTable t(*db, "walburst", "id BIGINT PRIMARY KEY, b BLOB");
  // 20 commits of ~8 MB with no pause between them, as an import or a reindex makes:
  // without a writer ever starting on a fully copied WAL, it would reach ~160 MB. A
  // writer that finds more than 64 MB waits for the copy and restarts it.
  std::uintmax_t largest = 0;
  for (std::int64_t c = 0; c < 20; ++c) {
    commit_8mb(*db, t.name, c * 2000);
    largest = std::max(largest, fs::file_size(file.string() + "-wal"));
  }
  CHECK(largest <= 64 * 1024 * 1024 + 2 * 8'500'000);
  CHECK(count_rows(*db, t.name) == 40000);
}

TEST_CASE("store: read Tx sees committed data, as one snapshot") {
  for_each_backend([](const std::string& url) {
    auto db = must_open(url);
    TestTable t(*db, "snapshot", "id BIGINT PRIMARY KEY");
    auto wtx = db->begin(TxMode::write);
    REQUIRE(wtx);
    REQUIRE((*wtx)->exec("INSERT INTO " + t.name + " VALUES (?)", {std::int64_t{1}}));
    auto early = db->begin(TxMode::read);
    REQUIRE(early);
    auto n = (*early)->one("SELECT COUNT(*) FROM " + t.name, {}, "count");
    REQUIRE(n);
    CHECK(n->i64(0) == 0);  // uncommitted work is invisible
    REQUIRE((*wtx)->commit());
    n = (*early)->one("SELECT COUNT(*) FROM " + t.name, {}, "count");
    REQUIRE(n);
    CHECK(n->i64(0) == 0);  // still the snapshot it started with
    REQUIRE((*early)->commit());
    CHECK(count_rows(*db, t.name) == 1);
  });
}

TEST_CASE("store: concurrent writers lose no rows") {
  for_each_backend([](const std::string& url) {
    OpenOptions options;
    options.pool_size = 4;
    auto db = must_open(url, options);
    TestTable t(*db, "concurrent", "id BIGINT PRIMARY KEY, writer BIGINT NOT NULL");
    constexpr int kThreads = 4, kPerThread = 50;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < kThreads; ++w) {
      threads.emplace_back([&, w] {
        for (int i = 0; i < kPerThread; ++i) {
          {
            auto tx = db->begin(TxMode::write);
            if (!tx) {
              ++failures;
              continue;
            }
            auto n = (*tx)->one("SELECT COUNT(*) FROM " + t.name + " WHERE writer = ?",
                                {std::int64_t{w}}, "count");
            bool ok = n && n->i64(0) == i &&
                      (*tx)->exec("INSERT INTO " + t.name + " VALUES (?, ?)",
                                  {std::int64_t{w * 1000 + i}, std::int64_t{w}}) &&
                      (*tx)->commit();
            if (!ok) ++failures;
          }
          auto r = db->begin(TxMode::read);  // readers run alongside the writers
          if (!r || !(*r)->query("SELECT COUNT(*) FROM " + t.name)) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(failures.load() == 0);
    CHECK(count_rows(*db, t.name) == kThreads * kPerThread);
  });
}

TEST_CASE("store: ? inside string literals is not a placeholder") {
  using postgres::rewrite_placeholders;
  CHECK(rewrite_placeholders("SELECT ?, '?', \"a?\", ? -- ?\n, /* ? /* ? */ */ ?") ==
        "SELECT $1, '?', \"a?\", $2 -- ?\n, /* ? /* ? */ */ $3");
  CHECK(rewrite_placeholders("'it''s ?' || ?") == "'it''s ?' || $1");
  CHECK(rewrite_placeholders("E'\\'?' || ?") == "E'\\'?' || $1");
  CHECK(rewrite_placeholders("$$ ? $$ || $tag$ ? $tag$ || ?") == "$$ ? $$ || $tag$ ? $tag$ || $1");
  CHECK(rewrite_placeholders("SELECT '档案?' || ?") == "SELECT '档案?' || $1");
  for_each_backend([](const std::string& url) {
    auto db = must_open(url);
    auto tx = db->begin(TxMode::read);
    REQUIRE(tx);
    auto row = (*tx)->one("SELECT 'a?b' AS s, CAST(? AS INTEGER) AS v, '?''?' || ? AS w",
                          {std::int64_t{7}, std::string("档")}, "row");
    REQUIRE(row);
    CHECK(row->str(0) == "a?b");
    CHECK(std::get<std::int64_t>(row->cols[1]) == 7);
    CHECK(row->str(2) == "?'?档");
    auto wrong = (*tx)->query("SELECT ?", {});
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().code == ErrorCode::internal);
    CHECK(wrong.error().message.find("expects 1 parameters") != std::string::npos);
  });
}

TEST_CASE("store: passwords stay out of descriptions") {
  auto split = postgres::split_password(
      "postgresql://u:p%40ss@db.example:5432/dangan?sslmode=disable&password=other");
  CHECK(split.url == "postgresql://u@db.example:5432/dangan?sslmode=disable");
  CHECK(split.password == "p@ss");
  split = postgres::split_password("postgres://h/db?password=s3cret&application_name=x");
  CHECK(split.url == "postgres://h/db?application_name=x");
  CHECK(split.password == "s3cret");
  auto bad = open("mysql://root:pw@h/db");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::invalid);
  CHECK(bad.error().message.find("pw") == std::string::npos);
  if (const char* url = pg_url()) {
    // Trust authentication ignores the password, which lets the test supply one.
    std::string with_pw(url);
    auto at = with_pw.find('@');
    if (at != std::string::npos && with_pw.substr(0, at).find(':', 13) == std::string::npos) {
      with_pw.insert(at, ":hunter2secret");
      OpenOptions options;
      options.migrate = false;
      auto db = must_open(with_pw, options);
      CHECK(db->describe().find("hunter2secret") == std::string::npos);
      CHECK(db->ping());
    }
  }
}

TEST_CASE("store: migrations apply once") {
  CHECK_FALSE(migrations(Backend::sqlite).empty());
  CHECK_FALSE(migrations(Backend::postgres).empty());
  for (Backend b : {Backend::sqlite, Backend::postgres}) {
    auto list = migrations(b);
    for (std::size_t i = 0; i < list.size(); ++i) {
      CHECK(list[i].version > 0);
      CHECK_FALSE(list[i].name.empty());
      CHECK_FALSE(list[i].sql.empty());
      if (i > 0) CHECK(list[i].version > list[i - 1].version);
    }
  }
  for_each_backend([](const std::string& url) {
    OpenOptions options;
    options.migrate = false;
    auto db = must_open(url, options);
    auto list = migrations(db->backend());
    auto first = db->migrate();
    REQUIRE(first);
    if (db->backend() == Backend::sqlite) CHECK(*first == static_cast<int>(list.size()));
    auto second = db->migrate();
    REQUIRE(second);
    CHECK(*second == 0);
    auto version = db->schema_version();
    REQUIRE(version);
    CHECK(*version == list.back().version);
    auto reopened = must_open(url);  // migrate on open is a no-op now
    CHECK(reopened->schema_version().value_or(-1) == *version);
  });
}

TEST_CASE("store: a PostgreSQL connection killed between transactions is replaced") {
  const char* url = pg_url();
  if (url == nullptr) return;
  OpenOptions options;
  options.pool_size = 1;
  options.migrate = false;
  auto db = must_open(url, options);
  std::int64_t pid = 0;
  {
    auto tx = db->begin(TxMode::read);
    REQUIRE(tx);
    auto row = (*tx)->one("SELECT pg_backend_pid()", {}, "pid");
    REQUIRE(row);
    pid = row->i64(0);
  }
  {
    pqxx::connection admin(url);
    pqxx::nontransaction(admin).exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto tx = db->begin(TxMode::read);
  REQUIRE(tx);
  auto row = (*tx)->one("SELECT pg_backend_pid()", {}, "pid");
  REQUIRE(row);
  CHECK(row->i64(0) != pid);
}

// URL of another database on the same PostgreSQL server.
std::string with_database(const std::string& url, const std::string& dbname) {
  auto auth = url.find("://") + 3;
  auto slash = url.find('/', auth);
  auto query = url.find('?', auth);
  std::string base = url.substr(0, std::min(slash, query));
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + dbname + rest;
}

TEST_CASE("store: backup and restore round-trip") {
  for_each_backend([](const std::string& url) {
    TempDir dir{"store-test"};
    auto db = must_open(url);
    TestTable t(*db, "backup", "id BIGINT PRIMARY KEY, s TEXT");
    auto insert = [&](std::int64_t id, std::string s) {
      auto tx = db->begin(TxMode::write);
      REQUIRE(tx);
      REQUIRE((*tx)->exec("INSERT INTO " + t.name + " VALUES (?, ?)", {id, std::move(s)}));
      REQUIRE((*tx)->commit());
    };
    insert(1, "档案");
    insert(2, "檔案");
    const std::string file = (dir.path / "backups" / "b1").string();
    REQUIRE(db->backup(file));
    CHECK(fs::file_size(file) > 0);
    if (db->backend() == Backend::sqlite) {
      // Self-contained: rollback-journal mode (header byte 18 is 1), no WAL beside it.
      std::ifstream in(file, std::ios::binary);
      char header[20] = {};
      in.read(header, sizeof header);
      CHECK(std::string(header, 15) == "SQLite format 3");
      CHECK(header[18] == 1);
      CHECK_FALSE(fs::exists(file + "-wal"));
    }
    insert(3, "after the backup");

    std::string target;
    struct OnExit {
      std::function<void()> f = [] {};
      ~OnExit() { f(); }
    } drop_target;
    if (db->backend() == Backend::sqlite) {
      target = "sqlite:" + (dir.path / "restored" / "r.db").string();
    } else {
      const std::string name = "dangan_restore_" + run_suffix();
      pqxx::connection admin(url);
      pqxx::nontransaction(admin).exec("CREATE DATABASE " + name);
      target = with_database(url, name);
      drop_target.f = [url, name] {
        pqxx::connection admin(url);
        pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + name);
      };
    }
    const std::string junk = (dir.path / "junk").string();
    std::ofstream(junk) << "not a backup\n";
    auto bad = restore(target, junk);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::invalid);
    CHECK(restore(target, (dir.path / "absent").string()).error().code == ErrorCode::invalid);
    std::ofstream(dir.path / "empty").flush();
    CHECK(restore(target, (dir.path / "empty").string()).error().code == ErrorCode::invalid);

    REQUIRE(restore(target, file));
    REQUIRE(restore(target, file));  // over existing objects: --clean drops them first
    {
      OpenOptions options;
      options.migrate = false;
      auto restored = must_open(target, options);
      auto tx = restored->begin(TxMode::read);
      REQUIRE(tx);
      auto rows = (*tx)->query("SELECT id, s FROM " + t.name + " ORDER BY id");
      REQUIRE(rows);
      REQUIRE(rows->size() == 2);
      CHECK((*rows)[0].str(1) == "档案");
      CHECK((*rows)[1].str(1) == "檔案");
      CHECK(restored->schema_version().value_or(-1) == db->schema_version().value_or(-2));
    }
    if (db->backend() == Backend::sqlite) {
      // Restoring over the live file once the server has stopped: the stale WAL must go.
      const std::string path = url.substr(7);
      db.reset();
      REQUIRE(restore(url, file));
      CHECK_FALSE(fs::exists(path + "-wal"));
      db = must_open(url);
      t.db = db.get();
      CHECK(count_rows(*db, t.name) == 2);
    }
  });
}

}  // namespace
}  // namespace dangan::store
