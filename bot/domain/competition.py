"""Group competitions: speed scoring, standings, the hardest question, topic matching and week boundaries.

Pure: time comes in as aware datetimes, randomness as an `rng`, nothing is stored here.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from bot.domain.clock import require_aware

MAX_POINTS = 1000  # a correct answer the instant the question opens
STREAK_BONUS = 100  # per earlier correct answer in an unbroken run ...
STREAK_BONUS_CAP = 300  # ... up to this much, so speed still matters more than the run
DEFAULT_QUESTIONS = 10
MAX_QUESTIONS = 20
SECONDS_CHOICES = (10, 15, 20, 30, 45, 60)
DEFAULT_SECONDS = 20
WEEKLY_POST_AT = time(9, 0)  # Monday, the group's local time
TOPIC_CUTOFF = 80  # rapidfuzz WRatio below this is "not that topic"


def points(elapsed: timedelta, limit: timedelta, correct: bool, streak_before: int) -> int:
    """Kahoot-style: 1000 × (1 − (t/T)/2) for a correct answer in time, plus a capped bonus for a run; else 0."""
    if not correct or elapsed > limit or limit <= timedelta(0):
        return 0
    fraction = max(elapsed, timedelta(0)) / limit
    return round(MAX_POINTS * (1 - fraction / 2)) + min(STREAK_BONUS * streak_before, STREAK_BONUS_CAP)


def streak_before(correct_by_position: Mapping[int, bool], position: int) -> int:
    """Correct answers in a row right before `position`; a missed or wrong question breaks the run."""
    run = 0
    p = position - 1
    while correct_by_position.get(p):
        run += 1
        p -= 1
    return run


@dataclass(frozen=True)
class Scored:
    """One recorded answer of a round, as the standings need it."""

    user_id: int
    name: str
    position: int
    correct: bool
    points: int


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    name: str
    points: int
    correct: int
    answered: int


def standings(answers: Iterable[Scored]) -> tuple[Standing, ...]:
    """Players by points (then correct answers); equal totals share a rank."""
    totals: dict[int, list] = {}
    for a in answers:
        t = totals.setdefault(a.user_id, [a.name, 0, 0, 0])
        t[0] = a.name or t[0]
        t[1] += a.points
        t[2] += int(a.correct)
        t[3] += 1
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1][1], -kv[1][2], kv[1][0].casefold(), kv[0]))
    result: list[Standing] = []
    for i, (uid, (name, pts, right, answered)) in enumerate(ordered):
        prev = result[-1] if result else None
        rank = prev.rank if prev and (prev.points, prev.correct) == (pts, right) else i + 1
        result.append(Standing(rank, uid, name, pts, right, answered))
    return tuple(result)


@dataclass(frozen=True)
class QuestionResult:
    position: int
    answered: int
    correct: int


def hardest(results: Sequence[QuestionResult]) -> QuestionResult | None:
    """The question fewest got right (share of those who answered; unanswered counts as nobody right)."""
    if not results:
        return None
    return min(results, key=lambda r: (r.correct / r.answered if r.answered else 0.0, r.correct, r.position))


def per_question(answers: Iterable[Scored], size: int) -> tuple[QuestionResult, ...]:
    answered = [0] * size
    right = [0] * size
    for a in answers:
        if 0 <= a.position < size:
            answered[a.position] += 1
            right[a.position] += int(a.correct)
    return tuple(QuestionResult(p, answered[p], right[p]) for p in range(size))


# --- starting a round --------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicRef:
    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompeteArgs:
    topic_text: str  # what was typed, empty for "any topic"
    size: int


def parse_compete(args: Sequence[str]) -> CompeteArgs:
    """`/compete [topic words] [n]`: a trailing number is the size (clamped to 1..MAX_QUESTIONS)."""
    words = [w for w in args if w.strip()]
    size = DEFAULT_QUESTIONS
    if words and words[-1].isdigit():
        size = max(1, min(int(words[-1]), MAX_QUESTIONS))
        words = words[:-1]
    return CompeteArgs(" ".join(words).strip(), size)


@dataclass(frozen=True)
class TopicMatch:
    topic_id: str | None
    suggestions: tuple[str, ...] = ()  # topic names, when nothing matched well enough


def match_topic(text: str, topics: Sequence[TopicRef]) -> TopicMatch:
    """Forgiving: exact id/name/alias (any case), else the best fuzzy match above TOPIC_CUTOFF."""
    key = " ".join(text.casefold().replace("_", " ").split())
    if not key:
        return TopicMatch(None)
    choices: dict[str, str] = {}
    for t in topics:
        for label in (t.id.replace("-", " "), t.name, *t.aliases):
            choices.setdefault(label.casefold(), t.id)
    if key in choices:
        return TopicMatch(choices[key])
    best = process.extractOne(key, list(choices), scorer=fuzz.WRatio, score_cutoff=TOPIC_CUTOFF)
    if best is not None:
        return TopicMatch(choices[best[0]])
    close = process.extract(key, [t.name for t in topics], scorer=fuzz.WRatio, limit=3)
    return TopicMatch(None, tuple(name for name, _, _ in close))


def pick_questions(pool: Sequence[str], size: int, rng: random.Random) -> list[str]:
    """`size` distinct questions in random order (fewer if the pool is smaller)."""
    return rng.sample(list(pool), min(size, len(pool)))


# --- weeks ---------------------------------------------------------------------------------------


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 of the local week containing `now`, as an aware datetime in `tz`."""
    local = require_aware(now).astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0), tz)


def last_week(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, str]:
    """[start, end) of the previous local week and its ISO label (e.g. 2026-W47)."""
    end = week_start(now, tz)
    start = datetime.combine(end.date() - timedelta(days=7), time(0), tz)
    year, week, _ = start.date().isocalendar()
    return start, end, f"{year}-W{week:02d}"


def weekly_post_due(now: datetime, tz: ZoneInfo) -> bool:
    """From Monday WEEKLY_POST_AT local on, for the rest of the week (so a bot that was down still posts)."""
    local = require_aware(now).astimezone(tz)
    return local.weekday() > 0 or local.time() >= WEEKLY_POST_AT
