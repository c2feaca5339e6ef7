// import_test.cpp — importing records through the catalogue: all or nothing, batches that
// resume, dry runs, errors by row and column, taken reference codes. On SQLite and (with
// DANGAN_TEST_PG_URL) PostgreSQL.
#include "transfer/import.h"

#include <doctest/doctest.h>

#include <set>

#include "store/test_databases.h"

namespace dangan::transfer {
namespace {

using json = nlohmann::json;
using testing::each_backend;
using testing::TestDatabase;

Actor actor(Role role, std::int64_t id) {
  Actor a;
  a.user_id = id;
  a.username = std::string(to_string(role)) + std::to_string(id);
  a.role = role;
  return a;
}

const Actor kArchivist = actor(Role::archivist, 0);  // no users row needed: created_by NULL

struct Fixture {
  TestDatabase t;
  Config config;
  audit::ReadRecorder reads;
  catalogue::Service catalogue;
  Importer importer;
  explicit Fixture(const std::string& backend, store::OpenOptions o = {})
      : t(backend, o),
        reads(t.db()),
        catalogue(t.db(), reads, config),
        importer(t.db(), catalogue) {
    REQUIRE(catalogue.ensure_defaults());
  }

  json import(const std::string& bytes, ImportOptions o = {}, Actor by = kArchivist) {
    auto in = Input::memory(std::make_shared<const std::string>(bytes));
    auto job = importer.start(by, in, o);
    if (!job) FAIL(job.error().message);
    auto done = importer.run(by, (*job)["id"].get<std::int64_t>(), in, o);
    if (!done) FAIL(done.error().message);
    return *done;
  }

  std::vector<json> records() {
    std::vector<json> out;
    catalogue::RecordQuery q;
    q.limit = 1000;
    for (;;) {
      auto page = catalogue.list_records(kArchivist, q);
      REQUIRE(page);
      for (auto& r : (*page)["items"]) out.push_back(r);
      if ((*page)["next_cursor"].is_null()) break;
      q.cursor = (*page)["next_cursor"].get<std::string>();
    }
    return out;
  }
};

std::vector<std::string> error_texts(const json& job) {
  std::vector<std::string> out;
  for (auto& e : job["errors"]) {
    RowError r{e["row"].get<std::int64_t>(), e["column"].get<std::string>(),
               e["message"].get<std::string>()};
    out.push_back(r.to_string());
  }
  return out;
}

const char* kGood =
    "档号,题名,年度,责任者,关键词,保管期限,密级,载体,页数,内容提要\r\n"
    "QZ01-WS-1998-D30-0001,城市建设档案 "
    "第一卷,1998,市建委,城建；规划,30年,开放,纸质,12,\"多行\n提要\"\r\n"
    ",檔案管理辦法,2001,档案局,,永久,控制,电子,,\r\n"
    ",Annual report \"2003\",2003,Office,report,D10,涉密,paper,3,English\r\n";

TEST_CASE("transfer: a CSV with Chinese headers imports every row in one transaction") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    ImportOptions o;
    o.filename = "目录.csv";
    json job = f.import(kGood, o);
    INFO(job.dump());
    CHECK(job["status"] == "succeeded");
    CHECK(job["rows_total"] == 3);
    CHECK(job["rows_done"] == 3);
    CHECK(job["rows_imported"] == 3);
    CHECK(job["mode"] == "all_or_nothing");
    CHECK(job["filename"] == "目录.csv");
    CHECK(job["finished_at"].is_string());
    auto recs = f.records();
    REQUIRE(recs.size() == 3);
    CHECK(recs[0]["reference_code"] == "QZ01-WS-1998-D30-0001");
    CHECK(recs[0]["title"] == "城市建设档案 第一卷");
    CHECK(recs[0]["keywords"] == json::array({"城建", "规划"}));
    CHECK(recs[0]["description"] == "多行\n提要");
    CHECK(recs[0]["pages"] == 12);
    CHECK(recs[0]["retention"]["code"] == "D30");
    CHECK(recs[1]["access_level"] == "controlled");
    CHECK(recs[1]["carrier"] == "electronic");
    CHECK(recs[1]["retention"]["name"] == "永久");
    CHECK_FALSE(recs[1]["reference_code"].get<std::string>().empty());  // generated
    CHECK(recs[2]["access_level"] == "secret");
    CHECK(recs[2]["title"] == "Annual report \"2003\"");

