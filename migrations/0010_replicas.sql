-- Several bot processes (replicas) on one database: who is alive, and who does what.

-- Each running process, with its last heartbeat. A claim held by a process whose heartbeat is older than the
-- lease (bot/storage/replicas.py) is free for any other process to take over.
CREATE TABLE replicas (
    id          TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    seen_at     TEXT NOT NULL      -- UTC instant of the last heartbeat, by that process's wall clock
);

-- Whose turn it is to handle a person's updates ("user:ID", "chat:ID", or "update:ID" for updates tied to
-- neither): one process at a time handles a turn's updates, in update_id order, whichever process stored them.
CREATE TABLE turns (
    turn        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL      -- replicas.id
);
ALTER TABLE inbox ADD COLUMN turn TEXT;  -- NULL for rows stored before this migration: read from the payload
CREATE INDEX inbox_by_turn ON inbox (turn, update_id);

-- The process that claimed a push, a plan message, a round's next question, a weekly post: taken over only once
-- it is gone (or by itself, when its own try failed).
ALTER TABLE pushes ADD COLUMN claimed_by TEXT;
ALTER TABLE plan_events ADD COLUMN claimed_by TEXT;
ALTER TABLE rounds ADD COLUMN sending_by TEXT;
ALTER TABLE group_weekly_posts ADD COLUMN claimed_by TEXT;
