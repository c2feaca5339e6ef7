-- The service desk (issue 5), first part: teams, the working-hours calendar and SLA
-- policies, tickets with their thread, SLA escalations, standard answers (话术).

CREATE TABLE service_teams (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  manager_id INTEGER REFERENCES users(id),  -- escalations go here first
  created_at TEXT NOT NULL
);
CREATE TABLE service_team_members (
  team_id INTEGER NOT NULL REFERENCES service_teams(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  PRIMARY KEY (team_id, user_id)
);

-- Working hours per weekday (1 = Monday … 7 = Sunday), "08:30-12:00,13:30-17:30".
CREATE TABLE service_hours (
  weekday INTEGER PRIMARY KEY CHECK (weekday BETWEEN 1 AND 7),
  hours TEXT NOT NULL DEFAULT ''
);
INSERT INTO service_hours (weekday, hours) VALUES
  (1, '08:30-12:00,13:30-17:30'), (2, '08:30-12:00,13:30-17:30'),
  (3, '08:30-12:00,13:30-17:30'), (4, '08:30-12:00,13:30-17:30'),
  (5, '08:30-12:00,13:30-17:30'), (6, ''), (7, '');

-- Holidays (法定节假日) and make-up working days (调休), by local date.
CREATE TABLE service_calendar_days (
  day TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('holiday','workday')),
  name TEXT NOT NULL DEFAULT '',
  hours TEXT NOT NULL DEFAULT ''  -- a workday's own hours; '' = a Monday's
);

-- Working minutes to the first response and to resolution, per kind and priority.
CREATE TABLE sla_policies (
  kind TEXT NOT NULL,
  priority TEXT NOT NULL,
  first_response_minutes INTEGER NOT NULL CHECK (first_response_minutes > 0),
  resolution_minutes INTEGER NOT NULL CHECK (resolution_minutes > 0),
  PRIMARY KEY (kind, priority)
);
-- A working day is 450 minutes (7.5 h).
INSERT INTO sla_policies (kind, priority, first_response_minutes, resolution_minutes) VALUES
  ('consultation','urgent',30,240), ('consultation','high',60,450),
  ('consultation','normal',240,1350), ('consultation','low',450,2250),
  ('request','urgent',30,450), ('request','high',60,900),
  ('request','normal',240,2250), ('request','low',450,3150),
  ('complaint','urgent',30,450), ('complaint','high',60,900),
  ('complaint','normal',120,2250), ('complaint','low',240,3150),
  ('suggestion','urgent',240,2250), ('suggestion','high',450,2250),
  ('suggestion','normal',900,4500), ('suggestion','low',1350,6750),
  ('report','urgent',30,900), ('report','high',60,1350),
  ('report','normal',120,2250), ('report','low',240,4500);

CREATE TABLE tickets (
  id INTEGER PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('consultation','complaint','suggestion','request','report')),
  priority TEXT NOT NULL CHECK (priority IN ('low','normal','high','urgent')),
  status TEXT NOT NULL CHECK (status IN ('new','open','waiting_on_patron','resolved','closed','reopened')),
  channel TEXT NOT NULL,
  subject TEXT NOT NULL,
  patron_id INTEGER REFERENCES patrons(id),
  team_id INTEGER REFERENCES service_teams(id),
  assignee_id INTEGER REFERENCES users(id),
  created_by INTEGER REFERENCES users(id),  -- NULL when the patron opened it
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- The SLA clock: resolution_due = calendar.add(clock_start, budget + paused_seconds).
  clock_start TEXT NOT NULL,
  paused_seconds INTEGER NOT NULL DEFAULT 0,
  waiting_since TEXT,
  first_response_due TEXT NOT NULL,
  resolution_due TEXT NOT NULL,
  first_response_at TEXT,
  resolved_at TEXT,
  closed_at TEXT,
  reopen_count INTEGER NOT NULL DEFAULT 0,
  first_response_breached INTEGER NOT NULL DEFAULT 0,
  resolution_breached INTEGER NOT NULL DEFAULT 0,
  escalated_to INTEGER REFERENCES users(id),
  escalated_at TEXT,
  resolution TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tickets_status ON tickets(status, id);
CREATE INDEX tickets_patron ON tickets(patron_id, id);
CREATE INDEX tickets_assignee ON tickets(assignee_id, status);
CREATE INDEX tickets_resolution_due ON tickets(status, resolution_due);
CREATE INDEX tickets_first_response_due ON tickets(first_response_at, first_response_due);

-- The thread: what the patron wrote, staff replies, internal notes, status changes.
CREATE TABLE ticket_messages (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  kind TEXT NOT NULL CHECK (kind IN ('patron','reply','note','system')),
  channel TEXT NOT NULL,
  author_id INTEGER REFERENCES users(id),
  body TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, id);

CREATE TABLE ticket_escalations (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  reason TEXT NOT NULL CHECK (reason IN ('first_response','resolution')),
  due_at TEXT NOT NULL,
  escalated_to INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  acknowledged_at TEXT,
  UNIQUE (ticket_id, reason, due_at)
);
CREATE INDEX ticket_escalations_to ON ticket_escalations(escalated_to, acknowledged_at);

-- Standard answers (话术) with {placeholders}; search_text is the folded title, scenario
-- and body, so 檔案 finds 档案.
CREATE TABLE standard_answers (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  scenario TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,
  search_text TEXT NOT NULL,
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
