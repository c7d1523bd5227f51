"""The inbox: updates stored before they are confirmed to Telegram, until they are handled; and the turns that
let several processes share it.

A turn is a person's line of updates ("user:ID"; "chat:ID" for updates with a chat but nobody behind them;
"update:ID" for updates tied to neither). One process at a time holds a turn, recorded in `turns`, and handles
that turn's updates in update_id order, whichever process stored them; it gives the turn back when none is left.
A turn whose holder has stopped beating (bot/storage/replicas.py) is taken over with its updates.

Storing takes the turn's row lock (the upsert), and giving a turn back takes it before looking for updates left,
so an update stored while its turn is given back is seen by one side or the other: never by neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.storage.db import Conn, Database
from bot.storage.replicas import ALIVE
from bot.storage.repo import iso

Row = tuple[int, str, str, str]  # update_id, turn, the update as JSON, when it was stored (ISO)

# Take a turn nobody alive holds (or keep one this process holds). The upsert locks the turn's row either way.
_TAKE = ("INSERT INTO turns (turn, holder) VALUES (?, ?) ON CONFLICT (turn) DO UPDATE SET holder = excluded.holder "  # noqa: S608 (ALIVE is a constant; values bound)
         f"WHERE turns.holder = excluded.holder OR turns.holder NOT IN ({ALIVE}) RETURNING turn")


class Inbox:
    def __init__(self, db: Database):
        self.db = db

    async def store(self, updates: Sequence[tuple[int, str, str]], now: datetime, me: str, alive_after: str,
                    *, shared: bool = True) -> list[Row]:
        """Keep each (update_id, turn, JSON) durably unless it was handled before. Returns what this process is to
        handle now, oldest first. `shared` (replicas): only the updates of turns it holds or takes now (nobody
        alive holds them), earlier ones of those turns included; the rest wait for their turn's holder. Alone:
        every update stored, as the process orders each person's updates itself."""
        ids = [uid for uid, _, _ in updates]
        marks = ",".join("?" * len(ids))
        async with self.db.tx() as conn:
            async with conn.execute(
                f"SELECT update_id FROM processed_updates WHERE update_id IN ({marks})", ids  # noqa: S608
            ) as cur:
                handled = {r[0] for r in await cur.fetchall()}
            fresh = [(uid, turn, payload) for uid, turn, payload in updates if uid not in handled]
            await conn.executemany(
                "INSERT INTO inbox (update_id, turn, payload, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(uid, turn, payload, iso(now)) for uid, turn, payload in fresh],
            )
            if not shared:
                return [(uid, turn, payload, iso(now)) for uid, turn, payload in fresh]
            if fresh:
                # Another replica may have handled one of them while this insert waited for its transaction (a
                # redelivery): this statement sees what it committed.
                marks = ",".join("?" * len(fresh))
                async with conn.execute(
                    f"DELETE FROM inbox WHERE update_id IN ({marks}) AND update_id IN "  # noqa: S608
                    "(SELECT update_id FROM processed_updates) RETURNING update_id", [uid for uid, _, _ in fresh]
                ) as cur:
                    gone = {r[0] for r in await cur.fetchall()}
                fresh = [row for row in fresh if row[0] not in gone]
            return await _take(conn, sorted({turn for _, turn, _ in fresh}), me, alive_after)

    async def waiting(self, limit: int = 500) -> list[Row]:
        """The updates stored and not handled, oldest first (a process alone on its database handles them all)."""
        async with self.db.read() as conn, conn.execute(
            "SELECT update_id, turn, payload, received_at FROM inbox ORDER BY update_id LIMIT ?", (limit,)
        ) as cur:
            return [(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()]

    async def take(self, turns: Sequence[str], me: str, alive_after: str) -> list[Row]:
        """Take these turns where nobody alive holds them; returns their updates, oldest first."""
        async with self.db.tx() as conn:
            return await _take(conn, sorted(set(turns)), me, alive_after)

    async def handled(self, items: Sequence[tuple[int, str | None]], now: datetime, me: str) -> list[Row]:
        """Record updates as handled and drop them from the inbox, in one transaction. For each item with a turn
        (the last of that turn this process had), give the turn back, unless updates of it arrived meanwhile:
        then they are returned, to be handled next."""
        left: list[Row] = []
        async with self.db.tx() as conn:
            await conn.executemany("INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?) "
                                   "ON CONFLICT DO NOTHING", [(uid, iso(now)) for uid, _ in items])
            await conn.executemany("DELETE FROM inbox WHERE update_id = ?", [(uid,) for uid, _ in items])
            for turn in sorted({t for _, t in items if t is not None}):
                # The row lock first, then the look for updates left (see the module's docstring).
                cur = await conn.execute("UPDATE turns SET holder = holder WHERE turn = ? AND holder = ?", (turn, me))
                if cur.rowcount == 0:  # taken over while this process was thought gone: the new holder goes on
                    continue
                rows = await _rows(conn, turn)
                if rows:
                    left.extend(rows)
                else:
                    await conn.execute("DELETE FROM turns WHERE turn = ?", (turn,))
        return left

    async def free_turns(self, me: str, alive_after: str, limit: int = 500) -> list[str]:
        """Turns with updates waiting that no other live process holds: their holder died, or never was (rows from
        before turns existed), or is this process, which let an update go (its database connection failed)."""
        async with self.db.read() as conn, conn.execute(
            "SELECT DISTINCT i.turn FROM inbox i LEFT JOIN turns t ON t.turn = i.turn "  # noqa: S608 (ALIVE is a constant; values bound)
            f"WHERE i.turn IS NOT NULL AND (t.holder IS NULL OR t.holder = ? OR t.holder NOT IN ({ALIVE})) "
            "ORDER BY i.turn LIMIT ?",
            (me, alive_after, limit),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def without_turn(self, limit: int = 500) -> list[tuple[int, str]]:
        """Updates stored before turns existed: (update_id, JSON), to be given their turn."""
        async with self.db.read() as conn, conn.execute(
            "SELECT update_id, payload FROM inbox WHERE turn IS NULL ORDER BY update_id LIMIT ?", (limit,)
        ) as cur:
            return [(r[0], r[1]) for r in await cur.fetchall()]

    async def set_turns(self, turns: Sequence[tuple[int, str]]) -> None:
        async with self.db.tx() as conn:
            await conn.executemany("UPDATE inbox SET turn = ? WHERE update_id = ? AND turn IS NULL",
                                   [(turn, uid) for uid, turn in turns])

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


async def _take(conn: Conn, turns: Sequence[str], me: str, alive_after: str) -> list[Row]:
    rows: list[Row] = []
    for turn in turns:  # sorted by the callers: two processes lock turns in the same order, never in a cycle
        async with conn.execute(_TAKE, (turn, me, alive_after)) as cur:
            taken = await cur.fetchone() is not None
        if taken:
            found = await _rows(conn, turn)
            if found:
                rows.extend(found)
            else:  # given back meanwhile, with nothing left: not held for nothing
                await conn.execute("DELETE FROM turns WHERE turn = ? AND holder = ?", (turn, me))
    return sorted(rows)


async def _rows(conn: Conn, turn: str) -> list[Row]:
    async with conn.execute(
        "SELECT update_id, turn, payload, received_at FROM inbox WHERE turn = ? ORDER BY update_id", (turn,)
    ) as cur:
        return [(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()]
