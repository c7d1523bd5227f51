"""Group competitions end to end: the bot in a group with several players, Telegram updates in, Bot API calls out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import (
    FakeClock,
    RunningBot,
    correct_positions,
    db_connect,
    question_in,
    settings_for,
    wrong_position,
)
from tests.standin import BOT_USERNAME, Call, StandIn

GROUP_ID = -1001234567890
ADMIN, BOB, CARA, DAN = 11, 22, 33, 44
NAMES = {ADMIN: "Alice", BOB: "Bob", CARA: "Cara", DAN: "Dan"}
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
SECONDS = 20  # the default time per question


def kahoot(elapsed: float, streak: int = 0) -> int:
    """The documented rule, written out independently of the bot: 1000 × (1 − (t/T)/2) + 100 per earlier right."""
    return round(1000 * (1 - (elapsed / SECONDS) / 2)) + min(100 * streak, 300)


@pytest.fixture
async def clocked(standin: StandIn, bank, tmp_path: Path):
    clock = FakeClock(START)
    bot = RunningBot(settings_for(standin, tmp_path / "groups.sqlite3"), bank, clock=clock)
    await bot.start(standin)
    standin.admins[GROUP_ID] = {ADMIN}
    yield bot, clock
    await bot.stop()


def group() -> dict:
    return StandIn.group_chat(GROUP_ID)


def to_group(call: Call) -> bool:
    return call.chat_id == GROUP_ID and call.method in ("sendMessage", "editMessageText")


async def say(standin: StandIn, user: int, text: str) -> Call:
    mark = len(standin.calls)
    await standin.group_text(group(), user, text, NAMES[user])
    return await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == GROUP_ID, after=mark)


async def press(standin: StandIn, user: int, question: Call, position: int) -> str:
    """Tap a letter as `user`; returns the toast the bot answered with."""
    mark = len(standin.calls)
    await standin.group_tap(group(), user, question, question.buttons()[position]["callback_data"], NAMES[user])
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    return toast.params.get("text", "")


async def next_question(standin: StandIn, number: int, after: int = 0) -> Call:
    return await standin.wait_for(
        lambda c: c.method == "sendMessage" and c.chat_id == GROUP_ID and f"Question {number}/" in c.plain, after=after)


async def close(standin: StandIn, clock: FakeClock, question: Call, seconds: float) -> Call:
    """Move the clock past the question's deadline; returns the edit that reveals the answer."""
    mark = len(standin.calls)
    clock.advance(seconds=seconds)
    msg_id = question.result["message_id"]
    return await standin.wait_for(
        lambda c: c.method == "editMessageText" and c.chat_id == GROUP_ID and int(c.params["message_id"]) == msg_id,
        after=mark)


async def join(standin: StandIn) -> Call:
    mark = len(standin.calls)
    await standin.membership(group(), ADMIN, "left", "member")
    return await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == GROUP_ID, after=mark)


async def start_round(standin: StandIn, text: str = f"/compete@{BOT_USERNAME} 2") -> Call:
    mark = len(standin.calls)
    started = await say(standin, ADMIN, text)
    assert "Round started" in started.plain, started.plain
    return await next_question(standin, 1, mark)


async def test_joining_introduces_the_bot_once(clocked, standin: StandIn):
    intro = await join(standin)
    assert "/compete" in intro.plain and "admins" in intro.plain and "/leaderboard" in intro.plain
    assert len(intro.text) <= 4096
    mark = len(standin.calls)
    await standin.membership(group(), ADMIN, "member", "administrator")  # promoted: nothing new to say
    await say(standin, ADMIN, "/leaderboard")  # the next message is the reply, not a second intro
    assert [c.plain for c in standin.calls[mark:] if c.method == "sendMessage"][0].startswith("📅")


