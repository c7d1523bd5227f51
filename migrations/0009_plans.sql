-- A plan to exam day, memory tuned per learner, and the review log both need.

-- The plan: the exam date (the user's local calendar), the daily time budget, and FSRS's desired retention.
ALTER TABLE users ADD COLUMN exam_date TEXT;                                 -- YYYY-MM-DD; NULL: no plan
ALTER TABLE users ADD COLUMN plan_minutes INTEGER NOT NULL DEFAULT 10;
ALTER TABLE users ADD COLUMN retention REAL NOT NULL DEFAULT 0.9;
-- The user's own FSRS parameters (JSON list of 21 floats); NULL: FSRS's defaults.
ALTER TABLE users ADD COLUMN memory_params TEXT;
-- Reviews so far (kept with each answer) and when their memory model is next (re)fitted; NULL: not enough yet.
ALTER TABLE users ADD COLUMN reviews INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN next_fit_at TEXT;
CREATE INDEX users_by_next_fit ON users (next_fit_at) WHERE next_fit_at IS NOT NULL;

-- One row per answer that moved a question's FSRS card: what fitting a learner's own parameters needs.
CREATE TABLE reviews (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    question_id   TEXT    NOT NULL,
    ask_id        INTEGER REFERENCES asks(id) ON DELETE SET NULL,
    reviewed_at   TEXT    NOT NULL,                      -- UTC instant of the answer
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),   -- the bot writes 1 (wrong) or 3 (right)
    elapsed_days  INTEGER,          -- local days since this user's previous review of the question; NULL: first
    seconds       REAL,             -- from the question being shown to the answer
    backfilled    INTEGER NOT NULL DEFAULT 0 CHECK (backfilled IN (0, 1))
);
CREATE INDEX reviews_by_user ON reviews (user_id, question_id, reviewed_at);
CREATE UNIQUE INDEX reviews_one_per_ask ON reviews (ask_id) WHERE ask_id IS NOT NULL;

-- Every answer so far, as the review log it would have written. Honest but for one thing: the days between
-- two answers are counted in UTC (the time zone each answer was given in is not known), hence `backfilled`.
-- A mock exam's answers are settled at its end, so they have no answer time of their own.
INSERT INTO reviews (user_id, question_id, ask_id, reviewed_at, rating, elapsed_days, seconds, backfilled)
SELECT user_id, question_id, id, answered_at, CASE WHEN correct = 1 THEN 3 ELSE 1 END,
       CAST(julianday(date(answered_at)) - julianday(date(prev)) AS INTEGER),
       CASE WHEN origin = 'exam' THEN NULL ELSE (julianday(answered_at) - julianday(asked_at)) * 86400.0 END, 1
FROM (SELECT a.*, LAG(answered_at) OVER (PARTITION BY user_id, question_id ORDER BY answered_at, id) AS prev
      FROM asks a WHERE status = 'answered' AND answered_at IS NOT NULL) AS answered
ORDER BY answered_at, id;

UPDATE users SET reviews = (SELECT COUNT(*) FROM reviews r WHERE r.user_id = users.id);
-- Those with enough history get their first fit on the next run of the job (400 = bot/domain/tuning.py).
UPDATE users SET next_fit_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now') WHERE reviews >= 400;

-- How each learner's memory model was last fitted, and how it scored against FSRS's defaults on held-out reviews.
CREATE TABLE memory_models (
    user_id          INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    fitted_at        TEXT    NOT NULL,
    reviews          INTEGER NOT NULL,
    outcome          TEXT    NOT NULL CHECK (outcome IN ('too_few', 'own', 'default_better')),
    own_log_loss     REAL,
    default_log_loss REAL,
    own_rmse         REAL,
    default_rmse     REAL
);

-- Messages a plan sends once: the evening before the exam, and the question after it. Claimed like pushes.
CREATE TABLE plan_events (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    exam_date   TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('eve', 'outcome')),
    due_at      TEXT    NOT NULL,                        -- UTC instant
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'claimed', 'sent', 'skipped')),
    claimed_at  TEXT,
    sent_at     TEXT,
    forecast    INTEGER,                                 -- eve: the scaled score forecast for the next day, kept
                                                         -- to set against how the exam went
    PRIMARY KEY (user_id, exam_date, kind)
);
CREATE INDEX plan_events_due ON plan_events (due_at) WHERE status IN ('pending', 'claimed');

-- How the exam went, as the learner said: to calibrate readiness against real outcomes later.
CREATE TABLE exam_outcomes (
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    exam_date    TEXT    NOT NULL,
    exam         TEXT    NOT NULL,                       -- the exam code of their track then
    predicted    INTEGER,                                -- the forecast made the evening before (NULL: none)
    outcome      TEXT    CHECK (outcome IN ('passed', 'not_yet', 'skipped')),   -- NULL: asked, no answer yet
    asked_at     TEXT    NOT NULL,
    answered_at  TEXT,
    PRIMARY KEY (user_id, exam_date)
);
