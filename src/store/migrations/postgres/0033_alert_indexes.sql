-- The repeat-complaint rule counts a patron's complaints within a window on every opened
-- ticket: an index on exactly those columns keeps that an index range, however many
-- tickets the patron has.
CREATE INDEX tickets_patron_kind ON tickets(patron_id, kind, created_at);
