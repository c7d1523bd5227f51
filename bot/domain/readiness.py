"""How ready a user is for the exam, estimated from their memory of the questions; and the 30-day series.

Mastery of a domain is the chance of answering one of its questions right today, estimated per
answered question from the FSRS memory state rather than from raw accuracy:

- a question whose latest answer was wrong counts 0 (FSRS's retrievability is about forgetting
  what one knew; right after a wrong answer it is still close to 1, which would flatter);
- a question answered right counts its retrievability now (FSRS, from stability and the time since
  the last review), so knowledge that has faded since counts less than accuracy would say;
- the domain's average is pulled toward a guess (PRIOR) by PRIOR_WEIGHT pseudo-answers, so three
  lucky answers do not make a domain "mastered".

The predicted score is the exam-weighted mastery, scaled like a mock exam (bot/domain/exam.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain import streaks
from bot.domain.clock import require_aware
from bot.domain.exam import SCALED_PASS, scale_fraction
from bot.domain.memory import DEFAULT_MODEL, Model, retrievability

PRIOR = 0.25  # a blind guess among four options
PRIOR_WEIGHT = 5  # pseudo-answers at the prior in every domain
MIN_SEEN = 20  # fewer answered questions than this: too early for a verdict
CHART_DAYS = 30

@dataclass(frozen=True)
class Known:
    """One question the user has answered: its domain, whether the latest answer was right, its FSRS card."""

    domain: str
    last_correct: bool
    card_json: str | None
    question_id: str = ""


def recall(known: Known, now: datetime, model: Model = DEFAULT_MODEL) -> float:
    """The chance the user answers this question right now (see the module docstring), under their memory model."""
    if not known.last_correct or not known.card_json:
        return 0.0
    return retrievability(known.card_json, now, model)


@dataclass(frozen=True)
class DomainReadiness:
    domain: str
    weight: float
    seen: int
    mastery: float  # 0..1, expected share right on this domain's exam questions
    pass_mark: int = SCALED_PASS

    @property
    def scaled(self) -> int:
        return scale_fraction(self.mastery, self.pass_mark)


@dataclass(frozen=True)
class Readiness:
    seen: int
    domains: tuple[DomainReadiness, ...]
    expected: float  # expected share right on a whole exam
    pass_mark: int = SCALED_PASS

    @property
    def predicted(self) -> int:
        return scale_fraction(self.expected, self.pass_mark)

    @property
    def weakest(self) -> DomainReadiness:
        # Lowest mastery; among equals the heavier domain matters more.
        return min(self.domains, key=lambda d: (d.mastery, -d.weight))

    @property
    def verdict(self) -> str:
        """'new' (nothing answered), 'early' (too little to tell), 'ready' or 'not_yet'."""
        if self.seen == 0:
            return "new"
        if self.seen < MIN_SEEN:
            return "early"
        return "ready" if self.predicted >= self.pass_mark else "not_yet"


def assess(known: Sequence[Known], weights: Mapping[str, float], now: datetime,
           pass_mark: int = SCALED_PASS, model: Model = DEFAULT_MODEL) -> Readiness:
    """Per-domain mastery and the exam-weighted expectation, from the questions the user has answered.

    `known` are the answered questions in the exam's scope, each with its domain in that exam.
    """
    total_weight = sum(weights.values()) or 1.0
    domains = []
    for domain, weight in weights.items():
        mine = [recall(k, now, model) for k in known if k.domain == domain]
        mastery = (sum(mine) + PRIOR * PRIOR_WEIGHT) / (len(mine) + PRIOR_WEIGHT)
        domains.append(DomainReadiness(domain, weight, len(mine), mastery, pass_mark))
    expected = sum(d.mastery * d.weight for d in domains) / total_weight
    return Readiness(len(known), tuple(domains), expected, pass_mark)


@dataclass(frozen=True)
class Learning:
    """How a user's answers went in one domain: first answers, and reviews after them."""

    first: int = 0
    first_right: int = 0
    later: int = 0
    later_right: int = 0


def forecast(known: Sequence[Known], weights: Mapping[str, float], exam_at: datetime, *,
             unseen: Mapping[str, int], covered: float, learning: Mapping[str, Learning],
             model: Model = DEFAULT_MODEL, reviews_kept: bool = True, pass_mark: int = SCALED_PASS) -> Readiness:
    """Mastery on the exam day if the plan is kept: every question of each domain counted, not only those seen.

    - a question answered right counts its FSRS recall projected to the exam (`exam_at`); if it falls due
      before then and the plan keeps up with reviews, it is reviewed first, so it counts at least what the
      user's reviews in that domain score;
    - a question answered wrong comes back for review before the exam: it counts what reviews score;
    - an unseen question the plan will bring (`covered`, the share the budget allows) counts what reviews
      score too (it will be seen, then reviewed); one left unseen counts what first answers score.
    Review and first-answer scores are the user's own, pulled toward the model's retention and a guess.
    """
    exam_at = require_aware(exam_at)
    total_weight = sum(weights.values()) or 1.0
    domains = []
    for domain, weight in weights.items():
        mine = [k for k in known if k.domain == domain]
        rate = learning.get(domain, Learning())
        reviewed = (rate.later_right + model.retention * PRIOR_WEIGHT) / (rate.later + PRIOR_WEIGHT)
        first = (rate.first_right + PRIOR * PRIOR_WEIGHT) / (rate.first + PRIOR_WEIGHT)
        total = 0.0
        for k in mine:
            if not k.last_correct or not k.card_json:
                total += reviewed
                continue
            r = retrievability(k.card_json, exam_at, model)
            due_before = datetime.fromisoformat(json.loads(k.card_json)["due"]) < exam_at
            total += max(r, reviewed) if reviews_kept and due_before else r
        new = unseen.get(domain, 0)
        coming = round(new * min(max(covered, 0.0), 1.0))
        total += coming * reviewed + (new - coming) * first
        count = len(mine) + new
        mastery = total / count if count else PRIOR
        domains.append(DomainReadiness(domain, weight, len(mine), mastery, pass_mark))
    expected = sum(d.mastery * d.weight for d in domains) / total_weight
    return Readiness(len(known), tuple(domains), expected, pass_mark)


@dataclass(frozen=True)
class DayPoint:
    day: date
    answered: int
    correct: int
    streak: int  # the streak as it stood at the end of that day

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def last_days(per_day: Mapping[date, tuple[int, int]], met_days: Iterable[date], today: date,
              n: int = CHART_DAYS) -> list[DayPoint]:
    """The last `n` local days up to today: answers, right answers and streak length per day."""
    met = sorted(set(met_days))
    points = []
    for i in range(n - 1, -1, -1):
        day = today - timedelta(days=i)
        answered, correct = per_day.get(day, (0, 0))
        if day < today:
            # Judged the next morning: a missed day has reset the streak (or spent a freeze) by then.
            streak = streaks.compute([d for d in met if d <= day], day + timedelta(days=1)).current
        else:
            streak = streaks.compute(met, day).current  # today is not over: an unmet goal breaks nothing yet
        points.append(DayPoint(day, answered, correct, streak))
    return points
