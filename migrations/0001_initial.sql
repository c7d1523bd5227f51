-- Users, the questions they were asked, and their answers.
-- Times are ISO-8601 UTC strings; Telegram ids are integers.

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,          -- Telegram user id
    chat_id     INTEGER,                      -- their private chat with the bot, once they opened it
    first_name  TEXT,
    tz          TEXT    NOT NULL,             -- IANA time zone name
    created_at  TEXT    NOT NULL,
    blocked_at  TEXT                          -- set when Telegram says the user blocked the bot
);

-- One row per question put to a user. The first answer wins: an answer only
-- updates a row whose status is still 'open'.
CREATE TABLE asks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_id       INTEGER NOT NULL,
    question_id   TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('single', 'multi', 'fill')),
    domain        TEXT    NOT NULL,
    topic         TEXT    NOT NULL,
    origin        TEXT    NOT NULL DEFAULT 'quiz',   -- which feature asked: quiz, daily, drill, ...
    option_order  TEXT,                               -- JSON: shown position -> option index in the file
    selected      TEXT    NOT NULL DEFAULT '[]',      -- JSON: shown positions ticked so far (choose-N)
    message_id    INTEGER,
    asked_at      TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'expired')),
    answered_at   TEXT,
    correct       INTEGER CHECK (correct IN (0, 1)),
    response      TEXT,                               -- the answer as given: option indices (JSON) or the typed text
    answer_update INTEGER                             -- update_id that carried the answer
);
CREATE INDEX asks_by_user_status ON asks (user_id, status);
CREATE INDEX asks_by_user_question ON asks (user_id, question_id);
CREATE INDEX asks_by_user_answered ON asks (user_id, answered_at);

-- Updates already handled, so a redelivered update changes nothing.
CREATE TABLE processed_updates (
    update_id     INTEGER PRIMARY KEY,
    processed_at  TEXT NOT NULL
);
