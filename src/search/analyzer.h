// analyzer.h — turns document fields and queries into index terms, the same way for
// both, so that what a user types meets what was indexed.
//
// Preparation of any text: text::fold (NFKC case folding: full-width → half-width, upper
// → lower; OpenCC t2s: traditional → simplified), then a split into runs:
//   Han runs ........ ICU dictionary word break (zh) → words; and, as a fallback for
//                     words the break iterator splits differently in a sentence than
//                     alone, the run's overlapping character bigrams plus its last
//                     character ("档案馆" → 档案 案馆 馆) in separate "grams" columns;
//   ASCII letters ... Snowball English stemmer ("records", "recording" → "record");
//   digits, mixed ... kept as they are ("2019", "a4", "qz01");
//   other letters ... (Cyrillic, kana, accented Latin) kept as words.
// Chinese title and keyword words also give pinyin terms: full ("dangan") and initials
// ("da"), for single words and for two neighbouring words ("danganguanli", "dagl").
// A reference code is indexed whole (separators unified to '-') and as its parts.
//
// Terms never contain '_' or spaces: the index's own filter terms ("a_open", "f_12",
// see meta_terms) do, so no user query can match them.
//
// Queries are parsed into a small tree (QueryNode) that the SQLite and PostgreSQL
// backends render into their own syntax. Every group of the query is required (AND):
//   a Han run ....... (all its words) OR (its bigram phrase, i.e. the run as a substring);
//                     a single character matches the grams beginning with it;
//   an ASCII word ... its stem, or the word itself (pinyin is not stemmed);
//   "a phrase" ...... its terms in order;
//   a reference code (letters/digits joined by '-', '/', '.', '·') ... codes that
//                     begin with it in the reference-code column (run.cpp answers a
//                     query of one code from search_docs' code index, and falls back to
//                     its parts in order anywhere when no code begins with it).
//
// Everything here is thread-safe (per-thread ICU and Snowball objects) and never throws.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "search/search.h"

namespace dangan::search::analysis {

// The index's columns, in FTS5 column order. Entry columns are what a patron may match
// on a controlled record (its catalogue entry); content columns are the rest.
enum Column : int {
  kTitle,
  kRefcode,
  kKeywords,
  kCreator,
  kDescription,
  kContent,
  kPinyin,
  kEntryGrams,    // grams of title, keywords, creator
  kContentGrams,  // grams of description and content
  kMeta,          // filter terms (kind, access level, fonds, categories, year, carrier)
  // A controlled record's description, content and their grams: kept apart so that a
  // patron's query, which leaves this column out, matches such a record only by its
  // catalogue entry (search.h), while staff queries match it like any other column.
  kHidden,
  kColumnCount
};
constexpr std::array<const char*, kColumnCount> kColumnNames = {
    "title",  "refcode", "keywords", "creator", "description", "content",
    "pinyin", "egrams",  "cgrams",   "meta",    "hidden"};
inline bool is_entry_column(int c) {
  return c == kTitle || c == kRefcode || c == kKeywords || c == kCreator || c == kPinyin ||
         c == kEntryGrams || c == kMeta;
}

// Changes whenever prepare() gives other terms for the same document, or the index's
// layout or candidate order changes; search::maintain() then rebuilds the index.
constexpr int kAnalyzerVersion = 3;

// Attachment text past this many bytes is not indexed (docs/search.md).
constexpr std::size_t kMaxContentBytes = 256 * 1024;
// How much of `content` is indexed: all of it, or kMaxContentBytes cut back to the start
// of a UTF-8 character.
inline std::size_t indexed_content_size(std::string_view content) {
  if (content.size() <= kMaxContentBytes) return content.size();
  std::size_t cut = kMaxContentBytes;
  while (cut > 0 && (static_cast<unsigned char>(content[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

// Terms of each column, separated by single spaces, in text order.
struct Prepared {
  std::array<std::string, kColumnCount> columns;
  // FNV-1a of all columns: tells whether re-preparing stored text gives what was indexed.
  std::uint64_t hash() const;
};

Prepared prepare(const Document& doc);

// The filter terms of a document (also used to build filters at query time).
std::string meta_terms(const Document& doc);
std::string access_term(std::string_view level);     // "a_open"
std::string kind_term(std::string_view kind);        // "k_record"
std::string fonds_term(std::int64_t id);             // "f_12"
std::string category_term(std::int64_t id);          // "c_5"
std::string carrier_term(std::string_view carrier);  // "m_paper"
// Terms that together match exactly the years from..to (years, decades, centuries).
std::vector<std::string> year_terms(int from, int to);

// A reference code folded, trimmed and with every separator run ('-', '—', '/', '.',
// '·', spaces…) turned into one '-': "QZ01—WS / 2019" → "qz01-ws-2019".
std::string normalize_code(std::string_view code);
// Whether a query looks like a reference code: one word of letters and digits with
// separators and at least one digit ("QZ01-WS-2019-0001", "ws-2019").
bool looks_like_code(std::string_view q);

// Pinyin of one Han character without tone ("dang"); empty for other characters.
std::string_view char_pinyin(char32_t c);
// Pinyin of the Han characters of `s`, run together ("档案" → "dangan").
std::string pinyin_of(std::string_view s);
// The Han runs of folded text, in order.
std::vector<std::string> han_runs(std::string_view folded);
// Substrings of `run` (whole characters) whose pinyin is `pinyin`, shortest first.
std::vector<std::string> substrings_with_pinyin(std::string_view run, std::string_view pinyin);

struct QueryNode {
  enum class Kind { all, any, phrase };
  Kind kind = Kind::phrase;
  std::vector<QueryNode> children;  // all, any
  std::vector<std::string> terms;   // phrase: in order
  bool prefix = false;              // phrase: its last term is a prefix
  bool code = false;                // phrase: a whole reference code (refcode column only)
};

struct ParsedQuery {
  QueryNode root;                   // Kind::all of the groups; empty when nothing to find
  std::vector<std::string> groups;  // the folded text of each group, for suggestions
  // Words to mark in snippets: folded Han words, runs and single characters, and the
  // stems of Latin words.
  std::vector<std::string> marks;
  std::vector<std::string> stems;
  std::vector<bool> code_group;  // whether each group is a reference code
  std::string normalized;        // folded query, one space between groups
  std::string code;              // the code when the query is one reference code
  bool empty() const { return root.children.empty(); }
};

// codes_as_text: a code-like word matches its parts in order anywhere (a date such as
// 2019-05-01, a standard's number), not the reference-code column.
ParsedQuery parse_query(std::string_view q, bool codes_as_text = false);
// The tree without the group at `index` (for "drop the word that matched nothing").
QueryNode without_group(const QueryNode& root, std::size_t index);

// Lower-level pieces, exposed for snippets and tests.
std::string stem(std::string_view ascii_lower_word);
// ICU words of a folded Han run.
std::vector<std::string> han_words(std::string_view run);

}  // namespace dangan::search::analysis
