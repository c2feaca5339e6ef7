#include "service/onsite.h"

#include <doctest/doctest.h>

#include <thread>

#include "auth/auth.h"
#include "auth/testing.h"
#include "core/testing.h"
#include "patrons/patrons.h"
#include "service/routing.h"
#include "store/test_databases.h"

namespace dangan::service {

using json = nlohmann::json;

namespace {

using testing::ManualClock;
using testing::must;

struct Fixture {
  testing::TestDatabase tdb;
  audit::ReadRecorder reads;
  ManualClock clock{*parse_time("2026-11-23T09:00:00+08:00")};  // a Monday
  Desk desk;
  OnSite onsite;
  Routing routing;
  Actor agent, agent2, manager, patron_actor, other_patron;
  std::int64_t patron_id = 0, other_id = 0;

  explicit Fixture(const std::string& backend)
      : tdb(backend),
        reads(tdb.db()),
        desk(tdb.db(), reads, "Asia/Shanghai", clock),
        onsite(tdb.db(), reads, desk, clock),
        routing(tdb.db(), clock) {
    agent = user("agent1", Role::agent);
    agent2 = user("agent2", Role::agent);
    manager = user("manager1", Role::manager);
    patrons::Service registry(tdb.db(), reads);
    patron_id = must(registry.create(manager, {{"type", "person"}, {"name", "李四"}})).patron["id"];
    other_id = must(registry.create(manager, {{"type", "person"}, {"name", "王五"}})).patron["id"];
    patron_actor = user("lisi", Role::patron, patron_id);
    other_patron = user("wangwu", Role::patron, other_id);
  }

  Actor user(const std::string& name, Role role, std::optional<std::int64_t> patron = {}) {
    return testing::make_user(tdb.db(), name, role, patron);
  }

  // A staff booking for 李四 on `day` (local, +08:00) from `from` to `to`.
  json body(const std::string& day, const std::string& from, const std::string& to,
            std::vector<std::int64_t> staff) {
    return {{"patron_id", patron_id},
            {"purpose", "collection"},
            {"address", "北京市朝阳区建国路88号3单元502室"},
            {"contact_phone", "13812345678"},
            {"starts_at", day + "T" + from + ":00+08:00"},
            {"ends_at", day + "T" + to + ":00+08:00"},
            {"staff_ids", staff}};
  }

  std::int64_t count(const std::string& sql, const store::Params& p = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::read));
    return must(tx->one(sql, p, "count")).i64(0);
  }
};

}  // namespace

TEST_CASE("service: on-site visit windows fall on working days of the calendar") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    must(f.desk.put_calendar_day(f.manager, "2026-12-01", {{"kind", "holiday"}, {"name", "闭馆日"}}));
    must(f.desk.put_calendar_day(f.manager, "2026-12-05", {{"kind", "workday"}, {"name", "调休"}}));

    auto holiday = f.onsite.book(f.agent, f.body("2026-12-01", "09:00", "11:00", {f.agent.user_id}));
    REQUIRE_FALSE(holiday);
    CHECK(holiday.error().code == ErrorCode::invalid);
    CHECK(holiday.error().field == "starts_at");
    CHECK(holiday.error().message.find("闭馆日") != std::string::npos);
    auto sunday = f.onsite.book(f.agent, f.body("2026-11-29", "09:00", "11:00", {}));
    REQUIRE_FALSE(sunday);
    CHECK(sunday.error().field == "starts_at");
    // The make-up Saturday is a working day.
    json sat = must(f.onsite.book(f.agent, f.body("2026-12-05", "09:00", "11:00", {})));
    CHECK(sat["status"] == "requested");
    // Local days, not UTC ones: Wednesday 07:00 in Beijing is still Tuesday (the holiday)
    // in UTC, and is allowed; Tuesday 07:30 in Beijing is refused though UTC says Monday.
    must(f.onsite.book(f.agent, f.body("2026-12-02", "07:00", "08:00", {})));
    auto early = f.onsite.book(f.agent, f.body("2026-12-01", "07:30", "08:00", {}));
    REQUIRE_FALSE(early);
    CHECK(early.error().field == "starts_at");
    // One day only, and an end after the start.
    auto overnight = f.onsite.book(f.agent, f.body("2026-11-24", "20:00", "23:00", {}));
    CHECK(overnight);
    json across = f.body("2026-11-24", "20:00", "20:00", {});
    across["ends_at"] = "2026-11-25T09:00:00+08:00";
    auto two_days = f.onsite.book(f.agent, across);
    REQUIRE_FALSE(two_days);
    CHECK(two_days.error().field == "ends_at");
    auto backwards = f.onsite.book(f.agent, f.body("2026-11-24", "11:00", "09:00", {}));
    REQUIRE_FALSE(backwards);
    CHECK(backwards.error().field == "ends_at");
    // Moving a visit onto the holiday is refused the same way.
    auto moved = f.onsite.update(f.agent, sat["id"],
                                 {{"starts_at", "2026-12-01T09:00:00+08:00"},
                                  {"ends_at", "2026-12-01T10:00:00+08:00"}});
    REQUIRE_FALSE(moved);
    CHECK(moved.error().field == "starts_at");
  });
}

