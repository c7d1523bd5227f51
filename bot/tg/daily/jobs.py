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

from bot.services.daily import DailyService, DrillPush
from bot.storage.daily import Push
from bot.tg.common import clip
from bot.tg.daily import render
from bot.tg.metrics import Metrics
from bot.tg.plan import render as plan_render
from bot.tg.quiz import render as quiz_render

log = logging.getLogger(__name__)

BATCH = 500  # users claimed and planned per transaction
CONCURRENCY = 32  # sends in flight at once; the rate limiter spaces them out further


async def push_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send every drill and reminder that is due; finish any that an earlier run claimed but did not send."""
    await Pusher(context.bot, context.application.bot_data["daily"],
                 metrics=context.application.bot_data.get("metrics")).run()


class Pusher:
    def __init__(self, bot: Bot, daily: DailyService, concurrency: int = CONCURRENCY, metrics: Metrics | None = None):
        self.bot, self.daily, self.metrics = bot, daily, metrics
        self.gate = asyncio.Semaphore(concurrency)
        self.sent = 0

    async def run(self) -> int:
        # First finish what an earlier run claimed but did not send (it stopped, or Telegram failed).
        resumed = [(p.user_id, p.day, p) for p in await self.daily.pending("drill") if await self._still_today(p)]
        await self._send_drills(await self._prepare(resumed))
        await self._gather([self._reminder(p.user_id, p.day) for p in await self.daily.pending("reminder")])
        # Pipelined: the next batch is claimed and planned while the previous one is being sent.
        sending: asyncio.Task | None = None
        while (claims := await self.daily.claim_due("drill", BATCH)) is not None:
            if self.metrics is not None:
                self.metrics.push("claimed", sum(1 for c, _ in claims if c.claim))
            prepared = await self._prepare([(c.user_id, c.day, None) for c, _ in claims])
            if sending is not None:
                await sending
            sending = asyncio.create_task(self._send_drills(prepared))
        if sending is not None:
            await sending
        while (claims := await self.daily.claim_due("reminder", BATCH)) is not None:
            await self._gather([self._reminder(c.user_id, c.day) for c, _ in claims])
        return self.sent

    async def _still_today(self, push: Push) -> bool:
        if await self.daily.still_today(push):
            return True
        await self.daily.skipped(push.user_id, push.day, push.kind)
        return False

    async def _gather(self, jobs: list) -> None:
        async def gated(job):
            async with self.gate:
                await job

        await asyncio.gather(*(gated(j) for j in jobs))

    async def _prepare(self, items: list[tuple[int, str, Push | None]]) -> list[DrillPush]:
        if not items:
            return []
        prepared = await self.daily.prepare_drills(items)
        ready = {p.user_id for p in prepared}
        for user_id, day, _ in items:
            if user_id not in ready:  # blocked, no private chat, or nothing to ask
                await self.daily.skipped(user_id, day, "drill")
        return prepared

    async def _send_drills(self, prepared: list[DrillPush]) -> None:
        await self._gather([self._send_drill(p) for p in prepared])

    async def _send_drill(self, push: DrillPush) -> None:
        asked = push.asked
        # A running mock exam comes first: the drill is announced, and starts when the user taps for it.
        text, keyboard = ((render.drill_held_by_exam(asked), render.drill_held_keyboard()) if push.held
                          else (quiz_render.question_text(asked), quiz_render.question_keyboard(asked)))
        if push.plan is not None:  # the plan's line: days to go, and what it wants today
            text = clip(plan_render.drill_line(push.plan, push.exam) + "\n\n" + text)
        try:
            message = await self.bot.send_message(push.chat_id, text, parse_mode=ParseMode.HTML,
                                                  reply_markup=keyboard)
        except Forbidden:
            log.info("user blocked the bot; unsubscribed from daily drills")
            await self.daily.blocked(push.user_id, push.day, "drill")
            return
        except BadRequest as exc:  # e.g. the chat no longer exists: retrying will not help
            log.warning("daily drill not deliverable (%s); skipped", exc.message)
            await self.daily.skipped(push.user_id, push.day, "drill")
            return
        except TelegramError as exc:  # 5xx, network, a 429 beyond the limiter's retries: the next tick retries
            log.warning("daily drill not sent yet (%s); will retry", exc)
            return
        # Recorded right after Telegram accepted it: a crash can repeat only sends in flight or a few ms old.
        await self.daily.drill_sent(push, message.message_id)
        self.sent += 1
        if self.metrics is not None:
            self.metrics.push("sent")

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
