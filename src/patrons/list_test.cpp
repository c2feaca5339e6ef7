// The patron list sorted by name: its cursor is the last row's id, never the name (a viewer
// the names are hidden from — analysts see persons de-identified — must not get them back in
// next_cursor).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "auth/testing.h"
#include "patrons/patrons.h"
#include "store/test_databases.h"

namespace dangan::patrons {

using json = nlohmann::json;

namespace {

template <typename T>
T must(Result<T> r) {
  if (!r) FAIL(r.error().message, " (field ", r.error().field, ")");
  return std::move(*r);
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct Fixture {
  testing::TestDatabase tdb;
  audit::ReadRecorder reads;
  Service registry;
  Actor manager, agent, analyst;
  std::vector<std::string> names = {"张三", "李四", "张三", "王五", "Alice Wong", "赵六", "陈七"};
  std::vector<std::int64_t> ids;

  explicit Fixture(const std::string& backend)
      : tdb(backend), reads(tdb.db()), registry(tdb.db(), reads) {
    manager = testing::make_user(tdb.db(), "manager1", Role::manager);
    agent = testing::make_user(tdb.db(), "agent1", Role::agent);
    analyst = testing::make_user(tdb.db(), "analyst1", Role::analyst);
    for (auto& n : names)
      ids.push_back(must(registry.create(manager, {{"type", "person"}, {"name", n}})).patron["id"]);
  }

  json page(const Actor& by, const std::string& sort, std::optional<std::string> cursor, int limit,
            std::optional<std::string> status = {}) {
    ListQuery q;
    q.sort = sort;
    q.cursor = std::move(cursor);
    q.limit = limit;
    q.status = std::move(status);
    return must(registry.list(by, q));
  }

  static std::vector<std::int64_t> ids_of(const json& p) {
    std::vector<std::int64_t> out;
    for (auto& i : p["items"]) out.push_back(i["id"]);
    return out;
  }

  // Two at a time, as a client would; every cursor is checked for the real names.
  std::vector<std::int64_t> walk(const Actor& by, const std::string& sort) {
    std::vector<std::int64_t> seen;
    std::optional<std::string> cursor;
    for (int pages = 0; pages < 20; ++pages) {
      json p = page(by, sort, cursor, 2);
      for (auto& i : p["items"]) {
        seen.push_back(i["id"]);
        // Analysts are not shown the names: they must not learn them from the cursor either.
        if (by.role == Role::analyst) CHECK(i["name"].is_null());
      }
      if (p["next_cursor"].is_null()) return seen;
      std::string c = p["next_cursor"];
      CHECK_MESSAGE(all_digits(c), "the cursor is a bare id: ", c);
      CHECK(c == std::to_string(seen.back()));
      for (auto& n : names) CHECK(c.find(n) == std::string::npos);
      cursor = c;
    }
    FAIL("the walk did not end");
    return seen;
  }
};

}  // namespace

TEST_CASE("store: the patron list by name pages on the last id, not the name, both ways") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    auto all = Fixture::ids_of(f.page(f.manager, "name", std::nullopt, 100));
    REQUIRE(all.size() == f.names.size());
    // Sorted by the real name, ties by id: the two 张三 are next to each other, lower id first.
    auto zhang = std::find(all.begin(), all.end(), f.ids[0]);
    REQUIRE(zhang + 1 != all.end());
    CHECK(*(zhang + 1) == f.ids[2]);

    std::vector<std::int64_t> reversed(all.rbegin(), all.rend());
    for (const Actor* by : {&f.analyst, &f.agent}) {
      CHECK(f.walk(*by, "name") == all);
      CHECK(f.walk(*by, "-name") == reversed);
    }

    // The name no longer travels, so an old [name, id] cursor or an id no patron has is 400.
    for (std::string bad : {R"(["张三",1])", "999999"}) {
      auto r = f.registry.list(f.agent, {.sort = "name", .cursor = bad, .limit = 2});
      REQUIRE(!r);
      CHECK(r.error().code == ErrorCode::invalid);
      CHECK(r.error().field == "cursor");
    }
    // Staff scoped to a unit never resume after a patron outside it: where it sorts would
    // tell them about its name.
    Actor scoped = f.agent;
    scoped.unit_scoped = true;
    scoped.unit_id = 424242;
    auto r =
        f.registry.list(scoped, {.sort = "name", .cursor = std::to_string(f.ids[1]), .limit = 2});
    REQUIRE(!r);
    CHECK(r.error().code == ErrorCode::conflict);
    CHECK(r.error().field == "cursor");
  });
}

TEST_CASE("store: a name cursor whose patron was merged away or erased between pages") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    auto all = Fixture::ids_of(f.page(f.manager, "name", std::nullopt, 100));

    // Merged away: the row keeps its name, so the next page starts right after it.
    json p1 = f.page(f.agent, "name", std::nullopt, 2);
    std::int64_t last = Fixture::ids_of(p1).back();
    std::int64_t survivor = last == f.ids[5] ? f.ids[6] : f.ids[5];
    must(f.registry.merge(f.manager, survivor, last, "same person twice"));
    json p2 = f.page(f.agent, "name", p1["next_cursor"].get<std::string>(), 2);
    std::vector<std::int64_t> expected(all.begin() + 2, all.begin() + 4);
    CHECK(Fixture::ids_of(p2) == expected);

    // Erased: its name is gone, so is its place in the list; a 409 on `cursor`, not a page
    // that silently repeats or skips patrons.
    std::string cursor = p2["next_cursor"];
    must(f.registry.erase(f.manager, std::stoll(cursor), "asked to be forgotten"));
    for (std::string sort : {"name", "-name"}) {
      auto r = f.registry.list(f.agent, {.sort = sort, .cursor = cursor, .limit = 2});
      REQUIRE(!r);
      CHECK(r.error().code == ErrorCode::conflict);
      CHECK(r.error().field == "cursor");
    }
    // The list of erased patrons sorts by the names they have now, so it pages on.
    std::int64_t other = *std::find_if(f.ids.begin(), f.ids.end(), [&](std::int64_t id) {
      return id != last && std::to_string(id) != cursor;
    });
    must(f.registry.erase(f.manager, other, "asked to be forgotten too"));
    auto erased = Fixture::ids_of(f.page(f.manager, "name", std::nullopt, 100, "erased"));
    REQUIRE(erased.size() == 2);
    json e1 = f.page(f.agent, "name", std::nullopt, 1, "erased");
    REQUIRE(e1["next_cursor"].is_string());
    json e2 = f.page(f.agent, "name", e1["next_cursor"].get<std::string>(), 1, "erased");
    CHECK(Fixture::ids_of(e2) == std::vector<std::int64_t>{erased[1]});
  });
}

}  // namespace dangan::patrons
