-- Mock exams: one row per attempt, one row per question in it. Each question is an `asks` row
-- (origin 'exam') whose ticked options live in asks.selected until the exam is submitted; only
-- then are the answers graded and recorded (stats, FSRS card, streak day), so nothing is revealed
-- during the exam.

CREATE TABLE exams (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_id        INTEGER NOT NULL,
    size           INTEGER NOT NULL,
    limit_seconds  INTEGER NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('running', 'paused', 'finished')),
    position       INTEGER NOT NULL DEFAULT 0,   -- the question last shown (0-based)
    used_seconds   REAL    NOT NULL DEFAULT 0,   -- exam time used before the current running stretch
    resumed_at     TEXT,                         -- start of the current running stretch; NULL while paused
    deadline       TEXT,                         -- UTC instant the time runs out; NULL while paused or finished
    started_at     TEXT    NOT NULL,
    finished_at    TEXT,
    timed_out      INTEGER NOT NULL DEFAULT 0,
    correct        INTEGER,                      -- raw score, set when finished
    score          INTEGER,                      -- scaled 100-1000, set when finished
    result         TEXT                          -- JSON: per-domain raw and scaled scores
);
-- At most one unfinished exam per user.
CREATE UNIQUE INDEX exams_one_open ON exams (user_id) WHERE status IN ('running', 'paused');
CREATE INDEX exams_by_user ON exams (user_id, id);
CREATE INDEX exams_by_deadline ON exams (deadline) WHERE status = 'running';

CREATE TABLE exam_items (
    exam_id   INTEGER NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,                  -- 0-based order in the exam
    ask_id    INTEGER NOT NULL REFERENCES asks(id) ON DELETE CASCADE,
    flagged   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (exam_id, position)
) WITHOUT ROWID;
