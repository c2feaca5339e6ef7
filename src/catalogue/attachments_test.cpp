// Attachments on both backends: upload (dedup, MIME, text, encryption, virus scan),
// access by role and level, download limits and audit, removal, disposal, fixity.
#include "catalogue/attachments.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "audit/audit.h"
#include "catalogue/attachments_signatures_testing.h"
#include "catalogue/attachments_testing.h"
#include "catalogue/catalogue.h"
#include "catalogue/content.h"
#include "search/search.h"

using namespace dangan;
using namespace dangan::catalogue;
using namespace dangan::catalogue::testing;
namespace att = dangan::catalogue::attachments;
using json = nlohmann::json;

namespace {

Actor actor(Role role, std::int64_t id, std::optional<std::int64_t> patron = std::nullopt) {
  Actor a;
  a.user_id = id;
  a.username = std::string(to_string(role));
  a.role = role;
  a.patron_id = patron;
  return a;
}

const Actor kArchivist = actor(Role::archivist, 1);
const Actor kAgent = actor(Role::agent, 2);
const Actor kManager = actor(Role::manager, 3);
const Actor kAuditor = actor(Role::auditor, 4);
const Actor kPatron = actor(Role::patron, 5, 1);

// One backend's world: a database, a blob directory (and replica), test signatures.
struct World {
  TempDir dir;
  TestDatabase tdb;
  Config config;
  std::vector<std::int64_t> reindexed, used;
  std::vector<std::string> texts_seen;  // attachment text visible when re-indexing
  std::unique_ptr<att::Service> service;

  explicit World(const std::string& backend, bool replica = false,
                 std::function<void(Config&)> tweak = {})
      : tdb(backend, dir.path) {
    write_test_signatures(dir.path / "clamav");
    config.database = tdb.url;
    config.blob_dir = (dir.path / "blobs").string();
    if (replica) config.blob_replica_dir = (dir.path / "replica").string();
    config.clamav_db = (dir.path / "clamav").string();
    if (tweak) tweak(config);
    att::Hooks hooks;
    // What the catalogue's document_of will gather: the texts of active attachments.
    hooks.reindex = [this](store::Tx& tx, std::int64_t record_id) -> Status {
      reindexed.push_back(record_id);
      auto rows = TRY(tx.query(
          "SELECT b.text FROM attachments a JOIN blobs b ON b.sha256 = a.sha256 WHERE "
          "a.record_id = ? AND a.removed = 0 AND b.text_status = 'extracted' ORDER BY a.id",
          {record_id}));
      std::string all;
      for (auto& r : rows) all += r.str(0) + "\n";
      texts_seen.push_back(all);
      return {};
    };
    // Like the catalogue's count_use: its own write transaction, after the download's
    // (which must be gone by then, or this waits for the SQLite writer and fails).
    hooks.count_use = [this](std::int64_t record_id) {
      auto tx = tdb.db->begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE(
          (*tx)->exec("UPDATE records SET use_count = use_count + 1 WHERE id = ?", {record_id}));
      REQUIRE((*tx)->commit());
      used.push_back(record_id);
    };
    service = std::make_unique<att::Service>(*tdb.db, config, hooks);
    REQUIRE(make_patron(*tdb.db, "Zhang Jianguo") == *kPatron.patron_id);
  }
  store::Database& db() { return *tdb.db; }
  fs::path blob_file(const std::string& sha) { return blob_path(dir.path / "blobs", sha); }
  fs::path replica_file(const std::string& sha) { return blob_path(dir.path / "replica", sha); }
};

json must(const Result<json>& r) {
  if (!r) FAIL("unexpected error: ", r.error().message, " (", r.error().field, ")");
  return *r;
}

template <class T>
Error error_of(const Result<T>& r) {
  REQUIRE_FALSE(r);
  return r.error();
}

}  // namespace

