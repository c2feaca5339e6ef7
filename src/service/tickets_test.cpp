#include "service/tickets.h"

#include <doctest/doctest.h>

#include "auth/auth.h"
#include "auth/testing.h"
#include "core/testing.h"
#include "patrons/patrons.h"
#include "store/test_databases.h"

namespace dangan::service {

using json = nlohmann::json;

namespace {

using testing::ManualClock;
using testing::must;

TimePoint at(const char* iso) { return *parse_time(iso); }

struct Desk_ {
  testing::TestDatabase tdb;
  audit::ReadRecorder reads;
  ManualClock clock{at("2026-11-23T09:00:00+08:00")};  // a Monday
  Desk desk;
  Actor agent, agent2, manager, manager2, admin, analyst, patron_actor, other_patron;
  std::int64_t patron_id = 0, other_patron_id = 0;

  explicit Desk_(const std::string& backend)
      : tdb(backend), reads(tdb.db()), desk(tdb.db(), reads, "Asia/Shanghai", clock) {
    agent = user("agent1", Role::agent);
    agent2 = user("agent2", Role::agent);
    manager = user("manager1", Role::manager);
    manager2 = user("manager2", Role::manager);
    admin = user("admin1", Role::administrator);
    analyst = user("analyst1", Role::analyst);
    patrons::Service registry(tdb.db(), reads);
    patron_id = must(registry.create(manager, {{"type", "person"}, {"name", "李四"}})).patron["id"];
    other_patron_id =
        must(registry.create(manager, {{"type", "person"}, {"name", "王五"}})).patron["id"];
    patron_actor = user("lisi", Role::patron, patron_id);
    other_patron = user("wangwu", Role::patron, other_patron_id);
  }

  Actor user(const std::string& name, Role role, std::optional<std::int64_t> patron = {}) {
    return testing::make_user(tdb.db(), name, role, patron);
  }

  std::int64_t count(const std::string& sql, const store::Params& p = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::read));
    return must(tx->one(sql, p, "count")).i64(0);
  }
};

}  // namespace

