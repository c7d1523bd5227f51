"""Fault run: kill -9 the bot at random moments under load, restart it, and check what users were told.

    .venv/bin/python bench/kill9.py                         # 20 kills, 40 quiz users + 10 with a streak
    .venv/bin/python bench/kill9.py --kills 3 --users 6 --streak-users 3 --seed 1   # the CI version
    .venv/bin/python bench/kill9.py --faults 4              # plus 4 Bot API errors a second (429 and 5xx)
    .venv/bin/python bench/kill9.py --contend 2             # while 2 processes spin the CPUs (a busy machine)
    .venv/bin/python bench/kill9.py --replicas 2            # PostgreSQL, 2 webhook replicas, one killed each time

The bot runs as its own process (`python -m bot`, a real SQLite file) against the Bot API stand-in
in this process. Simulated users loop through /quiz questions (tap an option, tick + Submit, or
type an answer); "streak users" have answered their daily goal on each of the last 4 days and get
today's daily drill pushed at start. The bot is killed with SIGKILL after a random 1.5-6 s of
load, 20 times, and started again each time; users keep tapping while it is down. With
--faults N the stand-in also answers about N calls a second (sends, edits, callback answers)
with 429 retry_after=1, 500, 502 or 503.

With --replicas N (PostgreSQL: a server started for the run, fsync on) N bot processes run in webhook mode
on one database; updates are posted to them as Telegram would: a chat's next update once the last one got
its 200, to a replica picked at random (another one if that one refuses or is down). Each kill takes one
replica at random; it is started again while the others carry on.

Afterwards the database is checked against what the stand-in saw the bot tell users (a verdict —
"✅ Right!" / "❌ Not quite" in a callback answer, an edited question or a reply — is an
acknowledged answer):

- lost: an acknowledged answer whose ask is not answered in the database, or answered with a
  different verdict than the user was told;
- counted twice: a `days` counter (answered, correct) that differs from the answered asks of that
  local day, a FSRS card whose review count differs from the answers to its question, one update
  recorded as the answer of two asks;
- streaks: the streak from the `days` table differs from one recomputed from answered asks, a
  seeded streak was broken, or a drill summary told a streak the database does not have;
- the inbox is not empty after a clean stop, or a handler failed (Traceback in the bot's log).

Prints a summary table; exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhooks import Telegram, free_port, webhook_env  # noqa: E402
from bot.config import REPO_ROOT  # noqa: E402
from bot.content import load_bank  # noqa: E402
from bot.domain import streaks  # noqa: E402
from tests.standin import Call, StandIn  # noqa: E402

TOKEN = "123456789:KILL9-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
QUIZ_BASE, STREAK_BASE = 2_000_001, 3_000_001
SEEDED_DAYS = 4  # streak users met their goal on each of the 4 days before today
GOAL = 3
IDLE_KICK = 5.0  # a user who heard nothing for this long sends /daily (and continues from there)
VERDICT = re.compile(r"(✅ Right!|❌ (Not quite|Close, but not quite|One answer, please))")
STREAK = re.compile(r"Streak: (\d+) day")


# --- seeding ----------------------------------------------------------------------------


def streak_zone(now: datetime) -> str:
    """A zone where it is mid-day, so "a minute ago" and the next minutes are all today there."""
    return next(f"Etc/GMT{o:+d}" for o in range(-12, 13)
                if 2 <= now.astimezone(ZoneInfo(f"Etc/GMT{o:+d}")).hour <= 21)


async def seed_streak_users(db_path: Path, user_ids: list[int], rng: random.Random, url: str | None = None) -> str:
    """Users who met their daily goal on each of the last SEEDED_DAYS days (through the real services),
    subscribed to a drill that fell due a minute ago. Returns their time zone."""
    from bot.content import QuestionType
    from bot.services.daily import DailyService
    from bot.services.quiz import QuizService
    from bot.storage.daily import DailyRepo
    from bot.storage.db import Database
    from bot.storage.repo import Repo

    now = datetime.now(UTC)
    zone = streak_zone(now)
    at = (now.astimezone(ZoneInfo(zone)) - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    bank = load_bank(REPO_ROOT / "content")
    clock_at = [now - timedelta(days=SEEDED_DAYS + 1)]
    if url is not None:
        from bot.storage.postgres import PostgresDatabase

        db = await PostgresDatabase.open(url, exclusive=False)
    else:
        db = await Database.open(db_path)
    await db.migrate()
    repo = Repo(db)
    quiz = QuizService(bank, repo, default_tz=zone, clock=lambda: clock_at[0], rng=rng)
    daily = DailyService(bank, repo, DailyRepo(db), quiz, clock=lambda: clock_at[0], rng=rng)
    for uid in user_ids:
        clock_at[0] = now - timedelta(days=SEEDED_DAYS + 1)
        await quiz.meet(uid, "Streak", uid)
        await daily.update(uid, size=GOAL)
        for back in range(SEEDED_DAYS, 0, -1):
            clock_at[0] = now - timedelta(days=back)
            for _ in range(GOAL):
                asked = await quiz.ask_next(uid, uid)
                assert asked is not None
                if asked.question.type is QuestionType.fill:
                    await quiz.answer_text(uid, "random cut forest", None)
                elif asked.question.type is QuestionType.single:
                    await quiz.answer_choice(asked.ask_id, uid, rng.randrange(len(asked.order)), None)
                elif asked.question.type is QuestionType.ordering:
                    for pos in rng.sample(range(len(asked.order)), len(asked.order)):
                        await quiz.place(asked.ask_id, uid, pos)
                    await quiz.answer_choice(asked.ask_id, uid, None, None)
                elif asked.question.type is QuestionType.matching:
                    for prompt in range(len(asked.question.pairs)):
                        await quiz.pair(asked.ask_id, uid, prompt, rng.randrange(len(asked.order)))
                    await quiz.answer_choice(asked.ask_id, uid, None, None)
                else:
                    await quiz.toggle(asked.ask_id, uid, 0)
                    await quiz.answer_choice(asked.ask_id, uid, None, None)
        clock_at[0] = now - timedelta(days=1)  # subscribed yesterday: today's drill is due
        await daily.update(uid, enabled=True, daily_time=at)
    await db.close()
    return zone


# --- simulated users ----------------------------------------------------------------------


class Users:
    """Users who answer every question they get (randomly right or wrong) and then ask for the next."""

    def __init__(self, standin: StandIn, user_ids: list[int], rng: random.Random):
        self.standin, self.users, self.rng = standin, set(user_ids), rng
        self.active = True
        self.last_heard: dict[int, float] = {u: time.monotonic() for u in user_ids}
        self.latest_ask: dict[int, int] = defaultdict(int)
        self.answered: set[int] = set()  # asks this simulation answered (taps sent)
        self.query_ask: dict[str, int] = {}  # callback query id -> ask id of an answer tap
        self.acks: dict[int, bool] = {}  # ask id -> the verdict the user was told (True = right)
        self.query_verdicts: list[tuple[str, bool]] = []  # (callback query id, right?) resolved at the end
        self.ack_twice: Counter[int] = Counter()  # ask -> verdict messages seen
        self.repeated_by: Counter[str] = Counter()  # method of each verdict message beyond an ask's first
        self.submit: dict[int, tuple[Call, str]] = {}
        self.told_streak: dict[int, int] = {}
        self.drills_received: Counter[int] = Counter()
        self.shown: Counter[int] = Counter()  # ask id -> new messages showing it
        self.resumes: Counter[int] = Counter()  # user -> "continue today's drill" taps (each may show one again)
        self.sent_updates = 0
        self.tasks: set[asyncio.Task] = set()

    def _later(self, coro, delay: float | None = None) -> None:
        async def run():
            await asyncio.sleep(self.rng.uniform(0.05, 0.4) if delay is None else delay)
            if self.active:
                self.sent_updates += 1
                await coro
            else:
                coro.close()

        task = asyncio.get_running_loop().create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _tap_answer(self, uid: int, call: Call, data: str, ask_id: int) -> None:
        update = await self.standin.tap(uid, call, data)
        self.query_ask[update["callback_query"]["id"]] = ask_id

    async def _build(self, uid: int, call: Call, data: list[str], ask_id: int) -> None:
        """An ordering's steps in a random order, or a random match per prompt, one tap at a time; then Submit."""
        places = [d for d in data if d.startswith("o:")]
        taps = self.rng.sample(places, len(places)) if places else []
        rows: dict[str, list[str]] = defaultdict(list)
        for d in data:
            if d.startswith("m:"):
                rows[d.split(":")[2]].append(d)
        taps += [self.rng.choice(row) for _, row in sorted(rows.items())]
        for d in taps:
            await self.standin.tap(uid, call, d)
            await asyncio.sleep(self.rng.uniform(0.02, 0.1))
        await self._tap_answer(uid, call, next(d for d in data if d.startswith("s:")), ask_id)

    def start(self) -> None:
        for uid in self.users:
            self._later(self.standin.send_text(uid, "/quiz"), self.rng.uniform(0, 1))

    def kick_idle(self) -> None:
        now = time.monotonic()
        for uid, heard in self.last_heard.items():
            if now - heard > IDLE_KICK:
                self.last_heard[uid] = now
                self._later(self.standin.send_text(uid, "/daily"), 0)

    def on_call(self, call: Call) -> None:
        if call.method == "answerCallbackQuery":
            text = str(call.params.get("text") or "")
            if text.startswith(("✅ Right", "❌ Not quite")):
                self.query_verdicts.append((str(call.params["callback_query_id"]), text.startswith("✅")))
            return
        uid = call.chat_id
        if uid is None or uid not in self.users:
            return
        self.last_heard[uid] = time.monotonic()
        if call.method == "editMessageReplyMarkup" and uid in self.submit:
            message, data = self.submit.pop(uid)
            self._later(self._tap_answer(uid, message, data, int(data.split(":")[1])))
            return
        if call.method not in ("sendMessage", "editMessageText"):
            return
        plain, data = call.plain, [b["callback_data"] for b in call.buttons()]
        if call.method == "sendMessage":
            for ask_id in {int(d.split(":")[1]) for d in data if d[:2] in ("a:", "t:", "s:") and d.count(":") >= 1
                           and d.split(":")[1].isdigit()}:
                self.shown[ask_id] += 1
        report = [int(d.split(":")[1]) for d in data if d.startswith("rp:")]
        verdict = VERDICT.search(plain)
        if report and verdict:  # an answer's verdict
            ask_id = report[0]
            self.ack_twice[ask_id] += 1
            if self.ack_twice[ask_id] > 1:
                self.repeated_by[call.method] += 1
            self.acks.setdefault(ask_id, verdict.group(1).startswith("✅"))
            in_drill = not any(d.startswith("n:") for d in data)
            if not in_drill and ask_id >= self.latest_ask[uid]:  # only the newest question's chain goes on
                self._later(self.standin.send_text(uid, "/quiz"))
            return
        if "Daily drill done" in plain:
            if m := STREAK.search(plain):
                self.told_streak[uid] = int(m.group(1))
            self._later(self.standin.send_text(uid, "/quiz"))
            return
        if "Daily drill · " in plain and "Daily drill · 1/" in plain:
            self.drills_received[uid] += 1
        if any(d.startswith("a:") for d in data):
            ask_id = int(data[0].split(":")[1])
            self.latest_ask[uid] = max(self.latest_ask[uid], ask_id)
            if ask_id not in self.answered:
                self.answered.add(ask_id)
                pick = self.rng.choice([d for d in data if d.startswith("a:")])
                self._later(self._tap_answer(uid, call, pick, ask_id))
            return
        if any(d.startswith(("o:", "m:")) for d in data):  # ordering or matching: built, then submitted
            ask_id = int(next(d for d in data if d.startswith("s:")).split(":")[1])
            self.latest_ask[uid] = max(self.latest_ask[uid], ask_id)
            if ask_id not in self.answered:
                self.answered.add(ask_id)
                self._later(self._build(uid, call, data, ask_id))
            return
        if any(d.startswith("t:") for d in data):
            ask_id = int(data[0].split(":")[1])
            self.latest_ask[uid] = max(self.latest_ask[uid], ask_id)
            if ask_id not in self.answered:
                self.answered.add(ask_id)
                self.submit[uid] = (call, next(d for d in data if d.startswith("s:")))
                self._later(self.standin.tap(uid, call, self.rng.choice([d for d in data if d.startswith("t:")])))
            return
        if "Type your answer" in plain:
            self._later(self.standin.send_text(uid, self.rng.choice(["random cut forest", "xgboost", "k-means"])))
            return
        if "dr" in data:  # /daily with today's drill unfinished: continue it
            self.resumes[uid] += 1
            self._later(self.standin.tap(uid, call, "dr"))
            return
        if any(d.startswith("d:") for d in data):  # /daily without an open drill
            self._later(self.standin.send_text(uid, "/quiz"))

    def resolve(self) -> None:
        for query_id, right in self.query_verdicts:
            ask_id = self.query_ask.get(query_id)
            if ask_id is not None:
                self.ack_twice[ask_id] += 0
                self.acks.setdefault(ask_id, right)


