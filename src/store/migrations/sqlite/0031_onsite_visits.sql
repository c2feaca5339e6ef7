-- On-site visits (上门服务, D29): staff going to the patron to consult, collect, deliver
-- or appraise; booked for a window on a working day, with the staff who go, and recorded.

CREATE TABLE onsite_visits (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  ticket_id INTEGER REFERENCES tickets(id),
  purpose TEXT NOT NULL CHECK (purpose IN ('consultation','collection','delivery','appraisal','other')),
  status TEXT NOT NULL CHECK (status IN ('requested','booked','done','cancelled','no_show')),
  address TEXT NOT NULL,                    -- personal data: masked and its reads audited
  contact_phone TEXT NOT NULL DEFAULT '',   -- the same
  starts_at TEXT NOT NULL,                  -- UTC, the window [starts_at, ends_at)
  ends_at TEXT NOT NULL,
  notes TEXT NOT NULL DEFAULT '',           -- staff notes, never shown to the patron
  patron_note TEXT NOT NULL DEFAULT '',     -- what the patron wrote with a request
  requested_by_patron INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT '',         -- staff's account of the visit
  duration_minutes INTEGER,
  items TEXT NOT NULL DEFAULT '[]',         -- JSON array: what was taken in or delivered
  satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
  cancel_reason TEXT NOT NULL DEFAULT '',
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  closed_by INTEGER REFERENCES users(id),
  closed_at TEXT,
  CHECK (ends_at > starts_at)
);
CREATE INDEX onsite_visits_starts ON onsite_visits(starts_at, id);
CREATE INDEX onsite_visits_patron ON onsite_visits(patron_id, starts_at);

-- Who goes. A member of staff is in at most one active (requested or booked) visit at a
-- time: checked in the booking's transaction after locking the staff members' user rows.
CREATE TABLE onsite_visit_staff (
  visit_id INTEGER NOT NULL REFERENCES onsite_visits(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  PRIMARY KEY (visit_id, user_id)
);
CREATE INDEX onsite_visit_staff_user ON onsite_visit_staff(user_id, visit_id);

-- A tier may let its patrons request on-site visits on the portal.
ALTER TABLE service_tiers ADD COLUMN on_site INTEGER NOT NULL DEFAULT 0;
UPDATE service_tiers SET on_site = 1 WHERE code = 'vip';