TEST_CASE("service: a complaint by phone — waiting stops the clock, reopening restarts it") {
  testing::each_backend([](const std::string& backend) {
    Desk_ f(backend);
    json t = must(f.desk.open(f.agent, {{"kind", "complaint"},
                                        {"channel", "phone"},
                                        {"subject", "复印件收费过高"},
                                        {"body", "来电称复印收费与公示不符"},
                                        {"patron_id", f.patron_id}}));
    CHECK(t["number"] == "T2026-" +
                             std::string(6 - std::to_string(t["id"].get<int>()).size(), '0') +
                             std::to_string(t["id"].get<int>()));
    // On the phone, opening is the first response.
    CHECK(t["status"] == "open");
    CHECK(t["first_response_at"] == format_time(f.clock.now()));
    // complaint/normal: 120 working minutes to respond, 2250 (five working days) to resolve.
    CHECK(t["first_response_due"] == format_time(at("2026-11-23T11:00:00+08:00")));
    CHECK(t["resolution_due"] == format_time(at("2026-11-30T09:00:00+08:00")));
    std::int64_t id = t["id"];

    f.clock.set("2026-11-24T09:00:00+08:00");
    must(f.desk.post(f.agent, id, {{"kind", "reply"}, {"body", "请提供收据照片"}}));
    t = must(f.desk.act(f.agent, id, "wait", json::object()));
    CHECK(t["status"] == "waiting_on_patron");
    // The patron answers a working day later: the deadline moves by that day.
    f.clock.set("2026-11-25T09:00:00+08:00");
    json p = must(f.desk.post(f.patron_actor, id, {{"body", "照片已上传"}}));
    CHECK(p["status"] == "open");
    CHECK_FALSE(p.contains("resolution_due"));  // a patron does not see SLA internals
    t = must(f.desk.get(f.agent, id));
    CHECK(t["resolution_due"] == format_time(at("2026-12-01T09:00:00+08:00")));
    CHECK(t["sla"]["paused_seconds"] == 7.5 * 3600);

    // A complaint is resolved only after a service recovery is offered.
    auto no_recovery = f.desk.act(f.agent, id, "resolve", {{"resolution", "x"}});
    REQUIRE_FALSE(no_recovery.has_value());
    CHECK(no_recovery.error().field == "recovery");
    must(f.desk.offer_recovery(
        f.agent, id, {{"cause", "收费标准更新后未及时公示"}, {"remedy", "退还差额并致歉"}}));
    json answered = must(
        f.desk.answer_recovery(f.patron_actor, id, {{"accepted", true}, {"comment", "可以接受"}}));
    CHECK(answered["recovery"]["accepted"] == true);
    CHECK(answered["recovery"]["remedy"] == "退还差额并致歉");
    CHECK_FALSE(answered["recovery"].contains("cause"));  // the internal cause stays with staff
    auto twice = f.desk.answer_recovery(f.patron_actor, id, {{"accepted", false}});
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.error().code == ErrorCode::conflict);

    auto bad = f.desk.act(f.agent, id, "resolve", json::object());
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().field == "resolution");
    t = must(f.desk.act(f.agent, id, "resolve", {{"resolution", "按公示价格退还差额"}}));
    CHECK(t["status"] == "resolved");
    CHECK(t["resolution"] == "按公示价格退还差额");
    auto again = f.desk.act(f.agent, id, "resume", json::object());
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == ErrorCode::conflict);
    t = must(f.desk.act(f.agent, id, "close", json::object()));
    CHECK(t["status"] == "closed");
    // Closing a complaint schedules a follow-up visit three working days later.
    json visits = must(f.desk.list_visits(f.agent, std::string("scheduled"), f.patron_id, {}, 10));
    REQUIRE(visits["items"].size() == 1);
    CHECK(visits["items"][0]["reason"] == "complaint");
    CHECK(visits["items"][0]["due_at"] == format_time(at("2026-11-30T09:00:00+08:00")));
    auto reply_closed = f.desk.post(f.agent, id, {{"kind", "reply"}, {"body", "x"}});
    REQUIRE_FALSE(reply_closed.has_value());
    CHECK(reply_closed.error().code == ErrorCode::conflict);

    f.clock.set("2026-11-26T10:00:00+08:00");
    t = must(f.desk.act(f.manager, id, "reopen", {{"reason", "患者称未收到退款"}}));
    CHECK(t["status"] == "reopened");
    CHECK(t["reopen_count"] == 1);
    CHECK(t["resolved_at"].is_null());
    // A fresh five working days from now.
    CHECK(t["resolution_due"] == format_time(at("2026-12-03T10:00:00+08:00")));

    // The thread: patron's words, reply, status changes; every step on the timeline.
    json full = must(f.desk.get(f.agent, id));
    std::vector<std::string> kinds;
    for (auto& m : full["messages"]) kinds.push_back(m["kind"]);
    CHECK(kinds == std::vector<std::string>{"patron", "reply", "system", "patron", "system",
                                            "system", "system", "system", "system"});
    // opened, replied, patron wrote, remedy offered and answered, resolved, closed, reopened
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind LIKE 'ticket.%'",
                  {f.patron_id}) == 8);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE entity_type = 'ticket' AND entity_id = ?",
                  {std::to_string(id)}) >= 7);
  });
}

