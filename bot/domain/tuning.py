"""Memory tuned per learner: fit a user's own FSRS parameters from their reviews, and keep them only if they predict
that user's latest reviews better than FSRS's defaults do.

The fit is fsrs-rs's optimizer (the `fsrs-rs-python` package, the same 21 FSRS-6 parameters as the `fsrs`
package the bot schedules with). The user's reviews are split by time: the optimizer sees the earlier ~80%, and the
fitted and the default parameters are both scored on the later ~20% they did not see.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fsrs_rs_python import DEFAULT_PARAMETERS, FSRS, FSRSItem, FSRSReview, TrainingConfig

from bot.domain.clock import require_aware
from bot.domain.memory import clamp

# Anki 24.04 refused to optimize below 400 reviews (older versions: 1000); Anki 24.06+ has no minimum but decides
# by data size which parameters to fit (fsrs4anki docs/tutorial.md, "Find optimal parameters"). fsrs-rs shows
# what that means (src/training.rs, compute_parameters): fewer than 8 training items give back the defaults, fewer
# than 64 fit only the four initial stabilities. A question's first answer predicts nothing (it is history, not an
# item), so for a learner meeting 5 new questions a day (bench/learners.py) 400 reviews make about 290 items: some
# 225 before the cut-off, well past 64 for the full fit, and some 65 held out to compare with the defaults: a check
# that is already noisy at that size, and would be more so with fewer.
MIN_REVIEWS = 400
HELD_OUT = 0.2  # the latest share of the reviews, scored but not trained on
# TrainingConfig's own default seed, pinned: the same reviews must always give the same parameters.
SEED = 2023
# The fit must beat the defaults by this much log loss on the held-out reviews: on the ~65-100 reviews held out at
# this size, smaller differences are as likely noise as a better model, and the weekly refit would flip a learner
# between models. Fits that differ for real win by 0.005-0.036 (bench/fit.py, bench/learners.py).
MARGIN = 0.002


@dataclass(frozen=True)
class Review:
    """One answer: which question, when, the FSRS rating, and whole local days since the previous answer to it."""

    question_id: str
    at: datetime
    rating: int
    elapsed_days: int | None

    def __post_init__(self) -> None:
        require_aware(self.at)
        if not 1 <= self.rating <= 4:
            raise ValueError(f"rating {self.rating!r}: FSRS ratings are 1 (Again) to 4 (Easy)")


@dataclass(frozen=True)
class Score:
    """How well parameters predict held-out reviews (lower is better for both)."""

    log_loss: float
    rmse: float


@dataclass(frozen=True)
class Fit:
    """The learner's own parameters, or None to keep FSRS's defaults, and why."""

    parameters: tuple[float, ...] | None
    reviews: int
    reason: str  # "too_few" | "own" | "default_better"
    own: Score | None = None
    default: Score | None = None


@dataclass(frozen=True)
class _Item:
    """An FSRSItem and when its last review was given."""

    at: datetime  # when the item's last review, the one it predicts, was given
    item: FSRSItem


def _items(reviews: Sequence[Review]) -> list[_Item]:
    """One item per review on a later day than the question's previous one, with the question's reviews before it."""
    histories: dict[str, list[FSRSReview]] = {}
    items = []
    # Sorted by time (and question, for ties), so that the items do not depend on the order reviews come in.
    for review in sorted(reviews, key=lambda r: (r.at, r.question_id)):
        history = histories.setdefault(review.question_id, [])
        # fsrs-rs wants delta_t 0 on a card's first review; unknown or negative gaps after it count as the same day.
        delta_t = max(review.elapsed_days or 0, 0) if history else 0
        history.append(FSRSReview(review.rating, delta_t))
        # A same-day review is short-term memory: it stays in the history of later items, but it is no item itself,
        # as in fsrs-rs's Anki conversion (convertor_tests.rs keeps items whose current().delta_t > 0). Training also
        # needs a long-term review in every item (dataset.rs, first_long_term_review panics without one).
        if delta_t > 0:
            items.append(_Item(review.at, FSRSItem(list(history))))
    return items  # in time order, which both training's and evaluation's recency weights assume


def _score(parameters: Sequence[float], items: list[FSRSItem]) -> Score:
    """Log loss and binned RMSE of the parameters' predictions for the items' last reviews."""
    evaluation = FSRS(list(parameters)).evaluate(items)
    return Score(log_loss=evaluation.log_loss, rmse=evaluation.rmse_bins)


def fit(reviews: Sequence[Review]) -> Fit:
    """The learner's own parameters if, fitted on their earlier reviews, they predict the later ones better."""
    n = len(reviews)
    if n < MIN_REVIEWS:
        return Fit(None, n, "too_few")
    # Cut by time, not by item: a held-out item's earlier reviews may be in the training period, as its history.
    cutoff = sorted(r.at for r in reviews)[int(n * (1 - HELD_OUT))]
    try:
        items = _items(reviews)
        train = [i.item for i in items if i.at < cutoff]
        held_out = [i.item for i in items if i.at >= cutoff]
        if not train or not held_out:
            return Fit(None, n, "default_better")
        fitted = FSRS(DEFAULT_PARAMETERS).compute_parameters(train, training_config=TrainingConfig(seed=SEED))
        parameters = clamp(fitted) if all(math.isfinite(p) for p in fitted) else None
        if parameters is None:
            return Fit(None, n, "default_better")
        own, default = _score(parameters, held_out), _score(DEFAULT_PARAMETERS, held_out)
    # fsrs-rs's errors (not enough data, non-finite loss) arrive as ValueError; a gap beyond u32 days as OverflowError.
    except (ValueError, OverflowError):
        return Fit(None, n, "default_better")
    if math.isfinite(own.log_loss) and own.log_loss < default.log_loss - MARGIN:
        return Fit(parameters, n, "own", own, default)
    return Fit(None, n, "default_better", own, default)
