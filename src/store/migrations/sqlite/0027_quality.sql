-- Quality inspection (D14): recordings and transcripts on tickets, a scorecard of
-- weighted criteria, QA reviews drawn by sample or picked by hand, coaching notes to an
-- agent and staff training records.

-- A recording's content is in the recordings blob store (encrypted), named by SHA-256.
CREATE TABLE recordings (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  filename TEXT NOT NULL DEFAULT '',
  uploaded_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  transcript TEXT NOT NULL DEFAULT '',
  transcript_by INTEGER REFERENCES users(id),
  transcript_at TEXT
);
CREATE INDEX recordings_ticket ON recordings(ticket_id, id);

-- The scorecard: each criterion scored 0–5, weighted; retired criteria stay on old reviews.
CREATE TABLE qa_criteria (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  weight INTEGER NOT NULL CHECK (weight BETWEEN 1 AND 100),
  active INTEGER NOT NULL DEFAULT 1
);
INSERT INTO qa_criteria (name, description, weight) VALUES
  ('礼貌用语', '问候、致谢、不推诿', 30),
  ('准确', '答复与规定、馆藏一致', 40),
  ('时效', '在时限内回应与办结', 30);

-- One review per ticket: drawn by the sample or picked by a reviewer, scored once.
CREATE TABLE qa_reviews (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
  agent_id INTEGER NOT NULL REFERENCES users(id),
  reason TEXT NOT NULL CHECK (reason IN ('sample','manual')),
  status TEXT NOT NULL CHECK (status IN ('pending','scored')),
  scenario TEXT NOT NULL DEFAULT '',  -- the standard answers' scenario it is judged against
  reviewer_id INTEGER REFERENCES users(id),
  score REAL,                         -- 0–100, the weighted mean of the criteria
  comments TEXT NOT NULL DEFAULT '',
  drawn_at TEXT NOT NULL,
  scored_at TEXT
);
CREATE INDEX qa_reviews_status ON qa_reviews(status, id);
CREATE INDEX qa_reviews_agent ON qa_reviews(agent_id, scored_at);

-- The criteria as they were when scored (name and weight copied).
CREATE TABLE qa_review_scores (
  review_id INTEGER NOT NULL REFERENCES qa_reviews(id),
  criterion_id INTEGER NOT NULL REFERENCES qa_criteria(id),
  name TEXT NOT NULL,
  weight INTEGER NOT NULL,
  score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 5),
  note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (review_id, criterion_id)
);

-- Closed tickets the sample has considered, each once whichever process drew.
CREATE TABLE qa_draws (
  ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
  drawn INTEGER NOT NULL,
  considered_at TEXT NOT NULL
);
CREATE INDEX tickets_closed_at ON tickets(closed_at);
INSERT INTO service_settings (key, value) VALUES ('qa_sample_rate', '0.05');

CREATE TABLE coaching_notes (
  id INTEGER PRIMARY KEY,
  agent_id INTEGER NOT NULL REFERENCES users(id),
  author_id INTEGER REFERENCES users(id),
  review_id INTEGER REFERENCES qa_reviews(id),
  answer_id INTEGER REFERENCES standard_answers(id),  -- a 话术 to learn
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  acknowledged_at TEXT
);
CREATE INDEX coaching_notes_agent ON coaching_notes(agent_id, id);

CREATE TABLE training_records (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  course TEXT NOT NULL,
  taken_on TEXT NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('passed','failed','attended')),
  score REAL,
  notes TEXT NOT NULL DEFAULT '',
  recorded_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL
);
CREATE INDEX training_records_user ON training_records(user_id, taken_on);
