// search_test.cpp — what a user of search notices, on SQLite (a temporary file) and, with
// DANGAN_TEST_PG_URL, on PostgreSQL (a database created for each test and dropped).
#include "search/search.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <pqxx/pqxx>
#include <random>

#include "search/analyzer.h"
#include "store/db.h"
#include "store/test_databases.h"
#include "text/text.h"

namespace dangan::search {
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

const char* pg_url() {
  const char* url = std::getenv("DANGAN_TEST_PG_URL");
  return url != nullptr && *url != '\0' ? url : nullptr;
}

// A PostgreSQL database of its own for one test.
struct PgDatabase {
  std::string admin_url, name, url;
  explicit PgDatabase(const std::string& admin) : admin_url(admin) {
    static std::atomic<int> counter{0};
    name = "t_search_" + run_suffix() + "_" + std::to_string(++counter);
    pqxx::connection c(admin_url);
    pqxx::nontransaction tx(c);
    tx.exec("CREATE DATABASE " + name);
    auto slash = admin_url.rfind('/');
    auto query = admin_url.find('?', slash);
    url = admin_url.substr(0, slash + 1) + name +
          (query == std::string::npos ? "" : admin_url.substr(query));
  }
  ~PgDatabase() {
    try {
      pqxx::connection c(admin_url);
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (...) {
    }
  }
};

void for_each_backend(const std::function<void(store::Database&)>& body) {
  {
    TempDir dir{"search-test"};
    INFO("backend: sqlite");
    auto db = store::open("sqlite:" + (dir.path / "search.db").string());
    REQUIRE_MESSAGE(db, (db ? "" : db.error().message));
    body(**db);
  }
  if (const char* url = pg_url()) {
    INFO("backend: postgres");
    PgDatabase pg(url);
    auto db = store::open(pg.url);
    REQUIRE_MESSAGE(db, (db ? "" : db.error().message));
    body(**db);
  }
}

Document doc(std::int64_t id, std::string title, std::string description = "") {
  Document d;
  d.id = id;
  d.title = std::move(title);
  d.description = std::move(description);
  d.fonds_id = 1;
  d.category_id = 10;
  d.category_path = {1, 10};
  d.year = 2020;
  d.updated_at = "2020-01-01T00:00:00Z";
  return d;
}

void put(store::Database& db, const std::vector<Document>& docs) {
  auto tx = db.begin(store::TxMode::write);
  REQUIRE(tx);
  for (const auto& d : docs) {
    auto st = upsert(**tx, d);
    REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  }
  REQUIRE((*tx)->commit());
}

Results find(store::Database& db, Query q, const Weights& w = {}) {
  auto tx = db.begin(store::TxMode::read);
  REQUIRE(tx);
  auto r = run(**tx, q, w);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message + " (field " + r.error().field + ")"));
  return *r;
}

Results find(store::Database& db, const std::string& q, Audience audience = Audience::staff_all) {
  Query query;
  query.q = q;
  query.audience = audience;
  return find(db, query);
}

std::vector<std::int64_t> ids(const Results& r) {
  std::vector<std::int64_t> out;
  for (const auto& h : r.items) out.push_back(h.id);
  return out;
}

std::vector<std::int64_t> sorted_ids(const Results& r) {
  auto v = ids(r);
  std::sort(v.begin(), v.end());
  return v;
}

std::int64_t facet_count(const Results& r, const std::string& facet, const nlohmann::json& value) {
  for (const auto& f : r.facets.value(facet, nlohmann::json::array()))
    if (f["value"] == value) return f["count"].get<std::int64_t>();
  return 0;
}

using V = std::vector<std::int64_t>;

TEST_CASE("search: traditional characters find simplified ones and back") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "档案管理办法"), doc(2, "檔案館藏目錄"), doc(3, "图书借阅规则")});
    CHECK(sorted_ids(find(db, "檔案")) == V{1, 2});
    CHECK(sorted_ids(find(db, "档案")) == V{1, 2});
    CHECK(ids(find(db, "档案馆")) == V{2});
    CHECK(ids(find(db, "館藏")) == V{2});
    CHECK(ids(find(db, "圖書")) == V{3});
  });
}

