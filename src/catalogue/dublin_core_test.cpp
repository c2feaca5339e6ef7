#include "catalogue/dublin_core.h"

#include <doctest/doctest.h>

namespace dangan::catalogue {

using json = nlohmann::json;

namespace {
std::vector<std::string> values(const std::vector<DcElement>& els, const std::string& name) {
  std::vector<std::string> out;
  for (auto& [n, v] : els)
    if (n == name) out.push_back(v);
  return out;
}
}  // namespace

TEST_CASE("dublin core: a customer file maps to the fifteen elements it has") {
  json rec = {{"title", "城北供电营业厅 客户档案"},
              {"creator", "营业部"},
              {"keywords", {"供电", "户籍"}},
              {"description", ""},
              {"date_from", "2021-03-01"},
              {"date_to", "2021-09-30"},
              {"year", 2021},
              {"carrier", "photo"},
              {"pages", 12},
              {"reference_code", "GD-KH-03-0007"},
              {"access_level", "controlled"},
              {"fonds", {{"code", "QZ01"}, {"name", "城北营业厅"}}},
              {"category", {{"code", "KH"}, {"name", "客户档案"}}},
              {"rights", {{"holder", "城北营业厅"}, {"reproduction_allowed", false}}}};
  auto dc = dublin_core(rec);
  REQUIRE(!dc.empty());
  CHECK(dc.front() == DcElement{"title", "城北供电营业厅 客户档案"});
  CHECK(values(dc, "subject") == std::vector<std::string>{"供电", "户籍"});
  CHECK(values(dc, "description").empty());  // empty text is left out, not emitted blank
  CHECK(values(dc, "date") == std::vector<std::string>{"2021-03-01/2021-09-30"});
  CHECK(values(dc, "type") == std::vector<std::string>{"StillImage"});
  CHECK(values(dc, "format") == std::vector<std::string>{"photo", "12 pages"});
  CHECK(values(dc, "identifier") == std::vector<std::string>{"GD-KH-03-0007"});
  CHECK(values(dc, "language") == std::vector<std::string>{"zh"});
  CHECK(values(dc, "relation") ==
        std::vector<std::string>{"fonds QZ01 城北营业厅", "category KH 客户档案"});
  CHECK(values(dc, "rights") == std::vector<std::string>{"access: controlled", "holder: 城北营业厅",
                                                         "reproduction allowed: no"});
}

TEST_CASE("dublin core: an English record with only a year, and missing fields skipped") {
  json rec = {{"title", "Harbour survey maps"},
              {"year", 1936},
              {"access_level", "open"},
              {"carrier", nullptr},
              {"keywords", nullptr}};
  auto dc = dublin_core(rec);
  CHECK(values(dc, "date") == std::vector<std::string>{"1936"});
  CHECK(values(dc, "language") == std::vector<std::string>{"en"});
  CHECK(values(dc, "type") == std::vector<std::string>{"Text"});
  CHECK(values(dc, "format").empty());
  CHECK(values(dc, "subject").empty());
  for (auto& [n, v] : dc) CHECK_MESSAGE(!v.empty(), n);
}

}  // namespace dangan::catalogue
