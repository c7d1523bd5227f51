"""Benchmark: N simulated users doing quizzes through the Bot API stand-in, against a bare echo bot.

    .venv/bin/python bench/load.py                      # 200 users, 20 s per run, delay 0 and 50 ms
    .venv/bin/python bench/load.py --users 500 --seconds 30 --delays 0
    .venv/bin/python bench/load.py --flood 50 --users 50 --delays 0.05   # one user flooding 50 messages/s
    .venv/bin/python bench/load.py --users 50 --delays 0.05 --bots mlsquiz --backends sqlite postgresql
    .venv/bin/python bench/load.py --capacity --quota 0.4   # SQLite/1, PostgreSQL with 1 and 2 replicas, side by side

The bot under test runs as its own process (`python -m bot`: the real Application, a real SQLite
file) pinned to one core; this process runs the stand-in and the simulated users on the other.
Each user loops: /quiz, answer the question (tap an option; tick one and Submit for choose-N;
type an answer for fill-in), wait for the verdict. Reported per run: answers per second, p50/p99
from an answer being available in getUpdates to the bot's verdict reaching the API, peak RSS of
the bot. The echo bot (bench/echo_bot.py) gets the same users sending text and echoes it back.

--capacity: mlsquiz on SQLite (one process, long polling), then on PostgreSQL with 1 and with 2 replicas in
webhook mode (updates posted as Telegram does: a chat's next one once the last got its 200, to a replica at
random), one after the other in one run. Each bot process gets the same CPU share, `--quota` of a CPU (a cgroup
v1 cpu.cfs_quota_us, so root), instead of a core; PostgreSQL (durable) and the harness share the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhooks import Telegram, free_port, webhook_env  # noqa: E402
from tests.standin import Call, StandIn  # noqa: E402

TOKEN = "123456789:LOAD-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
BOT_CORE, HARNESS_CORE = 0, 1


class QuizUsers:
    """Users who answer whatever the bot asks, then ask for the next question."""

    def __init__(self, standin: StandIn, users: range):
        self.standin, self.users = standin, users
        self.asked_at: dict[int, float] = {}  # user -> when their answer became available
        self.submit: dict[int, tuple[Call, str]] = {}
        self.latencies: list[float] = []
        # Typed answers' verdicts are new messages, so they wait for the chat's one-message-a-second limit
        # (the question went out less than a second before); button answers' verdicts are edits.
        self.button_latencies: list[float] = []
        self.measuring = False
        self.answers = 0

    def start(self) -> None:
        for uid in self.users:
            self._later(self.standin.send_text(uid, "/quiz"))

    def _later(self, coro) -> None:
        asyncio.get_running_loop().create_task(coro)

    def _answer(self, uid: int, coro) -> None:
        self.asked_at[uid] = time.monotonic()
        self._later(coro)

    def on_call(self, call: Call) -> None:
        uid = call.chat_id
        if uid is None or uid not in self.users:
            return
        if call.method == "editMessageReplyMarkup" and uid in self.submit:
            message, data = self.submit.pop(uid)
            self._answer(uid, self.standin.tap(uid, message, data))
            return
        if call.method not in ("sendMessage", "editMessageText"):
            return
        if uid in self.asked_at:  # the verdict
            latency = time.monotonic() - self.asked_at.pop(uid)
            if self.measuring:
                self.latencies.append(latency)
                if call.method == "editMessageText":  # a button answer's verdict: no per-chat send limit
                    self.button_latencies.append(latency)
                self.answers += 1
            self._later(self.standin.send_text(uid, "/quiz"))
            return
        data = [b["callback_data"] for b in call.buttons()]
        if any(d.startswith("a:") for d in data):
            self._answer(uid, self.standin.tap(uid, call, next(d for d in data if d.startswith("a:"))))
        elif any(d.startswith("t:") for d in data):
            self.submit[uid] = (call, next(d for d in data if d.startswith("s:")))
            self._later(self.standin.tap(uid, call, next(d for d in data if d.startswith("t:"))))
        elif "Type your answer" in call.plain:
            self._answer(uid, self.standin.send_text(uid, "random cut forest"))
        else:  # anything else (a nudge): ask again
            self._later(self.standin.send_text(uid, "/quiz"))


class EchoUsers(QuizUsers):
    """Users who send a line of text and wait for it to come back."""

    def start(self) -> None:
        for uid in self.users:
            self._answer(uid, self.standin.send_text(uid, "what is the hinge loss?"))

    def on_call(self, call: Call) -> None:
        uid = call.chat_id
        if call.method != "sendMessage" or uid not in self.asked_at:
            return
        latency = time.monotonic() - self.asked_at.pop(uid)
        if self.measuring:
            self.latencies.append(latency)
            self.answers += 1
        self._answer(uid, self.standin.send_text(uid, "what is the hinge loss?"))


class Flooder:
    """One user sending a message every 1/rate s (text and /quiz in turn) and ignoring the answers."""

    def __init__(self, standin: StandIn, uid: int, rate: float):
        self.standin, self.uid, self.rate = standin, uid, rate
        self.sent = 0
        self.replies: list[float] = []  # when each message to the flooder's chat reached the API
        self.measuring = False
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._flood())

    async def _flood(self) -> None:
        texts = ("/quiz", "spam spam spam", "what?", "/quiz extra junk")
        while True:
            asyncio.get_running_loop().create_task(self.standin.send_text(self.uid, texts[self.sent % len(texts)]))
            self.sent += 1
            await asyncio.sleep(1 / self.rate)

    def on_call(self, call: Call) -> None:
        if call.chat_id == self.uid and call.method.startswith("send") and self.measuring:
            self.replies.append(time.monotonic())


def _pin(core: int):
    return lambda: os.sched_setaffinity(0, {core})


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _server_cpu(server) -> float:
    """CPU seconds used so far by a PostgreSQL server: its postmaster and the processes it started."""
    postmaster = int((server.root / "data" / "postmaster.pid").read_text().split()[0])
    total = cpu_seconds(postmaster)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                total += cpu_seconds(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return total


def _p99(ordered: list[float]) -> float:
    return 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else float("nan")


CGROUP = Path("/sys/fs/cgroup/cpu")


def _quota(name: str, share: float) -> Path:
    """A cgroup v1 cpu group allowed `share` of one CPU."""
    group = CGROUP / f"mlsquiz-bench-{name}"
    group.mkdir(exist_ok=True)
    (group / "cpu.cfs_period_us").write_text("100000")
    (group / "cpu.cfs_quota_us").write_text(str(int(share * 100_000)))
    return group


def _join(group: Path):
    return lambda: (group / "cgroup.procs").write_text(str(os.getpid()))


async def one_run(kind: str, users: int, seconds: float, delay: float, warmup: float, sends: float,
                  flood: float = 0.0, backend: str = "sqlite", replicas: int = 0, quota: float = 0.0) -> dict:
    """`replicas` > 0: that many webhook replicas (PostgreSQL); `quota` > 0: each bot process held to that share
    of a CPU instead of pinned to BOT_CORE."""
    standin = StandIn(TOKEN)
    standin.keep_calls = False
    standin.delay = delay
    await standin.start()
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MLSQUIZ_"))}
        if kind == "mlsquiz":
            env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=standin.url,
                       MLSQUIZ_DB=str(Path(tmp) / "load.sqlite3"), MLSQUIZ_LOG_LEVEL="WARNING",
                       MLSQUIZ_SENDS_PER_SECOND=str(sends))
            if backend == "postgresql":  # durable commits; pinned: on the bot's core, the two share it
                from tests.pg import PgServer

                server = PgServer(durable=True, cpus=None if quota else str(BOT_CORE)).start()
                env["MLSQUIZ_DATABASE_URL"] = server.fresh_database()
            cmd = [sys.executable, "-m", "bot"]
            if os.environ.get("LOAD_PROFILE"):  # e.g. LOAD_PROFILE=/tmp/bot.svg: a py-spy flame graph of the bot
                cmd = [str(Path(sys.executable).parent / "py-spy"), "record", "-o", os.environ["LOAD_PROFILE"],
                       "-f", "raw", "--gil", "-r", "250", "--", *cmd]
            sim = QuizUsers(standin, range(1_000_001, 1_000_001 + users))
        else:
            cmd = [sys.executable, str(ROOT / "bench" / "echo_bot.py"), TOKEN, standin.url]
            if kind == "echo-tuned":
                cmd.append("--tuned")
            sim = EchoUsers(standin, range(1_000_001, 1_000_001 + users))
        flooder = Flooder(standin, 999_999, flood) if flood else None
        ready = asyncio.Event()
        started = [0]
        telegram = None
        ports = [free_port() for _ in range(replicas)]
        if replicas:
            telegram = Telegram(ports, random.Random(1))
            standin.push = telegram.push  # type: ignore[method-assign]

        def on_call(call: Call) -> None:
            if call.method == ("setWebhook" if replicas else "setMyCommands"):
                started[0] += 1
                if started[0] >= max(1, replicas):
                    ready.set()
            sim.on_call(call)
            if flooder is not None:
                flooder.on_call(call)

        standin.on_call = on_call
        procs = []
        for i in range(max(1, replicas)):
            place = _join(_quota(str(i), quota)) if quota else _pin(BOT_CORE)
            extra = webhook_env(ports[i]) if replicas else {}
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env={**env, **extra}, preexec_fn=place,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        try:
            await asyncio.wait_for(ready.wait(), 60)
            await asyncio.sleep(1.0)
            sim.start()
            if flooder is not None:
                flooder.start()
            await asyncio.sleep(warmup)
            sim.measuring = True
            if flooder is not None:
                flooder.measuring, flood_sent0 = True, flooder.sent
            t0, bot_cpu0, own_cpu0 = time.monotonic(), sum(cpu_seconds(p.pid) for p in procs), time.process_time()
            db_cpu0 = _server_cpu(server) if server is not None else 0.0
            await asyncio.sleep(seconds)
            sim.measuring = False
            if flooder is not None:
                flooder.measuring = False
                flooder._task.cancel()
            elapsed = time.monotonic() - t0
            bot_cpu = (sum(cpu_seconds(p.pid) for p in procs) - bot_cpu0) / elapsed
            harness_cpu = (time.process_time() - own_cpu0) / elapsed
            rss = max(peak_rss_mb(p.pid) for p in procs)
            db_cpu = (_server_cpu(server) - db_cpu0) / elapsed if server is not None else float("nan")
        finally:
            err = b""
            for p in procs:
                p.send_signal(signal.SIGINT)  # py-spy (LOAD_PROFILE) writes its profile on SIGINT; the bot stops
            for p in procs:
                try:
                    _, e = await asyncio.to_thread(p.communicate, timeout=30)
                    err += e or b""
                except subprocess.TimeoutExpired:
                    p.kill()
            if telegram is not None:
                await telegram.close()
            await standin.stop()
            if server is not None:
                server.stop()
    lat, buttons = sorted(sim.latencies), sorted(sim.button_latencies)
    if b"Traceback" in (err or b""):
        print(err.decode()[-2000:], file=sys.stderr)
    flood_stats = {}
    if flooder is not None:
        gaps = [b - a for a, b in itertools.pairwise(flooder.replies)]
        flood_stats = {"flood_sent_per_s": (flooder.sent - flood_sent0) / elapsed,
                       "flood_replies_per_s": len(flooder.replies) / elapsed,
                       "flood_min_gap_s": min(gaps) if gaps else float("nan")}
    return {
        **flood_stats,
        "bot": kind if backend == "sqlite" else f"{kind}/pg" + (f"×{replicas}" if replicas else ""),
        "delay_ms": int(delay * 1000), "users": users, "db_cpu": db_cpu,
        "per_second": sim.answers / elapsed,
        "p50_ms": 1000 * statistics.median(lat) if lat else float("nan"),
        "p99_ms": _p99(lat), "buttons_p99_ms": _p99(buttons),
        "peak_rss_mb": rss, "bot_cpu": bot_cpu, "harness_cpu": harness_cpu,
        # Machine-independent-ish: the bot's CPU time per answer, comparable across runs on a noisy VM.
        "cpu_ms": 1000 * bot_cpu * elapsed / sim.answers if sim.answers else float("nan"),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--delays", type=float, nargs="+", default=[0.0, 0.05])
    parser.add_argument("--bots", nargs="+", default=["mlsquiz", "echo"], choices=["mlsquiz", "echo", "echo-tuned"],
                        help="echo-tuned: the echo bot with mlsquiz's aiohttp backend, uvloop and concurrency")
    # The bot's own capacity, not Telegram's ~30 messages/s: its flood limiter is opened wide here.
    parser.add_argument("--sends-per-second", type=float, default=100_000)
    parser.add_argument("--backends", nargs="+", default=["sqlite"], choices=["sqlite", "postgresql"],
                        help="the databases mlsquiz runs on (PostgreSQL: a durable server the benchmark starts, "
                             "pinned to the bot's core)")
    parser.add_argument("--capacity", action="store_true",
                        help="mlsquiz on SQLite/1, PostgreSQL with 1 replica and with 2, side by side (see above)")
    parser.add_argument("--quota", type=float, default=0.0,
                        help="each bot process held to this share of a CPU (cgroup v1) instead of pinned to a core")
    parser.add_argument("--flood", type=float, default=0.0, metavar="RATE",
                        help="instead: mlsquiz with and without one more user sending RATE messages/s; "
                             "reports the other users' p99 both ways")
    args = parser.parse_args()
    if args.capacity:
        await capacity_runs(args)
        return
    os.sched_setaffinity(0, {HARNESS_CORE})
    if args.flood:
        await flood_runs(args)
        return
    results = []
    for delay in args.delays:
        for kind, backend in [(k, b) for k in args.bots for b in (args.backends if k == "mlsquiz" else ["sqlite"])]:
            r = await one_run(kind, args.users, args.seconds, delay, args.warmup, args.sends_per_second,
                              backend=backend)
            results.append(r)
            print(f"{r['bot']:8s} delay {r['delay_ms']:3d} ms  {r['users']} users: {r['per_second']:7.1f}/s  "
                  f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms (buttons {r['buttons_p99_ms']:6.1f})  "
                  f"peak RSS {r['peak_rss_mb']:.1f} MB  "
                  f"CPU: bot {r['bot_cpu']:.0%} ({r['cpu_ms']:.2f} ms per answer), "
                  f"stand-in and users {r['harness_cpu']:.0%}",
                  flush=True)
    for delay in args.delays:
        by = {r["bot"]: r for r in results if r["delay_ms"] == int(delay * 1000)}
        for echo in ("echo", "echo-tuned"):
            if {"mlsquiz", echo} <= set(by):
                print(f"delay {int(delay * 1000)} ms: mlsquiz answers / {echo} replies = "
                      f"{by['mlsquiz']['per_second'] / by[echo]['per_second']:.2f}")


async def capacity_runs(args) -> None:
    results = []
    for delay in args.delays:
        # PostgreSQL long-polling (alone) beside webhook replicas: what sharing the inbox through turns costs.
        for backend, replicas in (("sqlite", 0), ("postgresql", 0), ("postgresql", 1), ("postgresql", 2)):
            r = await one_run("mlsquiz", args.users, args.seconds, delay, args.warmup, args.sends_per_second,
                              backend=backend, replicas=replicas, quota=args.quota)
            results.append(r)
            print(f"{r['bot']:12s} delay {r['delay_ms']:3d} ms  {r['users']} users: {r['per_second']:7.1f}/s  "
                  f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms (buttons {r['buttons_p99_ms']:6.1f})  "
                  f"bots' CPU {r['bot_cpu']:.2f} ({r['cpu_ms']:.2f} ms per answer), PostgreSQL's {r['db_cpu']:.2f}, "
                  f"harness {r['harness_cpu']:.2f}  peak RSS {r['peak_rss_mb']:.1f} MB", flush=True)
        one, two = results[-2], results[-1]
        print(f"delay {int(delay * 1000)} ms: 2 replicas / 1 = {two['per_second'] / one['per_second']:.2f}", flush=True)


async def flood_runs(args) -> None:
    for delay in args.delays:
        calm = await one_run("mlsquiz", args.users, args.seconds, delay, args.warmup, args.sends_per_second)
        flooded = await one_run("mlsquiz", args.users, args.seconds, delay, args.warmup, args.sends_per_second,
                                flood=args.flood)
        for name, r in (("without flood", calm), ("with flood", flooded)):
            print(f"delay {r['delay_ms']:3d} ms, {r['users']} users {name:13s}: {r['per_second']:6.1f} answers/s  "
                  f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms (buttons {r['buttons_p99_ms']:6.1f})  "
                  f"bot CPU {r['bot_cpu']:.0%}", flush=True)
        print(f"  flooder sent {flooded['flood_sent_per_s']:.1f} messages/s and got "
              f"{flooded['flood_replies_per_s']:.2f} "
              f"messages/s back, at least {flooded['flood_min_gap_s']:.2f} s apart; others' p99 "
              f"{flooded['p99_ms'] / calm['p99_ms'] - 1:+.0%} (buttons "
              f"{flooded['buttons_p99_ms'] / calm['buttons_p99_ms'] - 1:+.0%})", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
