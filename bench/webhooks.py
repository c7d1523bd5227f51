"""Telegram's side of webhook mode for the benchmarks: updates posted to the bot's replicas over HTTP."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import socket
from collections import defaultdict

import aiohttp

HOOK, SECRET = "https://bot.example.org/hook", "bench-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_env(port: int) -> dict[str, str]:
    """The settings of a replica listening on `port` (MLSQUIZ_DATABASE_URL is the caller's)."""
    return {"MLSQUIZ_WEBHOOK_URL": HOOK, "MLSQUIZ_WEBHOOK_SECRET": SECRET, "MLSQUIZ_WEBHOOK_LISTEN": "127.0.0.1",
            "MLSQUIZ_WEBHOOK_PORT": str(port), "MLSQUIZ_REPLICA_LEASE": "3"}


class Telegram:
    """Posts updates as Telegram does: a chat's updates one at a time, each until a replica answers 200 (one picked
    at random, as a load balancer would; another after a refusal or a dropped connection). Install it as the
    stand-in's `push`, and every update its helpers send (say, tap) goes through a webhook."""

    def __init__(self, ports: list[int], rng: random.Random):
        self.ports, self.rng = ports, rng
        self.chats: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.http: aiohttp.ClientSession | None = None
        self.retries = 0
        self.ids = itertools.count(1)
        self.closed = False

    async def push(self, update: dict) -> dict:
        if self.http is None:
            self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        update = {"update_id": next(self.ids), **update}  # numbered as they arrive
        async with self.chats[_chat_of(update)]:
            while not self.closed:
                port = self.rng.choice(self.ports)
                try:
                    async with self.http.post(f"http://127.0.0.1:{port}/hook", data=json.dumps(update),
                                              headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                                       "Content-Type": "application/json"}) as r:
                        await r.read()
                        if r.status == 200:
                            return update
                except (aiohttp.ClientError, TimeoutError, RuntimeError):  # RuntimeError: closed meanwhile
                    pass
                self.retries += 1
                await asyncio.sleep(0.05)
        return update  # closed: the run is over, the update goes nowhere

    async def close(self) -> None:
        self.closed = True
        if self.http is not None:
            await self.http.close()


def _chat_of(update: dict) -> int:
    body = update.get("message") or update.get("callback_query", {}).get("message") or {}
    return int(body.get("chat", {}).get("id", 0))
