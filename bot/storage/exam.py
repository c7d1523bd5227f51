"""Mock exams and the readiness inputs. Every value is bound with `?`; multi-step writes are one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database
from bot.storage.dialect import INTEGRITY_ERRORS
from bot.storage.repo import NewAsk, from_iso, insert_ask, iso


@dataclass(frozen=True)
class Exam:
    id: int
    user_id: int
    chat_id: int
    size: int
    limit_seconds: int
    status: str  # running | paused | finished
    position: int
    used_seconds: float
    resumed_at: datetime | None
    deadline: datetime | None
    started_at: datetime
    finished_at: datetime | None
    timed_out: bool
    correct: int | None
    score: int | None
    result: dict | None
    exam_code: str | None = None  # which exam it was a mock of (exams.yaml)


def _exam(row) -> Exam:
    return Exam(
        id=row["id"], user_id=row["user_id"], chat_id=row["chat_id"], size=row["size"],
        limit_seconds=row["limit_seconds"], status=row["status"], position=row["position"],
        used_seconds=row["used_seconds"],
        resumed_at=from_iso(row["resumed_at"]) if row["resumed_at"] else None,
        deadline=from_iso(row["deadline"]) if row["deadline"] else None,
        started_at=from_iso(row["started_at"]),
        finished_at=from_iso(row["finished_at"]) if row["finished_at"] else None,
        timed_out=bool(row["timed_out"]), correct=row["correct"], score=row["score"],
        result=json.loads(row["result"]) if row["result"] else None,
        exam_code=row["exam_code"],
    )


@dataclass(frozen=True)
class Item:
    """One question of an exam, with the state of its ask."""

    position: int
    ask_id: int
    question_id: str
    domain: str
    option_order: tuple[int, ...]
    selected: tuple[int, ...]
    flagged: bool
    status: str  # the ask's: open | answered | expired
    correct: bool | None


_ITEM_SQL = (
    "SELECT i.position, i.ask_id, i.flagged, a.question_id, a.domain, a.option_order, a.selected, a.status, "
    "a.correct FROM exam_items i JOIN asks a ON a.id = i.ask_id WHERE i.exam_id = ?"
)


def _item(row) -> Item:
    return Item(
        position=row["position"], ask_id=row["ask_id"], question_id=row["question_id"], domain=row["domain"],
        option_order=tuple(json.loads(row["option_order"])) if row["option_order"] else (),
        selected=tuple(json.loads(row["selected"])), flagged=bool(row["flagged"]), status=row["status"],
        correct=None if row["correct"] is None else bool(row["correct"]),
    )


@dataclass(frozen=True)
class KnownRow:
    question_id: str
    domain: str
    card_json: str
    last_correct: bool


class ExamRepo:
    def __init__(self, db: Database):
        self.db = db

    # --- exams --------------------------------------------------------------------------

    async def create(self, user_id: int, chat_id: int, asks: Sequence[NewAsk], limit_seconds: int,
                     deadline: datetime, now: datetime, exam_code: str) -> int | None:
        """The exam, its asks and its items in one transaction; None if the user already has an open exam."""
        try:
            async with self.db.tx() as conn:
                cur = await conn.execute(
                    "INSERT INTO exams (user_id, chat_id, size, limit_seconds, status, resumed_at, deadline, "
                    "started_at, exam_code) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?) RETURNING id",
                    (user_id, chat_id, len(asks), limit_seconds, iso(now), iso(deadline), iso(now), exam_code),
                )
                exam_id = int((await cur.fetchone())[0])
                for position, ask in enumerate(asks):
                    ask_id = await insert_ask(conn, ask, now)
                    await conn.execute("INSERT INTO exam_items (exam_id, position, ask_id) VALUES (?, ?, ?)",
                                       (exam_id, position, ask_id))
                return exam_id
        except INTEGRITY_ERRORS:  # exams_one_open: a second /exam raced the first
            return None

    async def get(self, exam_id: int) -> Exam | None:
        async with self.db.read() as conn, conn.execute("SELECT * FROM exams WHERE id = ?", (exam_id,)) as cur:
            row = await cur.fetchone()
        return _exam(row) if row else None

    async def open_exam(self, user_id: int) -> Exam | None:
        async with self.db.read() as conn, conn.execute(
            "SELECT * FROM exams WHERE user_id = ? AND status IN ('running', 'paused')", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return _exam(row) if row else None

    async def finished(self, user_id: int, limit: int) -> list[Exam]:
        async with self.db.read() as conn, conn.execute(
            "SELECT * FROM exams WHERE user_id = ? AND status = 'finished' ORDER BY id DESC LIMIT ?", (user_id, limit)
        ) as cur:
            return [_exam(r) for r in await cur.fetchall()]

    async def past_questions(self, user_id: int) -> set[str]:
        """Every question the user's earlier mock exams asked: a new mock draws others first."""
        async with self.db.read() as conn, conn.execute(
            "SELECT DISTINCT a.question_id FROM exams e JOIN exam_items i ON i.exam_id = e.id "
            "JOIN asks a ON a.id = i.ask_id WHERE e.user_id = ?", (user_id,)
        ) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def due(self, now: datetime, limit: int) -> list[Exam]:
        """Running exams whose time ran out, and finished ones whose scoring was interrupted."""
        async with self.db.read() as conn, conn.execute(
            "SELECT * FROM exams WHERE (status = 'running' AND deadline <= ?) "
            "OR (status = 'finished' AND score IS NULL) "
            "ORDER BY id LIMIT ?",
            (iso(now), limit),
        ) as cur:
            return [_exam(r) for r in await cur.fetchall()]

    async def set_position(self, exam_id: int, position: int) -> None:
        async with self.db.tx() as conn:
            await conn.execute("UPDATE exams SET position = ? WHERE id = ? AND status = 'running'", (position, exam_id))

    async def set_clock(self, exam_id: int, from_status: str, status: str, used_seconds: float,
                        resumed_at: datetime | None, deadline: datetime | None) -> bool:
        """Pause or resume; False if the exam was no longer in `from_status` (a double tap, or it ended)."""
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE exams SET status = ?, used_seconds = ?, resumed_at = ?, deadline = ? "
                "WHERE id = ? AND status = ?",
                (status, used_seconds, iso(resumed_at) if resumed_at else None, iso(deadline) if deadline else None,
                 exam_id, from_status),
            )
            return cur.rowcount == 1

    async def close(self, exam_id: int, used_seconds: float, timed_out: bool, now: datetime) -> bool:
        """Mark the exam finished (answers can no longer change); True only for the one caller that did it."""
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE exams SET status = 'finished', finished_at = ?, used_seconds = ?, timed_out = ?, "
                "resumed_at = NULL, deadline = NULL WHERE id = ? AND status IN ('running', 'paused')",
                (iso(now), used_seconds, int(timed_out), exam_id),
            )
            return cur.rowcount == 1

    async def save_score(self, exam_id: int, correct: int, score: int, result: dict) -> None:
        """The score, after expiring the asks left unanswered (they count as wrong, and never as answers)."""
        async with self.db.tx() as conn:
            await conn.execute(
                "UPDATE asks SET status = 'expired' WHERE status = 'open' AND id IN "
                "(SELECT ask_id FROM exam_items WHERE exam_id = ?)",
                (exam_id,),
            )
            await conn.execute("UPDATE exams SET correct = ?, score = ?, result = ? WHERE id = ?",
                               (correct, score, json.dumps(result), exam_id))

    # --- items --------------------------------------------------------------------------

    async def items(self, exam_id: int) -> list[Item]:
        async with self.db.read() as conn, conn.execute(_ITEM_SQL + " ORDER BY i.position", (exam_id,)) as cur:
            return [_item(r) for r in await cur.fetchall()]

    async def item(self, exam_id: int, position: int) -> Item | None:
        async with self.db.read() as conn, conn.execute(_ITEM_SQL + " AND i.position = ?", (exam_id, position)) as cur:
            row = await cur.fetchone()
        return _item(row) if row else None

    async def place_of_ask(self, ask_id: int) -> tuple[int, int] | None:
        """(exam id, position) of an exam question's ask; None if the ask is not part of an exam."""
        async with self.db.read() as conn, conn.execute(
            "SELECT exam_id, position FROM exam_items WHERE ask_id = ?", (ask_id,)
        ) as cur:
            row = await cur.fetchone()
        return (row[0], row[1]) if row else None

    async def select(self, exam_id: int, position: int, selected: Sequence[int], move_to: int | None) -> bool:
        """Store the ticked options of one question (and move on); False unless the exam is running."""
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE asks SET selected = ? WHERE status = 'open' AND id = "
                "(SELECT i.ask_id FROM exam_items i JOIN exams e ON e.id = i.exam_id "
                " WHERE i.exam_id = ? AND i.position = ? AND e.status = 'running')",
                (json.dumps(list(selected)), exam_id, position),  # an ordering's order matters
            )
            if cur.rowcount != 1:
                return False
            if move_to is not None:
                await conn.execute("UPDATE exams SET position = ? WHERE id = ?", (move_to, exam_id))
            return True

    async def toggle_flag(self, exam_id: int, position: int) -> None:
        async with self.db.tx() as conn:
            await conn.execute("UPDATE exam_items SET flagged = 1 - flagged WHERE exam_id = ? AND position = ?",
                               (exam_id, position))

    # --- readiness ----------------------------------------------------------------------

    async def known(self, user_id: int) -> list[KnownRow]:
        """Every question the user has a card for, with its domain and whether the latest answer was right."""
        async with self.db.read() as conn, conn.execute(
            "SELECT c.question_id, c.card, a.domain, a.correct FROM cards c "
            "JOIN asks a ON a.id = (SELECT a2.id FROM asks a2 WHERE a2.user_id = c.user_id "
            "  AND a2.question_id = c.question_id AND a2.status = 'answered' "
            "  ORDER BY a2.answered_at DESC, a2.id DESC LIMIT 1) "
            "WHERE c.user_id = ?",
            (user_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [KnownRow(r["question_id"], r["domain"], r["card"], bool(r["correct"])) for r in rows]

    async def days(self, user_id: int, since: str) -> list[tuple[str, int, int, int]]:
        """(day, answered, correct, goal) for each local day from `since` (YYYY-MM-DD) on."""
        async with self.db.read() as conn, conn.execute(
            "SELECT day, answered, correct, goal FROM days WHERE user_id = ? AND day >= ? ORDER BY day",
            (user_id, since),
        ) as cur:
            return [(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()]

    async def met_days(self, user_id: int) -> list[str]:
        async with self.db.read() as conn, conn.execute(
            "SELECT day FROM days WHERE user_id = ? AND answered >= goal ORDER BY day", (user_id,)
        ) as cur:
            return [r[0] for r in await cur.fetchall()]
