"""Pydantic models of the question bank and the limits they are checked against."""

from __future__ import annotations

import re
import string
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

# Telegram's quiz-poll limits: what must fit a poll is held to them so any
# question can be asked as a native poll (group rounds) as well as a message.
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
POLL_EXPLANATION_MAX = 200
FILL_PROMPT_MAX = 600
DETAILS_MAX = 1500

LETTERS = string.ascii_uppercase
# The bot shuffles options, so teaching text must name an option, never point at its letter or place.
_POSITIONAL = re.compile(
    r"\b(?:options?|answers?|choices?) [A-F]\b"  # "option B"
    r"|\([A-F](?=[),;\s])"  # "(A)", "(B, D)", "(C; ...)"
    r"|\b(?:first|second|third|fourth|fifth|sixth|last) option\b"
    r"|(?:^|[.;:!?)]\s+)[A-F](?:(?:,| and| or) [A-F])*(?::| is\b| are\b| was\b| describes?\b| would\b| does\b| fails?\b| only\b)"
)
_BANNED_OPTIONS = re.compile(r"\b(all|none|both|neither) of (the )?(above|these|them)\b", re.I)


class QuestionType(str, Enum):
    single = "single"
    multi = "multi"
    fill = "fill"


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str
    section: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Question(BaseModel):
    """One question as written in content/questions/*.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,59}$")]
    type: QuestionType
    topic: str
    difficulty: Literal[1, 2, 3]
    scenario: bool = False
    prompt: NonEmpty
    options: tuple[NonEmpty, ...] = ()
    answer: str | tuple[str, ...]
    accept: tuple[NonEmpty, ...] = ()
    explanation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=POLL_EXPLANATION_MAX)]
    details: Annotated[str, StringConstraints(strip_whitespace=True, max_length=DETAILS_MAX)] | None = None
    source: Source
    erratum: NonEmpty | None = None
    exam: str = "mls-c01"

    @field_validator("options")
    @classmethod
    def _options_ok(cls, options: tuple[str, ...]) -> tuple[str, ...]:
        for opt in options:
            if len(opt) > POLL_OPTION_MAX:
                raise ValueError(f"option {opt[:30]!r}... has {len(opt)} characters (max {POLL_OPTION_MAX})")
            if _BANNED_OPTIONS.search(opt):
                raise ValueError(f"option {opt!r} is an 'all/none of the above' option")
        if len({o.casefold() for o in options}) != len(options):
            raise ValueError("options repeat")
        return options

    @model_validator(mode="after")
    def _shape_matches_type(self) -> Question:
        if self.type is QuestionType.fill:
            if self.options:
                raise ValueError("a fill question has no options")
            if not isinstance(self.answer, str) or not self.answer.strip():
                raise ValueError("a fill question's answer is one non-empty string")
            if len(self.prompt) > FILL_PROMPT_MAX:
                raise ValueError(f"prompt has {len(self.prompt)} characters (max {FILL_PROMPT_MAX})")
            return self
        for name in ("explanation", "details", "erratum"):
            text = getattr(self, name)
            if text and (m := _POSITIONAL.search(text)):
                raise ValueError(
                    f"{name} refers to an option by letter or position ({m.group(0).strip()!r}); "
                    "options are shuffled when asked, so name the option instead"
                )
        if len(self.prompt) > POLL_QUESTION_MAX:
            raise ValueError(f"prompt has {len(self.prompt)} characters (max {POLL_QUESTION_MAX})")
        if self.accept:
            raise ValueError("accept is only for fill questions")
        letters = (self.answer,) if isinstance(self.answer, str) else self.answer
        valid = LETTERS[: len(self.options)]
        for letter in letters:
            if letter not in valid:
                raise ValueError(f"answer {letter!r} is not one of the option letters {', '.join(valid)}")
        if len(set(letters)) != len(letters):
            raise ValueError("answer repeats a letter")
        if self.type is QuestionType.single:
            if len(self.options) != 4:
                raise ValueError(f"a single question has exactly 4 options (found {len(self.options)})")
            if not isinstance(self.answer, str):
                raise ValueError("a single question's answer is one letter")
        else:
            if not 5 <= len(self.options) <= 6:
                raise ValueError(f"a multi question has 5 or 6 options (found {len(self.options)})")
            if isinstance(self.answer, str) or not 2 <= len(self.answer) <= 3:
                raise ValueError("a multi question's answer is a list of 2 or 3 letters")
        return self

    @property
    def correct_indices(self) -> tuple[int, ...]:
        """Indices into `options` of the correct option(s); empty for fill questions."""
        if self.type is QuestionType.fill:
            return ()
        letters = (self.answer,) if isinstance(self.answer, str) else self.answer
        return tuple(sorted(LETTERS.index(letter) for letter in letters))

    @property
    def accepted_answers(self) -> tuple[str, ...]:
        """The canonical answer followed by its listed variants (fill questions)."""
        assert isinstance(self.answer, str)
        return (self.answer, *self.accept)

    @property
    def choose(self) -> int:
        return len(self.correct_indices)


class Domain(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    weight: int = Field(ge=1, le=100)


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")]
    name: str
    domain: str
    aliases: tuple[str, ...] = ()


class TopicsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domains: tuple[Domain, ...]
    topics: tuple[Topic, ...]


class SourceNote(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    file: str
    title: str
    # The note's sections and numbered items; a question's source.section must be one of them,
    # so the check can say which parts of a note no question covers yet. `untestable` ones state no fact.
    sections: tuple[str, ...] = ()
    untestable: tuple[str, ...] = ()


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: tuple[SourceNote, ...]


class QuestionFile(BaseModel):
    """The top level of a question file; questions stay raw so each is validated on its own."""

    model_config = ConfigDict(extra="forbid")
    exam: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")]
    questions: list[dict]


class GlossaryFile(BaseModel):
    """Groups of names that mean the same thing in a typed answer (abbreviations, former names)."""

    model_config = ConfigDict(extra="forbid")
    synonyms: tuple[tuple[NonEmpty, ...], ...] = ()

    @field_validator("synonyms")
    @classmethod
    def _groups_have_two(cls, groups: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        for group in groups:
            if len(group) < 2:
                raise ValueError(f"synonym group {list(group)} needs at least two names")
        return groups
