// catalogue_test.cpp — records, reference codes, visibility, retention, locations,
// appraisal and disposal, on SQLite and (with DANGAN_TEST_PG_URL) PostgreSQL.
#include "catalogue/catalogue.h"

#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "catalogue/attachments.h"
#include "catalogue/attachments_testing.h"
#include "core/crypto.h"
#include "core/testing.h"
#include "store/test_databases.h"

namespace dangan::catalogue {
namespace {

using json = nlohmann::json;
using ::dangan::testing::each_backend;
using ::dangan::testing::TestDatabase;

Actor actor(Role role, std::int64_t id, std::optional<std::int64_t> patron = std::nullopt) {
  Actor a;
  a.user_id = id;
  a.username = std::string(to_string(role)) + std::to_string(id);
  a.role = role;
  a.patron_id = patron;
  return a;
}

const Actor kArchivist = actor(Role::archivist, 1);
const Actor kArchivist2 = actor(Role::archivist, 2);
const Actor kManager = actor(Role::manager, 3);
const Actor kAgent = actor(Role::agent, 4);
const Actor kAuditor = actor(Role::auditor, 5);

struct Fixture {
  TestDatabase t;
  Config config;
  audit::ReadRecorder reads;
  Service s;
  explicit Fixture(const std::string& backend)
      : t(backend), reads(t.db()), s(t.db(), reads, config) {
    REQUIRE(s.ensure_defaults());
  }
  json must(Result<json> r) {
    if (!r) FAIL_CHECK(r.error().message, " (field ", r.error().field, ")");
    REQUIRE(r);
    return *r;
  }
  json record(const std::string& title, const std::string& level = "open", json extra = {}) {
    json body = {{"title", title}, {"description", "说明 " + title}, {"access_level", level}};
    if (extra.is_object()) body.update(extra);
    return must(s.create_record(kArchivist, body));
  }
  // How many records a staff search for `q` finds.
  std::int64_t found(const std::string& q) {
    auto tx = t.db().begin(store::TxMode::read);
    REQUIRE(tx);
    search::Query query;
    query.q = q;
    query.audience = search::Audience::staff_all;
    auto r = search::run(**tx, query, s.weights());
    REQUIRE(r);
    return r->total;
  }
};

TEST_CASE("catalogue: templates are checked and rendered") {
  CHECK(check_template("{fonds}-{category}-{year}-{retention}-{seq:04}"));
  CHECK(check_template("{unit}—{category}—{cabinet}—{seq:3}"));
  CHECK_FALSE(check_template("{fonds}-{year}"));                 // no sequence
  CHECK_FALSE(check_template("{fonds}-{seq}-{seq}"));            // two
  CHECK_FALSE(check_template("{fonds}-{colour}-{seq}"));         // unknown placeholder
  CHECK_FALSE(check_template("{fonds}-{seq:0}"));
  CHECK_FALSE(check_template("{fonds-{seq}"));
  CodeParts p;
  p.fonds = "QZ01";
  p.category = "WS";
  p.year = "2024";
  p.retention = "D30";
  const std::string t = "{fonds}-{category}-{year}-{retention}-{seq:04}";
  CHECK(render_series(t, p) == "QZ01-WS-2024-D30-{seq}");
  CHECK(render_code(t, p, 7) == "QZ01-WS-2024-D30-0007");
  CHECK(render_code(t, p, 12345) == "QZ01-WS-2024-D30-12345");
  CHECK(seq_in_series("QZ01-WS-2024-D30-{seq}", "QZ01-WS-2024-D30-0042") == 42);
  CHECK_FALSE(seq_in_series("QZ01-WS-2024-D30-{seq}", "QZ01-WS-2023-D30-0042"));
  CHECK_FALSE(seq_in_series("A-{seq}", "A-12x"));
}

TEST_CASE("catalogue: a record needs only title and access level; codes follow the default scheme") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json a = f.record("关于档案馆建设的请示");
    json b = f.record("关于档案馆建设的批复");
    std::string year = std::to_string(a["year"].get<int>());
    CHECK(a["reference_code"] == "QZ01-WS-" + year + "-D30-0001");
    CHECK(b["reference_code"] == "QZ01-WS-" + year + "-D30-0002");
    CHECK(a["fonds"]["code"] == "QZ01");
    CHECK(a["category"]["code"] == "WS");
    CHECK(a["retention"]["code"] == "D30");
    CHECK(a["retention_until"] == std::to_string(std::stoi(year) + 30) + "-12-31");
    CHECK(a["status"] == "active");

