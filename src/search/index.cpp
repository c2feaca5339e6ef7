// index.cpp — keeping the index in step with documents: upsert, remove, update_signals,
// inside the caller's transaction, on SQLite (FTS5, external content) and PostgreSQL
// (a tsvector column with a GIN index).
//
// SQLite: FTS5 deletes an external-content row only when given the terms it was indexed
// with. search_docs keeps the raw text, and re-preparing it gives the same terms as long
// as the analyzer has not changed; terms_hash checks that. When it has (a new ICU or
// OpenCC), the old entry is left in place (it can only add false matches on that one
// document, which disappear at the next `dangan reindex`) rather than corrupt the index.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <set>

#include "search/search_internal.h"
#include "text/text.h"

namespace dangan::search {

using json = nlohmann::json;
using store::Backend;
using store::Params;
using store::Row;
using store::Value;

namespace detail {

int tier_of(bool important, std::int64_t use_count, std::int64_t cited_by, int authority) {
  if (important) return 3;
  if (use_count >= 10 || cited_by >= 3 || authority >= 7) return 2;
  if (use_count >= 1 || cited_by >= 1 || authority >= 4) return 1;
  return 0;
}

Result<int> kind_code(const std::string& kind) {
  if (kind == "record") return 0;
  if (kind == "faq") return 1;
  return invalid("kind", "unknown document kind");
}

std::int64_t make_srowid(int tier, int kind, std::int64_t id) {
  // Ascending is candidate order: FTS5 walks a doclist forwards many times faster than
  // backwards (measured: 0.1 ms against 1.9 ms for 301 rows of "档案" at 1M). Within a
  // tier the id ascends too: FTS5 writes out what it holds in memory whenever a rowid is
  // not above the last one, so a transaction that adds records in id order (an import,
  // a reindex) would otherwise make an index segment per record (measured: ~200 µs per
  // record more).
  return (static_cast<std::int64_t>(3 - tier) << 40) | (static_cast<std::int64_t>(kind) << 36) | id;
}

std::string path_text(const std::vector<std::int64_t>& path) {
  std::string out = "/";
  for (auto id : path) out += std::to_string(id) + "/";
  return path.empty() ? std::string() : out;
}

namespace {

std::vector<std::int64_t> parse_path(const std::string& s) {
  std::vector<std::int64_t> out;
  std::int64_t v = 0;
  bool any = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      v = v * 10 + (c - '0');
      any = true;
    } else {
      if (any) out.push_back(v);
      v = 0;
      any = false;
    }
  }
  if (any) out.push_back(v);
  return out;
}

}  // namespace

Document document_from_row(const Row& r) {
  Document d;
  d.kind = r.str(1);
  d.id = r.i64(2);
  d.reference_code = r.str(3);
  d.title = r.str(4);
  d.description = r.str(5);
  d.creator = r.str(6);
  auto kw = json::parse(r.str(7), nullptr, false);
  if (kw.is_array())
    for (auto& k : kw)
      if (k.is_string()) d.keywords.push_back(k.get<std::string>());
  d.content = r.str(8);
  d.access_level = r.str(9);
  d.carrier = r.str(10);
  d.fonds_id = r.i64(11);
  d.category_id = r.i64(12);
  d.category_path = parse_path(r.str(13));
  if (!r.is_null(14)) d.year = static_cast<int>(r.i64(14));
  d.important = r.i64(15) != 0;
  d.use_count = r.i64(16);
  d.cited_by = r.i64(17);
  d.source_authority = static_cast<int>(r.i64(18));
  d.updated_at = r.str(19);
  return d;
}

