"""The periodic job that pushes daily drills and evening reminders.

One repeating job asks the database who is due, instead of one scheduler job per user:
the database is the source of truth, nothing is held in memory per user, and a push that
fell due while the bot was down is found on the next tick.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.services.daily import DailyService
from bot.services.quiz import QuizService
from bot.storage.daily import Push
from bot.tg import render

log = logging.getLogger(__name__)

BATCH = 500  # users claimed per transaction
CONCURRENCY = 64  # sends in flight at once; the rate limiter spaces them out further


async def push_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send every drill and reminder that is due; finish any that an earlier run claimed but did not send."""
    daily: DailyService = context.application.bot_data["daily"]
    quiz: QuizService = context.application.bot_data["quiz"]
    pusher = Pusher(context.bot, daily, quiz)
    await pusher.run()


class Pusher:
    def __init__(self, bot: Bot, daily: DailyService, quiz: QuizService, concurrency: int = CONCURRENCY):
        self.bot, self.daily, self.quiz = bot, daily, quiz
        self.gate = asyncio.Semaphore(concurrency)
        self.sent = 0

    async def run(self) -> int:
        await self._gather([self._resume(p) for p in await self.daily.pending("drill")])
        await self._gather([self._resume_reminder(p) for p in await self.daily.pending("reminder")])
        while claims := await self.daily.claim_due("drill", BATCH):
            await self._gather([self._drill(c.user_id, c.day, None) for c, _ in claims])
        while claims := await self.daily.claim_due("reminder", BATCH):
            await self._gather([self._reminder(c.user_id, c.day) for c, _ in claims])
        return self.sent

    async def _gather(self, jobs: list) -> None:
        async def gated(job):
            async with self.gate:
                await job

        await asyncio.gather(*(gated(j) for j in jobs))

    async def _resume(self, push: Push) -> None:
        if not await self.daily.still_today(push):
            await self.daily.skipped(push.user_id, push.day, push.kind)
            return
        await self._drill(push.user_id, push.day, push)

    async def _resume_reminder(self, push: Push) -> None:
        await self._reminder(push.user_id, push.day)

    async def _drill(self, user_id: int, day: str, push: Push | None) -> None:
        try:
            prepared = await self.daily.prepare_drill(user_id, day, push)
            if prepared is None:
                await self.daily.skipped(user_id, day, "drill")
                return
            asked = prepared.asked
            message = await self.bot.send_message(
                prepared.chat_id, render.question_text(asked), parse_mode=ParseMode.HTML,
                reply_markup=render.question_keyboard(asked),
            )
            await self.quiz.attach_message(asked.ask_id, message.message_id)
            await self.daily.sent(user_id, day, "drill")
            self.sent += 1
        except Forbidden:
            log.info("user blocked the bot; unsubscribed from daily drills")
            await self.daily.blocked(user_id, day, "drill")
        except BadRequest as exc:  # e.g. the chat no longer exists: retrying will not help
            log.warning("daily drill not deliverable (%s); skipped", exc.message)
            await self.daily.skipped(user_id, day, "drill")
        except TelegramError as exc:  # 5xx, network, a 429 beyond the limiter's retries: next tick retries
            log.warning("daily drill not sent yet (%s); will retry", exc)

    async def _reminder(self, user_id: int, day: str) -> None:
        try:
            reminder = await self.daily.reminder_for(user_id, day)
            if reminder is None:
                await self.daily.skipped(user_id, day, "reminder")
                return
            await self.bot.send_message(reminder.chat_id, render.reminder_text(reminder), parse_mode=ParseMode.HTML,
                                        reply_markup=render.reminder_keyboard())
            await self.daily.sent(user_id, day, "reminder")
            self.sent += 1
        except Forbidden:
            await self.daily.blocked(user_id, day, "reminder")
        except BadRequest as exc:
            log.warning("reminder not deliverable (%s); skipped", exc.message)
            await self.daily.skipped(user_id, day, "reminder")
        except TelegramError as exc:
            log.warning("reminder not sent yet (%s); will retry", exc)
