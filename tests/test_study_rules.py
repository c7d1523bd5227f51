"""The pure rules of study runs (topic matching, sizes, choice of questions, summaries) and the /reports listing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.selection import Seen
from bot.domain.study import (
    Result,
    TopicNames,
    clamp_size,
    match_topic,
    missed,
    parse_drill_args,
    pick_questions,
    weakest_areas,
)
from bot.storage.study import ReportCount
from bot.tg.common import MAX_MESSAGE
from bot.tg.study import render

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def names(bank) -> list[TopicNames]:
    return [TopicNames(t.id, t.name, t.aliases) for t in bank.topics]


@pytest.mark.parametrize("text, topic", [
    ("kinesis", "kinesis"), ("KINESIS", "kinesis"), ("kenesis", "kinesis"), ("firehose", "kinesis"),
    ("xgboost", "xgboost"), ("XGBost", "xgboost"), ("metrics", "metrics"), ("metrcs", "metrics"),
    ("Feature engineering", "feature-engineering"), ("feature-engineering", "feature-engineering"),
    ("deep learning", "neural-networks"), ("s3", "storage-formats"),
])
def test_topic_names_are_matched_forgivingly(names, text, topic):
    assert match_topic(text, names).topic == topic


@pytest.mark.parametrize("text", ["data", "quantum chromodynamics", ""])
def test_unclear_or_unknown_text_gives_suggestions_not_a_guess(names, text):
    found = match_topic(text, names)
    assert found.topic is None
    assert 1 <= len(found.suggestions) <= 4 and len(set(found.suggestions)) == len(found.suggestions)


def test_a_vague_word_suggests_the_topics_it_could_mean(names):
    assert "data-prep" in match_topic("data", names).suggestions


@pytest.mark.parametrize("args, expected", [
    ([], ("", None)), (["kinesis"], ("kinesis", None)), (["kinesis", "20"], ("kinesis", 20)),
    (["data", "streams", "5"], ("data streams", 5)), (["20"], ("", 20)), (["l2", "-3"], ("l2", -3)),
])
def test_a_trailing_number_is_the_size(args, expected):
    assert parse_drill_args(args) == expected


@pytest.mark.parametrize("requested, available, size", [
    (None, 35, 10), (20, 35, 20), (50, 35, 30), (50, 15, 15), (1, 35, 3), (0, 35, 3), (-4, 35, 3),
    (None, 7, 7), (None, 0, 0), (5, 2, 2),
])
def test_sizes_are_clamped(requested, available, size):
    assert clamp_size(requested, available) == size


def test_unseen_then_missed_then_stalest():
    ids = [f"q{i}" for i in range(10)]
    history = {
        "q0": Seen(1, True, T0), "q1": Seen(1, True, T0 + timedelta(days=3)), "q2": Seen(2, False, T0),
        "q3": Seen(1, True, T0 + timedelta(days=1)), "q4": Seen(1, False, T0 + timedelta(days=5)),
        "q5": Seen(1, True, T0 + timedelta(days=2)),
    }
    rng = random.Random(7)
    assert set(pick_questions(ids, history, 4, rng)) == {"q6", "q7", "q8", "q9"}
    assert set(pick_questions(ids, history, 6, rng)) == {"q6", "q7", "q8", "q9", "q2", "q4"}
    assert set(pick_questions(ids, history, 8, rng)) == {"q6", "q7", "q8", "q9", "q2", "q4", "q0", "q3"}
    assert sorted(pick_questions(ids, history, 50, rng)) == sorted(ids)


def r(qid: str, ok: bool, topic: str = "Kinesis", difficulty: int = 1, kind: str = "single") -> Result:
    return Result(qid, ok, topic, difficulty, kind)


def test_weakest_areas_name_where_the_misses_were():
    results = [r("a", False, difficulty=3), r("b", False, difficulty=3), r("c", True, difficulty=3),
               r("d", True, difficulty=1), r("e", True, difficulty=1, kind="fill"), r("f", False, difficulty=2)]
    areas = weakest_areas(results)
    assert [(a.name, a.correct, a.answered) for a in areas] == [
        ("intermediate questions (●●○)", 0, 1), ("hard questions (●●●)", 1, 3),
        ("single-answer questions", 2, 5)]


def test_no_weak_area_when_nothing_was_missed_or_one_group_covers_everything():
    assert weakest_areas([r("a", True), r("b", True, difficulty=2)]) == ()
    # One topic, one difficulty, one format: "all of it" is not a finding.
    assert weakest_areas([r("a", False), r("b", True)]) == ()


def test_topics_count_when_a_run_spans_several():
    areas = weakest_areas([r("a", False, topic="Kinesis"), r("b", True, topic="Glue"), r("c", True, topic="Glue")])
    assert areas[0].name == "Kinesis" and (areas[0].correct, areas[0].answered) == (0, 1)


def test_missed_lists_each_question_once_in_order():
    assert missed([r("a", True), r("b", False), r("c", False), r("b", False), r("b", True)]) == ("b", "c")


def test_reports_listing_fits_one_message_most_reported_first():
    counts = [(ReportCount(f"q-{i:04d}-" + "x" * 40, 600 - i, {"wrong": 600 - i}, T0), "A prompt " * 30)
              for i in range(600)]
    text = render.reports_text(counts)
    assert len(text) <= MAX_MESSAGE
    assert text.index("q-0000-") < text.index("q-0001-") < text.index("q-0002-")
    assert "more questions" in text
    assert render.reports_text([]) == "⚑ No reports yet."
