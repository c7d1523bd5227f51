"""Which question to ask next, and in what order to show its options."""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
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


@dataclass(frozen=True)
class DomainSkill:
    answered: int
    correct: int


MIN_ANSWERS_FOR_ACCURACY = 3  # below this a domain's accuracy is unknown and taken as 50%


def weakness_weights(exam_weights: Mapping[str, float], skills: Mapping[str, DomainSkill]) -> dict[str, float]:
    """Exam weight times (2 - accuracy): a domain you get wrong more often comes up more often."""
    out = {}
    for domain, weight in exam_weights.items():
        skill = skills.get(domain)
        if skill is None or skill.answered < MIN_ANSWERS_FOR_ACCURACY:
            accuracy = 0.5
        else:
            accuracy = skill.correct / skill.answered
        out[domain] = weight * (2.0 - accuracy)
    return out


def group_by_domain(candidates: Sequence[Candidate]) -> dict[str, tuple[Candidate, ...]]:
    """The bank's questions per exam domain: computed once, used for every drill."""
    pools: dict[str, list[Candidate]] = {}
    for c in candidates:
        pools.setdefault(c.domain, []).append(c)
    return {d: tuple(p) for d, p in pools.items()}


def plan_drill(
    due: Sequence[str],
    pools: Mapping[str, Sequence[Candidate]],
    history: Mapping[str, Seen],
    weights: Mapping[str, float],
    size: int,
    rng: random.Random,
    exclude: Collection[str] = (),
) -> list[str]:
    """A drill: reviews that are due first (most overdue first, as given), then new questions by weight.

    `pools` are the candidates per domain (see group_by_domain). When every question has been
    seen, the stalest ones fill the rest. Questions in `exclude` (an open mock exam's) are never planned.
    """
    plan = [q for q in dict.fromkeys(due) if q not in exclude][:size]
    chosen = set(plan) | set(exclude)
    open_domains = sorted(d for d, pool in pools.items() if pool)
    while len(plan) < size and open_domains:
        domain = rng.choices(open_domains, weights=[weights.get(d, 1.0) for d in open_domains], k=1)[0]
        pick = _draw_unseen(pools[domain], history, chosen, rng)
        if pick is None:
            open_domains.remove(domain)
            continue
        plan.append(pick.id)
        chosen.add(pick.id)
    if len(plan) < size:
        seen = (c for pool in pools.values() for c in pool if c.id not in chosen and c.id in history)
        stale = sorted(seen, key=lambda c: history[c.id].last_asked_at)
        plan.extend(c.id for c in stale[: size - len(plan)])
    return plan


def _draw_unseen(pool: Sequence[Candidate], history: Mapping[str, Seen], chosen: set[str],
                 rng: random.Random) -> Candidate | None:
    """A random candidate of the pool not yet seen or chosen: a few random tries, then a scan."""
    for _ in range(8):
        c = pool[rng.randrange(len(pool))]
        if c.id not in history and c.id not in chosen:
            return c
    rest = [c for c in pool if c.id not in history and c.id not in chosen]
    return rng.choice(rest) if rest else None
