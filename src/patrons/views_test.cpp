#include <doctest/doctest.h>

#include "patrons/fields.h"

using namespace dangan;
using namespace dangan::patrons;
using json = nlohmann::json;

namespace {
json sample() {
  return {{"id", 7},
          {"type", "person"},
          {"status", "active"},
          {"name", "张伟"},
          {"name_latin", "Zhang Wei"},
          {"gender", "male"},
          {"birth_date", "1980-05-06"},
          {"region", "北京市朝阳区"},
          {"postcode", "100020"},
          {"address", "北京市朝阳区建国路88号"},
          {"household_registration", "河北省保定市"},
          {"education", "本科"},
          {"occupation", "教师"},
          {"organisation_name", nullptr},
          {"organisation_relation", nullptr},
          {"sector", nullptr},
          {"organisation_size", nullptr},
          {"preferred_channel", "email"},
          {"preferred_language", "zh-Hans"},
          {"preferred_contact_times", nullptr},
          {"economic_status", "低收入"},
          {"special_needs", nullptr},
          {"staff_notes", "常来查家谱"},
          {"phones", {"13812345678"}},
          {"emails", {"zhang@example.cn"}},
          {"contacts", {{{"id", 1}, {"kind", "phone"}, {"value", "13812345678"}}}},
          {"id_document", {{"type", "resident_id"}, {"number", "11010519491231002X"}}}};
}
}  // namespace

TEST_CASE("agents see masked identifiers and no economic status") {
  json v = detail::apply_view(sample(), View::masked);
  CHECK(v["phones"][0] == "138****5678");
  CHECK(v["contacts"][0]["value"] == "138****5678");
  CHECK(v["id_document"]["number"] == "110105********002X");
  CHECK(v["emails"][0] == "z***@example.cn");
  CHECK(v["birth_date"] == "1980-**-**");
  CHECK(v["address"] == "北京市朝阳区****");
  CHECK(v["economic_status"].is_null());
  CHECK(v["name"] == "张伟");
  CHECK(v["staff_notes"] == "常来查家谱");
}

TEST_CASE("analysts see no direct identifier of a person") {
  json v = detail::apply_view(sample(), View::deidentified);
  for (auto* k : {"name", "name_latin", "address", "postcode", "household_registration",
                  "id_document", "economic_status", "staff_notes"})
    CHECK_MESSAGE(v[k].is_null(), k);
  CHECK(v["phones"].empty());
  CHECK(v["emails"].empty());
  CHECK(v["contacts"].empty());
  CHECK(v["region"] == "北京市朝阳区");
  CHECK(v["birth_date"] == "1980-**-**");
}

TEST_CASE("a patron sees themself in full but not the staff notes") {
  json v = detail::apply_view(sample(), View::self);
  CHECK(v["phones"][0] == "13812345678");
  CHECK_FALSE(v.contains("staff_notes"));
}

TEST_CASE("input: unknown fields, bad IDs and key fields are named") {
  auto r = detail::parse_input({{"type", "person"}, {"name", "x"}, {"nickname", "y"}}, true, false);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "nickname");
  r = detail::parse_input(
      {{"type", "person"},
       {"name", "x"},
       {"id_document", {{"type", "resident_id"}, {"number", "110105194912310021"}}}},
      true, false);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "id_document.number");
  r = detail::parse_input({{"name", "x"}}, true, false);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "type");
  r = detail::parse_input({{"phones", {"13812345678", "not a phone"}}}, false, false);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "phones[1]");
  r = detail::parse_input({{"name", "new name"}}, false, true);  // a patron may not rename
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::forbidden);
  CHECK(detail::parse_input({{"phones", {"13812345678"}}, {"consents", {{"marketing", false}}}},
                            false, true));
}
