"""The review log (migrations/0009_plans.sql): one row per answer that moved a card, written in the same
transaction as the card by private answers (repo.py) and group answers (groups.py) alike."""

from __future__ import annotations

from datetime import datetime

from bot.domain.memory import Memory
from bot.domain.tuning import MIN_REVIEWS

REVIEW_INSERT = (
    "INSERT INTO reviews (user_id, question_id, ask_id, reviewed_at, rating, elapsed_days, seconds) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# One more review; the first time a user has enough for a memory model of their own, it is fitted soon.
REVIEW_COUNT = (
    "UPDATE users SET reviews = reviews + 1, next_fit_at = CASE WHEN next_fit_at IS NULL AND reviews + 1 >= ? "
    "THEN ? ELSE next_fit_at END WHERE id = ?"
)


def review_row(user_id: int, question_id: str, ask_id: int, now: datetime, memory: Memory,
               seconds: float | None) -> tuple:
    return (user_id, question_id, ask_id, now.isoformat(), memory.rating, memory.elapsed_days,
            None if seconds is None else max(0.0, seconds))


def review_count_row(user_id: int, now: datetime) -> tuple:
    return (MIN_REVIEWS, now.isoformat(), user_id)
