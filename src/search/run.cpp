// run.cpp — answering a query: candidates from the index, ranking, visibility, facets,
// snippets and suggestions (search.h has the rules; docs/search.md the reasons).
//
// 1. The query is parsed (analysis::parse_query) and written for the backend, together
//    with the audience's visibility and the filters, which are terms of the index too
//    ("a_open", "f_12", "y_2019"), so the index alone decides what matches and what is
//    counted: a patron's expression never matches a secret record.
// 2. Candidates: matches in candidate order (srowid, downwards: important and used
//    documents first, then by id), at most `candidates` of them, each with its text
//    relevance (SQLite: dangan_rank, BM25F; PostgreSQL: ts_rank with weights by field).
//    When there are more matches, a second pass takes the matches in the catalogue-entry
//    fields, so records that name the query in their title are not lost among the others.
// 3. score = relevance × (1 + importance); a query that is a reference code puts the
//    record with that code, then the codes it begins, first.
// 4. Total: exact up to the candidates, else counted up to kTotalCap. Facets count the
//    candidates (exact when all matches are candidates).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <set>
#include <unordered_map>

#include "search/search_internal.h"
#include "text/text.h"

namespace dangan::search {

using json = nlohmann::json;
using analysis::ParsedQuery;
using analysis::QueryNode;
using store::Backend;
using store::Params;
using store::Row;

namespace detail {

std::int64_t epoch_days(const std::string& iso) {
  // "YYYY-MM-DD…" by hand: this runs for every candidate.
  if (iso.size() < 10 || iso[4] != '-' || iso[7] != '-') return 0;
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (iso[i] < '0' || iso[i] > '9') return -1;
      v = v * 10 + (iso[i] - '0');
    }
    return v;
  };
  int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > 31) return 0;
  // Days from civil (H. Hinnant).
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy =
      (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

double importance(const Weights& w, bool important, std::int64_t use_count, std::int64_t cited_by,
                  int authority, const std::string& updated_at, std::int64_t now_days) {
  double v = w.important * (important ? 1 : 0) +
             w.use * std::log1p(static_cast<double>(std::max<std::int64_t>(0, use_count))) +
             w.cited * std::log1p(static_cast<double>(std::max<std::int64_t>(0, cited_by))) +
             w.authority * std::clamp(authority, 0, 10) / 10.0;
  std::int64_t days = epoch_days(updated_at);
  if (days > 0 && w.recency_days > 0) {
    double age = static_cast<double>(std::max<std::int64_t>(0, now_days - days));
    v += w.recency * std::exp(-age / w.recency_days);
  }
  return v;
}

}  // namespace detail

namespace {

const bool kRankRegistered = detail::register_rank_function();

struct Candidate {
  std::int64_t srowid = 0;
  double relevance = 0;
  std::int64_t id = 0;
  std::string kind, access_level, carrier;
  std::int64_t fonds_id = 0, category_id = 0;
  std::optional<int> year;
  bool important = false;
  std::int64_t use_count = 0, cited_by = 0;
  int authority = 0;
  std::string updated_at;
  double score = 0;
  int match = 2;  // 0 code, 1 code prefix, 2 text
  bool content_hidden = false;
  bool entry_match = false;  // matched in the catalogue-entry fields (title, keywords …)
};

// Columns after srowid and relevance in candidate queries.
constexpr const char* kCandidateColumns =
    "d.id, d.kind, d.access_level, d.carrier, d.fonds_id, d.category_id, d.year, d.important, "
    "d.use_count, d.cited_by, d.source_authority, d.updated_at";

Candidate candidate_from(const Row& r, std::size_t first) {
  Candidate c;
  c.srowid = r.i64(0);
  c.relevance = r.f64(1);
  c.id = r.i64(first);
  c.kind = r.str(first + 1);
  c.access_level = r.str(first + 2);
  c.carrier = r.str(first + 3);
  c.fonds_id = r.i64(first + 4);
  c.category_id = r.i64(first + 5);
  if (!r.is_null(first + 6)) c.year = static_cast<int>(r.i64(first + 6));
  c.important = r.i64(first + 7) != 0;
  c.use_count = r.i64(first + 8);
  c.cited_by = r.i64(first + 9);
  c.authority = static_cast<int>(r.i64(first + 10));
  c.updated_at = r.str(first + 11);
  if (r.cols.size() > first + 12) c.entry_match = r.i64(first + 12) != 0;
  return c;
}

std::string join_numbers(const std::vector<double>& v) {
  std::string out;
  char buf[32];
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back(',');
    std::snprintf(buf, sizeof buf, "%.6g", v[i]);
    out += buf;
  }
  return out;
}

std::string json_ids(const std::vector<std::int64_t>& ids) { return json(ids).dump(); }

// Weights of the FTS5 columns for dangan_rank. The hidden column (a controlled record's
// description and content) counts for staff like those fields; for patrons not at all.
std::vector<double> column_weights(const Weights& w, bool patron) {
  return {w.title,
          w.reference_code,
          w.keywords,
          w.creator,
          w.description,
          w.content,
          w.pinyin,
          w.title * w.grams,
          w.description * w.grams,
          0.0,
          patron ? 0.0 : (w.description + w.content) / 2};
}

