-- Electronic-signature metadata of attachments (D41; src/catalogue/attachments_signatures.h).
-- source 'embedded': read from a signed PDF at upload, one row per signature field, with
-- what the integrity check found (integrity: intact, not_intact, unknown) and the whole
-- inspection as JSON in detail. source 'recorded': entered by staff for a signature that
-- is not in the file (detached, paper, seal); integrity is NULL: nothing was checked.
-- Recorded rows can be withdrawn (removed, with who and when); embedded rows go with the
-- attachment's content. Times are ISO 8601 text.
CREATE TABLE attachment_signatures (
  id INTEGER PRIMARY KEY,
  attachment_id INTEGER NOT NULL REFERENCES attachments(id),
  source TEXT NOT NULL CHECK (source IN ('embedded','recorded')),
  field_name TEXT,
  signer TEXT,
  signed_at TEXT,
  method TEXT NOT NULL,
  certificate_ref TEXT,
  note TEXT,
  integrity TEXT CHECK (integrity IN ('intact','not_intact','unknown')),
  detail TEXT NOT NULL DEFAULT '{}',
  created_by INTEGER,
  created_at TEXT NOT NULL,
  removed INTEGER NOT NULL DEFAULT 0,
  removed_by INTEGER,
  removed_at TEXT
);
CREATE INDEX attachment_signatures_attachment ON attachment_signatures(attachment_id);
CREATE INDEX attachment_signatures_integrity ON attachment_signatures(integrity);
