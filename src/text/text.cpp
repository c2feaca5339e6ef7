#include "text/text.h"

#include <opencc/opencc.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <memory>

namespace dangan::text {
namespace {

const icu::Normalizer2* nfkc_cf() {
  static const icu::Normalizer2* n = [] {
    UErrorCode status = U_ZERO_ERROR;
    auto* p = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? p : nullptr;
  }();
  return n;
}

opencc_t t2s() {
  // One converter per thread: OpenCC's converter is not documented as thread-safe.
  thread_local opencc_t conv = [] {
    for (const char* cfg : {"t2s.json", "/usr/share/opencc/t2s.json"}) {
      opencc_t c = opencc_open(cfg);
      if (c != reinterpret_cast<opencc_t>(-1)) return c;
    }
    return reinterpret_cast<opencc_t>(-1);
  }();
  return conv;
}

icu::Transliterator* han_latin() {
  thread_local std::unique_ptr<icu::Transliterator> t = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> p(icu::Transliterator::createInstance(
        "Han-Latin; Latin-ASCII; Lower", UTRANS_FORWARD, status));
    if (U_FAILURE(status)) p.reset();
    return p;
  }();
  return t.get();
}

bool has_non_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return true;
  return false;
}

}  // namespace

bool valid_utf8(std::string_view s) { return utf8_length(s) >= 0; }

long utf8_length(std::string_view s) {
  long n = 0;
  int32_t i = 0, len = static_cast<int32_t>(s.size());
  while (i < len) {
    UChar32 c;
    U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), i, len, c);
    if (c < 0) return -1;
    ++n;
  }
  return n;
}

std::string fold(std::string_view utf8) {
  std::string out;
  if (auto* n = nfkc_cf()) {
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(
        icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    icu::UnicodeString f = n->normalize(u, status);
    if (U_SUCCESS(status))
      f.toUTF8String(out);
    else
      out.assign(utf8);
  } else {
    out.assign(utf8);
  }
  if (!has_non_ascii(out)) return out;
  opencc_t c = t2s();
  if (c == reinterpret_cast<opencc_t>(-1)) return out;
  char* s = opencc_convert_utf8(c, out.data(), out.size());
  if (!s) return out;
  std::string converted(s);
  opencc_convert_utf8_free(s);
  return converted;
}

std::string pinyin(std::string_view utf8) {
  if (!has_non_ascii(utf8)) return std::string(utf8);
  auto* t = han_latin();
  if (!t) return std::string(utf8);
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  t->transliterate(u);
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::string pinyin_initials(std::string_view utf8) {
  std::string p = pinyin(utf8), out;
  bool start = true;
  for (char c : p) {
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letter && start) out.push_back(static_cast<char>(c | 0x20));
    start = !letter;
  }
  return out;
}

std::string match_key(std::string_view utf8) {
  std::string folded = fold(utf8);
  if (!has_non_ascii(folded)) return folded;
  std::string py = pinyin(folded), compact;
  for (char c : py)
    if (c != ' ') compact.push_back(c);
  return folded + "|" + compact + "|" + pinyin_initials(folded);
}

}  // namespace dangan::text
