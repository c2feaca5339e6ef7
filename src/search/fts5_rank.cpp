// fts5_rank.cpp — the ranking function of the SQLite index, dangan_rank().
//
//   dangan_rank(search_fts, column_weights, phrase_weights, entry_only)
//
// BM25F without IDF: for each phrase p of the query and each column c it occurs in,
//   phrase_weight[p] × column_weight[c] × tf·(k1+1) / (tf + k1·(1 − b + b·len_c/avglen_c))
// summed; k1 = 1.2, b = 0.75; the weights are comma-separated numbers in column and
// phrase order. FTS5's own bm25() computes each phrase's IDF by walking every row that
// contains it, once per query: for "档案" at 1M records that alone took longer than the
// whole search may, and filter phrases ("a_open", in most rows) cost the most. Here filter
// phrases weigh 0 and query phrases 1 (why no IDF: run.cpp, phrase_weights).
// entry_only (1): only the catalogue-entry columns count (a controlled record found by a
// patron through its entry must not rank by the content the patron cannot see).
//
// The function is registered on every SQLite connection the process opens, through
// sqlite3_auto_extension, before main() runs (see register_rank_function below).
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace dangan::search::detail {

namespace {

struct RankData {
  std::vector<double> column_weights, phrase_weights, average_length;
};

std::vector<double> parse_numbers(const unsigned char* text) {
  std::vector<double> out;
  if (!text) return out;
  const char* p = reinterpret_cast<const char*>(text);
  while (*p) {
    char* end = nullptr;
    double v = std::strtod(p, &end);
    if (end == p) break;
    out.push_back(v);
    p = end;
    while (*p == ',' || *p == ' ') ++p;
  }
  return out;
}

void free_rank_data(void* p) { delete static_cast<RankData*>(p); }

void rank_function(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc,
                   sqlite3_value** argv) {
  constexpr double k1 = 1.2, b = 0.75;
  auto* data = static_cast<RankData*>(api->xGetAuxdata(fts, 0));
  const int ncol = api->xColumnCount(fts);
  const int nphrase = api->xPhraseCount(fts);
  if (!data) {
    data = new RankData();
    data->column_weights = parse_numbers(argc > 0 ? sqlite3_value_text(argv[0]) : nullptr);
    data->phrase_weights = parse_numbers(argc > 1 ? sqlite3_value_text(argv[1]) : nullptr);
    data->column_weights.resize(static_cast<std::size_t>(ncol), 1.0);
    data->phrase_weights.resize(static_cast<std::size_t>(nphrase), 1.0);
    sqlite3_int64 rows = 0;
    api->xRowCount(fts, &rows);
    data->average_length.resize(static_cast<std::size_t>(ncol), 1.0);
    for (int c = 0; c < ncol; ++c) {
      sqlite3_int64 total = 0;
      if (api->xColumnTotalSize(fts, c, &total) == SQLITE_OK && rows > 0)
        data->average_length[static_cast<std::size_t>(c)] =
            std::max(1.0, static_cast<double>(total) / static_cast<double>(rows));
    }
    if (api->xSetAuxdata(fts, data, free_rank_data) != SQLITE_OK) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
  }
  int ninst = 0;
  if (api->xInstCount(fts, &ninst) != SQLITE_OK) {
    sqlite3_result_error(ctx, "dangan_rank: cannot read phrase instances", -1);
    return;
  }
  // tf per (phrase, column), kept small: most queries have a few phrases.
  thread_local std::vector<int> tf;
  tf.assign(static_cast<std::size_t>(nphrase * ncol), 0);
  for (int i = 0; i < ninst; ++i) {
    int phrase = 0, column = 0, offset = 0;
    if (api->xInst(fts, i, &phrase, &column, &offset) != SQLITE_OK) continue;
    ++tf[static_cast<std::size_t>(phrase * ncol + column)];
  }
  const bool entry_only = argc > 2 && sqlite3_value_int(argv[2]) == 1;
  // Columns of the catalogue entry: title, refcode, keywords, creator, pinyin, egrams,
  // meta (its year; it weighs nothing anyway); not description, content, cgrams, hidden.
  static constexpr bool kEntry[] = {true, true, true,  true, false, false,
                                    true, true, false, true, false};
  double score = 0;
  thread_local std::vector<int> length;
  length.assign(static_cast<std::size_t>(ncol), -1);
  for (int p = 0; p < nphrase; ++p) {
    const double pw = data->phrase_weights[static_cast<std::size_t>(p)];
    if (pw == 0) continue;
    for (int c = 0; c < ncol; ++c) {
      int n = tf[static_cast<std::size_t>(p * ncol + c)];
      const double cw = data->column_weights[static_cast<std::size_t>(c)];
      if (n == 0 || cw == 0) continue;
      if (entry_only && (c >= 11 || !kEntry[c])) continue;
      int& len = length[static_cast<std::size_t>(c)];
      if (len < 0 && api->xColumnSize(fts, c, &len) != SQLITE_OK) len = 0;
      const double norm = 1 - b + b * len / data->average_length[static_cast<std::size_t>(c)];
      score += pw * cw * (n * (k1 + 1)) / (n + k1 * norm);
    }
  }
  sqlite3_result_double(ctx, score);
}

int register_on(sqlite3* db, char** /*error*/, const sqlite3_api_routines* /*api*/) {
  fts5_api* fts = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&fts), "fts5_api_ptr", nullptr);
    sqlite3_step(stmt);
  }
  sqlite3_finalize(stmt);
  if (fts && fts->iVersion >= 2)
    fts->xCreateFunction(fts, "dangan_rank", nullptr, rank_function, nullptr);
  return SQLITE_OK;  // without FTS5 the search fails later with a clear error
}

}  // namespace

bool register_rank_function() {
  using Entry = void (*)();
  return sqlite3_auto_extension(reinterpret_cast<Entry>(register_on)) == SQLITE_OK;
}

}  // namespace dangan::search::detail
