// chat_test.cpp — live chat, routing (D28) and service tiers (D29), on both backends.
#include "service/chat.h"

#include <doctest/doctest.h>

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

TimePoint at(const char* iso) { return *parse_time(iso); }

struct ChatDesk {
  testing::TestDatabase tdb;
  audit::ReadRecorder reads;
  ManualClock clock{at("2026-11-23T09:00:00+08:00")};  // a Monday, in working hours
  Desk desk;
  Chats chats;
  Routing routing;
  Actor agent1, agent2, manager, patron, other;
  std::int64_t patron_id = 0, other_id = 0;

  explicit ChatDesk(const std::string& backend)
      : tdb(backend),
        reads(tdb.db()),
        desk(tdb.db(), reads, "Asia/Shanghai", clock),
        chats(tdb.db(), desk, reads, clock),
        routing(tdb.db(), clock) {
    agent1 = user("agent1", Role::agent);
    agent2 = user("agent2", Role::agent);
    manager = user("manager1", Role::manager);
    patrons::Service registry(tdb.db(), reads);
    patron_id = must(registry.create(manager, {{"type", "person"}, {"name", "李四"}})).patron["id"];
    other_id = must(registry.create(manager, {{"type", "person"}, {"name", "王五"}})).patron["id"];
    patron = user("lisi", Role::patron, patron_id);
    other = user("wangwu", Role::patron, other_id);
  }

  Actor user(const std::string& name, Role role, std::optional<std::int64_t> patron = {}) {
    return testing::make_user(tdb.db(), name, role, patron);
  }

  std::int64_t team(const std::string& name, std::initializer_list<Actor> members) {
    json ids = json::array();
    for (auto& m : members) ids.push_back(m.user_id);
    return must(desk.create_team(manager, {{"name", name}, {"member_ids", ids}}))["id"];
  }
  void available(const Actor& a, const char* status = "available") {
    must(chats.set_availability(a, {{"status", status}}));
  }
  json staff_ticket(const Actor& by, json body) {
    return must(desk.open(by, body));
  }
};

}  // namespace

TEST_CASE("service: a chat — started, routed, accepted once, watched live, over when resolved") {
  testing::each_backend([](const std::string& backend) {
    ChatDesk f(backend);
    std::int64_t team = f.team("在线客服", {f.agent1, f.agent2});
    f.available(f.agent1);
    f.available(f.agent2);
    // agent2 is busier: the chat goes to agent1.
    f.staff_ticket(f.manager, {{"kind", "request"},
                               {"channel", "phone"},
                               {"subject", "复印"},
                               {"body", "x"},
                               {"assignee_id", f.agent2.user_id}});
    must(f.routing.create_rule(f.manager, {{"name", "在线咨询"}, {"channel", "chat"}, {"team_id", team}}));

    json t = must(f.chats.start(f.patron, {{"body", "请问怎么查询退休档案？"}}));
    std::int64_t id = t["id"];
    CHECK(t["channel"] == "chat");
    CHECK(t["kind"] == "consultation");
    CHECK(t["status"] == "new");
    json staff = must(f.desk.get(f.manager, id));
    CHECK(staff["team_id"] == team);
    CHECK(staff["assignee_id"] == f.agent1.user_id);
    CHECK(staff["routed_by"].get<std::string>().find("agent1 display") != std::string::npos);
    CHECK(staff["messages"][0]["channel"] == "chat");

    // Waiting for agent1 (and only agent1: it was given to them).
    json q1 = must(f.chats.queue(f.agent1));
    REQUIRE(q1["waiting"].size() == 1);
    CHECK(q1["waiting"][0]["id"] == id);
    CHECK(q1["waiting"][0]["last_patron_line"] == "请问怎么查询退休档案？");
    CHECK(must(f.chats.queue(f.agent2))["waiting"].empty());

    auto patron_watch = must(f.chats.watch(f.patron, id, 0));
    auto staff_watch = must(f.chats.watch(f.agent1, id, 0));
    auto u = must(patron_watch->poll());
    REQUIRE(u.lines.size() == 1);
    CHECK(u.lines[0].message["from"] == "you");
    CHECK(u.state["status"] == "new");
    CHECK(u.state["accepted"] == false);
    must(staff_watch->poll());
    CHECK(must(patron_watch->poll()).lines.empty());  // nothing new, state unchanged
    CHECK(must(patron_watch->poll()).state.is_null());

    auto taken = f.chats.accept(f.agent2, id);
    REQUIRE_FALSE(taken);
    CHECK(taken.error().code == ErrorCode::conflict);
    must(f.chats.accept(f.agent1, id));
    auto again = f.chats.accept(f.agent1, id);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == ErrorCode::conflict);

    u = must(patron_watch->poll());
    CHECK(u.lines.empty());  // the system line "accepted" is not for the patron
    CHECK(u.state["accepted"] == true);
    CHECK(u.state["agent_name"] == "agent1 display");
    auto s = must(staff_watch->poll());
    REQUIRE(s.lines.size() == 1);
    CHECK(s.lines[0].message["kind"] == "system");

    must(f.chats.say(f.agent1, id, {{"body", "您好，请提供身份证号"}}));
    must(f.chats.say(f.agent1, id, {{"kind", "note"}, {"body", "内部：核对身份"}}));
    must(f.chats.say(f.patron, id, {{"body", "好的"}}));
    u = must(patron_watch->poll());
    REQUIRE(u.lines.size() == 2);
    CHECK(u.lines[0].message["from"] == "staff");
    CHECK(u.lines[0].message["body"] == "您好，请提供身份证号");
    CHECK(u.lines[1].message["from"] == "you");
    CHECK(must(staff_watch->poll()).lines.size() == 3);  // staff see the note
    CHECK(must(f.desk.get(f.manager, id))["messages"].back()["channel"] == "chat");

    // Resumed from a message id (Last-Event-ID): only what came after it.
    auto resumed = must(f.chats.watch(f.patron, id, u.lines[0].id));
    CHECK(must(resumed->poll()).lines.size() == 1);

    CHECK(must(f.chats.queue(f.agent1))["mine"].size() == 1);
    must(f.desk.act(f.agent1, id, "resolve", {{"resolution", "已告知查询方式"}}));
    u = must(patron_watch->poll());
    CHECK(u.over);
    CHECK(u.state["status"] == "resolved");
    CHECK(must(f.chats.queue(f.agent1))["mine"].empty());

    // Someone else's chat does not exist for them; staff may not start a chat.
    auto foreign = f.chats.watch(f.other, id, 0);
    REQUIRE_FALSE(foreign);
    CHECK(foreign.error().code == ErrorCode::not_found);
    CHECK(f.chats.start(f.agent1, {{"body", "x"}}).error().code == ErrorCode::forbidden);
    auto bad = f.chats.set_availability(f.agent1, {{"status", "busy"}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().field == "status");
  });
}

