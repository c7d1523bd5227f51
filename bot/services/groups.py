"""Group competitions: starting and stepping rounds, scoring answers, leaderboards and the weekly post.

A round's state lives in the `rounds` table and moves forward only through conditional updates, so
a restarted bot, a repeated update or two tasks looking at the same round never skip or repeat a step.
A player's answer is also their own answer: an asks row (origin 'group'), the FSRS card and the day's
streak progress, written in the same transaction as the round's answer.
"""

from __future__ import annotations

import enum
import json
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content import Bank, Question
from bot.domain import competition as comp
from bot.domain.clock import require_aware
from bot.domain.grading import grade_choice
from bot.domain.memory import after_answer
from bot.domain.schedule import local_day
from bot.domain.selection import shuffled_order
from bot.services.quiz import Clock
from bot.services.tracks import Track, Tracks
from bot.storage.batch import GroupCommit
from bot.storage.groups import BoardRow, Group, GroupRepo, NewAnswer, Round
from bot.storage.repo import DayProgress, ExamHold

REVEAL_GAP = timedelta(seconds=4)  # the answer stays alone on screen this long before the next question
CLOSE_GRACE = timedelta(seconds=1)  # an answer handled just before the deadline commits before the close
OFFLINE_LIMIT = timedelta(minutes=3)  # a round overdue by more than this (bot was down) ends with the scores so far
MAX_ROUND_AGE = timedelta(hours=1)  # the longest round (20 questions of 60 s) takes ~22 min: older means stranded
WEEKLY_CHECK_EVERY = timedelta(minutes=1)
ACTIVE_WINDOW = timedelta(days=15)  # groups that started a round this recently get a Monday post
TOP = 3
DEFAULT_GOAL = 5  # a new user's daily goal, as in QuizService
BOARD_SIZE = 10


@dataclass(frozen=True)
class QuestionView:
    round_id: int
    chat_id: int
    position: int
    size: int
    question: Question
    order: tuple[int, ...]
    topic_name: str
    seconds: int

    @property
    def correct_shown(self) -> tuple[int, ...]:
        return tuple(p for p, idx in enumerate(self.order) if idx in self.question.correct_indices)


@dataclass(frozen=True)
class SendQuestion:
    view: QuestionView


@dataclass(frozen=True)
class Reveal:
    view: QuestionView
    message_id: int | None
    answered: int
    right: int
    top: tuple[comp.Standing, ...]


@dataclass(frozen=True)
class Hardest:
    position: int
    prompt: str
    right: int
    answered: int


@dataclass(frozen=True)
class Final:
    chat_id: int
    size: int
    reached: int  # questions put to the group
    standings: tuple[comp.Standing, ...]
    hardest: Hardest | None
    reason: str  # finished | stopped | offline


Step = SendQuestion | Reveal | Final


@dataclass(frozen=True)
class Started:
    round_id: int
    topic_name: str | None
    size: int
    seconds: int


class Refusal(enum.Enum):
    running = "running"
    unknown_topic = "unknown_topic"
    empty = "empty"


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    typed: str = ""
    suggestions: tuple[str, ...] = ()


class Press(enum.Enum):
    locked = "locked"
    already = "already"
    closed = "closed"
    unknown = "unknown"
    in_exam = "in_exam"  # the player's mock exam is running, or holds this question: no feedback may leak into it


@dataclass(frozen=True)
class PressResult:
    outcome: Press
    shown: int = 0


@dataclass
class _Pending:
    """A press waiting for its batch's transaction; `result` is filled in by it."""

    round: Round
    question: Question
    position: int
    shown: int
    user_id: int
    first_name: str | None
    update_id: int | None
    at: datetime
    result: PressResult | None = None


@dataclass(frozen=True)
class Leaderboard:
    tz: str
    week: tuple[BoardRow, ...]
    all_time: tuple[BoardRow, ...]


@dataclass(frozen=True)
class WeeklyPost:
    chat_id: int
    week: str
    winners: tuple[BoardRow, ...]


