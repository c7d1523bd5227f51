"""Mock exams: start one, move through it, pause and resume, submit or run out of time, then review it.

Each exam question is an `asks` row with origin 'exam'. While the exam runs, a tap only stores the
ticked options (asks.selected) and nothing is graded, so nothing can leak. At the end every answered
question goes through QuizService.settle — the same recording path as /quiz (answer, FSRS card and
the day's streak progress in one transaction) — and the unanswered ones are expired.

Every call first checks the clock: once the time limit has passed, the exam is finished and scored,
and the late tap does not count.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content import Bank, QuestionType
from bot.domain import picks
from bot.domain.clock import require_aware
from bot.domain.exam import DomainScore, ExamClock, ExamScore, draw, quotas
from bot.domain.exam import score as score_exam
from bot.domain.selection import shuffled_order
from bot.services.exam_views import Blueprint, Overview, Page, Past, Paused, Refusal, Result, ReviewPage
from bot.services.quiz import EXAM_ORIGIN, Clock, QuizService
from bot.services.tracks import Track
from bot.storage.exam import Exam, ExamRepo, Item
from bot.storage.repo import NewAsk

__all__ = ["Blueprint", "ExamService", "Overview", "Page", "Past", "Paused", "Refusal", "Result", "ReviewPage"]

HISTORY_SIZE = 10
# Mock exams taken before exams became data were all MLS-C01's and stored its domains by these names.
LEGACY_DOMAINS = {"data-engineering": "1", "eda": "2", "modeling": "3", "ml-ops": "4"}
LEGACY_EXAM = "mls-c01"


class ExamService:
    def __init__(self, bank: Bank, repo: ExamRepo, quiz: QuizService, *, clock: Clock, rng: random.Random):
        self.bank, self.repo, self.quiz = bank, repo, quiz
        self.clock, self.rng = clock, rng

    def now(self) -> datetime:
        return require_aware(self.clock())

    def track(self, exam: Exam) -> Track:
        """The exam an attempt was a mock of (its code; the legacy attempts were MLS-C01's)."""
        return self.quiz.tracks.get(exam.exam_code or LEGACY_EXAM)

    async def blueprint(self, user_id: int) -> Blueprint:
        """The user's exam as a mock: its length, time, pass mark and questions per domain."""
        track = await self.quiz.track_of(user_id)
        exam = track.exam
        counts = quotas(track.weights, exam.questions)
        return Blueprint(exam.short, exam.status_note, exam.questions, exam.minutes, exam.pass_mark,
                         tuple((d.name, d.weight, counts[d.id]) for d in exam.domains),
                         tuple(t.value for t in exam.item_types))

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
        track = self.track(exam)
        asked = self.quiz.asked_view(item.ask_id, question, item.option_order, track=track)
        selected = item.selected or tuple(picks.empty(question.type.value, len(question.pairs)))
        return Page(exam.id, item.position, exam.size, asked, selected, item.flagged, items_answered,
                    self._clock(exam).remaining(self.now()), track.exam.short)

    async def _show(self, exam: Exam, position: int) -> Page | Refusal:
        items = await self.repo.items(exam.id)
        if not 0 <= position < len(items):
            return Refusal.forged
        if exam.position != position:
            await self.repo.set_position(exam.id, position)
        answered = sum(1 for i in items if _answered(i))
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
        track = await self.quiz.track_of(user_id)
        ids = draw(track.mock_pools, track.weights, self.rng, track.exam.questions,
                   avoid=await self.repo.past_questions(user_id))
        if not ids:
            return None
        asks = []
        for qid in ids:
            q = self.bank.question(qid)
            assert q is not None  # drawn from the bank's own pools a moment ago
            asks.append(NewAsk(user_id, chat_id, qid, q.type.value, self.bank.domain_of(q).id, q.topic,
                               shuffled_order(len(q.items), self.rng), EXAM_ORIGIN))
        clock = ExamClock.start(now, track.exam.minutes)
        exam_id = await self.repo.create(user_id, chat_id, asks, int(clock.limit.total_seconds()), clock.deadline,
                                         now, track.code)
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

    async def choose(self, user_id: int, exam_id: int, position: int,
                     option: int) -> Page | Overview | Result | Refusal:
        """A tap on an item: single-answer questions take it and move on; choose-N ones tick or untick it;
        ordering ones place it next in line (matching picks go through `match`)."""
        def tapped(q, selected: tuple[int, ...], n: int) -> list[int] | None:
            if q.type is QuestionType.single:
                return [option] if 0 <= option < n else None
            if q.type is QuestionType.multi:
                return picks.tick(selected, option, n)
            return picks.place(selected, option, n) if q.type is QuestionType.ordering else None

        return await self._change(user_id, exam_id, position, tapped)

    async def match(self, user_id: int, exam_id: int, position: int, prompt: int,
                    option: int) -> Page | Result | Refusal:
        """Matching: pick the choice at `option` for prompt `prompt` (again clears it)."""
        return await self._change(user_id, exam_id, position, lambda q, sel, n: picks.pair(sel, prompt, option, n)
                                  if q.type is QuestionType.matching else None)

    async def undo(self, user_id: int, exam_id: int, position: int) -> Page | Result | Refusal:
        """Ordering: take back the step placed last; matching: clear the last prompt's match."""
        return await self._change(user_id, exam_id, position, lambda q, sel, n: picks.take_back(q.type.value, sel))

    async def _change(self, user_id: int, exam_id: int, position: int, change) -> Page | Overview | Result | Refusal:
        exam = await self._mine(user_id, exam_id)
        if not isinstance(exam, Exam):
            return exam
        if exam.status == "paused":
            return Refusal.paused
        item = await self.repo.item(exam.id, position)
        if item is None:
            return Refusal.forged
        question = self.bank.question_or_withdrawn(item.question_id)
        current = item.selected or tuple(picks.empty(question.type.value, len(question.pairs)))
        selected = change(question, current, len(item.option_order))
        if selected is None:
            return Refusal.forged
        if question.type is QuestionType.single:
            last = position + 1 >= exam.size
            if not await self.repo.select(exam.id, position, selected, None if last else position + 1):
                return Refusal.finished
            if last:
                return await self._overview(exam)
            fresh = await self.repo.get(exam.id)
            assert fresh is not None  # it was read a moment ago and exams are never deleted mid-call
            return await self._show(fresh, position + 1)
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
            tuple(i.position for i in items if not _answered(i)),
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
        return Paused(exam.id, exam.size, sum(1 for i in items if _answered(i)),
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
        track = self.track(exam)
        items = await self.repo.items(exam.id)
        graded: list[tuple[str, bool]] = []
        for item in items:
            domain = track.domain_of.get(item.question_id)
            if domain is None:  # withdrawn from the bank (or from this exam) since: counts neither way
                continue
            correct = item.correct
            if item.status == "open" and _answered(item):
                settled = await self.quiz.settle(item.ask_id, exam.user_id)
                correct = settled.correct
            graded.append((domain, bool(correct) if _answered(item) else False))
        score = score_exam(graded, list(track.weights), track.exam.pass_mark)
        if exam.score is None:
            result = {d.domain: [d.right, d.total, d.scaled] for d in score.domains}
            await self.repo.save_score(exam.id, score.right, score.scaled, result)
        return self._result(exam, score)

    def _result(self, exam: Exam, score: ExamScore) -> Result:
        assert exam.finished_at is not None  # only finished exams are scored
        track = self.track(exam)
        return Result(exam.id, exam.user_id, exam.chat_id, score, track.names, exam.timed_out, exam.started_at,
                      exam.finished_at, timedelta(seconds=exam.used_seconds), exam=track.exam.short)

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
        track = self.track(exam)
        stored = {LEGACY_DOMAINS.get(k, k): v for k, v in (exam.result or {}).items()}
        pass_mark = track.exam.pass_mark
        domains = tuple(DomainScore(d, *stored.get(d, [0, 0, 0])[:2], pass_mark) for d in track.weights)
        total = sum(d.total for d in domains) or exam.size
        return self._result(exam, ExamScore(exam.correct or 0, total, domains, pass_mark))

    async def review(self, user_id: int, exam_id: int, position: int, *,
                     wrong_only: bool = False) -> ReviewPage | Refusal:
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
        asked = self.quiz.asked_view(item.ask_id, question, item.option_order, track=self.track(exam))
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
        out = []
        for e in await self.repo.finished(user_id, HISTORY_SIZE):
            exam = self.track(e).exam
            out.append(Past(e.id, e.started_at.astimezone(zone), e.score or 0, e.correct or 0, e.size, e.timed_out,
                            exam.code.upper(), exam.pass_mark))
        return out



def _answered(item: Item) -> bool:
    """Whether the user picked anything for this exam question."""
    return picks.picked_any(item.selected)
