"""A question taken out of the bank (a deploy removed it) breaks nothing that names it: stats, reviews, mistakes,
an exam begun before, readiness, /export. (Questions are retired, not removed, but old databases outlive both.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.content import load_bank
from tests.conftest import (
    FakeClock,
    RunningBot,
    answer_wrongly,
    bank_questions,
    content_with,
    db_connect,
    question_in,
    settings_for,
)
from tests.standin import Call, StandIn

USER = 6161
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def singles(n: int) -> list[dict]:
    return bank_questions(lambda q: q["type"] == "single" and "mla-c02" in q.get("exams", {}), n)


async def say(standin: StandIn, text: str) -> Call:
    mark = len(standin.calls)
    await standin.send_text(USER, text)
    return await standin.wait_for(lambda c: c.method in ("sendMessage", "sendDocument") and c.chat_id == USER,
                                  after=mark)


async def test_a_question_removed_from_the_bank_breaks_nothing(tmp_path: Path, standin: StandIn):
    questions = singles(8)
    full = content_with(tmp_path / "full", questions, mock=5)
    bank = load_bank(full)
    clock = FakeClock(START)
    db = tmp_path / "withdrawn.sqlite3"
    bot = RunningBot(settings_for(standin, db, MLSQUIZ_CONTENT=str(full)), bank, clock=clock)
    await bot.start(standin)
    await say(standin, "/start")
    # Answer every question wrongly (each gets a card and is a "mistake"), then start a mock and pause it.
    answered = []
    for _ in range(len(questions)):
        question = await say(standin, "/quiz")
        answered.append(question_in(bank, question.text).id)
        mark = len(standin.calls)
        await answer_wrongly(standin, bank, USER, question)
        await standin.wait_for(lambda c: c.method == "editMessageText" and "Not quite" in c.plain, after=mark)
    intro = await say(standin, "/exam")
    mark = len(standin.calls)
    await standin.tap(USER, intro, "xn")
    page = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    with db_connect(db) as conn:
        in_exam = [r[0] for r in conn.execute(
            "SELECT a.question_id FROM exam_items i JOIN asks a ON a.id = i.ask_id ORDER BY i.position")]
    mark = len(standin.calls)
    pause = next(b["callback_data"] for b in page.buttons() if b["callback_data"].startswith("xp:"))
    await standin.tap(USER, page, pause)
    await standin.wait_for(lambda c: c.method == "editMessageText" and "paused" in c.plain, after=mark)
    await bot.stop()

    # A deploy takes out the first question of the exam (answered, with a card) from the bank.
    gone = in_exam[0]
    smaller = content_with(tmp_path / "smaller", [q for q in questions if q["id"] != gone], mock=5)
    bank2 = load_bank(smaller)
    assert bank2.question(gone) is None
    bot = RunningBot(settings_for(standin, db, MLSQUIZ_CONTENT=str(smaller)), bank2, clock=clock)
    await bot.start(standin)
    try:
        clock.advance(days=30)  # every card is due
        stats = await say(standin, "/stats")
        assert f"Answered: {len(questions)}" in stats.plain
        progress = await say(standin, "/progress")
        assert "Readiness" in progress.plain
        paused = await say(standin, "/exam")
        resume = next(b["callback_data"] for b in paused.buttons() if b["callback_data"].startswith("xr:"))
        mark = len(standin.calls)
        await standin.tap(USER, paused, resume)
        first = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
        assert "withdrawn from the question bank" in first.plain  # the exam's first question, gone
        overview = next(b["callback_data"] for b in first.buttons() if "Review & submit" in b["text"])
        mark = len(standin.calls)
        await standin.tap(USER, first, overview)
        ov = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
        mark = len(standin.calls)
        submit = next(b["callback_data"] for b in ov.buttons() if b["callback_data"].startswith("xs:"))
        await standin.tap(USER, ov, submit)
        result = await standin.wait_for(lambda c: c.method == "editMessageText" and "result" in c.plain, after=mark)
        assert "Right: 0/4" in result.plain  # the withdrawn one counts neither way
        mark = len(standin.calls)
        review = await say(standin, "/review")
        assert f"{len(questions) - 1} questions due" in review.plain  # the card of the gone question is left out
        first_review = await standin.wait_for(lambda c: c.method == "sendMessage" and "Review · 1/" in c.plain,
                                              after=mark)
        assert question_in(bank2, first_review.text).id != gone
        mark = len(standin.calls)
        await say(standin, "/mistakes")
        first_mistake = await standin.wait_for(lambda c: c.method == "sendMessage" and "Mistakes · 1/" in c.plain,
                                               after=mark)
        assert question_in(bank2, first_mistake.text).id != gone
        export = await say(standin, "/export")
        data = json.loads(export.files["document"][1])
        assert gone in {a["question_id"] for a in data["tables"]["asks"]}
        errors = [c for c in standin.calls if "something went wrong" in c.plain or "something went wrong"
                  in str(c.params.get("text", ""))]
        assert not errors
    finally:
        await bot.stop()
