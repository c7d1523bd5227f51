"""The one registry of commands: it registers the handlers, fills /help and sets Telegram's command menu."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import BotCommand, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from bot.tg import groups, handlers, render


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    callback: Callable[..., Awaitable[None]]


COMMANDS: tuple[Command, ...] = (
    Command("start", "welcome and how to begin", handlers.start),
    Command("quiz", "one question now", handlers.quiz),
    Command("stats", "your answers, accuracy per exam domain and streak", handlers.stats),
    Command("daily", "a short drill every day at your time: /daily 07:30, /daily off", handlers.daily),
    Command("timezone", "your time zone for drills and streaks: /timezone Europe/Berlin", handlers.timezone),
    Command("help", "this list", handlers.help_command),
    # Group competitions: served in groups; in a private chat they explain that.
    Command("compete", "in a group: start a quiz round, /compete [topic] [n]", groups.compete),
    Command("stop", "in a group: stop the running round", groups.stop),
    Command("leaderboard", "in a group: standings this week and of all time", groups.leaderboard),
    Command("groupsettings", "in a group: time per question, who may start, time zone", groups.group_settings),
)


def menu() -> list[tuple[str, str]]:
    return [(c.name, c.description) for c in COMMANDS]


def bot_commands() -> list[BotCommand]:
    return [BotCommand(c.name, c.description) for c in COMMANDS]


GROUP_MENU = ("compete", "stop", "leaderboard", "groupsettings")


def group_bot_commands() -> list[BotCommand]:
    """The menu Telegram shows in groups: only what works there."""
    return [BotCommand(c.name, c.description.removeprefix("in a group: ")) for c in COMMANDS if c.name in GROUP_MENU]


def register(app: Application) -> None:
    """Every handler, in one place. Group -1 drops redelivered updates; group 1 marks updates as done."""
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE  # edits of old messages are not new answers

    app.bot_data["menu"] = menu()
    app.add_handler(TypeHandler(Update, handlers.drop_duplicate), group=-1)

    for c in COMMANDS:
        app.add_handler(CommandHandler(c.name, c.callback, filters=private & new_message))
    app.add_handler(CallbackQueryHandler(handlers.on_answer, pattern=render.CB_PATTERN_ANSWER))
    app.add_handler(CallbackQueryHandler(handlers.on_toggle, pattern=render.CB_PATTERN_TOGGLE))
    app.add_handler(CallbackQueryHandler(handlers.on_submit, pattern=render.CB_PATTERN_SUBMIT))
    app.add_handler(CallbackQueryHandler(handlers.on_next, pattern=render.CB_PATTERN_NEXT))
    app.add_handler(CallbackQueryHandler(handlers.on_daily_toggle, pattern=render.CB_PATTERN_DAILY_TOGGLE))
    app.add_handler(CallbackQueryHandler(handlers.on_daily_time, pattern=render.CB_PATTERN_DAILY_TIME))
    app.add_handler(CallbackQueryHandler(handlers.on_daily_size, pattern=render.CB_PATTERN_DAILY_SIZE))
    app.add_handler(CallbackQueryHandler(handlers.on_zone, pattern=render.CB_PATTERN_ZONE))
    app.add_handler(CallbackQueryHandler(handlers.on_quiz_button, pattern=render.CB_PATTERN_QUIZ))
    app.add_handler(CallbackQueryHandler(handlers.on_resume_drill, pattern=render.CB_PATTERN_RESUME))
    groups.register(app)  # before the catch-alls: group commands and round buttons
    app.add_handler(CallbackQueryHandler(handlers.on_unknown_button))
    app.add_handler(MessageHandler(private & new_message & filters.COMMAND, handlers.on_unknown_command))
    app.add_handler(MessageHandler(private & new_message & filters.TEXT, handlers.on_text))
    app.add_handler(
        MessageHandler(private & new_message & ~filters.StatusUpdate.ALL & ~filters.TEXT, handlers.on_unsupported)
    )
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & new_message & filters.COMMAND, handlers.on_group_command))

    app.add_handler(TypeHandler(Update, handlers.mark_done), group=1)
    app.add_error_handler(handlers.on_error)
