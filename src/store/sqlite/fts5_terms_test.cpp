// SQLite only: the FTS5 tokenizer dangan_terms (fts5_terms.cpp).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "store/test_databases.h"

using namespace dangan;

namespace {

std::vector<std::string> terms_of(store::Tx& tx) {
  std::vector<std::string> out;
  auto rows = tx.query("SELECT term FROM t_vocab ORDER BY term", {});
  REQUIRE(rows);
  for (const auto& r : *rows) out.push_back(r.str(0));
  return out;
}

}  // namespace

TEST_CASE("sqlite: the dangan_terms tokenizer cuts at white space only, on every connection") {
  testing::TestDatabase t("sqlite");
  {
    auto tx = t.db().begin(store::TxMode::write);
    REQUIRE(tx);
    REQUIRE((*tx)->exec_script(
        "CREATE VIRTUAL TABLE t USING fts5(a, b, tokenize = 'dangan_terms');"
        "CREATE VIRTUAL TABLE t_vocab USING fts5vocab(t, row);"));
    // Terms unicode61 would have cut ("qz01.ws", "a/b") or folded ("Ab") stay whole;
    // tabs, newlines and runs of spaces separate.
    REQUIRE((*tx)->exec("INSERT INTO t(rowid, a, b) VALUES (1, ?, ?)",
                        {std::string("档案 档案馆  qz01.ws\ta/b"), std::string("Ab\nx_ 𠀀𠀁")}));
    CHECK(terms_of(**tx) == std::vector<std::string>{"Ab", "a/b", "qz01.ws", "x_", "档案",
                                                     "档案馆", "𠀀𠀁"});
    REQUIRE((*tx)->commit());
  }
  // A reader connection (another sqlite3 handle) finds the same terms, phrases in order.
  auto tx = t.db().begin(store::TxMode::read);
  REQUIRE(tx);
  auto count = [&](const std::string& q) {
    auto row = (*tx)->one("SELECT count(*) FROM t WHERE t MATCH ?", {q}, "count");
    REQUIRE(row);
    return row->i64(0);
  };
  CHECK(count("\"档案 档案馆\"") == 1);
  CHECK(count("\"档案馆 档案\"") == 0);
  CHECK(count("\"qz01.ws\"") == 1);
  CHECK(count("\"qz01\"") == 0);
  CHECK(count("\"ab\"") == 0);  // no case folding: the search folds before it writes
  CHECK(count("{b} : \"x_\"") == 1);
  CHECK(count("\"档\" *") == 1);
}
