-- The service desk (issue 5): contacts on every channel, unknown senders (prospects),
-- e-mail out (a durable outbox) and in (Maildir), gateway messages (D31), and files on
-- ticket messages.

-- Someone who contacted us and matched no patron by phone, e-mail or handle. Merged into
-- a patron later (their interactions and tickets move); a merged prospect stays so its
-- handle keeps leading to the patron. The open prospects' addresses are unique, so two
-- processes receiving from the same stranger make one prospect.
CREATE TABLE prospects (
  id INTEGER PRIMARY KEY,
  display_name TEXT NOT NULL DEFAULT '',
  phone TEXT,   -- normalised (digits, without +86)
  email TEXT,   -- case-folded
  handle TEXT,  -- a social account, "platform:handle"
  source_channel TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','merged')),
  merged_into INTEGER REFERENCES patrons(id),
  merged_at TEXT,
  search_text TEXT NOT NULL DEFAULT '',
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL
);
CREATE UNIQUE INDEX prospects_email ON prospects(email) WHERE status = 'open' AND email IS NOT NULL;
CREATE UNIQUE INDEX prospects_phone ON prospects(phone) WHERE status = 'open' AND phone IS NOT NULL;
CREATE UNIQUE INDEX prospects_handle ON prospects(handle) WHERE status = 'open' AND handle IS NOT NULL;
CREATE INDEX prospects_last_seen ON prospects(status, last_seen, id);

-- A ticket may come from a prospect instead of a patron (moved to the patron on merge).
ALTER TABLE tickets ADD COLUMN prospect_id INTEGER REFERENCES prospects(id);
CREATE INDEX tickets_prospect ON tickets(prospect_id);

-- One contact on any channel, in or out, with a patron or a prospect (or neither: an
-- anonymous call). external_id: the Message-ID or gateway message id, unique per channel,
-- so a message delivered (or replayed) twice is recorded once.
CREATE TABLE interactions (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('in','out')),
  patron_id INTEGER REFERENCES patrons(id),
  prospect_id INTEGER REFERENCES prospects(id),
  address TEXT NOT NULL DEFAULT '',  -- the number, address or handle as given
  subject TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',
  ticket_id INTEGER REFERENCES tickets(id),
  external_id TEXT,
  recorded_by INTEGER REFERENCES users(id),  -- NULL: arrived by itself
  occurred_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  CHECK (patron_id IS NULL OR prospect_id IS NULL)
);
CREATE UNIQUE INDEX interactions_external ON interactions(channel, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX interactions_patron ON interactions(patron_id, occurred_at, id);
CREATE INDEX interactions_prospect ON interactions(prospect_id, occurred_at, id);
CREATE INDEX interactions_when ON interactions(occurred_at, id);

-- E-mail out: queued in the transaction of the staff reply, sent by the sweep. Our own
-- Message-ID (without <>) threads the answer back to the ticket.
CREATE TABLE mail_outbox (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  ticket_message_id INTEGER REFERENCES ticket_messages(id),
  message_id TEXT NOT NULL UNIQUE,
  in_reply_to TEXT,
  refs TEXT NOT NULL DEFAULT '',
  to_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','sending','sent','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_until TEXT,
  last_error TEXT,
  sent_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at);
CREATE INDEX mail_outbox_ticket ON mail_outbox(ticket_id, id);

-- E-mail in: one row per Message-ID ever taken in; its uniqueness is what makes a file
-- read twice, or by two processes, one message.
CREATE TABLE mail_inbound (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL UNIQUE,
  ticket_id INTEGER REFERENCES tickets(id),
  ticket_message_id INTEGER REFERENCES ticket_messages(id),
  from_address TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  in_reply_to TEXT,
  refs TEXT NOT NULL DEFAULT '',
  received_at TEXT NOT NULL
);
CREATE INDEX mail_inbound_ticket ON mail_inbound(ticket_id, id);

-- Files on ticket messages (content in the service blob store, by SHA-256). internal:
-- attached to an internal note, never shown to the patron.
CREATE TABLE ticket_attachments (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  ticket_message_id INTEGER REFERENCES ticket_messages(id),
  sha256 TEXT NOT NULL,
  filename TEXT NOT NULL,
  mime TEXT NOT NULL,
  size INTEGER NOT NULL,
  internal INTEGER NOT NULL DEFAULT 0,
  uploaded_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments(ticket_id, id);