TEST_CASE("catalogue:attachments upload stores identical content once and trusts only the bytes") {
  for_each_backend([](const std::string& backend) {
    World w(backend);
    auto open1 = make_record(w.db(), "open", "A-1");
    auto open2 = make_record(w.db(), "open", "A-2");
    std::string pdf = make_pdf({"Deed of gift 1998"});
    // Named like an image: the bytes say PDF.
    json a = must(w.service->upload(kArchivist, open1, "photo.png", pdf));
    CHECK(a["mime"] == "application/pdf");
    CHECK(a["format"] == "PDF 1.4");
    CHECK(a["filename"] == "photo.png");
    CHECK(a["size"] == pdf.size());
    CHECK(a["sha256"] == crypto::sha256_hex(pdf));
    CHECK(a["scan_status"] == "clean");
    CHECK(a["text_status"] == "extracted");
    CHECK(a["encrypted"] == false);
    json b = must(w.service->upload(kArchivist, open2, "deed.pdf", pdf));
    json c = must(w.service->upload(kArchivist, open1, "copy.pdf", pdf));
    CHECK(a["id"] != b["id"]);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM blobs") == 1);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM attachments") == 3);
    int files = 0;
    for (auto& e : fs::recursive_directory_iterator(w.dir.path / "blobs"))
      if (e.is_regular_file()) ++files;
    CHECK(files == 1);
    CHECK(read_file(w.blob_file(a["sha256"])) == pdf);
    auto listed = must(w.service->list(kAgent, open1, false));
    REQUIRE(listed["items"].size() == 2);
    CHECK(listed["items"][0]["filename"] == "photo.png");
    CHECK(listed["items"][1]["filename"] == "copy.pdf");
    auto audited =
        count(w.db(), "SELECT COUNT(*) FROM audit_log WHERE action = 'attachment.create'");
    CHECK(audited == 3);

    // Bad input.
    CHECK(error_of(w.service->upload(kArchivist, open1, "", "x")).field == "filename");
    CHECK(error_of(w.service->upload(kArchivist, open1, "../etc/passwd", "x")).field == "filename");
    CHECK(error_of(w.service->upload(kArchivist, open1, "a.txt", "")).field == "file");
    CHECK(error_of(w.service->upload(kArchivist, 999999, "a.txt", "x")).code ==
          ErrorCode::not_found);
    CHECK(error_of(w.service->upload(kAgent, open1, "a.txt", "x")).code == ErrorCode::forbidden);
    CHECK(error_of(w.service->upload(kPatron, open1, "a.txt", "x")).code == ErrorCode::forbidden);
  });
}

TEST_CASE("catalogue:attachments size limit names the limit") {
  for_each_backend([](const std::string& backend) {
    World w(backend, false, [](Config& c) { c.max_attachment_bytes = 1024; });
    auto rec = make_record(w.db(), "open", "S-1");
    auto e = error_of(w.service->upload(kArchivist, rec, "big.txt", std::string(1025, 'a')));
    CHECK(e.code == ErrorCode::invalid);
    CHECK(e.field == "file");
    CHECK(e.message.find("1024 bytes") != std::string::npos);
    CHECK(w.service->upload(kArchivist, rec, "fits.txt", std::string(1024, 'a')));
  });
}

TEST_CASE(
    "catalogue:attachments text is stored before the record is re-indexed, in one transaction") {
  for_each_backend([](const std::string& backend) {
    World w(backend);
    auto rec = make_record(w.db(), "open", "T-1");
    must(w.service->upload(kArchivist, rec, "report.pdf", make_pdf({"Fixity of the fonds QZ01"})));
    must(w.service->upload(kArchivist, rec, "page.html",
                           "<html><body><h1>Donor&nbsp;agreement</h1><script>nope()</script>"
                           "<p>捐赠协议</p></body></html>"));
    must(
        w.service->upload(kArchivist, rec, "notes.txt", std::string("\xB5\xB5\xB0\xB8 GB text\n")));
    auto binary =
        must(w.service->upload(kArchivist, rec, "blob.bin", std::string("\x00\x01\x02\xFF", 4)));
    CHECK(binary["text_status"] == "none");
    REQUIRE(w.texts_seen.size() == 4);
    CHECK(w.reindexed == std::vector<std::int64_t>{rec, rec, rec, rec});
    const std::string& seen = w.texts_seen.back();
    CHECK(seen.find("Fixity of the fonds QZ01") != std::string::npos);
    CHECK(seen.find("Donor\xC2\xA0"
                    "agreement") != std::string::npos);
    CHECK(seen.find("捐赠协议") != std::string::npos);
    CHECK(seen.find("nope()") == std::string::npos);
    CHECK(seen.find("档案 GB text") != std::string::npos);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM blobs WHERE charset = 'GB18030'") == 1);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM blobs WHERE format = 'GB18030 text'") == 1);
  });
}

