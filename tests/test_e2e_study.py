"""Study runs, reports and your data end to end: Telegram updates in, Bot API calls out, a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import QuestionType
from bot.domain.study import KIND_NAMES
from bot.services.tracks import Tracks
from tests.conftest import (
    FakeClock,
    RunningBot,
    answer_correctly,
    answer_wrongly,
    db_connect,
    question_in,
    settings_for,
    url_for,
)
from tests.standin import Call, StandIn

USER = 987_654_321  # large, so no other number in the database can equal it by chance
OTHER = 876_543_210
ADMIN = 765_432_109
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
RUN_HEADS = ("Topic drill · ", "Review · ", "Mistakes · ", "Retry · ")


@pytest.fixture
async def env(standin: StandIn, bank, tmp_path: Path):
    clock = FakeClock(START)
    db = tmp_path / "study.sqlite3"
    bot = RunningBot(settings_for(standin, db, MLSQUIZ_ADMIN_IDS=str(ADMIN)), bank, clock=clock)
    await bot.start(standin)
    yield clock, db
    await bot.stop()


def is_run_question(call: Call, user: int = USER) -> bool:
    return call.method == "sendMessage" and call.chat_id == user and any(h in call.plain for h in RUN_HEADS)


def is_summary(call: Call, user: int = USER) -> bool:
    return (call.method == "sendMessage" and call.chat_id == user
            and ("Done —" in call.plain or "Stopped —" in call.plain))


def position(call: Call) -> tuple[int, int]:
    m = re.search(r"· (\d+)/(\d+)", call.plain)
    assert m, call.plain
    return int(m.group(1)), int(m.group(2))


def data_of(call: Call, prefix: str) -> str:
    return next(b["callback_data"] for b in call.buttons() if b["callback_data"].startswith(prefix))


async def say(standin: StandIn, text: str, user: int = USER) -> Call:
    return await standin.say(user, text)


async def answer(standin: StandIn, bank, call: Call, right: bool, user: int = USER) -> Call:
    """Answer a run's question; return what follows (the next question or the summary)."""
    mark = len(standin.calls)
    await (answer_correctly if right else answer_wrongly)(standin, bank, user, call)
    return await standin.wait_for(lambda c: is_run_question(c, user) or is_summary(c, user), after=mark)


async def tap(standin: StandIn, call: Call, data: str, want, user: int = USER) -> Call:
    return await standin.press(user, call, data, want)


def rows(db: Path, sql: str, *args) -> list[tuple]:
    conn = db_connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


# --- topic drills ---------------------------------------------------------------------------


