"""Updates from different people are handled at once; one person's updates stay strictly in order.

With python-telegram-bot's default every update waits for the one before it, so in a busy group
competition the twentieth press waits for nineteen database commits and HTTP calls, and is timed
late. Keying by user keeps a private chat (one user) exactly as sequential as before, while presses
from different players, and different groups, overlap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT = 256  # handlers waiting on the rate limiter hold a slot: keep room for the rest


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Also notes when each update arrived (by the bot's clock), so a busy moment does not make a press late."""

    def __init__(self, clock: Callable[[], datetime], max_concurrent_updates: int = MAX_CONCURRENT):
        super().__init__(max_concurrent_updates)
        self.clock = clock
        self._locks: dict[object, tuple[asyncio.Lock, list[int]]] = {}
        self._received: dict[int, datetime] = {}

    async def process_update(self, update: object, coroutine: Awaitable) -> None:
        # Called as soon as the update is taken from the queue, before any waiting for a free slot.
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None:
            self._received[update_id] = self.clock()
        try:
            await super().process_update(update, coroutine)
        finally:
            if update_id is not None:
                self._received.pop(update_id, None)

    def received_at(self, update_id: int) -> datetime | None:
        return self._received.get(update_id)

    def oldest_in_progress(self) -> datetime | None:
        """When the oldest update still being handled arrived; None if none is."""
        return min(self._received.values(), default=None)

    @staticmethod
    def _key(update: object) -> object:
        if isinstance(update, Update):
            if update.effective_user is not None:
                return ("user", update.effective_user.id)
            if update.effective_chat is not None:
                return ("chat", update.effective_chat.id)
        return ("other", None)

    async def do_process_update(self, update: object, coroutine: Awaitable) -> None:
        key = self._key(update)
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:  # FIFO: this user's updates run in the order they arrived
                await coroutine
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
