#include "search/analyzer.h"

#include <libstemmer.h>
#include <unicode/brkiter.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>

#include "text/text.h"

namespace dangan::search::analysis {

namespace {

bool is_han(UChar32 c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x323AF) || (c >= 0xF900 && c <= 0xFAFF) || c == 0x3007;
}

bool ascii_alnum(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ---------------------------------------------------------------- per-thread tools

struct Breaker {
  std::unique_ptr<icu::BreakIterator> it;
  UText* text = nullptr;
  Breaker() {
    UErrorCode status = U_ZERO_ERROR;
    it.reset(icu::BreakIterator::createWordInstance(icu::Locale("zh"), status));
    if (U_FAILURE(status)) it.reset();
  }
  ~Breaker() {
    if (text) utext_close(text);
  }
};

Breaker& breaker() {
  thread_local Breaker b;
  return b;
}

struct Stemmer {
  sb_stemmer* s = sb_stemmer_new("english", "UTF_8");
  ~Stemmer() {
    if (s) sb_stemmer_delete(s);
  }
};

// ---------------------------------------------------------------- pinyin table

// Pinyin of the BMP ideographs, filled on first use of each character from ICU's
// Han-Latin transliterator (slow: ~10 µs a call), then read without locks.
constexpr char32_t kPinyinFirst = 0x3400, kPinyinLast = 0x9FFF;
struct PinyinTable {
  std::vector<std::string> values = std::vector<std::string>(kPinyinLast - kPinyinFirst + 1);
  std::unique_ptr<std::atomic<bool>[]> ready =
      std::make_unique<std::atomic<bool>[]>(kPinyinLast - kPinyinFirst + 1);
  std::mutex mu;
};
PinyinTable& pinyin_table() {
  static PinyinTable* t = new PinyinTable();  // never destroyed: used by detached threads
  return *t;
}

void append_utf8(std::string& out, UChar32 c) {
  char buf[4];
  int32_t n = 0;
  U8_APPEND_UNSAFE(reinterpret_cast<uint8_t*>(buf), n, c);
  out.append(buf, static_cast<std::size_t>(n));
}

// Code points of a UTF-8 string with their byte offsets.
struct CodePoint {
  UChar32 c;
  std::uint32_t begin, end;
};
void decode(std::string_view s, std::vector<CodePoint>& out) {
  out.clear();
  int32_t i = 0, len = static_cast<int32_t>(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < len) {
    int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, len, c);
    out.push_back({c, static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(i)});
  }
}

// ---------------------------------------------------------------- runs

enum class RunKind { han, latin, alnum, other };
struct Run {
  RunKind kind;
  std::string_view text;
};

// Splits folded text into runs of one kind; everything else separates them.
template <class F>
void for_each_run(std::string_view s, F&& f) {
  int32_t i = 0, len = static_cast<int32_t>(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < len) {
    unsigned char b = p[i];
    if (b < 0x80) {
      if (!ascii_alnum(b)) {
        ++i;
        continue;
      }
      int32_t start = i;
      bool digits = false;
      while (i < len && p[i] < 0x80 && ascii_alnum(p[i])) {
        digits |= p[i] <= '9';
        ++i;
      }
      f(Run{digits ? RunKind::alnum : RunKind::latin,
            s.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(i - start))});
      continue;
    }
    int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, len, c);
    if (c < 0) continue;
    if (is_han(c)) {
      int32_t end = i;
      while (i < len) {
        int32_t j = i;
        UChar32 d;
        U8_NEXT(p, j, len, d);
        if (d < 0 || !is_han(d)) break;
        i = end = j;
      }
      f(Run{RunKind::han,
            s.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start))});
      continue;
    }
    if (!u_isalnum(c)) continue;
    int32_t end = i;
    while (i < len) {
      int32_t j = i;
      UChar32 d;
      U8_NEXT(p, j, len, d);
      if (d < 0) break;
      if (d < 0x80) {
        if (!ascii_alnum(static_cast<unsigned char>(d))) break;
      } else if (is_han(d) || !u_isalnum(d)) {
        break;
      }
      i = end = j;
    }
    f(Run{RunKind::other,
          s.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start))});
  }
}

void add_term(std::string& col, std::string_view term) {
  if (term.empty()) return;
  if (!col.empty()) col.push_back(' ');
  col.append(term);
}