TEST_CASE("service: a missed deadline escalates once, to the team's manager") {
  testing::each_backend([](const std::string& backend) {
    Desk_ f(backend);
    json team = must(f.desk.create_team(f.manager, {{"name", "查档咨询组"},
                                                    {"manager_id", f.manager2.user_id},
                                                    {"member_ids", {f.agent.user_id}}}));
    // An e-mail arrives Friday evening, after hours.
    f.clock.set("2026-11-27T18:00:00+08:00");
    json t = must(f.desk.open(f.agent, {{"kind", "consultation"},
                                        {"priority", "urgent"},
                                        {"channel", "email"},
                                        {"subject", "急需婚姻登记档案"},
                                        {"body", "明天办理手续需要"},
                                        {"patron_id", f.patron_id},
                                        {"team_id", team["id"]}}));
    CHECK(t["status"] == "new");
    // 30 working minutes to respond: Monday 09:00; 240 to resolve: Monday 14:00.
    CHECK(t["first_response_due"] == format_time(at("2026-11-30T09:00:00+08:00")));
    CHECK(t["resolution_due"] == format_time(at("2026-11-30T14:00:00+08:00")));
    std::int64_t id = t["id"];

    f.clock.set("2026-11-30T08:59:00+08:00");
    CHECK(must(f.desk.sweep()) == 0);
    f.clock.set("2026-11-30T09:01:00+08:00");
    CHECK(must(f.desk.sweep()) == 1);
    CHECK(must(f.desk.sweep()) == 0);  // once per deadline
    t = must(f.desk.get(f.manager2, id));
    CHECK(t["breached"]["first_response"] == true);
    CHECK(t["breached"]["resolution"] == false);
    CHECK(t["escalated_to"] == f.manager2.user_id);
    REQUIRE(t["escalations"].size() == 1);
    CHECK(t["escalations"][0]["reason"] == "first_response");

    // The manager's queue shows it until acknowledged.
    TicketQuery q;
    q.escalated = true;
    CHECK(must(f.desk.list(f.manager2, q))["items"].size() == 1);
    CHECK(must(f.desk.list(f.manager, q))["items"].size() == 0);
    auto agent_ack = f.desk.acknowledge_escalation(f.agent, t["escalations"][0]["id"]);
    REQUIRE_FALSE(agent_ack.has_value());
    CHECK(agent_ack.error().code == ErrorCode::forbidden);
    must(f.desk.acknowledge_escalation(f.manager2, t["escalations"][0]["id"]));
    CHECK(must(f.desk.list(f.manager2, q))["items"].size() == 0);

    // A reply now is late but counts; the resolution deadline then passes too.
    must(f.desk.post(f.agent, id, {{"kind", "reply"}, {"body", "已安排调档"}}));
    f.clock.set("2026-11-30T14:00:01+08:00");
    CHECK(must(f.desk.sweep()) == 1);
    t = must(f.desk.get(f.manager2, id));
    CHECK(t["breached"]["resolution"] == true);
    CHECK(t["escalations"].size() == 2);
    TicketQuery breached;
    breached.breached = true;
    CHECK(must(f.desk.list(f.agent, breached))["items"].size() == 1);

    // Without a team manager, escalation goes to a manager.
    json loose = must(f.desk.open(f.agent, {{"kind", "request"},
                                            {"priority", "urgent"},
                                            {"channel", "letter"},
                                            {"subject", "来函调档"},
                                            {"body", "公函"}}));
    f.clock.set("2026-12-02T09:00:00+08:00");
    CHECK(must(f.desk.sweep()) == 2);  // its first response and its resolution
    CHECK(must(f.desk.get(f.manager, loose["id"]))["escalated_to"] == f.manager.user_id);
  });
}

