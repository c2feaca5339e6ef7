-- Bulk export requests (D42; src/transfer/export_requests.h). An API export of more
-- records than export_approval_threshold, or one that includes controlled or secret
-- records, is a request that waits for a manager (export_approve, never the requester):
--   pending ──approve──> approved ──> running ──> ready ──(export_keep_days)──> expired
--      └──reject──> rejected                   └──> failed
-- Exports that need no approval are stored too (approved at once, decided_by NULL).
-- filter is the export's filter as JSON, reasons the list of why approval was needed.
CREATE TABLE export_requests (
  id INTEGER PRIMARY KEY,
  requested_by INTEGER NOT NULL,
  requested_at TEXT NOT NULL,
  format TEXT NOT NULL,
  filter TEXT NOT NULL DEFAULT '{}',
  purpose TEXT NOT NULL DEFAULT '',
  reasons TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL
    CHECK (status IN ('pending','approved','running','ready','failed','rejected','expired')),
  decided_by INTEGER,
  decided_at TEXT,
  decision_reason TEXT,
  started_at TEXT,
  finished_at TEXT,
  row_count INTEGER,
  file_size INTEGER,
  file_sha256 TEXT,
  message TEXT,
  expires_at TEXT,
  download_count INTEGER NOT NULL DEFAULT 0,
  last_downloaded_at TEXT
);
CREATE INDEX export_requests_status ON export_requests(status, id);
CREATE INDEX export_requests_requester ON export_requests(requested_by, id);
