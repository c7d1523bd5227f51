"""Pydantic models of the question bank and the limits they are checked against."""

from __future__ import annotations

import re
import string
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

# Telegram's quiz-poll limits: what must fit a poll is held to them so any
# question can be asked as a native poll (group rounds) as well as a message.
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
POLL_EXPLANATION_MAX = 200
FILL_PROMPT_MAX = 600
DETAILS_MAX = 1500
ITEM_MAX = 100  # an ordering step, a matching prompt or choice: one line on a phone
STEPS = (3, 5)  # ordering: how many steps (AWS's ordering items have 3-5)
PAIRS = (3, 5)  # matching: how many prompts to match
CHOICES = (3, 7)  # matching: how many distinct choices, distractors included

LETTERS = string.ascii_uppercase
# The bot shuffles options, so teaching text must name an option, never point at its letter or place.
_POSITIONAL = re.compile(
    r"\b(?:options?|answers?|choices?) [A-F]\b"  # "option B"
    r"|\([A-F](?=[),;\s])"  # "(A)", "(B, D)", "(C; ...)"
    r"|\b(?:first|second|third|fourth|fifth|sixth|last) option\b"
    r"|(?:^|[.;:!?)]\s+)[A-F](?:(?:,| and| or) [A-F])*"
    r"(?::| is\b| are\b| was\b| describes?\b| would\b| does\b| fails?\b| only\b)"
)
_BANNED_OPTIONS = re.compile(r"\b(all|none|both|neither) of (the )?(above|these|them)\b", re.I)


# What a learner reads must not point at our study notes: they never see them ("as 001 says",
# "item 38 of the same notes"). The notes are cited in `source`, for us.
_NOTE_REFERENCE = re.compile(
    r"\b(?:the|these|those|our|study|same|cited|source) notes?\b"
    r"|\bnotes? (?:say|says|said|claim|claims|state|states|list|lists|call|calls|gives?|contrasts?)\b"
    r"|(?<![\d.,])00[0-4](?![\d.,])"
    r"|\bitem \d+ of\b",
    re.I,
)


class QuestionType(StrEnum):
    single = "single"
    multi = "multi"
    fill = "fill"
    ordering = "ordering"  # put 3-5 steps in order
    matching = "matching"  # pair each of 3-5 prompts with one of 3-7 choices


CHOICE_TYPES = frozenset({QuestionType.single, QuestionType.multi})


class Status(StrEnum):
    active = "active"
    retired = "retired"  # kept so answers, cards, exams and exports that name it still work; never asked again


class Source(BaseModel):
    """Where a question's fact comes from: a study note's section, or an AWS documentation page."""

    model_config = ConfigDict(extra="forbid")
    file: str | None = None
    section: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$")] | None = None
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        if self.url is None and (self.file is None or self.section is None):
            raise ValueError("a source is a note (file and section) or a page (url)")
        if self.url is not None and self.file is not None:
            raise ValueError("a source is a note or a page, not both (list extra pages in `docs`)")
        return self

    @property
    def is_note(self) -> bool:
        return self.file is not None


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ITEM_MAX)]
TaskIds = tuple[Annotated[str, StringConstraints(pattern=r"^\d+\.\d+$")], ...]