TEST_CASE("service: patrons see their own tickets without notes; reports stay confidential") {
  testing::each_backend([](const std::string& backend) {
    Desk_ f(backend);
    json mine = must(f.desk.open(f.patron_actor, {{"kind", "consultation"},
                                                  {"subject", "如何查询祖父的档案"},
                                                  {"body", "祖父1950年代在本市工作"}}));
    CHECK(mine["channel"] == "web_form");
    CHECK(mine["status"] == "new");
    std::int64_t id = mine["id"];
    // A patron cannot set staff fields.
    auto sneaky = f.desk.open(f.patron_actor, {{"kind", "consultation"},
                                               {"subject", "x"},
                                               {"body", "y"},
                                               {"assignee_id", f.agent.user_id}});
    REQUIRE_FALSE(sneaky.has_value());
    CHECK(sneaky.error().field == "assignee_id");

    must(f.desk.post(f.agent, id, {{"kind", "note"}, {"body", "内部：可能在人事档案室"}}));
    must(f.desk.post(f.agent, id, {{"kind", "reply"}, {"body", "请携带身份证明到馆"}}));
    json seen = must(f.desk.get(f.patron_actor, id));
    REQUIRE(seen["messages"].size() == 2);
    CHECK(seen["messages"][1]["body"] == "请携带身份证明到馆");
    CHECK(seen["messages"][1]["from"] == "staff");
    CHECK_FALSE(seen.contains("assignee_id"));
    CHECK_FALSE(seen.contains("escalations"));
    CHECK(must(f.desk.get(f.agent, id))["messages"].size() == 3);

    auto other = f.desk.get(f.other_patron, id);
    REQUIRE_FALSE(other.has_value());
    CHECK(other.error().code == ErrorCode::not_found);
    CHECK(must(f.desk.list(f.other_patron, {}))["items"].empty());
    CHECK(must(f.desk.list(f.patron_actor, {}))["items"].size() == 1);

    // A report (举报) is seen by managers and its assignee only.
    json report = must(f.desk.open(
        f.patron_actor,
        {{"kind", "report"}, {"subject", "工作人员索要好处费"}, {"body", "某窗口人员"}}));
    std::int64_t rid = report["id"];
    auto hidden = f.desk.get(f.agent, rid);
    REQUIRE_FALSE(hidden.has_value());
    CHECK(hidden.error().code == ErrorCode::not_found);
    CHECK(must(f.desk.list(f.agent, {}))["items"].size() == 1);
    CHECK(must(f.desk.list(f.manager, {}))["items"].size() == 2);
    must(f.desk.update(f.manager, rid, {{"assignee_id", f.agent2.user_id}}));
    CHECK(must(f.desk.get(f.agent2, rid))["status"] == "open");
    CHECK_FALSE(f.desk.get(f.agent, rid).has_value());

    // Roles without tickets.
    for (const Actor* a : {&f.analyst, &f.admin}) {
      auto r = f.desk.get(*a, id);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == ErrorCode::forbidden);
    }
    // Reading a ticket with a patron is audited as a read of personal data.
    f.reads.flush();
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'ticket.read' AND entity_id = ?",
                  {std::to_string(id)}) >= 1);
  });
}

TEST_CASE("service: bad tickets and settings are refused with the field") {
  testing::each_backend([](const std::string& backend) {
    Desk_ f(backend);
    json ok = {{"kind", "consultation"}, {"channel", "counter"}, {"subject", "s"}, {"body", "b"}};
    auto with = [&](const char* key, json v) {
      json b = ok;
      b[key] = v;
      return f.desk.open(f.agent, b);
    };
    for (auto [key, value] : std::vector<std::pair<const char*, json>>{{"kind", "praise"},
                                                                       {"channel", "pigeon"},
                                                                       {"priority", "asap"},
                                                                       {"subject", ""},
                                                                       {"body", 42},
                                                                       {"patron_id", 999999},
                                                                       {"assignee_id", -1},
                                                                       {"team_id", 777},
                                                                       {"colour", "red"}}) {
      auto r = with(key, value);
      REQUIRE_MESSAGE(!r.has_value(), key);
      CHECK(r.error().code == ErrorCode::invalid);
      CHECK(r.error().field == key);
    }
    auto analyst_open = f.desk.open(f.analyst, ok);
    REQUIRE_FALSE(analyst_open.has_value());
    CHECK(analyst_open.error().code == ErrorCode::forbidden);
    CHECK(f.count("SELECT COUNT(*) FROM tickets") == 0);

    // Settings: hours, days, policies; only admin and manager.
    auto no = f.desk.put_hours(f.agent, {{"sat", "09:00-12:00"}});
    REQUIRE_FALSE(no.has_value());
    CHECK(no.error().code == ErrorCode::forbidden);
    auto bad_hours = f.desk.put_hours(f.admin, {{"sat", "9-12"}});
    REQUIRE_FALSE(bad_hours.has_value());
    CHECK(bad_hours.error().field == "sat");
    auto empty_week = f.desk.put_hours(
        f.admin, {{"mon", ""}, {"tue", ""}, {"wed", ""}, {"thu", ""}, {"fri", ""}});
    REQUIRE_FALSE(empty_week.has_value());
    CHECK(empty_week.error().field == "weekly");
    CHECK(must(f.desk.settings(f.agent))["weekly"]["mon"] == "08:30-12:00,13:30-17:30");
    must(f.desk.put_hours(f.admin, {{"sat", "09:00-12:00"}}));
    must(f.desk.put_calendar_day(f.manager, "2026-11-30",
                                 {{"kind", "holiday"}, {"name", "闭馆日"}}));
    auto bad_day = f.desk.put_calendar_day(f.manager, "2026-13-01", {{"kind", "holiday"}});
    REQUIRE_FALSE(bad_day.has_value());
    CHECK(bad_day.error().field == "date");
    auto bad_policy =
        f.desk.put_policy(f.manager, "complaint", "high",
                          {{"first_response_minutes", 600}, {"resolution_minutes", 60}});
    REQUIRE_FALSE(bad_policy.has_value());
    CHECK(bad_policy.error().field == "resolution_minutes");
    must(f.desk.put_policy(f.manager, "consultation", "normal",
                           {{"first_response_minutes", 60}, {"resolution_minutes", 180}}));
    // Saturday 28th 09:00: Saturday now has morning hours, Monday 30th is closed.
    f.clock.set("2026-11-28T11:00:00+08:00");
    json t = must(f.desk.open(
        f.agent,
        {{"kind", "consultation"}, {"channel", "email"}, {"subject", "s"}, {"body", "b"}}));
    CHECK(t["first_response_due"] == format_time(at("2026-11-28T12:00:00+08:00")));
    CHECK(t["resolution_due"] == format_time(at("2026-12-01T10:30:00+08:00")));
    // Raising the priority re-plans from the creation time.
    t = must(f.desk.update(f.agent, t["id"], {{"priority", "urgent"}}));
    CHECK(t["first_response_due"] == format_time(at("2026-11-28T11:30:00+08:00")));
  });
}

