#include "service/board.h"

#include <doctest/doctest.h>

#include "auth/auth.h"
#include "auth/testing.h"
#include "patrons/patrons.h"
#include "search/search.h"
#include "service/redact.h"
#include "store/test_databases.h"

namespace dangan::service {

using json = nlohmann::json;

namespace {

class FixedClock final : public Clock {
 public:
  TimePoint now() const override { return *parse_time("2026-11-23T09:00:00+08:00"); }
};

template <typename T>
T must(Result<T> r) {
  if (!r) FAIL(r.error().message, " (field ", r.error().field, ")");
  return std::move(*r);
}
template <typename T>
ErrorCode code_of(const Result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

struct Fixture {
  testing::TestDatabase tdb;
  audit::ReadRecorder reads;
  FixedClock clock;
  Desk desk;
  Board board;
  Actor agent, manager, manager2, archivist, analyst, poster, other;
  std::int64_t patron_id = 0, other_id = 0;

  explicit Fixture(const std::string& backend)
      : tdb(backend),
        reads(tdb.db()),
        desk(tdb.db(), reads, "Asia/Shanghai", clock),
        board(tdb.db(), reads, desk, clock) {
    agent = user("agent1", Role::agent);
    manager = user("manager1", Role::manager);
    manager2 = user("manager2", Role::manager);
    archivist = user("archivist1", Role::archivist);
    analyst = user("analyst1", Role::analyst);
    patrons::Service registry(tdb.db(), reads);
    patron_id = must(registry.create(manager, {{"type", "person"}, {"name", "张三丰"}})).patron["id"];
    other_id = must(registry.create(manager, {{"type", "person"}, {"name", "王五"}})).patron["id"];
    poster = user("zsf", Role::patron, patron_id);
    other = user("ww", Role::patron, other_id);
    board.on_patron_name([this](std::int64_t id) -> std::optional<std::string> {
      if (id == patron_id) return "张三丰";
      if (id == other_id) return "王五";
      return std::nullopt;
    });
  }

  Actor user(const std::string& name, Role role, std::optional<std::int64_t> patron = {}) {
    return testing::make_user(tdb.db(), name, role, patron);
  }

  std::int64_t count(const std::string& sql, const store::Params& p = {}) {
    auto tx = must(tdb.db().begin(store::TxMode::read));
    return must(tx->one(sql, p, "count")).i64(0);
  }

  // A consultation the agent answered and resolved ("{number}" in the resolution becomes
  // the ticket's number).
  json resolved_consultation(const std::string& subject, const std::string& first,
                             std::string resolution) {
    json t = must(desk.open(agent, {{"kind", "consultation"},
                                    {"channel", "phone"},
                                    {"subject", subject},
                                    {"body", first},
                                    {"patron_id", patron_id}}));
    if (auto at = resolution.find("{number}"); at != std::string::npos)
      resolution.replace(at, 8, t["number"].get<std::string>());
    must(desk.act(agent, t["id"], "resolve", {{"resolution", resolution}}));
    return t;
  }

  // A published FAQ entry (proposed by the agent, approved by a manager).
  std::int64_t published(const std::string& q, const std::string& a) {
    json e = must(board.propose_faq(agent, {{"question", q}, {"answer", a}}));
    must(board.decide_faq(manager, e["id"], "approve", json::object()));
    return e["id"];
  }

  std::vector<std::int64_t> faq_ids(const std::string& q) {
    json r = must(board.public_faq(q, 10));
    std::vector<std::int64_t> ids;
    for (auto& i : r["items"]) ids.push_back(i["id"]);
    return ids;
  }
};

bool contains(const std::vector<std::int64_t>& v, std::int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TEST_CASE("service: personal data in free text is masked for the board, removed for the FAQ") {
  CHECK(mask_personal_data("请回电 13812345678，谢谢") == "请回电 138****5678，谢谢");
  CHECK(mask_personal_data("电话 +86 138-1234-5678 或 010-62345678") ==
        "电话 138****5678 或 010****5678");
  CHECK(mask_personal_data("身份证110105199001011234，邮箱 zhang.san@example.cn") ==
        "身份证110105********1234，邮箱 z***@example.cn");
  CHECK(mask_personal_data("证件 11010519900101123X 号") == "证件 110105********123X 号");
  // Full-width digits (a Chinese input method) are digits.
  CHECK(mask_personal_data("手机１３８１２３４５６７８") == "手机138****5678");
  // A year next to a phone number, a reference code and a date are not personal data.
  CHECK(mask_personal_data("2019 13812345678") == "2019 138****5678");
  CHECK(mask_personal_data("档号 QZ01-WS-2019-0001，2019-05-01 形成") ==
        "档号 QZ01-WS-2019-0001，2019-05-01 形成");
  CHECK(mask_personal_data("编号A13812345678") == "编号A13812345678");
  CHECK(mask_personal_data("我是张三丰", {{"张三丰", "张**"}}) == "我是张**");
  CHECK(remove_personal_data("张三丰（13812345678, zsf@qq.com）工单 T2026-000042",
                             {{"T2026-000042", "[工单号]"}, {"张三丰", "[姓名]"}}) ==
        "[姓名]（[电话], [邮箱]）工单 [工单号]");
  CHECK(mask_name("张三丰") == "张**");
  CHECK(mask_name("李四") == "李*");
  CHECK(mask_name("Wu") == "W*");
}

TEST_CASE("service: a board post is public only once published, with personal data masked") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    json p = must(f.board.post(f.poster, {{"title", "查阅档案"},
                                          {"body", "我是张三丰，想查退休档案，电话13812345678"}}));
    std::int64_t id = p["id"];
    CHECK(p["status"] == "pending");
    CHECK(p["poster"] == "张**");
    CHECK(p["body"] == "我是张**，想查退休档案，电话138****5678");
    // Staff cannot post; analysts may not moderate; nothing is public yet.
    CHECK(code_of(f.board.post(f.agent, {{"title", "x"}, {"body", "y"}})) == ErrorCode::forbidden);
    CHECK(must(f.board.public_posts("", std::nullopt, 20))["items"].empty());
    CHECK(code_of(f.board.public_post(id)) == ErrorCode::not_found);
    CHECK(code_of(f.board.publish(f.analyst, id, json::object())) == ErrorCode::forbidden);
    CHECK(code_of(f.board.publish(f.archivist, id, json::object())) == ErrorCode::forbidden);
    // The poster sees it with its state; another patron does not.
    CHECK(must(f.board.my_posts(f.poster, std::nullopt, 20))["items"][0]["status"] == "pending");
    CHECK(must(f.board.my_posts(f.other, std::nullopt, 20))["items"].empty());

    // A moderator's correction is masked again.
    json pub = must(f.board.publish(
        f.agent, id, {{"public_body", "想查退休檔案，请联系 zsf@example.com"}}));
    CHECK(pub["status"] == "published");
    json pub_view = must(f.board.public_post(id));
    CHECK(pub_view["body"] == "想查退休檔案，请联系 z***@example.com");
    CHECK_FALSE(pub_view.contains("original_body"));
    CHECK_FALSE(pub_view.contains("patron_id"));
    CHECK(code_of(f.board.publish(f.agent, id, json::object())) == ErrorCode::conflict);
    // Search folds traditional to simplified: 档案 finds 檔案.
    CHECK(must(f.board.public_posts("退休 档案", std::nullopt, 20))["items"].size() == 1);
    CHECK(must(f.board.public_posts("婚姻", std::nullopt, 20))["items"].empty());

    // Staff answer publicly; the answer is masked too.
    must(f.board.answer(f.manager, id, {{"answer", "请携带身份证到一楼，或拨打13912345678"}}));
    CHECK(must(f.board.public_post(id))["answer"] == "请携带身份证到一楼，或拨打139****5678");

    // A second post is rejected with a reason: never public, the poster sees why.
    json p2 = must(f.board.post(f.poster, {{"title", "广告"}, {"body", "无关内容"}}));
    CHECK(code_of(f.board.reject(f.agent, p2["id"], json::object())) == ErrorCode::invalid);
    must(f.board.reject(f.agent, p2["id"], {{"reason", "与档案服务无关"}}));
    CHECK(code_of(f.board.answer(f.agent, p2["id"], {{"answer", "x"}})) == ErrorCode::conflict);
    auto mine = must(f.board.my_posts(f.poster, std::nullopt, 20))["items"];
    REQUIRE(mine.size() == 2);
    CHECK(mine[0]["status"] == "rejected");
    CHECK(mine[0]["reject_reason"] == "与档案服务无关");
    CHECK(must(f.board.public_posts("", std::nullopt, 20))["items"].size() == 1);

    // Pagination: newest first, the cursor continues.
    for (int i = 0; i < 3; ++i) {
      json q = must(f.board.post(f.other, {{"title", "问题" + std::to_string(i)}, {"body", "内容"}}));
      must(f.board.publish(f.agent, q["id"], json::object()));
    }
    json page1 = must(f.board.public_posts("", std::nullopt, 2));
    CHECK(page1["items"].size() == 2);
    REQUIRE(page1["next_cursor"].is_string());
    json page2 = must(f.board.public_posts("", page1["next_cursor"].get<std::string>(), 2));
    CHECK(page2["items"].size() == 2);
    CHECK(page2["items"][1]["id"] == id);
    CHECK(page2["next_cursor"].is_null());

    // Each step is on the poster's timeline and in the audit log.
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind LIKE 'board.%'",
                  {f.patron_id}) == 5);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'board.publish'") == 4);
  });
}

