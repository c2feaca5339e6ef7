-- Attachments: preservation (D41) and output protection (D42).
-- blobs: format identification, virus scan result, the key an encrypted file was
-- written with, and what the last fixity check found. attachments: who removed one and
-- when. Downloads are counted per user for the limits by access level, and each fixity
-- run is kept with what it found and repaired.
ALTER TABLE blobs ADD COLUMN format TEXT NOT NULL DEFAULT '';
ALTER TABLE blobs ADD COLUMN format_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE blobs ADD COLUMN charset TEXT;
ALTER TABLE blobs ADD COLUMN key_id TEXT;
ALTER TABLE blobs ADD COLUMN scan_status TEXT NOT NULL DEFAULT 'unscanned'
  CHECK (scan_status IN ('clean','unscanned'));
ALTER TABLE blobs ADD COLUMN scan_engine TEXT;
ALTER TABLE blobs ADD COLUMN scanned_at TEXT;
ALTER TABLE blobs ADD COLUMN fixity_detail TEXT;
CREATE INDEX blobs_fixity ON blobs(fixity_checked_at);

ALTER TABLE attachments ADD COLUMN removed_at TEXT;
ALTER TABLE attachments ADD COLUMN removed_by INTEGER;
-- The content an attachment had once its blob was destroyed (sha256 is then NULL).
ALTER TABLE attachments ADD COLUMN removed_sha256 TEXT;

CREATE TABLE attachment_downloads (
  id INTEGER PRIMARY KEY,
  attachment_id INTEGER NOT NULL REFERENCES attachments(id),
  record_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  access_level TEXT NOT NULL,
  downloaded_at TEXT NOT NULL
);
CREATE INDEX attachment_downloads_user ON attachment_downloads(user_id, access_level, downloaded_at);

CREATE TABLE fixity_runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  scope TEXT NOT NULL,
  checked INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  repaired INTEGER NOT NULL,
  problems TEXT NOT NULL DEFAULT '[]'
);