    auto missing = f.s.create_record(kArchivist, {{"description", "x"}, {"access_level", "open"}});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().field == "title");
    auto level = f.s.create_record(kArchivist, {{"title", "x"}, {"access_level", "public"}});
    REQUIRE_FALSE(level);
    CHECK(level.error().field == "access_level");
    auto unknown = f.s.create_record(kArchivist, {{"title", "x"}, {"access_level", "open"}, {"colour", 1}});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().field == "colour");
    auto bad_date = f.s.create_record(kArchivist, {{"title", "x"}, {"access_level", "open"}, {"date_from", "2023-02-30"}});
    REQUIRE_FALSE(bad_date);
    CHECK(bad_date.error().field == "date_from");
    // Only archivists write the catalogue.
    auto agent = f.s.create_record(kAgent, {{"title", "x"}, {"access_level", "open"}});
    REQUIRE_FALSE(agent);
    CHECK(agent.error().code == ErrorCode::forbidden);
  });
}

TEST_CASE("catalogue: the most specific scheme applies and imported codes move the counter") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json fonds = f.must(f.s.create_fonds(kArchivist, {{"code", "G01"}, {"name", "供电公司"}}));
    json kj = f.must(f.s.create_category(kArchivist, {{"code", "KJ"}, {"name", "科技"}}));
    json h = f.must(f.s.create_category(kArchivist, {{"code", "H"}, {"name", "高压"}, {"parent_id", kj["id"]}}));
    f.must(f.s.create_scheme(kArchivist, {{"code", "kj"}, {"name", "科技"}, {"template", "{fonds}-{category_path}-{year}-{seq:03}"}, {"category_id", kj["id"]}}));
    f.must(f.s.create_scheme(kArchivist, {{"code", "g01h"}, {"name", "高压客户"}, {"template", "G-{category}-{seq:05}"}, {"fonds_id", fonds["id"]}, {"category_id", h["id"]}}));
    json r1 = f.record("高压客户档案", "open", {{"fonds", "G01"}, {"category", "KJ.H"}, {"year", 2023}});
    CHECK(r1["reference_code"] == "G-H-00001");
    json r2 = f.record("科技档案", "open", {{"category_id", h["id"]}, {"year", 2023}});  // default fonds
    CHECK(r2["reference_code"] == "QZ01-KJ.H-2023-001");
    // An imported code inside the series: the series continues after it.
    json imported = f.record("旧档案", "open", {{"fonds", "G01"}, {"category", "KJ.H"}, {"reference_code", "G-H-00040"}});
    CHECK(imported["reference_code"] == "G-H-00040");
    json r3 = f.record("新档案", "open", {{"fonds", "G01"}, {"category", "KJ.H"}});
    CHECK(r3["reference_code"] == "G-H-00041");
    auto dup = f.s.create_record(kArchivist, {{"title", "重复"}, {"access_level", "open"}, {"reference_code", "G-H-00040"}});
    REQUIRE_FALSE(dup);
    CHECK(dup.error().code == ErrorCode::conflict);
    CHECK(dup.error().field == "reference_code");
    // Two schemes for the same scope are refused.
    auto same = f.s.create_scheme(kArchivist, {{"code", "kj2"}, {"name", "x"}, {"template", "{seq}"}, {"category_id", kj["id"]}});
    REQUIRE_FALSE(same);
    CHECK(same.error().code == ErrorCode::conflict);
    auto preview = f.must(f.s.preview_code(kArchivist, {{"fonds", "G01"}, {"category", "KJ.H"}}));
    CHECK(preview["reference_code"] == "G-H-00042");
  });
}

TEST_CASE("catalogue: parallel creators never get the same number, also from separate handles") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    // Four "processes" (separate database handles with their own pools) × 25 records.
    std::vector<std::unique_ptr<store::Database>> handles;
    std::vector<std::unique_ptr<audit::ReadRecorder>> readers;
    std::vector<std::unique_ptr<Service>> services;
    for (int i = 0; i < 4; ++i) {
      handles.push_back(f.t.open_again());
      readers.push_back(std::make_unique<audit::ReadRecorder>(*handles.back()));
      services.push_back(std::make_unique<Service>(*handles.back(), *readers.back(), f.config));
    }
    std::mutex mu;
    std::set<std::string> codes;
    int failures = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&, i] {
        for (int k = 0; k < 25; ++k) {
          auto r = services[i]->create_record(kArchivist, {{"title", "并发 " + std::to_string(k)},
                                                            {"access_level", "open"},
                                                            {"year", 2020}});
          std::lock_guard lock(mu);
          if (r) codes.insert((*r)["reference_code"].get<std::string>());
          else ++failures;
        }
      });
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    CHECK(codes.size() == 100);
    CHECK(*codes.begin() == "QZ01-WS-2020-D30-0001");
    CHECK(*codes.rbegin() == "QZ01-WS-2020-D30-0100");
  });
}

