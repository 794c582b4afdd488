-- Free-text search by action: one row per intent (its rowid is the
-- intent's id), holding its target and detail and, once it has one, its
-- outcome's message. The Audit page reads the matches newest first from a
-- cursor, a bounded stretch at a time, so a common word costs what a rare
-- one does; before this, an outcome's message had a row of its own, and a
-- search had to gather every match to know which actions they belonged to.
DROP TRIGGER audit_events_text;
DROP TABLE audit_text;
CREATE VIRTUAL TABLE audit_text USING fts5 (body, tokenize = 'trigram');

INSERT INTO audit_text (rowid, body)
SELECT i.id, i.target || ' ' || coalesce(i.detail, '') || ' ' || coalesce(o.message, '')
FROM audit_events i
LEFT JOIN audit_events o ON o.kind = 'outcome' AND o.intent_id = i.id
WHERE i.kind = 'intent';

CREATE TRIGGER audit_events_text_intent AFTER INSERT ON audit_events WHEN new.kind = 'intent'
BEGIN
    INSERT OR REPLACE INTO audit_text (rowid, body)
    VALUES (new.id, new.target || ' ' || coalesce(new.detail, '') || ' ');
END;

CREATE TRIGGER audit_events_text_outcome AFTER INSERT ON audit_events WHEN new.kind = 'outcome'
BEGIN
    INSERT OR REPLACE INTO audit_text (rowid, body)
    SELECT i.id, i.target || ' ' || coalesce(i.detail, '') || ' ' || coalesce(new.message, '')
    FROM audit_events i WHERE i.id = new.intent_id AND i.kind = 'intent';
END;
