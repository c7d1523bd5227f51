"""Exams as tracks, end to end: MLA-C02 by default, /track to switch (losing nothing), and ordering and matching
items answered right and wrong in practice, in a topic drill and in the MLA-C01 mock exam."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import QuestionType, load_bank
from tests.conftest import (
    FakeClock,
    RunningBot,
    bank_questions,
    build_answer,
    content_with,
    db_connect,
    item_positions,
    question_in,
    settings_for,
    shown_options,
)
from tests.standin import Call, StandIn

USER = 7373
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def say(standin: StandIn, text: str) -> Call:
    return await standin.say(USER, text)


async def tap(standin: StandIn, message: Call, data: str, want) -> Call:
    return await standin.press(USER, message, data, want)


def edit(c: Call) -> bool:
    return c.method == "editMessageText" and c.chat_id == USER


def data_of(call: Call, prefix: str) -> str:
    return next(b["callback_data"] for b in call.buttons() if b["callback_data"].startswith(prefix))


# --- the default exam and switching -----------------------------------------------------------------


async def test_a_new_user_studies_for_mla_c02_and_its_mock_says_so(bot, standin: StandIn):
    welcome = await say(standin, "/start")
    assert "AWS Certified Machine Learning Engineer – Associate (MLA-C02)" in welcome.plain
    assert "Switch" in str(welcome.buttons())
    intro = await say(standin, "/exam")
    first_line = intro.plain.splitlines()[0]
    assert first_line == "📝 Mock exam: ML Engineer – Associate, MLA-C02 — 65 questions, 2 h 10 min"
    assert "Pass mark 720" in intro.plain and "multiple choice, multiple response" in intro.plain
    assert "18 Data Preparation for ML and AI (28%)" in intro.plain
    page = await tap(standin, intro, "xn", edit)
    assert "MLA-C02 mock" in page.plain and "Question 1/65" in page.plain and "2 h 10 min left" in page.plain


async def test_track_shows_the_exams_and_switches_losing_nothing(bot, standin: StandIn, bank):
    await say(standin, "/start")
    question = await say(standin, "/quiz")
    while question_in(bank, question.text).type is not QuestionType.single:
        question = await say(standin, "/quiz")
    right = shown_options(question.text).index(question_in(bank, question.text).options[
        question_in(bank, question.text).correct_indices[0]])
    await tap(standin, question, question.buttons()[right]["callback_data"], edit)
    before = await say(standin, "/stats")
    assert "Answered: 1" in before.plain

    shown = await say(standin, "/track")
    assert "studying for AWS Certified Machine Learning Engineer – Associate (MLA-C02) [beta]" in shown.plain
    assert "14 Jan 2027" in shown.plain and "MLS-C01" in shown.plain and "retired" in shown.plain
    assert [b["text"] for b in shown.buttons()] == ["✓ MLA-C02", "MLA-C01", "MLS-C01"]
    switched = await tap(standin, shown, "k:mls-c01", edit)
    assert "Now studying for Machine Learning – Specialty, MLS-C01" in switched.plain
    after = await say(standin, "/stats")
    assert "Answered: 1 · correct: 1" in after.plain and "By domain of Machine Learning – Specialty" in after.plain
    assert "Exploratory Data Analysis (24%)" in after.plain
    with db_connect(bot.settings.db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM cards WHERE user_id = ?", (USER,)).fetchone()[0] == 1
    bad = await say(standin, "/track aws-c99")
    assert "not an exam I know" in bad.plain and "/track mla-c02" in bad.plain
    back = await say(standin, "/track MLA C02")
    assert "Now studying for ML Engineer – Associate, MLA-C02" in back.plain


# --- ordering and matching --------------------------------------------------------------------------


def built_content(tmp_path: Path, n: int = 6) -> Path:
    """Only ordering and matching questions (n of each) in scope of MLA-C01 and MLA-C02, and mocks of 5
    questions, so that every question asked is one of them."""
    def of(kind: str):
        return bank_questions(lambda q: q["type"] == kind and {"mla-c01", "mla-c02"} <= set(q.get("exams", {})), n)

    return content_with(tmp_path / "content", of("ordering") + of("matching"), mock=5)


@pytest.fixture
async def built(standin: StandIn, tmp_path: Path):
    content = built_content(tmp_path)
    bank = load_bank(content)
    bot = RunningBot(settings_for(standin, tmp_path / "built.sqlite3", MLSQUIZ_CONTENT=str(content)), bank,
                     clock=FakeClock(START), push_interval=0.2)
    await bot.start(standin)
    yield bot, bank
    await bot.stop()


def wrong(positions: list[int], kind: QuestionType) -> list[int]:
    """A wrong answer of the right shape: the steps rotated by one, or every prompt given the next one's match."""
    if kind is QuestionType.ordering:
        return positions[1:] + positions[:1]
    return [positions[(i + 1) % len(positions)] if positions[(i + 1) % len(positions)] != p else
            (p + 1) % len(positions) for i, p in enumerate(positions)]


