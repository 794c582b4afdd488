-- Who a user is besides a name.
--
-- `kind`: a `person` signs in (with a password, or through the identity
-- provider); a `service` user is automation, has no password anyone can
-- type, and acts only through its token.
--
-- `subject`: for a user the identity provider made, the provider's `sub`
-- for them. The provider's names can be reused by someone else; its `sub`
-- cannot, so that is what a sign-in through the provider is matched by.
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person'
    CHECK (kind IN ('person', 'service'));
ALTER TABLE users ADD COLUMN subject TEXT;
CREATE UNIQUE INDEX users_subject ON users (subject) WHERE subject IS NOT NULL;

-- The token of each service user. Only its SHA-256 is kept (a token is 178
-- random bits, so a fast hash is enough: there is nothing to guess), with
-- its last four characters to tell tokens apart on the Users page. Times
-- are Unix seconds.
CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL UNIQUE,
    hash         TEXT    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    revoked_by   TEXT
);

-- A sign-in through the identity provider that has left for the provider
-- and not come back yet: what its callback must match (the `state` it
-- carries is the key), and the PKCE verifier and nonce to finish it with.
-- Each row is used once, and is worthless after ten minutes.
CREATE TABLE sign_in_pending (
    state      TEXT    PRIMARY KEY,
    verifier   TEXT    NOT NULL,
    nonce      TEXT    NOT NULL,
    next       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
