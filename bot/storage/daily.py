"""Queries for daily drills: subscriptions, pushes, drills, cards and days."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database
from bot.storage.repo import iso


@dataclass(frozen=True)
class DueUser:
    user_id: int
    chat_id: int | None
    tz: str
    daily_time: str
    daily_size: int
    at: datetime  # when the push or reminder was due


@dataclass(frozen=True)
class Claim:
    """A decision about one due user, made by the service and applied by `claim`."""

    user_id: int
    day: str
    kind: str  # drill | reminder
    next_at: datetime | None  # when this kind is due next for the user
    claim: bool  # False: only move the schedule on (e.g. the day was missed while the bot was down)


@dataclass(frozen=True)
class Push:
    user_id: int
    day: str
    kind: str
    status: str
    drill_id: int | None
    ask_id: int | None


@dataclass(frozen=True)
class Drill:
    id: int
    user_id: int
    day: str
    questions: tuple[str, ...]
    position: int
    finished: bool


def _drill(row) -> Drill:
    return Drill(row["id"], row["user_id"], row["day"], tuple(json.loads(row["questions"])), row["position"],
                 row["finished_at"] is not None)


class DailyRepo:
    def __init__(self, db: Database):
        self.db = db

    # --- settings -------------------------------------------------------------

    async def save_settings(
        self, user_id: int, *, enabled: bool, daily_time: str, daily_size: int, tz: str,
        next_push_at: datetime | None, next_reminder_at: datetime | None,
    ) -> None:
        async with self.db.tx() as conn:
            await conn.execute(
                "UPDATE users SET daily_enabled = ?, daily_time = ?, daily_size = ?, tz = ?, next_push_at = ?, "
                "next_reminder_at = ? WHERE id = ?",
                (int(enabled), daily_time, daily_size, tz, iso(next_push_at) if next_push_at else None,
                 iso(next_reminder_at) if next_reminder_at else None, user_id),
            )

    async def block(self, user_id: int, now: datetime) -> None:
        """Telegram says the user blocked the bot: stop pushing, keep their history."""
        async with self.db.tx() as conn:
            await conn.execute(
                "UPDATE users SET blocked_at = ?, daily_enabled = 0, next_push_at = NULL, next_reminder_at = NULL "
                "WHERE id = ?",
                (iso(now), user_id),
            )

    # --- who is due -------------------------------------------------------------

    async def due(self, kind: str, now: datetime, limit: int) -> list[DueUser]:
        column = {"drill": "next_push_at", "reminder": "next_reminder_at"}[kind]
        async with self.db.read() as conn, conn.execute(
            f"SELECT id, chat_id, tz, daily_time, daily_size, {column} AS at FROM users "  # noqa: S608 (column from a fixed map)
            f"WHERE {column} IS NOT NULL AND {column} <= ? AND daily_enabled = 1 AND blocked_at IS NULL "
            f"ORDER BY {column} LIMIT ?",
            (iso(now), limit),
        ) as cur:
            rows = await cur.fetchall()
        return [DueUser(r["id"], r["chat_id"], r["tz"], r["daily_time"], r["daily_size"],
                        datetime.fromisoformat(r["at"])) for r in rows]

    async def claim(self, claims: Sequence[Claim], now: datetime) -> list[Claim]:
        """Record the claims and move each user's schedule on, in one transaction.

        Returns the claims that are new: a push already recorded for that user, day and kind
        (a second process, a retried batch) is not claimed again.
        """
        column = {"drill": "next_push_at", "reminder": "next_reminder_at"}
        won = []
        async with self.db.tx() as conn:
            for c in claims:
                await conn.execute(
                    f"UPDATE users SET {column[c.kind]} = ? WHERE id = ?",  # noqa: S608
                    (iso(c.next_at) if c.next_at else None, c.user_id),
                )
                if not c.claim:
                    continue
                cur = await conn.execute(
                    "INSERT INTO pushes (user_id, day, kind, status, claimed_at) VALUES (?, ?, ?, 'claimed', ?) "
                    "ON CONFLICT DO NOTHING",
                    (c.user_id, c.day, c.kind, iso(now)),
                )
                if cur.rowcount == 1:
                    won.append(c)
        return won

    async def pending(self, kind: str, limit: int) -> list[Push]:
        """Pushes claimed but not finished: the bot stopped between claiming and sending."""
        async with self.db.read() as conn, conn.execute(
            "SELECT * FROM pushes WHERE status = 'claimed' AND kind = ? ORDER BY claimed_at LIMIT ?", (kind, limit)
        ) as cur:
            rows = await cur.fetchall()
        return [Push(r["user_id"], r["day"], r["kind"], r["status"], r["drill_id"], r["ask_id"]) for r in rows]

    async def finish_push(self, user_id: int, day: str, kind: str, status: str, now: datetime) -> None:
        async with self.db.tx() as conn:
            await conn.execute(
                "UPDATE pushes SET status = ?, sent_at = ? WHERE user_id = ? AND day = ? AND kind = ?",
                (status, iso(now), user_id, day, kind),
            )

    # --- drills -------------------------------------------------------------------

    async def start_drill(self, user_id: int, day: str, questions: list[str], now: datetime,
                          push_kind: str | None = None) -> int:
        """Create a drill; for a push, link it to the push in the same transaction (a retry reuses it)."""
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "INSERT INTO drills (user_id, kind, day, questions, started_at) VALUES (?, 'daily', ?, ?, ?)",
                (user_id, day, json.dumps(questions), iso(now)),
            )
            drill_id = int(cur.lastrowid)
            if push_kind:
                await conn.execute(
                    "UPDATE pushes SET drill_id = ? WHERE user_id = ? AND day = ? AND kind = ?",
                    (drill_id, user_id, day, push_kind),
                )
            return drill_id

    async def link_push_ask(self, user_id: int, day: str, ask_id: int) -> None:
        async with self.db.tx() as conn:
            await conn.execute(
                "UPDATE pushes SET ask_id = ? WHERE user_id = ? AND day = ? AND kind = 'drill'", (ask_id, user_id, day)
            )

    async def get_drill(self, drill_id: int) -> Drill | None:
        async with self.db.read() as conn, conn.execute("SELECT * FROM drills WHERE id = ?", (drill_id,)) as cur:
            row = await cur.fetchone()
        return _drill(row) if row else None

    async def advance_drill(self, drill_id: int, expected_position: int, now: datetime) -> bool:
        """Move the drill to its next question (or finish it); False if another update already did."""
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE drills SET position = position + 1, "
                "finished_at = CASE WHEN position + 1 >= json_array_length(questions) THEN ? ELSE NULL END "
                "WHERE id = ? AND position = ? AND finished_at IS NULL",
                (iso(now), drill_id, expected_position),
            )
            return cur.rowcount == 1

    # --- memory and days --------------------------------------------------------------

    async def due_cards(self, user_id: int, before: datetime, limit: int) -> list[str]:
        async with self.db.read() as conn, conn.execute(
            "SELECT question_id FROM cards WHERE user_id = ? AND due <= ? ORDER BY due LIMIT ?",
            (user_id, iso(before), limit),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def count_due(self, user_id: int, before: datetime) -> int:
        async with self.db.read() as conn, conn.execute(
            "SELECT COUNT(*) FROM cards WHERE user_id = ? AND due <= ?", (user_id, iso(before))
        ) as cur:
            return int((await cur.fetchone())[0])

    async def met_days(self, user_id: int) -> list[str]:
        async with self.db.read() as conn, conn.execute(
            "SELECT day FROM days WHERE user_id = ? AND answered >= goal ORDER BY day", (user_id,)
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def day(self, user_id: int, day: str) -> tuple[int, int, int] | None:
        """(answered, correct, goal) for one local day, or None if nothing was answered."""
        async with self.db.read() as conn, conn.execute(
            "SELECT answered, correct, goal FROM days WHERE user_id = ? AND day = ?", (user_id, day)
        ) as cur:
            row = await cur.fetchone()
        return (row[0], row[1], row[2]) if row else None
