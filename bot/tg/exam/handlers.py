"""Handlers for /exam (the mock exam) and its buttons, and the job that finishes exams whose time ran out.

exam_in_the_way lives here too: every practice path (quiz, daily, study) asks it first.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.services.exam import Overview, Page, Paused, Refusal, Result, ReviewPage
from bot.tg.acks import ack
from bot.tg.common import HTML
from bot.tg.exam import render
from bot.tg.people import meet
from bot.tg.services import exam_service

log = logging.getLogger(__name__)

Shown = Page | Overview | Paused | Result | ReviewPage | Refusal | None


async def exam_in_the_way(context: ContextTypes.DEFAULT_TYPE, user_id: int, chat_id: int) -> bool:
    """A running mock exam comes first: its clock would run on, and practice would show answers mid-exam.

    Every practice path (/quiz, its buttons, daily drills, topic drills, reviews, mistakes) asks this
    first; True means it sent the "pause it or go back" message and the practice must not start.
    """
    current = await exam_service(context).current(user_id)
    if isinstance(current, Page):
        await context.bot.send_message(chat_id, render.study_blocked_by_exam(current), parse_mode=HTML,
                                       reply_markup=render.study_blocked_by_exam_keyboard(current))
        return True
    if isinstance(current, Result):  # its time ran out just now: this is the only place its result shows
        await context.bot.send_message(chat_id, render.exam_result_text(current), parse_mode=HTML,
                                       reply_markup=render.exam_result_keyboard(current.exam_id))
    return False


def _view(shown: Shown) -> tuple[str, object]:
    """The text and keyboard for whatever the service returned."""
    if isinstance(shown, Page):
        return render.exam_page_text(shown), render.exam_page_keyboard(shown)
    if isinstance(shown, Overview):
        return render.exam_overview_text(shown), render.exam_overview_keyboard(shown)
    if isinstance(shown, Paused):
        return render.exam_paused_text(shown), render.exam_paused_keyboard(shown)
    if isinstance(shown, Result):
        return render.exam_result_text(shown), render.exam_result_keyboard(shown.exam_id)
    if isinstance(shown, ReviewPage):
        return render.exam_review_text(shown), render.exam_review_keyboard(shown)
    return render.exam_empty_bank(), None


# --- commands -------------------------------------------------------------------------------------


async def exam_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start or continue the mock exam; /exam history lists past attempts."""
    user, _ = await meet(update, context)
    svc = exam_service(context)
    if (context.args or [""])[0].lower() == "history":
        past = await svc.history(user.id)
        await update.effective_message.reply_html(render.exam_history_text(past),
                                                  reply_markup=render.exam_history_keyboard(past) if past else None)
        return
    current = await svc.current(user.id)
    if current is None:
        has_history = bool(await svc.history(user.id))
        await update.effective_message.reply_html(render.exam_intro(await svc.blueprint(user.id)),
                                                  reply_markup=render.exam_intro_keyboard(has_history))
        return
    text, keyboard = _view(current)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


# --- buttons --------------------------------------------------------------------------------------