std::string tsvector_text(const analysis::Prepared& p) {
  using analysis::Column;
  // A: title, reference code, keywords; B: creator, pinyin, entry grams, filter terms and
  // year; C: description, content and their grams; D: a controlled record's content
  // (kHidden), which a patron's query leaves out by asking for A, B and C only.
  static constexpr char kWeight[analysis::kColumnCount] = {'A', 'A', 'A', 'B', 'C', 'C',
                                                           'B', 'B', 'C', 'B', 'D'};
  // lexeme → positions with their weight letter, in order. Terms of the catalogue entry
  // are also written as kTsEntryMark + term (same positions): the second pass asks for
  // those, which the GIN index answers alone, where asking for weights A and B makes
  // PostgreSQL read every row that has the terms in any field to check their weights
  // (measured: 120–170 ms for 客户档案 at 100k records, most of its matches in
  // descriptions).
  //
  // Every occurrence is listed, then sorted by term and position, and
  // written a term at a time: the same text as a map of strings per lexeme gave, at a
  // fraction of the allocations (measured: BENCHMARKS.md "Indexing").
  struct Occurrence {
    std::string_view term;
    int pos;
    char weight;
  };
  thread_local std::vector<Occurrence> all, entry;
  all.clear();
  entry.clear();
  int pos = 1;
  for (int c = 0; c < analysis::kColumnCount; ++c) {
    std::string_view col(p.columns[static_cast<std::size_t>(c)]);
    const bool is_entry = analysis::is_entry_column(c);
    std::size_t i = 0;
    while (i < col.size()) {
      std::size_t j = col.find(' ', i);
      if (j == std::string_view::npos) j = col.size();
      std::string_view term = col.substr(i, j - i);
      i = j + 1;
      if (term.empty() || term.size() > 2000) continue;
      all.push_back({term, pos, kWeight[c]});
      // Filter terms (with '_') never match a query term.
      if (is_entry && term.find('_') == std::string_view::npos)
        entry.push_back({term, pos, kWeight[c]});
      ++pos;
    }
    pos += 2;  // a phrase never runs from one column into the next
  }
  auto by_term = [](const Occurrence& a, const Occurrence& b) {
    int c = a.term.compare(b.term);
    return c < 0 || (c == 0 && a.pos < b.pos);  // positions are unique in each list
  };
  std::sort(all.begin(), all.end(), by_term);
  std::sort(entry.begin(), entry.end(), by_term);
  std::string out;
  out.reserve(all.size() * 12 + entry.size() * 14);
  auto write = [&out](const std::vector<Occurrence>& list, std::string_view mark) {
    for (std::size_t k = 0; k < list.size();) {
      std::string_view lex = list[k].term;
      if (!out.empty()) out.push_back(' ');
      out.push_back('\'');
      out += mark;
      for (char ch : lex) {
        if (ch == '\'' || ch == '\\') out.push_back(ch);
        out.push_back(ch);
      }
      out += "':";
      int n = 0;
      for (; k < list.size() && list[k].term == lex; ++k) {
        if (n >= 256) continue;  // PostgreSQL keeps at most 256 positions a lexeme
        if (n) out.push_back(',');
        char buf[8];
        auto r = std::to_chars(buf, buf + sizeof buf, std::min(list[k].pos, 16383));
        out.append(buf, r.ptr);
        out.push_back(list[k].weight);
        ++n;
      }
    }
  };
  write(all, "");
  write(entry, kTsEntryMark);
  return out;
}

}  // namespace detail

namespace {

constexpr const char* kFtsColumns =
    "title, refcode, keywords, creator, description, content, pinyin, egrams, cgrams, meta, "
    "hidden";

Status check_document(const Document& d) {
  TRY(detail::kind_code(d.kind));
  if (d.id <= 0 || d.id > detail::kMaxId) return invalid("id", "document id out of range");
  if (d.access_level != "open" && d.access_level != "controlled" && d.access_level != "secret")
    return invalid("access_level", "must be open, controlled or secret");
  return {};
}

Params fts_params(std::int64_t srowid, const analysis::Prepared& p) {
  Params params;
  params.reserve(analysis::kColumnCount + 1);
  params.emplace_back(srowid);
  for (const auto& c : p.columns) params.emplace_back(c);
  return params;
}

Status fts_insert(store::Tx& tx, std::int64_t srowid, const analysis::Prepared& p) {
  static const std::string sql = std::string("INSERT INTO search_fts(rowid, ") + kFtsColumns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  TRY(tx.exec(sql, fts_params(srowid, p)));
  return {};
}

// Removes the FTS entry of a stored document, re-preparing its terms (see the top).
Status fts_delete(store::Tx& tx, const Row& row) {
  Document old = detail::document_from_row(row);
  analysis::Prepared p = analysis::prepare(old);
  auto stored = static_cast<std::uint64_t>(row.i64(21));
  if (p.hash() != stored) {
    spdlog::warn(
        "event=search_index_stale kind={} id={} message=\"terms changed since indexing; run "
        "dangan reindex\"",
        old.kind, old.id);
    return {};
  }
  static const std::string sql = std::string("INSERT INTO search_fts(search_fts, rowid, ") +
                                 kFtsColumns +
                                 ") VALUES ('delete', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  TRY(tx.exec(sql, fts_params(row.i64(0), p)));
  return {};
}

Result<std::optional<Row>> load_row(store::Tx& tx, const std::string& kind, std::int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + detail::kDocColumns + " FROM search_docs WHERE kind = ? AND id = ?";
  return tx.maybe_one(sql, {kind, id});
}

std::string keywords_json(const std::vector<std::string>& keywords) {
  return json(keywords).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string capped_content(const std::string& content) {
  return content.substr(0, analysis::indexed_content_size(content));
}

// Writes the search_docs row (insert or replace by kind and id).
Params doc_params(const Document& d, std::int64_t srowid, int tier, std::uint64_t hash) {
  return {srowid,
          d.kind,
          d.id,
          d.reference_code,
          analysis::normalize_code(d.reference_code),
          d.title,
          d.description,
          d.creator,
          keywords_json(d.keywords),
          capped_content(d.content),
          d.access_level,
          d.carrier,
          d.fonds_id,
          d.category_id,
          detail::path_text(d.category_path),
          store::opt(d.year ? std::optional<std::int64_t>(*d.year) : std::nullopt),
          std::int64_t{d.important ? 1 : 0},
          d.use_count,
          d.cited_by,
          std::int64_t{d.source_authority},
          d.updated_at,
          std::int64_t{tier},
          static_cast<std::int64_t>(hash)};
}

constexpr const char* kPgValues =
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS tsvector))";

