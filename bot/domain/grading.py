"""Grading: choices, and typed answers judged the way a fair examiner would.

A typed answer is reduced to canonical tokens (case, punctuation, number words,
glossary synonyms and former service names folded away), then compared with each
accepted answer token by token. Extra words are forgiven only when they carry no
meaning (filler, generic words like "mode", units); a small typo is forgiven only
in a long word (one in each such word) and never in a number. A hedge ("Pipe mode or
File mode") is wrong.

Also accepted: either form of an answer written "Long Name (ABBR)" or "Current Name
(formerly Old Name)"; a name written with or without a space ("Data Brew"); the same
duration or size in another unit (2 weeks = 14 days, 1 TB = 1024 GB); and a right answer
followed by a short gloss in parentheses ("runtime (the Neo runtime)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.words import (
    ARTICLES,
    EMPTY_GLOSSARY,
    FILLER,
    HEDGES,
    OPTIONAL,
    UNITS,
    Glossary,
    canonical,
    fold_glossary,
    is_number,
    numbers,
    typo_ok,
)
from bot.domain.words import tokens as tokenize

MAX_ATTEMPT_CHARS = 500  # longer input is not an answer to a short-answer question
_UNITS_SAME = {"s": "second", "sec": "second", "secs": "second", "seconds": "second", "second": "second",
               "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
               "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour"}


@dataclass(frozen=True)
class Verdict:
    """The judgement on one typed answer; truthy when it counts."""

    correct: bool
    reason: str  # exact | variant | typo | hedged | wrong | empty | too_long
    expected: str
    close: bool = False  # rejected, but near enough to deserve an explanation
    hint: str | None = None  # for a close miss: what differs

    def __bool__(self) -> bool:
        return self.correct


def _unit(t: str) -> str:
    return _UNITS_SAME.get(t, t.rstrip("s") if len(t) > 3 else t)


@dataclass(frozen=True)
class _Match:
    ok: bool
    typo: bool = False
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()


def _match(attempt: list[str], accepted: list[str]) -> _Match:
    remaining = list(attempt)
    missing: list[str] = []
    typo = False
    for a in accepted:
        if a in remaining:
            remaining.remove(a)
            continue
        near = next((t for t in remaining if typo_ok(t, a)), None)
        if near is not None:
            remaining.remove(near)
            typo = True
        elif a not in OPTIONAL and a not in UNITS and a not in ARTICLES:
            missing.append(a)
    expected_units = {_unit(a) for a in accepted if a in UNITS}
    wanted_numbers = [a for a in accepted if is_number(a)]
    if len(wanted_numbers) > 1 and [t for t in attempt if is_number(t)] != wanted_numbers:
        # Several numbers are an ordered answer: (2, 16) is not (16, 2).
        missing = missing or wanted_numbers
    if not any(a not in OPTIONAL and a not in ARTICLES and a not in UNITS for a in accepted):
        # An answer made only of generic words ("SageMaker") must be given as such.
        missing = [a for a in accepted if a not in attempt]
    extra = []
    for t in remaining:
        if t in FILLER or t in OPTIONAL or (t in accepted and t not in missing):
            continue  # filler, generic words, or the same name given twice ("RCF (Random Cut Forest)")
        if t in UNITS and (not expected_units or _unit(t) in expected_units):
            continue
        extra.append(t)
    return _Match(ok=not missing and not extra, typo=typo, missing=tuple(missing), extra=tuple(extra))


def _segments(tokens: list[str]) -> list[list[str]]:
    segs: list[list[str]] = [[]]
    for t in tokens:
        if t in HEDGES:
            segs.append([])
        else:
            segs[-1].append(t)
    return [s for s in segs if any(t not in FILLER for t in s)]


_PARENTHESIS = re.compile(r"^(?P<outer>.*?)\s*\((?P<inner>[^()]*)\)\s*$")
_FORMER = re.compile(r"^(?:formerly|previously|was|now|also|aka|or|old name|new name)[:\s]+", re.I)
_ABBREVIATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,11}$")
GLOSS_MAX_WORDS = 8
_NEGATIONS = frozenset({"not", "no", "never", "nor", "without"})


def expand_accepted(accepted: Sequence[str]) -> list[str]:
    """The accepted answers, plus the forms a written answer implies: "Random Cut Forest (RCF)" accepts
    "Random Cut Forest" and "RCF"; "Amazon Data Firehose (formerly Kinesis Data Firehose)" accepts either
    name; "Random Cut Forest (the default detector)" accepts "Random Cut Forest" but not the description."""
    out: list[str] = []
    for answer in accepted:
        out.append(answer)
        m = _PARENTHESIS.match(answer)
        if not m or not m["outer"].strip():
            continue
        outer, inner = m["outer"].strip(), m["inner"].strip()
        out.append(outer)
        former = _FORMER.match(inner)
        if former:
            out.append(inner[former.end():].strip())
        elif _ABBREVIATION.match(inner) and sum(c.isupper() for c in inner) >= 2:
            out.append(inner)
    return list(dict.fromkeys(a for a in out if a))


# Durations in seconds and sizes in bytes: the same quantity in another unit counts.
_DURATION = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400, "week": 604_800, "ms": 0.001,
             "millisecond": 0.001}
_SIZE_EXP = {"kb": 1, "kib": 1, "mb": 2, "mib": 2, "gb": 3, "gib": 3, "tb": 4, "tib": 4, "pb": 5}
_TIME_WORDS = {"s": "second", "sec": "second", "secs": "second", "seconds": "second", "second": "second",
               "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
               "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour",
               "day": "day", "days": "day", "week": "week", "weeks": "week",
               "ms": "ms", "millisecond": "millisecond", "milliseconds": "millisecond"}


def _quantity(tokens: list[str]) -> tuple[str, float, float] | None:
    """(dimension, value, alternative value) when the tokens are just one number and a duration or size unit.

    Sizes have two readings (1 GB = 1000 MB or 1024 MiB-style): both are kept, and either matching counts.
    """
    words = [t for t in tokens if t not in FILLER]
    if len(words) != 2 or not is_number(words[0]) or "/" in words[0]:
        return None
    number, unit = float(words[0]), words[1]
    if unit in _TIME_WORDS:
        seconds = number * _DURATION[_TIME_WORDS[unit]]
        return "time", seconds, seconds
    if unit in _SIZE_EXP:
        return "size", number * 1000 ** _SIZE_EXP[unit], number * 1024 ** _SIZE_EXP[unit]
    return None


def _same_quantity(attempt: list[str], target: list[str]) -> bool:
    a, b = _quantity(attempt), _quantity(target)
    if a is None or b is None or a[0] != b[0]:
        return False
    return any(abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1) for x in a[1:] for y in b[1:])


def _respace(tokens: list[str], target: list[str]) -> list[str]:
    """Join two attempt words that spell one target word ("data brew" for "databrew"), or split one that
    spells two ("sagemaker" and "pipelines" stay; "databrew" for "data brew" splits). Exact letters only."""
    wanted = set(target)
    pairs = {a + b: (a, b) for a, b in zip(target, target[1:], strict=False)}
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if i + 1 < len(tokens) and t not in wanted and t + tokens[i + 1] in wanted:
            out.append(t + tokens[i + 1])
            i += 2
            continue
        if t not in wanted and t in pairs:
            out.extend(pairs[t])
        else:
            out.append(t)
        i += 1
    return out


def _gloss_removed(attempt: str) -> str | None:
    """The answer without a short trailing gloss in parentheses, when the gloss neither hedges nor negates."""
    m = _PARENTHESIS.match(attempt)
    if not m or not m["outer"].strip():
        return None
    gloss = tokenize(m["inner"])
    if len(gloss) > GLOSS_MAX_WORDS or any(t in HEDGES or t in _NEGATIONS for t in gloss):
        return None
    return m["outer"]


def grade_text(attempt: str, accepted: Sequence[str], glossary: Glossary = EMPTY_GLOSSARY) -> Verdict:
    """Judge a typed answer against the canonical answer (first) and its accepted variants."""
    if not accepted:
        raise ValueError("a fill question needs at least one accepted answer")
    verdict = _grade(attempt, accepted, glossary)
    if not verdict and verdict.reason == "wrong" and (bare := _gloss_removed(attempt)) is not None:
        plain = _grade(bare, accepted, glossary)
        if plain:
            return Verdict(True, "variant", plain.expected)
    return verdict


def _grade(attempt: str, accepted: Sequence[str], glossary: Glossary) -> Verdict:
    expected = accepted[0]
    accepted = expand_accepted(accepted)
    if len(attempt) > MAX_ATTEMPT_CHARS:
        return Verdict(False, "too_long", expected)
    raw = [t for t in numbers(tokenize(attempt)) if t not in {"amazon", "aws"}]
    if not [t for t in raw if t not in FILLER]:
        return Verdict(False, "empty", expected)
    tokens = fold_glossary(raw, glossary)
    targets = [(i, canonical(a, glossary)) for i, a in enumerate(accepted)]
    targets = [(i, t) for i, t in targets if t]

    def best(toks: list[str]) -> tuple[int, _Match] | None:
        for i, target in targets:
            m = _match(_respace(toks, target), target)
            if m.ok or _same_quantity(toks, target):
                return i, m if m.ok else _Match(ok=True)
        return None

    whole = best(tokens)
    if whole is None:
        # "sharded by s3 key" for ShardedByS3Key: the same letters, spaced differently.
        squashed = "".join(t for t in raw if t not in FILLER)
        whole = next(((i, _Match(ok=True)) for i, a in enumerate(accepted) if squashed == "".join(tokenize(a))), None)
    if whole is not None:
        i, m = whole
        return Verdict(True, "typo" if m.typo else ("exact" if i == 0 else "variant"), expected)

    segments = _segments(tokens)
    if len(segments) >= 2:
        results = [best(s) is not None for s in segments]
        if all(results):
            return Verdict(True, "variant", expected)
        if any(results):
            return Verdict(False, "hedged", expected, close=True, hint="give one answer, not a choice between two")
    elif len(segments) == 1 and segments[0] != tokens:
        only = best(segments[0])
        if only is not None:
            return Verdict(True, "variant", expected)

    return _near_miss(tokens, targets, expected, glossary)


def _near_miss(tokens: list[str], targets: list[tuple[int, list[str]]], expected: str, glossary: Glossary) -> Verdict:
    """A wrong answer; 'close' when it differs from an accepted answer in a word or two."""
    best_share, best_match = 0.0, None
    for _, target in targets:
        m = _match(tokens, target)
        meaningful = [a for a in target if a not in OPTIONAL and a not in ARTICLES and a not in UNITS]
        if not meaningful:
            continue
        share = 1 - len(m.missing) / len(meaningful)
        if share > best_share:
            best_share, best_match = share, m
        if len(m.missing) == 1 and len(m.extra) == 1 and _comparable(m.extra[0], m.missing[0]):
            share = max(share, 0.5)
        if share > best_share:
            best_share, best_match = share, m
    if best_match is not None and best_share >= 0.5 and len(best_match.extra) <= 2:
        hint = None
        wrote, lacks = glossary.display(best_match.extra), glossary.display(best_match.missing)
        if best_match.missing and best_match.extra:
            hint = f"you wrote “{wrote}” where the answer has “{lacks}”"
        elif best_match.missing:
            hint = f"it is missing “{lacks}”"
        elif best_match.extra:
            hint = f"“{wrote}” makes it a different answer"
        return Verdict(False, "wrong", expected, close=True, hint=hint)
    return Verdict(False, "wrong", expected)


def _comparable(wrote: str, wanted: str) -> bool:
    """Two single words a learner could confuse: numbers, named terms, or words that look alike."""
    if is_number(wrote) and is_number(wanted):
        return True
    terms = [t.startswith("#g") for t in (wrote, wanted)]
    if all(terms):  # two named terms: "Streams" for "Firehose", "precision" for "recall"
        return True
    # Two plain words ("file" for "pipe"), not keyboard mash ("asdfjkl", "qqqq").
    return not any(terms) and all(len(t) >= 2 and not re.search(r"[^aeiouy\d]{5,}|(.)\1\1", t) for t in (wrote, wanted))


def grade_choice(selected: Iterable[int], correct: Iterable[int]) -> bool:
    """A multiple-choice answer is right when exactly the correct options are selected."""
    return set(selected) == set(correct)


def grade_ordering(picked: Sequence[int], steps: int) -> bool:
    """An ordering item is right only when every step is placed, in the documented order (all or nothing)."""
    return list(picked) == list(range(steps))


def grade_matching(picked: Sequence[int], matches: Sequence[int]) -> bool:
    """A matching item is right only when every prompt has its own match (all or nothing)."""
    return len(picked) == len(matches) and all(p == m for p, m in zip(picked, matches, strict=True))