    // The import itself is audited with its job.
    auto tx = f.t.db().begin(store::TxMode::read);
    REQUIRE(tx);
    auto a = (*tx)->one("SELECT COUNT(*) FROM audit_log WHERE action = 'record.import'", {}, "n");
    REQUIRE(a);
    CHECK(a->i64(0) == 1);
  });
}

TEST_CASE("transfer: imported records are searchable and each has its audit entry naming the job") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    // More rows than one write of the catalogue's bulk creator, in batches that do not
    // line up with it.
    std::string csv = "题名,年度,密级\n";
    for (int i = 1; i <= 2500; ++i)
      csv += (i % 500 == 0 ? "供水管网改造 " : "城市建设 第") + std::to_string(i) + "卷," +
             std::to_string(1990 + i % 3) + ",开放\n";
    ImportOptions o;
    o.batch_size = 700;
    json job = f.import(csv, o);
    CHECK(job["status"] == "succeeded");
    CHECK(job["rows_imported"] == 2500);
    auto recs = f.records();
    REQUIRE(recs.size() == 2500);
    std::set<std::string> codes;
    for (auto& r : recs) codes.insert(r["reference_code"].get<std::string>());
    CHECK(codes.size() == 2500);
    CHECK(codes.count("QZ01-WS-1990-D30-0833"));  // 833 rows of each year, numbered in order
    CHECK_FALSE(codes.count("QZ01-WS-1990-D30-0834"));

    auto tx = f.t.db().begin(store::TxMode::read);
    REQUIRE(tx);
    search::Query q;
    q.q = "供水管网";
    q.audience = search::Audience::staff_all;
    auto found = search::run(**tx, q, f.catalogue.weights());
    REQUIRE(found);
    CHECK(found->total == 5);
    auto audited = (*tx)->query(
        "SELECT a.entity_id, a.detail FROM audit_log a WHERE a.action = 'record.create'");
    REQUIRE(audited);
    REQUIRE(audited->size() == 2500);
    std::set<std::string> ids;
    for (auto& r : *audited) {
      ids.insert(r.str(0));
      json d = json::parse(r.str(1));
      CHECK(d["import_job"] == job["id"]);
    }
    std::set<std::string> want;
    for (auto& r : recs) want.insert(std::to_string(r["id"].get<std::int64_t>()));
    CHECK(ids == want);
    auto verified = audit::verify(f.t.db());
    REQUIRE(verified);
    CHECK(verified->ok);
  });
}

TEST_CASE("transfer: one bad row leaves nothing behind, and every bad row is reported") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    std::string csv =
        "题名,年度,全宗号,密级,载体\n"
        "好的一行,1998,QZ01,开放,纸质\n"
        "年度不对,九八年,QZ01,开放,纸质\n"
        "全宗不存在,2001,QZ99,开放,纸质\n"
        ",2001,QZ01,半开放,石头\n"
        "也是好的,2002,,open,\n";
    json job = f.import(csv);
    CHECK(job["status"] == "failed");
    CHECK(job["rows_done"] == 5);
    CHECK(job["rows_failed"] == 3);
    CHECK(job["rows_imported"] == 0);
    CHECK(job["message"] == "3 rows failed; nothing was imported");
    auto errors = error_texts(job);
    std::vector<std::string> want = {
        "row 3, column 年度: must be a year between 1000 and 9999",
        "row 4, column 全宗号: no fonds with code QZ99",
        "row 5, column 密级: must be open, controlled or secret (开放, 控制, 涉密)",
        "row 5, column 载体: must be paper, electronic, photo, audio, video or other (纸质, 电子, "
        "照片, 录音, 录像, 其他)",
        "row 5, column 题名: required"};
    std::sort(errors.begin(), errors.end());
    CHECK(errors == want);
    CHECK(f.records().empty());
  });
}

TEST_CASE("transfer: a dry run checks everything the catalogue checks and writes no record") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    ImportOptions o;
    o.dry_run = true;
    json job = f.import(kGood, o);
    CHECK(job["status"] == "succeeded");
    CHECK(job["dry_run"] == true);
    CHECK(job["rows_imported"] == 3);  // would be imported
    CHECK(f.records().empty());

    // The same reference code twice in one file is found without writing anything.
    std::string dup = "档号,题名,密级\nA-1,一,开放\nA-2,二,开放\nA-1,三,开放\n";
    job = f.import(dup, o);
    CHECK(job["status"] == "failed");
    CHECK(error_texts(job) ==
          std::vector<std::string>{"row 4, column 档号: reference code A-1 is also in row 2"});
    CHECK(f.records().empty());
    // In batches too.
    o.batch_size = 2;
    job = f.import(kGood, o);
    CHECK(job["status"] == "succeeded");
    CHECK(job["rows_imported"] == 3);
    CHECK(f.records().empty());
  });
}

std::string numbered_csv(int rows, int bad_row = -1) {
  std::string csv = "档号,题名,年度,密级\n";
  for (int i = 1; i <= rows; ++i) {
    std::string year = i == bad_row ? "不详" : std::to_string(1990 + i % 30);
    csv += "B-" + std::to_string(i) + ",第" + std::to_string(i) + "卷," + year + ",开放\n";
  }
  return csv;
}

TEST_CASE("transfer: batches commit as they go and leave out only the failing rows") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    // A code already taken: the catalogue refuses that row after the counter was moved;
    // the savepoint takes that back too.
    REQUIRE(f.catalogue.create_record(
        kArchivist, {{"title", "已有"}, {"access_level", "open"}, {"reference_code", "B-7"}}));
    ImportOptions o;
    o.batch_size = 10;
    json job = f.import(numbered_csv(25, 13), o);
    CHECK(job["status"] == "completed_with_errors");
    CHECK(job["mode"] == "batch");
    CHECK(job["rows_done"] == 25);
    CHECK(job["rows_imported"] == 23);
    CHECK(job["rows_failed"] == 2);
    CHECK(job["last_row"] == 26);
    CHECK(error_texts(job) ==
          std::vector<std::string>{"row 8, column 档号: reference code B-7 is already used",
                                   "row 14, column 年度: must be a year between 1000 and 9999"});
    CHECK(f.records().size() == 24);

    // Again with skip_existing: everything is there already.
    o.skip_existing = true;
    job = f.import(numbered_csv(25), o);
    CHECK(job["status"] == "succeeded");
    CHECK(job["rows_skipped"] == 24);
    CHECK(job["rows_imported"] == 1);  // row 14, fixed now
    CHECK(f.records().size() == 25);
  });
}