async def test_picker_drill_skip_stop_summary_and_retry_missed(env, standin: StandIn, bank):
    clock, db = env
    picker = await say(standin, "/drill")
    domains = picker.buttons()
    track = Tracks(bank).get(None)  # the default exam's domains and the topics with questions in it
    assert [b["callback_data"] for b in domains] == [f"sd:{i}" for i in range(len(track.exam.domains))]
    assert all(len(b["callback_data"].encode()) <= 64 for b in domains)

    first = track.exam.domains[0]  # Data Preparation for ML and AI
    topics = await tap(standin, picker, "sd:0", lambda c: c.method == "editMessageText")
    mine = [t for t in track.topics if t.domain == first.id]
    labels = {b["callback_data"]: b["text"] for b in topics.buttons()}
    assert mine and {d for d in labels if d.startswith("st:")} == {f"st:{t.id}:0" for t in mine}
    for t in mine:
        assert labels[f"st:{t.id}:0"] == f"{t.name} · {len(t.questions)} q · new"
    assert labels["sd"] == "◀ Domains"
    back = await tap(standin, topics, "sd", lambda c: c.method == "editMessageText")
    assert len(back.buttons()) == len(track.exam.domains)

    q1 = await tap(standin, topics, "st:kinesis:0", is_run_question)
    assert position(q1) == (1, 10) and question_in(bank, q1.text).topic == "kinesis"
    assert {"Skip ⏭", "Stop ⏹"} <= {b["text"] for b in q1.buttons()}

    q2 = await answer(standin, bank, q1, right=True)
    result = next(c for c in reversed(standin.calls) if c.method == "editMessageText" or
                  (c.method == "sendMessage" and "Right!" in c.plain))
    assert [b["text"] for b in result.buttons() if b["text"] != "Why? ▸"] == ["⚑ Report"]  # no 'Next' in a run
    assert position(q2) == (2, 10)
    q3 = await answer(standin, bank, q2, right=False)
    assert position(q3) == (3, 10)
    skipped_question = question_in(bank, q3.text).id

    q4 = await tap(standin, q3, data_of(q3, "sk:"), is_run_question)
    assert position(q4) == (4, 10)
    # A skip is neither an answer nor a review: no answer row, no FSRS card.
    assert rows(db, "SELECT status FROM asks WHERE question_id = ?", skipped_question) == [("expired",)]
    assert rows(db, "SELECT COUNT(*) FROM cards WHERE question_id = ?", skipped_question) == [(0,)]

    clock.advance(seconds=95)
    summary = await tap(standin, q4, data_of(q4, "sp:"), is_summary)
    assert "Stopped — Kinesis streaming" in summary.plain
    assert "Score: 1/2 (50%) · skipped 1 · 7 not reached" in summary.plain
    assert "Time: 1 min 35 s" in summary.plain
    stats = await say(standin, "/stats")
    assert "Answered: 2" in stats.plain

    missed = question_in(bank, q2.text).id
    retry_data = data_of(summary, "sr:")
    assert next(b["text"] for b in summary.buttons()) == "Retry the 1 missed ↻"
    again = await tap(standin, summary, retry_data, is_run_question)
    assert position(again) == (1, 1) and question_in(bank, again.text).id == missed
    done = await answer(standin, bank, again, right=True)
    assert is_summary(done) and "Done — Retry: Kinesis streaming" in done.plain and "Score: 1/1" in done.plain
    assert not done.buttons()  # nothing missed: nothing to retry

    # Old buttons do nothing once their run is over.
    toast = await tap(standin, q4, data_of(q4, "sk:"), lambda c: c.method == "answerCallbackQuery")
    assert "run is over" in toast.params["text"]


async def test_a_whole_drill_ends_with_score_and_weakest_areas(env, standin: StandIn, bank):
    call = await say(standin, "/drill xgboost 5")
    assert "XGBoost" in call.plain and "5 questions" in call.plain
    call = await standin.wait_for(is_run_question)
    asked, marks = [], []
    for i in range(5):
        assert position(call) == (i + 1, 5)
        q = question_in(bank, call.text)
        asked.append(q)
        marks.append(i % 2 == 1)
        call = await answer(standin, bank, call, right=i % 2 == 1)
    assert is_summary(call)
    assert "Done — " in call.plain and "Score: 2/5 (40%)" in call.plain
    assert all(q.topic == "xgboost" for q in asked) and len({q.id for q in asked}) == 5
    # Each weak area listed agrees with the answers given: count the misses by difficulty / format ourselves.
    for name, correct, total in re.findall(r"• (.+): (\d+)/(\d+)", call.plain):
        group = [ok for q, ok in zip(asked, marks, strict=True) if name.startswith(("basic", "intermediate", "hard"))
                 and {"basic": 1, "intermediate": 2, "hard": 3}[name.split()[0]] == q.difficulty
                 or name == KIND_NAMES[q.type.value]]
        assert (int(correct), int(total)) == (sum(group), len(group)), name
    assert "Weakest here" in call.plain or "no pattern" in call.plain
    assert data_of(call, "sr:")