// Bigrams of a Han run and its last character (one character: just itself).
void add_grams(std::string& col, std::string_view run) {
  thread_local std::vector<CodePoint> cps;
  decode(run, cps);
  for (std::size_t i = 0; i + 1 < cps.size(); ++i)
    add_term(col, run.substr(cps[i].begin, cps[i + 1].end - cps[i].begin));
  if (!cps.empty()) add_term(col, run.substr(cps.back().begin, cps.back().end - cps.back().begin));
}

std::vector<std::string> bigrams(std::string_view run) {
  std::vector<CodePoint> cps;
  decode(run, cps);
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < cps.size(); ++i)
    out.emplace_back(run.substr(cps[i].begin, cps[i + 1].end - cps[i].begin));
  return out;
}

std::size_t char_count(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

template <class F>
void for_each_han_word(std::string_view run, F&& f) {
  Breaker& b = breaker();
  if (!b.it) {
    f(run);
    return;
  }
  UErrorCode status = U_ZERO_ERROR;
  b.text = utext_openUTF8(b.text, run.data(), static_cast<int64_t>(run.size()), &status);
  if (U_FAILURE(status)) {
    f(run);
    return;
  }
  b.it->setText(b.text, status);
  if (U_FAILURE(status)) {
    f(run);
    return;
  }
  int32_t prev = b.it->first();
  for (int32_t cur = b.it->next(); cur != icu::BreakIterator::DONE; cur = b.it->next()) {
    f(run.substr(static_cast<std::size_t>(prev), static_cast<std::size_t>(cur - prev)));
    prev = cur;
  }
}

// Readings of common characters with more than one, beside the one ICU's Han-Latin
// gives (it knows one per character: 地方 → "defang", 银行 → "yinxing", 会计 → "huiji").
// Pinyin terms are indexed for each combination, so "difang", "yinhang" and "kuaiji"
// find them too. Tones are not written, so readings that differ only in tone are absent.
struct Polyphone {
  char32_t c;
  std::string_view readings[3];
};
constexpr Polyphone kPolyphones[] = {
    {U'地', {"di", "de"}},
    {U'行', {"xing", "hang"}},
    {U'长', {"chang", "zhang"}},
    {U'会', {"hui", "kuai"}},
    {U'重', {"zhong", "chong"}},
    {U'乐', {"le", "yue"}},
    {U'还', {"hai", "huan"}},
    {U'都', {"dou", "du"}},
    {U'得', {"de", "dei"}},
    {U'调', {"diao", "tiao"}},
    {U'传', {"chuan", "zhuan"}},
    {U'藏', {"cang", "zang"}},
    {U'参', {"can", "shen"}},
    {U'单', {"dan", "shan"}},
    {U'校', {"xiao", "jiao"}},
    {U'省', {"sheng", "xing"}},
    {U'朝', {"chao", "zhao"}},
    {U'差', {"cha", "chai"}},
    {U'大', {"da", "dai"}},
    {U'系', {"xi", "ji"}},
    {U'率', {"lv", "shuai"}},
    {U'曾', {"zeng", "ceng"}},
    {U'便', {"bian", "pian"}},
    {U'觉', {"jue", "jiao"}},
    {U'解', {"jie", "xie"}},
    {U'给', {"gei", "ji"}},
    {U'薄', {"bao", "bo"}},
    {U'露', {"lu", "lou"}},
    {U'奇', {"qi", "ji"}},
    {U'折', {"zhe", "she"}},
    {U'着', {"zhe", "zhao", "zhuo"}},
    {U'了', {"le", "liao"}},
    {U'盛', {"sheng", "cheng"}},
    {U'区', {"qu", "ou"}},
    {U'石', {"shi", "dan"}},
    {U'厦', {"xia", "sha"}},
    {U'度', {"du", "duo"}},
    {U'降', {"jiang", "xiang"}},
    {U'的', {"de", "di"}},
    {U'角', {"jiao", "jue"}},
    {U'和', {"he", "huo"}},
    {U'弹', {"dan", "tan"}},
    {U'说', {"shuo", "shui"}},
    {U'强', {"qiang", "jiang"}},
    {U'约', {"yue", "yao"}},
    {U'没', {"mei", "mo"}},
    {U'宿', {"su", "xiu"}},
    {U'识', {"shi", "zhi"}},
    {U'属', {"shu", "zhu"}},
    {U'期', {"qi", "ji"}},
    {U'沈', {"shen", "chen"}},
    {U'仇', {"chou", "qiu"}},
    {U'查', {"cha", "zha"}},
    {U'模', {"mo", "mu"}},
    {U'量', {"liang"}},
    {U'供', {"gong"}},
    {U'似', {"si", "shi"}},
    {U'塞', {"sai", "se"}},
    {U'卡', {"ka", "qia"}},
    {U'壳', {"ke", "qiao"}},
    {U'尽', {"jin"}},
    {U'缝', {"feng"}},
    {U'转', {"zhuan"}},
    {U'核', {"he", "hu"}},
    {U'血', {"xue", "xie"}},
    {U'剥', {"bo", "bao"}},
    {U'泊', {"bo", "po"}},
    {U'曝', {"pu", "bao"}},
    {U'熟', {"shu", "shou"}},
    {U'据', {"ju"}},
    {U'缩', {"suo"}},
    {U'蔓', {"man", "wan"}},
    {U'畜', {"chu", "xu"}},
    {U'囤', {"tun", "dun"}},
    {U'烙', {"lao", "luo"}},
    {U'综', {"zong"}},
    {U'秘', {"mi", "bi"}},
    {U'贾', {"jia", "gu"}},
    {U'朴', {"pu", "piao"}},
    {U'仆', {"pu"}},
    {U'蕃', {"fan", "bo"}},
    {U'番', {"fan", "pan"}},
    {U'车', {"che", "ju"}},
    {U'尉', {"wei", "yu"}},
    {U'乘', {"cheng", "sheng"}},
    {U'颈', {"jing", "geng"}},
    {U'柏', {"bai", "bo"}},
    {U'更', {"geng"}},
    {U'冲', {"chong"}},
    {U'藉', {"jie", "ji"}},
    {U'蚌', {"bang", "beng"}},
    {U'栅', {"zha", "shan"}},
    {U'茄', {"qie", "jia"}},
    {U'莎', {"sha", "suo"}},
    {U'谁', {"shui", "shei"}},
    {U'拓', {"tuo", "ta"}},
    {U'叶', {"ye", "xie"}},
    {U'圈', {"quan", "juan"}},
    {U'扎', {"zha", "za"}},
    {U'炮', {"pao", "bao"}},
    {U'刨', {"pao", "bao"}},
    {U'哈', {"ha"}},
};

// The readings of a character: ICU's, then others (at most 3 in all).
std::vector<std::string_view> readings(char32_t c) {
  std::vector<std::string_view> out;
  std::string_view icu = char_pinyin(c);
  if (icu.empty()) return out;
  out.push_back(icu);
  for (const auto& p : kPolyphones) {
    if (p.c != c) continue;
    for (auto r : p.readings)
      if (!r.empty() && std::find(out.begin(), out.end(), r) == out.end() && out.size() < 3)
        out.push_back(r);
    break;
  }
  return out;
}

// Full pinyin and initials of a run of Han characters, for every combination of readings
// (at most 8), into `col`.
void add_pinyin_of(std::string_view chars, std::string& col) {
  thread_local std::vector<CodePoint> cps;
  decode(chars, cps);
  std::vector<std::pair<std::string, std::string>> variants = {{"", ""}};
  for (const auto& cp : cps) {
    auto rs = readings(static_cast<char32_t>(cp.c));
    if (rs.empty()) return;
    std::vector<std::pair<std::string, std::string>> next;
    for (const auto& [full, init] : variants)
      for (auto r : rs) {
        if (next.size() >= 8) break;
        next.emplace_back(full + std::string(r), init + r.front());
      }
    variants = std::move(next);
  }
  std::vector<std::string_view> seen;
  for (const auto& [full, init] : variants) {
    add_term(col, full);
    if (std::find(seen.begin(), seen.end(), std::string_view(init)) == seen.end()) {
      add_term(col, init);
      seen.push_back(init);
    }
  }
}

// Pinyin terms of a run's words (ICU words): each word of two characters or more; the
// pieces of two to n−1 characters of a word of n (财务报表 → caiwu, baobiao …: users split
// pinyin where they hear words, not where the dictionary does); and two and three words
// together (档案数字化 → danganshuzihua, daszh).
bool is_stop(std::string_view w, bool han);

// Words that are never part of what someone types as pinyin of a title's phrase.
bool function_word(std::string_view w) {
  static constexpr std::string_view kWords[] = {"关于", "有关", "对于", "以及", "及其", "其中"};
  return is_stop(w, true) || std::find(std::begin(kWords), std::end(kWords), w) != std::end(kWords);
}

void add_pinyin_terms(const std::vector<std::string_view>& words, std::string& col) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::size_t n = char_count(words[i]);
    if (n >= 2) add_pinyin_of(words[i], col);
    if (n >= 3) {
      thread_local std::vector<CodePoint> cps;
      decode(words[i], cps);
      std::vector<CodePoint> local = cps;
      for (std::size_t len = 2; len < local.size(); ++len)
        for (std::size_t a = 0; a + len <= local.size(); ++a)
          add_pinyin_of(words[i].substr(local[a].begin, local[a + len - 1].end - local[a].begin),
                        col);
    }
    for (std::size_t k = 2; k <= 3 && i + k <= words.size(); ++k) {
      if (function_word(words[i]) || function_word(words[i + k - 1])) break;
      if (k == 3 && function_word(words[i + 1])) break;
      // Words are consecutive slices of the run: their span is contiguous.
      const char* begin = words[i].data();
      const char* end = words[i + k - 1].data() + words[i + k - 1].size();
      add_pinyin_of(std::string_view(begin, static_cast<std::size_t>(end - begin)), col);
    }
  }
}

