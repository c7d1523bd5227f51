"""Group competitions in Telegram: joining, /compete, /stop, /leaderboard, /groupsettings, answer buttons,
and the periodic job that moves every running round forward and posts the Monday winners.

Answers are inline buttons rather than quiz polls: a press arrives as a callback even with privacy mode on,
each press gets its own toast ("Locked in"), the options can be shown shuffled, and the bot's own clock
times each press (a poll_answer carries no time and cannot be refused after the deadline).
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.domain.competition import SECONDS_CHOICES
from bot.services.daily import find_zone
from bot.services.groups import Final, GroupService, Press, Reveal, SendQuestion, Started, Step
from bot.tg.acks import ack
from bot.tg.common import HTML
from bot.tg.daily import render as daily_render
from bot.tg.groups import render
from bot.tg.home import render as home_render
from bot.tg.ordering import PerUserOrder
from bot.tg.quiz import render as quiz_render

log = logging.getLogger(__name__)

GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
ADMINS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.RESTRICTED)
TICK = 1.0  # seconds between looks at which rounds have something due
ADMINS_TTL = 60.0  # seconds a group's admin list is trusted: a promotion counts within a minute


def service(context: ContextTypes.DEFAULT_TYPE) -> GroupService:
    return context.application.bot_data["groups"]


def runner(context: ContextTypes.DEFAULT_TYPE) -> RoundRunner:
    return context.application.bot_data["group_runner"]


def _in_group(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type in GROUPS


async def _is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Asked of Telegram (getChatAdministrators), remembered for a minute per group: every Bot API call
    with a group's chat id counts against that group's 20-per-minute budget in the rate limiter."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True  # an anonymous admin, posting as the group itself
    if user is None:
        return False
    cache: dict[int, tuple[float, frozenset[int]]] = context.application.bot_data.setdefault("group_admins", {})
    now = time.monotonic()
    known = cache.get(chat.id)
    if known is None or now - known[0] > ADMINS_TTL:
        try:
            members = await context.bot.get_chat_administrators(chat.id)
        except TelegramError as exc:
            log.warning("could not check admin status (%s); treating as not an admin", exc)
            return False
        known = (now, frozenset(m.user.id for m in members if m.status in ADMINS))
        cache[chat.id] = known
    return user.id in known[1]


async def _may_manage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    group = await service(context).group(update.effective_chat.id, update.effective_chat.title)
    return group.open_to_all or await _is_admin(update, context)


def _name(update: Update) -> str:
    user = update.effective_user
    return (user.first_name if user else None) or "someone"


# --- membership -----------------------------------------------------------------------------------


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was added to or removed from a group."""
    change = update.my_chat_member
    if change is None or change.chat.type not in GROUPS:
        return
    chat = change.chat
    svc = service(context)
    if change.new_chat_member.status in PRESENT:
        if change.old_chat_member.status in PRESENT:
            return  # e.g. promoted to admin: nothing to say
        if await svc.joined(chat.id, chat.title):
            group = await svc.group(chat.id)
            intro = render.group_intro(group.open_to_all, svc.track(group).exam.short)
            await context.bot.send_message(chat.id, intro, parse_mode=HTML)
    else:
        await svc.left(chat.id)
        log.info("removed from a group; its round, if any, is stopped")


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The group was upgraded to a supergroup: Telegram gives it a new chat id."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        await service(context).migrated(message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await service(context).migrated(message.migrate_from_chat_id, message.chat.id)


# --- commands -------------------------------------------------------------------------------------


async def compete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a round: /compete [topic] [n]."""
    message = update.effective_message
    if not _in_group(update):
        await message.reply_html(render.group_only())
        return
    if not await _may_manage(update, context):
        await message.reply_html(render.admins_only())
        return
    chat = update.effective_chat
    started = await service(context).start(chat.id, chat.title, update.effective_user.id, context.args or [])
    if not isinstance(started, Started):
        await message.reply_html(render.compete_refused(started))
        return
    # Posted by the round's driver just before the first question, so the two never swap places.
    runner(context).announce(started.round_id, render.compete_started(started, _name(update)))
    runner(context).kick(started.round_id)


async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the running round and announce the scores so far."""
    message = update.effective_message
    if not _in_group(update):
        await message.reply_html(render.group_only())
        return
    if not await _may_manage(update, context):
        await message.reply_html(render.admins_only())
        return
    final = await service(context).stop(update.effective_chat.id)
    if final is None:
        await message.reply_html(render.stop_nothing())
        return
    await context.bot.send_message(final.chat_id, render.group_final_text(final), parse_mode=HTML)


