"""What a tap does to an answer being built, before it is submitted: the same rules in practice and in the
mock exam. A selection is a list of shown positions: the ticked options (choose-N), the steps in the order
they were placed (ordering), or the chosen match per prompt, UNSET for none yet (matching).

Pure: each function returns the new selection, or None when the tap does not fit the question.
"""

from __future__ import annotations

from collections.abc import Sequence

UNSET = -1  # a matching prompt without a pick yet


def empty(kind: str, prompts: int) -> list[int]:
    """A selection before any tap: nothing, or every matching prompt unmatched."""
    return [UNSET] * prompts if kind == "matching" else []


def tick(selected: Sequence[int], position: int, n: int) -> list[int] | None:
    """Choose-N: tick or untick one of `n` options."""
    return sorted(set(selected) ^ {position}) if 0 <= position < n else None


def place(selected: Sequence[int], position: int, n: int) -> list[int] | None:
    """Ordering: put the step at `position` next in line (a step placed already stays where it is)."""
    if not 0 <= position < n:
        return None
    return list(selected) if position in selected else [*selected, position]


def pair(selected: Sequence[int], prompt: int, position: int, n: int) -> list[int] | None:
    """Matching: the choice at `position` for prompt number `prompt`; the same again clears it."""
    if not 0 <= prompt < len(selected) or not 0 <= position < n:
        return None
    chosen = list(selected)
    chosen[prompt] = UNSET if chosen[prompt] == position else position
    return chosen


def take_back(kind: str, selected: Sequence[int]) -> list[int] | None:
    """↩: the step placed last (ordering), or the match of the last prompt that has one (matching)."""
    if kind == "ordering":
        return list(selected[:-1])
    if kind == "matching":
        chosen = list(selected)
        for i in range(len(chosen) - 1, -1, -1):
            if chosen[i] != UNSET:
                chosen[i] = UNSET
                break
        return chosen
    return None


def picked_any(selected: Sequence[int]) -> bool:
    """Whether anything was picked (an untouched matching is all UNSET)."""
    return any(p != UNSET for p in selected)
