-- Search on PostgreSQL: one GIN index per candidate tier instead of one for all. A query
-- walks the tiers in candidate order with LIMIT and no ORDER BY, so a bitmap heap scan
-- stops after the rows it needs instead of visiting every match to sort them by srowid
-- (src/search/run.cpp, pg_by_tier). Together they are the size of the one they replace.
DROP INDEX search_docs_tsv;
CREATE INDEX search_docs_tsv_3 ON search_docs USING GIN (tsv) WHERE tier = 3;
CREATE INDEX search_docs_tsv_2 ON search_docs USING GIN (tsv) WHERE tier = 2;
CREATE INDEX search_docs_tsv_1 ON search_docs USING GIN (tsv) WHERE tier = 1;
CREATE INDEX search_docs_tsv_0 ON search_docs USING GIN (tsv) WHERE tier = 0;
