#include "text/text.h"

#include <opencc/opencc.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <memory>
#include <vector>

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

namespace {

// Code points that NFKC case folding leaves alone and that need no other check: ASCII
// other than A-Z, and CJK ideographs (Extension A and the URO). Full-width forms,
// compatibility ideographs, ideographic space and the like go through ICU.
bool nfkc_cf_identity(UChar32 c) {
  return (c < 0x80 && !(c >= 'A' && c <= 'Z')) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF);
}

// The BMP ideographs that OpenCC t2s changes on their own (its character table), found
// by converting every candidate once, so the set always matches the installed
// dictionaries. Its phrase table has two entries whose characters do not change alone
// (沈船, 沈默): 沈 is added. Text with none of these characters converts to itself.
struct TraditionalSet {
  static constexpr UChar32 kFirst = 0x3400, kLast = 0xFAFF;
  std::vector<bool> bits = std::vector<bool>(kLast - kFirst + 1, false);
  bool usable = false;
};

const TraditionalSet& traditional_set(opencc_t conv) {
  static const TraditionalSet set = [conv] {
    TraditionalSet t;
    std::string all;
    std::vector<UChar32> cps;
    for (UChar32 c = TraditionalSet::kFirst; c <= TraditionalSet::kLast; ++c) {
      if (!((c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || c >= 0xF900)) continue;
      char buf[4];
      int32_t n = 0;
      U8_APPEND_UNSAFE(reinterpret_cast<uint8_t*>(buf), n, c);
      all.append(buf, static_cast<std::size_t>(n));
      all.push_back('\n');
      cps.push_back(c);
    }
    char* out = opencc_convert_utf8(conv, all.data(), all.size());
    if (!out) return t;
    std::string_view converted(out);
    std::size_t start = 0;
    bool aligned = true;
    for (UChar32 c : cps) {
      std::size_t nl = converted.find('\n', start);
      if (nl == std::string_view::npos) {
        aligned = false;
        break;
      }
      std::string_view line = converted.substr(start, nl - start);
      char buf[4];
      int32_t n = 0;
      U8_APPEND_UNSAFE(reinterpret_cast<uint8_t*>(buf), n, c);
      if (line != std::string_view(buf, static_cast<std::size_t>(n)))
        t.bits[static_cast<std::size_t>(c - TraditionalSet::kFirst)] = true;
      start = nl + 1;
    }
    opencc_convert_utf8_free(out);
    t.bits[0x6C88 - TraditionalSet::kFirst] = true;  // 沈
    t.usable = aligned;
    return t;
  }();
  return set;
}

// Whether t2s may change `s` (already NFKC case folded).
bool may_change_t2s(std::string_view s, opencc_t conv) {
  const TraditionalSet& t = traditional_set(conv);
  if (!t.usable) return true;
  int32_t i = 0, len = static_cast<int32_t>(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < len) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    UChar32 c;
    U8_NEXT(p, i, len, c);
    if (c >= 0x10000) return true;  // supplementary ideographs: let OpenCC decide
    if (c >= TraditionalSet::kFirst && c <= TraditionalSet::kLast &&
        t.bits[static_cast<std::size_t>(c - TraditionalSet::kFirst)])
      return true;
  }
  return false;
}

}  // namespace

std::string fold(std::string_view utf8) {
  // Fast path: most text is ASCII and CJK ideographs, which NFKC case folding leaves
  // alone (but for A-Z); ICU's UTF-16 round trip costs more than the rest of folding.
  bool icu_needed = false, upper = false, ascii = true;
  {
    int32_t i = 0, len = static_cast<int32_t>(utf8.size());
    const auto* p = reinterpret_cast<const uint8_t*>(utf8.data());
    while (i < len) {
      if (p[i] < 0x80) {
        upper |= p[i] >= 'A' && p[i] <= 'Z';
        ++i;
        continue;
      }
      ascii = false;
      UChar32 c;
      U8_NEXT(p, i, len, c);
      if (c < 0 || !nfkc_cf_identity(c)) {
        icu_needed = true;
        break;
      }
    }
  }
  std::string out;
  if (!icu_needed) {
    out.assign(utf8);
    if (upper)
      for (char& ch : out)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch | 0x20);
    if (ascii) return out;
  } else if (auto* n = nfkc_cf()) {
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
  if (!may_change_t2s(out, c)) return out;
  char* s = opencc_convert_utf8(c, out.data(), out.size());
  if (!s) return out;
  std::string converted(s);
  opencc_convert_utf8_free(s);
  return converted;
}

std::string fold_slow(std::string_view utf8) {
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
