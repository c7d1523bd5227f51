"""Who sent an update. Telegram does not promise one: channel posts and some service messages have no `from`."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.storage.repo import User

log = logging.getLogger(__name__)


async def meet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[User, bool]:
    """The sender as a user of ours (first contact creates them); their private chat is noted when it is one."""
    user, chat = update.effective_user, update.effective_chat
    if user is None:  # only_people() keeps these out; a handler reached without one is a bug, not input
        raise ApplicationHandlerStop
    private = chat.id if chat is not None and chat.type == ChatType.PRIVATE else None
    return await context.application.bot_data["quiz"].meet(user.id, user.first_name, private)


async def only_people(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Updates with nobody behind them (channel posts, a message without `from`) go no further.

    Every handler after this may rely on `effective_user`. Such an update is still recorded as handled,
    and in a private chat the sender is told why nothing happened.
    """
    if not isinstance(update, Update) or update.effective_user is not None:
        return
    if update.message is not None or update.callback_query is not None or update.edited_message is not None:
        log.info("update %s has no sender; ignored", update.update_id)
    chat = update.effective_chat
    if update.message is not None and chat is not None and chat.type == ChatType.PRIVATE:
        await context.bot.send_message(chat.id, "I could not tell who sent that. Please send it again from your "
                                                "own account — /help lists what I can do.")
    await context.application.bot_data["intake"].done(update.update_id)
    raise ApplicationHandlerStop
