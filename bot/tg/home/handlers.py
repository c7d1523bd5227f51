"""/start, /help and /timezone (with its buttons)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.services.daily import find_zone
from bot.tg.acks import ack
from bot.tg.common import HTML
from bot.tg.daily import render as daily_render
from bot.tg.home import render
from bot.tg.people import meet
from bot.tg.services import daily_service

log = logging.getLogger(__name__)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user and explain how to begin (safe to send again)."""
    user, created = await meet(update, context)
    await update.effective_message.reply_html(render.welcome(user.first_name, not created, user.tz))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List every command with one line each."""
    await update.effective_message.reply_html(render.help_text(context.application.bot_data["menu"]))


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show or set the time zone: /timezone Europe/Berlin."""
    user, _ = await meet(update, context)
    arg = " ".join(context.args or []).strip()
    if not arg:
        await update.effective_message.reply_html(render.timezone_text(user.tz), reply_markup=render.timezone_keyboard())
        return
    found = find_zone(arg)
    if found.zone is None:
        await update.effective_message.reply_html(render.timezone_unknown(arg, found.suggestions),
                                                  reply_markup=render.timezone_keyboard())
        return
    await daily_service(context).update(user.id, tz=found.zone)
    await update.effective_message.reply_html(render.timezone_set(found.zone))


async def on_zone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A time-zone button."""
    query = update.callback_query
    found = find_zone(context.match.group(1))
    if found.zone is None or found.zone != context.match.group(1):
        await ack(query, daily_render.invalid_setting())
        return
    user, _ = await meet(update, context)
    await daily_service(context).update(user.id, tz=found.zone)
    await ack(query, "Saved ✅")
    try:
        await query.edit_message_text(render.timezone_set(found.zone), parse_mode=HTML)
    except BadRequest as exc:
        log.debug("timezone edit skipped: %s", exc)