TEST_CASE("search: full-width and half-width forms and case are folded") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "ＡＢＣ公司２０１９年报告"), doc(2, "Annual REPORT of XYZ")});
    CHECK(ids(find(db, "abc")) == V{1});
    CHECK(ids(find(db, "2019")) == V{1});
    CHECK(ids(find(db, "ＡＢＣ")) == V{1});
    CHECK(ids(find(db, "xyz")) == V{2});
    CHECK(ids(find(db, "ＸＹＺ")) == V{2});
  });
}

TEST_CASE("search: English words are stemmed") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "Records of the loans desk"), doc(2, "Recording studio tapes"),
             doc(3, "Minutes of meetings")});
    CHECK(sorted_ids(find(db, "record")) == V{1, 2});
    CHECK(sorted_ids(find(db, "recordings")) == V{1, 2});
    CHECK(ids(find(db, "loan")) == V{1});
    CHECK(ids(find(db, "meeting minutes")) == V{3});
    // Stop words do not have to match beside other words.
    CHECK(ids(find(db, "the minutes")) == V{3});
  });
}

TEST_CASE("search: pinyin, full and initials, finds Chinese titles") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "档案管理制度"), doc(2, "财务报表汇编"), doc(3, "Dang family papers")});
    CHECK(ids(find(db, "dangan")) == V{1});
    CHECK(ids(find(db, "danganguanli")) == V{1});
    CHECK(ids(find(db, "dagl")) == V{1});
    CHECK(ids(find(db, "da")) == V{1});  // initials of 档案
    CHECK(ids(find(db, "caiwu baobiao")) == V{2});
    CHECK(ids(find(db, "cwbb")) == V{2});
    // A pinyin word does not have to be one: "dang" is an English-looking word here.
    CHECK(ids(find(db, "dang")) == V{3});
  });
}

TEST_CASE("search: two-character words and substrings across word boundaries") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "客户借阅登记表", "读者在阅览室查阅原件的登记"), doc(2, "借款合同")});
    CHECK(ids(find(db, "借阅")) == V{1});
    CHECK(ids(find(db, "阅登")) == V{1});      // no word, but a substring of the title
    CHECK(ids(find(db, "查阅原件")) == V{1});  // in the description
    CHECK(ids(find(db, "阅览室")) == V{1});
    CHECK(sorted_ids(find(db, "借")) == V{1, 2});  // one character
    CHECK(find(db, "阅借").total == 0);
  });
}

TEST_CASE("search: words of a query need not be adjacent, quoted phrases must be") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "客户的档案管理"), doc(2, "档案管理客户服务"), doc(3, "客户服务")});
    CHECK(sorted_ids(find(db, "客户档案")) == V{1, 2});
    CHECK(sorted_ids(find(db, "客户 档案")) == V{1, 2});
    CHECK(ids(find(db, "\"管理客户\"")) == V{2});
    CHECK(find(db, "\"客户档案\"").total == 0);
  });
}

TEST_CASE("search: reference codes match exactly first, then by prefix") {
  for_each_backend([](store::Database& db) {
    auto a = doc(1, "文书一"), b = doc(2, "文书二"), c = doc(3, "科技一"), d = doc(4, "公司代号");
    a.reference_code = "QZ01-WS-2019-D30-0001";
    b.reference_code = "QZ01-WS-2019-D30-0002";
    c.reference_code = "QZ01-KJ-2020-Y-0001";
    d.reference_code = "GD03—06—12—0045";
    a.important = true;  // importance does not move the exact match down
    put(db, {a, b, c, d});
    auto r = find(db, "QZ01-WS-2019-D30-0002");
    REQUIRE(!r.items.empty());
    CHECK(r.items[0].id == 2);
    CHECK(r.items[0].match == "code");
    CHECK(r.total == 1);
    CHECK(sorted_ids(find(db, "qz01-ws")) == V{1, 2});
    CHECK(sorted_ids(find(db, "QZ01/WS/2019")) == V{1, 2});
    CHECK(ids(find(db, "gd03-06-12-0045")) == V{4});
    CHECK(ids(find(db, "GD03—06")) == V{4});
    CHECK(sorted_ids(find(db, "qz01")) == V{1, 2, 3});
    // Parts of codes are words too.
    CHECK(sorted_ids(find(db, "kj 2020")) == V{3});
    // A code-like query that is no code is searched as text.
    put(db, {doc(5, "标准 GB/T 18894-2016 电子文件归档")});
    CHECK(ids(find(db, "GB/T 18894-2016")) == V{5});
  });
}

