"""Memory tuned per learner (bot/domain/tuning.py): when a user's own FSRS parameters are fitted and kept.

The learners are synthetic (bench/learners.py): asked on the bot's default schedule, right or wrong by their own
true memory. Every fit is deterministic, so the seeds below always give the same outcome.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS

from bench.learners import FAST_FORGETTER, learner
from bot.domain import tuning
from bot.domain.clock import NaiveDatetimeError
from bot.domain.tuning import MARGIN, MIN_REVIEWS, Review, fit

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_too_few_reviews_keep_the_defaults_without_training():
    f = fit(learner(0, MIN_REVIEWS - 1, FAST_FORGETTER))
    assert (f.parameters, f.reviews, f.reason, f.own, f.default) == (None, MIN_REVIEWS - 1, "too_few", None, None)


def test_a_learner_who_forgets_faster_than_the_defaults_gets_their_own_parameters():
    fits = [fit(learner(seed, 600, FAST_FORGETTER)) for seed in range(5)]
    for f in fits:
        assert f.reason == "own" and f.reviews == 600
        assert f.own.log_loss < f.default.log_loss
        assert len(f.parameters) == 21 and all(math.isfinite(w) for w in f.parameters)
        # What they learned: a first Good lasts far shorter than FSRS's default (2.3 days).
        assert f.parameters[2] < DEFAULT_PARAMETERS[2] / 5


def test_the_defaults_are_kept_when_the_fit_predicts_the_held_out_reviews_worse():
    # A learner who changed: they forgot fast while the optimizer watched, and remember as the defaults predict in
    # the latest reviews it does not see, so their fitted parameters must lose the comparison.
    f = fit(learner(1, 600, FAST_FORGETTER, default_from=420))
    assert (f.parameters, f.reason) == (None, "default_better")
    assert f.own.log_loss > f.default.log_loss


@pytest.mark.parametrize("seed", range(6))
def test_own_parameters_are_kept_only_when_they_beat_the_defaults(seed):
    # Learners who remember exactly as the defaults say: whichever way each comparison goes, the rule holds.
    f = fit(learner(seed, 500))
    assert f.reason == ("own" if f.parameters is not None else "default_better")
    assert f.parameters is None or f.own.log_loss < f.default.log_loss - MARGIN
    assert f.parameters is not None or f.own.log_loss >= f.default.log_loss - MARGIN


def test_naive_datetimes_are_rejected():
    with pytest.raises(NaiveDatetimeError):
        Review("q1", datetime(2026, 3, 2, 8, 0), 3, None)


def test_ratings_outside_fsrs_are_rejected():
    with pytest.raises(ValueError):
        Review("q1", T0, 0, None)


def test_the_same_reviews_give_the_same_parameters_in_any_order():
    reviews = learner(3, 600, FAST_FORGETTER)
    shuffled = reviews[:]
    random.Random(0).shuffle(shuffled)
    first, again, reordered = fit(reviews), fit(reviews), fit(shuffled)
    assert first.parameters is not None
    for f in (again, reordered):
        assert (f.parameters, f.reason, f.own.log_loss, f.default.log_loss) == (
            first.parameters, first.reason, first.own.log_loss, first.default.log_loss)
        # fsrs-rs sums the binned RMSE over a HashMap, in an order that varies from call to call.
        assert f.own.rmse == pytest.approx(first.own.rmse, rel=1e-5)


def test_same_day_reviews_are_history_not_items():
    reviews = [Review("q1", T0, 1, None), Review("q1", T0 + timedelta(hours=2), 3, 0),
               Review("q1", T0 + timedelta(days=2), 3, 2), Review("q1", T0 + timedelta(days=2, hours=1), 3, 0),
               Review("q2", T0, 3, None), Review("q2", T0 + timedelta(days=1), 1, None)]
    items = tuning._items(reviews)
    # q1's answer two days on is the only item; q2's gap is unknown, so it counts as the same day, like q1's repeats.
    history = ", ".join(f"FSRSReview {{ rating: {r}, delta_t: {t} }}" for r, t in [(1, 0), (3, 0), (3, 2)])
    assert [repr(i.item) for i in items] == [f"FSRSItem {{ reviews: [{history}] }}"]
    assert [i.at for i in items] == [T0 + timedelta(days=2)]


def test_reviews_that_make_no_items_keep_the_defaults():
    # Every answer on one day: nothing for FSRS to learn long-term memory from, and nothing to score.
    reviews = [Review(f"q{i % 50}", T0 + timedelta(seconds=i), 1 + 2 * (i % 2), None if i < 50 else 0)
               for i in range(MIN_REVIEWS)]
    assert fit(reviews) == tuning.Fit(None, MIN_REVIEWS, "default_better")