// Which access levels the audience may find, and whether the controlled ones only by
// their catalogue entry.
struct Visibility {
  std::vector<std::string> levels;  // in open, controlled, secret order
  bool entry_only_controlled = false;
};

Visibility visibility(const Query& q) {
  Visibility v;
  std::vector<std::string> allowed = {"open", "controlled"};
  if (q.audience == Audience::staff_all) allowed.push_back("secret");
  for (const auto& l : allowed) {
    if (q.access_levels.empty() ||
        std::find(q.access_levels.begin(), q.access_levels.end(), l) != q.access_levels.end())
      v.levels.push_back(l);
  }
  v.entry_only_controlled = q.audience == Audience::patron;
  return v;
}

// ---------------------------------------------------------------- backend queries

// The pieces of one search, written for a backend.
struct Plan {
  // SQLite: FTS5 expression; PostgreSQL: tsquery text.
  std::string match;             // what may be found (visibility and filters included)
  std::string entry_match;       // the same, catalogue-entry fields only (second pass)
  std::string user;              // the query alone, for ranking (PostgreSQL)
  std::string user_entry;        // the same, entry fields only (PostgreSQL, patrons)
  std::string full_for_allowed;  // controlled records whose content the patron may read
  std::vector<int> phrase_groups, entry_phrase_groups, allowed_phrase_groups;
};

std::string or_terms_fts(const std::vector<std::string>& terms) {
  std::string out = "(";
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (i) out += " OR ";
    out += detail::fts5_phrase(terms[i]);
  }
  return out + ")";
}

std::string or_terms_ts(const std::vector<std::string>& terms) {
  std::string out = "(";
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (i) out += " | ";
    out += detail::tsquery_term(terms[i], false, "");
  }
  return out + ")";
}

struct Filters {
  std::vector<std::vector<std::string>> any_of;  // each: one of these terms
};

Filters filters_of(const Query& q, bool other_kinds, int max_year) {
  Filters f;
  if (other_kinds) f.any_of.push_back({analysis::kind_term(q.kind)});
  if (!q.fonds_ids.empty()) {
    std::vector<std::string> t;
    for (auto id : q.fonds_ids) t.push_back(analysis::fonds_term(id));
    f.any_of.push_back(std::move(t));
  }
  if (!q.category_ids.empty()) {
    std::vector<std::string> t;
    for (auto id : q.category_ids) t.push_back(analysis::category_term(id));
    f.any_of.push_back(std::move(t));
  }
  if (q.year_from || q.year_to) {
    int from = q.year_from.value_or(1000), to = q.year_to.value_or(std::max(max_year, from));
    auto t = analysis::year_terms(from, to);
    if (t.empty()) t.push_back("y_none");  // an empty range finds nothing
    f.any_of.push_back(std::move(t));
  }
  if (!q.carriers.empty()) {
    std::vector<std::string> t;
    for (const auto& c : q.carriers) t.push_back(analysis::carrier_term(c));
    f.any_of.push_back(std::move(t));
  }
  return f;
}

// FTS5: the user's groups, each phrase tagged with its group.
std::string fts_user(const ParsedQuery& pq, std::vector<int>& groups) {
  std::string out = "(";
  for (std::size_t i = 0; i < pq.root.children.size(); ++i) {
    if (i) out += " AND ";
    out += detail::render_fts5(pq.root.children[i], static_cast<int>(i), &groups);
  }
  return out + ")";
}

// The access levels to leave out, as a condition on the expression: nothing (all
// three), NOT the one missing (two), or AND the one (one). NOT is the cheaper: "a_open"
// is in 80% of rows, and intersecting with it costs more than skipping the few others.
const std::vector<std::string> kLevels = {"open", "controlled", "secret"};

// The whole FTS5 expression for the candidates. Filter phrases get group -1.
// A patron's query leaves out the hidden column (a controlled record's content);
// `entry_only`: the catalogue-entry columns only (the second pass).
std::string fts_match(const ParsedQuery& pq, const Visibility& v, const Filters& f, bool entry_only,
                      std::vector<int>& groups) {
  std::string expr = fts_user(pq, groups);
  if (entry_only)
    expr = detail::fts5_entry_only(expr);
  else if (v.entry_only_controlled)
    expr = std::string(detail::kPatronColumns) + " : (" + expr + ")";
  if (v.levels.size() == 1) {
    expr = "(" + expr + " AND " + detail::fts5_phrase(analysis::access_term(v.levels[0])) + ")";
    groups.push_back(-1);
  } else if (v.levels.size() == 2) {
    for (const auto& l : kLevels)
      if (std::find(v.levels.begin(), v.levels.end(), l) == v.levels.end()) {
        expr = "(" + expr + " NOT " + detail::fts5_phrase(analysis::access_term(l)) + ")";
        groups.push_back(-1);
      }
  }
  for (const auto& any : f.any_of) {
    expr += " AND " + or_terms_fts(any);
    for (std::size_t i = 0; i < any.size(); ++i) groups.push_back(-1);
  }
  return expr;
}

std::string ts_weights(const Visibility& v, bool entry_only) {
  return entry_only ? detail::kTsEntry : v.entry_only_controlled ? "ABC" : "";
}

