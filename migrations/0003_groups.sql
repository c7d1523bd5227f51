-- Group competitions: the groups the bot is in, their rounds, every answer given in a round,
-- and the weekly winners' posts (one per group per week).

CREATE TABLE groups (
    chat_id      INTEGER PRIMARY KEY,           -- Telegram chat id of the group
    title        TEXT,
    tz           TEXT    NOT NULL DEFAULT 'UTC', -- for "this week" and the Monday post
    seconds      INTEGER NOT NULL DEFAULT 20,   -- how long each question is open
    open_to_all  INTEGER NOT NULL DEFAULT 0,    -- 1: anyone may /compete and /stop, not only admins
    active       INTEGER NOT NULL DEFAULT 1,    -- 0 once the bot was removed
    joined_at    TEXT    NOT NULL,
    left_at      TEXT
);

-- A round walks its questions: phase 'sending' (the question at `position` is to be posted),
-- 'open' (answers count until closes_at), 'reveal' (closed; the next question comes at next_at).
CREATE TABLE rounds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id      INTEGER NOT NULL REFERENCES groups(chat_id) ON DELETE CASCADE,
    started_by   INTEGER,
    topic        TEXT,                          -- topic id, NULL for all topics
    questions    TEXT    NOT NULL,              -- JSON list of question ids
    orders       TEXT    NOT NULL,              -- JSON list: per question, shown position -> option index
    seconds      INTEGER NOT NULL,
    position     INTEGER NOT NULL DEFAULT 0,
    phase        TEXT    NOT NULL DEFAULT 'sending' CHECK (phase IN ('sending', 'open', 'reveal')),
    status       TEXT    NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'stopped', 'aborted')),
    message_id   INTEGER,                       -- the current question's message
    opened_at    TEXT,
    closes_at    TEXT,
    next_at      TEXT,
    started_at   TEXT    NOT NULL,
    finished_at  TEXT,
    ended_early  INTEGER NOT NULL DEFAULT 0     -- 1: ended because the bot was offline too long
);
-- One running round per group, enforced by the database rather than by memory.
CREATE UNIQUE INDEX rounds_one_running ON rounds (chat_id) WHERE status = 'running';
CREATE INDEX rounds_by_started ON rounds (started_at);

-- The first answer of a player to a question of a round; its primary key makes it count once.
CREATE TABLE round_answers (
    round_id     INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_id      INTEGER NOT NULL,
    shown        INTEGER NOT NULL,             -- the shown position pressed
    correct      INTEGER NOT NULL CHECK (correct IN (0, 1)),
    elapsed_ms   INTEGER NOT NULL,
    points       INTEGER NOT NULL,
    ask_id       INTEGER REFERENCES asks(id) ON DELETE SET NULL,  -- the player's own asks row (origin 'group')
    answered_at  TEXT    NOT NULL,
    update_id    INTEGER,
    PRIMARY KEY (round_id, position, user_id)
) WITHOUT ROWID;
CREATE INDEX round_answers_by_chat ON round_answers (chat_id, answered_at);

CREATE TABLE group_weekly_posts (
    chat_id     INTEGER NOT NULL REFERENCES groups(chat_id) ON DELETE CASCADE,
    week        TEXT    NOT NULL,              -- ISO week of the results, e.g. 2026-W47
    status      TEXT    NOT NULL CHECK (status IN ('claimed', 'sent', 'failed')),
    claimed_at  TEXT    NOT NULL,
    sent_at     TEXT,
    PRIMARY KEY (chat_id, week)
) WITHOUT ROWID;