TEST_CASE("service: a board post becomes one ticket, linked both ways") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    json p = must(f.board.post(f.poster, {{"title", "复印件收费"}, {"body", "收费标准是什么？"}}));
    std::int64_t id = p["id"];
    CHECK(code_of(f.board.to_ticket(f.analyst, id, json::object())) == ErrorCode::forbidden);
    json r = must(f.board.to_ticket(f.agent, id, {{"kind", "complaint"}}));
    json t = r["ticket"];
    CHECK(t["channel"] == "message_board");
    CHECK(t["kind"] == "complaint");
    CHECK(t["patron_id"] == f.patron_id);
    CHECK(t["subject"] == "复印件收费");
    // The post knows its ticket, and the ticket finds its post.
    CHECK(must(f.board.staff_post(f.agent, id))["ticket_id"] == t["id"]);
    json from = must(f.board.staff_posts(f.agent, std::nullopt, t["id"].get<std::int64_t>(), "",
                                         std::nullopt, 10));
    REQUIRE(from["items"].size() == 1);
    CHECK(from["items"][0]["id"] == id);
    // Only once: a second attempt changes nothing.
    CHECK(code_of(f.board.to_ticket(f.manager, id, json::object())) == ErrorCode::conflict);
    CHECK(f.count("SELECT COUNT(*) FROM tickets WHERE channel = 'message_board'") == 1);
    CHECK(f.count("SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind = 'board.ticket'",
                  {f.patron_id}) == 1);
  });
}

