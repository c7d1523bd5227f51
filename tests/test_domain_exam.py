"""The pure exam and readiness rules: the draw, the scaling, the clock, mastery from FSRS, the 30-day series."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.clock import NaiveDatetimeError
from bot.domain.exam import (
    EXAM_SIZE,
    PASS_RAW,
    SCALED_PASS,
    ExamClock,
    draw,
    quotas,
    scale,
    scale_fraction,
    score,
)
from bot.domain.memory import after_answer
from bot.domain.readiness import MIN_SEEN, PRIOR, Known, assess, last_days, recall

WEIGHTS = {"de": 20.0, "eda": 24.0, "mod": 36.0, "ops": 20.0}
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_quotas_follow_the_exam_weights_and_sum_to_the_size():
    assert quotas(WEIGHTS) == {"de": 13, "eda": 16, "mod": 23, "ops": 13}
    for size in (1, 10, 33, 65, 100):
        assert sum(quotas(WEIGHTS, size).values()) == size
    with pytest.raises(ValueError):
        quotas({"a": 0.0})


def test_draw_meets_each_quota_without_repeats():
    pools = {d: [f"{d}-{i}" for i in range(40)] for d in WEIGHTS}
    ids = draw(pools, WEIGHTS, random.Random(1))
    assert len(ids) == EXAM_SIZE == len(set(ids))
    counts = {d: sum(1 for q in ids if q.startswith(d + "-")) for d in WEIGHTS}
    assert counts == quotas(WEIGHTS)
    assert draw(pools, WEIGHTS, random.Random(1)) == ids  # the rng decides, nothing else
    assert draw(pools, WEIGHTS, random.Random(2)) != ids


def test_draw_fills_a_short_domain_from_the_others():
    pools = {d: [f"{d}-{i}" for i in range(40)] for d in WEIGHTS}
    pools["eda"] = ["eda-0", "eda-1"]
    ids = draw(pools, WEIGHTS, random.Random(3))
    assert len(ids) == EXAM_SIZE == len(set(ids))
    assert {"eda-0", "eda-1"} <= set(ids)
    tiny = draw({"de": ["a", "b"]}, {"de": 1.0}, random.Random(0))
    assert sorted(tiny) == ["a", "b"]


def test_scaling_passes_through_the_three_anchor_points_and_is_monotonic():
    assert scale(0, 65) == 100 and scale(65, 65) == 1000
    assert scale_fraction(PASS_RAW) == SCALED_PASS
    values = [scale(r, 65) for r in range(66)]
    assert values == sorted(values) and len(set(values)) == 66
    passing = min(r for r in range(66) if scale(r, 65) >= SCALED_PASS)
    assert passing / 65 >= PASS_RAW and (passing - 1) / 65 < PASS_RAW
    assert scale(0, 0) == 100


def test_score_counts_per_domain_and_unanswered_as_wrong():
    s = score([("de", True), ("de", False), ("mod", True), ("ops", False)], ["de", "eda", "mod", "ops"])
    assert (s.right, s.total) == (2, 4)
    by = {d.domain: (d.right, d.total) for d in s.domains}
    assert by == {"de": (1, 2), "eda": (0, 0), "mod": (1, 1), "ops": (0, 1)}
    assert s.scaled == scale(2, 4) and not s.passed


def test_clock_runs_pauses_and_resumes():
    clock = ExamClock.start(NOW, minutes=180)
    assert clock.deadline == NOW + timedelta(minutes=180)
    later = NOW + timedelta(minutes=30)
    paused = clock.pause(later)
    assert paused.remaining(later + timedelta(days=3)) == timedelta(minutes=150)
    assert paused.deadline is None and not paused.expired(later + timedelta(days=3))
    back = paused.resume(later + timedelta(days=3))
    assert back.deadline == later + timedelta(days=3, minutes=150)
    assert back.expired(back.deadline) and not back.expired(back.deadline - timedelta(seconds=1))
    assert back.remaining(back.deadline + timedelta(hours=1)) == timedelta(0)
    with pytest.raises(NaiveDatetimeError):
        ExamClock.start(datetime(2026, 1, 1))


def _known(domain: str, right: bool, at: datetime) -> Known:
    memory = after_answer(None, right, at)
    return Known(domain, right, memory.card_json)


def test_mastery_uses_memory_and_the_latest_answer():
    fresh = recall(_known("de", True, NOW), NOW + timedelta(hours=1))
    faded = recall(_known("de", True, NOW), NOW + timedelta(days=90))
    assert 0.9 < fresh <= 1.0 and faded < fresh
    assert recall(_known("de", False, NOW), NOW + timedelta(hours=1)) == 0.0  # wrong last time: not known yet


def test_readiness_verdicts_and_weakest_domain():
    nothing = assess([], WEIGHTS, NOW)
    assert nothing.verdict == "new" and all(d.mastery == PRIOR for d in nothing.domains)
    assert nothing.predicted == scale_fraction(PRIOR)

    strong = [_known(d, True, NOW) for d in WEIGHTS for _ in range(30)]
    weak_modeling = [k if k.domain != "mod" else Known("mod", False, k.card_json) for k in strong]
    r = assess(strong, WEIGHTS, NOW + timedelta(hours=1))
    assert r.verdict == "ready" and r.predicted >= SCALED_PASS
    w = assess(weak_modeling, WEIGHTS, NOW + timedelta(hours=1))
    assert w.verdict == "not_yet" and w.weakest.domain == "mod"
    few = assess(strong[: MIN_SEEN - 1], WEIGHTS, NOW)
    assert few.verdict == "early"
    # Knowledge fades: the same answers half a year later predict less.
    assert assess(strong, WEIGHTS, NOW + timedelta(days=180)).predicted < r.predicted


def test_last_days_series_with_streaks():
    today = date(2026, 11, 23)
    days = {today - timedelta(days=2): (5, 4), today - timedelta(days=1): (6, 3), today: (1, 1)}
    met = [today - timedelta(days=2), today - timedelta(days=1)]
    points = last_days(days, met, today)
    assert len(points) == 30 and points[-1].day == today and points[0].day == today - timedelta(days=29)
    assert [p.streak for p in points[-4:]] == [0, 1, 2, 2]  # today is not over: the streak still stands
    assert points[-2].accuracy == 0.5 and points[0].accuracy is None
    gap = last_days({}, [today - timedelta(days=3)], today)
    assert [p.streak for p in gap[-4:]] == [1, 0, 0, 0]  # a missed day (no freeze) ends it
    assert all(p.answered == 0 and p.accuracy is None for p in gap)
