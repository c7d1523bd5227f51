"""The quiz service: what happens when a user asks for a question, answers it, or asks for stats.

Handlers call this; it combines storage with the pure domain rules and returns plain
results for the rendering layer. Time and randomness are injected.
"""

from __future__ import annotations

import enum
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.content import Bank, Question, QuestionType
from bot.domain import picks
from bot.domain.clock import require_aware
from bot.domain.grading import Glossary, Verdict, grade_choice, grade_matching, grade_ordering, grade_text
from bot.domain.memory import DEFAULT_MODEL, after_answer
from bot.domain.picks import UNSET
from bot.domain.schedule import local_day
from bot.domain.selection import Seen, pick_next, shuffled_order
from bot.services.tracks import Track, Tracks
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
    # Shown positions: the options picked (choice), the steps in the order placed (ordering), or each
    # prompt's chosen match (matching, -1 for none).
    chosen: tuple[int, ...] = ()
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
    answered: int  # every answer, whatever the exam
    correct: int
    domains: tuple[DomainStats, ...]  # the user's exam's domains
    exam: str = ""  # its short name
    elsewhere: int = 0  # answers to questions outside this exam's scope (counted above, in no domain)




class QuizService:
    def __init__(self, bank: Bank, repo: Repo, *, default_tz: str, clock: Clock, rng: random.Random,
                 tracks: Tracks | None = None):
        self.bank = bank
        self.repo = repo
        self.default_tz = default_tz
        self.clock = clock
        self.rng = rng
        self.glossary = Glossary.from_groups(bank.synonyms)
        self.tracks = tracks or Tracks(bank)

    def now(self) -> datetime:
        return require_aware(self.clock())

    async def meet(self, user_id: int, first_name: str | None, private_chat_id: int | None) -> tuple[User, bool]:
        """Make sure the user exists (first contact creates them); returns (user, created)."""
        return await self.repo.upsert_user(user_id, first_name, private_chat_id, self.default_tz, self.now())

    def track(self, user: User | None) -> Track:
        """The exam the user studies for (the default exam for new users and unknown codes)."""
        return self.tracks.get(user.exam if user else None)

    async def track_of(self, user_id: int) -> Track:
        return self.track(await self.repo.get_user(user_id))

    async def set_track(self, user_id: int, code: str) -> Track | None:
        """Switch the user's exam; None for a code exams.yaml does not have. Nothing else changes."""
        if not self.tracks.known(code):
            return None
        await self.repo.set_exam(user_id, code)
        return self.tracks.get(code)

    def asked_view(self, ask_id: int, question: Question, order: tuple[int, ...],
                   drill: tuple[int, int] | None = None, origin: str = "quiz", track: Track | None = None) -> Asked:
        track = track or self.tracks.get(None)
        domain = track.domain_of.get(question.id)
        name = track.names.get(domain, "") if domain else ""
        return Asked(ask_id, question, order, name, self.bank.topic(question.topic).name, drill, origin)

    async def answered_view(self, ask: Ask, question: Question) -> Asked:
        """The question as it was asked, for a redraw or its verdict: its run's title and place kept."""
        drill = None
        if ask.drill_id is not None and (place := await self.repo.drill_place(ask.drill_id)) is not None:
            planned, position = place
            # Before the run moves on, its position is the question just answered.
            number = position + 1 if position < len(planned) and planned[position] == ask.question_id else \
                next((i + 1 for i, q in enumerate(planned) if q == ask.question_id), position)
            drill = (number, len(planned))
        return self.asked_view(ask.id, question, ask.option_order, drill, ask.origin,
                               await self.track_of(ask.user_id))

    async def history(self, user_id: int) -> dict[str, Seen]:
        return {
            h.question_id: Seen(h.answered, h.last_correct, h.last_asked_at) for h in await self.repo.history(user_id)
        }

    async def exam_hold(self, user_id: int) -> ExamHold | None:
        """The user's unfinished mock exam, if any: its questions are kept out of every practice path."""
        return await self.repo.exam_hold(user_id)

    async def ask_next(self, user_id: int, chat_id: int, *, origin: str = "quiz") -> Asked | None:
        """Choose the user's next question in their exam's scope and record that it was asked."""
        track = await self.track_of(user_id)
        hold = await self.exam_hold(user_id)
        candidates = track.candidates
        if hold is not None:
            candidates = tuple(c for c in candidates if c.id not in hold.questions)
        qid = pick_next(candidates, await self.history(user_id), track.weights, self.rng)
        if qid is None:
            return None
        return await self.ask(user_id, chat_id, qid, origin=origin, hold=hold, track=track)

    async def ask(self, user_id: int, chat_id: int, question_id: str, *, origin: str,
                  drill_id: int | None = None, drill: tuple[int, int] | None = None,
                  hold: ExamHold | None | object = LOOK_UP, track: Track | None = None) -> Asked | None:
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
        return self.asked_view(ask_id, question, order, drill, origin, track or await self.track_of(user_id))

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
        return await self._arrange(ask_id, user_id, QuestionType.multi, lambda sel, n: picks.tick(sel, position, n))

    async def place(self, ask_id: int, user_id: int, position: int) -> Toggle:
        """Ordering: put the step shown at `position` next in line."""
        return await self._arrange(ask_id, user_id, QuestionType.ordering,
                                   lambda sel, n: picks.place(sel, position, n))

    async def undo(self, ask_id: int, user_id: int) -> Toggle:
        """Take back the last step placed (ordering) or the last prompt's match (matching)."""
        ask = await self.repo.get_ask(ask_id)
        kind = QuestionType.matching if ask is not None and ask.kind == "matching" else QuestionType.ordering
        return await self._arrange(ask_id, user_id, kind, lambda sel, n: picks.take_back(kind.value, sel))

    async def pair(self, ask_id: int, user_id: int, prompt: int, position: int) -> Toggle:
        """Matching: choose the choice shown at `position` for prompt number `prompt` (tapping it again clears it)."""
        return await self._arrange(ask_id, user_id, QuestionType.matching,
                                   lambda sel, n: picks.pair(sel, prompt, position, n))

    async def _arrange(self, ask_id: int, user_id: int, kind: QuestionType, change) -> Toggle:
        """Change the in-progress selection of an open, unsubmitted question of `kind` (nothing is graded yet)."""
        problem, ask, question = await self._own_open_choice(ask_id, user_id)
        if problem is not None:
            return Toggle(problem)
        assert ask is not None and question is not None
        if question.type is not kind:
            return Toggle(Outcome.forged)
        current = ask.selected or picks.empty(question.type.value, len(question.pairs))
        selected = change(tuple(current), len(ask.option_order))
        if selected is None:
            return Toggle(Outcome.forged)
        if not await self.repo.set_selected(ask_id, user_id, list(selected)):
            return Toggle(Outcome.already)
        # Redrawn as asked: the run's title and place, the domain names of the user's exam.
        return Toggle(Outcome.recorded, tuple(selected), await self.answered_view(ask, question))

    async def answer_choice(self, ask_id: int, user_id: int, position: int | None,
                            update_id: int | None) -> AnswerResult:
        """Answer: `position` for a single-answer question; None submits the selection built so far (choose-N
        ticks, an ordering's placed steps, a matching's pairs). An incomplete ordering or matching is refused."""
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
            if question.type is QuestionType.single:
                return AnswerResult(Outcome.forged)
            chosen = ask.selected
        else:
            if question.type is not QuestionType.single or not 0 <= position < len(ask.option_order):
                return AnswerResult(Outcome.forged)
            chosen = (position,)
        graded = grade_selection(question, ask.option_order, chosen, complete=True)
        if graded is None:
            return AnswerResult(Outcome.forged, ask, question)
        picked, correct = graded
        recorded = await self._record(ask, correct, json.dumps(picked), update_id)
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

    def result_of(self, ask: Ask) -> AnswerResult | None:
        """An answered ask's verdict as it was first given (to draw it again, e.g. with its long explanation)."""
        question = self.bank.question(ask.question_id)
        if question is None or ask.status != "answered":
            return None
        verdict = None
        if question.type is QuestionType.fill:
            verdict = grade_text(ask.response or "", question.accepted_answers, self.glossary)
        return AnswerResult(Outcome.recorded, ask, question, ask.correct, _chosen(ask), verdict)

    def _replay(self, ask: Ask, text: str) -> AnswerResult:
        """The reply to an update whose answer was recorded before: the same verdict as the first time."""
        question = self.bank.question(ask.question_id)
        if question is None or ask.kind != QuestionType.fill.value:
            return AnswerResult(Outcome.already, ask, question, ask.correct)
        verdict = grade_text(text, question.accepted_answers, self.glossary)
        return AnswerResult(Outcome.recorded, ask, question, ask.correct, (), verdict)

    async def settle(self, ask_id: int, user_id: int) -> AnswerResult:
        """Grade what was picked on an open ask and record it as its answer (a mock exam's, at the end).

        Anything left incomplete (an ordering with steps unplaced, a matching with prompts unmatched) is wrong.
        """
        ask = await self.repo.get_ask(ask_id)
        if ask is None or ask.user_id != user_id or ask.kind == QuestionType.fill.value:
            return AnswerResult(Outcome.forged)
        question = self.bank.question(ask.question_id)
        if question is None:
            return AnswerResult(Outcome.expired, ask)
        if ask.status != "open":
            return AnswerResult(Outcome.already, ask, question, ask.correct, _chosen(ask))
        graded = grade_selection(question, ask.option_order, ask.selected, complete=False)
        picked, correct = graded if graded is not None else ([], False)
        if not await self._record(ask, correct, json.dumps(picked), None):
            fresh = await self.repo.get_ask(ask_id)
            return AnswerResult(Outcome.already, fresh, question, fresh.correct if fresh else None, _chosen(fresh))
        return AnswerResult(Outcome.recorded, ask, question, correct, tuple(ask.selected))

    async def _record(self, ask: Ask, correct: bool, response: str, update_id: int | None) -> bool:
        """Store the answer together with the question's new FSRS card and the day's progress."""
        now = self.now()
        user = await self.repo.get_user(ask.user_id)
        tz = ZoneInfo(user.tz if user else self.default_tz)
        memory = after_answer(await self.repo.get_card(ask.user_id, ask.question_id), correct, now,
                              user.model if user else DEFAULT_MODEL, tz)
        progress = DayProgress(local_day(now, tz).isoformat(), user.daily_size if user else 5)
        return await self.repo.record_answer(
            ask_id=ask.id, user_id=ask.user_id, correct=correct, response=response, update_id=update_id,
            now=now, memory=memory, progress=progress,
        )

    async def stats(self, user_id: int, track: Track | None = None) -> Stats:
        """Answers overall, and per domain of the user's exam (a question counts where that exam puts it)."""
        track = track or await self.track_of(user_id)
        answered: dict[str, int] = {}
        right: dict[str, int] = {}
        total = correct = elsewhere = 0
        for c in await self.repo.question_counts(user_id):
            total, correct = total + c.answered, correct + c.correct
            domain = track.domain_of.get(c.question_id)
            if domain is None:
                elsewhere += c.answered
                continue
            answered[domain] = answered.get(domain, 0) + c.answered
            right[domain] = right.get(domain, 0) + c.correct
        domains = tuple(DomainStats(d.id, d.name, d.weight, answered.get(d.id, 0), right.get(d.id, 0))
                        for d in track.exam.domains)
        return Stats(total, correct, domains, track.exam.short, elsewhere)


