-- The consoles working on this database, each saying every few seconds
-- that it is alive, and which console wrote each intent still open: an
-- intent is reconciled only once the console that wrote it is gone (on
-- SQLite, one console per file: at its next start, as before).
CREATE TABLE consoles (
    id         TEXT    PRIMARY KEY,
    started_at TEXT    NOT NULL,
    seen_ms    INTEGER NOT NULL
);

ALTER TABLE audit_open_intents ADD COLUMN console TEXT;

-- And which console is carrying out an approved request.
ALTER TABLE approval_requests ADD COLUMN console TEXT;
