"""The bot as a separate process: configuration errors, kill -9 durability, SIGTERM, and logs without secrets."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.content import QuestionType
from tests.conftest import TOKEN, correct_positions, db_connect, question_in, url_for
from tests.standin import StandIn

USER = 31337


def bot_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MLSQUIZ_"))}
    env.update(extra)
    return env


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=REPO_ROOT,
                          env=bot_env(**env), timeout=60)


@pytest.mark.parametrize("token", [None, "", "   "])
def test_missing_token_exits_2_with_one_line(token):
    env = {} if token is None else {"TELEGRAM_BOT_TOKEN": token}
    out = run_cli(**env)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in out.stderr


def test_bad_setting_exits_2_naming_it():
    out = run_cli(TELEGRAM_BOT_TOKEN=TOKEN, MLSQUIZ_DEFAULT_TZ="Mars/Olympus")
    assert out.returncode == 2
    assert "MLSQUIZ_DEFAULT_TZ" in out.stderr and "Traceback" not in out.stderr
    assert TOKEN not in out.stderr


@pytest.mark.parametrize("value", ["111,222", "", " 111 , 222 ,", "111"])
def test_documented_admin_ids_forms_are_accepted(value):
    """MLSQUIZ_ADMIN_IDS as .env.example and the README write it (blank included) gets past configuration."""
    from bot.config import Settings

    env = bot_env(MLSQUIZ_ADMIN_IDS=value)
    code = "from bot.config import Settings; print(sorted(Settings().admin_ids))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    expected = sorted(int(p) for p in value.replace(" ", "").split(",") if p)
    assert out.stdout.strip() == str(expected)
    assert Settings(MLSQUIZ_ADMIN_IDS=value).admin_ids == frozenset(expected)


@pytest.mark.parametrize("value", ["111,abc", "[1,2]", "1.5"])
def test_bad_admin_ids_exit_2_with_one_line(value):
    out = run_cli(TELEGRAM_BOT_TOKEN=TOKEN, MLSQUIZ_ADMIN_IDS=value)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "MLSQUIZ_ADMIN_IDS" in lines[0], out.stderr
    assert TOKEN not in out.stderr


async def test_rejected_token_is_one_line_without_the_token(tmp_path: Path, standin: StandIn):
    """Telegram's 401 to getMe: one line, exit 2, the token nowhere, no unclosed-session noise."""
    wrong = "123456:your-token-from-BotFather"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=REPO_ROOT, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env=bot_env(TELEGRAM_BOT_TOKEN=wrong, TELEGRAM_API_URL=standin.url, MLSQUIZ_DB=str(tmp_path / "db.sqlite3"),
                    MLSQUIZ_LOG_LEVEL="WARNING"),
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = (out + err).decode()
    assert proc.returncode == 2, text
    assert text.strip().splitlines() == ["mlsquiz: Telegram rejected the token: check it with @BotFather"]
    assert wrong not in text and "your-token" not in text


async def test_unreachable_telegram_is_retried_until_it_answers(tmp_path: Path, standin: StandIn):
    """A network failure at start-up is retried with back-off (one log line an attempt) until Telegram answers."""
    log = tmp_path / "bot.log"
    standin.fail_next = [("getMe", 502, {"description": "Bad Gateway"})] * 8  # 2 attempts of 4 requests each
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=log.open("ab"),
        env=bot_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=standin.url, MLSQUIZ_DB=str(tmp_path / "db.sqlite3")),
    )
    try:
        await standin.wait_for(lambda c: c.method == "setMyCommands", timeout=60)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
    text = log.read_text()
    attempts = [ln for ln in text.splitlines() if "cannot reach Telegram" in ln]
    assert len(attempts) == 2, text
    assert "Traceback" not in text and "Unclosed" not in text and TOKEN not in text


async def test_sigterm_while_telegram_is_unreachable_exits_cleanly(tmp_path: Path):
    """Nothing listens at the API address: the bot keeps trying, and SIGTERM ends it at once with status 0."""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "bot.log"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=log.open("ab"),
        env=bot_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=f"http://127.0.0.1:{port}",
                    MLSQUIZ_DB=str(tmp_path / "db.sqlite3")),
    )
    try:
        for _ in range(200):  # the first attempt's failure is logged after the backend's own retries (~3.5 s)
            if "cannot reach Telegram" in log.read_text():
                break
            await asyncio.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
    text = log.read_text()
    assert "cannot reach Telegram (attempt 1" in text, text
    assert "Traceback" not in text and "Unclosed" not in text and TOKEN not in text


