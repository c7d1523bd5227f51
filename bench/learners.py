"""Synthetic learners for tests/test_tuning.py and bench/fit.py: answers asked on the bot's schedule, remembered by
the learner's own FSRS parameters.

The bot schedules as bot/domain/memory.py does (FSRS's defaults, desired retention 0.9, no same-day steps). Whether
an answer is right is drawn from the learner's *true* retrievability: their own card for the same question, kept
with their parameters through the same answers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from fsrs import Card, Rating, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS

from bot.domain.tuning import Review

START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
# Forgets much faster than FSRS's defaults assume: about a tenth of the first stabilities, slower growth after a
# recall (w8) and a steeper forgetting curve (decay w20 0.5 instead of 0.1542).
FAST_FORGETTER = (0.02, 0.1, 0.2, 0.5, *DEFAULT_PARAMETERS[4:8], 1.2, *DEFAULT_PARAMETERS[9:20], 0.5)


def _scheduler(parameters: Sequence[float]) -> Scheduler:
    """A scheduler like the bot's (bot/domain/memory.py), with the given parameters."""
    return Scheduler(parameters=tuple(parameters), learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def varied_parameters(rng: random.Random) -> tuple[float, ...]:
    """A learner somewhere around FSRS's defaults: first stabilities, recall growth and forgetting curve at random."""
    w = list(DEFAULT_PARAMETERS)
    w[:4] = sorted(min(max(s * rng.lognormvariate(0, 0.8), 0.01), 100.0) for s in w[:4])  # Again <= ... <= Easy
    w[8] = min(max(w[8] * rng.lognormvariate(0, 0.25), 0.5), 4.0)
    w[20] = rng.uniform(0.1, 0.5)
    return tuple(w)


def learner(seed: int, reviews: int, parameters: Sequence[float] = DEFAULT_PARAMETERS, *, new_per_day: int = 5,
            absent: float = 0.2, first_right: float = 0.6, default_from: int | None = None) -> list[Review]:
    """`reviews` answers of one learner who meets `new_per_day` new questions a day and skips a day at chance
    `absent` (so answers also come late); from answer `default_from` on, they remember as the defaults predict."""
    rng = random.Random(seed)
    bot, truth = _scheduler(DEFAULT_PARAMETERS), _scheduler(parameters)
    cards: dict[int, tuple[Card, Card]] = {}  # question -> (the bot's card, the learner's true card)
    out: list[Review] = []
    day = 0
    while len(out) < reviews:
        today = START + timedelta(days=day)
        day += 1
        if rng.random() < absent:
            continue
        # Each question keeps its own second of the day, so gaps between its answers are whole days for both cards.
        due = [q for q, (card, _) in cards.items() if card.due <= today + timedelta(seconds=q)]
        asked = due + list(range(len(cards), len(cards) + new_per_day))
        for q in asked:
            if len(out) == reviews:
                break
            at = today + timedelta(seconds=q)
            if q in cards:
                card, true_card = cards[q]
                judge = bot if default_from is not None and len(out) >= default_from else truth
                recall = judge.get_card_retrievability(card if judge is bot else true_card, at)
                elapsed = (at.date() - card.last_review.date()).days
            else:
                card, true_card = Card(card_id=q + 1, due=at), Card(card_id=q + 1, due=at)
                recall, elapsed = first_right, None
            rating = Rating.Good if rng.random() < recall else Rating.Again
            cards[q] = (bot.review_card(card, rating, at)[0], truth.review_card(true_card, rating, at)[0])
            out.append(Review(f"q{q}", at, int(rating), elapsed))
    return out