class Question(BaseModel):
    """One question as written in content/questions/*.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,59}$")]
    type: QuestionType
    topic: str
    difficulty: Literal[1, 2, 3]
    scenario: bool = False
    status: Status = Status.active
    retired: NonEmpty | None = None  # why it was retired (for us and for /reports); required when retired
    # The task statement(s) the question serves in each exam, e.g. {mla-c02: "1.2", mls-c01: ["1.3", "2.2"]};
    # an exam not named is out of scope for it. Checked against exams.yaml by the loader.
    exams: dict[str, TaskIds] = Field(default_factory=dict)
    prompt: NonEmpty
    options: tuple[NonEmpty, ...] = ()
    steps: tuple[Text, ...] = ()  # ordering: in the right order (shuffled when asked)
    pairs: tuple[tuple[Text, Text], ...] = ()  # matching: [prompt, its match]
    distractors: tuple[Text, ...] = ()  # matching: choices that match no prompt
    answer: str | tuple[str, ...] | None = None
    accept: tuple[NonEmpty, ...] = ()
    explanation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=POLL_EXPLANATION_MAX)]
    details: Annotated[str, StringConstraints(strip_whitespace=True, max_length=DETAILS_MAX)] | None = None
    # One line a learner reads beside the verdict: the common claim (or what changed) and the fact.
    erratum: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=POLL_EXPLANATION_MAX)] | None = None
    source: Source
    docs: tuple[Annotated[str, StringConstraints(pattern=r"^https://\S+$")], ...] = ()  # more pages backing it

    @field_validator("exams", mode="before")
    @classmethod
    def _tasks_as_lists(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str | int | float) else v for k, v in value.items()}
        return value

    @field_validator("exams")
    @classmethod
    def _some_task(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for code, tasks in value.items():
            if not tasks:
                raise ValueError(f"exam {code!r} lists no task statement (leave the exam out instead)")
        return value

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
    def _learner_text_stands_alone(self) -> Question:
        texts = {"prompt": self.prompt, "explanation": self.explanation, "details": self.details,
                 "erratum": self.erratum, "options": " | ".join(self.options), "steps": " | ".join(self.steps),
                 "pairs": " | ".join(" ".join(p) for p in self.pairs)}
        for name, text in texts.items():
            if text and (m := _NOTE_REFERENCE.search(text)):
                raise ValueError(
                    f"{name} points at the study notes ({m.group(0)!r}); learners never see them: state the "
                    "common claim and the fact, or cite the AWS page (keep the note in `source`)"
                )
        if self.status is Status.retired and not self.retired:
            raise ValueError("a retired question says why in `retired`")
        if self.status is Status.active and self.retired:
            raise ValueError("`retired` is only for status: retired")
        return self

    @model_validator(mode="after")
    def _shape_matches_type(self) -> Question:
        if self.type is not QuestionType.ordering and self.steps:
            raise ValueError("steps are only for ordering questions")
        if self.type is not QuestionType.matching and (self.pairs or self.distractors):
            raise ValueError("pairs and distractors are only for matching questions")
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
        if self.type is QuestionType.ordering:
            return self._ordering_ok()
        if self.type is QuestionType.matching:
            return self._matching_ok()
        if self.answer is None:
            raise ValueError("a choice question names its answer letter(s)")
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

    def _ordering_ok(self) -> Question:
        if self.options or self.answer is not None:
            raise ValueError("an ordering question lists `steps` in the right order (no options, no answer)")
        if not STEPS[0] <= len(self.steps) <= STEPS[1]:
            raise ValueError(f"an ordering question has {STEPS[0]}-{STEPS[1]} steps (found {len(self.steps)})")
        if len({s.casefold() for s in self.steps}) != len(self.steps):
            raise ValueError("steps repeat")
        return self

    def _matching_ok(self) -> Question:
        if self.options or self.answer is not None:
            raise ValueError("a matching question lists `pairs` (and `distractors`), no options and no answer")
        if not PAIRS[0] <= len(self.pairs) <= PAIRS[1]:
            raise ValueError(f"a matching question has {PAIRS[0]}-{PAIRS[1]} pairs (found {len(self.pairs)})")
        if len({left.casefold() for left, _ in self.pairs}) != len(self.pairs):
            raise ValueError("two pairs have the same prompt")
        rights = [right.casefold() for _, right in self.pairs]
        if any(d.casefold() in rights for d in self.distractors) or \
                len({d.casefold() for d in self.distractors}) != len(self.distractors):
            raise ValueError("a distractor repeats a match or another distractor")
        if not CHOICES[0] <= len(self.choices) <= CHOICES[1]:
            raise ValueError(f"a matching question offers {CHOICES[0]}-{CHOICES[1]} distinct choices "
                             f"(found {len(self.choices)})")
        return self

    @property
    def active(self) -> bool:
        return self.status is Status.active

    @property
    def choices(self) -> tuple[str, ...]:
        """Matching: every distinct choice (matches in order of first use, then distractors)."""
        seen: dict[str, str] = {}
        for _, right in self.pairs:
            seen.setdefault(right.casefold(), right)
        for d in self.distractors:
            seen.setdefault(d.casefold(), d)
        return tuple(seen.values())

    @property
    def matches(self) -> tuple[int, ...]:
        """Matching: for each prompt (file order), the index of its match in `choices`."""
        index = {c.casefold(): i for i, c in enumerate(self.choices)}
        return tuple(index[right.casefold()] for _, right in self.pairs)

    @property
    def items(self) -> tuple[str, ...]:
        """What gets shuffled and shown with letters: options, steps, or matching choices."""
        if self.type is QuestionType.ordering:
            return self.steps
        if self.type is QuestionType.matching:
            return self.choices
        return self.options

    @property
    def correct_indices(self) -> tuple[int, ...]:
        """Indices into `options` of the correct option(s); empty for other types."""
        if self.type not in CHOICE_TYPES:
            return ()
        letters = (self.answer,) if isinstance(self.answer, str) else self.answer
        return tuple(sorted(LETTERS.index(letter) for letter in letters))

    @property
    def accepted_answers(self) -> tuple[str, ...]:
        """The canonical answer followed by its listed variants (fill questions)."""
        if not isinstance(self.answer, str):
            return ()
        return (self.answer, *self.accept)

    @property
    def choose(self) -> int:
        return len(self.correct_indices)

    def tasks(self, exam: str) -> tuple[str, ...]:
        """The task statements this question serves in `exam` (empty: out of scope)."""
        return self.exams.get(exam, ())


class Domain(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    weight: int = Field(ge=1, le=100)


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")]
    name: str
    domain: str  # the MLS-C01 domain it was filed under; each exam's own domains come from its questions' tasks
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
    questions: list[dict]


# --- exams.yaml -----------------------------------------------------------------------------------


class Task(BaseModel):
    """A task statement of an exam guide, e.g. 1.3 "Validate data quality and manage bias."."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+$")]
    name: NonEmpty


