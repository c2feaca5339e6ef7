// mapping_test.cpp — headers to record fields, and cells to field values with errors by
// row and column.
#include "transfer/mapping.h"

#include <doctest/doctest.h>

namespace dangan::transfer {
namespace {

using json = nlohmann::json;

Row row(std::int64_t number, std::vector<Cell> cells) { return Row{number, std::move(cells)}; }

std::vector<std::string> messages(const std::vector<RowError>& errors) {
  std::vector<std::string> out;
  for (auto& e : errors) out.push_back(e.to_string());
  return out;
}

TEST_CASE("mapping: default headers in English and Chinese (simplified, traditional, spacing)") {
  CHECK(default_field("题名") == "title");
  CHECK(default_field("標題") == "title");  // traditional
  CHECK(default_field(" Title ") == "title");
  CHECK(default_field("档号") == "reference_code");
  CHECK(default_field("Reference Code") == "reference_code");
  CHECK(default_field("reference-code") == "reference_code");
  CHECK(default_field("年度") == "year");
  CHECK(default_field("责任者") == "creator");
  CHECK(default_field("主题词") == "keywords");
  CHECK(default_field("关键词") == "keywords");
  CHECK(default_field("保管期限") == "retention");
  CHECK(default_field("密级") == "access_level");
  CHECK(default_field("开放状态") == "access_level");
  CHECK(default_field("全宗号") == "fonds");
  CHECK(default_field("门类") == "category");
  CHECK(default_field("页数") == "pages");
  CHECK(default_field("载体") == "carrier");
  CHECK(default_field("内容提要") == "description");
  CHECK(default_field("ＴＩＴＬＥ") == "title");  // full-width
  CHECK(default_field("备注") == "");
  CHECK(default_field("id") == "");
}

TEST_CASE("mapping: a user's mapping over the default; conflicts and missing fields are errors") {
  auto m = Mapping::from_json(
      json::parse(R"({"columns": {"案卷名": "title", "备注": "description", "题名": null},
                      "defaults": {"access_level": "开放", "retention": "永久"}})"));
  REQUIRE(m);
  auto plan = Plan::make({"案卷名", "题名", "备注", "年度", "其他"}, *m);
  REQUIRE(plan);
  CHECK(plan->to_json() == json::parse(R"({"案卷名":"title","备注":"description","年度":"year"})"));
  CHECK(plan->ignored() == std::vector<std::string>{"题名", "其他"});

  // A flat object is a column mapping too.
  auto flat = Mapping::from_json(json::parse(R"({"名": "title", "级": "access_level"})"));
  REQUIRE(flat);
  CHECK(Plan::make({"名", "级"}, *flat));

  CHECK(Mapping::from_json(json::parse(R"({"a": "titel"})")).error().message ==
        "column 'a': unknown record field 'titel'");
  CHECK(Mapping::from_json(json::parse(R"({"defaults": {"x": 1}})")).error().message ==
        "defaults: unknown record field 'x'");
  CHECK(Mapping::from_json(json::array()).error().field == "mapping");

  auto both = Plan::make({"题名", "标题", "密级"}, {});
  REQUIRE_FALSE(both);
  CHECK(both.error().message ==
        "columns '题名' and '标题' both give title: map one of them to null");
  auto no_title = Plan::make({"年度", "密级"}, {});
  REQUIRE_FALSE(no_title);
  CHECK(no_title.error().message.starts_with("no column gives the title"));
  auto no_level = Plan::make({"题名"}, {});
  REQUIRE_FALSE(no_level);
  CHECK(no_level.error().message.starts_with("no column gives the access level"));
  // A default that is itself wrong is found before any row.
  auto bad_default = Mapping::from_json(json::parse(R"({"defaults": {"access_level": "半开"}})"));
  REQUIRE(bad_default);
  CHECK(Plan::make({"题名"}, *bad_default).error().message ==
        "defaults.access_level: must be open, controlled or secret (开放, 控制, 涉密)");
}

TEST_CASE("mapping: cells become the record body the catalogue takes") {
  auto plan = Plan::make({"档号", "题名", "年度", "日期", "关键词", "密级", "载体", "页数", "重要",
                          "保管期限", "门类", "全宗号", "内容提要"},
                         {});
  REQUIRE(plan);
  Lookups lookups;
  lookups.retention_by_name = {{"永久", "Y"}, {"30年", "D30"}};
  lookups.category_by_name = {{"文书", "WS"}};
  std::vector<RowError> errors;
  auto body = plan->to_record(
      row(2, {"QZ01-WS-1998-0001", "  城建档案  ", "1998年", "1998/3/5", "城建；规划、 道路,城建",
              "开放", "纸质", "12页", "是", "30 年", "文书", 7, nullptr}),
      {}, lookups, errors);
  CHECK(errors.empty());
  REQUIRE(body);
  CHECK(*body == json::parse(R"({
    "reference_code": "QZ01-WS-1998-0001", "title": "城建档案", "year": 1998,
    "date_from": "1998-03-05", "date_to": "1998-03-05",
    "keywords": ["城建", "规划", "道路"], "access_level": "open", "carrier": "paper",
    "pages": 12, "important": true, "retention": "D30", "category": "WS", "fonds": "7"})"));

  // Other spellings: Excel dates and numbers, English words, 2023年4月5日.
  body = plan->to_record(row(3, {nullptr, "B", 2001, "2023年4月5日", json::array({"a", "b"}),
                                 "Secret", "Video", 3, false, "永久", "KJ", "QZ01", "提要"}),
                         {}, lookups, errors);
  CHECK(errors.empty());
  REQUIRE(body);
  CHECK((*body)["date_from"] == "2023-04-05");
  CHECK((*body)["year"] == 2001);  // the year column wins over the date's year
  CHECK((*body)["access_level"] == "secret");
  CHECK((*body)["retention"] == "Y");
  CHECK((*body)["category"] == "KJ");  // not a known name: passed on as a code
  CHECK((*body)["description"] == "提要");
  CHECK_FALSE(body->contains("reference_code"));

  // Months and years alone, as finding aids often give them.
  auto range = Plan::make({"题名", "密级", "起始日期", "终止日期"}, {});
  REQUIRE(range);
  body = range->to_record(row(4, {"C", "开放", "2001年3月", 2003}), {}, lookups, errors);
  CHECK(errors.empty());
  REQUIRE(body);
  CHECK((*body)["date_from"] == "2001-03");
  CHECK((*body)["date_to"] == "2003");
  // Full-width digits and punctuation, as typed with a Chinese input method.
  body = range->to_record(row(5, {"D", "ＯＰＥＮ", "２００１／３／５", "２００２年"}), {}, lookups,
                          errors);
  CHECK(errors.empty());
  REQUIRE(body);
  CHECK((*body)["date_from"] == "2001-03-05");
  CHECK((*body)["date_to"] == "2002");
  CHECK((*body)["access_level"] == "open");
}

TEST_CASE("mapping: every bad cell of a row is reported with its row and column") {
  auto plan = Plan::make(
      {"题名", "年度", "起始日期", "终止日期", "密级", "载体", "页数", "重要", "patron_id"}, {});
  REQUIRE(plan);
  std::vector<RowError> errors;
  auto body = plan->to_record(
      row(12, {"   ", "九八", "2023-02-30", "2022-01-01", "半开放", "石刻", "-3", "也许", "0"}), {},
      {}, errors);
  CHECK_FALSE(body);
  auto m = messages(errors);
  std::vector<std::string> want = {
      "row 12, column 密级: must be open, controlled or secret (开放, 控制, 涉密)",
      "row 12, column 载体: must be paper, electronic, photo, audio, video or other (纸质, 电子, "
      "照片, 录音, 录像, 其他)",
      "row 12, column 起始日期: must be a date (YYYY-MM-DD, 2023/4/5, 2023年4月5日; or YYYY-MM, "
      "YYYY)",
      "row 12, column 重要: must be yes or no (是/否, true/false, 1/0)",
      "row 12, column 页数: must be a whole number of pages (0 or more)",
      "row 12, column patron_id: must be a positive whole number (an id)",
      "row 12, column 年度: must be a year between 1000 and 9999",
      "row 12, column 题名: required",
  };
  std::sort(m.begin(), m.end());
  std::sort(want.begin(), want.end());
  CHECK(m == want);

  errors.clear();
  body = plan->to_record(row(13, {"t", 99999, "2023-05-01", "2023-04-01", "open"}), {}, {}, errors);
  CHECK_FALSE(body);
  CHECK(messages(errors) ==
        std::vector<std::string>{"row 13, column 年度: must be a year between 1000 and 9999",
                                 "row 13, column 终止日期: must not be before the start date "
                                 "2023-05-01"});
}

TEST_CASE("mapping: JSON rows add columns as keys appear") {
  auto plan = Plan::make(
      {"title"}, *Mapping::from_json(json::parse(R"({"defaults": {"access_level": "open"}})")));
  REQUIRE(plan);
  std::vector<RowError> errors;
  auto body = plan->to_record(row(1, {"a", 1998, "x"}), {"title", "year", "unknown"}, {}, errors);
  REQUIRE(body);
  CHECK(*body == json::parse(R"({"title":"a","year":1998,"access_level":"open"})"));
  CHECK(plan->ignored() == std::vector<std::string>{"unknown"});
  CHECK(plan->column_of("year") == "year");
  CHECK(plan->column_of("fonds_id") == "fonds_id");
}

}  // namespace
}  // namespace dangan::transfer