TEST_CASE("catalogue:attachments controlled and secret content is encrypted at rest") {
  for_each_backend([](const std::string& backend) {
    World w(backend, true);
    auto open = make_record(w.db(), "open", "E-1");
    auto controlled = make_record(w.db(), "controlled", "E-2");
    auto secret = make_record(w.db(), "secret", "E-3");
    std::string body = "秘密 CONTROLLED-MARKER line\nsecond line\n";
    json c = must(w.service->upload(kArchivist, controlled, "c.txt", body));
    CHECK(c["encrypted"] == true);
    for (auto& f : {w.blob_file(c["sha256"]), w.replica_file(c["sha256"])}) {
      std::string raw = read_file(f);
      CHECK(raw.find("CONTROLLED-MARKER") == std::string::npos);
      CHECK(raw.substr(0, 8) == "DGNBLOB1");
    }
    auto d = w.service->download(kAgent, c["id"]);
    REQUIRE(d);
    CHECK(d->body.find(body) != std::string::npos);
    CHECK(d->body.find("downloaded by agent (user 2)") != std::string::npos);
    CHECK(d->watermark_method == "text");

    // Content first attached to an open record, then to a secret one: re-written encrypted.
    std::string shared = "SHARED-MARKER content\n";
    json o = must(w.service->upload(kArchivist, open, "o.txt", shared));
    CHECK(o["encrypted"] == false);
    CHECK(read_file(w.blob_file(o["sha256"])) == shared);
    json s = must(w.service->upload(kArchivist, secret, "s.txt", shared));
    CHECK(s["encrypted"] == true);
    CHECK(read_file(w.blob_file(o["sha256"])).find("SHARED-MARKER") == std::string::npos);
    CHECK(read_file(w.replica_file(o["sha256"])).find("SHARED-MARKER") == std::string::npos);
    // The open record's attachment still reads (the same blob, decrypted).
    auto od = w.service->download(kPatron, o["id"]);
    REQUIRE(od);
    CHECK(od->body.find(shared) != std::string::npos);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM blobs WHERE encrypted = 1 AND key_id IS NOT NULL") ==
          2);
  });
}

TEST_CASE("catalogue:attachments infected uploads are refused and audited") {
  for_each_backend([](const std::string& backend) {
    World w(backend);
    auto rec = make_record(w.db(), "open", "V-1");
    auto e = error_of(w.service->upload(kArchivist, rec, "eicar.com", eicar()));
    CHECK(e.code == ErrorCode::invalid);
    CHECK(e.field == "file");
    CHECK(e.message.find("Dangan.Test.EICAR") != std::string::npos);
    CHECK(e.message.starts_with(att::kInfectedMessage));
    auto in_pdf = error_of(w.service->upload(kArchivist, rec, "x.pdf", make_pdf({kTestPattern})));
    CHECK(in_pdf.message.find("Dangan.Test.Pattern") != std::string::npos);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM attachments") == 0);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM blobs") == 0);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM audit_log WHERE action = 'attachment.refused'") == 2);
    bool leftovers =
        fs::exists(w.dir.path / "blobs" / "tmp") && !fs::is_empty(w.dir.path / "blobs" / "tmp");
    CHECK_FALSE(leftovers);
  });
}

TEST_CASE("catalogue:attachments an unavailable scanner refuses or accepts as unscanned") {
  for_each_backend([](const std::string& backend) {
    {
      World w(backend, false, [](Config& c) { c.clamav_db = "/nonexistent/clamav"; });
      auto rec = make_record(w.db(), "open", "U-1");
      auto e = error_of(w.service->upload(kArchivist, rec, "a.txt", "hello"));
      CHECK(e.code == ErrorCode::unavailable);
      CHECK(e.message.find("/nonexistent") == std::string::npos);  // paths stay in the log
      CHECK(count(w.db(), "SELECT COUNT(*) FROM attachments") == 0);
    }
    World w(backend, false, [](Config& c) {
      c.clamav_db = "/nonexistent/clamav";
      c.scan_unavailable = "accept";
    });
    auto rec = make_record(w.db(), "open", "U-2");
    json a = must(w.service->upload(kArchivist, rec, "a.txt", "hello"));
    CHECK(a["scan_status"] == "unscanned");
    auto report = must(w.service->fixity_report(kManager));
    CHECK(report["blobs"]["unscanned"] == 1);
  });
}