async def test_a_round_with_several_players(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await join(standin)

    refused = await say(standin, BOB, f"/compete@{BOT_USERNAME}")
    assert "Only group admins" in refused.plain

    q1 = await start_round(standin)
    again = await say(standin, ADMIN, "/compete")
    assert "already running" in again.plain

    right, wrong = correct_positions(bank, q1)[0], wrong_position(bank, q1)
    assert question_in(bank, q1.text).explanation  # the reveal will show it
    clock.advance(seconds=1)
    assert "Locked in" in await press(standin, DAN, q1, wrong)
    clock.advance(seconds=1)
    assert "Locked in" in await press(standin, BOB, q1, right)
    assert "already locked in" in await press(standin, BOB, q1, wrong)  # only the first press counts
    clock.advance(seconds=8)
    assert "Locked in" in await press(standin, CARA, q1, right)

    reveal = await close(standin, clock, q1, 11.5)
    assert question_in(bank, q1.text).explanation in reveal.plain
    assert "2 of 3 got it right" in reveal.plain
    assert reveal.plain.index("Bob") < reveal.plain.index("Cara")
    assert f"Bob — {kahoot(2)}" in reveal.plain and f"Cara — {kahoot(10)}" in reveal.plain
    assert "Too late" in await press(standin, DAN, q1, right)

    mark = len(standin.calls)
    clock.advance(seconds=5)
    q2 = await next_question(standin, 2, mark)
    right, wrong = correct_positions(bank, q2)[0], wrong_position(bank, q2)
    clock.advance(seconds=5)
    await press(standin, BOB, q2, right)
    await press(standin, CARA, q2, wrong)
    await press(standin, DAN, q2, wrong)
    await close(standin, clock, q2, 16.5)

    mark = len(standin.calls)
    clock.advance(seconds=5)
    final = await standin.wait_for(lambda c: c.chat_id == GROUP_ID and "Round over" in c.plain, after=mark)
    bob, cara = kahoot(2) + kahoot(5, streak=1), kahoot(10)
    text = final.plain
    assert f"🥇 Bob — {bob}" in text and f"🥈 Cara — {cara}" in text and "🥉 Dan — 0" in text
    assert "1. Bob" in text and "2. Cara" in text and "3. Dan" in text
    assert "Hardest: question 2 — 1 of 3 got it right" in text
    assert len(final.text) <= 4096

    board = await say(standin, CARA, "/leaderboard")
    week = board.plain.split("All time")[0]
    assert week.index("Bob") < week.index("Cara") < week.index("Dan") and f"Bob — {bob}" in week

    # A round's answers are the players' own: Bob never talked to the bot in private, yet his history is there.
    mark = len(standin.calls)
    await standin.send_text(BOB, "/start")
    hello = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == BOB, after=mark)
    assert "Welcome back" in hello.plain
    mark = len(standin.calls)
    await standin.send_text(BOB, "/stats")
    stats = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == BOB, after=mark)
    assert "Answered: 2" in stats.plain and "correct: 2" in stats.plain and "Streak" in stats.plain


async def test_restart_mid_round_keeps_every_recorded_answer(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await join(standin)
    q1 = await start_round(standin)
    right = correct_positions(bank, q1)[0]
    clock.advance(seconds=4)
    await press(standin, BOB, q1, right)

    await bot.stop()
    await bot.start(standin)  # same database, the question is still open by the bot's clock

    clock.advance(seconds=2)
    assert "Locked in" in await press(standin, CARA, q1, right)
    assert "already locked in" in await press(standin, BOB, q1, right)
    reveal = await close(standin, clock, q1, 15.5)
    assert "2 of 2 got it right" in reveal.plain
    assert f"Bob — {kahoot(4)}" in reveal.plain and f"Cara — {kahoot(6)}" in reveal.plain

    mark = len(standin.calls)
    clock.advance(seconds=5)
    await next_question(standin, 2, mark)
    await bot.stop()
    clock.advance(minutes=10)  # down for longer than a round waits: it ends with the scores so far
    mark = len(standin.calls)
    await bot.start(standin)
    final = await standin.wait_for(lambda c: c.chat_id == GROUP_ID and "ended early" in c.plain, after=mark)
    assert f"🥇 Bob — {kahoot(4)}" in final.plain and f"🥈 Cara — {kahoot(6)}" in final.plain
    again = await say(standin, ADMIN, "/compete 1")  # and the group is free for a new round
    assert "Round started" in again.plain
    mark = len(standin.calls)
    await standin.send_text(BOB, "/stats")  # his own record of the answer survived the restarts too
    stats = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == BOB, after=mark)
    assert "Answered: 1" in stats.plain and "correct: 1" in stats.plain
    with db_connect(bot.settings.db) as db:
        assert db.execute("SELECT reviews FROM cards WHERE user_id = ?", (BOB,)).fetchall() == [(1,)]


