// export_requests_test.cpp — bulk exports through the API need a manager's approval (D42):
// small open exports run at once; big ones or ones with controlled or secret records wait
// as pending requests; a manager (never the requester) approves or rejects with a
// reason; the approved export runs and only its requester downloads it; files expire.
#include "transfer/export_requests.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "auth/auth.h"
#include "store/test_databases.h"
#include "transfer/import.h"

namespace dangan::transfer {
namespace {

using json = nlohmann::json;
using testing::each_backend;
using testing::TestDatabase;
namespace fs = std::filesystem;

struct TestClock : Clock {
  TimePoint t = std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now());
  TimePoint now() const override { return t; }
};

const char* kRecords =
    "档号,题名,年度,保管期限,密级\r\n"
    "E-1,开放一,1998,30年,开放\r\n"
    "E-2,开放二,1999,30年,开放\r\n"
    "E-3,开放三,2000,30年,开放\r\n"
    "E-4,控制,2001,30年,控制\r\n"
    "E-5,涉密,2002,30年,涉密\r\n";

struct Fixture {
  TestDatabase t;
  Config config;
  TestClock clock;
  audit::ReadRecorder reads;
  catalogue::Service catalogue;
  Importer importer;
  Exporter exporter;
  fs::path dir;
  std::unique_ptr<ExportRequests> exports;
  Actor archivist, archivist2, manager, manager2, agent, auditor;

  explicit Fixture(const std::string& backend)
      : t(backend),
        reads(t.db()),
        catalogue(t.db(), reads, config),
        importer(t.db(), catalogue),
        exporter(t.db(), catalogue) {
    REQUIRE(catalogue.ensure_defaults());
    dir = fs::temp_directory_path() / ("dangan-exports-test-" + testing::unique_suffix());
    config.export_dir = (dir / "exports").string();
    config.export_approval_threshold = 3;
    exports = std::make_unique<ExportRequests>(t.db(), exporter, config, clock);
    archivist = user("arch", Role::archivist);
    archivist2 = user("arch2", Role::archivist);
    manager = user("mgr", Role::manager);
    manager2 = user("mgr2", Role::manager);
    agent = user("agent", Role::agent);
    auditor = user("aud", Role::auditor);
    auto in = Input::memory(std::make_shared<const std::string>(kRecords));
    auto job = importer.start(archivist, in, {});
    REQUIRE(job);
    auto done = importer.run(archivist, (*job)["id"].get<std::int64_t>(), in, {});
    REQUIRE(done);
    REQUIRE((*done)["rows_imported"] == 5);
  }
  ~Fixture() {
    exports.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  Actor user(const std::string& name, Role role) {
    auto tx = t.db().begin(store::TxMode::write);
    REQUIRE(tx);
    auto u = auth::create_user(**tx, {name, name, "a long enough passphrase 42", role});
    if (!u) FAIL(u.error().message);
    REQUIRE((*tx)->commit());
    Actor a;
    a.user_id = u->id;
    a.username = name;
    a.role = role;
    return a;
  }
  std::int64_t audits(const std::string& action) {
    auto tx = t.db().begin(store::TxMode::read);
    REQUIRE(tx);
    auto r = (*tx)->one("SELECT COUNT(*) FROM audit_log WHERE action = ?", {action}, "n");
    REQUIRE(r);
    return r->i64(0);
  }
};

ExportOptions options(Format f, std::optional<std::string> access = std::nullopt) {
  ExportOptions o;
  o.format = f;
  o.filter.access_level = access;
  return o;
}

template <class T>
Error error_of(const Result<T>& r) {
  REQUIRE_FALSE(r);
  return r.error();
}

}  // namespace

TEST_CASE("transfer: small open exports run at once; big or protected ones wait for approval") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    // Three open records: at the threshold, open only: runs now.
    auto now = f.exports->create(f.archivist, options(Format::csv, "open"), "");
    REQUIRE(now);
    CHECK(now->ran_now);
    CHECK(now->request["status"] == "ready");
    CHECK(now->request["rows"] == 3);
    CHECK(now->request["needs_approval"] == false);
    auto id = now->request["id"].get<std::int64_t>();
    auto file = f.exports->download(f.archivist, id);
    REQUIRE(file);
    CHECK(file->body.find("E-2") != std::string::npos);
    CHECK(file->body.find("E-4") == std::string::npos);
    CHECK(f.audits("record.export") == 1);
    CHECK(f.audits("record.export_download") == 1);

