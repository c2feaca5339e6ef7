-- The message board (留言板) and the FAQ (常见问题), issue 5 (docs/service.md).

-- A patron's question on the public board. The original text stays for staff; the
-- public text has personal data masked (phones, e-mail addresses, ID numbers) and the
-- poster is shown by a masked name (张**). Only published posts are public.
CREATE TABLE board_posts (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  poster TEXT NOT NULL,             -- the masked name shown on the board
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  public_title TEXT NOT NULL,
  public_body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','published','rejected')),
  reject_reason TEXT NOT NULL DEFAULT '',
  moderated_by INTEGER REFERENCES users(id),
  moderated_at TEXT,
  answer TEXT NOT NULL DEFAULT '',  -- staff's public answer (masked like the post)
  answered_by INTEGER REFERENCES users(id),
  answered_at TEXT,
  ticket_id INTEGER UNIQUE REFERENCES tickets(id),
  search_text TEXT NOT NULL DEFAULT '',  -- folded public title, body and answer
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX board_posts_status ON board_posts(status, id);
CREATE INDEX board_posts_patron ON board_posts(patron_id, id);

-- FAQ entries, proposed from resolved consultations and approved by a manager. The live
-- text is question/answer; an edit of a published entry waits in pending_* until
-- approved. Published entries are in the search index as kind 'faq'.
CREATE TABLE faq_entries (
  id INTEGER PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('proposed','published','rejected','retired')),
  question TEXT NOT NULL,
  answer TEXT NOT NULL,
  pending_question TEXT,
  pending_answer TEXT,
  proposed_by INTEGER REFERENCES users(id),  -- of the text waiting for approval
  proposed_at TEXT NOT NULL,
  source_ticket_id INTEGER REFERENCES tickets(id),
  decided_by INTEGER REFERENCES users(id),
  decided_at TEXT,
  reject_reason TEXT NOT NULL DEFAULT '',
  shown_count INTEGER NOT NULL DEFAULT 0,       -- offered to a patron asking a question
  deflected_count INTEGER NOT NULL DEFAULT 0,   -- "this answered my question"
  ticket_after_count INTEGER NOT NULL DEFAULT 0,  -- offered, and a ticket was opened anyway
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX faq_entries_status ON faq_entries(status, id);
