-- Who gave each user the standing they have. Every account made, every
-- role changed, every enable and disable is a row: the role after it, who
-- asked for it, who approved it when it was held for approval, and when.
-- Four eyes reads it: an approval counts only from someone who held a role
-- that may decide the request when it was made, and whom its requester did
-- not make or raise (or enable) lately.
CREATE TABLE user_grants (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    change      TEXT    NOT NULL CHECK (change IN ('created', 'role', 'enabled', 'disabled')),
    role        TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    -- A user's name, `command line` or `spaceport`; '' for what was done
    -- before grants were recorded and the history does not name.
    by          TEXT    NOT NULL,
    approved_by TEXT,
    at          TEXT    NOT NULL
);
CREATE INDEX user_grants_user ON user_grants (user_id, id);

-- The users there already: made when they were made, by whoever the
-- history names for the newest successful invite or add of that name; and
-- their role as the newest successful role change of them gave it, if the
-- history has one, and their being disabled.
INSERT INTO user_grants (user_id, name, change, role, by, at)
SELECT u.id, u.name, 'created', u.role,
       coalesce((SELECT i.actor FROM audit_events i
                 JOIN audit_events o ON o.kind = 'outcome' AND o.intent_id = i.id AND o.outcome = 'ok'
                 WHERE i.kind = 'intent' AND i.action IN ('user.invite', 'user.create')
                   AND i.target = u.name
                 ORDER BY i.id DESC LIMIT 1), ''),
       u.created_at
FROM users u ORDER BY u.id;

INSERT INTO user_grants (user_id, name, change, role, by, at)
SELECT u.id, u.name, 'role', u.role, r.actor, r.at
FROM users u
JOIN audit_events r ON r.id = (SELECT i.id FROM audit_events i
                 JOIN audit_events o ON o.kind = 'outcome' AND o.intent_id = i.id AND o.outcome = 'ok'
                 WHERE i.kind = 'intent' AND i.action = 'user.role' AND i.target = u.name
                   AND i.detail = 'to ' || u.role AND i.at >= u.created_at
                 ORDER BY i.id DESC LIMIT 1)
ORDER BY u.id;

INSERT INTO user_grants (user_id, name, change, role, by, at)
SELECT id, name, 'disabled', role, '', created_at FROM users WHERE disabled = 1 ORDER BY id;

-- Each approval says in what standing it was given: the approver's role,
-- since when they held one that may decide it, and who gave it to them.
ALTER TABLE approval_votes ADD COLUMN role TEXT;
ALTER TABLE approval_votes ADD COLUMN role_since TEXT;
ALTER TABLE approval_votes ADD COLUMN granted_by TEXT;
