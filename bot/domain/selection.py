"""Which question to ask next, and in what order to show its options."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Seen:
    """What a user has done with one question so far."""

    answered: int
    last_correct: bool | None
    last_asked_at: datetime


@dataclass(frozen=True)
class Candidate:
    id: str
    domain: str


def pick_next(
    candidates: Sequence[Candidate],
    history: Mapping[str, Seen],
    domain_weights: Mapping[str, float],
    rng: random.Random,
) -> str | None:
    """Unseen questions first (domains drawn by exam weight), then ones last answered wrong, then the stalest.

    Returns a question id, or None if there are no candidates.
    """
    if not candidates:
        return None
    unseen = [c for c in candidates if c.id not in history]
    if unseen:
        by_domain: dict[str, list[Candidate]] = {}
        for c in unseen:
            by_domain.setdefault(c.domain, []).append(c)
        domains = sorted(by_domain)
        weights = [domain_weights.get(d, 1.0) for d in domains]
        domain = rng.choices(domains, weights=weights, k=1)[0]
        return rng.choice(by_domain[domain]).id
    missed = [c for c in candidates if history[c.id].last_correct is False]
    if missed:
        return rng.choice(missed).id
    return min(candidates, key=lambda c: history[c.id].last_asked_at).id


def shuffled_order(n_options: int, rng: random.Random) -> list[int]:
    """A random permutation: position shown to the user -> option index in the file."""
    order = list(range(n_options))
    rng.shuffle(order)
    return order
