"""The periodic jobs of plans: their own messages (the evening before an exam, the question after it), and
refitting learners' memory models. Both are claimed in the database, so one process does each."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.services.plan import PlanService
from bot.storage.plan import PlanEvent
from bot.tg.plan import render

log = logging.getLogger(__name__)


async def plan_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the plan messages that are due (and any an earlier run claimed but did not send)."""
    svc: PlanService = context.application.bot_data["plan"]
    for event in await svc.claim_events():
        try:
            await _send(context, svc, event)
        except Exception:  # one message's bug must not hold back the others; it stays claimed and is retried
            log.exception("plan message %s failed", event.kind)


async def _message(svc: PlanService, event: PlanEvent) -> tuple[int, str, InlineKeyboardMarkup | None] | None:
    """(chat, text, buttons) of a plan message, or None when it no longer applies (plan changed, user gone)."""
    if event.kind == "eve":
        eve = await svc.eve(event)
        return None if eve is None else (eve.chat_id, render.eve_text(eve), render.eve_keyboard(eve))
    ask = await svc.outcome_ask(event)
    return None if ask is None else (ask.chat_id, render.outcome_text(ask), render.outcome_keyboard(ask))


async def _send(context: ContextTypes.DEFAULT_TYPE, svc: PlanService, event: PlanEvent) -> None:
    try:
        message = await _message(svc, event)
        if message is None:
            await svc.finish(event, "skipped")
            return
        chat_id, text, keyboard = message
        await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except (Forbidden, BadRequest) as exc:  # blocked, or a chat that is gone: retrying will not help
        log.info("plan message %s not deliverable (%s); skipped", event.kind, exc.__class__.__name__)
        await svc.finish(event, "skipped")
        return
    except TelegramError as exc:  # 5xx, network, a flood beyond the limiter's retries: the next tick retries
        log.warning("plan message %s not sent yet (%s); will retry", event.kind, exc.__class__.__name__)
        return
    await svc.finish(event, "sent")


async def fit_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refit the memory models that are due, a few at a time."""
    svc: PlanService = context.application.bot_data["plan"]
    await svc.refit_due()
