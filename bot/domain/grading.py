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
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA

# Words a learner wraps an answer in ("I think it's ...", "the answer is ..."). Never "not"/"no".
FILLER = frozenset(
    """i im ive think thought its it is was the a an answer answers would be probably maybe perhaps guess
    use using used should we you called named that this which my option choice pick choose
    believe say id hmm um uh ok okay so well just definitely pretty sure of course please
    about approximately approx around roughly nearly ie eg""".split()
)
# Generic words whose presence or absence changes nothing ("Pipe" = "Pipe mode" = "Pipe input mode").
OPTIONAL = frozenset(
    "amazon aws sagemaker mode input algorithm algo service method technique function approach type".split()
)
# Units after a number ("4 shards"). A different unit from the expected one is still wrong.
UNITS = frozenset(
    """shard shards s sec secs second seconds ms millisecond milliseconds min mins minute minutes h hr hrs hour hours
    day days week weeks month months kb mb gb tb pb kib mib gib tib percent pct containers container models model
    instances instance records record nodes node times x layers layer port ports kbps mbps gbps years year""".split()
)
ARTICLES = frozenset({"the", "a", "an"})
HEDGES = frozenset({"or", "either", "vs", "versus"})
_UNITS_SAME = {"s": "second", "sec": "second", "secs": "second", "seconds": "second", "second": "second",
               "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
               "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour"}

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
# A minus sign belongs to a number when nothing alphanumeric precedes it: "-20,000" is not "20000".
_TOKEN = re.compile(r"\d+(?:\.\d+)?/\d+(?:\.\d+)?|(?<![a-z0-9])-?\d+(?:\.\d+)?|[a-z0-9]+")
MAX_ATTEMPT_CHARS = 500  # longer input is not an answer to a short-answer question


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


@dataclass(frozen=True)
class Glossary:
    """Synonym groups (abbreviations, current and former names) folded into one token per group."""

    phrases: tuple[tuple[tuple[str, ...], str], ...] = field(default=())  # (tokens, group token), longest first
    names: tuple[tuple[str, str], ...] = field(default=())  # group token -> the group's first name, for hints

    @classmethod
    def from_groups(cls, groups: Iterable[Sequence[str]]) -> Glossary:
        phrases: list[tuple[tuple[str, ...], str]] = []
        names: list[tuple[str, str]] = []
        for i, group in enumerate(groups):
            names.append((f"#g{i}", group[0]))
            for name in group:
                toks = tuple(t for t in _numbers(_tokens(name)) if t not in {"amazon", "aws"})
                if toks:
                    phrases.append((toks, f"#g{i}"))
        phrases.sort(key=lambda p: -len(p[0]))
        return cls(tuple(phrases), tuple(names))

    def display(self, tokens: Iterable[str]) -> str:
        lookup = dict(self.names)
        return " ".join(lookup.get(t, t) for t in tokens)

    def __post_init__(self) -> None:
        # Derived lookups, kept on the instance (outside eq/hash: hashing all phrases per call is slow).
        built: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase in self.phrases:
            built.setdefault(phrase[0][0][:1], []).append(phrase)
        object.__setattr__(self, "_by_letter", {k: tuple(v) for k, v in built.items()})
        object.__setattr__(self, "canonical_cache", {})

    def starting_with(self, letter: str) -> tuple[tuple[tuple[str, ...], str], ...]:
        """The phrases whose first word starts with `letter`, longest first.

        A word only matches a phrase word with the same first letter (exactly, or as a typo), so
        these are the only phrases that can start at a word beginning with `letter`.
        """
        return self._by_letter.get(letter, ())  # type: ignore[attr-defined]


EMPTY_GLOSSARY = Glossary()


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("'", "").replace("\u2019", "")
    text = re.sub(r"(?<!\d)/|/(?!\d)", " or ", text)  # "pipe/file" hedges like "pipe or file"; "1/3" stays a fraction
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
    text = re.sub(r"\bsagemaker ai\b", "sagemaker", text)  # SageMaker's current name adds nothing to an answer
    return _TOKEN.findall(text)


