"""Shared fixtures: the Bot API stand-in, a running bot wired to it, and helpers to read what it sent."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.config import REPO_ROOT, Settings
from bot.content import Bank, Question, load_bank
from bot.content.models import LETTERS
from bot.tg.app import run
from tests.pg import PgServer
from tests.standin import Call, StandIn

TOKEN = "123456789:TEST-token-for-the-stand-in-aaaaaaaaaaaa"


def bank_questions(keep, n: int | None = None) -> list[dict]:
    """The shipped bank's raw questions (as YAML dicts) that `keep` accepts, at most `n`, in file order."""
    import yaml

    picked = []
    for path in sorted((REPO_ROOT / "content" / "questions").glob("*.yaml")):
        for q in yaml.safe_load(path.read_text())["questions"]:
            if q.get("status", "active") == "active" and keep(q):
                picked.append(q)
                if n is not None and len(picked) == n:
                    return picked
    return picked


def content_with(root: Path, questions: list[dict], mock: int | None = None) -> Path:
    """A content folder at `root`: the shipped topics, sources, glossary and exams (mocks of `mock` questions
    if given), and one question file with `questions`. For tests that need the bank to hold only some kinds."""
    import yaml

    (root / "questions").mkdir(parents=True)
    for name in ("topics.yaml", "sources.yaml", "glossary.yaml", "exams.yaml"):
        (root / name).write_text((REPO_ROOT / "content" / name).read_text())
    if mock is not None:
        exams = yaml.safe_load((root / "exams.yaml").read_text())
        for exam in exams["exams"]:
            exam["questions"] = mock
        (root / "exams.yaml").write_text(yaml.safe_dump(exams, sort_keys=False, allow_unicode=True))
    (root / "questions" / "picked.yaml").write_text(
        yaml.safe_dump({"questions": questions}, sort_keys=False, allow_unicode=True))
    return root


@pytest.fixture(scope="session")
def bank() -> Bank:
    return load_bank(REPO_ROOT / "content")


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    server = StandIn(TOKEN)
    await server.start()
    yield server
    await server.stop()


def settings_for(standin: StandIn, db: Path, **extra) -> Settings:
    """The bot's settings for a test: its database is the SQLite file `db`, or with `--backend postgresql` a
    fresh database on the test PostgreSQL server."""
    if (url := url_for(db)) is not None and "MLSQUIZ_DATABASE_URL" not in extra:
        extra["MLSQUIZ_DATABASE_URL"] = url
    return Settings(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=standin.url, MLSQUIZ_DB=db, MLSQUIZ_LOG_LEVEL="DEBUG", **extra
    )


BACKEND = {"name": "sqlite"}  # set from --backend at start-up
PG_URLS: dict[Path, str] = {}  # a test's SQLite path -> the PostgreSQL database that stands in for it


class _PgConn:
    """What tests use of a sqlite3 connection, on PostgreSQL: execute (with `?`), fetchone/fetchall."""

    def __init__(self, url: str):
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)

    def execute(self, sql: str, params=()):
        from bot.storage.dialect import postgres_statement, pyformat

        if sql.lstrip().upper().startswith("CREATE"):
            sql = postgres_statement(sql) or ""
        return self.conn.execute(pyformat(sql.replace("BEGIN IMMEDIATE", "BEGIN")), params)

    def executemany(self, sql: str, seq):
        from bot.storage.dialect import pyformat

        with self.conn.cursor() as cur:
            cur.executemany(pyformat(sql), list(seq))

    def commit(self) -> None:
        return None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def url_for(path) -> str | None:
    """With `--backend postgresql`, the PostgreSQL database standing in for the SQLite file `path` (made on
    first use, the same one after: a restarted bot finds its data); None on SQLite."""
    if BACKEND["name"] != "postgresql":
        return None
    if Path(path) not in PG_URLS:
        PG_URLS[Path(path)] = pg_server().fresh_database()
    return PG_URLS[Path(path)]