def test_invalid_content_refuses_to_start(tmp_path: Path):
    content = tmp_path / "content"
    (content / "questions").mkdir(parents=True)
    for name in ("topics.yaml", "sources.yaml", "exams.yaml"):
        (content / name).write_text((REPO_ROOT / "content" / name).read_text())
    (content / "questions" / "x.yaml").write_text("questions:\n  - id: broken-one\n    type: single\n")
    out = run_cli(TELEGRAM_BOT_TOKEN=TOKEN, MLSQUIZ_CONTENT=str(content), MLSQUIZ_DB=str(tmp_path / "db.sqlite3"))
    assert out.returncode == 1
    assert "questions/x.yaml [broken-one]" in out.stderr and "Traceback" not in out.stderr


async def test_database_from_a_newer_version_refuses_to_start(tmp_path: Path, standin: StandIn):
    db = tmp_path / "db.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'from_the_future', 'x')")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=REPO_ROOT, stderr=asyncio.subprocess.PIPE,
        env=bot_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=standin.url, MLSQUIZ_DB=str(db)),
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    assert b"9999_from_the_future" in err and b"Traceback" not in err


def backend_env(db: Path) -> dict[str, str]:
    """With `--backend postgresql`, the process's database is the PostgreSQL one standing in for `db`."""
    url = url_for(db)
    return {} if url is None else {"MLSQUIZ_DATABASE_URL": url}


class BotProcess:
    def __init__(self, standin: StandIn, db: Path, log: Path, **env: str):
        self.standin, self.db, self.log, self.env = standin, db, log, env
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        mark = len(self.standin.calls)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=self.log.open("ab"),
            env=bot_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=self.standin.url, MLSQUIZ_DB=str(self.db),
                        MLSQUIZ_LOG_LEVEL="DEBUG", **self.env, **backend_env(self.db)),
        )
        ready = "setWebhook" if "MLSQUIZ_WEBHOOK_URL" in self.env else "setMyCommands"
        await self.standin.wait_for(lambda c: c.method == ready, after=mark, timeout=60)

    async def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), 30)


async def stats_text(standin: StandIn) -> str:
    mark = len(standin.calls)
    await standin.send_text(USER, "/stats")
    return (await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)).plain


async def test_answer_survives_kill_9_and_logs_hold_no_token(tmp_path: Path, standin: StandIn, bank):
    log = tmp_path / "bot.log"
    bot = BotProcess(standin, tmp_path / "db.sqlite3", log)
    await bot.start()
    await standin.send_text(USER, "/start")
    await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER)

    answered = 0
    while answered < 2:
        mark = len(standin.calls)
        await standin.send_text(USER, "/quiz")
        q_call = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
        if question_in(bank, q_call.text).type is not QuestionType.single:
            continue
        mark = len(standin.calls)
        await standin.tap(USER, q_call, q_call.buttons()[correct_positions(bank, q_call)[0]]["callback_data"])
        await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
        answered += 1
    assert "Answered: 2 · correct: 2" in await stats_text(standin)

    await bot.kill9()
    await bot.start()
    assert "Answered: 2 · correct: 2" in await stats_text(standin)
    assert await bot.terminate() == 0

    text = log.read_text()
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert "Traceback" not in text
    assert "[REDACTED]" in text  # the request URLs were logged, with the token taken out
    assert "database closed" in text  # SIGTERM shut down cleanly


def test_redact_filter_covers_messages_args_and_tracebacks():
    import logging

    from bot.logs import RedactFilter

    f = RedactFilter([TOKEN])
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", (f"https://h/bot{TOKEN}/getMe",), None)
    try:
        raise RuntimeError(f"failed for {TOKEN}")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    f.filter(record)
    formatted = logging.Formatter().format(record)
    assert TOKEN not in formatted and formatted.count("[REDACTED]") == 2
    other = logging.LogRecord("x", logging.INFO, __file__, 1, "bot987654321:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ x",
                              (), None)
    f.filter(other)
    assert "AAbbCC" not in other.getMessage()