async def test_drill_by_name_forgiving_sizes_and_unknown_topics(env, standin: StandIn, bank):
    xgb = sum(q.topic == "xgboost" for q in bank.questions)
    intro = await say(standin, "/drill XGBost 50")
    assert "XGBoost" in intro.plain and f"{xgb} questions (asked for 50" in intro.plain
    first = await standin.wait_for(is_run_question)
    assert position(first) == (1, xgb)

    mark = len(standin.calls)
    await standin.send_text(USER, "/drill metrcs 1")
    first = await standin.wait_for(is_run_question, after=mark)
    assert position(first) == (1, 3) and question_in(bank, first.text).topic == "metrics"

    reply = await say(standin, "/drill data")
    assert "no topic called “data”" in reply.plain
    suggested = [b["callback_data"] for b in reply.buttons()]
    assert "st:data-prep:0" in suggested and len(suggested) <= 4

    reply = await say(standin, "/drill quantum chromodynamics 4")
    assert "no topic called" in reply.plain and reply.buttons()
    pick = reply.buttons()[0]["callback_data"]
    assert pick.endswith(":4")
    mark = len(standin.calls)
    await standin.tap(USER, reply, pick)
    first = await standin.wait_for(is_run_question, after=mark)
    assert position(first) == (1, 4) and question_in(bank, first.text).topic == pick.split(":")[1]


# --- reviews and mistakes -------------------------------------------------------------------------


async def test_review_nothing_due_then_due_after_time_passes(env, standin: StandIn, bank):
    clock, db = env
    reply = await say(standin, "/review")
    assert "Nothing to review yet" in reply.plain

    await say(standin, "/drill metrics 3")
    call = await standin.wait_for(is_run_question)
    drilled = []
    while is_run_question(call):
        drilled.append(question_in(bank, call.text).id)
        call = await answer(standin, bank, call, right=True)
    assert "Score: 3/3" in call.plain

    reply = await say(standin, "/review")
    first_due = min(datetime.fromisoformat(r[0]) for r in rows(db, "SELECT due FROM cards"))
    assert first_due > START
    assert f"next review is due {first_due.strftime('%a %d %b, %H:%M')} (UTC)" in reply.plain

    clock.now = first_due
    mark = len(standin.calls)
    reply = await say(standin, "/review")
    due_now = rows(db, "SELECT question_id FROM cards WHERE due <= ?", first_due.isoformat())
    assert f"{len(due_now)} question" in reply.plain and "due now" in reply.plain
    call = await standin.wait_for(is_run_question, after=mark)
    reviewed = []
    while is_run_question(call):
        assert "Review · " in call.plain
        reviewed.append(question_in(bank, call.text).id)
        call = await answer(standin, bank, call, right=True)
    assert sorted(reviewed) == sorted(r[0] for r in due_now)
    assert "Done — Review" in call.plain
    # Reviewed cards moved on: nothing is due at this moment any more.
    assert rows(db, "SELECT COUNT(*) FROM cards WHERE due <= ?", first_due.isoformat()) == [(0,)]
    reply = await say(standin, "/review")
    assert "Nothing is due right now" in reply.plain


async def test_mistakes_come_back_until_each_is_right(env, standin: StandIn, bank):
    reply = await say(standin, "/mistakes")
    assert "No mistakes to fix" in reply.plain

    await say(standin, "/drill xgboost 3")
    call = await standin.wait_for(is_run_question)
    wrong = []
    while is_run_question(call):
        wrong.append(question_in(bank, call.text).id)
        call = await answer(standin, bank, call, right=False)
    assert "Score: 0/3" in call.plain

    mark = len(standin.calls)
    reply = await say(standin, "/mistakes")
    assert "3 questions you last answered wrong" in reply.plain
    call = await standin.wait_for(is_run_question, after=mark)
    assert "Mistakes · 1/3" in call.plain
    assert question_in(bank, call.text).id == wrong[-1]  # the most recently missed first
    first = question_in(bank, call.text).id
    call = await answer(standin, bank, call, right=False)  # missed again: it comes back at the end
    assert position(call) == (2, 4)
    seen = [first]
    while is_run_question(call):
        seen.append(question_in(bank, call.text).id)
        call = await answer(standin, bank, call, right=True)
    assert seen[-1] == first and sorted(set(seen)) == sorted(wrong) and len(seen) == 4
    assert "Done — Mistakes" in call.plain and "Score: 3/4" in call.plain
    reply = await say(standin, "/mistakes")
    assert "No mistakes to fix" in reply.plain