    // Everything: over the threshold and controlled/secret records: pending.
    auto big = f.exports->create(f.archivist, options(Format::json), "年度移交 annual transfer");
    REQUIRE(big);
    CHECK_FALSE(big->ran_now);
    json req = big->request;
    CHECK(req["status"] == "pending");
    CHECK(req["reasons"][0] == "more than 3 records");
    CHECK(req["purpose"] == "年度移交 annual transfer");
    CHECK(req["requested_by"]["username"] == "arch");
    auto rid = req["id"].get<std::int64_t>();
    // Asked again: the same request, not a second one.
    auto again = f.exports->create(f.archivist, options(Format::json), "");
    REQUIRE(again);
    CHECK(again->request["id"] == rid);
    // One controlled record alone also needs approval.
    auto controlled = f.exports->create(f.archivist, options(Format::csv, "controlled"), "");
    REQUIRE(controlled);
    CHECK(controlled->request["status"] == "pending");
    CHECK(controlled->request["reasons"] == json::array({"includes controlled records"}));
    CHECK(f.audits("record.export_request") == 3);

    // Nothing to download yet; nobody but a manager decides, and never on their own.
    CHECK(error_of(f.exports->download(f.archivist, rid)).code == ErrorCode::conflict);
    CHECK(error_of(f.exports->approve(f.archivist2, rid, "ok")).code == ErrorCode::forbidden);
    CHECK(error_of(f.exports->approve(f.agent, rid, "ok")).code == ErrorCode::forbidden);
    CHECK(error_of(f.exports->approve(f.manager, rid, " ")).field == "reason");
    auto own = f.exports->create(f.manager, options(Format::csv), "");
    REQUIRE(own);
    CHECK(error_of(f.exports->approve(f.manager, own->request["id"].get<std::int64_t>(), "mine"))
              .code == ErrorCode::forbidden);

    // Who sees which requests.
    auto mine = f.exports->list(f.archivist2, std::nullopt, std::nullopt, 50);
    REQUIRE(mine);
    CHECK(mine->at("items").empty());
    CHECK(error_of(f.exports->get(f.archivist2, rid)).code == ErrorCode::not_found);
    auto queue = f.exports->list(f.manager2, "pending", std::nullopt, 50);
    REQUIRE(queue);
    CHECK(queue->at("items").size() == 3);
    CHECK(f.exports->get(f.auditor, rid));
    CHECK(error_of(f.exports->list(f.agent, std::nullopt, std::nullopt, 50)).code ==
          ErrorCode::forbidden);

    // Approved: it runs; only the requester downloads.
    auto approved = f.exports->approve(f.manager, rid, "移交市档案馆 transfer agreed");
    REQUIRE(approved);
    f.exports->wait_idle();
    auto ready = f.exports->get(f.archivist, rid);
    REQUIRE(ready);
    CHECK(ready->at("status") == "ready");
    CHECK(ready->at("rows") == 5);
    CHECK(ready->at("decided_by")["username"] == "mgr");
    CHECK(ready->at("decision_reason") == "移交市档案馆 transfer agreed");
    CHECK(error_of(f.exports->download(f.manager, rid)).code == ErrorCode::forbidden);
    auto got = f.exports->download(f.archivist, rid);
    REQUIRE(got);
    json rows = json::parse(got->body);
    CHECK(rows.size() == 5);
    CHECK(got->content_type.starts_with("application/json"));
    CHECK(error_of(f.exports->approve(f.manager2, rid, "twice")).code == ErrorCode::conflict);

    // Rejected with a reason: never runs.
    auto cid = controlled->request["id"].get<std::int64_t>();
    auto rejected = f.exports->reject(f.manager2, cid, "no purpose given");
    REQUIRE(rejected);
    CHECK(rejected->at("status") == "rejected");
    CHECK(error_of(f.exports->download(f.archivist, cid)).code == ErrorCode::conflict);
    CHECK(f.audits("record.export_approve") == 1);
    CHECK(f.audits("record.export_reject") == 1);

    // The file goes when the keep time is over.
    fs::path file_path = f.exports->dir() / (std::to_string(rid) + ".json");
    CHECK(fs::exists(file_path));
    f.clock.t += std::chrono::hours(24 * 8);
    auto expired = f.exports->download(f.archivist, rid);
    CHECK(error_of(expired).code == ErrorCode::conflict);
    CHECK(f.exports->get(f.archivist, rid)->at("status") == "expired");
    CHECK_FALSE(fs::exists(file_path));
  });
}

TEST_CASE("transfer: an approved export left by a stopped server runs at start") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    auto big = f.exports->create(f.archivist, options(Format::ndjson), "");
    REQUIRE(big);
    auto id = big->request["id"].get<std::int64_t>();
    {
      auto tx = f.t.db().begin(store::TxMode::write);
      REQUIRE(tx);
      REQUIRE((*tx)->exec("UPDATE export_requests SET status = 'running' WHERE id = ?", {id}));
      REQUIRE((*tx)->commit());
    }
    f.exports->resume();
    f.exports->wait_idle();
    auto done = f.exports->get(f.archivist, id);
    REQUIRE(done);
    CHECK(done->at("status") == "ready");
    CHECK(done->at("rows") == 5);
  });
}

}  // namespace dangan::transfer
