-- Knowledge services (定题服务, D27) and configurable trace points (D33).

-- A long-running research service for one patron: topic and scope, the specialist who
-- carries it, deliveries at a rhythm (delivery_interval_days; NULL = when ready), and a
-- close that records the patron's satisfaction.
CREATE TABLE knowledge_services (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  topic TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '',
  specialist_id INTEGER REFERENCES users(id),
  status TEXT NOT NULL CHECK (status IN ('active','completed','cancelled')),
  delivery_interval_days INTEGER CHECK (delivery_interval_days BETWEEN 1 AND 366),
  next_delivery_due TEXT,           -- YYYY-MM-DD; NULL without a rhythm or once closed
  started_at TEXT NOT NULL,
  closed_at TEXT,
  satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
  closing_comment TEXT NOT NULL DEFAULT '',
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX knowledge_services_patron ON knowledge_services(patron_id, status, id);
CREATE INDEX knowledge_services_status ON knowledge_services(status, id);
CREATE INDEX knowledge_services_specialist ON knowledge_services(specialist_id, status, id);

CREATE TABLE knowledge_milestones (
  id INTEGER PRIMARY KEY,
  service_id INTEGER NOT NULL REFERENCES knowledge_services(id),
  title TEXT NOT NULL,
  due_on TEXT NOT NULL,             -- YYYY-MM-DD
  done_at TEXT,
  done_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL
);
CREATE INDEX knowledge_milestones_service ON knowledge_milestones(service_id, due_on, id);

CREATE TABLE knowledge_deliveries (
  id INTEGER PRIMARY KEY,
  service_id INTEGER NOT NULL REFERENCES knowledge_services(id),
  summary TEXT NOT NULL,
  delivered_at TEXT NOT NULL,
  delivered_by INTEGER REFERENCES users(id)
);
CREATE INDEX knowledge_deliveries_service ON knowledge_deliveries(service_id, delivered_at, id);

-- The catalogue records a delivery handed over, with their code and title as delivered.
CREATE TABLE knowledge_delivery_records (
  delivery_id INTEGER NOT NULL REFERENCES knowledge_deliveries(id),
  record_id INTEGER NOT NULL REFERENCES records(id),
  reference_code TEXT NOT NULL,
  title TEXT NOT NULL,
  PRIMARY KEY (delivery_id, record_id)
);
CREATE INDEX knowledge_delivery_records_record ON knowledge_delivery_records(record_id);

-- Trace points: which behaviour is recorded at all, and for how long. Off until an
-- operator turns a point on; even then only patrons who consented to processing.
CREATE TABLE trace_points (
  kind TEXT PRIMARY KEY CHECK (kind IN ('record_view','download','portal_page','ivr')),
  enabled INTEGER NOT NULL DEFAULT 0,
  retention_days INTEGER NOT NULL DEFAULT 180 CHECK (retention_days BETWEEN 1 AND 3650),
  updated_at TEXT NOT NULL
);
INSERT INTO trace_points (kind, enabled, retention_days, updated_at) VALUES
  ('record_view', 0, 180, '1970-01-01T00:00:00.000000Z'),
  ('download', 0, 180, '1970-01-01T00:00:00.000000Z'),
  ('portal_page', 0, 180, '1970-01-01T00:00:00.000000Z'),
  ('ivr', 0, 180, '1970-01-01T00:00:00.000000Z');

-- One row per traced event. target: the page path with ids replaced by {id}, the IVR
-- key path ("1>3>2"), "record:ID" or "attachment:ID".
CREATE TABLE trace_events (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  target TEXT NOT NULL,
  record_id INTEGER,
  at TEXT NOT NULL
);
CREATE INDEX trace_events_kind_at ON trace_events(kind, at);
CREATE INDEX trace_events_patron ON trace_events(patron_id, at);
