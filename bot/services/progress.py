"""/progress: readiness for the exam from the user's FSRS memory, and the last 30 days as a chart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content import Bank
from bot.domain.clock import require_aware
from bot.domain.memory import DEFAULT_MODEL
from bot.domain.readiness import CHART_DAYS, DayPoint, Known, Readiness, assess, last_days
from bot.domain.schedule import local_day
from bot.services.plan import Forecast, ModelView, PlanService
from bot.services.quiz import Clock
from bot.services.tracks import Tracks
from bot.storage.exam import ExamRepo
from bot.storage.repo import Repo


@dataclass(frozen=True)
class Progress:
    readiness: Readiness
    domain_names: dict[str, str]
    days: list[DayPoint]
    exam: str = ""  # the exam's short name
    pass_mark: int = 720
    forecast: Forecast | None = None  # the plan's forecast for exam day
    memory: ModelView | None = None

    @property
    def empty(self) -> bool:
        return self.readiness.seen == 0 and not any(p.answered for p in self.days)

    @property
    def answered_in_window(self) -> int:
        return sum(p.answered for p in self.days)


class ProgressService:
    def __init__(self, bank: Bank, repo: ExamRepo, users: Repo, *, clock: Clock, default_tz: str,
                 tracks: Tracks | None = None, plans: PlanService | None = None):
        self.bank, self.repo, self.users = bank, repo, users
        self.clock, self.default_tz = clock, default_tz
        self.tracks = tracks or Tracks(bank)
        self.plans = plans

    def now(self) -> datetime:
        return require_aware(self.clock())

    async def progress(self, user_id: int) -> Progress:
        now = self.now()
        user = await self.users.get_user(user_id)
        today = local_day(now, ZoneInfo(user.tz if user else self.default_tz))
        track = self.tracks.get(user.exam if user else None)
        # Only questions in this exam's scope, each in the domain this exam puts it (the bank decides).
        known = [Known(domain, row.last_correct, row.card_json, row.question_id)
                 for row in await self.repo.known(user_id)
                 if (domain := track.domain_of.get(row.question_id)) is not None]
        since = today - timedelta(days=CHART_DAYS - 1)
        per_day = {date.fromisoformat(d): (a, c) for d, a, c, _ in await self.repo.days(user_id, since.isoformat())}
        met = [date.fromisoformat(d) for d in await self.repo.met_days(user_id)]
        model = user.model if user else DEFAULT_MODEL
        readiness = assess(known, track.weights, now, track.exam.pass_mark, model=model)
        outlook = memory = None
        if self.plans is not None and user is not None:
            outlook = await self.plans.forecast(user, known) if user.exam_date else None
            memory = await self.plans.memory(user)
        return Progress(readiness, track.names, last_days(per_day, met, today), track.exam.short,
                        track.exam.pass_mark, outlook, memory)

    async def chart(self, progress: Progress) -> bytes:
        """The 30-day chart as PNG, drawn in a worker thread so the bot keeps answering meanwhile."""
        from bot import charts  # matplotlib loads on the first /progress, not at start-up

        return await asyncio.to_thread(charts.progress_png, progress.days)
