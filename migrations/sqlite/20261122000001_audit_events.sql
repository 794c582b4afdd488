-- The audit history: one row per intent (written and committed before the
-- provider is called) and one per outcome (written after), chained by hash.
-- Rows are never updated or deleted; the triggers refuse it, and the chain
-- makes an edit made around them (with another tool) visible.
CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY,
    at              TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('intent', 'outcome')),
    intent_id       INTEGER REFERENCES audit_events (id),
    actor           TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    space           TEXT    NOT NULL,
    target          TEXT    NOT NULL,
    outcome         TEXT CHECK (outcome IN ('ok', 'error', 'unknown')),
    provider_status TEXT,
    message         TEXT,
    request_id      TEXT,
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL UNIQUE,
    CHECK ((kind = 'intent') = (intent_id IS NULL)),
    CHECK ((kind = 'outcome') = (outcome IS NOT NULL))
);

CREATE INDEX audit_events_space ON audit_events (space, id);
-- At most one outcome per intent.
CREATE UNIQUE INDEX audit_events_one_outcome ON audit_events (intent_id) WHERE kind = 'outcome';

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit history is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit history is append-only');
END;