// Terms of one field. Latin words and numbers go to `words`. Han runs give, when
// `han_words` is set, ICU words into `words` (and pinyin into `pinyin` when given), and
// always their grams into `grams`. Long text (description, content) skips ICU: its Han
// runs are indexed as grams only, which find every substring of two or more characters
// and every 2-character word (a bigram is the word itself); ICU costs ~4 µs per
// character, which would make long text the bulk of indexing time.
void analyze_field(std::string_view folded, std::string& words, std::string& grams, bool han_words,
                   std::string* pinyin) {
  thread_local Stemmer stemmer;
  for_each_run(folded, [&](const Run& r) {
    switch (r.kind) {
      case RunKind::latin: {
        if (stemmer.s) {
          const sb_symbol* s =
              sb_stemmer_stem(stemmer.s, reinterpret_cast<const sb_symbol*>(r.text.data()),
                              static_cast<int>(r.text.size()));
          if (s) {
            add_term(words,
                     std::string_view(reinterpret_cast<const char*>(s),
                                      static_cast<std::size_t>(sb_stemmer_length(stemmer.s))));
            break;
          }
        }
        add_term(words, r.text);
        break;
      }
      case RunKind::alnum:
      case RunKind::other:
        add_term(words, r.text);
        break;
      case RunKind::han: {
        if (han_words) {
          thread_local std::vector<std::string_view> run_words;
          run_words.clear();
          for_each_han_word(r.text, [&](std::string_view w) {
            add_term(words, w);
            run_words.push_back(w);
          });
          if (pinyin) add_pinyin_terms(run_words, *pinyin);
        }
        add_grams(grams, r.text);
        break;
      }
    }
  });
}

