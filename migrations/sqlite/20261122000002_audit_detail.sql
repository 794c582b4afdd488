-- What an action was about beyond its target: the accounts of a PrivateLink
-- change, the endpoint whose URL was revealed. Hashed only when set, so
-- rows written before this column existed still verify.
ALTER TABLE audit_events ADD COLUMN detail TEXT;
