"""Group commit: many small writes that arrive together share one transaction.

Each caller awaits until its own item is durable. While one flush runs, new items queue up
and go in the next one (after an optional short linger), so a transaction carries only a few
milliseconds' worth of items, which keeps the window a crash can lose small.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    def __init__(self, flush: Callable[[Sequence[T]], Awaitable[None]], max_items: int = 1000,
                 linger: float = 0.0):
        self._flush = flush
        self._max = max_items
        self._linger = linger  # wait this long for company before a flush: fewer, larger transactions
        self._queue: list[tuple[T, asyncio.Future[None]]] = []
        self._running: asyncio.Task[None] | None = None

    async def write(self, item: T) -> None:
        """Return once `item` has been committed (or raise what the commit raised)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self._queue:
            if self._linger and len(self._queue) < self._max:
                await asyncio.sleep(self._linger)
            batch, self._queue = self._queue[: self._max], self._queue[self._max :]
            try:
                await self._flush([item for item, _ in batch])
            except Exception as exc:  # noqa: BLE001 (handed to every waiting caller)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