TEST_CASE("catalogue: closed files give back their number only when the scheme reuses numbers") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json l = f.must(f.s.create_category(kArchivist, {{"code", "L"}, {"name", "低压"}}));
    f.must(f.s.create_scheme(kArchivist, {{"code", "l"}, {"name", "低压客户"}, {"template", "L-{seq:04}"}, {"category_id", l["id"]}, {"reuse_numbers", true}}));
    json a = f.record("客户甲", "open", {{"category", "L"}});
    json b = f.record("客户乙", "open", {{"category", "L"}});
    CHECK(a["reference_code"] == "L-0001");
    auto closed = f.must(f.s.close_record(kArchivist, a["id"], "销户"));
    CHECK(closed["status"] == "closed");
    CHECK(closed["number_released"] == true);
    json c = f.record("客户丙", "open", {{"category", "L"}});
    CHECK(c["reference_code"] == "L-0001");  // reused
    json d = f.record("客户丁", "open", {{"category", "L"}});
    CHECK(d["reference_code"] == "L-0003");
    // Traceable both ways: the code finds the holder now; the closed record keeps it.
    CHECK(f.must(f.s.get_record_by_code(kArchivist, "L-0001"))["id"] == c["id"]);
    CHECK(f.must(f.s.get_record(kArchivist, a["id"]))["reference_code"] == "L-0001");
    auto tx = f.t.db().begin(store::TxMode::read);
    REQUIRE(tx);
    auto trace = (*tx)->one("SELECT released_by_record, reused_by_record FROM released_numbers WHERE reference_code = 'L-0001'", {}, "trace");
    REQUIRE(trace);
    CHECK(trace->i64(0) == a["id"].get<std::int64_t>());
    CHECK(trace->i64(1) == c["id"].get<std::int64_t>());
    // The default scheme does not reuse.
    json e = f.record("普通");
    f.must(f.s.close_record(kArchivist, e["id"], "移出"));
    json g = f.record("普通二");
    CHECK(g["reference_code"] != e["reference_code"]);
    (void)b;
  });
}

TEST_CASE("catalogue: who sees which record") {
  CHECK(view_of(kArchivist, "secret") == RecordView::full);
  CHECK(view_of(kManager, "secret") == RecordView::full);
  CHECK(view_of(kAgent, "secret") == RecordView::none);
  CHECK(view_of(kAgent, "controlled") == RecordView::full);
  CHECK(view_of(actor(Role::patron, 9, 77), "open") == RecordView::full);
  CHECK(view_of(actor(Role::patron, 9, 77), "controlled") == RecordView::entry);
  CHECK(view_of(actor(Role::patron, 9, 77), "secret") == RecordView::none);
  CHECK(view_of(kAuditor, "open") == RecordView::none);
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json open = f.record("开放档案");
    json controlled = f.record("控制档案", "controlled", {{"keywords", json::array({"土地", "房产"})}});
    json secret = f.record("涉密档案", "secret");
    Actor patron = actor(Role::patron, 9, 77);
    CHECK(f.must(f.s.get_record(patron, open["id"]))["description"] == "说明 开放档案");
    json entry = f.must(f.s.get_record(patron, controlled["id"]));
    CHECK(entry["content_hidden"] == true);
    CHECK_FALSE(entry.contains("description"));
    CHECK(entry["keywords"] == json::array({"土地", "房产"}));
    auto hidden = f.s.get_record(patron, secret["id"]);
    REQUIRE_FALSE(hidden);
    CHECK(hidden.error().code == ErrorCode::not_found);
    auto agent = f.s.get_record(kAgent, secret["id"]);
    REQUIRE_FALSE(agent);
    CHECK(agent.error().code == ErrorCode::not_found);
    CHECK(f.must(f.s.get_record(kManager, secret["id"]))["title"] == "涉密档案");
    auto auditor = f.s.get_record(kAuditor, open["id"]);
    REQUIRE_FALSE(auditor);
    CHECK(auditor.error().code == ErrorCode::forbidden);
    // An embargo (D44) keeps an open record's content from patrons until it ends.
    json embargoed = f.record("禁止公开至2099年", "open", {{"embargo_until", "2099-12-31"}});
    CHECK(f.must(f.s.get_record(patron, embargoed["id"]))["content_hidden"] == true);
    CHECK(f.must(f.s.get_record(kAgent, embargoed["id"]))["content_hidden"] == false);
    json lifted = f.record("禁止公开至2000年", "open", {{"embargo_until", "2000-01-01"}});
    CHECK(f.must(f.s.get_record(patron, lifted["id"]))["content_hidden"] == false);
    // Listing leaves secret records out for agents and keeps them for archivists.
    RecordQuery q;
    CHECK(f.must(f.s.list_records(kAgent, q))["items"].size() == 4);
    CHECK(f.must(f.s.list_records(kArchivist, q))["items"].size() == 5);
  });
}

TEST_CASE("catalogue: what a patron sees of a record, all things weighed (patron_view)") {
  // level, own file, embargoed, granted
  CHECK(patron_view("open", false, false, false) == RecordView::full);
  CHECK(patron_view("open", false, true, false) == RecordView::entry);
  CHECK(patron_view("open", false, true, true) == RecordView::entry);
  CHECK(patron_view("controlled", false, false, false) == RecordView::entry);
  CHECK(patron_view("controlled", false, false, true) == RecordView::full);
  CHECK(patron_view("controlled", false, true, true) == RecordView::entry);
  CHECK(patron_view("controlled", true, false, false) == RecordView::full);
  CHECK(patron_view("secret", true, false, true) == RecordView::none);
  CHECK(patron_view("secret", false, false, true) == RecordView::none);
}

