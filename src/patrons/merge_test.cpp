// A patron merge must leave nothing behind: every table that refers to a patron is either
// moved wholesale (kFollowsPatron) or handled apart (kMergedApart). A module that adds a
// table with a patron_id column and forgets the merge fails here.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>

#include "patrons/patrons.h"
#include "store/test_databases.h"

namespace dangan::patrons {

TEST_CASE("store: every table with a patron_id column is handled by a patron merge") {
  testing::each_backend([](const std::string& backend) {
    testing::TestDatabase tdb(backend);
    auto tx = tdb.db().begin(store::TxMode::read);
    REQUIRE(tx);
    std::set<std::string> handled(std::begin(kFollowsPatron), std::end(kFollowsPatron));
    handled.insert(std::begin(kMergedApart), std::end(kMergedApart));
    const std::set<std::string> found = testing::tables_with_column(**tx, "patron_id");
    CHECK(found.size() > 10);
    for (const auto& t : found) {
      INFO("table ", t, " has a patron_id: add it to kFollowsPatron or kMergedApart");
      CHECK(handled.contains(t));
    }
    // And every name in the lists is a real table with that column.
    for (const auto& t : handled) {
      INFO("listed table ", t);
      CHECK(found.contains(t));
    }
  });
}

}  // namespace dangan::patrons
