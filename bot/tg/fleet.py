"""This process as one of the bot's replicas: its heartbeat, its share of Telegram's limits, and the sweep that
takes over the updates of replicas that stopped (bot/storage/replicas.py, bot/tg/intake.py)."""

from __future__ import annotations

import asyncio
import logging

from bot.storage.replicas import BEAT, Replica
from bot.tg.intake import Intake
from bot.tg.limits import ChatRateLimiter
from bot.tg.metrics import Metrics

log = logging.getLogger(__name__)


async def keep_alive(replica: Replica, intake: Intake, limiter: ChatRateLimiter | None, metrics: Metrics,
                     stop: asyncio.Event, every: float = BEAT) -> None:
    """Until `stop`: beat, take this replica's share of the limits, and sweep up updates nobody alive holds."""
    failing = False
    loop = asyncio.get_running_loop()
    quiet_until = 0.0
    fewer_seen = 0  # a smaller count of replicas seen on the last beat (not yet acted on)
    while not stop.is_set():
        try:
            replicas = await replica.beat()
            if failing:
                log.info("the database answers again")
                # The others' beats failed too: give them a lease to beat again before taking their work.
                quiet_until = loop.time() + replica.lease.total_seconds()
            failing = False
            metrics.replicas.set(replicas)
            # More replicas: a smaller share at once. Fewer: a larger one only once two beats agree, so that the
            # last second's sends of one that just left are not added to this one's new rate.
            if limiter is None or replicas >= limiter.replicas:
                fewer_seen = 0
            if limiter is not None and replicas != limiter.replicas:
                if replicas > limiter.replicas or fewer_seen == replicas:
                    log.info("%d replicas alive: this one sends at most 1/%d of the bot's rate", replicas, replicas)
                    limiter.share(replicas)
                    fewer_seen = 0
                else:
                    fewer_seen = replicas  # acted on at the next beat if it still says so
            await intake.record_again()  # this replica's own work: no reason to wait after an outage
            if loop.time() >= quiet_until and (taken := await intake.sweep()):
                log.info("queued %d waiting updates that no live replica was handling", taken)
        except Exception as exc:  # noqa: BLE001 (the database away for a moment: beat again next time)
            if not failing:
                log.warning("heartbeat failed (%s); retrying every %.0f s", type(exc).__name__, every)
            failing = True
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass
