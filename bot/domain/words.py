"""Typed answers as words: tokens (case, punctuation and number words folded away), typos forgiven in long
words, and the glossary that folds abbreviations and former service names into one token per concept."""

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
                toks = tuple(t for t in numbers(tokens(name)) if t not in {"amazon", "aws"})
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


def tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("'", "").replace("\u2019", "")
    text = re.sub(r"(?<!\d)/|/(?!\d)", " or ", text)  # "pipe/file" hedges like "pipe or file"; "1/3" stays a fraction
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
    text = re.sub(r"\bsagemaker ai\b", "sagemaker", text)  # SageMaker's current name adds nothing to an answer
    return _TOKEN.findall(text)


def numbers(tokens: list[str]) -> list[str]:
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


def typo_ok(a: str, b: str) -> bool:
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


def fold_glossary(tokens: list[str], glossary: Glossary) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase, group in glossary.starting_with(tokens[i][:1]):
            n = phrase_at(tokens, i, phrase)
            if n:
                out.append(group)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def phrase_at(tokens: list[str], i: int, phrase: tuple[str, ...]) -> int:
    """How many tokens from `i` spell `phrase`: word by word (a small typo in each long word), or with one
    space more or fewer ("Data Brew" for "DataBrew", "databrew" for "Data Brew"), letter for letter."""
    n = len(phrase)
    window = tokens[i : i + n]
    if len(window) == n and all(typo_ok(w, p) for w, p in zip(window, phrase, strict=True)):
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
        toks = [t for t in numbers(tokens(text)) if t not in {"amazon", "aws"}]
        found = tuple(fold_glossary(toks, glossary))
        if len(cache) < 10_000:  # the bank's accepted answers, canonicalised again at every answer
            cache[text] = found
    return list(found)


def is_number(t: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?", t))
