// The staff directory for pickers. `service:` cases run on SQLite and, in `make test`, on
// PostgreSQL too.
#include "service/staff_directory.h"

#include <doctest/doctest.h>

#include "auth/testing.h"
#include "store/test_databases.h"

namespace dangan::service {

using json = nlohmann::json;

namespace {

void exec(store::Database& db, const std::string& sql, const store::Params& p) {
  auto tx = db.begin(store::TxMode::write);
  REQUIRE(tx);
  REQUIRE((*tx)->exec(sql, p));
  REQUIRE((*tx)->commit());
}

std::vector<std::string> names(const json& list) {
  std::vector<std::string> out;
  for (auto& i : list["items"]) out.push_back(i["name"]);
  return out;
}

}  // namespace

TEST_CASE("service: the staff directory lists active staff by name, teams and availability") {
  testing::each_backend([](const std::string& backend) {
    testing::TestDatabase tdb(backend);
    auto& db = tdb.db();
    Actor zhang = testing::make_user(db, "zhangsan", Role::agent);
    Actor li = testing::make_user(db, "lisi", Role::manager);
    Actor wang = testing::make_user(db, "wangwu", Role::agent);
    Actor auditor = testing::make_user(db, "audit1", Role::auditor);
    Actor gone = testing::make_user(db, "gone", Role::agent);
    exec(db,
         "INSERT INTO patrons (type, name, created_at, updated_at) VALUES ('person', '王五', "
         "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
         {});
    std::int64_t patron_id = 0;
    {
      auto tx = db.begin(store::TxMode::read);
      REQUIRE(tx);
      patron_id = (*tx)->one("SELECT MAX(id) FROM patrons", {}, "patron")->i64(0);
    }
    Actor patron = testing::make_user(db, "portal1", Role::patron, patron_id);
    exec(db, "UPDATE users SET display_name = ? WHERE id = ?",
         {std::string("张三"), zhang.user_id});
    exec(db, "UPDATE users SET display_name = ? WHERE id = ?", {std::string("李四"), li.user_id});
    exec(db, "UPDATE users SET display_name = ? WHERE id = ?", {std::string(""), wang.user_id});
    exec(db, "UPDATE users SET disabled = 1 WHERE id = ?", {gone.user_id});
    exec(db,
         "INSERT INTO service_teams (name, created_at) VALUES ('查档组', "
         "'2026-01-01T00:00:00Z')",
         {});
    exec(db, "INSERT INTO service_team_members (team_id, user_id) SELECT id, ? FROM service_teams",
         {zhang.user_id});
    exec(db,
         "INSERT INTO agent_availability (user_id, status, updated_at) VALUES (?, 'available', "
         "'2026-01-01T00:00:00Z')",
         {zhang.user_id});

    StaffDirectory d(db);
    json all = *d.list(li, "", std::nullopt, std::nullopt, 50);
    auto n = names(all);
    // No disabled account, no portal account; a name falls back to the username.
    CHECK(std::find(n.begin(), n.end(), "gone display") == n.end());
    CHECK(std::find(n.begin(), n.end(), "portal1 display") == n.end());
    CHECK(std::find(n.begin(), n.end(), "wangwu") != n.end());
    CHECK(n.size() == 4);
    json z;
    for (auto& i : all["items"])
      if (i["id"] == zhang.user_id) z = i;
    REQUIRE(z.is_object());
    CHECK(z["name"] == "张三");
    CHECK(z["role"] == "agent");
    CHECK(z["availability"] == "available");
    REQUIRE(z["teams"].size() == 1);
    CHECK(z["teams"][0]["name"] == "查档组");
    CHECK_FALSE(z.contains("username"));
    CHECK_FALSE(z.contains("email"));
    for (auto& i : all["items"])
      if (i["id"] == li.user_id) CHECK(i["availability"] == "offline");

    // By pinyin initials, full pinyin, folded name; by role.
    CHECK(names(*d.list(zhang, "zs", std::nullopt, std::nullopt, 50)) ==
          std::vector<std::string>{"张三"});
    CHECK(names(*d.list(zhang, "Li Si", std::nullopt, std::nullopt, 50)) ==
          std::vector<std::string>{"李四"});
    CHECK(names(*d.list(zhang, "WANG", std::nullopt, std::nullopt, 50)) ==
          std::vector<std::string>{"wangwu"});
    CHECK(d.list(zhang, "", std::string("agent"), std::nullopt, 50)->at("items").size() == 2);
    CHECK_FALSE(d.list(zhang, "", std::string("patron"), std::nullopt, 50).has_value());

    // Pages: a cursor continues where the last page stopped.
    json p1 = *d.list(zhang, "", std::nullopt, std::nullopt, 3);
    REQUIRE(p1["items"].size() == 3);
    REQUIRE(p1["next_cursor"].is_string());
    json p2 = *d.list(zhang, "", std::nullopt, p1["next_cursor"].get<std::string>(), 3);
    CHECK(p2["items"].size() == 1);
    CHECK(p2["next_cursor"].is_null());
    CHECK_FALSE(d.list(zhang, "", std::nullopt, std::string("x1"), 3).has_value());

    // Not for auditors nor patrons.
    auto a = d.list(auditor, "", std::nullopt, std::nullopt, 50);
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error().code == ErrorCode::forbidden);
    CHECK(d.list(patron, "", std::nullopt, std::nullopt, 50).error().code == ErrorCode::forbidden);
  });
}

}  // namespace dangan::service