TEST_CASE("service: routing by channel, kind, words, language and tier; availability and load") {
  testing::each_backend([](const std::string& backend) {
    ChatDesk f(backend);
    Actor vip_agent = f.user("vipagent", Role::agent);
    Actor english = f.user("english", Role::agent);
    std::int64_t records = f.team("档案查询组", {f.agent1, f.agent2});
    std::int64_t complaints = f.team("投诉组", {f.manager});
    must(f.routing.set_patron_tier(f.manager, f.patron_id, {{"tier", "vip"}}));
    must(f.routing.create_rule(f.manager, {{"name", "VIP 专线"}, {"tier", "vip"}, {"agent_id", vip_agent.user_id}}));
    must(f.routing.create_rule(f.manager, {{"name", "退休档案"}, {"words", "退休 檔案"}, {"team_id", records}}));
    must(f.routing.create_rule(f.manager, {{"name", "English"}, {"language", "en"}, {"agent_id", english.user_id}}));
    must(f.routing.create_rule(f.manager, {{"name", "电话投诉"},
                                           {"channel", "phone"},
                                           {"kind", "complaint"},
                                           {"team_id", complaints}}));
    auto open = [&](json body) {
      json t = f.staff_ticket(f.agent1, body);
      return must(f.desk.get(f.manager, t["id"]));
    };

    // Tier: the VIP agent is offline, so the VIP rule does not match; the words rule does.
    json t = open({{"kind", "consultation"}, {"channel", "counter"}, {"subject", "查詢退休檔案"},
                   {"body", "本人退休手续"}, {"patron_id", f.patron_id}});
    CHECK(t["team_id"] == records);
    CHECK(t["assignee_id"].is_null());  // no member available: the team's queue
    CHECK(t["routed_by"].get<std::string>().find("no member available") != std::string::npos);
    f.available(vip_agent);
    t = open({{"kind", "consultation"}, {"channel", "counter"}, {"subject", "查询"},
              {"body", "x"}, {"patron_id", f.patron_id}});
    CHECK(t["assignee_id"] == vip_agent.user_id);
    CHECK(t["routed_by"].get<std::string>().find("tier=vip") != std::string::npos);

    // Words, folded (traditional in the rule, simplified in the ticket); load balance.
    f.available(f.agent1);
    f.available(f.agent2);
    f.staff_ticket(f.manager, {{"kind", "request"}, {"channel", "letter"}, {"subject", "a"},
                               {"body", "a"}, {"team_id", records}, {"assignee_id", f.agent1.user_id}});
    t = open({{"kind", "request"}, {"channel", "letter"}, {"subject", "退休档案复印"}, {"body", "请寄送"}});
    CHECK(t["team_id"] == records);
    CHECK(t["assignee_id"] == f.agent2.user_id);  // agent1 has one active ticket, agent2 none
    t = open({{"kind", "request"}, {"channel", "letter"}, {"subject", "退休档案"}, {"body", "又一件"}});
    CHECK(t["assignee_id"] == f.agent1.user_id);  // now both have one: the lower id

    // Language: English text, the English agent available.
    f.available(english);
    t = open({{"kind", "consultation"}, {"channel", "email"}, {"subject", "Opening hours"},
              {"body", "When is the reading room open?"}});
    CHECK(t["assignee_id"] == english.user_id);
    f.available(english, "away");
    t = open({{"kind", "consultation"}, {"channel", "email"}, {"subject", "Opening hours"},
              {"body", "Again?"}});
    CHECK(t["assignee_id"].is_null());
    CHECK(t["routed_by"] == "");

    // Channel and kind together.
    f.available(f.manager);
    t = open({{"kind", "complaint"}, {"channel", "phone"}, {"subject", "态度"}, {"body", "不满"}});
    CHECK(t["team_id"] == complaints);
    CHECK(t["assignee_id"] == f.manager.user_id);
    t = open({{"kind", "complaint"}, {"channel", "letter"}, {"subject", "态度"}, {"body", "不满"}});
    CHECK(t["team_id"].is_null());
    // A ticket opened with a team keeps it.
    t = open({{"kind", "complaint"}, {"channel", "phone"}, {"subject", "态度"}, {"body", "不满"},
              {"team_id", records}});
    CHECK(t["team_id"] == records);
    CHECK(t["routed_by"] == "");

    // Rules are checked and configured by service_config only.
    CHECK(f.routing.create_rule(f.agent1, {{"name", "x"}, {"team_id", records}}).error().code ==
          ErrorCode::forbidden);
    CHECK(f.routing.create_rule(f.manager, {{"name", "x"}}).error().field == "team_id");
    CHECK(f.routing.create_rule(f.manager, {{"name", "x"}, {"tier", "gold"}, {"team_id", records}})
              .error()
              .field == "tier");
    CHECK(must(f.routing.rules(f.agent1))["items"].size() == 4);
  });
}

