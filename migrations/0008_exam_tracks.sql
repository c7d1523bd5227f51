-- mlsquiz: foreign-keys-off
-- Exams as data: each user and group studies for one exam (NULL: the bank's default exam), each mock
-- exam remembers which exam it was, and asks may be ordering or matching items.
--
-- SQLite cannot change a CHECK constraint in place, so `asks` is rebuilt (the documented 12-step
-- procedure): the runner turns foreign keys off around this file and checks them before committing.
-- The AUTOINCREMENT high-water mark is carried over so that no ask id is ever given out twice.

ALTER TABLE users ADD COLUMN exam TEXT;
ALTER TABLE groups ADD COLUMN exam TEXT;
ALTER TABLE exams ADD COLUMN exam_code TEXT;
-- Every mock exam before this migration was the Machine Learning - Specialty one.
UPDATE exams SET exam_code = 'mls-c01' WHERE exam_code IS NULL;

-- On SQLite the table is rebuilt (each statement marked for SQLite only); PostgreSQL changes the CHECK in place.
-- mlsquiz: sqlite-only
CREATE TABLE asks_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_id       INTEGER NOT NULL,
    question_id   TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('single', 'multi', 'fill', 'ordering', 'matching')),
    domain        TEXT    NOT NULL,                   -- the topic's MLS-C01 domain when asked (kept for history)
    topic         TEXT    NOT NULL,
    origin        TEXT    NOT NULL DEFAULT 'quiz',
    option_order  TEXT,                               -- JSON: shown position -> option/step/choice index in the file
    selected      TEXT    NOT NULL DEFAULT '[]',      -- JSON: ticked positions; ordering: tapped order; matching: per prompt
    message_id    INTEGER,
    asked_at      TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'expired')),
    answered_at   TEXT,
    correct       INTEGER CHECK (correct IN (0, 1)),
    response      TEXT,
    answer_update INTEGER,
    drill_id      INTEGER REFERENCES drills(id) ON DELETE CASCADE
);
-- mlsquiz: sqlite-only
INSERT INTO asks_new (id, user_id, chat_id, question_id, kind, domain, topic, origin, option_order, selected,
                      message_id, asked_at, status, answered_at, correct, response, answer_update, drill_id)
SELECT id, user_id, chat_id, question_id, kind, domain, topic, origin, option_order, selected,
       message_id, asked_at, status, answered_at, correct, response, answer_update, drill_id
FROM asks;
-- mlsquiz: sqlite-only
DELETE FROM sqlite_sequence WHERE name = 'asks_new';
-- mlsquiz: sqlite-only
UPDATE sqlite_sequence SET name = 'asks_new' WHERE name = 'asks';
-- mlsquiz: sqlite-only
DROP TABLE asks;
-- mlsquiz: sqlite-only
ALTER TABLE asks_new RENAME TO asks;
-- mlsquiz: sqlite-only
CREATE INDEX asks_by_user_status ON asks (user_id, status);
-- mlsquiz: sqlite-only
CREATE INDEX asks_by_user_question ON asks (user_id, question_id);
-- mlsquiz: sqlite-only
CREATE INDEX asks_by_user_answered ON asks (user_id, answered_at);
-- mlsquiz: sqlite-only
CREATE INDEX asks_by_drill ON asks (drill_id) WHERE drill_id IS NOT NULL;
-- mlsquiz: sqlite-only
CREATE UNIQUE INDEX asks_one_per_update ON asks (answer_update) WHERE answer_update IS NOT NULL;
-- mlsquiz: postgres-only
ALTER TABLE asks DROP CONSTRAINT asks_kind_check;
-- mlsquiz: postgres-only
ALTER TABLE asks ADD CONSTRAINT asks_kind_check
    CHECK (kind IN ('single', 'multi', 'fill', 'ordering', 'matching'));
