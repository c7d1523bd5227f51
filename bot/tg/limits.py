"""Flood control: python-telegram-bot's AIORateLimiter plus Telegram's one message per second per chat.

AIORateLimiter spaces sends overall (~30/s) and per group (20/min) and retries a 429 after its
retry_after, but it has no limit for a single private chat, where Telegram asks for at most one
message per second. A person flooding the bot must not make it flood them back.

Several replicas share the bot's limits by each taking its share of the overall and per-group rates (`share`,
from the count of live replicas in the database): no shared counter to update on every send. A private chat
keeps one message per second in each replica: a person's updates are handled by one replica at a time.
"""

from __future__ import annotations

import time
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

PER_CHAT_PER_SECOND = 1.0
_IDLE_CHAT = 60.0  # seconds after which a chat's limiter is forgotten (it would be full again anyway)


class ChatRateLimiter(AIORateLimiter):
    """AIORateLimiter with a one-message-per-second bucket for every private chat."""

    def __init__(self, *, per_chat_per_second: float = PER_CHAT_PER_SECOND, overall_max_rate: float = 1,
                 overall_time_period: float = 1, group_max_rate: float = 20, group_time_period: float = 60,
                 **kwargs: Any):
        super().__init__(overall_max_rate=overall_max_rate, overall_time_period=overall_time_period,
                         group_max_rate=group_max_rate, group_time_period=group_time_period, **kwargs)
        self._per_chat = per_chat_per_second
        self._chats: dict[int, tuple[AsyncLimiter, float]] = {}
        self._full = (overall_max_rate, overall_time_period, group_max_rate)
        self.replicas = 1

    def share(self, replicas: int) -> None:
        """Take 1/`replicas` of the overall and per-group rates (all of them again when alone)."""
        replicas = max(1, replicas)
        if replicas == self.replicas:
            return
        self.replicas = replicas
        overall_max, overall_period, group_max = self._full
        # The limiters are changed in place, not replaced: sends already waiting on a replaced one would go on at
        # the old rate beside the new one's (measured: 42 sends in a second from two replicas at 28/s overall).
        # aiolimiter (<1.3, pinned by python-telegram-bot) keeps the rate in `_rate_per_sec`.
        if self._base_limiter is not None:
            _set_rate(self._base_limiter, overall_max, overall_period * replicas)
        self._group_max_rate = max(1.0, group_max / replicas)
        for limiter in self._group_limiters.values():
            _set_rate(limiter, self._group_max_rate, limiter.time_period)

    def _limiter(self, chat_id: int) -> AsyncLimiter:
        now = time.monotonic()
        if len(self._chats) > 10_000:
            self._chats = {c: (lim, t) for c, (lim, t) in self._chats.items() if now - t < _IDLE_CHAT}
        limiter = self._chats[chat_id][0] if chat_id in self._chats else AsyncLimiter(1, 1 / self._per_chat)
        self._chats[chat_id] = (limiter, now)
        return limiter

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[override]
        chat_id = data.get("chat_id")
        # New messages only: edits and callback answers respond to a tap and replace, not add.
        if endpoint.startswith("send") and isinstance(chat_id, int) and chat_id > 0:
            async with self._limiter(chat_id):
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


def _set_rate(limiter: AsyncLimiter, max_rate: float, time_period: float) -> None:
    limiter._leak()  # noqa: SLF001 (see share) what drained until now drains at the old rate
    limiter.max_rate, limiter.time_period = max_rate, time_period
    limiter._rate_per_sec = max_rate / time_period  # noqa: SLF001 (see share)