TEST_CASE("service: a tier scales the SLA, sets the default priority and sends portal notices") {
  testing::each_backend([](const std::string& backend) {
    ChatDesk f(backend);
    must(f.routing.set_patron_tier(f.manager, f.patron_id, {{"tier", "vip"}}));
    CHECK(must(f.routing.patron_tier(f.agent1, f.patron_id))["name"] == "VIP");
    // VIP: 50% of the policy, priority high. consultation/high is 60 and 450 working
    // minutes: 30 and 225 here.
    json t = f.staff_ticket(f.agent1, {{"kind", "consultation"}, {"channel", "email"},
                                       {"subject", "查询"}, {"body", "x"}, {"patron_id", f.patron_id}});
    CHECK(t["priority"] == "high");
    CHECK(t["first_response_due"] == format_time(at("2026-11-23T09:30:00+08:00")));
    CHECK(t["resolution_due"] == format_time(at("2026-11-23T14:15:00+08:00")));
    // A patron without a tier: the policy as it is.
    json plain = f.staff_ticket(f.agent1, {{"kind", "consultation"}, {"channel", "email"},
                                           {"subject", "查询"}, {"body", "x"}, {"patron_id", f.other_id}});
    CHECK(plain["priority"] == "normal");
    CHECK(plain["first_response_due"] == format_time(at("2026-11-23T14:30:00+08:00")));

    must(f.desk.act(f.agent1, t["id"], "resolve", {{"resolution", "已答复"}}));
    must(f.desk.act(f.agent1, plain["id"], "resolve", {{"resolution", "已答复"}}));
    json notices = must(f.routing.notices(f.patron, 10));
    REQUIRE(notices["items"].size() == 1);
    CHECK(notices["unread"] == 1);
    CHECK(notices["items"][0]["text"].get<std::string>().find("已解决") != std::string::npos);
    CHECK(must(f.routing.notices(f.other, 10))["items"].empty());
    must(f.routing.mark_notices_read(f.patron));
    CHECK(must(f.routing.notices(f.patron, 10))["unread"] == 0);

    // Tiers are configurable; a changed factor applies to tickets planned after it.
    must(f.routing.put_tier(f.manager, "vip", {{"name", "VIP"}, {"sla_percent", 200},
                                               {"default_priority", "low"}, {"position", 3}}));
    t = f.staff_ticket(f.agent1, {{"kind", "consultation"}, {"channel", "email"},
                                  {"subject", "再问"}, {"body", "x"}, {"patron_id", f.patron_id}});
    CHECK(t["priority"] == "low");
    // consultation/low at 200%: 900 working minutes, Monday's 420 and Tuesday's 450 and 30.
    CHECK(t["first_response_due"] == format_time(at("2026-11-25T09:00:00+08:00")));
    CHECK(f.routing.put_tier(f.manager, "vip", {{"name", "VIP"}, {"sla_percent", 5}}).error().field ==
          "sla_percent");
    CHECK(f.routing.put_tier(f.agent1, "gold", {{"name", "金"}}).error().code == ErrorCode::forbidden);
    must(f.routing.set_patron_tier(f.manager, f.patron_id, {{"tier", nullptr}}));
    CHECK(must(f.routing.patron_tier(f.agent1, f.patron_id))["tier"].is_null());
  });
}

}  // namespace dangan::service
