"""Receiving updates so that none is lost: store each one before confirming it to Telegram (the next getUpdates
offset, or the webhook's 200: bot/tg/webhook.py).

python-telegram-bot's Updater confirms an update (the next getUpdates offset) as soon as it is in
the in-memory queue, so a crash loses whatever was queued but not yet handled. Here the fetched
batch is written to the `inbox` table in one transaction first; only then does the next
getUpdates confirm it. An update leaves the inbox in the transaction that marks it handled, and
whatever is still there at start-up is handled again. An update already handled is not handed
over again (checked when it is stored), and answers are idempotent by ask (the first answer wins),
so a redelivery changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.storage.batch import GroupCommit
from bot.storage.inbox import Inbox
from bot.tg.metrics import Metrics

log = logging.getLogger(__name__)

KEEP_HANDLED = timedelta(days=2)  # Telegram redelivers an unconfirmed update for at most 24 hours


class Intake:
    """Long-polls getUpdates, stores each batch durably, then hands the updates to the Application."""

    def __init__(self, app: Application, inbox: Inbox, *, clock: Callable[[], datetime], timeout: int,
                 limit: int = 100, metrics: Metrics | None = None):
        self.app, self.inbox, self.clock, self.metrics = app, inbox, clock, metrics
        self.timeout, self.limit = timeout, limit
        self.offset: int | None = None
        self._queued: set[int] = set()  # ids handed over in this process, so a redelivery is not queued twice
        self._done: GroupCommit[int] = GroupCommit(lambda ids: inbox.handled(ids, clock()))
        self._accepting = asyncio.Lock()

    async def replay(self) -> int:
        """Queue the updates a previous run stored but did not finish; returns how many."""
        await self.inbox.prune(self.clock() - KEEP_HANDLED)
        pending = await self.inbox.pending()
        for _, payload in pending:
            await self._hand_over(json.loads(payload))
        if pending:
            log.info("replaying %d updates received before the last stop", len(pending))
        return len(pending)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set. Network trouble is retried with back-off, never fatal."""
        backoff = 1.0
        while not stop.is_set():
            try:
                await self.poll_once()
                backoff = 1.0
            except RetryAfter as exc:
                await _sleep_or_stop(stop, _seconds(exc.retry_after))
            except (InvalidToken, Conflict) as exc:
                log.error("getUpdates refused: %s; retrying in %.0f s", exc, backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 60.0)
            except TelegramError as exc:
                log.warning("getUpdates failed: %s; retrying in %.0f s", exc, backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 30.0)

    async def poll_once(self) -> int:
        """One getUpdates: store what arrived, then queue it. Returns the number of updates."""
        # The raw JSON, not Update objects: it is what we store, and one update this version of
        # python-telegram-bot cannot read must not block the batch (get_updates would raise for all).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBUserWarning)  # "use Bot.get_updates": we mean the raw call
            raw = await self.app.bot.do_api_request(
                "getUpdates",
                api_kwargs={"offset": self.offset, "limit": self.limit, "timeout": self.timeout,
                            "allowed_updates": list(Update.ALL_TYPES)},
                read_timeout=self.timeout + 10,
            )
        if not raw:
            return 0
        raw = [u for u in raw if isinstance(u, dict) and isinstance(u.get("update_id"), int)]
        fresh = await self._store(raw)
        # Only now may the next getUpdates confirm them.
        if raw:
            self.offset = max(u["update_id"] for u in raw) + 1
        for data in fresh:
            await self._hand_over(data)
        return len(raw)

    async def accept(self, update: dict) -> None:
        """One update posted to the webhook: stored durably, then queued. When this returns the update is safe
        to acknowledge; if it raises, it was not stored and Telegram must deliver it again."""
        # One at a time: updates are queued in the order they were stored, as with getUpdates.
        async with self._accepting:
            for data in await self._store([update]):
                await self._hand_over(data)

    async def _store(self, raw: list[dict]) -> list[dict]:
        """Store the updates not seen before; returns those to handle."""
        fresh = [u for u in raw if u["update_id"] not in self._queued]
        if not fresh:
            return []
        # A redelivery of an update handled before (the process died before confirming it) stops here.
        todo = await self.inbox.store([(u["update_id"], json.dumps(u)) for u in fresh], self.clock())
        return [u for u in fresh if u["update_id"] in todo]

    async def _hand_over(self, data: dict) -> None:
        update_id = data["update_id"]
        if update_id in self._queued:
            return
        self._queued.add(update_id)
        if self.metrics is not None:
            self.metrics.arrived(update_id)
        if len(self._queued) > 100_000:  # bounded: dedup across restarts is the database's job
            self._queued = set(sorted(self._queued)[-50_000:])
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # noqa: BLE001 (any shape Telegram may send that this version cannot read)
            log.warning("update %s could not be read (%s); skipped", update_id, type(exc).__name__)
            await self.done(update_id)
            return
        await self.app.update_queue.put(update)

    async def done(self, update_id: int) -> None:
        """The update is handled: record it (many handlers' records share one transaction)."""
        await self._done.write(update_id)
        if self.metrics is not None:
            self.metrics.finished(update_id)

    async def confirm(self) -> None:
        """Confirm everything fetched so far (at shutdown, once the queue is handled)."""
        if self.offset is not None:
            try:
                await self.app.bot.get_updates(offset=self.offset, limit=1, timeout=0)
            except TelegramError as exc:
                log.info("could not confirm the last updates (%s); they will be deduplicated next time", exc)


def _seconds(value) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
