-- The action an intent carries out, as JSON (`app::action::Action`), so
-- that what was about to be done can be read back exactly: reconciliation
-- at start-up matches on it, and an approval can hold it. Hashed only when
-- set, so rows written before this column existed still verify.
ALTER TABLE audit_events ADD COLUMN action_data TEXT;
