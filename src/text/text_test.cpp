#include "text/text.h"

#include <doctest/doctest.h>

using namespace dangan;

TEST_CASE("traditional folds to simplified and full-width to half-width") {
  CHECK(text::fold("檔案館") == text::fold("档案馆"));
  CHECK(text::fold("ＡＢＣ１２３") == "abc123");
  CHECK(text::fold("Archive") == "archive");
}

TEST_CASE("pinyin and initials of Chinese names") {
  CHECK(text::pinyin("档案") == "dang an");
  CHECK(text::pinyin_initials("档案") == "da");
  CHECK(text::match_key("张伟").find("zhangwei") != std::string::npos);
  CHECK(text::match_key("張偉").find("张伟") != std::string::npos);
}

TEST_CASE("utf8 validation counts code points") {
  CHECK(text::utf8_length("档案") == 2);
  CHECK(text::utf8_length("abc") == 3);
  CHECK(text::utf8_length(std::string("\xff\xfe", 2)) == -1);
  CHECK_FALSE(text::valid_utf8(std::string("a\xc3", 2)));
}
