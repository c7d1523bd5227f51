"""Benchmark: /forget and /export for one heavy user in a big database (the storage calls the commands use).

    .venv/bin/python bench/forget.py                  # 100,000 other users' answers, 1 user with 5,000 answers
    .venv/bin/python bench/forget.py --others 1000000

Seeds with plain SQL (seeding is not what is measured), then times StudyRepo.export and
StudyRepo.forget on a real SQLite file with the project's migrations and pragmas.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage.db import Database
from bot.storage.study import StudyRepo

NOW = datetime(2026, 11, 23, tzinfo=UTC).isoformat()


async def seed(db: Database, others: int, mine: int, user: int) -> None:
    async with db.tx() as conn:
        n_users = max(1, others // 50)
        await conn.executemany("INSERT INTO users (id, tz, created_at) VALUES (?, 'UTC', ?)",
                               [(u, NOW) for u in range(1, n_users + 1)] + [(user, NOW)])
        drills = [(u, "topic", "2026-11-23", json.dumps(["q"] * 10), NOW) for u in range(1, n_users + 1)]
        drills += [(user, "topic", "2026-11-23", json.dumps(["q"] * 10), NOW)] * (mine // 10)
        await conn.executemany("INSERT INTO drills (user_id, kind, day, questions, started_at) VALUES (?, ?, ?, ?, ?)",
                               drills)
        async with conn.execute("SELECT id, user_id FROM drills") as cur:
            by_user: dict[int, list[int]] = {}
            for drill_id, uid in await cur.fetchall():
                by_user.setdefault(uid, []).append(drill_id)
        rows = [(1 + i % n_users, by_user[1 + i % n_users][0]) for i in range(others)]
        rows += [(user, by_user[user][i // 10]) for i in range(mine)]
        await conn.executemany(
            "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, asked_at, status, correct, "
            "drill_id) "
            "VALUES (?, ?, 'q', 'single', 'd', 't', '" + NOW + "', 'answered', 1, ?)",
            [(u, u, d) for u, d in rows],
        )
        await conn.executemany("INSERT INTO cards (user_id, question_id, card, due) VALUES (?, ?, '{}', ?)",
                               [(user, f"q{i}", NOW) for i in range(min(mine, 541))])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--others", type=int, default=100_000, help="answers by other users")
    parser.add_argument("--mine", type=int, default=5_000, help="answers by the user who leaves")
    args = parser.parse_args()
    user = 10**9
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        await db.migrate()
        await seed(db, args.others, args.mine, user)
        repo = StudyRepo(db)
        t0 = time.perf_counter()
        exported = await repo.export(user)
        t1 = time.perf_counter()
        deleted = await repo.forget(user)
        t2 = time.perf_counter()
        await db.close()
    print(f"export: {sum(len(v) for v in exported.values())} rows in {1000 * (t1 - t0):.1f} ms")
    print(f"forget: {sum(deleted.values())} rows in {1000 * (t2 - t1):.1f} ms  ({args.others:,} other answers kept)")


if __name__ == "__main__":
    asyncio.run(main())
