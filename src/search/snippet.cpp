// snippet.cpp — a short piece of a hit's text with the query's words marked.
//
// The text is folded the way it was indexed; when folding keeps the number of code points
// (it does for CJK and ASCII, and for traditional → simplified almost always), matches
// found in the folded text mark the same places in the original, which is what is shown.
// When it does not, the folded text is shown. Han words are found as substrings (that
// is how they were matched), Latin words by their stems, other terms as whole words.
#include <unicode/utf8.h>

#include <algorithm>

#include "search/search_internal.h"
#include "text/text.h"

namespace dangan::search::detail {

namespace {

struct Span {
  std::size_t begin, end;  // code point indexes
};

std::vector<std::pair<std::size_t, std::size_t>> byte_offsets(std::string_view s) {
  // (begin, end) bytes of each code point.
  std::vector<std::pair<std::size_t, std::size_t>> out;
  int32_t i = 0, len = static_cast<int32_t>(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < len) {
    int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, len, c);
    out.emplace_back(static_cast<std::size_t>(start), static_cast<std::size_t>(i));
  }
  return out;
}

bool is_ascii_word(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::vector<Span> find_matches(const std::string& folded,
                               const std::vector<std::pair<std::size_t, std::size_t>>& cps,
                               const analysis::ParsedQuery& pq) {
  std::vector<Span> spans;
  auto cp_index = [&](std::size_t byte) {
    auto it = std::lower_bound(cps.begin(), cps.end(), byte,
                               [](const auto& cp, std::size_t b) { return cp.first < b; });
    return static_cast<std::size_t>(it - cps.begin());
  };
  for (const auto& m : pq.marks) {
    if (m.empty()) continue;
    bool ascii = static_cast<unsigned char>(m[0]) < 0x80;
    std::size_t pos = 0;
    while ((pos = folded.find(m, pos)) != std::string::npos) {
      std::size_t end = pos + m.size();
      bool whole = !ascii || ((pos == 0 || !is_ascii_word(folded[pos - 1])) &&
                              (end >= folded.size() || !is_ascii_word(folded[end])));
      if (whole) spans.push_back({cp_index(pos), cp_index(end)});
      pos = end;
    }
  }
  if (!pq.stems.empty()) {
    std::size_t i = 0;
    while (i < folded.size()) {
      if (!(folded[i] >= 'a' && folded[i] <= 'z')) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < folded.size() && folded[j] >= 'a' && folded[j] <= 'z') ++j;
      bool boundary = (i == 0 || !is_ascii_word(folded[i - 1])) &&
                      (j >= folded.size() || !is_ascii_word(folded[j]));
      if (boundary) {
        std::string s = analysis::stem(std::string_view(folded).substr(i, j - i));
        if (std::find(pq.stems.begin(), pq.stems.end(), s) != pq.stems.end())
          spans.push_back({cp_index(i), cp_index(j)});
      }
      i = j;
    }
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::vector<Span> merged;
  for (const auto& s : spans) {
    if (!merged.empty() && s.begin <= merged.back().end)
      merged.back().end = std::max(merged.back().end, s.end);
    else
      merged.push_back(s);
  }
  return merged;
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string make_snippet(const std::vector<std::string>& texts, const analysis::ParsedQuery& pq,
                         std::size_t max_chars) {
  const std::string* fallback = nullptr;
  for (const auto& raw : texts) {
    if (raw.empty()) continue;
    if (!fallback) fallback = &raw;
    std::string folded = text::fold(raw);
    auto folded_cps = byte_offsets(folded);
    auto raw_cps = byte_offsets(raw);
    std::vector<Span> spans = find_matches(folded, folded_cps, pq);
    if (spans.empty()) continue;
    // Show the original when positions correspond one to one, else the folded text.
    bool aligned = folded_cps.size() == raw_cps.size();
    const std::string& shown = aligned ? raw : folded;
    const auto& cps = aligned ? raw_cps : folded_cps;
    std::size_t n = cps.size();
    std::size_t start = spans.front().begin > 20 ? spans.front().begin - 20 : 0;
    std::size_t end = std::min(n, start + max_chars);
    if (end - start < max_chars && n > max_chars) start = n - max_chars;
    std::string out;
    if (start > 0) out += "…";
    std::size_t at = start;
    auto piece = [&](std::size_t a, std::size_t b) {
      if (a >= b) return std::string();
      return html_escape(
          std::string_view(shown).substr(cps[a].first, cps[b - 1].second - cps[a].first));
    };
    for (const auto& s : spans) {
      if (s.end <= start) continue;
      if (s.begin >= end) break;
      std::size_t b = std::max(s.begin, start), e = std::min(s.end, end);
      out += piece(at, b);
      out += "<mark>" + piece(b, e) + "</mark>";
      at = e;
    }
    out += piece(at, end);
    if (end < n) out += "…";
    return out;
  }
  if (!fallback) return {};
  auto cps = byte_offsets(*fallback);
  if (cps.size() <= max_chars) return html_escape(*fallback);
  return html_escape(std::string_view(*fallback).substr(0, cps[max_chars].first)) + "…";
}

}  // namespace dangan::search::detail
