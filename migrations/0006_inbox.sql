-- Updates fetched from Telegram but not yet handled. An update is stored here before the bot
-- confirms it to Telegram (the next getUpdates offset), and removed in the same transaction that
-- records it in processed_updates, so a crash in between replays it instead of losing it.
CREATE TABLE inbox (
    update_id    INTEGER PRIMARY KEY,
    payload      TEXT NOT NULL,     -- the update as JSON
    received_at  TEXT NOT NULL
);
CREATE INDEX processed_updates_by_time ON processed_updates (processed_at);
