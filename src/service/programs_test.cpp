// Knowledge services (D27) and trace points (D33), on both backends.
#include <doctest/doctest.h>

#include "auth/auth.h"
#include "catalogue/catalogue.h"
#include "core/config.h"
#include "core/testing.h"
#include "patrons/patrons.h"
#include "service/knowledge.h"
#include "service/traces.h"
#include "store/test_databases.h"

namespace dangan::service {

using json = nlohmann::json;

namespace {

using testing::ManualClock;
using testing::must;

struct Programs {
  testing::TestDatabase tdb;
  audit::ReadRecorder reads;
  ManualClock clock{*parse_time("2026-11-23T09:00:00+08:00")};
  Config config;
  catalogue::Service catalogue;
  KnowledgeServices knowledge;
  Actor agent, archivist, manager, analyst, admin, lisi, wangwu;
  std::int64_t lisi_id = 0, wangwu_id = 0;

  explicit Programs(const std::string& backend)
      : tdb(backend),
        reads(tdb.db()),
        catalogue(tdb.db(), reads, config),
        knowledge(tdb.db(), reads, [this](const Actor& by, std::int64_t id) -> Result<json> {
          auto rec = TRY(catalogue.get_record(by, id));
          return json{{"id", id}, {"reference_code", rec["reference_code"]}, {"title", rec["title"]}};
        }, clock) {
    REQUIRE(catalogue.ensure_defaults());
    agent = user("agent1", Role::agent);
    archivist = user("arch1", Role::archivist);
    manager = user("manager1", Role::manager);
    analyst = user("analyst1", Role::analyst);
    admin = user("admin1", Role::administrator);
    patrons::Service registry(tdb.db(), reads);
    lisi_id = must(registry.create(manager, {{"type", "person"},
                                             {"name", "李四"},
                                             {"phones", {"13812345678"}},
                                             {"consents", {{"processing", true}}}}))
                  .patron["id"];
    wangwu_id = must(registry.create(manager, {{"type", "person"},
                                               {"name", "王五"},
                                               {"phones", {"13900001111"}},
                                               {"consents", {{"processing", false}}}}))
                    .patron["id"];
    lisi = user("lisi", Role::patron, lisi_id);
    wangwu = user("wangwu", Role::patron, wangwu_id);
  }

  Actor user(const std::string& name, Role role, std::optional<std::int64_t> patron = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::write));
    auth::NewUser u;
    u.username = name;
    u.display_name = name + " display";
    u.password = "Correct-horse-battery-9";
    u.role = role;
    u.patron_id = patron;
    auto created = must(auth::create_user(*tx, u));
    REQUIRE(tx->commit());
    Actor a;
    a.user_id = created.id;
    a.username = name;
    a.role = role;
    a.patron_id = patron;
    return a;
  }

  std::int64_t count(const std::string& sql, const store::Params& p = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::read));
    return must(tx->one(sql, p, "count")).i64(0);
  }
};

}  // namespace