async def leaderboard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """This week's and all-time standings of the group."""
    message = update.effective_message
    if not _in_group(update):
        await message.reply_html(render.group_only())
        return
    board = await service(context).leaderboard(update.effective_chat.id, update.effective_chat.title)
    await message.reply_html(render.leaderboard_text(board))


async def group_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show or change the group's settings: time per question, who may start, time zone, exam."""
    message = update.effective_message
    if not _in_group(update):
        await message.reply_html(render.group_only())
        return
    chat = update.effective_chat
    svc = service(context)
    args = [a.lower() for a in context.args or []]
    if not args:
        group = await svc.group(chat.id, chat.title)
        await message.reply_html(render.group_settings_text(group, exam=svc.track(group).exam.short),
                                 reply_markup=render.group_settings_keyboard(group, SECONDS_CHOICES))
        return
    if not await _is_admin(update, context):
        await message.reply_html(render.admins_only())
        return
    change: dict = {}
    if args[0] == "time" and len(args) == 2 and args[1].rstrip("s").isdigit() \
            and int(args[1].rstrip("s")) in SECONDS_CHOICES:
        change["seconds"] = int(args[1].rstrip("s"))
    elif args[0] == "everyone" and len(args) == 2 and args[1] in ("on", "off"):
        change["open_to_all"] = args[1] == "on"
    elif args[0] in ("timezone", "tz") and len(args) >= 2:
        found = find_zone(" ".join(context.args[1:]))
        if found.zone is None:
            await message.reply_html(home_render.timezone_unknown(" ".join(context.args[1:]), found.suggestions))
            return
        change["tz"] = found.zone
    elif args[0] == "exam" and len(args) >= 2:
        code = svc.exam_code(" ".join(args[1:]))
        if code is None:
            await message.reply_html(render.group_exam_unknown(" ".join(context.args[1:]),
                                                               [t.code for t in svc.tracks.all()]))
            return
        change["exam"] = code
    else:
        await message.reply_html(render.group_settings_bad(" ".join(context.args)))
        return
    group = await svc.update_settings(chat.id, **change)
    await message.reply_html(render.group_settings_text(group, "Saved ✅", svc.track(group).exam.short),
                             reply_markup=render.group_settings_keyboard(group, SECONDS_CHOICES))


# --- buttons --------------------------------------------------------------------------------------


async def on_group_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A player's press on a letter under a round's question."""
    query = update.callback_query
    round_id, position, shown = (int(context.match.group(i)) for i in (1, 2, 3))
    user = query.from_user
    processor = context.application.update_processor
    # Timed from when it was stored, by whichever replica: it may have waited for its turn since.
    times = (context.application.bot_data["intake"].received_at(update.update_id),
             processor.received_at(update.update_id) if isinstance(processor, PerUserOrder) else None)
    received = min((t for t in times if t is not None), default=None)
    result = await service(context).answer(round_id, position, shown, user.id, user.first_name, update.update_id,
                                           received)
    text = {
        Press.locked: render.locked_in(result.shown),
        Press.already: render.already_locked(),
        Press.closed: render.question_closed(),
        Press.unknown: quiz_render.stale_button(),
        Press.in_exam: render.group_press_in_exam(),
    }[result.outcome]
    await ack(query, text)


async def on_group_setting(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A settings button (time per question, who may start); admins only."""
    query = update.callback_query
    if not _in_group(update) or not await _is_admin(update, context):
        await ack(query, render.admins_only())
        return
    key, value = context.match.group(1), int(context.match.group(2))
    if key == "s" and value not in SECONDS_CHOICES:
        await ack(query, daily_render.invalid_setting())
        return
    change = {"seconds": value} if key == "s" else {"open_to_all": bool(value)}
    group = await service(context).update_settings(update.effective_chat.id, **change)
    await ack(query, "Saved ✅")
    try:
        text = render.group_settings_text(group, exam=service(context).track(group).exam.short)
        await query.edit_message_text(text, parse_mode=HTML,
                                      reply_markup=render.group_settings_keyboard(group, SECONDS_CHOICES))
    except BadRequest as exc:  # unchanged: "message is not modified"
        log.debug("group settings edit skipped: %s", exc)


# --- driving rounds -------------------------------------------------------------------------------


