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
    for name in ("topics.yaml", "sources.yaml", "glossary.yaml", "exams.yaml"):
        shutil.copy(CONTENT / name, root / name)
    (root / "questions" / "batch.yaml").write_text(textwrap.dedent(questions_yaml))
    return root


GOOD = """
questions:
  - id: t-single
    type: single
    topic: kinesis
    difficulty: 1
    exams: {mla-c02: "1.1", mls-c01: "1.2"}
    prompt: Which service loads streaming data into S3 without servers to manage?
    options: [Amazon Data Firehose, Amazon EMR, AWS Batch, Amazon EC2]
    answer: A
    explanation: Firehose is fully managed delivery into S3.
    source: {file: 003_8f432331da58e5c0.txt, section: Kinesis Data Firehose}
  - id: t-fill
    type: fill
    topic: training-input
    difficulty: 1
    exams: {mla-c02: ["2.2", "1.1"]}
    prompt: Which SageMaker input mode is the default?
    answer: File mode
    accept: [file]
    explanation: File mode copies the data to the instance before training.
    source: {file: 001_71b73a708b1dbe12.txt, section: Pipe Input Mode vs. File Input Mode in SageMaker}
"""


def test_the_shipped_bank_is_valid_and_within_telegram_limits():
    bank = load_bank(CONTENT)
    assert len(bank.questions) >= 20
    codes = {e.code for e in bank.exams}
    assert {"mla-c02", "mla-c01", "mls-c01"} <= codes and bank.default_exam == "mla-c02"
    for q in bank.questions:
        assert q.exams and set(q.exams) <= codes
        assert len(q.explanation) <= POLL_EXPLANATION_MAX
        if q.type is not QuestionType.fill:
            assert len(q.prompt) <= POLL_QUESTION_MAX
            assert all(len(o) <= POLL_OPTION_MAX for o in q.items)
    assert {QuestionType.single, QuestionType.multi, QuestionType.fill} <= {q.type for q in bank.questions}


def test_a_good_file_loads(tmp_path: Path):
    bank = load_bank(make_content(tmp_path, GOOD))
    assert [q.id for q in bank.questions] == ["t-single", "t-fill"]
    assert bank.question("t-single").tasks("mla-c02") == ("1.1",)
    assert bank.question("t-single").tasks("mla-c01") == ()
    assert bank.question("t-fill").tasks("mla-c02") == ("2.2", "1.1")
    assert bank.question("t-fill").accepted_answers == ("File mode", "file")


ORDERING_AND_MATCHING = """
  - id: t-order
    type: ordering
    topic: deployment
    difficulty: 2
    exams: {mla-c01: "3.1"}
    prompt: Put the steps in order.
    steps: [First, Second, Third]
    explanation: That is the order.
    source: {url: "https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling.html", title: Auto scaling}
  - id: t-match
    type: matching
    topic: deployment
    difficulty: 2
    exams: {mla-c01: "3.1"}
    prompt: Match each need to an inference option.
    pairs:
      - [Nightly scoring of a dataset, Batch transform]
      - [Large payloads within the hour, Asynchronous inference]
      - [Spiky traffic, Serverless inference]
      - [Another nightly job, Batch transform]
    distractors: [Real-time endpoint]
    explanation: Each option fits one kind of load.
    source: {url: "https://docs.aws.amazon.com/sagemaker/latest/dg/deploy-model.html"}
  - id: t-retired
    type: single
    topic: monitoring
    difficulty: 1
    status: retired
    retired: the service closed to new customers
    prompt: Which retired thing?
    options: [a, b, c, d]
    answer: A
    explanation: x
    source: {file: 003_8f432331da58e5c0.txt, section: Kinesis Data Firehose}
"""


def test_ordering_matching_and_retired_questions_load(tmp_path: Path):
    bank = load_bank(make_content(tmp_path, GOOD + ORDERING_AND_MATCHING))
    order, match = bank.question("t-order"), bank.question("t-match")
    assert order.items == ("First", "Second", "Third")
    assert match.choices == ("Batch transform", "Asynchronous inference", "Serverless inference", "Real-time endpoint")
    assert match.matches == (0, 1, 2, 0)  # a choice may serve two prompts
    assert [q.id for q in bank.questions] == ["t-single", "t-fill", "t-order", "t-match"]
    assert bank.question("t-retired") is not None and bank.askable("t-retired") is None
    assert [q.id for q in bank.retired] == ["t-retired"]


@pytest.mark.parametrize(("change", "message"), [
    (("steps: [First, Second, Third]", "steps: [First, Second]"), "3-5 steps"),
    (("steps: [First, Second, Third]", "steps: [First, First, Third]"), "steps repeat"),
    (("distractors: [Real-time endpoint]", "distractors: [Batch transform]"), "distractor repeats"),
    (("distractors: [Real-time endpoint]", "distractors: [a, b, c, d, e]"), "3-7 distinct choices"),
    (('exams: {mla-c01: "3.1"}\n    prompt: Put', 'exams: {mla-c01: "9.9"}\n    prompt: Put'), "9.9 is not a task"),
    (('exams: {mla-c01: "3.1"}\n    prompt: Put', 'exams: {nope-c9: "3.1"}\n    prompt: Put'), "unknown exam"),
    (('exams: {mla-c01: "3.1"}\n    prompt: Put', 'prompt: Put'), "names no exam task"),
    (("    retired: the service closed to new customers\n", ""), "says why"),
    (("explanation: That is the order.", "explanation: As note 003 says, that is the order."), "study notes"),
    (("explanation: That is the order.", "explanation: The notes get this backwards."), "study notes"),
])
def test_new_rules_are_enforced(tmp_path: Path, change: tuple[str, str], message: str):
    text = GOOD + ORDERING_AND_MATCHING
    assert change[0] in text
    _, problems = collect(make_content(tmp_path, text.replace(change[0], change[1], 1)))
    assert any(message in str(p) for p in problems), [str(p) for p in problems]


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
    root = make_content(tmp_path, "questions: [\n")
    _, problems = collect(root)
    assert problems and problems[0].file == "questions/batch.yaml" and "YAML" in problems[0].message


def run_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.content", "check", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)


def test_check_json_report_has_one_object_per_exam():
    out = run_check("--json")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    for key in ("questions", "by_type", "by_topic", "by_source", "problems", "mla-c02", "mla-c01", "mls-c01"):
        assert key in report
    assert report["questions"] == sum(report["by_type"].values())
    assert report["problems"] == []
    c02 = report["mla-c02"]
    assert [d for d in c02["domains"]] == ["1", "2", "3", "4"]
    assert [d["weight"] for d in c02["domains"].values()] == [28, 24, 24, 24]
    assert c02["domains"]["1"]["tasks"]["1.3"]["name"] == "Validate data quality and manage bias."
    assert c02["mock"] == {"questions": 65, "minutes": 130, "pass": 720, "item_types": ["single", "multi"]}
    assert report["mls-c01"]["mock"]["minutes"] == 180
    # every question in an exam's scope counts in exactly one of its domains
    for code in ("mla-c02", "mla-c01", "mls-c01"):
        assert sum(d["questions"] for d in report[code]["domains"].values()) == report[code]["questions"]


def test_check_exits_non_zero_on_a_problem(tmp_path: Path):
    root = make_content(tmp_path, GOOD.replace("answer: A", "answer: Z"))
    out = run_check("--json", "--root", str(root))
    assert out.returncode == 1
    assert any("t-single" in p for p in json.loads(out.stdout)["problems"])
