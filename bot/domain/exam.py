"""The mock exam's rules: which questions, how the clock runs, and how a raw score becomes a scaled one.

Pure: time and randomness come in as arguments; nothing here touches storage or Telegram.

Scaling. AWS reports results on a 100-1000 scale with an exam's own pass mark (750 for MLS-C01,
720 for MLA-C01 and MLA-C02) and does not publish how raw answers map to it (the mapping is
equated per exam form). We estimate it with a piecewise-linear map through three points: 0% right
-> 100, PASS_RAW (72%) right -> the pass mark, 100% right -> 1000. 72% is the share candidates
commonly report needing, not an AWS number; the same map scales each domain's own percentage.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain.clock import require_aware

EXAM_SIZE = 65
EXAM_MINUTES = 180
SCALED_MIN, SCALED_PASS, SCALED_MAX = 100, 750, 1000
PASS_RAW = 0.72  # estimated share of right answers that scales to the 750 pass mark


def quotas(weights: Mapping[str, float], size: int = EXAM_SIZE) -> dict[str, int]:
    """Questions per domain in proportion to the weights, rounded by largest remainder (sums to `size`).

    20/24/36/20 of 65 gives 13/16/23/13.
    """
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("the domain weights must add up to more than 0")
    exact = {d: size * w / total for d, w in weights.items()}
    counts = {d: math.floor(x) for d, x in exact.items()}
    short = size - sum(counts.values())
    # Ties go to the heavier domain, then to the first listed: deterministic.
    order = sorted(weights, key=lambda d: (-(exact[d] - counts[d]), -weights[d], list(weights).index(d)))
    for d in order[:short]:
        counts[d] += 1
    return counts


def draw(pools: Mapping[str, Sequence[str]], weights: Mapping[str, float], rng: random.Random,
         size: int = EXAM_SIZE, avoid: Collection[str] = ()) -> list[str]:
    """Question ids for one exam: each domain's quota drawn at random from its pool, then shuffled together.

    Questions in `avoid` (the user's earlier mock exams) are drawn only once a domain has run out of
    others, so consecutive mocks share as few questions as the bank allows. A domain whose pool is
    smaller than its quota gives all it has and the rest is drawn from the other domains, so the exam
    keeps its length while the bank is small.
    """
    want = quotas(weights, size)
    picked: list[str] = []
    left: list[str] = []
    for domain in weights:
        pool = list(pools.get(domain, ()))
        fresh = [q for q in pool if q not in avoid]
        seen = [q for q in pool if q in avoid]
        chosen = rng.sample(fresh, min(want[domain], len(fresh)))
        chosen += rng.sample(seen, min(want[domain] - len(chosen), len(seen)))
        picked += chosen
        taken = set(chosen)
        left += [q for q in pool if q not in taken]
    missing = min(size - len(picked), len(left))
    picked += rng.sample(left, missing)
    rng.shuffle(picked)
    return picked


def scale(right: int, total: int, pass_mark: int = SCALED_PASS) -> int:
    """The estimated scaled score (100-1000) for `right` out of `total` (see the module docstring)."""
    if total <= 0:
        return SCALED_MIN
    raw = max(0.0, min(1.0, right / total))
    if raw <= PASS_RAW:
        value = SCALED_MIN + (pass_mark - SCALED_MIN) * raw / PASS_RAW
    else:
        value = pass_mark + (SCALED_MAX - pass_mark) * (raw - PASS_RAW) / (1 - PASS_RAW)
    return int(round(value))


def scale_fraction(raw: float, pass_mark: int = SCALED_PASS) -> int:
    """`scale` for an expected share of right answers (readiness predictions)."""
    return scale(round(max(0.0, min(1.0, raw)) * 10_000), 10_000, pass_mark)


@dataclass(frozen=True)
class DomainScore:
    domain: str
    right: int
    total: int
    pass_mark: int = SCALED_PASS

    @property
    def scaled(self) -> int:
        return scale(self.right, self.total, self.pass_mark)


@dataclass(frozen=True)
class ExamScore:
    right: int
    total: int
    domains: tuple[DomainScore, ...]
    pass_mark: int = SCALED_PASS

    @property
    def scaled(self) -> int:
        return scale(self.right, self.total, self.pass_mark)

    @property
    def passed(self) -> bool:
        return self.scaled >= self.pass_mark


def score(items: Sequence[tuple[str, bool]], domain_order: Sequence[str], pass_mark: int = SCALED_PASS) -> ExamScore:
    """Score (domain, right) pairs; an unanswered question counts as wrong, as on the real exam."""
    domains = tuple(
        DomainScore(d, sum(1 for dd, ok in items if dd == d and ok), sum(1 for dd, _ in items if dd == d), pass_mark)
        for d in domain_order
    )
    return ExamScore(sum(1 for _, ok in items if ok), len(items), domains, pass_mark)


@dataclass(frozen=True)
class ExamClock:
    """How much of the time limit is used. The clock runs unless the exam is paused.

    `resumed_at` is when the current running stretch began (None while paused); `used` is the
    time used before it.
    """

    limit: timedelta
    used: timedelta = timedelta(0)
    resumed_at: datetime | None = None

    def used_at(self, now: datetime) -> timedelta:
        if self.resumed_at is None:
            return self.used
        return self.used + max(timedelta(0), require_aware(now) - self.resumed_at)

    def remaining(self, now: datetime) -> timedelta:
        return max(timedelta(0), self.limit - self.used_at(now))

    def expired(self, now: datetime) -> bool:
        return self.used_at(now) >= self.limit

    @property
    def deadline(self) -> datetime | None:
        """The instant the time runs out if nobody pauses; None while paused."""
        if self.resumed_at is None:
            return None
        return self.resumed_at + (self.limit - self.used)

    def pause(self, now: datetime) -> ExamClock:
        return replace(self, used=min(self.limit, self.used_at(now)), resumed_at=None)

    def resume(self, now: datetime) -> ExamClock:
        return replace(self, resumed_at=require_aware(now)) if self.resumed_at is None else self

    @classmethod
    def start(cls, now: datetime, minutes: int = EXAM_MINUTES) -> ExamClock:
        return cls(limit=timedelta(minutes=minutes), resumed_at=require_aware(now))
