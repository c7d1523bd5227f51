"""Independent review of the bank: export questions without their keys, then compare a reader's answers.

    python scripts/review.py blind content/questions/de1.yaml > /tmp/de1.blind.md
    python scripts/review.py compare content/questions/de1.yaml /tmp/de1.answers.yaml

The answers file maps question id -> {answer: "B" | "A,D" | "typed text" | "C,A,B" | "B,A,C", flag: "..."}.
Ordering: the letters of the steps in the right order. Matching: for prompts 1, 2, 3... in turn, the letter
of its match. Steps and choices are shown shuffled (the same way every time, by question id).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import yaml

from bot.config import REPO_ROOT
from bot.content import QuestionType, collect
from bot.content.models import LETTERS
from bot.domain.grading import Glossary, grade_text


def _questions(path: Path):
    """The valid questions of one file (problems elsewhere in the bank do not stop a review of this one)."""
    bank, problems = collect(REPO_ROOT / "content")
    rel = str(path.resolve().relative_to((REPO_ROOT / "content").resolve()))
    mine = [p for p in problems if p.file == rel]
    if bank is None or mine:
        sys.exit("fix these first:\n" + "\n".join(f"  - {p}" for p in mine or problems))
    return bank, [q for q in bank.questions if bank.files[q.id] == rel]


def _shown(q) -> list[int]:
    """Shown position -> index into q.items, shuffled the same way every time (ordering and matching)."""
    order = list(range(len(q.items)))
    if q.type in (QuestionType.ordering, QuestionType.matching):
        random.Random(q.id).shuffle(order)
    return order


def blind(path: Path) -> None:
    _, questions = _questions(path)
    for q in questions:
        print(f"## {q.id}  ({q.type.value})")
        print(q.prompt)
        if q.type is QuestionType.matching:
            for i, (left, _) in enumerate(q.pairs):
                print(f"  {i + 1}. {left}")
            print("  Choices:")
        for pos, idx in enumerate(_shown(q)):
            print(f"  {LETTERS[pos]}. {q.items[idx]}")
        if q.type is QuestionType.fill:
            print("  (type a short answer)")
        elif q.type is QuestionType.ordering:
            print("  (answer: the letters in the right order)")
        elif q.type is QuestionType.matching:
            print("  (answer: for prompts 1, 2, ... in turn, the letter of its match)")
        print()


def compare(path: Path, answers_path: Path) -> int:
    bank, questions = _questions(path)
    glossary = Glossary.from_groups(bank.synonyms)
    answers = yaml.safe_load(answers_path.read_text()) or {}
    disagreements = 0
    for q in questions:
        given = answers.get(q.id)
        if given is None:
            print(f"MISSING  {q.id}")
            disagreements += 1
            continue
        answer = str(given.get("answer", "")) if isinstance(given, dict) else str(given)
        flag = given.get("flag") if isinstance(given, dict) else None
        if q.type is QuestionType.fill:
            agree = bool(grade_text(answer, q.accepted_answers, glossary))
            key = q.answer
        elif q.type in (QuestionType.ordering, QuestionType.matching):
            shown = _shown(q)
            position = {idx: pos for pos, idx in enumerate(shown)}
            wanted = range(len(q.steps)) if q.type is QuestionType.ordering else q.matches
            key = ",".join(LETTERS[position[i]] for i in wanted)
            parts = [x.strip().upper() for x in answer.replace(" ", ",").split(",") if x.strip()]
            if len(parts) == 1 and len(parts[0]) > 1:
                parts = list(parts[0])
            agree = ",".join(parts) == key
        else:
            parts = [x.strip().upper() for x in answer.replace(" ", ",").split(",") if x.strip()]
            valid = all(len(p) == 1 and p in LETTERS for p in parts)
            agree = valid and sorted(LETTERS.index(p) for p in parts) == list(q.correct_indices)
            key = ",".join(LETTERS[i] for i in q.correct_indices)
        if not agree or flag:
            disagreements += 1
            status = "DISAGREE" if not agree else "FLAGGED "
            print(f"{status} {q.id}: reader {answer!r}, key {key!r}" + (f" | flag: {flag}" if flag else ""))
    print(f"{len(questions)} questions, {disagreements} disagreements or flags")
    return 0


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "blind":
        blind(Path(args[0]))
    else:
        sys.exit(compare(Path(args[0]), Path(args[1])))