// PostgreSQL: INSERT … ON CONFLICT of `rows` documents in one statement.
std::string pg_upsert_sql(int rows) {
  std::string sql =
      "INSERT INTO search_docs (srowid, kind, id, reference_code, code_key, title, "
      "description, creator, keywords, content, access_level, carrier, fonds_id, category_id, "
      "category_path, year, important, use_count, cited_by, source_authority, updated_at, tier, "
      "terms_hash, tsv) VALUES ";
  for (int i = 0; i < rows; ++i) {
    if (i) sql += ", ";
    sql += kPgValues;
  }
  sql +=
      " ON CONFLICT (kind, id) DO UPDATE SET srowid = excluded.srowid, "
      "reference_code = excluded.reference_code, code_key = excluded.code_key, "
      "title = excluded.title, description = excluded.description, "
      "creator = excluded.creator, keywords = excluded.keywords, content = excluded.content, "
      "access_level = excluded.access_level, carrier = excluded.carrier, "
      "fonds_id = excluded.fonds_id, category_id = excluded.category_id, "
      "category_path = excluded.category_path, year = excluded.year, "
      "important = excluded.important, use_count = excluded.use_count, "
      "cited_by = excluded.cited_by, source_authority = excluded.source_authority, "
      "updated_at = excluded.updated_at, tier = excluded.tier, "
      "terms_hash = excluded.terms_hash, tsv = excluded.tsv";
  return sql;
}

// SQLite: inserts the search_docs row made by doc_params.
Status insert_doc(store::Tx& tx, const Params& p) {
  // A plain INSERT: a statement that may need a statement journal (OR REPLACE, UPDATE,
  // DELETE) makes SQLite open a savepoint, at which FTS5 writes out the terms it holds in
  // memory; in a bulk load that would make a new index segment per document (measured: 3×
  // slower). Callers delete the old row first.
  static const std::string sql =
      "INSERT INTO search_docs (srowid, kind, id, reference_code, code_key, title, "
      "description, creator, keywords, content, access_level, carrier, fonds_id, category_id, "
      "category_path, year, important, use_count, cited_by, source_authority, updated_at, tier, "
      "terms_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  TRY(tx.exec(sql, p));
  return {};
}

}  // namespace

PreparedDoc prepare_doc(const Document& doc, Backend backend) {
  PreparedDoc out;
  analysis::Prepared prepared = analysis::prepare(doc);
  out.hash = prepared.hash();
  auto kind = detail::kind_code(doc.kind);
  if (!kind) return out;
  const int tier =
      detail::tier_of(doc.important, doc.use_count, doc.cited_by, doc.source_authority);
  const std::int64_t srowid = detail::make_srowid(tier, *kind, doc.id);
  out.row = doc_params(doc, srowid, tier, out.hash);
  if (backend == Backend::postgres) {
    out.row.emplace_back(detail::tsvector_text(prepared));
  } else {
    out.fts.reserve(analysis::kColumnCount + 1);
    out.fts.emplace_back(srowid);
    for (auto& c : prepared.columns) out.fts.emplace_back(std::move(c));
  }
  return out;
}

