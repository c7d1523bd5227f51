-- Daily drills: subscription settings, FSRS memory per question, progress per local day,
-- drills, and a record of every push so each happens once per user per local day.

ALTER TABLE users ADD COLUMN daily_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN daily_time TEXT NOT NULL DEFAULT '08:00';   -- HH:MM, local
ALTER TABLE users ADD COLUMN daily_size INTEGER NOT NULL DEFAULT 5;      -- questions per drill = daily goal
ALTER TABLE users ADD COLUMN next_push_at TEXT;       -- UTC instant of the next drill; NULL when off
ALTER TABLE users ADD COLUMN next_reminder_at TEXT;   -- UTC instant of the next evening check; NULL when off
CREATE INDEX users_by_next_push ON users (next_push_at) WHERE next_push_at IS NOT NULL;
CREATE INDEX users_by_next_reminder ON users (next_reminder_at) WHERE next_reminder_at IS NOT NULL;

-- The FSRS card of one question for one user.
CREATE TABLE cards (
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    question_id  TEXT    NOT NULL,
    card         TEXT    NOT NULL,   -- fsrs Card.to_dict() as JSON
    due          TEXT    NOT NULL,   -- UTC instant
    reviews      INTEGER NOT NULL DEFAULT 0,
    lapses       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, question_id)
) WITHOUT ROWID;
CREATE INDEX cards_by_due ON cards (user_id, due);

-- Answers per local day (the user's time zone at the moment of answering) and that day's goal.
CREATE TABLE days (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day       TEXT    NOT NULL,      -- YYYY-MM-DD
    answered  INTEGER NOT NULL DEFAULT 0,
    correct   INTEGER NOT NULL DEFAULT 0,
    goal      INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
) WITHOUT ROWID;

CREATE TABLE drills (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL DEFAULT 'daily',
    day          TEXT    NOT NULL,
    questions    TEXT    NOT NULL,   -- JSON list of question ids, in order
    position     INTEGER NOT NULL DEFAULT 0,   -- how many have been asked
    started_at   TEXT    NOT NULL,
    finished_at  TEXT
);
CREATE INDEX drills_by_user ON drills (user_id, id);

-- One row per push: its primary key is what makes a push happen at most once a day.
CREATE TABLE pushes (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day         TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('drill', 'reminder')),
    status      TEXT    NOT NULL CHECK (status IN ('claimed', 'sent', 'skipped', 'blocked', 'failed')),
    drill_id    INTEGER REFERENCES drills(id) ON DELETE CASCADE,
    ask_id      INTEGER,
    claimed_at  TEXT    NOT NULL,
    sent_at     TEXT,
    PRIMARY KEY (user_id, day, kind)
) WITHOUT ROWID;
CREATE INDEX pushes_by_status ON pushes (status) WHERE status = 'claimed';

ALTER TABLE asks ADD COLUMN drill_id INTEGER REFERENCES drills(id) ON DELETE CASCADE;