async def seed_due_subscribers(db_path: Path, bank, user_ids: list[int]) -> None:
    """Subscribers whose drill fell due a minute ago, created through the services (not SQL)."""
    import random as _random
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from bot.services.daily import DailyService
    from bot.services.quiz import QuizService
    from bot.storage.daily import DailyRepo
    from bot.storage.repo import Repo
    from tests.conftest import open_test_database

    now = datetime.now(UTC)
    # A zone where it is not around midnight, so "a minute ago" is today there.
    zone = next(f"Etc/GMT{o:+d}" for o in range(-12, 13) if 1 <= now.astimezone(ZoneInfo(f"Etc/GMT{o:+d}")).hour <= 22)
    at = (now.astimezone(ZoneInfo(zone)) - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    yesterday = lambda: now - timedelta(days=1)  # noqa: E731 (subscribed yesterday, so today's drill is due)
    db = await open_test_database(db_path)
    await db.migrate()
    repo = Repo(db)
    quiz = QuizService(bank, repo, default_tz=zone, clock=yesterday, rng=_random.Random(1))
    daily = DailyService(bank, repo, DailyRepo(db), quiz, clock=yesterday, rng=_random.Random(1))
    for uid in user_ids:
        await quiz.meet(uid, "Sub", uid)
        await daily.update(uid, enabled=True, daily_time=at)
    await db.close()


async def test_kill_9_mid_push_every_subscriber_gets_one_drill(tmp_path: Path, standin: StandIn, bank):
    users = list(range(900_001, 900_121))
    db = tmp_path / "push.sqlite3"
    await seed_due_subscribers(db, bank, users)
    standin.delay = 0.03  # like a real network: sends are in flight when the kill comes

    def drills() -> list[int]:
        return [c.chat_id for c in standin.calls if c.method == "sendMessage" and "Daily drill · " in c.plain]

    bot = BotProcess(standin, db, tmp_path / "push.log")
    await bot.start()
    deadline = asyncio.get_running_loop().time() + 60
    while len(drills()) < 40 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    await bot.kill9()
    at_kill = len(drills())
    assert 0 < at_kill < len(users), at_kill

    await bot.start()
    deadline = asyncio.get_running_loop().time() + 60
    while set(drills()) != set(users) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.5)  # anything still to come would come now
    assert await bot.terminate() == 0

    received = drills()
    assert set(received) == set(users), "a subscriber got no drill"
    repeated = len(received) - len(set(received))
    # Telegram has no idempotency key: a send in flight at the kill, or accepted in the last ~10 ms
    # before it, cannot be known to have arrived, and is sent again. Everything else is exactly once.
    print(f"kill -9 after {at_kill} of {len(users)} drills; {repeated} sent twice")
    assert repeated <= 3, f"{repeated} subscribers got the drill twice"
    assert "Traceback" not in (tmp_path / "push.log").read_text()


async def test_kill_9_with_updates_queued_loses_none(tmp_path: Path, standin: StandIn):
    """Updates the bot fetched and confirmed but had not handled yet are handled after a restart."""
    users = list(range(700_001, 700_041))
    db = tmp_path / "inbox.sqlite3"
    bot = BotProcess(standin, db, tmp_path / "inbox.log")
    await bot.start()
    standin.delay = 0.5  # replies are slow, so most of the batch is still being handled at the kill
    for uid in users:
        last = await standin.send_text(uid, "/quiz")
    deadline = asyncio.get_running_loop().time() + 30
    while standin.confirmed_offset <= last["update_id"] and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.005)
    assert standin.confirmed_offset > last["update_id"], "the bot never confirmed the batch"
    await bot.kill9()

    at_kill = {c.chat_id for c in standin.calls if c.method == "sendMessage"}
    standin.delay = 0.0
    await bot.start()
    deadline = asyncio.get_running_loop().time() + 60
    while not set(users) <= {c.chat_id for c in standin.calls if c.method == "sendMessage"} \
            and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    assert await bot.terminate() == 0
    got = {c.chat_id for c in standin.calls if c.method == "sendMessage"}
    print(f"kill -9 with {len(users) - len(at_kill & set(users))} of {len(users)} updates unanswered; "
          f"after restart {len(got & set(users))} answered")
    assert len(at_kill & set(users)) < len(users), "the kill came too late to test anything"
    assert set(users) <= got, f"lost: {sorted(set(users) - got)}"
    with db_connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(DISTINCT user_id) FROM asks").fetchone()[0] == len(users)


