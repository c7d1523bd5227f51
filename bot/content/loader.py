"""Load content/ into a validated, immutable Bank, collecting every problem instead of stopping at the first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.content.models import (
    Domain,
    Exam,
    ExamsFile,
    GlossaryFile,
    Question,
    QuestionFile,
    QuestionType,
    Source,
    SourceNote,
    SourcesFile,
    Topic,
    TopicsFile,
)


@dataclass(frozen=True)
class Problem:
    file: str
    question_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.question_id:
            where += f" [{self.question_id}]"
        if self.field:
            where += f" {self.field}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Bank:
    """Everything the bot knows from content/, indexed for lookups.

    `questions` are the ones that may be asked; `retired` ones are kept only so that answers, review
    cards, exams and exports that name them keep working (`question(id)` finds both).
    """

    questions: tuple[Question, ...]
    domains: tuple[Domain, ...]
    topics: tuple[Topic, ...]
    sources: tuple[str, ...]
    notes: tuple[SourceNote, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)  # question id -> file it came from
    exams: tuple[Exam, ...] = ()
    default_exam: str = ""
    retired: tuple[Question, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {q.id: q for q in (*self.questions, *self.retired)})
        object.__setattr__(self, "_topics", {t.id: t for t in self.topics})
        object.__setattr__(self, "_domains", {d.id: d for d in self.domains})
        object.__setattr__(self, "_exams", {e.code: e for e in self.exams})

    def question(self, question_id: str) -> Question | None:
        """Any question the bank knows, retired ones included (for history, reviews of old answers, exports)."""
        return self._by_id.get(question_id)  # type: ignore[attr-defined]

    def question_or_withdrawn(self, question_id: str) -> Question:
        """The question, or a stand-in saying it was withdrawn (an exam or round begun before it left the bank)."""
        return self.question(question_id) or withdrawn(question_id, self.topics[0].id)

    def askable(self, question_id: str) -> Question | None:
        """The question if it may be asked now: known and not retired."""
        q = self.question(question_id)
        return q if q is not None and q.active else None

    def exam(self, code: str | None) -> Exam:
        """The exam with this code; the default exam for an unknown or missing code (a track since removed)."""
        found = self._exams.get(code or "")  # type: ignore[attr-defined]
        return found if found is not None else self._exams[self.default_exam]  # type: ignore[attr-defined]

    def has_exam(self, code: str) -> bool:
        return code in self._exams  # type: ignore[attr-defined]

    def topic(self, topic_id: str) -> Topic:
        return self._topics[topic_id]  # type: ignore[attr-defined]

    def domain(self, domain_id: str) -> Domain:
        return self._domains[domain_id]  # type: ignore[attr-defined]

    def domain_of(self, question: Question) -> Domain:
        return self.domain(self.topic(question.topic).domain)


WITHDRAWN_PREFIX = "withdrawn"


def withdrawn(question_id: str, topic: str) -> Question:
    """What is shown in place of a question that is no longer in the bank at all (retired ones stay in it)."""
    return Question(
        id=WITHDRAWN_PREFIX, type=QuestionType.single, topic=topic, difficulty=1,
        prompt="This question has been withdrawn from the question bank since it was asked. It does not count.",
        options=("Go on", "Skip it", "Next", "Continue"), answer="A",
        explanation="The question was withdrawn from the bank; it counts neither right nor wrong.",
        source=Source(url="https://github.com/"),
    )


def is_withdrawn(question: Question) -> bool:
    return question.id == WITHDRAWN_PREFIX


class ContentError(Exception):
    """The content has problems; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"content has {len(problems)} problem(s):\n{lines}")


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        problems.append(Problem(rel, None, None, "file is missing"))
    except yaml.YAMLError as exc:
        problems.append(Problem(rel, None, None, f"not valid YAML: {exc}".replace("\n", " ")))
    return None


