// fts5_terms.cpp — the tokenizer of the SQLite index, dangan_terms.
//
// Everything written to search_fts is already a list of terms separated by single spaces
// (analysis::Prepared: folded, split, stemmed), and so is every phrase of a query
// (render.cpp quotes the same terms). The tokenizer only has to cut at the spaces.
// FTS5's unicode61, which the index used before, decoded every character, looked up its
// Unicode category and case-folded it again: about a third of the writing thread's time
// in a bulk load (measured, docs/search.md "Indexing").
//
// Terms never contain spaces (analyzer.h), and every character unicode61 kept inside a
// term is kept here; ASCII control characters and other ASCII white space also separate,
// so a stray tab or newline in a hand-written query cannot make one term of two.
//
// Registered with dangan_rank on every SQLite connection (fts5_rank.cpp).
#include <sqlite3.h>

namespace dangan::search::detail {

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

}  // namespace

int register_terms_tokenizer(fts5_api* fts) {
  static fts5_tokenizer tokenizer = {terms_create, terms_delete, terms_tokenize};
  return fts->xCreateTokenizer(fts, "dangan_terms", nullptr, &tokenizer, nullptr);
}

}  // namespace dangan::search::detail
