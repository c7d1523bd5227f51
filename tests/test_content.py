"""The content loader and `python -m bot.content check`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.content import ContentError, QuestionType, collect, load_bank
from bot.content.models import POLL_EXPLANATION_MAX, POLL_OPTION_MAX, POLL_QUESTION_MAX

CONTENT = REPO_ROOT / "content"


def make_content(tmp_path: Path, questions_yaml: str) -> Path:
    root = tmp_path / "content"
    (root / "questions").mkdir(parents=True)
    for name in ("topics.yaml", "sources.yaml", "glossary.yaml"):
        shutil.copy(CONTENT / name, root / name)
    (root / "questions" / "batch.yaml").write_text(textwrap.dedent(questions_yaml))
    return root


GOOD = """
exam: mls-c01
questions:
  - id: t-single
    type: single
    topic: kinesis
    difficulty: 1
    prompt: Which service loads streaming data into S3 without servers to manage?
    options: [Amazon Data Firehose, Amazon EMR, AWS Batch, Amazon EC2]
    answer: A
    explanation: Firehose is fully managed delivery into S3.
    source: {file: 003_8f432331da58e5c0.txt, section: Kinesis Data Firehose}
  - id: t-fill
    type: fill
    topic: training-input
    difficulty: 1
    prompt: Which SageMaker input mode is the default?
    answer: File mode
    accept: [file]
    explanation: File mode copies the data to the instance before training.
    source: {file: 001_71b73a708b1dbe12.txt, section: Pipe Input Mode vs. File Input Mode in SageMaker}
"""


def test_the_shipped_bank_is_valid_and_within_telegram_limits():
    bank = load_bank(CONTENT)
    assert len(bank.questions) >= 20
    for q in bank.questions:
        assert q.exam == "mls-c01"
        assert len(q.explanation) <= POLL_EXPLANATION_MAX
        if q.type is not QuestionType.fill:
            assert len(q.prompt) <= POLL_QUESTION_MAX
            assert all(len(o) <= POLL_OPTION_MAX for o in q.options)
    assert {q.type for q in bank.questions} == set(QuestionType)


def test_a_good_file_loads(tmp_path: Path):
    bank = load_bank(make_content(tmp_path, GOOD))
    assert [q.id for q in bank.questions] == ["t-single", "t-fill"]
    assert bank.domain_of(bank.question("t-single")).id == "data-engineering"
    assert bank.question("t-fill").accepted_answers == ("File mode", "file")


def test_every_problem_is_listed_with_file_id_and_field(tmp_path: Path):
    bad = GOOD + """
  - id: t-single
    type: single
    topic: kinesis
    difficulty: 1
    prompt: duplicate id
    options: [a, b, c, d]
    answer: A
    explanation: x
    source: {file: 003_8f432331da58e5c0.txt, section: x}
  - id: t-badletter
    type: single
    topic: nope
    difficulty: 4
    prompt: "%s"
    options: [a, b, c, All of the above]
    answer: E
    explanation: x
    source: {file: 003_8f432331da58e5c0.txt, section: x}
  - id: t-multi
    type: multi
    topic: kinesis
    difficulty: 2
    prompt: Choose TWO.
    options: [a, b, c, d, e]
    answer: A
    explanation: x
    source: {file: not-a-note.txt, section: x}
""" % ("p" * 301)
    bank, problems = collect(make_content(tmp_path, bad))
    text = "\n".join(str(p) for p in problems)
    assert "questions/batch.yaml [t-single] id: duplicate id" in text
    assert "[t-badletter] difficulty" in text
    assert "All of the above" in text
    assert "[t-multi]" in text and "list of 2 or 3 letters" in text
    assert bank is not None and len(bank.questions) == 2
    with pytest.raises(ContentError) as exc:
        load_bank(make_content(tmp_path / "again", bad))
    assert "t-badletter" in str(exc.value)


def test_broken_yaml_is_reported_not_raised(tmp_path: Path):
    root = make_content(tmp_path, "exam: mls-c01\nquestions: [\n")
    _, problems = collect(root)
    assert problems and problems[0].file == "questions/batch.yaml" and "YAML" in problems[0].message


def run_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.content", "check", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)


def test_check_json_report_has_the_promised_keys():
    out = run_check("--json")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    for key in ("questions", "by_type", "by_domain", "by_topic", "by_source", "problems"):
        assert key in report
    assert report["questions"] == sum(report["by_type"].values()) == sum(report["by_domain"].values())
    assert report["problems"] == []


def test_check_exits_non_zero_on_a_problem(tmp_path: Path):
    root = make_content(tmp_path, GOOD.replace("answer: A", "answer: Z"))
    out = run_check("--json", "--root", str(root))
    assert out.returncode == 1
    assert any("t-single" in p for p in json.loads(out.stdout)["problems"])