Status upsert_prepared(store::Tx& tx, const Document& doc, const PreparedDoc& pd, bool known_new) {
  TRY_STATUS(check_document(doc));
  const int kind = TRY(detail::kind_code(doc.kind));
  const int tier =
      detail::tier_of(doc.important, doc.use_count, doc.cited_by, doc.source_authority);
  const std::int64_t srowid = detail::make_srowid(tier, kind, doc.id);
  const std::uint64_t hash = pd.hash;
  if (tx.backend() == Backend::postgres) {
    static const std::string sql = pg_upsert_sql(1);
    TRY(tx.exec(sql, pd.row));
    return {};
  }
  if (!known_new) {
    auto old = TRY(load_row(tx, doc.kind, doc.id));
    if (old) {
      bool same_terms = static_cast<std::uint64_t>(old->i64(21)) == hash;
      TRY(tx.exec("DELETE FROM search_docs WHERE srowid = ?", {old->i64(0)}));
      if (same_terms && old->i64(0) == srowid) return insert_doc(tx, pd.row);
      TRY_STATUS(fts_delete(tx, *old));
    }
  }
  TRY_STATUS(insert_doc(tx, pd.row));
  static const std::string sql = std::string("INSERT INTO search_fts(rowid, ") + kFtsColumns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  TRY(tx.exec(sql, pd.fts));
  return {};
}

Status upsert_prepared_many(store::Tx& tx, const std::vector<const Document*>& docs,
                            const std::vector<const PreparedDoc*>& prepared, bool known_new) {
  if (tx.backend() == Backend::sqlite) {
    for (std::size_t i = 0; i < docs.size(); ++i)
      TRY_STATUS(upsert_prepared(tx, *docs[i], *prepared[i], known_new));
    return {};
  }
  // PostgreSQL: 50 rows a statement (one round trip and one plan instead of 50). Two rows
  // with the same key cannot be in one statement; such a group goes one by one.
  constexpr std::size_t kRows = 50;
  static const std::string many = pg_upsert_sql(static_cast<int>(kRows));
  std::size_t i = 0;
  for (; i + kRows <= docs.size(); i += kRows) {
    std::set<std::pair<std::string, std::int64_t>> keys;
    Params p;
    p.reserve(kRows * 24);
    bool ok = true;
    for (std::size_t j = i; j < i + kRows && ok; ++j) {
      const Document& d = *docs[j];
      TRY_STATUS(check_document(d));
      ok = keys.insert({d.kind, d.id}).second;
      for (const auto& v : prepared[j]->row) p.push_back(v);
    }
    if (ok) {
      TRY(tx.exec(many, p));
    } else {
      for (std::size_t j = i; j < i + kRows; ++j)
        TRY_STATUS(upsert_prepared(tx, *docs[j], *prepared[j], known_new));
    }
  }
  for (; i < docs.size(); ++i) TRY_STATUS(upsert_prepared(tx, *docs[i], *prepared[i], known_new));
  return {};
}

Status upsert(store::Tx& tx, const Document& doc) {
  TRY_STATUS(check_document(doc));
  return upsert_prepared(tx, doc, prepare_doc(doc, tx.backend()), false);
}

Status remove(store::Tx& tx, const std::string& kind, std::int64_t id) {
  if (tx.backend() == Backend::postgres) {
    TRY(tx.exec("DELETE FROM search_docs WHERE kind = ? AND id = ?", {kind, id}));
    return {};
  }
  auto old = TRY(load_row(tx, kind, id));
  if (!old) return {};
  TRY_STATUS(fts_delete(tx, *old));
  TRY(tx.exec("DELETE FROM search_docs WHERE srowid = ?", {old->i64(0)}));
  return {};
}

Status update_signals(store::Tx& tx, const std::string& kind, std::int64_t id,
                      std::int64_t use_count, std::int64_t cited_by, bool important) {
  auto old = TRY(load_row(tx, kind, id));
  if (!old) return {};
  const int kc = TRY(detail::kind_code(kind));
  const int tier = detail::tier_of(important, use_count, cited_by, static_cast<int>(old->i64(18)));
  const std::int64_t srowid = detail::make_srowid(tier, kc, id);
  if (srowid != old->i64(0) && tx.backend() == Backend::sqlite) {
    // The candidate order changed: the FTS entry moves to the new rowid.
    Document d = detail::document_from_row(*old);
    d.use_count = use_count;
    d.cited_by = cited_by;
    d.important = important;
    analysis::Prepared p = analysis::prepare(d);
    TRY_STATUS(fts_delete(tx, *old));
    TRY(tx.exec("DELETE FROM search_docs WHERE srowid = ?", {old->i64(0)}));
    TRY_STATUS(insert_doc(tx, doc_params(d, srowid, tier, p.hash())));
    return fts_insert(tx, srowid, p);
  }
  TRY(tx.exec(
      "UPDATE search_docs SET use_count = ?, cited_by = ?, important = ?, tier = ?, srowid = ? "
      "WHERE kind = ? AND id = ?",
      {use_count, cited_by, std::int64_t{important ? 1 : 0}, std::int64_t{tier}, srowid, kind,
       id}));
  return {};
}

}  // namespace dangan::search
