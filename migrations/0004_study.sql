-- Study runs (topic drills, reviews, mistakes) reuse `drills`; problem reports from learners.

-- What the run is about: a topic id for kind 'topic', the source run's label for 'retry'.
ALTER TABLE drills ADD COLUMN label TEXT;
-- Questions passed over with Skip: neither answered nor wrong, and no FSRS review.
ALTER TABLE drills ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;

-- One report per user, question and reason; reporting again changes nothing.
CREATE TABLE reports (
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    question_id  TEXT    NOT NULL,
    reason       TEXT    NOT NULL CHECK (reason IN ('wrong', 'unclear', 'outdated')),
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (user_id, question_id, reason)
) WITHOUT ROWID;
CREATE INDEX reports_by_question ON reports (question_id);

-- Asks and pushes point at drills: without these, summing up a run and deleting a drill
-- (/forget, ON DELETE CASCADE) scan the whole table once per drill.
CREATE INDEX asks_by_drill ON asks (drill_id) WHERE drill_id IS NOT NULL;
CREATE INDEX pushes_by_drill ON pushes (drill_id) WHERE drill_id IS NOT NULL;
