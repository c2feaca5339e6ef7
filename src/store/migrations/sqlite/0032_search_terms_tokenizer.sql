-- Search index, third layout: the same columns with the tokenizer dangan_terms
-- (src/store/sqlite/fts5_terms.cpp), which only cuts the prepared terms at their spaces, instead
-- of unicode61, which decoded and case-folded every character of text that was already
-- folded and split (a third of a bulk load's writing time). The index is derived data:
-- without its search_meta row, search::maintain() rebuilds it from search_docs when the
-- server starts.
DROP TABLE search_vocab;
DROP TABLE search_fts;
CREATE VIRTUAL TABLE search_fts USING fts5(
  title, refcode, keywords, creator, description, content, pinyin, egrams, cgrams, meta, hidden,
  content = 'search_fts_source', content_rowid = 'srowid',
  tokenize = 'dangan_terms');
CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, row);
DELETE FROM search_meta WHERE key = 'analyzer';