TEST_CASE("catalogue:attachments access follows the record's level and the role") {
  for_each_backend([](const std::string& backend) {
    World w(backend);
    auto open = make_record(w.db(), "open", "L-1");
    auto controlled = make_record(w.db(), "controlled", "L-2");
    auto secret = make_record(w.db(), "secret", "L-3");
    json o = must(w.service->upload(kArchivist, open, "o.txt", "open text"));
    json c = must(w.service->upload(kArchivist, controlled, "c.txt", "controlled text"));
    json s = must(w.service->upload(kArchivist, secret, "s.txt", "secret text"));
    auto code = [&](const Actor& a, const json& att) {
      auto d = w.service->download(a, att["id"]);
      auto g = w.service->get(a, att["id"]);
      CHECK(d.has_value() == g.has_value());
      if (d && g) return std::string("ok");
      CHECK(d.error().code == g.error().code);
      return std::string(to_string(d.error().code));
    };
    CHECK(code(kPatron, o) == "ok");
    CHECK(code(kPatron, c) == "forbidden");
    CHECK(code(kPatron, s) == "not_found");
    CHECK(code(kAgent, o) == "ok");
    CHECK(code(kAgent, c) == "ok");
    CHECK(code(kAgent, s) == "not_found");
    // Auditors read no records at all: the same 403 whatever the level, so it tells nothing.
    CHECK(code(kAuditor, o) == "forbidden");
    CHECK(code(kAuditor, s) == "forbidden");
    CHECK(code(kManager, s) == "ok");
    CHECK(code(kArchivist, s) == "ok");
    // A hidden attachment answers exactly like one that does not exist.
    auto hidden = error_of(w.service->get(kAgent, s["id"]));
    auto absent = error_of(w.service->get(kAgent, 987654));
    CHECK(hidden.message == absent.message);
    CHECK(error_of(w.service->list(kAgent, secret, false)).code == ErrorCode::not_found);
    CHECK(error_of(w.service->list(kPatron, controlled, false)).code == ErrorCode::forbidden);
    CHECK(must(w.service->list(kPatron, open, false))["items"][0].contains("sha256") == false);
    // Removal by a role that may not see the record: not found, not forbidden.
    Actor writer_without_secret = actor(Role::archivist, 9);
    CHECK(w.service->remove(writer_without_secret, s["id"], ""));  // archivists see secret
    CHECK(error_of(w.service->fixity_report(kAgent)).code == ErrorCode::forbidden);
    CHECK(error_of(w.service->fixity_report(kPatron)).code == ErrorCode::forbidden);
  });
}

TEST_CASE("catalogue:attachments downloads are audited, counted as uses and limited per day") {
  for_each_backend([](const std::string& backend) {
    World w(backend, false, [](Config& c) {
      c.download_limit_controlled = 2;
      c.download_limit_open = 0;
    });
    auto open = make_record(w.db(), "open", "D-1");
    auto controlled = make_record(w.db(), "controlled", "D-2");
    json o =
        must(w.service->upload(kArchivist, open, "o.html", "<html><body><p>x</p></body></html>"));
    json c = must(w.service->upload(kArchivist, controlled, "c.txt", "c"));
    for (int i = 0; i < 5; ++i) REQUIRE(w.service->download(kAgent, o["id"]));
    REQUIRE(w.service->download(kAgent, c["id"]));
    REQUIRE(w.service->download(kAgent, c["id"]));
    auto third = w.service->download(kAgent, c["id"]);
    CHECK(error_of(third).code == ErrorCode::too_many_requests);
    CHECK(third.error().message.find("limit") != std::string::npos);
    // Another user has their own count.
    REQUIRE(w.service->download(kManager, c["id"]));
    CHECK(count(w.db(), "SELECT COUNT(*) FROM audit_log WHERE action = 'attachment.download'") ==
          8);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM attachment_downloads") == 8);
    CHECK(w.used.size() == 8);
    CHECK(count(w.db(), "SELECT use_count FROM records WHERE id = ?", {controlled}) == 3);
    // HEAD: checks only, nothing counted.
    REQUIRE(w.service->download(kAgent, o["id"], true));
    CHECK(w.used.size() == 8);
    auto html = w.service->download(kPatron, o["id"]);
    REQUIRE(html);
    CHECK(html->watermark_method == "html");
    CHECK(html->body.find("downloaded by patron (user 5)") != std::string::npos);
    CHECK(html->filename == "attachment; filename=\"o.html\"; filename*=UTF-8''o.html");
    // A patron's download is on their timeline.
    CHECK(count(w.db(),
                "SELECT COUNT(*) FROM events WHERE patron_id = ? AND kind = "
                "'record.attachment_downloaded'",
                {*kPatron.patron_id}) == 1);
  });
}

