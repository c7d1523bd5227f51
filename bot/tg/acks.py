"""Answering button presses (answerCallbackQuery) without letting an expired press stop the reply."""

from __future__ import annotations

import logging

from telegram import CallbackQuery
from telegram.error import BadRequest, TelegramError

log = logging.getLogger(__name__)


def _expired(exc: BadRequest) -> bool:
    message = exc.message.lower()
    return "query is too old" in message or "query id is invalid" in message


async def ack(query: CallbackQuery, text: str | None = None, *, show_alert: bool = False) -> None:
    """Answer a press; Telegram refuses presses older than a few seconds, which is no reason to skip the rest."""
    # A press handled late (replayed from the inbox after a restart, or queued behind a flood) can no longer
    # be answered, but its effect still has to be shown: the verdict edit that follows must run.
    try:
        await query.answer(text, show_alert=show_alert)
    except BadRequest as exc:
        if not _expired(exc):
            raise
        log.info("button press %s too old to answer; carrying on", query.id)
    except TelegramError as exc:
        # Timeouts, 5xx after the retries, floods: the toast is a courtesy; the verdict, the next question
        # or the drill that follows it must not be lost over it.
        log.warning("button press %s not answered (%s); carrying on", query.id, exc.__class__.__name__)