# --- the bot process ------------------------------------------------------------------------


class Bot:
    def __init__(self, standin: StandIn, db: Path, log: Path, url: str | None = None, port: int | None = None):
        self.standin, self.db, self.log, self.url, self.port = standin, db, log, url, port
        self.proc: subprocess.Popen | None = None
        self.ready = asyncio.Event()

    def on_call(self, call: Call) -> None:
        if call.method == ("setWebhook" if self.port else "setMyCommands"):
            self.ready.set()

    async def start(self) -> None:
        self.ready.clear()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MLSQUIZ_"))}
        env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=self.standin.url, MLSQUIZ_DB=str(self.db),
                   MLSQUIZ_LOG_LEVEL="INFO", MLSQUIZ_SENDS_PER_SECOND="1000")
        if self.url is not None:
            env.update(MLSQUIZ_DATABASE_URL=self.url)
        if self.port is not None:
            env.update(webhook_env(self.port))
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env,
                                         stdout=subprocess.DEVNULL, stderr=err)
        await asyncio.wait_for(self.ready.wait(), 60)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    async def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.proc.wait, 60)


# --- checks ------------------------------------------------------------------------------------


def _connect(db_path: Path, url: str | None):
    if url is None:
        conn = sqlite3.connect(db_path)
        conn.row_factory = sqlite3.Row
        return conn
    import psycopg
    from psycopg.rows import dict_row

    from bot.storage.dialect import pyformat

    class Conn:  # sqlite3's shape on PostgreSQL: `?` parameters, rows by column name
        def __init__(self):
            self.pg = psycopg.connect(url, row_factory=dict_row, autocommit=True)

        def execute(self, sql: str, params=()):
            return self.pg.execute(pyformat(sql), params)

        def close(self):
            self.pg.close()

    return Conn()