std::string ts_match(const ParsedQuery& pq, const Visibility& v, const Filters& f,
                     bool entry_only) {
  std::string expr = detail::render_tsquery(pq.root, ts_weights(v, entry_only));
  if (v.levels.size() == 1) {
    expr += " & " + detail::tsquery_term(analysis::access_term(v.levels[0]), false, "");
  } else if (v.levels.size() == 2) {
    for (const auto& l : kLevels)
      if (std::find(v.levels.begin(), v.levels.end(), l) == v.levels.end())
        expr += " & !" + detail::tsquery_term(analysis::access_term(l), false, "");
  }
  for (const auto& any : f.any_of) expr += " & " + or_terms_ts(any);
  return expr;
}

struct Context {
  store::Tx& tx;
  const Query& q;
  const Weights& w;
  const ParsedQuery* pq;
  Visibility vis;
  Filters filters;
  int limit_candidates;
};

// The weight of each phrase for dangan_rank: 1 for the query's, 0 for filter terms.
// Every group is required, so every candidate has them all: weighing groups by their
// rarity (IDF) changed nothing measurable on the judged queries (nDCG@10 0.933 both
// ways) and cost a count per group, so they weigh the same.
std::string phrase_weights(const std::vector<int>& groups) {
  std::string out;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back(groups[i] < 0 ? '0' : '1');
  }
  return out;
}

// SQLite candidates for one expression.
Result<std::vector<Candidate>> sqlite_candidates(Context& c, const std::string& match,
                                                 const std::vector<int>& groups, int limit) {
  std::string dfs = phrase_weights(groups);
  // The last column: whether it matched in the catalogue-entry fields (text_search).
  static const std::string sql =
      std::string("SELECT search_fts.rowid, dangan_rank(search_fts, ?1, ?2, 0), ") +
      kCandidateColumns +
      ", dangan_rank(search_fts, ?1, ?2, 1) > 0 FROM search_fts JOIN search_docs d ON d.srowid "
      "= search_fts.rowid WHERE search_fts MATCH ?3 ORDER BY search_fts.rowid LIMIT ?4";
  auto rows = TRY(c.tx.query(sql, {join_numbers(column_weights(c.w, c.vis.entry_only_controlled)),
                                   dfs, match, std::int64_t{limit}}));
  std::vector<Candidate> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(candidate_from(r, 2));
  return out;
}

Result<std::int64_t> sqlite_count(Context& c, const std::string& match) {
  auto row = TRY(c.tx.one(
      "SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH ? LIMIT ?)",
      {match, kTotalCap}, "count"));
  return row.i64(0);
}

std::string pg_weights(const Weights& w) {
  // ts_rank's weights are {D, C, B, A}; tsvector_text puts title, code and keywords in
  // A, creator, pinyin, entry grams and the year in B, description, content and their
  // grams in C, a controlled record's content in D (which a patron's query leaves out).
  // Each weight is its group's strongest field.
  double a = std::max({w.title, w.reference_code, w.keywords});
  double b = std::max({w.creator, w.pinyin, w.title * w.grams});
  double cc = std::max(w.description, w.content);
  double d = (w.description + w.content) / 2;
  double top = std::max({a, b, cc, d, 1e-9});
  char buf[128];
  std::snprintf(buf, sizeof buf, "{%.4f,%.4f,%.4f,%.4f}", d / top, cc / top, b / top, a / top);
  return buf;
}

// PostgreSQL keeps one GIN index per candidate tier (migration 0010): a query walks
// the tiers in candidate order, each with LIMIT and no ORDER BY, so a bitmap heap scan
// stops after the rows it needs, instead of visiting every match to sort them (a term in
// 2% of 1M records: 20 000 heap rows, ~200 ms cold). Within a tier rows come in the order
// they are stored. The tier is a literal in each statement, so the planner can use the
// partial index.
constexpr int kTiers[] = {3, 2, 1, 0};

// `select` is everything before the WHERE (with alias d), `params` its parameters; the
// match and the limit follow. One statement: a UNION ALL of the tiers in order under an
// outer LIMIT, which PostgreSQL runs lazily (a tier's scan starts only if the ones before
// gave too few rows).
std::pair<std::string, Params> pg_by_tier_sql(const std::string& select, const Params& params,
                                              const std::string& match, std::int64_t limit) {
  std::string sql = "SELECT * FROM (";
  Params p;
  for (int tier : kTiers) {
    if (tier != kTiers[0]) sql += " UNION ALL ";
    sql += "(" + select + " WHERE d.tier = " + std::to_string(tier) +
           " AND d.tsv @@ CAST(? AS tsquery) LIMIT ?)";
    for (const auto& v : params) p.push_back(v);
    p.emplace_back(match);
    p.emplace_back(limit);
  }
  sql += ") u LIMIT ?";
  p.emplace_back(limit);
  return {sql, p};
}

Result<store::Rows> pg_by_tier(store::Tx& tx, const std::string& select, const Params& params,
                               const std::string& match, std::int64_t limit) {
  auto [sql, p] = pg_by_tier_sql(select, params, match, limit);
  return tx.query(sql, p);
}