TEST_CASE("search: a patron never learns that a secret record exists") {
  for_each_backend([](store::Database& db) {
    auto open = doc(1, "工厂档案 一", "公开的说明");
    auto controlled = doc(2, "工厂档案 二", "秘密配方的说明");
    auto secret = doc(3, "工厂档案 三", "绝密配方");
    controlled.access_level = "controlled";
    secret.access_level = "secret";
    controlled.carrier = "photo";
    secret.carrier = "video";
    secret.fonds_id = 99;
    put(db, {open, controlled, secret});

    auto p = find(db, "工厂", Audience::patron);
    CHECK(sorted_ids(p) == V{1, 2});
    CHECK(p.total == 2);
    CHECK(facet_count(p, "access_level", "secret") == 0);
    CHECK(facet_count(p, "carrier", "video") == 0);
    CHECK(facet_count(p, "fonds", 99) == 0);
    CHECK(p.facets.dump().find("secret") == std::string::npos);
    // Not even by filtering for it or by its code.
    Query q;
    q.q = "工厂";
    q.audience = Audience::patron;
    q.access_levels = {"secret"};
    CHECK(find(db, q).total == 0);
    CHECK(find(db, "绝密", Audience::patron).total == 0);
    CHECK_FALSE(find(db, "绝密", Audience::patron).suggestion.has_value());

    CHECK(sorted_ids(find(db, "工厂", Audience::staff_open_controlled)) == V{1, 2});
    CHECK(sorted_ids(find(db, "工厂", Audience::staff_all)) == V{1, 2, 3});
    CHECK(ids(find(db, "绝密", Audience::staff_all)) == V{3});
  });
}

TEST_CASE("search: controlled records show their catalogue entry, not their content") {
  for_each_backend([](store::Database& db) {
    auto controlled = doc(2, "工厂档案", "秘密配方的说明");
    controlled.access_level = "controlled";
    controlled.keywords = {"配料"};
    put(db, {doc(1, "工厂介绍", "秘密配方不在这里"), controlled});

    auto r = find(db, "工厂", Audience::patron);
    REQUIRE(r.items.size() == 2);
    for (const auto& h : r.items) {
      if (h.id != 2) continue;
      CHECK(h.content_hidden);
      CHECK(h.snippet.find("秘密") == std::string::npos);
    }
    // The description does not find it for a patron; the keywords (entry) do.
    CHECK(ids(find(db, "秘密配方", Audience::patron)) == V{1});
    CHECK(ids(find(db, "配料", Audience::patron)) == V{2});
    // Unless the patron may read it.
    Query q;
    q.q = "秘密配方";
    q.audience = Audience::patron;
    q.content_allowed = {2};
    auto allowed = find(db, q);
    CHECK(sorted_ids(allowed) == V{1, 2});
    CHECK(allowed.total == 2);
    for (const auto& h : allowed.items) CHECK_FALSE(h.content_hidden);
    // Staff see the content.
    auto staff = find(db, "秘密配方", Audience::staff_open_controlled);
    CHECK(sorted_ids(staff) == V{1, 2});
    for (const auto& h : staff.items) CHECK_FALSE(h.content_hidden);
  });
}

