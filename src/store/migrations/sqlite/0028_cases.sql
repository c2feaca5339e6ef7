-- Cases (D32): one matter followed across channels. A case links contacts (tickets,
-- follow-up visits, interactions …) by kind and id, so it can point at anything the
-- desk records, and keeps its own back-office steps (调档, 审批, 复印 …).

CREATE TABLE service_cases (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  patron_id INTEGER REFERENCES patrons(id),
  status TEXT NOT NULL CHECK (status IN ('open','resolved','closed')),
  owner_id INTEGER REFERENCES users(id),
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  resolved_at TEXT
);
CREATE INDEX service_cases_patron ON service_cases(patron_id, id);
CREATE INDEX service_cases_status ON service_cases(status, id);

-- item_kind names a source the server knows (ticket, visit, interaction …); item_id is
-- that source's id. No foreign key: the sources live in different tables.
CREATE TABLE case_links (
  case_id INTEGER NOT NULL REFERENCES service_cases(id),
  item_kind TEXT NOT NULL,
  item_id INTEGER NOT NULL,
  linked_by INTEGER REFERENCES users(id),
  linked_at TEXT NOT NULL,
  PRIMARY KEY (case_id, item_kind, item_id)
);
CREATE INDEX case_links_item ON case_links(item_kind, item_id);

CREATE TABLE case_steps (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES service_cases(id),
  what TEXT NOT NULL,
  unit_id INTEGER REFERENCES units(id),
  done_by INTEGER REFERENCES users(id),
  occurred_at TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX case_steps_case ON case_steps(case_id, occurred_at);