def check(db_path: Path, users: Users, streak_ids: list[int], log_text: str, since: datetime,
          url: str | None = None) -> dict:
    conn = _connect(db_path, url)
    tz = {r["id"]: ZoneInfo(r["tz"]) for r in conn.execute("SELECT id, tz FROM users")}
    answered = conn.execute(
        "SELECT id, user_id, question_id, correct, answered_at, answer_update FROM asks WHERE status = 'answered'"
    ).fetchall()
    by_id = {r["id"]: r for r in answered}
    v: dict[str, list] = defaultdict(list)

    users.resolve()
    for ask_id, right in users.acks.items():
        row = by_id.get(ask_id)
        if row is None:
            v["lost"].append(ask_id)
        elif bool(row["correct"]) != right:
            v["verdict differs"].append(ask_id)

    per_day: Counter[tuple[int, str]] = Counter()
    right_per_day: Counter[tuple[int, str]] = Counter()
    for r in answered:
        day = datetime.fromisoformat(str(r["answered_at"])).astimezone(tz[r["user_id"]]).date().isoformat()
        per_day[(r["user_id"], day)] += 1
        right_per_day[(r["user_id"], day)] += r["correct"]
    days = {(r["user_id"], r["day"]): r for r in conn.execute("SELECT * FROM days")}
    for key in set(per_day) | set(days):
        row = days.get(key)
        if row is None or row["answered"] != per_day[key] or row["correct"] != right_per_day[key]:
            v["day counter off"].append((key, dict(row) if row else None, per_day[key], right_per_day[key]))
    per_card = Counter((r["user_id"], r["question_id"]) for r in answered)
    for r in conn.execute("SELECT user_id, question_id, reviews FROM cards"):
        if r["reviews"] != per_card[(r["user_id"], r["question_id"])]:
            v["card reviews off"].append((r["user_id"], r["question_id"], r["reviews"]))
    updates = Counter(r["answer_update"] for r in answered if r["answer_update"] is not None)
    v["update counted twice"] += [u for u, n in updates.items() if n > 1]

    today_of = {}
    for uid in streak_ids:
        goal = {d: r["goal"] for (u, d), r in days.items() if u == uid}
        from_asks = [date.fromisoformat(d) for (u, d), n in per_day.items() if u == uid and n >= goal.get(d, GOAL)]
        from_table = [date.fromisoformat(d) for (u, d), r in days.items() if u == uid and r["answered"] >= r["goal"]]
        today = datetime.now(UTC).astimezone(tz[uid]).date()
        today_of[uid] = today
        s_asks, s_table = streaks.compute(from_asks, today), streaks.compute(from_table, today)
        if s_asks != s_table:
            v["streak differs"].append((uid, s_asks.current, s_table.current))
        expected = SEEDED_DAYS + (1 if s_asks.today_done else 0)
        if s_asks.current != expected:
            v["streak broken"].append((uid, s_asks.current, expected))
        if uid in users.told_streak and users.told_streak[uid] != s_table.current:
            v["told streak differs"].append((uid, users.told_streak[uid], s_table.current))
    inbox = conn.execute("SELECT COUNT(*) AS n FROM inbox").fetchone()["n"]
    # A drill pushed twice: two messages carrying the same push's first question (a replica died between
    # Telegram accepting it and recording it sent, and another sent it again).
    pushed = [(r["user_id"], r["ask_id"]) for r in
              conn.execute("SELECT user_id, ask_id FROM pushes WHERE kind = 'drill' AND ask_id IS NOT NULL")]
    v["push sent twice"] += [a for u, a in pushed if users.shown[a] - users.resumes[u] > 1]
    if inbox:
        v["inbox not empty"].append(inbox)
    # A handler that gave up after Telegram kept failing (--faults) logs a telegram.error; anything else is a bug.
    errors = re.findall(r"^([A-Za-z_][\w.]*(?:Error|Exception|RetryAfter|TimedOut))\b", log_text, re.M)
    gave_up = [e for e in errors if e.startswith("telegram.error.")]
    if log_text.count("Traceback") > len(gave_up) or len(errors) > len(gave_up):
        v["tracebacks in log"].append(sorted(set(errors) - set(gave_up)) or log_text.count("Traceback"))
    streak_done = sum(1 for uid in streak_ids if any(u == uid and d == today_of[uid].isoformat()
                                                     and r["answered"] >= r["goal"] for (u, d), r in days.items()))
    conn.close()
    return {
        "answered_in_db": len(answered),
        "acknowledged": len(users.acks),
        "answered_not_acknowledged": len({a for a, r in by_id.items()
                                          if datetime.fromisoformat(r["answered_at"]) >= since} - set(users.acks)),
        "told_twice": sum(1 for n in users.ack_twice.values() if n > 1),
        "gave_up": len(gave_up),
        "streak_users_done_today": streak_done,
        "violations": {k: val for k, val in v.items() if val},
    }


