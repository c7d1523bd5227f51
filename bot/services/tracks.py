"""Exam tracks: the bank as one exam sees it (its domains, weights, and which questions serve it).

A user studies for one exam (their track); everything that speaks of "the exam" — selection by
domain weight, stats per domain, topic drills, the mock exam, readiness — asks the user's Track.
Each question names its task statements per exam (content/questions/*.yaml, `exams:`); its domain
in an exam is the domain of its first task there. Answers and review cards are per question and
shared by every track, so switching loses nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.content import Bank, Question, QuestionType
from bot.content.models import Exam
from bot.domain.selection import Candidate, group_by_domain

# What the bot can ask in a private chat (all of them); a mock exam keeps to its exam's item types.
PRACTICE_TYPES = frozenset(QuestionType)
# A group round is one shared message with letter buttons: single-answer questions only.
GROUP_TYPES = frozenset({QuestionType.single})


@dataclass(frozen=True)
class TopicInTrack:
    id: str
    name: str
    domain: str  # the domain most of its questions serve in this exam
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Track:
    exam: Exam
    domain_of: dict[str, str]  # question id (active or retired, in scope) -> domain id in this exam
    candidates: tuple[Candidate, ...]  # what practice may ask
    pools: dict[str, tuple[Candidate, ...]]  # candidates per domain
    mock_pools: dict[str, tuple[str, ...]]  # per domain: questions of the exam's own item types
    group_pool: tuple[str, ...]  # single-answer questions in scope
    topics: tuple[TopicInTrack, ...]  # topics with questions in scope, in topics.yaml order
    weights: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.exam.code

    def in_scope(self, question_id: str) -> bool:
        return question_id in self.domain_of

    def topic(self, topic_id: str) -> TopicInTrack | None:
        return next((t for t in self.topics if t.id == topic_id), None)


def build_track(bank: Bank, exam: Exam) -> Track:
    def domain(q: Question) -> str | None:
        tasks = q.tasks(exam.code)
        return tasks[0].split(".")[0] if tasks else None

    domain_of = {q.id: d for q in (*bank.questions, *bank.retired) if (d := domain(q)) is not None}
    active = [q for q in bank.questions if q.id in domain_of]
    candidates = tuple(Candidate(q.id, domain_of[q.id]) for q in active if q.type in PRACTICE_TYPES)
    mock_pools = {d.id: tuple(q.id for q in active if domain_of[q.id] == d.id and q.type in exam.item_types)
                  for d in exam.domains}
    topics = []
    for t in bank.topics:
        mine = [q for q in active if q.topic == t.id]
        if mine:
            home = Counter(domain_of[q.id] for q in mine).most_common(1)[0][0]
            topics.append(TopicInTrack(t.id, t.name, home, tuple(q.id for q in mine)))
    return Track(
        exam=exam,
        domain_of=domain_of,
        candidates=candidates,
        pools=group_by_domain(candidates),
        mock_pools=mock_pools,
        group_pool=tuple(q.id for q in active if q.type in GROUP_TYPES),
        topics=tuple(topics),
        weights={d.id: float(d.weight) for d in exam.domains},
        names={d.id: d.name for d in exam.domains},
    )


class Tracks:
    """Every exam's Track, built once at start-up from the bank."""

    def __init__(self, bank: Bank):
        self.bank = bank
        self._by_code = {e.code: build_track(bank, e) for e in bank.exams}
        self.default = bank.default_exam

    def get(self, code: str | None) -> Track:
        """The track of this exam; the default one for no code or a code no longer in exams.yaml."""
        return self._by_code.get(code or "", self._by_code[self.default])

    def known(self, code: str) -> bool:
        return code in self._by_code

    def all(self) -> list[Track]:
        return list(self._by_code.values())
