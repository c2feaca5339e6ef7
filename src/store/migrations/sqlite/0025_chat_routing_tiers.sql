-- Live chat (agent availability), routing of new tickets (D28) and service tiers (D29).

-- Whether an agent takes chats now; an agent without a row is offline.
CREATE TABLE agent_availability (
  user_id INTEGER PRIMARY KEY REFERENCES users(id),
  status TEXT NOT NULL CHECK (status IN ('available','away','offline')),
  updated_at TEXT NOT NULL
);

-- Why the ticket has its team and assignee (the routing rule and the choice made).
ALTER TABLE tickets ADD COLUMN routed_by TEXT NOT NULL DEFAULT '';
-- A chat is waiting until an agent accepts it.
ALTER TABLE tickets ADD COLUMN chat_accepted_at TEXT;
CREATE INDEX tickets_channel_status ON tickets(channel, status, id);

-- Rules tried in position order when a ticket opens without a team or assignee; the
-- first whose every given condition holds sends it to a team (the available member with
-- the fewest active tickets) or to an agent. words: folded, space separated; all must
-- occur in the folded subject and first message.
CREATE TABLE routing_rules (
  id INTEGER PRIMARY KEY,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  channel TEXT,
  kind TEXT,
  words TEXT NOT NULL DEFAULT '',
  language TEXT,
  tier TEXT,
  team_id INTEGER REFERENCES service_teams(id),
  agent_id INTEGER REFERENCES users(id),
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK ((team_id IS NULL) <> (agent_id IS NULL))
);

-- Service tiers: a patron's tier scales the SLA budgets (percent of the policy), gives
-- the default priority of their tickets, and whether they are told on the portal when
-- a ticket of theirs changes state.
CREATE TABLE service_tiers (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  sla_percent INTEGER NOT NULL CHECK (sla_percent BETWEEN 10 AND 1000),
  default_priority TEXT NOT NULL CHECK (default_priority IN ('low','normal','high','urgent')),
  notify INTEGER NOT NULL DEFAULT 0
);
INSERT INTO service_tiers (code, name, position, sla_percent, default_priority, notify) VALUES
  ('standard', '普通', 1, 100, 'normal', 0),
  ('key', '重点', 2, 75, 'normal', 1),
  ('vip', 'VIP', 3, 50, 'high', 1);

CREATE TABLE patron_tiers (
  patron_id INTEGER PRIMARY KEY REFERENCES patrons(id),
  tier TEXT NOT NULL REFERENCES service_tiers(code),
  set_by INTEGER REFERENCES users(id),
  set_at TEXT NOT NULL
);

-- What the portal tells a patron of their tickets (proactive notices of a tier).
CREATE TABLE patron_notices (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  ticket_id INTEGER REFERENCES tickets(id),
  text TEXT NOT NULL,
  created_at TEXT NOT NULL,
  read_at TEXT
);
CREATE INDEX patron_notices_patron ON patron_notices(patron_id, id);
