#include "service/quality.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "auth/auth.h"
#include "core/testing.h"
#include "patrons/patrons.h"
#include "store/test_databases.h"

namespace dangan::service {

using json = nlohmann::json;

namespace {

using testing::ManualClock;
using testing::must;

TimePoint at(const char* iso) { return *parse_time(iso); }

template <typename T>
Error refused(Result<T> r) {
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

struct Fixture {
  testing::TestDatabase tdb;
  audit::ReadRecorder reads;
  ManualClock clock{at("2026-11-23T09:00:00+08:00")};  // a Monday
  Desk desk;
  Quality quality;
  Actor agent, agent2, manager, analyst, admin;
  std::int64_t patron_id = 0, unit_id = 0;

  explicit Fixture(const std::string& backend)
      : tdb(backend),
        reads(tdb.db()),
        desk(tdb.db(), reads, "Asia/Shanghai", clock),
        quality(tdb.db(), reads, desk, clock) {
    agent = user("agent1", Role::agent);
    agent2 = user("agent2", Role::agent);
    manager = user("manager1", Role::manager);
    analyst = user("analyst1", Role::analyst);
    admin = user("admin1", Role::administrator);
    patrons::Service registry(tdb.db(), reads);
    patron_id = must(registry.create(manager, {{"type", "person"}, {"name", "李四"}})).patron["id"];
    auto tx = must(tdb.db().begin(store::TxMode::write));
    unit_id = must(tx->one("INSERT INTO units (code, name, created_at) VALUES ('reading', "
                           "'利用服务部', '2026-01-01T00:00:00Z') RETURNING id",
                           {}, "unit"))
                  .i64(0);
    REQUIRE(tx->commit());
  }

  Actor user(const std::string& name, Role role) {
    auto tx = must(tdb.db().begin(store::TxMode::write));
    auth::NewUser u;
    u.username = name;
    u.display_name = name + " display";
    u.password = "Correct-horse-battery-9";
    u.role = role;
    auto created = must(auth::create_user(*tx, u));
    REQUIRE(tx->commit());
    Actor a;
    a.user_id = created.id;
    a.username = name;
    a.role = role;
    return a;
  }

  std::int64_t cause(const std::string& code) {
    json all = must(quality.list_causes(agent));
    for (auto& c : all["items"])
      if (c["code"] == code) return c["id"];
    FAIL("no cause code ", code);
    return 0;
  }

  std::int64_t ticket(const std::string& kind, const std::string& subject) {
    json t = must(desk.open(agent, {{"kind", kind},
                                    {"channel", "counter"},
                                    {"subject", subject},
                                    {"body", subject},
                                    {"patron_id", patron_id}}));
    return t["id"];
  }

  std::int64_t count(const std::string& sql, const store::Params& p = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::read));
    return must(tx->one(sql, p, "count")).i64(0);
  }
};

}  // namespace

