"""A plan to exam day: how many new questions and reviews today, so that every question of the exam is seen
about a week before the date, and the last days go to reviews and mock exams.

Pure arithmetic on counts and dates. Recomputed every day from what actually happened: a missed day spreads
over the days left, and no day ever asks more than the time budget holds.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

DEFAULT_MINUTES = 10
MINUTES_RANGE = (5, 180)
DEFAULT_SECONDS = 60.0  # ~1 minute a question until the user's own answer times say otherwise
MIN_TIMED = 30  # own answer times needed before they replace the assumption
SECONDS_RANGE = (15.0, 300.0)  # what a measured time per question is held to
MAX_THINKING = 600.0  # a slower answer was a break (or a push read hours later), not thinking time
REVIEW_WEEK = 7  # everything seen this many days before the exam
SPARE_DAYS = 3  # the plan aims to be through the new questions this many days before that
MOCK_DAYS_BEFORE = (6, 2)  # mock exams: right after the last new questions, and two days before (not the eve)
MIN_DRILL = 3
WARM_UP = 3  # questions on exam day
MAX_AHEAD = timedelta(days=366)


class Phase(Enum):
    learn = "learn"  # new questions and the reviews they bring
    review = "review"  # the last week: reviews (and any questions still unseen)
    mock = "mock"  # a mock exam day: the drill is reviews only
    exam_day = "exam_day"  # a short warm-up


@dataclass(frozen=True)
class Today:
    """What the plan wants today."""

    phase: Phase
    days_left: int  # until the exam; 0 on the day
    new: int  # unseen questions (while learning, a few early ones may make up a sensible drill)
    reviews: int  # due reviews taken today
    early: int  # reviews not yet due, weakest first, to make up a sensible drill
    short: int  # new questions today's share would need that the budget could not hold

    @property
    def size(self) -> int:
        return self.new + self.reviews + self.early


def seconds_per_question(samples: Sequence[float]) -> tuple[float, bool]:
    """The user's time per question (the median of their answer times), and whether it is measured."""
    timed = [s for s in samples if 0 < s <= MAX_THINKING]
    if len(timed) < MIN_TIMED:
        return DEFAULT_SECONDS, False
    low, high = SECONDS_RANGE
    return min(max(statistics.median(timed), low), high), True


def budget(minutes: int, seconds: float) -> int:
    """Questions a day that fit the time budget (at least one)."""
    return max(1, math.floor(minutes * 60 / seconds))


def cutoff(exam: date) -> date:
    """The last day the plan brings new questions: a week before the exam. Later, reviews come first."""
    return exam - timedelta(days=REVIEW_WEEK)


def aim(today: date, exam: date) -> date:
    """The day the plan aims to have shown everything: a few days before the cut-off, so that a missed day or
    two near the end still leaves room to catch up. Once that day has passed, the cut-off itself."""
    target = cutoff(exam) - timedelta(days=SPARE_DAYS)
    return target if today <= target else cutoff(exam)


def mock_days(today: date, exam: date) -> tuple[date, ...]:
    return tuple(d for n in MOCK_DAYS_BEFORE if (d := exam - timedelta(days=n)) >= today)


def phase(today: date, exam: date) -> Phase | None:
    """Where the plan is today; None when the exam date has passed."""
    days_left = (exam - today).days
    if days_left < 0:
        return None
    if days_left == 0:
        return Phase.exam_day
    if today in mock_days(today, exam):
        return Phase.mock
    return Phase.review if today > cutoff(exam) else Phase.learn