Result<std::vector<Candidate>> pg_candidates(Context& c, const std::string& match, int limit) {
  // Relevance by the user's terms alone (a patron's: not the content of controlled
  // records); entry match by the catalogue-entry weights.
  std::string user = detail::render_tsquery(c.pq->root, ts_weights(c.vis, false));
  std::string user_entry = detail::render_tsquery(c.pq->root, detail::kTsEntry);
  static const std::string select =
      std::string("SELECT d.srowid, ts_rank(CAST(? AS float4[]), d.tsv, CAST(? AS tsquery), 1), ") +
      kCandidateColumns + ", d.tsv @@ CAST(? AS tsquery) FROM search_docs d";
  auto rows = TRY(pg_by_tier(c.tx, select, {pg_weights(c.w), user, user_entry}, match, limit));
  std::vector<Candidate> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(candidate_from(r, 2));
  return out;
}

// Matches past the candidates are counted to kTotalCap (500): no page reaches further,
// and counting deeper reads the lower candidate tiers, whose index bitmaps for a common
// word were most of a search's time at 1M records (p50 10 ms counting to 1000, 3.4 ms
// to 500).
Result<std::int64_t> pg_count(Context& c, const std::string& match) {
  auto [sql, p] = pg_by_tier_sql("SELECT 1 FROM search_docs d", {}, match, kTotalCap);
  auto row = TRY(c.tx.one("SELECT count(*) FROM (" + sql + ") n", p, "count"));
  return row.i64(0);
}

// Whether the index holds other kinds than the query's (then the kind is a filter).
// PostgreSQL: the same round trip also makes every later statement of the transaction be
// planned for its values (SET LOCAL): the store prepares statements once per connection,
// and PostgreSQL's generic plan (after five runs) cannot see how common a term is, nor
// that no other kind exists; measured, it scanned the table (0.6 s).
Result<bool> other_kinds(store::Tx& tx, const std::string& kind) {
  // Two index probes (an OR of ranges makes PostgreSQL scan the table).
  const bool pg = tx.backend() == Backend::postgres;
  auto row = TRY(tx.one(
      std::string("SELECT ") +
          (pg ? "set_config('plan_cache_mode', 'force_custom_plan', true), " : "'', ") +
          "CASE WHEN EXISTS (SELECT 1 FROM search_docs WHERE kind < CAST(? AS TEXT)) OR "
          "EXISTS (SELECT 1 FROM search_docs WHERE kind > CAST(? AS TEXT)) THEN 1 ELSE 0 END",
      {kind, kind}, "kinds"));
  return row.i64(1) == 1;
}

// Controlled records the patron may read in full that match through their content.
Result<std::vector<Candidate>> allowed_content(Context& c) {
  std::vector<Candidate> out;
  if (c.q.audience != Audience::patron || c.q.content_allowed.empty()) return out;
  bool want_controlled =
      std::find(c.vis.levels.begin(), c.vis.levels.end(), "controlled") != c.vis.levels.end();
  if (!want_controlled) return out;
  Visibility full;
  full.levels = {"controlled"};
  if (c.tx.backend() == Backend::sqlite) {
    std::vector<int> groups;
    std::string match = fts_match(*c.pq, full, c.filters, false, groups);
    std::string dfs = phrase_weights(groups);
    static const std::string sql =
        std::string("SELECT search_fts.rowid, dangan_rank(search_fts, ?, ?, 0), ") +
        kCandidateColumns +
        " FROM search_fts JOIN search_docs d ON d.srowid = search_fts.rowid "
        "WHERE search_fts MATCH ? AND search_fts.rowid = ?";
    auto ids = TRY(c.tx.query(
        "SELECT srowid FROM search_docs WHERE kind = ? AND access_level = 'controlled' AND id IN "
        "(SELECT value FROM json_each(?))",
        {c.q.kind, json_ids(c.q.content_allowed)}));
    for (const auto& r : ids) {
      auto rows =
          TRY(c.tx.query(sql, {join_numbers(column_weights(c.w, false)), dfs, match, r.i64(0)}));
      for (const auto& row : rows) out.push_back(candidate_from(row, 2));
    }
    return out;
  }
  std::string match = ts_match(*c.pq, full, c.filters, false);
  static const std::string sql =
      std::string("SELECT d.srowid, ts_rank(CAST(? AS float4[]), d.tsv, CAST(? AS tsquery), 1), ") +
      kCandidateColumns +
      " FROM search_docs d WHERE d.kind = ? AND d.id = ANY(CAST(? AS BIGINT[])) AND "
      "d.tsv @@ CAST(? AS tsquery)";
  std::string arr = "{";
  for (std::size_t i = 0; i < c.q.content_allowed.size(); ++i) {
    if (i) arr.push_back(',');
    arr += std::to_string(c.q.content_allowed[i]);
  }
  arr.push_back('}');
  auto rows = TRY(c.tx.query(
      sql, {pg_weights(c.w), detail::render_tsquery(c.pq->root, ""), c.q.kind, arr, match}));
  for (const auto& row : rows) out.push_back(candidate_from(row, 2));
  return out;
}

// A query that is one reference code: the record with that code (match 0), then those
// whose codes begin with it (match 1), in code order, from search_docs' code index; the
// audience and the filters are conditions on the row.
struct CodeResult {
  std::vector<Candidate> cands;
  std::int64_t total = 0;
  bool truncated = false;
};

