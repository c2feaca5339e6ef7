-- Bulk import jobs (src/transfer): one row per import of a file, with its progress and
-- the rows that failed. In batch mode each committed batch updates last_row in its own
-- transaction, so a job continued after a crash starts after the last committed row.
-- Times are ISO 8601 UTC text; booleans 0/1; JSON documents as text.

CREATE TABLE import_jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL DEFAULT 'records' CHECK (kind IN ('records')),
  filename TEXT NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('csv','xlsx','json','ndjson')),
  file_sha256 TEXT NOT NULL,
  mapping TEXT NOT NULL DEFAULT '{}',
  mode TEXT NOT NULL CHECK (mode IN ('all_or_nothing','batch')),
  batch_size INTEGER,
  dry_run INTEGER NOT NULL DEFAULT 0,
  skip_existing INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued','running','succeeded','completed_with_errors','failed')),
  rows_total INTEGER,
  rows_done INTEGER NOT NULL DEFAULT 0,
  rows_imported INTEGER NOT NULL DEFAULT 0,
  rows_skipped INTEGER NOT NULL DEFAULT 0,
  rows_failed INTEGER NOT NULL DEFAULT 0,
  last_row INTEGER NOT NULL DEFAULT 0,
  -- The first errors only ([{row, column, message}]); rows_failed counts them all.
  errors TEXT NOT NULL DEFAULT '[]',
  message TEXT,
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX import_jobs_status ON import_jobs(status, id);
