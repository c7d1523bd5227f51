"""Study runs — topic drills, spaced-repetition reviews, mistakes — plus problem reports and a user's own data.

A run is a row in `drills` (kind topic | review | mistakes | retry) whose questions are asked one at
a time through the ordinary answer path (QuizService); this service decides what follows an answer,
a skip or a stop.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.content import Bank
from bot.domain import study as rules
from bot.domain.clock import require_aware
from bot.domain.schedule import local_day
from bot.services.quiz import Asked, Clock, QuizService
from bot.services.tracks import Track
from bot.storage.repo import Repo
from bot.storage.study import ReportCount, StudyDrill, StudyRepo

KINDS = ("topic", "review", "mistakes", "retry")
REVIEW_LIMIT = 20  # one sitting; what is left stays due for the next /review
MISTAKES_LIMIT = 20
REASONS = ("wrong", "unclear", "outdated")
# Telegram takes bot uploads up to 50 MB; keep room for the multipart wrapping. About 100,000 answers
# of JSON reach it; gzip shrinks such an export about tenfold.
EXPORT_LIMIT = 45 * 1024 * 1024


@dataclass(frozen=True)
class Export:
    data: bytes
    compressed: bool  # gzip: the plain JSON was over EXPORT_LIMIT


def pack_export(raw: bytes, limit: int = EXPORT_LIMIT) -> Export | None:
    """The export as Telegram can take it: plain JSON, else gzipped JSON; None if even that is too big."""
    if len(raw) <= limit:
        return Export(raw, False)
    packed = gzip.compress(raw, compresslevel=6, mtime=0)
    return Export(packed, True) if len(packed) <= limit else None


@dataclass(frozen=True)
class TopicRow:
    id: str
    name: str
    questions: int
    answered: int
    correct: int


@dataclass(frozen=True)
class DomainRow:
    index: int
    id: str
    name: str
    questions: int


@dataclass(frozen=True)
class Started:
    asked: Asked | None  # the first question; None when there was nothing to ask
    size: int = 0
    total: int = 0  # how many were available (due reviews, mistakes), when capped


@dataclass(frozen=True)
class NoMatch:
    text: str
    suggestions: tuple[TopicRow, ...]


@dataclass(frozen=True)
class NothingDue:
    next_due: datetime | None  # in the user's zone; None when they have no cards at all


@dataclass(frozen=True)
class Summary:
    drill_id: int
    kind: str
    title: str
    answered: int
    correct: int
    skipped: int
    planned: int
    seconds: int
    stopped: bool
    weakest: tuple[rules.Area, ...]
    missed: tuple[str, ...]


@dataclass(frozen=True)
class Moved:
    """What follows an answer, a skip or a stop: the next question, or the summary."""

    asked: Asked | None = None
    summary: Summary | None = None


class StudyService:
    def __init__(self, bank: Bank, repo: Repo, study: StudyRepo, quiz: QuizService, *, clock: Clock,
                 rng: random.Random, admin_ids: frozenset[int]):
        self.bank, self.repo, self.study, self.quiz = bank, repo, study, quiz
        self.clock, self.rng, self.admin_ids = clock, rng, admin_ids
        # Matched against every topic, then kept to the user's exam: a topic outside it is "not in your exam".
        self._names = [rules.TopicNames(t.id, t.name, t.aliases) for t in bank.topics]

    def now(self) -> datetime:
        return require_aware(self.clock())

    # --- the picker -------------------------------------------------------------------

    async def domains(self, user_id: int) -> list[DomainRow]:
        """The user's exam's domains, each with how many questions its topics hold."""
        track = await self.quiz.track_of(user_id)
        return [DomainRow(i, d.id, d.name, sum(len(t.questions) for t in track.topics if t.domain == d.id))
                for i, d in enumerate(track.exam.domains)]

    async def topics(self, user_id: int, domain_index: int) -> tuple[DomainRow, list[TopicRow]] | None:
        rows = await self.domains(user_id)
        if not 0 <= domain_index < len(rows):
            return None
        domain = rows[domain_index]
        track = await self.quiz.track_of(user_id)
        scores = await self.study.topic_scores(user_id)
        return domain, [self._topic_row(track, t.id, scores) for t in track.topics if t.domain == domain.id]

    def _topic_row(self, track: Track, topic_id: str, scores) -> TopicRow:
        score = scores.get(topic_id)
        topic = track.topic(topic_id)
        return TopicRow(topic_id, self.bank.topic(topic_id).name, len(topic.questions) if topic else 0,
                        score.answered if score else 0, score.correct if score else 0)

    def is_topic(self, topic_id: str) -> bool:
        """A topic the bank knows (whatever the exam); titles of old runs use it."""
        return any(t.id == topic_id for t in self.bank.topics)

    async def in_track(self, user_id: int, topic_id: str) -> bool:
        """A topic with questions in the user's exam."""
        return (await self.quiz.track_of(user_id)).topic(topic_id) is not None

    async def find(self, user_id: int, text: str) -> str | NoMatch:
        """The topic id `text` names within the user's exam, or the closest of its topics to offer instead."""
        track = await self.quiz.track_of(user_id)
        found = rules.match_topic(text, [n for n in self._names if track.topic(n.id) is not None])
        if found.topic is not None:
            return found.topic
        scores = await self.study.topic_scores(user_id)
        return NoMatch(text, tuple(self._topic_row(track, t, scores) for t in found.suggestions))

    # --- starting runs ------------------------------------------------------------------

    async def _day(self, user_id: int) -> str:
        user = await self.repo.get_user(user_id)
        return local_day(self.now(), ZoneInfo(user.tz if user else "UTC")).isoformat()

    async def _start(self, user_id: int, chat_id: int, kind: str, label: str | None,
                     questions: list[str]) -> Asked | None:
        questions = [q for q in questions if self.bank.askable(q) is not None]
        if not questions:
            return None
        # One run at a time: an abandoned run's old buttons must not bring it back between the new one's questions.
        await self.study.stop_unfinished(user_id, KINDS, self.now())
        drill_id = await self.study.start(user_id, kind, label, await self._day(user_id), questions, self.now())
        return await self._ask(await self.study.get(drill_id), user_id, chat_id)

    async def _ask(self, drill: StudyDrill | None, user_id: int, chat_id: int) -> Asked | None:
        if drill is None or drill.current is None:
            return None
        return await self.quiz.ask(user_id, chat_id, drill.current, origin=drill.kind, drill_id=drill.id,
                                   drill=(drill.position + 1, len(drill.questions)))

    async def start_topic(self, user_id: int, chat_id: int, topic_id: str, size: int | None) -> Started:
        topic = (await self.quiz.track_of(user_id)).topic(topic_id)
        pool = list(topic.questions) if topic else []
        n = rules.clamp_size(size, len(pool))
        chosen = rules.pick_questions(pool, await self.quiz.history(user_id), n, self.rng)
        asked = await self._start(user_id, chat_id, "topic", topic_id, chosen)
        return Started(asked, len(chosen), len(pool))

    async def start_review(self, user_id: int, chat_id: int) -> Started | NothingDue:
        track = await self.quiz.track_of(user_id)
        due, total = await self.study.due(user_id, self.now(), REVIEW_LIMIT, keep=track.in_scope)
        asked = await self._start(user_id, chat_id, "review", None, due)
        if asked is None:
            when, cards = await self.study.next_due(user_id)
            user = await self.repo.get_user(user_id)
            zone = ZoneInfo(user.tz if user else "UTC")
            return NothingDue(when.astimezone(zone) if when and cards else None)
        return Started(asked, len(due), total)

    async def start_mistakes(self, user_id: int, chat_id: int) -> Started:
        track = await self.quiz.track_of(user_id)
        wrong = [q for q in await self.study.last_wrong(user_id) if track.in_scope(q)][:MISTAKES_LIMIT]
        asked = await self._start(user_id, chat_id, "mistakes", None, wrong)
        return Started(asked, len(wrong), len(wrong))

    async def retry(self, user_id: int, chat_id: int, drill_id: int) -> Started | None:
        """A new run of the questions missed in run `drill_id`; None if it is not theirs or nothing was missed."""
        drill = await self.study.get(drill_id)
        if drill is None or drill.user_id != user_id or drill.finished_at is None:
            return None
        missed = list(rules.missed(self._results(await self.study.results(drill_id))))
        label = drill.label if drill.kind in ("topic", "retry") else self.title(drill)
        asked = await self._start(user_id, chat_id, "retry", label, missed)
        return Started(asked, len(missed), len(missed)) if asked else None

    # --- moving on ------------------------------------------------------------------------

    async def after_answer(self, drill_id: int, user_id: int, chat_id: int, question_id: str,
                           correct: bool) -> Moved | None:
        """After an answer in a run: the next question or the summary; None if the run already moved on."""
        drill = await self.study.get(drill_id)
        if drill is None or drill.user_id != user_id or drill.finished_at is not None:
            return None
        if drill.current != question_id:
            return None
        again = question_id if drill.kind == "mistakes" and not correct else None
        if not await self.study.advance(drill_id, drill.position, self.now(), again=again):
            return None
        return await self._next(drill_id, user_id, chat_id)

    async def end_runs(self, user_id: int) -> int:
        """End the user's unfinished runs (a mock exam starts or resumes: no feedback may come meanwhile)."""
        return await self.study.stop_unfinished(user_id, KINDS, self.now())

    async def reopen_typed(self, user_id: int) -> bool:
        """A typed message with no open typed question: reopen the run's one that /quiz or a push closed."""
        return await self.study.reopen_closed_fill(user_id, KINDS) is not None

    async def skip(self, ask_id: int, user_id: int) -> Moved | None:
        """Pass over the run's current question unanswered; None if it is not theirs or no longer current."""
        ask = await self.repo.get_ask(ask_id)
        if ask is None or ask.user_id != user_id or ask.drill_id is None or ask.status == "answered":
            return None
        drill = await self.study.get(ask.drill_id)
        if (drill is None or drill.kind not in KINDS or drill.finished_at is not None
                or drill.current != ask.question_id):
            return None
        if not await self.study.advance(drill.id, drill.position, self.now(), skip_ask=ask.id):
            return None
        return await self._next(drill.id, user_id, ask.chat_id)

    async def stop(self, ask_id: int, user_id: int) -> Summary | None:
        """End the run the ask belongs to and sum it up; None if it is not theirs or already over."""
        ask = await self.repo.get_ask(ask_id)
        if ask is None or ask.user_id != user_id or ask.drill_id is None:
            return None
        drill = await self.study.get(ask.drill_id)
        if drill is None or drill.kind not in KINDS or not await self.study.stop(drill.id, user_id, self.now()):
            return None
        return await self.summary(drill.id)

    async def _next(self, drill_id: int, user_id: int, chat_id: int) -> Moved:
        while True:
            drill = await self.study.get(drill_id)
            assert drill is not None
            if drill.finished_at is not None:
                return Moved(summary=await self.summary(drill_id))
            asked = await self._ask(drill, user_id, chat_id)
            if asked is not None:
                return Moved(asked=asked)
            # The question left the bank since the run was planned: pass over it.
            await self.study.advance(drill_id, drill.position, self.now())

    def _results(self, rows: list[tuple[str, bool]]) -> list[rules.Result]:
        out = []
        for qid, correct in rows:
            q = self.bank.question(qid)
            if q is not None:
                out.append(rules.Result(qid, correct, self.bank.topic(q.topic).name, q.difficulty, q.type.value))
        return out

    def title(self, drill: StudyDrill) -> str:
        label = drill.label
        if label and self.is_topic(label):
            label = self.bank.topic(label).name
        return {"topic": label or "Topic drill", "review": "Review", "mistakes": "Mistakes",
                "retry": f"Retry: {label}" if label else "Retry"}.get(drill.kind, drill.kind)

    async def summary(self, drill_id: int) -> Summary:
        drill = await self.study.get(drill_id)
        assert drill is not None
        results = self._results(await self.study.results(drill_id))
        end = drill.finished_at or self.now()
        asked_through = drill.position  # questions passed: answered or skipped
        return Summary(
            drill_id=drill.id, kind=drill.kind, title=self.title(drill),
            answered=len(results), correct=sum(r.correct for r in results), skipped=drill.skipped,
            planned=len(drill.questions), seconds=max(0, int((end - drill.started_at).total_seconds())),
            stopped=asked_through < len(drill.questions),
            weakest=rules.weakest_areas(results), missed=rules.missed(results),
        )

    # --- reports ---------------------------------------------------------------------------

    async def report(self, ask_id: int, user_id: int, reason: str) -> tuple[bool, bool] | None:
        """Report the question of one of the user's asks: (stored, in a run); None if the ask is not theirs."""
        ask = await self.repo.get_ask(ask_id)
        if ask is None or ask.user_id != user_id or reason not in REASONS:
            return None
        stored = await self.study.add_report(user_id, ask.question_id, reason, self.now())
        return stored, ask.drill_id is not None

    async def owns(self, ask_id: int, user_id: int) -> bool:
        ask = await self.repo.get_ask(ask_id)
        return ask is not None and ask.user_id == user_id

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids

    async def reports(self) -> list[tuple[ReportCount, str]]:
        """Report counts, most reported first, each with the question's prompt (or a note that it left the bank)."""
        out = []
        for count in await self.study.report_counts():
            q = self.bank.question(count.question_id)
            out.append((count, q.prompt if q else "(no longer in the bank)"))
        return out

    # --- a user's own data ------------------------------------------------------------------

    async def export(self, user_id: int) -> Export | None:
        """Everything stored about the user as JSON: profile, settings, and every table that has a user_id."""
        tables = await self.study.export(user_id)
        users = tables.pop("users")
        profile = users[0] if users else {}
        settings_keys = ("tz", "daily_enabled", "daily_time", "daily_size")
        doc = {
            "format": "mlsquiz-export/1",
            "exported_at": self.now().isoformat(),
            "profile": {k: v for k, v in profile.items() if k not in settings_keys},
            "settings": {k: profile[k] for k in settings_keys if k in profile},
            "tables": {name: [_decode_json(row) for row in rows] for name, rows in sorted(tables.items())},
        }
        # A heavy user's export takes a second or more to encode: off the event loop, so others get answers meanwhile.
        return await asyncio.to_thread(_encode_export, doc)

    async def forget(self, user_id: int) -> int:
        """Delete everything about the user; returns how many rows went."""
        return sum((await self.study.forget(user_id)).values())


def _encode_export(doc: dict) -> Export | None:
    return pack_export(json.dumps(doc, ensure_ascii=False, indent=1).encode())


def _decode_json(row: dict) -> dict:
    """Columns that hold JSON (FSRS cards, question lists) come out as JSON, not as strings within strings."""
    out = {}
    for key, value in row.items():
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except ValueError:
                pass
        out[key] = value
    return out
