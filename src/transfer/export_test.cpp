// export_test.cpp — records out in every format, filtered, and back in again unchanged.
#include "transfer/export.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>

#include "store/test_databases.h"
#include "transfer/import.h"

namespace dangan::transfer {
namespace {

using json = nlohmann::json;
using testing::each_backend;
using testing::TestDatabase;
namespace fs = std::filesystem;

Actor actor(Role role) {
  Actor a;
  a.username = std::string(to_string(role));
  a.role = role;
  return a;
}
const Actor kArchivist = actor(Role::archivist);

struct Fixture {
  TestDatabase t;
  Config config;
  audit::ReadRecorder reads;
  catalogue::Service catalogue;
  Importer importer;
  Exporter exporter;
  fs::path dir;
  explicit Fixture(const std::string& backend)
      : t(backend),
        reads(t.db()),
        catalogue(t.db(), reads, config),
        importer(t.db(), catalogue),
        exporter(t.db(), catalogue) {
    REQUIRE(catalogue.ensure_defaults());
    dir = fs::temp_directory_path() / ("dangan-export-test-" + testing::unique_suffix());
    fs::create_directories(dir);
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }

  json import(const Input& in, ImportOptions o = {}) {
    auto job = importer.start(kArchivist, in, o);
    if (!job) FAIL(job.error().message);
    auto done = importer.run(kArchivist, (*job)["id"].get<std::int64_t>(), in, o);
    if (!done) FAIL(done.error().message);
    INFO(done->dump());
    CHECK((*done)["status"] == "succeeded");
    return *done;
  }

  std::vector<json> records() {
    catalogue::RecordQuery q;
    q.limit = 1000;
    auto page = catalogue.list_records(kArchivist, q);
    REQUIRE(page);
    return (*page)["items"].get<std::vector<json>>();
  }
};

const char* kRecords =
    "档号,题名,年度,起始日期,终止日期,责任者,关键词,保管期限,密级,载体,页数,重要,内容提要\r\n"
    "QZ01-WS-1998-D30-0001,城市建设档案 \"第一卷\",1998,1998-03-05,1998-12-31,市建委,城建；规划,"
    "30年,开放,纸质,12,是,\"多行\n提要, 有逗号\"\r\n"
    "QZ01-WS-2001-Y-0001,檔案管理辦法,2001,2001,,档案局,,永久,控制,电子,,否,=1+1\r\n"
    "QZ01-WS-2003-D10-0001,Annual report <2003> & more,2003,,,Office,report,D10,涉密,photo,3,,\r\n";

// What an export and re-import must keep of a record.
json essence(const json& r) {
  return {{"reference_code", r["reference_code"]},
          {"title", r["title"]},
          {"description", r["description"]},
          {"keywords", r["keywords"]},
          {"creator", r["creator"]},
          {"year", r["year"]},
          {"date_from", r["date_from"]},
          {"date_to", r["date_to"]},
          {"fonds", r["fonds"]["code"]},
          {"category", r["category"]["code"]},
          {"retention", r["retention"]["code"]},
          {"access_level", r["access_level"]},
          {"carrier", r["carrier"]},
          {"pages", r["pages"]},
          {"important", r["important"]}};
}

TEST_CASE("transfer: every table format exports what imports again unchanged") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    f.import(Input::memory(std::make_shared<const std::string>(kRecords)));
    auto original = f.records();
    REQUIRE(original.size() == 3);
    for (Format format : {Format::csv, Format::xlsx, Format::json, Format::ndjson}) {
      CAPTURE(to_string(format));
      std::string path = f.file("out." + std::string(extension(format)));
      ExportOptions o;
      o.format = format;
      std::int64_t pages = 0;
      auto n = f.exporter.write(kArchivist, path, o, [&](std::int64_t) { ++pages; });
      REQUIRE(n);
      CHECK(*n == 3);
      CHECK(pages == 1);

      Fixture g(backend);
      ImportOptions io;
      io.format = format;
      json job = g.import(Input::file(path), io);
      CHECK(job["rows_imported"] == 3);
      auto again = g.records();
      REQUIRE(again.size() == 3);
      for (std::size_t i = 0; i < 3; ++i) CHECK(essence(again[i]) == essence(original[i]));
    }
    // CSV: a BOM for Excel, and a cell that would be a formula is guarded.
    std::ifstream in(f.file("out.csv"), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str().starts_with("\xEF\xBB\xBFid,reference_code,title,"));
    CHECK(ss.str().find("\"'=1+1\"") != std::string::npos);

    // Each export is audited with its filter and count.
    auto tx = f.t.db().begin(store::TxMode::read);
    REQUIRE(tx);
    auto a =
        (*tx)->query("SELECT detail FROM audit_log WHERE action = 'record.export' ORDER BY seq");
    REQUIRE(a);
    REQUIRE(a->size() == 4);
    CHECK(json::parse(a->rows[0].str(0))["rows"] == 3);
  });
}

