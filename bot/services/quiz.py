"""The quiz service: what happens when a user asks for a question, answers it, or asks for stats.

Handlers call this; it combines storage with the pure domain rules and returns plain
results for the rendering layer. Time and randomness are injected.
"""

from __future__ import annotations

import enum
import json
import random
from collections.abc import Callable
from zoneinfo import ZoneInfo
from dataclasses import dataclass
from datetime import datetime

from bot.content import Bank, Question, QuestionType
from bot.domain.clock import require_aware
from bot.domain.grading import Glossary, Verdict, grade_choice, grade_text
from bot.domain.selection import Candidate, Seen, group_by_domain, pick_next, shuffled_order
from bot.domain.memory import after_answer
from bot.domain.schedule import local_day
from bot.storage.repo import Ask, DayProgress, ExamHold, Repo, User

Clock = Callable[[], datetime]
EXAM_ORIGIN = "exam"  # asks of a mock exam: answered through the exam only, without feedback
LOOK_UP = object()  # QuizService.ask reads the user's exam hold itself


class Outcome(enum.Enum):
    recorded = "recorded"  # the first answer: stored, graded
    already = "already"  # a repeat: the ask was answered before
    expired = "expired"  # the ask was replaced by a newer question
    forged = "forged"  # not this user's ask, or an option that does not exist


@dataclass(frozen=True)
class Asked:
    ask_id: int
    question: Question
    order: tuple[int, ...]  # shown position -> option index in the file
    domain_name: str
    topic_name: str
    drill: tuple[int, int] | None = None  # (number, size) when part of a drill
    origin: str = "quiz"  # which feature asked (quiz, daily, topic, review, ...)


@dataclass(frozen=True)
class AnswerResult:
    outcome: Outcome
    ask: Ask | None = None
    question: Question | None = None
    correct: bool | None = None
    chosen: tuple[int, ...] = ()  # shown positions picked (choice questions)
    verdict: Verdict | None = None  # typed answers


@dataclass(frozen=True)
class Toggle:
    outcome: Outcome
    selected: tuple[int, ...] = ()
    asked: Asked | None = None


@dataclass(frozen=True)
class DomainStats:
    domain_id: str
    name: str
    weight: int
    answered: int
    correct: int


@dataclass(frozen=True)
class Stats:
    answered: int
    correct: int
    domains: tuple[DomainStats, ...]


