// text.h — preparing Chinese and English text for matching.
//
// fold(): NFKC case folding (full-width → half-width, case) and traditional →
// simplified Chinese (OpenCC t2s with its phrase table), so 檔案 and 档案 compare equal.
// pinyin(): Han → Latin without tones ("dang an"); initials(): "da".
// All functions are thread-safe (per-thread converters) and never throw.
#pragma once
#include <string>
#include <string_view>

namespace dangan::text {

std::string fold(std::string_view utf8);
// The same result as fold() without its fast paths (for tests that check they agree).
std::string fold_slow(std::string_view utf8);
std::string pinyin(std::string_view utf8);           // lower case, words separated by spaces
std::string pinyin_initials(std::string_view utf8);  // first letter of each syllable
// Text to match a patron or record name against: folded text, full pinyin without
// spaces, and initials, separated by '|'.
std::string match_key(std::string_view utf8);
bool valid_utf8(std::string_view s);
// Length in code points (for limits); -1 when not valid UTF-8.
long utf8_length(std::string_view s);

}  // namespace dangan::text
