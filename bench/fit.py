"""Benchmark: memory tuned per learner (bot/domain/tuning.py) fitted for many synthetic users.

    .venv/bin/python bench/fit.py                                  # 10,000 users x 500 reviews, one process
    .venv/bin/python bench/fit.py --workers 2                      # the same in two processes
    .venv/bin/python bench/fit.py --users 200 --reviews 5000       # heavier users

Each user is a synthetic learner (bench/learners.py) whose memory is somewhere around FSRS's defaults (first
stabilities, recall growth and forgetting curve at random), asked on the bot's default schedule. The histories are
generated first, in the worker processes, and timed on their own, because generating is not what is measured; then
each worker fits one user at a time, as the bot would. Prints one JSON line: wall time of both phases, fits per
second, per-fit median and p95 (tuning.fit alone), peak RSS of this process (it holds every generated history) and
of the largest worker, the share of users who got their own parameters, and the held-out log-loss gain over the
defaults (default minus own: positive means the user's own parameters predict their latest reviews better).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import statistics
import sys
import time
from array import array
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.learners import START, learner, varied_parameters  # noqa: E402
from bot.domain.tuning import Review, fit  # noqa: E402

FIELDS = 4  # per review: question number, seconds since START, rating, elapsed days (-1: the first)


def generate(job: tuple[int, int]) -> bytes:
    """One user's history, packed small so that 10,000 of them fit in the parent."""
    seed, reviews = job
    packed = array("i")
    for r in learner(seed, reviews, varied_parameters(random.Random(seed))):
        elapsed = -1 if r.elapsed_days is None else r.elapsed_days
        packed.extend((int(r.question_id[1:]), int((r.at - START).total_seconds()), r.rating, elapsed))
    return packed.tobytes()


def fit_one(history: bytes) -> tuple[float, str, float | None]:
    """Fit one user: seconds in tuning.fit, the reason, and the held-out log-loss gain over the defaults."""
    a = array("i")
    a.frombytes(history)
    reviews = [Review(f"q{a[i]}", START + timedelta(seconds=a[i + 1]), a[i + 2], None if a[i + 3] < 0 else a[i + 3])
               for i in range(0, len(a), FIELDS)]
    t0 = time.perf_counter()
    f = fit(reviews)
    seconds = time.perf_counter() - t0
    gain = f.default.log_loss - f.own.log_loss if f.own and f.default else None
    return seconds, f.reason, gain


def maxrss_mb(who: int) -> float:
    """Peak resident memory in MB (Linux reports KB)."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=500, help="reviews per user")
    parser.add_argument("--workers", type=int, default=1, help="processes")
    parser.add_argument("--seed", type=int, default=0, help="user i is learner seed+i")
    args = parser.parse_args()
    jobs = [(args.seed + i, args.reviews) for i in range(args.users)]
    chunk = max(1, min(50, args.users // (args.workers * 8)))
    pool = multiprocessing.Pool(args.workers)
    t0 = time.perf_counter()
    histories = pool.map(generate, jobs, chunksize=chunk)
    t1 = time.perf_counter()
    results = list(pool.imap_unordered(fit_one, histories, chunksize=chunk))
    t2 = time.perf_counter()
    pool.close()
    pool.join()
    times = sorted(r[0] for r in results)
    reasons = Counter(r[1] for r in results)
    gains = [r[2] for r in results if r[2] is not None]
    own_gains = [r[2] for r in results if r[1] == "own"]
    print(json.dumps({
        "users": args.users,
        "reviews_per_user": args.reviews,
        "workers": args.workers,
        "seed": args.seed,
        "generate_seconds": round(t1 - t0, 2),
        "fit_seconds": round(t2 - t1, 2),
        "fits_per_second": round(args.users / (t2 - t1), 1),
        "fit_ms_median": round(statistics.median(times) * 1000, 2),
        "fit_ms_p95": round(times[min(len(times) - 1, int(len(times) * 0.95))] * 1000, 2),
        "fit_ms_max": round(times[-1] * 1000, 2),
        "peak_rss_mb_main": maxrss_mb(resource.RUSAGE_SELF),
        "peak_rss_mb_largest_worker": maxrss_mb(resource.RUSAGE_CHILDREN),
        "reasons": dict(sorted(reasons.items())),
        "own_share": round(reasons["own"] / args.users, 3),
        "median_log_loss_gain": round(statistics.median(gains), 4) if gains else None,
        "median_log_loss_gain_when_own": round(statistics.median(own_gains), 4) if own_gains else None,
    }), flush=True)


if __name__ == "__main__":
    main()