TEST_CASE("catalogue: a granted controlled record opens to that patron only, in view, list and search") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json controlled = f.record("征地补偿卷", "controlled");
    json embargoed = f.record("禁止公开卷", "controlled", {{"embargo_until", "2099-12-31"}});
    json secret = f.record("涉密卷", "secret");
    json other = f.record("另一控制卷", "controlled");
    std::vector<std::int64_t> asked_for;
    f.s.content_grants([&](store::Tx&, std::int64_t patron_id) -> Result<std::vector<std::int64_t>> {
      asked_for.push_back(patron_id);
      if (patron_id != 77) return std::vector<std::int64_t>{};
      return std::vector<std::int64_t>{secret["id"], embargoed["id"], controlled["id"]};
    });
    Actor granted = actor(Role::patron, 9, 77);
    Actor stranger = actor(Role::patron, 10, 78);
    json seen = f.must(f.s.get_record(granted, controlled["id"]));
    CHECK(seen["content_hidden"] == false);
    CHECK(seen["description"] == "说明 征地补偿卷");
    CHECK(f.must(f.s.get_record(stranger, controlled["id"]))["content_hidden"] == true);
    CHECK(f.must(f.s.get_record(granted, other["id"]))["content_hidden"] == true);
    // The embargo still holds, and a grant never reveals a secret record.
    CHECK(f.must(f.s.get_record(granted, embargoed["id"]))["content_hidden"] == true);
    CHECK(f.s.get_record(granted, secret["id"]).error().code == ErrorCode::not_found);
    RecordQuery q;
    q.access_level = "controlled";
    json listed = f.must(f.s.list_records(granted, q));
    std::map<std::int64_t, bool> hidden;
    for (auto& r : listed["items"]) hidden[r["id"]] = r["content_hidden"];
    CHECK(hidden.at(controlled["id"]) == false);
    CHECK(hidden.at(other["id"]) == true);
    CHECK(hidden.at(embargoed["id"]) == true);
    // What search is told: the granted record only.
    CHECK(f.must(f.s.content_granted(granted)) == std::vector<std::int64_t>{controlled["id"]});
    CHECK(f.must(f.s.content_granted(stranger)).empty());
    CHECK(f.must(f.s.content_granted(kAgent)).empty());
    CHECK(std::find(asked_for.begin(), asked_for.end(), 78) != asked_for.end());
  });
}

TEST_CASE("catalogue: updates keep the code, check the version, and recompute retention") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json r = f.record("题名", "open", {{"year", 2000}});
    CHECK(r["retention_until"] == "2030-12-31");
    json u = f.must(f.s.update_record(kArchivist, r["id"], {{"title", "新题名"}, {"retention", "D10"}}, r["version"].get<std::int64_t>()));
    CHECK(u["title"] == "新题名");
    CHECK(u["reference_code"] == r["reference_code"]);
    CHECK(u["retention_until"] == "2010-12-31");
    CHECK(u["version"] == r["version"].get<std::int64_t>() + 1);
    auto stale = f.s.update_record(kArchivist, r["id"], {{"title", "x"}}, r["version"].get<std::int64_t>());
    REQUIRE_FALSE(stale);
    CHECK(stale.error().code == ErrorCode::conflict);
    auto code = f.s.update_record(kArchivist, r["id"], {{"reference_code", "X-1"}}, std::nullopt);
    REQUIRE_FALSE(code);
    CHECK(code.error().field == "reference_code");
    json perm = f.must(f.s.update_record(kArchivist, r["id"], {{"retention", "Y"}}, std::nullopt));
    CHECK(perm["retention_until"].is_null());
  });
}

