"""The plan's arithmetic (bot/domain/plan.py) and the memory model's forecast pieces (bot/domain/memory.py)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain import plan as rules
from bot.domain.memory import DEFAULT_MODEL, Model, after_answer, replay, retrievability, review_kernel
from bot.domain.plan import Phase, outlook, parse_date, plan_today

TODAY = date(2027, 1, 4)


def test_a_plan_a_month_ahead_spreads_the_unseen_questions_over_the_days_before_the_review_week():
    exam = TODAY + timedelta(days=30)
    today = plan_today(TODAY, exam, unseen=230, due=0, per_day=15)
    assert today.phase is Phase.learn and today.days_left == 30
    # The cut-off is exam - 7; the plan aims 3 days earlier: 230 questions over 21 days, 11 a day.
    assert (today.new, today.reviews, today.early, today.short) == (11, 0, 0, 0)
    today = plan_today(TODAY, exam, unseen=230, due=8, per_day=15)
    assert (today.new, today.reviews, today.short) == (10, 5, 1)  # reviews keep a third of the budget


def test_never_more_than_the_budget_and_reviews_keep_a_third_of_it():
    exam = TODAY + timedelta(days=11)
    today = plan_today(TODAY, exam, unseen=500, due=40, per_day=12)
    assert today.size == 12
    assert today.reviews == 4 and today.new == 8 and today.short == 500 // 2 - 8  # 2 days to the aim
    for unseen in (0, 1, 50, 5000):
        for due in (0, 3, 100):
            for per_day in (1, 2, 5, 30):
                t = plan_today(TODAY, exam, unseen=unseen, due=due, per_day=per_day)
                assert t.size <= max(per_day, rules.MIN_DRILL) and t.size <= per_day or t.size == rules.MIN_DRILL


def test_exam_tomorrow():
    today = plan_today(TODAY, TODAY + timedelta(days=1), unseen=40, due=2, per_day=10)
    assert today.phase is Phase.review and today.days_left == 1  # reviews first, the room left for new ones
    assert today.new == 8 and today.reviews == 2
    o = outlook(TODAY, TODAY + timedelta(days=1), unseen=40, in_scope=40, due_days=[TODAY] * 2, per_day=10,
                kernel=(0.0,) * 10)
    assert o.all_seen_by is None and o.left_unseen == 32


def test_exam_today_is_a_warm_up_and_a_date_in_the_past_is_no_plan():
    today = plan_today(TODAY, TODAY, unseen=40, due=10, per_day=10)
    assert today.phase is Phase.exam_day and today.size == rules.WARM_UP and today.reviews == rules.WARM_UP
    assert plan_today(TODAY, TODAY, unseen=0, due=0, per_day=10).early == rules.WARM_UP  # reviews ahead of time
    assert plan_today(TODAY, TODAY - timedelta(days=1), unseen=40, due=10, per_day=10) is None
    assert rules.check_date(TODAY - timedelta(days=1), TODAY) == "past"
    assert rules.check_date(TODAY + timedelta(days=400), TODAY) == "far"
    assert rules.check_date(TODAY, TODAY) is None


def test_a_bank_smaller_than_the_budget_and_a_user_who_saw_everything():
    exam = TODAY + timedelta(days=40)
    small = plan_today(TODAY, exam, unseen=2, due=0, per_day=20)
    # Today's share is one, but a drill of one is no drill: the other unseen one comes early, then a review.
    assert (small.new, small.early, small.size) == (2, 1, rules.MIN_DRILL)
    done = plan_today(TODAY, exam, unseen=0, due=0, per_day=20)
    assert done.new == 0 and done.size == rules.MIN_DRILL
    o = outlook(TODAY, exam, unseen=0, in_scope=300, due_days=[], per_day=20, kernel=(0.0,) * 30)
    assert o.all_seen_by == TODAY and o.left_unseen == 0


def test_the_last_week_is_reviews_and_mock_exams():
    exam = TODAY + timedelta(days=5)
    review = plan_today(TODAY, exam, unseen=0, due=20, per_day=10)
    assert review.phase is Phase.review and review.reviews == 10 and review.new == 0
    catch_up = plan_today(TODAY, exam, unseen=30, due=4, per_day=10)
    assert catch_up.reviews == 4 and catch_up.new == 6  # room left catches up on anything unseen
    assert rules.phase(exam - timedelta(days=6), exam) is Phase.mock
    assert rules.phase(exam - timedelta(days=2), exam) is Phase.mock
    mock = plan_today(exam - timedelta(days=2), exam, unseen=30, due=1, per_day=10)
    assert mock.new == 0 and mock.reviews == 1 and mock.size == rules.MIN_DRILL
    month = TODAY + timedelta(days=30)
    assert rules.mock_days(TODAY, month) == (month - timedelta(days=6), month - timedelta(days=2))
    assert rules.mock_days(TODAY, TODAY + timedelta(days=3)) == (TODAY + timedelta(days=1),)


def _run(days: int, unseen: int, per_day: int, skip: float, seed: int) -> tuple[int, list[int]]:
    """Days of a plan where the user does the whole drill or skips it; returns what is unseen at the cut-off."""
    rng = random.Random(seed)
    exam = TODAY + timedelta(days=days)
    sizes = []
    for i in range(days):
        day = TODAY + timedelta(days=i)
        if day > rules.cutoff(exam):
            break
        t = plan_today(day, exam, unseen=unseen, due=0, per_day=per_day)
        sizes.append(t.size)
        if rng.random() >= skip:
            unseen = max(0, unseen - t.new - (0))
    return unseen, sizes


@pytest.mark.parametrize("seed", range(5))
def test_missed_days_spread_over_the_rest_never_past_the_budget(seed):
    # 200 questions in 23 learning days at up to 15 a day: a user who skips one day in five still gets through
    # them by the cut-off (the plan aims three days early), and no day ever asks more than the budget.
    left, sizes = _run(30, 200, 15, skip=0.2, seed=seed)
    assert max(sizes) <= 15
    assert left == 0


def test_a_missed_day_does_not_double_the_next():
    exam = TODAY + timedelta(days=30)
    before = plan_today(TODAY, exam, unseen=210, due=0, per_day=30).new
    after = plan_today(TODAY + timedelta(days=1), exam, unseen=210, due=0, per_day=30).new
    assert before == 10 and after == 11  # 210 over 20 days instead of 21


def test_outlook_says_when_everything_is_seen_and_when_the_budget_is_short():
    exam = TODAY + timedelta(days=42)
    kernel = review_kernel(DEFAULT_MODEL, 0.7, 120)
    o = outlook(TODAY, exam, unseen=312, in_scope=312, due_days=[], per_day=20, kernel=kernel)
    assert o.today.new == 10  # ceil(312 / 33): the 36 days to the cut-off, less 3 spare
    # Played out day by day, the share shrinks to one a day near the end: the last is met on the aim day.
    assert o.all_seen_by == exam - timedelta(days=10) and o.cutoff == exam - timedelta(days=7)
    assert o.mocks == (exam - timedelta(days=6), exam - timedelta(days=2))
    # Each new question comes back about 3 times in its first month: 10 new a day bring ~20 reviews a day.
    assert 15 <= o.reviews_per_day <= 30 and o.per_day_needed == 10 + o.reviews_per_day and not o.fits
    roomy = outlook(TODAY, exam, unseen=312, in_scope=312, due_days=[], per_day=40, kernel=kernel)
    assert roomy.fits and roomy.all_seen_by == o.all_seen_by
    short = outlook(TODAY, exam, unseen=800, in_scope=800, due_days=[], per_day=10, kernel=kernel)
    # 10 new a day until reviews come due, then 7 (reviews keep a third), to the cut-off 36 days away.
    assert short.all_seen_by is None and 800 - 10 * 36 < short.left_unseen < 800 - 7 * 33
    assert short.per_day_needed > 25
    enough = outlook(TODAY, exam, unseen=800, in_scope=800, due_days=[], per_day=short.per_day_needed, kernel=kernel)
    assert enough.left_unseen == 0 and enough.all_seen_by is not None  # the budget it names does see everything


def test_review_kernel_expects_about_a_handful_of_reviews_a_month():
    kernel = review_kernel(DEFAULT_MODEL, 1.0, 60)
    assert kernel[0] == 0
    assert 2.0 <= sum(kernel[:31]) <= 6.0  # a right first answer: reviews after ~2, ~9, ~30 days and so on
    harder = review_kernel(DEFAULT_MODEL, 0.2, 60)
    assert harder[1] > 0.5 and sum(harder) > sum(kernel)  # a wrong first answer comes back the next day
    keener = review_kernel(Model(None, 0.95), 1.0, 60)
    assert sum(keener) > sum(kernel)  # a higher retention means more reviews


def test_after_answer_counts_local_days_since_the_last_review_and_replay_rebuilds_the_card():
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    first = datetime(2027, 1, 4, 22, 30, tzinfo=UTC)  # 23:30 in Berlin on the 4th
    m1 = after_answer(None, True, first, DEFAULT_MODEL, berlin)
    assert m1.elapsed_days is None and m1.rating == 3
    second = datetime(2027, 1, 4, 23, 30, tzinfo=UTC)  # 00:30 on the 5th in Berlin, the same UTC day
    m2 = after_answer(m1.card_json, False, second, DEFAULT_MODEL, berlin)
    assert m2.elapsed_days == 1 and m2.rating == 1
    assert after_answer(m1.card_json, False, second).elapsed_days == 0  # counted in UTC
    rebuilt = replay([(first, 3), (second, 1)], DEFAULT_MODEL)
    assert rebuilt.card_json == m2.card_json and rebuilt.due == m2.due
    usual, keen = replay([(first, 3)], DEFAULT_MODEL), replay([(first, 3)], Model(None, 0.95))
    assert keen.due < usual.due  # the same memory, reviewed sooner at a higher retention
    later = second + timedelta(days=3)
    assert retrievability(keen.card_json, later, Model(None, 0.95)) == pytest.approx(
        retrievability(usual.card_json, later), abs=1e-9)  # retention moves due dates, not memory


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        after_answer(None, True, datetime(2027, 1, 4, 12, 0))


@pytest.mark.parametrize(("text", "expected"), [
    ("2027-02-15", date(2027, 2, 15)),
    ("15 Feb 2027", date(2027, 2, 15)),
    ("feb 15, 2027", date(2027, 2, 15)),
    ("15 february", date(2027, 2, 15)),
    ("3 jan", date(2028, 1, 3)),  # already past this year: next year's
    ("4 January", TODAY),
    ("15/02/2027", None),  # day or month first? not guessed
    ("2027-02-30", None),
    ("february 2027", None),
    ("soon", None),
    ("", None),
])
def test_exam_dates_as_people_write_them(text, expected):
    assert parse_date(text, TODAY) == expected


def test_seconds_per_question_is_measured_once_there_are_enough_answers():
    assert rules.seconds_per_question([30.0] * 29) == (rules.DEFAULT_SECONDS, False)
    assert rules.seconds_per_question([30.0] * 30 + [4000.0] * 10) == (30.0, True)  # hours-late answers left out
    assert rules.seconds_per_question([2.0] * 40) == (rules.SECONDS_RANGE[0], True)
    assert rules.budget(10, 60.0) == 10 and rules.budget(10, 45.0) == 13 and rules.budget(5, 300.0) == 1


def test_stored_parameters_are_held_to_the_bounds_the_scheduler_accepts():
    import json

    from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

    wild = Model.of(json.dumps([1000.0] * 21), 0.9)
    assert wild.params == tuple(UPPER_BOUNDS_PARAMETERS)
    assert Model.of(json.dumps([-5.0] * 21), None).params == tuple(LOWER_BOUNDS_PARAMETERS)
    assert Model.of(json.dumps([1.0] * 19), None).params is None  # another FSRS version's set: the defaults
    assert after_answer(None, True, datetime(2027, 1, 4, 12, 0, tzinfo=UTC), wild).due is not None
