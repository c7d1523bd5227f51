"""Queries. Every value is bound with `?`; every multi-step write runs in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.memory import DEFAULT_MODEL, Memory, Model
from bot.storage.db import Database
from bot.storage.reviews import REVIEW_COUNT, REVIEW_INSERT, review_count_row, review_row


def iso(t: datetime) -> str:
    return t.isoformat()


def from_iso(s: str) -> datetime:
    return datetime.fromisoformat(s)


@dataclass(frozen=True)
class User:
    id: int
    chat_id: int | None
    first_name: str | None
    tz: str
    created_at: datetime
    daily_enabled: bool = False
    daily_time: str = "08:00"
    daily_size: int = 5
    blocked: bool = False
    exam: str | None = None  # the exam they study for; None: the bank's default
    exam_date: str | None = None  # the planned exam day (YYYY-MM-DD, their calendar); None: no plan
    plan_minutes: int = 10
    model: Model = DEFAULT_MODEL  # how their memory is modelled (own FSRS parameters, desired retention)
    reviews: int = 0


def _user(row) -> User:
    return User(
        id=row["id"],
        chat_id=row["chat_id"],
        first_name=row["first_name"],
        tz=row["tz"],
        created_at=from_iso(row["created_at"]),
        daily_enabled=bool(row["daily_enabled"]),
        daily_time=row["daily_time"],
        daily_size=row["daily_size"],
        blocked=row["blocked_at"] is not None,
        exam=row["exam"],
        exam_date=row["exam_date"],
        plan_minutes=row["plan_minutes"],
        model=Model.of(row["memory_params"], row["retention"]),
        reviews=row["reviews"],
    )


@dataclass(frozen=True)
class DayProgress:
    """Progress toward one local day's goal, written in the same transaction as the answer."""

    day: str
    goal: int


@dataclass(frozen=True)
class Ask:
    id: int
    user_id: int
    chat_id: int
    question_id: str
    kind: str
    option_order: tuple[int, ...]
    selected: tuple[int, ...]
    message_id: int | None
    asked_at: datetime
    status: str
    correct: bool | None
    response: str | None
    drill_id: int | None = None
    origin: str = "quiz"
    answer_update: int | None = None  # the update that carried the answer


@dataclass(frozen=True)
class ExamHold:
    """The user's unfinished mock exam: practice must not ask its questions, nor give feedback while it runs."""

    exam_id: int
    running: bool  # False: paused
    questions: frozenset[str]


@dataclass(frozen=True)
class DomainCount:
    domain: str
    answered: int
    correct: int


@dataclass(frozen=True)
class QuestionCount:
    question_id: str
    answered: int
    correct: int


@dataclass(frozen=True)
class HistoryRow:
    question_id: str
    answered: int
    last_correct: bool | None
    last_asked_at: datetime


@dataclass(frozen=True)
class NewAsk:
    user_id: int
    chat_id: int
    question_id: str
    kind: str
    domain: str
    topic: str
    option_order: list[int] | None
    origin: str
    drill_id: int | None = None


async def insert_ask(conn, ask: NewAsk, now: datetime) -> int:
    """Inside the caller's transaction: record a question put to a user.

    An open fill-in ask of theirs is closed first, so their next text answers the new question.
    """
    await conn.execute(
        "UPDATE asks SET status = 'expired' WHERE user_id = ? AND status = 'open' AND kind = 'fill'", (ask.user_id,)
    )
    cur = await conn.execute(
        "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, origin, option_order, asked_at, "
        "drill_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (ask.user_id, ask.chat_id, ask.question_id, ask.kind, ask.domain, ask.topic, ask.origin,
         json.dumps(ask.option_order) if ask.option_order is not None else None, iso(now), ask.drill_id),
    )
    return int((await cur.fetchone())[0])