TEST_CASE("catalogue: locations have capacity, a vacant-slot finder and a move history") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json b = f.must(f.s.create_location(kArchivist, {{"kind", "building"}, {"code", "A"}, {"name", "一号库房楼"}}));
    json room = f.must(f.s.create_location(kArchivist, {{"kind", "room"}, {"code", "101"}, {"parent_id", b["id"]}}));
    json cab = f.must(f.s.create_location(kArchivist, {{"kind", "cabinet"}, {"code", "G03"}, {"parent_id", room["id"]}}));
    json box1 = f.must(f.s.create_location(kArchivist, {{"kind", "box"}, {"code", "1"}, {"parent_id", cab["id"]}, {"capacity", 2}}));
    json box2 = f.must(f.s.create_location(kArchivist, {{"kind", "box"}, {"code", "2"}, {"parent_id", cab["id"]}, {"capacity", 2}}));
    CHECK(box1["label"] == "一号库房楼 / 101 / G03 / 1");
    auto wrong = f.s.create_location(kArchivist, {{"kind", "room"}, {"code", "x"}, {"parent_id", box1["id"]}});
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().field == "kind");
    // The utility scheme of seed 003: company — class — cabinet — file number.
    json unit_fonds = f.must(f.s.create_fonds(kArchivist, {{"code", "GD"}, {"name", "供电"}}));
    {
      auto tx = f.t.db().begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE((*tx)->exec("INSERT INTO units (code, name, created_at) VALUES ('0301', '城区供电所', '2026-01-01T00:00:00Z')"));
      REQUIRE((*tx)->exec("UPDATE fonds SET unit_id = (SELECT id FROM units WHERE code = '0301') WHERE code = 'GD'"));
      REQUIRE((*tx)->commit());
    }
    f.must(f.s.create_scheme(kArchivist, {{"code", "gd"}, {"name", "公司代号—类别号—柜号—案卷顺序号"}, {"template", "{unit}-{category}-{cabinet}-{seq:04}"}, {"fonds_id", unit_fonds["id"]}}));
    json r1 = f.record("客户一", "open", {{"fonds", "GD"}, {"location_id", box1["id"]}});
    CHECK(r1["reference_code"] == "0301-WS-G03-0001");
    CHECK(r1["location"]["label"] == "一号库房楼 / 101 / G03 / 1");
    auto no_cab = f.s.create_record(kArchivist, {{"title", "x"}, {"access_level", "open"}, {"fonds", "GD"}});
    REQUIRE_FALSE(no_cab);
    CHECK(no_cab.error().field == "location_id");
    json r2 = f.record("客户二", "open", {{"location_id", box1["id"]}});
    json r3 = f.record("客户三");
    auto full = f.s.move_record(kArchivist, r3["id"], box1["id"], "上架");
    REQUIRE_FALSE(full);
    CHECK(full.error().code == ErrorCode::conflict);
    json vacant = f.must(f.s.vacant_locations(kArchivist, cab["id"], 1));
    REQUIRE(vacant["items"].size() == 1);
    CHECK(vacant["items"][0]["id"] == box2["id"]);
    f.must(f.s.move_record(kArchivist, r3["id"], box2["id"], "上架"));
    // Closing frees the place (顶号换空间): the next file can take it.
    f.must(f.s.close_record(kArchivist, r1["id"], "销户"));
    json after = f.must(f.s.vacant_locations(kArchivist, cab["id"], 2));
    CHECK(after["vacant"] == 2);
    CHECK(after["items"][0]["id"] == box1["id"]);  // the fuller box first
    f.must(f.s.move_record(kArchivist, r3["id"], box1["id"], "顶号"));
    json moves = f.must(f.s.record_moves(kArchivist, r3["id"]));
    REQUIRE(moves["items"].size() == 2);
    CHECK(moves["items"][1]["from"]["id"] == box2["id"]);
    CHECK(moves["items"][1]["to"]["id"] == box1["id"]);
    (void)r2;
  });
}