def _numbers(tokens: list[str]) -> list[str]:
    """Turn number words into digits: 'twenty five' -> '25', 'four' -> '4'."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in _NUMBER_WORDS or t in _TENS:
            total, current = 0, 0
            while i < len(tokens) and (
                tokens[i] in _NUMBER_WORDS or tokens[i] in _TENS or tokens[i] in _SCALES or tokens[i] == "and"
            ):
                w = tokens[i]
                if w == "and":
                    if i + 1 < len(tokens) and (tokens[i + 1] in _NUMBER_WORDS or tokens[i + 1] in _TENS):
                        i += 1
                        continue
                    break
                if w in _NUMBER_WORDS:
                    current += _NUMBER_WORDS[w]
                elif w in _TENS:
                    current += _TENS[w]
                elif w == "hundred":
                    current = max(current, 1) * 100
                else:
                    total += max(current, 1) * _SCALES[w]
                    current = 0
                i += 1
            out.append(str(total + current))
            continue
        out.append(t)
        i += 1
    return out


def _typo_ok(a: str, b: str) -> bool:
    """A small typo in a long word: same first letter, letters only, distance scaled to length."""
    if a == b:
        return True
    if not (a.isalpha() and b.isalpha()) or a[0] != b[0]:
        return False
    n = min(len(a), len(b))
    if n < 6:
        return False
    allowed = 1 if n < 9 else 2
    # Optimal string alignment: two swapped letters ("redcue") are one typo, not two.
    return OSA.distance(a, b, score_cutoff=allowed) <= allowed


def _fold_glossary(tokens: list[str], glossary: Glossary) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase, group in glossary.starting_with(tokens[i][:1]):
            n = _phrase_at(tokens, i, phrase)
            if n:
                out.append(group)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _phrase_at(tokens: list[str], i: int, phrase: tuple[str, ...]) -> int:
    """How many tokens from `i` spell `phrase`: word by word (a small typo in each long word), or with one
    space more or fewer ("Data Brew" for "DataBrew", "databrew" for "Data Brew"), letter for letter."""
    n = len(phrase)
    window = tokens[i : i + n]
    if len(window) == n and all(_typo_ok(w, p) for w, p in zip(window, phrase, strict=True)):
        return n
    joined = "".join(phrase)
    for k in (n + 1, n - 1):
        if k >= 1 and i + k <= len(tokens) and "".join(tokens[i : i + k]) == joined:
            return k
    return 0


def canonical(text: str, glossary: Glossary = EMPTY_GLOSSARY) -> list[str]:
    """Canonical tokens of a text (exposed for tests and for matching topic names)."""
    cache: dict[str, tuple[str, ...]] = glossary.canonical_cache  # type: ignore[attr-defined]
    found = cache.get(text)
    if found is None:
        toks = [t for t in _numbers(_tokens(text)) if t not in {"amazon", "aws"}]
        found = tuple(_fold_glossary(toks, glossary))
        if len(cache) < 10_000:  # the bank's accepted answers, canonicalised again at every answer
            cache[text] = found
    return list(found)


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
        near = next((t for t in remaining if _typo_ok(t, a)), None)
        if near is not None:
            remaining.remove(near)
            typo = True
        elif a not in OPTIONAL and a not in UNITS and a not in ARTICLES:
            missing.append(a)
    expected_units = {_unit(a) for a in accepted if a in UNITS}
    wanted_numbers = [a for a in accepted if _is_number(a)]
    if len(wanted_numbers) > 1 and [t for t in attempt if _is_number(t)] != wanted_numbers:
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
    if len(words) != 2 or not _is_number(words[0]) or "/" in words[0]:
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
    gloss = _tokens(m["inner"])
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
    raw = [t for t in _numbers(_tokens(attempt)) if t not in {"amazon", "aws"}]
    if not [t for t in raw if t not in FILLER]:
        return Verdict(False, "empty", expected)
    tokens = _fold_glossary(raw, glossary)
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
        whole = next(((i, _Match(ok=True)) for i, a in enumerate(accepted) if squashed == "".join(_tokens(a))), None)
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
    if _is_number(wrote) and _is_number(wanted):
        return True
    terms = [t.startswith("#g") for t in (wrote, wanted)]
    if all(terms):  # two named terms: "Streams" for "Firehose", "precision" for "recall"
        return True
    # Two plain words ("file" for "pipe"), not keyboard mash ("asdfjkl", "qqqq").
    return not any(terms) and all(len(t) >= 2 and not re.search(r"[^aeiouy\d]{5,}|(.)\1\1", t) for t in (wrote, wanted))


def _is_number(t: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?", t))


def grade_choice(selected: Iterable[int], correct: Iterable[int]) -> bool:
    """A multiple-choice answer is right when exactly the correct options are selected."""
    return set(selected) == set(correct)


def grade_ordering(picked: Sequence[int], steps: int) -> bool:
    """An ordering item is right only when every step is placed, in the documented order (all or nothing)."""
    return list(picked) == list(range(steps))


def grade_matching(picked: Sequence[int], matches: Sequence[int]) -> bool:
    """A matching item is right only when every prompt has its own match (all or nothing)."""
    return len(picked) == len(matches) and all(p == m for p, m in zip(picked, matches, strict=True))
