"""Mock exams: start one, move through it, pause and resume, submit or run out of time, then review it.

Each exam question is an `asks` row with origin 'exam'. While the exam runs, a tap only stores the
ticked options (asks.selected) and nothing is graded, so nothing can leak. At the end every answered
question goes through QuizService.settle — the same recording path as /quiz (answer, FSRS card and
the day's streak progress in one transaction) — and the unanswered ones are expired.

Every call first checks the clock: once the time limit has passed, the exam is finished and scored,
and the late tap does not count.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content import Bank, QuestionType
from bot.domain.clock import require_aware
from bot.domain.exam import EXAM_MINUTES, EXAM_SIZE, SCALED_PASS, DomainScore, ExamClock, ExamScore, draw, quotas
from bot.domain.exam import score as score_exam
from bot.domain.selection import shuffled_order
from bot.services.quiz import EXAM_ORIGIN, Asked, Clock, QuizService
from bot.storage.exam import Exam, ExamRepo, Item
from bot.storage.repo import NewAsk

HISTORY_SIZE = 10


class Refusal(enum.Enum):
    forged = "forged"  # not this user's exam, or a position that does not exist
    finished = "finished"  # the exam is over
    paused = "paused"  # the exam is paused: resume first
    none = "none"  # no such exam / nothing open


@dataclass(frozen=True)
class Page:
    """One exam question as the user sees it during the exam."""

    exam_id: int
    position: int
    size: int
    asked: Asked
    selected: tuple[int, ...]
    flagged: bool
    answered: int
    remaining: timedelta


@dataclass(frozen=True)
class Overview:
    exam_id: int
    size: int
    position: int
    unanswered: tuple[int, ...]
    flagged: tuple[int, ...]
    remaining: timedelta


@dataclass(frozen=True)
class Paused:
    exam_id: int
    size: int
    answered: int
    remaining: timedelta
    started_at: datetime


@dataclass(frozen=True)
class Result:
    exam_id: int
    user_id: int
    chat_id: int
    score: ExamScore
    domain_names: dict[str, str]
    timed_out: bool
    started_at: datetime
    finished_at: datetime
    used: timedelta
    late: bool = False  # this call was the late tap that found the time up


@dataclass(frozen=True)
class ReviewPage:
    exam_id: int
    position: int
    size: int
    asked: Asked
    chosen: tuple[int, ...]  # shown positions picked
    correct: bool | None  # None: not answered
    next_wrong: int | None  # the next position answered wrong or not at all, for "next mistake"


@dataclass(frozen=True)
class Past:
    exam_id: int
    started_at: datetime
    score: int
    right: int
    total: int
    timed_out: bool

    @property
    def passed(self) -> bool:
        return self.score >= SCALED_PASS


class ExamService:
    def __init__(self, bank: Bank, repo: ExamRepo, quiz: QuizService, *, clock: Clock, rng: random.Random,
                 size: int = EXAM_SIZE, minutes: int = EXAM_MINUTES):
        self.bank, self.repo, self.quiz = bank, repo, quiz
        self.clock, self.rng = clock, rng
        self.size, self.minutes = size, minutes
        self._weights = {d.id: float(d.weight) for d in bank.domains}
        self._names = {d.id: d.name for d in bank.domains}
        pools: dict[str, list[str]] = {d.id: [] for d in bank.domains}
        for q in bank.questions:
            if q.type is not QuestionType.fill:  # the real exam has no typed answers
                pools[bank.domain_of(q).id].append(q.id)
        self._pools = pools

    def now(self) -> datetime:
        return require_aware(self.clock())

    def blueprint(self) -> list[tuple[str, int, int]]:
        """(domain name, exam weight, questions in an exam) per domain."""
        counts = quotas(self._weights, self.size)
        return [(self._names[d], round(w), counts[d]) for d, w in self._weights.items()]

    # --- helpers ------------------------------------------------------------------------

    @staticmethod
    def _clock(exam: Exam) -> ExamClock:
        return ExamClock(timedelta(seconds=exam.limit_seconds), timedelta(seconds=exam.used_seconds), exam.resumed_at)

    async def _mine(self, user_id: int, exam_id: int) -> Exam | Refusal | Result:
        """The user's exam, finished first if its time ran out (then the Result, marked late)."""
        exam = await self.repo.get(exam_id)
        if exam is None or exam.user_id != user_id:
            return Refusal.forged
        if exam.status == "finished":
            return Refusal.finished
        if exam.status == "running" and self._clock(exam).expired(self.now()):
            result = await self.finish(exam, timed_out=True)
            return replace(result, late=True) if result else Refusal.finished
        return exam

    def _page(self, exam: Exam, item: Item, items_answered: int) -> Page:
        question = self.bank.question_or_withdrawn(item.question_id)
        asked = self.quiz.asked_view(item.ask_id, question, item.option_order)
        return Page(exam.id, item.position, exam.size, asked, item.selected, item.flagged, items_answered,
                    self._clock(exam).remaining(self.now()))

    async def _show(self, exam: Exam, position: int) -> Page | Refusal:
        items = await self.repo.items(exam.id)
        if not 0 <= position < len(items):
            return Refusal.forged
        if exam.position != position:
            await self.repo.set_position(exam.id, position)
        answered = sum(1 for i in items if i.selected)
        return self._page(exam, items[position], answered)

    # --- starting and moving ------------------------------------------------------------

    async def current(self, user_id: int) -> Paused | Page | Result | None:
        """The user's unfinished exam: where it stands (paused) or its current question (running); None if none."""
        exam = await self.repo.open_exam(user_id)
        if exam is None:
            return None
        mine = await self._mine(user_id, exam.id)
        if isinstance(mine, Result):
            return mine
        if isinstance(mine, Refusal):
            return None
        if mine.status == "paused":
            return await self._paused_view(mine)
        page = await self._show(mine, mine.position)
        return page if isinstance(page, Page) else None

    async def start(self, user_id: int, chat_id: int) -> Page | Paused | Result | None:
        """A new exam, or the one already open (a user has at most one). None if the bank has no choice questions."""
        existing = await self.current(user_id)
        if existing is not None and not (isinstance(existing, Result) and existing.late):
            return existing
        now = self.now()
        ids = draw(self._pools, self._weights, self.rng, self.size)
        if not ids:
            return None
        asks = []
        for qid in ids:
            q = self.bank.question(qid)
            assert q is not None
            asks.append(NewAsk(user_id, chat_id, qid, q.type.value, self.bank.domain_of(q).id, q.topic,
                               shuffled_order(len(q.options), self.rng), EXAM_ORIGIN))
        clock = ExamClock.start(now, self.minutes)
        exam_id = await self.repo.create(user_id, chat_id, asks, int(clock.limit.total_seconds()), clock.deadline, now)
        if exam_id is None:  # another tap started one a moment ago
            return await self.current(user_id)
        exam = await self.repo.get(exam_id)
        assert exam is not None
        page = await self._show(exam, 0)
        assert isinstance(page, Page)
        return page

    async def go(self, user_id: int, exam_id: int, position: int) -> Page | Result | Refusal:
        """Show question `position` (back, skip, or a jump from the overview)."""
        exam = await self._mine(user_id, exam_id)
        if not isinstance(exam, Exam):
            return exam
        if exam.status == "paused":
            return Refusal.paused
        return await self._show(exam, position)

    async def choose(self, user_id: int, exam_id: int, position: int, option: int) -> Page | Overview | Result | Refusal:
        """A tap on an option: single-answer questions take it and move on; choose-N ones tick or untick it."""
        exam = await self._mine(user_id, exam_id)
        if not isinstance(exam, Exam):
            return exam
        if exam.status == "paused":
            return Refusal.paused
        item = await self.repo.item(exam.id, position)
        if item is None or not 0 <= option < len(item.option_order):
            return Refusal.forged
        question = self.bank.question_or_withdrawn(item.question_id)
        if question.type is QuestionType.single:
            last = position + 1 >= exam.size
            if not await self.repo.select(exam.id, position, [option], None if last else position + 1):
                return Refusal.finished
            if last:
                return await self._overview(exam)
            fresh = await self.repo.get(exam.id)
            assert fresh is not None
            return await self._show(fresh, position + 1)
        selected = sorted(set(item.selected) ^ {option})
        if not await self.repo.select(exam.id, position, selected, position):
            return Refusal.finished
        return await self._show(exam, position)

    async def flag(self, user_id: int, exam_id: int, position: int) -> Page | Result | Refusal:
        """Flag a question to come back to (or unflag it)."""
        exam = await self._mine(user_id, exam_id)
        if not isinstance(exam, Exam):
            return exam
        if exam.status == "paused":
            return Refusal.paused
        if not 0 <= position < exam.size:
            return Refusal.forged
        await self.repo.toggle_flag(exam.id, position)
        return await self._show(exam, position)

    async def _overview(self, exam: Exam) -> Overview:
        items = await self.repo.items(exam.id)
        return Overview(
            exam.id, exam.size, exam.position,
            tuple(i.position for i in items if not i.selected),
            tuple(i.position for i in items if i.flagged),
            self._clock(exam).remaining(self.now()),
        )

    async def overview(self, user_id: int, exam_id: int) -> Overview | Result | Refusal:
        """Before submitting: what is unanswered or flagged, with a way back to each."""
        exam = await self._mine(user_id, exam_id)
        if not isinstance(exam, Exam):
            return exam
        if exam.status == "paused":
            return Refusal.paused
        return await self._overview(exam)

    # --- pausing --------------------------------------------------------------------------

    async def _paused_view(self, exam: Exam) -> Paused:
        items = await self.repo.items(exam.id)
        return Paused(exam.id, exam.size, sum(1 for i in items if i.selected),
                      self._clock(exam).remaining(self.now()), exam.started_at)

    async def pause(self, user_id: int, exam_id: int) -> Paused | Result | Refusal:
        """Stop the clock; the exam waits in the database (restarts included) until resumed."""
        exam = await self._mine(user_id, exam_id)
        if not isinstance(exam, Exam):
            return exam
        if exam.status == "running":
            clock = self._clock(exam).pause(self.now())
            await self.repo.set_clock(exam.id, "running", "paused", clock.used.total_seconds(), None, None)
        fresh = await self.repo.get(exam.id)
        assert fresh is not None
        return await self._paused_view(fresh)

    async def resume(self, user_id: int, exam_id: int) -> Page | Result | Refusal:
        """Start the clock again where it stopped and show the question the user was on."""
        exam = await self._mine(user_id, exam_id)
        if not isinstance(exam, Exam):
            return exam
        if exam.status == "paused":
            clock = self._clock(exam).resume(self.now())
            await self.repo.set_clock(exam.id, "paused", "running", clock.used.total_seconds(), clock.resumed_at,
                                      clock.deadline)
        fresh = await self.repo.get(exam.id)
        assert fresh is not None
        return await self._show(fresh, fresh.position)

    # --- finishing --------------------------------------------------------------------------

    async def submit(self, user_id: int, exam_id: int) -> Result | Refusal:
        """Hand the exam in: grade and record every answer, and score it."""
        exam = await self._mine(user_id, exam_id)
        if not isinstance(exam, Exam):
            return exam
        result = await self.finish(exam, timed_out=False)
        return result if result is not None else Refusal.finished

    async def finish(self, exam: Exam, *, timed_out: bool) -> Result | None:
        """Close the exam (once, whoever gets there first) and score it; None if another caller closed it."""
        now = self.now()
        clock = self._clock(exam)
        used = min(clock.limit, clock.used_at(now))
        if not await self.repo.close(exam.id, used.total_seconds(), timed_out, now):
            return None
        fresh = await self.repo.get(exam.id)
        assert fresh is not None
        return await self._score(fresh)

    async def _score(self, exam: Exam) -> Result:
        """Record the answers through the quiz's recording path and store the score; safe to run again."""
        items = await self.repo.items(exam.id)
        graded: list[tuple[str, bool]] = []
        for item in items:
            if self.bank.question(item.question_id) is None:  # withdrawn since: counts neither way
                continue
            correct = item.correct
            if item.status == "open" and item.selected:
                settled = await self.quiz.settle(item.ask_id, exam.user_id)
                correct = settled.correct
            graded.append((item.domain, bool(correct) if item.selected else False))
        score = score_exam(graded, list(self._weights))
        if exam.score is None:
            result = {d.domain: [d.right, d.total, d.scaled] for d in score.domains}
            await self.repo.save_score(exam.id, score.right, score.scaled, result)
        return self._result(exam, score)

    def _result(self, exam: Exam, score: ExamScore) -> Result:
        assert exam.finished_at is not None
        return Result(exam.id, exam.user_id, exam.chat_id, score, self._names, exam.timed_out, exam.started_at,
                      exam.finished_at, timedelta(seconds=exam.used_seconds))

    async def finish_due(self, limit: int = 100) -> list[Result]:
        """Finish and score every exam whose time ran out (the periodic job), and any whose scoring was cut short."""
        results = []
        for exam in await self.repo.due(self.now(), limit):
            if exam.status == "finished":
                await self._score(exam)
                continue
            result = await self.finish(exam, timed_out=True)
            if result is not None:
                results.append(result)
        return results

    # --- afterwards ----------------------------------------------------------------------------

    async def result(self, user_id: int, exam_id: int) -> Result | Refusal:
        exam = await self.repo.get(exam_id)
        if exam is None or exam.user_id != user_id:
            return Refusal.forged
        if exam.status != "finished":
            return Refusal.none
        if exam.score is None:
            return await self._score(exam)
        stored = exam.result or {}
        domains = tuple(DomainScore(d, *stored.get(d, [0, 0, 0])[:2]) for d in self._weights)
        return self._result(exam, ExamScore(exam.correct or 0, exam.size, domains))

    async def review(self, user_id: int, exam_id: int, position: int, *, wrong_only: bool = False) -> ReviewPage | Refusal:
        """One finished exam question with the user's answer, the right one and the explanation."""
        exam = await self.repo.get(exam_id)
        if exam is None or exam.user_id != user_id:
            return Refusal.forged
        if exam.status != "finished":
            return Refusal.none
        items = await self.repo.items(exam.id)
        if not 0 <= position < len(items):
            return Refusal.forged
        item = items[position]
        question = self.bank.question_or_withdrawn(item.question_id)
        asked = self.quiz.asked_view(item.ask_id, question, item.option_order)
        correct = item.correct if item.status == "answered" else None
        later = [i.position for i in items[position + 1:] if i.correct is not True]
        return ReviewPage(exam.id, position, exam.size, asked, item.selected, correct, later[0] if later else None)

    async def review_of_ask(self, user_id: int, ask_id: int) -> ReviewPage | Refusal:
        """The review page of a finished exam's question, found by its ask (a problem report under it)."""
        place = await self.repo.place_of_ask(ask_id)
        if place is None:
            return Refusal.none
        return await self.review(user_id, *place)

    async def history(self, user_id: int) -> list[Past]:
        """The latest finished exams, their start in the user's time zone (dates near midnight differ from UTC)."""
        user = await self.quiz.repo.get_user(user_id)
        zone = ZoneInfo(user.tz if user else self.quiz.default_tz)
        return [
            Past(e.id, e.started_at.astimezone(zone), e.score or 0, e.correct or 0, e.size, e.timed_out)
            for e in await self.repo.finished(user_id, HISTORY_SIZE)
        ]