# --- reports ---------------------------------------------------------------------------------


async def quiz_and_answer(standin: StandIn, bank, user: int) -> tuple[str, Call]:
    """Ask /quiz and answer it; return the question id and the message carrying the explanation."""
    question = await say(standin, "/quiz", user)
    mark = len(standin.calls)
    await answer_correctly(standin, bank, user, question)
    explained = await standin.wait_for(
        lambda c: c.chat_id == user and c.method in ("editMessageText", "sendMessage") and "Right!" in c.plain,
        after=mark,
    )
    return question_in(bank, question.text).id, explained


async def report(standin: StandIn, user: int, explained: Call, code: str) -> str:
    """Tap ⚑ Report, then a reason; return the thank-you toast."""
    reasons = await tap(standin, explained, data_of(explained, "rp:"),
                        lambda c: c.method == "editMessageReplyMarkup", user)
    assert [b["text"] for b in reasons.buttons()] == ["Wrong answer", "Unclear", "Outdated", "Cancel"]
    reason = next(b["callback_data"] for b in reasons.buttons() if b["callback_data"].endswith(f":{code}"))
    mark = len(standin.calls)
    await standin.tap(user, explained, reason)
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    # The explanation's own buttons come back.
    await standin.wait_for(lambda c: c.method == "editMessageReplyMarkup" and "⚑ Report" in
                           [b["text"] for b in c.buttons()], after=mark)
    return toast.params["text"]


async def test_report_a_question_and_admins_list_reports(env, standin: StandIn, bank):
    clock, db = env
    reported, explained = await quiz_and_answer(standin, bank, USER)
    buttons = [b["text"] for b in explained.buttons()]
    with_why = ["Why? ▸", "Next question ▶", "⚑ Report"] if bank.question(reported).details else \
        ["Next question ▶", "⚑ Report"]
    assert buttons == with_why

    mark = len(standin.calls)
    assert "Thanks! Reported as “unclear”" in await report(standin, USER, explained, "u")
    await standin.wait_for(lambda c: c.method == "editMessageReplyMarkup" and
                           [b["text"] for b in c.buttons()] == with_why, after=mark)
    assert "already reported" in await report(standin, USER, explained, "u")
    assert "Thanks!" in await report(standin, USER, explained, "w")
    # Cancel puts the buttons back without reporting.
    reasons = await tap(standin, explained, data_of(explained, "rp:"), lambda c: c.method == "editMessageReplyMarkup")
    back = await tap(standin, explained, data_of(reasons, "rx:"), lambda c: c.method == "editMessageReplyMarkup")
    assert [b["text"] for b in back.buttons()] == with_why
    assert rows(db, "SELECT user_id, question_id, reason FROM reports ORDER BY reason") == [
        (USER, reported, "unclear"), (USER, reported, "wrong")]

    # Someone else reports the question they got (maybe the same one: counts are per question).
    other_question, other = await quiz_and_answer(standin, bank, OTHER)
    await report(standin, OTHER, other, "o")

    denied = await say(standin, "/reports", USER)
    assert "I don't know /reports" in denied.plain

    listing = await say(standin, "/reports", ADMIN)
    assert len(listing.text) <= 4096
    if other_question == reported:
        assert "Reports: 3 on 1 question" in listing.plain and f"3 × {reported}" in listing.plain
    else:
        assert "Reports: 3 on 2 questions" in listing.plain
        assert listing.plain.index(f"2 × {reported}") < listing.plain.index(f"1 × {other_question}")
    assert bank.question(reported).prompt[:60] in listing.plain


async def test_report_stays_after_next(env, standin: StandIn, bank):
    """'Next' takes its own button away but leaves Report under the explanation."""
    _, explained = await quiz_and_answer(standin, bank, USER)
    nxt = await tap(standin, explained, data_of(explained, "n:"), lambda c: c.method == "editMessageReplyMarkup")
    assert [b["text"] for b in nxt.buttons()] == ["⚑ Report"]
    assert "Thanks!" in await report(standin, USER, explained, "o")


