"""The one registry of commands: it registers the handlers, fills /help and sets Telegram's command menu."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import BotCommand, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from bot.tg import people
from bot.tg.daily import handlers as daily
from bot.tg.daily import render as daily_render
from bot.tg.exam import handlers as exam
from bot.tg.groups import handlers as groups
from bot.tg.home import handlers as home
from bot.tg.home import render as home_render
from bot.tg.plan import handlers as plan
from bot.tg.plan import render as plan_render
from bot.tg.progress import handlers as progress
from bot.tg.quiz import building
from bot.tg.quiz import handlers as quiz
from bot.tg.quiz import render as quiz_render
from bot.tg.study import handlers as study

NO_REAL_DATA = r"(?!)"  # a pattern no string matches


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    callback: Callable[..., Awaitable[None]]


COMMANDS: tuple[Command, ...] = (
    Command("start", "welcome and how to begin", home.start),
    Command("quiz", "one question now", quiz.quiz),
    Command("stats", "your answers, accuracy per exam domain and streak", quiz.stats),
    Command("daily", "a short drill every day at your time: /daily 07:30, /daily off", daily.daily),
    Command("plan", "a plan to your exam date: /plan 2027-02-15, /plan minutes 15, /plan off", plan.plan),
    Command("timezone", "your time zone for drills and streaks: /timezone Europe/Berlin", home.timezone),
    Command("track", "the exam you study for (MLA-C02 unless you switch): /track mla-c01", home.track),
    Command("exam", "a timed mock of your exam with a scaled score; /exam history", exam.exam_command),
    Command("progress", "how ready you are for your exam, with a 30-day chart", progress.progress_command),
    Command("drill", "drill one topic: pick it, or /drill kinesis 20", study.drill),
    Command("review", "the questions due for review now (spaced repetition)", study.review),
    Command("mistakes", "redo the questions you last got wrong until each is right", study.mistakes),
    Command("export", "all your data as a JSON file", study.export),
    Command("forget", "delete all your data (asks to confirm first)", study.forget),
    Command("help", "this list", home.help_command),
    # Group competitions: served in groups; in a private chat they explain that.
    Command("compete", "in a group: start a quiz round, /compete [topic] [n]", groups.compete),
    Command("stop", "in a group: stop the running round", groups.stop),
    Command("leaderboard", "in a group: standings this week and of all time", groups.leaderboard),
    Command("groupsettings", "in a group: time per question, who may start, time zone", groups.group_settings),
)


GROUP_MENU = ("compete", "stop", "leaderboard", "groupsettings")


def menu() -> list[tuple[str, str]]:
    """What /help lists and Telegram's menu shows in a private chat: only what works there."""
    return [(c.name, c.description) for c in COMMANDS if c.name not in GROUP_MENU]


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in menu()]


def group_bot_commands() -> list[BotCommand]:
    """The menu Telegram shows in groups: only what works there."""
    return [BotCommand(c.name, c.description.removeprefix("in a group: ")) for c in COMMANDS if c.name in GROUP_MENU]


