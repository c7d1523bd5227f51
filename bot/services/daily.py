"""Daily drills: subscription settings, who is due, the drill itself, streaks and the evening reminder."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process

from bot.content import Bank
from bot.domain import streaks
from bot.domain.clock import require_aware
from bot.domain.plan import Today
from bot.domain.schedule import at_local, local_day, next_at, reminder_time
from bot.domain.selection import DomainSkill, Seen, plan_drill, shuffled_order, weakness_weights
from bot.services.plan import PlanService
from bot.services.quiz import Asked, Clock, QuizService
from bot.storage.batch import GroupCommit
from bot.storage.daily import Claim, DailyRepo, DueUser, NewDrill, PlanInputs, Push
from bot.storage.repo import NewAsk, Repo, User

SIZES = (3, 5, 10, 15)
TIMES = ("07:00", "08:00", "12:30", "18:00", "21:00")
COMMON_ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Kolkata",
                "Asia/Singapore", "Australia/Sydney", "UTC")
_ZONES = sorted(available_timezones())
_ZONES_FOLDED = {z.casefold(): z for z in _ZONES}


@dataclass(frozen=True)
class DailySettings:
    enabled: bool
    time: str
    size: int
    tz: str
    next_push_local: datetime | None  # in the user's zone
    open_drill: tuple[int, int] | None = None  # (answered, size) of today's unfinished drill
    planned: bool = False  # a plan to exam day sizes each drill


@dataclass(frozen=True)
class ZoneLookup:
    zone: str | None
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DrillPush:
    user_id: int
    chat_id: int
    day: str
    asked: Asked
    held: bool = False  # a mock exam is running: the drill waits (no feedback mid-exam) until the user resumes it
    plan: Today | None = None  # what the user's plan wants today, when they have one
    exam: str = ""  # the exam's code as people write it (MLA-C02)


@dataclass(frozen=True)
class DrillSummary:
    correct: int
    size: int
    streak: streaks.Streak
    due_tomorrow: int


@dataclass(frozen=True)
class Reminder:
    user_id: int
    chat_id: int
    day: str
    streak: streaks.Streak
    remaining: int


def find_zone(text: str) -> ZoneLookup:
    """An IANA zone from what a person typed: exact (any case), a city ('berlin'), else close suggestions."""
    key = text.strip().replace(" ", "_").casefold()
    if not key:
        return ZoneLookup(None)
    if key in _ZONES_FOLDED:
        return ZoneLookup(_ZONES_FOLDED[key])
    by_city = [z for z in _ZONES if z.rsplit("/", 1)[-1].casefold() == key]
    if len(by_city) == 1:
        return ZoneLookup(by_city[0])
    close = process.extract(key, list(_ZONES_FOLDED), scorer=fuzz.WRatio, limit=3, score_cutoff=70)
    return ZoneLookup(None, tuple(_ZONES_FOLDED[c] for c, _, _ in close))


def _hhmm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


class DailyService:
    def __init__(self, bank: Bank, repo: Repo, daily: DailyRepo, quiz: QuizService, *, clock: Clock,
                 rng: random.Random, plans: PlanService | None = None):
        self.bank, self.repo, self.daily, self.quiz = bank, repo, daily, quiz
        self.clock, self.rng, self.plans = clock, rng, plans
        # 10 ms of sends share a commit: a crash can repeat at most those (plus the sends in flight).
        self._sent_writer: GroupCommit[tuple[int, str, int, int]] = GroupCommit(
            lambda sent: self.daily.drills_sent(sent, self.now()), linger=0.01
        )

    def now(self) -> datetime:
        return require_aware(self.clock())

    # --- settings --------------------------------------------------------------------

    def schedule_for(self, enabled: bool, daily_time: str, tz: str,
                     now: datetime) -> tuple[datetime | None, datetime | None]:
        """When the next drill and the next reminder check are due (UTC), or None when off."""
        if not enabled:
            return None, None
        zone = ZoneInfo(tz)
        at = _hhmm(daily_time)
        push = next_at(at, zone, now)
        remind = reminder_time(at)
        reminder = next_at(remind, zone, now) if remind else None
        return push, reminder

    def _view(self, user: User) -> DailySettings:
        push, _ = self.schedule_for(user.daily_enabled, user.daily_time, user.tz, self.now())
        today = local_day(self.now(), ZoneInfo(user.tz)).isoformat()
        return DailySettings(user.daily_enabled, user.daily_time, user.daily_size, user.tz,
                             push.astimezone(ZoneInfo(user.tz)) if push else None,
                             planned=user.exam_date is not None and user.exam_date >= today)

    async def settings(self, user_id: int) -> DailySettings:
        user = await self.repo.get_user(user_id)
        assert user is not None
        view = self._view(user)
        drill = await self.daily.open_drill(user_id, local_day(self.now(), ZoneInfo(user.tz)).isoformat())
        if drill is None:
            return view
        return DailySettings(view.enabled, view.time, view.size, view.tz, view.next_push_local,
                             (drill.position, len(drill.questions)), view.planned)

    async def resume(self, user_id: int, chat_id: int) -> Asked | None:
        """Ask again the current question of today's unfinished drill (e.g. after /quiz interrupted it)."""
        user = await self.repo.get_user(user_id)
        if user is None:
            return None
        drill = await self.daily.open_drill(user_id, local_day(self.now(), ZoneInfo(user.tz)).isoformat())
        if drill is None:
            return None
        return await self.quiz.ask(user_id, chat_id, drill.questions[drill.position], origin="daily",
                                   drill_id=drill.id, drill=(drill.position + 1, len(drill.questions)))

    async def update(self, user_id: int, *, enabled: bool | None = None, daily_time: time | None = None,
                     size: int | None = None, tz: str | None = None) -> DailySettings:
        """Change any of the settings; the schedule takes the change into account at once."""
        user = await self.repo.get_user(user_id)
        assert user is not None
        new_enabled = user.daily_enabled if enabled is None else enabled
        new_time = user.daily_time if daily_time is None else daily_time.strftime("%H:%M")
        new_size = user.daily_size if size is None else size
        new_tz = user.tz if tz is None else tz
        push, reminder = self.schedule_for(new_enabled, new_time, new_tz, self.now())
        await self.daily.save_settings(user_id, enabled=new_enabled, daily_time=new_time, daily_size=new_size,
                                       tz=new_tz, next_push_at=push, next_reminder_at=reminder)
        if self.plans is not None and (new_tz != user.tz or new_time != user.daily_time):
            await self.plans.retime(user_id)
        user = await self.repo.get_user(user_id)
        assert user is not None
        return self._view(user)

    # --- streaks --------------------------------------------------------------------------

    async def streak(self, user_id: int, tz: str | None = None) -> streaks.Streak:
        if tz is None:
            user = await self.repo.get_user(user_id)
            tz = user.tz if user else "UTC"
        today = local_day(self.now(), ZoneInfo(tz))
        days = [date.fromisoformat(d) for d in await self.daily.met_days(user_id)]
        return streaks.compute(days, today)

    # --- who is due -------------------------------------------------------------------------

    async def claim_due(self, kind: str, limit: int) -> list[tuple[Claim, DueUser]] | None:
        """Claim pushes (drill or reminder) that are due, each at most once per user per local day; None when
        nobody is due. The list may be empty while more are due: a batch of users without a reminder, or one
        that another replica claimed first.

        A push missed while the bot was down is still sent if it is the same local day;
        otherwise that day is skipped and the schedule moves on.
        """
        now = self.now()
        due = await self.daily.due(kind, now, limit)
        if not due:
            return None
        claims = []
        for u in due:
            zone = ZoneInfo(u.tz)
            at = _hhmm(u.daily_time) if kind == "drill" else reminder_time(_hhmm(u.daily_time))
            if at is None:  # no reminder for a late-night drill
                claims.append(Claim(u.user_id, "", kind, None, claim=False, was=u.stored_at or None))
                continue
            today = local_day(now, zone)
            # Only today's occurrence is ever sent: one missed on an earlier day (bot down) is dropped.
            due_today = at_local(today, at, zone) <= now
            claims.append(Claim(u.user_id, today.isoformat(), kind, next_at(at, zone, now), claim=due_today,
                                was=u.stored_at or None))
        won = {(c.user_id, c.kind) for c in await self.daily.claim(claims, now)}
        users = {u.user_id: u for u in due}
        return [(c, users[c.user_id]) for c in claims if (c.user_id, c.kind) in won]

    async def pending(self, kind: str, limit: int = 500) -> list[Push]:
        return await self.daily.pending(kind, limit)

    async def still_today(self, push: Push) -> bool:
        user = await self.repo.get_user(push.user_id)
        if user is None or user.blocked or user.chat_id is None:
            return False
        return local_day(self.now(), ZoneInfo(user.tz)).isoformat() == push.day

    # --- the drill -------------------------------------------------------------------------------

    async def prepare_drills(self, items: Sequence[tuple[int, str, Push | None]]) -> list[DrillPush]:
        """Drills for a batch of claimed pushes (user id, local day, the push if resumed).

        A push that an interrupted run already gave a question re-sends that same question;
        the rest are planned together and created in one transaction.
        """
        ready: list[DrillPush] = []
        fresh: list[tuple[int, str]] = []
        for user_id, day, push in items:
            resumed = await self._resume(push) if push is not None and push.ask_id is not None else None
            if resumed is not None:
                ready.append(resumed)
            else:
                fresh.append((user_id, day))
        if not fresh:
            return ready
        inputs = await self.daily.plan_inputs([uid for uid, _ in fresh])
        seconds = await self.plans.answer_seconds([u for u, got in inputs.items() if got.user.exam_date]) \
            if self.plans is not None else {}
        now = self.now()
        planned: list[tuple[PlanInputs, NewDrill, tuple[int, ...]]] = []
        todays: dict[int, Today | None] = {}
        for user_id, day in fresh:
            got = inputs.get(user_id)
            if got is None or got.user.chat_id is None or got.user.blocked:
                continue
            plan, todays[user_id] = self._plan(got, now, seconds.get(user_id, []))
            if not plan:
                continue
            question = self.bank.askable(plan[0])
            if question is None:
                continue
            order = tuple(shuffled_order(len(question.items), self.rng)) if question.items else ()
            first = NewAsk(user_id, got.user.chat_id, question.id, question.type.value,
                           self.bank.domain_of(question).id, question.topic, list(order) if order else None, "daily")
            planned.append((got, NewDrill(user_id, day, plan, first), order))
        ids = await self.daily.start_drills([d for _, d, _ in planned], now)
        for (got, drill, order), (_, ask_id) in zip(planned, ids, strict=True):
            question = self.bank.question(drill.questions[0])
            asked = self.quiz.asked_view(ask_id, question, order, (1, len(drill.questions)),
                                         track=self.quiz.track(got.user))
            ready.append(DrillPush(drill.user_id, got.user.chat_id, drill.day, asked,
                                   held=got.exam is not None and got.exam.running, plan=todays.get(drill.user_id),
                                   exam=self.quiz.track(got.user).code.upper()))
        return ready

    async def _resume(self, push: Push) -> DrillPush | None:
        user = await self.repo.get_user(push.user_id)
        ask = await self.repo.get_ask(push.ask_id) if push.ask_id else None
        if user is None or user.chat_id is None or ask is None or push.drill_id is None:
            return None
        question = self.bank.question(ask.question_id)
        drill = await self.daily.get_drill(push.drill_id)
        if question is None or drill is None:
            return None
        asked = self.quiz.asked_view(ask.id, question, ask.option_order, (1, len(drill.questions)))
        return DrillPush(user.id, user.chat_id, push.day, asked)

    def _plan(self, got: PlanInputs, now: datetime, seconds: list[float]) -> tuple[list[str], Today | None]:
        """Due reviews first, then new questions weighted toward the user's weakest domains.

        With a plan to exam day, the plan sizes the drill and splits it between new questions and reviews;
        in its last days the room left is filled with the reviews due soonest (the weakest memories).
        """
        track = self.quiz.track(got.user)
        askable = [(q, when) for q, when in got.cards if track.in_scope(q) and self.bank.askable(q)]
        due = [q for q, when in askable if when <= now]
        seen = {q: Seen(1, None, when) for q, when in got.cards}
        today = self.plans.today_for(got.user, track, set(seen), len(due), seconds) if self.plans else None
        if today is None:
            size = got.user.daily_size
            due = due[:size]
        else:
            size = today.size
            due = due[:today.reviews]
            due += [q for q, when in askable if when > now][:today.early]
        per_domain: dict[str, list[int]] = {}
        for c in got.skills:
            if (domain := track.domain_of.get(c.question_id)) is not None:
                tally = per_domain.setdefault(domain, [0, 0])
                tally[0] += c.answered
                tally[1] += c.correct
        skills = {d: DomainSkill(a, r) for d, (a, r) in per_domain.items()}
        weights = weakness_weights(track.weights, skills)
        planned = plan_drill(due, track.pools, seen, weights, size, self.rng,
                             exclude=got.exam.questions if got.exam is not None else ())
        if today is not None:  # what the drill turned out to be: the plan's line says it as it is
            new = sum(1 for q in planned if q not in seen)
            today = replace(today, new=new, reviews=len(planned) - new, early=0)
        return planned, today

    async def next_in_drill(self, drill_id: int, user_id: int, chat_id: int,
                            answered_question: str) -> Asked | DrillSummary | None:
        """After an answer in a drill: the next question, the summary at the end, or None if already moved on."""
        drill = await self.daily.get_drill(drill_id)
        if drill is None or drill.user_id != user_id or drill.finished:
            return None
        if drill.questions[drill.position] != answered_question:
            return None  # an answer to an earlier question of this drill: the drill has moved on
        if not await self.daily.advance_drill(drill_id, drill.position, self.now()):
            return None
        position = drill.position + 1
        while position < len(drill.questions):
            asked = await self.quiz.ask(user_id, chat_id, drill.questions[position], origin="daily",
                                        drill_id=drill_id, drill=(position + 1, len(drill.questions)))
            if asked is not None:
                return asked
            # The question left the bank since the drill was planned: skip it.
            await self.daily.advance_drill(drill_id, position, self.now())
            position += 1
        return await self.summary(drill_id, user_id)

    async def summary(self, drill_id: int, user_id: int) -> DrillSummary:
        drill = await self.daily.get_drill(drill_id)
        correct = await self.repo.drill_correct(drill_id)
        user = await self.repo.get_user(user_id)
        tz = ZoneInfo(user.tz if user else "UTC")
        tomorrow_end = datetime.combine(local_day(self.now(), tz) + timedelta(days=2), time(0), tz)
        return DrillSummary(correct, len(drill.questions) if drill else 0, await self.streak(user_id),
                            await self.daily.count_due(user_id, tomorrow_end))

    # --- pushes' outcomes ----------------------------------------------------------------------

    async def drill_sent(self, push: DrillPush, message_id: int) -> None:
        """Remember that Telegram accepted the drill; sends finishing together share one transaction."""
        await self._sent_writer.write((push.user_id, push.day, push.asked.ask_id, message_id))

    async def sent(self, user_id: int, day: str, kind: str) -> None:
        await self.daily.finish_push(user_id, day, kind, "sent", self.now())

    async def skipped(self, user_id: int, day: str, kind: str) -> None:
        await self.daily.finish_push(user_id, day, kind, "skipped", self.now())

    async def blocked(self, user_id: int, day: str | None = None, kind: str | None = None) -> None:
        """The user blocked the bot: unsubscribe them (no retries), keep their history."""
        await self.daily.block(user_id, self.now())
        if day and kind:
            await self.daily.finish_push(user_id, day, kind, "blocked", self.now())

    # --- the evening reminder -----------------------------------------------------------------

    async def reminder_for(self, user_id: int, day: str) -> Reminder | None:
        """A reminder only if today's goal is not met and there is a streak to lose."""
        user = await self.repo.get_user(user_id)
        if user is None or user.chat_id is None or user.blocked:
            return None
        if local_day(self.now(), ZoneInfo(user.tz)).isoformat() != day:
            return None
        streak = await self.streak(user_id, user.tz)
        if not streak.at_risk:
            return None
        progress = await self.daily.day(user_id, day)
        answered, goal = (progress[0], progress[2]) if progress else (0, user.daily_size)
        return Reminder(user_id, user.chat_id, day, streak, max(goal - answered, 1))
