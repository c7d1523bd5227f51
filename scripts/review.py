"""Independent review of the bank: export questions without their keys, then compare a reader's answers.

    python scripts/review.py blind content/questions/de1.yaml > /tmp/de1.blind.md
    python scripts/review.py compare content/questions/de1.yaml /tmp/de1.answers.yaml

The answers file maps question id -> {answer: "B" | "A,D" | "typed text", flag: "optional concern"}.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from bot.config import REPO_ROOT
from bot.content import QuestionType, load_bank
from bot.content.models import LETTERS
from bot.domain.grading import Glossary, grade_text


def _questions(path: Path):
    bank = load_bank(REPO_ROOT / "content")
    rel = str(path.resolve().relative_to((REPO_ROOT / "content").resolve()))
    return bank, [q for q in bank.questions if bank.files[q.id] == rel]


def blind(path: Path) -> None:
    _, questions = _questions(path)
    for q in questions:
        print(f"## {q.id}  ({q.type.value})")
        print(q.prompt)
        for i, opt in enumerate(q.options):
            print(f"  {LETTERS[i]}. {opt}")
        if q.type is QuestionType.fill:
            print("  (type a short answer)")
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
