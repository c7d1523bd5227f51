"""/daily and its settings buttons, continuing today's drill, and the button under a reminder."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.domain.schedule import parse_hhmm
from bot.services.daily import SIZES
from bot.tg.acks import ack
from bot.tg.common import HTML
from bot.tg.daily import render
from bot.tg.exam.handlers import exam_in_the_way
from bot.tg.people import meet
from bot.tg.quiz.handlers import send_asked, send_question
from bot.tg.services import daily_service

log = logging.getLogger(__name__)


async def daily(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show or change the daily drill: /daily, /daily 07:30, /daily on, /daily off."""
    user, _ = await meet(update, context)
    svc = daily_service(context)
    arg = " ".join(context.args or []).strip()
    if not arg:
        settings = await svc.settings(user.id)
    elif arg.lower() in ("on", "off"):
        settings = await svc.update(user.id, enabled=arg.lower() == "on")
    elif (at := parse_hhmm(arg)) is not None:
        settings = await svc.update(user.id, enabled=True, daily_time=at)
    else:
        await update.effective_message.reply_html(render.daily_bad_time(arg))
        return
    await update.effective_message.reply_html(render.daily_text(settings), reply_markup=render.daily_keyboard(settings))


async def on_daily_toggle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Turn the daily drill on or off from its settings message."""
    await _daily_button(update, context, enabled=context.match.group(1) == "on")


async def on_daily_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pick the daily drill's time from its settings message."""
    at = parse_hhmm(context.match.group(1))
    if at is None:
        await ack(update.callback_query, render.invalid_setting())
        return
    await _daily_button(update, context, enabled=True, daily_time=at)


async def on_daily_size(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pick the daily drill's size from its settings message."""
    size = int(context.match.group(1))
    if size not in SIZES:
        await ack(update.callback_query, render.invalid_setting())
        return
    await _daily_button(update, context, size=size)


async def _daily_button(update: Update, context: ContextTypes.DEFAULT_TYPE, **change) -> None:
    query = update.callback_query
    user, _ = await meet(update, context)
    settings = await daily_service(context).update(user.id, **change)
    await ack(query, "Saved ✅")
    try:
        await query.edit_message_text(render.daily_text(settings), parse_mode=HTML,
                                      reply_markup=render.daily_keyboard(settings))
    except BadRequest as exc:  # unchanged settings: "message is not modified"
        log.debug("daily settings edit skipped: %s", exc)


async def on_resume_drill(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Continue today's drill' under /daily: ask its current question again."""
    query = update.callback_query
    user, _ = await meet(update, context)
    chat_id = query.message.chat.id if query.message else user.id
    if await exam_in_the_way(context, user.id, chat_id):
        await ack(query)
        return
    asked = await daily_service(context).resume(user.id, chat_id)
    if asked is None:
        await ack(query, render.nothing_to_resume())
        return
    await ack(query)
    await send_asked(context, chat_id, asked)


async def on_quiz_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Answer a question now' under a reminder."""
    query = update.callback_query
    await ack(query)
    user, _ = await meet(update, context)
    chat_id = query.message.chat.id if query.message else user.id
    if await exam_in_the_way(context, user.id, chat_id):
        return
    await send_question(context, user.id, chat_id)
