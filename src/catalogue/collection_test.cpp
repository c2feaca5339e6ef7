// collection_test.cpp — accessions, storeroom climate alerts and labels, on both backends.
#include "catalogue/collection.h"

#include <doctest/doctest.h>

#include "catalogue/catalogue.h"
#include "patrons/patrons.h"
#include "store/test_databases.h"

namespace dangan::catalogue {
namespace {

using json = nlohmann::json;
using testing::each_backend;
using testing::TestDatabase;

Actor staff(Role role, std::int64_t id) {
  Actor a;
  a.user_id = id;
  a.username = std::string(to_string(role));
  a.role = role;
  return a;
}
const Actor kArchivist = staff(Role::archivist, 1);
const Actor kAgent = staff(Role::agent, 2);
const Actor kAdmin = staff(Role::administrator, 3);

json must(Result<json> r) {
  if (!r) FAIL_CHECK(r.error().message, " (field ", r.error().field, ")");
  REQUIRE(r);
  return *r;
}

struct Fixture {
  TestDatabase t;
  Config config;
  audit::ReadRecorder reads;
  Service catalogue;
  Collection c;
  explicit Fixture(const std::string& backend)
      : t(backend), reads(t.db()), catalogue(t.db(), reads, config), c(t.db(), &reads) {
    REQUIRE(catalogue.ensure_defaults());
  }
};

TEST_CASE("catalogue: accessions are numbered per year, need a donor for donations, link records") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json donor = must(f.c.create_donor(kArchivist, {{"kind", "person"}, {"name", "王老先生"}}));
    json agreement = must(f.c.create_agreement(kArchivist, {{"donor_id", donor["id"]}, {"kind", "donation"}, {"signed_on", "2024-03-01"}, {"terms", "无偿捐赠，十年内仅限馆内阅览"}}));
    json plan = must(f.c.create_plan(kArchivist, {{"year", 2024}, {"title", "老照片征集"}, {"target_count", 100}}));
    auto no_donor = f.c.create_accession(kArchivist, {{"method", "donation"}, {"received_on", "2024-04-02"}, {"source", "个人捐赠"}, {"item_count", 3}});
    REQUIRE_FALSE(no_donor);
    CHECK(no_donor.error().field == "donor_id");
    json a1 = must(f.c.create_accession(kArchivist, {{"method", "donation"}, {"agreement_id", agreement["id"]}, {"plan_id", plan["id"]}, {"received_on", "2024-04-02"}, {"source", "个人捐赠"}, {"item_count", 30}, {"condition", "部分霉变"}}));
    json a2 = must(f.c.create_accession(kArchivist, {{"method", "transfer"}, {"plan_id", plan["id"]}, {"received_on", "2024-06-10"}, {"source", "市规划局移交"}, {"item_count", 40}}));
    json a3 = must(f.c.create_accession(kArchivist, {{"method", "transfer"}, {"received_on", "2025-01-05"}, {"source", "市建委"}, {"item_count", 1}}));
    CHECK(a1["accession_number"] == "JS-2024-0001");
    CHECK(a2["accession_number"] == "JS-2024-0002");
    CHECK(a3["accession_number"] == "JS-2025-0001");
    CHECK(a1["donor"]["id"] == donor["id"]);  // taken from the agreement
    json plans = must(f.c.list_plans(kAgent));
    CHECK(plans["items"][0]["items_received"] == 70);
    CHECK(plans["items"][0]["progress"] == doctest::Approx(0.7));
    json rec = must(f.catalogue.create_record(kArchivist, {{"title", "老照片一组"}, {"access_level", "open"}}));
    json linked = must(f.c.link_records(kArchivist, a1["id"], {{"record_ids", {rec["id"]}}}));
    CHECK(linked["records"].size() == 1);
    CHECK(linked["records_linked"] == 1);
    auto agent = f.c.create_donor(kAgent, {{"kind", "person"}, {"name", "x"}});
    REQUIRE_FALSE(agent);
    CHECK(agent.error().code == ErrorCode::forbidden);
  });
}

