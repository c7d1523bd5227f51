"""The quiz: /quiz and /stats, the answer buttons, typed answers, the catch-alls for everything else, and the
plumbing every update passes (recorded as handled; failures told kindly).

Handlers read the update, call the service, render, reply. No SQL, no grading here.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.services.daily import DrillSummary
from bot.services.quiz import AnswerResult, Asked, Outcome
from bot.storage.dialect import CONNECTION_ERRORS
from bot.tg.acks import ack
from bot.tg.common import HTML, internal_error
from bot.tg.daily import render as daily_render
from bot.tg.exam.handlers import exam_in_the_way
from bot.tg.people import meet
from bot.tg.quiz import render
from bot.tg.sends import edit_html, send_html
from bot.tg.services import daily_service, quiz_service
from bot.tg.study import render as study_render

log = logging.getLogger(__name__)


# --- commands -------------------------------------------------------------------------------------


async def quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask the user one question now."""
    if flooding(update, context) and _quiz_behind(update, context):  # one question per burst, the last one
        log.info("update %s: sender is flooding; /quiz left to a later one", update.update_id)
        return
    user, _ = await meet(update, context)
    if await exam_in_the_way(context, user.id, update.effective_chat.id):
        return
    await send_question(context, user.id, update.effective_chat.id)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show answers, accuracy overall and per exam domain."""
    user, _ = await meet(update, context)
    stats_view = await quiz_service(context).stats(user.id)
    streak = await daily_service(context).streak(user.id, user.tz)
    await update.effective_message.reply_html(render.stats_text(stats_view, streak))


# --- asking ---------------------------------------------------------------------------------------


async def send_question(context: ContextTypes.DEFAULT_TYPE, user_id: int, chat_id: int) -> None:
    """The user's next question, posted in `chat_id` (or a note that the bank has none)."""
    svc = quiz_service(context)
    asked = await svc.ask_next(user_id, chat_id)
    if asked is None:
        await context.bot.send_message(chat_id, render.empty_bank())
        return
    await send_asked(context, chat_id, asked)


async def send_asked(context: ContextTypes.DEFAULT_TYPE, chat_id: int, asked: Asked) -> None:
    """Post a question already asked and note its message, which the verdict will edit."""
    message_id = await send_html(context.bot, chat_id, render.question_text(asked), render.question_keyboard(asked))
    await quiz_service(context).attach_message(asked.ask_id, message_id)


async def _continue_drill(context: ContextTypes.DEFAULT_TYPE, result: AnswerResult) -> None:
    """In a drill the next question follows the answer by itself; the last one is followed by a summary."""
    ask = result.ask
    assert ask is not None and ask.drill_id is not None
    # Other kinds of run (topic drills, reviews, ...) register what follows their answers by ask origin.
    followup = context.application.bot_data.get("drill_followups", {}).get(ask.origin)
    if followup is not None:
        await followup(context, result)
        return
    nxt = await daily_service(context).next_in_drill(ask.drill_id, ask.user_id, ask.chat_id, ask.question_id)
    if isinstance(nxt, DrillSummary):
        await context.bot.send_message(ask.chat_id, daily_render.drill_summary(nxt), parse_mode=HTML)
    elif nxt is not None:
        await send_asked(context, ask.chat_id, nxt)


# --- buttons --------------------------------------------------------------------------------------