Result<CodeResult> code_search(Context& c) {
  CodeResult out;
  const bool sqlite = c.tx.backend() == Backend::sqlite;
  std::string upper = c.pq->code;
  upper.back() = static_cast<char>(upper.back() + 1);
  std::string like;
  for (char ch : c.pq->code) {
    if (ch == '%' || ch == '_' || ch == '\\') like.push_back('\\');
    like.push_back(ch);
  }
  like.push_back('%');
  std::string where;
  Params p;
  if (sqlite) {
    // "+d.kind": SQLite would otherwise walk the (kind, id) index, every row of the kind.
    where = "d.code_key >= ? AND d.code_key < ? AND +d.kind = ?";
    p = {c.pq->code, upper, c.q.kind};
  } else {
    where = "d.code_key LIKE CAST(? AS TEXT) AND d.kind = CAST(? AS TEXT)";
    p = {like, c.q.kind};
  }
  auto list_in = [&](const std::string& column, const std::vector<std::string>& values) {
    where += " AND " + column +
             (sqlite ? " IN (SELECT value FROM json_each(?))" : " = ANY(CAST(? AS TEXT[]))");
    if (sqlite) {
      p.emplace_back(json(values).dump());
    } else {
      std::string arr = "{";
      for (std::size_t i = 0; i < values.size(); ++i) arr += (i ? "," : "") + values[i];
      p.emplace_back(arr + "}");
    }
  };
  list_in("d.access_level", c.vis.levels);
  if (!c.q.fonds_ids.empty()) {
    std::vector<std::string> v;
    for (auto id : c.q.fonds_ids) v.push_back(std::to_string(id));
    list_in(sqlite ? "d.fonds_id" : "CAST(d.fonds_id AS TEXT)", v);
  }
  if (!c.q.carriers.empty()) list_in("d.carrier", c.q.carriers);
  if (!c.q.category_ids.empty()) {
    where += " AND (";
    for (std::size_t i = 0; i < c.q.category_ids.size(); ++i) {
      where += i ? " OR " : "";
      where +=
          sqlite ? "instr(d.category_path, ?) > 0" : "strpos(d.category_path, CAST(? AS TEXT)) > 0";
      p.emplace_back("/" + std::to_string(c.q.category_ids[i]) + "/");
    }
    where += ")";
  }
  if (c.q.year_from) {
    where += " AND d.year >= ?";
    p.emplace_back(std::int64_t{*c.q.year_from});
  }
  if (c.q.year_to) {
    where += " AND d.year <= ?";
    p.emplace_back(std::int64_t{*c.q.year_to});
  }
  Params list = p;
  list.emplace_back(std::int64_t{c.limit_candidates + 1});
  auto rows = TRY(c.tx.query(std::string("SELECT d.srowid, 0, ") + kCandidateColumns +
                                 ", d.code_key FROM search_docs d WHERE " + where +
                                 " ORDER BY d.code_key LIMIT ?",
                             list));
  for (const auto& r : rows) {
    Candidate cand = candidate_from(r, 2);
    cand.match = r.str(14) == c.pq->code ? 0 : 1;
    cand.relevance = cand.match == 0 ? 1.0 : 0.5;
    out.cands.push_back(std::move(cand));
  }
  out.total = static_cast<std::int64_t>(out.cands.size());
  if (static_cast<int>(out.cands.size()) > c.limit_candidates) {
    out.truncated = true;
    out.cands.resize(static_cast<std::size_t>(c.limit_candidates));
    Params count = p;
    count.emplace_back(kTotalCap);
    auto row = TRY(
        c.tx.one("SELECT count(*) FROM (SELECT 1 FROM search_docs d WHERE " + where + " LIMIT ?) s",
                 count, "count"));
    out.total = row.i64(0);
  }
  return out;
}

json facet_json(const std::map<std::string, std::int64_t>& counts, bool numeric) {
  std::vector<std::pair<std::string, std::int64_t>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (v.size() > 50) v.resize(50);
  json out = json::array();
  for (auto& [value, n] : v) {
    json item = {{"count", n}};
    if (numeric)
      item["value"] = std::stoll(value);
    else
      item["value"] = value;
    out.push_back(std::move(item));
  }
  return out;
}

json facets_of(const std::vector<Candidate>& cands) {
  std::map<std::string, std::int64_t> category, fonds, year, access, carrier;
  for (const auto& c : cands) {
    if (c.category_id) ++category[std::to_string(c.category_id)];
    if (c.fonds_id) ++fonds[std::to_string(c.fonds_id)];
    if (c.year) ++year[std::to_string(*c.year)];
    ++access[c.access_level];
    ++carrier[c.carrier];
  }
  return {{"category", facet_json(category, true)},
          {"fonds", facet_json(fonds, true)},
          {"year", facet_json(year, true)},
          {"access_level", facet_json(access, false)},
          {"carrier", facet_json(carrier, false)}};
}

// ---------------------------------------------------------------- suggestions

Result<std::int64_t> count_tree(Context& c, const QueryNode& root) {
  ParsedQuery sub = *c.pq;
  sub.root = root;
  if (c.tx.backend() == Backend::sqlite) {
    std::vector<int> groups;
    return sqlite_count(c, fts_match(sub, c.vis, c.filters, false, groups));
  }
  return pg_count(c, ts_match(sub, c.vis, c.filters, false));
}

