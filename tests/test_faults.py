"""Fault runs end to end: Telegram answering 429 and 5xx, another process locking the database, kill -9 under load."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.content import QuestionType
from bot.tg import http
from tests.conftest import (
    FakeClock,
    RunningBot,
    answer_correctly,
    correct_positions,
    db_connect,
    question_in,
    settings_for,
)
from tests.standin import Call, StandIn
from tests.test_e2e_daily import is_drill, subscribe
from tests.test_process import seed_due_subscribers

# 08:58:30 UTC = 09:58:30 in Berlin (CET) on a Monday.
START = datetime(2026, 11, 23, 8, 58, 30, tzinfo=UTC)
INTERNAL_ERROR = "something went wrong on my side"


def fault(method: str, status: int) -> tuple[str, int, dict]:
    """A Bot API error as Telegram sends it: 429 with retry_after, or a bare 5xx."""
    if status == 429:
        return method, 429, {"description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}
    described = {500: "Internal Server Error", 502: "Bad Gateway"}.get(status, "Server Error")
    return method, status, {"description": described}


def drills(standin: StandIn) -> list[int]:
    return [c.chat_id for c in standin.calls if c.method == "sendMessage" and "Daily drill · " in c.plain]


def verdict_ask(call: Call) -> int | None:
    """The ask a verdict message is about (its Report button names it), else None."""
    if call.method not in ("sendMessage", "editMessageText") or not ("Right!" in call.plain or "❌" in call.plain):
        return None
    asks = [int(b["callback_data"].split(":")[1]) for b in call.buttons() if b["callback_data"].startswith("rp:")]
    return asks[0] if asks else None


def is_question(call: Call, user: int) -> bool:
    return call.method == "sendMessage" and call.chat_id == user and (
        "Type your answer" in call.plain
        or any(b["callback_data"][:2] in ("a:", "t:", "o:", "m:") for b in call.buttons()))


async def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)


def answered_counts(db: Path) -> tuple[Counter, Counter]:
    """Answered asks per user, and the `days` counters per user (summed over days)."""
    with db_connect(db) as conn:
        asks = Counter(dict(conn.execute(
            "SELECT user_id, COUNT(*) FROM asks WHERE status = 'answered' GROUP BY user_id")))
        days = Counter(dict(conn.execute("SELECT user_id, SUM(answered) FROM days GROUP BY user_id")))
    return asks, days


# --- 429 and 5xx during a push ----------------------------------------------------------------------


async def test_push_through_429_and_5xx_every_subscriber_gets_exactly_one_drill(tmp_path: Path, standin: StandIn, bank):
    users = list(range(810_001, 810_031))
    db = tmp_path / "push.sqlite3"
    await seed_due_subscribers(db, bank, users)
    statuses = [429, 500, 502, 429, 503, 500, 429, 502, 500, 429, 502, 500]
    standin.fail_next = [fault("sendMessage", s) for s in statuses]
    bot = RunningBot(settings_for(standin, db), bank, push_interval=0.5)
    await bot.start(standin)
    try:
        await wait_until(lambda: set(drills(standin)) == set(users))
        await asyncio.sleep(1.5)  # three more push ticks: a duplicate would come now
    finally:
        await bot.stop()
    served = Counter(s for _, s in standin.failures_served)
    print(f"push to {len(users)}: served {served[429]}x429, {sum(n for s, n in served.items() if s >= 500)}x5xx; "
          f"drills {len(drills(standin))}")
    assert len(standin.failures_served) == len(statuses)
    assert Counter(drills(standin)) == Counter(users), "a subscriber got no drill, or two"
    with db_connect(db) as conn:
        status = Counter(s for (s,) in conn.execute("SELECT status FROM pushes WHERE kind = 'drill'"))
    assert status == {"sent": len(users)}


async def test_push_outlasting_the_retries_is_sent_on_a_later_tick_once(tmp_path: Path, standin: StandIn, bank):
    """More 5xx in a row than one send retries: the push stays claimed and the next tick sends it, once."""
    user = 811_001
    db = tmp_path / "push1.sqlite3"
    await seed_due_subscribers(db, bank, [user])
    standin.fail_next = [fault("sendMessage", 500) for _ in range(8)]
    bot = RunningBot(settings_for(standin, db), bank, push_interval=0.5)
    await bot.start(standin)
    try:
        await wait_until(lambda: user in drills(standin))
        await asyncio.sleep(1.5)
    finally:
        await bot.stop()
    assert len(standin.failures_served) == 8
    assert drills(standin) == [user]


# --- 429 and 5xx while replying to answers ----------------------------------------------------------


async def test_replies_through_429_and_5xx_each_answer_recorded_once_and_told_once(tmp_path: Path, standin: StandIn,
                                                                                   bank):
    db = tmp_path / "replies.sqlite3"
    bot = RunningBot(settings_for(standin, db), bank)
    await bot.start(standin)
    users, rounds = list(range(820_001, 820_009)), 3
    plan = [("answerCallbackQuery", 500), ("editMessageText", 502), ("sendMessage", 500),
            ("answerCallbackQuery", 429), ("editMessageText", 429), ("sendMessage", 429),
            ("editMessageText", 500), ("answerCallbackQuery", 502), ("sendMessage", 503)]
    standin.fail_next = [fault(m, s) for m, s in plan * 2]
    told: dict[int, list[int]] = {}

    async def one_user(uid: int) -> None:
        told[uid] = []
        for _ in range(rounds):
            mark = len(standin.calls)
            await standin.send_text(uid, "/quiz")
            question = await standin.wait_for(lambda c: is_question(c, uid), after=mark, timeout=60)
            mark = len(standin.calls)
            await answer_correctly(standin, bank, uid, question)
            verdict = await standin.wait_for(lambda c: c.chat_id == uid and verdict_ask(c) is not None, after=mark,
                                             timeout=60)
            told[uid].append(verdict_ask(verdict))

    try:
        await asyncio.gather(*(one_user(u) for u in users))
        await asyncio.sleep(1.0)  # anything repeated would arrive now
    finally:
        await bot.stop()
    served = Counter(s for _, s in standin.failures_served)
    print(f"replies: served {served[429]}x429, {sum(n for s, n in served.items() if s >= 500)}x5xx")
    assert len(standin.failures_served) == 2 * len(plan), "not every fault was exercised"
    verdicts = Counter(verdict_ask(c) for c in standin.calls if verdict_ask(c) is not None)
    assert all(n == 1 for n in verdicts.values()), f"a verdict was sent twice: {verdicts}"
    assert sorted(verdicts) == sorted(a for asks in told.values() for a in asks)
    assert not [c for c in standin.calls if INTERNAL_ERROR in c.plain or INTERNAL_ERROR in str(c.params.get("text"))]
    asks, days = answered_counts(db)
    assert asks == days == Counter({u: rounds for u in users})


async def single_choice_question(standin: StandIn, bank, user: int) -> Call:
    while True:
        mark = len(standin.calls)
        await standin.send_text(user, "/quiz")
        call = await standin.wait_for(lambda c: is_question(c, user), after=mark)
        if question_in(bank, call.text).type is QuestionType.single:
            return call


async def test_reply_failing_beyond_the_retries_keeps_the_answer_once(tmp_path: Path, standin: StandIn, bank):
    """Telegram failing longer than the retries: the verdict edit is given up, the answer is still recorded
    once, the user is told something friendly, and tapping again says it was already answered."""
    user, db = 830_001, tmp_path / "giveup.sqlite3"
    bot = RunningBot(settings_for(standin, db), bank)
    await bot.start(standin)
    try:
        question = await single_choice_question(standin, bank, user)
        standin.fail_next = [fault("editMessageText", 500) for _ in range(10)]
        mark = len(standin.calls)
        data = question.buttons()[correct_positions(bank, question)[0]]["callback_data"]
        await standin.tap(user, question, data)
        toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
        assert toast.params["text"].startswith("✅")
        sorry = await standin.wait_for(lambda c: c.method == "answerCallbackQuery"
                                       and INTERNAL_ERROR in c.params.get("text", ""),
                                       after=mark, timeout=30)
        standin.fail_next.clear()
        mark = len(standin.calls)
        await standin.tap(user, question, data)
        again = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    finally:
        await bot.stop()
    assert standin.failures_served == [("editMessageText", 500)] * (http.RETRIES + 1)  # bounded: then it gives up
    assert INTERNAL_ERROR in sorry.params["text"] and "already answered" in again.params["text"]
    asks, days = answered_counts(db)
    assert asks[user] == days[user] == 1


# --- another process holding the write lock ------------------------------------------------------------


@pytest.mark.sqlite_only  # SQLite's one write lock, held by another process; PostgreSQL locks rows
async def test_write_lock_held_10s_answer_waits_and_counts_then_drills_go_out(tmp_path: Path, standin: StandIn, bank):
    user, db = 5150, tmp_path / "locked.sqlite3"
    clock = FakeClock(START)
    bot = RunningBot(settings_for(standin, db), bank, clock=clock, push_interval=0.2)
    await bot.start(standin)
    try:
        await subscribe(standin, user=user)  # a drill at 09:59 Berlin; it is 09:58:30
        question = await single_choice_question(standin, bank, user)

        locked, released = threading.Event(), []

        def hold_lock() -> None:
            conn = sqlite3.connect(db, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(10)
            released.append(time.monotonic())
            conn.execute("COMMIT")
            conn.close()

        holder = threading.Thread(target=hold_lock)
        holder.start()
        await asyncio.to_thread(locked.wait)
        mark = len(standin.calls)
        await standin.tap(user, question, question.buttons()[correct_positions(bank, question)[0]]["callback_data"])
        await standin.send_text(user + 1, "/start")  # someone new arrives during the lock too
        verdict = await standin.wait_for(lambda c: c.method == "editMessageText" and c.chat_id == user, after=mark,
                                         timeout=30)
        welcome = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == user + 1, after=mark,
                                         timeout=30)
        await asyncio.to_thread(holder.join)
        assert verdict.at >= released[0] and welcome.at >= released[0], "the lock did not hold the handlers back"
        assert "Right!" in verdict.plain
        assert not [c for c in standin.calls[mark:] if INTERNAL_ERROR in c.plain
                    or INTERNAL_ERROR in str(c.params.get("text"))]
        asks, days = answered_counts(db)
        assert asks[user] == days[user] == 1

        clock.advance(seconds=60)  # 09:59:30 in Berlin: the daily push works after the lock
        drill = await standin.wait_for(lambda c: is_drill(c, user), after=mark)
        assert "1/5" in drill.plain
    finally:
        await bot.stop()


# --- kill -9 under load (a short bench/kill9.py) --------------------------------------------------------


def test_kill9_under_load_short_run_loses_and_doubles_nothing():
    """SQLite: one long-polling process, killed and restarted. PostgreSQL: two webhook replicas on one database,
    one of them killed each time while the other carries on (bench/kill9.py --replicas 2)."""
    from tests.conftest import BACKEND

    replicas = ["--replicas", "2"] if BACKEND["name"] == "postgresql" else []
    out = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "kill9.py"), "--kills", "3", "--users", "6",
                          "--streak-users", "3", "--seed", "11", "--min-up", "1.5", "--max-up", "3", *replicas],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=240)
    print(out.stdout)
    assert out.returncode == 0, out.stdout + out.stderr
    table = dict(line.rsplit("  ", 1) for line in out.stdout.splitlines() if "  " in line)
    row = {k.strip(): v.strip() for k, v in table.items()}
    assert row["kills (SIGKILL of one, then restart)"] == "3"
    assert int(row["acknowledged answers (verdict seen)"]) > 0
    assert row["acknowledged answers lost"] == row["answers counted twice"] == row["streaks wrong"] == "0"
    assert row["drill pushes sent twice"] == "0"
    if replicas:
        assert row["replicas (webhook mode, PostgreSQL)"] == "2"


# --- an answer committed, then the process died before replying ------------------------------------------


async def question_of_type(standin: StandIn, bank, user: int, kind: QuestionType) -> Call:
    while True:
        mark = len(standin.calls)
        await standin.send_text(user, "/quiz")
        call = await standin.wait_for(lambda c: is_question(c, user), after=mark)
        if question_in(bank, call.text).type is kind:
            return call


async def test_answer_recorded_before_the_kill_gets_its_verdict_on_replay(tmp_path: Path, standin: StandIn, bank):
    """The window between an answer's commit and its reply: the replayed update says the verdict, not
    'already answered' (what a kill -9 there used to leave the user with), and counts nothing twice."""
    import json
    import random

    from bot.services.quiz import QuizService
    from bot.storage.inbox import Inbox
    from bot.storage.repo import Repo
    from tests.conftest import open_test_database

    user, db = 840_001, tmp_path / "replay.sqlite3"
    bot = RunningBot(settings_for(standin, db), bank)
    await bot.start(standin)
    choice = await question_of_type(standin, bank, user, QuestionType.single)
    fill = await question_of_type(standin, bank, user, QuestionType.fill)
    await bot.stop()

    # What the killed process had done: stored both updates, committed both answers, replied to neither.
    pos = correct_positions(bank, choice)[0]
    data = choice.buttons()[pos]["callback_data"]
    tap = {"update_id": 90_001, "callback_query": {
        "id": "cq-90001", "from": standin.user(user), "chat_instance": str(user), "data": data,
        "message": {"message_id": choice.result["message_id"], "date": int(time.time()),
                    "chat": {"id": user, "type": "private"}, "text": choice.text,
                    "from": {"id": 1, "is_bot": True, "first_name": "MLS Quiz"}}}}
    typed = {"update_id": 90_002, **standin.message_update(user, question_in(bank, fill.text).answer)}
    database = await open_test_database(db)
    quiz = QuizService(bank, Repo(database), default_tz="UTC", clock=lambda: datetime.now(UTC), rng=random.Random(1))
    # Stored by the killed process, which held the user's turn.
    await Inbox(database).store([(u["update_id"], f"user:{user}", json.dumps(u)) for u in (tap, typed)],
                                datetime.now(UTC), "killed", datetime.now(UTC).isoformat())
    ask_id = int(data.split(":")[1])
    assert (await quiz.answer_choice(ask_id, user, pos, 90_001)).outcome.value == "recorded"
    assert (await quiz.answer_text(user, typed["message"]["text"], 90_002)).outcome.value == "recorded"
    await database.close()

    mark = len(standin.calls)
    await bot.start(standin)
    try:
        toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
        edit = await standin.wait_for(lambda c: c.method == "editMessageText" and c.chat_id == user, after=mark)
        reply = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == user
                                       and verdict_ask(c) is not None, after=mark)
    finally:
        await bot.stop()
    assert toast.params["text"].startswith("✅") and verdict_ask(edit) == ask_id and "Right!" in edit.plain
    assert "Right!" in reply.plain
    assert not [c for c in standin.calls[mark:] if "already answered" in c.plain
                or "already answered" in str(c.params.get("text"))]
    asks, days = answered_counts(db)
    assert asks[user] == days[user] == 2
    with db_connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == 0


async def test_answer_replied_before_the_kill_is_not_shown_twice_on_replay(tmp_path: Path, standin: StandIn, bank):
    """Killed after the verdict went out but before the update was marked handled: the replay edits the
    question to what it already shows (Telegram: 'message is not modified') and sends nothing new."""
    import json

    user, db = 850_001, tmp_path / "replay2.sqlite3"
    standin.refuse_unmodified = True
    bot = RunningBot(settings_for(standin, db), bank)
    await bot.start(standin)
    choice = await question_of_type(standin, bank, user, QuestionType.single)
    mark = len(standin.calls)
    tap = await standin.tap(user, choice, choice.buttons()[correct_positions(bank, choice)[0]]["callback_data"])
    await standin.wait_for(lambda c: c.method == "editMessageText" and c.chat_id == user, after=mark)
    await bot.stop()
    with db_connect(db) as conn:  # as if the process died before mark_done committed
        conn.execute("DELETE FROM processed_updates WHERE update_id = ?", (tap["update_id"],))
        conn.execute("INSERT INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
                     (tap["update_id"], json.dumps(tap), datetime.now(UTC).isoformat()))

    mark = len(standin.calls)
    await bot.start(standin)
    try:
        toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
        await wait_until(lambda: not db_connect(db).execute("SELECT COUNT(*) FROM inbox").fetchone()[0], 20)
    finally:
        await bot.stop()
    assert toast.params["text"].startswith("✅")
    assert not [c for c in standin.calls[mark:] if c.chat_id == user and c.method.startswith(("send", "edit"))]
    asks, days = answered_counts(db)
    assert asks[user] == days[user] == 1


# --- the record of a handled update fails ----------------------------------------------------------------


async def test_a_handled_update_whose_record_failed_is_recorded_later_not_handled_again(
        tmp_path: Path, standin: StandIn, bank, monkeypatch):
    """The reply went out, then the transaction recording the update as handled failed (the database went away
    for a moment): the update is not handled a second time, and its record is written by the next sweep."""
    from bot.storage.inbox import Inbox

    real, failed = Inbox.handled, []

    async def flaky(self, items, now, me):
        if not failed and any(uid == target[0] for uid, _ in items):
            failed.append(True)
            raise sqlite3.OperationalError("disk I/O error")  # what the database would raise
        return await real(self, items, now, me)

    monkeypatch.setattr(Inbox, "handled", flaky)
    db = tmp_path / "record.sqlite3"
    bot = RunningBot(settings_for(standin, db), bank)
    await bot.start(standin)
    try:
        user, target = 7_001, [0]
        await standin.say(user, "/start")
        mark = len(standin.calls)
        target[0] = (await standin.send_text(user, "/timezone Asia/Tokyo"))["update_id"]  # recorded after the reply
        await standin.wait_for(lambda c: c.chat_id == user and "Asia/Tokyo" in (c.plain or ""), after=mark)
        for _ in range(60):  # the sweep (every 2 s) writes the record
            with db_connect(db) as conn:
                recorded = conn.execute("SELECT COUNT(*) FROM processed_updates WHERE update_id = ?", target)
                if recorded.fetchone() == (1,):
                    break
            await asyncio.sleep(0.1)
        assert failed
        reply = await standin.say(user, "/timezone")  # the person is not stuck behind it
        assert "Asia/Tokyo" in reply.plain
        with db_connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM processed_updates WHERE update_id = ?", target).fetchone() == (1,)
            assert conn.execute("SELECT COUNT(*) FROM inbox WHERE update_id = ?", target).fetchone() == (0,)
        told = [c for c in standin.calls[mark:] if c.chat_id == user and c.method == "sendMessage"
                and "Time zone set to Asia/Tokyo" in (c.plain or "")]
        assert len(told) == 1  # handled once: no second reply, no "something went wrong"
        assert not any(INTERNAL_ERROR in (c.plain or "") for c in standin.calls[mark:])
    finally:
        await bot.stop()
