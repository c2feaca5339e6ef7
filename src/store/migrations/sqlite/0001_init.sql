-- Foundation schema: units, staff and portal accounts, sessions, patrons and their
-- contacts, tags, relations, key-field corrections, the timeline, the audit chain.
-- Times are ISO 8601 UTC text; booleans 0/1; JSON documents as text.

CREATE TABLE units (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  parent_id INTEGER REFERENCES units(id),
  created_at TEXT NOT NULL
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('administrator','archivist','agent','manager','analyst','auditor','patron')),
  unit_id INTEGER REFERENCES units(id),
  unit_scoped INTEGER NOT NULL DEFAULT 0,
  patron_id INTEGER,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT,
  password_changed_at TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX users_patron ON users(patron_id);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Fixed-window counters shared by every server process (login rate limits, alerts).
CREATE TABLE counters (
  key TEXT PRIMARY KEY,
  window_start TEXT NOT NULL,
  count INTEGER NOT NULL
);

CREATE TABLE patrons (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL CHECK (type IN ('person','organisation')),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','merged','erased')),
  merged_into INTEGER REFERENCES patrons(id),
  name TEXT NOT NULL,
  name_latin TEXT,
  gender TEXT,
  birth_date TEXT,
  id_doc_type TEXT,
  id_doc_number TEXT,
  region TEXT,
  postcode TEXT,
  address TEXT,
  household_registration TEXT,
  education TEXT,
  occupation TEXT,
  organisation_id INTEGER REFERENCES patrons(id),
  organisation_name TEXT,
  organisation_relation TEXT,
  sector TEXT,
  organisation_size TEXT,
  interests TEXT NOT NULL DEFAULT '[]',
  preferred_channel TEXT,
  preferred_language TEXT,
  preferred_contact_times TEXT,
  economic_status TEXT,
  special_needs TEXT,
  staff_notes TEXT,
  consent_contact INTEGER NOT NULL DEFAULT 0,
  consent_contact_at TEXT,
  consent_marketing INTEGER NOT NULL DEFAULT 0,
  consent_marketing_at TEXT,
  consent_processing INTEGER NOT NULL DEFAULT 0,
  consent_processing_at TEXT,
  unit_id INTEGER REFERENCES units(id),
  search_text TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX patrons_id_doc ON patrons(id_doc_type, id_doc_number)
  WHERE id_doc_number IS NOT NULL AND status = 'active';
CREATE INDEX patrons_region ON patrons(region, id);
CREATE INDEX patrons_type ON patrons(type, id);
CREATE INDEX patrons_org ON patrons(organisation_id);
CREATE INDEX patrons_name ON patrons(name, id);
CREATE INDEX patrons_updated ON patrons(updated_at, id);
CREATE INDEX patrons_unit ON patrons(unit_id, id);

-- Phones and e-mails; `normalized` is what duplicate detection and lookups compare.
CREATE TABLE patron_contacts (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  kind TEXT NOT NULL CHECK (kind IN ('phone','email')),
  value TEXT NOT NULL,
  normalized TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0,
  valid INTEGER NOT NULL DEFAULT 1,
  invalid_reason TEXT,
  last_verified_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX patron_contacts_patron ON patron_contacts(patron_id, kind, position);
CREATE INDEX patron_contacts_normalized ON patron_contacts(kind, normalized);

CREATE TABLE patron_tags (
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  tag TEXT NOT NULL,
  PRIMARY KEY (patron_id, tag)
);
CREATE INDEX patron_tags_tag ON patron_tags(tag, patron_id);

CREATE TABLE patron_relations (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  related_id INTEGER NOT NULL REFERENCES patrons(id),
  kind TEXT NOT NULL CHECK (kind IN ('household','research_group','member_of','colleague','guardian','other')),
  role TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (patron_id, related_id, kind)
);
CREATE INDEX patron_relations_related ON patron_relations(related_id);

-- Key fields change only with a reason and a second person's approval (D11).
CREATE TABLE key_field_changes (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  field TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT,
  reason TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected')),
  requested_by INTEGER NOT NULL REFERENCES users(id),
  requested_at TEXT NOT NULL,
  decided_by INTEGER REFERENCES users(id),
  decided_at TEXT,
  decision_note TEXT
);
CREATE INDEX key_field_changes_patron ON key_field_changes(patron_id, id);
CREATE INDEX key_field_changes_status ON key_field_changes(status, id);

-- The patron timeline: one ordered stream of events per patron.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  actor_id INTEGER,
  summary TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '{}',
  ref_type TEXT,
  ref_id TEXT
);
CREATE INDEX events_patron ON events(patron_id, at, id);

-- Append-only, hash-chained. seq is assigned as previous seq + 1 under the writer
-- lock, so a gap means a deleted entry.
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor_id INTEGER,
  actor_name TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  action TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL DEFAULT '',
  patron_id INTEGER,
  reason TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '{}',
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_patron ON audit_log(patron_id, seq);
CREATE INDEX audit_actor ON audit_log(actor_id, seq);
CREATE INDEX audit_at ON audit_log(at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
