"""QA of how the study, exam and progress features meet each other and hostile or careless taps:
Telegram updates in, Bot API calls out, a real SQLite file, an injected clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import QuestionType
from tests.conftest import FakeClock, RunningBot, answer_correctly, db_connect, question_in, settings_for
from tests.standin import Call, StandIn

CLOSED_IN_EXAM = "This question is closed. Your mock exam is running: /exam takes you back to it."
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
    return await standin.say(user, text)


async def tap(standin: StandIn, call: Call, data: str, want, user: int = USER) -> Call:
    return await standin.press(user, call, data, want)


def toast(c: Call) -> bool:
    return c.method == "answerCallbackQuery"


def is_run_question(call: Call, user: int = USER) -> bool:
    return call.method == "sendMessage" and call.chat_id == user and any(h in call.plain for h in RUN_HEADS)


def data_of(call: Call, prefix: str) -> str:
    return next(b["callback_data"] for b in call.buttons() if b["callback_data"].startswith(prefix))


def rows(db: Path, sql: str, *args) -> list[tuple]:
    conn = db_connect(db)
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
        assert "mock exam is running" in notice.plain and "2 h 09 min" not in notice.plain, notice.plain
        assert "2 h 10 min left" in notice.plain  # MLA-C02's 130 minutes, rounded up: never "2:59"
        assert {b["text"] for b in notice.buttons()} == {"⏸ Pause the exam", "▶ Back to the exam"}
    assert rows(db, "SELECT COUNT(*) FROM drills WHERE user_id = ?", USER) == [(0,)]
    # The clock ran on while the user was refused; Pause right under the notice stops it.
    clock.advance(minutes=5)
    paused = await tap(standin, notice, data_of(notice, "xp:"), lambda c: c.method == "editMessageText")
    assert "Exam paused" in paused.plain and "2 h 05 min left" in paused.plain
    q1 = await drill_question(standin, "/drill kinesis")
    assert "Topic drill · 1/10" in q1.plain


async def test_an_exam_that_ran_out_shows_its_result_before_the_drill(env, standin: StandIn, bank):
    clock, db = env
    await say(standin, "/start")
    intro = await say(standin, "/exam")
    await tap(standin, intro, "xn", lambda c: c.method == "editMessageText")
    clock.advance(minutes=131)  # MLA-C02's 130 minutes are up
    mark = len(standin.calls)
    await standin.send_text(USER, "/drill xgboost")
    q1 = await standin.wait_for(is_run_question, after=mark)
    sent = [c for c in standin.sent_to(USER, after=mark) if c.method == "sendMessage"]
    # Whoever finished the exam (this command or the timeout job) told the user its result.
    assert any("MLA-C02 mock result" in c.plain for c in sent)
    assert question_in(bank, q1.text).topic == "xgboost"
    assert rows(db, "SELECT status, timed_out FROM exams WHERE user_id = ?", USER) == [("finished", 1)]


# --- old buttons from an earlier run ------------------------------------------------------------


async def test_a_new_run_closes_the_unfinished_one_so_its_old_buttons_do_not_revive_it(env, standin: StandIn, bank):
    clock, db = env
    await say(standin, "/start")
    old = await drill_question(standin, "/drill kinesis")
    # A single-answer question, whose first button is an answer (a matching item's first is its row's label).
    while question_in(bank, old.text).type is not QuestionType.single:
        skip = data_of(old, "sk:")
        old = await tap(standin, old, skip, is_run_question)
    new = await drill_question(standin, "/drill xgboost")
    assert "Topic drill · 1/10" in new.plain
    # An answer tapped under the abandoned kinesis drill's question: closed, and no kinesis question follows.
    mark = len(standin.calls)
    await standin.tap(USER, old, old.buttons()[0]["callback_data"])
    answered = await standin.wait_for(toast, after=mark)
    assert answered.params.get("text") == "This question is closed. Send /quiz for a new one."
    await say(standin, "/help")  # a later message: anything the tap set off has been sent by now
    assert not any(is_run_question(c) for c in standin.calls[mark:])
    assert rows(db, "SELECT label, finished_at IS NOT NULL FROM drills WHERE user_id = ? ORDER BY id", USER) == [
        ("kinesis", 1), ("xgboost", 0)]
    # Skip and Stop under the old question are refused the same way.
    for prefix in ("sk:", "sp:"):
        refused = await tap(standin, old, data_of(old, prefix), toast)
        assert "This run is over" in refused.params.get("text", "")
    # The new run goes on normally.
    mark = len(standin.calls)
    await answer_correctly(standin, bank, USER, new)
    nxt = await standin.wait_for(is_run_question, after=mark)
    assert "Topic drill · 2/10" in nxt.plain and question_in(bank, nxt.text).topic == "xgboost"


# --- forged buttons -----------------------------------------------------------------------------


async def test_report_buttons_with_another_users_ask_are_refused(env, standin: StandIn):
    clock, db = env
    await say(standin, "/start")
    mine = await say(standin, "/quiz")
    ask_id = rows(db, "SELECT MAX(id) FROM asks WHERE user_id = ?", USER)[0][0]
    await say(standin, "/start", user=OTHER)
    theirs = await say(standin, "/quiz", user=OTHER)
    for data in (f"rp:{ask_id}", f"rx:{ask_id}", f"rr:{ask_id}:w"):
        mark = len(standin.calls)
        refused = await tap(standin, theirs, data, toast, user=OTHER)
        assert refused.params.get("text") == "That button does not belong to a question of yours.", data
        await say(standin, "/help", user=OTHER)
        assert not any(c.method.startswith("edit") for c in standin.calls[mark:]), data
    assert rows(db, "SELECT COUNT(*) FROM reports") == [(0,)]
    # The owner's own Report still opens the reasons.
    opened = await tap(standin, mine, f"rp:{ask_id}", lambda c: c.method == "editMessageReplyMarkup")
    assert [b["callback_data"] for b in opened.buttons()] == [f"rr:{ask_id}:w", f"rr:{ask_id}:u", f"rr:{ask_id}:o",
                                                              f"rx:{ask_id}"]


# --- your data: Telegram's 50 MB upload limit ---------------------------------------------------

HEAVY = 110_000  # a year and more of a few hundred answers a day
TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024


def seed_answers(db: Path, user: int, n: int) -> None:
    """Plain SQL: a heavy user's answers (seeding is not what is tested). Run it in a thread: the bot shares
    the event loop and must be able to finish a write this waits for (BEGIN IMMEDIATE waits, not fails)."""
    conn = db_connect(db)
    try:
        conn.execute("BEGIN IMMEDIATE")
        at = START.isoformat()
        conn.executemany(
            "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, origin, option_order, asked_at, "
            "status, answered_at, correct, response, message_id) "
            "VALUES (?, ?, ?, 'single', 'data-engineering', 'kinesis', 'quiz', '[2, 0, 3, 1]', ?, 'answered', ?, "
            "?, '[2]', ?)",
            [(user, user, f"kinesis-{i % 40:03d}", at, at, int(i % 3 != 0), 100_000 + i) for i in range(n)],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_export_of_a_heavy_user_fits_telegrams_upload_limit(env, standin: StandIn):
    import gzip
    import json

    clock, db = env
    await say(standin, "/start")
    await asyncio.to_thread(seed_answers, db, USER, HEAVY)
    mark = len(standin.calls)
    await standin.send_text(USER, "/export")
    doc = await standin.wait_for(lambda c: c.method == "sendDocument", after=mark, timeout=120)
    filename, content, _ = doc.files["document"]
    assert len(content) <= TELEGRAM_UPLOAD_LIMIT
    assert filename.endswith(".json.gz") and "gzip" in doc.params["caption"]
    data = json.loads(gzip.decompress(content))
    assert len(data["tables"]["asks"]) == HEAVY
    assert len(gzip.decompress(content)) > TELEGRAM_UPLOAD_LIMIT  # plain JSON would not have gone through


# --- /help and /start tell about everything --------------------------------------------------------


async def test_help_explains_runs_readiness_reports_and_data_and_start_points_to_them(env, standin: StandIn):
    from bot.tg.commands import COMMANDS, GROUP_MENU

    help_text = await say(standin, "/help")
    for c in COMMANDS:
        assert (f"/{c.name} — " in help_text.plain) == (c.name not in GROUP_MENU), c.name
    more = await tap(standin, help_text, data_of(help_text, "hm"),
                     lambda c: c.method == "sendMessage" and c.chat_id == USER)
    for needed in ("Skip", "Stop", "retry", "pause it first", "Readiness", "⚑ Report", "/export", "/forget",
                   "estimate"):
        assert needed in more.plain, needed
    assert "/reports" not in help_text.plain  # admins only: not advertised
    menu = next(c for c in standin.calls if c.method == "setMyCommands")
    assert "reports" not in str(menu.params.get("commands"))
    denied = await say(standin, "/reports")
    assert "I don't know /reports" in denied.plain and "⚑" not in denied.plain
    listing = await say(standin, "/reports", user=ADMIN)
    assert "⚑" in listing.plain
    assert len(help_text.text) <= 4096 and len(more.text) <= 4096
    welcome = await say(standin, "/start", user=OTHER)
    for command in ("/drill", "/review", "/mistakes", "/exam", "/progress", "/help"):
        assert command in welcome.plain, command


async def test_another_users_run_and_exam_ids_are_refused(env, standin: StandIn, bank):
    from tests.conftest import wrong_position

    clock, db = env
    await say(standin, "/start")
    await say(standin, "/start", user=OTHER)
    other_msg = await say(standin, "/help", user=OTHER)  # any message of OTHER's to tap under
    q = await drill_question(standin, "/drill kinesis")
    while question_in(bank, q.text).type is not QuestionType.single:
        q = await tap(standin, q, data_of(q, "sk:"), is_run_question)
    before = rows(db, "SELECT id, position, skipped, finished_at FROM drills WHERE user_id = ?", USER)
    for data in (data_of(q, "sk:"), data_of(q, "sp:")):
        refused = await tap(standin, other_msg, data, toast, user=OTHER)
        assert refused.params.get("text") == "That button does not belong to a question of yours.", data
    assert rows(db, "SELECT id, position, skipped, finished_at FROM drills WHERE user_id = ?", USER) == before
    # USER misses one and stops: the summary's Retry is theirs alone.
    mark = len(standin.calls)
    await standin.tap(USER, q, q.buttons()[wrong_position(bank, q)]["callback_data"])
    nxt = await standin.wait_for(is_run_question, after=mark)
    summary = await tap(standin, nxt, data_of(nxt, "sp:"),
                        lambda c: c.method == "sendMessage" and "Stopped" in c.plain)
    retry = data_of(summary, "sr:")
    refused = await tap(standin, other_msg, retry, toast, user=OTHER)
    assert refused.params.get("text") == "Nothing to retry from that run."
    assert rows(db, "SELECT COUNT(*) FROM drills WHERE user_id = ?", OTHER) == [(0,)]
    # USER's exam: every exam button with its id, tapped by OTHER, is refused and changes nothing.
    intro = await say(standin, "/exam")
    await tap(standin, intro, "xn", lambda c: c.method == "editMessageText")
    exam_id = rows(db, "SELECT id FROM exams WHERE user_id = ?", USER)[0][0]
    state = "SELECT status, position, used_seconds FROM exams WHERE id = ?"
    before = rows(db, state, exam_id)
    selected = "SELECT COUNT(*) FROM exam_items JOIN asks ON asks.id = ask_id WHERE exam_id = ? AND selected != '[]'"
    for data in (f"xa:{exam_id}:0:0", f"xg:{exam_id}:5", f"xf:{exam_id}:0", f"xp:{exam_id}", f"xr:{exam_id}",
                 f"xo:{exam_id}", f"xs:{exam_id}", f"xz:{exam_id}", f"xv:{exam_id}:0"):
        refused = await tap(standin, other_msg, data, toast, user=OTHER)
        assert refused.params.get("text") == "That button does not belong to an exam of yours.", data
    assert rows(db, state, exam_id) == before and rows(db, selected, exam_id) == [(0,)]
    assert rows(db, "SELECT flagged FROM exam_items WHERE exam_id = ? AND position = 0", exam_id) == [(0,)]


# --- /forget in the middle of things -------------------------------------------------------------


async def test_forget_during_a_drill_and_an_exam_leaves_old_buttons_harmless(env, standin: StandIn, bank):
    clock, db = env
    await say(standin, "/start")
    q = await drill_question(standin, "/drill metrics")
    while question_in(bank, q.text).type is not QuestionType.single:
        q = await tap(standin, q, data_of(q, "sk:"), is_run_question)
    intro = await say(standin, "/exam")
    page = await tap(standin, intro, "xn", lambda c: c.method == "editMessageText")
    confirm = await say(standin, "/forget")
    assert "mock exams" in confirm.plain
    done = await tap(standin, confirm, "fg:yes", lambda c: c.method == "editMessageText")
    assert "everything I stored about you is deleted" in done.plain
    assert rows(db, "SELECT COUNT(*) FROM users WHERE id = ?", USER) == [(0,)]
    # Old buttons: refused with a toast, nothing recorded, and the user is not silently re-created.
    for message, data in ((q, q.buttons()[0]["callback_data"]), (q, data_of(q, "sk:")), (q, data_of(q, "sp:")),
                          (page, page.buttons()[0]["callback_data"]), (page, data_of(page, "xp:")),
                          (page, data_of(page, "xo:"))):
        refused = await tap(standin, message, data, toast)
        assert refused.params.get("text"), data
    clock.advance(minutes=181)  # the exam's deadline passes: the timeout job has nothing of theirs to finish
    await say(standin, "/help", user=OTHER)
    for table in ("users", "asks", "drills", "exams", "cards", "days"):
        key = "id" if table == "users" else "user_id"
        assert rows(db, f"SELECT COUNT(*) FROM {table} WHERE {key} = ?", USER) == [(0,)], table


# --- a typed answer in a run after /quiz closed the run's question -----------------------------------


async def test_typed_answer_for_a_run_question_that_quiz_closed_still_counts(env, standin: StandIn, bank):
    clock, db = env
    await say(standin, "/start")
    q = await drill_question(standin, "/drill kinesis 30")
    while question_in(bank, q.text).type is not QuestionType.fill:
        q = await tap(standin, q, data_of(q, "sk:"), is_run_question)
    number = int(q.plain.split("Topic drill · ")[1].split("/")[0])
    quiz = await say(standin, "/quiz")  # closes the drill's typed question (a newer question came)
    while question_in(bank, quiz.text).type is QuestionType.fill:
        quiz = await say(standin, "/quiz")
    # The user types the drill question's answer: nothing else takes typed answers now, so it counts there.
    mark = len(standin.calls)
    await standin.send_text(USER, question_in(bank, q.text).answer)
    verdict = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "Right!" in verdict.plain, verdict.plain
    nxt = await standin.wait_for(is_run_question, after=mark)
    assert f"Topic drill · {number + 1}/" in nxt.plain
    # With no run question waiting, a stray message still gets the friendly nudge.
    await standin.tap(USER, nxt, data_of(nxt, "sp:"))
    await standin.wait_for(lambda c: c.method == "sendMessage" and "Stopped" in c.plain, after=mark)
    nudge = await say(standin, "hello?")
    assert "Send /quiz for a question" in nudge.plain


async def test_starting_or_resuming_an_exam_closes_an_open_drill(env, standin: StandIn, bank):
    clock, db = env
    await say(standin, "/start")

    async def single_drill_question() -> Call:
        q = await drill_question(standin, "/drill xgboost")
        while question_in(bank, q.text).type is not QuestionType.single:
            q = await tap(standin, q, data_of(q, "sk:"), is_run_question)
        return q

    q = await single_drill_question()
    intro = await say(standin, "/exam")
    page = await tap(standin, intro, "xn", lambda c: c.method == "editMessageText")
    closed = await tap(standin, q, q.buttons()[0]["callback_data"], toast)
    # No feedback mid-exam, and no pointer to /quiz either: practice waits for the exam.
    assert closed.params.get("text") == CLOSED_IN_EXAM
    paused = await tap(standin, page, data_of(page, "xp:"), lambda c: c.method == "editMessageText")
    q = await single_drill_question()  # allowed while the exam's clock is stopped
    await tap(standin, paused, data_of(paused, "xr:"), lambda c: c.method == "editMessageText")
    closed = await tap(standin, q, q.buttons()[0]["callback_data"], toast)
    assert closed.params.get("text") == CLOSED_IN_EXAM
    assert rows(db, "SELECT COUNT(*) FROM drills WHERE user_id = ? AND finished_at IS NULL", USER) == [(0,)]


# --- /drill 20 without a topic --------------------------------------------------------------------


async def test_drill_size_without_a_topic_travels_through_the_picker(env, standin: StandIn, bank):
    await say(standin, "/start")
    picker = await say(standin, "/drill 20")
    de = next(i for i, d in enumerate(bank.domains) if d.id == "data-engineering")
    assert f"sd:{de}:20" in [b["callback_data"] for b in picker.buttons()]
    topics = await tap(standin, picker, f"sd:{de}:20", lambda c: c.method == "editMessageText")
    assert "A drill is 20 questions" in topics.plain
    datas = [b["callback_data"] for b in topics.buttons()]
    assert "st:kinesis:20" in datas and "sd:s20" in datas
    assert all(len(d.encode()) <= 64 for d in datas)
    back = await tap(standin, topics, "sd:s20", lambda c: c.method == "editMessageText")
    assert f"sd:{de}:20" in [b["callback_data"] for b in back.buttons()]
    q1 = await tap(standin, topics, "st:kinesis:20", is_run_question)
    assert "Topic drill · 1/20" in q1.plain
    # The plain picker still means the default size.
    plain = await say(standin, "/drill")
    assert f"sd:{de}" in [b["callback_data"] for b in plain.buttons()]


# --- reporting from a mock exam's review ------------------------------------------------------------


async def test_exam_review_explanations_can_be_reported_and_keep_their_buttons(env, standin: StandIn, bank):
    clock, db = env
    await say(standin, "/start")
    intro = await say(standin, "/exam")
    page = await tap(standin, intro, "xn", lambda c: c.method == "editMessageText")
    overview = await tap(standin, page, data_of(page, "xo:"), lambda c: c.method == "editMessageText")
    result = await tap(standin, overview, data_of(overview, "xs:"), lambda c: c.method == "editMessageText")
    review = await tap(standin, result, data_of(result, "xv:"), lambda c: c.method == "editMessageText")
    assert "💡" in review.plain
    nav = [b["callback_data"] for b in review.buttons()]
    report = data_of(review, "rp:")
    ask_id = int(report.split(":")[1])
    reasons = await tap(standin, review, report, lambda c: c.method == "editMessageReplyMarkup")
    thanks_mark = len(standin.calls)
    await standin.tap(USER, reasons, f"rr:{ask_id}:o")
    thanks = await standin.wait_for(toast, after=thanks_mark)
    assert "Reported as “outdated”" in thanks.params.get("text", "")
    restored = await standin.wait_for(lambda c: c.method == "editMessageReplyMarkup", after=thanks_mark)
    assert [b["callback_data"] for b in restored.buttons()] == nav  # the review's own buttons, Report included
    question = rows(db, "SELECT question_id FROM asks WHERE id = ?", ask_id)[0][0]
    assert rows(db, "SELECT user_id, question_id, reason FROM reports") == [(USER, question, "outdated")]
    # Cancel brings the review's buttons back too.
    reasons = await tap(standin, restored, report, lambda c: c.method == "editMessageReplyMarkup")
    back = await tap(standin, reasons, f"rx:{ask_id}", lambda c: c.method == "editMessageReplyMarkup")
    assert [b["callback_data"] for b in back.buttons()] == nav
