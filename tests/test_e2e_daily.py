"""Daily drills end to end: subscribing, the pushed drill, streaks, reminders, blocked users, restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import FakeClock, RunningBot, answer_correctly, settings_for
from tests.standin import Call, StandIn

USER = 5150
# 08:58:30 UTC = 09:58:30 in Berlin (CET) on a Monday.
START = datetime(2026, 11, 23, 8, 58, 30, tzinfo=UTC)


def is_drill(call: Call, user: int = USER) -> bool:
    return call.method == "sendMessage" and call.chat_id == user and "Daily drill · " in call.plain


async def say(standin: StandIn, text: str, user: int = USER) -> Call:
    return await standin.say(user, text)


@pytest.fixture
async def clocked(standin: StandIn, bank, tmp_path: Path):
    clock = FakeClock(START)
    bot = RunningBot(settings_for(standin, tmp_path / "daily.sqlite3"), bank, clock=clock, push_interval=0.2)
    await bot.start(standin)
    yield bot, clock
    await bot.stop()


async def subscribe(standin: StandIn, at: str = "09:59", tz: str = "Europe/Berlin", user: int = USER) -> None:
    await say(standin, "/start", user)
    reply = await say(standin, f"/timezone {tz}", user)
    assert f"Time zone set to {tz}" in reply.plain
    reply = await say(standin, f"/daily {at}", user)
    assert "Daily drill: on" in reply.plain and at in reply.plain


async def take_drill(standin: StandIn, bank, first: Call, user: int = USER) -> Call:
    """Answer every question of a drill correctly; return the summary message."""
    call = first
    while True:
        mark = len(standin.calls)
        await answer_correctly(standin, bank, user, call)
        nxt = await standin.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == user
            and ("Daily drill · " in c.plain or "Daily drill done" in c.plain),
            after=mark,
        )
        if "Daily drill done" in nxt.plain:
            return nxt
        call = nxt


async def test_subscribe_a_minute_ahead_receive_the_drill_and_keep_a_streak(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await subscribe(standin)
    await asyncio.sleep(0.5)
    assert not [c for c in standin.calls if is_drill(c)]  # not yet: it is 09:58:30 in Berlin

    clock.advance(seconds=60)
    first = await standin.wait_for(is_drill)
    assert "1/5" in first.plain
    summary = await take_drill(standin, bank, first)
    assert "5/5 right" in summary.plain
    assert "Streak: 1 day" in summary.plain and "Today's goal: done" in summary.plain
    stats = await say(standin, "/stats")
    assert "Answered: 5" in stats.plain and "Streak: 1 day" in stats.plain

    # Once per local day: later today nothing more comes.
    mark = len(standin.calls)
    clock.advance(hours=5)
    await asyncio.sleep(0.8)
    assert not [c for c in standin.calls[mark:] if is_drill(c)]

    # The next morning at 09:59 Berlin time, the next drill.
    clock.now = datetime(2026, 11, 24, 8, 59, 5, tzinfo=UTC)
    second = await standin.wait_for(is_drill, after=mark)
    summary = await take_drill(standin, bank, second)
    assert "Streak: 2 days" in summary.plain


async def test_daily_settings_buttons_and_bad_input(clocked, standin: StandIn):
    await say(standin, "/start")
    reply = await say(standin, "/daily")
    assert "Daily drill: off" in reply.plain
    data = [b["callback_data"] for b in reply.buttons()]
    assert all(len(d.encode()) <= 64 for d in data)

    mark = len(standin.calls)
    await standin.tap(USER, reply, "d:on")
    edit = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    assert "Daily drill: on" in edit.plain and "08:00" in edit.plain

    mark = len(standin.calls)
    await standin.tap(USER, reply, "d:n:10")
    edit = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    assert "10 questions every day" in edit.plain

    for forged in ("d:n:99", "d:t:9999", "z:Mars/Olympus"):
        mark = len(standin.calls)
        await standin.tap(USER, reply, forged)
        toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
        assert "not one I offer" in toast.params["text"]

    bad = await say(standin, "/daily quarter past seven")
    assert "HH:MM" in bad.plain
    bad = await say(standin, "/timezone Berln")
    assert "not a time zone I know" in bad.plain and "Europe/Berlin" in bad.plain
    reply = await say(standin, "/timezone")
    assert "Your time zone: UTC" in reply.plain and reply.buttons()


async def test_changing_the_time_takes_effect_at_once(clocked, standin: StandIn):
    bot, clock = clocked
    await subscribe(standin, at="10:30")
    reply = await say(standin, "/daily 09:59")
    assert "09:59" in reply.plain
    clock.advance(seconds=60)
    await standin.wait_for(is_drill)


async def test_blocked_user_is_unsubscribed_not_retried(clocked, standin: StandIn):
    bot, clock = clocked
    await subscribe(standin)
    standin.blocked_chats.add(USER)
    clock.advance(seconds=60)
    deadline = asyncio.get_running_loop().time() + 10
    while not standin.refused and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    assert len(standin.refused) == 1
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the next day's time
    await asyncio.sleep(0.8)
    assert len(standin.refused) == 1  # no retry, no next-day push
    standin.blocked_chats.clear()
    reply = await say(standin, "/daily")  # they come back: nothing is pushed until they turn it on again
    assert "Daily drill: off" in reply.plain


async def test_missed_while_down_is_sent_after_restart_the_same_day(standin: StandIn, bank, tmp_path: Path):
    clock = FakeClock(START)
    bot = RunningBot(settings_for(standin, tmp_path / "d.sqlite3"), bank, clock=clock, push_interval=0.2)
    await bot.start(standin)
    await subscribe(standin)
    await bot.stop()

    clock.advance(hours=3)  # 12:58 in Berlin: the 09:59 drill fell due while the bot was down
    await bot.start(standin)
    await standin.wait_for(is_drill)
    await bot.stop()

    # Down for two whole days: the missed days are not sent late; today's (already past) is.
    mark = len(standin.calls)
    clock.now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    await bot.start(standin)
    await standin.wait_for(is_drill, after=mark)
    await asyncio.sleep(0.6)
    assert len([c for c in standin.calls[mark:] if is_drill(c)]) == 1
    await bot.stop()


async def test_one_evening_reminder_when_the_streak_is_at_risk(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await subscribe(standin)
    clock.advance(seconds=60)
    await take_drill(standin, bank, await standin.wait_for(is_drill))  # day 1 done: streak 1

    mark = len(standin.calls)
    clock.now = datetime(2026, 11, 24, 8, 59, 5, tzinfo=UTC)  # day 2's drill arrives, left unanswered
    await standin.wait_for(is_drill, after=mark)
    clock.now = datetime(2026, 11, 24, 19, 0, 5, tzinfo=UTC)  # 20:00:05 in Berlin
    reminder = await standin.wait_for(lambda c: "streak" in c.text and "at risk" in c.text, after=mark)
    assert "1-day streak" in reminder.plain and "5 more questions" in reminder.plain
    clock.advance(minutes=30)
    await asyncio.sleep(0.8)
    assert len([c for c in standin.calls[mark:] if "at risk" in c.text]) == 1


async def test_no_reminder_without_a_streak(clocked, standin: StandIn):
    bot, clock = clocked
    await subscribe(standin)
    mark = len(standin.calls)
    clock.now = datetime(2026, 11, 23, 19, 0, 5, tzinfo=UTC)
    await asyncio.sleep(0.8)
    assert not [c for c in standin.calls[mark:] if "at risk" in c.text]


async def test_a_drill_interrupted_by_quiz_can_be_continued(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await subscribe(standin)
    clock.advance(seconds=60)
    first = await standin.wait_for(is_drill)
    mark = len(standin.calls)
    await answer_correctly(standin, bank, USER, first)
    second = await standin.wait_for(is_drill, after=mark)
    assert "2/5" in second.plain
    await say(standin, "/quiz")  # wanders off: the drill's question may no longer take a typed answer
    settings = await say(standin, "/daily")
    resume = next(b for b in settings.buttons() if b["callback_data"] == "dr")
    assert "1/5 done" in resume["text"]
    mark = len(standin.calls)
    await standin.tap(USER, settings, "dr")
    again = await standin.wait_for(is_drill, after=mark)
    assert "2/5" in again.plain
    summary = await take_drill(standin, bank, again)
    assert "Daily drill done" in summary.plain


async def test_a_schedule_changed_after_it_was_read_is_not_overwritten_by_the_claim(tmp_path: Path):
    """The push job read a user as due; before its claim, the user set another time (or another replica claimed and
    moved the schedule on): the claim leaves the new schedule alone and claims nothing from the old reading."""
    from bot.storage.daily import Claim, DailyRepo
    from tests.conftest import db_connect, open_test_database

    path = tmp_path / "cas.sqlite3"
    db = await open_test_database(path)
    try:
        await db.migrate()
        async with db.tx() as conn:
            await conn.execute(
                "INSERT INTO users (id, chat_id, first_name, tz, created_at, daily_enabled, daily_time, daily_size, "
                "next_push_at) VALUES (1, 1, 'Ada', 'UTC', '2026-11-22T07:00:00+00:00', 1, '07:00', 5, "
                "'2026-11-23T07:00:00+00:00')")
        repo, now = DailyRepo(db), datetime(2026, 11, 23, 7, 0, 30, tzinfo=UTC)
        (due,) = await repo.due("drill", now, 10)
        async with db.tx() as conn:  # meanwhile: /daily 09:00
            await conn.execute("UPDATE users SET daily_time = '09:00', next_push_at = '2026-11-23T09:00:00+00:00'")
        tomorrow = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
        stale = Claim(1, "2026-11-23", "drill", tomorrow, claim=True, was=due.stored_at)
        assert await repo.claim([stale], now) == []
        with db_connect(path) as conn:
            assert conn.execute("SELECT next_push_at FROM users").fetchone() == ("2026-11-23T09:00:00+00:00",)
            assert conn.execute("SELECT COUNT(*) FROM pushes").fetchone() == (0,)
        fresh = Claim(1, "2026-11-23", "drill", tomorrow, claim=True, was="2026-11-23T09:00:00+00:00")
        assert await repo.claim([fresh], datetime(2026, 11, 23, 9, 0, 30, tzinfo=UTC)) == [fresh]
    finally:
        await db.close()
