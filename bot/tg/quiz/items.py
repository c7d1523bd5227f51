"""How ordering and matching items look and are answered: tap the steps in order (with undo), or pick a letter
for each numbered prompt; then Submit. Used by practice (quiz, drills, reviews) and by the mock exam alike:
each caller gives the callback data of its own buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from bot.content import Question, QuestionType
from bot.content.models import LETTERS
from bot.domain.picks import UNSET

Row = list[tuple[str, str]]  # (label, callback data)
NUMBERS = "①②③④⑤⑥⑦"


def item_lines(question: Question, order: Sequence[int], selected: Sequence[int]) -> list[str]:
    """The question body under its prompt: the shuffled steps or choices, and what has been picked so far."""
    q = question
    lettered = [f"<b>{LETTERS[pos]}.</b> {escape(q.items[idx])}" for pos, idx in enumerate(order)]
    if q.type is QuestionType.ordering:
        placed = " → ".join(LETTERS[p] for p in selected) if selected else "nothing yet"
        return [*lettered, "", f"Your order: <b>{placed}</b>",
                f"<i>Tap the steps in order, first to last ({len(selected)}/{len(order)} placed); "
                "↩ takes one back.</i>"]
    picks = list(selected) or [UNSET] * len(q.pairs)
    prompts = [f"{NUMBERS[i]} {escape(left)} → <b>{LETTERS[picks[i]] if picks[i] != UNSET else '?'}</b>"
               for i, (left, _) in enumerate(q.pairs)]
    matched = sum(p != UNSET for p in picks)
    return [*prompts, "", "<b>Choices</b>", *lettered, "",
            f"<i>For each numbered item tap the letter of its match in its row ({matched}/{len(q.pairs)}); "
            "a choice may fit more than one item, or none.</i>"]


def item_rows(question: Question, order: Sequence[int], selected: Sequence[int], *, place: Callable[[int], str],
              match: Callable[[int, int], str], label: Callable[[int], str], undo: str,
              submit: str | None) -> list[Row]:
    """The buttons: a letter per step (✓ once placed) and ↩; or a row per prompt with a letter per choice."""
    rows: list[Row] = []
    if question.type is QuestionType.ordering:
        letters = [(f"✓{LETTERS[p]}" if p in selected else LETTERS[p], place(p)) for p in range(len(order))]
        rows.append(letters)
        complete = len(selected) == len(order)
    else:
        picks = list(selected) or [UNSET] * len(question.pairs)
        for i in range(len(question.pairs)):
            rows.append([(NUMBERS[i], label(i))] + [(f"✓{LETTERS[p]}" if picks[i] == p else LETTERS[p], match(i, p))
                                                    for p in range(len(order))])
        complete = UNSET not in picks
    control: Row = [("↩ Undo", undo)] if any(p != UNSET for p in selected) else []
    if submit is not None:
        control.append(("Submit ✔" if complete else "Submit (finish first)", submit))
    if control:
        rows.append(control)
    return rows


def verdict_lines(question: Question, order: Sequence[int], chosen: Sequence[int]) -> list[str]:
    """After the answer: the right order (or pairs), with the learner's own marked where it differed."""
    q = question
    position = {idx: pos for pos, idx in enumerate(order)}
    if q.type is QuestionType.ordering:
        lines = ["<b>The right order:</b>"]
        for rank, step in enumerate(q.steps):
            theirs = chosen[rank] if rank < len(chosen) else UNSET
            mark = "✅" if theirs != UNSET and order[theirs] == rank else "❌"
            lines.append(f"{mark} {rank + 1}. {escape(step)}")
        if chosen:
            yours = " → ".join(LETTERS[p] if p != UNSET else "?" for p in chosen)
            right = " → ".join(LETTERS[position[i]] for i in range(len(q.steps)))
            lines.append(f"<i>Yours: {yours} · right: {right}</i>")
        return lines
    lines = ["<b>The right pairs:</b>"]
    for i, (left, right) in enumerate(q.pairs):
        theirs = chosen[i] if i < len(chosen) else UNSET
        ok = theirs != UNSET and order[theirs] == q.matches[i]
        wrong = "" if ok or theirs == UNSET else f" <i>(you: {escape(q.items[order[theirs]])})</i>"
        lines.append(f"{'✅' if ok else '❌'} {escape(left)} → <b>{escape(right)}</b>{wrong}")
    return lines
