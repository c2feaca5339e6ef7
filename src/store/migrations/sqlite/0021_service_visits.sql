-- Service recovery on complaints, follow-up visits (回访), and the desk's settings.

CREATE TABLE service_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO service_settings (key, value) VALUES
  ('visit_sample_rate', '0.1'),        -- share of other closed tickets visited
  ('visit_after_working_days', '3');   -- a visit falls due this long after closing

-- A complaint's service recovery: the cause found, the remedy offered, and whether the
-- patron accepted it. One per ticket; the latest offer replaces an unanswered one.
CREATE TABLE ticket_recoveries (
  ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
  cause TEXT NOT NULL,
  remedy TEXT NOT NULL,
  offered_by INTEGER REFERENCES users(id),
  offered_at TEXT NOT NULL,
  accepted INTEGER,                 -- NULL: no answer yet
  patron_comment TEXT NOT NULL DEFAULT '',
  answered_at TEXT
);

CREATE TABLE follow_up_visits (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER REFERENCES tickets(id),
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  reason TEXT NOT NULL CHECK (reason IN ('complaint','sample','manual')),
  status TEXT NOT NULL CHECK (status IN ('scheduled','done','unreachable','cancelled')),
  due_at TEXT NOT NULL,
  channel TEXT,
  satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
  comments TEXT NOT NULL DEFAULT '',
  done_by INTEGER REFERENCES users(id),
  done_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX follow_up_visits_status ON follow_up_visits(status, due_at);
CREATE INDEX follow_up_visits_patron ON follow_up_visits(patron_id, id);
CREATE INDEX follow_up_visits_ticket ON follow_up_visits(ticket_id);
