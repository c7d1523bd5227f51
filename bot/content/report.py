"""The content check's report: counts, balance against the exam, and problems."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rapidfuzz import fuzz, process

from bot.content.loader import Bank, Problem
from bot.content.models import LETTERS, QuestionType

NEAR_DUPLICATE_SCORE = 90  # token_sort_ratio at or above this flags two prompts as near-duplicates
DOMAIN_TOLERANCE = 5  # percentage points a domain's share may differ from its exam weight
POSITION_TOLERANCE = 5  # percentage points a correct-letter share may differ from an even share


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


def build_report(bank: Bank | None, problems: list[Problem]) -> dict[str, Any]:
    """One JSON-ready dict; `problems` are hard (exit non-zero), `warnings` are for the author's eye."""
    report: dict[str, Any] = {"problems": [str(p) for p in problems], "warnings": []}
    if bank is None:
        report.update(questions=0, by_type={}, by_domain={}, by_topic={}, by_source={})
        return report
    qs = bank.questions
    n = len(qs)
    by_type = Counter(q.type.value for q in qs)
    by_domain = Counter(bank.domain_of(q).id for q in qs)
    by_topic = Counter(q.topic for q in qs)
    by_file = Counter(q.source.file for q in qs)
    by_section: dict[str, Counter[str]] = {}
    for q in qs:
        by_section.setdefault(q.source.file, Counter())[q.source.section] += 1
    warnings: list[str] = report["warnings"]

    domain_shares = {}
    for d in bank.domains:
        share = _pct(by_domain[d.id], n)
        domain_shares[d.id] = {"questions": by_domain[d.id], "share": share, "weight": d.weight}
        if abs(share - d.weight) > DOMAIN_TOLERANCE:
            warnings.append(f"domain {d.id} is {share}% of the bank, exam weight {d.weight}%")

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
        "option": max((len(o) for q in qs for o in q.options), default=0),
        "explanation": max((len(q.explanation) for q in qs), default=0),
        "details": max((len(q.details or "") for q in qs), default=0),
    }
    report.update(
        questions=n,
        by_exam=dict(Counter(q.exam for q in qs)),
        by_type=dict(by_type),
        by_domain=dict(by_domain),
        by_topic=dict(sorted(by_topic.items())),
        by_source={f: {"questions": by_file[f], "sections": dict(sorted(by_section.get(f, {}).items()))}
                   for f in bank.sources},
        uncovered_sections=uncovered,
        by_difficulty={str(k): v for k, v in sorted(Counter(q.difficulty for q in qs).items())},
        domain_shares=domain_shares,
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
            f"mix: fill {mix['fill_pct']}%, multi {mix['multi']}, scenario {mix['scenario_pct']}%, errata {mix['errata']}"
        )
        lines.append("by difficulty: " + ", ".join(f"{k}: {v}" for k, v in report["by_difficulty"].items()))
        lines.append("by domain (share vs exam weight):")
        for d, s in report["domain_shares"].items():
            lines.append(f"  {d:<18} {s['questions']:>4}  {s['share']:>5}% vs {s['weight']}%")
        lines.append("by topic:")
        for t, c in report["by_topic"].items():
            lines.append(f"  {t:<20} {c:>4}")
        lines.append("by source note:")
        for f, s in report["by_source"].items():
            missing = len(report["uncovered_sections"].get(f, []))
            lines.append(f"  {f}  {s['questions']:>4} questions citing {len(s['sections'])} sections; {missing} uncovered")
        lines.append("correct letter (single): " + ", ".join(f"{k} {v}%" for k, v in report["answer_positions"].items()))
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