# --- your data ----------------------------------------------------------------------------------


async def add_foreign_table(db: Path, user: int) -> None:
    """A table another feature might add later, with a user_id column: export and forget must cover it."""
    # In a thread: the bot shares this event loop and must be able to finish a write we wait for.
    await asyncio.to_thread(_add_foreign_table, db, user)


def _add_foreign_table(db: Path, user: int) -> None:
    # BEGIN IMMEDIATE: a deferred transaction would fail at once, not wait, if the bot writes in between.
    conn = db_connect(db)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS future_feature "
                     "(id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER, points INTEGER)")
        conn.execute("INSERT INTO future_feature (user_id, points) VALUES (?, 7)", (user,))
        # A finished mock exam of one question: its item row has no user_id, only the exam's.
        ask_id = conn.execute("SELECT MIN(id) FROM asks WHERE user_id = ?", (user,)).fetchone()[0]
        exam_id = conn.execute(
            "INSERT INTO exams (user_id, chat_id, size, limit_seconds, status, started_at) "
            "VALUES (?, ?, 1, 60, 'finished', '2026-11-23T09:00:00+00:00') RETURNING id", (user, user)).fetchone()[0]
        conn.execute("INSERT INTO exam_items (exam_id, position, ask_id) VALUES (?, 0, ?)", (exam_id, ask_id))
        # A group round this user started: `started_by` names them without a foreign key.
        conn.execute("INSERT INTO groups (chat_id, joined_at) VALUES (-100777, '2026-11-23T09:00:00+00:00') "
                     "ON CONFLICT DO NOTHING")
        conn.execute("INSERT INTO rounds (chat_id, started_by, questions, orders, seconds, status, started_at) "
                     "VALUES (-100777, ?, '[]', '[]', 20, 'finished', '2026-11-23T09:00:00+00:00')", (user,))
        conn.execute("COMMIT")
    finally:
        conn.close()


async def make_history(standin: StandIn, bank, user: int) -> None:
    await say(standin, "/daily 07:30", user)
    _, explained = await quiz_and_answer(standin, bank, user)
    await report(standin, user, explained, "u")
    mark = len(standin.calls)
    await say(standin, "/drill kinesis 3", user)
    call = await standin.wait_for(lambda c: is_run_question(c, user), after=mark)
    await answer(standin, bank, call, right=False, user=user)


