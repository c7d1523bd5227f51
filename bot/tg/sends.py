"""The Bot API calls on every answer's path, without turning Telegram's reply into python-telegram-bot objects.

python-telegram-bot builds a `Message` from the reply to every sendMessage and editMessageText; under
load (bench/load.py) that was ~15% of the bot's CPU, and these calls need nothing from the reply but
a message id. They still go through the same Bot: its rate limiter, retries and error types.
"""

from __future__ import annotations

import warnings

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.warnings import PTBUserWarning

# PTB suggests its typed methods over do_api_request for known endpoints; skipping them is the point here.
# (pyproject.toml repeats this filter for pytest, which resets filters for each test.)
warnings.filterwarnings("ignore", r"Please use 'Bot\.(sendMessage|editMessageText)'", PTBUserWarning)


async def send_html(bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> int:
    """sendMessage with HTML; returns the new message's id."""
    sent = await bot.do_api_request(
        "sendMessage", {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML, "reply_markup": markup}
    )
    return int(sent["message_id"])


async def edit_html(bot: Bot, chat_id: int, message_id: int, text: str,
                    markup: InlineKeyboardMarkup | None = None) -> None:
    """editMessageText with HTML."""
    await bot.do_api_request("editMessageText", {"chat_id": chat_id, "message_id": message_id, "text": text,
                                                 "parse_mode": ParseMode.HTML, "reply_markup": markup})
