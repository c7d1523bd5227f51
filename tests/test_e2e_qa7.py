"""QA of how the study, exam and progress features meet each other and hostile or careless taps:
Telegram updates in, Bot API calls out, a real SQLite file, an injected clock."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import QuestionType
from tests.conftest import FakeClock, RunningBot, answer_correctly, question_in, settings_for
from tests.standin import Call, StandIn

USER = 912_345_678
OTHER = 812_345_678
ADMIN = 712_345_678
# 11:30 UTC on 23 Nov is already 00:30 on 24 Nov in Auckland (UTC+13 in November).
START = datetime(2026, 11, 23, 11, 30, tzinfo=UTC)
RUN_HEADS = ("Topic drill · ", "Review · ", "Mistakes · ", "Retry · ")


@pytest.fixture
async def env(standin: StandIn, bank, tmp_path: Path):
    clock = FakeClock(START)
    db = tmp_path / "qa7.sqlite3"
    bot = RunningBot(settings_for(standin, db, MLSQUIZ_ADMIN_IDS=str(ADMIN)), bank, clock=clock)
    await bot.start(standin)
    yield clock, db
    await bot.stop()


async def say(standin: StandIn, text: str, user: int = USER) -> Call:
    mark = len(standin.calls)
    await standin.send_text(user, text)
    return await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == user, after=mark)


async def tap(standin: StandIn, call: Call, data: str, want, user: int = USER) -> Call:
    mark = len(standin.calls)
    await standin.tap(user, call, data)
    return await standin.wait_for(want, after=mark)


def toast(c: Call) -> bool:
    return c.method == "answerCallbackQuery"


def is_run_question(call: Call, user: int = USER) -> bool:
    return call.method == "sendMessage" and call.chat_id == user and any(h in call.plain for h in RUN_HEADS)


def data_of(call: Call, prefix: str) -> str:
    return next(b["callback_data"] for b in call.buttons() if b["callback_data"].startswith(prefix))


def rows(db: Path, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=15)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


async def drill_question(standin: StandIn, text: str, user: int = USER) -> Call:
    mark = len(standin.calls)
    await standin.send_text(user, text)
    return await standin.wait_for(lambda c: is_run_question(c, user), after=mark)


# --- dates in the user's zone ---------------------------------------------------------------


async def test_exam_history_shows_dates_in_the_users_time_zone(env, standin: StandIn):
    await say(standin, "/start")
    await say(standin, "/timezone Pacific/Auckland")
    intro = await say(standin, "/exam")
    page = await tap(standin, intro, "xn", lambda c: c.method == "editMessageText")
    overview = await tap(standin, page, data_of(page, "xo:"), lambda c: c.method == "editMessageText")
    await tap(standin, overview, data_of(overview, "xs:"), lambda c: c.method == "editMessageText")
    history = await say(standin, "/exam history")
    assert "24 Nov 2026 00:30" in history.plain, history.plain  # not UTC's 23 Nov 11:30
    assert "Pacific/Auckland" in history.plain


# --- a running mock exam and practice ---------------------------------------------------------


async def test_drill_review_mistakes_wait_while_an_exam_runs_and_go_once_it_is_paused(env, standin: StandIn):
    clock, db = env
    await say(standin, "/start")
    intro = await say(standin, "/exam")
    await tap(standin, intro, "xn", lambda c: c.method == "editMessageText")
    for command in ("/drill kinesis", "/review", "/mistakes"):
        notice = await say(standin, command)
        assert "mock exam is running" in notice.plain and "2:59" not in notice.plain, notice.plain
        assert "3:00 left" in notice.plain
        assert {b["text"] for b in notice.buttons()} == {"⏸ Pause the exam", "▶ Back to the exam"}
    assert rows(db, "SELECT COUNT(*) FROM drills WHERE user_id = ?", USER) == [(0,)]
    # The clock ran on while the user was refused; Pause right under the notice stops it.
    clock.advance(minutes=5)
    paused = await tap(standin, notice, data_of(notice, "xp:"), lambda c: c.method == "editMessageText")
    assert "Exam paused" in paused.plain and "2:55 left" in paused.plain
    q1 = await drill_question(standin, "/drill kinesis")
    assert "Topic drill · 1/10" in q1.plain


async def test_an_exam_that_ran_out_shows_its_result_before_the_drill(env, standin: StandIn, bank):
    clock, db = env
    await say(standin, "/start")
    intro = await say(standin, "/exam")
    await tap(standin, intro, "xn", lambda c: c.method == "editMessageText")
    clock.advance(minutes=181)
    mark = len(standin.calls)
    await standin.send_text(USER, "/drill xgboost")
    q1 = await standin.wait_for(is_run_question, after=mark)
    sent = [c for c in standin.sent_to(USER, after=mark) if c.method == "sendMessage"]
    # Whoever finished the exam (this command or the timeout job) told the user its result.
    assert any("Mock exam result" in c.plain for c in sent)
    assert question_in(bank, q1.text).topic == "xgboost"
    assert rows(db, "SELECT status, timed_out FROM exams WHERE user_id = ?", USER) == [("finished", 1)]
