"""Plans to exam day (/plan): the date and the time budget, today's share, the forecast for the day, the
plan's own messages (the evening before, the question after), and each learner's memory model."""

from __future__ import annotations

import asyncio
import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.content import Bank
from bot.domain import plan as rules
from bot.domain import tuning
from bot.domain.clock import require_aware
from bot.domain.memory import RETENTION_RANGE, Model, replay, review_kernel
from bot.domain.readiness import Known, Learning, Readiness, assess, forecast, recall
from bot.domain.schedule import at_local, local_day
from bot.services.quiz import Clock
from bot.services.tracks import Track, Tracks
from bot.storage.exam import ExamRepo
from bot.storage.plan import ModelRow, OutcomeCount, PlanEvent, PlanRepo
from bot.storage.repo import Repo, User

log = logging.getLogger(__name__)

EVE_AT = time(19, 0)  # the evening before the exam: what to review tonight
EXAM_HOUR = time(12, 0)  # the forecast is for the middle of the exam day
FIT_EVERY = timedelta(days=7)
FIT_LEASE = timedelta(hours=1)  # a fit claimed by a process that died is taken up again after this
FORECAST_HORIZON = 120  # days of review forecast (the kernel); reviews further out are not counted
WEAK_TOPICS = 3
QUICK = {"2w": (0, 14), "1m": (1, 0), "2m": (2, 0)}  # (months, days) from today


@dataclass(frozen=True)
class ModelView:
    model: Model
    reviews: int  # answers so far that count as reviews
    row: ModelRow | None  # the latest fit, if any

    @property
    def own(self) -> bool:
        return self.model.params is not None


@dataclass(frozen=True)
class PlanView:
    exam: str  # the exam's code as people write it (MLA-C02)
    exam_date: date | None
    today: date
    outlook: rules.Outlook | None  # None: no plan, or its date has passed
    minutes: int
    seconds: float
    measured: bool  # seconds per question measured from the user's own answers
    daily_time: str
    daily_on: bool
    memory: ModelView
    drill: tuple[int, int] | None = None  # (answered, size) of today's daily drill, once it has been sent

    @property
    def passed(self) -> bool:
        return self.exam_date is not None and self.exam_date < self.today


@dataclass(frozen=True)
class Forecast:
    day: date
    readiness: Readiness
    needs_time: str  # the domain with the most points still to gain


@dataclass(frozen=True)
class Eve:
    chat_id: int
    exam: str
    topics: tuple[tuple[str, str, int, int], ...]  # (topic id, name, right, seen), weakest first


