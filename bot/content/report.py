"""The content check's report: counts, balance against the exam, and problems."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rapidfuzz import fuzz, process

from bot.content.loader import Bank, Problem
from bot.content.models import LETTERS, Exam, QuestionType
from bot.domain.exam import quotas

NEAR_DUPLICATE_SCORE = 90  # token_sort_ratio at or above this flags two prompts as near-duplicates
DOMAIN_TOLERANCE = 5  # percentage points a domain's share may differ from its exam weight
POSITION_TOLERANCE = 5  # percentage points a correct-letter share may differ from an even share
TASK_MINIMUM = 10  # questions every task statement of the default exam should have
MOCKS_WITHOUT_REPEATS = 3  # mock exams a domain's pool should fill before a question comes back


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def near_duplicates(bank: Bank) -> list[dict[str, Any]]:
    prompts = [q.prompt.casefold() for q in bank.questions]
    pairs = []
    for i, prompt in enumerate(prompts):
        later = prompts[i + 1 :]
        for _, score, j in process.extract(
            prompt, later, scorer=fuzz.token_sort_ratio, score_cutoff=NEAR_DUPLICATE_SCORE, limit=None
        ):
            a, b = bank.questions[i], bank.questions[i + 1 + j]
            pairs.append({"a": a.id, "b": b.id, "score": round(float(score), 1)})
    return pairs


def exam_report(bank: Bank, exam: Exam) -> dict[str, Any]:
    """One exam's view of the bank: questions per domain and task statement, shares against the weights,
    and how many mock exams each domain's pool fills without repeating a question."""
    in_scope = [q for q in bank.questions if q.tasks(exam.code)]
    quota = quotas({d.id: d.weight for d in exam.domains}, exam.questions)
    domains: dict[str, Any] = {}
    for d in exam.domains:
        mine = [q for q in in_scope if q.tasks(exam.code)[0].split(".")[0] == d.id]
        mock = [q for q in mine if q.type in exam.item_types]
        domains[d.id] = {
            "name": d.name,
            "weight": d.weight,
            "questions": len(mine),
            "share": _pct(len(mine), len(in_scope)),
            "mock_pool": len(mock),
            "mock_quota": quota[d.id],
            "mocks_without_repeats": len(mock) // quota[d.id] if quota[d.id] else 0,
            "tasks": {t.id: {"name": t.name, "questions": sum(t.id in q.tasks(exam.code) for q in in_scope)}
                      for t in d.tasks},
            "by_type": dict(Counter(q.type.value for q in mine)),
        }
    return {
        "code": exam.code,
        "name": exam.name,
        "status": exam.status,
        "questions": len(in_scope),
        "mock": {"questions": exam.questions, "minutes": exam.minutes, "pass": exam.pass_mark,
                 "item_types": [t.value for t in exam.item_types]},
        "by_type": dict(Counter(q.type.value for q in in_scope)),
        "domains": domains,
    }


def _exam_warnings(report: dict[str, Any], default: bool) -> list[str]:
    out = []
    code = report["code"]
    for d_id, d in report["domains"].items():
        if abs(d["share"] - d["weight"]) > DOMAIN_TOLERANCE:
            out.append(f"{code}: domain {d_id} is {d['share']}% of its questions, exam weight {d['weight']}%")
        if d["mocks_without_repeats"] < MOCKS_WITHOUT_REPEATS:
            out.append(f"{code}: domain {d_id} fills {d['mocks_without_repeats']} mock exam(s) without repeats "
                       f"({d['mock_pool']} usable questions, {d['mock_quota']} a mock)")
        for t_id, t in d["tasks"].items():
            if default and t["questions"] < TASK_MINIMUM:
                out.append(f"{code}: task {t_id} has {t['questions']} questions (want {TASK_MINIMUM}+)")
    return out


