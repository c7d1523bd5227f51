-- An update carries at most one answer: a replayed update (after kill -9) must never answer a second,
-- newer question. Before this index, a replayed typed answer could be graded against the next typed
-- question. Such doubled answers are taken back first (the later one was never given by the learner),
-- so the index can be built on a database that met the bug.
UPDATE asks
SET status = 'expired', answered_at = NULL, correct = NULL, response = NULL, answer_update = NULL
WHERE answer_update IS NOT NULL
  AND id > (SELECT MIN(a2.id) FROM asks a2 WHERE a2.answer_update = asks.answer_update);

CREATE UNIQUE INDEX asks_one_per_update ON asks (answer_update) WHERE answer_update IS NOT NULL;