TEST_CASE("service: standard answers are found in either script and filled in for a ticket") {
  testing::each_backend([](const std::string& backend) {
    Desk_ f(backend);
    f.desk.on_patron_name(
        [](const Actor&, std::int64_t) { return std::optional<std::string>("李四"); });
    json a = must(f.desk.create_answer(
        f.manager,
        {{"title", "查档须知"},
         {"scenario", "档案查询"},
         {"body",
          "{patron_name}您好，关于{subject}（{ticket_number}），请携带身份证到馆。{agent_name}"}}));
    must(f.desk.create_answer(f.manager,
                              {{"title", "Opening hours"}, {"body", "We open at 08:30."}}));
    CHECK(must(f.desk.list_answers(f.agent, "檔案", 10))["items"].size() == 1);
    CHECK(must(f.desk.list_answers(f.agent, "OPENING", 10))["items"].size() == 1);
    CHECK(must(f.desk.list_answers(f.agent, "", 10))["items"].size() == 2);
    CHECK(must(f.desk.list_answers(f.agent, "100%", 10))["items"].empty());
    json t = must(f.desk.open(f.agent, {{"kind", "consultation"},
                                        {"channel", "counter"},
                                        {"subject", "婚姻档案"},
                                        {"body", "b"},
                                        {"patron_id", f.patron_id}}));
    json r = must(f.desk.render_answer(f.agent, a["id"], t["id"]));
    CHECK(r["text"] == "李四您好，关于婚姻档案（" + t["number"].get<std::string>() +
                           "），请携带身份证到馆。agent1 display");
    CHECK(r["unfilled"].empty());
    auto agent_edit = f.desk.update_answer(f.agent, a["id"], {{"title", "x"}});
    REQUIRE_FALSE(agent_edit.has_value());
    CHECK(agent_edit.error().code == ErrorCode::forbidden);
    must(f.desk.delete_answer(f.manager, a["id"]));
    CHECK(must(f.desk.list_answers(f.agent, "", 10))["items"].size() == 1);
  });
}

