"""Study runs (topic drills, reviews, mistakes): topic matching, sizing, choosing and summing up. Pure."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.domain.selection import Seen

DEFAULT_SIZE = 10
MIN_SIZE = 3
MAX_SIZE = 30
SUGGESTIONS = 4
# Below this a fuzzy match is a guess, not a match: list suggestions instead.
MATCH_SCORE = 85
# A match must beat the next-best *other* topic by this much, or "data" would silently pick one of several.
MATCH_LEAD = 6
SUGGEST_SCORE = 45


@dataclass(frozen=True)
class TopicNames:
    """What a topic can be called: its id, its display name and its aliases."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TopicMatch:
    topic: str | None  # the topic id, when the text clearly names one topic
    suggestions: tuple[str, ...] = ()  # closest topic ids, best first, when it does not


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.casefold()).strip()


def match_topic(text: str, topics: Sequence[TopicNames]) -> TopicMatch:
    """The topic a learner means by `text` ("kinesis", "XGBoost", "metrcs"), forgiving case and typos."""
    key = _norm(text)
    if not key:
        return TopicMatch(None, tuple(t.id for t in topics[:SUGGESTIONS]))
    names: list[tuple[str, str]] = []  # (normalised name, topic id)
    for t in topics:
        names += [(_norm(t.id), t.id), (_norm(t.name), t.id)] + [(_norm(a), t.id) for a in t.aliases]
    exact = {tid for name, tid in names if name == key}
    if len(exact) == 1:
        return TopicMatch(exact.pop())
    best: dict[str, float] = {}
    for _choice, score, index in process.extract(key, [n for n, _ in names], scorer=fuzz.WRatio, limit=None):
        tid = names[index][1]
        best[tid] = max(best.get(tid, 0.0), score)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    if exact:  # an alias shared by several topics: let the learner choose among them
        return TopicMatch(None, tuple(sorted(exact, key=lambda tid: -best.get(tid, 0.0)))[:SUGGESTIONS])
    top_id, top = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if top >= MATCH_SCORE and top - runner_up >= MATCH_LEAD:
        return TopicMatch(top_id)
    close = tuple(tid for tid, score in ranked if score >= SUGGEST_SCORE)[:SUGGESTIONS]
    return TopicMatch(None, close or tuple(tid for tid, _ in ranked[:SUGGESTIONS]))


def parse_drill_args(args: Sequence[str]) -> tuple[str, int | None]:
    """`/drill kinesis data streams 20` -> ("kinesis data streams", 20); a trailing number is the size."""
    words = list(args)
    size = None
    if words and re.fullmatch(r"[+-]?\d{1,6}", words[-1]):
        size = int(words.pop())
    return " ".join(words).strip(), size


def clamp_size(requested: int | None, available: int) -> int:
    """The drill's size: the request (default 10) held to 3–30 and to the questions there are."""
    size = DEFAULT_SIZE if requested is None else max(MIN_SIZE, min(MAX_SIZE, requested))
    return max(0, min(size, available))


def pick_questions(question_ids: Sequence[str], history: Mapping[str, Seen], size: int,
                   rng: random.Random) -> list[str]:
    """`size` questions of a topic: never answered first, then last answered wrong, then the stalest; shuffled.

    Shuffling the chosen set keeps a run from always opening with the same kind of question.
    """
    unseen = [q for q in question_ids if q not in history]
    rng.shuffle(unseen)
    wrong = [q for q in question_ids if q in history and history[q].last_correct is False]
    rng.shuffle(wrong)
    rest = sorted((q for q in question_ids if q in history and history[q].last_correct is not False),
                  key=lambda q: history[q].last_asked_at)
    chosen = (unseen + wrong + rest)[:size]
    rng.shuffle(chosen)
    return chosen


@dataclass(frozen=True)
class Result:
    """One answer given in a run, with what it can be grouped by."""

    question_id: str
    correct: bool
    topic: str  # display name
    difficulty: int
    kind: str  # single | multi | fill | ordering | matching


@dataclass(frozen=True)
class Area:
    name: str
    correct: int
    answered: int


DIFFICULTY_NAMES = {1: "basic questions (●○○)", 2: "intermediate questions (●●○)",
                    3: "hard questions (●●●)"}
KIND_NAMES = {"single": "single-answer questions", "multi": "“choose N” questions", "fill": "typed answers",
              "ordering": "ordering items", "matching": "matching items"}


def weakest_areas(results: Sequence[Result], limit: int = 3) -> tuple[Area, ...]:
    """Where the misses were: by topic (when the run spans several), by difficulty and by question format.

    Only groups with at least one miss are listed, lowest accuracy first, then the larger group;
    a group covering every answer says nothing new and is left out.
    """
    groupings: list[dict[str, list[bool]]] = [{}, {}, {}]
    for r in results:
        groupings[0].setdefault(r.topic, []).append(r.correct)
        groupings[1].setdefault(DIFFICULTY_NAMES[r.difficulty], []).append(r.correct)
        groupings[2].setdefault(KIND_NAMES.get(r.kind, r.kind), []).append(r.correct)
    areas = []
    for groups in groupings:
        if len(groups) < 2:
            continue
        for name, marks in groups.items():
            if not all(marks):
                areas.append(Area(name, sum(marks), len(marks)))
    areas.sort(key=lambda a: (a.correct / a.answered, -a.answered, a.name))
    return tuple(areas[:limit])


def missed(results: Sequence[Result]) -> tuple[str, ...]:
    """Questions answered wrong at least once in the run, in first-miss order, each once."""
    seen: dict[str, None] = {}
    for r in results:
        if not r.correct:
            seen.setdefault(r.question_id, None)
    return tuple(seen)
