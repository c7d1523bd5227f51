"""Queries for daily drills: subscriptions, pushes, drills, cards and days."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database
from bot.storage.dialect import next_ids
from bot.storage.replicas import ALIVE, Replica
from bot.storage.repo import ExamHold, NewAsk, QuestionCount, User, _user, iso

_CHUNK = 500  # ids per IN (...) list, well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class PlanInputs:
    """What planning one user's drill needs, read for a whole batch of users at once."""

    user: User
    cards: tuple[tuple[str, datetime], ...]  # (question id, due), most overdue first
    skills: tuple[QuestionCount, ...]  # answers and right answers per question (each exam groups them)
    exam: ExamHold | None = None  # an unfinished mock exam: its questions stay out of the drill


@dataclass(frozen=True)
class NewDrill:
    user_id: int
    day: str
    questions: list[str]
    first: NewAsk


@dataclass(frozen=True)
class DueUser:
    user_id: int
    chat_id: int | None
    tz: str
    daily_time: str
    daily_size: int
    at: datetime  # when the push or reminder was due
    stored_at: str = ""  # that time as stored: the claim moves the schedule on only if it still says so


@dataclass(frozen=True)
class Claim:
    """A decision about one due user, made by the service and applied by `claim`."""

    user_id: int
    day: str
    kind: str  # drill | reminder
    next_at: datetime | None  # when this kind is due next for the user
    claim: bool  # False: only move the schedule on (e.g. the day was missed while the bot was down)
    was: str | None = None  # the schedule as read (DueUser.stored_at); None: move it on whatever it says


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
    def __init__(self, db: Database, replica: Replica | None = None):
        self.db = db
        self.replica = replica or Replica(db)

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
                        datetime.fromisoformat(r["at"]), r["at"]) for r in rows]

    async def claim(self, claims: Sequence[Claim], now: datetime) -> list[Claim]:
        """Record the claims and move each user's schedule on, in one transaction.

        Returns the claims that are new: a push already recorded for that user, day and kind
        (another replica, a retried batch) is not claimed again; the primary key decides, so two
        replicas claiming at once split the users between them. The pushes are inserted per batch
        (a tick may claim thousands of users); the schedules are moved on one by one, each only if
        it still says what was read.
        """
        if not claims:
            return []
        kind = claims[0].kind
        assert all(c.kind == kind for c in claims)
        column = {"drill": "next_push_at", "reminder": "next_reminder_at"}[kind]
        claims = sorted(claims, key=lambda c: c.user_id)  # rows locked in one order by every replica: no deadlock
        won: list[Claim] = []
        async with self.db.tx() as conn:
            # Compare and set: a schedule changed since it was read (the user set another time, another replica
            # claimed first) is left as it is now, and that user is not claimed from the old reading.
            moved: set[int] = set()
            for c in claims:
                new = iso(c.next_at) if c.next_at else None
                if c.was is None:
                    cur = await conn.execute(f"UPDATE users SET {column} = ? WHERE id = ?",  # noqa: S608 (fixed map)
                                             (new, c.user_id))
                else:
                    cur = await conn.execute(f"UPDATE users SET {column} = ? WHERE id = ? AND {column} = ?",  # noqa: S608
                                             (new, c.user_id, c.was))
                if cur.rowcount == 1:
                    moved.add(c.user_id)
            wanted = {(c.user_id, c.day): c for c in claims if c.claim and c.user_id in moved}
            rows = list(wanted.values())
            for start in range(0, len(rows), _CHUNK):
                chunk = rows[start : start + _CHUNK]
                async with conn.execute(
                    "INSERT INTO pushes (user_id, day, kind, status, claimed_at, claimed_by) VALUES "  # noqa: S608
                    + ",".join("(?, ?, ?, 'claimed', ?, ?)" for _ in chunk)
                    + " ON CONFLICT DO NOTHING RETURNING user_id, day",
                    [v for c in chunk for v in (c.user_id, c.day, c.kind, iso(now), self.replica.id)],
                ) as cur:
                    got = {(r[0], r[1]) for r in await cur.fetchall()}
                won.extend(c for c in chunk if (c.user_id, c.day) in got)
        return won

    async def pending(self, kind: str, limit: int) -> list[Push]:
        """Pushes claimed but not finished, taken over for this process: its own (Telegram failed, or it was cut
        off from the database) and those of replicas that stopped beating. A live replica's are left to it."""
        me, alive_after = self.replica.id, self.replica.alive_after()
        mine = f"(claimed_by IS NULL OR claimed_by = ? OR claimed_by NOT IN ({ALIVE}))"
        async with self.db.tx() as conn, conn.execute(
            f"UPDATE pushes SET claimed_by = ? WHERE status = 'claimed' AND kind = ? AND {mine} "  # noqa: S608
            f"AND (user_id, day) IN (SELECT user_id, day FROM pushes WHERE status = 'claimed' AND kind = ? AND {mine} "
            "ORDER BY claimed_at LIMIT ?) RETURNING *",
            (me, kind, me, alive_after, kind, me, alive_after, limit),
        ) as cur:
            rows = await cur.fetchall()
        rows = sorted(rows, key=lambda r: (r["claimed_at"], r["user_id"]))
        return [Push(r["user_id"], r["day"], r["kind"], r["status"], r["drill_id"], r["ask_id"]) for r in rows]

    async def finish_push(self, user_id: int, day: str, kind: str, status: str, now: datetime) -> None:
        async with self.db.tx() as conn:
            await conn.execute(
                "UPDATE pushes SET status = ?, sent_at = ? WHERE user_id = ? AND day = ? AND kind = ?",
                (status, iso(now), user_id, day, kind),
            )

    async def plan_inputs(self, user_ids: Sequence[int]) -> dict[int, PlanInputs]:
        users: dict[int, User] = {}
        cards: dict[int, list[tuple[str, datetime]]] = {}
        skills: dict[int, list[QuestionCount]] = {}
        exams: dict[int, tuple[int, bool, set[str]]] = {}
        async with self.db.read() as conn:
            for start in range(0, len(user_ids), _CHUNK):
                chunk = list(user_ids[start : start + _CHUNK])
                marks = ",".join("?" * len(chunk))
                async with conn.execute(f"SELECT * FROM users WHERE id IN ({marks})", chunk) as cur:  # noqa: S608
                    for r in await cur.fetchall():
                        users[r["id"]] = _user(r)
                async with conn.execute(
                    f"SELECT user_id, question_id, due FROM cards WHERE user_id IN ({marks}) ORDER BY due", chunk  # noqa: S608
                ) as cur:
                    for r in await cur.fetchall():
                        cards.setdefault(r[0], []).append((r[1], datetime.fromisoformat(r[2])))
                async with conn.execute(
                    f"SELECT user_id, question_id, COUNT(*), SUM(correct) FROM asks WHERE user_id IN ({marks}) "  # noqa: S608
                    "AND status = 'answered' GROUP BY user_id, question_id",
                    chunk,
                ) as cur:
                    for r in await cur.fetchall():
                        skills.setdefault(r[0], []).append(QuestionCount(r[1], r[2], r[3] or 0))
                async with conn.execute(
                    "SELECT e.user_id, e.id, e.status, a.question_id FROM exams e "  # noqa: S608
                    "JOIN exam_items i ON i.exam_id = e.id JOIN asks a ON a.id = i.ask_id "
                    f"WHERE e.user_id IN ({marks}) AND e.status IN ('running', 'paused')",
                    chunk,
                ) as cur:
                    for r in await cur.fetchall():
                        exams.setdefault(r[0], (r[1], r[2] == "running", set()))[2].add(r[3])
        return {uid: PlanInputs(u, tuple(cards.get(uid, ())), tuple(skills.get(uid, ())),
                                ExamHold(*exams[uid][:2], frozenset(exams[uid][2])) if uid in exams else None)
                for uid, u in users.items()}

    async def start_drills(self, drills: Sequence[NewDrill], now: datetime) -> list[tuple[int, int]]:
        """Create the drills of a batch of pushes and their first questions, linked to the pushes, in one go.

        Returns (drill id, first ask id) for each, in order. Ids are reserved inside the write transaction
        (bot/storage/dialect.py), so a batch inserts with executemany.
        """
        if not drills:
            return []
        async with self.db.tx() as conn:
            ids = list(zip(await next_ids(conn, "drills", len(drills)), await next_ids(conn, "asks", len(drills)),
                           strict=True))
            pairs = list(zip(drills, ids, strict=True))
            await conn.executemany(
                "UPDATE asks SET status = 'expired' WHERE user_id = ? AND status = 'open' AND kind = 'fill'",
                [(d.user_id,) for d in drills],
            )
            await conn.executemany(
                "INSERT INTO drills (id, user_id, kind, day, questions, started_at) VALUES (?, ?, 'daily', ?, ?, ?)",
                [(drill_id, d.user_id, d.day, json.dumps(d.questions), iso(now)) for d, (drill_id, _) in pairs],
            )
            await conn.executemany(
                "INSERT INTO asks (id, user_id, chat_id, question_id, kind, domain, topic, origin, option_order, "
                "asked_at, drill_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(ask_id, d.first.user_id, d.first.chat_id, d.first.question_id, d.first.kind, d.first.domain,
                  d.first.topic, d.first.origin,
                  json.dumps(d.first.option_order) if d.first.option_order is not None else None, iso(now), drill_id)
                 for d, (drill_id, ask_id) in pairs],
            )
            # The drill is the day's goal: a plan sizes it day by day (and a bank running short makes it smaller).
            await conn.executemany(
                "INSERT INTO days (user_id, day, answered, correct, goal) VALUES (?, ?, 0, 0, ?) "
                "ON CONFLICT (user_id, day) DO UPDATE SET goal = excluded.goal",
                [(d.user_id, d.day, len(d.questions)) for d in drills],
            )
            await conn.executemany(
                "UPDATE pushes SET drill_id = ?, ask_id = ? WHERE user_id = ? AND day = ? AND kind = 'drill'",
                [(drill_id, ask_id, d.user_id, d.day) for d, (drill_id, ask_id) in pairs],
            )
        return ids

    async def drills_sent(self, sent: Sequence[tuple[int, str, int, int]], now: datetime) -> None:
        """Drills whose first question reached Telegram: (user id, day, ask id, message id). One transaction."""
        async with self.db.tx() as conn:
            await conn.executemany("UPDATE asks SET message_id = ? WHERE id = ?", [(m, a) for _, _, a, m in sent])
            await conn.executemany(
                "UPDATE pushes SET status = 'sent', sent_at = ? WHERE user_id = ? AND day = ? AND kind = 'drill'",
                [(iso(now), u, d) for u, d, _, _ in sent],
            )

    # --- drills -------------------------------------------------------------------

    async def open_drill(self, user_id: int, day: str) -> Drill | None:
        """The user's unfinished drill of that local day, if any."""
        async with self.db.read() as conn, conn.execute(
            "SELECT * FROM drills WHERE user_id = ? AND day = ? AND kind = 'daily' AND finished_at IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (user_id, day),
        ) as cur:
            row = await cur.fetchone()
        return _drill(row) if row else None

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