async def test_ordering_and_matching_in_practice_right_and_wrong_with_undo(built, standin: StandIn):
    _, bank = built
    await say(standin, "/start")
    seen = set()
    for attempt in range(4):
        question = await say(standin, "/quiz")
        q = question_in(bank, question.text)
        assert q.type in (QuestionType.ordering, QuestionType.matching)
        assert all(len(b["callback_data"].encode()) <= 64 for b in question.buttons())
        positions = item_positions(bank, question)
        good = attempt % 2 == 0
        if q.type is QuestionType.ordering and attempt < 2:
            # Place one step, take it back with ↩, then answer: undo leaves no trace.
            first = await tap(standin, question, f"o:{data_of(question, 's:').split(':')[1]}:{positions[0]}", edit)
            assert "Your order: " in first.plain and "1/" in first.plain
            undone = await tap(standin, first, data_of(first, "u:"), edit)
            assert "nothing yet" in undone.plain
        mark = len(standin.calls)
        await build_answer(standin, bank, USER, question, positions if good else wrong(positions, q.type))
        verdict = await standin.wait_for(lambda c: edit(c) and ("Right!" in c.plain or "Not quite" in c.plain),
                                         after=mark)
        assert ("Right!" in verdict.plain) == good, verdict.plain
        assert ("The right order:" if q.type is QuestionType.ordering else "The right pairs:") in verdict.plain
        first_item = q.steps[0] if q.type is QuestionType.ordering else q.pairs[0][1]
        assert first_item in verdict.plain and q.explanation in verdict.plain
        seen.add(q.type)
    with db_connect(built[0].settings.db) as conn:
        rows = conn.execute("SELECT kind, correct FROM asks WHERE user_id = ? AND status = 'answered' ORDER BY id",
                            (USER,)).fetchall()
    assert [c for _, c in rows] == [1, 0, 1, 0] and {k for k, _ in rows} <= {"ordering", "matching"}


async def test_a_built_answer_must_be_complete_and_why_shows_the_details(built, standin: StandIn):
    _, bank = built
    await say(standin, "/start")
    question = await say(standin, "/quiz")
    while not question_in(bank, question.text).details:
        question = await say(standin, "/quiz")
    q = question_in(bank, question.text)
    toast = await tap(standin, question, data_of(question, "s:"), lambda c: c.method == "answerCallbackQuery")
    assert "first, then Submit" in toast.params["text"]
    mark = len(standin.calls)
    await build_answer(standin, bank, USER, question, item_positions(bank, question))
    verdict = await standin.wait_for(lambda c: edit(c) and "Right!" in c.plain, after=mark)
    assert len(verdict.text) < 1600, "a verdict fits one phone screen"
    assert q.details[:40] not in verdict.plain
    why = await tap(standin, verdict, data_of(verdict, "w:"), edit)
    assert q.details[:40] in why.plain and "Right!" in why.plain
    assert not any(b["callback_data"].startswith("w:") for b in why.buttons())
    # Tapped again (an old message): nothing changes and nothing more is sent.
    mark = len(standin.calls)
    await standin.tap(USER, verdict, data_of(verdict, "w:"))
    await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)