class RoundRunner:
    """Moves rounds forward; at most one task per round in this process (the database guards the rest)."""

    def __init__(self, application: Application):
        self.app = application
        self.busy: set[int] = set()
        self.intros: dict[int, str] = {}  # round id -> its "round started" text, posted before question 1

    @property
    def svc(self) -> GroupService:
        return self.app.bot_data["groups"]

    def announce(self, round_id: int, text: str) -> None:
        self.intros[round_id] = text

    def kick(self, round_id: int) -> None:
        if round_id in self.busy:
            return
        self.busy.add(round_id)
        self.app.create_task(self._drive(round_id), name=f"round-{round_id}")

    async def _hold(self):
        """When the oldest update not yet handled arrived, in any replica (it waits in the inbox until handled):
        a press that came in time may be among them, so no question that closed after it is closed yet."""
        _, oldest = await self.app.bot_data["intake"].inbox.depth()
        processor = self.app.update_processor
        here = processor.oldest_in_progress() if isinstance(processor, PerUserOrder) else None
        return min((t for t in (oldest, here) if t is not None), default=None)

    async def _drive(self, round_id: int) -> None:
        try:
            while (step := await self.svc.step(round_id, await self._hold())) is not None:
                if not await self._do(step):
                    break
        except Exception:
            log.exception("round %s: step failed; the next tick retries", round_id)
        finally:
            self.busy.discard(round_id)

    async def _do(self, step: Step) -> bool:
        """Carry out one step in Telegram; False to stop driving the round for now."""
        bot = self.app.bot
        if isinstance(step, SendQuestion):
            view = step.view
            try:
                if (intro := self.intros.pop(view.round_id, None)) is not None:
                    await bot.send_message(view.chat_id, intro, parse_mode=HTML)
                message = await bot.send_message(view.chat_id, render.group_question_text(view), parse_mode=HTML,
                                                 reply_markup=render.group_question_keyboard(view))
            except (Forbidden, BadRequest) as exc:
                log.info("cannot post in a group any more (%s); its round is stopped", exc.message)
                await self.svc.undeliverable(view.chat_id)
                return False
            except TelegramError as exc:
                log.warning("question not posted yet (%s); will retry", exc)
                return False
            await self.svc.question_sent(view, message.message_id)
            return True
        if isinstance(step, Reveal):
            text = render.group_reveal_text(step)
            try:
                try:
                    if step.message_id is None:
                        raise BadRequest("no question message to edit")
                    await bot.edit_message_text(text, chat_id=step.view.chat_id, message_id=step.message_id,
                                                parse_mode=HTML, reply_markup=None)
                except BadRequest as exc:  # e.g. the group became a supergroup: its old messages are not ours
                    log.info("reveal sent as a new message (%s)", exc.message)
                    await bot.send_message(step.view.chat_id, text, parse_mode=HTML)
            except Forbidden:
                await self.svc.undeliverable(step.view.chat_id)
                return False
            except TelegramError as exc:  # the scores are saved; only this reveal is lost
                log.warning("reveal not shown (%s)", exc)
            return True
        if isinstance(step, Final):
            try:
                await bot.send_message(step.chat_id, render.group_final_text(step), parse_mode=HTML)
            except TelegramError as exc:
                log.warning("round results not posted (%s)", exc)
            return False
        return False

    async def tick(self) -> None:
        for round_id in await self.svc.due(await self._hold()):
            self.kick(round_id)
        posts = await self.svc.weekly_due()
        if posts:
            await asyncio.gather(*(self._weekly(p) for p in posts))

    async def _weekly(self, post) -> None:
        try:
            await self.app.bot.send_message(post.chat_id, render.weekly_text(post), parse_mode=HTML)
        except (Forbidden, BadRequest) as exc:
            log.info("weekly post not deliverable (%s)", exc.message)
            await self.svc.weekly_done(post, sent=False)
            if isinstance(exc, Forbidden):
                await self.svc.undeliverable(post.chat_id)
            return
        except TelegramError as exc:
            log.warning("weekly post not sent yet (%s); a later run retries", exc)
            return
        await self.svc.weekly_done(post, sent=True)


async def group_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Move every running round forward and post the Monday winners that are due."""
    await runner(context).tick()


def register(app: Application) -> None:
    """Handlers for groups: membership changes, the group commands, answer and settings buttons."""
    in_group = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.StatusUpdate.MIGRATE, on_migrate))
    for name, callback in (("compete", compete), ("stop", stop), ("leaderboard", leaderboard),
                           ("groupsettings", group_settings)):
        app.add_handler(CommandHandler(name, callback, filters=in_group))
    app.add_handler(CallbackQueryHandler(on_group_answer, pattern=render.CB_PATTERN_GROUP_ANSWER))
    app.add_handler(CallbackQueryHandler(on_group_setting, pattern=render.CB_PATTERN_GROUP_SETTING))
    app.bot_data["group_runner"] = RoundRunner(app)


def schedule(app: Application, interval: float = TICK) -> None:
    app.job_queue.run_repeating(group_tick, interval=interval, first=0.5, name="groups",
                                job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
