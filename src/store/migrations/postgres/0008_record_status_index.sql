-- Listing and exporting records pages by (status, id): without this index a page of a
-- large catalogue sorts every active record.
CREATE INDEX records_status_id ON records(status, id);
