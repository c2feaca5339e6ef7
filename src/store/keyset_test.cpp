#include "store/keyset.h"

#include <doctest/doctest.h>

#include <vector>

#include "store/test_databases.h"

using namespace dangan;

namespace {

// Walks `kt` two rows at a time through encoded cursors, as a client would.
std::vector<std::int64_t> walk(store::Database& db, bool by_time, bool desc) {
  std::vector<std::int64_t> seen;
  std::optional<std::string> next;
  for (int pages = 0; pages < 20; ++pages) {
    store::Params p;
    std::string where = " WHERE 1 = 1";
    if (by_time) {
      auto after = cursor::parse_time_key(next);
      REQUIRE(after);
      if (*after) where += store::after_key("at", "id", **after, desc, p);
    } else {
      auto after = cursor::parse_id(next);
      REQUIRE(after);
      if (*after) where += store::after_id("id", **after, desc, p);
    }
    std::string dir = desc ? " DESC" : "";
    p.emplace_back(std::int64_t{3});
    auto tx = db.begin(store::TxMode::read);
    REQUIRE(tx);
    auto rows =
        (*tx)->query("SELECT id, at FROM kt" + where + " ORDER BY " +
                         (by_time ? "at" + dir + ", " : std::string()) + "id" + dir + " LIMIT ?",
                     p);
    REQUIRE(rows);
    for (std::size_t i = 0; i < rows->size() && i < 2; ++i) seen.push_back((*rows)[i].i64(0));
    if (rows->size() <= 2) return seen;
    const auto& last = (*rows)[1];
    next = by_time ? cursor::encode_key(last.str(1), last.i64(0)) : cursor::encode_id(last.i64(0));
  }
  FAIL("the walk did not end");
  return seen;
}

}  // namespace

TEST_CASE("store: keyset paging by (time, id) and by id joins pages without gaps or repeats") {
  testing::each_backend([](const std::string& backend) {
    testing::TestDatabase t(backend);
    {
      auto tx = t.db().begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE((*tx)->exec("CREATE TABLE kt (id BIGINT PRIMARY KEY, at TEXT NOT NULL)"));
      // Ties on the time: the id must break them.
      const char* at[] = {"2026-11-26T09:00:00Z", "2026-11-26T08:00:00Z", "2026-11-26T09:00:00Z",
                          "2026-11-25T10:00:00Z", "2026-11-26T09:00:00Z", "2026-11-27T00:00:00Z",
                          "2026-11-26T08:00:00Z"};
      for (std::int64_t id = 1; id <= 7; ++id)
        REQUIRE(
            (*tx)->exec("INSERT INTO kt (id, at) VALUES (?, ?)", {id, std::string(at[id - 1])}));
      REQUIRE((*tx)->commit());
    }
    using V = std::vector<std::int64_t>;
    CHECK(walk(t.db(), true, false) == V{4, 2, 7, 1, 3, 5, 6});
    CHECK(walk(t.db(), true, true) == V{6, 5, 3, 1, 7, 2, 4});
    CHECK(walk(t.db(), false, false) == V{1, 2, 3, 4, 5, 6, 7});
    CHECK(walk(t.db(), false, true) == V{7, 6, 5, 4, 3, 2, 1});
  });
}
