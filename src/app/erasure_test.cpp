// An erasure must leave nothing of the person behind: every table that refers to a
// patron is named by some erasure step (deleted, redacted, unlinked or kept with a
// reason). A module that adds a table with a patron_id column and declares nothing for
// it fails here, as it fails merge_test.cpp for the merge.
#include "app/erasure.h"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>

#include "auth/testing.h"
#include "patrons/patrons.h"
#include "service/tickets.h"
#include "store/test_databases.h"

namespace dangan::app {

TEST_CASE("store: every table with a patron_id column is named by a patron erasure step") {
  testing::each_backend([](const std::string& backend) {
    testing::TestDatabase tdb(backend);
    patrons::Erasure erasure;
    declare_erasure(erasure, tdb.db());
    std::set<std::string> named;
    for (const auto& s : erasure.steps()) {
      INFO("step on ", s.table);
      CHECK(!s.what.empty());
      CHECK((s.action == patrons::ErasureAction::kept) == !s.run);
      named.insert(s.table);
    }
    auto tx = tdb.db().begin(store::TxMode::read);
    REQUIRE(tx);
    const auto with_patron = testing::tables_with_column(**tx, "patron_id");
    CHECK(with_patron.size() > 10);
    for (const auto& t : with_patron) {
      INFO("table ", t,
           " has a patron_id: declare what erasing a patron does to it (patrons/erasure.h)");
      CHECK(named.contains(t));
    }
    // Every named table exists (a typo would silently cover nothing).
    auto all = (*tx)->backend() == store::Backend::sqlite
                   ? (*tx)->query("SELECT name FROM sqlite_master WHERE type = 'table'")
                   : (*tx)->query(
                         "SELECT table_name::text FROM information_schema.tables WHERE "
                         "table_schema = current_schema()");
    REQUIRE(all);
    std::set<std::string> tables;
    for (const auto& r : *all) tables.insert(r.str(0));
    for (const auto& t : named) {
      INFO("step names table ", t);
      CHECK(tables.contains(t));
    }
  });
}

namespace {

template <typename T>
T must(Result<T> r) {
  if (!r) FAIL(r.error().message, " (field ", r.error().field, ")");
  return std::move(*r);
}

std::string text_of(store::Database& db, const std::string& sql, std::int64_t id) {
  auto tx = must(db.begin(store::TxMode::read));
  return must(tx->one(sql, {id}, "row")).str(0);
}

}  // namespace

TEST_CASE("store: erasing a patron is all or nothing, and its audit entry counts per table") {
  using json = nlohmann::json;
  testing::each_backend([](const std::string& backend) {
    testing::TestDatabase tdb(backend);
    audit::ReadRecorder reads(tdb.db());
    Actor manager = testing::make_user(tdb.db(), "manager1", Role::manager);
    Actor agent = testing::make_user(tdb.db(), "agent1", Role::agent);
    patrons::Service registry(tdb.db(), reads);
    declare_erasure(registry.erasure(), tdb.db());
    service::Desk desk(tdb.db(), reads);
    std::int64_t id =
        must(registry.create(manager,
                             {{"type", "person"}, {"name", "张三"}, {"phones", {"13812345678"}}}))
            .patron["id"];
    json t = must(desk.open(agent, {{"kind", "complaint"},
                                    {"channel", "phone"},
                                    {"subject", "张三的复印件收费"},
                                    {"body", "来电 13812345678 称收费不符"},
                                    {"patron_id", id}}));
    std::int64_t ticket = t["id"];
    auto count = [&](const std::string& sql) {
      auto tx = must(tdb.db().begin(store::TxMode::read));
      return must(tx->one(sql, {id}, "count")).i64(0);
    };

    // A module whose step fails undoes the whole erasure: the patron, their contacts and
    // the ticket's text are as they were.
    {
      patrons::Service failing(tdb.db(), reads);
      declare_erasure(failing.erasure(), tdb.db());
      failing.erasure().add(
          {"tickets", patrons::ErasureAction::redacted, "fails on purpose",
           [](store::Tx&, std::int64_t, patrons::Erasure::Context&) -> Result<std::int64_t> {
             return fail(ErrorCode::unavailable, "disk full");
           }});
      auto r = failing.erase(manager, id, "patron asked to be forgotten");
      REQUIRE(!r);
      CHECK(r.error().message == "disk full");
      CHECK(text_of(tdb.db(), "SELECT status FROM patrons WHERE id = ?", id) == "active");
      CHECK(count("SELECT COUNT(*) FROM patron_contacts WHERE patron_id = ?") == 1);
      CHECK(text_of(tdb.db(), "SELECT subject FROM tickets WHERE id = ?", ticket) ==
            "张三的复印件收费");
      CHECK(count("SELECT COUNT(*) FROM audit_log WHERE action = 'patron.erase' AND patron_id = "
                  "?") == 0);
    }

    must(registry.erase(manager, id, "patron asked to be forgotten"));
    CHECK(text_of(tdb.db(), "SELECT status FROM patrons WHERE id = ?", id) == "erased");
    CHECK(count("SELECT COUNT(*) FROM patron_contacts WHERE patron_id = ?") == 0);
    // The ticket stays (it counts in reports) without its text.
    CHECK(text_of(tdb.db(), "SELECT subject FROM tickets WHERE id = ?", ticket) == "(erased)");
    CHECK(text_of(tdb.db(), "SELECT kind FROM tickets WHERE id = ?", ticket) == "complaint");
    CHECK(count("SELECT COUNT(*) FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id "
                "WHERE t.patron_id = ? AND m.body <> '(erased)'") == 0);
    CHECK(count("SELECT COUNT(*) FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id "
                "WHERE t.patron_id = ?") >= 1);
    json detail = json::parse(text_of(
        tdb.db(), "SELECT detail FROM audit_log WHERE action = 'patron.erase' AND patron_id = ?",
        id));
    std::map<std::string, std::int64_t> rows;
    for (auto& e : detail["erased"]) rows[e["table"]] += e["rows"].get<std::int64_t>();
    CHECK(rows["tickets"] == 1);
    CHECK(rows["patron_contacts"] == 1);
    CHECK(rows["ticket_messages"] >= 1);
    CHECK(rows["interactions"] == 0);
  });
}

}  // namespace dangan::app