TEST_CASE("service: causes group tickets into a problem whose actions fall overdue") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    std::int64_t steps = f.cause("process.steps"), process = f.cause("process"),
                 outage = f.cause("system.outage");
    json causes = must(f.quality.list_causes(f.agent));
    bool found = false;
    for (auto& c : causes["items"])
      if (c["code"] == "process.steps") found = c["path"] == "流程 / 手续繁琐";
    CHECK(found);

    // A complaint's recovery picks the cause; another ticket gets one directly.
    std::int64_t c1 = f.ticket("complaint", "复印手续太繁琐");
    must(f.desk.offer_recovery(
        f.agent, c1, {{"cause", "需三处签字"}, {"remedy", "当场办理"}, {"cause_id", steps}}));
    CHECK(must(f.quality.ticket_cause(f.agent, c1))["cause"]["id"] == steps);
    std::int64_t c2 = f.ticket("consultation", "查档要跑三个窗口");
    must(f.quality.set_ticket_cause(f.agent2, c2, {{"cause_id", steps}}));
    std::int64_t c3 = f.ticket("complaint", "系统打不开");
    must(f.quality.set_ticket_cause(f.agent, c3, {{"cause_id", outage}}));
    // The timeline says so; the audit log too.
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE kind = 'ticket.cause_set' AND patron_id = ?",
                  {f.patron_id}) == 3);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'ticket.cause'") == 3);

    // Tickets of "流程" include those of its finer codes, not the system outage.
    json grouped = must(f.quality.cause_tickets(f.agent, process, false, {}, 50));
    REQUIRE(grouped["items"].size() == 2);
    CHECK(grouped["items"][0]["id"] == c2);
    CHECK(grouped["items"][1]["cause"] == "流程 / 手续繁琐");

    // An agent may not open a problem; a manager does, gathering both tickets.
    CHECK(refused(f.quality.create_problem(f.agent, {{"title", "x"}, {"cause_id", process}})).code ==
          ErrorCode::forbidden);
    json p = must(f.quality.create_problem(
        f.manager, {{"title", "办事手续繁琐"}, {"cause_id", process}, {"ticket_ids", {c1, c2}}}));
    std::int64_t pid = p["id"];
    CHECK(p["status"] == "open");
    CHECK(p["tickets"].size() == 2);
    CHECK(p["ticket_count"] == 2);
    // A ticket of another cause does not belong, nor can a linked ticket change cause away.
    CHECK(refused(f.quality.link_ticket(f.manager, pid, {{"ticket_id", c3}})).field == "ticket_id");
    CHECK(refused(f.quality.set_ticket_cause(f.agent, c1, {{"cause_id", outage}})).field ==
          "cause_id");
    // A ticket without a cause takes the problem's.
    std::int64_t c4 = f.ticket("suggestion", "建议简化流程");
    CHECK(must(f.quality.link_ticket(f.manager, pid, {{"ticket_id", c4}}))["ticket_count"] == 3);
    CHECK(must(f.quality.ticket_cause(f.agent, c4))["cause"]["id"] == process);
    CHECK(must(f.quality.cause_tickets(f.agent, process, true, {}, 50))["items"].empty());

    // An improvement action for a department, with an owner and a due date.
    auto no_unit = refused(f.quality.add_action(
        f.manager, pid, {{"title", "x"}, {"owner_id", f.agent.user_id}, {"due_on", "2026-11-27"}}));
    CHECK(no_unit.field == "unit_id");
    json a = must(f.quality.add_action(f.manager, pid,
                                       {{"title", "合并签字环节"},
                                        {"unit_id", f.unit_id},
                                        {"owner_id", f.agent.user_id},
                                        {"due_on", "2026-11-27"}}));
    CHECK(a["overdue"] == false);
    CHECK(a["unit_name"] == "利用服务部");
    std::int64_t aid = a["id"];
    // The Friday it is due it is not overdue; the Saturday after (local time) it is.
    f.clock.set("2026-11-27T23:59:00+08:00");
    CHECK(must(f.quality.get_problem(f.agent, pid))["actions"][0]["overdue"] == false);
    f.clock.set("2026-11-28T00:01:00+08:00");
    CHECK(must(f.quality.get_problem(f.agent, pid))["actions"][0]["overdue"] == true);
    ActionQuery overdue;
    overdue.overdue = true;
    CHECK(must(f.quality.list_actions(f.manager, overdue))["items"].size() == 1);
    ProblemQuery active;
    active.status = "active";
    CHECK(must(f.quality.list_problems(f.agent, active))["items"][0]["overdue_actions"] == 1);

    // The owner reports progress; another agent may not; done needs a result.
    CHECK(refused(f.quality.update_action(f.agent2, aid, {{"status", "in_progress"}})).code ==
          ErrorCode::forbidden);
    CHECK(refused(f.quality.update_action(f.agent, aid, {{"due_on", "2026-12-30"}})).code ==
          ErrorCode::forbidden);
    CHECK(refused(f.quality.update_action(f.agent, aid, {{"status", "done"}})).field == "result");
    a = must(f.quality.update_action(f.agent, aid, {{"status", "done"}, {"result", "签字改为一处"}}));
    CHECK(a["overdue"] == false);
    CHECK(a["done_at"].is_string());
    CHECK(must(f.quality.list_actions(f.manager, overdue))["items"].empty());

    // Resolving the problem needs its root cause.
    CHECK(refused(f.quality.update_problem(f.manager, pid, {{"status", "resolved"}})).field ==
          "root_cause");
    p = must(f.quality.update_problem(
        f.manager, pid, {{"status", "resolved"}, {"root_cause", "审批环节重复设置"}}));
    CHECK(p["resolved_at"].is_string());
  });
}

