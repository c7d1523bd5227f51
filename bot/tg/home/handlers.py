"""/start, /help, /track and /timezone (with their buttons)."""

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
from bot.tg.services import daily_service, quiz_service

log = logging.getLogger(__name__)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user, say which exam they study for, and explain how to begin (safe to send again)."""
    user, created = await meet(update, context)
    exam = quiz_service(context).track(user).exam
    await update.effective_message.reply_html(render.welcome(user.first_name, not created, user.tz, exam),
                                              reply_markup=None if not created else render.welcome_keyboard())


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands of a private chat, one line each; the rest behind a button."""
    await update.effective_message.reply_html(render.help_text(context.application.bot_data["menu"]),
                                              reply_markup=render.help_keyboard())


async def on_help_more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The rest of /help."""
    query = update.callback_query
    await ack(query)
    await context.bot.send_message(query.message.chat.id if query.message else query.from_user.id,
                                   render.help_more(), parse_mode=HTML)


async def track(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the exam the user studies for, with buttons to switch; /track mla-c01 switches directly."""
    user, _ = await meet(update, context)
    svc = quiz_service(context)
    exams = [t.exam for t in svc.tracks.all()]
    arg = " ".join(context.args or []).strip()
    if not arg:
        current = svc.track(user).exam
        await update.effective_message.reply_html(render.track_text(current, exams),
                                                  reply_markup=render.track_keyboard(current, exams))
        return
    code = "-".join(arg.lower().replace("-", " ").split())
    chosen = await svc.set_track(user.id, code)
    if chosen is None:
        await update.effective_message.reply_html(render.track_unknown(arg, exams))
        return
    await update.effective_message.reply_html(render.track_set(chosen.exam))


async def on_tracks(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """"Switch" under the welcome: the exams to choose from."""
    query = update.callback_query
    user, _ = await meet(update, context)
    svc = quiz_service(context)
    exams = [t.exam for t in svc.tracks.all()]
    current = svc.track(user).exam
    await ack(query)
    await context.bot.send_message(query.message.chat.id if query.message else user.id,
                                   render.track_text(current, exams), parse_mode=HTML,
                                   reply_markup=render.track_keyboard(current, exams))


async def on_track(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An exam button: study for that exam from now on."""
    query = update.callback_query
    user, _ = await meet(update, context)
    svc = quiz_service(context)
    chosen = await svc.set_track(user.id, context.match.group(1))
    if chosen is None:
        await ack(query, daily_render.invalid_setting())
        return
    await ack(query, "Saved ✅")
    exams = [t.exam for t in svc.tracks.all()]
    try:
        await query.edit_message_text(render.track_text(chosen.exam, exams, render.track_set(chosen.exam)),
                                      parse_mode=HTML, reply_markup=render.track_keyboard(chosen.exam, exams))
    except BadRequest as exc:  # the same exam again: "message is not modified"
        log.debug("track edit skipped: %s", exc)


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show or set the time zone: /timezone Europe/Berlin."""
    user, _ = await meet(update, context)
    arg = " ".join(context.args or []).strip()
    if not arg:
        await update.effective_message.reply_html(render.timezone_text(user.tz),
                                                  reply_markup=render.timezone_keyboard())
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