async def test_a_repeated_update_never_scores_twice(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await join(standin)
    q1 = await start_round(standin)
    mark = len(standin.calls)
    right = q1.buttons()[correct_positions(bank, q1)[0]]["callback_data"]
    tap = await standin.group_tap(group(), BOB, q1, right, "Bob")
    await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    await standin.redeliver(tap)
    await standin.redeliver(tap)
    reveal = await close(standin, clock, q1, 21.5)
    assert "1 of 1 got it right" in reveal.plain and f"Bob — {kahoot(0)}" in reveal.plain


async def test_stop_and_settings_are_for_admins_unless_opened(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await join(standin)
    assert "Only group admins" in (await say(standin, BOB, "/groupsettings everyone on")).plain
    shown = await say(standin, BOB, "/groupsettings")
    assert "20 s" in shown.plain and "admins only" in shown.plain
    fifteen = next(b["callback_data"] for b in shown.buttons() if b["text"] == "15 s")
    mark = len(standin.calls)
    await standin.group_tap(group(), BOB, shown, fifteen, "Bob")
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "Only group admins" in toast.params["text"]
    mark = len(standin.calls)
    await standin.group_tap(group(), ADMIN, shown, fifteen, "Alice")
    edited = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    assert "Time per question: 15 s" in edited.plain
    await say(standin, ADMIN, "/groupsettings time 20")

    q1 = await start_round(standin, "/compete kinesis 3")
    assert question_in(bank, q1.text).topic == "kinesis"
    assert "Only group admins" in (await say(standin, BOB, "/stop")).plain
    await press(standin, CARA, q1, correct_positions(bank, q1)[0])
    stopped = await say(standin, ADMIN, "/stop")
    assert "Round stopped" in stopped.plain and "Cara" in stopped.plain
    assert "No round is running" in (await say(standin, ADMIN, "/stop")).plain

    saved = await say(standin, ADMIN, "/groupsettings everyone on")
    assert "everyone" in saved.plain
    saved = await say(standin, ADMIN, "/groupsettings time 30")
    assert "30 s" in saved.plain
    mark = len(standin.calls)
    started = await say(standin, BOB, "/compete glue athena 1")
    assert "Round started" in started.plain and "Glue, Athena" in started.plain and "30 s" in started.plain
    q = await next_question(standin, 1, mark)
    assert "⏱ 30 s" in q.plain and question_in(bank, q.text).topic == "glue-athena"

    unknown = await say(standin, ADMIN, "/compete quantum basketry")
    assert "already running" in unknown.plain  # the running round is checked first
    await say(standin, BOB, "/stop")
    unknown = await say(standin, ADMIN, "/compete quantum basketry")
    assert "don't know the topic" in unknown.plain


async def test_removed_from_the_group_stops_the_round(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await join(standin)
    q1 = await start_round(standin)
    await press(standin, BOB, q1, correct_positions(bank, q1)[0])
    await standin.membership(group(), ADMIN, "member", "kicked")
    await asyncio.sleep(0.5)
    mark = len(standin.calls)
    clock.advance(seconds=30)
    await asyncio.sleep(2.5)  # more than two ticks of the round timer
    assert not [c for c in standin.calls[mark:] if to_group(c)]
    # Added back: a fresh start, the old round is not resumed.
    intro = await join(standin)
    assert "/compete" in intro.plain
    await start_round(standin)


async def test_group_commands_in_private_point_to_groups(clocked, standin: StandIn):
    in_groups = await standin.wait_for(
        lambda c: c.method == "setMyCommands" and (c.params.get("scope") or {}).get("type") == "all_group_chats")
    assert [c["command"] for c in in_groups.params["commands"]] == ["compete", "stop", "leaderboard", "groupsettings"]
    mark = len(standin.calls)
    await standin.send_text(BOB, "/compete")
    reply = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == BOB, after=mark)
    assert "works in a group" in reply.plain


async def test_monday_post_names_last_weeks_winners_once(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await join(standin)
    q1 = await start_round(standin, "/compete 1")
    await press(standin, CARA, q1, correct_positions(bank, q1)[0])
    await press(standin, BOB, q1, wrong_position(bank, q1))
    await close(standin, clock, q1, 21.5)
    mark = len(standin.calls)
    clock.advance(seconds=5)
    await standin.wait_for(lambda c: c.chat_id == GROUP_ID and "Round over" in c.plain, after=mark)

    mark = len(standin.calls)
    clock.advance(days=7)  # next Monday, 10:00 UTC: after the 09:00 post time
    post = await standin.wait_for(lambda c: c.chat_id == GROUP_ID and "Last week's winners" in c.plain, after=mark)
    assert "2026-W48" in post.plain and post.plain.index("Cara") < post.plain.index("Bob")
    clock.advance(minutes=5)
    await bot.stop()
    await bot.start(standin)
    clock.advance(minutes=5)
    await asyncio.sleep(2.5)
    assert len([c for c in standin.calls[mark:] if "Last week's winners" in c.plain]) == 1
    board = await say(standin, ADMIN, "/leaderboard")
    assert "This week" in board.plain and board.plain.split("All time")[0].count("—") == 0
    assert "Cara" in board.plain.split("All time")[1]


async def test_many_players_pressing_at_once_each_count_once(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await join(standin)
    q1 = await start_round(standin, "/compete 1")
    right, wrong = correct_positions(bank, q1)[0], wrong_position(bank, q1)
    players = range(100, 130)
    mark = len(standin.calls)
    for uid in players:  # all at once, and each player twice in a row (a double tap)
        first = right if uid % 3 else wrong
        await standin.group_tap(group(), uid, q1, q1.buttons()[first]["callback_data"], f"P{uid}")
        await standin.group_tap(group(), uid, q1, q1.buttons()[wrong]["callback_data"], f"P{uid}")
    toasts, after = [], mark
    for _ in range(60):  # every press gets its own toast
        toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=after)
        toasts.append(toast.params.get("text", ""))
        after = standin.calls.index(toast) + 1
    assert sum("Locked in" in t for t in toasts) == 30 and sum("already" in t for t in toasts) == 30
    reveal = await close(standin, clock, q1, 21.5)
    right_count = sum(1 for uid in players if uid % 3)
    assert f"{right_count} of 30 got it right" in reveal.plain


def test_the_final_message_fits_telegram_with_a_crowd(bank):
    from bot.domain.competition import Standing
    from bot.services.groups import Final, Hardest
    from bot.tg.groups import render

    crowd = tuple(Standing(i + 1, 1000 + i, "Ω" * 64 + f" <b>{i}</b>", 20_000 - i, 10, 10) for i in range(400))
    text = render.group_final_text(Final(GROUP_ID, 10, 10, crowd, Hardest(3, "x" * 300, 1, 400), "finished"))
    assert len(text) <= 4096
    assert "🥇" in text and "Hardest:" in text and "more" in text  # the table is cut, the ending is kept
    assert "<b>0</b>" not in text  # names are escaped


async def test_a_group_upgraded_to_a_supergroup_keeps_its_round_and_board(clocked, standin: StandIn, bank):
    bot, clock = clocked
    await join(standin)
    q1 = await start_round(standin)
    await press(standin, BOB, q1, correct_positions(bank, q1)[0])
    new_id = GROUP_ID - 1
    standin.admins[new_id] = {ADMIN}
    await standin.push(standin.message_update(ADMIN, None, chat=group(), migrate_to_chat_id=new_id))
    await standin.push(standin.message_update(ADMIN, None, chat=StandIn.group_chat(new_id),
                                              migrate_from_chat_id=GROUP_ID))
    await asyncio.sleep(0.5)
    mark = len(standin.calls)
    clock.advance(seconds=21.5)
    reveal = await standin.wait_for(lambda c: c.chat_id == new_id and "closed" in c.plain, after=mark)
    assert f"Bob — {kahoot(0)}" in reveal.plain
    clock.advance(seconds=5)
    await standin.wait_for(lambda c: c.chat_id == new_id and "Question 2/" in c.plain, after=mark)
    mark = len(standin.calls)
    await standin.group_text(StandIn.group_chat(new_id), CARA, "/leaderboard", "Cara")
    board = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == new_id, after=mark)
    assert f"Bob — {kahoot(0)}" in board.plain