TEST_CASE("catalogue:attachments removal keeps shared content and destroys unused content") {
  for_each_backend([](const std::string& backend) {
    World w(backend, true);
    auto r1 = make_record(w.db(), "open", "R-1");
    auto r2 = make_record(w.db(), "open", "R-2");
    json a = must(w.service->upload(kArchivist, r1, "a.txt", "shared bytes"));
    json b = must(w.service->upload(kArchivist, r2, "b.txt", "shared bytes"));
    std::string sha = a["sha256"];
    REQUIRE(w.service->remove(kArchivist, a["id"], "duplicate"));
    CHECK(fs::exists(w.blob_file(sha)));
    CHECK(count(w.db(), "SELECT COUNT(*) FROM blobs") == 1);
    CHECK(must(w.service->list(kAgent, r1, false))["items"].empty());
    CHECK(must(w.service->list(kArchivist, r1, true))["items"][0]["removed"] == true);
    CHECK(error_of(w.service->download(kAgent, a["id"])).code == ErrorCode::not_found);
    CHECK(error_of(w.service->remove(kArchivist, a["id"], "")).code == ErrorCode::not_found);
    CHECK(error_of(w.service->remove(kAgent, b["id"], "")).code == ErrorCode::forbidden);

    exec_sql(w.db(), "UPDATE records SET legal_hold = 1 WHERE id = ?", {r2});
    CHECK(error_of(w.service->remove(kArchivist, b["id"], "")).code == ErrorCode::conflict);
    exec_sql(w.db(), "UPDATE records SET legal_hold = 0 WHERE id = ?", {r2});
    REQUIRE(w.service->remove(kArchivist, b["id"], "wrong file"));
    CHECK_FALSE(fs::exists(w.blob_file(sha)));
    CHECK_FALSE(fs::exists(w.replica_file(sha)));
    CHECK(count(w.db(), "SELECT COUNT(*) FROM blobs") == 0);
    auto gone = must(w.service->list(kArchivist, r2, true))["items"][0];
    CHECK(gone["content_destroyed"] == true);
    CHECK(gone["sha256"] == sha);  // what it was stays known
    CHECK(count(w.db(), "SELECT COUNT(*) FROM audit_log WHERE action = 'attachment.remove'") == 2);
    // Re-indexed after each removal, without the removed text.
    CHECK(w.texts_seen.back().find("shared bytes") == std::string::npos);

    // The same content uploaded again after its destruction is stored again.
    json again = must(w.service->upload(kArchivist, r1, "again.txt", "shared bytes"));
    CHECK(fs::exists(w.blob_file(sha)));
    CHECK(w.service->download(kAgent, again["id"]));
  });
}

TEST_CASE("catalogue:attachments purge_record and delete_blob_files for disposal") {
  for_each_backend([](const std::string& backend) {
    World w(backend);
    auto doomed = make_record(w.db(), "controlled", "P-1");
    auto keeper = make_record(w.db(), "open", "P-2");
    json own = must(w.service->upload(kArchivist, doomed, "own.pdf", make_pdf({"Only here"})));
    json shared = must(w.service->upload(kArchivist, doomed, "shared.txt", "kept elsewhere"));
    must(w.service->upload(kArchivist, keeper, "shared.txt", "kept elsewhere"));
    std::vector<std::string> hashes;
    {
      auto tx = w.db().begin(store::TxMode::write);
      REQUIRE(tx);
      auto purged = att::purge_record(**tx, doomed);
      REQUIRE(purged);
      hashes = *purged;
      REQUIRE((*tx)->commit());
    }
    CHECK(hashes == std::vector<std::string>{own["sha256"].get<std::string>()});
    CHECK(fs::exists(w.blob_file(own["sha256"])));  // files go after the commit
    att::delete_blob_files(w.db(), w.config, hashes);
    CHECK_FALSE(fs::exists(w.blob_file(own["sha256"])));
    CHECK(fs::exists(w.blob_file(shared["sha256"])));
    CHECK(count(w.db(), "SELECT COUNT(*) FROM blobs WHERE text LIKE '%Only here%'") == 0);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM attachments WHERE record_id = ? AND removed = 0",
                {doomed}) == 0);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM attachments WHERE record_id = ? AND removed = 0",
                {keeper}) == 1);
    // Rows left by a purge that only marked attachments removed go too, with their files.
    json other = must(w.service->upload(kArchivist, keeper, "other.txt", "marked only"));
    exec_sql(w.db(), "UPDATE attachments SET removed = 1 WHERE id = ?",
             {other["id"].get<std::int64_t>()});
    att::delete_blob_files(w.db(), w.config, {other["sha256"].get<std::string>()});
    CHECK_FALSE(fs::exists(w.blob_file(other["sha256"])));
    CHECK(count(w.db(), "SELECT COUNT(*) FROM blobs WHERE sha256 = ?",
                {other["sha256"].get<std::string>()}) == 0);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM attachments WHERE removed_sha256 = ?",
                {other["sha256"].get<std::string>()}) == 1);
    // A file whose content was uploaded again before delete_blob_files ran is kept.
    json back = must(w.service->upload(kArchivist, keeper, "own.pdf", make_pdf({"Only here"})));
    att::delete_blob_files(w.db(), w.config, {back["sha256"].get<std::string>()});
    CHECK(fs::exists(w.blob_file(back["sha256"])));
  });
}