async def open_test_database(path):
    """The bot's storage of a test, opened directly (to seed it or look into it): SQLite or PostgreSQL."""
    from bot.storage.db import Database

    url = url_for(path)
    if url is None:
        return await Database.open(path)
    from bot.storage.postgres import PostgresDatabase

    return await PostgresDatabase.open(url, exclusive=False)  # beside the bot


def db_connect(path):
    """A connection to the bot's database of a test: the SQLite file, or the PostgreSQL database standing in
    for it with `--backend postgresql` (same queries: `?` parameters, portable SQL)."""
    import sqlite3

    url = PG_URLS.get(Path(path))
    return _PgConn(url) if url is not None else sqlite3.connect(path)


_PG: list[PgServer] = []


def pg_server() -> PgServer:
    """The test PostgreSQL server of this process (one per xdist worker), started on first use."""
    if not _PG:
        _PG.append(PgServer().start())
    return _PG[0]


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                     help="the database the bot runs on in the tests (PostgreSQL: a server the tests start)")


def pytest_configure(config):
    BACKEND["name"] = config.getoption("--backend")


# Modules that never touch the bot's database: `make test` runs them once, with the SQLite run.
NO_DATABASE = {"test_content", "test_docs", "test_domain_competition", "test_domain_daily", "test_domain_exam",
               "test_grading", "test_study_rules", "test_plan_rules", "test_qa7_units", "test_tuning", "test_upload"}


def pytest_collection_modifyitems(config, items):
    postgres = BACKEND["name"] == "postgresql"
    for item in items:
        if postgres and item.get_closest_marker("sqlite_only") is not None:
            item.add_marker(pytest.mark.skip(reason="SQLite only"))
        elif postgres and item.module.__name__.rsplit(".", 1)[-1] in NO_DATABASE:
            item.add_marker(pytest.mark.skip(reason="no database: runs with the SQLite run"))
        elif not postgres and item.get_closest_marker("postgresql_only") is not None:
            item.add_marker(pytest.mark.skip(reason="runs with --backend postgresql"))


def pytest_unconfigure(config):
    while _PG:
        _PG.pop().stop()


class FakeClock:
    """Time that tests move by hand (always timezone-aware)."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


# Telegram's one message per second into a private chat is enforced by ChatRateLimiter in every test that
# is about it (pytest.mark.real_limits); elsewhere it would only make the suite wait.
FAST_CHAT_RATE = 200.0


class RunningBot:
    """The real Application, polling the stand-in, in this event loop."""

    def __init__(self, settings: Settings, bank: Bank, clock=None, push_interval: float = 20.0,
                 chat_rate: float = FAST_CHAT_RATE):
        self.settings, self.bank = settings, bank
        self.clock, self.push_interval, self.chat_rate = clock, push_interval, chat_rate
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def start(self, standin: StandIn) -> None:
        mark = len(standin.calls)
        self.stop_event = asyncio.Event()
        extra = {"clock": self.clock} if self.clock else {}
        self.task = asyncio.create_task(run(self.settings, self.bank, self.stop_event, poll_timeout=1,
                                            handle_signals=False, push_interval=self.push_interval,
                                            per_chat_per_second=self.chat_rate, warm_charts=False,
                                            fit_interval=self.push_interval, **extra))
        await standin.wait_for(lambda c: c.method == "setMyCommands", after=mark)

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 20)
            self.task = None


@pytest.fixture
async def bot(standin: StandIn, bank: Bank, tmp_path: Path, request) -> AsyncIterator[RunningBot]:
    real = request.node.get_closest_marker("real_limits") is not None
    running = RunningBot(settings_for(standin, tmp_path / "bot.sqlite3"), bank,
                         chat_rate=1.0 if real else FAST_CHAT_RATE)
    await running.start(standin)
    yield running
    await running.stop()


def question_in(bank: Bank, text: str) -> Question:
    """The bank question whose prompt the bot's message shows (HTML-unescaped)."""
    import html

    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    matches = [q for q in bank.questions if q.prompt in plain]
    assert matches, f"no bank question matches message {plain[:120]!r}"
    return max(matches, key=lambda q: len(q.prompt))


