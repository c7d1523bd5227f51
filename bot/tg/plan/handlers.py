"""/plan and its buttons: the exam date, the daily time budget, retention, and how the exam went."""

from __future__ import annotations

import logging
import re
from datetime import date

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.domain import plan as rules
from bot.storage.repo import User
from bot.tg.acks import ack
from bot.tg.common import HTML
from bot.tg.people import meet
from bot.tg.plan import render
from bot.tg.services import daily_service, plan_service

log = logging.getLogger(__name__)

_MINUTES = re.compile(r"^(?:minutes?|min)\s+(\d{1,4})$|^(\d{1,4})\s*(?:minutes?|min)$")
_RETENTION = re.compile(r"^retention\s+(\d{1,3}(?:\.\d+)?)\s*(%?)$")


async def plan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the plan to exam day, or change it: /plan 2027-02-15, /plan minutes 15, /plan retention 0.9, /plan off."""
    user, _ = await meet(update, context)
    svc = plan_service(context)
    arg = " ".join(context.args or []).strip().lower()
    reply = update.effective_message.reply_html
    note = None
    if arg == "off":
        await svc.clear(user.id)
        await reply(render.plan_off())
        return
    if m := _MINUTES.match(arg):
        if not await svc.set_minutes(user.id, int(m[1] or m[2])):
            await reply(render.minutes_refused())
            return
    elif m := _RETENTION.match(arg):
        value = float(m[1]) / (100 if m[2] or float(m[1]) > 1 else 1)
        moved = await svc.set_retention(user.id, value)
        if moved is None:
            await reply(render.retention_refused())
            return
        note = render.retention_set(value, moved)
    elif arg:
        exam_date = rules.parse_date(arg, svc.today(user))
        if exam_date is None:
            await reply(render.bad_plan_args(arg))
            return
        if (note := await _set_date(context, user, exam_date)) is not None and note.startswith("!"):
            await reply(note[1:])
            return
    view = await svc.view(user.id)
    await reply(render.plan_text(view, note), reply_markup=render.plan_keyboard(view))


async def _set_date(context: ContextTypes.DEFAULT_TYPE, user: User, exam_date: date) -> str | None:
    """Plan for `exam_date`; a refusal comes back prefixed with '!', a note about the daily drill without."""
    svc = plan_service(context)
    why = await svc.set_date(user.id, exam_date)
    if why is not None:
        track = svc.tracks.get(user.exam)
        return "!" + render.date_refused(why, track.exam.short, track.exam.last_day)
    if not user.daily_enabled:  # the plan is carried out by the daily drill
        settings = await daily_service(context).update(user.id, enabled=True)
        return f"☀️ Your daily drill is on, at {settings.time} ({settings.tz}): the plan arrives with it."
    return None


async def _show(update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int, note: str | None = None) -> None:
    view = await plan_service(context).view(user_id)
    await _edit(update, render.plan_text(view, note), render.plan_keyboard(view))


async def _edit(update: Update, text: str, keyboard) -> None:
    try:
        await update.callback_query.edit_message_text(text, parse_mode=HTML, reply_markup=keyboard)
    except BadRequest as exc:  # the same plan again: "message is not modified"
        log.debug("plan message edit skipped: %s", exc)


async def on_quick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'In 2 weeks' / 'In 1 month' / 'In 2 months': plan for that date."""
    user, _ = await meet(update, context)
    exam_date = plan_service(context).quick_date(user, context.match.group(1))
    await _picked(update, context, user, exam_date)


async def on_month(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The date picker, at one month."""
    user, _ = await meet(update, context)
    text = context.match.group(1)
    today = plan_service(context).today(user)
    shown = _ymd(text + "01")
    if shown is None or not today.replace(day=1) <= shown <= today + rules.MAX_AHEAD:
        await ack(update.callback_query, render.invalid_button())
        return
    await ack(update.callback_query)
    await _edit(update, render.picker_text(shown), render.picker_keyboard(shown, today))


async def on_day(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A day in the date picker: plan for it."""
    user, _ = await meet(update, context)
    await _picked(update, context, user, _ymd(context.match.group(1)))


def _ymd(text: str) -> date | None:
    """A date from a button's YYYYMMDD, None if there is no such day (forged data)."""
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


async def _picked(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User, exam_date: date | None) -> None:
    query = update.callback_query
    if exam_date is None:
        await ack(query, render.invalid_button())
        return
    note = await _set_date(context, user, exam_date)
    if note is not None and note.startswith("!"):
        await ack(query, re.sub(r"<[^>]+>", "", note[1:]), show_alert=True)
        return
    await ack(query, "Plan set ✅")
    await _show(update, context, user.id, note)


async def on_minutes(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A daily time budget button."""
    user, _ = await meet(update, context)
    minutes = int(context.match.group(1))
    if minutes not in render.MINUTE_CHOICES or not await plan_service(context).set_minutes(user.id, minutes):
        await ack(update.callback_query, render.invalid_button())
        return
    await ack(update.callback_query, "Saved ✅")
    await _show(update, context, user.id)


async def on_off(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'End the plan'."""
    user, _ = await meet(update, context)
    exam_date = _ymd(context.match.group(1))
    if exam_date is None or not await plan_service(context).end(user.id, exam_date):
        await ack(update.callback_query, render.stale_button())
        return
    await ack(update.callback_query, "Plan ended")
    await _edit(update, render.plan_off(), None)


async def on_nothing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A blank of the date picker."""
    await ack(update.callback_query)


async def on_outcome(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How the exam went: passed, not yet, or skip."""
    user, _ = await meet(update, context)
    ymd, choice = context.match.group(1), context.match.group(2)
    svc = plan_service(context)
    recorded = await svc.record_outcome(user.id, f"{ymd[:4]}-{ymd[4:6]}-{ymd[6:]}", render.OUTCOMES[choice])
    await ack(update.callback_query)
    await _edit(update, render.outcome_reply(recorded), render.outcome_keyboard_after(recorded, svc.today(user)))