def _validation_problems(rel: str, qid: str | None, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or None
        msg = err["msg"].removeprefix("Value error, ")
        out.append(Problem(rel, qid, loc, msg))
    return out


def _model(model: type[BaseModel], data: Any, rel: str, problems: list[Problem]) -> Any:
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems.extend(_validation_problems(rel, None, exc))
        return None


def collect(root: Path) -> tuple[Bank | None, list[Problem]]:
    """Read content/ under `root`; return the bank (None if unusable) and every problem found."""
    problems: list[Problem] = []
    topics_file = _model(TopicsFile, _read_yaml(root / "topics.yaml", "topics.yaml", problems), "topics.yaml", problems)
    sources_file = _model(
        SourcesFile, _read_yaml(root / "sources.yaml", "sources.yaml", problems), "sources.yaml", problems
    )
    glossary_path = root / "glossary.yaml"
    glossary = GlossaryFile()
    if glossary_path.exists():
        glossary = _model(GlossaryFile, _read_yaml(glossary_path, "glossary.yaml", problems), "glossary.yaml", problems)
    exams_file = _model(ExamsFile, _read_yaml(root / "exams.yaml", "exams.yaml", problems), "exams.yaml", problems)
    if topics_file is None or sources_file is None or glossary is None or exams_file is None:
        return None, problems
    exam_tasks = {e.code: set(e.tasks) for e in exams_file.exams}

    domain_ids = {d.id for d in topics_file.domains}
    for t in topics_file.topics:
        if t.domain not in domain_ids:
            problems.append(Problem("topics.yaml", None, f"topics.{t.id}.domain", f"unknown domain {t.domain!r}"))
    topic_ids = {t.id for t in topics_file.topics}
    source_names = {s.file for s in sources_file.sources}
    sections = {s.file: set(s.sections) | set(s.untestable) for s in sources_file.sources}

    questions: list[Question] = []
    retired: list[Question] = []
    origin: dict[str, str] = {}
    seen: dict[str, str] = {}  # every id met so far, valid or not -> its file
    files = sorted((root / "questions").glob("*.yaml"))
    if not files:
        problems.append(Problem("questions/", None, None, "no question files"))
    for path in files:
        rel = str(path.relative_to(root))
        qfile = _model(QuestionFile, _read_yaml(path, rel, problems), rel, problems)
        if qfile is None:
            continue
        for index, raw in enumerate(qfile.questions):
            qid = raw.get("id") if isinstance(raw, dict) else None
            label = str(qid) if qid else f"#{index + 1}"
            if not isinstance(raw, dict):
                problems.append(Problem(rel, label, None, "a question must be a mapping"))
                continue
            try:
                q = Question.model_validate(raw)
            except ValidationError as exc:
                problems.extend(_validation_problems(rel, label, exc))
                continue
            # Every reference problem of a question is listed (not just the first), and its id
            # still counts for the duplicate check, so one mistake never hides another.
            bad = False
            if q.topic not in topic_ids:
                problems.append(Problem(rel, q.id, "topic", f"unknown topic {q.topic!r} (see topics.yaml)"))
                bad = True
            if q.source.is_note and q.source.file not in source_names:
                problems.append(Problem(rel, q.id, "source.file", f"unknown note {q.source.file!r} (see sources.yaml)"))
                bad = True
            elif q.source.is_note and sections[q.source.file] and q.source.section not in sections[q.source.file]:
                problems.append(Problem(rel, q.id, "source.section",
                                        f"{q.source.section!r} is not a section of {q.source.file} in sources.yaml"))
                bad = True
            for code, tasks in q.exams.items():
                if code not in exam_tasks:
                    problems.append(Problem(rel, q.id, f"exams.{code}", f"unknown exam {code!r} (see exams.yaml)"))
                    bad = True
                    continue
                for task in tasks:
                    if task not in exam_tasks[code]:
                        problems.append(Problem(rel, q.id, f"exams.{code}",
                                                f"{task} is not a task statement of {code} (see exams.yaml)"))
                        bad = True
            if q.active and not q.exams:
                problems.append(Problem(rel, q.id, "exams", "names no exam task statement: map it, or retire it"))
                bad = True
            if q.id in seen:
                problems.append(Problem(rel, q.id, "id", f"duplicate id (also in {seen[q.id]})"))
                continue
            seen[q.id] = rel
            if bad:
                continue
            origin[q.id] = rel
            (questions if q.active else retired).append(q)

    bank = Bank(
        questions=tuple(questions),
        domains=topics_file.domains,
        topics=topics_file.topics,
        sources=tuple(s.file for s in sources_file.sources),
        notes=sources_file.sources,
        synonyms=glossary.synonyms,
        files=origin,
        exams=exams_file.exams,
        default_exam=exams_file.default,
        retired=tuple(retired),
    )
    return bank, problems


def load_bank(root: Path) -> Bank:
    """The validated bank; raises ContentError listing every problem if there is any."""
    bank, problems = collect(root)
    if problems or bank is None:
        raise ContentError(problems)
    if not bank.questions:
        raise ContentError([Problem("questions/", None, None, "the bank has no questions")])
    return bank
