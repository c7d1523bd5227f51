"""Run the Bot API stand-in as its own process, so a benchmark measures the bot and not its fake Telegram.

    python bench/standin_server.py TOKEN [--max-per-second 30] [--delay 0.05]

Prints the URL on the first line, then serves until stdin closes; prints counters on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.standin import StandIn


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("token")
    parser.add_argument("--max-per-second", type=float, default=None)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    server = StandIn(args.token)
    server.keep_calls = False
    server.max_per_second = args.max_per_second
    server.delay = args.delay
    per_chat: Counter[int] = Counter()  # new messages per chat: a push sent twice shows as 2

    import time as _t
    stamps: list[float] = []

    def count(call) -> None:
        if call.method == "sendMessage" and call.chat_id is not None:
            per_chat[call.chat_id] += 1
            stamps.append(_t.monotonic())

    server.on_call = count
    await server.start()
    print(server.url, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"sends": server.sends, "too_many": server.too_many,
                      "chats_sent_twice": sum(1 for n in per_chat.values() if n > 1),
                      "max_in_1s": max((sum(1 for u in stamps[i:i + 60] if u - t < 1.0) for i, t in enumerate(stamps)),
                                       default=0),
                      "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1)}), flush=True)
    await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