TEST_CASE("service: cause trends count per week and mark a rising cause") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    std::int64_t outage = f.cause("system.outage"), attitude = f.cause("staff.attitude");
    // Four weeks: the outage cause once a week, then four times in the last week;
    // attitude twice in every week.
    const char* mondays[] = {"2026-11-02T10:00:00+08:00", "2026-11-09T10:00:00+08:00",
                             "2026-11-16T10:00:00+08:00", "2026-11-23T10:00:00+08:00"};
    for (int w = 0; w < 4; ++w) {
      f.clock.set(mondays[w]);
      for (int i = 0; i < (w == 3 ? 4 : 1); ++i)
        must(f.quality.set_ticket_cause(f.agent, f.ticket("complaint", "系统故障"),
                                        {{"cause_id", outage}}));
      for (int i = 0; i < 2; ++i)
        must(f.quality.set_ticket_cause(f.agent, f.ticket("complaint", "态度"),
                                        {{"cause_id", attitude}}));
    }
    // Sunday 23:30 local is still the week of 11-16 (UTC it is already Sunday 15:30).
    f.clock.set("2026-11-22T23:30:00+08:00");
    must(f.quality.set_ticket_cause(f.agent, f.ticket("complaint", "态度"),
                                    {{"cause_id", attitude}}));

    TrendQuery q;
    q.from = "2026-11-02";
    q.to = "2026-11-29";
    CHECK(refused(f.quality.cause_trends(f.agent, q)).code == ErrorCode::forbidden);
    json r = must(f.quality.cause_trends(f.analyst, q));
    CHECK(r["buckets"] == json::array({"2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"}));
    REQUIRE(r["items"].size() == 2);
    CHECK(r["items"][0]["code"] == "system.outage");  // rising first
    CHECK(r["items"][0]["counts"] == json::array({1, 1, 1, 4}));
    CHECK(r["items"][0]["rising"] == true);
    CHECK(r["items"][1]["counts"] == json::array({2, 2, 3, 2}));
    CHECK(r["items"][1]["rising"] == false);

    // Rolled up to the top level and by month.
    q.top = true;
    q.period = "month";
    r = must(f.quality.cause_trends(f.manager, q));
    CHECK(r["buckets"] == json::array({"2026-11-01"}));
    REQUIRE(r["items"].size() == 2);
    CHECK(r["items"][0]["code"] == "staff");
    CHECK(r["items"][0]["total"] == 9);
    CHECK(r["items"][1]["name"] == "系统");

    q.period = "day";
    CHECK(refused(f.quality.cause_trends(f.manager, q)).field == "period");
  });
}

