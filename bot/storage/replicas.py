"""This process among the bot's replicas: its heartbeat, and who else is alive.

Work that one process must do alone (a person's updates, a push, a plan message, a round's next question) is
claimed in the database under the claiming process's id. A claim is good for as long as its process beats: once
its heartbeat is older than the lease (the process was killed, lost its network), any other process takes the
work over. Liveness is read from the wall clock, not the bot's clock, which tests move by days at a time.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.storage.db import Database
from bot.storage.repo import iso

LEASE = timedelta(seconds=10)  # a process silent this long is taken for gone
BEAT = 2.0  # seconds between heartbeats: several per lease, so one slow beat does not lose the claims

# The processes whose claims still hold; bound with the oldest heartbeat that counts (`Replica.alive_after`).
ALIVE = "SELECT id FROM replicas WHERE seen_at >= ?"


def _wall() -> datetime:
    return datetime.now(UTC)


class Replica:
    def __init__(self, db: Database, *, lease: timedelta = LEASE, wall: Callable[[], datetime] = _wall):
        self.db, self.lease, self.wall = db, lease, wall
        self.host = socket.gethostname()[:100]
        self.id = f"{self.host}:{os.getpid()}:{secrets.token_hex(4)}"

    def alive_after(self) -> str:
        """The oldest heartbeat that still counts, as bound into ALIVE."""
        return iso(self.wall() - self.lease)

    async def join(self, *, alone: bool) -> None:
        """Announce this process. `alone`: no other process can use this database (SQLite, or the polling mode's
        lock), so whatever earlier ones held is free at once rather than after the lease."""
        now = iso(self.wall())
        async with self.db.tx() as conn:
            if alone:
                await conn.execute("DELETE FROM turns")
                await conn.execute("DELETE FROM replicas")
            await self._enter(conn, now)

    async def _enter(self, conn, now: str) -> None:
        await conn.execute("INSERT INTO replicas (id, host, started_at, seen_at) VALUES (?, ?, ?, ?)",
                           (self.id, self.host, now, now))

    async def beat(self) -> int:
        """Renew this process's claims; returns how many processes are alive, itself included."""
        async with self.db.tx() as conn:
            cur = await conn.execute("UPDATE replicas SET seen_at = ? WHERE id = ?", (iso(self.wall()), self.id))
            if cur.rowcount == 0:  # removed while we were cut off (or the lease ran out and a peer cleaned up)
                await self._enter(conn, iso(self.wall()))
            async with conn.execute("SELECT COUNT(*) FROM replicas WHERE seen_at >= ?", (self.alive_after(),)) as c:
                return max(1, int((await c.fetchone())[0]))

    async def leave(self) -> None:
        """A clean stop: what this process still holds is free for the others at once."""
        async with self.db.tx() as conn:
            async with conn.execute("SELECT turn FROM turns WHERE holder = ? ORDER BY turn", (self.id,)) as cur:
                held = [r[0] for r in await cur.fetchall()]
            # One by one, in the order every replica locks turns in: never a lock cycle with another's take.
            await conn.executemany("DELETE FROM turns WHERE turn = ? AND holder = ?", [(t, self.id) for t in held])
            await conn.execute("DELETE FROM replicas WHERE id = ?", (self.id,))
            # Long gone processes: kept a day for the logs' sake, then forgotten.
            await conn.execute("DELETE FROM replicas WHERE seen_at < ?", (iso(self.wall() - timedelta(days=1)),))
