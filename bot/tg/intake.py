"""Receiving updates so that none is lost: store each one before confirming it to Telegram (the next getUpdates
offset, or the webhook's 200: bot/tg/webhook.py).

python-telegram-bot's Updater confirms an update (the next getUpdates offset) as soon as it is in
the in-memory queue, so a crash loses whatever was queued but not yet handled. Here the fetched
batch is written to the `inbox` table in one transaction first; only then does the next
getUpdates confirm it. An update leaves the inbox in the transaction that marks it handled, and
whatever is still there at start-up is handled again. An update already handled is not handed
over again (checked when it is stored), and answers are idempotent by ask (the first answer wins),
so a redelivery changes nothing.

Several processes may share one inbox (replicas behind a webhook, on PostgreSQL): each person's updates are
handled by one process at a time, in update_id order, whichever process stored them: the turns of
bot/storage/inbox.py. A process hands over only the updates of turns it holds; `sweep` takes over the turns of
processes that stopped beating, and gives this process's own let-go updates another try.
"""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.storage.batch import GroupCommit
from bot.storage.inbox import Inbox, Row
from bot.storage.replicas import Replica
from bot.tg.metrics import Metrics
from bot.tg.ordering import update_key

log = logging.getLogger(__name__)

KEEP_HANDLED = timedelta(days=2)  # Telegram redelivers an unconfirmed update for at most 24 hours
GIVE_UP_AFTER = 5  # tries of an update whose database connection keeps failing (a query the server refuses)