class ExamDomain(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, StringConstraints(pattern=r"^\d+$")]
    name: NonEmpty
    weight: int = Field(ge=1, le=100)  # percent of scored content
    tasks: tuple[Task, ...]

    @model_validator(mode="after")
    def _tasks_belong(self) -> ExamDomain:
        for task in self.tasks:
            if task.id.split(".")[0] != self.id:
                raise ValueError(f"task {task.id} is not numbered under domain {self.id}")
        return self


ExamStatus = Literal["current", "beta", "legacy", "retired"]


class Exam(BaseModel):
    """One exam version: what the mock exam and readiness follow for learners on its track."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")]  # lower case, e.g. mla-c02
    name: NonEmpty
    short: NonEmpty  # how the bot names it in one breath
    status: ExamStatus
    status_note: NonEmpty  # one line for /track: what "beta" or "retired" means for this exam, with its dates
    available_from: date | None = None
    last_day: date | None = None  # the last day it can be taken (in English, where that differs)
    questions: int = Field(ge=5, le=200)  # the mock exam's length (the standard form)
    scored: int | None = None  # how many of the real exam's questions count (the rest are unscored)
    minutes: int = Field(ge=5, le=600)
    pass_mark: int = Field(alias="pass", ge=100, le=1000)  # scaled, 100-1000
    item_types: tuple[QuestionType, ...]
    domains: tuple[ExamDomain, ...]
    form: NonEmpty  # which form of the exam the mock follows, and why
    sources: dict[str, NonEmpty]  # figure -> where it was found (AWS page or a quoting source, with a tag)

    @model_validator(mode="after")
    def _consistent(self) -> Exam:
        if sum(d.weight for d in self.domains) != 100:
            raise ValueError(f"domain weights add up to {sum(d.weight for d in self.domains)}, not 100")
        ids = [t.id for d in self.domains for t in d.tasks]
        if len(set(ids)) != len(ids) or len({d.id for d in self.domains}) != len(self.domains):
            raise ValueError("a domain or task id repeats")
        if QuestionType.fill in self.item_types:
            raise ValueError("no exam has typed answers")
        for figure in ("status", "questions", "minutes", "pass", "domains", "item_types"):
            if figure not in self.sources:
                raise ValueError(f"sources has no entry for {figure!r}: say where the figure comes from")
        return self

    @property
    def tasks(self) -> dict[str, Task]:
        return {t.id: t for d in self.domains for t in d.tasks}

    def domain(self, task_id: str) -> ExamDomain | None:
        return next((d for d in self.domains if d.id == task_id.split(".")[0]), None)


class ExamsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: NonEmpty  # the exam new users and groups start on
    exams: tuple[Exam, ...]

    @model_validator(mode="after")
    def _default_exists(self) -> ExamsFile:
        codes = [e.code for e in self.exams]
        if len(set(codes)) != len(codes):
            raise ValueError("an exam code repeats")
        if self.default not in codes:
            raise ValueError(f"default {self.default!r} is not one of the exams")
        return self


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