TEST_CASE("transfer: a batch job stopped part-way continues after its last batch, never twice") {
  // SQLite only: the interruption is another connection holding the write lock when the
  // job begins its next batch (PostgreSQL writers do not wait for a lock to begin; the API
  // tests kill the server part-way on both backends).
  store::OpenOptions o;
  o.busy_timeout_ms = 100;
  Fixture f("sqlite", o);
  auto other = store::open(f.t.url());
  REQUIRE(other);
  auto bytes = std::make_shared<const std::string>(numbered_csv(35));
  auto in = Input::memory(bytes);
  ImportOptions opt;
  opt.batch_size = 10;
  auto job = f.importer.start(kArchivist, in, opt);
  REQUIRE(job);
  std::int64_t id = (*job)["id"].get<std::int64_t>();
  std::unique_ptr<store::Tx> blocker;
  auto first = f.importer.run(kArchivist, id, in, opt, [&](const Progress& p) {
    if (p.rows_done >= 10 && !blocker) {
      auto tx = (*other)->begin(store::TxMode::write);
      REQUIRE(tx);
      blocker = std::move(*tx);
    }
  });
  // The job could not even record its failure (the database stayed locked), just as
  // after a crash: the table shows what the last committed batch wrote.
  REQUIRE_FALSE(first);
  CHECK(first.error().code == ErrorCode::unavailable);
  blocker.reset();
  auto seen = f.importer.get(kArchivist, id);
  REQUIRE(seen);
  CHECK((*seen)["status"] == "running");
  CHECK((*seen)["last_row"] == 11);
  CHECK((*seen)["rows_imported"] == 10);
  CHECK(f.records().size() == 10);

  // Another file cannot continue it; the same file can.
  auto other_file = Input::memory(std::make_shared<const std::string>(numbered_csv(36)));
  auto refused = f.importer.start(kArchivist, other_file, opt, id);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::conflict);
  REQUIRE(f.importer.start(kArchivist, in, opt, id));
  auto second = f.importer.run(kArchivist, id, in, opt);
  REQUIRE(second);
  CHECK((*second)["status"] == "succeeded");
  CHECK((*second)["rows_done"] == 35);
  CHECK((*second)["rows_imported"] == 35);
  auto recs = f.records();
  REQUIRE(recs.size() == 35);
  std::set<std::string> codes;
  for (auto& r : recs) codes.insert(r["reference_code"].get<std::string>());
  CHECK(codes.size() == 35);
  // Finished: nothing more to continue.
  CHECK_FALSE(f.importer.start(kArchivist, in, opt, id));
}

TEST_CASE("transfer: XLSX and JSON imports; mapping and defaults; who may import") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    std::string json_rows =
        R"([{"Name": "甲", "Year": 1999, "tags": ["a", "b"]}, {"Name": "乙", "Year": "2000年"}])";
    ImportOptions o;
    o.format = Format::json;
    o.mapping = *Mapping::from_json(json::parse(
        R"({"columns": {"Name": "title", "Year": "year", "tags": "keywords"},
            "defaults": {"access_level": "控制", "carrier": "照片"}})"));
    o.mapping_given = true;
    json job = f.import(json_rows, o);
    INFO(job.dump());
    CHECK(job["status"] == "succeeded");
    CHECK(job["mapping"]["defaults"]["carrier"] == "照片");
    auto recs = f.records();
    REQUIRE(recs.size() == 2);
    CHECK(recs[0]["keywords"] == json::array({"a", "b"}));
    CHECK(recs[1]["year"] == 2000);
    CHECK(recs[1]["carrier"] == "photo");
    CHECK(recs[1]["access_level"] == "controlled");

    // A manager may move records in bulk but not create them; an agent neither.
    auto in = Input::memory(std::make_shared<const std::string>(kGood));
    auto manager = f.importer.start(actor(Role::manager, 0), in, {});
    REQUIRE_FALSE(manager);
    CHECK(manager.error().code == ErrorCode::forbidden);
    CHECK_FALSE(f.importer.start(actor(Role::agent, 0), in, {}));
    CHECK(f.importer.list(actor(Role::manager, 0), std::nullopt, 10));
    CHECK_FALSE(f.importer.list(actor(Role::agent, 0), std::nullopt, 10));
  });
}

TEST_CASE("transfer: a file that cannot be read ends the job with the reason") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json job = f.import("题名,密级\n一,开放\n\"没有结束的引号,开放\n");
    CHECK(job["status"] == "failed");
    CHECK(job["message"] == "row 3: a quoted field (\"…) is never closed; nothing was imported");
    CHECK(f.records().empty());
    job = f.import("年度\n1998\n");
    CHECK(job["status"] == "failed");
    CHECK(job["message"].get<std::string>().starts_with("no column gives the title"));
    ImportOptions x;
    x.format = Format::xlsx;
    job = f.import("not a zip", x);
    CHECK(
        job["message"] ==
        "not an XLSX file (not a zip archive): save it from Excel as .xlsx; nothing was imported");
  });
}

}  // namespace
}  // namespace dangan::transfer
