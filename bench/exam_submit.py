"""Benchmark: how long submitting a full 65-question mock exam takes (grading and recording every answer).

    .venv/bin/python bench/exam_submit.py [--runs 5]

Real SQLite file (WAL, synchronous=FULL, as the bot runs it), the real services, no Telegram:
each run starts an exam, answers all 65 questions through ExamService.choose, then times
ExamService.submit, which records every answer through QuizService (answer + FSRS card + day
progress, one transaction each) and stores the score. Also times start (draw + 65 asks in one
transaction) and one answer tap.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import load_bank  # noqa: E402
from bot.services.exam import ExamService, Page, Result  # noqa: E402
from bot.services.quiz import QuizService  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.exam import ExamRepo  # noqa: E402
from bot.storage.repo import Repo  # noqa: E402


async def main(runs: int) -> None:
    bank = load_bank(ROOT / "content")
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        await db.migrate()
        now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        clock = lambda: now  # noqa: E731
        rng = random.Random(7)
        repo = Repo(db)
        quiz = QuizService(bank, repo, default_tz="UTC", clock=clock, rng=rng)
        exams = ExamService(bank, ExamRepo(db), quiz, clock=clock, rng=rng)
        starts, taps, submits = [], [], []
        for user in range(1, runs + 1):
            await quiz.meet(user, "bench", user)
            t = time.perf_counter()
            page = await exams.start(user, user)
            starts.append(time.perf_counter() - t)
            assert isinstance(page, Page)
            for pos in range(65):
                t = time.perf_counter()
                await exams.choose(user, page.exam_id, pos, 0)
                taps.append(time.perf_counter() - t)
            t = time.perf_counter()
            result = await exams.submit(user, page.exam_id)
            submits.append(time.perf_counter() - t)
            assert isinstance(result, Result)
        await db.close()
    ms = lambda xs: f"median {statistics.median(xs) * 1000:.0f} ms, max {max(xs) * 1000:.0f} ms"  # noqa: E731
    print(f"start (draw + 65 asks): {ms(starts)}")
    print(f"one answer tap:         {ms(taps)}")
    print(f"submit (65 recorded):   {ms(submits)}  over {runs} runs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
