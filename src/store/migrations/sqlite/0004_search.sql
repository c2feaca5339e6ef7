-- Search (src/search/search.h): the documents the index holds, the full-text index over
-- their prepared terms, and the search log behind the unmet-demand report.
--
-- search_docs keeps, per document, the raw text it was indexed from (to re-prepare the
-- exact terms when the index entry is removed or replaced: FTS5 external-content tables
-- need the old terms to delete them), the filter and facet values, and the importance
-- signals. srowid is the FTS5 rowid and sets candidate order: (tier << 40) | (kind << 36)
-- | id, so scanning rowids downwards meets important and much-used documents first, then
-- the newest (src/search/index.cpp).
CREATE TABLE search_docs (
  srowid INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  id INTEGER NOT NULL,
  reference_code TEXT NOT NULL DEFAULT '',
  code_key TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  creator TEXT NOT NULL DEFAULT '',
  keywords TEXT NOT NULL DEFAULT '[]',
  content TEXT NOT NULL DEFAULT '',
  access_level TEXT NOT NULL CHECK (access_level IN ('open','controlled','secret')),
  carrier TEXT NOT NULL DEFAULT 'paper',
  fonds_id INTEGER NOT NULL DEFAULT 0,
  category_id INTEGER NOT NULL DEFAULT 0,
  category_path TEXT NOT NULL DEFAULT '',
  year INTEGER,
  important INTEGER NOT NULL DEFAULT 0,
  use_count INTEGER NOT NULL DEFAULT 0,
  cited_by INTEGER NOT NULL DEFAULT 0,
  source_authority INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL DEFAULT '',
  tier INTEGER NOT NULL DEFAULT 0,
  terms_hash INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX search_docs_key ON search_docs(kind, id);
CREATE INDEX search_docs_code ON search_docs(code_key, access_level);

-- Terms per column, space-separated (analysis::Prepared). '-' and '_' are word
-- characters: whole reference codes keep their dashes, filter terms ("a_open") have an
-- underscore no query term can contain. The content table is never read by the search
-- (it would show raw text, not terms); it exists because FTS5 wants one.
CREATE VIEW search_fts_source AS
  SELECT srowid, title, reference_code AS refcode, keywords, creator, description, content,
         '' AS pinyin, '' AS egrams, '' AS cgrams, '' AS meta
  FROM search_docs;
CREATE VIRTUAL TABLE search_fts USING fts5(
  title, refcode, keywords, creator, description, content, pinyin, egrams, cgrams, meta,
  content = 'search_fts_source', content_rowid = 'srowid',
  tokenize = "unicode61 remove_diacritics 0 tokenchars '-_'");

-- One row per search: who (user, and the patron for portal accounts), what was typed and
-- what it was prepared to, how many it found, and whether a result was opened.
CREATE TABLE search_log (
  id INTEGER PRIMARY KEY,
  searched_at TEXT NOT NULL,
  user_id INTEGER,
  patron_id INTEGER,
  audience TEXT NOT NULL,
  query TEXT NOT NULL,
  normalized TEXT NOT NULL,
  total INTEGER NOT NULL,
  opened_record_id INTEGER,
  opened_at TEXT
);
CREATE INDEX search_log_time ON search_log(searched_at);
CREATE INDEX search_log_user ON search_log(user_id, id);

-- The index's terms with their document counts (suggestions complete a word from it).
CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, row);