TEST_CASE("search: filters and facets") {
  for_each_backend([](store::Database& db) {
    std::vector<Document> docs;
    for (int i = 1; i <= 12; ++i) {
      auto d = doc(i, "会议纪要 第" + std::to_string(i) + "号");
      d.fonds_id = i % 2 ? 1 : 2;
      d.category_id = i <= 4 ? 11 : 12;
      d.category_path =
          i <= 4 ? std::vector<std::int64_t>{5, 11} : std::vector<std::int64_t>{6, 12};
      d.year = 2010 + i;
      d.carrier = i % 3 ? "paper" : "electronic";
      d.access_level = i == 12 ? "controlled" : "open";
      docs.push_back(d);
    }
    put(db, docs);
    auto all = find(db, "会议纪要");
    CHECK(all.total == 12);
    CHECK(all.facets_exact);
    CHECK(facet_count(all, "fonds", 1) == 6);
    CHECK(facet_count(all, "category", 11) == 4);
    CHECK(facet_count(all, "carrier", "electronic") == 4);
    CHECK(facet_count(all, "year", 2015) == 1);
    CHECK(facet_count(all, "access_level", "controlled") == 1);

    Query q;
    q.q = "会议纪要";
    q.fonds_ids = {2};
    CHECK(find(db, q).total == 6);
    q.fonds_ids.clear();
    q.category_ids = {5};  // the parent finds its subtree
    CHECK(sorted_ids(find(db, q)) == V{1, 2, 3, 4});
    q.category_ids = {12};
    CHECK(find(db, q).total == 8);
    q.category_ids.clear();
    q.year_from = 2014;
    q.year_to = 2016;
    CHECK(sorted_ids(find(db, q)) == V{4, 5, 6});
    q.year_to.reset();
    CHECK(find(db, q).total == 9);  // 2014 and later
    q.year_from.reset();
    q.year_to = 2011;
    CHECK(ids(find(db, q)) == V{1});
    q.year_to.reset();
    q.carriers = {"electronic"};
    CHECK(sorted_ids(find(db, q)) == V{3, 6, 9, 12});
    q.access_levels = {"open"};
    CHECK(sorted_ids(find(db, q)) == V{3, 6, 9});
    q.carriers.clear();
    q.access_levels.clear();
    q.fonds_ids = {1, 2};
    q.limit = 5;
    q.offset = 10;
    auto page = find(db, q);
    CHECK(page.total == 12);
    CHECK(page.items.size() == 2);
  });
}

TEST_CASE("search: upsert replaces a document and remove removes it") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "旧标题 苹果"), doc(2, "其他 苹果")});
    CHECK(find(db, "旧标题").total == 1);
    put(db, {doc(1, "新标题 苹果")});
    CHECK(find(db, "旧标题").total == 0);
    CHECK(ids(find(db, "新标题")) == V{1});
    CHECK(find(db, "苹果").total == 2);
    {
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE(remove(**tx, "record", 1));
      REQUIRE(remove(**tx, "record", 77));  // absent: fine
      REQUIRE((*tx)->commit());
    }
    CHECK(find(db, "新标题").total == 0);
    CHECK(ids(find(db, "苹果")) == V{2});
    // A rolled-back upsert leaves nothing behind.
    {
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE(upsert(**tx, doc(3, "回滚的 苹果")));
    }
    CHECK(ids(find(db, "苹果")) == V{2});
  });
}

TEST_CASE("search: importance moves an otherwise equal match up") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "水库调度记录"), doc(2, "水库调度记录"), doc(3, "水库调度记录")});
    auto r = find(db, "水库");
    REQUIRE(r.items.size() == 3);
    CHECK(r.items[0].score == doctest::Approx(r.items[2].score));
    auto important = doc(1, "水库调度记录");
    important.important = true;
    put(db, {important});
    CHECK(find(db, "水库").items[0].id == 1);
    {
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE(update_signals(**tx, "record", 3, 500, 4, false));
      REQUIRE((*tx)->commit());
    }
    r = find(db, "水库");
    REQUIRE(r.items.size() == 3);
    CHECK(r.items[0].id == 3);  // much used and cited beats the important flag here
    CHECK(r.items[2].id == 2);
    CHECK(r.items[0].score > r.items[1].score);
    // The weights come from the caller (config).
    Weights w;
    w.use = 0;
    w.cited = 0;
    Query q;
    q.q = "水库";
    q.audience = Audience::staff_all;
    CHECK(find(db, q, w).items[0].id == 1);
  });
}

TEST_CASE("search: a title match ranks above a description match") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "年度报告", "其中提到水质监测"), doc(2, "水质监测报告", "年度")});
    auto r = find(db, "水质监测");
    REQUIRE(r.items.size() == 2);
    CHECK(r.items[0].id == 2);
  });
}

TEST_CASE("search: snippets mark the matched words and escape HTML") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "说明", "<b>档案</b> & 目录：檔案移交清单"),
             doc(2, "Loan records", "The recording of loans")});
    auto r = find(db, "档案");
    REQUIRE(r.items.size() == 1);
    CHECK(r.items[0].snippet ==
          "&lt;b&gt;<mark>档案</mark>&lt;/b&gt; &amp; 目录：<mark>檔案</mark>移交清单");
    auto e = find(db, "record");
    REQUIRE(e.items.size() == 1);
    CHECK(e.items[0].snippet == "The <mark>recording</mark> of loans");
  });
}

