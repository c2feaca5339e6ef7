-- The catalogue: fonds, categories, retention periods, reference-code schemes and their
-- counters, storage locations, records, their relations, attachments (content-addressed
-- blobs), appraisals and the disposal register.
-- Times are ISO 8601 UTC text, dates YYYY-MM-DD; booleans 0/1; JSON documents as text.

CREATE TABLE fonds (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  unit_id INTEGER REFERENCES units(id),
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- 门类 / 类别: a tree. `path` is "/<root id>/…/<own id>/" so a subtree is a prefix match.
CREATE TABLE categories (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES categories(id),
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  path TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX categories_code ON categories(COALESCE(parent_id, 0), code);
CREATE INDEX categories_path ON categories(path);

-- 保管期限: configurable; years NULL means permanent.
CREATE TABLE retention_periods (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  years INTEGER,
  position INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);

-- 档号 schemes. The most specific scheme applies: fonds and category, then category,
-- then fonds, then the default (both NULL).
CREATE TABLE reference_schemes (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  template TEXT NOT NULL,
  fonds_id INTEGER REFERENCES fonds(id),
  category_id INTEGER REFERENCES categories(id),
  reuse_numbers INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX reference_schemes_scope
  ON reference_schemes(COALESCE(fonds_id, 0), COALESCE(category_id, 0));

-- One counter per series: the code with its sequence left out.
CREATE TABLE scheme_counters (
  scheme_id INTEGER NOT NULL REFERENCES reference_schemes(id),
  series TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  PRIMARY KEY (scheme_id, series)
);

-- Numbers given back by closed records of a scheme that reuses numbers (D37), and who
-- took them again: the trace of every reuse.
CREATE TABLE released_numbers (
  id INTEGER PRIMARY KEY,
  scheme_id INTEGER NOT NULL REFERENCES reference_schemes(id),
  series TEXT NOT NULL,
  seq INTEGER NOT NULL,
  reference_code TEXT NOT NULL,
  released_by_record INTEGER NOT NULL,
  released_at TEXT NOT NULL,
  reused_by_record INTEGER,
  reused_at TEXT
);
CREATE INDEX released_numbers_free ON released_numbers(scheme_id, series, reused_by_record, seq);

-- Storage: building > room > cabinet > shelf > box (D37), with capacity in records.
CREATE TABLE locations (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES locations(id),
  kind TEXT NOT NULL CHECK (kind IN ('building','room','cabinet','shelf','box')),
  code TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  capacity INTEGER,
  path TEXT NOT NULL DEFAULT '',
  label TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX locations_code ON locations(COALESCE(parent_id, 0), code);
CREATE INDEX locations_path ON locations(path);

CREATE TABLE records (
  id INTEGER PRIMARY KEY,
  reference_code TEXT NOT NULL,
  scheme_id INTEGER REFERENCES reference_schemes(id),
  series TEXT NOT NULL DEFAULT '',
  seq INTEGER,
  number_released INTEGER NOT NULL DEFAULT 0,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  keywords TEXT NOT NULL DEFAULT '[]',
  creator TEXT NOT NULL DEFAULT '',
  year INTEGER,
  date_from TEXT,
  date_to TEXT,
  fonds_id INTEGER NOT NULL REFERENCES fonds(id),
  category_id INTEGER NOT NULL REFERENCES categories(id),
  retention_code TEXT NOT NULL REFERENCES retention_periods(code),
  retention_until TEXT,
  access_level TEXT NOT NULL CHECK (access_level IN ('open','controlled','secret')),
  location_id INTEGER REFERENCES locations(id),
  carrier TEXT NOT NULL DEFAULT 'paper'
    CHECK (carrier IN ('paper','electronic','photo','audio','video','other')),
  pages INTEGER,
  patron_id INTEGER REFERENCES patrons(id),
  important INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed','disposed')),
  legal_hold INTEGER NOT NULL DEFAULT 0,
  legal_hold_reason TEXT,
  rights TEXT NOT NULL DEFAULT '{}',
  embargo_until TEXT,
  source_authority INTEGER NOT NULL DEFAULT 0,
  use_count INTEGER NOT NULL DEFAULT 0,
  unit_id INTEGER REFERENCES units(id),
  version INTEGER NOT NULL DEFAULT 1,
  created_by INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  closed_at TEXT,
  disposed_at TEXT
);
-- A number is held by one record, unless that record was closed and gave it back.
CREATE UNIQUE INDEX records_reference_code ON records(reference_code) WHERE number_released = 0;
CREATE INDEX records_code_any ON records(reference_code);
CREATE INDEX records_fonds ON records(fonds_id, id);
CREATE INDEX records_category ON records(category_id, id);
CREATE INDEX records_year ON records(year, id);
CREATE INDEX records_patron ON records(patron_id, id);
CREATE INDEX records_location ON records(location_id);
CREATE INDEX records_retention ON records(status, retention_until);
CREATE INDEX records_updated ON records(updated_at, id);

CREATE TABLE record_relations (
  id INTEGER PRIMARY KEY,
  record_id INTEGER NOT NULL REFERENCES records(id),
  related_id INTEGER NOT NULL REFERENCES records(id),
  kind TEXT NOT NULL CHECK (kind IN ('cites','refers_to','part_of')),
  created_at TEXT NOT NULL,
  UNIQUE (record_id, related_id, kind)
);
CREATE INDEX record_relations_related ON record_relations(related_id);

CREATE TABLE record_moves (
  id INTEGER PRIMARY KEY,
  record_id INTEGER NOT NULL REFERENCES records(id),
  from_location_id INTEGER REFERENCES locations(id),
  to_location_id INTEGER REFERENCES locations(id),
  reason TEXT NOT NULL DEFAULT '',
  moved_by INTEGER,
  moved_at TEXT NOT NULL
);
CREATE INDEX record_moves_record ON record_moves(record_id, id);

-- Content-addressed: one row per distinct content. The bytes live in the blob store
-- (files named by SHA-256); `text` is what was extracted for search.
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mime TEXT NOT NULL,
  encrypted INTEGER NOT NULL DEFAULT 0,
  text TEXT,
  text_status TEXT NOT NULL DEFAULT 'none' CHECK (text_status IN ('none','extracted','failed')),
  fixity_checked_at TEXT,
  fixity_ok INTEGER,
  created_at TEXT NOT NULL
);

CREATE TABLE attachments (
  id INTEGER PRIMARY KEY,
  record_id INTEGER NOT NULL REFERENCES records(id),
  sha256 TEXT REFERENCES blobs(sha256),
  filename TEXT NOT NULL,
  mime TEXT NOT NULL,
  size INTEGER NOT NULL,
  removed INTEGER NOT NULL DEFAULT 0,
  created_by INTEGER,
  created_at TEXT NOT NULL
);
CREATE INDEX attachments_record ON attachments(record_id, id);
CREATE INDEX attachments_sha ON attachments(sha256);

-- 鉴定: a proposal, decided by a manager. Outcomes: keep, extend (new retention),
-- change_access (new access level), dispose.
CREATE TABLE appraisals (
  id INTEGER PRIMARY KEY,
  record_id INTEGER NOT NULL REFERENCES records(id),
  outcome TEXT NOT NULL CHECK (outcome IN ('keep','extend','change_access','dispose')),
  new_retention_code TEXT REFERENCES retention_periods(code),
  new_access_level TEXT,
  reason TEXT NOT NULL,
  worksheet TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed','approved','rejected')),
  proposed_by INTEGER NOT NULL,
  proposed_by_name TEXT NOT NULL,
  proposed_at TEXT NOT NULL,
  decided_by INTEGER,
  decided_by_name TEXT,
  decided_at TEXT,
  decision_note TEXT
);
CREATE INDEX appraisals_record ON appraisals(record_id, id);
CREATE INDEX appraisals_status ON appraisals(status, id);

-- 销毁登记: what was destroyed, why, who proposed and approved, when. Never changed.
CREATE TABLE disposal_register (
  id INTEGER PRIMARY KEY,
  record_id INTEGER NOT NULL,
  appraisal_id INTEGER NOT NULL,
  reference_code TEXT NOT NULL,
  title TEXT NOT NULL,
  fonds_code TEXT NOT NULL,
  category_code TEXT NOT NULL,
  retention_code TEXT NOT NULL,
  year INTEGER,
  reason TEXT NOT NULL,
  proposed_by INTEGER NOT NULL,
  proposed_by_name TEXT NOT NULL,
  proposed_at TEXT NOT NULL,
  approved_by INTEGER NOT NULL,
  approved_by_name TEXT NOT NULL,
  approved_at TEXT NOT NULL,
  disposed_at TEXT NOT NULL,
  content_hashes TEXT NOT NULL DEFAULT '[]'
);
CREATE TRIGGER disposal_register_no_update BEFORE UPDATE ON disposal_register
  BEGIN SELECT RAISE(ABORT, 'disposal_register is append-only'); END;
CREATE TRIGGER disposal_register_no_delete BEFORE DELETE ON disposal_register
  BEGIN SELECT RAISE(ABORT, 'disposal_register is append-only'); END;
