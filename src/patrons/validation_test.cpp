#include "patrons/validation.h"

#include <doctest/doctest.h>

using namespace dangan::patrons;

TEST_CASE("resident ID numbers: check digit and birth date") {
  CHECK(valid_resident_id("11010519491231002X"));
  CHECK(valid_resident_id("11010519491231002x"));
  CHECK_FALSE(valid_resident_id("110105194912310021"));  // wrong check digit
  CHECK_FALSE(valid_resident_id("11010519491331002X"));  // month 13
  CHECK_FALSE(valid_resident_id("1101051949123100"));    // too short
  CHECK_FALSE(valid_resident_id("11010519491231002Y"));
}

TEST_CASE("unified social credit codes") {
  CHECK(valid_social_credit_code("91350100M000100Y43"));
  CHECK_FALSE(valid_social_credit_code("91350100M000100Y44"));
  CHECK_FALSE(valid_social_credit_code("91350100M000100"));
}

TEST_CASE("phones normalise and reject garbage") {
  CHECK(normalize_phone("138 1234 5678") == "13812345678");
  CHECK(normalize_phone("+86 138-1234-5678") == "13812345678");
  CHECK(normalize_phone("010-65123456") == "01065123456");
  CHECK(normalize_phone("+44 20 7946 0958") == "+442079460958");
  CHECK_FALSE(normalize_phone("12345678901234567").has_value());
  CHECK_FALSE(normalize_phone("abc").has_value());
  CHECK_FALSE(normalize_phone("' OR 1=1 --").has_value());
}

TEST_CASE("emails") {
  CHECK(normalize_email("Zhang.Wei@Example.CN") == "zhang.wei@example.cn");
  CHECK_FALSE(normalize_email("no-at-sign").has_value());
  CHECK_FALSE(normalize_email("a@b").has_value());
  CHECK_FALSE(normalize_email("a b@c.cn").has_value());
}

TEST_CASE("masks as agents see them") {
  CHECK(mask_phone("13812345678") == "138****5678");
  CHECK(mask_id_number("11010519491231123X") == "110105********123X");
  CHECK(mask_id_number("E10055433") == "E******33");  // passports are short
  CHECK(mask_id_number("1234567890") == "1*******90");
  CHECK(mask_id_number("123") == "***");
  CHECK(mask_id_number("") == "");
  CHECK(mask_email("zhang@example.cn") == "z***@example.cn");
  CHECK(mask_text("北京市朝阳区建国路1号", 6) == "北京市朝阳区****");
}
