"""Handlers for study runs (/drill, /review, /mistakes), problem reports (/reports) and your data (/export, /forget)."""

from __future__ import annotations

import io
import logging

from telegram import InputFile, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.domain.study import parse_drill_args
from bot.services.exam import ReviewPage
from bot.services.quiz import AnswerResult
from bot.services.study import KINDS, Moved, NoMatch, NothingDue, Started, Summary
from bot.tg.acks import ack
from bot.tg.common import HTML, clip
from bot.tg.exam import render as exam_render
from bot.tg.exam.handlers import exam_in_the_way
from bot.tg.people import meet
from bot.tg.plan import render as plan_render
from bot.tg.quiz import render as quiz_render
from bot.tg.quiz.handlers import on_unknown_command, send_asked
from bot.tg.services import exam_service, plan_service, quiz_service, study_service
from bot.tg.study import render

log = logging.getLogger(__name__)


def _chat_of(update: Update) -> int:
    query = update.callback_query
    if query is not None and query.message is not None:
        return query.message.chat.id
    return update.effective_chat.id


async def _send_summary(context: ContextTypes.DEFAULT_TYPE, chat_id: int, summary: Summary) -> None:
    await context.bot.send_message(chat_id, render.study_summary(summary), parse_mode=HTML,
                                   reply_markup=render.study_summary_keyboard(summary))


async def _send_moved(context: ContextTypes.DEFAULT_TYPE, chat_id: int, moved: Moved) -> None:
    if moved.summary is not None:
        await _send_summary(context, chat_id, moved.summary)
    elif moved.asked is not None:
        await send_asked(context, chat_id, moved.asked)


async def _start_topic(context: ContextTypes.DEFAULT_TYPE, user_id: int, chat_id: int, topic_id: str,
                       size: int | None) -> None:
    if await exam_in_the_way(context, user_id, chat_id):
        return
    started = await study_service(context).start_topic(user_id, chat_id, topic_id, size)
    if started.asked is None:
        await context.bot.send_message(chat_id, quiz_render.empty_bank())
        return
    await context.bot.send_message(chat_id, render.drill_started(started.asked.topic_name, started.size, size,
                                                                 started.total), parse_mode=HTML)
    await send_asked(context, chat_id, started.asked)


# --- commands -------------------------------------------------------------------------------------


