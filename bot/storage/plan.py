"""Queries for plans to exam day, the review log, learners' memory models, the plan's own messages and outcomes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.plan import MAX_THINKING
from bot.storage.db import Database
from bot.storage.replicas import ALIVE, Replica
from bot.storage.repo import iso

_CHUNK = 500
RECENT_TIMES = 100  # answer times per user that the time per question is measured from


@dataclass(frozen=True)
class LoggedReview:
    question_id: str
    at: datetime
    rating: int
    elapsed_days: int | None


@dataclass(frozen=True)
class FirstAndLater:
    """One question's answers split into the first one and the reviews after it."""

    question_id: str
    first_right: bool | None  # None: its first answer predates the review log
    later: int
    later_right: int


@dataclass(frozen=True)
class ModelRow:
    fitted_at: datetime
    reviews: int
    outcome: str  # too_few | own | default_better
    own_log_loss: float | None
    default_log_loss: float | None
    own_rmse: float | None
    default_rmse: float | None


@dataclass(frozen=True)
class PlanEvent:
    user_id: int
    exam_date: str
    kind: str  # eve | outcome
    status: str


@dataclass(frozen=True)
class OutcomeCount:
    outcome: str | None  # None: asked, not answered
    count: int
    forecast_pass: int  # of them, how many the plan's forecast said would pass


Card = tuple[str, str, datetime, int]  # (question id, card JSON, due, reviews it was rebuilt from)


async def _rewrite_cards(conn, user_id: int, cards: Sequence[Card]) -> int:
    """Store rescheduled cards; a card answered again meanwhile (its review count moved on) keeps its newer
    state. Returns how many were rewritten."""
    changed = 0
    for qid, card, due, reviews in cards:
        cur = await conn.execute(
            "UPDATE cards SET card = ?, due = ? WHERE user_id = ? AND question_id = ? AND reviews = ?",
            (card, iso(due), user_id, qid, reviews),
        )
        changed += cur.rowcount
    return changed


