"""Answers built a tap at a time — an ordering's steps, a matching's pairs — and the "Why? ▸" under a verdict.

Each tap stores the selection (nothing is graded until Submit) and redraws the question with it.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.services.quiz import Outcome, Toggle
from bot.tg.acks import ack
from bot.tg.common import MAX_MESSAGE
from bot.tg.quiz import render
from bot.tg.quiz.handlers import refuse
from bot.tg.sends import edit_html, send_html
from bot.tg.services import quiz_service

log = logging.getLogger(__name__)


async def on_place(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ordering: a tap on a step puts it next in line."""
    query = update.callback_query
    ask_id, position = int(context.match.group(1)), int(context.match.group(2))
    await _redraw(update, context, await quiz_service(context).place(ask_id, query.from_user.id, position))


async def on_undo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ordering or matching: take back the last pick."""
    query = update.callback_query
    await _redraw(update, context, await quiz_service(context).undo(int(context.match.group(1)), query.from_user.id))


async def on_match(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Matching: a letter in a prompt's row picks that choice for it (again: clears it)."""
    query = update.callback_query
    ask_id, prompt, position = (int(context.match.group(i)) for i in (1, 2, 3))
    await _redraw(update, context, await quiz_service(context).pair(ask_id, query.from_user.id, prompt, position))


async def on_match_label(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Matching: the number at the start of a row only explains itself."""
    await ack(update.callback_query, render.match_label(int(context.match.group(2))))


async def _redraw(update: Update, context: ContextTypes.DEFAULT_TYPE, toggled: Toggle) -> None:
    query = update.callback_query
    if toggled.outcome is not Outcome.recorded or toggled.asked is None:
        await refuse(query, toggled.outcome, context)
        return
    await ack(query)
    asked = toggled.asked
    if query.message is None:
        return
    try:
        await edit_html(context.bot, query.message.chat.id, query.message.message_id,
                        render.question_text(asked, toggled.selected),
                        render.question_keyboard(asked, toggled.selected))
    except BadRequest as exc:  # "message is not modified" after a duplicate tap: nothing to change
        log.debug("redraw skipped: %s", exc)


async def on_why(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """"Why? ▸" under a verdict: the verdict drawn again with the long explanation (or sent apart if too long)."""
    query = update.callback_query
    ask_id = int(context.match.group(1))
    svc = quiz_service(context)
    ask = await svc.repo.get_ask(ask_id)
    result = svc.result_of(ask) if ask is not None and ask.user_id == query.from_user.id else None
    if result is None or result.question is None or not result.question.details:
        await ack(query, render.forged_button())
        return
    await ack(query)
    question = result.question
    asked = await svc.answered_view(ask, question)
    verdict = render.fill_result_text(result) if result.verdict is not None else \
        render.choice_result_text(asked, result)
    text = f"{verdict}\n\n{render.details_text(question)}"
    # Under the verdict stay Next (unless a newer question exists, or a run goes on by itself) and Report.
    keyboard = render.answer_keyboard(ask_id, ask.drill_id is not None or not await svc.is_latest(ask.user_id, ask_id))
    message = query.message
    if message is not None and len(text) <= MAX_MESSAGE:
        try:
            await edit_html(context.bot, message.chat.id, message.message_id, text, keyboard)
            return
        except BadRequest as exc:
            if "not modified" in exc.message:  # tapped twice: it shows already
                return
            log.debug("why: could not edit the verdict (%s); sending the explanation", exc)
    await send_html(context.bot, ask.chat_id, render.details_text(question), None)
