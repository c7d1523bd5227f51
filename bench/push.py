"""Benchmark: N subscribers due in the same minute, pushed by the bot's real push path.

    .venv/bin/python bench/push.py                 # 100,000 subscribers, stand-in not limiting
    .venv/bin/python bench/push.py --limited 1500  # plus: 1,500 subscribers with the stand-in enforcing 30 msg/s
    .venv/bin/python bench/push.py --history 20 --plans  # side by side: no plans, then a plan for everyone
    .venv/bin/python bench/push.py --replicas 2 --sends-per-second 1000   # PostgreSQL, two replicas pushing

The bot side is the real Application (HTTP to the stand-in on 127.0.0.1, which runs in its own
process), the real SQLite file, and the same Pusher the periodic job runs. Subscribers are
seeded with plain SQL before the clock starts, because seeding is not what is measured.
Reports: time from the minute starting to every push handed to the sender, pushes per second,
peak RSS of the bot process, and 429s.

--replicas N: the same on PostgreSQL (a durable server started for the run), pushed by N bot processes at once,
each claiming its own users in the database and sending at its share of `--sends-per-second` (the stand-in
answers 429 above that rate overall). Reported per replica: pushes sent, CPU, peak RSS; overall: chats that
got two messages (a push sent twice).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.content import load_bank  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.tg.app import build_application  # noqa: E402
from bot.tg.daily import jobs  # noqa: E402

TOKEN = "123456789:BENCH-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
MINUTE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


SUBSCRIBER = ("INSERT INTO users (id, chat_id, first_name, tz, created_at, daily_enabled, daily_time, daily_size, "
              "next_push_at, exam_date, reviews) VALUES (?, ?, 'Bench', 'UTC', ?, 1, '07:00', 5, ?, ?, ?)")


def seed(path: Path, n: int, history: int = 0, plans: bool = False) -> None:
    """n users in UTC, subscribed at 07:00, all due at MINUTE (the schema comes from the real migrations).

    `history`: questions each user has answered once (a card due in the coming days and its review, with an
    answer time); `plans`: every user also has a plan to an exam 30 days ahead.
    """
    exam_date = (MINUTE + timedelta(days=30)).date().isoformat() if plans else None
    with sqlite3.connect(path) as conn:
        conn.executemany(
            SUBSCRIBER,
            ((uid, uid, (MINUTE - timedelta(days=1)).isoformat(), MINUTE.isoformat(), exam_date, history)
             for uid in range(1, n + 1)),
        )
        if not history:
            return
        from bot.domain.memory import after_answer
        from bot.services.tracks import Tracks

        bank = load_bank(ROOT / "content")
        questions = [c.id for c in Tracks(bank).get(None).candidates[:history]]
        answered = MINUTE - timedelta(days=2)
        card = after_answer(None, True, answered)
        for start in range(1, n + 1, 10_000):
            users = range(start, min(start + 10_000, n + 1))
            conn.executemany(
                "INSERT INTO cards (user_id, question_id, card, due, reviews) VALUES (?, ?, ?, ?, 1)",
                ((uid, qid, card.card_json, (card.due + timedelta(hours=i % 72)).isoformat())
                 for uid in users for i, qid in enumerate(questions)))
            conn.executemany(
                "INSERT INTO reviews (user_id, question_id, reviewed_at, rating, seconds) VALUES (?, ?, ?, 3, ?)",
                ((uid, qid, answered.isoformat(), 20.0 + i % 40) for uid in users for i, qid in enumerate(questions)))


def start_standin(*extra: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "standin_server.py"), TOKEN, *extra],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    return proc, url


def stop_standin(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate("", timeout=30)
    return json.loads(out.strip().splitlines()[-1])


async def run_case(n: int, rate_limit: bool, max_per_second: float | None, history: int = 0,
                   plans: bool = False) -> dict:
    extra = ["--max-per-second", str(max_per_second)] if max_per_second else []
    standin, url = start_standin(*extra)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        db = await Database.open(db_path)
        await db.migrate()
        await db.close()
        seed(db_path, n, history, plans)
        db = await Database.open(db_path)
        settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url, MLSQUIZ_DB=db_path)
        clock_start = time.perf_counter()
        # The bot's clock: the minute starts when the benchmark does, and moves with real time.
        app = build_application(settings, load_bank(settings.content), db, rate_limit=rate_limit,
                                clock=lambda: MINUTE + timedelta(seconds=time.perf_counter() - clock_start))
        async with app:
            pusher = jobs.Pusher(app.bot, app.bot_data["daily"])
            cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
            t0 = time.perf_counter()
            sent = await pusher.run()
            elapsed = time.perf_counter() - t0
            cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu0
        await db.close()
    counters = stop_standin(standin)
    return {
        "subscribers": n,
        "history": history,
        "plans": plans,
        "rate_limiter": rate_limit,
        "standin_limit_per_s": max_per_second,
        "sent": sent,
        "seconds_to_all_pushed": round(elapsed, 2),
        "pushes_per_second": round(sent / elapsed, 1),
        "standin_sends": counters["sends"],
        "standin_cpu_seconds": counters.get("cpu_seconds"),
        "bot_cpu_seconds": round(cpu, 2),  # the push only (seeding and start-up not counted)
        "429s": counters["too_many"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


async def replica_worker(url: str, standin_url: str, t0: float, replicas: int, sends: float) -> None:
    """One replica's push (a process of its own): wait until all are alive, take its share, push, report."""
    from bot.storage.postgres import PostgresDatabase
    from bot.tg.fleet import keep_alive

    settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=standin_url, MLSQUIZ_DATABASE_URL=url,
                        MLSQUIZ_SENDS_PER_SECOND=sends)
    db = await PostgresDatabase.open(url, replica=True)
    app = build_application(settings, load_bank(settings.content), db,
                            clock=lambda: MINUTE + timedelta(seconds=time.time() - t0))
    replica = app.bot_data["replica"]
    await replica.join(alone=False)
    while await replica.beat() < replicas:
        await asyncio.sleep(0.1)
    stop = asyncio.Event()
    async with app:
        beating = asyncio.create_task(keep_alive(replica, app.bot_data["intake"], app.bot_data["limiter"],
                                                 app.bot_data["metrics"], stop))
        await asyncio.sleep(2.5)  # every replica has counted the others and taken its share
        pusher = jobs.Pusher(app.bot, app.bot_data["daily"])
        cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        started = time.perf_counter()
        sent = await pusher.run()
        elapsed = time.perf_counter() - started
        cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu0
        stop.set()
        await beating
        share = app.bot_data["limiter"].replicas
    await replica.leave()
    await db.close()
    print(json.dumps({"sent": sent, "seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2), "share": share,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}), flush=True)


async def run_replicas(n: int, replicas: int, sends: float, limit: float) -> dict:
    import psycopg

    from bot.storage.dialect import pyformat
    from bot.storage.postgres import PostgresDatabase
    from tests.pg import PgServer

    server = PgServer(durable=True).start()
    standin, standin_url = start_standin("--max-per-second", str(limit))
    try:
        url = server.fresh_database()
        db = await PostgresDatabase.open(url, exclusive=False)
        await db.migrate()
        await db.close()
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            day_before = (MINUTE - timedelta(days=1)).isoformat()
            cur.executemany(pyformat(SUBSCRIBER), [(uid, uid, day_before, MINUTE.isoformat(), None, 0)
                                                   for uid in range(1, n + 1)])
        t0 = time.time()
        workers = [subprocess.Popen([sys.executable, __file__, "--worker", url, standin_url, str(t0), str(replicas),
                                     str(sends)], stdout=subprocess.PIPE, text=True) for _ in range(replicas)]
        started = time.perf_counter()
        reports = [json.loads(w.communicate(timeout=3600)[0].strip().splitlines()[-1]) for w in workers]
        elapsed = time.perf_counter() - started
        with psycopg.connect(url) as conn:
            by = conn.execute("SELECT status, COUNT(*) FROM pushes GROUP BY status").fetchall()
    finally:
        counters = stop_standin(standin)
        server.stop()
    return {
        "subscribers": n, "replicas": replicas, "sends_per_second_overall": sends, "standin_limit_per_s": limit,
        "sent": sum(r["sent"] for r in reports), "per_replica": reports,
        "pushes_per_second": round(sum(r["sent"] for r in reports) / max(r["seconds"] for r in reports), 1),
        "wall_seconds_incl_start": round(elapsed, 1), "pushes_by_status": dict(by),
        "standin_sends": counters["sends"], "429s": counters["too_many"],
        "chats_sent_twice": counters["chats_sent_twice"], "most_sends_in_a_second": counters["max_in_1s"],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--limited", type=int, default=0, help="also run this many with the stand-in at 30 msg/s")
    parser.add_argument("--history", type=int, default=0, help="questions each subscriber has answered before")
    parser.add_argument("--replicas", type=int, default=0, help="PostgreSQL, pushed by this many bot processes")
    parser.add_argument("--sends-per-second", type=float, default=1000.0,
                        help="with --replicas: the bot's overall rate (each replica its share), the stand-in's limit")
    parser.add_argument("--telegram-limit", type=float, default=None,
                        help="with --replicas: the stand-in's 429 limit per second (default: --sends-per-second)")
    parser.add_argument("--plans", action="store_true",
                        help="run twice, side by side: without plans, then every subscriber with a plan to exam day")
    args = parser.parse_args()
    if args.replicas:
        limit = args.telegram_limit or args.sends_per_second
        print(json.dumps(await run_replicas(args.subscribers, args.replicas, args.sends_per_second, limit)), flush=True)
        return
    print(json.dumps(await run_case(args.subscribers, rate_limit=False, max_per_second=None,
                                    history=args.history)), flush=True)
    if args.plans:
        print(json.dumps(await run_case(args.subscribers, rate_limit=False, max_per_second=None,
                                        history=args.history, plans=True)), flush=True)
    if args.limited:
        print(json.dumps(await run_case(args.limited, rate_limit=True, max_per_second=30)), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        url, standin_url, t0, replicas, sends = sys.argv[2:7]
        asyncio.run(replica_worker(url, standin_url, float(t0), int(replicas), float(sends)))
    else:
        asyncio.run(main())