TEST_CASE("search: a query that finds nothing comes with a suggestion") {
  for_each_backend([](store::Database& db) {
    put(db, {doc(1, "档案管理制度"), doc(2, "档案借阅规则")});
    auto homophone = find(db, "挡案");  // 挡 sounds like 档
    CHECK(homophone.total == 0);
    CHECK(homophone.suggestion == std::optional<std::string>("档案"));
    auto extra = find(db, "档案 火箭");  // 火箭 matches nothing: drop it
    CHECK(extra.total == 0);
    CHECK(extra.suggestion == std::optional<std::string>("档案"));
    auto phrase = find(db, "\"管理档案\"");
    CHECK(phrase.total == 0);
    CHECK(phrase.suggestion == std::optional<std::string>("管理档案"));
    CHECK_FALSE(find(db, "火箭").suggestion.has_value());
  });
}

TEST_CASE("search: bad queries are refused") {
  for_each_backend([](store::Database& db) {
    auto tx = db.begin(store::TxMode::read);
    REQUIRE(tx);
    Query q;
    for (const char* bad : {"", "   ", "、。！"}) {
      q.q = bad;
      auto r = run(**tx, q, {});
      REQUIRE_FALSE(r);
      CHECK(r.error().field == "q");
    }
    q.q = std::string(300, 'a');
    CHECK(run(**tx, q, {}).error().field == "q");
    q.q = "档案";
    q.limit = 0;
    CHECK(run(**tx, q, {}).error().field == "limit");
  });
}

TEST_CASE("search: bounded candidates still count every match up to the cap") {
  for_each_backend([](store::Database& db) {
    std::vector<Document> docs;
    for (int i = 1; i <= 40; ++i) docs.push_back(doc(i, "土地征收 补偿 " + std::to_string(i)));
    docs[39].title = "征收";  // matches "征收" only
    put(db, docs);
    Query q;
    q.q = "土地征收";
    q.candidates = 10;
    auto r = find(db, q);
    CHECK(r.total == 39);
    CHECK(r.total_exact);
    CHECK_FALSE(r.facets_exact);
    CHECK(r.items.size() == 10);  // only candidates are ranked
    q.candidates = 0;
    auto all = find(db, q);
    CHECK(all.total == 39);
    CHECK(all.facets_exact);
  });
}

TEST_CASE("search: bulk indexing and clearing") {
  for_each_backend([](store::Database& db) {
    {
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      Bulk bulk(**tx, 2);
      for (int i = 1; i <= 700; ++i) {
        auto d = doc(i, "批量 第" + std::to_string(i) + "件 " + (i % 7 == 0 ? "七" : "其他"));
        d.important = i % 50 == 0;
        d.use_count = i % 13;
        REQUIRE(bulk.add(d));
      }
      REQUIRE(bulk.finish());
      CHECK(bulk.written() == 700);
      REQUIRE((*tx)->commit());
    }
    // 700 matches: counted to kTotalCap, and said to be more.
    auto many = find(db, "批量");
    CHECK(many.total == kTotalCap);
    CHECK_FALSE(many.total_exact);
    CHECK(find(db, "七").total == 100);
    CHECK(find(db, "第350件").total == 1);
    {
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE(clear(**tx));
      Bulk bulk(**tx, 1, true);
      REQUIRE(bulk.add(doc(1, "重建 之后")));
      REQUIRE(bulk.finish());
      REQUIRE((*tx)->commit());
    }
    CHECK(find(db, "批量").total == 0);
    CHECK(ids(find(db, "重建")) == V{1});
  });
}

