#include "audit/audit.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "core/crypto.h"

using namespace dangan;

namespace {

std::unique_ptr<store::Database> fresh_db(const std::string& name) {
  crypto::init();
  auto dir = std::filesystem::temp_directory_path() /
             ("dangan-audit-" + name + "-" + crypto::random_hex(4));
  std::filesystem::create_directories(dir);
  auto db = store::open("sqlite:" + (dir / "db.sqlite").string());
  REQUIRE(db);
  return std::move(*db);
}

void append_n(store::Database& db, int n) {
  Actor a;
  a.user_id = 0;
  a.username = "tester";
  a.role = Role::agent;
  for (int i = 0; i < n; ++i) {
    auto tx = db.begin(store::TxMode::write);
    REQUIRE(tx);
    REQUIRE(audit::append(**tx, a,
                          {"patron.read", "patron", std::to_string(i), i + 1, "", {{"i", i}}}));
    REQUIRE((*tx)->commit());
  }
}

void raw(store::Database& db, const std::string& sql) {
  auto tx = db.begin(store::TxMode::write);
  REQUIRE(tx);
  REQUIRE((*tx)->exec_script(sql));
  REQUIRE((*tx)->commit());
}

}  // namespace

TEST_CASE("an intact audit chain verifies") {
  auto db = fresh_db("intact");
  append_n(*db, 25);
  auto r = audit::verify(*db);
  REQUIRE(r);
  CHECK(r->ok);
  CHECK(r->checked == 25);
}

TEST_CASE("the database refuses to edit or delete audit entries") {
  auto db = fresh_db("triggers");
  append_n(*db, 3);
  auto tx = db->begin(store::TxMode::write);
  REQUIRE(tx);
  CHECK_FALSE((*tx)->exec("UPDATE audit_log SET action = 'x' WHERE seq = 2"));
}

TEST_CASE("verify finds an edited entry") {
  auto db = fresh_db("edited");
  append_n(*db, 10);
  raw(*db,
      "DROP TRIGGER audit_no_update; UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 4;");
  auto r = audit::verify(*db);
  REQUIRE(r);
  CHECK_FALSE(r->ok);
  CHECK(r->bad_seq == 4);
}

TEST_CASE("verify finds a deleted entry in the middle") {
  auto db = fresh_db("deleted");
  append_n(*db, 10);
  raw(*db, "DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE seq = 6;");
  auto r = audit::verify(*db);
  REQUIRE(r);
  CHECK_FALSE(r->ok);
  CHECK(r->bad_seq == 7);
}

TEST_CASE("the read recorder writes batched entries into the chain") {
  auto db = fresh_db("reader");
  {
    audit::ReadRecorder reads(*db, std::chrono::milliseconds(5));
    Actor a;
    a.username = "agent";
    a.role = Role::agent;
    for (int i = 0; i < 100; ++i) reads.record(a, {"patron.read", "patron", std::to_string(i), i});
  }  // destruction flushes
  auto r = audit::verify(*db);
  REQUIRE(r);
  CHECK(r->ok);
  CHECK(r->checked == 100);
}