TEST_CASE("catalogue: climate readings raise one alert per kind until resolved") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json b = must(f.catalogue.create_location(kArchivist, {{"kind", "building"}, {"code", "A"}}));
    json room = must(f.catalogue.create_location(kArchivist, {{"kind", "room"}, {"code", "101"}, {"parent_id", b["id"]}}));
    std::int64_t id = room["id"];
    // Defaults 14–24 °C and 45–60 % RH apply until a threshold is set.
    json ok = must(f.c.add_readings(kArchivist, id, {{"temperature", 20.5}, {"humidity", 50}}));
    CHECK(ok["alerts_raised"].empty());
    CHECK(ok["thresholds"]["configured"] == false);
    json hot = must(f.c.add_readings(kArchivist, id, {{"readings", {{{"temperature", 26.0}, {"humidity", 65}}, {{"temperature", 27.5}, {"humidity", 58}}}}}));
    REQUIRE(hot["alerts_raised"].size() == 2);  // temperature_high and humidity_high, once each
    json alerts = must(f.c.alerts(kAgent, std::string("active"), 50));
    REQUIRE(alerts["items"].size() == 2);
    json t = alerts["items"][0]["kind"] == "temperature_high" ? alerts["items"][0] : alerts["items"][1];
    CHECK(t["readings"] == 2);
    CHECK(t["worst_value"] == doctest::Approx(27.5));
    CHECK(t["threshold"] == doctest::Approx(24.0));
    // At the threshold exactly is in range.
    json edge = must(f.c.add_readings(kArchivist, id, {{"temperature", 14.0}, {"humidity", 45.0}}));
    CHECK(edge["alerts_raised"].empty());
    // Room thresholds override; an agent cannot set them.
    auto agent = f.c.set_thresholds(kAgent, id, {{"temperature_min", 16}, {"temperature_max", 20}, {"humidity_min", 40}, {"humidity_max", 55}});
    REQUIRE_FALSE(agent);
    must(f.c.set_thresholds(kAdmin, id, {{"temperature_min", 16}, {"temperature_max", 20}, {"humidity_min", 40}, {"humidity_max", 55}}));
    json cold = must(f.c.add_readings(kArchivist, id, {{"temperature", 15.0}}));
    REQUIRE(cold["alerts_raised"].size() == 1);
    CHECK(cold["alerts_raised"][0]["kind"] == "temperature_low");
    auto resolve_no_note = f.c.update_alert(kArchivist, t["id"], "resolve", "");
    REQUIRE_FALSE(resolve_no_note);
    CHECK(resolve_no_note.error().field == "note");
    CHECK(must(f.c.update_alert(kArchivist, t["id"], "acknowledge", "已开空调"))["status"] == "acknowledged");
    CHECK(must(f.c.update_alert(kArchivist, t["id"], "resolve", "温度恢复"))["status"] == "resolved");
    // After resolution a new excursion raises a new alert.
    json again = must(f.c.add_readings(kArchivist, id, {{"temperature", 22.0}}));
    REQUIRE(again["alerts_raised"].size() == 1);
    CHECK(again["alerts_raised"][0]["id"] != t["id"]);
    auto bad = f.c.add_readings(kArchivist, id, {{"humidity", 120}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().field == "humidity");
  });
}

TEST_CASE("catalogue: labels carry the code as a barcode; box labels show one customer or a range") {
  each_backend([](const std::string& backend) {
    Fixture f(backend);
    json b = must(f.catalogue.create_location(kArchivist, {{"kind", "building"}, {"code", "A"}}));
    json box = must(f.catalogue.create_location(kArchivist, {{"kind", "box"}, {"code", "7"}, {"parent_id", b["id"]}, {"capacity", 10}}));
    json r1 = must(f.catalogue.create_record(kArchivist, {{"title", "低压客户甲 <档案>"}, {"access_level", "open"}, {"location_id", box["id"]}}));
    json r2 = must(f.catalogue.create_record(kArchivist, {{"title", "低压客户乙"}, {"access_level", "open"}, {"location_id", box["id"]}}));
    auto label = f.c.record_label(kAgent, r1["id"]);
    REQUIRE(label);
    CHECK(label->find(r1["reference_code"].get<std::string>()) != std::string::npos);
    CHECK(label->find("&lt;档案&gt;") != std::string::npos);  // escaped
    CHECK(label->find("<rect x=") != std::string::npos);       // bars
    auto spine = f.c.box_label(kAgent, box["id"]);
    REQUIRE(spine);
    CHECK(spine->find(r1["reference_code"].get<std::string>() + " — " + r2["reference_code"].get<std::string>()) != std::string::npos);
    CHECK(spine->find("共 2 卷") != std::string::npos);
    json secret = must(f.catalogue.create_record(kArchivist, {{"title", "涉密"}, {"access_level", "secret"}}));
    CHECK_FALSE(f.c.record_label(kAgent, secret["id"]));
    // A high-voltage customer's box: the customer's name heads the spine, as the patron list
    // shows it to whoever prints it; an analyst's label has the file without the name.
    patrons::Service registry(f.t.db(), f.reads);
    const Actor manager = staff(Role::manager, 4);
    auto customer = registry.create(manager, {{"type", "person"}, {"name", "高压客户王五"}});
    REQUIRE(customer);
    const std::int64_t pid = customer->patron["id"];
    json hv = must(f.catalogue.create_location(kArchivist, {{"kind", "box"}, {"code", "8"}, {"parent_id", b["id"]}, {"capacity", 1}}));
    json file = must(f.catalogue.create_record(kArchivist, {{"title", "高压供用电合同"}, {"access_level", "open"}, {"location_id", hv["id"]}, {"patron_id", pid}}));
    auto hv_label = f.c.box_label(kAgent, hv["id"]);
    REQUIRE(hv_label);
    CHECK(hv_label->find("高压客户王五") != std::string::npos);
    CHECK(hv_label->find(file["reference_code"].get<std::string>()) != std::string::npos);
    auto analyst_label = f.c.box_label(staff(Role::analyst, 5), hv["id"]);
    REQUIRE(analyst_label);
    CHECK(analyst_label->find("高压客户王五") == std::string::npos);
  });
}

}  // namespace
}  // namespace dangan::catalogue
