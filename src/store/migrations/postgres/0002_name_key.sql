-- Duplicate detection compares names within an organisation by their folded pinyin
-- (name_key); these indexes keep that a lookup, however large the organisation.
-- Rows written before this migration get their key when next changed.
ALTER TABLE patrons ADD COLUMN name_key TEXT;
CREATE INDEX patrons_org_name_key ON patrons(organisation_id, name_key);
CREATE INDEX patrons_orgname_name_key ON patrons(organisation_name, name_key);