async def drill(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A topic drill: /drill opens the picker; /drill kinesis 20 starts one directly."""
    user, _ = await meet(update, context)
    svc = study_service(context)
    text, size = parse_drill_args(context.args or [])
    message = update.effective_message
    if not text:
        await message.reply_html(render.drill_picker_text(),
                                 reply_markup=render.drill_domains_keyboard(await svc.domains(user.id), size))
        return
    found = await svc.find(user.id, text)
    if isinstance(found, NoMatch):
        await message.reply_html(render.drill_no_match(text, found.suggestions),
                                 reply_markup=render.drill_suggestions_keyboard(found.suggestions, size))
        return
    await _start_topic(context, user.id, update.effective_chat.id, found, size)


async def review(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Review the questions spaced repetition says are due now."""
    user, _ = await meet(update, context)
    chat_id = update.effective_chat.id
    if await exam_in_the_way(context, user.id, chat_id):
        return
    got = await study_service(context).start_review(user.id, chat_id)
    if isinstance(got, NothingDue):
        await update.effective_message.reply_html(render.review_nothing_due(got.next_due))
        return
    assert isinstance(got, Started) and got.asked is not None
    await update.effective_message.reply_html(render.review_started(got.size, got.total))
    await send_asked(context, chat_id, got.asked)


async def mistakes(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Go over the questions last answered wrong until each is answered right."""
    user, _ = await meet(update, context)
    chat_id = update.effective_chat.id
    if await exam_in_the_way(context, user.id, chat_id):
        return
    got = await study_service(context).start_mistakes(user.id, chat_id)
    if got.asked is None:
        await update.effective_message.reply_html(render.no_mistakes())
        return
    await update.effective_message.reply_html(render.mistakes_started(got.size))
    await send_asked(context, chat_id, got.asked)


async def reports(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: problem reports per question, most reported first; anyone else: the unknown-command answer."""
    svc = study_service(context)
    if not svc.is_admin(update.effective_user.id):
        await on_unknown_command(update, context)
        return
    outcomes = plan_render.outcomes_text(await plan_service(context).outcome_counts())
    await update.effective_message.reply_html(clip(render.reports_text(await svc.reports()) + "\n\n" + outcomes))


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the user everything stored about them as a JSON file."""
    user, _ = await meet(update, context)
    packed = await study_service(context).export(user.id)
    if packed is None:
        await update.effective_message.reply_html(render.export_too_big())
        return
    name = f"mlsquiz-{user.id}.json" + (".gz" if packed.compressed else "")
    await context.bot.send_document(update.effective_chat.id, InputFile(io.BytesIO(packed.data), filename=name),
                                    caption=render.export_caption(packed.compressed))


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for confirmation before deleting everything about the user."""
    await update.effective_message.reply_html(render.forget_confirm_text(), reply_markup=render.forget_keyboard())


# --- buttons --------------------------------------------------------------------------------------


async def _edit(query, text: str, keyboard) -> None:
    try:
        await query.edit_message_text(text, parse_mode=HTML, reply_markup=keyboard)
    except BadRequest as exc:  # a double tap: "message is not modified"
        log.debug("study edit skipped: %s", exc)


async def on_domains(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'◀ Domains' in the picker."""
    query = update.callback_query
    await ack(query)
    size = int(context.match.group(1) or 0)
    domains = await study_service(context).domains(query.from_user.id)
    await _edit(query, render.drill_picker_text(), render.drill_domains_keyboard(domains, size))


async def on_domain(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A domain in the picker: list its topics with counts and the user's accuracy."""
    query = update.callback_query
    user, _ = await meet(update, context)
    got = await study_service(context).topics(user.id, int(context.match.group(1)))
    if got is None:
        await ack(query, quiz_render.stale_button())
        return
    await ack(query)
    domain, topics = got
    size = int(context.match.group(2) or 0)
    await _edit(query, render.drill_topics_text(domain, size), render.drill_topics_keyboard(topics, size))


async def on_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A topic button (picker or suggestion): start its drill."""
    query = update.callback_query
    topic_id, size = context.match.group(1), int(context.match.group(2))
    svc = study_service(context)
    user, _ = await meet(update, context)
    if not await svc.in_track(user.id, topic_id):  # an old button, from before a /track switch
        await ack(query, quiz_render.stale_button())
        return
    await ack(query)
    await _start_topic(context, user.id, _chat_of(update), topic_id, size or None)


async def _gone_or_forged(context: ContextTypes.DEFAULT_TYPE, ask_id: int, user_id: int) -> str:
    """Why Skip or Stop did nothing: the run is over, or the button was never this user's."""
    return render.study_gone() if await study_service(context).owns(ask_id, user_id) else quiz_render.forged_button()


async def _drop_buttons(query) -> None:
    """Take the buttons off a question that was skipped or stopped (already gone is fine)."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        log.debug("could not remove a question's buttons: %s", exc)


async def on_skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Skip: pass over the run's current question without answering it."""
    query = update.callback_query
    moved = await study_service(context).skip(int(context.match.group(1)), query.from_user.id)
    if moved is None:
        await ack(query, await _gone_or_forged(context, int(context.match.group(1)), query.from_user.id))
        return
    await ack(query, "Skipped ⏭")
    await _drop_buttons(query)
    await _send_moved(context, _chat_of(update), moved)


async def on_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop: end the run now and show its summary."""
    query = update.callback_query
    summary = await study_service(context).stop(int(context.match.group(1)), query.from_user.id)
    if summary is None:
        await ack(query, await _gone_or_forged(context, int(context.match.group(1)), query.from_user.id))
        return
    await ack(query, "Stopped ⏹")
    await _drop_buttons(query)
    await _send_summary(context, _chat_of(update), summary)


async def on_retry(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Retry the missed' under a summary: a new run of just those questions."""
    query = update.callback_query
    user, _ = await meet(update, context)
    chat_id = _chat_of(update)
    if await exam_in_the_way(context, user.id, chat_id):
        await ack(query)
        return
    started = await study_service(context).retry(user.id, chat_id, int(context.match.group(1)))
    if started is None or started.asked is None:
        await ack(query, render.nothing_to_retry())
        return
    await ack(query)
    await send_asked(context, chat_id, started.asked)


async def on_report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'⚑ Report' under an explanation: offer the three reasons."""
    query = update.callback_query
    ask_id = int(context.match.group(1))
    if not await study_service(context).owns(ask_id, query.from_user.id):
        await ack(query, quiz_render.forged_button())
        return
    await ack(query)
    try:
        await query.edit_message_reply_markup(render.report_reasons_keyboard(ask_id))
    except BadRequest as exc:
        log.debug("report reasons edit skipped: %s", exc)


async def _is_latest(context: ContextTypes.DEFAULT_TYPE, user_id: int, ask_id: int) -> bool:
    return await quiz_service(context).is_latest(user_id, ask_id)


async def _restore_exam_review(context: ContextTypes.DEFAULT_TYPE, query, ask_id: int) -> bool:
    """Under a mock exam's review page the review's own buttons come back, not the quiz's."""
    page = await exam_service(context).review_of_ask(query.from_user.id, ask_id)
    if not isinstance(page, ReviewPage):
        return False
    try:
        await query.edit_message_reply_markup(exam_render.exam_review_keyboard(page))
    except BadRequest as exc:
        log.debug("exam review keyboard restore skipped: %s", exc)
    return True


async def _restore(query, ask_id: int, in_drill: bool, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The verdict's own buttons again; "Why?" too while the long explanation is not shown yet."""
    svc = quiz_service(context)
    ask = await svc.repo.get_ask(ask_id)
    question = svc.bank.question(ask.question_id) if ask is not None else None
    shown = query.message is not None and "🔎" in (query.message.text or "")
    details = question is not None and bool(question.details) and not shown
    try:
        await query.edit_message_reply_markup(quiz_render.answer_keyboard(ask_id, in_drill, details))
    except BadRequest as exc:
        log.debug("report keyboard restore skipped: %s", exc)


async def on_report_reason(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A report reason: store it and thank the user."""
    query = update.callback_query
    ask_id, reason = int(context.match.group(1)), render.REASON_CODES[context.match.group(2)]
    await meet(update, context)
    got = await study_service(context).report(ask_id, query.from_user.id, reason)
    if got is None:
        await ack(query, quiz_render.forged_button())
        return
    stored, in_drill = got
    await ack(query, render.report_thanks(reason, stored), show_alert=False)
    if await _restore_exam_review(context, query, ask_id):
        return
    # A drill's next question already follows; only a lone /quiz answer keeps its 'Next' button.
    await _restore(query, ask_id, in_drill or not await _is_latest(context, query.from_user.id, ask_id), context)


async def on_report_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Cancel' among the report reasons."""
    query = update.callback_query
    ask_id = int(context.match.group(1))
    if not await study_service(context).owns(ask_id, query.from_user.id):
        await ack(query, quiz_render.forged_button())
        return
    await ack(query)
    if await _restore_exam_review(context, query, ask_id):
        return
    await _restore(query, ask_id, not await _is_latest(context, query.from_user.id, ask_id), context)


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The /forget confirmation: delete everything (never re-creating the user), or do nothing."""
    query = update.callback_query
    await ack(query)
    if context.match.group(1) == "yes":
        await study_service(context).forget(query.from_user.id)
        text = render.forget_done()
    else:
        text = render.forget_cancelled()
    await _edit(query, text, None)


# --- after an answer ------------------------------------------------------------------------------


async def continue_run(context: ContextTypes.DEFAULT_TYPE, result: AnswerResult) -> None:
    """After an answer in a study run: the next question follows by itself; the last one, a summary."""
    ask = result.ask
    assert ask is not None and ask.drill_id is not None
    moved = await study_service(context).after_answer(ask.drill_id, ask.user_id, ask.chat_id, ask.question_id,
                                                      bool(result.correct))
    if moved is not None:
        await _send_moved(context, ask.chat_id, moved)


async def reopen_typed(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> bool:
    """A message with no typed question open: the run's typed question that a newer question closed takes it."""
    return await study_service(context).reopen_typed(user_id)


def register(app: Application) -> None:
    """Buttons, /reports (admins only, so not in the command menu), and what follows an answer in a run."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("reports", reports, filters=private))
    for pattern, callback in (
        (render.CB_PATTERN_STUDY_DOMAINS, on_domains),
        (render.CB_PATTERN_STUDY_DOMAIN, on_domain),
        (render.CB_PATTERN_STUDY_TOPIC, on_topic),
        (render.CB_PATTERN_SKIP, on_skip),
        (render.CB_PATTERN_STOP, on_stop),
        (render.CB_PATTERN_RETRY, on_retry),
        (render.CB_PATTERN_REPORT, on_report),
        (render.CB_PATTERN_REPORT_REASON, on_report_reason),
        (render.CB_PATTERN_REPORT_CANCEL, on_report_cancel),
        (render.CB_PATTERN_FORGET, on_forget),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    followups = app.bot_data.setdefault("drill_followups", {})
    for kind in KINDS:
        followups[kind] = continue_run
    app.bot_data["reopen_typed"] = reopen_typed