class PlanRepo:
    def __init__(self, db: Database, replica: Replica | None = None):
        self.db = db
        self.replica = replica or Replica(db)

    # --- the plan's settings --------------------------------------------------------------------

    async def set_plan(self, user_id: int, exam_date: str | None, events: Sequence[tuple[str, datetime]]) -> None:
        """Set (or clear, with None) the exam date and the plan's messages for it, in one transaction.

        A message already sent for that date stays sent: setting the same date again repeats nothing.
        """
        async with self.db.tx() as conn:
            await conn.execute("UPDATE users SET exam_date = ? WHERE id = ?", (exam_date, user_id))
            await conn.execute("DELETE FROM plan_events WHERE user_id = ? AND status = 'pending'", (user_id,))
            if exam_date is not None:
                await conn.executemany(
                    "INSERT INTO plan_events (user_id, exam_date, kind, due_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (user_id, exam_date, kind) DO NOTHING",
                    [(user_id, exam_date, kind, iso(at)) for kind, at in events],
                )

    async def end_plan(self, user_id: int, exam_date: str) -> bool:
        """End the plan for that date; False when the user's plan is no longer for it (a stale button)."""
        async with self.db.tx() as conn:
            cur = await conn.execute("UPDATE users SET exam_date = NULL WHERE id = ? AND exam_date = ?",
                                     (user_id, exam_date))
            if cur.rowcount != 1:
                return False
            await conn.execute("DELETE FROM plan_events WHERE user_id = ? AND status = 'pending'", (user_id,))
            return True

    async def move_events(self, user_id: int, exam_date: str, events: Sequence[tuple[str, datetime]]) -> None:
        """New times for the plan's pending messages (the user moved to another time zone or drill time)."""
        async with self.db.tx() as conn:
            await conn.executemany(
                "UPDATE plan_events SET due_at = ? WHERE user_id = ? AND exam_date = ? AND kind = ? "
                "AND status = 'pending'",
                [(iso(at), user_id, exam_date, kind) for kind, at in events],
            )

    async def set_minutes(self, user_id: int, minutes: int) -> None:
        async with self.db.tx() as conn:
            await conn.execute("UPDATE users SET plan_minutes = ? WHERE id = ?", (minutes, user_id))

    async def today_drill(self, user_id: int, day: str) -> tuple[int, int] | None:
        """(answered, size) of the user's latest daily drill of that local day, if there is one."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT position, questions FROM drills WHERE user_id = ? AND day = ? AND kind = 'daily' "
                "ORDER BY id DESC LIMIT 1", (user_id, day))
        return (rows[0][0], len(json.loads(rows[0][1]))) if rows else None

    # --- the review log -----------------------------------------------------------------------------

    async def answer_seconds(self, user_ids: Sequence[int]) -> dict[int, list[float]]:
        """Each user's latest answer times (seconds from the question to the answer; longer ones were breaks)."""
        found: dict[int, list[float]] = {}
        async with self.db.read() as conn:
            for start in range(0, len(user_ids), _CHUNK):
                chunk = list(user_ids[start : start + _CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = await conn.execute_fetchall(
                    "SELECT user_id, seconds FROM (SELECT user_id, seconds, ROW_NUMBER() OVER "  # noqa: S608
                    f"(PARTITION BY user_id ORDER BY id DESC) AS n FROM reviews WHERE user_id IN ({marks}) "
                    "AND seconds > 0 AND seconds <= ?) AS latest WHERE n <= ?",
                    [*chunk, MAX_THINKING, RECENT_TIMES],
                )
                for r in rows:
                    found.setdefault(r[0], []).append(float(r[1]))
        return found

    async def review_log(self, user_id: int) -> list[LoggedReview]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT question_id, reviewed_at, rating, elapsed_days FROM reviews WHERE user_id = ? "
                "ORDER BY reviewed_at, id",
                (user_id,),
            )
        return [LoggedReview(r[0], datetime.fromisoformat(r[1]), r[2], r[3]) for r in rows]

    async def first_and_later(self, user_id: int) -> list[FirstAndLater]:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                # Later: a review on a later day (the same day's second try says little about memory).
                "SELECT question_id, MAX(CASE WHEN elapsed_days IS NULL THEN rating END), "
                "SUM(CASE WHEN elapsed_days > 0 THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN elapsed_days > 0 AND rating > 1 THEN 1 ELSE 0 END) "
                "FROM reviews WHERE user_id = ? GROUP BY question_id",
                (user_id,),
            )
        return [FirstAndLater(r[0], None if r[1] is None else r[1] > 1, r[2], r[3]) for r in rows]

    async def cards(self, user_id: int) -> list[tuple[str, str, datetime, int]]:
        """(question id, card JSON, due, reviews) of each of the user's cards."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT question_id, card, due, reviews FROM cards WHERE user_id = ?", (user_id,))
        return [(r[0], r[1], datetime.fromisoformat(r[2]), r[3]) for r in rows]

    async def set_retention(self, user_id: int, retention: float, cards: Sequence[Card]) -> int:
        """Store the retention and the cards rescheduled with it, together; returns the cards rewritten."""
        async with self.db.tx() as conn:
            await conn.execute("UPDATE users SET retention = ? WHERE id = ?", (retention, user_id))
            return await _rewrite_cards(conn, user_id, cards)

    async def claim_fits(self, now: datetime, lease_until: datetime, limit: int) -> list[int]:
        """Users whose memory model is due for a (re)fit, leased to this process until `lease_until`."""
        async with self.db.tx() as conn:
            rows = await conn.execute_fetchall(
                # The condition again outside the subquery: on PostgreSQL a row another process claimed
                # meanwhile is checked afresh after its lock, and skipped (the subquery alone is not rechecked).
                "UPDATE users SET next_fit_at = ? WHERE id IN (SELECT id FROM users WHERE next_fit_at <= ? "
                "ORDER BY next_fit_at LIMIT ?) AND next_fit_at <= ? RETURNING id",
                (iso(lease_until), iso(now), limit, iso(now)),
            )
        return [r[0] for r in rows]

    async def save_fit(self, user_id: int, row: ModelRow, params: Sequence[float] | None,
                       next_fit_at: datetime, cards: Sequence[Card] = ()) -> None:
        """Store a fit, the parameters it gave and the cards rescheduled with them, in one transaction."""
        async with self.db.tx() as conn:
            await _rewrite_cards(conn, user_id, cards)
            await conn.execute(
                "INSERT INTO memory_models (user_id, fitted_at, reviews, outcome, own_log_loss, default_log_loss, "
                "own_rmse, default_rmse) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "fitted_at = excluded.fitted_at, reviews = excluded.reviews, outcome = excluded.outcome, "
                "own_log_loss = excluded.own_log_loss, default_log_loss = excluded.default_log_loss, "
                "own_rmse = excluded.own_rmse, default_rmse = excluded.default_rmse",
                (user_id, iso(row.fitted_at), row.reviews, row.outcome, row.own_log_loss, row.default_log_loss,
                 row.own_rmse, row.default_rmse),
            )
            await conn.execute(
                "UPDATE users SET memory_params = ?, next_fit_at = ? WHERE id = ?",
                (json.dumps(list(params)) if params is not None else None, iso(next_fit_at), user_id),
            )

    async def model_row(self, user_id: int) -> ModelRow | None:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT fitted_at, reviews, outcome, own_log_loss, default_log_loss, own_rmse, default_rmse "
                "FROM memory_models WHERE user_id = ?", (user_id,))
        if not rows:
            return None
        r = rows[0]
        return ModelRow(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5], r[6])

    # --- the plan's own messages ----------------------------------------------------------------------

    async def claim_events(self, now: datetime, limit: int) -> list[PlanEvent]:
        """Claim the plan messages that are due; each is claimed once, whichever process asks."""
        async with self.db.tx() as conn:
            rows = await conn.execute_fetchall(
                "UPDATE plan_events SET status = 'claimed', claimed_at = ?, claimed_by = ? "
                "WHERE (user_id, exam_date, kind) IN "
                "(SELECT user_id, exam_date, kind FROM plan_events WHERE status = 'pending' AND due_at <= ? "
                "ORDER BY due_at LIMIT ?) AND status = 'pending' "  # rechecked: see claim_fits
                "RETURNING user_id, exam_date, kind, status",
                (iso(now), self.replica.id, iso(now), limit),
            )
        return [PlanEvent(*r) for r in rows]

    async def claimed_events(self, limit: int) -> list[PlanEvent]:
        """Messages claimed but not finished, taken over for this process: its own (sending failed) and those of
        replicas that stopped beating. A live replica's are left to it."""
        me, alive_after = self.replica.id, self.replica.alive_after()
        mine = f"(claimed_by IS NULL OR claimed_by = ? OR claimed_by NOT IN ({ALIVE}))"
        async with self.db.tx() as conn:
            rows = await conn.execute_fetchall(
                f"UPDATE plan_events SET claimed_by = ? WHERE status = 'claimed' AND {mine} "  # noqa: S608
                "AND (user_id, exam_date, kind) IN (SELECT user_id, exam_date, kind FROM plan_events "
                f"WHERE status = 'claimed' AND {mine} ORDER BY claimed_at LIMIT ?) "
                "RETURNING user_id, exam_date, kind, status, claimed_at",
                (me, me, alive_after, me, alive_after, limit))
        return [PlanEvent(*r[:4]) for r in sorted(rows, key=lambda r: (r[4], r[0]))]

    async def finish_event(self, event: PlanEvent, status: str, now: datetime) -> None:
        async with self.db.tx() as conn:
            await conn.execute(
                "UPDATE plan_events SET status = ?, sent_at = ? WHERE user_id = ? AND exam_date = ? AND kind = ?",
                (status, iso(now), event.user_id, event.exam_date, event.kind),
            )

    async def keep_forecast(self, event: PlanEvent, forecast: int | None) -> None:
        async with self.db.tx() as conn:
            await conn.execute(
                "UPDATE plan_events SET forecast = ? WHERE user_id = ? AND exam_date = ? AND kind = ?",
                (forecast, event.user_id, event.exam_date, event.kind),
            )

    async def eve_forecast(self, user_id: int, exam_date: str) -> int | None:
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT forecast FROM plan_events WHERE user_id = ? AND exam_date = ? AND kind = 'eve'",
                (user_id, exam_date))
        return rows[0][0] if rows else None

    # --- outcomes -------------------------------------------------------------------------------------

    async def ask_outcome(self, user_id: int, exam_date: str, exam: str, predicted: int | None,
                          now: datetime) -> None:
        async with self.db.tx() as conn:
            await conn.execute(
                "INSERT INTO exam_outcomes (user_id, exam_date, exam, predicted, asked_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id, exam_date) DO NOTHING",
                (user_id, exam_date, exam, predicted, iso(now)),
            )

    async def record_outcome(self, user_id: int, exam_date: str, exam: str, outcome: str,
                             now: datetime) -> str | None:
        """Record how the exam went (the first answer counts); returns the outcome on record, None when that
        exam was neither asked about nor the user's planned date. The plan ends with it."""
        async with self.db.tx() as conn:
            # Asked about (a row exists) or their planned date, answered from /plan before the question came.
            await conn.execute(
                "INSERT INTO exam_outcomes (user_id, exam_date, exam, outcome, asked_at, answered_at) "
                "SELECT id, exam_date, ?, ?, ?, ? FROM users WHERE id = ? AND exam_date = ? "
                "ON CONFLICT (user_id, exam_date) DO NOTHING",
                (exam, outcome, iso(now), iso(now), user_id, exam_date),
            )
            await conn.execute(
                "UPDATE exam_outcomes SET outcome = ?, answered_at = ? WHERE user_id = ? AND exam_date = ? "
                "AND outcome IS NULL",
                (outcome, iso(now), user_id, exam_date),
            )
            rows = await conn.execute_fetchall(
                "SELECT outcome FROM exam_outcomes WHERE user_id = ? AND exam_date = ?", (user_id, exam_date))
            await conn.execute(
                "UPDATE users SET exam_date = NULL WHERE id = ? AND exam_date = ?", (user_id, exam_date))
            # The question after the exam is no longer needed once it is answered.
            await conn.execute(
                "UPDATE plan_events SET status = 'skipped' WHERE user_id = ? AND exam_date = ? AND status = 'pending'",
                (user_id, exam_date),
            )
        return rows[0][0] if rows else None

    async def outcome_counts(self, pass_marks: dict[str, int]) -> list[OutcomeCount]:
        """Outcomes so far, and how many of each the plan's forecast had at or above the exam's pass mark."""
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall("SELECT exam, predicted, outcome FROM exam_outcomes")
        counts: dict[str | None, list[int]] = {}
        for exam, predicted, outcome in rows:
            tally = counts.setdefault(outcome, [0, 0])
            tally[0] += 1
            tally[1] += int(predicted is not None and predicted >= pass_marks.get(exam, 720))
        return [OutcomeCount(o, n, p) for o, (n, p) in counts.items()]