def tables_with_user_id(db: Path) -> list[str]:
    if url_for(db) is not None:  # PostgreSQL
        return sorted({r[0] for r in rows(db, "SELECT table_name FROM information_schema.columns "
                                              "WHERE column_name = 'user_id' AND table_schema = current_schema()")})
    names = [r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return [t for t in names if "user_id" in {c[1] for c in rows(db, f'PRAGMA table_info("{t}")')}]


async def test_export_sends_every_table_about_the_user(env, standin: StandIn, bank):
    clock, db = env
    await make_history(standin, bank, USER)
    await make_history(standin, bank, OTHER)
    await add_foreign_table(db, USER)
    await add_foreign_table(db, OTHER)

    mark = len(standin.calls)
    await standin.send_text(USER, "/export")
    doc = await standin.wait_for(lambda c: c.method == "sendDocument", after=mark)
    assert doc.chat_id == USER and "/forget" in doc.params["caption"]
    filename, content, _ = doc.files["document"]
    assert filename.endswith(".json")
    data = json.loads(content)
    assert data["profile"]["id"] == USER and data["profile"]["first_name"] == "Ada"
    assert data["settings"] == {"tz": "UTC", "daily_enabled": 1, "daily_time": "07:30", "daily_size": 5}
    tables = data["tables"]
    exam_items = tables.pop("exam_items")
    assert set(tables) == set(tables_with_user_id(db))
    mine = rows(db, "SELECT i.exam_id, i.ask_id FROM exam_items i JOIN exams e ON e.id = i.exam_id WHERE e.user_id = ?",
                USER)
    assert [(r["exam_id"], r["ask_id"]) for r in exam_items] == [tuple(r) for r in mine] and len(mine) == 1
    for name, table_rows in tables.items():
        assert all(r["user_id"] == USER for r in table_rows), name
        assert len(table_rows) == rows(db, f'SELECT COUNT(*) FROM "{name}" WHERE user_id = ?', USER)[0][0], name
    assert len([a for a in tables["asks"] if a["status"] == "answered"]) == 2
    assert len(tables["cards"]) == 2 and isinstance(tables["cards"][0]["card"], dict)
    assert tables["days"][0]["answered"] == 2
    assert {d["kind"] for d in tables["drills"]} == {"topic"} and isinstance(tables["drills"][0]["questions"], list)
    assert [(r["reason"]) for r in tables["reports"]] == ["unclear"]
    assert tables["future_feature"] == [{"id": 1, "user_id": USER, "points": 7}]


def references(db: Path, value: int) -> list[str]:
    """Every table.column in the database holding `value` (a user id anywhere, under any column name)."""
    found = []
    if url_for(db) is not None:  # PostgreSQL: integer columns only (comparing text with a number is an error)
        columns = rows(db, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
                           "current_schema() AND data_type IN ('bigint', 'integer') ORDER BY 1, 2")
    else:
        columns = [(table, c[1]) for (table,) in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")
                   for c in rows(db, f'PRAGMA table_info("{table}")')]
    for table, column in columns:
        if rows(db, f'SELECT COUNT(*) FROM "{table}" WHERE "{column}" = ?', value)[0][0]:
            found.append(f"{table}.{column}")
    return found


async def test_forget_asks_first_and_then_leaves_no_row(env, standin: StandIn, bank):
    clock, db = env
    await make_history(standin, bank, USER)
    await make_history(standin, bank, OTHER)
    await add_foreign_table(db, USER)
    await add_foreign_table(db, OTHER)
    before_other = references(db, OTHER)
    assert {"users.id", "asks.user_id", "cards.user_id", "days.user_id", "drills.user_id", "reports.user_id",
            "future_feature.user_id", "rounds.started_by"} <= set(references(db, USER))

    confirm = await say(standin, "/forget")
    assert "Delete all your data?" in confirm.plain
    cancelled = await tap(standin, confirm, "fg:no", lambda c: c.method == "editMessageText")
    assert "Nothing was deleted" in cancelled.plain
    assert "users.id" in references(db, USER)
    stats = await say(standin, "/stats")
    assert "Answered: 2" in stats.plain

    confirm = await say(standin, "/forget")
    done = await tap(standin, confirm, "fg:yes", lambda c: c.method == "editMessageText")
    assert "everything I stored about you is deleted" in done.plain
    assert references(db, USER) == []
    assert references(db, OTHER) == before_other  # nobody else's data went with it
    stats = await say(standin, "/stats", OTHER)
    assert "Answered: 2" in stats.plain


async def test_skip_still_works_after_quiz_closed_a_typed_question(env, standin: StandIn, bank):
    """/quiz in the middle of a run closes its open typed-answer question; Skip then moves the run on."""
    mark = len(standin.calls)
    await standin.send_text(USER, "/drill nlp-algorithms 30")
    call = await standin.wait_for(is_run_question, after=mark)
    while question_in(bank, call.text).type is not QuestionType.fill:
        call = await tap(standin, call, data_of(call, "sk:"), is_run_question)
    number, size = position(call)
    await say(standin, "/quiz")
    after = await tap(standin, call, data_of(call, "sk:"), lambda c: is_run_question(c) or is_summary(c))
    assert is_summary(after) if number == size else position(after) == (number + 1, size)
    if number == size:
        return
    # An unfinished study run is not today's daily drill: /daily offers nothing to continue.
    settings = await say(standin, "/daily")
    assert "dr" not in [b["callback_data"] for b in settings.buttons()]
