"""The inbox: updates stored before they are confirmed to Telegram, until they are handled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.storage.db import Database
from bot.storage.repo import iso


class Inbox:
    def __init__(self, db: Database):
        self.db = db

    async def store(self, updates: Sequence[tuple[int, str]], now: datetime) -> set[int]:
        """Keep each (update_id, JSON) durably; returns the ids to handle (those not handled before)."""
        ids = [uid for uid, _ in updates]
        marks = ",".join("?" * len(ids))
        async with self.db.tx() as conn:
            async with conn.execute(
                f"SELECT update_id FROM processed_updates WHERE update_id IN ({marks})", ids  # noqa: S608
            ) as cur:
                handled = {r[0] for r in await cur.fetchall()}
            await conn.executemany(
                "INSERT INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(uid, payload, iso(now)) for uid, payload in updates if uid not in handled],
            )
        return set(ids) - handled

    async def handled(self, update_ids: Sequence[int], now: datetime) -> None:
        """Record updates as handled and drop them from the inbox, in one transaction."""
        async with self.db.tx() as conn:
            await conn.executemany("INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?) "
                                   "ON CONFLICT DO NOTHING",
                                   [(uid, iso(now)) for uid in update_ids])
            await conn.executemany("DELETE FROM inbox WHERE update_id = ?", [(uid,) for uid in update_ids])

    async def pending(self) -> list[tuple[int, str]]:
        """Updates stored but not handled, oldest first (to replay after a restart)."""
        async with self.db.read() as conn, conn.execute(
            "SELECT update_id, payload FROM inbox ORDER BY update_id"
        ) as cur:
            return [(r[0], r[1]) for r in await cur.fetchall()]

    async def depth(self) -> tuple[int, datetime | None]:
        """How many updates wait in the inbox, and when the oldest arrived."""
        async with self.db.read() as conn, conn.execute("SELECT COUNT(*), MIN(received_at) FROM inbox") as cur:
            count, oldest = await cur.fetchone()
        return int(count), None if oldest is None else datetime.fromisoformat(oldest)

    async def alive(self) -> None:
        """Raises if the database does not answer (the health check)."""
        # A table, not SELECT 1: SQLite answers that without reading the file.
        async with self.db.read() as conn, conn.execute("SELECT COUNT(*) FROM schema_migrations") as cur:
            await cur.fetchone()

    async def prune(self, before: datetime) -> int:
        """Forget handled update ids older than `before`: Telegram redelivers for at most 24 hours."""
        async with self.db.tx() as conn:
            cur = await conn.execute("DELETE FROM processed_updates WHERE processed_at < ?", (iso(before),))
            return cur.rowcount