TEST_CASE("service: FAQ entries — proposed without personal data, approved by another manager") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    json t = f.resolved_consultation("查询退休档案", "张先生来电，手机13812345678，问怎么查退休档案",
                                     "张三丰您好：工单{number}已办结，带身份证到一楼查询");
    json t2 = f.resolved_consultation(
        "婚姻登记档案", "请问婚姻登记档案在哪里查？我的邮箱 zsf@qq.com",
        "已答复：婚姻登记档案在民政局，请张三丰持身份证110105199001011234查询");
    json draft = must(f.board.faq_draft(f.agent, t["id"]));
    CHECK(draft["question"] == "查询退休档案\n[姓名]来电，手机[电话]，问怎么查退休档案");
    CHECK(draft["answer"] == "[姓名]您好：工单[工单号]已办结，带身份证到一楼查询");
    json d2 = must(f.board.faq_draft(f.agent, t2["id"]));
    CHECK(d2["question"] == "婚姻登记档案\n请问婚姻登记档案在哪里查？我的邮箱 [邮箱]");
    CHECK(d2["answer"] == "已答复：婚姻登记档案在民政局，请[姓名]持身份证[证件号]查询");

    // Only resolved consultations; analysts may not propose.
    json open = must(f.desk.open(f.agent, {{"kind", "consultation"}, {"channel", "phone"},
                                           {"subject", "未办结"}, {"body", "问"}}));
    CHECK(code_of(f.board.faq_draft(f.agent, open["id"])) == ErrorCode::invalid);
    CHECK(code_of(f.board.propose_faq(f.analyst, {{"ticket_id", t["id"]}})) == ErrorCode::forbidden);

    // The agent proposes with an edited answer; the prefilled question stays.
    json e = must(f.board.propose_faq(f.agent, {{"ticket_id", t["id"]}, {"answer", "带身份证到一楼查询。"}}));
    std::int64_t id = e["id"];
    CHECK(e["status"] == "proposed");
    CHECK(e["question"] == draft["question"]);
    CHECK(code_of(f.board.propose_faq(f.agent, {{"ticket_id", t["id"]}})) == ErrorCode::conflict);
    // Not public, not searchable until approved; an agent may not approve.
    CHECK(f.faq_ids("退休档案").empty());
    CHECK(code_of(f.board.decide_faq(f.agent, id, "approve", json::object())) == ErrorCode::forbidden);

    // A manager's own proposal needs another manager.
    json own = must(f.board.propose_faq(f.manager, {{"question", "开放时间"}, {"answer", "周一至周五"}}));
    CHECK(code_of(f.board.decide_faq(f.manager, own["id"], "approve", json::object())) ==
          ErrorCode::forbidden);
    CHECK(code_of(f.board.decide_faq(f.manager, own["id"], "reject", {{"reason", "x"}})) ==
          ErrorCode::forbidden);
    must(f.board.decide_faq(f.manager2, own["id"], "approve", json::object()));

    // Rejection needs a reason; a rejected entry edited is proposed again.
    CHECK(code_of(f.board.decide_faq(f.manager, id, "reject", json::object())) == ErrorCode::invalid);
    json rej = must(f.board.decide_faq(f.manager, id, "reject", {{"reason", "答案不完整"}}));
    CHECK(rej["status"] == "rejected");
    CHECK(rej["reject_reason"] == "答案不完整");
    json again = must(f.board.edit_faq(f.agent, id, {{"answer", "工作日带身份证到一楼查询。"}}));
    CHECK(again["status"] == "proposed");
    json ok = must(f.board.decide_faq(f.manager, id, "approve", json::object()));
    CHECK(ok["status"] == "published");
    CHECK(contains(f.faq_ids("退休档案"), id));

    // Editing a published entry keeps the live text until the edit is approved.
    json ed = must(f.board.edit_faq(f.agent, id, {{"answer", "预约后带身份证到一楼查询。"}}));
    CHECK(ed["status"] == "published");
    CHECK(ed["awaiting_approval"] == true);
    CHECK(must(f.board.public_faq_entry(id))["answer"] == "工作日带身份证到一楼查询。");
    CHECK(must(f.board.faq_entries(f.manager, "awaiting", "", std::nullopt, 50))["items"].size() == 1);
    must(f.board.decide_faq(f.manager, id, "approve", json::object()));
    CHECK(must(f.board.public_faq_entry(id))["answer"] == "预约后带身份证到一楼查询。");
    CHECK(contains(f.faq_ids("预约"), id));

    // Retired: gone from the public FAQ and its search.
    must(f.board.decide_faq(f.manager, id, "retire", json::object()));
    CHECK(code_of(f.board.public_faq_entry(id)) == ErrorCode::not_found);
    CHECK_FALSE(contains(f.faq_ids("退休档案"), id));
    CHECK(code_of(f.board.edit_faq(f.agent, id, {{"answer", "x"}})) == ErrorCode::conflict);
    CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'faq.%'") == 9);
  });
}

