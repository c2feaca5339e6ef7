-- Search index, second layout: a `hidden` column for the description and content of
-- controlled records (a patron's query leaves it out, so such a record matches a patron
-- only by its catalogue entry), and candidate order ascending (srowid). The index is
-- derived data: search::maintain() rebuilds it from search_docs when the server starts,
-- and search_meta records which analyzer built it.
DROP TABLE search_vocab;
DROP TABLE search_fts;
DROP VIEW search_fts_source;
CREATE VIEW search_fts_source AS
  SELECT srowid, title, reference_code AS refcode, keywords, creator, description, content,
         '' AS pinyin, '' AS egrams, '' AS cgrams, '' AS meta, '' AS hidden
  FROM search_docs;
CREATE VIRTUAL TABLE search_fts USING fts5(
  title, refcode, keywords, creator, description, content, pinyin, egrams, cgrams, meta, hidden,
  content = 'search_fts_source', content_rowid = 'srowid',
  tokenize = "unicode61 remove_diacritics 0 tokenchars '-_'");
CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, row);

CREATE TABLE search_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
