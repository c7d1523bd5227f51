"""QA fixes that need no running bot: the /progress chart's edge cases and the /export packaging."""

from __future__ import annotations

import gzip
import json
import math
import random
from datetime import date, timedelta

from bot.charts import accuracy_series, progress_figure, progress_png
from bot.domain.readiness import DayPoint
from bot.services.study import pack_export

TODAY = date(2026, 11, 23)


def days_with(answers: dict[int, tuple[int, int]], n: int = 30) -> list[DayPoint]:
    """n days up to TODAY; `answers` maps days-ago to (answered, correct)."""
    return [DayPoint(TODAY - timedelta(days=ago), *answers.get(ago, (0, 0)), 0) for ago in range(n - 1, -1, -1)]


def accuracy_line(days: list[DayPoint]):
    fig = progress_figure(days)
    top = fig.axes[0]
    twin = next(ax for ax in fig.axes if ax is not top and ax.get_lines() and ax.get_lines()[0].get_label()
                == "Accuracy (%)")
    return twin.get_lines()[0]


def test_accuracy_line_breaks_over_days_without_answers():
    # Answers 10 days ago and today, nothing in between: no line may join them.
    days = days_with({10: (4, 2), 0: (5, 5)})
    line = accuracy_line(days)
    ys = list(line.get_ydata())
    assert len(ys) == 30
    assert ys[19] == 50 and ys[29] == 100
    gap = ys[20:29]
    assert gap and all(math.isnan(y) for y in gap)  # matplotlib does not draw a segment through NaN


def test_a_single_day_of_data_is_a_visible_marker():
    days = days_with({0: (3, 2)})
    line = accuracy_line(days)
    ys = list(line.get_ydata())
    assert [round(y) for y in ys if not math.isnan(y)] == [67]
    assert line.get_marker() == "o" and line.get_markersize() > 0
    assert progress_png(days)[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_without_any_answers_in_the_window_still_draws():
    # Readiness can come from answers older than 30 days: the chart then has no accuracy at all.
    days = days_with({})
    assert all(math.isnan(y) for y in accuracy_series(days))
    assert progress_png(days)[:8] == b"\x89PNG\r\n\x1a\n"


def test_export_under_the_limit_stays_plain_json():
    raw = json.dumps({"tables": {"asks": [{"id": i} for i in range(100)]}}).encode()
    packed = pack_export(raw, limit=len(raw))
    assert packed is not None and not packed.compressed and packed.data == raw


def test_export_over_the_limit_is_gzipped_and_complete():
    raw = json.dumps({"tables": {"asks": [{"id": i, "status": "answered"} for i in range(5000)]}}).encode()
    packed = pack_export(raw, limit=len(raw) // 4)
    assert packed is not None and packed.compressed and len(packed.data) <= len(raw) // 4
    assert gzip.decompress(packed.data) == raw


def test_export_too_big_even_gzipped_is_refused_not_sent():
    raw = random.Random(7).randbytes(20_000)  # noise does not compress
    assert pack_export(raw, limit=1000) is None


def test_every_callback_data_fits_64_bytes_in_the_worst_case_and_matches_its_pattern(bank):
    import re

    from bot.tg.exam import render as exam_render
    from bot.tg.quiz import render as quiz_render
    from bot.tg.study import render as study_render

    big = 10**18 - 1  # the largest id the patterns accept (18 digits)
    for topic in bank.topics:  # every real topic, with the largest size a suggestion button carries
        data = study_render.CB_STUDY_TOPIC.format(topic=topic.id, size=99)
        assert len(data.encode()) <= 64 and re.fullmatch(study_render.CB_PATTERN_STUDY_TOPIC, data), data
    worst = {
        exam_render.CB_EXAM_PICK.format(exam=big, pos=999, opt=99): exam_render.CB_PATTERN_EXAM_PICK,
        exam_render.CB_EXAM_GO.format(exam=big, pos=999): exam_render.CB_PATTERN_EXAM_GO,
        exam_render.CB_EXAM_REVIEW.format(exam=big, pos=999): exam_render.CB_PATTERN_EXAM_REVIEW,
        study_render.CB_REPORT_REASON.format(ask=big, reason="w"): study_render.CB_PATTERN_REPORT_REASON,
        study_render.CB_RETRY.format(drill=big): study_render.CB_PATTERN_RETRY,
        study_render.CB_SKIP.format(ask=big): study_render.CB_PATTERN_SKIP,
        study_render.CB_STOP.format(ask=big): study_render.CB_PATTERN_STOP,
        quiz_render.CB_ANSWER.format(ask=big, pos=99): quiz_render.CB_PATTERN_ANSWER,
    }
    for data, pattern in worst.items():
        assert len(data.encode()) <= 64 and re.fullmatch(pattern, data), data