TEST_CASE("service: FAQ search — traditional, simplified, pinyin and English; deflections counted") {
  testing::each_backend([](const std::string& backend) {
    Fixture f(backend);
    auto retire = f.published("如何查询退休档案？", "工作日带身份证到一楼查阅大厅办理。");
    auto marriage = f.published("婚姻登记檔案在哪裡查", "婚姻登记档案由民政局保管。");
    auto english = f.published("Can I copy records for research?",
                               "Copies of open records are made at the reading room desk.");
    // 檔案 finds 档案 and the other way round.
    CHECK(contains(f.faq_ids("退休檔案"), retire));
    CHECK(contains(f.faq_ids("婚姻登记档案"), marriage));
    CHECK_FALSE(contains(f.faq_ids("婚姻"), retire));
    // A question typed in full finds the entry by the words it has.
    CHECK(contains(f.faq_ids("婚姻登记档案在哪里查"), marriage));
    CHECK(contains(f.faq_ids("退休档案怎么查询"), retire));
    // Pinyin of the question, and stemmed English.
    CHECK(contains(f.faq_ids("tuixiu"), retire));
    CHECK(contains(f.faq_ids("copying record"), english));
    CHECK(f.faq_ids("copying record").size() == 1);
    // Half-typed punctuation finds nothing rather than failing; the FAQ is never mixed
    // with the catalogue's records.
    CHECK(must(f.board.public_faq("？", 5))["items"].empty());
    search::Query rq;
    rq.q = "档案";
    {
      auto tx = must(f.tdb.db().begin(store::TxMode::read));
      CHECK(must(search::run(*tx, rq, search::Weights{})).total == 0);
    }
    // Snippets mark what matched.
    auto hit = must(f.board.public_faq("退休", 5))["items"][0];
    CHECK(hit["snippet"].get<std::string>().find("<mark>") != std::string::npos);

    // Offers: one answered the question, another time a ticket was opened anyway.
    CHECK(code_of(f.board.faq_feedback(f.poster, {{"shown", {retire}}, {"answered_by", marriage}})) ==
          ErrorCode::invalid);
    CHECK(code_of(f.board.faq_feedback(f.analyst, {{"shown", {retire}}})) == ErrorCode::forbidden);
    must(f.board.faq_feedback(f.poster, {{"shown", {retire, marriage}}, {"answered_by", retire}}));
    must(f.board.faq_feedback(f.other, {{"shown", {retire, marriage}}}));
    auto e = must(f.board.faq_entry(f.manager, retire))["counts"];
    CHECK(e["shown"] == 2);
    CHECK(e["deflected"] == 1);
    CHECK(e["ticket_after"] == 1);
    auto m = must(f.board.faq_entry(f.manager, marriage))["counts"];
    CHECK(m["deflected"] == 0);
    CHECK(m["ticket_after"] == 1);
    // With no query the most helpful come first.
    CHECK(must(f.board.public_faq("", 5))["items"][0]["id"] == retire);
  });
}

}  // namespace dangan::service