// Separates the grams of two fields, so a phrase cannot run from one into the other.
void field_break(std::string& col) {
  if (!col.empty()) add_term(col, "x_");
}

constexpr std::string_view kHanStop[] = {"的", "了", "和", "与", "及", "之", "或",
                                         "等", "在", "对", "于", "是", "并"};
constexpr std::string_view kLatinStop[] = {"a",  "an",  "and",  "are", "as",  "at", "be",
                                           "by", "for", "from", "in",  "is",  "it", "of",
                                           "on", "or",  "the",  "to",  "with"};

bool is_stop(std::string_view w, bool han) {
  if (han) return std::find(std::begin(kHanStop), std::end(kHanStop), w) != std::end(kHanStop);
  return std::find(std::begin(kLatinStop), std::end(kLatinStop), w) != std::end(kLatinStop);
}

QueryNode phrase(std::vector<std::string> terms, bool prefix = false) {
  QueryNode n;
  n.kind = QueryNode::Kind::phrase;
  n.terms = std::move(terms);
  n.prefix = prefix;
  return n;
}

QueryNode combine(QueryNode::Kind kind, std::vector<QueryNode> children) {
  if (children.size() == 1) return std::move(children.front());
  QueryNode n;
  n.kind = kind;
  n.children = std::move(children);
  return n;
}

