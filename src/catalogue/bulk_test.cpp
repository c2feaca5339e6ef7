// bulk_test.cpp — BulkCreator makes exactly what create_record makes one record after
// another (codes, fields, counters, search documents, audit entries, timeline events,
// errors), and its counters hold under parallel creators; on SQLite and (with
// DANGAN_TEST_PG_URL) PostgreSQL.
#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <thread>

#include "catalogue/catalogue.h"
#include "store/test_databases.h"

namespace dangan::catalogue {
namespace {

using json = nlohmann::json;
using ::dangan::testing::each_backend;
using ::dangan::testing::TestDatabase;

class FixedClock final : public Clock {
 public:
  TimePoint now() const override { return *parse_time("2026-03-04T05:06:07Z"); }
};

Actor archivist() {
  Actor a;
  a.user_id = 1;
  a.username = "archivist1";
  a.role = Role::archivist;
  return a;
}

struct Catalogue {
  TestDatabase t;
  Config config;
  FixedClock clock;
  audit::ReadRecorder reads;
  Service s;
  std::int64_t patron = 0, box = 0;
  explicit Catalogue(const std::string& backend)
      : t(backend), reads(t.db()), s(t.db(), reads, config, clock) {
    REQUIRE(s.ensure_defaults());
    const Actor a = archivist();
    auto must = [](Result<json> r) {
      if (!r) FAIL(r.error().message, " (field ", r.error().field, ")");
      return *r;
    };
    json fonds = must(s.create_fonds(a, {{"code", "G01"}, {"name", "供电公司"}}));
    json kj = must(s.create_category(a, {{"code", "KJ"}, {"name", "科技"}}));
    json h = must(s.create_category(a, {{"code", "H"}, {"name", "高压"}, {"parent_id", kj["id"]}}));
    must(s.create_scheme(a, {{"code", "kj"},
                             {"name", "科技"},
                             {"template", "{fonds}-{category_path}-{year}-{seq:03}"},
                             {"category_id", kj["id"]}}));
    must(s.create_scheme(a, {{"code", "g01h"},
                             {"name", "高压客户"},
                             {"template", "G-{category}-{seq:05}"},
                             {"fonds_id", fonds["id"]},
                             {"category_id", h["id"]},
                             {"reuse_numbers", true}}));
    json building = must(s.create_location(a, {{"kind", "building"}, {"code", "A"}, {"name", "甲楼"}}));
    json cabinet = must(s.create_location(
        a, {{"kind", "cabinet"}, {"code", "C3"}, {"name", "三号柜"}, {"parent_id", building["id"]}}));
    box = must(s.create_location(a, {{"kind", "box"},
                                     {"code", "B7"},
                                     {"name", "七号盒"},
                                     {"parent_id", cabinet["id"]},
                                     {"capacity", 100}}))["id"]
              .get<std::int64_t>();
    auto tx = t.db().begin(store::TxMode::write);
    REQUIRE(tx);
    auto p = (*tx)->one(
        "INSERT INTO patrons (type, name, created_at, updated_at) VALUES ('person', '王客户', "
        "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') RETURNING id",
        {}, "patron");
    REQUIRE(p);
    patron = p->i64(0);
    REQUIRE((*tx)->commit());
    // Held already: imports of this code fail.
    REQUIRE(s.create_record(a, {{"title", "已有"}, {"access_level", "open"}, {"reference_code", "OLD-1"}}));
    // A closed customer file gives its number back (the g01h scheme reuses numbers).
    auto closed = s.create_record(a, {{"title", "销户档案"},
                                      {"access_level", "open"},
                                      {"fonds", "G01"},
                                      {"category", "KJ.H"}});
    REQUIRE(closed);
    REQUIRE(s.close_record(a, (*closed)["id"].get<std::int64_t>(), "客户销户"));
  }

