#include "loans/loans.h"

#include <doctest/doctest.h>

#include "auth/auth.h"
#include "auth/testing.h"
#include "catalogue/catalogue.h"
#include "core/testing.h"
#include "loans/erasure.h"
#include "patrons/patrons.h"
#include "service/tickets.h"
#include "store/test_databases.h"

namespace dangan::loans {

using json = nlohmann::json;

namespace {

using testing::ManualClock;
using testing::must;

struct Fixture {
  testing::TestDatabase tdb;
  audit::ReadRecorder reads;
  Config config;
  ManualClock clock{*parse_time("2026-11-23T09:00:00+08:00")};
  Desk desk;
  Actor agent, manager, archivist, patron_actor, other_patron;
  std::int64_t patron_id = 0, other_id = 0, open_id = 0, controlled_id = 0, secret_id = 0;
  std::string open_code;

  explicit Fixture(const std::string& backend)
      : tdb(backend), reads(tdb.db()), desk(tdb.db(), reads, Settings{14, 1, 365}, clock) {
    agent = user("agent1", Role::agent);
    manager = user("manager1", Role::manager);
    archivist = user("archivist1", Role::archivist);
    patrons::Service registry(tdb.db(), reads);
    patron_id = must(registry.create(manager, {{"type", "person"}, {"name", "李四"}})).patron["id"];
    other_id = must(registry.create(manager, {{"type", "person"}, {"name", "王五"}})).patron["id"];
    patron_actor = user("lisi", Role::patron, patron_id);
    other_patron = user("wangwu", Role::patron, other_id);
    catalogue::Service cat(tdb.db(), reads, config);
    must(cat.ensure_defaults());
    auto rec = [&](const char* title, const char* level) {
      return must(cat.create_record(archivist,
                                    {{"title", title}, {"description", "d"}, {"access_level", level}}));
    };
    json open = rec("婚姻登记档案 1980", "open");
    open_id = open["id"];
    open_code = open["reference_code"];
    controlled_id = rec("土地征用档案", "controlled")["id"];
    secret_id = rec("涉密会议纪要", "secret")["id"];
  }

  Actor user(const std::string& name, Role role, std::optional<std::int64_t> patron = {}) {
    return testing::make_user(tdb.db(), name, role, patron);
  }

  std::int64_t count(const std::string& sql, const store::Params& p = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::read));
    return must(tx->one(sql, p, "count")).i64(0);
  }
};

}  // namespace

TEST_CASE("loans: lend by label, renew once, return late — each on the patron's timeline") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    json loan = must(f.desk.lend(f.agent, {{"reference_code", f.open_code}, {"patron_id", f.patron_id}}));
    CHECK(loan["status"] == "open");
    CHECK(loan["record_id"] == f.open_id);
    // 14 days by default.
    CHECK(loan["due_at"].get<std::string>().starts_with("2026-12-07T01:00:00"));
    std::int64_t id = loan["id"];

    // The same box cannot go out twice.
    auto twice = f.desk.lend(f.manager, {{"record_id", f.open_id}, {"patron_id", f.other_id}});
    REQUIRE_FALSE(twice);
    CHECK(twice.error().code == ErrorCode::conflict);

    json renewed = must(f.desk.renew(f.agent, id, json::object()));
    CHECK(renewed["renewals"] == 1);
    CHECK(renewed["due_at"].get<std::string>().starts_with("2026-12-21T01:00:00"));
    auto again = f.desk.renew(f.agent, id, json::object());
    REQUIRE_FALSE(again);  // max_renewals is 1 here
    CHECK(again.error().field == "renewals");

    f.clock.advance(std::chrono::hours(24 * 30));  // 2 days past the due time
    json listed = must(f.desk.list(f.agent, {.status = "overdue"}));
    REQUIRE(listed["items"].size() == 1);
    CHECK(listed["items"][0]["days_overdue"] == 2);

    json back = must(f.desk.give_back(f.agent, id, {{"note", "完好"}}));
    CHECK(back["status"] == "returned");
    CHECK(must(f.desk.list(f.agent, {.status = "overdue"}))["items"].empty());
    auto late = f.desk.give_back(f.agent, id, json::object());
    REQUIRE_FALSE(late);
    CHECK(late.error().code == ErrorCode::conflict);

    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind LIKE 'loan.%'",
                  {f.patron_id}) == 3);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'loan.%'") == 3);
    // Returned, the record can be lent again.
    CHECK(f.desk.lend(f.agent, {{"record_id", f.open_id}, {"patron_id", f.other_id}}));
  });
}

