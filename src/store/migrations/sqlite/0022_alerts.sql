-- Service traces and risk alerts (seed 004 篇4): configurable rules, the alerts they
-- raise, and patrons marked sensitive (敏感客户) by a repeated complaint.

CREATE TABLE alert_rules (
  kind TEXT PRIMARY KEY CHECK (kind IN ('repeat_contact','repeat_complaint','sla_warning','privacy_reads')),
  enabled INTEGER NOT NULL DEFAULT 1,
  params TEXT NOT NULL,             -- JSON, per kind (docs/service.md)
  updated_at TEXT NOT NULL
);
INSERT INTO alert_rules (kind, enabled, params, updated_at) VALUES
  ('repeat_contact', 1, '{"count":3,"days":7}', '1970-01-01T00:00:00.000000Z'),
  ('repeat_complaint', 1, '{"days":90}', '1970-01-01T00:00:00.000000Z'),
  ('sla_warning', 1, '{"minutes_before":60}', '1970-01-01T00:00:00.000000Z'),
  ('privacy_reads', 1, '{"reads":200,"minutes":60}', '1970-01-01T00:00:00.000000Z');

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open','assigned','acknowledged','resolved')),
  summary TEXT NOT NULL,
  patron_id INTEGER REFERENCES patrons(id),
  ticket_id INTEGER REFERENCES tickets(id),
  subject_user_id INTEGER REFERENCES users(id),  -- the staff member a privacy alert is about
  assignee_id INTEGER REFERENCES users(id),
  dedupe_key TEXT NOT NULL,         -- one unresolved alert per key
  detail TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  resolved_at TEXT,
  resolution TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX alerts_unresolved ON alerts(dedupe_key) WHERE status <> 'resolved';
CREATE INDEX alerts_status ON alerts(status, id);
CREATE INDEX alerts_patron ON alerts(patron_id, id);

CREATE TABLE sensitive_patrons (
  patron_id INTEGER PRIMARY KEY REFERENCES patrons(id),
  since TEXT NOT NULL,
  reason TEXT NOT NULL,
  alert_id INTEGER REFERENCES alerts(id)
);

-- Tickets remember that their "about to breach" warning went out.
ALTER TABLE tickets ADD COLUMN sla_warned INTEGER NOT NULL DEFAULT 0;
-- The subject folded for comparison (repeat contacts about the same subject).
ALTER TABLE tickets ADD COLUMN subject_key TEXT NOT NULL DEFAULT '';
CREATE INDEX tickets_patron_subject ON tickets(patron_id, subject_key, created_at);