std::string join_groups(const ParsedQuery& pq, const std::vector<bool>& keep) {
  std::string out;
  for (std::size_t i = 0; i < pq.groups.size(); ++i) {
    if (!keep[i]) continue;
    if (!out.empty()) out.push_back(' ');
    out += pq.groups[i];
  }
  return out;
}

// A Han group that matched nothing: a word that sounds the same (typed with the wrong
// character) found through the pinyin index.
Result<std::optional<std::string>> homophone(Context& c, const std::string& run) {
  const std::string full = analysis::pinyin_of(run);
  if (full.empty()) return std::optional<std::string>();
  // Visible documents whose pinyin column has the whole sound, in candidate order.
  QueryNode n;
  n.kind = QueryNode::Kind::phrase;
  n.terms = {full};
  ParsedQuery sub = *c.pq;
  sub.root.kind = QueryNode::Kind::all;
  sub.root.children = {n};
  store::Rows rows;
  if (c.tx.backend() == Backend::sqlite) {
    std::vector<int> groups;
    std::string match = fts_match(sub, c.vis, c.filters, false, groups) +
                        " AND {pinyin} : " + detail::fts5_phrase(full);
    rows = TRY(
        c.tx.query("SELECT d.title, d.keywords FROM search_fts JOIN search_docs d ON d.srowid = "
                   "search_fts.rowid WHERE search_fts MATCH ? ORDER BY search_fts.rowid LIMIT 5",
                   {match}));
  } else {
    std::string match =
        ts_match(sub, c.vis, c.filters, false) + " & " + detail::tsquery_term(full, false, "B");
    rows = TRY(pg_by_tier(c.tx, "SELECT d.title, d.keywords FROM search_docs d", {}, match, 5));
  }
  // The word of a title or keyword that has that sound.
  for (const auto& row : rows) {
    std::vector<std::string> texts = {row.str(0)};
    auto kw = json::parse(row.str(1), nullptr, false);
    if (kw.is_array())
      for (auto& k : kw)
        if (k.is_string()) texts.push_back(k.get<std::string>());
    for (const auto& t : texts)
      for (const auto& r : analysis::han_runs(text::fold(t))) {
        auto found = analysis::substrings_with_pinyin(r, full);
        if (!found.empty()) return std::optional<std::string>(found.front());
      }
  }
  return std::optional<std::string>();
}

// A Latin word that matched nothing: the most common indexed word beginning with it
// (SQLite: through the index's vocabulary).
Result<std::optional<std::string>> completion(Context& c, const std::string& word) {
  if (c.tx.backend() != Backend::sqlite || word.size() < 3) return std::optional<std::string>();
  std::string upper = word;
  upper.back() = static_cast<char>(upper.back() + 1);
  auto r =
      TRY(c.tx.maybe_one("SELECT term FROM search_vocab WHERE term >= ? AND term < ? AND term <> ? "
                         "ORDER BY doc DESC LIMIT 1",
                         {word, upper, word}));
  if (!r) return std::optional<std::string>();
  return std::optional<std::string>(r->str(0));
}

Result<std::optional<std::string>> suggest(Context& c) {
  const ParsedQuery& pq = *c.pq;
  const std::size_t n = pq.root.children.size();
  // Several groups: drop those that match nothing on their own.
  if (n > 1) {
    std::vector<bool> keep(n, true);
    bool dropped = false;
    for (std::size_t i = 0; i < n; ++i) {
      QueryNode alone;
      alone.kind = QueryNode::Kind::all;
      alone.children = {pq.root.children[i]};
      if (TRY(count_tree(c, alone)) == 0) {
        keep[i] = false;
        dropped = true;
      }
    }
    if (dropped && std::count(keep.begin(), keep.end(), true) > 0) {
      QueryNode rest;
      rest.kind = QueryNode::Kind::all;
      for (std::size_t i = 0; i < n; ++i)
        if (keep[i]) rest.children.push_back(pq.root.children[i]);
      if (TRY(count_tree(c, rest)) > 0) return std::optional<std::string>(join_groups(pq, keep));
    }
  }
  // Each group on its own: a quoted phrase without quotes, a homophone, a completion.
  std::vector<std::string> replaced = pq.groups;
  bool changed = false;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& g = pq.groups[i];
    if (g.size() >= 2 && g.front() == '"') {
      replaced[i] = g.substr(1, g.size() - 2);
      changed = true;
      continue;
    }
    QueryNode alone;
    alone.kind = QueryNode::Kind::all;
    alone.children = {pq.root.children[i]};
    if (n > 1 && TRY(count_tree(c, alone)) > 0) continue;
    bool han = !g.empty() && static_cast<unsigned char>(g[0]) >= 0x80;
    std::optional<std::string> s = han ? TRY(homophone(c, g)) : TRY(completion(c, g));
    if (s && *s != g) {
      replaced[i] = *s;
      changed = true;
    }
  }
  if (!changed) return std::optional<std::string>();
  std::string out;
  for (const auto& g : replaced) {
    if (g.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += g;
  }
  // Only offer it when it finds something.
  ParsedQuery sub = analysis::parse_query(out);
  if (sub.empty()) return std::optional<std::string>();
  Context c2{c.tx, c.q, c.w, &sub, c.vis, c.filters, c.limit_candidates};
  if (TRY(count_tree(c2, sub.root)) == 0) return std::optional<std::string>();
  return std::optional<std::string>(out);
}

