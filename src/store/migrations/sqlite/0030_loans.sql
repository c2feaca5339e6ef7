-- The loans desk (借阅): records lent to patrons with a due date, renewals and returns;
-- and the overdue-loan alert rule.

CREATE TABLE loans (
  id INTEGER PRIMARY KEY,
  record_id INTEGER NOT NULL REFERENCES records(id),
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  lent_by INTEGER REFERENCES users(id),
  lent_at TEXT NOT NULL,
  due_at TEXT NOT NULL,
  renewals INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',          -- on what basis (required for restricted records)
  returned_at TEXT,
  returned_to INTEGER REFERENCES users(id),
  return_note TEXT NOT NULL DEFAULT ''
);
-- A record is on at most one open loan.
CREATE UNIQUE INDEX loans_open_record ON loans(record_id) WHERE returned_at IS NULL;
CREATE INDEX loans_open_due ON loans(due_at, id) WHERE returned_at IS NULL;
CREATE INDEX loans_patron ON loans(patron_id, id);

-- SQLite cannot change a CHECK constraint: the rules table is rebuilt with the new kind.
CREATE TABLE alert_rules_new (
  kind TEXT PRIMARY KEY CHECK (kind IN ('repeat_contact','repeat_complaint','sla_warning',
                                        'privacy_reads','loan_overdue')),
  enabled INTEGER NOT NULL DEFAULT 1,
  params TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
INSERT INTO alert_rules_new SELECT kind, enabled, params, updated_at FROM alert_rules;
DROP TABLE alert_rules;
ALTER TABLE alert_rules_new RENAME TO alert_rules;
INSERT INTO alert_rules (kind, enabled, params, updated_at) VALUES
  ('loan_overdue', 1, '{"days":0}', '1970-01-01T00:00:00.000000Z');