TEST_CASE("service: on-site visits never double-book a member of staff; back-to-back is fine") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    std::int64_t a = f.agent.user_id, b = f.agent2.user_id;
    json first = must(f.onsite.book(f.manager, f.body("2026-11-24", "09:00", "11:00", {a})));
    CHECK(first["status"] == "booked");
    std::string first_id = std::to_string(first["id"].get<std::int64_t>());

    auto overlap = f.onsite.book(f.manager, f.body("2026-11-24", "10:59", "12:00", {b, a}));
    REQUIRE_FALSE(overlap);
    CHECK(overlap.error().code == ErrorCode::conflict);
    CHECK(overlap.error().field == "staff_ids");
    CHECK(overlap.error().message.find("visit " + first_id) != std::string::npos);
    CHECK(overlap.error().message.find("agent1 display") != std::string::npos);
    // Windows that only touch do not overlap, on either side.
    json after = must(f.onsite.book(f.manager, f.body("2026-11-24", "11:00", "12:00", {a, b})));
    must(f.onsite.book(f.manager, f.body("2026-11-24", "08:00", "09:00", {a})));
    // Another member of staff is free at the same time.
    must(f.onsite.book(f.manager, f.body("2026-11-24", "09:30", "10:30", {b})));
    // Moving or re-staffing a visit is checked too (it does not clash with itself).
    auto moved = f.onsite.update(f.manager, after["id"], {{"starts_at", "2026-11-24T10:30:00+08:00"}});
    REQUIRE_FALSE(moved);
    CHECK(moved.error().code == ErrorCode::conflict);
    must(f.onsite.update(f.manager, after["id"], {{"ends_at", "2026-11-24T12:30:00+08:00"}}));
    // A cancelled visit frees its staff.
    must(f.onsite.cancel(f.manager, first["id"], {{"reason", "档案室临时封存"}}));
    must(f.onsite.book(f.manager, f.body("2026-11-24", "09:00", "11:00", {a})));

    // Two desks booking the same person for the same window at once: one wins.
    std::optional<Result<json>> r1, r2;
    std::thread t1([&] { r1 = f.onsite.book(f.manager, f.body("2026-11-25", "14:00", "16:00", {b})); });
    std::thread t2([&] { r2 = f.onsite.book(f.agent, f.body("2026-11-25", "15:00", "17:00", {b})); });
    t1.join();
    t2.join();
    CHECK(r1->has_value() != r2->has_value());
    const auto& lost = r1->has_value() ? *r2 : *r1;
    REQUIRE_FALSE(lost);
    CHECK(lost.error().code == ErrorCode::conflict);
    CHECK(f.count("SELECT COUNT(*) FROM onsite_visits v JOIN onsite_visit_staff s ON s.visit_id = "
                  "v.id WHERE s.user_id = ? AND v.starts_at >= '2026-11-25'",
                  {b}) == 1);
  });
}

