// fts5_terms.cpp — dangan_terms, an FTS5 tokenizer for text that is already a list of
// terms separated by spaces.
//
// The search index (src/search) writes to its FTS5 table only terms it has prepared
// itself (analysis::Prepared: folded, split, stemmed, separated by single spaces), and
// quotes the same terms in its queries (render.cpp), so the tokenizer only has to cut at
// the spaces. FTS5's unicode61, which the index used before, decoded every character,
// looked up its Unicode category and case-folded it again (measured: the writing thread
// of a bulk load 86 → 64 µs a record, BENCHMARKS.md "Indexing").
//
// ASCII control characters and other ASCII white space also separate, so a stray tab or
// newline cannot join two terms; every other byte belongs to a term.
//
// It lives in the store, not in src/search, because a table that names a tokenizer can
// be created, written or read only on a connection that has it, and migrations run in
// every program that opens a database: every SQLite connection the process opens gets it
// (sqlite3_auto_extension, installed before the store's first connection).
#include "store/sqlite/fts5_terms.h"

#include <sqlite3.h>

namespace dangan::store::sqlite {

namespace {

// One shared, stateless instance: FTS5 asks for a tokenizer per table and per query.
int terms_create(void*, const char**, int, Fts5Tokenizer** out) {
  static int instance;
  *out = reinterpret_cast<Fts5Tokenizer*>(&instance);
  return SQLITE_OK;
}

void terms_delete(Fts5Tokenizer*) {}

bool separates(unsigned char c) { return c <= ' ' || c == 0x7F; }

int terms_tokenize(Fts5Tokenizer*, void* ctx, int /*flags*/, const char* text, int size,
                   int (*token)(void*, int, const char*, int, int, int)) {
  const auto* p = reinterpret_cast<const unsigned char*>(text);
  int i = 0;
  while (i < size) {
    while (i < size && separates(p[i])) ++i;
    const int start = i;
    while (i < size && !separates(p[i])) ++i;
    if (i > start) {
      int rc = token(ctx, 0, text + start, i - start, start, i);
      if (rc != SQLITE_OK) return rc;
    }
  }
  return SQLITE_OK;
}

int register_on(sqlite3* db, char** /*error*/, const sqlite3_api_routines* /*api*/) {
  fts5_api* fts = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&fts), "fts5_api_ptr", nullptr);
    sqlite3_step(stmt);
  }
  sqlite3_finalize(stmt);
  static fts5_tokenizer tokenizer = {terms_create, terms_delete, terms_tokenize};
  if (fts) fts->xCreateTokenizer(fts, kTermsTokenizer, nullptr, &tokenizer, nullptr);
  return SQLITE_OK;  // without FTS5 the search's migration fails with a clear error
}

}  // namespace

bool register_terms_tokenizer() {
  static const bool done = [] {
    using Entry = void (*)();
    return sqlite3_auto_extension(reinterpret_cast<Entry>(register_on)) == SQLITE_OK;
  }();
  return done;
}

}  // namespace dangan::store::sqlite