def build_report(bank: Bank | None, problems: list[Problem]) -> dict[str, Any]:
    """One JSON-ready dict; `problems` are hard (exit non-zero), `warnings` are for the author's eye."""
    report: dict[str, Any] = {"problems": [str(p) for p in problems], "warnings": []}
    if bank is None:
        report.update(questions=0, by_type={}, by_topic={}, by_source={})
        return report
    qs = bank.questions
    n = len(qs)
    by_type = Counter(q.type.value for q in qs)
    by_topic = Counter(q.topic for q in qs)
    by_file = Counter(q.source.file or "AWS documentation" for q in qs)
    by_section: dict[str, Counter[str]] = {}
    for q in qs:
        if q.source.is_note:
            by_section.setdefault(q.source.file, Counter())[q.source.section] += 1
    warnings: list[str] = report["warnings"]

    exams = {e.code: exam_report(bank, e) for e in bank.exams}
    for code, rep in exams.items():
        warnings.extend(_exam_warnings(rep, code == bank.default_exam))

    singles = [q for q in qs if q.type is QuestionType.single]
    positions = Counter(LETTERS[q.correct_indices[0]] for q in singles)
    position_shares = {letter: _pct(positions[letter], len(singles)) for letter in "ABCD"}
    for letter, share in position_shares.items():
        if singles and abs(share - 25) > POSITION_TOLERANCE:
            warnings.append(f"correct answer is {letter} in {share}% of single questions (even share 25%)")

    dups = near_duplicates(bank)
    for pair in dups:
        warnings.append(f"near-duplicate prompts: {pair['a']} ~ {pair['b']} ({pair['score']})")
    uncovered = {}
    for note in bank.notes:
        missing = [sec for sec in note.sections if not by_section.get(note.file, {}).get(sec)]
        if missing:
            uncovered[note.file] = missing
            warnings.append(f"{note.file}: {len(missing)} section(s) no question cites: {', '.join(missing)}")
    for topic in bank.topics:
        if not by_topic[topic.id]:
            warnings.append(f"topic {topic.id} has no questions")

    longest = {
        "prompt": max((len(q.prompt) for q in qs if q.type is not QuestionType.fill), default=0),
        "option": max((len(o) for q in qs for o in q.items), default=0),
        "explanation": max((len(q.explanation) for q in qs), default=0),
        "details": max((len(q.details or "") for q in qs), default=0),
    }
    report.update(
        questions=n,
        retired=len(bank.retired),
        default_exam=bank.default_exam,
        **exams,
        by_type=dict(by_type),
        by_topic=dict(sorted(by_topic.items())),
        by_source={f: {"questions": by_file[f], "sections": dict(sorted(by_section.get(f, {}).items()))}
                   for f in bank.sources},
        uncovered_sections=uncovered,
        by_difficulty={str(k): v for k, v in sorted(Counter(q.difficulty for q in qs).items())},
        from_aws_docs=by_file["AWS documentation"],
        mix={
            "fill_pct": _pct(by_type["fill"], n),
            "multi": by_type["multi"],
            "scenario_pct": _pct(sum(q.scenario for q in qs), n),
            "errata": sum(q.erratum is not None for q in qs),
        },
        answer_positions=position_shares,
        near_duplicates=dups,
        longest=longest,
    )
    return report


def render_text(report: dict[str, Any]) -> str:
    lines = [f"questions: {report['questions']}"]
    if report["questions"]:
        lines.append("by type: " + ", ".join(f"{k} {v}" for k, v in sorted(report["by_type"].items())))
        mix = report["mix"]
        lines.append(
            f"mix: fill {mix['fill_pct']}%, multi {mix['multi']}, scenario {mix['scenario_pct']}%, "
            f"errata {mix['errata']}"
        )
        lines.append("by difficulty: " + ", ".join(f"{k}: {v}" for k, v in report["by_difficulty"].items()))
        lines.append(f"retired (kept for history, never asked): {report['retired']}; "
                     f"written from the AWS documentation: {report['from_aws_docs']}")
        for code in [k for k, v in report.items() if isinstance(v, dict) and "domains" in v and "code" in v]:
            lines.extend(_render_exam(report[code], code == report["default_exam"]))
        lines.append("by topic:")
        for t, c in report["by_topic"].items():
            lines.append(f"  {t:<20} {c:>4}")
        lines.append("by source:")
        for f, s in report["by_source"].items():
            missing = len(report["uncovered_sections"].get(f, []))
            lines.append(f"  {f}  {s['questions']:>4} questions citing {len(s['sections'])} sections; "
                         f"{missing} uncovered")
        shares = report["answer_positions"].items()
        lines.append("correct letter (single): " + ", ".join(f"{k} {v}%" for k, v in shares))
        lo = report["longest"]
        lines.append(
            f"longest: prompt {lo['prompt']}/300, option {lo['option']}/100, "
            f"explanation {lo['explanation']}/200, details {lo['details']}/1500"
        )
    for w in report["warnings"]:
        lines.append(f"warning: {w}")
    for p in report["problems"]:
        lines.append(f"PROBLEM: {p}")
    lines.append("OK" if not report["problems"] else f"FAILED: {len(report['problems'])} problem(s)")
    return "\n".join(lines)


def _render_exam(rep: dict[str, Any], default: bool) -> list[str]:
    mock = rep["mock"]
    lines = [f"{rep['code']}{' (default)' if default else ''} [{rep['status']}]: {rep['questions']} questions; mock "
             f"{mock['questions']} questions, {mock['minutes']} min, pass {mock['pass']}, types "
             f"{'/'.join(mock['item_types'])}",
             "  domain  questions  share vs weight   mock pool / a mock = mocks without repeats"]
    for d_id, d in rep["domains"].items():
        lines.append(f"  {d_id:<6}  {d['questions']:>9}  {d['share']:>5}% vs {d['weight']:>2}%   "
                     f"{d['mock_pool']:>4} / {d['mock_quota']:>2} = {d['mocks_without_repeats']}")
        lines.append("          " + "  ".join(f"{t}: {v['questions']}" for t, v in d["tasks"].items()))
    return lines