TEST_CASE(
    "catalogue:attachments fixity finds a flipped byte and a missing file, repairs from the "
    "replica") {
  for_each_backend([](const std::string& backend) {
    World w(backend, true);
    auto open = make_record(w.db(), "open", "F-1");
    auto secret = make_record(w.db(), "secret", "F-2");
    json a = must(w.service->upload(kArchivist, open, "a.txt", "alpha content"));
    json b = must(w.service->upload(kArchivist, secret, "b.txt", "beta content"));
    json c = must(w.service->upload(kArchivist, open, "c.txt", "gamma content"));
    std::string sa = a["sha256"], sb = b["sha256"], sc = c["sha256"];
    // A flipped byte in a primary, a missing replica, a missing primary of an encrypted blob.
    std::string raw = read_file(w.blob_file(sa));
    raw[3] ^= 0x20;
    write_file(w.blob_file(sa), raw);
    fs::remove(w.replica_file(sc));
    fs::remove(w.blob_file(sb));

    att::FixityOptions all;
    all.all = true;
    auto run = att::run_fixity(w.db(), w.config, all);
    REQUIRE(run);
    CHECK(run->checked == 3);
    CHECK(run->ok == 3);
    CHECK(run->failed == 0);
    CHECK(run->repaired == 3);
    REQUIRE(run->problems.size() == 3);
    for (auto& p : run->problems) CHECK(p.repaired);
    CHECK(read_file(w.blob_file(sa)) == "alpha content");
    CHECK(fs::exists(w.replica_file(sc)));
    CHECK(read_file(w.blob_file(sb)).substr(0, 8) == "DGNBLOB1");
    CHECK(
        count(w.db(),
              "SELECT COUNT(*) FROM blobs WHERE fixity_ok = 1 AND fixity_checked_at IS NOT NULL") ==
        3);

    // Without a good copy anywhere: reported, kept failing, named in the report.
    write_file(w.blob_file(sa), "alpha contenT");
    write_file(w.replica_file(sa), "alpha contenX");
    fs::remove(w.blob_file(sc));
    fs::remove(w.replica_file(sc));
    auto second = att::run_fixity(w.db(), w.config, all);
    REQUIRE(second);
    CHECK(second->failed == 2);
    CHECK(second->ok == 1);
    auto report = must(w.service->fixity_report(kArchivist));
    CHECK(report["blobs"]["failed"] == 2);
    CHECK(report["runs"].size() == 2);
    CHECK(report["runs"][0]["failed"] == 2);
    REQUIRE(report["items"].size() == 2);
    std::string details = report["items"].dump();
    CHECK(details.find("mismatch") != std::string::npos);
    CHECK(details.find("missing") != std::string::npos);
    CHECK(details.find("a.txt") != std::string::npos);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM audit_log WHERE action = 'fixity.run'") == 2);

    // --older-than: recently checked blobs are skipped.
    att::FixityOptions recent;
    recent.older_than_days = 30;
    auto third = att::run_fixity(w.db(), w.config, recent);
    REQUIRE(third);
    CHECK(third->checked == 0);
  });
}

TEST_CASE(
    "catalogue:attachments fixity without a replica reports; encrypts blobs of records made "
    "protected") {
  for_each_backend([](const std::string& backend) {
    World w(backend);
    auto rec = make_record(w.db(), "open", "G-1");
    json a = must(w.service->upload(kArchivist, rec, "a.txt", "PROTECT-ME later"));
    json b = must(w.service->upload(kArchivist, rec, "b.txt", "other"));
    std::string raw = read_file(w.blob_file(b["sha256"]));
    raw[0] ^= 1;
    write_file(w.blob_file(b["sha256"]), raw);
    exec_sql(w.db(), "UPDATE records SET access_level = 'secret' WHERE id = ?", {rec});
    att::FixityOptions all;
    all.all = true;
    auto run = att::run_fixity(w.db(), w.config, all);
    REQUIRE(run);
    CHECK(run->failed == 1);
    CHECK(run->encrypted == 1);
    CHECK(read_file(w.blob_file(a["sha256"])).find("PROTECT-ME") == std::string::npos);
    CHECK(count(w.db(), "SELECT COUNT(*) FROM blobs WHERE encrypted = 1") == 1);
    auto d = w.service->download(kManager, a["id"]);
    REQUIRE(d);
    CHECK(d->body.find("PROTECT-ME later") != std::string::npos);
    auto broken = w.service->download(kManager, b["id"]);
    CHECK(error_of(broken).code == ErrorCode::internal);
  });
}