// ---------------------------------------------------------------- page

Status fill_page(Context& c, const std::vector<Candidate>& page, Results& res) {
  if (page.empty()) return {};
  std::vector<std::int64_t> srowids;
  for (const auto& p : page) srowids.push_back(p.srowid);
  std::string arr;
  store::Rows rows;
  const char* cols =
      "srowid, reference_code, title, description, substr(content, 1, 20000), keywords, creator";
  if (c.tx.backend() == Backend::sqlite) {
    rows = TRY(c.tx.query(std::string("SELECT ") + cols +
                              " FROM search_docs WHERE srowid IN (SELECT value FROM json_each(?))",
                          {json_ids(srowids)}));
  } else {
    arr = "{";
    for (std::size_t i = 0; i < srowids.size(); ++i) {
      if (i) arr.push_back(',');
      arr += std::to_string(srowids[i]);
    }
    arr.push_back('}');
    rows = TRY(c.tx.query(
        std::string("SELECT ") + cols + " FROM search_docs WHERE srowid = ANY(CAST(? AS BIGINT[]))",
        {arr}));
  }
  std::unordered_map<std::int64_t, const Row*> by_srowid;
  for (const auto& r : rows) by_srowid[r.i64(0)] = &r;
  for (const auto& p : page) {
    auto it = by_srowid.find(p.srowid);
    if (it == by_srowid.end()) continue;
    const Row& r = *it->second;
    Hit h;
    h.id = p.id;
    h.kind = p.kind;
    h.reference_code = r.str(1);
    h.title = r.str(2);
    h.score = p.score;
    h.access_level = p.access_level;
    h.carrier = p.carrier;
    h.year = p.year;
    h.fonds_id = p.fonds_id;
    h.category_id = p.category_id;
    h.content_hidden = p.content_hidden;
    h.match = p.match == 0 ? "code" : p.match == 1 ? "code_prefix" : "text";
    std::vector<std::string> texts;
    if (!p.content_hidden) {
      texts.push_back(r.str(3));
      texts.push_back(r.str(4));
    }
    texts.push_back(h.title);
    std::string kw;
    auto kwj = json::parse(r.str(5), nullptr, false);
    if (kwj.is_array())
      for (auto& k : kwj)
        if (k.is_string()) kw += (kw.empty() ? "" : "，") + k.get<std::string>();
    texts.push_back(kw);
    texts.push_back(r.str(6));
    h.snippet = detail::make_snippet(texts, *c.pq);
    res.items.push_back(std::move(h));
  }
  return {};
}

// Candidates, total and truncation of a text query (steps 2 and 4 at the top).
template <class P>
Status text_search(Context& tc, std::vector<Candidate>& cands, bool& truncated, std::int64_t& total,
                   P& phases) {
  const bool sqlite = tc.tx.backend() == Backend::sqlite;
  const int k = tc.limit_candidates;
  cands.clear();
  truncated = false;
  std::string match;
  if (sqlite) {
    std::vector<int> groups;
    match = fts_match(*tc.pq, tc.vis, tc.filters, false, groups);
    cands = TRY(sqlite_candidates(tc, match, groups, k + 1));
  } else {
    match = ts_match(*tc.pq, tc.vis, tc.filters, false);
    cands = TRY(pg_candidates(tc, match, k + 1));
  }
  phases.mark("candidates");
  if (phases.on) phases.text += " match=[" + match + "]";
  if (static_cast<int>(cands.size()) > k) {
    truncated = true;
    cands.resize(static_cast<std::size_t>(k));
  }
  total = static_cast<std::int64_t>(cands.size());
  if (truncated) {
    total = sqlite ? TRY(sqlite_count(tc, match)) : TRY(pg_count(tc, match));
    phases.mark("count");
  }
  // Second pass: matches in the catalogue-entry fields, when the candidates have too few of
  // them to fill the page (a title match outranks any number of description matches).
  std::size_t entry_matches = static_cast<std::size_t>(
      std::count_if(cands.begin(), cands.end(), [](const Candidate& x) { return x.entry_match; }));
  if (phases.on) phases.text += " entry_matches=" + std::to_string(entry_matches);
  if (truncated && entry_matches < static_cast<std::size_t>(tc.q.offset) +
                                       static_cast<std::size_t>(tc.q.limit)) {
    std::set<std::int64_t> seen;
    for (const auto& cd : cands) seen.insert(cd.srowid);
    std::vector<Candidate> more;
    if (sqlite) {
      std::vector<int> groups;
      std::string entry = fts_match(*tc.pq, tc.vis, tc.filters, true, groups);
      more = TRY(sqlite_candidates(tc, entry, groups, k));
    } else {
      more = TRY(pg_candidates(tc, ts_match(*tc.pq, tc.vis, tc.filters, true), k));
    }
    for (auto& m : more)
      if (seen.insert(m.srowid).second) cands.push_back(std::move(m));
    phases.mark("entry_pass");
  }
  // Patrons: controlled records whose content they may read.
  for (auto& a : TRY(allowed_content(tc))) {
    auto it = std::find_if(cands.begin(), cands.end(),
                           [&](const Candidate& x) { return x.srowid == a.srowid; });
    if (it != cands.end()) {
      it->relevance = std::max(it->relevance, a.relevance);
      it->match = -1;  // content allowed (see run)
    } else {
      a.match = -1;
      cands.push_back(std::move(a));
      ++total;
    }
  }
  return {};
}

}  // namespace