// A Han word as a query: itself, or (three characters or more) its bigram phrase, which
// is how long text indexes it.
QueryNode han_word(const std::string& w) {
  if (char_count(w) <= 2) return phrase({w});
  return combine(QueryNode::Kind::any, {phrase({w}), phrase(bigrams(w))});
}

// The query node for one Han run: its words, all of them, anywhere; or the run itself as
// a substring (its bigram phrase). ICU leaves single characters between words (档案/馆,
// 上海/市/档案局, 借/阅): a run of them is kept as one word, a lone one joins the word
// before it (or after it, at the start): 档案馆, 上海市. Stop words are left out.
QueryNode han_group(std::string_view run, std::vector<std::string>& marks) {
  marks.emplace_back(run);
  std::size_t n = char_count(run);
  if (n == 1) return phrase({std::string(run)}, true);
  if (n == 2) return phrase({std::string(run)});
  std::vector<std::string> words, merged;
  for_each_han_word(run, [&](std::string_view w) {
    if (!(char_count(w) == 1 && is_stop(w, true))) words.emplace_back(w);
  });
  std::string pending;  // single characters not yet attached
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (char_count(w) == 1) {
      pending += w;
      continue;
    }
    if (!pending.empty()) {
      if (char_count(pending) >= 2 || merged.empty()) {
        if (char_count(pending) >= 2)
          merged.push_back(pending);
        else {  // a lone character at the start joins the next word
          merged.push_back(pending + w);
          pending.clear();
          continue;
        }
      } else {
        merged.back() += pending;
      }
      pending.clear();
    }
    merged.push_back(w);
  }
  if (!pending.empty()) {
    if (char_count(pending) >= 2 || merged.empty())
      merged.push_back(pending);
    else
      merged.back() += pending;
  }
  for (auto& w : merged)
    if (w != run) marks.push_back(w);
  QueryNode substring = phrase(bigrams(run));
  if (merged.empty() || (merged.size() == 1 && merged[0] == run))
    return combine(QueryNode::Kind::any, {phrase({std::string(run)}), std::move(substring)});
  std::vector<QueryNode> word_nodes;
  for (auto& w : merged) word_nodes.push_back(han_word(w));
  return combine(QueryNode::Kind::any,
                 {combine(QueryNode::Kind::all, std::move(word_nodes)), std::move(substring)});
}

QueryNode latin_group(std::string_view w, std::vector<std::string>& stems) {
  std::string s = stem(w);
  stems.push_back(s);
  if (s == w) return phrase({s});
  return combine(QueryNode::Kind::any, {phrase({s}), phrase({std::string(w)})});
}

// Terms of a quoted phrase in order (Han runs as words, Latin words stemmed); a phrase
// of Han characters only becomes the bigram phrase (a substring match).
QueryNode phrase_group(std::string_view folded, ParsedQuery& pq) {
  std::vector<std::string> terms;
  std::string han_only;
  bool only_han = true;
  for_each_run(folded, [&](const Run& r) {
    if (r.kind == RunKind::han) {
      han_only.append(r.text);
      pq.marks.emplace_back(r.text);
      for_each_han_word(r.text, [&](std::string_view w) { terms.emplace_back(w); });
    } else {
      only_han = false;
      if (r.kind == RunKind::latin) {
        terms.push_back(stem(r.text));
        pq.stems.push_back(terms.back());
      } else {
        terms.emplace_back(r.text);
        pq.marks.emplace_back(r.text);
      }
    }
  });
  if (terms.empty()) return QueryNode{QueryNode::Kind::all, {}, {}, false, false};
  if (only_han) {
    std::size_t n = char_count(han_only);
    if (n == 1) return phrase({han_only}, true);
    auto grams = bigrams(han_only);
    if (terms.size() == 1 && n == 2) return phrase({han_only});
    return combine(QueryNode::Kind::any, {phrase(terms), phrase(std::move(grams))});
  }
  return phrase(std::move(terms));
}

bool is_code_separator(UChar32 c) {
  return c == '-' || c == '/' || c == '.' || c == '_' || c == 0x00B7 || c == 0x2010 ||
         c == 0x2011 || c == 0x2012 || c == 0x2013 || c == 0x2014 || c == 0x2015 || c == 0x2212 ||
         c == 0xFE63 || c == 0xFF0D || c == 0x30FB || c == 0xFF0F;
}

}  // namespace

// ---------------------------------------------------------------- public

