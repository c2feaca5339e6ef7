-- Search, second layout of the terms (tsv weights: A title, reference code, keywords; B
-- creator, pinyin, entry grams, year; C description, content; D a controlled record's
-- description and content, which a patron's query leaves out) and candidate order
-- ascending. search::maintain() rebuilds tsv from search_docs when the server starts;
-- search_meta records which analyzer built it.
CREATE TABLE search_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