class QuizService:
    def __init__(self, bank: Bank, repo: Repo, *, default_tz: str, clock: Clock, rng: random.Random):
        self.bank = bank
        self.repo = repo
        self.default_tz = default_tz
        self.clock = clock
        self.rng = rng
        self.glossary = Glossary.from_groups(bank.synonyms)
        self._weights = {d.id: float(d.weight) for d in bank.domains}
        self._candidates = tuple(Candidate(q.id, bank.domain_of(q).id) for q in bank.questions)
        self.pools = group_by_domain(self._candidates)

    def now(self) -> datetime:
        return require_aware(self.clock())

    async def meet(self, user_id: int, first_name: str | None, private_chat_id: int | None) -> tuple[User, bool]:
        """Make sure the user exists (first contact creates them); returns (user, created)."""
        return await self.repo.upsert_user(user_id, first_name, private_chat_id, self.default_tz, self.now())

    def asked_view(self, ask_id: int, question: Question, order: tuple[int, ...],
                   drill: tuple[int, int] | None = None, origin: str = "quiz") -> Asked:
        topic = self.bank.topic(question.topic)
        return Asked(ask_id, question, order, self.bank.domain(topic.domain).name, topic.name, drill, origin)

    async def history(self, user_id: int) -> dict[str, Seen]:
        return {
            h.question_id: Seen(h.answered, h.last_correct, h.last_asked_at) for h in await self.repo.history(user_id)
        }

    def candidates(self) -> tuple[Candidate, ...]:
        return self._candidates

    async def exam_hold(self, user_id: int) -> ExamHold | None:
        """The user's unfinished mock exam, if any: its questions are kept out of every practice path."""
        return await self.repo.exam_hold(user_id)

    async def ask_next(self, user_id: int, chat_id: int, *, origin: str = "quiz") -> Asked | None:
        """Choose the user's next question and record that it was asked."""
        hold = await self.exam_hold(user_id)
        candidates = self.candidates()
        if hold is not None:
            candidates = tuple(c for c in candidates if c.id not in hold.questions)
        qid = pick_next(candidates, await self.history(user_id), self._weights, self.rng)
        if qid is None:
            return None
        return await self.ask(user_id, chat_id, qid, origin=origin, hold=hold)

    async def ask(self, user_id: int, chat_id: int, question_id: str, *, origin: str,
                  drill_id: int | None = None, drill: tuple[int, int] | None = None,
                  hold: ExamHold | None | object = LOOK_UP) -> Asked | None:
        """Record that `question_id` is put to the user now, with its options in a fresh random order.

        None if it may not be asked: retired, gone from the bank, or a question of the user's open mock
        exam (practice would reveal its answer). `hold`: the user's exam hold if the caller already read it.
        """
        question = self.bank.askable(question_id)
        if question is None:
            return None
        if hold is LOOK_UP:
            hold = await self.exam_hold(user_id)
        if isinstance(hold, ExamHold) and question_id in hold.questions:
            return None
        order = tuple(shuffled_order(len(question.items), self.rng)) if question.items else ()
        ask_id = await self.repo.create_ask(
            user_id=user_id,
            chat_id=chat_id,
            question_id=question.id,
            kind=question.type.value,
            domain=self.bank.domain_of(question).id,
            topic=question.topic,
            option_order=list(order) if order else None,
            origin=origin,
            now=self.now(),
            drill_id=drill_id,
        )
        return self.asked_view(ask_id, question, order, drill, origin)

    async def is_latest(self, user_id: int, ask_id: int) -> bool:
        """Whether `ask_id` is the newest question put to the user (so a 'next' tap is not a double tap)."""
        return await self.repo.latest_ask_id(user_id) == ask_id

    async def attach_message(self, ask_id: int, message_id: int) -> None:
        await self.repo.set_ask_message(ask_id, message_id)

    async def _own_open_choice(self, ask_id: int, user_id: int) -> tuple[Outcome | None, Ask | None, Question | None]:
        ask = await self.repo.get_ask(ask_id)
        if ask is None or ask.user_id != user_id or ask.kind == QuestionType.fill.value:
            return Outcome.forged, None, None
        if ask.origin == EXAM_ORIGIN:  # exam answers go through the exam, which reveals nothing until the end
            return Outcome.forged, None, None
        question = self.bank.question(ask.question_id)
        if question is None:  # the question was removed from the bank since it was asked
            return Outcome.expired, ask, None
        if ask.status == "answered":
            return Outcome.already, ask, question
        if ask.status != "open":
            return Outcome.expired, ask, question
        return None, ask, question

    async def toggle(self, ask_id: int, user_id: int, position: int) -> Toggle:
        """Tick or untick one option of a choose-N question."""
        problem, ask, question = await self._own_open_choice(ask_id, user_id)
        if problem is not None:
            return Toggle(problem)
        assert ask is not None and question is not None
        if question.type is not QuestionType.multi or not 0 <= position < len(ask.option_order):
            return Toggle(Outcome.forged)
        selected = set(ask.selected) ^ {position}
        if not await self.repo.set_selected(ask_id, user_id, sorted(selected)):
            return Toggle(Outcome.already)
        return Toggle(Outcome.recorded, tuple(sorted(selected)), self.asked_view(ask.id, question, ask.option_order,
                                                                             origin=ask.origin))

    async def answer_choice(self, ask_id: int, user_id: int, position: int | None, update_id: int | None) -> AnswerResult:
        """Answer a choice question: `position` for single, None to submit the ticked options of a choose-N."""
        if update_id is not None and (replayed := await self.repo.answered_by(user_id, update_id)) is not None:
            # This very update was recorded before a restart cut the reply off: reply as the first time.
            question = self.bank.question(replayed.question_id)
            if replayed.id != ask_id or question is None:
                return AnswerResult(Outcome.already, replayed, question, replayed.correct, _chosen(replayed))
            return AnswerResult(Outcome.recorded, replayed, question, replayed.correct, _chosen(replayed))
        problem, ask, question = await self._own_open_choice(ask_id, user_id)
        if problem is not None:
            return AnswerResult(problem, ask, question, ask.correct if ask else None, _chosen(ask))
        assert ask is not None and question is not None
        if position is None:
            if question.type is not QuestionType.multi:
                return AnswerResult(Outcome.forged)
            chosen = ask.selected
        else:
            if question.type is not QuestionType.single or not 0 <= position < len(ask.option_order):
                return AnswerResult(Outcome.forged)
            chosen = (position,)
        picked = [ask.option_order[p] for p in chosen]
        correct = grade_choice(picked, question.correct_indices)
        recorded = await self._record(ask, correct, json.dumps(sorted(picked)), update_id)
        if not recorded:
            fresh = await self.repo.get_ask(ask_id)
            return AnswerResult(Outcome.already, fresh, question, fresh.correct if fresh else None, _chosen(fresh))
        return AnswerResult(Outcome.recorded, ask, question, correct, tuple(chosen))

    async def answer_text(self, user_id: int, text: str, update_id: int | None) -> AnswerResult | None:
        """Grade a typed message against the user's open fill-in question; None if there is none.

        A replayed update (handled before a restart cut it short) is recognised first, before any open
        question is looked at: by then the next question may be open, and it must not take this answer.
        """
        if update_id is not None and (replayed := await self.repo.answered_by(user_id, update_id)) is not None:
            return self._replay(replayed, text)
        ask = await self.repo.open_fill_ask(user_id)
        if ask is None:
            return None
        question = self.bank.question(ask.question_id)
        if question is None:
            return AnswerResult(Outcome.expired, ask)
        verdict = grade_text(text, question.accepted_answers, self.glossary)
        if verdict.reason in ("empty", "too_long"):
            # Not an attempt: keep the question open rather than mark it wrong.
            return AnswerResult(Outcome.forged, ask, question, None, (), verdict)
        if await self._record(ask, verdict.correct, text[:500], update_id):
            return AnswerResult(Outcome.recorded, ask, question, verdict.correct, (), verdict)
        if update_id is not None and (replayed := await self.repo.answered_by(user_id, update_id)) is not None:
            return self._replay(replayed, text)  # the same update, handled twice at once
        return AnswerResult(Outcome.already, ask, question, verdict.correct, (), verdict)

    def _replay(self, ask: Ask, text: str) -> AnswerResult:
        """The reply to an update whose answer was recorded before: the same verdict as the first time."""
        question = self.bank.question(ask.question_id)
        if question is None or ask.kind != QuestionType.fill.value:
            return AnswerResult(Outcome.already, ask, question, ask.correct)
        verdict = grade_text(text, question.accepted_answers, self.glossary)
        return AnswerResult(Outcome.recorded, ask, question, ask.correct, (), verdict)

    async def settle(self, ask_id: int, user_id: int) -> AnswerResult:
        """Grade the options ticked on an open choice ask and record them as its answer (a mock exam's, at the end)."""
        ask = await self.repo.get_ask(ask_id)
        if ask is None or ask.user_id != user_id or ask.kind == QuestionType.fill.value:
            return AnswerResult(Outcome.forged)
        question = self.bank.question(ask.question_id)
        if question is None:
            return AnswerResult(Outcome.expired, ask)
        if ask.status != "open":
            return AnswerResult(Outcome.already, ask, question, ask.correct, _chosen(ask))
        picked = [ask.option_order[p] for p in ask.selected if 0 <= p < len(ask.option_order)]
        correct = grade_choice(picked, question.correct_indices)
        if not await self._record(ask, correct, json.dumps(sorted(picked)), None):
            fresh = await self.repo.get_ask(ask_id)
            return AnswerResult(Outcome.already, fresh, question, fresh.correct if fresh else None, _chosen(fresh))
        return AnswerResult(Outcome.recorded, ask, question, correct, tuple(ask.selected))

    async def _record(self, ask: Ask, correct: bool, response: str, update_id: int | None) -> bool:
        """Store the answer together with the question's new FSRS card and the day's progress."""
        now = self.now()
        user = await self.repo.get_user(ask.user_id)
        tz = ZoneInfo(user.tz if user else self.default_tz)
        memory = after_answer(await self.repo.get_card(ask.user_id, ask.question_id), correct, now)
        progress = DayProgress(local_day(now, tz).isoformat(), user.daily_size if user else 5)
        return await self.repo.record_answer(
            ask_id=ask.id, user_id=ask.user_id, correct=correct, response=response, update_id=update_id,
            now=now, memory=memory, progress=progress,
        )

    async def stats(self, user_id: int) -> Stats:
        counts = {c.domain: c for c in await self.repo.domain_counts(user_id)}
        domains = tuple(
            DomainStats(d.id, d.name, d.weight, counts[d.id].answered if d.id in counts else 0,
                        counts[d.id].correct if d.id in counts else 0)
            for d in self.bank.domains
        )
        return Stats(sum(d.answered for d in domains), sum(d.correct for d in domains), domains)



def _chosen(ask: Ask | None) -> tuple[int, ...]:
    """The shown positions an earlier answer picked, recovered from the stored option indices."""
    if ask is None or not ask.response or not ask.option_order or ask.kind == "fill":
        return ()
    picked = set(json.loads(ask.response))
    return tuple(p for p, idx in enumerate(ask.option_order) if idx in picked)