TEST_CASE("search: a bulk load of several write chunks keeps every document in order") {
  for_each_backend([](store::Database& db) {
    const bool sqlite = db.backend() == store::Backend::sqlite;
    // SQLite: past the 4 write chunks of 4096 the preparing threads may run ahead, so the
    // writer waits on them, writes early chunks and drains the rest at finish().
    const int n = sqlite ? 20000 : 3000;
    if (sqlite) {
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE((*tx)->exec("INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 6)"));
      REQUIRE((*tx)->commit());
    }
    {
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      Bulk bulk(**tx, 2, true);
      for (int i = 1; i <= n; ++i) {
        auto d = doc(i, "分块 第" + std::to_string(i) + "号");
        d.use_count = i % 3 == 0 ? 20 : 0;  // two tiers: rowids jump between them
        REQUIRE(bulk.add(d));
      }
      REQUIRE(bulk.finish());
      CHECK(bulk.written() == n);
      REQUIRE((*tx)->commit());
    }
    auto tx = db.begin(store::TxMode::read);
    REQUIRE(tx);
    auto count = (*tx)->one("SELECT count(*) FROM search_docs", {}, "count");
    REQUIRE(count);
    CHECK(count->i64(0) == n);
    if (sqlite) {
      // The load's FTS5 settings are put back: automerge as it was, hashsize FTS5's default.
      auto am = (*tx)->one("SELECT v FROM search_fts_config WHERE k = 'automerge'", {}, "automerge");
      REQUIRE(am);
      CHECK(am->i64(0) == 6);
      auto hs = (*tx)->one("SELECT v FROM search_fts_config WHERE k = 'hashsize'", {}, "hashsize");
      REQUIRE(hs);
      CHECK(hs->i64(0) == 1 << 20);
    }
    tx->reset();
    if (sqlite) {
      // The index's own structure (segments, doclists); 0: not against the content table,
      // which holds raw text, not the prepared terms.
      auto w = db.begin(store::TxMode::write);
      REQUIRE(w);
      auto check =
          (*w)->exec("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 0)");
      CHECK_MESSAGE(check, (check ? "" : check.error().message));
    }
    CHECK(ids(find(db, "第" + std::to_string(n - 1) + "号")) == V{n - 1});
    CHECK(ids(find(db, "第2号")) == V{2});
  });
}

TEST_CASE("search: the log and the unmet-demand report") {
  for_each_backend([](store::Database& db) {
    auto log = [&](const std::string& q, std::int64_t total, std::int64_t user) {
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      LogEntry e;
      e.user_id = user;
      e.query = q;
      e.normalized = analysis::parse_query(q).normalized;
      e.total = total;
      auto id = log_search(**tx, e, system_clock());
      REQUIRE(id);
      REQUIRE((*tx)->commit());
      return *id;
    };
    log("族谱", 0, 7);
    log("族譜", 0, 8);  // the same term, traditional
    auto opened = log("地方志", 5, 7);
    log("地方志", 5, 7);
    log("县志", 3, 7);
    {
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      CHECK(mark_opened(**tx, opened, 8, 42, system_clock()).error().code ==
            ErrorCode::not_found);  // not theirs
      REQUIRE(mark_opened(**tx, opened, 7, 42, system_clock()));
      REQUIRE((*tx)->commit());
    }
    auto tx = db.begin(store::TxMode::read);
    REQUIRE(tx);
    auto report = unmet_demand(**tx, {});
    REQUIRE(report);
    auto items = (*report)["items"];
    REQUIRE(items.size() == 3);
    CHECK(items[0]["term"] == "族谱");
    CHECK(items[0]["searches"] == 2);
    CHECK(items[0]["found_nothing"] == 2);
    REQUIRE(items[0]["weekly"].size() == 1);
    CHECK(items[0]["weekly"][0]["count"] == 2);
    // 地方志: searched twice, one of them opened: one unmet.
    bool saw = false;
    for (const auto& it : items)
      if (it["term"] == "地方志") {
        saw = true;
        CHECK(it["searches"] == 1);
        CHECK(it["not_opened"] == 1);
      }
    CHECK(saw);
    auto future = unmet_demand(**tx, {"2999-01-01", "", 10});
    REQUIRE(future);
    CHECK((*future)["items"].empty());
  });
}

