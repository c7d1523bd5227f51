"""/progress end to end: a brand-new user gets a friendly text and no chart; a user with answers gets the
readiness estimate and a PNG chart of the last 30 days (uploaded with sendPhoto)."""

from __future__ import annotations

import asyncio
import re
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import QuestionType
from tests.conftest import FakeClock, RunningBot, answer_correctly, answer_wrongly, question_in, settings_for
from tests.standin import Call, StandIn

USER = 7070
START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
async def say(standin: StandIn, text: str, user: int = USER) -> Call:
    return await standin.say(user, text)


async def answer_one(standin: StandIn, bank, right: bool) -> None:
    question = await say(standin, "/quiz")
    while question_in(bank, question.text).type is QuestionType.fill:  # choice questions keep this test simple
        question = await say(standin, "/quiz")
    mark = len(standin.calls)
    await (answer_correctly if right else answer_wrongly)(standin, bank, USER, question)
    await standin.wait_for(lambda c: c.chat_id == USER and ("Right!" in c.text or "Not quite" in c.text), after=mark)


@pytest.fixture
async def clocked(standin: StandIn, bank, tmp_path: Path):
    clock = FakeClock(START)
    running = RunningBot(settings_for(standin, tmp_path / "progress.sqlite3"), bank, clock=clock)
    await running.start(standin)
    yield running, clock
    await running.stop()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def test_progress_for_a_new_user_is_friendly_without_a_chart(clocked, standin: StandIn):
    await say(standin, "/start")
    mark = len(standin.calls)
    reply = await say(standin, "/progress")
    assert "Nothing to go on yet" in reply.plain and "/quiz" in reply.plain
    await asyncio.sleep(0.5)
    assert not [c for c in standin.calls[mark:] if c.method == "sendPhoto"]


async def test_progress_with_answers_estimates_readiness_and_sends_a_chart(clocked, standin: StandIn, bank,
                                                                       tmp_path: Path):
    _, clock = clocked
    await say(standin, "/start")
    # Twelve days of practice with gaps: some days meet the goal of 5, some do not; accuracy varies.
    plan = [6, 5, 0, 7, 3, 0, 0, 5, 6, 8, 2, 6, 5]
    for day, count in enumerate(plan):
        for i in range(count):
            await answer_one(standin, bank, right=(i + day) % 3 != 0)
        clock.advance(days=1)
    clock.advance(days=-1)  # the last practice day is "today"

    mark = len(standin.calls)
    reply = await say(standin, "/progress")
    text = reply.plain
    assert "Readiness for ML Engineer – Associate, MLA-C02" in text
    assert re.search(r"Predicted score: \d{3,4} / 1000 \(pass mark 720\)", text)
    assert "Verdict: not yet" in text or "Verdict: likely ready" in text
    for name in ("Data Preparation for ML and AI", "ML Model and Foundation Model (FM) Development",
                 "Deployment and Orchestration of ML and AI Workflows",
                 "Operating, Monitoring, and Securing ML and AI Solutions"):
        assert name in text
    assert f"Last 30 days: {sum(plan)} answers." in text

    photo = await standin.wait_for(lambda c: c.method == "sendPhoto" and c.chat_id == USER, after=mark)
    filename, content, _ = photo.files["photo"]
    width, height = png_size(content)
    assert (width, height) == (880, 990)  # 8 x 9 inches at 110 dpi: tall enough to read on a phone
    assert "last 30 days" in photo.params["caption"] and str(sum(plan)) in photo.params["caption"]
    # Kept beside the test's other files for a person to look at (pytest keeps the last few runs' tmp dirs).
    (tmp_path / "progress-chart.png").write_bytes(content)


async def test_progress_too_early_shows_no_score_and_says_not_started(clocked, standin: StandIn, bank):
    """A few answers give no verdict and no predicted score; a domain without answers says "not started"."""
    await say(standin, "/start")
    for _ in range(3):
        await answer_one(standin, bank, right=True)
    reply = await say(standin, "/progress")
    text = reply.plain
    assert "too early to tell" in text and "Predicted score" not in text and "/ 1000" not in text
    assert "not started" in text and "0 questions answered" not in text
    assert re.search(r": 1 question answered\b", text) or re.search(r": [23] questions answered", text)
    assert "Last 30 days: 3 answers." in text