@pytest.mark.sqlite_only  # `mlsquiz backup` copies the SQLite file; PostgreSQL is backed up with pg_dump
async def test_backup_of_a_live_database_restores(tmp_path: Path, standin: StandIn):
    """`mlsquiz backup` copies the database while the bot runs; the copy starts a bot that remembers."""
    db, copy = tmp_path / "live.sqlite3", tmp_path / "backups" / "copy.sqlite3"
    bot = BotProcess(standin, db, tmp_path / "backup.log")
    await bot.start()
    for uid in range(600_001, 600_021):
        await standin.send_text(uid, "/daily 06:45")
    await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 600_020 and "06:45" in c.plain)
    out = await asyncio.to_thread(run_cli, "backup", str(copy), MLSQUIZ_DB=str(db))
    assert out.returncode == 0, out.stderr
    assert "integrity ok" in out.stdout
    again = await asyncio.to_thread(run_cli, "backup", str(copy), MLSQUIZ_DB=str(db))
    assert again.returncode == 1 and "already exists" in again.stderr and "Traceback" not in again.stderr
    assert await bot.terminate() == 0

    with sqlite3.connect(copy) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM users WHERE daily_enabled = 1 AND daily_time = '06:45'").fetchone()
    assert rows[0] == 20
    # Restoring is starting the bot on the copy.
    restored = BotProcess(standin, copy, tmp_path / "restored.log")
    await restored.start()
    mark = len(standin.calls)
    await standin.send_text(600_007, "/daily")
    reply = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 600_007, after=mark)
    assert "06:45" in reply.plain
    assert await restored.terminate() == 0


def test_backup_without_a_database_says_so(tmp_path: Path):
    out = run_cli("backup", str(tmp_path / "x.sqlite3"), MLSQUIZ_DB=str(tmp_path / "missing.sqlite3"))
    assert out.returncode == 1 and "no database at" in out.stderr and "Traceback" not in out.stderr


async def test_webhook_updates_acknowledged_before_a_kill_9_are_all_handled(tmp_path: Path, standin: StandIn):
    import aiohttp

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db = tmp_path / "db.sqlite3"
    bot = BotProcess(standin, db, tmp_path / "bot.log", MLSQUIZ_WEBHOOK_URL="https://bot.example.org/hook",
                     MLSQUIZ_WEBHOOK_SECRET="k" * 32, MLSQUIZ_WEBHOOK_LISTEN="127.0.0.1",
                     MLSQUIZ_WEBHOOK_PORT=str(port))
    await bot.start()
    standin.delay = 0.3  # the replies are slow: most updates are still being handled when the kill comes
    users = range(5001, 5031)
    async with aiohttp.ClientSession() as http:
        for n, user in enumerate(users):
            update = {"update_id": 700 + n, **standin.message_update(user, "/start")}
            async with http.post(f"http://127.0.0.1:{port}/hook", json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": "k" * 32}) as r:
                assert r.status == 200
    await bot.kill9()
    with db_connect(db) as conn:
        waiting = conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]
    assert waiting > 0  # the kill did come mid-work
    standin.delay = 0
    await bot.start()  # nobody posts again: the inbox alone brings back what was acknowledged
    for user in users:
        await standin.wait_for(lambda c, u=user: c.method == "sendMessage" and c.chat_id == u, timeout=30)
    for _ in range(100):  # each update leaves the inbox a moment after its reply, in a shared commit
        with db_connect(db) as conn:
            if conn.execute("SELECT COUNT(*) FROM inbox").fetchone() == (0,):
                break
        await asyncio.sleep(0.1)
    with db_connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM users WHERE id BETWEEN 5001 AND 5030").fetchone() == (30,)
        assert conn.execute("SELECT COUNT(*) FROM inbox").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM processed_updates").fetchone() == (30,)
    assert await bot.terminate() == 0


def test_an_unreachable_postgresql_is_one_line_without_its_password():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = run_cli(TELEGRAM_BOT_TOKEN=TOKEN, MLSQUIZ_DATABASE_URL=f"postgresql://bot:s3cr3t-pw@127.0.0.1:{port}/mlsquiz")
    assert out.returncode == 1
    assert out.stderr.startswith(f"mlsquiz: cannot connect to the database at postgresql://bot:***@127.0.0.1:{port}/")
    assert "s3cr3t-pw" not in out.stderr and "Traceback" not in out.stderr


async def test_a_taken_metrics_port_is_one_line(tmp_path: Path, standin: StandIn):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=REPO_ROOT, stderr=asyncio.subprocess.PIPE,
            env=bot_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=standin.url, MLSQUIZ_DB=str(tmp_path / "d.sqlite3"),
                        MLSQUIZ_METRICS_PORT=str(port), MLSQUIZ_WEBHOOK_LISTEN="127.0.0.1"),
        )
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1, err
    assert f"mlsquiz: cannot listen on 127.0.0.1:{port}".encode() in err and b"Traceback" not in err
