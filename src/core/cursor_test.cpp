#include "core/cursor.h"

#include <doctest/doctest.h>

#include <string>

using namespace dangan;

namespace {

bool refused(const Result<std::optional<std::int64_t>>& r) {
  return !r && r.error().code == ErrorCode::invalid && r.error().field == "cursor";
}
bool refused(const Result<std::optional<cursor::Key>>& r) {
  return !r && r.error().code == ErrorCode::invalid && r.error().field == "cursor";
}

}  // namespace

TEST_CASE("cursor: an id cursor is a positive decimal id and nothing else") {
  CHECK(cursor::parse_id(std::nullopt).value() == std::nullopt);
  CHECK(cursor::parse_id("42").value() == 42);
  CHECK(cursor::parse_id("9223372036854775807").value() == INT64_MAX);
  CHECK(cursor::parse_id(cursor::encode_id(7)).value() == 7);
  for (std::string bad : {"", "12abc", "-1", "0", "+5", " 5", "5 ", "007", "1.5", "0x10",
                          "99999999999999999999", "9223372036854775808", "[1]", "\"1\""})
    CHECK_MESSAGE(refused(cursor::parse_id(bad)), bad);
  CHECK(refused(cursor::parse_id(std::string("1\0", 2))));
  CHECK(refused(cursor::parse_id(std::string("\0", 1))));
}

TEST_CASE("cursor: a key cursor is [key, id] and reads back what it wrote") {
  auto c = cursor::encode_key("张三", 12);
  CHECK(c == "[\"张三\",12]");
  auto k = cursor::parse_key(c).value();
  REQUIRE(k);
  CHECK(k->value == "张三");
  CHECK(k->id == 12);
  CHECK(cursor::parse_key(std::nullopt).value() == std::nullopt);
  auto t = cursor::parse_time_key(cursor::encode_key("2026-11-26T09:00:00Z", 3)).value();
  REQUIRE(t);
  CHECK(t->value == "2026-11-26T09:00:00Z");
  CHECK(t->id == 3);
  CHECK(cursor::parse_time_key("[\"2026-11-26\",1]").value()->id == 1);
  for (std::string bad : std::initializer_list<std::string>{
           "", "12abc", "-1", "12", "[]", "[\"a\"]", "[\"a\",1,2]", "[1,1]", "[\"a\",0]",
           "[\"a\",-1]", "[\"a\",1.5]", "[\"a\",\"1\"]", "[\"a\",99999999999999999999]",
           "[\"a\",9223372036854775808]", "{\"a\":1}", "[\"a\",1]x", "[\"a\\u0000\",1]",
           "[\"" + std::string(600, 'x') + "\",1]"})
    CHECK_MESSAGE(refused(cursor::parse_key(bad)), bad);
  CHECK(refused(cursor::parse_key(std::string("\0", 1))));
  // A time key must be a time.
  CHECK(refused(cursor::parse_time_key("[\"soon\",1]")));
  CHECK(refused(cursor::parse_time_key("[\"2026-13-01\",1]")));
  CHECK(cursor::parse_key("[\"soon\",1]").value()->value == "soon");
}
