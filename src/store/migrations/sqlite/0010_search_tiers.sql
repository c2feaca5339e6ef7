-- PostgreSQL only (one GIN index per search candidate tier); nothing changes on SQLite,
-- whose FTS5 index walks candidates in order already.
SELECT 1;
