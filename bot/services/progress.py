"""/progress: readiness for the exam from the user's FSRS memory, and the last 30 days as a chart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content import Bank
from bot.domain.clock import require_aware
from bot.domain.readiness import CHART_DAYS, DayPoint, Known, Readiness, assess, last_days
from bot.domain.schedule import local_day
from bot.services.quiz import Clock
from bot.storage.exam import ExamRepo
from bot.storage.repo import Repo


@dataclass(frozen=True)
class Progress:
    readiness: Readiness
    domain_names: dict[str, str]
    days: list[DayPoint]

    @property
    def empty(self) -> bool:
        return self.readiness.seen == 0 and not any(p.answered for p in self.days)

    @property
    def answered_in_window(self) -> int:
        return sum(p.answered for p in self.days)


class ProgressService:
    def __init__(self, bank: Bank, repo: ExamRepo, users: Repo, *, clock: Clock, default_tz: str):
        self.bank, self.repo, self.users = bank, repo, users
        self.clock, self.default_tz = clock, default_tz
        self._weights = {d.id: float(d.weight) for d in bank.domains}
        self._names = {d.id: d.name for d in bank.domains}

    def now(self) -> datetime:
        return require_aware(self.clock())

    async def progress(self, user_id: int) -> Progress:
        now = self.now()
        user = await self.users.get_user(user_id)
        today = local_day(now, ZoneInfo(user.tz if user else self.default_tz))
        known = []
        for row in await self.repo.known(user_id):
            question = self.bank.question(row.question_id)
            # The bank decides the domain when it still has the question (topics can move between domains).
            domain = self.bank.domain_of(question).id if question is not None else row.domain
            known.append(Known(domain, row.last_correct, row.card_json))
        since = today - timedelta(days=CHART_DAYS - 1)
        per_day = {date.fromisoformat(d): (a, c) for d, a, c, _ in await self.repo.days(user_id, since.isoformat())}
        met = [date.fromisoformat(d) for d in await self.repo.met_days(user_id)]
        return Progress(assess(known, self._weights, now), self._names, last_days(per_day, met, today))

    async def chart(self, progress: Progress) -> bytes:
        """The 30-day chart as PNG, drawn in a worker thread so the bot keeps answering meanwhile."""
        from bot import charts  # matplotlib loads on the first /progress, not at start-up

        return await asyncio.to_thread(charts.progress_png, progress.days)