TEST_CASE("service: cause codes are configured by service_config and retired, not deleted") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    std::int64_t holdings = f.cause("holdings");
    CHECK(refused(f.quality.create_cause(f.agent, {{"code", "holdings.x"}, {"name", "x"}})).code ==
          ErrorCode::forbidden);
    CHECK(refused(f.quality.create_cause(f.admin, {{"code", "Bad Code"}, {"name", "x"}})).field ==
          "code");
    json c = must(f.quality.create_cause(
        f.admin, {{"code", "holdings.misfiled"}, {"name", "错架"}, {"parent_id", holdings}}));
    CHECK(c["path"] == "馆藏 / 错架");
    CHECK(refused(f.quality.create_cause(f.admin, {{"code", "holdings.misfiled"}, {"name", "y"}}))
              .code == ErrorCode::conflict);
    must(f.quality.update_cause(f.manager, c["id"], {{"active", false}}));
    std::int64_t t = f.ticket("complaint", "找不到档案");
    CHECK(refused(f.quality.set_ticket_cause(f.agent, t, {{"cause_id", c["id"]}})).field ==
          "cause_id");
  });
}

namespace {

// A second of 8 kHz 8-bit mono silence as a WAV file.
std::string wav() {
  std::string b(44 + 8000, static_cast<char>(0x80));
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  auto put16 = [&](std::size_t at, std::uint16_t v) {
    b[at] = static_cast<char>(v & 0xff);
    b[at + 1] = static_cast<char>(v >> 8);
  };
  b.replace(0, 4, "RIFF");
  put32(4, 36 + 8000);
  b.replace(8, 8, "WAVEfmt ");
  put32(16, 16);
  put16(20, 1);
  put16(22, 1);
  put32(24, 8000);
  put32(28, 8000);
  put16(32, 1);
  put16(34, 8);
  b.replace(36, 4, "data");
  put32(40, 8000);
  return b;
}

std::int64_t closed_ticket(Fixture& f, const Actor& by, const std::string& subject) {
  json t = must(f.desk.open(by, {{"kind", "consultation"},
                                 {"channel", "counter"},
                                 {"subject", subject},
                                 {"body", subject},
                                 {"patron_id", f.patron_id}}));
  std::int64_t id = t["id"];
  must(f.desk.act(by, id, "resolve", {{"resolution", "已答复"}}));
  must(f.desk.act(by, id, "close", json::object()));
  return id;
}

}  // namespace

