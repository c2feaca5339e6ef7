-- A loan of a controlled or secret record is a manager's approval (loan_restricted, with
-- a note on what basis), and it opens the record's content to the borrower. Only such a
-- loan does: the level the record had when it was lent is kept, so a record lent while
-- open and made controlled later opens nothing. NULL: lent while open.
ALTER TABLE loans ADD COLUMN approved_level TEXT;
-- Loans made before this column: those of records restricted now that carry a basis.
UPDATE loans SET approved_level = (SELECT r.access_level FROM records r WHERE r.id = loans.record_id)
WHERE note <> '' AND EXISTS (SELECT 1 FROM records r WHERE r.id = loans.record_id AND r.access_level <> 'open');