std::uint64_t Prepared::hash() const {
  std::uint64_t h = 1469598103934665603ull;
  for (const auto& c : columns) {
    for (unsigned char ch : c) {
      h ^= ch;
      h *= 1099511628211ull;
    }
    h ^= 0xFF;
    h *= 1099511628211ull;
  }
  return h;
}

std::string_view char_pinyin(char32_t c) {
  if (c < kPinyinFirst || c > kPinyinLast) return {};
  PinyinTable& t = pinyin_table();
  std::size_t i = c - kPinyinFirst;
  if (t.ready[i].load(std::memory_order_acquire)) return t.values[i];
  std::lock_guard lk(t.mu);
  if (!t.ready[i].load(std::memory_order_relaxed)) {
    std::string ch;
    append_utf8(ch, static_cast<UChar32>(c));
    std::string py = text::pinyin(ch), clean;
    for (char x : py)
      if (x >= 'a' && x <= 'z') clean.push_back(x);
    // Characters ICU has no reading for come back unchanged (no ASCII letters).
    t.values[i] = std::move(clean);
    t.ready[i].store(true, std::memory_order_release);
  }
  return t.values[i];
}

std::string pinyin_of(std::string_view s) {
  std::string out;
  int32_t i = 0, len = static_cast<int32_t>(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < len) {
    UChar32 c;
    U8_NEXT(p, i, len, c);
    if (c > 0) out += char_pinyin(static_cast<char32_t>(c));
  }
  return out;
}

std::vector<std::string> han_runs(std::string_view folded) {
  std::vector<std::string> out;
  for_each_run(folded, [&](const Run& r) {
    if (r.kind == RunKind::han) out.emplace_back(r.text);
  });
  return out;
}

std::vector<std::string> substrings_with_pinyin(std::string_view run, std::string_view pinyin) {
  std::vector<CodePoint> cps;
  decode(run, cps);
  std::vector<std::string> out;
  for (std::size_t len = 1; len <= cps.size(); ++len)
    for (std::size_t a = 0; a + len <= cps.size(); ++a) {
      std::string_view sub = run.substr(cps[a].begin, cps[a + len - 1].end - cps[a].begin);
      if (pinyin_of(sub) == pinyin) out.emplace_back(sub);
    }
  return out;
}

std::string stem(std::string_view w) {
  thread_local Stemmer stemmer;
  if (!stemmer.s || w.empty()) return std::string(w);
  const sb_symbol* s = sb_stemmer_stem(stemmer.s, reinterpret_cast<const sb_symbol*>(w.data()),
                                       static_cast<int>(w.size()));
  if (!s) return std::string(w);
  return std::string(reinterpret_cast<const char*>(s),
                     static_cast<std::size_t>(sb_stemmer_length(stemmer.s)));
}

std::vector<std::string> han_words(std::string_view run) {
  std::vector<std::string> out;
  for_each_han_word(run, [&](std::string_view w) { out.emplace_back(w); });
  return out;
}

std::string normalize_code(std::string_view code) {
  std::string folded = text::fold(code), out;
  int32_t i = 0, len = static_cast<int32_t>(folded.size());
  const auto* p = reinterpret_cast<const uint8_t*>(folded.data());
  bool pending = false;
  while (i < len) {
    UChar32 c;
    U8_NEXT(p, i, len, c);
    if (c < 0) continue;
    bool word = c < 0x80 ? ascii_alnum(static_cast<unsigned char>(c)) : (is_han(c) || u_isalnum(c));
    if (!word) {
      pending = !out.empty();
      continue;
    }
    if (pending) out.push_back('-');
    pending = false;
    append_utf8(out, c);
  }
  return out;
}

bool looks_like_code(std::string_view q) {
  std::string folded = text::fold(q);
  int32_t i = 0, len = static_cast<int32_t>(folded.size());
  const auto* p = reinterpret_cast<const uint8_t*>(folded.data());
  bool digit = false, separator = false, last_sep = true;
  int words = 0;
  while (i < len) {
    UChar32 c;
    U8_NEXT(p, i, len, c);
    if (c < 0 || c == ' ') return false;
    if (is_code_separator(c)) {
      if (last_sep) return false;  // leading or doubled separator
      separator = last_sep = true;
      continue;
    }
    bool word = c < 0x80 ? ascii_alnum(static_cast<unsigned char>(c)) : (is_han(c) || u_isalnum(c));
    if (!word) return false;
    if (last_sep) ++words;
    last_sep = false;
    digit |= c >= '0' && c <= '9';
  }
  return digit && separator && words >= 2;
}