TEST_CASE(
    "catalogue:attachments the record is found by its attachments' text, and not after removal") {
  for_each_backend([](const std::string& backend) {
    TempDir dir;
    TestDatabase tdb(backend, dir.path);
    write_test_signatures(dir.path / "clamav");
    Config config;
    config.database = tdb.url;
    config.blob_dir = (dir.path / "blobs").string();
    config.clamav_db = (dir.path / "clamav").string();
    audit::ReadRecorder reads(*tdb.db);
    catalogue::Service cat(*tdb.db, reads, config);
    REQUIRE(cat.ensure_defaults());
    att::Hooks hooks;  // as the server wires them
    hooks.reindex = [&cat](store::Tx& tx, std::int64_t id) -> Status {
      auto doc = TRY(cat.document_of(tx, id));
      return search::upsert(tx, doc);
    };
    hooks.count_use = [&cat](std::int64_t id) { REQUIRE(cat.count_use(id)); };
    att::Service service(*tdb.db, config, hooks);
    json rec =
        must(cat.create_record(kArchivist, {{"title", "捐赠协议"}, {"access_level", "open"}}));
    std::int64_t id = rec["id"];
    auto found = [&](const std::string& q) {
      auto tx = tdb.db->begin(store::TxMode::read);
      REQUIRE(tx);
      search::Query query;
      query.q = q;
      query.audience = search::Audience::staff_all;
      query.facets = false;
      auto r = search::run(**tx, query, cat.weights());
      if (!r) FAIL("search: ", r.error().message);
      return std::any_of(r->items.begin(), r->items.end(), [&](auto& h) { return h.id == id; });
    };
    CHECK_FALSE(found("zebrafixity"));
    json pdf = must(service.upload(kArchivist, id, "report.pdf", make_pdf({"zebrafixity report"})));
    json html = must(
        service.upload(kArchivist, id, "page.html",
                       "<html><body><p>馆藏鉴定</p><script>quokkascript</script></body></html>"));
    CHECK(found("zebrafixity"));
    CHECK(found("馆藏鉴定"));
    CHECK_FALSE(found("quokkascript"));
    REQUIRE(service.download(kAgent, pdf["id"]));
    CHECK(must(cat.get_record(kArchivist, id))["use_count"] == 1);
    REQUIRE(service.remove(kArchivist, pdf["id"], "test"));
    CHECK_FALSE(found("zebrafixity"));
    CHECK(found("馆藏鉴定"));
  });
}

TEST_CASE("catalogue:attachments signatures embedded in PDFs are stored, shown and reported") {
  for_each_backend([](const std::string& backend) {
    World w(backend);
    auto rec = make_record(w.db(), "open", "S-1");
    auto secret = make_record(w.db(), "secret", "S-2");
    TestSigner signer = make_test_signer("张三", "上海市档案馆");
    std::string good = make_signed_pdf(signer);
    std::string tampered = tamper_signed_pdf(good);
    std::string appended = append_update(good);

    json a = must(w.service->upload(kArchivist, rec, "signed.pdf", good));
    REQUIRE(a["signatures"].size() == 1);
    json s = a["signatures"][0];
    CHECK(s["source"] == "embedded");
    CHECK(s["signer"] == "张三");
    CHECK(s["signed_at"] == "2026-11-26T10:30:00+08:00");
    CHECK(s["method"] == "adbe.pkcs7.detached");
    CHECK(s["integrity"] == "intact");
    CHECK(s["trust"] == "not_verified");
    CHECK(s["detail"]["certificate"]["subject"] == "CN=张三,O=上海市档案馆");
    CHECK(s["detail"]["coverage"] == "complete");

    json t = must(w.service->upload(kArchivist, rec, "tampered.pdf", tampered));
    CHECK(t["signatures"][0]["integrity"] == "not_intact");
    CHECK(t["signatures"][0]["detail"]["digest"] == "mismatch");
    json u = must(w.service->upload(kArchivist, secret, "updated.pdf", appended));
    CHECK(u["signatures"][0]["integrity"] == "not_intact");
    CHECK(u["signatures"][0]["detail"]["coverage"] == "incomplete");
    json plain = must(w.service->upload(kArchivist, rec, "plain.pdf", make_pdf({"unsigned"})));
    CHECK(plain["signatures"].empty());

    // The list and one attachment carry them; a patron sees who signed and whether the
    // file is intact, not the inspection's detail.
    auto listed = must(w.service->list(kAgent, rec, false));
    REQUIRE(listed["items"].size() == 3);
    CHECK(listed["items"][0]["signatures"][0]["integrity"] == "intact");
    CHECK(listed["items"][1]["signatures"][0]["integrity"] == "not_intact");
    auto seen = must(w.service->get(kPatron, a["id"].get<std::int64_t>()));
    CHECK(seen["signatures"][0]["signer"] == "张三");
    CHECK(seen["signatures"][0]["integrity"] == "intact");
    CHECK_FALSE(seen["signatures"][0].contains("detail"));

    // The upload's audit entry says what was found.
    auto tx = w.db().begin(store::TxMode::read);
    REQUIRE(tx);
    auto row = (*tx)->one(
        "SELECT detail FROM audit_log WHERE action = 'attachment.create' AND entity_id = ?",
        {std::to_string(t["id"].get<std::int64_t>())}, "audit");
    REQUIRE(row);
    json detail = json::parse(row->str(0));
    CHECK(detail["signatures"][0]["integrity"] == "not_intact");
    tx->reset();

    // The fixity report names the attachments whose signature is not intact.
    auto report = must(w.service->fixity_report(kManager));
    CHECK(report["signatures"]["embedded"] == 3);
    CHECK(report["signatures"]["intact"] == 1);
    CHECK(report["signatures"]["not_intact"] == 2);
    REQUIRE(report["signatures"]["items"].size() == 2);
    CHECK(report["signatures"]["items"][0]["filename"] == "tampered.pdf");
    CHECK(report["signatures"]["items"][1]["filename"] == "updated.pdf");
    CHECK(report["signatures"]["items"][1]["coverage"] == "incomplete");
  });
}