class GroupService:
    def __init__(self, bank: Bank, repo: GroupRepo, *, clock: Clock, rng: random.Random, default_tz: str,
                 exam_hold: Callable[[int], Awaitable[ExamHold | None]] | None = None, tracks: Tracks | None = None):
        self.bank, self.repo = bank, repo
        self.exam_hold = exam_hold
        self.tracks = tracks or Tracks(bank)
        self.clock, self.rng, self.default_tz = clock, rng, default_tz
        self._topics = tuple(comp.TopicRef(t.id, t.name, t.aliases) for t in bank.topics)
        # Rounds draw from the group's exam, single-answer questions only (bot/services/tracks.py): a shared
        # message cannot hold each player's ticks or order, and a typed answer would need privacy mode off.
        # Presses that arrive while a transaction is being written go together in the next one.
        self._answers: GroupCommit[_Pending] = GroupCommit(self._record, max_items=500)
        self._weekly_checked: datetime | None = None

    def now(self) -> datetime:
        return require_aware(self.clock())

    # --- groups -----------------------------------------------------------------------------

    async def joined(self, chat_id: int, title: str | None) -> bool:
        """The bot was added; True if this is news (so it introduces itself once)."""
        return await self.repo.join(chat_id, title, self.now())

    async def left(self, chat_id: int) -> None:
        """The bot was removed or kicked: stop everything for the group."""
        await self.repo.leave(chat_id, self.now())

    async def migrated(self, old: int, new: int) -> None:
        """A group upgraded to a supergroup: the same group under a new id, its round and history kept."""
        await self.repo.migrate(old, new)

    async def group(self, chat_id: int, title: str | None = None) -> Group:
        """The group's settings, creating the record for a group the bot joined before it kept one."""
        group = await self.repo.get(chat_id)
        if group is None or not group.active:
            await self.repo.join(chat_id, title, self.now())
            group = await self.repo.get(chat_id)
        assert group is not None
        return group

    async def update_settings(self, chat_id: int, *, seconds: int | None = None, open_to_all: bool | None = None,
                              tz: str | None = None, exam: str | None = None) -> Group:
        group = await self.group(chat_id)
        await self.repo.update(
            chat_id,
            seconds=group.seconds if seconds is None else seconds,
            open_to_all=group.open_to_all if open_to_all is None else open_to_all,
            tz=group.tz if tz is None else tz,
            exam=group.exam if exam is None else exam,
        )
        return await self.group(chat_id)

    def track(self, group: Group) -> Track:
        """The exam the group's rounds draw from."""
        return self.tracks.get(group.exam)

    def exam_code(self, text: str) -> str | None:
        """The exam code `text` names (case and spaces forgiven: "MLA C02", "mla-c02"), if exams.yaml has it."""
        code = "-".join(text.lower().replace("-", " ").split())
        return code if self.tracks.known(code) else None

    # --- starting and stopping --------------------------------------------------------------------

    async def start(self, chat_id: int, title: str | None, user_id: int, args: Sequence[str]) -> Started | Refused:
        group = await self.group(chat_id, title)
        if await self.repo.running_round(chat_id) is not None:
            return Refused(Refusal.running)
        parsed = comp.parse_compete(args)
        topic_id = None
        if parsed.topic_text:
            match = comp.match_topic(parsed.topic_text, self._topics)
            if match.topic_id is None:
                return Refused(Refusal.unknown_topic, parsed.topic_text, match.suggestions)
            topic_id = match.topic_id
        track = self.track(group)
        pool = [q for q in track.group_pool if topic_id is None or self.bank.question(q).topic == topic_id]
        if not pool:
            return Refused(Refusal.empty)
        picked = comp.pick_questions(pool, parsed.size, self.rng)
        orders = [shuffled_order(len(self.bank.question(q).options), self.rng) for q in picked]
        round_id = await self.repo.start_round(chat_id, user_id, topic_id, picked, orders, group.seconds, self.now())
        if round_id is None:  # another /compete won the race
            return Refused(Refusal.running)
        name = self.bank.topic(topic_id).name if topic_id else None
        return Started(round_id, name, len(picked), group.seconds)

    async def stop(self, chat_id: int) -> Final | None:
        rnd = await self.repo.running_round(chat_id)
        if rnd is None or not await self.repo.finish(rnd.id, "stopped", self.now()):
            return None
        return await self._final(rnd, "stopped")

    # --- stepping a round -----------------------------------------------------------------------------

    async def due(self, hold: datetime | None = None) -> list[int]:
        """Rounds with a step due. `hold`: the arrival time of the oldest press still being handled;
        no question that closed after it is closed yet, so a press that came in time is never refused."""
        return await self.repo.due_rounds(self._close_before(hold))

    def _close_before(self, hold: datetime | None) -> datetime:
        limit = self.now() - CLOSE_GRACE
        return min(limit, hold) if hold is not None else limit

    async def step(self, round_id: int, hold: datetime | None = None) -> Step | None:
        """The next thing to do for the round now, with its state already moved on; None if nothing is due."""
        rnd = await self.repo.get_round(round_id)
        if rnd is None or rnd.status != "running":
            return None
        now = self.now()
        overdue = rnd.closes_at if rnd.phase == "open" else rnd.next_at
        if (overdue is not None and now - overdue > OFFLINE_LIMIT) or now - rnd.started_at > MAX_ROUND_AGE:
            if await self.repo.finish(rnd.id, "finished", now, ended_early=True):
                return await self._final(rnd, "offline")
            return None
        if rnd.phase == "sending":
            if not await self.repo.claim_send(rnd.id, rnd.position):
                return None  # another replica posts it
            return SendQuestion(self._view(rnd))
        if rnd.phase == "open" and rnd.closes_at is not None and rnd.closes_at <= self._close_before(hold):
            if not await self.repo.close_question(rnd.id, rnd.position, now + REVEAL_GAP):
                return None
            return await self._reveal(rnd)
        if rnd.phase == "reveal" and rnd.next_at is not None and rnd.next_at <= now:
            if rnd.position + 1 < len(rnd.questions):
                if await self.repo.advance(rnd.id, rnd.position):
                    return await self.step(rnd.id, hold)
                return None
            if await self.repo.finish(rnd.id, "finished", now):
                return await self._final(rnd, "finished")
        return None

    async def question_sent(self, view: QuestionView, message_id: int) -> None:
        """Telegram accepted the question: its clock starts now."""
        now = self.now()
        await self.repo.opened(view.round_id, view.position, message_id, now, now + timedelta(seconds=view.seconds))

    async def undeliverable(self, chat_id: int) -> None:
        """Telegram refuses to post in the group (bot removed, chat gone): the same as being removed."""
        await self.left(chat_id)

    def _view(self, rnd: Round) -> QuestionView:
        # A round begun before the question left the bank (a deploy mid-round) shows a stand-in.
        question = self.bank.question_or_withdrawn(rnd.questions[rnd.position])
        return QuestionView(rnd.id, rnd.chat_id, rnd.position, len(rnd.questions), question,
                            rnd.orders[rnd.position], self.bank.topic(question.topic).name, rnd.seconds)

    async def _scored(self, round_id: int) -> list[comp.Scored]:
        return await self.repo.answers(round_id)

    async def _reveal(self, rnd: Round) -> Reveal:
        scored = await self._scored(rnd.id)
        result = comp.per_question(scored, len(rnd.questions))[rnd.position]
        return Reveal(self._view(rnd), rnd.message_id, result.answered, result.correct,
                      comp.standings(scored)[:TOP])

    async def _final(self, rnd: Round, reason: str) -> Final:
        scored = await self._scored(rnd.id)
        reached = rnd.position + (1 if rnd.phase != "sending" else 0)
        hardest = None
        if reached:
            worst = comp.hardest(comp.per_question(scored, len(rnd.questions))[:reached])
            if worst is not None:
                question = self.bank.question(rnd.questions[worst.position])
                hardest = Hardest(worst.position, question.prompt if question else "", worst.correct, worst.answered)
        return Final(rnd.chat_id, len(rnd.questions), reached, comp.standings(scored), hardest, reason)

    # --- answers ----------------------------------------------------------------------------------------

    async def answer(self, round_id: int, position: int, shown: int, user_id: int, first_name: str | None,
                     update_id: int | None, received_at: datetime | None = None) -> PressResult:
        """A player's press: the first one per question counts, timed by the bot's clock when it arrived.

        It is also the player's own answer: an asks row (origin 'group'), the question's FSRS card and the
        day's streak progress — the same records as a private answer, written in the same transaction as
        the round's, so the two can never disagree. Presses arriving together share one transaction.
        """
        now = self.now() if received_at is None else min(require_aware(received_at), self.now())
        rnd = await self.repo.get_round(round_id)
        if rnd is None or not 0 <= position < len(rnd.questions) or not 0 <= shown < len(rnd.orders[position]):
            return PressResult(Press.unknown)
        if (rnd.status != "running" or rnd.position != position or rnd.phase != "open"
                or rnd.opened_at is None or rnd.closes_at is None or now > rnd.closes_at):
            return PressResult(Press.closed)
        question = self.bank.question(rnd.questions[position])
        if question is None:  # withdrawn from the bank since the round began: nothing to score
            return PressResult(Press.closed)
        if self.exam_hold is not None and (hold := await self.exam_hold(user_id)) is not None \
                and (hold.running or question.id in hold.questions):
            return PressResult(Press.in_exam)
        pending = _Pending(rnd, question, position, shown, user_id, first_name, update_id, now)
        await self._answers.write(pending)
        assert pending.result is not None
        return pending.result

    async def _record(self, batch: Sequence[_Pending]) -> None:
        contexts = await self.repo.player_contexts([(p.round.id, p.user_id, p.question.id) for p in batch])
        todo: list[tuple[_Pending, NewAnswer]] = []
        for p in batch:
            player = contexts[(p.round.id, p.user_id, p.question.id)]
            if p.position in player.before:
                p.result = PressResult(Press.already)
                continue
            order = p.round.orders[p.position]
            correct = grade_choice([order[p.shown]], p.question.correct_indices)
            elapsed = p.at - p.round.opened_at
            pts = comp.points(elapsed, timedelta(seconds=p.round.seconds), correct,
                              comp.streak_before(player.before, p.position))
            tz = ZoneInfo(player.tz or self.default_tz)
            todo.append((p, NewAnswer(
                round_id=p.round.id, position=p.position, chat_id=p.round.chat_id, user_id=p.user_id,
                first_name=p.first_name, default_tz=self.default_tz, shown=p.shown, correct=correct,
                elapsed_ms=max(0, int(elapsed / timedelta(milliseconds=1))), points=pts, update_id=p.update_id,
                question_id=p.question.id, kind=p.question.type.value, domain=self.bank.domain_of(p.question).id,
                topic=p.question.topic, option_order=order, response=json.dumps([order[p.shown]]),
                asked_at=p.round.opened_at, memory=after_answer(player.card, correct, p.at, player.model, tz),
                progress=DayProgress(local_day(p.at, tz).isoformat(), player.daily_size or DEFAULT_GOAL),
                answered_at=p.at,
            )))
        outcomes = await self.repo.record_answers([a for _, a in todo])
        for (p, _), got in zip(todo, outcomes, strict=True):
            if isinstance(got, int):
                p.result = PressResult(Press.locked, p.shown)
            else:
                p.result = PressResult(Press.already if got == "already" else Press.closed)

    # --- leaderboards ----------------------------------------------------------------------------------

    async def leaderboard(self, chat_id: int, title: str | None = None) -> Leaderboard:
        group = await self.group(chat_id, title)
        since = comp.week_start(self.now(), ZoneInfo(group.tz))
        week = await self.repo.board(chat_id, since, None, BOARD_SIZE)
        all_time = await self.repo.board(chat_id, None, None, BOARD_SIZE)
        return Leaderboard(group.tz, tuple(week), tuple(all_time))

    async def weekly_due(self) -> list[WeeklyPost]:
        """Last week's winners for every active group whose Monday post is due and not yet claimed."""
        now = self.now()
        if self._weekly_checked is not None and now - self._weekly_checked < WEEKLY_CHECK_EVERY:
            return []
        self._weekly_checked = now
        posts = []
        for group in await self.repo.recently_active(now - ACTIVE_WINDOW):
            tz = ZoneInfo(group.tz)
            if not comp.weekly_post_due(now, tz):
                continue
            start, end, label = comp.last_week(now, tz)
            if await self.repo.weekly_status(group.chat_id, label) in ("sent", "failed"):
                continue
            winners = await self.repo.board(group.chat_id, start, end, TOP)
            if not winners:
                continue
            if await self.repo.claim_weekly(group.chat_id, label, now):
                posts.append(WeeklyPost(group.chat_id, label, tuple(winners)))
        return posts

    async def weekly_done(self, post: WeeklyPost, sent: bool) -> None:
        await self.repo.weekly_done(post.chat_id, post.week, "sent" if sent else "failed", self.now())
