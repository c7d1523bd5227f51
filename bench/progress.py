"""Time to the /progress chart: from sending /progress to the photo reaching the Bot API, cold and warm.

    .venv/bin/python bench/progress.py                 # idle machine, then with both cores spun by other processes
    .venv/bin/python bench/progress.py --busy 0        # idle only
    .venv/bin/python bench/progress.py --runs 5
    .venv/bin/python bench/progress.py --settle 0     # the first /progress right as the bot has started

The bot runs as its own process (`python -m bot`, a fresh SQLite file) against the Bot API stand-in in
this process. A user with 60 answers over the last weeks asks /progress right after start-up (cold: the
first chart of the process) and again (warm). "busy" starts N processes that spin a CPU each for the
whole measurement, like a machine busy with other work. Prints one line per run and the medians.
The reply comes as two messages (the text, then the chart), and Telegram allows one message a second
into a chat, so the photo cannot arrive sooner than about a second after /progress.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standin import Call, StandIn  # noqa: E402

TOKEN = "123456789:PROGRESS-bench-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
USER = 424242


def seed(db: Path, answers: int = 60) -> None:
    """A user with `answers` answered questions spread over the last 30 days (and their cards and days)."""
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from bot.config import REPO_ROOT
    from bot.content import load_bank
    from bot.domain.memory import after_answer

    bank = load_bank(REPO_ROOT / "content")
    now = datetime.now(UTC)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO users (id, chat_id, first_name, tz, created_at) VALUES (?, ?, 'Ada', 'UTC', ?)",
                     (USER, USER, (now - timedelta(days=40)).isoformat()))
        for i, q in enumerate(bank.questions[:answers]):
            when = now - timedelta(days=30 - i // 2, hours=1)
            right = i % 3 != 0
            conn.execute(
                "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, asked_at, status, answered_at, "
                "correct) VALUES (?, ?, ?, ?, ?, ?, ?, 'answered', ?, ?)",
                (USER, USER, q.id, q.type.value, bank.domain_of(q).id, q.topic, when.isoformat(), when.isoformat(),
                 int(right)))
            memory = after_answer(None, right, when)
            conn.execute("INSERT INTO cards (user_id, question_id, card, due, reviews, lapses) "
                         "VALUES (?, ?, ?, ?, 1, ?)",
                         (USER, q.id, memory.card_json, memory.due.isoformat(), int(not right)))
            conn.execute("INSERT INTO days (user_id, day, answered, correct, goal) VALUES (?, ?, 1, ?, 5) "
                         "ON CONFLICT (user_id, day) DO UPDATE SET answered = answered + 1, correct = correct + "
                         "excluded.correct", (USER, when.date().isoformat(), int(right)))


async def one_run(busy: int, settle: float) -> tuple[float, float]:
    """(cold, warm) seconds from /progress to its photo."""
    standin = StandIn(TOKEN)
    await standin.start()
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "progress.sqlite3"
            env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MLSQUIZ_"))}
            env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=standin.url, MLSQUIZ_DB=str(db),
                       MLSQUIZ_LOG_LEVEL="WARNING")
            # Migrate, then seed, so the bot starts on a database that already has the user's history.
            subprocess.run([sys.executable, "-c", "import asyncio, sys; from pathlib import Path; "
                            "from bot.storage.db import Database\n"
                            "async def m():\n d = await Database.open(Path(sys.argv[1])); await d.migrate(); "
                            "await d.close()\nasyncio.run(m())", str(db)], cwd=ROOT, check=True)
            seed(db)
            proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            try:
                await standin.wait_for(lambda c: c.method == "setMyCommands", timeout=60)
                await asyncio.sleep(settle)  # how long after start-up the first /progress comes
                times = []
                for i in range(2):
                    if i:
                        await asyncio.sleep(2.5)  # Telegram's one message a second into the chat is free again
                    mark = len(standin.calls)
                    t0 = time.monotonic()
                    await standin.send_text(USER, "/progress")
                    photo: Call = await standin.wait_for(lambda c: c.method == "sendPhoto", after=mark, timeout=120)
                    times.append(photo.at - t0)
                return times[0], times[1]
            finally:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)  # the stand-in in this loop answers its last calls
    finally:
        for s in spinners:
            s.kill()
            s.wait()
        await standin.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", type=int, default=4, help="spinning processes for the busy runs (0: idle only)")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds between start-up and the first /progress (0: right at start-up)")
    args = parser.parse_args()
    for busy in ([0, args.busy] if args.busy else [0]):
        cold, warm = [], []
        for i in range(args.runs):
            c, w = await one_run(busy, args.settle)
            cold.append(c)
            warm.append(w)
            print(f"{'busy' if busy else 'idle'} run {i + 1}: cold {c:.2f} s, warm {w:.2f} s", flush=True)
        print(f"{'busy' if busy else 'idle'} ({busy} spinning): median cold {statistics.median(cold):.2f} s, "
              f"warm {statistics.median(warm):.2f} s", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
