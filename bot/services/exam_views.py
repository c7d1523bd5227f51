"""What the mock exam's service returns: plain views of an exam, its pages and its result, for the renderer."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.exam import ExamScore
from bot.services.quiz import Asked


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
    selected: tuple[int, ...]  # ticked options; ordering: steps placed, in order; matching: per prompt
    flagged: bool
    answered: int
    remaining: timedelta
    exam: str = ""  # the exam's short name


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
    exam: str = ""  # the exam's short name


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
    exam: str = ""  # the exam's code, upper case (MLA-C02)
    pass_mark: int = 720

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_mark


@dataclass(frozen=True)
class Blueprint:
    """What a mock exam of the user's exam looks like, before it starts."""

    exam: str  # short name
    status_note: str
    questions: int
    minutes: int
    pass_mark: int
    domains: tuple[tuple[str, int, int], ...]  # (name, weight, questions in a mock)
    item_types: tuple[str, ...]
