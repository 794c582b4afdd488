-- What this database belongs to, decided at its first start: `provider` is
-- "simulator" or the real Platform API's URL. A console refuses to start
-- against another provider, so a demo run on a real console's file cannot
-- plant users there.
CREATE TABLE console_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Bumped whenever a user's password, role or enabled state changes; a
-- session signed in under an older epoch is over.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