# --- the run ----------------------------------------------------------------------------------------


FAULT_METHODS = ("sendMessage", "editMessageText", "answerCallbackQuery")
FAULT_STATUSES = (429, 500, 502, 503)


def inject(standin: StandIn, rng: random.Random, per_second: float, seconds: float) -> None:
    """Queue about per_second * seconds Bot API errors (each served once, to the next call of its method)."""
    for _ in range(int(per_second * seconds + rng.random())):
        method, status = rng.choice(FAULT_METHODS), rng.choice(FAULT_STATUSES)
        extra = ({"description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}
                 if status == 429 else {"description": "Internal Server Error"})
        standin.fail_next.append((method, status, extra))


async def run(kills: int, n_users: int, n_streak: int, seed: int, min_up: float, max_up: float,
              keep: Path | None = None, faults: float = 0.0, replicas: int = 1) -> int:
    rng = random.Random(seed)
    quiz_ids = list(range(QUIZ_BASE, QUIZ_BASE + n_users))
    streak_ids = list(range(STREAK_BASE, STREAK_BASE + n_streak))
    standin = StandIn(TOKEN)
    standin.keep_calls = False
    standin.delay = 0.005  # a little network: some replies are in flight at a kill
    standin.refuse_unmodified = True  # as Telegram: a replayed verdict edit changes nothing a user sees
    await standin.start()
    server, url, telegram = None, None, None
    if replicas > 1:
        from tests.pg import PgServer

        server = PgServer(durable=True).start()
        url = server.fresh_database()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kill9.sqlite3"
        await seed_streak_users(db, streak_ids, random.Random(seed), url)
        since = datetime.now(UTC)
        users = Users(standin, quiz_ids + streak_ids, rng)
        bots = [Bot(standin, db, Path(tmp) / f"bot{i}.log", url, free_port() if replicas > 1 else None)
                for i in range(replicas)]
        if replicas > 1:
            telegram = Telegram([bot.port for bot in bots if bot.port is not None], rng)
            standin.push = telegram.push  # type: ignore[method-assign]
        starting: list[Bot] = []

        def on_call(call: Call) -> None:
            if starting:
                starting[0].on_call(call)
            users.on_call(call)

        async def start(bot: Bot) -> None:
            starting[:] = [bot]
            await bot.start()
            starting.clear()

        standin.on_call = on_call
        up_for: list[float] = []
        rcs: list[int] = []
        try:
            for bot in bots:
                await start(bot)
            users.start()
            for _ in range(kills):
                up = rng.uniform(min_up, max_up)
                deadline = time.monotonic() + up
                while time.monotonic() < deadline:
                    await asyncio.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
                    users.kick_idle()
                    if faults and len(standin.fail_next) < 10 * faults:
                        inject(standin, rng, faults, 0.5)
                victim = rng.choice(bots)
                victim.kill9()
                up_for.append(up)
                await asyncio.sleep(rng.uniform(0, 0.5))  # users keep tapping while it is down
                await start(victim)
            # Let everyone finish: a few more seconds of load, then no new updates and a quiet stand-in.
            for _ in range(10):
                await asyncio.sleep(0.5)
                users.kick_idle()
            users.active = False
            standin.fail_next.clear()
            quiet_since, sends = time.monotonic(), standin.sends
            while time.monotonic() - quiet_since < 3.0:
                await asyncio.sleep(0.25)
                if standin.sends != sends or users.tasks:
                    quiet_since, sends = time.monotonic(), standin.sends
            rcs = [await bot.terminate() for bot in bots]
        finally:
            for bot in bots:
                if bot.proc is not None and bot.proc.poll() is None:
                    bot.proc.kill()
            if telegram is not None:
                await telegram.close()
            await standin.stop()
        log_text = "\n".join(bot.log.read_text(errors="replace") for bot in bots if bot.log.exists())
        result = check(db, users, streak_ids, log_text, since, url)
        if server is not None:
            server.stop()
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for f in (db, *(bot.log for bot in bots)):
                if f.exists():
                    f.replace(keep / f.name)
        replayed = sum(int(m) for m in re.findall(r"(?:replaying|queued) (\d+) (?:waiting )?updates", log_text))
    elapsed = time.monotonic() - t0
    violations = result["violations"]
    if any(rcs):
        violations["clean stop"] = rcs
    rows = [
        ("replicas (webhook mode, PostgreSQL)" if replicas > 1 else "processes (long polling, SQLite)", replicas),
        ("kills (SIGKILL of one, then restart)", kills),
        ("seconds up before each kill", f"{min(up_for, default=0):.1f}-{max(up_for, default=0):.1f}"),
        ("users (quiz + streak)", f"{n_users} + {n_streak}"),
        ("updates sent by users", users.sent_updates),
        ("updates replayed from the inbox (at a start, or taken over)", replayed),
        ("answers in the database", result["answered_in_db"]),
        ("acknowledged answers (verdict seen)", result["acknowledged"]),
        ("answered but verdict not seen", result["answered_not_acknowledged"]),
        ("verdict shown twice for one ask (edit / new message)",
         f"{result['told_twice']} ({users.repeated_by['editMessageText']} / {users.repeated_by['sendMessage']})"),
        ("webhook posts refused or dropped, posted again", telegram.retries if telegram else "-"),
        ("Bot API errors served: 429 / 5xx", f"{sum(1 for _, st in standin.failures_served if st == 429)} / "
                                             f"{sum(1 for _, st in standin.failures_served if st >= 500)}"),
        ("handlers that gave up on Telegram", result["gave_up"]),
        ("messages showing drill question 1 (push, resend, resume)", sum(users.drills_received.values())),
        ("streak users with today's goal done", f"{result['streak_users_done_today']}/{n_streak}"),
        ("streaks told in drill summaries", len(users.told_streak)),
        ("acknowledged answers lost", len(violations.get("lost", []))),
        ("drill pushes sent twice", len(violations.get("push sent twice", []))),
        ("answers counted twice", sum(len(violations.get(k, [])) for k in
                                      ("day counter off", "card reviews off", "update counted twice"))),
        ("streaks wrong", sum(len(violations.get(k, [])) for k in
                              ("streak differs", "streak broken", "told streak differs"))),
        ("violations (all kinds)", sum(len(x) for x in violations.values())),
        ("wall time, s", f"{elapsed:.0f}"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, val in rows:
        print(f"{k:<{width}}  {val}")
    for kind, items in violations.items():
        print(f"VIOLATION {kind}: {json.dumps(items[:10], default=str)}", file=sys.stderr)
    return 1 if violations else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--users", type=int, default=40, help="quiz users")
    parser.add_argument("--streak-users", type=int, default=10, help="users with a 4-day streak and a drill due")
    parser.add_argument("--seed", type=int, default=None, help="for a repeatable sequence of kill moments")
    parser.add_argument("--min-up", type=float, default=1.5)
    parser.add_argument("--max-up", type=float, default=6.0)
    parser.add_argument("--faults", type=float, default=0.0, help="Bot API errors (429, 5xx) served per second")
    parser.add_argument("--keep", type=Path, default=None, help="move the database and the bot's log here afterwards")
    parser.add_argument("--replicas", type=int, default=1,
                        help="more than 1: that many webhook replicas on a PostgreSQL server started for the run")
    parser.add_argument("--contend", type=int, default=0,
                        help="processes that spin a CPU each for the whole run: races show up on a busy machine")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"seed {seed}" + (f", {args.contend} spinning processes" if args.contend else ""))
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.contend)]
    try:
        code = asyncio.run(run(args.kills, args.users, args.streak_users, seed, args.min_up, args.max_up, args.keep,
                               args.faults, args.replicas))
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    sys.exit(code)


if __name__ == "__main__":
    main()
