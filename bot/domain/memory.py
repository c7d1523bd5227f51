"""Spaced repetition with FSRS (the `fsrs` package): what a card looks like after an answer.

A wrong answer is rated Again and a right one Good: the bot has no honest signal for
Hard or Easy (answer time says more about the phone than the memory). Learning steps are
whole days, because the bot asks once a day, not every ten minutes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Rating, Scheduler

from bot.domain.clock import require_aware

_SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


@dataclass(frozen=True)
class Memory:
    """A user's memory of one question: the FSRS card as JSON, and when it is due."""

    card_json: str
    due: datetime


def new_card(now: datetime) -> Card:
    now = require_aware(now)
    return Card(card_id=1, due=now)


def after_answer(card_json: str | None, correct: bool, now: datetime) -> Memory:
    """The card after one more answer; a first answer starts a new card."""
    now = require_aware(now)
    card = Card.from_dict(json.loads(card_json)) if card_json else new_card(now)
    card, _ = _SCHEDULER.review_card(card, Rating.Good if correct else Rating.Again, review_datetime=now)
    return Memory(json.dumps(card.to_dict()), card.due)