TEST_CASE("service: closed tickets are sampled once for QA and scored by someone else") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    // Rate 1: every closed ticket is drawn; each is considered once.
    must(f.quality.put_qa_settings(f.manager, {{"sample_rate", 1}}));
    std::int64_t t1 = closed_ticket(f, f.agent, "查询学籍档案");
    std::int64_t t2 = closed_ticket(f, f.agent2, "查询婚姻档案");
    CHECK(must(f.quality.draw_samples()) == 2);
    CHECK(must(f.quality.draw_samples()) == 0);
    // Rate 0: nothing more is drawn, and a ticket considered before is not drawn again.
    must(f.quality.put_qa_settings(f.manager, {{"sample_rate", 0}}));
    closed_ticket(f, f.agent, "查询工龄");
    CHECK(must(f.quality.draw_samples()) == 0);
    CHECK(f.count("SELECT COUNT(*) FROM qa_draws") == 3);
    ReviewQuery pending;
    pending.status = "pending";
    json reviews = must(f.quality.list_reviews(f.manager, pending));
    REQUIRE(reviews["items"].size() == 2);
    CHECK(reviews["items"][0]["ticket_id"] == t2);
    CHECK(reviews["items"][0]["agent_id"] == f.agent2.user_id);
    CHECK(reviews["items"][0]["reason"] == "sample");
    std::int64_t r1 = reviews["items"][1]["id"];
    CHECK(reviews["items"][1]["ticket_id"] == t1);
    // A hand-picked review of a ticket already drawn is a conflict.
    CHECK(refused(f.quality.create_review(f.manager, {{"ticket_id", t1}})).code ==
          ErrorCode::conflict);

    json review = must(f.quality.get_review(f.manager, r1));
    json crit = review["criteria"];
    REQUIRE(crit.size() == 3);
    json scores = json::array({{{"criterion_id", crit[0]["id"]}, {"score", 5}},
                               {{"criterion_id", crit[1]["id"]}, {"score", 2}},
                               {{"criterion_id", crit[2]["id"]}, {"score", 5}}});
    // Agents do not score; the reviewed agent never sees a pending review.
    CHECK(refused(f.quality.score_review(f.agent2, r1, {{"scores", scores}})).code ==
          ErrorCode::forbidden);
    CHECK(refused(f.quality.get_review(f.agent, r1)).code == ErrorCode::forbidden);
    // A manager who worked the ticket may not score it.
    std::int64_t own = closed_ticket(f, f.manager, "经理接待");
    json mine = must(f.quality.create_review(f.manager, {{"ticket_id", own}}));
    CHECK(mine["agent_id"] == f.manager.user_id);
    CHECK(refused(f.quality.score_review(f.manager, mine["id"], {{"scores", scores}})).code ==
          ErrorCode::forbidden);

    f.clock.set("2026-11-24T10:00:00+08:00");
    json scored = must(f.quality.score_review(f.manager, r1, {{"scores", scores}, {"comments", "地点答错"}}));
    CHECK(scored["score"] == 76.0);
    CHECK(scored["reviewer_id"] == f.manager.user_id);
    CHECK(must(f.quality.get_review(f.agent, r1))["scores"].size() == 3);
    // Changing the scorecard afterwards leaves the scored review as it was.
    must(f.quality.update_criterion(f.admin, crit[1]["id"], {{"weight", 100}, {"name", "准确无误"}}));
    json again = must(f.quality.get_review(f.agent, r1));
    CHECK(again["score"] == 76.0);
    CHECK(again["scores"][1]["name"] == "准确");

    // Scores per agent: the agent sees their own only.
    TrendQuery month;
    month.period = "month";
    json s = must(f.quality.agent_scores(f.agent, month, std::nullopt));
    REQUIRE(s["items"].size() == 1);
    CHECK(s["items"][0]["agent_id"] == f.agent.user_id);
    CHECK(s["items"][0]["scores"].back() == 76.0);
    CHECK(refused(f.quality.agent_scores(f.agent, month, f.agent2.user_id)).code ==
          ErrorCode::forbidden);
    CHECK(must(f.quality.agent_scores(f.analyst, month, std::nullopt))["items"].size() == 1);

    // Coaching: to the agent, who alone sees and acknowledges it.
    json note = must(f.quality.add_coaching(
        f.manager, {{"agent_id", f.agent.user_id}, {"review_id", r1}, {"body", "学籍在一楼"}}));
    CHECK(refused(f.quality.add_coaching(
                      f.manager, {{"agent_id", f.agent2.user_id}, {"review_id", r1}, {"body", "x"}}))
              .field == "review_id");
    CHECK(must(f.quality.list_coaching(f.agent2, std::nullopt, {}, 10))["items"].empty());
    CHECK(refused(f.quality.acknowledge_coaching(f.agent2, note["id"])).code ==
          ErrorCode::forbidden);
    CHECK(must(f.quality.acknowledge_coaching(f.agent, note["id"]))["acknowledged_at"].is_string());
    CHECK(refused(f.quality.acknowledge_coaching(f.agent, note["id"])).code == ErrorCode::conflict);

    // Training records.
    must(f.quality.add_training(f.manager, {{"user_id", f.agent.user_id},
                                            {"course", "档案利用服务规范"},
                                            {"taken_on", "2026-11-02"},
                                            {"result", "passed"},
                                            {"score", 88}}));
    CHECK(refused(f.quality.add_training(f.manager, {{"user_id", f.agent.user_id},
                                                     {"course", "x"},
                                                     {"taken_on", "2026-11-02"},
                                                     {"result", "excellent"}}))
              .field == "result");
    CHECK(must(f.quality.list_training(f.agent, std::nullopt, {}, 10))["items"].size() == 1);
    CHECK(must(f.quality.list_training(f.agent2, std::nullopt, {}, 10))["items"].empty());
    CHECK(refused(f.quality.list_training(f.agent2, f.agent.user_id, {}, 10)).code ==
          ErrorCode::forbidden);
  });
}