  std::vector<std::string> rows(const std::string& sql) {
    auto tx = t.db().begin(store::TxMode::read);
    REQUIRE(tx);
    auto rs = (*tx)->query(sql);
    REQUIRE(rs);
    std::vector<std::string> out;
    for (auto& r : *rs) {
      std::string line;
      for (std::size_t i = 0; i < r.cols.size(); ++i) line += (i ? " | " : "") + r.str(i);
      out.push_back(line);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

// Every kind of body an import sends, good and bad, in one order.
std::vector<json> bodies(std::int64_t patron, std::int64_t box) {
  std::vector<json> out;
  for (int i = 0; i < 12; ++i)
    out.push_back({{"title", "城市建设档案 第" + std::to_string(i) + "卷"},
                   {"description", "本卷收录了北京城市建设的有关文件"},
                   {"access_level", i % 3 == 0 ? "controlled" : "open"},
                   {"year", 1998 + i % 3},
                   {"keywords", "城建；规划, 档案"},
                   {"retention", i % 2 ? "永久" : "D10"}});
  out.push_back({{"title", "Annual report 2003"}, {"access_level", "secret"}, {"carrier", "paper"},
                 {"creator", "Office"}, {"date_from", "2003-04-05"}, {"date_to", "2003-12"}});
  // Imported codes: in a series (moves its counter), outside any, held already, twice.
  out.push_back({{"title", "旧档案"}, {"access_level", "open"}, {"year", 1999},
                 {"reference_code", "QZ01-WS-1999-D30-0040"}});
  out.push_back({{"title", "旧档案二"}, {"access_level", "open"}, {"reference_code", "X-1"}});
  out.push_back({{"title", "已有的号"}, {"access_level", "open"}, {"reference_code", "OLD-1"}});
  out.push_back({{"title", "重复的号"}, {"access_level", "open"}, {"reference_code", "X-1"}});
  out.push_back({{"title", "接着旧号"}, {"access_level", "open"}, {"year", 1999}});
  // An imported code equal to one generated just before it in the same batch.
  out.push_back({{"title", "撞号"}, {"access_level", "open"}, {"year", 1999},
                 {"reference_code", "QZ01-WS-1999-D30-0041"}});
  // Other schemes; the reusing one hands out the released number first.
  out.push_back({{"title", "高压客户档案"}, {"access_level", "open"}, {"fonds", "G01"},
                 {"category", "KJ.H"}, {"patron_id", patron}, {"important", true}});
  out.push_back({{"title", "高压客户档案二"}, {"access_level", "open"}, {"fonds", "G01"},
                 {"category", "KJ.H"}, {"patron_id", patron}});
  out.push_back({{"title", "科技档案"}, {"access_level", "open"}, {"category", "KJ"}, {"year", 2023},
                 {"location_id", box}, {"pages", 12}, {"source_authority", 7},
                 {"rights", {{"holder", "市档案馆"}, {"reproduction_allowed", false}}}});
  // Under embargo: indexed as controlled until then.
  out.push_back({{"title", "限制期内的档案"}, {"access_level", "open"}, {"embargo_until", "2030-01-01"}});
  // Refused by the checks.
  out.push_back({{"title", "年度不对"}, {"access_level", "open"}, {"year", 98}});
  out.push_back({{"title", "全宗不存在"}, {"access_level", "open"}, {"fonds", "QZ99"}});
  out.push_back({{"title", "类别不存在"}, {"access_level", "open"}, {"category", "KJ.X"}});
  out.push_back({{"title", "日期不对"}, {"access_level", "open"}, {"date_from", "2023-02-30"}});
  out.push_back({{"access_level", "open"}});
  out.push_back({{"title", "不活跃的客户"}, {"access_level", "open"}, {"patron_id", patron + 100}});
  out.push_back({{"title", "没有期限"}, {"access_level", "open"}, {"retention", "D99"}});
  for (int i = 0; i < 5; ++i)
    out.push_back({{"title", "檔案管理辦法 " + std::to_string(i)}, {"access_level", "open"},
                   {"year", 1998}});
  return out;
}

std::string outcome_text(const std::optional<Error>& e, const std::string& code) {
  if (!e) return "ok " + code;
  return std::string(to_string(e->code)) + " " + e->field + ": " + e->message;
}

const char* kRecordRows =
    "SELECT reference_code, scheme_id, series, seq, title, description, keywords, creator, year, "
    "date_from, date_to, fonds_id, category_id, retention_code, retention_until, access_level, "
    "location_id, carrier, pages, patron_id, important, rights, embargo_until, source_authority, "
    "unit_id, created_by, created_at, updated_at, status, number_released, version FROM records";
const char* kDocRows =
    "SELECT s.reference_code, s.code_key, s.title, s.description, s.creator, s.keywords, "
    "s.content, s.access_level, s.carrier, s.fonds_id, s.category_id, s.category_path, s.year, "
    "s.important, s.use_count, s.cited_by, s.source_authority, s.updated_at, s.tier, "
    "s.terms_hash FROM search_docs s";
// Audit entries of created records, by code (seq and hashes differ only by position).
const char* kAuditRows =
    "SELECT r.reference_code, a.action, a.entity_type, a.patron_id, a.actor_name, a.at FROM "
    "audit_log a JOIN records r ON a.entity_id = CAST(r.id AS TEXT) WHERE a.action = "
    "'record.create'";
const char* kEventRows =
    "SELECT patron_id, kind, summary, detail, ref_type FROM events";

TEST_CASE("catalogue: bulk creation makes exactly what one create after another makes") {
  each_backend([](const std::string& backend) {
    Catalogue one(backend), bulk(backend);
    const Actor a = archivist();
    auto list = bodies(one.patron, one.box);
    REQUIRE(one.patron == bulk.patron);
    REQUIRE(one.box == bulk.box);

    std::vector<std::string> want, got;
    for (auto& b : list) {
      auto r = one.s.create_record(a, b);
      want.push_back(r ? outcome_text(std::nullopt, (*r)["reference_code"].get<std::string>())
                       : outcome_text(r.error(), ""));
    }

    auto tx = bulk.t.db().begin(store::TxMode::write);
    REQUIRE(tx);
    std::map<std::size_t, std::string> by_ticket;
    {
      BulkCreator c(bulk.s, **tx, a);
      std::vector<std::optional<std::size_t>> tickets;
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto t = c.add(list[i]);
        if (!t) {
          got.push_back(outcome_text(t.error(), ""));
          tickets.push_back(std::nullopt);
        } else {
          got.push_back("");
          tickets.push_back(*t);
        }
        // Flushes at odd places: numbering carries over from one flush to the next.
        if (i == 3 || i == 15) {
          auto out = c.flush();
          REQUIRE(out);
          for (auto& o : *out) by_ticket[o.ticket] = outcome_text(o.error, o.reference_code);
        }
      }
      auto out = c.finish();
      REQUIRE(out);
      for (auto& o : *out) by_ticket[o.ticket] = outcome_text(o.error, o.reference_code);
      for (std::size_t i = 0; i < list.size(); ++i)
        if (tickets[i]) got[i] = by_ticket.at(*tickets[i]);
    }
    REQUIRE((*tx)->commit());

    CHECK(got == want);
    CHECK(std::count_if(want.begin(), want.end(), [](auto& w) { return w.starts_with("ok"); }) ==
          25);
    CHECK(bulk.rows(kRecordRows) == one.rows(kRecordRows));
    CHECK(bulk.rows("SELECT scheme_id, series, last_seq FROM scheme_counters") ==
          one.rows("SELECT scheme_id, series, last_seq FROM scheme_counters"));
    CHECK(bulk.rows("SELECT scheme_id, series, seq, reference_code, reused_by_record IS NULL "
                    "FROM released_numbers") ==
          one.rows("SELECT scheme_id, series, seq, reference_code, reused_by_record IS NULL FROM "
                   "released_numbers"));
    CHECK(bulk.rows(kDocRows) == one.rows(kDocRows));
    CHECK(bulk.rows(kAuditRows) == one.rows(kAuditRows));
    CHECK(bulk.rows(kEventRows) == one.rows(kEventRows));
    CHECK(bulk.rows("SELECT r.reference_code, m.to_location_id, m.reason FROM record_moves m "
                    "JOIN records r ON r.id = m.record_id") ==
          one.rows("SELECT r.reference_code, m.to_location_id, m.reason FROM record_moves m JOIN "
                   "records r ON r.id = m.record_id"));
    // The audit chain is whole.
    auto verified = audit::verify(bulk.t.db());
    REQUIRE(verified);
    CHECK(verified->ok);

    // Searchable, with the same answers.
    for (const char* q : {"城市建设", "档案管理", "Annual report", "QZ01-WS-1999-D30-0040"}) {
      INFO(q);
      auto search = [&](Catalogue& c) {
        auto rtx = c.t.db().begin(store::TxMode::read);
        REQUIRE(rtx);
        search::Query query;
        query.q = q;
        query.audience = search::Audience::staff_all;
        auto r = search::run(**rtx, query, c.s.weights());
        REQUIRE(r);
        std::vector<std::string> codes;
        for (auto& h : r->items) codes.push_back(h.reference_code);
        return std::pair{r->total, codes};
      };
      auto [total, codes] = search(bulk);
      CHECK(total > 0);
      CHECK(search(one) == std::pair{total, codes});
    }
  });
}

TEST_CASE("catalogue: bulk creators and single creates in parallel never share a number") {
  each_backend([](const std::string& backend) {
    Catalogue f(backend);
    const Actor a = archivist();
    // Separate database handles, as separate processes would have.
    struct Process {
      std::unique_ptr<store::Database> db;
      std::unique_ptr<audit::ReadRecorder> reads;
      std::unique_ptr<Service> s;
    };
    std::vector<Process> ps;
    for (int i = 0; i < 4; ++i) {
      Process p;
      p.db = f.t.open_again();
      p.reads = std::make_unique<audit::ReadRecorder>(*p.db);
      p.s = std::make_unique<Service>(*p.db, *p.reads, f.config, f.clock);
      ps.push_back(std::move(p));
    }
    std::mutex mu;
    std::vector<std::string> codes;
    std::vector<std::string> problems;
    auto body = [](const std::string& title) {
      return json{{"title", title}, {"access_level", "open"}, {"year", 2020}};
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)  // bulk: 3 transactions of 20, flushed every 7
      threads.emplace_back([&, i] {
        for (int batch = 0; batch < 3; ++batch) {
          auto tx = ps[i].db->begin(store::TxMode::write);
          if (!tx) {
            std::lock_guard lock(mu);
            problems.push_back(tx.error().message);
            continue;
          }
          // No doctest assertions off the main thread: problems are collected.
          std::vector<std::string> mine;
          Status st;
          {
            BulkCreator c(*ps[i].s, **tx, a);
            auto take = [&](Result<std::vector<BulkCreator::Outcome>> out) -> Status {
              if (!out) return std::unexpected(out.error());
              for (auto& o : *out) {
                if (o.error) return std::unexpected(*o.error);
                mine.push_back(o.reference_code);
              }
              return {};
            };
            for (int k = 0; st && k < 20; ++k) {
              if (auto t = c.add(body("批量 " + std::to_string(k))); !t)
                st = std::unexpected(t.error());
              else if (k % 7 == 6)
                st = take(c.flush());
            }
            if (st) st = take(c.finish());
          }
          if (st) st = (*tx)->commit();
          std::lock_guard lock(mu);
          if (!st) problems.push_back(st.error().message);
          else codes.insert(codes.end(), mine.begin(), mine.end());
        }
      });
    for (int i = 2; i < 4; ++i)  // one create at a time
      threads.emplace_back([&, i] {
        for (int k = 0; k < 20; ++k) {
          auto r = ps[i].s->create_record(a, body("单个 " + std::to_string(k)));
          std::lock_guard lock(mu);
          if (r) codes.push_back((*r)["reference_code"].get<std::string>());
          else problems.push_back(r.error().message);
        }
      });
    for (auto& t : threads) t.join();
    for (auto& p : problems) FAIL_CHECK(p);
    std::set<std::string> unique(codes.begin(), codes.end());
    CHECK(unique.size() == codes.size());
    REQUIRE(codes.size() == 160);
    CHECK(*unique.begin() == "QZ01-WS-2020-D30-0001");
    CHECK(*unique.rbegin() == "QZ01-WS-2020-D30-0160");
  });
}

}  // namespace
}  // namespace dangan::catalogue
