"""Handle different people's updates concurrently and each person's in the order they arrived."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def update_key(update: object) -> tuple[str, int] | None:
    """Whose turn an update waits for: its user's, else its chat's; None for updates tied to neither."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return None


class PerUserOrder(BaseUpdateProcessor):
    """Up to `max_concurrent_updates` updates at once, but one at a time per user.

    A person's second tap must see the first one's effect (toggle, then submit), so their updates run
    in arrival order. The per-user turn is taken before a concurrency slot, so a flood from one user
    waits in its own line and never occupies the slots everyone else needs.
    """

    def __init__(self, clock: Callable[[], datetime], max_concurrent_updates: int = 64):
        super().__init__(max_concurrent_updates)
        self.clock = clock
        self._turns: dict[tuple[str, int], asyncio.Lock] = {}
        self._waiting: dict[tuple[str, int], list[object]] = {}  # each person's updates waiting or running
        self._received: dict[int, datetime] = {}

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Noted before any waiting, so a busy moment does not make a group player's press late.
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None:
            self._received[update_id] = self.clock()
        try:
            await self._in_turn(update, coroutine)
        finally:
            if update_id is not None:
                self._received.pop(update_id, None)

    def received_at(self, update_id: int) -> datetime | None:
        """When an update still being handled reached the bot (by the bot's clock)."""
        return self._received.get(update_id)

    def oldest_in_progress(self) -> datetime | None:
        """When the oldest update still being handled arrived; None if none is."""
        return min(self._received.values(), default=None)

    async def _in_turn(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = update_key(update)
        if key is None:
            await super().process_update(update, coroutine)
            return
        lock = self._turns.setdefault(key, asyncio.Lock())
        line = self._waiting.setdefault(key, [])
        line.append(update)
        try:
            async with lock:  # asyncio.Lock is first come, first served
                await super().process_update(update, coroutine)
        finally:
            line.remove(update)
            if not line:
                del self._waiting[key], self._turns[key]

    def backlog(self, update: object) -> int:
        """How many of this update's user's updates are waiting or running (itself included)."""
        key = update_key(update)
        return len(self._waiting.get(key, ())) if key is not None else 0

    def behind(self, update: object) -> list[object]:
        """This update's user's updates that arrived after it and are still waiting."""
        line = self._waiting.get(update_key(update), [])
        return line[line.index(update) + 1:] if update in line else []

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