TEST_CASE("service: on-site visit requests on the portal follow the patron's tier") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    json req = {{"purpose", "consultation"},
                {"address", "上海市徐汇区漕溪北路100号"},
                {"starts_at", "2026-11-26T14:00:00+08:00"},
                {"ends_at", "2026-11-26T16:00:00+08:00"},
                {"note", "行动不便，请上门"}};
    // No tier, and a tier without on_site: refused.
    auto none = f.onsite.book(f.patron_actor, req);
    REQUIRE_FALSE(none);
    CHECK(none.error().code == ErrorCode::forbidden);
    must(f.routing.set_patron_tier(f.manager, f.patron_id, {{"tier", "key"}}));
    auto key = f.onsite.book(f.patron_actor, req);
    REQUIRE_FALSE(key);
    CHECK(key.error().code == ErrorCode::forbidden);
    json tiers = must(f.routing.tiers(f.manager));
    for (auto& t : tiers["items"]) CHECK(t["on_site"] == (t["code"] == "vip"));
    must(f.routing.put_tier(f.manager, "key", {{"name", "重点"}, {"position", 2}, {"sla_percent", 75},
                                               {"notify", true}, {"on_site", true}}));
    json v = must(f.onsite.book(f.patron_actor, req));
    CHECK(v["status"] == "requested");
    CHECK(v["requested_by_patron"] == true);
    CHECK(v["patron_id"] == f.patron_id);
    CHECK_FALSE(v.contains("notes"));
    // A window that has begun is not requested.
    json past = req;
    past["starts_at"] = "2026-11-23T08:00:00+08:00";
    past["ends_at"] = "2026-11-23T10:00:00+08:00";
    auto late = f.onsite.book(f.patron_actor, past);
    REQUIRE_FALSE(late);
    CHECK(late.error().field == "starts_at");
    // Others' visits do not exist for a patron.
    CHECK(f.onsite.get(f.other_patron, v["id"]).error().code == ErrorCode::not_found);
    CHECK(must(f.onsite.list(f.other_patron, {}))["items"].empty());

    // Staff confirm it with someone to go, and write an internal note.
    auto no_staff = f.onsite.update(f.agent, v["id"], {{"status", "booked"}});
    REQUIRE_FALSE(no_staff);
    CHECK(no_staff.error().field == "staff_ids");
    json booked = must(f.onsite.update(
        f.agent, v["id"],
        {{"status", "booked"}, {"staff_ids", {f.agent2.user_id}}, {"notes", "带移动扫描仪"}}));
    CHECK(booked["status"] == "booked");
    CHECK(booked["notes"] == "带移动扫描仪");
    json mine = must(f.onsite.get(f.patron_actor, v["id"]));
    CHECK_FALSE(mine.contains("notes"));
    CHECK(mine["staff"][0]["display_name"] == "agent2 display");
    CHECK(mine["address"] == "上海市徐汇区漕溪北路100号");
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind IN "
                  "('onsite.requested','onsite.booked')",
                  {f.patron_id}) == 2);

    // The patron cancels before it starts; once it has begun they cannot.
    json second = must(f.onsite.book(f.patron_actor, req));
    json cancelled = must(f.onsite.cancel(f.patron_actor, v["id"], {{"reason", "已自行到馆"}}));
    CHECK(cancelled["status"] == "cancelled");
    CHECK(f.onsite.cancel(f.other_patron, second["id"], json::object()).error().code ==
          ErrorCode::not_found);
    f.clock.set("2026-11-26T14:05:00+08:00");
    auto begun = f.onsite.cancel(f.patron_actor, second["id"], json::object());
    REQUIRE_FALSE(begun);
    CHECK(begun.error().code == ErrorCode::conflict);
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind = 'onsite.cancelled'",
                  {f.patron_id}) == 1);
  });
}

