-- PostgreSQL only (search_docs rows kept out of TOAST); nothing changes on SQLite.
SELECT 1;
