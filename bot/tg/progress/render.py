"""Texts for /progress: the readiness estimate and the chart's caption."""

from __future__ import annotations

from html import escape

from bot.domain.readiness import MIN_SEEN
from bot.services.progress import Progress
from bot.tg.common import clip, plural
from bot.tg.plan.render import memory_line


def progress_text(progress: Progress) -> str:
    r = progress.readiness
    names = progress.domain_names
    exam = escape(progress.exam) if progress.exam else "the exam"
    if progress.empty:
        return (f"📈 <b>Readiness for {exam}</b>\n\nNothing to go on yet — answer a few questions first. "
                "Send /quiz for one now, /daily for a drill every day, or /exam for a full mock exam. "
                "Your readiness estimate and a 30-day chart appear here once you have answers.")
    answered = [d for d in r.domains if d.seen]
    weakest = escape(names.get(r.weakest.domain, r.weakest.domain))
    early = r.verdict in ("new", "early")
    if early:
        # Too few answers for a score that means anything: no number, just what is still needed.
        lines = [f"📈 <b>Readiness for {exam}</b> (estimated)",
                 f"Verdict: too early to tell — answer {plural(MIN_SEEN - r.seen, 'more different question')} "
                 "for a verdict and a predicted score.",
                 "", "<b>By domain</b> (exam weight):"]
        for d in r.domains:
            state = plural(d.seen, "question") + " answered" if d.seen else "not started"
            lines.append(f"• {escape(names.get(d.domain, d.domain))} ({round(d.weight)}%): {state}")
    else:
        verdict = {
            "ready": f"likely ready ✅ — keep it fresh; {weakest} is your weakest domain.",
            "not_yet": f"not yet — {weakest} is your weakest domain; start there (/drill, or a mock /exam).",
        }[r.verdict]
        lines = [
            f"📈 <b>Readiness for {exam}</b> (estimated)",
            f"Predicted score: <b>{r.predicted}</b> / 1000 (pass mark {progress.pass_mark})",
            f"Verdict: {verdict}",
            "",
            "<b>By domain</b> (exam weight): mastery · predicted score",
        ]
        for d in r.domains:
            name = escape(names.get(d.domain, d.domain))
            if not d.seen:
                lines.append(f"• {name} ({round(d.weight)}%): not started")
                continue
            mark = "✅" if d.scaled >= progress.pass_mark else "⚠️"
            lines.append(f"{mark} {name} ({round(d.weight)}%): {round(100 * d.mastery)}% · <b>{d.scaled}</b> · "
                         f"{plural(d.seen, 'question')} answered")
    lines += [
        "",
        "<i>Mastery is how likely you are to answer a question of the domain right today: for each question "
        "you answered, its recall from your spaced-repetition memory (FSRS) if your latest answer was right, 0 if "
        "it was wrong; few answers pull it toward a guess. Scaled like the mock exam (see /help).</i>",
        f"Last 30 days: {plural(progress.answered_in_window, 'answer')}."
        + ("" if answered else " None of them in this exam's domains yet."),
    ]
    if progress.forecast is not None:
        lines += ["", *forecast_lines(progress)]
    if progress.memory is not None:
        lines += ["", memory_line(progress.memory)]
    return clip("\n".join(lines))


def forecast_lines(progress: Progress) -> list[str]:
    """The plan's forecast for the exam day."""
    f = progress.forecast
    r = f.readiness
    if progress.readiness.verdict in ("new", "early"):
        return [f"📅 <b>On exam day ({f.day:%a} {f.day.day} {f.day:%b})</b>: a forecast once you have answered "
                f"{MIN_SEEN} different questions."]
    mark = "✅" if r.predicted >= progress.pass_mark else "⚠️"
    return [f"📅 <b>On exam day ({f.day:%a} {f.day.day} {f.day:%b})</b>, if you keep to the plan: predicted "
            f"<b>{r.predicted}</b> / 1000 (pass mark {progress.pass_mark}) {mark}",
            f"Most to gain: {escape(f.needs_time)}. <i>What you have learned, recalled on that day (FSRS), plus "
            "what the plan still brings, at the rate you answer reviews and first tries.</i>"]


def progress_caption(progress: Progress) -> str:
    return (f"📊 Your last 30 days: {plural(progress.answered_in_window, 'answer')}. Bars: answers per day (green "
            "right, red wrong); blue line: accuracy; orange: your daily-goal streak.")
