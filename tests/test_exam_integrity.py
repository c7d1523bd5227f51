"""A mock exam is never given away: no practice path asks its questions, and none gives feedback while it runs.

A small bank (a mock of 5 questions out of 8 single-answer ones) makes "never asks its questions"
checkable: once the exam holds 5 of them, practice can only ever ask the other 3.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import load_bank
from tests.conftest import FakeClock, RunningBot, bank_questions, content_with, db_connect, question_in, settings_for
from tests.standin import Call, StandIn

USER = 5151
GROUP_ID = -1009988776655
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def small_content(tmp_path: Path, n: int = 8, mock: int = 5) -> Path:
    """Only `n` single-answer questions of the default exam, and mocks of `mock` questions."""
    return content_with(tmp_path / "content", bank_questions(
        lambda q: q["type"] == "single" and "mla-c02" in q.get("exams", {}), n), mock)


@pytest.fixture
async def env(standin: StandIn, tmp_path: Path):
    content = small_content(tmp_path)
    bank = load_bank(content)
    clock = FakeClock(START)
    db = tmp_path / "integrity.sqlite3"
    bot = RunningBot(settings_for(standin, db, MLSQUIZ_CONTENT=str(content)), bank, clock=clock, push_interval=0.2)
    await bot.start(standin)
    standin.admins[GROUP_ID] = {USER}
    yield bot, bank, clock, db
    await bot.stop()


async def say(standin: StandIn, text: str) -> Call:
    return await standin.say(USER, text)


async def tap(standin: StandIn, message: Call, data: str, want) -> Call:
    return await standin.press(USER, message, data, want)


def data_of(call: Call, prefix: str) -> str:
    return next(b["callback_data"] for b in call.buttons() if b["callback_data"].startswith(prefix))


def exam_questions(db: Path) -> set[str]:
    with db_connect(db) as conn:
        return {r[0] for r in conn.execute(
            "SELECT a.question_id FROM exam_items i JOIN asks a ON a.id = i.ask_id")}


async def start_exam(standin: StandIn) -> Call:
    intro = await say(standin, "/exam")
    return await tap(standin, intro, "xn", lambda c: c.method == "editMessageText" and c.chat_id == USER)


async def test_practice_never_asks_a_question_of_the_open_exam(env, standin: StandIn):
    _, bank, _, db = env
    await say(standin, "/start")
    page = await start_exam(standin)
    held = exam_questions(db)
    assert len(held) == 5
    # Running: /quiz offers to pause or go back, and asks nothing.
    blocked = await say(standin, "/quiz")
    assert "mock exam is running" in blocked.plain and not question_texts(bank, [blocked])
    # Paused: practice goes on, with the two questions the exam does not hold, and never one it does.
    await tap(standin, page, data_of(page, "xp:"), lambda c: c.method == "editMessageText")
    asked = []
    for _ in range(6):
        asked.append(await say(standin, "/quiz"))
    ids = question_texts(bank, asked)
    assert ids and not ids & held, f"practice asked {ids & held}, which the open exam holds"
    review = await say(standin, "/drill")  # the picker, then a drill: same rule
    assert review is not None


def question_texts(bank, calls: list[Call]) -> set[str]:
    found = set()
    for c in calls:
        try:
            found.add(question_in(bank, c.text).id)
        except AssertionError:
            continue
    return found


async def test_the_daily_push_waits_for_a_running_exam(env, standin: StandIn):
    _, bank, clock, db = env
    await say(standin, "/start")
    await say(standin, "/daily 09:01")
    page = await start_exam(standin)
    mark = len(standin.calls)
    clock.advance(minutes=2)  # the drill falls due while the exam runs
    held = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark, timeout=10)
    assert "Today's drill is ready" in held.plain and "mock exam is running" in held.plain
    assert not question_texts(bank, [held]), "the drill's question was shown mid-exam"
    # Its button is refused while the exam runs (the pause offer comes instead), and works once paused.
    start = await tap(standin, held, "dr", lambda c: c.method == "sendMessage" and c.chat_id == USER)
    assert "mock exam is running" in start.plain
    await tap(standin, page, data_of(page, "xp:"), lambda c: c.method == "editMessageText")
    first = await tap(standin, held, "dr", lambda c: c.method == "sendMessage" and c.chat_id == USER)
    qid = question_in(bank, first.text).id
    assert qid not in exam_questions(db)


async def test_a_group_press_is_not_counted_while_the_presser_sits_an_exam(env, standin: StandIn):
    _, bank, clock, db = env
    await say(standin, "/start")
    await start_exam(standin)
    group = StandIn.group_chat(GROUP_ID)
    await standin.membership(group, USER, "left", "member")
    mark = len(standin.calls)
    await standin.group_text(group, USER, "/compete 2")
    question = await standin.wait_for(
        lambda c: c.chat_id == GROUP_ID and c.method == "sendMessage" and "1/2" in c.plain, after=mark, timeout=10)
    mark = len(standin.calls)
    await standin.group_tap(group, USER, question, question.buttons()[0]["callback_data"])
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "Not counted" in toast.params.get("text", "")
    with db_connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM round_answers").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM asks WHERE origin = 'group'").fetchone()[0] == 0