async def test_a_topic_drill_keeps_its_header_on_the_verdict(built, standin: StandIn):
    _, bank = built
    await say(standin, "/start")
    topic = bank.topic(bank.questions[0].topic)
    first = await say(standin, f"/drill {topic.id}")
    if "Topic drill" not in first.plain:  # the intro, then the first question
        first = await standin.wait_for(lambda c: c.method == "sendMessage" and "Topic drill · 1/" in c.plain)
    mark = len(standin.calls)
    await build_answer(standin, bank, USER, first, item_positions(bank, first))
    verdict = await standin.wait_for(lambda c: edit(c) and "Right!" in c.plain, after=mark)
    assert re.search(r"Topic drill · 1/\d+", verdict.plain), verdict.plain


async def test_the_mla_c01_mock_has_ordering_and_matching_items_scored_all_or_nothing(built, standin: StandIn):
    _, bank = built
    await say(standin, "/start")
    await say(standin, "/track mla-c01")
    intro = await say(standin, "/exam")
    assert "5 questions (multiple choice, multiple response, ordering, matching)" in intro.plain
    page = await tap(standin, intro, "xn", edit)
    exam_id = data_of(page, "xp:").split(":")[1]
    plan = [True, False, True, False, True]
    for number, good in enumerate(plan):
        q = question_in(bank, page.text)
        assert f"Question {number + 1}/5" in page.plain and "Right!" not in page.plain  # no feedback mid-exam
        positions = [shown_options(page.text).index(s) for s in q.steps] if q.type is QuestionType.ordering else \
            [shown_options(page.text).index(r) for _, r in q.pairs]
        if not good:
            positions = wrong(positions, q.type)
        for i, pos in enumerate(positions):
            data = f"xa:{exam_id}:{number}:{pos}" if q.type is QuestionType.ordering else \
                f"xm:{exam_id}:{number}:{i}:{pos}"
            page = await tap(standin, page, data, edit)
        assert "Answered " + str(number + 1) + "/5" in page.plain
        onward = "Next ▶" if number < 4 else "Review & submit"
        page = await tap(standin, page, next(b["callback_data"] for b in page.buttons() if onward in b["text"]), edit)
    result = await tap(standin, page, data_of(page, "xs:"), edit)
    assert "MLA-C01 mock result" in result.plain and "Right: 3/5" in result.plain
    review = await tap(standin, result, data_of(result, "xv:"), edit)
    assert "The right order:" in review.plain or "The right pairs:" in review.plain
    assert "You got it right" in review.plain


async def test_a_group_picks_its_exam(bot, standin: StandIn):
    group_id = -1001122334455
    group = StandIn.group_chat(group_id)
    standin.admins[group_id] = {USER}
    mark = len(standin.calls)
    await standin.membership(group, USER, "left", "member")
    hello = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == group_id, after=mark)
    assert "questions for the ML Engineer – Associate, MLA-C02 exam" in hello.plain

    async def in_group(text: str) -> Call:
        mark = len(standin.calls)
        await standin.group_text(group, USER, text)
        return await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == group_id, after=mark)

    shown = await in_group("/groupsettings")
    assert "Exam the questions come from: ML Engineer – Associate, MLA-C02" in shown.plain
    saved = await in_group("/groupsettings exam mls-c01")
    assert "Saved" in saved.plain and "Machine Learning – Specialty, MLS-C01" in saved.plain
    bad = await in_group("/groupsettings exam nope")
    assert "not an exam I know" in bad.plain and "/groupsettings exam mla-c02" in bad.plain
    with db_connect(bot.settings.db) as conn:
        assert conn.execute("SELECT exam FROM groups WHERE chat_id = ?", (group_id,)).fetchone() == ("mls-c01",)


async def test_a_run_keeps_its_header_while_an_item_is_built(built, standin: StandIn):
    _, bank = built
    await say(standin, "/start")
    topic = bank.topic(bank.questions[0].topic)
    mark = len(standin.calls)
    await standin.send_text(USER, f"/drill {topic.id}")
    first = await standin.wait_for(lambda c: c.method == "sendMessage" and "Topic drill · 1/" in c.plain, after=mark)
    q = question_in(bank, first.text)
    ask = data_of(first, "s:").split(":")[1]
    data = f"o:{ask}:0" if q.type is QuestionType.ordering else f"m:{ask}:0:0"
    redrawn = await tap(standin, first, data, edit)
    assert "Topic drill · 1/" in redrawn.plain and {"Skip ⏭", "Stop ⏹"} <= {b["text"] for b in redrawn.buttons()}
