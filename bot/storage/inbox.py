"""The inbox: updates stored before they are confirmed to Telegram, until they are handled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.storage.db import Database
from bot.storage.repo import iso


class Inbox:
    def __init__(self, db: Database):
        self.db = db

    async def store(self, updates: Sequence[tuple[int, str]], now: datetime) -> None:
        """Keep each (update_id, JSON) durably; one already stored or already handled is not stored again."""
        async with self.db.tx() as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO inbox (update_id, payload, received_at) "
                "SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = ?)",
                [(uid, payload, iso(now), uid) for uid, payload in updates],
            )

    async def pending(self) -> list[tuple[int, str]]:
        """Updates stored but not handled, oldest first (to replay after a restart)."""
        async with self.db.read() as conn, conn.execute(
            "SELECT update_id, payload FROM inbox ORDER BY update_id"
        ) as cur:
            return [(r[0], r[1]) for r in await cur.fetchall()]

    async def done(self, update_id: int, now: datetime) -> None:
        """Record an update as handled without handling it (one that cannot be read)."""
        async with self.db.tx() as conn:
            await conn.execute("INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)",
                               (update_id, iso(now)))
            await conn.execute("DELETE FROM inbox WHERE update_id = ?", (update_id,))

    async def prune(self, before: datetime) -> int:
        """Forget handled update ids older than `before`: Telegram redelivers for at most 24 hours."""
        async with self.db.tx() as conn:
            cur = await conn.execute("DELETE FROM processed_updates WHERE processed_at < ?", (iso(before),))
            return cur.rowcount