TEST_CASE("catalogue:attachments signatures recorded by staff are checked, audited, withdrawn") {
  for_each_backend([](const std::string& backend) {
    World w(backend);
    auto rec = make_record(w.db(), "controlled", "R-1");
    auto secret = make_record(w.db(), "secret", "R-2");
    json scan = must(w.service->upload(kArchivist, rec, "sign-off.txt", "scanned sign-off"));
    json hidden = must(w.service->upload(kArchivist, secret, "s.txt", "secret sign-off"));
    auto id = scan["id"].get<std::int64_t>();
    json body = {{"signer", "王主任"},
                 {"method", "paper"},
                 {"signed_at", "2019-03-05"},
                 {"certificate_ref", "档案室登记簿 第12页"},
                 {"note", "手写签字，扫描件"}};
    json s = must(w.service->record_signature(kArchivist, id, body));
    CHECK(s["source"] == "recorded");
    CHECK(s["signer"] == "王主任");
    CHECK(s["method"] == "paper");
    CHECK(s["signed_at"] == "2019-03-05");
    CHECK(s["integrity"].is_null());  // nothing was checked
    CHECK(s["trust"].is_null());
    CHECK(s["note"] == "手写签字，扫描件");
    CHECK(count(w.db(),
                "SELECT COUNT(*) FROM audit_log WHERE action = 'attachment.signature_record'") ==
          1);
    auto listed = must(w.service->signatures(kAgent, id));
    REQUIRE(listed["items"].size() == 1);

    // Bad input and who may.
    auto with = [&](const char* k, json v) {
      json b = body;
      b[k] = v;
      return b;
    };
    CHECK(error_of(w.service->record_signature(kArchivist, id, with("signer", "  "))).field ==
          "signer");
    CHECK(error_of(w.service->record_signature(kArchivist, id, with("method", "magic"))).field ==
          "method");
    CHECK(error_of(w.service->record_signature(kArchivist, id, with("signed_at", "2019-13-40")))
              .field == "signed_at");
    CHECK(error_of(w.service->record_signature(kArchivist, id, with("signer", 5))).field ==
          "signer");
    CHECK(error_of(w.service->record_signature(kAgent, id, body)).code == ErrorCode::forbidden);
    CHECK(error_of(w.service->record_signature(kPatron, id, body)).code == ErrorCode::forbidden);
    CHECK(error_of(w.service->record_signature(kArchivist, 99999, body)).code ==
          ErrorCode::not_found);
    CHECK(error_of(w.service->signatures(kAgent, hidden["id"].get<std::int64_t>())).code ==
          ErrorCode::not_found);  // a secret record's attachment stays hidden
    CHECK(error_of(w.service->signatures(kPatron, id)).code == ErrorCode::forbidden);
    json timed = must(w.service->record_signature(
        kArchivist, id, with("signed_at", "2019-03-05T10:00:00Z")));
    CHECK(timed["signed_at"] == "2019-03-05T10:00:00Z");

    // Withdrawn with a reason; gone from the list, kept with include_removed.
    auto sid = s["id"].get<std::int64_t>();
    auto blank = w.service->withdraw_signature(kArchivist, id, sid, " ");
    REQUIRE_FALSE(blank);
    CHECK(blank.error().field == "reason");
    REQUIRE(w.service->withdraw_signature(kArchivist, id, sid, "entered on the wrong file"));
    CHECK(must(w.service->signatures(kAgent, id))["items"].size() == 1);
    auto all = must(w.service->signatures(kAgent, id, true));
    REQUIRE(all["items"].size() == 2);
    CHECK(all["items"][0]["removed"] == true);
    CHECK_FALSE(w.service->withdraw_signature(kArchivist, id, sid, "again"));
    CHECK(count(w.db(),
                "SELECT COUNT(*) FROM audit_log WHERE action = 'attachment.signature_withdraw' "
                "AND reason = 'entered on the wrong file'") == 1);

    // An embedded signature cannot be withdrawn.
    TestSigner signer = make_test_signer("张三", "Test");
    json pdf = must(w.service->upload(kArchivist, rec, "signed.pdf", make_signed_pdf(signer)));
    auto pid = pdf["id"].get<std::int64_t>();
    auto esid = pdf["signatures"][0]["id"].get<std::int64_t>();
    auto refused = w.service->withdraw_signature(kArchivist, pid, esid, "try");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::conflict);
  });
}