TEST_CASE("catalogue: appraisal due, proposals, decisions, legal hold and the disposal register") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json old = f.record("1980年会议记录", "open", {{"year", 1980}, {"retention", "D10"}});
    json held = f.record("1981年合同", "open", {{"year", 1981}, {"retention", "D10"}});
    json keep = f.record("永久档案", "open", {{"year", 1950}, {"retention", "Y"}});
    json due = f.must(f.s.appraisal_due(kArchivist, std::nullopt, std::nullopt, 50));
    REQUIRE(due["items"].size() == 2);
    CHECK(due["items"][0]["id"] == old["id"]);  // ended 1990-12-31, before 1991-12-31

    f.must(f.s.set_legal_hold(kManager, held["id"], true, "诉讼"));
    auto blocked = f.s.propose_appraisal(kArchivist, held["id"], {{"outcome", "dispose"}, {"reason", "到期"}});
    REQUIRE_FALSE(blocked);
    CHECK(blocked.error().code == ErrorCode::conflict);

    json ws = {{"criteria", "无继续保存价值"}, {"appraisers", json::array({"张三", "李四"})}};
    json p = f.must(f.s.propose_appraisal(kArchivist, old["id"], {{"outcome", "dispose"}, {"reason", "保管期满，无保存价值"}, {"worksheet", ws}}));
    CHECK(p["status"] == "proposed");
    CHECK(p["worksheet"]["appraisers"].size() == 2);
    auto twice = f.s.propose_appraisal(kArchivist2, old["id"], {{"outcome", "keep"}, {"reason", "x"}});
    REQUIRE_FALSE(twice);
    CHECK(twice.error().code == ErrorCode::conflict);
    // An archivist cannot decide; a manager can.
    auto by_archivist = f.s.decide_appraisal(kArchivist2, p["id"], true, "");
    REQUIRE_FALSE(by_archivist);
    CHECK(by_archivist.error().code == ErrorCode::forbidden);
    json decided = f.must(f.s.decide_appraisal(kManager, p["id"], true, "同意销毁"));
    CHECK(decided["status"] == "approved");
    json gone = f.must(f.s.get_record(kArchivist, old["id"]));
    CHECK(gone["status"] == "disposed");
    CHECK(gone["description"] == "");
    CHECK(gone["reference_code"] == old["reference_code"]);
    json reg = f.must(f.s.disposal_register(kAuditor, std::nullopt, 50));
    REQUIRE(reg["items"].size() == 1);
    CHECK(reg["items"][0]["reference_code"] == old["reference_code"]);
    CHECK(reg["items"][0]["reason"] == "保管期满，无保存价值");
    CHECK(reg["items"][0]["proposed_by"] == "archivist1");
    CHECK(reg["items"][0]["approved_by"] == "manager3");
    json evidence = f.must(f.s.disposal_evidence(kAuditor, reg["items"][0]["id"]));
    CHECK(evidence["sha256"].get<std::string>().size() == 64);
    CHECK(evidence["evidence"]["appraisal"]["worksheet"]["criteria"] == "无继续保存价值");
    CHECK(evidence["evidence"]["audit"].size() >= 3);  // create, propose, approve
    CHECK(crypto::sha256_hex(evidence["evidence"].dump()) == evidence["sha256"]);
    CHECK_FALSE(f.s.disposal_evidence(kArchivist, reg["items"][0]["id"]));
    {  // The register refuses edits and deletions.
      auto tx = f.t.db().begin(store::TxMode::write);
      REQUIRE(tx);
      CHECK_FALSE((*tx)->exec("UPDATE disposal_register SET reason = 'x'"));
    }
    {
      auto tx = f.t.db().begin(store::TxMode::write);
      REQUIRE(tx);
      CHECK_FALSE((*tx)->exec("DELETE FROM disposal_register"));
    }
    // Other outcomes: extend moves the end of retention; change_access changes the level.
    json p2 = f.must(f.s.propose_appraisal(kArchivist, keep["id"], {{"outcome", "change_access"}, {"reason", "解密"}, {"new_access_level", "controlled"}}));
    f.must(f.s.decide_appraisal(kManager, p2["id"], true, ""));
    CHECK(f.must(f.s.get_record(kArchivist, keep["id"]))["access_level"] == "controlled");
    f.must(f.s.set_legal_hold(kManager, held["id"], false, "结案"));
    json p3 = f.must(f.s.propose_appraisal(kArchivist, held["id"], {{"outcome", "extend"}, {"reason", "仍有利用"}, {"new_retention_code", "D30"}}));
    json rejected = f.must(f.s.decide_appraisal(kManager, p3["id"], false, "不同意"));
    CHECK(rejected["status"] == "rejected");
    CHECK(f.must(f.s.get_record(kArchivist, held["id"]))["retention"]["code"] == "D10");
    json p4 = f.must(f.s.propose_appraisal(kArchivist, held["id"], {{"outcome", "extend"}, {"reason", "仍有利用"}, {"new_retention_code", "D30"}}));
    f.must(f.s.decide_appraisal(kManager, p4["id"], true, ""));
    json extended = f.must(f.s.get_record(kArchivist, held["id"]));
    CHECK(extended["retention"]["code"] == "D30");
    CHECK(extended["retention_until"] == "2011-12-31");
    // The proposer never decides their own proposal (a manager proposing is refused anyway).
  });
}

