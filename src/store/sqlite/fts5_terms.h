// fts5_terms.h — the FTS5 tokenizer dangan_terms (see fts5_terms.cpp): cuts text at
// spaces (and other ASCII white space and control characters), nothing else.
#pragma once

namespace dangan::store::sqlite {

constexpr const char* kTermsTokenizer = "dangan_terms";

// Makes the tokenizer available on every SQLite connection opened afterwards in this
// process (idempotent, thread-safe). The store calls it before opening a connection.
bool register_terms_tokenizer();

}  // namespace dangan::store::sqlite
