// relevance_test.cpp — the judged queries of tests/fixtures/search (generate.py explains
// how records and judgements were made): indexes the fixture catalogue, runs every query
// as an archivist would (every access level), and reports precision@10 and nDCG@10 per
// kind of query and overall. The floors sit a little under the measured values, so a
// change that makes search worse fails here.
//
// precision@10 = relevant records in the first ten / min(10, relevant records): queries
// with few relevant records (a reference code) can reach 1.
// nDCG@10 with gains 2^grade − 1 (grade 2: the title names the topic, 1: it is about it).
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <random>

#include "search/search.h"
#include "store/db.h"

namespace dangan::search {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

fs::path fixture(const std::string& name) {
  return fs::path(DANGAN_SOURCE_DIR) / "tests" / "fixtures" / "search" / name;
}

Document document_of(const json& j) {
  Document d;
  d.id = j["id"];
  d.reference_code = j["reference_code"];
  d.title = j["title"];
  d.description = j["description"];
  d.creator = j["creator"];
  for (const auto& k : j["keywords"]) d.keywords.push_back(k);
  d.fonds_id = j["fonds_id"];
  d.category_id = j["category_id"];
  for (const auto& c : j["category_path"]) d.category_path.push_back(c);
  d.year = j["year"].get<int>();
  d.access_level = j["access_level"];
  d.carrier = j["carrier"];
  d.important = j["important"];
  d.use_count = j["use_count"];
  d.cited_by = j["cited_by"];
  d.source_authority = j["source_authority"];
  d.updated_at = j["updated_at"];
  return d;
}

struct Scores {
  double precision = 0, ndcg = 0;
  int n = 0;
};

void evaluate(store::Database& db, const std::string& backend) {
  {
    std::ifstream in(fixture("records.jsonl"));
    REQUIRE(in);
    auto tx = db.begin(store::TxMode::write);
    REQUIRE(tx);
    Bulk bulk(**tx, 2, true);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      REQUIRE(bulk.add(document_of(json::parse(line))));
      ++n;
    }
    REQUIRE(bulk.finish());
    REQUIRE((*tx)->commit());
    REQUIRE(n >= 2000);
  }
  std::ifstream qin(fixture("queries.json"));
  REQUIRE(qin);
  json queries = json::parse(qin);
  REQUIRE(queries.size() >= 60);
  std::map<std::string, Scores> by_kind;
  Scores all;
  std::string worst;
  for (const auto& jq : queries) {
    std::map<std::int64_t, int> rel;
    for (auto& [id, grade] : jq["relevant"].items()) rel[std::stoll(id)] = grade.get<int>();
    Query q;
    q.q = jq["q"];
    q.audience = Audience::staff_all;
    q.limit = 10;
    q.facets = false;
    auto tx = db.begin(store::TxMode::read);
    REQUIRE(tx);
    auto r = run(**tx, q, Weights{});
    const std::string text = jq["q"].get<std::string>();
    REQUIRE_MESSAGE(r, text << ": " << (r ? std::string() : r.error().message));
    int hits = 0;
    double dcg = 0;
    for (std::size_t i = 0; i < r->items.size() && i < 10; ++i) {
      auto it = rel.find(r->items[i].id);
      if (it == rel.end()) continue;
      ++hits;
      dcg += (std::pow(2.0, it->second) - 1) / std::log2(static_cast<double>(i) + 2);
    }
    std::vector<int> grades;
    for (auto& [id, g] : rel) grades.push_back(g);
    std::sort(grades.rbegin(), grades.rend());
    double idcg = 0;
    for (std::size_t i = 0; i < grades.size() && i < 10; ++i)
      idcg += (std::pow(2.0, grades[i]) - 1) / std::log2(static_cast<double>(i) + 2);
    double p =
        static_cast<double>(hits) / static_cast<double>(std::min<std::size_t>(10, rel.size()));
    double nd = idcg > 0 ? dcg / idcg : 0;
    for (Scores* s : {&by_kind[jq["kind"]], &all}) {
      s->precision += p;
      s->ndcg += nd;
      ++s->n;
    }
    if (nd < 0.5)
      worst += " [" + jq["q"].get<std::string>() + " p=" + std::to_string(p).substr(0, 4) +
               " ndcg=" + std::to_string(nd).substr(0, 4) + "]";
  }
  std::printf("search relevance on %s, %d queries:\n", backend.c_str(), all.n);
  for (auto& [kind, s] : by_kind)
    std::printf("  %-12s %3d queries  precision@10 %.3f  nDCG@10 %.3f\n", kind.c_str(), s.n,
                s.precision / s.n, s.ndcg / s.n);
  std::printf("  %-12s %3d queries  precision@10 %.3f  nDCG@10 %.3f\n", "all", all.n,
              all.precision / all.n, all.ndcg / all.n);
  if (!worst.empty()) std::printf("  below 0.5 nDCG:%s\n", worst.c_str());
  // Floors a little under what was measured (SQLite 0.935 / 0.933, PostgreSQL 0.933 /
  // 0.909: ts_rank orders a little worse than dangan_rank). English queries are the weak
  // kind (0.41 / 0.55): most records about a topic are in Chinese, which an English query
  // cannot find (search does not translate).
  const double min_precision = 0.92, min_ndcg = backend == "sqlite" ? 0.92 : 0.89;
  CHECK(all.precision / all.n >= min_precision);
  CHECK(all.ndcg / all.n >= min_ndcg);
  CHECK(by_kind["simplified"].precision / by_kind["simplified"].n >= 0.95);
  CHECK(by_kind["traditional"].precision / by_kind["traditional"].n >= 0.95);
  CHECK(by_kind["pinyin"].precision / by_kind["pinyin"].n >= 0.9);
  CHECK(by_kind["code"].precision / by_kind["code"].n >= 0.99);
}

std::string run_suffix() {
  std::random_device rd;
  return std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000);
}

TEST_CASE("search: relevance of the judged queries (precision@10, nDCG@10)") {
  {
    auto dir = fs::temp_directory_path() / ("dangan-relevance-" + run_suffix());
    fs::create_directories(dir);
    {
      auto db = store::open("sqlite:" + (dir / "r.db").string());
      REQUIRE(db);
      evaluate(**db, "sqlite");
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  const char* pg = std::getenv("DANGAN_TEST_PG_URL");
  if (pg && *pg) {
    std::string admin = pg, name = "t_relevance_" + run_suffix();
    {
      pqxx::connection c(admin);
      pqxx::nontransaction tx(c);
      tx.exec("CREATE DATABASE " + name);
    }
    auto slash = admin.rfind('/');
    {
      auto db = store::open(admin.substr(0, slash + 1) + name);
      REQUIRE(db);
      evaluate(**db, "postgres");
    }
    pqxx::connection c(admin);
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }
}

}  // namespace
}  // namespace dangan::search