async def _show(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, shown: Shown) -> None:
    """Answer the tap and put the new view in place of the message the button was under."""
    if isinstance(shown, Refusal):
        await ack(query, render.exam_refusal(shown.value))
        return
    await ack(query, render.exam_time_up() if isinstance(shown, Result) and shown.late else None)
    text, keyboard = _view(shown)
    try:
        await query.edit_message_text(text, parse_mode=HTML, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
        # The message is gone or too old to edit: the state is saved, so show it in a new message.
        log.info("could not edit the exam message (%s); sending it instead", exc)
        await context.bot.send_message(query.from_user.id, text, parse_mode=HTML, reply_markup=keyboard)


async def _end_practice(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    """A running exam gives no feedback: a topic drill or review left open would (its old buttons still answer)."""
    study = context.application.bot_data.get("study")
    if study is not None:
        await study.end_runs(user_id)


def _ids(context: ContextTypes.DEFAULT_TYPE) -> list[int]:
    return [int(g) for g in context.match.groups()]


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Start the exam': draw the questions and show the first (or the exam already open)."""
    query = update.callback_query
    user, _ = await meet(update, context)
    chat_id = query.message.chat.id if query.message else user.id
    await _end_practice(context, user.id)
    await _show(query, context, await exam_service(context).start(user.id, chat_id))


async def on_pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An option of an exam question: stored without a word about whether it is right."""
    exam_id, position, option = _ids(context)
    shown = await exam_service(context).choose(update.callback_query.from_user.id, exam_id, position, option)
    await _show(update.callback_query, context, shown)


async def on_match(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Matching, in the exam: a letter in a prompt's row picks that choice for it (stored, not judged)."""
    exam_id, position, prompt, option = _ids(context)
    shown = await exam_service(context).match(update.callback_query.from_user.id, exam_id, position, prompt, option)
    await _show(update.callback_query, context, shown)


async def on_match_label(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Matching, in the exam: the number at the start of a row only explains itself."""
    await ack(update.callback_query, render.exam_match_label(_ids(context)[2]))


async def on_undo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ordering or matching, in the exam: take back the last pick."""
    exam_id, position = _ids(context)
    await _show(update.callback_query, context,
                await exam_service(context).undo(update.callback_query.from_user.id, exam_id, position))


async def on_go(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Back, skip, next, or a jump from the overview."""
    exam_id, position = _ids(context)
    await _show(update.callback_query, context,
                await exam_service(context).go(update.callback_query.from_user.id, exam_id, position))


async def on_flag(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Flag (or unflag) a question to come back to."""
    exam_id, position = _ids(context)
    await _show(update.callback_query, context,
                await exam_service(context).flag(update.callback_query.from_user.id, exam_id, position))


async def on_pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pause the exam and stop its clock."""
    (exam_id,) = _ids(context)
    await _show(update.callback_query, context,
                await exam_service(context).pause(update.callback_query.from_user.id, exam_id))


async def on_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Resume a paused exam where it stopped."""
    (exam_id,) = _ids(context)
    shown = await exam_service(context).resume(update.callback_query.from_user.id, exam_id)
    if isinstance(shown, Page):
        await _end_practice(context, update.callback_query.from_user.id)
    await _show(update.callback_query, context, shown)


async def on_overview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What is unanswered or flagged, before submitting."""
    (exam_id,) = _ids(context)
    await _show(update.callback_query, context,
                await exam_service(context).overview(update.callback_query.from_user.id, exam_id))


async def on_submit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hand the exam in and show the scaled result."""
    (exam_id,) = _ids(context)
    await _show(update.callback_query, context,
                await exam_service(context).submit(update.callback_query.from_user.id, exam_id))


async def on_result(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show a finished exam's result again."""
    (exam_id,) = _ids(context)
    await _show(update.callback_query, context,
                await exam_service(context).result(update.callback_query.from_user.id, exam_id))


async def on_review(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One page of a finished exam's review: the question, the user's answer, the right one and why."""
    exam_id, position = _ids(context)
    await _show(update.callback_query, context,
                await exam_service(context).review(update.callback_query.from_user.id, exam_id, position))


async def on_history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The user's past mock exams."""
    query = update.callback_query
    past = await exam_service(context).history(query.from_user.id)
    await ack(query)
    try:
        await query.edit_message_text(render.exam_history_text(past), parse_mode=HTML,
                                      reply_markup=render.exam_history_keyboard(past))
    except BadRequest as exc:
        log.debug("history edit skipped: %s", exc)


BUTTONS = (
    (render.CB_PATTERN_EXAM_START, on_start),
    (render.CB_PATTERN_EXAM_HISTORY, on_history),
    (render.CB_PATTERN_EXAM_PICK, on_pick),
    (render.CB_PATTERN_EXAM_MATCH, on_match),
    (render.CB_PATTERN_EXAM_MATCH_LABEL, on_match_label),
    (render.CB_PATTERN_EXAM_UNDO, on_undo),
    (render.CB_PATTERN_EXAM_GO, on_go),
    (render.CB_PATTERN_EXAM_FLAG, on_flag),
    (render.CB_PATTERN_EXAM_PAUSE, on_pause),
    (render.CB_PATTERN_EXAM_RESUME, on_resume),
    (render.CB_PATTERN_EXAM_OVERVIEW, on_overview),
    (render.CB_PATTERN_EXAM_SUBMIT, on_submit),
    (render.CB_PATTERN_EXAM_RESULT, on_result),
    (render.CB_PATTERN_EXAM_REVIEW, on_review),
)


# --- the timeout job ------------------------------------------------------------------------------


async def exam_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Finish and score every exam whose time ran out, and tell its owner."""
    for result in await exam_service(context).finish_due():
        try:
            await context.bot.send_message(result.chat_id, render.exam_result_text(result), parse_mode=HTML,
                                           reply_markup=render.exam_result_keyboard(result.exam_id))
        except Forbidden:
            log.info("exam %s finished; its owner blocked the bot", result.exam_id)
        except TelegramError as exc:  # the result stays in the database; /exam history shows it
            log.warning("could not send the result of exam %s: %s", result.exam_id, exc)