TEST_CASE("catalogue: the appraisal group's opinions decide whether a disposal may be approved (D18)") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    f.config.disposal_appraisers = 3;  // the proposer, the approver and one more
    json old = f.record("1980年来往文书", "open", {{"year", 1980}, {"retention", "D10"}});
    json p = f.must(f.s.propose_appraisal(kArchivist, old["id"], {{"outcome", "dispose"}, {"reason", "保管期满"}}));
    CHECK(p["opinions"] == json::array());
    auto own = f.s.give_opinion(kArchivist, p["id"], {{"opinion", "agree"}});
    REQUIRE_FALSE(own);
    CHECK(own.error().code == ErrorCode::conflict);
    CHECK(f.s.give_opinion(kAgent, p["id"], {{"opinion", "agree"}}).error().code == ErrorCode::forbidden);
    auto bare = f.s.give_opinion(kArchivist2, p["id"], {{"opinion", "disagree"}});
    REQUIRE_FALSE(bare);
    CHECK(bare.error().field == "comment");
    CHECK(f.s.give_opinion(kArchivist2, p["id"], {{"opinion", "maybe"}}).error().field == "opinion");

    // Two people (proposer and approver) are not enough when three must agree.
    auto few = f.s.decide_appraisal(kManager, p["id"], true, "");
    REQUIRE_FALSE(few);
    CHECK(few.error().code == ErrorCode::conflict);
    CHECK(few.error().field == "opinions");
    CHECK(few.error().message.find("2 so far") != std::string::npos);

    json against = f.must(f.s.give_opinion(kArchivist2, p["id"], {{"opinion", "disagree"}, {"comment", "仍有查考价值"}}));
    REQUIRE(against["opinions"].size() == 1);
    CHECK(against["opinions"][0]["appraiser"] == "archivist2");
    CHECK(against["opinions"][0]["opinion"] == "disagree");
    auto blocked = f.s.decide_appraisal(kManager, p["id"], true, "");
    REQUIRE_FALSE(blocked);
    CHECK(blocked.error().message.find("archivist2") != std::string::npos);
    CHECK(f.must(f.s.get_record(kArchivist, old["id"]))["status"] == "active");

    // The same appraiser changes their mind: the opinion is replaced, not added.
    json agreed = f.must(f.s.give_opinion(kArchivist2, p["id"], {{"opinion", "agree"}, {"comment", "复核后同意"}}));
    REQUIRE(agreed["opinions"].size() == 1);
    CHECK(agreed["opinions"][0]["opinion"] == "agree");
    json listed = f.must(f.s.list_appraisals(kManager, std::string("proposed"), std::nullopt, 50));
    REQUIRE(listed["items"].size() == 1);
    CHECK(listed["items"][0]["opinions"][0]["comment"] == "复核后同意");
    json decided = f.must(f.s.decide_appraisal(kManager, p["id"], true, "同意销毁"));
    CHECK(decided["status"] == "approved");
    CHECK(f.s.give_opinion(kArchivist2, p["id"], {{"opinion", "agree"}}).error().code == ErrorCode::conflict);

    json reg = f.must(f.s.disposal_register(kAuditor, std::nullopt, 50));
    json evidence = f.must(f.s.disposal_evidence(kAuditor, reg["items"][0]["id"]));
    CHECK(evidence["evidence"]["appraisal"]["opinions"][0]["appraiser"] == "archivist2");
    int opinion_entries = 0;
    for (auto& e : evidence["evidence"]["audit"]) opinion_entries += e["action"] == "appraisal.opinion";
    CHECK(opinion_entries == 2);

    // Only a disposal waits for the group: a disagreement does not block keeping a record.
    json kept = f.record("1981年来往文书", "open", {{"year", 1981}, {"retention", "D10"}});
    json pk = f.must(f.s.propose_appraisal(kArchivist, kept["id"], {{"outcome", "keep"}, {"reason", "仍有价值"}}));
    f.must(f.s.give_opinion(kArchivist2, pk["id"], {{"opinion", "disagree"}, {"comment", "可以销毁"}}));
    CHECK(f.must(f.s.decide_appraisal(kManager, pk["id"], true, ""))["status"] == "approved");
  });
}

TEST_CASE("catalogue: attachment text is searchable, and disposal destroys the content") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    catalogue::testing::TempDir dir;
    catalogue::testing::write_test_signatures(dir.path / "clamav");
    f.config.blob_dir = (dir.path / "blobs").string();
    f.config.clamav_db = (dir.path / "clamav").string();
    attachments::Hooks hooks;
    hooks.reindex = [&f](store::Tx& tx, std::int64_t id) -> Status {
      auto doc = TRY(f.s.document_of(tx, id));
      return search::upsert(tx, doc);
    };
    hooks.count_use = [&f](std::int64_t id) { (void)f.s.count_use(id); };
    attachments::Service files(f.t.db(), f.config, hooks);
    std::vector<std::string> removed;
    f.s.on_content_removed([&](const std::vector<std::string>& h) {
      removed = h;
      attachments::delete_blob_files(f.t.db(), f.config, h);
    });
    json rec = f.record("会议记录", "open", {{"year", 1985}, {"retention", "D10"}});
    json att = f.must(files.upload(kArchivist, rec["id"], "minutes.txt", "本次会议讨论了水库移民安置补偿标准。"));
    CHECK(f.found("移民安置") == 1);  // only in the attachment's text
    json p = f.must(f.s.propose_appraisal(kArchivist, rec["id"], {{"outcome", "dispose"}, {"reason", "期满"}}));
    f.must(f.s.decide_appraisal(kManager, p["id"], true, "同意"));
    REQUIRE(removed.size() == 1);
    CHECK(removed[0] == att["sha256"]);
    CHECK(f.found("移民安置") == 0);
    CHECK(f.found("会议记录") == 0);  // the disposed record leaves the index
    json reg = f.must(f.s.disposal_register(kManager, std::nullopt, 10));
    CHECK(reg["items"][0]["content_hashes"] == json::array({att["sha256"]}));
    auto tx = f.t.db().begin(store::TxMode::read);
    REQUIRE(tx);
    auto blob = (*tx)->maybe_one("SELECT 1 FROM blobs WHERE sha256 = ?", {att["sha256"].get<std::string>()});
    REQUIRE(blob);
    CHECK_FALSE(*blob);
    std::string sha = att["sha256"];
    CHECK_FALSE(std::filesystem::exists(dir.path / "blobs" / sha.substr(0, 2) / sha.substr(2, 2) / sha));
    bool any_file = false;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir.path / "blobs"))
      any_file = any_file || (e.is_regular_file() && e.path().filename().string().find(sha) != std::string::npos);
    CHECK_FALSE(any_file);
  });
}