def _ask(row) -> Ask:
    return Ask(
        id=row["id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        question_id=row["question_id"],
        kind=row["kind"],
        option_order=tuple(json.loads(row["option_order"])) if row["option_order"] else (),
        selected=tuple(json.loads(row["selected"])),
        message_id=row["message_id"],
        asked_at=from_iso(row["asked_at"]),
        status=row["status"],
        correct=None if row["correct"] is None else bool(row["correct"]),
        response=row["response"],
        drill_id=row["drill_id"],
        origin=row["origin"],
        answer_update=row["answer_update"],
    )


class Repo:
    def __init__(self, db: Database):
        self.db = db

    # --- users -------------------------------------------------------------

    async def upsert_user(self, user_id: int, first_name: str | None, chat_id: int | None, tz: str,
                          now: datetime) -> tuple[User, bool]:
        """Create the user on first sight; keep name and private chat current. Returns (user, created)."""
        # Nearly every update comes from someone we know whose name and chat have not changed: a read
        # answers that without taking the write lock.
        known = await self.get_user(user_id)
        if known is not None and not known.blocked and (first_name is None or known.first_name == first_name) \
                and (chat_id is None or known.chat_id == chat_id):
            return known, False
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "INSERT INTO users (id, chat_id, first_name, tz, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO NOTHING",
                (user_id, chat_id, first_name, tz, iso(now)),
            )
            created = cur.rowcount == 1
            if not created:
                await conn.execute(
                    "UPDATE users SET first_name = COALESCE(?, first_name), chat_id = COALESCE(?, chat_id), "
                    "blocked_at = NULL WHERE id = ?",
                    (first_name, chat_id, user_id),
                )
            async with conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)) as c:
                row = await c.fetchone()
        return _user(row), created

    async def get_user(self, user_id: int) -> User | None:
        async with self.db.read() as conn, conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        return _user(row) if row else None

    async def set_exam(self, user_id: int, exam: str) -> None:
        async with self.db.tx() as conn:
            await conn.execute("UPDATE users SET exam = ? WHERE id = ?", (exam, user_id))

    # --- asks and answers --------------------------------------------------

    async def create_ask(
        self,
        *,
        user_id: int,
        chat_id: int,
        question_id: str,
        kind: str,
        domain: str,
        topic: str,
        option_order: list[int] | None,
        origin: str,
        now: datetime,
        drill_id: int | None = None,
    ) -> int:
        """Record a question put to the user. An open fill-in ask is closed: the next text answers the new one."""
        async with self.db.tx() as conn:
            return await insert_ask(conn, NewAsk(user_id, chat_id, question_id, kind, domain, topic, option_order,
                                                 origin, drill_id), now)

    async def set_ask_message(self, ask_id: int, message_id: int) -> None:
        async with self.db.tx() as conn:
            await conn.execute("UPDATE asks SET message_id = ? WHERE id = ?", (message_id, ask_id))

    async def get_ask(self, ask_id: int) -> Ask | None:
        async with self.db.read() as conn, conn.execute("SELECT * FROM asks WHERE id = ?", (ask_id,)) as cur:
            row = await cur.fetchone()
        return _ask(row) if row else None

    async def latest_ask_id(self, user_id: int) -> int | None:
        async with self.db.read() as conn, conn.execute(
            # Mock-exam questions are not "a newer question above" for /quiz's Next button.
            "SELECT MAX(id) FROM asks WHERE user_id = ? AND origin != 'exam'", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return row[0]

    async def open_fill_ask(self, user_id: int) -> Ask | None:
        async with self.db.read() as conn, conn.execute(
            "SELECT * FROM asks WHERE user_id = ? AND status = 'open' AND kind = 'fill' ORDER BY id DESC LIMIT 1",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        return _ask(row) if row else None

    async def exam_hold(self, user_id: int) -> ExamHold | None:
        async with self.db.read() as conn, conn.execute(
            "SELECT e.id, e.status, a.question_id FROM exams e JOIN exam_items i ON i.exam_id = e.id "
            "JOIN asks a ON a.id = i.ask_id WHERE e.user_id = ? AND e.status IN ('running', 'paused')",
            (user_id,),
        ) as cur:
            rows = await cur.fetchall()
        if not rows:
            return None
        return ExamHold(rows[0][0], rows[0][1] == "running", frozenset(r[2] for r in rows))

    async def answered_by(self, user_id: int, update_id: int) -> Ask | None:
        """The ask this update already answered, if any (a replay after a restart is not a new answer)."""
        async with self.db.read() as conn, conn.execute(
            "SELECT * FROM asks WHERE answer_update = ? AND user_id = ?", (update_id, user_id)
        ) as cur:
            row = await cur.fetchone()
        return _ask(row) if row else None

    async def set_selected(self, ask_id: int, user_id: int, selected: list[int]) -> bool:
        """Store an open ask's selection as given (ticked options; an ordering's steps in the order placed; a
        matching's pick per prompt); False if it is not open (or not theirs)."""
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE asks SET selected = ? WHERE id = ? AND user_id = ? AND status = 'open'",
                (json.dumps(list(selected)), ask_id, user_id),
            )
            return cur.rowcount == 1

    async def record_answer(
        self,
        *,
        ask_id: int,
        user_id: int,
        correct: bool,
        response: str,
        update_id: int | None,
        now: datetime,
        memory: Memory | None = None,
        progress: DayProgress | None = None,
    ) -> bool:
        """The first answer wins: True if this one was recorded, False if the ask was already closed.

        The answer, the question's new FSRS card and the day's progress are one transaction:
        either all of it is durable or none of it happened.
        """
        async with self.db.tx() as conn:
            if update_id is not None:
                # One answer per update (also a unique index): a replayed update never answers a newer question.
                async with conn.execute("SELECT 1 FROM asks WHERE answer_update = ?", (update_id,)) as cur:
                    if await cur.fetchone() is not None:
                        return False
            cur = await conn.execute(
                "UPDATE asks SET status = 'answered', answered_at = ?, correct = ?, response = ?, answer_update = ? "
                "WHERE id = ? AND user_id = ? AND status = 'open' RETURNING question_id, asked_at, origin",
                (iso(now), int(correct), response, update_id, ask_id, user_id),
            )
            row = await cur.fetchone()
            await cur.close()
            if row is None:
                return False
            if memory is not None:
                await conn.execute(
                    "INSERT INTO cards (user_id, question_id, card, due, reviews, lapses) VALUES (?, ?, ?, ?, 1, ?) "
                    "ON CONFLICT (user_id, question_id) DO UPDATE SET card = excluded.card, due = excluded.due, "
                    "reviews = cards.reviews + 1, lapses = cards.lapses + excluded.lapses",
                    (user_id, row["question_id"], memory.card_json, iso(memory.due), 0 if correct else 1),
                )
                # A mock exam's answers are all settled at its end: their time since being asked is no answer time.
                seconds = None if row["origin"] == "exam" else (now - from_iso(row["asked_at"])).total_seconds()
                await conn.execute(REVIEW_INSERT, review_row(user_id, row["question_id"], ask_id, now, memory, seconds))
                await conn.execute(REVIEW_COUNT, review_count_row(user_id, now))
            if progress is not None:
                await conn.execute(
                    "INSERT INTO days (user_id, day, answered, correct, goal) VALUES (?, ?, 1, ?, ?) "
                    "ON CONFLICT (user_id, day) DO UPDATE SET answered = days.answered + 1, "
                    "correct = days.correct + excluded.correct",
                    (user_id, progress.day, int(correct), progress.goal),
                )
            return True

    async def get_card(self, user_id: int, question_id: str) -> str | None:
        async with self.db.read() as conn, conn.execute(
            "SELECT card FROM cards WHERE user_id = ? AND question_id = ?", (user_id, question_id)
        ) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def drill_place(self, drill_id: int) -> tuple[list[str], int] | None:
        """A run's planned questions and how far it has got (the number of the question being answered)."""
        async with self.db.read() as conn, conn.execute(
            "SELECT questions, position FROM drills WHERE id = ?", (drill_id,)
        ) as cur:
            row = await cur.fetchone()
        return (json.loads(row[0]), int(row[1])) if row else None

    async def drill_correct(self, drill_id: int) -> int:
        async with self.db.read() as conn, conn.execute(
            "SELECT COALESCE(SUM(correct), 0) FROM asks WHERE drill_id = ? AND status = 'answered'", (drill_id,)
        ) as cur:
            return int((await cur.fetchone())[0])

    # --- stats and history -------------------------------------------------

    async def domain_counts(self, user_id: int) -> list[DomainCount]:
        async with self.db.read() as conn, conn.execute(
            "SELECT domain, COUNT(*) AS answered, SUM(correct) AS correct FROM asks "
            "WHERE user_id = ? AND status = 'answered' GROUP BY domain",
            (user_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [DomainCount(r["domain"], r["answered"], r["correct"] or 0) for r in rows]

    async def question_counts(self, user_id: int) -> list[QuestionCount]:
        """Answers and right answers per question (each exam groups them into its own domains)."""
        async with self.db.read() as conn, conn.execute(
            "SELECT question_id, COUNT(*), COALESCE(SUM(correct), 0) FROM asks "
            "WHERE user_id = ? AND status = 'answered' GROUP BY question_id",
            (user_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [QuestionCount(r[0], r[1], r[2]) for r in rows]

    async def history(self, user_id: int) -> list[HistoryRow]:
        """Per question: answers given, whether the latest was right, when it was last asked."""
        async with self.db.read() as conn, conn.execute(
            "SELECT question_id, SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END) AS answered, "
            "MAX(asked_at) AS last_asked, "
            " (SELECT correct FROM asks a2 WHERE a2.user_id = a.user_id AND a2.question_id = a.question_id "
            "  AND a2.status = 'answered' ORDER BY a2.id DESC LIMIT 1) AS last_correct "
            "FROM asks a WHERE user_id = ? GROUP BY user_id, question_id",
            (user_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [
            HistoryRow(
                r["question_id"],
                r["answered"] or 0,
                None if r["last_correct"] is None else bool(r["last_correct"]),
                from_iso(r["last_asked"]),
            )
            for r in rows
        ]
