-- Four eyes. An approval request holds an action (as the JSON its audit
-- intent would keep), why it was asked for, and what the requester saw
-- (`snapshot`), until another person decides it. `state` moves only
-- forward, and only by a conditional UPDATE (`WHERE state = 'pending'`):
-- the one statement that decides who executes.
CREATE TABLE approval_requests (
    id           INTEGER PRIMARY KEY,
    action       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    space        TEXT NOT NULL DEFAULT '',
    target       TEXT NOT NULL,
    requester    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    snapshot     TEXT NOT NULL,
    needed       INTEGER NOT NULL CHECK (needed >= 1),
    requested_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
                 ('pending', 'executing', 'executed', 'failed', 'rejected', 'withdrawn', 'expired')),
    decided_by   TEXT,
    decided_at   TEXT,
    -- The approver's comment, or the rejection's reason.
    comment      TEXT,
    -- What executing it led to, in the history's words.
    outcome      TEXT
);
CREATE INDEX approval_requests_open ON approval_requests (state, expires_at);
CREATE INDEX approval_requests_space ON approval_requests (space, id);
-- One open request per thing to do: a second would be approved twice.
CREATE UNIQUE INDEX approval_requests_one_open ON approval_requests (kind, target)
    WHERE state IN ('pending', 'executing');

-- Who approved what: one vote per person per request, so a request that
-- needs N people counts N different names.
CREATE TABLE approval_votes (
    request INTEGER NOT NULL REFERENCES approval_requests (id),
    voter   TEXT NOT NULL,
    at      TEXT NOT NULL,
    comment TEXT,
    PRIMARY KEY (request, voter)
);

-- Peerings the team expects before the other side sends them. A pending
-- request matching one is "expected"; accepting it consumes it.
CREATE TABLE expected_peers (
    id             INTEGER PRIMARY KEY,
    space          TEXT NOT NULL,
    aws_account_id TEXT NOT NULL,
    vpc_id         TEXT NOT NULL,
    cidr           TEXT NOT NULL,
    region         TEXT,
    note           TEXT NOT NULL,
    valid_until    TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    consumed_by    TEXT,
    consumed_at    TEXT,
    removed_at     TEXT
);
CREATE INDEX expected_peers_space ON expected_peers (space, valid_until);
