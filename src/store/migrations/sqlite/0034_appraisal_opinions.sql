-- D18: the appraisal group's opinions on an open appraisal, one standing opinion per
-- appraiser (a later one replaces theirs; the audit log keeps each). A disposal is
-- approved only without a standing disagreement and with enough appraisers agreeing.
CREATE TABLE appraisal_opinions (
  id INTEGER PRIMARY KEY,
  appraisal_id INTEGER NOT NULL REFERENCES appraisals(id),
  appraiser_id INTEGER NOT NULL,
  appraiser_name TEXT NOT NULL,
  appraiser_role TEXT NOT NULL,
  opinion TEXT NOT NULL CHECK (opinion IN ('agree','disagree')),
  comment TEXT NOT NULL DEFAULT '',
  given_at TEXT NOT NULL,
  UNIQUE (appraisal_id, appraiser_id)
);
