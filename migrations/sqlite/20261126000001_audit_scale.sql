-- A history that proves itself and grows to a million records.

-- Signed checkpoints, as written to the checkpoint directory: kept here too
-- so that one deleted from there is noticed. Append-only like the history.
CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY,
    last_id   INTEGER NOT NULL,
    body      TEXT    NOT NULL,
    signature TEXT    NOT NULL
);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are append-only');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are append-only');
END;

-- Intents still waiting for their outcome, kept by triggers in the same
-- transaction as the rows (OR REPLACE: a derived table never refuses a
-- record, even if someone deleted history rows around it): start-up reads this small table instead of
-- searching the whole history for intents without an outcome.
CREATE TABLE audit_open_intents (intent_id INTEGER PRIMARY KEY);

INSERT INTO audit_open_intents (intent_id)
SELECT i.id FROM audit_events i WHERE i.kind = 'intent' AND NOT EXISTS
    (SELECT 1 FROM audit_events o WHERE o.kind = 'outcome' AND o.intent_id = i.id);

CREATE TRIGGER audit_events_opened AFTER INSERT ON audit_events WHEN new.kind = 'intent'
BEGIN
    INSERT OR REPLACE INTO audit_open_intents (intent_id) VALUES (new.id);
END;

CREATE TRIGGER audit_events_settled AFTER INSERT ON audit_events WHEN new.kind = 'outcome'
BEGIN
    DELETE FROM audit_open_intents WHERE intent_id = new.intent_id;
END;

-- One index per filter of the Audit page, each ending in the id so a page
-- is read in order from its cursor (keyset pagination).
CREATE INDEX audit_events_actor ON audit_events (actor, id) WHERE kind = 'intent';
CREATE INDEX audit_events_action ON audit_events (action, id) WHERE kind = 'intent';
-- A space and a kind of action together, the Audit page's usual pair.
CREATE INDEX audit_events_space_action ON audit_events (space, action, id) WHERE kind = 'intent';
CREATE INDEX audit_events_outcome ON audit_events (outcome, intent_id) WHERE kind = 'outcome';
CREATE INDEX audit_events_at ON audit_events (at);

-- Free-text search over targets, details and messages: a trigram index,
-- so any part of a PCX ID or a message matches. The rowid is the record's.
CREATE VIRTUAL TABLE audit_text USING fts5 (body, tokenize = 'trigram');

-- An outcome repeats its intent's target and detail; only its message is new.
INSERT INTO audit_text (rowid, body)
SELECT id, CASE kind WHEN 'outcome' THEN coalesce(message, '')
                     ELSE target || ' ' || coalesce(detail, '') END
FROM audit_events;

CREATE TRIGGER audit_events_text AFTER INSERT ON audit_events
BEGIN
    INSERT OR REPLACE INTO audit_text (rowid, body)
    VALUES (new.id, CASE new.kind WHEN 'outcome' THEN coalesce(new.message, '')
                                  ELSE new.target || ' ' || coalesce(new.detail, '') END);
END;