def register(app: Application) -> None:
    """Every handler, in one place. Group 1 records each update as handled (redeliveries stop at the intake)."""
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE  # edits of old messages are not new answers

    app.bot_data["menu"] = menu()
    # Before everything: updates with nobody behind them (channel posts, no `from`) stop here.
    app.add_handler(TypeHandler(Update, people.only_people), group=-1)

    for c in COMMANDS:
        app.add_handler(CommandHandler(c.name, c.callback, filters=private & new_message))
    # PTB hands a callback with empty data to every pattern handler (check_update returns True), so one
    # that matches no real data goes first and takes exactly those: forged or empty button data.
    app.add_handler(CallbackQueryHandler(quiz.on_unknown_button, pattern=NO_REAL_DATA))
    app.add_handler(CallbackQueryHandler(quiz.on_answer, pattern=quiz_render.CB_PATTERN_ANSWER))
    app.add_handler(CallbackQueryHandler(quiz.on_toggle, pattern=quiz_render.CB_PATTERN_TOGGLE))
    app.add_handler(CallbackQueryHandler(quiz.on_submit, pattern=quiz_render.CB_PATTERN_SUBMIT))
    app.add_handler(CallbackQueryHandler(quiz.on_next, pattern=quiz_render.CB_PATTERN_NEXT))
    app.add_handler(CallbackQueryHandler(building.on_place, pattern=quiz_render.CB_PATTERN_PLACE))
    app.add_handler(CallbackQueryHandler(building.on_undo, pattern=quiz_render.CB_PATTERN_UNDO))
    app.add_handler(CallbackQueryHandler(building.on_match, pattern=quiz_render.CB_PATTERN_MATCH))
    app.add_handler(CallbackQueryHandler(building.on_match_label, pattern=quiz_render.CB_PATTERN_MATCH_LABEL))
    app.add_handler(CallbackQueryHandler(building.on_why, pattern=quiz_render.CB_PATTERN_WHY))
    app.add_handler(CallbackQueryHandler(home.on_track, pattern=home_render.CB_PATTERN_TRACK))
    app.add_handler(CallbackQueryHandler(home.on_tracks, pattern=home_render.CB_PATTERN_TRACKS))
    app.add_handler(CallbackQueryHandler(home.on_help_more, pattern=home_render.CB_PATTERN_HELP_MORE))
    app.add_handler(CallbackQueryHandler(daily.on_daily_toggle, pattern=daily_render.CB_PATTERN_DAILY_TOGGLE))
    app.add_handler(CallbackQueryHandler(daily.on_daily_time, pattern=daily_render.CB_PATTERN_DAILY_TIME))
    app.add_handler(CallbackQueryHandler(daily.on_daily_size, pattern=daily_render.CB_PATTERN_DAILY_SIZE))
    app.add_handler(CallbackQueryHandler(home.on_zone, pattern=home_render.CB_PATTERN_ZONE))
    app.add_handler(CallbackQueryHandler(daily.on_quiz_button, pattern=daily_render.CB_PATTERN_QUIZ))
    app.add_handler(CallbackQueryHandler(daily.on_resume_drill, pattern=daily_render.CB_PATTERN_RESUME))
    app.add_handler(CallbackQueryHandler(plan.on_quick, pattern=plan_render.CB_PATTERN_QUICK))
    app.add_handler(CallbackQueryHandler(plan.on_month, pattern=plan_render.CB_PATTERN_MONTH))
    app.add_handler(CallbackQueryHandler(plan.on_day, pattern=plan_render.CB_PATTERN_DAY))
    app.add_handler(CallbackQueryHandler(plan.on_minutes, pattern=plan_render.CB_PATTERN_MINUTES))
    app.add_handler(CallbackQueryHandler(plan.on_off, pattern=plan_render.CB_PATTERN_OFF))
    app.add_handler(CallbackQueryHandler(plan.on_nothing, pattern=plan_render.CB_PATTERN_NOTHING))
    app.add_handler(CallbackQueryHandler(plan.on_outcome, pattern=plan_render.CB_PATTERN_OUTCOME))
    for pattern, callback in exam.BUTTONS:
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    study.register(app)
    groups.register(app)  # before the catch-alls: group commands and round buttons
    app.add_handler(CallbackQueryHandler(quiz.on_unknown_button))
    app.add_handler(MessageHandler(private & new_message & filters.COMMAND, quiz.on_unknown_command))
    app.add_handler(MessageHandler(private & new_message & filters.TEXT, quiz.on_text))
    app.add_handler(
        MessageHandler(private & new_message & ~filters.StatusUpdate.ALL & ~filters.TEXT, quiz.on_unsupported)
    )
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & new_message & filters.COMMAND, quiz.on_group_command))

    app.add_handler(TypeHandler(Update, quiz.mark_done), group=1)
    app.add_error_handler(quiz.on_error)