TEST_CASE("service: a knowledge service runs from start through deliveries to its close") {
  testing::each_backend([](const std::string& backend) {
    Programs f(backend);
    json rec1 = must(f.catalogue.create_record(
        f.archivist, {{"title", "民国时期盐业档案"}, {"access_level", "open"}}));
    json rec2 = must(f.catalogue.create_record(
        f.archivist, {{"title", "盐务局往来函件"}, {"access_level", "open"}}));
    json secret = must(f.catalogue.create_record(
        f.archivist, {{"title", "涉密卷"}, {"access_level", "secret"}}));

    // Only staff who work tickets start one; the patron must exist.
    json body = {{"patron_id", f.lisi_id},
                 {"topic", "近代盐业史"},
                 {"scope", "1912–1949 年盐务机构档案"},
                 {"specialist_id", f.archivist.user_id},
                 {"delivery_interval_days", 14},
                 {"milestones",
                  {{{"title", "检索目录"}, {"due_on", "2026-12-01"}},
                   {{"title", "提交专题汇编"}, {"due_on", "2027-01-15"}}}}};
    CHECK(f.knowledge.start(f.analyst, body).error().code == ErrorCode::forbidden);
    CHECK(f.knowledge.start(f.lisi, body).error().code == ErrorCode::forbidden);
    json bad = body;
    bad["milestones"][0]["due_on"] = "2026-13-01";
    CHECK(f.knowledge.start(f.agent, bad).error().field == "milestones");
    bad = body;
    bad["patron_id"] = 999999;
    CHECK(f.knowledge.start(f.agent, bad).error().field == "patron_id");

    json k = must(f.knowledge.start(f.agent, body));
    std::int64_t id = k["id"];
    CHECK(k["status"] == "active");
    CHECK(k["specialist_name"] == "arch1 display");
    CHECK(k["milestones"].size() == 2);
    CHECK(k["milestones"][0]["title"] == "检索目录");
    // The first delivery falls due one interval after the start.
    CHECK(k["next_delivery_due"] == format_time(f.clock.now() + std::chrono::days(14)));
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind = "
                  "'knowledge.started'",
                  {f.lisi_id}) == 1);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'knowledge.start'") == 1);

    // The patron sees their own; another patron does not see it exist.
    CHECK(must(f.knowledge.get(f.lisi, id))["topic"] == "近代盐业史");
    CHECK(f.knowledge.get(f.wangwu, id).error().code == ErrorCode::not_found);
    CHECK(must(f.knowledge.list(f.wangwu, {}))["items"].empty());
    KnowledgeQuery active;
    active.status = "active";
    CHECK(must(f.knowledge.list(f.lisi, active))["items"].size() == 1);

    // A delivery links records the deliverer may see, as they were when delivered.
    f.clock.set("2026-11-30T10:00:00+08:00");
    auto hidden = f.knowledge.deliver(
        f.agent, id, {{"summary", "x"}, {"record_ids", {rec1["id"], secret["id"]}}});
    CHECK(hidden.error().field == "record_ids");
    CHECK(f.count("SELECT COUNT(*) FROM knowledge_deliveries") == 0);
    k = must(f.knowledge.deliver(
        f.agent, id,
        {{"summary", "第一批目录与复印件"}, {"record_ids", {rec2["id"], rec1["id"], rec1["id"]}}}));
    REQUIRE(k["deliveries"].size() == 1);
    CHECK(k["deliveries"][0]["records"].size() == 2);
    CHECK(k["deliveries"][0]["records"][0]["reference_code"] == rec1["reference_code"]);
    CHECK(k["deliveries"][0]["records"][0]["title"] == "民国时期盐业档案");
    CHECK(k["next_delivery_due"] == format_time(f.clock.now() + std::chrono::days(14)));
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind = "
                  "'knowledge.delivered'",
                  {f.lisi_id}) == 1);

    // Milestones: done once.
    std::int64_t m1 = k["milestones"][0]["id"];
    k = must(f.knowledge.complete_milestone(f.archivist, id, m1));
    CHECK(k["milestones"][0]["done_at"] == format_time(f.clock.now()));
    CHECK(f.knowledge.complete_milestone(f.archivist, id, m1).error().code ==
          ErrorCode::conflict);
    CHECK(f.knowledge.complete_milestone(f.archivist, id, 999999).error().code ==
          ErrorCode::not_found);
    k = must(f.knowledge.add_milestone(f.agent, id, {{"title", "中期报告"}, {"due_on", "2026-12-20"}}));
    CHECK(k["milestones"].size() == 3);
    CHECK(k["milestones"][1]["title"] == "中期报告");  // ordered by due date

    // Without a rhythm there is no next delivery date.
    k = must(f.knowledge.update(f.agent, id, {{"delivery_interval_days", nullptr}}));
    CHECK(k["next_delivery_due"].is_null());

    // Closing as completed needs the patron's satisfaction; then nothing more is added.
    CHECK(f.knowledge.close(f.agent, id, {{"outcome", "completed"}}).error().field ==
          "satisfaction");
    CHECK(f.knowledge.close(f.agent, id, {{"outcome", "completed"}, {"satisfaction", 6}})
              .error()
              .field == "satisfaction");
    k = must(f.knowledge.close(f.agent, id,
                               {{"outcome", "completed"}, {"satisfaction", 5}, {"comment", "很有帮助"}}));
    CHECK(k["status"] == "completed");
    CHECK(k["satisfaction"] == 5);
    CHECK(f.knowledge.close(f.agent, id, {{"outcome", "cancelled"}}).error().code ==
          ErrorCode::conflict);
    CHECK(f.knowledge.deliver(f.agent, id, {{"summary", "迟到的"}}).error().code ==
          ErrorCode::conflict);
    CHECK(f.knowledge.add_milestone(f.agent, id, {{"title", "t"}, {"due_on", "2027-01-01"}})
              .error()
              .code == ErrorCode::conflict);
    CHECK(must(f.knowledge.list(f.lisi, active))["items"].empty());
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind = "
                  "'knowledge.closed'",
                  {f.lisi_id}) == 1);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'knowledge.%'") == 6);
  });
}