TEST_CASE("service: recordings are audio, stored encrypted and every playing is audited") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    auto dir = std::filesystem::temp_directory_path() / ("dangan-rec-" + testing::unique_suffix());
    catalogue::BlobStoreConfig cfg;
    cfg.dir = dir / "recordings";
    cfg.key_file = dir / "recordings.key";
    f.quality.use_recording_store(cfg);
    std::int64_t t = f.ticket("consultation", "电话咨询");
    std::string audio = wav();
    json r = must(f.quality.add_recording(f.agent, t, "../../call.wav", audio));
    CHECK(r["filename"] == "call.wav");
    CHECK(std::string(r["content_type"]).starts_with("audio/"));
    CHECK(refused(f.quality.add_recording(f.agent, t, "a.txt", "hello there")).field == "file");
    CHECK(refused(f.quality.add_recording(f.analyst, t, "a.wav", audio)).code ==
          ErrorCode::forbidden);
    // On disk it is not the plaintext.
    bool plain = false;
    for (auto& e : std::filesystem::recursive_directory_iterator(cfg.dir))
      if (e.is_regular_file() && e.file_size() == audio.size()) plain = true;
    CHECK_FALSE(plain);
    auto played = must(f.quality.play_recording(f.manager, r["id"]));
    CHECK(played.body == audio);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'recording.play' AND patron_id = ?",
                  {f.patron_id}) == 1);
    must(f.quality.put_transcript(f.agent, r["id"], {{"transcript", "您好，请问查询哪一年？"}}));
    json list = must(f.quality.list_recordings(f.agent2, t));
    REQUIRE(list["items"].size() == 1);
    CHECK(list["items"][0]["transcript"] == "您好，请问查询哪一年？");
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  });
}

