-- Notifications. What the watcher notices is an event, kept here and not in
-- the audit chain (events are observations, not actions). `key` names the
-- thing observed ("peering.requested:space:pcx"), so the same observation
-- made twice (after a restart, or by a second console on the same file) is
-- one event. Times in milliseconds since the epoch are for the outbox's
-- arithmetic; `at` is for people.
CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL UNIQUE,
    space   TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    title   TEXT NOT NULL,
    link    TEXT NOT NULL DEFAULT '/',
    data    TEXT NOT NULL DEFAULT '{}',
    at      TEXT NOT NULL
);

-- Where events go. `secret` signs the JSON format's deliveries; it is shown
-- once, when the destination is made, and never read back to a page.
CREATE TABLE webhook_destinations (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    format     TEXT NOT NULL CHECK (format IN ('json', 'slack')),
    kinds      TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);

-- The outbox: one row per event per destination, written in the same
-- transaction as the event, so an event is never without its deliveries.
-- A worker claims due rows with a lease (two consoles on one file never
-- send the same row at once) and settles each attempt.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    destination INTEGER NOT NULL REFERENCES webhook_destinations (id),
    event       INTEGER NOT NULL REFERENCES events (id),
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'delivered', 'gave_up')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL,
    next_ms     INTEGER NOT NULL,
    lease_ms    INTEGER NOT NULL DEFAULT 0,
    done_at     TEXT,
    UNIQUE (destination, event)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_ms) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_destination ON webhook_deliveries (destination, id);

CREATE TABLE webhook_attempts (
    id       INTEGER PRIMARY KEY,
    delivery INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    at       TEXT NOT NULL,
    status   INTEGER,
    error    TEXT,
    millis   INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery, id);

-- What the watcher saw last, so that a restart compares with it instead of
-- taking everything it sees for new. A space or add-on without a row here
-- is seen for the first time: its state is noted, and nothing is said.
CREATE TABLE watch_seen (
    kind    TEXT NOT NULL,
    scope   TEXT NOT NULL,
    subject TEXT NOT NULL,
    status  TEXT NOT NULL,
    PRIMARY KEY (kind, scope, subject)
);