std::string access_term(std::string_view level) { return "a_" + std::string(level); }
std::string kind_term(std::string_view kind) { return "k_" + std::string(kind); }
std::string fonds_term(std::int64_t id) { return "f_" + std::to_string(id); }
std::string category_term(std::int64_t id) { return "c_" + std::to_string(id); }
std::string carrier_term(std::string_view carrier) { return "m_" + std::string(carrier); }

std::vector<std::string> year_terms(int from, int to) {
  std::vector<std::string> out;
  auto floordiv = [](int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  int y = from;
  while (y <= to) {
    if (y % 100 == 0 && y + 99 <= to) {
      out.push_back("h_" + std::to_string(floordiv(y, 100)));
      y += 100;
    } else if (y % 10 == 0 && y + 9 <= to) {
      out.push_back("d_" + std::to_string(floordiv(y, 10)));
      y += 10;
    } else {
      out.push_back("y_" + std::to_string(y));
      ++y;
    }
  }
  return out;
}

std::string meta_terms(const Document& doc) {
  std::string m;
  add_term(m, kind_term(doc.kind));
  add_term(m, access_term(doc.access_level));
  add_term(m, carrier_term(doc.carrier));
  if (doc.fonds_id) add_term(m, fonds_term(doc.fonds_id));
  bool own = false;
  for (auto c : doc.category_path) {
    add_term(m, category_term(c));
    own |= c == doc.category_id;
  }
  if (doc.category_id && !own) add_term(m, category_term(doc.category_id));
  if (doc.year) {
    int y = *doc.year;
    // The year as a word too, so "2008年 招标文件" finds the files of 2008 by their
    // catalogue entry; this column is not ranked (run.cpp).
    add_term(m, std::to_string(y));
    add_term(m, "y_" + std::to_string(y));
    auto floordiv = [](int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
    add_term(m, "d_" + std::to_string(floordiv(y, 10)));
    add_term(m, "h_" + std::to_string(floordiv(y, 100)));
  }
  return m;
}

Prepared prepare(const Document& doc) {
  Prepared p;
  auto& c = p.columns;
  // Entry fields: words, grams, and pinyin of title and keywords.
  analyze_field(text::fold(doc.title), c[kTitle], c[kEntryGrams], true, &c[kPinyin]);
  for (const auto& k : doc.keywords) {
    field_break(c[kEntryGrams]);
    analyze_field(text::fold(k), c[kKeywords], c[kEntryGrams], true, &c[kPinyin]);
  }
  field_break(c[kEntryGrams]);
  analyze_field(text::fold(doc.creator), c[kCreator], c[kEntryGrams], true, nullptr);
  // Long text: grams for Han, words for the rest.
  analyze_field(text::fold(doc.description), c[kDescription], c[kContentGrams], false, nullptr);
  if (!doc.content.empty()) {
    field_break(c[kContentGrams]);
    std::string_view content(doc.content);
    content = content.substr(0, indexed_content_size(content));
    analyze_field(text::fold(content), c[kContent], c[kContentGrams], false, nullptr);
  }
  if (!doc.reference_code.empty()) {
    std::string code = normalize_code(doc.reference_code);
    add_term(c[kRefcode], code);
    // Its parts, unless the code is a single part.
    std::string unused;
    if (code.find('-') != std::string::npos)
      analyze_field(code, c[kRefcode], unused, true, nullptr);
  }
  // Trailing field breaks are harmless but make the text longer: drop them.
  for (int g : {kEntryGrams, kContentGrams}) {
    auto& s = c[g];
    while (s.size() >= 2 && s.compare(s.size() - 2, 2, "x_") == 0) {
      s.resize(s.size() - 2);
      if (!s.empty() && s.back() == ' ') s.pop_back();
    }
  }
  c[kMeta] = meta_terms(doc);
  if (doc.access_level == "controlled") {
    // Content of a controlled record goes to its own column (see kHidden).
    std::string& h = c[kHidden];
    for (int col : {kDescription, kContent, kContentGrams}) {
      if (c[col].empty()) continue;
      field_break(h);
      h += c[col];
      c[col].clear();
    }
  }
  return p;
}

ParsedQuery parse_query(std::string_view q, bool codes_as_text) {
  ParsedQuery pq;
  struct Group {
    QueryNode node;
    std::string text;
    bool stop = false;
    bool code = false;
  };
  std::vector<Group> groups;
  auto add_group = [&](QueryNode n, std::string text, bool stop = false, bool code = false) {
    if (n.kind != QueryNode::Kind::phrase && n.children.empty()) return;
    if (n.kind == QueryNode::Kind::phrase && n.terms.empty()) return;
    groups.push_back({std::move(n), std::move(text), stop, code});
  };
  std::string folded_all = text::fold(q);
  // Split into quoted phrases and the rest; the rest into whitespace-separated chunks.
  std::string_view s(folded_all);
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t quote = s.find('"', pos);
    std::string_view plain = s.substr(pos, quote == std::string_view::npos ? s.npos : quote - pos);
    // Unquoted text: chunk by spaces so a reference code is seen whole.
    std::size_t i = 0;
    while (i < plain.size()) {
      while (i < plain.size() && plain[i] == ' ') ++i;
      std::size_t j = plain.find(' ', i);
      if (j == std::string_view::npos) j = plain.size();
      std::string_view chunk = plain.substr(i, j - i);
      i = j;
      if (chunk.empty()) continue;
      if (looks_like_code(chunk)) {
        std::string code = normalize_code(chunk);
        pq.marks.push_back(code);
        if (!codes_as_text) {
          // The whole code, or codes that begin with it, in the reference-code column.
          QueryNode whole = phrase({code}, true);
          whole.code = true;
          add_group(std::move(whole), code, false, true);
          continue;
        }
        // As text: its parts in order, wherever they are.
        std::vector<std::string> parts;
        for_each_run(code, [&](const Run& r) {
          if (r.kind == RunKind::latin)
            parts.push_back(stem(r.text));
          else if (r.kind == RunKind::han)
            for_each_han_word(r.text, [&](std::string_view w) { parts.emplace_back(w); });
          else
            parts.emplace_back(r.text);
        });
        add_group(phrase(std::move(parts)), code);
        continue;
      }
      std::vector<Run> runs;
      for_each_run(chunk, [&](const Run& r) { runs.push_back(r); });
      for (std::size_t k = 0; k < runs.size(); ++k) {
        const Run& r = runs[k];
        switch (r.kind) {
          case RunKind::han:
            // A single character right after a number is its unit (2019年, 3卷, 5号): the
            // number says it, and a one-character term is the costliest to look up.
            if (char_count(r.text) == 1 && k > 0 && runs[k - 1].kind == RunKind::alnum &&
                runs[k - 1].text.data() + runs[k - 1].text.size() == r.text.data())
              break;
            add_group(han_group(r.text, pq.marks), std::string(r.text));
            break;
          case RunKind::latin:
            add_group(latin_group(r.text, pq.stems), std::string(r.text), is_stop(r.text, false));
            break;
          default:
            pq.marks.emplace_back(r.text);
            add_group(phrase({std::string(r.text)}), std::string(r.text));
        }
      }
    }
    if (quote == std::string_view::npos) break;
    std::size_t close = s.find('"', quote + 1);
    std::string_view inner =
        s.substr(quote + 1, close == std::string_view::npos ? s.npos : close - quote - 1);
    add_group(phrase_group(inner, pq), "\"" + std::string(inner) + "\"");
    if (close == std::string_view::npos) break;
    pos = close + 1;
  }
  // Stop words are dropped beside other words ("history of shanghai"), kept alone ("the").
  bool has_content =
      std::any_of(groups.begin(), groups.end(), [](const Group& g) { return !g.stop; });
  pq.root.kind = QueryNode::Kind::all;
  for (auto& g : groups) {
    if (g.stop && has_content) continue;
    if (!pq.normalized.empty()) pq.normalized.push_back(' ');
    pq.normalized += g.text;
    pq.groups.push_back(g.text);
    pq.code_group.push_back(g.code);
    pq.root.children.push_back(std::move(g.node));
  }
  if (pq.root.children.size() == 1 && pq.code_group[0]) pq.code = pq.groups[0];
  return pq;
}

QueryNode without_group(const QueryNode& root, std::size_t index) {
  QueryNode out = root;
  if (index < out.children.size())
    out.children.erase(out.children.begin() + static_cast<std::ptrdiff_t>(index));
  return out;
}

}  // namespace dangan::search::analysis