TEST_CASE("transfer: JSON exports carry attachments with their signatures") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    f.import(Input::memory(std::make_shared<const std::string>(kRecords)));
    auto recs = f.records();
    REQUIRE(recs.size() == 3);
    auto first = recs[0]["id"].get<std::int64_t>();
    {
      auto tx = f.t.db().begin(store::TxMode::write);
      REQUIRE(tx);
      auto& t = **tx;
      std::string now = "2026-11-26T00:00:00.000000Z", sha(64, 'a');
      REQUIRE(t.exec("INSERT INTO blobs (sha256, size, mime, format, created_at) VALUES "
                     "(?, 10, 'application/pdf', 'PDF 1.7', ?)",
                     {sha, now}));
      auto att = t.one(
          "INSERT INTO attachments (record_id, sha256, filename, mime, size, created_at) VALUES "
          "(?, ?, '批复.pdf', 'application/pdf', 10, ?) RETURNING id",
          {first, sha, now}, "attachment");
      REQUIRE(att);
      REQUIRE(t.exec(
          "INSERT INTO attachment_signatures (attachment_id, source, field_name, signer, "
          "signed_at, method, integrity, detail, created_at) VALUES (?, 'embedded', "
          "'Signature1', '张三', '2026-11-26T10:30:00+08:00', 'adbe.pkcs7.detached', "
          "'not_intact', '{\"coverage\":\"incomplete\"}', ?)",
          {att->i64(0), now}));
      REQUIRE(t.exec(
          "INSERT INTO attachment_signatures (attachment_id, source, signer, method, note, "
          "created_at) VALUES (?, 'recorded', '王主任', 'paper', '扫描件', ?)",
          {att->i64(0), now}));
      REQUIRE(t.commit());
    }
    std::string path = f.file("out.json");
    ExportOptions o;
    o.format = Format::json;
    REQUIRE(f.exporter.write(kArchivist, path, o));
    std::ifstream in(path, std::ios::binary);
    json out = json::parse(in);
    REQUIRE(out.size() == 3);
    REQUIRE(out[0]["attachments"].size() == 1);
    json a = out[0]["attachments"][0];
    CHECK(a["filename"] == "批复.pdf");
    CHECK(a["sha256"] == std::string(64, 'a'));
    CHECK(a["format"] == "PDF 1.7");
    REQUIRE(a["signatures"].size() == 2);
    CHECK(a["signatures"][0]["signer"] == "张三");
    CHECK(a["signatures"][0]["integrity"] == "not_intact");
    CHECK(a["signatures"][0]["trust"] == "not_verified");
    CHECK(a["signatures"][0]["detail"]["coverage"] == "incomplete");
    CHECK(a["signatures"][1]["source"] == "recorded");
    CHECK(a["signatures"][1]["method"] == "paper");
    CHECK(a["signatures"][1]["integrity"].is_null());
    CHECK(out[1]["attachments"].empty());
    // CSV keeps its columns (no attachments column).
    o.format = Format::csv;
    REQUIRE(f.exporter.write(kArchivist, f.file("out.csv"), o));
    std::ifstream csv(f.file("out.csv"), std::ios::binary);
    std::string header;
    std::getline(csv, header);
    CHECK(header.find("attachments") == std::string::npos);
  });
}

TEST_CASE("transfer: filters, Dublin Core, and who may export") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    f.import(Input::memory(std::make_shared<const std::string>(kRecords)));
    ExportOptions o;
    o.format = Format::dublin_core;
    o.filter.year_from = 1998;
    o.filter.year_to = 2001;
    auto n = f.exporter.write(kArchivist, f.file("dc.xml"), o);
    REQUIRE(n);
    CHECK(*n == 2);
    pugi::xml_document doc;
    REQUIRE(doc.load_file(f.file("dc.xml").c_str()));
    auto root = doc.document_element();
    CHECK(std::string(root.name()) == "records");
    CHECK(std::string(root.attribute("xmlns:dc").value()) == "http://purl.org/dc/elements/1.1/");
    auto first = root.child("oai_dc:dc");
    CHECK(std::string(first.child_value("dc:title")) == "城市建设档案 \"第一卷\"");
    CHECK(std::string(first.child_value("dc:identifier")) == "QZ01-WS-1998-D30-0001");
    CHECK(std::string(first.child_value("dc:date")) == "1998-03-05/1998-12-31");
    CHECK(std::string(first.child_value("dc:type")) == "Text");
    CHECK(std::string(first.child_value("dc:rights")) == "access: open");
    std::vector<std::string> subjects, relations;
    for (auto s : first.children("dc:subject")) subjects.push_back(s.child_value());
    for (auto s : first.children("dc:relation")) relations.push_back(s.child_value());
    CHECK(subjects == std::vector<std::string>{"城建", "规划"});
    REQUIRE(relations.size() == 2);
    CHECK(relations[0].starts_with("fonds QZ01"));
    CHECK(relations[1].starts_with("category WS"));
    auto second = first.next_sibling("oai_dc:dc");
    CHECK(std::string(second.child_value("dc:date")) == "2001");
    CHECK(std::string(second.child_value("dc:rights")) == "access: controlled");

    o.format = Format::json;
    o.filter = {};
    o.filter.access_level = "secret";
    n = f.exporter.write(kArchivist, f.file("s.json"), o);
    REQUIRE(n);
    CHECK(*n == 1);
    o.filter = {};
    o.filter.fonds = "QZ99";
    CHECK(f.exporter.write(kArchivist, f.file("x.json"), o).error().message ==
          "no fonds with code QZ99");
    o.filter = {};
    o.filter.category = "WS";
    CHECK(f.exporter.write(kArchivist, f.file("c.json"), o) == 3);
    o.filter.status = "closed";
    CHECK(f.exporter.write(kArchivist, f.file("c.json"), o) == 0);
    o.filter.status = "all";
    CHECK(f.exporter.write(kArchivist, f.file("c.json"), o) == 3);

    auto agent = f.exporter.write(actor(Role::agent), f.file("a.json"), o);
    REQUIRE_FALSE(agent);
    CHECK(agent.error().code == ErrorCode::forbidden);
    CHECK(f.exporter.write(actor(Role::manager), f.file("m.json"), o) == 3);
  });
}

}  // namespace
}  // namespace dangan::transfer