// Phase times, logged at debug level (event=search_phases).
struct Phases {
  bool on = spdlog::should_log(spdlog::level::debug);
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  std::string text;
  void mark(const char* name) {
    if (!on) return;
    auto now = std::chrono::steady_clock::now();
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s=%.2f", name,
                  std::chrono::duration<double, std::milli>(now - last).count());
    text += buf;
    last = now;
  }
};

Result<Results> run(store::Tx& tx, const Query& q, const Weights& w) {
  (void)kRankRegistered;
  Phases phases;
  if (!text::valid_utf8(q.q)) return invalid("q", "must be valid UTF-8");
  long chars = text::utf8_length(q.q);
  if (chars > kMaxQueryChars)
    return invalid("q", "at most " + std::to_string(kMaxQueryChars) + " characters");
  if (q.limit < 1 || q.limit > 100) return invalid("limit", "must be between 1 and 100");
  if (q.offset < 0) return invalid("offset", "must not be negative");
  for (const auto& l : q.access_levels)
    if (l != "open" && l != "controlled" && l != "secret")
      return invalid("access_level", "must be open, controlled or secret");
  ParsedQuery pq = analysis::parse_query(q.q);
  if (pq.empty()) return invalid("q", "nothing to search for");
  phases.mark("parse");

  Results res;
  res.normalized = pq.normalized;
  const int k = q.candidates > 0 ? q.candidates : kDefaultCandidates;
  bool others = TRY(other_kinds(tx, q.kind));  // first: it sets the plan mode (PostgreSQL)
  // An open end: up to 2100 (decade and century terms keep the list short).
  const int top_year = 2100;
  Context c{tx, q, w, &pq, visibility(q), filters_of(q, others, top_year), k};
  if (c.vis.levels.empty()) return res;  // asked only for levels the audience cannot see

  std::vector<Candidate> cands;
  bool truncated = false;
  std::int64_t total = 0;
  ParsedQuery text_pq;  // a code-like query that matched no code: searched as text
  if (!pq.code.empty()) {
    CodeResult cr = TRY(code_search(c));
    if (cr.total > 0) {
      cands = std::move(cr.cands);
      total = cr.total;
      truncated = cr.truncated;
    } else {
      text_pq = analysis::parse_query(q.q, true);
    }
  }
  const bool any_code =
      std::find(pq.code_group.begin(), pq.code_group.end(), true) != pq.code_group.end();
  Context tc{tx, q, w, text_pq.empty() ? &pq : &text_pq, c.vis, c.filters, k};
  phases.mark("prepare");
  if (cands.empty()) {
    TRY_STATUS(text_search(tc, cands, truncated, total, phases));
    if (total == 0 && text_pq.empty() && any_code) {
      text_pq = analysis::parse_query(q.q, true);
      tc.pq = &text_pq;
      TRY_STATUS(text_search(tc, cands, truncated, total, phases));
    }
  }
  // Scores and order.
  const std::int64_t now_days = static_cast<std::int64_t>(std::time(nullptr) / 86400);
  for (auto& cd : cands) {
    bool allowed = cd.match == -1 || (q.audience == Audience::patron &&
                                      std::find(q.content_allowed.begin(), q.content_allowed.end(),
                                                cd.id) != q.content_allowed.end());
    if (cd.match == -1) cd.match = 2;
    cd.content_hidden =
        q.audience == Audience::patron && cd.access_level == "controlled" && !allowed;
    cd.score = cd.relevance * (1 + detail::importance(w, cd.important, cd.use_count, cd.cited_by,
                                                      cd.authority, cd.updated_at, now_days));
  }
  std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
    if (a.match != b.match) return a.match < b.match;
    if (a.score != b.score) return a.score > b.score;
    return a.srowid < b.srowid;
  });
  phases.mark("rank");
  res.total = total;
  res.total_exact = !truncated || total < kTotalCap;
  res.facets_exact = !truncated;
  if (q.facets) res.facets = facets_of(cands);
  std::vector<Candidate> page;
  for (std::size_t i = static_cast<std::size_t>(q.offset);
       i < cands.size() && page.size() < static_cast<std::size_t>(q.limit); ++i)
    page.push_back(cands[i]);
  phases.mark("facets");
  TRY_STATUS(fill_page(tc, page, res));
  phases.mark("page");
  if (res.total == 0) res.suggestion = TRY(suggest(tc));
  if (phases.on) {
    phases.mark("suggest");
    spdlog::debug("event=search_phases candidates={} total={}{}", cands.size(), res.total,
                  phases.text);
  }
  return res;
}

}  // namespace dangan::search
