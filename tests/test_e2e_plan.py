"""A plan to exam day end to end: /plan, the daily drill it sizes, the countdown, the evening before, the
question after, and the plan's buttons. Telegram updates in, Bot API calls out, the injected clock."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.content import load_bank
from bot.domain import plan as rules
from tests.conftest import (
    FakeClock,
    RunningBot,
    answer_correctly,
    answer_wrongly,
    bank_questions,
    content_with,
    db_connect,
    question_in,
    settings_for,
)
from tests.standin import Call, StandIn

USER = 4242
ADMIN = 4343
ZONE = ZoneInfo("Asia/Kolkata")  # UTC+5:30: local days and UTC days disagree every evening
START = datetime(2027, 1, 3, 18, 0, tzinfo=UTC)  # 23:30 on Sunday 3 Jan in Kolkata
EXAM = date(2027, 2, 3)  # 30 days after Monday 4 Jan
SKIPPED = {2, 7, 11, 20}  # days (from 4 Jan) the learner lets the drill be
QUESTIONS = 60


def local(day: date, hh: int, mm: int, ss: int = 5) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=ZONE).astimezone(UTC)


def is_drill(call: Call) -> bool:
    return call.method == "sendMessage" and call.chat_id == USER and "Daily drill · " in call.plain


async def say(standin: StandIn, text: str, user: int = USER) -> Call:
    return await standin.say(user, text)


async def tap(standin: StandIn, message: Call, data: str) -> Call:
    """Press a button; returns the message it edits."""
    mark = len(standin.calls)
    await standin.tap(USER, message, data)
    return await standin.wait_for(lambda c: c.method == "editMessageText" and c.chat_id == USER, after=mark)


@pytest.fixture
async def small(standin: StandIn, tmp_path: Path):
    """A bank of 60 single-answer MLA-C02 questions, and the bot on the injected clock."""
    picked = bank_questions(lambda q: q["type"] == "single" and "mla-c02" in q.get("exams", {}), QUESTIONS)
    content = content_with(tmp_path / "content", picked)
    bank = load_bank(content)
    clock = FakeClock(START)
    db = tmp_path / "plan.sqlite3"
    bot = RunningBot(settings_for(standin, db, MLSQUIZ_CONTENT=str(content), MLSQUIZ_ADMIN_IDS=str(ADMIN)), bank,
                     clock=clock, push_interval=0.1)
    await bot.start(standin)
    yield bank, clock, db
    await bot.stop()


async def take(standin: StandIn, bank, first: Call, wrong_every: int = 0) -> list[str]:
    """Answer a whole drill (every `wrong_every`-th answer wrong); returns the questions answered."""
    answered, call, n = [], first, 0
    while True:
        n += 1
        answered.append(question_in(bank, call.text).id)
        mark = len(standin.calls)
        if wrong_every and n % wrong_every == 0:
            await answer_wrongly(standin, bank, USER, call)
        else:
            await answer_correctly(standin, bank, USER, call)
        call = await standin.wait_for(lambda c: is_drill(c) or "Daily drill done" in c.plain, after=mark)
        if "Daily drill done" in call.plain:
            return answered


def size_of(drill: Call) -> int:
    return int(re.search(r"Daily drill · 1/(\d+)", drill.plain).group(1))


async def test_thirty_days_to_the_exam_with_days_skipped(small, standin: StandIn):
    bank, clock, db = small
    await say(standin, "/start")
    await say(standin, "/timezone Asia/Kolkata")
    reply = await say(standin, "/plan 3 Feb 2027")
    # The plan needs the daily drill: it was off, now it is on at the default time.
    assert "daily drill is on, at 08:00" in reply.plain and "Your plan: MLA-C02 on Wed 3 Feb 2027" in reply.plain
    assert "31 days to go" in reply.plain and f"all {QUESTIONS} questions seen by" in reply.plain
    assert "mock exams on Thu 28 Jan and Mon 1 Feb" in reply.plain
    assert "about 1 min a question" in reply.plain and "FSRS's default model" in reply.plain
    assert all(len(b["callback_data"].encode()) <= 64 for b in reply.buttons())
    await say(standin, "/daily 07:00")
    budget = rules.budget(10, rules.DEFAULT_SECONDS)

    seen: set[str] = set()
    sizes: dict[int, int] = {}
    cutoff = rules.cutoff(EXAM)
    for i in range(31):
        day = date(2027, 1, 4) + timedelta(days=i)
        mark = len(standin.calls)
        clock.now = local(day, 7, 0)
        drill = await standin.wait_for(is_drill, after=mark)
        days_left = (EXAM - day).days
        sizes[i] = size_of(drill)
        assert sizes[i] <= budget, (day, drill.plain)
        if days_left == 0:
            assert "Exam day: MLA-C02!" in drill.plain and sizes[i] == rules.WARM_UP
        elif days_left <= rules.REVIEW_WEEK:
            assert f"⏳ {days_left} day{'s' if days_left > 1 else ''} to MLA-C02" in drill.plain, drill.plain
            assert ("mock exam day" in drill.plain) == (days_left in rules.MOCK_DAYS_BEFORE)
        else:
            assert f"📅 {days_left} days to MLA-C02 · today " in drill.plain, drill.plain
        if i == 1:  # /plan's "Today" is today's drill once it has been sent, not a fresh share on top of it
            assert f"<b>Today</b>: your drill, 0 of {sizes[i]} answered" in (await say(standin, "/plan")).text
        if i not in SKIPPED:
            answered = await take(standin, bank, drill, wrong_every=4)
            assert len(answered) == sizes[i]
            seen.update(answered)
        if i == 1:
            assert f"your drill is done ({sizes[i]} questions)" in (await say(standin, "/plan")).plain
        if day == cutoff:
            # Every question of the exam has been answered at least once by a week before the date.
            assert seen == {q.id for q in bank.questions}, len(seen)
        if days_left == 1:  # the evening before, at 19:00 in Kolkata: what to review tonight
            mark = len(standin.calls)
            clock.now = local(day, 19, 0)
            eve = await standin.wait_for(lambda c: c.chat_id == USER and "Tomorrow: MLA-C02" in c.plain, after=mark)
            assert "weakest topics" in eve.plain and all(b["callback_data"].startswith("st:") for b in eve.buttons())
    # Never an empty drill; the learning days were more than a token question or two.
    assert min(sizes.values()) >= rules.WARM_UP and min(sizes[i] for i in range(23)) >= rules.MIN_DRILL

    # The day after, at the drill's time: how did it go? The plan is over, the drill is back to its fixed size.
    mark = len(standin.calls)
    clock.now = local(EXAM + timedelta(days=1), 7, 0)
    asked = await standin.wait_for(lambda c: c.chat_id == USER and "How did MLA-C02 go on Wed 3 Feb" in c.plain,
                                   after=mark)
    drill = await standin.wait_for(is_drill, after=mark)
    assert size_of(drill) == 5 and "days to" not in drill.plain
    done = await tap(standin, asked, next(b["callback_data"] for b in asked.buttons() if "Passed" in b["text"]))
    assert "Congratulations" in done.plain
    again = await tap(standin, asked, next(b["callback_data"] for b in asked.buttons() if "Not yet" in b["text"]))
    assert "Congratulations" in again.plain  # the first answer counts
    reports = await say(standin, "/reports", ADMIN)
    assert "Exam outcomes (1 asked): passed 1" in reports.plain

    with db_connect(db) as conn:
        # The review log has every answer, in the learner's local days; each day's goal was its drill.
        reviews = conn.execute("SELECT COUNT(*), SUM(CASE WHEN rating = 1 THEN 1 ELSE 0 END), "
                               "SUM(CASE WHEN elapsed_days IS NULL THEN 1 ELSE 0 END) FROM reviews").fetchone()
        assert reviews[0] == conn.execute("SELECT COUNT(*) FROM asks WHERE status = 'answered'").fetchone()[0]
        assert reviews[1] > 0 and reviews[2] == QUESTIONS
        goals = dict(conn.execute("SELECT day, goal FROM days WHERE user_id = ?", (USER,)).fetchall())
        assert goals["2027-01-04"] == sizes[0] and goals["2027-01-06"] == sizes[2]
        assert conn.execute("SELECT exam_date FROM users WHERE id = ?", (USER,)).fetchone() == (None,)
        assert conn.execute("SELECT kind, status FROM plan_events ORDER BY kind").fetchall() == [
            ("eve", "sent"), ("outcome", "sent")]
        # The outcome sits beside the forecast made the evening before, not one made after the exam.
        eve_forecast = conn.execute("SELECT forecast FROM plan_events WHERE kind = 'eve'").fetchone()[0]
        assert 100 <= eve_forecast <= 1000
        assert conn.execute("SELECT predicted, outcome FROM exam_outcomes").fetchall() == [(eve_forecast, "passed")]


async def test_plan_commands_buttons_and_bad_input(small, standin: StandIn):
    bank, clock, db = small
    await say(standin, "/start")
    empty = await say(standin, "/plan")
    assert "When is your exam?" in empty.plain
    assert [b["text"] for b in empty.buttons()] == ["In 2 weeks", "In 1 month", "In 2 months", "📅 Pick a date"]

    for text, expected in [
        ("/plan 15/02/2027", "I could not read"),
        ("/plan 2026-12-01", "That date has passed"),
        ("/plan 2029-01-01", "within the next 12 months"),
        ("/plan minutes 500", "between 5 and 180 minutes"),
        ("/plan retention 0.99", "Retention between 0.85 and 0.95"),
        ("/plan " + "x" * 5000, "I could not read"),
    ]:
        reply = await say(standin, text)
        assert expected in reply.plain, (text, reply.plain)
        assert len(reply.text) <= 4096

    # In one month: 3 Feb, the local date in UTC here (18:00 on 3 Jan).
    quick = await tap(standin, empty, "pq:1m")
    assert "Your plan: MLA-C02 on Wed 3 Feb 2027" in quick.plain
    minutes = await tap(standin, quick, "pm:20")
    assert "Budget: 20 min a day ≈ 20 questions" in minutes.plain
    picker = await tap(standin, minutes, "pc:202702")
    assert "Pick your exam day — February 2027" in picker.plain
    days = [b for b in picker.buttons() if b["callback_data"].startswith("pd:")]
    assert days[0]["text"] == "1" and len(days) == 28
    nav = [b["text"] for b in picker.buttons() if b["callback_data"].startswith("pc:")]
    assert nav == ["‹ Jan", "Mar ›"]
    picked = await tap(standin, picker, "pd:20270215")
    assert "MLA-C02 on Mon 15 Feb 2027" in picked.plain and "20 min a day" in picked.plain
    for forged in ("pd:20270231", "pd:20200101", "pm:7", "pc:202013", "pc:209901", "pc:000001", "pz:20270203",
                   "pz:20279999", "pr:20270215:p"):
        mark = len(standin.calls)
        await standin.tap(USER, picker, forged)
        toast = await standin.wait_for(lambda c: c.method in ("answerCallbackQuery", "editMessageText"), after=mark)
        if forged.startswith("pr:"):  # the exam has not happened yet: nothing to record, the plan stays
            toast = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
            assert "no exam on record for that day" in toast.plain
        else:
            text = toast.params.get("text", "")
            assert toast.method == "answerCallbackQuery", forged
            assert "not one I offer" in text or "passed" in text or "an earlier plan" in text, forged
    # The quick plan for 3 Feb was replaced by 15 Feb: its "End the plan" button ends nothing.
    assert "MLA-C02 on Mon 15 Feb 2027" in (await say(standin, "/plan")).plain

    def events() -> dict[str, str]:
        with db_connect(db) as conn:
            return dict(conn.execute("SELECT kind, due_at FROM plan_events WHERE status = 'pending'").fetchall())

    assert events() == {"eve": "2027-02-14T19:00:00+00:00", "outcome": "2027-02-16T08:00:00+00:00"}
    await say(standin, "/timezone Europe/Berlin")  # the plan's messages move with the learner
    await say(standin, "/daily 07:30")
    assert events() == {"eve": "2027-02-14T18:00:00+00:00", "outcome": "2027-02-16T06:30:00+00:00"}

    reply = await say(standin, "/plan retention 0.85")
    assert "Retention set to 85%" in reply.plain and "retention 85%" in reply.plain
    shown = await say(standin, "/plan")
    end = next(b["callback_data"] for b in shown.buttons() if b["text"] == "End the plan")
    assert end == "pz:20270215" and "Plan ended" in (await tap(standin, shown, end)).plain
    await say(standin, "/plan 15 Feb 2027")
    off = await say(standin, "/plan off")
    assert "Plan ended" in off.plain
    assert "When is your exam?" in (await say(standin, "/plan")).plain
    with db_connect(db) as conn:
        assert conn.execute("SELECT exam_date, plan_minutes, retention FROM users WHERE id = ?",
                            (USER,)).fetchone() == (None, 20, 0.85)
        assert conn.execute("SELECT COUNT(*) FROM plan_events WHERE status = 'pending'").fetchone() == (0,)


async def test_progress_forecasts_the_exam_day_and_names_the_memory_model(small, standin: StandIn):
    bank, clock, db = small
    await say(standin, "/start")
    await say(standin, "/plan 2027-02-03")
    for _ in range(25):
        mark = len(standin.calls)
        await standin.send_text(USER, "/quiz")
        question = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
        mark = len(standin.calls)
        await answer_correctly(standin, bank, USER, question)
        await standin.wait_for(lambda c: c.method == "editMessageText" and c.chat_id == USER, after=mark)
    progress = await say(standin, "/progress")
    assert "On exam day (Wed 3 Feb)" in progress.plain, progress.plain
    assert "if you keep to the plan" in progress.plain and "Most to gain:" in progress.plain
    assert "FSRS's default model" in progress.plain and "you have 25" in progress.plain


async def test_a_learner_with_enough_reviews_gets_their_own_memory_model(standin: StandIn, bank, tmp_path: Path):
    from bench.learners import FAST_FORGETTER, learner
    from bot.domain.memory import DEFAULT_MODEL, Model, replay
    from bot.domain.tuning import MIN_REVIEWS
    from tests.conftest import open_test_database

    reviews = learner(3, 600, FAST_FORGETTER)
    start = max(r.at for r in reviews) + timedelta(hours=1)
    path = tmp_path / "fit.sqlite3"
    db = await open_test_database(path)
    await db.migrate()
    await db.close()
    history: dict[str, list[tuple[datetime, int]]] = {}
    for r in reviews:
        history.setdefault(r.question_id, []).append((r.at, r.rating))
    with db_connect(path) as conn:
        conn.execute("INSERT INTO users (id, chat_id, tz, created_at, reviews, next_fit_at) "
                     "VALUES (?, ?, 'UTC', ?, ?, ?)", (USER, USER, START.isoformat(), len(reviews), start.isoformat()))
        conn.executemany(
            "INSERT INTO reviews (user_id, question_id, reviewed_at, rating, elapsed_days, seconds) "
            "VALUES (?, ?, ?, ?, ?, 20)",
            [(USER, r.question_id, r.at.isoformat(), r.rating, r.elapsed_days) for r in reviews])
        for qid, h in history.items():  # the cards the bot kept with FSRS's defaults
            card = replay(h, DEFAULT_MODEL)
            conn.execute("INSERT INTO cards (user_id, question_id, card, due, reviews) VALUES (?, ?, ?, ?, ?)",
                         (USER, qid, card.card_json, card.due.isoformat(), len(h)))
    assert len(reviews) >= MIN_REVIEWS

    bot = RunningBot(settings_for(standin, path), bank, clock=FakeClock(start), push_interval=0.1)
    await bot.start(standin)
    try:
        for _ in range(200):
            with db_connect(path) as conn:
                fitted = conn.execute("SELECT outcome, reviews, own_log_loss, default_log_loss FROM memory_models"
                                      ).fetchone()
            if fitted:
                break
            await asyncio.sleep(0.05)
        assert fitted is not None and fitted[:2] == ("own", 600) and fitted[2] < fitted[3]
        with db_connect(path) as conn:
            params, next_fit = conn.execute("SELECT memory_params, next_fit_at FROM users").fetchone()
            assert datetime.fromisoformat(next_fit) == start + timedelta(days=7)
            qid = reviews[-1].question_id
            card = conn.execute("SELECT card FROM cards WHERE question_id = ?", (qid,)).fetchone()[0]
        own = Model.of(params, 0.9)
        assert own.params is not None and card == replay(history[qid], own).card_json  # rescheduled with them
        shown = await say(standin, "/plan")
        assert f"your own model, fitted {start:%d %b} from 600 reviews" in shown.plain
        assert f"log loss {fitted[2]:.3f} vs {fitted[3]:.3f}" in shown.plain
    finally:
        await bot.stop()