TEST_CASE("service: follow-up visits — sampled, recorded with satisfaction, on the timeline") {
  testing::each_backend([](const std::string& backend) {
    Desk_ f(backend);
    auto close_one = [&](std::optional<std::int64_t> patron) {
      json body = {
          {"kind", "consultation"}, {"channel", "counter"}, {"subject", "问"}, {"body", "答"}};
      if (patron) body["patron_id"] = *patron;
      json t = must(f.desk.open(f.agent, body));
      must(f.desk.act(f.agent, t["id"], "resolve", {{"resolution", "已答复"}}));
      must(f.desk.act(f.agent, t["id"], "close", json::object()));
      return t["id"].get<std::int64_t>();
    };
    auto scheduled = [&] {
      return must(f.desk.list_visits(f.agent, std::string("scheduled"), {}, {}, 200))["items"]
          .size();
    };
    must(f.desk.put_visit_settings(f.manager, {{"visit_sample_rate", 0}}));
    close_one(f.patron_id);
    CHECK(scheduled() == 0);
    must(f.desk.put_visit_settings(f.manager,
                                   {{"visit_sample_rate", 1}, {"visit_after_working_days", 1}}));
    CHECK(must(f.desk.settings(f.agent))["visits"]["visit_sample_rate"] == 1);
    std::int64_t sampled = close_one(f.patron_id);
    close_one(std::nullopt);  // nobody to visit
    REQUIRE(scheduled() == 1);
    json v = must(f.desk.list_visits(f.agent, std::string("scheduled"), {}, {}, 10))["items"][0];
    CHECK(v["ticket_id"] == sampled);
    CHECK(v["reason"] == "sample");
    CHECK(v["due_at"] == format_time(at("2026-11-24T09:00:00+08:00")));  // one working day

    auto no_score = f.desk.record_visit(f.agent, v["id"], {{"outcome", "done"}});
    REQUIRE_FALSE(no_score.has_value());
    CHECK(no_score.error().field == "satisfaction");
    auto out_of_range =
        f.desk.record_visit(f.agent, v["id"], {{"outcome", "done"}, {"satisfaction", 6}});
    REQUIRE_FALSE(out_of_range.has_value());
    CHECK(out_of_range.error().field == "satisfaction");
    json done = must(f.desk.record_visit(
        f.agent, v["id"],
        {{"outcome", "done"}, {"satisfaction", 4}, {"comments", "答复及时，希望延长开放时间"}}));
    CHECK(done["status"] == "done");
    CHECK(done["done_by"] == f.agent.user_id);
    auto again = f.desk.record_visit(f.agent, v["id"], {{"outcome", "unreachable"}});
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == ErrorCode::conflict);
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind = 'visit.recorded' AND "
                  "summary LIKE '%4/5%'",
                  {f.patron_id}) == 1);

    // By hand, for a patron without a ticket; the patron must exist.
    json manual = must(f.desk.schedule_visit(f.agent, {{"patron_id", f.other_patron_id}}));
    CHECK(manual["reason"] == "manual");
    auto nobody = f.desk.schedule_visit(f.agent, {{"patron_id", 99999999}});
    REQUIRE_FALSE(nobody.has_value());
    CHECK(nobody.error().field == "patron_id");
    auto analyst = f.desk.list_visits(f.analyst, {}, {}, {}, 10);
    REQUIRE_FALSE(analyst.has_value());
    CHECK(analyst.error().code == ErrorCode::forbidden);
  });
}

