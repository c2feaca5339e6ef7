// search.h — one ranked full-text search over the catalogue (and, later, FAQ entries),
// in Chinese (simplified and traditional), English and pinyin.
//
// The search module owns its own tables (the index, the search log). Modules that own
// searchable things hand it a Document inside the transaction that changes the thing,
// so the index never disagrees with what was committed; reindex() rebuilds from
// scratch through the same call. The module never reads another module's tables.
//
// Text preparation, the same at index and query time: NFKC case folding (full-width →
// half-width, upper → lower), traditional → simplified (OpenCC t2s), Chinese segmented
// into words (ICU dictionary word break) plus overlapping character bigrams as a
// fallback for words segmented differently in context, English stemmed (Snowball),
// and Chinese titles also indexed as pinyin, full and initials: 档案 (dàng'àn) as
// "dangan" and "da" (docs/search.md, "Pinyin").
//
// Ranking: text relevance (BM25 over weighted fields) combined with importance — use
// count, the important flag, recency, source authority, how often other records cite
// it — with the weights from Weights (config), explained in docs/search.md.
//
// Visibility (the caller says who searches):
//   Audience::staff_all ...... every level
//   Audience::staff_open_controlled  open and controlled, never secret
//   Audience::patron ......... open records fully; controlled records only by their
//                               catalogue entry (title, reference code, keywords,
//                               creator, year — never description or attachment text),
//                               unless listed in `content_allowed`; secret never, and
//                               never counted in totals or facets.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::search {

// What the index keeps of one searchable thing. `kind` + `id` identify it ("record", 42).
struct Document {
  std::string kind = "record";
  std::int64_t id = 0;
  // Searchable fields (raw text; the index prepares it).
  std::string reference_code, title, description, creator;
  std::vector<std::string> keywords;
  std::string content;  // attachment text (plain text, HTML stripped, PDF text)
  // Filters and facets.
  std::int64_t fonds_id = 0, category_id = 0;
  std::vector<std::int64_t> category_path;  // ancestors and itself, root first
  std::optional<int> year;
  std::string access_level = "open";  // open | controlled | secret
  std::string carrier = "paper";
  // Importance signals.
  bool important = false;
  std::int64_t use_count = 0;
  std::int64_t cited_by = 0;  // typed relations pointing at it (D43)
  int source_authority = 0;   // 0..10 (D43)
  std::string updated_at;     // ISO 8601 UTC; recency
};

// Inserts or replaces the document, inside the caller's write transaction.
Status upsert(store::Tx& tx, const Document& doc);
// Removes it (disposal, closure); absent documents are fine.
Status remove(store::Tx& tx, const std::string& kind, std::int64_t id);
// Changes only the importance signals (a use, a new citation) without re-preparing text.
Status update_signals(store::Tx& tx, const std::string& kind, std::int64_t id,
                      std::int64_t use_count, std::int64_t cited_by, bool important);

// Rebuilding (dangan reindex): empties the index (every kind) inside the caller's
// transaction; then add every document again, best through Bulk.
Status clear(store::Tx& tx);

// Brings the index up to date with this build's text preparation: when the analyzer that
// built it differs (a new release, another ICU or OpenCC), re-prepares every document
// from the text search_docs keeps, in one transaction (readers see the old index until
// it commits). Call at start; returns how many documents were re-indexed.
Result<std::int64_t> maintain(store::Database& db);

// Many upserts in one transaction, with the text prepared on `threads` threads (0: one
// fewer than the cores, at least one) while the caller's thread writes, in the order added. `fresh`: the documents
// are not in the index (after clear()), which saves a lookup each. The Tx is used only
// from the caller's thread. Measured rates are in BENCHMARKS.md.
class Bulk {
 public:
  explicit Bulk(store::Tx& tx, int threads = 0, bool fresh = false);
  ~Bulk();
  Bulk(const Bulk&) = delete;
  Bulk& operator=(const Bulk&) = delete;
  Status add(Document doc);
  // Writes what is still queued; call before commit.
  Status finish();
  std::int64_t written() const;
  int threads() const;  // preparing text

 private:
  struct State;
  std::unique_ptr<State> state_;
};

enum class Audience { staff_all, staff_open_controlled, patron };

