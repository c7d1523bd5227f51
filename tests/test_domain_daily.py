"""Pure daily-drill rules: local time, DST, streaks with freezes, drill planning, spaced repetition."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.clock import NaiveDatetimeError
from bot.domain.memory import after_answer
from bot.domain.schedule import at_local, local_day, next_at, parse_hhmm, reminder_time
from bot.domain.selection import Candidate, DomainSkill, Seen, group_by_domain, plan_drill, weakness_weights
from bot.domain.streaks import compute
from bot.services.daily import find_zone

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
D = date(2026, 11, 1)


def days(*offsets: int) -> list[date]:
    return [D + timedelta(days=o) for o in offsets]


# --- local time ------------------------------------------------------------------

def test_next_push_is_the_next_local_occurrence():
    now = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    assert next_at(time(7, 30), BERLIN, now) == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    assert next_at(time(6, 30), BERLIN, now) == datetime(2026, 11, 24, 5, 30, tzinfo=UTC)  # passed: tomorrow
    assert next_at(time(7, 0), BERLIN, now) == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # strictly after


def test_spring_forward_gap_pushes_an_hour_late_not_never():
    # 2026-03-29: Berlin clocks jump from 02:00 to 03:00; 02:30 does not exist that day.
    push = next_at(time(2, 30), BERLIN, datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert push.astimezone(BERLIN).date() == date(2026, 3, 29)
    assert push.astimezone(BERLIN).time() == time(3, 30)
    following = next_at(time(2, 30), BERLIN, push)
    assert following.astimezone(BERLIN) == datetime(2026, 3, 30, 2, 30, tzinfo=BERLIN)


def test_autumn_fold_pushes_once_at_the_first_occurrence():
    # 2026-10-25: Berlin clocks go back from 03:00 to 02:00; 02:30 happens twice.
    push = next_at(time(2, 30), BERLIN, datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    assert push == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, the first one
    following = next_at(time(2, 30), BERLIN, push)
    assert following.astimezone(BERLIN).date() == date(2026, 10, 26)  # not again an hour later


def test_daily_time_keeps_its_local_hour_across_dst():
    before = next_at(time(8, 0), NEW_YORK, datetime(2026, 3, 6, 20, 0, tzinfo=UTC))  # 7 March, EST
    after = next_at(time(8, 0), NEW_YORK, before)
    assert before.astimezone(NEW_YORK).hour == after.astimezone(NEW_YORK).hour == 8
    assert after - before == timedelta(hours=23)  # the spring-forward day is 23 hours long


def test_local_day_at_midnight_and_across_zones():
    just_before = datetime(2026, 11, 23, 22, 59, 59, tzinfo=UTC)  # 23:59:59 in Berlin
    assert local_day(just_before, BERLIN) == date(2026, 11, 23)
    assert local_day(just_before + timedelta(seconds=1), BERLIN) == date(2026, 11, 24)
    assert local_day(just_before, NEW_YORK) == date(2026, 11, 23)
    with pytest.raises(NaiveDatetimeError):
        local_day(datetime(2026, 11, 23, 12), BERLIN)


def test_at_local_round_trips_on_ordinary_days():
    assert at_local(date(2026, 7, 1), time(9, 15), BERLIN) == datetime(2026, 7, 1, 7, 15, tzinfo=UTC)


@pytest.mark.parametrize("text, expected", [("07:30", time(7, 30)), ("7:30", time(7, 30)), ("0730", time(7, 30)),
                                            ("19h45", time(19, 45)), ("23.59", time(23, 59)), ("24:00", None),
                                            ("7", None), ("noon", None), ("07:60", None)])
def test_parse_hhmm(text, expected):
    assert parse_hhmm(text) == expected


def test_reminder_is_in_the_evening_and_after_the_drill():
    assert reminder_time(time(7, 0)) == time(20, 0)
    assert reminder_time(time(19, 0)) == time(21, 0)
    assert reminder_time(time(21, 0)) == time(23, 0)
    assert reminder_time(time(21, 30)) is None
    assert reminder_time(time(23, 30)) is None


@pytest.mark.parametrize("typed, zone", [("Europe/Berlin", "Europe/Berlin"), ("europe/berlin", "Europe/Berlin"),
                                         ("berlin", "Europe/Berlin"), ("new york", "America/New_York"),
                                         ("UTC", "UTC")])
def test_find_zone(typed, zone):
    assert find_zone(typed).zone == zone


def test_unknown_zone_suggests_close_ones():
    found = find_zone("Europe/Berln")
    assert found.zone is None and "Europe/Berlin" in found.suggestions
    assert find_zone("Mars/Olympus").zone is None


# --- streaks ----------------------------------------------------------------------

def test_consecutive_days_count_and_today_not_yet_done_is_at_risk():
    s = compute(days(0, 1, 2), today=D + timedelta(days=3))
    assert (s.current, s.longest, s.today_done, s.at_risk) == (3, 3, False, True)
    s = compute(days(0, 1, 2, 3), today=D + timedelta(days=3))
    assert (s.current, s.today_done, s.at_risk) == (4, True, False)


def test_a_missed_day_without_freeze_resets():
    s = compute(days(0, 1, 2, 4), today=D + timedelta(days=4))
    assert (s.current, s.longest) == (1, 3)


def test_seven_days_earn_a_freeze_that_covers_a_missed_day():
    s = compute(days(*range(7)), today=D + timedelta(days=6))
    assert (s.current, s.freezes) == (7, 1)
    s = compute(days(*range(7), 8), today=D + timedelta(days=8))  # day 7 missed
    assert (s.current, s.freezes, s.frozen_days) == (8, 0, (D + timedelta(days=7),))


def test_at_most_two_freezes_and_they_run_out():
    s = compute(days(*range(28)), today=D + timedelta(days=27))
    assert s.freezes == 2 and s.current == 28
    s = compute(days(*range(28)), today=D + timedelta(days=31))  # 28, 29, 30 missed
    assert (s.current, s.longest, s.freezes) == (0, 28, 0)
    s = compute(days(*range(28)), today=D + timedelta(days=30))  # 28, 29 missed, today (30) still open
    assert (s.current, s.freezes, s.at_risk) == (28, 0, True)


def test_no_answers_no_streak():
    s = compute([], today=D)
    assert (s.current, s.longest, s.freezes, s.at_risk) == (0, 0, 0, False)


def test_time_zone_change_keeps_the_days_a_person_lived():
    # Answered at 23:30 in Berlin on day 0, then moved to New York: day 0 still counts as day 0,
    # and answering at 20:00 New York time on day 1 continues the streak.
    answered = [local_day(datetime(2026, 11, 1, 22, 30, tzinfo=UTC), BERLIN),
                local_day(datetime(2026, 11, 3, 1, 0, tzinfo=UTC), NEW_YORK)]
    assert answered == days(0, 1)
    s = compute(answered, today=local_day(datetime(2026, 11, 3, 1, 0, tzinfo=UTC), NEW_YORK))
    assert s.current == 2


# --- drill planning and memory --------------------------------------------------------

CANDIDATES = [Candidate(f"q{i}", "modeling" if i % 2 else "eda") for i in range(20)]
POOLS = group_by_domain(CANDIDATES)
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_drill_puts_due_reviews_first_then_new_questions():
    history = {"q3": Seen(1, False, T0), "q4": Seen(1, True, T0)}
    plan = plan_drill(["q3", "q4"], POOLS, history, {"modeling": 1, "eda": 1}, 5, random.Random(1))
    assert plan[:2] == ["q3", "q4"] and len(plan) == 5 and len(set(plan)) == 5
    assert not set(plan[2:]) & set(history)


def test_drill_leans_toward_the_weakest_domain():
    weights = weakness_weights({"modeling": 36, "eda": 24},
                               {"modeling": DomainSkill(10, 10), "eda": DomainSkill(10, 2)})
    assert weights["eda"] > weights["modeling"] * 0.9  # 24 * 1.8 = 43.2 vs 36 * 1.0
    picks = [plan_drill([], POOLS, {}, weights, 1, random.Random(seed))[0] for seed in range(400)]
    eda = sum(1 for p in picks if int(p[1:]) % 2 == 0)
    assert 0.45 < eda / len(picks) < 0.62


def test_drill_falls_back_to_the_stalest_when_all_seen():
    history = {c.id: Seen(1, True, T0 + timedelta(days=int(c.id[1:]))) for c in CANDIDATES}
    plan = plan_drill([], POOLS, history, {"modeling": 1, "eda": 1}, 3, random.Random(0))
    assert plan == ["q0", "q1", "q2"]


def test_memory_grows_when_right_and_shrinks_when_wrong():
    first = after_answer(None, True, T0)
    second = after_answer(first.card_json, True, first.due)
    lapse = after_answer(second.card_json, False, second.due)
    assert first.due - T0 >= timedelta(days=1)
    assert second.due - first.due > first.due - T0
    assert lapse.due - second.due < second.due - first.due
    with pytest.raises(NaiveDatetimeError):
        after_answer(None, True, datetime(2026, 1, 1))
