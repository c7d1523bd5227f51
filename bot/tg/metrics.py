"""What the bot counts for Prometheus (/metrics): updates handled and how long they took, the inbox, Bot API
errors, daily pushes. One registry per Application, so that several in one process (tests) never collide."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.storage.inbox import Inbox

CONTENT_TYPE = CONTENT_TYPE_LATEST
# From an update's arrival to its handling done: a tap's answer is in the tens of milliseconds, a busy
# moment (a group round closing, the daily push) in seconds.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self, inbox: Inbox, clock: Callable[[], datetime]):
        self.inbox, self.clock = inbox, clock
        self.registry = CollectorRegistry()
        self.handled = Counter("mlsquiz_updates_handled", "Updates handled", registry=self.registry)
        self.latency = Histogram("mlsquiz_update_latency_seconds", "From an update's arrival to its handling done",
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.inbox_depth = Gauge("mlsquiz_inbox_depth", "Updates stored but not yet handled", registry=self.registry)
        self.inbox_age = Gauge("mlsquiz_inbox_oldest_age_seconds", "Age of the oldest update not yet handled",
                               registry=self.registry)
        self.api_errors = Counter("mlsquiz_bot_api_errors", "Bot API answers with an error status", ["code"],
                                  registry=self.registry)
        self.pushes = Counter("mlsquiz_pushes", "Daily drill pushes, by what happened to them", ["status"],
                              registry=self.registry)
        self.replicas = Gauge("mlsquiz_replicas_alive", "Replicas beating on this database, this one included "
                              "(each sends at most its share of the bot's rate)", registry=self.registry)
        self.replicas.set(1)
        self._arrived: dict[int, float] = {}

    def arrived(self, update_id: int) -> None:
        self._arrived[update_id] = time.monotonic()
        if len(self._arrived) > 100_000:  # updates handed over but never finished (a crash in a handler)
            self._arrived.clear()

    def finished(self, update_id: int) -> None:
        self.handled.inc()
        if (start := self._arrived.pop(update_id, None)) is not None:
            self.latency.observe(time.monotonic() - start)

    def api_error(self, status: int) -> None:
        self.api_errors.labels(code=str(status)).inc()

    def push(self, status: str, n: int = 1) -> None:
        if n:
            self.pushes.labels(status=status).inc(n)

    async def exposition(self) -> bytes:
        """The text format, with the inbox gauges read from the database now."""
        depth, oldest = await self.inbox.depth()
        self.inbox_depth.set(depth)
        self.inbox_age.set(0.0 if oldest is None else max(0.0, (self.clock() - oldest).total_seconds()))
        return generate_latest(self.registry)