TEST_CASE(
    "service: alert rules — repeat contacts, a second complaint, SLA warnings, heavy readers") {
  testing::each_backend([](const std::string& backend) {
    Desk_ f(backend);
    auto open_about = [&](const char* kind, const char* subject) {
      return must(f.desk.open(f.agent, {{"kind", kind},
                                        {"channel", "phone"},
                                        {"subject", subject},
                                        {"body", "来电"},
                                        {"patron_id", f.patron_id}}));
    };
    auto alerts = [&](const Actor& a, const char* kind) {
      return must(
          f.desk.list_alerts(a, std::string("unresolved"), std::string(kind), {}, {}, 50))["items"];
    };
    // The same subject three times within seven days, written three ways.
    open_about("consultation", "退休档案 查询");
    open_about("consultation", "退休檔案查詢");
    CHECK(alerts(f.agent, "repeat_contact").empty());
    json third = open_about("consultation", "退休档案查询。");
    REQUIRE(alerts(f.agent, "repeat_contact").size() == 1);
    CHECK(alerts(f.agent, "repeat_contact")[0]["ticket_id"] == third["id"]);
    open_about("consultation",
               "退休档案查询");  // still one unresolved alert per patron and subject
    CHECK(alerts(f.agent, "repeat_contact").size() == 1);

    // A second complaint marks the patron sensitive; every agent sees it on their tickets.
    json c1 = open_about("complaint", "等候时间过长");
    CHECK(c1["patron_sensitive"] == false);
    json c2 = open_about("complaint", "复印件模糊");
    CHECK(c2["patron_sensitive"] == true);
    CHECK(must(f.desk.get(f.agent2, c1["id"]))["patron_sensitive"] == true);
    json summary = must(f.desk.patron_summary(f.agent, f.patron_id));
    CHECK(summary["sensitive"] == true);
    CHECK(summary["active_complaints"] == 2);
    REQUIRE(alerts(f.agent, "repeat_complaint").size() == 1);

    // Workflow: assign, acknowledge, resolve — each audited; a resolved alert is final.
    std::int64_t aid = alerts(f.agent, "repeat_complaint")[0]["id"];
    CHECK(must(f.desk.act_on_alert(f.manager, aid, "assign",
                                   {{"assignee_id", f.agent2.user_id}}))["status"] == "assigned");
    CHECK(must(f.desk.act_on_alert(f.agent2, aid, "acknowledge", json::object()))["status"] ==
          "acknowledged");
    auto no_text = f.desk.act_on_alert(f.agent2, aid, "resolve", json::object());
    REQUIRE_FALSE(no_text.has_value());
    CHECK(no_text.error().field == "resolution");
    must(f.desk.act_on_alert(f.agent2, aid, "resolve", {{"resolution", "主任回访，读者接受道歉"}}));
    auto again = f.desk.act_on_alert(f.agent2, aid, "acknowledge", json::object());
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == ErrorCode::conflict);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE entity_type = 'alert' AND entity_id = ?",
                  {std::to_string(aid)}) == 4);  // raise, assign, acknowledge, resolve

    // About to breach: within 60 working minutes of the resolution deadline.
    must(f.desk.put_policy(f.manager, "suggestion", "normal",
                           {{"first_response_minutes", 30}, {"resolution_minutes", 120}}));
    json s = must(f.desk.open(
        f.agent,
        {{"kind", "suggestion"}, {"channel", "counter"}, {"subject", "增加座位"}, {"body", "b"}}));
    must(f.desk.sweep());
    CHECK(alerts(f.agent, "sla_warning").empty());
    f.clock.set("2026-11-23T10:01:00+08:00");  // 59 working minutes left
    must(f.desk.sweep());
    REQUIRE(alerts(f.agent, "sla_warning").size() == 1);
    CHECK(alerts(f.agent, "sla_warning")[0]["ticket_id"] == s["id"]);
    must(f.desk.sweep());
    CHECK(alerts(f.agent, "sla_warning").size() == 1);

    // One staff member reading personal data unusually often; only managers see it.
    must(f.desk.put_alert_rule(f.manager, "privacy_reads",
                               {{"params", {{"reads", 5}, {"minutes", 60}}}}));
    auto bad_rule = f.desk.put_alert_rule(f.manager, "privacy_reads", {{"params", {{"reads", 0}}}});
    REQUIRE_FALSE(bad_rule.has_value());
    CHECK(bad_rule.error().field == "params.reads");
    for (int i = 0; i < 6; ++i) must(f.desk.get(f.agent2, c1["id"]));
    f.reads.flush();
    must(f.desk.sweep());
    CHECK(alerts(f.agent, "privacy_reads").empty());
    // The agent's own alert lists above are reads too (the patrons' names in them), so only
    // agent2's alert is looked at.
    json privacy = json::array();
    for (auto& a : alerts(f.manager, "privacy_reads"))
      if (a["subject_user_id"] == f.agent2.user_id) privacy.push_back(a);
    REQUIRE(privacy.size() == 1);
    CHECK_FALSE(
        f.desk.act_on_alert(f.agent, privacy[0]["id"], "acknowledge", json::object()).has_value());
  });
}

}  // namespace dangan::service