@dataclass(frozen=True)
class OutcomeAsk:
    chat_id: int
    exam: str
    exam_date: date


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class PlanService:
    def __init__(self, bank: Bank, repo: Repo, plans: PlanRepo, exams: ExamRepo, tracks: Tracks, *, clock: Clock):
        self.bank, self.repo, self.plans, self.exams, self.tracks = bank, repo, plans, exams, tracks
        self.clock = clock

    def now(self) -> datetime:
        return require_aware(self.clock())

    async def _user(self, user_id: int) -> User:
        user = await self.repo.get_user(user_id)
        if user is None:
            raise LookupError(f"user {user_id} has not started the bot")
        return user

    def today(self, user: User) -> date:
        return local_day(self.now(), ZoneInfo(user.tz))

    # --- today's share (for the daily drill) ------------------------------------------------------------

    def today_for(self, user: User, track: Track, seen: set[str], due: int, seconds: list[float]) -> rules.Today | None:
        """What the plan wants today, from the questions seen, the reviews due and the user's answer times."""
        if user.exam_date is None:
            return None
        per_day = rules.budget(user.plan_minutes, rules.seconds_per_question(seconds)[0])
        unseen = sum(1 for c in track.candidates if c.id not in seen)
        return rules.plan_today(self.today(user), date.fromisoformat(user.exam_date), unseen=unseen, due=due,
                                per_day=per_day)

    async def answer_seconds(self, user_ids: list[int]) -> dict[int, list[float]]:
        return await self.plans.answer_seconds(user_ids) if user_ids else {}

    # --- /plan ----------------------------------------------------------------------------------------

    async def view(self, user_id: int) -> PlanView:
        user = await self._user(user_id)
        track = self.tracks.get(user.exam)
        seconds, measured = rules.seconds_per_question((await self.plans.answer_seconds([user_id])).get(user_id, []))
        today = self.today(user)
        exam_date = date.fromisoformat(user.exam_date) if user.exam_date else None
        outlook = None
        if exam_date is not None and exam_date >= today:
            cards = await self.plans.cards(user_id)
            zone = ZoneInfo(user.tz)
            due_days = [local_day(due, zone) for qid, _, due, _ in cards if track.in_scope(qid)]
            seen = {qid for qid, _, _, _ in cards}
            unseen = sum(1 for c in track.candidates if c.id not in seen)
            p_first = await self._first_accuracy(user_id)
            kernel = review_kernel(user.model, p_first, FORECAST_HORIZON)
            outlook = rules.outlook(today, exam_date, unseen=unseen, in_scope=len(track.candidates),
                                    due_days=due_days, per_day=rules.budget(user.plan_minutes, seconds),
                                    kernel=kernel)
        memory = await self.memory(user)
        return PlanView(track.code.upper(), exam_date, today, outlook, user.plan_minutes, seconds, measured,
                        user.daily_time, user.daily_enabled, memory,
                        await self.plans.today_drill(user_id, today.isoformat()))

    async def memory(self, user: User) -> ModelView:
        return ModelView(user.model, user.reviews, await self.plans.model_row(user.id))

    async def _first_accuracy(self, user_id: int) -> float:
        firsts = [f.first_right for f in await self.plans.first_and_later(user_id) if f.first_right is not None]
        return (sum(firsts) + 0.5 * 5) / (len(firsts) + 5)  # pulled toward a coin toss until there are answers

    def check_date(self, user: User, exam_date: date) -> str | None:
        """Why this date cannot be planned for: 'past', 'far', 'retired' (the exam ends before it), or None."""
        if (why := rules.check_date(exam_date, self.today(user))) is not None:
            return why
        last_day = self.tracks.get(user.exam).exam.last_day
        return "retired" if last_day is not None and exam_date > last_day else None

    async def set_date(self, user_id: int, exam_date: date) -> str | None:
        """Plan for this exam date (its messages included); returns why not, or None when set."""
        user = await self._user(user_id)
        if (why := self.check_date(user, exam_date)) is not None:
            return why
        await self.plans.set_plan(user_id, exam_date.isoformat(), self._events(user, exam_date))
        return None

    def quick_date(self, user: User, key: str) -> date | None:
        if key not in QUICK:
            return None
        months, days = QUICK[key]
        return add_months(self.today(user), months) + timedelta(days=days)

    async def clear(self, user_id: int) -> None:
        await self.plans.set_plan(user_id, None, ())

    async def end(self, user_id: int, exam_date: date) -> bool:
        """End the plan for that date (its button); False if the plan has changed since."""
        return await self.plans.end_plan(user_id, exam_date.isoformat())

    async def set_minutes(self, user_id: int, minutes: int) -> bool:
        low, high = rules.MINUTES_RANGE
        if not low <= minutes <= high:
            return False
        await self.plans.set_minutes(user_id, minutes)
        return True

    async def set_retention(self, user_id: int, retention: float) -> int | None:
        """A new desired retention: stored, and every card rescheduled with it. Returns the cards rescheduled,
        or None when the retention is out of range."""
        low, high = RETENTION_RANGE
        if not low - 1e-9 <= retention <= high + 1e-9:
            return None
        user = await self._user(user_id)
        retention = round(retention, 3)
        cards = await self._rescheduled(user_id, Model(user.model.params, retention))
        return await self.plans.set_retention(user_id, retention, cards)

    async def _rescheduled(self, user_id: int, model: Model) -> list[tuple[str, str, datetime, int]]:
        """Every card rebuilt from its reviews under `model`: stored in the same transaction as the model, so
        that a stop in between never leaves cards scheduled by a model the user no longer has."""
        log_ = await self.plans.review_log(user_id)
        by_question: dict[str, list[tuple[datetime, int]]] = {}
        for r in log_:
            by_question.setdefault(r.question_id, []).append((r.at, r.rating))
        cards = await self.plans.cards(user_id)

        def rebuild() -> list[tuple[str, str, datetime, int]]:
            out = []
            for qid, _, _, reviews in cards:
                history = by_question.get(qid, [])
                if len(history) == reviews and history:  # a card whose log is complete
                    memory = replay(history, model)
                    out.append((qid, memory.card_json, memory.due, reviews))
            return out

        return await asyncio.to_thread(rebuild)

    async def retime(self, user_id: int) -> None:
        """The user's time zone or drill time changed: the plan's messages follow."""
        user = await self._user(user_id)
        if user.exam_date is not None:
            events = self._events(user, date.fromisoformat(user.exam_date))
            await self.plans.move_events(user_id, user.exam_date, events)

    def _events(self, user: User, exam_date: date) -> list[tuple[str, datetime]]:
        zone = ZoneInfo(user.tz)
        h, m = (int(x) for x in user.daily_time.split(":"))
        events = [("outcome", at_local(exam_date + timedelta(days=1), time(h, m), zone))]
        if exam_date > self.today(user):  # an exam today has no evening before left
            events.append(("eve", at_local(exam_date - timedelta(days=1), EVE_AT, zone)))
        return events

    # --- /progress: the forecast for exam day -------------------------------------------------------

    async def forecast(self, user: User, known: list[Known]) -> Forecast | None:
        """The scaled score forecast for the exam day, if the user has a plan whose date is still ahead."""
        view = await self.view(user.id)
        if view.outlook is None or view.exam_date is None:
            return None
        track = self.tracks.get(user.exam)
        learning: dict[str, Learning] = {}
        for f in await self.plans.first_and_later(user.id):
            if (domain := track.domain_of.get(f.question_id)) is None:
                continue
            was = learning.get(domain, Learning())
            learning[domain] = Learning(was.first + (f.first_right is not None), was.first_right + bool(f.first_right),
                                        was.later + f.later, was.later_right + f.later_right)
        seen = {k.question_id for k in known}
        unseen: dict[str, int] = {}
        for c in track.candidates:
            if c.id not in seen:
                unseen[c.domain] = unseen.get(c.domain, 0) + 1
        o = view.outlook
        covered = 1.0 if not o.unseen else (o.unseen - o.left_unseen) / o.unseen
        exam_at = at_local(view.exam_date, EXAM_HOUR, ZoneInfo(user.tz))
        readiness = forecast(known, track.weights, exam_at, unseen=unseen, covered=covered, learning=learning,
                             model=user.model, reviews_kept=o.today.short == 0, pass_mark=track.exam.pass_mark)
        gain = max(readiness.domains, key=lambda d: d.weight * (1 - d.mastery))
        return Forecast(view.exam_date, readiness, track.names.get(gain.domain, gain.domain))

    # --- the plan's own messages ----------------------------------------------------------------------

    async def claim_events(self, limit: int = 200) -> list[PlanEvent]:
        """Messages claimed earlier but not sent (the bot stopped), then those due now."""
        return [*await self.plans.claimed_events(limit), *await self.plans.claim_events(self.now(), limit)]

    async def eve(self, event: PlanEvent) -> Eve | None:
        """The evening before: the weakest topics to review tonight. None when it no longer applies."""
        user = await self.repo.get_user(event.user_id)
        if user is None or user.chat_id is None or user.blocked or user.exam_date != event.exam_date:
            return None
        track = self.tracks.get(user.exam)
        now = self.now()
        per_topic: dict[str, list[float]] = {}
        for row in await self.exams.known(user.id):
            q = self.bank.question(row.question_id)
            if q is None or not track.in_scope(q.id):
                continue
            per_topic.setdefault(q.topic, []).append(recall(Known("", row.last_correct, row.card_json), now,
                                                            user.model))
        ranked = sorted((sum(r) / len(r), tid, len(r), sum(1 for x in r if x > 0)) for tid, r in per_topic.items()
                        if len(r) >= 2)
        topics = tuple((tid, self.bank.topic(tid).name, right, n) for _, tid, n, right in ranked[:WEAK_TOPICS])
        # What the bot forecasts tonight for tomorrow is what the learner's outcome is later set against.
        exam_day = date.fromisoformat(event.exam_date)
        known = [Known(d, row.last_correct, row.card_json, row.question_id) for row in await self.exams.known(user.id)
                 if (d := track.domain_of.get(row.question_id)) is not None]
        predicted = assess(known, track.weights, at_local(exam_day, EXAM_HOUR, ZoneInfo(user.tz)),
                           track.exam.pass_mark, model=user.model).predicted if known else None
        await self.plans.keep_forecast(event, predicted)
        return Eve(user.chat_id, track.code.upper(), topics)

    async def outcome_ask(self, event: PlanEvent) -> OutcomeAsk | None:
        """After the exam: ask how it went, beside what the bot forecast the evening before."""
        user = await self.repo.get_user(event.user_id)
        if user is None or user.chat_id is None or user.blocked or user.exam_date != event.exam_date:
            return None
        track = self.tracks.get(user.exam)
        predicted = await self.plans.eve_forecast(user.id, event.exam_date)
        await self.plans.ask_outcome(user.id, event.exam_date, track.code, predicted, self.now())
        return OutcomeAsk(user.chat_id, track.code.upper(), date.fromisoformat(event.exam_date))

    async def finish(self, event: PlanEvent, status: str) -> None:
        await self.plans.finish_event(event, status, self.now())

    async def record_outcome(self, user_id: int, exam_date: str, outcome: str) -> str | None:
        """Record how the exam went; returns the outcome on record (the first answer counts), None if there was
        no such exam: neither asked about nor the user's planned date."""
        user = await self._user(user_id)
        try:
            if date.fromisoformat(exam_date) >= self.today(user):
                return None  # not over yet: nothing to tell
        except ValueError:
            return None
        code = self.tracks.get(user.exam).code
        return await self.plans.record_outcome(user_id, exam_date, code, outcome, self.now())

    async def outcome_counts(self) -> list[OutcomeCount]:
        return await self.plans.outcome_counts({t.code: t.exam.pass_mark for t in self.tracks.all()})

    # --- memory models --------------------------------------------------------------------------------

    async def refit_due(self, limit: int = 4) -> int:
        """Fit the memory models that are due (claimed in the database: one process does each)."""
        now = self.now()
        users = await self.plans.claim_fits(now, now + FIT_LEASE, limit)
        for user_id in users:
            try:
                await self.refit(user_id)
            except LookupError:  # /forget between the claim and the fit: nothing left to fit
                log.info("memory model not fitted: the user is gone")
            except Exception:  # one learner's failed fit must not hold back the others; the lease lets it retry
                log.exception("memory model not fitted")
        return len(users)

    async def refit(self, user_id: int) -> tuning.Fit:
        """Fit the user's own FSRS parameters from their reviews; keep them only if they beat the defaults."""
        user = await self._user(user_id)
        reviews = [tuning.Review(r.question_id, r.at, r.rating, r.elapsed_days)
                   for r in await self.plans.review_log(user_id)]
        # fsrs-rs holds the GIL while it trains, so the thread does not free the event loop: a fit of 500 reviews
        # stalls it ~5 ms, 20,000 reviews ~110 ms (bench/fit.py), once a week per user.
        fit = await asyncio.to_thread(tuning.fit, reviews)
        now = self.now()
        row = ModelRow(now, fit.reviews, fit.reason, fit.own.log_loss if fit.own else None,
                       fit.default.log_loss if fit.default else None, fit.own.rmse if fit.own else None,
                       fit.default.rmse if fit.default else None)
        cards = (await self._rescheduled(user_id, Model(fit.parameters, user.model.retention))
                 if fit.parameters != user.model.params else [])
        await self.plans.save_fit(user_id, row, fit.parameters, now + FIT_EVERY, cards)
        log.info("memory model fitted: %s from %d reviews", fit.reason, fit.reviews)
        return fit