TEST_CASE("search: maintain rebuilds the index when text preparation changed") {
  for_each_backend([](store::Database& db) {
    auto first = maintain(db);
    REQUIRE(first);
    CHECK(*first == 0);  // nothing to rebuild, the fingerprint is recorded
    auto controlled = doc(2, "渠道规划", "灌溉水源的分配");
    controlled.access_level = "controlled";
    put(db, {doc(1, "水库调度记录", "防汛"), controlled});
    CHECK(*maintain(db) == 0);
    {
      // As if another release had built the index.
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE((*tx)->exec("UPDATE search_meta SET value = 'v0-1' WHERE key = 'analyzer'"));
      REQUIRE((*tx)->commit());
    }
    auto rebuilt = maintain(db);
    REQUIRE_MESSAGE(rebuilt, (rebuilt ? "" : rebuilt.error().message));
    CHECK(*rebuilt == 2);
    CHECK(ids(find(db, "水库")) == V{1});
    CHECK(ids(find(db, "灌溉", Audience::staff_all)) == V{2});
    CHECK(find(db, "灌溉", Audience::patron).total == 0);
    CHECK(ids(find(db, "渠道", Audience::patron)) == V{2});
    // Later changes go on as usual.
    put(db, {doc(1, "水库调度记录 二", "防汛")});
    CHECK(ids(find(db, "水库")) == V{1});
    {
      auto tx = db.begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE(remove(**tx, "record", 2));
      REQUIRE((*tx)->commit());
    }
    CHECK(find(db, "灌溉", Audience::staff_all).total == 0);
    CHECK(*maintain(db) == 0);
  });
}

// ---------------------------------------------------------------- analysis

TEST_CASE("analyzer: the fast fold gives what the full fold gives") {
  const char* samples[] = {"档案管理",
                           "檔案館藏目錄",
                           "ＡＢＣ１２３",
                           "Archive RECORDS",
                           "沈默的船",
                           "乾隆年間",
                           "ｶﾀｶﾅ",
                           "㈱会社",
                           "Ⅻ卷",
                           "\xe3\x80\x80空格",
                           "Ǆemal",
                           "ß",
                           "客户档案管理篇(1)",
                           "電力客戶服務痕跡管理"};
  for (const char* s : samples) CHECK(text::fold(s) == text::fold_slow(s));
  // Every ideograph the fast path leaves to itself is left alone by NFKC case folding and
  // by t2s when it is not in the traditional set: checked over the whole URO block.
  std::string all;
  for (char32_t c = 0x4E00; c <= 0x9FFF; ++c) {
    char buf[4];
    int n = 0;
    buf[n++] = static_cast<char>(0xE0 | (c >> 12));
    buf[n++] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | (c & 0x3F));
    all.append(buf, static_cast<std::size_t>(n));
  }
  CHECK(text::fold(all) == text::fold_slow(all));
}

TEST_CASE("analyzer: terms of a record") {
  Document d;
  d.id = 1;
  d.title = "客户档案管理办法";
  d.description = "Records of loans, 2019年";
  d.reference_code = "QZ01—WS·2019";
  auto p = analysis::prepare(d);
  using analysis::Column;
  auto has = [&](Column c, const std::string& term) {
    std::string s = " " + p.columns[c] + " ";
    return s.find(" " + term + " ") != std::string::npos;
  };
  CHECK(has(analysis::kTitle, "档案"));
  CHECK(has(analysis::kEntryGrams, "案管"));
  CHECK(has(analysis::kPinyin, "dangan"));
  CHECK(has(analysis::kPinyin, "da"));
  CHECK(has(analysis::kDescription, "record"));
  CHECK(has(analysis::kDescription, "loan"));
  CHECK(has(analysis::kDescription, "2019"));
  CHECK(has(analysis::kContentGrams, "年"));
  CHECK(has(analysis::kRefcode, "qz01-ws-2019"));
  CHECK(has(analysis::kRefcode, "ws"));
  CHECK(has(analysis::kMeta, "a_open"));
  CHECK(analysis::normalize_code(" QZ01 — ws / 2019 ") == "qz01-ws-2019");
  CHECK(analysis::looks_like_code("QZ01-WS-2019-D30-0001"));
  CHECK(analysis::looks_like_code("GD03—06—12—0045"));
  CHECK_FALSE(analysis::looks_like_code("档案"));
  CHECK_FALSE(analysis::looks_like_code("well-known"));
  CHECK(analysis::year_terms(1998, 2021) ==
        std::vector<std::string>{"y_1998", "y_1999", "d_200", "d_201", "y_2020", "y_2021"});
  CHECK(analysis::year_terms(1900, 2005).front() == "h_19");
}

}  // namespace
}  // namespace dangan::search