async def refuse(query: CallbackQuery, result_outcome: Outcome, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = {
        Outcome.already: render.already_answered(),
        Outcome.expired: render.stale_button(),
        Outcome.forged: render.forged_button(),
    }[result_outcome]
    if result_outcome is Outcome.expired and await _exam_running(context, query.from_user.id):
        text = render.stale_button_in_exam()  # not "send /quiz": practice waits until the exam is paused
    await ack(query, text)


async def _exam_running(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> bool:
    hold = await quiz_service(context).exam_hold(user_id)
    return hold is not None and hold.running


async def on_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on an option of a single-answer question."""
    query = update.callback_query
    ask_id, position = int(context.match.group(1)), int(context.match.group(2))
    result = await quiz_service(context).answer_choice(ask_id, query.from_user.id, position, update.update_id)
    await _show_choice_result(query, context, ask_id, result)


async def on_toggle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tick or untick on a choose-N question."""
    query = update.callback_query
    ask_id, position = int(context.match.group(1)), int(context.match.group(2))
    toggled = await quiz_service(context).toggle(ask_id, query.from_user.id, position)
    if toggled.outcome is not Outcome.recorded or toggled.asked is None:
        await refuse(query, toggled.outcome, context)
        return
    await ack(query)
    try:
        await query.edit_message_reply_markup(render.question_keyboard(toggled.asked, toggled.selected))
    except BadRequest as exc:  # "message is not modified" after a duplicate tap: nothing to change
        log.debug("toggle edit skipped: %s", exc)


async def on_submit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Submit what was built: the ticked options of a choose-N, an ordering's steps, a matching's pairs."""
    query = update.callback_query
    ask_id = int(context.match.group(1))
    result = await quiz_service(context).answer_choice(ask_id, query.from_user.id, None, update.update_id)
    if result.outcome is Outcome.forged and result.question is not None and result.question.type in render.SUBMITTED:
        await ack(query, render.not_complete(result.question))  # its own question, not finished yet
        return
    await _show_choice_result(query, context, ask_id, result)


async def _show_choice_result(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, ask_id: int,
                              result: AnswerResult) -> None:
    if result.outcome is not Outcome.recorded:
        await refuse(query, result.outcome, context)
        return
    svc = quiz_service(context)
    assert result.ask is not None and result.question is not None  # a recorded answer has both
    in_drill = result.ask.drill_id is not None
    # The toast and the verdict go out together: one network round trip less before the user sees the result.
    toast = asyncio.create_task(ack(query, "✅ Right!" if result.correct else "❌ Not quite"))
    asked = await svc.answered_view(result.ask, result.question)
    text = render.choice_result_text(asked, result)
    keyboard = render.answer_keyboard(ask_id, in_drill, bool(result.question.details))
    # The message pressed is the one to edit; the ask's own record of it serves for a press that lacks it.
    message_id = query.message.message_id if query.message is not None else result.ask.message_id
    try:
        await _show_verdict(context, result.ask.chat_id, message_id, text, keyboard)
    finally:
        await toast
    if in_drill:
        await _continue_drill(context, result)


async def _show_verdict(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int | None, text: str,
                        keyboard: InlineKeyboardMarkup) -> None:
    """Edit the question into its verdict; if it cannot be edited, the answer is saved, so say it anew."""
    if message_id is not None:
        try:
            await edit_html(context.bot, chat_id, message_id, text, keyboard)
            return
        except BadRequest as exc:
            if "not modified" in exc.message:  # a replayed answer: the message shows the verdict already
                log.debug("question message already shows the result")
                return
            log.info("could not edit question message (%s); sending the result instead", exc)
    await send_html(context.bot, chat_id, text, keyboard)


async def on_next(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Next question' under an answered question."""
    query = update.callback_query
    ask_id = int(context.match.group(1))
    svc = quiz_service(context)
    if not await svc.is_latest(query.from_user.id, ask_id):
        await ack(query, "You already have a newer question above 👇")
        return
    await ack(query)
    user, _ = await meet(update, context)
    chat_id = query.message.chat.id if query.message else user.id
    if await exam_in_the_way(context, user.id, chat_id):
        return
    try:
        await query.edit_message_reply_markup(study_render.report_keyboard(ask_id))
    except BadRequest as exc:
        log.debug("could not remove the next button: %s", exc)
    await send_question(context, user.id, chat_id)


async def on_unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Button data we never sent (forged, or from an older version of the bot)."""
    await ack(update.callback_query, render.stale_button())


# --- messages -------------------------------------------------------------------------------------


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed message: the answer to an open fill-in question, or a nudge toward /quiz."""
    message = update.effective_message
    user, _ = await meet(update, context)
    result = await quiz_service(context).answer_text(user.id, message.text or "", update.update_id)
    reopen = context.application.bot_data.get("reopen_typed")  # a study run's typed question /quiz closed
    if result is None and reopen is not None and await reopen(context, user.id):
        result = await quiz_service(context).answer_text(user.id, message.text or "", update.update_id)
    if result is None:
        await _nudge(update, context, render.no_open_question())
        return
    if result.outcome is Outcome.forged and result.verdict is not None:
        await message.reply_text(render.not_an_attempt(result.verdict.reason))
        return
    if result.outcome is not Outcome.recorded:
        await message.reply_text(render.already_answered())
        return
    in_drill = result.ask.drill_id is not None
    await send_html(context.bot, message.chat_id, render.fill_result_text(result),
                    render.answer_keyboard(result.ask.id, in_drill, bool(result.question.details)))
    if in_drill:
        await _continue_drill(context, result)


FLOOD_BACKLOG = 3  # a person's updates waiting behind this one, beyond which pointers are not sent


def _quiz_behind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Another /quiz from the same person is waiting behind this one."""
    for later in context.application.update_processor.behind(update):
        message = later.effective_message if isinstance(later, Update) else None
        words = (message.text or "").split() if message is not None else []
        if words and words[0].split("@")[0] == "/quiz":
            return True
    return False


def flooding(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """More than FLOOD_BACKLOG of this person's updates are waiting: they send faster than one can answer."""
    return context.application.update_processor.backlog(update) > FLOOD_BACKLOG


async def _nudge(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, *, html: bool = False) -> None:
    """A pointer (what to send instead), unless the person is flooding: then one per burst is enough.

    Telegram allows one message per second into a chat; answering each of 50 stickers a second would
    keep the bot busy replying for minutes after the flood ends.
    """
    if flooding(update, context):
        log.info("update %s: sender is flooding; pointer not sent", update.update_id)
        return
    await update.effective_message.reply_text(text, parse_mode=HTML if html else None)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command we do not have, or a typed path such as /opt/ml/input/data/train (an answer)."""
    text = (update.effective_message.text or "/").split()[0]
    if "/" in text[1:].split("@")[0]:  # no command has a second slash: this is a path someone typed
        await on_text(update, context)
        return
    await _nudge(update, context, render.unknown_command(text), html=True)


async def on_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice notes and anything else that is not text."""
    await _nudge(update, context, render.unsupported_message())


async def on_group_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Commands sent in a group: for now the bot studies in private chats."""
    await update.effective_message.reply_text(render.private_only())


# --- plumbing -------------------------------------------------------------------------------------


async def mark_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record the update as handled, which also takes it out of the inbox."""
    unsettled: set[int] = context.application.bot_data.setdefault("unsettled", set())
    if update.update_id in unsettled:  # the database went away while it was handled: it stays in the inbox
        unsettled.discard(update.update_id)
        await context.application.bot_data["intake"].let_go(update.update_id)  # tried again by the next sweep
        return
    await context.application.bot_data["intake"].done(update.update_id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (without user data) and tell the user something friendly, never a traceback."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("update %s: Telegram refused to deliver (%s)", update_id, error.message)
        return
    log.error("update %s failed", update_id, exc_info=error)
    if isinstance(error, CONNECTION_ERRORS) and update_id is not None:
        # Not marked handled: it stays in the inbox and is handled again a few seconds on (bot/tg/fleet.py).
        context.application.bot_data.setdefault("unsettled", set()).add(update_id)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query is not None:
            await ack(update.callback_query, internal_error())
        else:
            await context.bot.send_message(update.effective_chat.id, internal_error())
    except TelegramError as exc:
        log.warning("could not report the failure to the user: %s", exc)
