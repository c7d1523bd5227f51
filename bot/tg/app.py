"""Build the python-telegram-bot Application and run it until a stop signal."""

from __future__ import annotations

import asyncio
import logging
import random
import signal
from datetime import UTC, datetime

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.config import Settings
from bot.content import Bank
from bot.service import QuizService
from bot.storage.db import Database
from bot.storage.repo import Repo
from bot.tg import commands

log = logging.getLogger(__name__)

POLL_TIMEOUT = 30  # seconds a getUpdates long poll waits for news


def build_application(settings: Settings, bank: Bank, db: Database) -> Application:
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value()
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        # Flood control: ~30 msg/s overall and 20/min per group; retries a 429 after its retry_after.
        .rate_limiter(AIORateLimiter(max_retries=5))
        .get_updates_read_timeout(POLL_TIMEOUT + 10)
        .build()
    )
    app.bot_data["quiz"] = QuizService(
        bank,
        Repo(db),
        default_tz=settings.default_tz,
        clock=lambda: datetime.now(UTC),
        rng=random.Random(),
    )
    commands.register(app)
    return app


async def run(
    settings: Settings,
    bank: Bank,
    stop: asyncio.Event | None = None,
    *,
    poll_timeout: int = POLL_TIMEOUT,
    handle_signals: bool = True,
) -> None:
    """Open the database, migrate, poll Telegram until `stop` is set or SIGTERM/SIGINT arrives, then close."""
    db = await Database.open(settings.db)
    try:
        await db.migrate()
        app = build_application(settings, bank, db)
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT) if handle_signals else ():
            loop.add_signal_handler(sig, stop.set)
        async with app:
            await app.bot.set_my_commands(commands.bot_commands())
            await app.start()
            await app.updater.start_polling(
                timeout=poll_timeout, allowed_updates=Update.ALL_TYPES, drop_pending_updates=False
            )
            log.info("mlsquiz is running as @%s with %d questions", app.bot.username, len(bank.questions))
            await stop.wait()
            log.info("stopping: finishing the updates in progress")
            await app.updater.stop()
            await app.stop()
    finally:
        await db.close()
        log.info("database closed")