TEST_CASE("service: a case replays its steps across channels with working waits") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    // Monday 11:30 by phone; the reply at 14:00 waited 30 + 30 working minutes (lunch).
    f.clock.set("2026-11-23T11:30:00+08:00");
    json phone = must(f.desk.open(f.agent, {{"kind", "request"},
                                            {"channel", "phone"},
                                            {"subject", "复印招工档案"},
                                            {"body", "想复印父亲的招工登记表"},
                                            {"patron_id", f.patron_id}}));
    f.clock.set("2026-11-23T14:00:00+08:00");
    must(f.desk.post(f.agent, phone["id"], {{"kind", "reply"}, {"body", "请带身份证到馆"}}));
    json kase = must(f.quality.create_case(
        f.agent, {{"title", "招工档案复印"}, {"links", {{{"kind", "ticket"}, {"id", phone["id"]}}}}}));
    CHECK(kase["patron_id"] == f.patron_id);
    std::int64_t cid = kase["id"];
    // Tuesday at the counter, then the stacks fetch the file.
    f.clock.set("2026-11-24T09:00:00+08:00");
    json counter = must(f.desk.open(f.agent2, {{"kind", "request"},
                                               {"channel", "counter"},
                                               {"subject", "到馆复印"},
                                               {"body", "已到馆"},
                                               {"patron_id", f.patron_id}}));
    must(f.quality.link_case(f.agent2, cid, {{"kind", "ticket"}, {"id", counter["id"]}}));
    f.clock.set("2026-11-24T10:00:00+08:00");
    must(f.quality.add_case_step(f.agent2, cid, {{"what", "库房调档"}, {"unit_id", f.unit_id}}));
    // The archive calls back at 10:30 (an interaction, contacts.h): a contact on the phone.
    {
      auto tx = must(f.tdb.db().begin(store::TxMode::write));
      std::int64_t iid = must(tx->one("INSERT INTO interactions (channel, direction, patron_id, "
                                      "subject, body, recorded_by, occurred_at, created_at) "
                                      "VALUES ('phone','out',?,'','已复印，可来取',?,?,?) RETURNING id",
                                      {f.patron_id, f.agent2.user_id,
                                       format_time(at("2026-11-24T10:30:00+08:00")),
                                       format_time(at("2026-11-24T10:30:00+08:00"))},
                                      "interaction"))
                             .i64(0);
      REQUIRE(tx->commit());
      must(f.quality.link_case(f.agent2, cid, {{"kind", "interaction"}, {"id", iid}}));
    }
    // A confidential report linked by a manager stays out of an agent's replay.
    json report = must(f.desk.open(f.manager, {{"kind", "report"},
                                               {"channel", "letter"},
                                               {"subject", "举报"},
                                               {"body", "x"},
                                               {"patron_id", f.patron_id}}));
    must(f.quality.link_case(f.manager, cid, {{"kind", "ticket"}, {"id", report["id"]}}));
    CHECK(refused(f.quality.link_case(f.agent, cid, {{"kind", "email"}, {"id", 1}})).field ==
          "kind");
    CHECK(refused(f.quality.link_case(f.agent, cid, {{"kind", "ticket"}, {"id", 999999}})).field ==
          "id");
    f.clock.set("2026-11-24T11:00:00+08:00");
    must(f.quality.update_case(f.agent, cid, {{"status", "resolved"}}));

    json r = must(f.quality.replay(f.agent, cid));
    std::vector<std::string> channels;
    for (auto& s : r["steps"]) channels.push_back(s["channel"]);
    CHECK(channels == std::vector<std::string>{"phone", "phone", "counter", "back_office", "phone"});
    CHECK(r["steps"][4]["what"] == "已复印，可来取");
    CHECK(r["steps"][4]["wait_working_seconds"] == 1800);
    CHECK(r["steps"][0]["who"] == "patron");
    CHECK(r["steps"][0]["wait_seconds"].is_null());
    CHECK(r["steps"][1]["who"] == "agent1 display");
    CHECK(r["steps"][1]["wait_seconds"] == 9000);
    CHECK(r["steps"][1]["wait_working_seconds"] == 3600);
    // 14:00 Monday to 09:00 Tuesday: 3.5 + 0.5 working hours.
    CHECK(r["steps"][2]["wait_working_seconds"] == 4 * 3600);
    CHECK(r["steps"][3]["what"] == "库房调档 (利用服务部)");
    CHECK(r["summary"]["contacts"] == 4);
    CHECK(r["summary"]["hidden_items"] == 1);
    // From Monday 11:30 to resolution Tuesday 11:00: 0.5 + 4 + 2.5 working hours.
    CHECK(r["summary"]["elapsed_working_seconds"] == 7 * 3600);
    CHECK(must(f.quality.replay(f.manager, cid))["summary"]["hidden_items"] == 0);

    // Per channel: the phone ticket had 2 contacts; per case 3 contacts over 2 channels.
    TrendQuery range;
    range.from = "2026-11-23";
    range.to = "2026-11-24";
    json tp = must(f.quality.touchpoints(f.analyst, range));
    json phone_row;
    for (auto& c : tp["channels"])
      if (c["channel"] == "phone") phone_row = c;
    CHECK(phone_row["tickets"] == 1);
    CHECK(phone_row["contacts_per_ticket"] == 2.0);
    CHECK(tp["cases"]["cases"] == 1);
    CHECK(tp["cases"]["contacts_per_case"] == 5.0);  // the report counts as the system sees
    CHECK(tp["cases"]["working_hours_to_resolution"] == 7.0);
    CHECK(refused(f.quality.touchpoints(f.agent, range)).code == ErrorCode::forbidden);
  });
}

}  // namespace dangan::service