struct Weights {
  // Field weights for BM25 (D43).
  double title = 4, reference_code = 5, keywords = 3, creator = 2, description = 1, content = 0.5,
         pinyin = 1.5;
  // The character-bigram fallback columns count this share of their fields' weight
  // (entry grams: title's; content grams: description's).
  double grams = 0.5;
  // Importance: score = relevance * (1 + importance), importance =
  //   w_important * important + w_use * log1p(use_count) + w_cited * log1p(cited_by)
  //   + w_authority * source_authority/10 + w_recency * exp(-age_days / recency_days)
  double important = 0.3, use = 0.1, cited = 0.1, authority = 0.2, recency = 0.1;
  double recency_days = 365;
};

struct Query {
  std::string q;
  std::string kind = "record";
  std::vector<std::int64_t> fonds_ids, category_ids;  // a category matches its subtree
  std::optional<int> year_from, year_to;
  std::vector<std::string> access_levels, carriers;
  Audience audience = Audience::staff_open_controlled;
  std::vector<std::int64_t> content_allowed;  // patron: controlled records they may read
  int limit = 20, offset = 0;
  bool facets = true;
  // How many matches are ranked at most (0: kDefaultCandidates). Matches are taken in
  // candidate order (important and much-used records first, then by id); when there
  // are more, the rest are not ranked, counted only up to kTotalCap, and left out of
  // facets (Results says so).
  int candidates = 0;
};
constexpr int kDefaultCandidates = 200;
constexpr std::int64_t kTotalCap = 500;
constexpr int kMaxQueryChars = 200;

struct Hit {
  std::int64_t id = 0;
  std::string reference_code, title;
  std::string snippet;  // matched words wrapped in <mark>…</mark>, other text HTML-escaped
  double score = 0;
  std::string access_level, carrier;
  std::optional<int> year;
  std::int64_t fonds_id = 0, category_id = 0;
  bool content_hidden = false;  // a controlled record shown by its catalogue entry only
  std::string kind = "record";
  // Why it is where it is: "code" (its reference code is the query), "code_prefix", "text".
  std::string match = "text";
};

struct Results {
  std::vector<Hit> items;
  std::int64_t total = 0;
  // {"category": [{"value": id, "count": n}], "fonds": […], "year": […],
  //  "access_level": […], "carrier": […]}
  nlohmann::json facets = nlohmann::json::object();
  std::optional<std::string> suggestion;  // a query that would find something
  // false when there were more matches than the candidates: `total` then counts them up to
  // kTotalCap (total_exact false past it) and facets count the candidates only.
  bool total_exact = true;
  bool facets_exact = true;
  std::string normalized;  // the query as prepared (folded), for the search log
};

// Fails with `invalid` (field "q") for an empty or over-long query.
Result<Results> run(store::Tx& tx, const Query& q, const Weights& w);

// ---------------------------------------------------------------- search log
// Every search is logged (seed 000 5.2.2 (1)): who, what was typed, what it was prepared
// to, how many it found, and later whether a result was opened. Searches that found
// nothing, or nothing anyone opened, are unmet demand: terms the collection may lack.
struct LogEntry {
  std::int64_t user_id = 0;
  std::optional<std::int64_t> patron_id;  // portal accounts
  Audience audience = Audience::staff_open_controlled;
  std::string query, normalized;
  std::int64_t total = 0;
  bool total_exact = true;  // for the timeline's "N found" / "N+ found"
};
Result<std::int64_t> log_search(store::Tx& tx, const LogEntry& e, const Clock& clock);
// Marks a logged search as having led to opening `record_id`; only the user who searched
// may (not_found otherwise, so ids of others' searches tell nothing). The first open
// counts; later ones change nothing.
Status mark_opened(store::Tx& tx, std::int64_t search_id, std::int64_t user_id,
                   std::int64_t record_id, const Clock& clock);

struct DemandQuery {
  std::string from, to;  // ISO 8601 times or dates; empty: unbounded
  int limit = 50;
};
// {"items": [{"term", "searches", "found_nothing", "not_opened", "last_searched_at",
//             "weekly": [{"week": "2026-11-23", "count": n}]}]}, most searched first;
// weeks start on Monday (UTC).
Result<nlohmann::json> unmet_demand(store::Tx& tx, const DemandQuery& q);
// Erasure of a person (PIPL): their searches stay for the report, without who made them.
Status forget_searcher(store::Tx& tx, std::optional<std::int64_t> user_id,
                       std::optional<std::int64_t> patron_id);

}  // namespace dangan::search