TEST_CASE("service: on-site visit outcome, masked address for other staff, audited reads") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    json v = must(f.onsite.book(f.manager, f.body("2026-11-24", "09:00", "11:00", {f.agent.user_id})));
    std::int64_t id = v["id"];
    // The staff member who goes sees where; another agent sees it cut short.
    json theirs = must(f.onsite.get(f.agent, id));
    CHECK(theirs["address"] == "北京市朝阳区建国路88号3单元502室");
    CHECK(theirs["contact_phone"] == "13812345678");
    json other = must(f.onsite.get(f.agent2, id));
    CHECK(other["address"] == "北京市朝阳区****");
    CHECK(other["contact_phone"] == "138****5678");
    CHECK(other["masked"].size() == 2);
    json listed = must(f.onsite.list(f.agent2, {.staff_id = f.agent.user_id}));
    REQUIRE(listed["items"].size() == 1);
    CHECK(listed["items"][0]["address"] == "北京市朝阳区****");
    f.reads.flush();
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'onsite.read' AND patron_id = ?",
                  {f.patron_id}) == 2);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'onsite.list_read'") == 1);

    // Not before it begins; then done with what was taken in.
    auto early = f.onsite.done(f.agent, id, {{"outcome", "接收"}, {"duration_minutes", 90}});
    REQUIRE_FALSE(early);
    CHECK(early.error().code == ErrorCode::conflict);
    f.clock.set("2026-11-24T11:30:00+08:00");
    auto no_minutes = f.onsite.done(f.agent, id, {{"outcome", "接收"}});
    REQUIRE_FALSE(no_minutes);
    CHECK(no_minutes.error().field == "duration_minutes");
    auto bad_score = f.onsite.done(
        f.agent, id, {{"outcome", "接收"}, {"duration_minutes", 90}, {"satisfaction", 6}});
    REQUIRE_FALSE(bad_score);
    CHECK(bad_score.error().field == "satisfaction");
    json done = must(f.onsite.done(f.agent, id,
                                   {{"outcome", "接收捐赠家书 3 件，已开具接收凭证"},
                                    {"duration_minutes", 95},
                                    {"items", {"家书（1950–1962）", "老照片 12 张", "工作证"}},
                                    {"satisfaction", 5}}));
    CHECK(done["status"] == "done");
    CHECK(done["items"].size() == 3);
    CHECK(done["satisfaction"] == 5);
    CHECK(f.onsite.done(f.agent, id, {{"outcome", "x"}, {"duration_minutes", 1}}).error().code ==
          ErrorCode::conflict);
    CHECK(f.onsite.update(f.agent, id, {{"notes", "x"}}).error().code == ErrorCode::conflict);
    // The patron sees the items and score, not the staff's account.
    json mine = must(f.onsite.get(f.patron_actor, id));
    CHECK(mine["items"].size() == 3);
    CHECK_FALSE(mine.contains("outcome"));
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind = 'onsite.done' AND "
                  "summary LIKE '%95 min%'",
                  {f.patron_id}) == 1);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('onsite.book','onsite.done')") ==
          2);

    // A booked visit nobody answered the door for.
    json next = must(f.onsite.book(f.manager, f.body("2026-11-25", "09:00", "10:00", {f.agent.user_id})));
    auto too_soon = f.onsite.update(f.agent, next["id"], {{"status", "no_show"}});
    REQUIRE_FALSE(too_soon);
    CHECK(too_soon.error().code == ErrorCode::conflict);
    f.clock.set("2026-11-25T10:15:00+08:00");
    CHECK(must(f.onsite.update(f.agent, next["id"], {{"status", "no_show"}}))["status"] ==
          "no_show");

    // Soonest first, paged, filtered by status.
    must(f.onsite.book(f.manager, f.body("2026-11-26", "09:00", "10:00", {})));
    json page1 = must(f.onsite.list(f.manager, {.limit = 2}));
    REQUIRE(page1["items"].size() == 2);
    CHECK(page1["items"][0]["id"] == id);
    json page2 = must(f.onsite.list(f.manager, {.cursor = page1["next_cursor"].get<std::string>(),
                                                .limit = 2}));
    REQUIRE(page2["items"].size() == 1);
    CHECK(page2["next_cursor"].is_null());
    CHECK(must(f.onsite.list(f.manager, {.status = "active"}))["items"].size() == 1);
    CHECK(f.onsite.list(f.manager, {.status = "maybe"}).error().field == "status");
  });
}

}  // namespace dangan::service
