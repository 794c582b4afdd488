-- Console users. Names are stored lowercase; a disabled user keeps their
-- row (the audit history names them) but cannot sign in. `demo` marks the
-- ready-made users of the embedded demo, which are removed whenever the
-- console starts against the real provider.
CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT    NOT NULL UNIQUE,
    role                 TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash        TEXT    NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled             INTEGER NOT NULL DEFAULT 0,
    demo                 INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT    NOT NULL,
    last_sign_in         TEXT
);