TEST_CASE("catalogue: reindex rebuilds the search index from the catalogue") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 40; ++i)
      ids.push_back(f.record("水库移民安置档案 第" + std::to_string(i) + "卷")["id"]);
    CHECK(f.found("水库移民") == 40);
    // The index out of step with the catalogue, as after restoring an older index or an
    // edit made with SQL: a record's text changed, an entry lost, a record disposed.
    {
      auto tx = f.t.db().begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE((*tx)->exec("UPDATE records SET title = ?, description = ? WHERE id = ?",
                          {std::string("港口疏浚工程图纸"), std::string("航道"), ids[0]}));
      REQUIRE(search::remove(**tx, "record", ids[1]));
      REQUIRE((*tx)->exec("UPDATE records SET status = 'disposed' WHERE id = ?", {ids[2]}));
      REQUIRE((*tx)->commit());
    }
    CHECK(f.found("港口疏浚") == 0);
    CHECK(f.found("水库移民") == 39);
    std::vector<std::pair<std::int64_t, std::int64_t>> progress;
    auto n = f.s.reindex(
        [&](std::int64_t done, std::int64_t total) { progress.emplace_back(done, total); });
    REQUIRE(n);
    CHECK(*n == 40);
    CHECK(f.found("港口疏浚") == 1);
    CHECK(f.found("水库移民") == 38);  // 40, less the changed and the disposed record
    REQUIRE_FALSE(progress.empty());
    CHECK(progress.back() == std::make_pair(std::int64_t{40}, std::int64_t{40}));
    // Nothing changed since: a second run finds the same.
    REQUIRE(f.s.reindex(nullptr));
    CHECK(f.found("港口疏浚") == 1);
    CHECK(f.found("水库移民") == 38);
  });
}

}  // namespace

TEST_CASE("catalogue: an embargo that ended is lifted in the search index when the day comes") {
  each_backend([](const std::string& backend) {
    TestDatabase t(backend);
    Config config;
    audit::ReadRecorder reads(t.db());
    ::dangan::testing::ManualClock clock(*parse_time("2030-06-29T10:00:00Z"));
    Service s(t.db(), reads, config, clock);
    REQUIRE(s.ensure_defaults());
    auto created = s.create_record(kArchivist, {{"title", "解密前的会议纪要"},
                                                {"description", "纪要全文"},
                                                {"access_level", "open"},
                                                {"embargo_until", "2030-06-30"}});
    REQUIRE(created);
    const std::int64_t id = (*created)["id"];
    auto indexed_level = [&] {
      auto tx = t.db().begin(store::TxMode::read);
      REQUIRE(tx);
      auto row = (*tx)->one("SELECT access_level FROM search_docs WHERE kind = 'record' AND id = ?",
                            {id}, "doc");
      REQUIRE(row);
      return row->str(0);
    };
    // Under embargo a patron's search finds the entry only (indexed as controlled).
    CHECK(indexed_level() == "controlled");
    CHECK(*s.lift_embargoes() == 0);
    CHECK(indexed_level() == "controlled");
    // The day the embargo ends, the next check lifts it, without any change to the record.
    clock.set("2030-06-30T00:05:00Z");
    CHECK(*s.lift_embargoes() == 1);
    CHECK(indexed_level() == "open");
    CHECK(*s.lift_embargoes() == 0);
  });
}


TEST_CASE("catalogue: a record others cite, and one from an authoritative source, rank higher (D43)") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    // Three records the text alone cannot tell apart; the fourth only cites.
    auto same = [&](const char* code) {
      return f.record("水库调度运行记录", "open",
                      {{"description", "水库调度运行情况"}, {"reference_code", code}, {"year", 2001}});
    };
    json a = same("D43-A"), b = same("D43-B"), c = same("D43-C");
    json citing = f.record("防汛工作总结", "open", {{"description", "防汛"}});
    auto order = [&] {
      auto tx = f.t.db().begin(store::TxMode::read);
      REQUIRE(tx);
      search::Query q;
      q.q = "水库调度运行";
      q.audience = search::Audience::staff_all;
      auto r = search::run(**tx, q, f.s.weights());
      REQUIRE(r);
      std::vector<std::int64_t> ids;
      for (auto& h : r->items) ids.push_back(h.id);
      return ids;
    };
    REQUIRE(order().size() == 3);
    // Cited by another record: B moves to the top.
    f.must(f.s.add_relation(kArchivist, citing["id"], {{"related_id", b["id"]}, {"kind", "cites"}}));
    CHECK(order().front() == b["id"].get<std::int64_t>());
    // C comes from the most authoritative source (10 of 10): it passes B's one citation.
    f.must(f.s.update_record(kArchivist, c["id"], {{"source_authority", 10}}, std::nullopt));
    auto ids = order();
    REQUIRE(ids.size() == 3);
    CHECK(ids[0] == c["id"].get<std::int64_t>());
    CHECK(ids[1] == b["id"].get<std::int64_t>());
    CHECK(ids[2] == a["id"].get<std::int64_t>());
  });
}

}  // namespace dangan::catalogue
