-- Problem management (D13): a tree of cause codes, the cause found for a ticket,
-- problems that gather the tickets of one cause, and improvement actions assigned to a
-- department (unit) with an owner and a due date.

CREATE TABLE cause_codes (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,       -- "process", "process.steps" …
  name TEXT NOT NULL,
  parent_id INTEGER REFERENCES cause_codes(id),
  active INTEGER NOT NULL DEFAULT 1  -- retired codes stay on old tickets
);
INSERT INTO cause_codes (code, name) VALUES
  ('process', '流程'), ('system', '系统'), ('staff', '人员'), ('holdings', '馆藏'),
  ('facilities', '环境设施');
INSERT INTO cause_codes (code, name, parent_id)
  SELECT 'process.rules', '规定不清或未公示', id FROM cause_codes WHERE code = 'process';
INSERT INTO cause_codes (code, name, parent_id)
  SELECT 'process.steps', '手续繁琐', id FROM cause_codes WHERE code = 'process';
INSERT INTO cause_codes (code, name, parent_id)
  SELECT 'system.outage', '系统故障', id FROM cause_codes WHERE code = 'system';
INSERT INTO cause_codes (code, name, parent_id)
  SELECT 'system.search', '检索不到', id FROM cause_codes WHERE code = 'system';
INSERT INTO cause_codes (code, name, parent_id)
  SELECT 'staff.attitude', '服务态度', id FROM cause_codes WHERE code = 'staff';
INSERT INTO cause_codes (code, name, parent_id)
  SELECT 'staff.knowledge', '业务不熟', id FROM cause_codes WHERE code = 'staff';
INSERT INTO cause_codes (code, name, parent_id)
  SELECT 'holdings.missing', '档案缺失', id FROM cause_codes WHERE code = 'holdings';
INSERT INTO cause_codes (code, name, parent_id)
  SELECT 'holdings.damaged', '档案破损', id FROM cause_codes WHERE code = 'holdings';

-- The cause found for a ticket (one per ticket; the latest finding replaces the last).
CREATE TABLE ticket_causes (
  ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
  cause_id INTEGER NOT NULL REFERENCES cause_codes(id),
  set_by INTEGER REFERENCES users(id),
  set_at TEXT NOT NULL
);
CREATE INDEX ticket_causes_cause ON ticket_causes(cause_id);

CREATE TABLE problems (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  cause_id INTEGER NOT NULL REFERENCES cause_codes(id),
  status TEXT NOT NULL CHECK (status IN ('open','analysing','resolved','closed')),
  root_cause TEXT NOT NULL DEFAULT '',
  owner_id INTEGER REFERENCES users(id),
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  resolved_at TEXT
);
CREATE INDEX problems_status ON problems(status, id);

CREATE TABLE problem_tickets (
  problem_id INTEGER NOT NULL REFERENCES problems(id),
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  linked_by INTEGER REFERENCES users(id),
  linked_at TEXT NOT NULL,
  PRIMARY KEY (problem_id, ticket_id)
);
CREATE INDEX problem_tickets_ticket ON problem_tickets(ticket_id);

-- due_on is a local date; an action not done or cancelled after it is overdue.
CREATE TABLE improvement_actions (
  id INTEGER PRIMARY KEY,
  problem_id INTEGER NOT NULL REFERENCES problems(id),
  title TEXT NOT NULL,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  owner_id INTEGER NOT NULL REFERENCES users(id),
  due_on TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('planned','in_progress','done','cancelled')),
  result TEXT NOT NULL DEFAULT '',
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  done_at TEXT
);
CREATE INDEX improvement_actions_problem ON improvement_actions(problem_id, id);
CREATE INDEX improvement_actions_due ON improvement_actions(status, due_on);
