"""What every feature's texts and handlers share: HTML parse mode, Telegram's message limit, buttons, the error text.

Texts are HTML; whatever a user or the bank supplies is escaped (html.escape) where it is put in.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton
from telegram.constants import ParseMode

HTML = ParseMode.HTML

MAX_MESSAGE = 4096  # Telegram's limit for a message text


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 question', '2 questions' (`many` for irregular plurals)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def internal_error() -> str:
    return "Sorry — something went wrong on my side. Your answers so far are saved; please try again."