TEST_CASE("service: trace points record only when enabled and within consent") {
  CHECK(Traces::normalize_path("/portal/questions/17?tab=2") == "/portal/questions/{id}");
  CHECK(Traces::normalize_path("/portal") == "/portal");
  CHECK(Traces::normalize_path("/patrons/1") == std::nullopt);
  CHECK(Traces::normalize_path("/portal/<script>") == std::nullopt);
  testing::each_backend([](const std::string& backend) {
    Programs f(backend);
    // A long interval: the test flushes by hand.
    Traces traces(f.tdb.db(), f.clock, std::chrono::milliseconds(60000));
    auto events = [&](const std::string& kind) {
      traces.flush();
      return f.count("SELECT COUNT(*) FROM trace_events WHERE kind = ?", {kind});
    };

    // Off by default: nothing is queued.
    CHECK(must(traces.page(f.lisi, {{"path", "/portal/questions"}}))["queued"] == false);
    CHECK(events("portal_page") == 0);
    CHECK(traces.put_point(f.agent, "portal_page", {{"enabled", true}}).error().code ==
          ErrorCode::forbidden);
    CHECK(traces.put_point(f.admin, "shoe_size", {{"enabled", true}}).error().code ==
          ErrorCode::not_found);
    must(traces.put_point(f.admin, "portal_page", {{"enabled", true}, {"retention_days", 30}}));
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'trace_point.update'") == 1);

    // Staff pages are not traced; a patron without consent is not stored.
    CHECK(traces.page(f.agent, {{"path", "/portal"}}).error().code == ErrorCode::forbidden);
    CHECK(traces.page(f.lisi, {{"path", "/tickets"}}).error().field == "path");
    CHECK(must(traces.page(f.lisi, {{"path", "/portal/questions/5"}}))["queued"] == true);
    CHECK(must(traces.page(f.lisi, {{"path", "/portal/questions/6"}}))["queued"] == true);
    CHECK(must(traces.page(f.lisi, {{"path", "/portal"}}))["queued"] == true);
    must(traces.page(f.wangwu, {{"path", "/portal"}}));
    CHECK(events("portal_page") == 3);

    // Consent withdrawn after the event was queued: the write honours it.
    must(traces.page(f.lisi, {{"path", "/portal"}}));
    patrons::Service registry(f.tdb.db(), f.reads);
    must(registry.update(f.manager, f.lisi_id, {{"consents", {{"processing", false}}}},
                         std::nullopt));
    CHECK(events("portal_page") == 3);
    must(registry.update(f.manager, f.lisi_id, {{"consents", {{"processing", true}}}},
                         std::nullopt));

    // Record views and downloads only while their point is on, only for patrons.
    traces.record_view(f.lisi, 42);
    CHECK(events("record_view") == 0);
    must(traces.put_point(f.manager, "record_view", {{"enabled", true}}));
    traces.record_view(f.lisi, 42);
    traces.record_view(f.agent, 42);
    CHECK(events("record_view") == 1);

    // IVR: the caller is recognised by phone; an unknown number is not stored.
    must(traces.put_point(f.admin, "ivr", {{"enabled", true}}));
    CHECK(traces.ivr(f.lisi, {{"caller", "13812345678"}, {"keys", "1>3"}}).error().code ==
          ErrorCode::forbidden);
    CHECK(traces.ivr(f.agent, {{"caller", "13812345678"}, {"keys", "1>x"}}).error().field ==
          "keys");
    CHECK(must(traces.ivr(f.agent, {{"caller", "+86 138 1234 5678"}, {"keys", {"1", "3", "2"}}}))
              ["keys"] == "1>3>2");
    must(traces.ivr(f.agent, {{"caller", "13700000000"}, {"keys", "1"}}));
    must(traces.ivr(f.agent, {{"caller", "13900001111"}, {"keys", "1"}}));  // no consent
    CHECK(events("ivr") == 1);

    // The report: paths by count with unique patrons, and the trend per day.
    f.clock.set("2026-11-24T10:00:00+08:00");
    must(traces.page(f.lisi, {{"path", "/portal/questions/9"}}));
    CHECK(traces.feature_use(f.agent, {}).error().code == ErrorCode::forbidden);
    FeatureUseQuery q;
    q.from = "2026-11-22";
    q.to = "2026-11-24";
    json r = must(traces.feature_use(f.analyst, q));
    CHECK(r["total"] == 4);
    CHECK(r["unique_patrons"] == 1);
    REQUIRE(r["targets"].size() == 2);
    CHECK(r["targets"][0] == json{{"target", "/portal/questions/{id}"}, {"count", 3}, {"patrons", 1}});
    CHECK(r["targets"][1]["target"] == "/portal");
    REQUIRE(r["trend"].size() == 3);
    CHECK(r["trend"][0]["count"] == 0);
    CHECK(r["trend"][1] == json{{"day", "2026-11-23"}, {"count", 3}, {"patrons", 1}});
    CHECK(r["trend"][2]["count"] == 1);  // 10:00 in Shanghai is 02:00 on the 24th in UTC
    q.kind = "ivr";
    CHECK(must(traces.feature_use(f.manager, q))["targets"][0]["target"] == "1>3>2");

    // Retention: past 30 days the page views go; the IVR trace (180 days) stays.
    f.clock.set("2026-12-23T12:00:00+08:00");
    CHECK(must(traces.purge()) == 3);
    CHECK(events("portal_page") == 1);
    CHECK(events("ivr") == 1);
  });
}

}  // namespace dangan::service