def grade_selection(question: Question, order: tuple[int, ...], selected: tuple[int, ...] | list[int],
                    *, complete: bool) -> tuple[list[int], bool] | None:
    """(what was picked, as indices into the question's items; right?) for a selection of shown positions.

    None when the selection is not a valid answer: out-of-range positions, or incomplete while `complete`
    is asked for (an ordering must place every step, a matching must match every prompt).
    """
    n = len(order)
    if any(p != UNSET and not 0 <= p < n for p in selected):
        return None
    if question.type is QuestionType.ordering:
        if complete and (len(selected) != n or len(set(selected)) != n):
            return None
        picked = [order[p] for p in selected]
        return picked, grade_ordering(picked, n)
    if question.type is QuestionType.matching:
        if len(selected) != len(question.pairs) or (complete and UNSET in selected):
            return None if complete else ([], False)
        picked = [order[p] if p != UNSET else UNSET for p in selected]
        return picked, grade_matching(picked, question.matches)
    if complete and not selected:
        return None
    picked = sorted(order[p] for p in set(selected))
    return picked, grade_choice(picked, question.correct_indices)


def _chosen(ask: Ask | None) -> tuple[int, ...]:
    """The shown positions an earlier answer picked, recovered from the stored item indices.

    Choice questions: the picked positions. Ordering: the positions in the order they were placed.
    Matching: per prompt, the position of its chosen match (UNSET for none).
    """
    if ask is None or not ask.response or not ask.option_order or ask.kind == "fill":
        return ()
    picked = json.loads(ask.response)
    position = {idx: pos for pos, idx in enumerate(ask.option_order)}
    if ask.kind in (QuestionType.ordering.value, QuestionType.matching.value):
        return tuple(position.get(i, UNSET) for i in picked)
    chosen = set(picked)
    return tuple(p for p, idx in enumerate(ask.option_order) if idx in chosen)
