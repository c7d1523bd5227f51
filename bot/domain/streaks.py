"""Daily streaks with freezes, computed from the record of days: a pure replay, so it is always consistent.

- A day counts when the daily goal was met that local day.
- Today not (yet) met leaves the streak alone; it is only "at risk".
- A missed day uses a freeze if the streak has one to protect; otherwise the streak resets.
- Every 7th consecutive day earns a freeze; at most 2 are held.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

FREEZE_EVERY = 7
MAX_FREEZES = 2


@dataclass(frozen=True)
class Streak:
    current: int = 0
    longest: int = 0
    freezes: int = 0
    today_done: bool = False
    frozen_days: tuple[date, ...] = ()

    @property
    def at_risk(self) -> bool:
        return self.current > 0 and not self.today_done


def _met(state: Streak, day: date) -> Streak:
    current = state.current + 1
    freezes = state.freezes
    if current % FREEZE_EVERY == 0:
        freezes = min(MAX_FREEZES, freezes + 1)
    return Streak(current, max(state.longest, current), freezes, state.today_done, state.frozen_days)


def _missed(state: Streak, day: date) -> Streak:
    if state.current > 0 and state.freezes > 0:
        return Streak(state.current, state.longest, state.freezes - 1, state.today_done, (*state.frozen_days, day))
    return Streak(0, state.longest, state.freezes, state.today_done)


def compute(met_days: Iterable[date], today: date) -> Streak:
    """Replay every day from the first one the goal was met up to today."""
    met = sorted(set(d for d in met_days if d <= today))
    if not met:
        return Streak()
    state = Streak()
    met_set = set(met)
    day = met[0]
    while day < today:
        state = _met(state, day) if day in met_set else _missed(state, day)
        day += timedelta(days=1)
    if today in met_set:
        state = _met(state, today)
        state = Streak(state.current, state.longest, state.freezes, True, state.frozen_days)
    return state
