"""Benchmark: many groups running competition rounds at once, every player pressing answer buttons.

    .venv/bin/python bench/groups.py                      # 100 groups x 20 players, 5 questions of 10 s
    .venv/bin/python bench/groups.py --burst              # capacity: each question's 2,000 presses at once
    .venv/bin/python bench/groups.py --groups 10 --players 5 --questions 2

The bot side is the real Application (`bot.tg.app.run`: polling, handlers, the round timer job, the
AIORateLimiter, a real SQLite file). The Bot API stand-in runs in its own process together with the
simulated players, so the bot process is measured on its own: each group adds the bot, an admin sets
10 s per question and sends /compete; each player presses a random letter 0.2-3 s after a question
appears. Reports:
  - answers processed per second: per question wave (all groups' presses for question k), answers
    acknowledged / (last acknowledgement - first press); the mean and the slowest wave,
  - time from a press reaching the stand-in to the bot's answerCallbackQuery (sent only after the answer
    is committed), p50/p99: this includes the getUpdates round trip,
  - messages (sendMessage + editMessageText) per group in any sliding 60 s window: must stay <= 20,
  - the toasts: how many presses were locked in and how many refused as too late,
  - Telegram's own 429s (none expected: the stand-in runs with the 30 msg/s limit here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standin import BOT_ID, BOT_USERNAME, Call, StandIn  # noqa: E402

TOKEN = "123456789:BENCH-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def max_in_window(times: list[float], window: float = 60.0) -> int:
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


class Crowd(StandIn):
    """The stand-in plus the players: it presses buttons under every question the bot posts in a group."""

    def __init__(self, token: str, groups: int, players: int, seed: int):
        super().__init__(token)
        self.keep_calls = False
        self.n_groups, self.n_players = groups, players
        self.rng = random.Random(seed)
        self.pressed: dict[str, tuple[float, int]] = {}  # callback id -> (pushed at, question position)
        self.latencies: list[float] = []
        self.waves: dict[int, list[float]] = defaultdict(lambda: [float("inf"), 0.0, 0])  # first, last, count
        self.group_msgs: dict[int, list[float]] = defaultdict(list)
        self.finished: set[int] = set()
        self.done = asyncio.Event()
        self.presses = 0
        self.burst = False
        self.held: dict[int, list] = defaultdict(list)
        self.by_wave: dict[int, list[float]] = defaultdict(list)
        self.toasts: dict[str, int] = defaultdict(int)  # "🔒 Locked in", "⌛ Too late — ...", ...

    def chat(self, g: int) -> dict:
        return self.group_chat(-1_000_000_000_000 - g, f"Bench group {g}")

    def admin(self, g: int) -> int:
        return 10_000_000 + g

    def player(self, g: int, i: int) -> int:
        return 20_000_000 + g * 1000 + i

    async def begin(self) -> None:
        for g in range(self.n_groups):
            chat = self.chat(g)
            self.admins[chat["id"]] = {self.admin(g)}
            await self.membership(chat, self.admin(g), "left", "member")
            await self.group_text(chat, self.admin(g), f"/groupsettings@{BOT_USERNAME} time 10", "Admin")
            await self.group_text(chat, self.admin(g), f"/compete@{BOT_USERNAME} {self.questions}", "Admin")

    def _result(self, call: Call):
        result = super()._result(call)
        now = time.monotonic()
        if call.method == "answerCallbackQuery":
            got = self.pressed.pop(str(call.params.get("callback_query_id")), None)
            if got is not None:
                self.toasts[str(call.params.get("text", "")).split(":")[0]] += 1
                self.latencies.append(now - got[0])
                self.by_wave[got[1]].append(now - got[0])
                wave = self.waves[got[1]]
                wave[1] = max(wave[1], now)
                wave[2] += 1
        elif call.chat_id is not None and call.chat_id < 0 and call.method in ("sendMessage", "editMessageText"):
            self.group_msgs[call.chat_id].append(now)
            buttons = call.buttons() if call.method == "sendMessage" else []
            if buttons and buttons[0]["callback_data"].startswith("g:"):
                g = -1_000_000_000_000 - call.chat_id
                if self.burst:  # hold the presses until every group shows this question, then all at once
                    position = int(buttons[0]["callback_data"].split(":")[2])
                    held = self.held[position]
                    held.append((g, result["message_id"], buttons))
                    if len(held) == self.n_groups:
                        for g2, msg_id, b2 in held:
                            for i in range(self.n_players):
                                asyncio.get_running_loop().create_task(self._press(g2, i, msg_id, b2))
                else:
                    for i in range(self.n_players):
                        asyncio.get_running_loop().create_task(self._press(g, i, result["message_id"], buttons))
            if "Round over" in call.text or "Round ended" in call.text:
                self.finished.add(call.chat_id)
                if len(self.finished) == self.n_groups:
                    self.done.set()
        return result

    async def _press(self, g: int, i: int, message_id: int, buttons: list[dict]) -> None:
        await asyncio.sleep(self.rng.uniform(0.0, 0.3) if self.burst else self.rng.uniform(0.2, 3.0))
        data = self.rng.choice(buttons)["callback_data"]
        position = int(data.split(":")[2])
        cb_id = f"{g}-{i}-{message_id}"
        chat = self.chat(g)
        update = {"callback_query": {
            "id": cb_id, "from": self.user(self.player(g, i), f"P{i}"), "chat_instance": str(chat["id"]),
            "data": data,
            "message": {"message_id": message_id, "date": int(time.time()), "chat": chat,
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "MLS Quiz"}, "text": "question"},
        }}
        now = time.monotonic()
        self.pressed[cb_id] = (now, position)
        wave = self.waves[position]
        wave[0] = min(wave[0], now)
        self.presses += 1
        await self.push(update)

    def report(self) -> dict:
        rates = [count / (last - first) for first, last, count in self.waves.values() if count and last > first]
        per_group = [max_in_window(times) for times in self.group_msgs.values()]
        return {
            "presses": self.presses,
            "answers_acknowledged": len(self.latencies),
            "toasts": dict(self.toasts),
            "answers_per_second_mean_wave": round(sum(rates) / len(rates), 1) if rates else 0,
            "answers_per_second_slowest_wave": round(min(rates), 1) if rates else 0,
            "press_to_ack_p50_ms": round(1000 * percentile(self.latencies, 0.50)),
            "press_to_ack_p99_ms": round(1000 * percentile(self.latencies, 0.99)),
            "press_to_ack_max_ms": round(1000 * max(self.latencies, default=0)),
            "press_to_ack_p99_ms_by_question": [round(1000 * percentile(self.by_wave[k], 0.99))
                                                for k in sorted(self.by_wave)],
            "group_msgs_max_in_any_60s": max(per_group, default=0),
            "group_msgs_mean_in_busiest_60s": round(sum(per_group) / len(per_group), 1) if per_group else 0,
            "groups_finished": len(self.finished),
            "429s": self.too_many,
        }


async def crowd_main(args: argparse.Namespace) -> None:
    crowd = Crowd(args.token, args.groups, args.players, args.seed)
    crowd.questions = args.questions
    crowd.burst = args.burst
    crowd.max_per_second = 30  # Telegram's overall limit: a 429 beyond it
    await crowd.start()
    print(crowd.url, flush=True)
    await crowd.begin()
    started = time.monotonic()
    try:
        await asyncio.wait_for(crowd.done.wait(), args.timeout)
    except TimeoutError:
        pass
    report = crowd.report() | {"seconds": round(time.monotonic() - started, 1)}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report["standin_cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    print(json.dumps(report), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await crowd.stop()


async def bot_main(args: argparse.Namespace) -> None:
    from bot.config import Settings
    from bot.content import load_bank
    from bot.tg.app import run

    proc = subprocess.Popen(
        [sys.executable, __file__, "--crowd", "--token", TOKEN, "--groups", str(args.groups), "--players",
         str(args.players), "--questions", str(args.questions), "--timeout", str(args.timeout)]
        + (["--burst"] if args.burst else []),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url, MLSQUIZ_DB=Path(tmp) / "bench.sqlite3",
                            MLSQUIZ_LOG_LEVEL="WARNING")
        stop = asyncio.Event()
        bot = asyncio.create_task(run(settings, load_bank(settings.content), stop, poll_timeout=1,
                                      handle_signals=False))
        line = await loop.run_in_executor(None, proc.stdout.readline)
        stop.set()
        await bot
    proc.stdin.close()
    proc.wait(timeout=30)
    report = json.loads(line)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report |= {"burst": args.burst, "groups": args.groups, "players_per_group": args.players,
               "questions": args.questions,
               "bot_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
               "bot_peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}
    print(json.dumps(report, indent=1), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--players", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--burst", action="store_true",
                        help="capacity: hold each question's presses until all groups show it, then press within 0.3 s")
    parser.add_argument("--crowd", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--token", default=TOKEN, help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(crowd_main(args) if args.crowd else bot_main(args))


if __name__ == "__main__":
    main()
