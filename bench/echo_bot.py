"""A bare python-telegram-bot echo bot: the baseline bench/load.py compares mlsquiz with.

    python bench/echo_bot.py TOKEN API_URL

Everything at python-telegram-bot's defaults (httpx, the Updater, sequential handling), as its
own examples write it. Stops on SIGTERM.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    token, url = sys.argv[1], sys.argv[2]
    app = ApplicationBuilder().token(token).base_url(f"{url}/bot").build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0, timeout=5, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
