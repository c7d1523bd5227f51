"""Queries for study runs (topic drills, reviews, mistakes), problem reports, and a user's own data."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database
from bot.storage.dialect import quote, tables
from bot.storage.repo import from_iso, iso


@dataclass(frozen=True)
class StudyDrill:
    id: int
    user_id: int
    kind: str
    label: str | None
    questions: tuple[str, ...]
    position: int
    skipped: int
    started_at: datetime
    finished_at: datetime | None

    @property
    def current(self) -> str | None:
        return self.questions[self.position] if self.position < len(self.questions) else None


def _drill(row) -> StudyDrill:
    return StudyDrill(row["id"], row["user_id"], row["kind"], row["label"], tuple(json.loads(row["questions"])),
                      row["position"], row["skipped"], from_iso(row["started_at"]),
                      from_iso(row["finished_at"]) if row["finished_at"] else None)


@dataclass(frozen=True)
class TopicScore:
    answered: int
    correct: int


@dataclass(frozen=True)
class ReportCount:
    question_id: str
    total: int
    by_reason: dict[str, int]
    last_at: datetime


async def _user_tables(conn) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    """Every table with a user_id column, and (table, column, parent, parent key) for each table without one
    that has a foreign key into such a table: that key says whose its rows are (one such key is enough).
    Read from the schema itself, so that tables added later are included."""
    schema = await tables(conn)
    users_tables = [name for name, (columns, _) in schema.items() if "user_id" in columns]
    children = []
    for name, (_, keys) in schema.items():
        if name in users_tables or name in ("users", "schema_migrations"):
            continue
        owned = [(column, parent, key) for column, parent, key in keys if parent in users_tables]
        if owned:
            column, parent, key = owned[0]
            children.append((name, column, parent, key))
    return users_tables, children


class StudyRepo:
    def __init__(self, db: Database):
        self.db = db

    # --- runs -------------------------------------------------------------------------

    async def start(self, user_id: int, kind: str, label: str | None, day: str, questions: Sequence[str],
                    now: datetime) -> int:
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "INSERT INTO drills (user_id, kind, label, day, questions, started_at) VALUES (?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                (user_id, kind, label, day, json.dumps(list(questions)), iso(now)),
            )
            return int((await cur.fetchone())[0])

    async def get(self, drill_id: int) -> StudyDrill | None:
        async with self.db.read() as conn, conn.execute("SELECT * FROM drills WHERE id = ?", (drill_id,)) as cur:
            row = await cur.fetchone()
        return _drill(row) if row else None

    async def advance(self, drill_id: int, expected_position: int, now: datetime, *, again: str | None = None,
                      skip_ask: int | None = None) -> bool:
        """Move past the current question, in one transaction; False if another update already did.

        `again` appends a question to the end of the run (a mistake comes back later); `skip_ask`
        closes that ask unanswered and counts a skip (no answer, no FSRS review). An ask already
        closed unanswered (a typed-answer question replaced by a /quiz question) can be skipped too.
        """
        try:
            async with self.db.tx() as conn:
                await self._advance(conn, drill_id, expected_position, now, again, skip_ask)
        except _Lost:
            return False
        return True

    @staticmethod
    async def _advance(conn, drill_id: int, expected_position: int, now: datetime, again: str | None,
                       skip_ask: int | None) -> None:
        if skip_ask is not None:
            cur = await conn.execute(
                "UPDATE asks SET status = 'expired' WHERE id = ? AND drill_id = ? AND status IN ('open', 'expired')",
                (skip_ask, drill_id),
            )
            if cur.rowcount != 1:
                raise _Lost
        if again is not None:  # the question comes back at the end of the run
            rows = await conn.execute_fetchall(
                "SELECT questions FROM drills WHERE id = ? AND finished_at IS NULL", (drill_id,))
            if rows:
                await conn.execute("UPDATE drills SET questions = ? WHERE id = ?",
                                   (json.dumps([*json.loads(rows[0][0]), again]), drill_id))
        cur = await conn.execute(
            "UPDATE drills SET position = position + 1, skipped = skipped + ?, "
            "finished_at = CASE WHEN position + 1 >= json_array_length(questions) THEN ? ELSE NULL END "
            "WHERE id = ? AND position = ? AND finished_at IS NULL",
            (1 if skip_ask is not None else 0, iso(now), drill_id, expected_position),
        )
        if cur.rowcount != 1:
            raise _Lost

    async def stop(self, drill_id: int, user_id: int, now: datetime) -> bool:
        """End a run early: its open question is closed unanswered. False if it had already ended."""
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE drills SET finished_at = ? WHERE id = ? AND user_id = ? AND finished_at IS NULL",
                (iso(now), drill_id, user_id),
            )
            if cur.rowcount != 1:
                return False
            await conn.execute("UPDATE asks SET status = 'expired' WHERE drill_id = ? AND status = 'open'", (drill_id,))
            return True

    async def stop_unfinished(self, user_id: int, kinds: Sequence[str], now: datetime) -> int:
        """End the user's unfinished runs of these kinds and close their open questions; returns how many ended."""
        marks = ", ".join("?" for _ in kinds)
        async with self.db.tx() as conn:
            cur = await conn.execute(
                f"UPDATE drills SET finished_at = ? WHERE user_id = ? AND finished_at IS NULL AND kind IN ({marks}) "  # noqa: S608
                "RETURNING id",
                (iso(now), user_id, *kinds),
            )
            ids = [r[0] for r in await cur.fetchall()]
            await cur.close()
            for drill_id in ids:
                await conn.execute("UPDATE asks SET status = 'expired' WHERE drill_id = ? AND status = 'open'",
                                   (drill_id,))
            return len(ids)

    async def reopen_closed_fill(self, user_id: int, kinds: Sequence[str]) -> int | None:
        """Reopen the typed-answer question of the user's unfinished run that a newer question closed unanswered.

        Only the run's newest ask, only while it is still the run's current question (a skip moves the
        run on and asks the next one). Returns the reopened ask's id, or None.
        """
        marks = ", ".join("?" for _ in kinds)
        async with self.db.tx() as conn:
            async with conn.execute(
                "SELECT a.id, a.question_id, d.questions, d.position "  # noqa: S608 (placeholders only)
                "FROM asks a JOIN drills d ON d.id = a.drill_id "
                f"WHERE a.user_id = ? AND d.finished_at IS NULL AND d.kind IN ({marks}) AND a.kind = 'fill' "
                "AND a.status = 'expired' AND a.id = (SELECT MAX(id) FROM asks WHERE drill_id = d.id) "
                "ORDER BY a.id DESC LIMIT 1",
                (user_id, *kinds),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            questions, position = json.loads(row["questions"]), row["position"]
            if position >= len(questions) or questions[position] != row["question_id"]:
                return None
            cur = await conn.execute("UPDATE asks SET status = 'open' WHERE id = ? AND status = 'expired'",
                                     (row["id"],))
            return row["id"] if cur.rowcount == 1 else None

    async def results(self, drill_id: int) -> list[tuple[str, bool]]:
        """(question id, correct) for every answer given in the run, in order."""
        async with self.db.read() as conn, conn.execute(
            "SELECT question_id, correct FROM asks WHERE drill_id = ? AND status = 'answered' ORDER BY id", (drill_id,)
        ) as cur:
            return [(r[0], bool(r[1])) for r in await cur.fetchall()]

    async def open_ask(self, drill_id: int) -> int | None:
        """The run's newest ask, if still open."""
        async with self.db.read() as conn, conn.execute(
            "SELECT id FROM asks WHERE drill_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1", (drill_id,)
        ) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    # --- what to study -----------------------------------------------------------------

    async def topic_scores(self, user_id: int) -> dict[str, TopicScore]:
        async with self.db.read() as conn, conn.execute(
            "SELECT topic, COUNT(*), COALESCE(SUM(correct), 0) FROM asks WHERE user_id = ? AND status = 'answered' "
            "GROUP BY topic",
            (user_id,),
        ) as cur:
            return {r[0]: TopicScore(r[1], r[2]) for r in await cur.fetchall()}

    async def due(self, user_id: int, now: datetime, limit: int,
                  keep: Callable[[str], bool] = lambda _: True) -> tuple[list[str], int]:
        """Question ids due for review now that `keep` accepts (the user's exam), most overdue first (at most
        `limit`), and how many such are due. A user has at most one card per question in the bank."""
        async with self.db.read() as conn, conn.execute(
            "SELECT question_id FROM cards WHERE user_id = ? AND due <= ? ORDER BY due, question_id",
            (user_id, iso(now)),
        ) as cur:
            ids = [r[0] for r in await cur.fetchall() if keep(r[0])]
        return ids[:limit], len(ids)

    async def next_due(self, user_id: int) -> tuple[datetime | None, int]:
        """When the user's next review falls due, and how many cards they have."""
        async with self.db.read() as conn, conn.execute(
            "SELECT MIN(due), COUNT(*) FROM cards WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return (from_iso(row[0]) if row[0] else None), int(row[1])

    async def last_wrong(self, user_id: int) -> list[str]:
        """Questions whose latest answer was wrong, the most recently missed first."""
        async with self.db.read() as conn, conn.execute(
            "SELECT question_id FROM ("
            " SELECT id, question_id, correct, answered_at, ROW_NUMBER() OVER ("
            "  PARTITION BY question_id ORDER BY answered_at DESC, id DESC) AS rn "
            " FROM asks WHERE user_id = ? AND status = 'answered') AS latest "
            "WHERE rn = 1 AND correct = 0 ORDER BY answered_at DESC, id DESC",
            (user_id,),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    # --- reports ---------------------------------------------------------------------------

    async def add_report(self, user_id: int, question_id: str, reason: str, now: datetime) -> bool:
        """Store a report; False if this user already reported this question for this reason."""
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "INSERT INTO reports (user_id, question_id, reason, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (user_id, question_id, reason, iso(now)),
            )
            return cur.rowcount == 1

    async def report_counts(self) -> list[ReportCount]:
        """Reports per question, the most reported first."""
        async with self.db.read() as conn, conn.execute(
            "SELECT question_id, reason, COUNT(*), MAX(created_at) FROM reports GROUP BY question_id, reason"
        ) as cur:
            rows = await cur.fetchall()
        per: dict[str, dict[str, int]] = {}
        last: dict[str, str] = {}
        for qid, reason, n, at in rows:
            per.setdefault(qid, {})[reason] = n
            last[qid] = max(last.get(qid, at), at)
        counts = [ReportCount(q, sum(r.values()), r, from_iso(last[q])) for q, r in per.items()]
        counts.sort(key=lambda c: (-c.total, c.question_id))
        return counts

    # --- a user's own data ----------------------------------------------------------------

    async def export(self, user_id: int) -> dict[str, list[dict]]:
        """Every row about the user: their users row and their rows in each table with a user_id column."""
        async with self.db.read() as conn:
            out: dict[str, list[dict]] = {}
            async with conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)) as cur:
                out["users"] = [dict(r) for r in await cur.fetchall()]
            users_tables, children = await _user_tables(conn)
            for table in users_tables:
                sql = f"SELECT * FROM {quote(table)} WHERE user_id = ?"  # noqa: S608 (names from the schema)
                async with conn.execute(sql, (user_id,)) as cur:
                    out[table] = [dict(r) for r in await cur.fetchall()]
            # Rows with no user_id of their own that belong to one of the user's rows (an exam's items).
            for table, column, parent, key in children:
                async with conn.execute(
                    f"SELECT * FROM {quote(table)} WHERE {quote(column)} IN "  # noqa: S608 (names from the schema)
                    f"(SELECT {quote(key)} FROM {quote(parent)} WHERE user_id = ?)", (user_id,)
                ) as cur:
                    out[table] = [dict(r) for r in await cur.fetchall()]
        return out

    async def forget(self, user_id: int) -> dict[str, int]:
        """Delete every row about the user in one transaction; returns rows deleted per table."""
        deleted: dict[str, int] = {}
        async with self.db.tx() as conn:
            # No deferred foreign keys: every reference is ON DELETE CASCADE or SET NULL, so each delete
            # leaves the database consistent, and this transaction shares its COMMIT with others.
            for table in (await _user_tables(conn))[0]:
                sql = f"DELETE FROM {quote(table)} WHERE user_id = ?"  # noqa: S608 (names from the schema)
                cur = await conn.execute(sql, (user_id,))
                deleted[table] = cur.rowcount
            # A column that names a user without a foreign key: who started a group round (the round stays).
            cur = await conn.execute("UPDATE rounds SET started_by = NULL WHERE started_by = ?", (user_id,))
            deleted["rounds.started_by"] = cur.rowcount
            cur = await conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
            deleted["users"] = cur.rowcount
        return deleted


class _Lost(Exception):
    """Another update moved the run on first."""