class Intake:
    """Long-polls getUpdates, stores each batch durably, then hands the updates to the Application."""

    def __init__(self, app: Application, inbox: Inbox, replica: Replica, *, clock: Callable[[], datetime],
                 timeout: int, limit: int = 100, metrics: Metrics | None = None):
        self.app, self.inbox, self.replica, self.clock, self.metrics = app, inbox, replica, clock, metrics
        self.timeout, self.limit = timeout, limit
        self.offset: int | None = None
        self._queued: set[int] = set()  # ids handed over in this process, so a redelivery is not queued twice
        self._turn_of: dict[int, str] = {}  # update id -> its turn, while it is being handled here
        self._received: dict[int, datetime] = {}  # update id -> when it was stored, while it is being handled
        self._tries: dict[int, int] = {}  # update id -> times it was let go (its database connection failed)
        self._unrecorded: set[int] = set()  # handled, but recording that failed: recorded again by the sweep
        self._done: GroupCommit[tuple[int, str | None]] = GroupCommit(self._record_done)
        # Alone, webhook posts that arrive together are stored in one transaction, in the order they came, as a
        # getUpdates batch is: one commit for many. Not between replicas: a batch holds many people's turn locks
        # at once, the other replica's writes queue behind them, and 2 replicas did no more than 1 (measured with
        # bench/load.py --capacity: 1.11x with batches, 1.59-2.03x in three runs one post per transaction).
        self._posted: GroupCommit[dict] = GroupCommit(self._store_posted, max_items=100)
        self._accepting = asyncio.Lock()
        # Replicas (webhook mode on PostgreSQL): each person's updates wait for their turn (bot/storage/inbox.py).
        # Alone, this process orders them itself (bot/tg/ordering.py) and turns would only cost.
        self.shared = False
        self.closing = False  # stopping: nothing more is handed over; what is stored waits in the inbox

    async def replay(self) -> int:
        """Queue the updates a previous run stored but did not finish; returns how many."""
        await self.inbox.prune(self.clock() - KEEP_HANDLED)
        count = await self.sweep()
        if count:
            log.info("replaying %d updates received before the last stop", count)
        return count

    async def sweep(self) -> int:
        """Queue what waits in the inbox with nobody handling it; returns how many were queued. Alone: whatever is
        not being handled here. Replicas: the updates of turns no live process holds (the holder stopped
        beating) and of this process's turns that it let go. First, records that failed are written again."""
        await self.record_again()
        if self.closing:
            return 0
        # Turns busy here: those with an update being handled (not one only waiting for its record to be written).
        busy = {t for u, t in self._turn_of.items() if u not in self._unrecorded}
        if not self.shared:
            rows = [r for r in await self.inbox.waiting() if r[0] not in self._queued and r[1] not in busy]
            return self._hand_over_rows(rows)
        old = await self.inbox.without_turn()
        if old:
            await self.inbox.set_turns([(uid, _turn(self.app, json.loads(payload), uid)) for uid, payload in old])
        free = [t for t in await self.inbox.free_turns(self.replica.id, self.replica.alive_after()) if t not in busy]
        if not free:
            return 0
        return self._hand_over_rows(await self.inbox.take(free, self.replica.id, self.replica.alive_after()))

    @property
    def unrecorded(self) -> int:
        return len(self._unrecorded)

    async def record_again(self) -> None:
        """Write the records that failed (all in one transaction): the updates are handled, only not recorded."""
        if self._unrecorded:
            await asyncio.gather(*(self.done(u, again=True) for u in list(self._unrecorded)))

    def received_at(self, update_id: int) -> datetime | None:
        """When an update being handled here was stored (by whichever replica took it in)."""
        return self._received.get(update_id)

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
        mine = await self._store(raw)
        # Only now may the next getUpdates confirm them.
        if raw:
            self.offset = max(u["update_id"] for u in raw) + 1
        self._hand_over_rows(mine)
        return len(raw)

    async def accept(self, update: dict) -> None:
        """One update posted to the webhook: stored durably, then queued. When this returns the update is safe
        to acknowledge; if it raises, it was not stored and Telegram must deliver it again."""
        if not self.shared:
            await self._posted.write(update)
            return
        async with self._accepting:  # one at a time, in the order they came
            await self._store_posted([update])

    async def _store_posted(self, updates: Sequence[dict]) -> None:
        self._hand_over_rows(await self._store(list(updates)))

    async def _store(self, raw: list[dict]) -> list[Row]:
        """Store the updates not seen before; returns those this process is to handle now."""
        fresh = [u for u in raw if u["update_id"] not in self._queued]
        if not fresh:
            return []
        # A redelivery of an update handled before (the process died before confirming it) stops here.
        rows = [(u["update_id"], _turn(self.app, u, u["update_id"]), json.dumps(u)) for u in fresh]
        return await self.inbox.store(rows, self.clock(), self.replica.id, self.replica.alive_after(),
                                      shared=self.shared)

    def _hand_over_rows(self, rows: list[Row]) -> int:
        count = 0
        for update_id, turn, payload, received_at in rows:
            if update_id not in self._queued and not self.closing:
                data = json.loads(payload)
                self._received[update_id] = datetime.fromisoformat(received_at)
                self._hand_over(update_id, turn or _turn(self.app, data, update_id), data)  # NULL: stored before turns
                count += 1
        return count

    def _hand_over(self, update_id: int, turn: str, data: dict) -> None:
        # Never waits: it may run inside the recording of other updates (`_record_done`).
        self._queued.add(update_id)
        self._turn_of[update_id] = turn
        if self.metrics is not None:
            self.metrics.arrived(update_id)
        if len(self._queued) > 100_000:  # bounded: dedup across restarts is the database's job
            self._queued = set(sorted(self._queued)[-50_000:]) | set(self._turn_of)
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # noqa: BLE001 (any shape Telegram may send that this version cannot read)
            log.warning("update %s could not be read (%s); skipped", update_id, type(exc).__name__)
            self.app.create_task(self.done(update_id), name=f"skip-{update_id}")
            return
        self.app.update_queue.put_nowait(update)  # unbounded

    def _finished(self, update_id: int) -> None:
        self._received.pop(update_id, None)
        self._turn_of.pop(update_id, None)

    def _last_of_turn(self, update_id: int) -> str | None:
        """The update's turn if no other update of it is being handled here (then it is given back)."""
        turn = self._turn_of.get(update_id)
        if not self.shared or turn is None:
            return None
        # A few hundred updates at most are being handled at once: counted, not kept as a second dict.
        return turn if sum(1 for t in self._turn_of.values() if t == turn) <= 1 else None

    async def done(self, update_id: int, *, again: bool = False) -> None:
        """The update is handled: record it (many handlers' records share one transaction)."""
        # Again (a failed record): its turn is given back if nothing of it is left in the inbox, whatever else of
        # it is being handled here, whose rows are still there.
        turn = self._turn_of.get(update_id) if again and self.shared else self._last_of_turn(update_id)
        try:
            await self._done.write((update_id, turn))
        except Exception as exc:  # noqa: BLE001 (the database away: handled is handled; only the record is retried)
            if update_id not in self._unrecorded:
                log.warning("update %s handled but not recorded (%s); recording it again shortly", update_id,
                            type(exc).__name__)
            self._unrecorded.add(update_id)  # its turn stays held here until then: nobody handles it again
            return
        self._unrecorded.discard(update_id)
        self._tries.pop(update_id, None)
        self._finished(update_id)
        if self.metrics is not None:
            self.metrics.finished(update_id)

    async def let_go(self, update_id: int) -> None:
        """The update failed because its database connection did: it stays in the inbox and the next sweep hands
        it over again, a few seconds on. One that fails like this every time is given up after a few tries."""
        tries = self._tries[update_id] = self._tries.get(update_id, 0) + 1
        if tries >= GIVE_UP_AFTER:
            log.error("update %s failed %d times over; given up", update_id, tries)
            await self.done(update_id)
            return
        self._finished(update_id)
        self._queued.discard(update_id)

    async def _record_done(self, items: Sequence[tuple[int, str | None]]) -> None:
        # Updates of a turn that arrived while its last one here was being recorded come back: handled next. One let
        # go (its connection failed) waits for the sweep: tried again a few seconds on, not at once.
        left = await self.inbox.handled(items, self.clock(), self.replica.id)
        self._hand_over_rows([r for r in left if r[0] not in self._tries])

    async def confirm(self) -> None:
        """Confirm everything fetched so far (at shutdown, once the queue is handled)."""
        if self.offset is not None:
            try:
                await self.app.bot.get_updates(offset=self.offset, limit=1, timeout=0)
            except TelegramError as exc:
                log.info("could not confirm the last updates (%s); they will be deduplicated next time", exc)


def _turn(app: Application, data: dict, update_id: int) -> str:
    """The line an update waits in: its user's, else its chat's, else its own."""
    try:
        key = update_key(Update.de_json(data, app.bot))
    except Exception:  # noqa: BLE001 (unreadable: it is skipped when handed over, on a line of its own)
        key = None
    return f"{key[0]}:{key[1]}" if key is not None else f"update:{update_id}"


def _seconds(value) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
