"""Texts for /progress: the readiness estimate and the chart's caption."""

from __future__ import annotations

from html import escape

from bot.domain.exam import SCALED_PASS
from bot.domain.readiness import MIN_SEEN
from bot.services.progress import Progress
from bot.tg.common import clip


def progress_text(progress: Progress) -> str:
    r = progress.readiness
    names = progress.domain_names
    if progress.empty:
        return ("📈 <b>Readiness</b>\n\nNothing to go on yet — answer a few questions first. "
                "Send /quiz for one now, /daily for a drill every day, or /exam for a full mock exam. "
                "Your readiness estimate and a 30-day chart appear here once you have answers.")
    weakest = escape(names.get(r.weakest.domain, r.weakest.domain))
    verdict = {
        "new": "nothing answered yet.",
        "early": f"too early to tell — answer at least {MIN_SEEN - r.seen} more different questions for a verdict. "
                 f"So far {weakest} looks weakest.",
        "ready": f"likely ready ✅ — keep it fresh; {weakest} is your weakest domain.",
        "not_yet": f"not yet — {weakest} is your weakest domain; start there (/quiz, or a mock /exam).",
    }[r.verdict]
    lines = [
        "📈 <b>Readiness</b> (estimated)",
        f"Predicted score: <b>{r.predicted}</b> / 1000 (pass mark {SCALED_PASS})",
        f"Verdict: {verdict}",
        "",
        "<b>By domain</b> (exam weight): mastery · predicted score",
    ]
    for d in r.domains:
        mark = "✅" if d.scaled >= SCALED_PASS else "⚠️"
        lines.append(f"{mark} {escape(names.get(d.domain, d.domain))} ({round(d.weight)}%): "
                     f"{round(100 * d.mastery)}% · <b>{d.scaled}</b> · {d.seen} questions answered")
    lines += [
        "",
        f"<i>Mastery is how likely you are to answer a question of the domain right today: for each question "
        f"you answered, its recall from your spaced-repetition memory (FSRS) if your latest answer was right, 0 if "
        f"it was wrong; few answers pull it toward a guess. Scaled like the mock exam (see /help).</i>",
        f"Last 30 days: {progress.answered_in_window} answers.",
    ]
    return clip("\n".join(lines))


def progress_caption(progress: Progress) -> str:
    return (f"📊 Your last 30 days: {progress.answered_in_window} answers. Bars: answers per day (green right, "
            "red wrong); blue line: accuracy; orange: your daily-goal streak.")
