"""The mock exam end to end: start, answer without feedback, pause, restart, resume, submit, review, history,
and the time limit (with the injected clock)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import QuestionType
from bot.domain.exam import EXAM_SIZE, quotas, scale
from bot.services.tracks import Tracks
from tests.conftest import (
    FakeClock,
    RunningBot,
    correct_positions,
    db_connect,
    question_in,
    settings_for,
    wrong_position,
)
from tests.standin import Call, StandIn

USER = 6060
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FEEDBACK = ("Right!", "Not quite", "✅", "❌", "💡")  # the verdict words, not a prompt that starts "Right after"


async def say(standin: StandIn, text: str, user: int = USER) -> Call:
    return await standin.say(user, text)


async def press(standin: StandIn, message: Call, data: str, user: int = USER) -> tuple[Call, Call]:
    """Tap a button; return (the toast, the edited message)."""
    mark = len(standin.calls)
    await standin.tap(user, message, data)
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    edit = await standin.wait_for(lambda c: c.method in ("editMessageText", "sendMessage") and c.chat_id == user,
                                  after=mark)
    return toast, edit


def button(call: Call, prefix: str) -> str:
    return next(b["callback_data"] for b in call.buttons() if b["callback_data"].startswith(prefix))


def button_text(call: Call, text: str) -> str:
    return next(b["callback_data"] for b in call.buttons() if text in b["text"])


def position_of(call: Call) -> int:
    return int(re.search(r"Question (\d+)/65", call.plain).group(1)) - 1


async def answer(standin: StandIn, bank, page: Call, right: bool) -> Call:
    """Answer the exam question `page` shows (right or wrong) and return the page that follows."""
    q = question_in(bank, page.text)
    picks = correct_positions(bank, page) if right else [wrong_position(bank, page)]
    pick_buttons = [b["callback_data"] for b in page.buttons() if b["callback_data"].startswith("xa:")]
    if q.type is QuestionType.single:
        toast, nxt = await press(standin, page, pick_buttons[picks[0]])
        assert not toast.params.get("text")  # a tap says nothing about right or wrong
        return nxt
    current = page
    ticked = {i for i, b in enumerate(b for b in page.buttons() if b["callback_data"].startswith("xa:"))
              if b["text"].startswith("☑")}
    for pos in sorted(ticked ^ set(picks)):  # an answer changed later: untick the old, tick the new
        _, current = await press(standin, current, pick_buttons[pos])
        mark = "☑" if pos in picks else "☐"
        assert mark in next(b["text"] for b in current.buttons() if b["callback_data"] == pick_buttons[pos])
    # The last question has no Next: its way on is "Review & submit".
    onward = "Next ▶" if any("Next ▶" in b["text"] for b in current.buttons()) else "Review & submit"
    _, nxt = await press(standin, current, button_text(current, onward))
    return nxt


def no_feedback(call: Call) -> None:
    assert not any(word in call.plain for word in FEEDBACK), call.plain


@pytest.fixture
async def clocked(standin: StandIn, bank, tmp_path: Path):
    clock = FakeClock(START)
    running = RunningBot(settings_for(standin, tmp_path / "exam.sqlite3"), bank, clock=clock, push_interval=0.2)
    await running.start(standin)
    yield running, clock, tmp_path / "exam.sqlite3"
    await running.stop()


async def begin(standin: StandIn) -> Call:
    """Switch to the MLS-C01 track (/track mls-c01) and start its mock: 65 questions, 180 minutes."""
    await say(standin, "/start")
    switched = await say(standin, "/track mls-c01")
    assert "Now studying for" in switched.plain and "MLS-C01" in switched.plain
    intro = await say(standin, "/exam")
    assert "Mock exam: Machine Learning – Specialty, MLS-C01 — 65 questions, 3 h 00 min" in intro.plain
    assert "estimate" in intro.plain and "Pass mark 750" in intro.plain
    assert "13 Data Engineering (20%), 16 Exploratory Data Analysis (24%), 23 Modeling (36%)" in intro.plain
    _, page = await press(standin, intro, "xn")
    assert "Question 1/65" in page.plain and "3 h 00 min left" in page.plain
    return page


async def test_exam_pause_restart_resume_submit_review_history(clocked, standin: StandIn, bank):
    bot, clock, db = clocked
    page = await begin(standin)
    assert all(len(b["callback_data"].encode()) <= 64 for b in page.buttons())

    # The draw follows MLS-C01's domain weights and holds its item types only (choice questions).
    with db_connect(db) as conn:
        rows = conn.execute("SELECT question_id, kind FROM asks WHERE origin = 'exam'").fetchall()
        assert conn.execute("SELECT exam_code FROM exams").fetchall() == [("mls-c01",)]
    assert len(rows) == EXAM_SIZE and {k for _, k in rows} <= {"single", "multi"}
    track = Tracks(bank).get("mls-c01")
    domains = [track.domain_of[q] for q, _ in rows]
    assert {d: domains.count(d) for d in track.weights} == quotas(track.weights) == {"1": 13, "2": 16, "3": 23,
                                                                                     "4": 13}

    # A forged generic answer button on an exam question is refused: it would have revealed the answer.
    with db_connect(db) as conn:
        exam_ask = conn.execute("SELECT id FROM asks WHERE origin = 'exam' ORDER BY id LIMIT 1").fetchone()[0]
    mark = len(standin.calls)
    await standin.tap(USER, page, f"a:{exam_ask}:0")
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "does not belong" in toast.params["text"]
    await asyncio.sleep(0.2)
    assert not [c for c in standin.calls[mark:] if c.method.startswith(("edit", "send"))]

    right = 0
    plan = [True, False, True, True, False, True, True, True, True, False]  # questions 1-10
    for ok in plan:
        no_feedback(page)
        page = await answer(standin, bank, page, ok)
        right += ok
    assert "Question 11/65" in page.plain and "Answered 10/65" in page.plain

    # Go back to question 10 and change its answer from wrong to right (the exam allows it until the end).
    _, back = await press(standin, page, button_text(page, "◀ Back"))
    assert "Question 10/65" in back.plain
    page = await answer(standin, bank, back, True)
    right += 1
    assert "Question 11/65" in page.plain

    # Flag question 11 and skip it.
    _, flagged = await press(standin, page, button(page, "xf:"))
    assert "Flagged" in flagged.plain
    _, page = await press(standin, flagged, button_text(flagged, "Skip ▶"))
    assert "Question 12/65" in page.plain

    clock.advance(minutes=30)
    _, paused = await press(standin, page, button(page, "xp:"))
    assert "Exam paused" in paused.plain and "2 h 30 min left" in paused.plain and "Answered 10/65" in paused.plain

    # The bot restarts; hours pass while paused, which costs no exam time.
    await bot.stop()
    clock.advance(hours=5)
    await bot.start(standin)
    again = await say(standin, "/exam")
    assert "Exam paused" in again.plain and "2 h 30 min left" in again.plain
    _, page = await press(standin, again, button(again, "xr:"))
    assert "Question 12/65" in page.plain and "2 h 30 min left" in page.plain

    # Answer the rest: every third one right; the last leads to the overview.
    answered = 10
    i = 0
    while "Question" in page.plain and "Before you submit" not in page.plain:
        ok = i % 3 == 0
        page = await answer(standin, bank, page, ok)
        right += ok
        answered += 1
        i += 1
    assert answered == 64
    assert "Before you submit" in page.plain and "Answered: 64/65" in page.plain
    assert "Unanswered: 11" in page.plain and "Flagged: 11" in page.plain
    no_feedback(page)

    clock.advance(minutes=10)
    _, result = await press(standin, page, button(page, "xs:"))
    expected = scale(right, EXAM_SIZE)
    assert f"Scaled score: {expected} / 1000" in result.plain
    assert f"Right: {right}/65" in result.plain
    assert ("PASS" in result.plain) == (expected >= 750)
    assert "time used: 0h 40m" in result.plain
    assert "MLS-C01 mock result" in result.plain
    for name in ("Data Engineering", "Exploratory Data Analysis", "Modeling",
                 "Machine Learning Implementation and Operations"):
        assert re.search(re.escape(name) + r": \d{3,4} · \d+/\d+", result.plain), name

    # The answers now count in /stats (the skipped question does not).
    stats = await say(standin, "/stats")
    assert "Answered: 64" in stats.plain and f"correct: {right}" in stats.plain

    # Review, paged: the first question with its explanation, then the next, and the skipped one.
    _, review = await press(standin, result, button(result, "xv:"))
    assert "Review · Question 1/65" in review.plain
    first = question_in(bank, review.text)
    assert first.explanation in review.plain and "You got it right" in review.plain
    _, review2 = await press(standin, review, button_text(review, "Next ▶"))
    assert "Review · Question 2/65" in review2.plain and "You answered" in review2.plain
    exam_id = int(button(result, "xv:").split(":")[1])
    _, skipped = await press(standin, review2, f"xv:{exam_id}:10")
    assert "Not answered" in skipped.plain
    _, back = await press(standin, skipped, button(skipped, "xz:"))
    assert f"Scaled score: {expected}" in back.plain

    help_text = await say(standin, "/help")
    more = await press(standin, help_text, button(help_text, "hm"))
    assert "72% right = the exam's pass mark" in more[1].plain and "estimate" in more[1].plain

    history = await say(standin, "/exam history")
    assert f"#{exam_id} · MLS-C01" in history.plain and str(expected) in history.plain

    # The finished exam's buttons no longer change anything.
    mark = len(standin.calls)
    await standin.tap(USER, page, f"xa:{exam_id}:10:0")
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "exam is over" in toast.params["text"]


async def test_time_limit_late_tap_does_not_count(clocked, standin: StandIn, bank):
    bot, clock, db = clocked
    page = await begin(standin)
    for _ in range(3):
        page = await answer(standin, bank, page, True)
    clock.advance(minutes=179)
    page = await answer(standin, bank, page, True)  # still in time: counts
    mark = len(standin.calls)
    clock.advance(minutes=1, seconds=1)
    q = question_in(bank, page.text)
    right_pos = correct_positions(bank, page)[0]
    picks = [b["callback_data"] for b in page.buttons() if b["callback_data"].startswith("xa:")]
    # The timeout job (every 0.2 s here) may finish the exam just before the tap arrives, or the tap may:
    # either way the tap is late and does not count, and the user is told.
    tapped = len(standin.calls)
    await standin.tap(USER, page, picks[right_pos])
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=tapped)
    assert "Time is up" in toast.params["text"] or "exam is over" in toast.params["text"]
    result = await standin.wait_for(lambda c: c.chat_id == USER and "Time is up" in c.plain and "Right:" in c.plain,
                                    after=mark)
    assert "Right: 4/65" in result.plain
    assert f"Scaled score: {scale(4, 65)}" in result.plain
    with db_connect(db) as conn:
        late = conn.execute("SELECT status FROM asks WHERE origin = 'exam' AND question_id = ?", (q.id,)).fetchone()[0]
        open_left = conn.execute("SELECT COUNT(*) FROM asks WHERE origin = 'exam' AND status = 'open'").fetchone()[0]
    assert late == "expired" and open_left == 0


async def test_time_limit_enforced_by_the_job_without_a_tap(clocked, standin: StandIn, bank):
    bot, clock, db = clocked
    page = await begin(standin)
    page = await answer(standin, bank, page, True)
    page = await answer(standin, bank, page, False)
    mark = len(standin.calls)
    clock.advance(minutes=181)
    done = await standin.wait_for(lambda c: c.method == "sendMessage" and "Time is up" in c.text, after=mark)
    assert "Right: 1/65" in done.plain and "3h 00m" in done.plain
    # A paused exam is not timed out, however long it waits.
    intro = await say(standin, "/exam")
    assert "Start the exam" in str(intro.buttons())
    _, page = await press(standin, intro, "xn")
    _, paused = await press(standin, page, button(page, "xp:"))
    mark = len(standin.calls)
    clock.advance(hours=10)
    await asyncio.sleep(0.8)
    assert not [c for c in standin.calls[mark:] if "Time is up" in c.text]
    again = await say(standin, "/exam")
    assert "Exam paused" in again.plain and "3 h 00 min left" in again.plain


async def test_quiz_and_its_next_button_wait_while_an_exam_runs(clocked, standin: StandIn, bank):
    await say(standin, "/start")
    question = await say(standin, "/quiz")
    while question_in(bank, question.text).type is not QuestionType.single:
        question = await say(standin, "/quiz")
    mark = len(standin.calls)
    await standin.tap(USER, question, question.buttons()[0]["callback_data"])
    answered = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    intro = await say(standin, "/exam")
    _, page = await press(standin, intro, "xn")
    # Practice would show answers mid-exam: Next under the quiz answer, and /quiz, offer to pause or go back.
    mark = len(standin.calls)
    await standin.tap(USER, answered, button(answered, "n:"))
    blocked = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "mock exam is running" in blocked.plain and "Pause the exam first" in blocked.plain
    assert {b["text"] for b in blocked.buttons()} == {"⏸ Pause the exam", "▶ Back to the exam"}
    blocked = await say(standin, "/quiz")
    assert "mock exam is running" in blocked.plain
    # Paused, practice goes on: the exam's 65 newer asks are not "a newer question above" for Next.
    await press(standin, page, button(page, "xp:"))
    mark = len(standin.calls)
    await standin.tap(USER, answered, button(answered, "n:"))
    nxt = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    question_in(bank, nxt.text)  # a quiz question, not an exam page
    assert "Mock exam" not in nxt.plain