TEST_CASE("loans: restricted records need a manager and a basis; patrons see only their own") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    auto by_agent = f.desk.lend(f.agent, {{"record_id", f.controlled_id}, {"patron_id", f.patron_id}});
    REQUIRE_FALSE(by_agent);
    CHECK(by_agent.error().code == ErrorCode::forbidden);
    auto no_basis = f.desk.lend(f.manager, {{"record_id", f.controlled_id}, {"patron_id", f.patron_id}});
    REQUIRE_FALSE(no_basis);
    CHECK(no_basis.error().field == "note");
    must(f.desk.lend(f.manager, {{"record_id", f.controlled_id},
                                 {"patron_id", f.patron_id},
                                 {"note", "利用申请 2026-118 已批准"}}));
    // An agent does not learn that a secret record exists.
    auto secret = f.desk.lend(f.agent, {{"record_id", f.secret_id}, {"patron_id", f.patron_id}});
    REQUIRE_FALSE(secret);
    CHECK(secret.error().code == ErrorCode::not_found);
    json s = must(f.desk.lend(f.manager, {{"record_id", f.secret_id},
                                          {"patron_id", f.patron_id},
                                          {"note", "审批单 7"}}));
    // The patron sees both loans, but not the secret record's title or code.
    json mine = must(f.desk.list(f.patron_actor, {}));
    REQUIRE(mine["items"].size() == 2);
    json secret_view = mine["items"][0]["id"] == s["id"] ? mine["items"][0] : mine["items"][1];
    CHECK(secret_view["title"].is_null());
    CHECK(secret_view["reference_code"].is_null());
    CHECK_FALSE(secret_view.contains("note"));
    CHECK(must(f.desk.list(f.other_patron, {}))["items"].empty());
    auto theirs = f.desk.get(f.other_patron, s["id"]);
    REQUIRE_FALSE(theirs);
    CHECK(theirs.error().code == ErrorCode::not_found);
    // Patrons cannot lend or return.
    CHECK(f.desk.give_back(f.patron_actor, s["id"], json::object()).error().code ==
          ErrorCode::forbidden);
    // Bad input names its field.
    auto past = f.desk.lend(f.agent, {{"record_id", f.open_id},
                                      {"patron_id", f.patron_id},
                                      {"due_at", "2020-01-01T00:00:00Z"}});
    REQUIRE_FALSE(past);
    CHECK(past.error().field == "due_at");
    auto nobody = f.desk.lend(f.agent, {{"record_id", f.open_id}, {"patron_id", 99999}});
    REQUIRE_FALSE(nobody);
    CHECK(nobody.error().field == "patron_id");
  });
}

TEST_CASE("loans: an overdue loan raises one alert per due date, after the grace days") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    service::Desk service_desk(f.tdb.db(), f.reads, "Asia/Shanghai", f.clock);
    json loan = must(f.desk.lend(f.agent, {{"record_id", f.open_id}, {"patron_id", f.patron_id}}));
    {
      auto tx = must(f.tdb.db().begin(store::TxMode::write));
      must(tx->exec("UPDATE alert_rules SET params = '{\"days\":2}' WHERE kind = 'loan_overdue'"));
      must(tx->commit());
    }
    auto alerts = [&] {
      return f.count("SELECT COUNT(*) FROM alerts WHERE kind = 'loan_overdue' AND patron_id = ?",
                     {f.patron_id});
    };
    f.clock.advance(std::chrono::hours(24 * 14 + 1));  // just past due
    must(service_desk.sweep());
    CHECK(alerts() == 0);  // within the grace days
    f.clock.advance(std::chrono::hours(24 * 2));
    must(service_desk.sweep());
    must(service_desk.sweep());
    CHECK(alerts() == 1);  // once, however often the sweep runs
    json listed = must(service_desk.list_alerts(f.manager, std::string("unresolved"),
                                                std::string("loan_overdue"), std::nullopt,
                                                std::nullopt, 50));
    REQUIRE(listed["items"].size() == 1);
    CHECK(listed["items"][0]["detail"]["loan_id"] == loan["id"]);
    // Returned: no further alert for it.
    must(f.desk.give_back(f.agent, loan["id"], json::object()));
    f.clock.advance(std::chrono::hours(24 * 5));
    must(service_desk.sweep());
    CHECK(alerts() == 1);
  });
}

TEST_CASE(
    "loans: an erased patron borrows nothing more; what they hold comes back without a note") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    json loan = must(f.desk.lend(f.agent, {{"record_id", f.open_id}, {"patron_id", f.patron_id}}));
    std::int64_t id = loan["id"];
    patrons::Service registry(f.tdb.db(), f.reads);
    declare_erasure(registry.erasure());
    must(registry.erase(f.manager, f.patron_id, "the patron asked to be forgotten"));
    auto is_erased = [&](const auto& r) {
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == ErrorCode::conflict);
      CHECK(r.error().field == "patron_id");
      CHECK(r.error().message.find("has been erased") != std::string::npos);
    };
    is_erased(f.desk.lend(
        f.manager,
        {{"record_id", f.controlled_id}, {"patron_id", f.patron_id}, {"note", "馆长批准"}}));
    is_erased(f.desk.renew(f.agent, id, json::object()));
    is_erased(f.desk.give_back(f.agent, id, {{"note", "李四归还时说另有一卷"}}));
    CHECK(f.count("SELECT COUNT(*) FROM loans WHERE patron_id = ?", {f.patron_id}) == 1);
    CHECK(f.count("SELECT renewals FROM loans WHERE id = ?", {id}) == 0);
    json back = must(f.desk.give_back(f.agent, id, json::object()));
    CHECK(back["status"] == "returned");
    CHECK(f.count("SELECT COUNT(*) FROM loans WHERE id = ? AND return_note = ''", {id}) == 1);
  });
}

}  // namespace dangan::loans
