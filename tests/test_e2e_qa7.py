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
