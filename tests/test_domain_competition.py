"""The pure rules of group competitions: scoring, standings, the hardest question, topics and weeks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import competition as comp
from bot.domain.clock import NaiveDatetimeError

T = timedelta(seconds=20)


def test_faster_right_answers_score_more_and_wrong_or_late_score_nothing():
    assert comp.points(timedelta(0), T, True, 0) == 1000
    assert comp.points(timedelta(seconds=10), T, True, 0) == 750
    assert comp.points(T, T, True, 0) == 500  # right at the deadline still counts
    assert comp.points(timedelta(seconds=2), T, True, 0) > comp.points(timedelta(seconds=3), T, True, 0)
    assert comp.points(timedelta(seconds=1), T, False, 4) == 0
    assert comp.points(T + timedelta(milliseconds=1), T, True, 2) == 0


def test_a_run_of_right_answers_earns_a_capped_bonus():
    base = comp.points(timedelta(seconds=4), T, True, 0)
    assert comp.points(timedelta(seconds=4), T, True, 1) == base + 100
    assert comp.points(timedelta(seconds=4), T, True, 9) == base + comp.STREAK_BONUS_CAP
    # The bonus never makes a slow answer beat a fast one by more than the cap.
    assert comp.points(T, T, True, 9) < comp.points(timedelta(0), T, True, 0)


def test_the_run_is_broken_by_a_wrong_or_missed_question():
    assert comp.streak_before({0: True, 1: True}, 2) == 2
    assert comp.streak_before({0: True, 1: False}, 2) == 0
    assert comp.streak_before({0: True}, 2) == 0  # question 1 not answered
    assert comp.streak_before({}, 0) == 0


def test_standings_share_ranks_on_ties_and_count_answers():
    answers = [
        comp.Scored(1, "Ada", 0, True, 900), comp.Scored(2, "Bo", 0, True, 800),
        comp.Scored(3, "Cy", 0, True, 800), comp.Scored(1, "Ada", 1, False, 0),
        comp.Scored(4, "Di", 1, False, 0),
    ]
    table = comp.standings(answers)
    assert [(s.rank, s.name, s.points, s.correct, s.answered) for s in table] == [
        (1, "Ada", 900, 1, 2), (2, "Bo", 800, 1, 1), (2, "Cy", 800, 1, 1), (4, "Di", 0, 0, 1)]


def test_hardest_question_is_the_lowest_share_right():
    answers = [comp.Scored(1, "a", 0, True, 1), comp.Scored(2, "b", 0, True, 1),
               comp.Scored(1, "a", 1, True, 1), comp.Scored(2, "b", 1, False, 0),
               comp.Scored(1, "a", 2, False, 0)]
    results = comp.per_question(answers, 4)
    assert [(r.answered, r.correct) for r in results] == [(2, 2), (2, 1), (1, 0), (0, 0)]
    assert comp.hardest(results[:3]).position == 2
    assert comp.hardest(results).position == 2  # ties (nobody right) go to the earlier question
    assert comp.hardest(()) is None


def test_compete_arguments():
    assert comp.parse_compete([]) == comp.CompeteArgs("", comp.DEFAULT_QUESTIONS)
    assert comp.parse_compete(["kinesis", "5"]) == comp.CompeteArgs("kinesis", 5)
    assert comp.parse_compete(["data", "streams"]) == comp.CompeteArgs("data streams", comp.DEFAULT_QUESTIONS)
    assert comp.parse_compete(["500"]).size == comp.MAX_QUESTIONS
    assert comp.parse_compete(["0"]).size == 1


TOPICS = (
    comp.TopicRef("kinesis", "Kinesis streaming", ("kinesis", "firehose", "data streams")),
    comp.TopicRef("glue-athena", "Glue, Athena & the Data Catalog", ("glue", "athena", "crawler")),
    comp.TopicRef("sagemaker-training", "SageMaker training", ("training jobs", "spot training")),
)


@pytest.mark.parametrize("typed, expected", [
    ("Kinesis", "kinesis"), ("firehose", "kinesis"), ("kinesys", "kinesis"), ("ATHENA", "glue-athena"),
    ("glue athena", "glue-athena"), ("sagemaker training", "sagemaker-training"),
    ("spot trainig", "sagemaker-training"),
])
def test_topics_match_forgivingly(typed, expected):
    assert comp.match_topic(typed, TOPICS).topic_id == expected


def test_an_unknown_topic_gets_suggestions():
    found = comp.match_topic("quantum basketry", TOPICS)
    assert found.topic_id is None and len(found.suggestions) == 3


def test_pick_questions_distinct_and_bounded():
    rng = random.Random(7)
    picked = comp.pick_questions([f"q{i}" for i in range(30)], 10, rng)
    assert len(picked) == len(set(picked)) == 10
    assert sorted(comp.pick_questions(["a", "b"], 10, rng)) == ["a", "b"]


def test_weeks_follow_the_group_time_zone():
    berlin = ZoneInfo("Europe/Berlin")
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin: a new week there, not in UTC.
    now = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert comp.week_start(now, berlin) == datetime(2026, 11, 30, 0, 0, tzinfo=berlin)
    assert comp.week_start(now, ZoneInfo("UTC")) == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    start, end, label = comp.last_week(now, berlin)
    assert (start, end, label) == (datetime(2026, 11, 23, tzinfo=berlin), datetime(2026, 11, 30, tzinfo=berlin),
                                   "2026-W48")
    with pytest.raises(NaiveDatetimeError):
        comp.week_start(datetime(2026, 11, 29, 23, 30), berlin)


def test_last_week_spans_a_dst_change():
    berlin = ZoneInfo("Europe/Berlin")
    start, end, _ = comp.last_week(datetime(2026, 10, 27, 12, 0, tzinfo=UTC), berlin)  # DST ended on 25 Oct
    assert start == datetime(2026, 10, 19, tzinfo=berlin) and end == datetime(2026, 10, 26, tzinfo=berlin)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=7, hours=1)


def test_the_monday_post_is_due_from_nine_local():
    utc = ZoneInfo("UTC")
    assert not comp.weekly_post_due(datetime(2026, 11, 23, 8, 59, tzinfo=UTC), utc)
    assert comp.weekly_post_due(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), utc)
    assert comp.weekly_post_due(datetime(2026, 11, 25, 3, 0, tzinfo=UTC), utc)  # missed Monday: still posts