def shown_options(text: str) -> list[str]:
    """The options as the message lists them, in shown order ('A. ...')."""
    import html

    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    return [m.group(2) for m in re.finditer(r"^(?:[✅❌] )?([A-G])\. (.*)$", plain, re.M)]


def correct_positions(bank: Bank, call: Call) -> list[int]:
    q = question_in(bank, call.text)
    right = {q.options[i] for i in q.correct_indices}
    return [pos for pos, opt in enumerate(shown_options(call.text)) if opt in right]


def wrong_position(bank: Bank, call: Call) -> int:
    right = set(correct_positions(bank, call))
    return next(p for p in range(len(shown_options(call.text))) if p not in right)


def letters(positions: list[int]) -> str:
    return "".join(LETTERS[p] for p in positions)


def item_positions(bank: Bank, call: Call) -> list[int]:
    """Ordering: the shown positions of the steps in the right order. Matching: per prompt, its match's position."""
    from bot.content import QuestionType

    q = question_in(bank, call.text)
    shown = shown_options(call.text)
    if q.type is QuestionType.ordering:
        return [shown.index(step) for step in q.steps]
    return [shown.index(right) for _, right in q.pairs]


async def build_answer(standin: StandIn, bank: Bank, user: int, call: Call, positions: list[int]) -> dict:
    """Place steps / pick matches at `positions` (see item_positions), then Submit; returns the Submit update."""
    from bot.content import QuestionType

    q = question_in(bank, call.text)
    ask = next(b["callback_data"] for b in call.buttons() if b["callback_data"].startswith("s:")).split(":")[1]
    for i, pos in enumerate(positions):
        data = f"o:{ask}:{pos}" if q.type is QuestionType.ordering else f"m:{ask}:{i}:{pos}"
        await standin.tap(user, call, data)  # each person's updates are handled in order: no need to wait
    return await standin.tap(user, call, f"s:{ask}")


async def answer_correctly(standin: StandIn, bank: Bank, user: int, call: Call) -> None:
    """Answer the question a message shows, correctly, as a user would (tap, tick + submit, build, or type)."""
    from bot.content import QuestionType

    q = question_in(bank, call.text)
    if q.type is QuestionType.fill:
        await standin.send_text(user, q.answer)
        return
    if q.type in (QuestionType.ordering, QuestionType.matching):
        await build_answer(standin, bank, user, call, item_positions(bank, call))
        return
    right = correct_positions(bank, call)
    if q.type is QuestionType.single:
        await standin.tap(user, call, call.buttons()[right[0]]["callback_data"])
        return
    toggles = [b for b in call.buttons() if b["callback_data"].startswith("t:")]
    for pos in right:
        mark = len(standin.calls)
        await standin.tap(user, call, toggles[pos]["callback_data"])
        await standin.wait_for(lambda c: c.method == "editMessageReplyMarkup", after=mark)
    submit = next(b for b in call.buttons() if b["callback_data"].startswith("s:"))
    await standin.tap(user, call, submit["callback_data"])


async def answer_wrongly(standin: StandIn, bank: Bank, user: int, call: Call) -> None:
    """Answer the question a message shows, wrongly: a wrong option, one wrong tick, steps rotated by one, each
    prompt given another's match, or a made-up word."""
    from bot.content import QuestionType

    q = question_in(bank, call.text)
    if q.type is QuestionType.fill:
        await standin.send_text(user, "xyzzy")
        return
    if q.type in (QuestionType.ordering, QuestionType.matching):
        right = item_positions(bank, call)
        if q.type is QuestionType.ordering:
            await build_answer(standin, bank, user, call, right[1:] + right[:1])
        else:
            n = len(shown_options(call.text))
            await build_answer(standin, bank, user, call, [(p + 1) % n for p in right])
        return
    wrong = wrong_position(bank, call)
    if q.type is QuestionType.single:
        await standin.tap(user, call, call.buttons()[wrong]["callback_data"])
        return
    toggles = [b for b in call.buttons() if b["callback_data"].startswith("t:")]
    await standin.tap(user, call, toggles[wrong]["callback_data"])
    submit = next(b["callback_data"] for b in call.buttons() if b["callback_data"].startswith("s:"))
    await standin.tap(user, call, submit)
