-- Search on PostgreSQL: search_docs rows (with their tsvector, 2–5 KB) stay in the table
-- instead of going to TOAST. Every candidate is ranked by ts_rank and every match counted
-- or checked against a phrase reads the tsvector; out of line that is a TOAST index
-- lookup and decompression per row (measured at 100k records: p50 7.7–11.6 ms against
-- 13.9–15.9 ms, p99 24 ms against 41–52 ms). Rows written from now on; maintain() or
-- `dangan reindex` rewrites the others.
ALTER TABLE search_docs SET (toast_tuple_target = 8160);
