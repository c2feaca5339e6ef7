-- SQLite only (the FTS5 index's tokenizer, dangan_terms); nothing changes on PostgreSQL,
-- whose tsvector is written from the prepared terms already.
SELECT 1;
