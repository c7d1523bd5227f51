"""Spaced repetition with FSRS (the `fsrs` package): what a card looks like after an answer.

A wrong answer is rated Again and a right one Good: the bot has no honest signal for
Hard or Easy (answer time says more about the phone than the memory). Learning steps are
whole days, because the bot asks once a day, not every ten minutes.

Each learner has a memory model: FSRS's default parameters or their own (bot/domain/tuning.py), and the
retention they asked for (higher: more reviews, fewer lapses).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from fsrs import Card, Rating, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from bot.domain.clock import require_aware

DEFAULT_RETENTION = 0.9
RETENTION_RANGE = (0.85, 0.95)
AGAIN, GOOD = int(Rating.Again), int(Rating.Good)


@dataclass(frozen=True)
class Model:
    """How one learner's memory is modelled: FSRS parameters (None: the defaults) and the desired retention."""

    params: tuple[float, ...] | None = None
    retention: float = DEFAULT_RETENTION

    @staticmethod
    def of(params_json: str | None, retention: float | None) -> Model:
        """The model stored with a user (their parameters as JSON, NULL for the defaults)."""
        params = clamp(tuple(float(p) for p in json.loads(params_json))) if params_json else None
        return Model(params, DEFAULT_RETENTION if retention is None else float(retention))


def clamp(params: Sequence[float]) -> tuple[float, ...] | None:
    """Parameters held to the bounds py-fsrs schedules with; None (the defaults) if they are not a set it knows.

    fsrs-rs trains within its own bounds, which need not be py-fsrs's: a value outside would make every
    schedule of that learner fail, so it is held to the edge instead.
    """
    if len(params) != len(DEFAULT_PARAMETERS):
        return None
    return tuple(min(max(p, low), high) for p, low, high in zip(params, LOWER_BOUNDS_PARAMETERS,
                                                                UPPER_BOUNDS_PARAMETERS, strict=True))


DEFAULT_MODEL = Model()


@lru_cache(maxsize=1024)
def _scheduler(params: tuple[float, ...] | None, retention: float) -> Scheduler:
    extra = {"parameters": params} if params else {}
    return Scheduler(desired_retention=retention, learning_steps=(), relearning_steps=(), enable_fuzzing=False,
                     **extra)


def scheduler(model: Model) -> Scheduler:
    return _scheduler(model.params, model.retention)


@dataclass(frozen=True)
class Memory:
    """A user's memory of one question after an answer: the FSRS card as JSON, when it is due, and the review."""

    card_json: str
    due: datetime
    rating: int = GOOD
    elapsed_days: int | None = None  # local days since the previous review of this question; None: the first


def new_card(now: datetime) -> Card:
    now = require_aware(now)
    return Card(card_id=1, due=now)


def after_answer(card_json: str | None, correct: bool, now: datetime, model: Model = DEFAULT_MODEL,
                 tz: tzinfo = UTC) -> Memory:
    """The card after one more answer; a first answer starts a new card. Days between reviews count in `tz`."""
    now = require_aware(now)
    card = Card.from_dict(json.loads(card_json)) if card_json else new_card(now)
    elapsed = None
    if card.last_review is not None:
        elapsed = max(0, (now.astimezone(tz).date() - card.last_review.astimezone(tz).date()).days)
    rating = Rating.Good if correct else Rating.Again
    card, _ = scheduler(model).review_card(card, rating, review_datetime=now)
    return Memory(json.dumps(card.to_dict()), card.due, int(rating), elapsed)


def replay(reviews: Sequence[tuple[datetime, int]], model: Model) -> Memory:
    """A card rebuilt from its reviews (when, rating) under `model`: a new retention or new parameters apply
    to the past as if they had always been in use, which is what FSRS's own rescheduling does."""
    ordered = sorted(reviews, key=lambda r: r[0])
    card = new_card(ordered[0][0])
    sched = scheduler(model)
    for at, rating in ordered:
        card, _ = sched.review_card(card, Rating(rating), review_datetime=require_aware(at))
    return Memory(json.dumps(card.to_dict()), card.due, ordered[-1][1])


def retrievability(card_json: str, at: datetime, model: Model = DEFAULT_MODEL) -> float:
    """The chance, under `model`, of recalling the card's answer at `at`."""
    card = Card.from_dict(json.loads(card_json))
    return float(scheduler(model).get_card_retrievability(card, require_aware(at)))


_KERNEL_MIN_MASS = 0.01  # paths less likely than this are left out of the forecast
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def review_kernel(model: Model, p_first: float, horizon: int) -> tuple[float, ...]:
    """Expected reviews of one new question on each day after its first answer (index 0 = that day).

    The first answer is right with chance `p_first`; later reviews with the model's retention, which is what
    FSRS schedules for. Each wrong answer brings the question back the next day. A forecast, not a promise.
    """
    kernel = [0.0] * max(horizon, 1)
    first_right = min(max(p_first, 0.0), 1.0)
    pending = [(new_card(_EPOCH), _EPOCH, GOOD, first_right), (new_card(_EPOCH), _EPOCH, AGAIN, 1 - first_right)]
    sched = scheduler(model)
    while pending:
        card, at, rating, mass = pending.pop()
        if mass < _KERNEL_MIN_MASS:
            continue
        card, _ = sched.review_card(card, Rating(rating), review_datetime=at)
        # Reviews land on whole days: the bot asks once a day.
        day = max(1, round((card.due - _EPOCH) / timedelta(days=1)))
        if day >= len(kernel):
            continue
        kernel[day] += mass
        at = _EPOCH + timedelta(days=day)
        pending.append((card, at, GOOD, mass * model.retention))
        pending.append((card, at, AGAIN, mass * (1 - model.retention)))
    return tuple(kernel)
