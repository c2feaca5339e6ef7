// search_internal.h — what the search module's files share: candidate order (srowid),
// the search_docs columns, and query rendering for each backend.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "search/analyzer.h"
#include "search/search.h"

namespace dangan::search::detail {

// Candidate order: the FTS rowid / search_docs.srowid, ascending: higher tiers first;
// within a tier, by id. (3 − tier) << 40 | kind << 36 | id.
//   tier 3: important; 2: used 10+ times, cited 3+ times or authority 7+;
//   1: used, cited or authority 4+; 0: the rest.
int tier_of(bool important, std::int64_t use_count, std::int64_t cited_by, int authority);
Result<int> kind_code(const std::string& kind);
std::int64_t make_srowid(int tier, int kind, std::int64_t id);
constexpr std::int64_t kMaxId = (std::int64_t{1} << 36) - 1;

// The columns of search_docs read back into a Document (raw text, filters, signals).
constexpr const char* kDocColumns =
    "srowid, kind, id, reference_code, title, description, creator, keywords, content, "
    "access_level, carrier, fonds_id, category_id, category_path, year, important, use_count, "
    "cited_by, source_authority, updated_at, tier, terms_hash";
Document document_from_row(const store::Row& row);             // columns as kDocColumns
std::string path_text(const std::vector<std::int64_t>& path);  // "/1/7/"

// Column sets of FTS5 expressions: the catalogue entry (title, refcode, keywords, creator,
// pinyin, egrams, meta), and everything but a controlled record's content (patrons).
constexpr const char* kEntryColumns = "{title refcode keywords creator pinyin egrams meta}";
constexpr const char* kPatronColumns =
    "{title refcode keywords creator description content pinyin egrams cgrams meta}";

// FTS5 query text of a query tree. Each phrase written appends `group` to
// `phrase_groups` (FTS5 numbers phrases in the order they appear).
std::string render_fts5(const analysis::QueryNode& node, int group = 0,
                        std::vector<int>* phrase_groups = nullptr);
// Wraps an expression so it matches the catalogue-entry columns only.
std::string fts5_entry_only(const std::string& expr);
std::string fts5_phrase(const std::string& term);
// PostgreSQL tsquery text; `weights` ("ABC", or "" for all) restricts every term
// (tsvector_text: ABC is all but a controlled record's content); kTsEntry asks for the
// terms in the catalogue entry (the lexemes tsvector_text marks with kTsEntryMark).
constexpr const char* kTsEntry = "entry";
constexpr const char* kTsEntryMark = "~";  // never begins a query term
std::string render_tsquery(const analysis::QueryNode& node, const std::string& weights);
std::string tsquery_term(const std::string& term, bool prefix, const std::string& weights);
// PostgreSQL tsvector text of prepared columns (positions per column, weights by column).
std::string tsvector_text(const analysis::Prepared& p);

// Importance as search.h defines it.
double importance(const Weights& w, bool important, std::int64_t use_count, std::int64_t cited_by,
                  int authority, const std::string& updated_at, std::int64_t now_epoch_days);
std::int64_t epoch_days(const std::string& iso8601);  // 0 when unparsable

bool register_rank_function();

// The snippet of a hit: HTML-escaped text with the query's words in <mark>…</mark>.
std::string make_snippet(const std::vector<std::string>& texts, const analysis::ParsedQuery& pq,
                         std::size_t max_chars = 120);
std::string html_escape(std::string_view s);

}  // namespace dangan::search::detail

namespace dangan::search {
// A document's terms ready to write: prepared, hashed and, for PostgreSQL, written as
// tsvector text. Bulk makes these on its worker threads, so the writing thread only writes.
// A document's terms as the statements that write them, made where the text is prepared
// (a worker thread in a bulk load) so the writing thread only binds them: the search_docs
// row (with the tsvector text last on PostgreSQL) and the FTS5 row (SQLite). Both are empty
// when the document's kind is unknown (upsert_prepared refuses it).
struct PreparedDoc {
  std::uint64_t hash = 0;  // analysis::Prepared::hash of the terms
  store::Params row;
  store::Params fts;
};
PreparedDoc prepare_doc(const Document& doc, store::Backend backend);
// upsert() with the terms already prepared; known_new: the caller knows the document is
// not in the index yet.
Status upsert_prepared(store::Tx& tx, const Document& doc, const PreparedDoc& p, bool known_new);
// The same for many documents (PostgreSQL: several rows a statement).
Status upsert_prepared_many(store::Tx& tx, const std::vector<const Document*>& docs,
                            const std::vector<const PreparedDoc*>& prepared, bool known_new);
}  // namespace dangan::search
