"""A bare python-telegram-bot echo bot: the baseline bench/load.py compares mlsquiz with.

    python bench/echo_bot.py TOKEN API_URL            # PTB's defaults
    python bench/echo_bot.py TOKEN API_URL --tuned    # with mlsquiz's aiohttp backend, uvloop, concurrency

By default everything is at python-telegram-bot's defaults (httpx, the Updater, sequential handling),
as its own examples write it. `--tuned` gives it what mlsquiz itself uses, which makes it the ceiling
for any python-telegram-bot bot on this core: one update in, one message out, nothing else.
Stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    token, url, tuned = sys.argv[1], sys.argv[2], "--tuned" in sys.argv[3:]
    builder = ApplicationBuilder().token(token).base_url(f"{url}/bot")
    if tuned:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import uvloop

        from bot.tg.http import AiohttpRequest

        asyncio.set_event_loop(uvloop.new_event_loop())
        builder = (builder.request(AiohttpRequest(connection_pool_size=160))
                   .get_updates_request(AiohttpRequest(connection_pool_size=1, read_timeout=15))
                   .concurrent_updates(128))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0, timeout=5, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