def plan_today(today: date, exam: date, *, unseen: int, due: int, per_day: int) -> Today | None:
    """Today's new questions and reviews, from what is left and the budget (`per_day` questions).

    While learning, today's share of the unseen questions comes first (spread over the days to `aim`):
    coverage by the cut-off is the plan's promise. Reviews take what the budget leaves, but never less than
    a third of it when some are due, so a budget too small for the plan slows the coverage (reported in
    `short`) rather than letting memory lapse. In the last week reviews come first and spare room catches up
    on anything unseen.
    """
    now_phase = phase(today, exam)
    if now_phase is None:
        return None
    unseen, due, per_day = max(unseen, 0), max(due, 0), max(per_day, 1)
    days_left = (exam - today).days
    new = short = 0
    if now_phase is Phase.exam_day:
        size = min(WARM_UP, per_day)
        reviews = min(due, size)
        return Today(now_phase, 0, 0, reviews, size - reviews, 0)
    if now_phase is Phase.learn:
        need = math.ceil(unseen / ((aim(today, exam) - today).days + 1))
        kept = max(per_day // 3, 1 if per_day > 1 else 0)  # what reviews keep of the budget, when some are due
        reviews = min(due, max(per_day - need, kept))
        new = min(need, per_day - reviews)
        short = need - new
    else:
        reviews = min(due, per_day)
        if now_phase is Phase.review:
            new = min(unseen, per_day - reviews)
    pad = max(0, min(MIN_DRILL, per_day) - new - reviews)
    if now_phase is Phase.learn:  # early new questions first: the plan's main job while learning
        extra = min(pad, unseen - new)
        new, pad = new + extra, pad - extra
    return Today(now_phase, days_left, new, reviews, pad, short)


@dataclass(frozen=True)
class Outlook:
    """The plan from today to the exam, as /plan shows it."""

    today: Today
    exam: date
    cutoff: date  # the day everything should have been seen by (the eve of the exam, in the last week)
    unseen: int
    in_scope: int
    per_day: int  # the budget in questions
    reviews_per_day: int  # forecast: average reviews a day until the cut-off
    all_seen_by: date | None  # None: not by `cutoff` at this budget
    left_unseen: int  # questions the budget leaves unseen at `cutoff` (0 when on track)
    mocks: tuple[date, ...]
    per_day_needed: int  # the smallest budget (questions a day) that holds the plan and its reviews

    @property
    def fits(self) -> bool:
        """Whether the budget holds the new questions and the reviews they bring."""
        return self.per_day_needed <= self.per_day


def review_load(today: date, until: date, due_days: Sequence[date], new_per_day: int,
                kernel: Sequence[float]) -> list[float]:
    """Forecast reviews a day from today to `until`: the cards already due (a card overdue is due today), each
    followed by its later reviews, and the reviews each day's new questions will bring (see memory.review_kernel)."""
    n = (until - today).days + 1
    if n <= 0:
        return []
    starts = [float(new_per_day)] * n  # questions answered (first time or as a review) per day
    load = [0.0] * n
    for d in due_days:
        i = max(0, (d - today).days)
        if i < n:
            load[i] += 1
            starts[i] += 1
    # A review is itself followed by the reviews the kernel forecasts (a slight overestimate for mature
    # cards, whose intervals are longer than a new card's: the plan errs on the busy side).
    for i, s in enumerate(starts):
        if not s:
            continue
        for k in range(1, min(len(kernel), n - i)):
            if kernel[k]:
                load[i + k] += s * kernel[k]
    return load


def outlook(today: date, exam: date, *, unseen: int, in_scope: int, due_days: Sequence[date], per_day: int,
            kernel: Sequence[float]) -> Outlook | None:
    """The whole plan from today, or None when the exam date has passed.

    The days ahead are played out with `plan_today`, each with the reviews the forecast expects that day
    (`review_load`), assuming the learner does each day's drill: when everything is seen, what is left at
    the cut-off, and the smallest budget that would see everything in time with room for the reviews.
    """
    due_now = sum(1 for d in due_days if d <= today)
    now = plan_today(today, exam, unseen=unseen, due=due_now, per_day=per_day)
    if now is None:
        return None
    learning = now.phase is Phase.learn
    by = cutoff(exam) if learning else exam - timedelta(days=1)
    days = max((aim(today, exam) if learning else by) - today, timedelta(0)).days + 1
    need = math.ceil(unseen / days)
    load = review_load(today, max(by, today), due_days, need, kernel)
    all_seen_by, left = _play_out(today, exam, by, unseen, load, per_day)
    reviews_per_day = round(sum(load) / len(load)) if load else 0
    fits = max(per_day if not left else _smallest_budget(today, exam, by, unseen, load, per_day),
               need + reviews_per_day)
    return Outlook(now, exam, by, unseen, in_scope, per_day, reviews_per_day, all_seen_by, left,
                   mock_days(today, exam), fits)


def _smallest_budget(today: date, exam: date, by: date, unseen: int, load: Sequence[float], over: int) -> int:
    """The smallest budget above `over` that leaves nothing unseen at `by` (more budget never leaves more)."""
    low, high = over, over + unseen + math.ceil(max(load, default=0)) + 1
    while high - low > 1:
        middle = (low + high) // 2
        if _play_out(today, exam, by, unseen, load, middle)[1]:
            low = middle
        else:
            high = middle
    return high


def _play_out(today: date, exam: date, by: date, unseen: int, load: Sequence[float],
              per_day: int) -> tuple[date | None, int]:
    """Days of the plan, each drill done: (the day the last unseen question is met or None, unseen left at `by`)."""
    day, left = today, unseen
    while left and day <= by:
        t = plan_today(day, exam, unseen=left, due=round(load[(day - today).days]), per_day=per_day)
        if t is None:
            break
        left -= t.new
        if left <= 0:
            return day, 0
        day += timedelta(days=1)
    return (today if not unseen else None), left


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


def parse_date(text: str, today: date) -> date | None:
    """An exam date as people write it: 2027-02-15, 15 Feb 2027, Feb 15, 15 february. Day-first or month-first
    numbers (15/02) are ambiguous across countries and not guessed. A date without a year is the next one."""
    words = re.sub(r"[,.]", " ", text.strip().lower()).split()
    if len(words) == 1 and (m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", words[0])):
        return _date(int(m[1]), int(m[2]), int(m[3]))
    months = [w for w in words if w[:3] in _MONTHS and w.isalpha()]
    numbers = [w for w in words if w.isdigit()]
    if len(months) != 1 or len(words) != len(numbers) + 1 or not 1 <= len(numbers) <= 2:
        return None
    month = _MONTHS[months[0][:3]]
    day = next((int(n) for n in numbers if len(n) <= 2), None)
    year = next((int(n) for n in numbers if len(n) == 4), None)
    if day is None or len(numbers) == 2 and year is None:
        return None
    if year is not None:
        return _date(year, month, day)
    this_year = _date(today.year, month, day)
    return this_year if this_year is None or this_year >= today else _date(today.year + 1, month, day)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def check_date(exam: date, today: date) -> str | None:
    """Why an exam date cannot be planned for ('past', 'far'), or None when it can."""
    if exam < today:
        return "past"
    if exam - today > MAX_AHEAD:
        return "far"
    return None
