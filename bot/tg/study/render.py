"""Texts and keyboards for study runs (topic drills, reviews, mistakes), problem reports and your data."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.services.quiz import Asked
from bot.tg.common import MAX_MESSAGE, clip

CB_STUDY_DOMAINS = "sd"  # the picker's list of exam domains
CB_STUDY_DOMAINS_SIZED = "sd:s{size}"  # the same, for `/drill 20`: the size travels through the picker
CB_STUDY_DOMAIN = "sd:{i}"  # one domain's topics
CB_STUDY_DOMAIN_SIZED = "sd:{i}:{size}"
CB_STUDY_TOPIC = "st:{topic}:{size}"  # start a topic drill (size 0: the default)
CB_SKIP = "sk:{ask}"
CB_STOP = "sp:{ask}"
CB_RETRY = "sr:{drill}"  # a new run of the questions missed in `drill`
CB_REPORT = "rp:{ask}"  # open the reasons
CB_REPORT_REASON = "rr:{ask}:{reason}"  # w | u | o
CB_REPORT_CANCEL = "rx:{ask}"
CB_FORGET = "fg:{choice}"  # yes | no
CB_PATTERN_STUDY_DOMAINS = r"^sd(?::s(\d{1,2}))?$"
CB_PATTERN_STUDY_DOMAIN = r"^sd:(\d{1,2})(?::(\d{1,2}))?$"
CB_PATTERN_STUDY_TOPIC = r"^st:([a-z0-9-]{1,40}):(\d{1,2})$"
CB_PATTERN_SKIP = r"^sk:(\d{1,18})$"
CB_PATTERN_STOP = r"^sp:(\d{1,18})$"
CB_PATTERN_RETRY = r"^sr:(\d{1,18})$"
CB_PATTERN_REPORT = r"^rp:(\d{1,18})$"
CB_PATTERN_REPORT_REASON = r"^rr:(\d{1,18}):([wuo])$"
CB_PATTERN_REPORT_CANCEL = r"^rx:(\d{1,18})$"
CB_PATTERN_FORGET = r"^fg:(yes|no)$"
REASON_CODES = {"w": "wrong", "u": "unclear", "o": "outdated"}
REASON_LABELS = {"wrong": "Wrong answer", "unclear": "Unclear", "outdated": "Outdated"}
STUDY_TITLES = {"topic": "🎯 <b>Topic drill</b>", "review": "🔁 <b>Review</b>", "mistakes": "🩹 <b>Mistakes</b>",
                "retry": "🎯 <b>Retry</b>"}


def study_title(asked: Asked) -> str | None:
    return STUDY_TITLES.get(asked.origin)


def study_controls(asked: Asked) -> list[list[tuple[str, str]]]:
    """Skip and Stop under every question of a study run."""
    if asked.origin not in STUDY_TITLES:
        return []
    return [[("Skip ⏭", CB_SKIP.format(ask=asked.ask_id)), ("Stop ⏹", CB_STOP.format(ask=asked.ask_id))]]


def report_row(ask_id: int) -> list[list[InlineKeyboardButton]]:
    return [[InlineKeyboardButton("⚑ Report", callback_data=CB_REPORT.format(ask=ask_id))]]


def report_keyboard(ask_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(report_row(ask_id))


def report_reasons_keyboard(ask_id: int) -> InlineKeyboardMarkup:
    reasons = [InlineKeyboardButton(REASON_LABELS[r], callback_data=CB_REPORT_REASON.format(ask=ask_id, reason=c))
               for c, r in REASON_CODES.items()]
    cancel = InlineKeyboardButton("Cancel", callback_data=CB_REPORT_CANCEL.format(ask=ask_id))
    return InlineKeyboardMarkup([reasons, [cancel]])


def report_thanks(reason: str, stored: bool) -> str:
    if not stored:
        return f"You already reported this as “{REASON_LABELS[reason].lower()}” — thanks!"
    return f"Thanks! Reported as “{REASON_LABELS[reason].lower()}”; we'll look into it."


def _pct(correct: int, answered: int) -> str:
    return f"{round(100 * correct / answered)}%" if answered else "–"


def drill_picker_text() -> str:
    return ("🎯 <b>Topic drill</b> — pick an exam domain, then a topic.\n"
            "Or name a topic: <code>/drill kinesis</code>, <code>/drill xgboost 20</code>.")


def _carried(size: int | None) -> int:
    """The size a picker button carries: 0 for the default; two digits fit (the drill clamps it anyway)."""
    return min(size, 99) if size and size > 0 else 0


def drill_domains_keyboard(domains, size: int | None = None) -> InlineKeyboardMarkup:
    n = _carried(size)
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        f"{d.name} ({d.questions})",
        callback_data=CB_STUDY_DOMAIN_SIZED.format(i=d.index, size=n) if n else CB_STUDY_DOMAIN.format(i=d.index))]
        for d in domains])


def _topic_button(t, size: int = 0) -> InlineKeyboardButton:
    acc = f"{_pct(t.correct, t.answered)} of {t.answered}" if t.answered else "new"
    return InlineKeyboardButton(f"{t.name} · {t.questions} q · {acc}",
                                callback_data=CB_STUDY_TOPIC.format(topic=t.id, size=size))


def drill_topics_text(domain, size: int | None = None) -> str:
    n = _carried(size)
    length = f"{max(3, min(30, n))} questions (3–30)" if n else "10 questions"
    return (f"🎯 <b>{escape(domain.name)}</b>\nEach topic shows its number of questions and your accuracy so far. "
            f"A drill is {length}.")


def drill_topics_keyboard(topics, size: int | None = None) -> InlineKeyboardMarkup:
    n = _carried(size)
    rows = [[_topic_button(t, n)] for t in topics]
    rows.append([InlineKeyboardButton("◀ Domains",
                                      callback_data=CB_STUDY_DOMAINS_SIZED.format(size=n) if n else CB_STUDY_DOMAINS)])
    return InlineKeyboardMarkup(rows)


def drill_no_match(text: str, suggestions) -> str:
    head = f"I have no topic called “{escape(text[:60])}”."
    if suggestions:
        return head + " The closest ones are below — or send /drill to browse them all."
    return head + " Send /drill to browse the topics."


def drill_suggestions_keyboard(suggestions, size: int | None) -> InlineKeyboardMarkup | None:
    if not suggestions:
        return None
    # The requested size travels with the button.
    return InlineKeyboardMarkup([[_topic_button(t, _carried(size))] for t in suggestions])


def drill_started(name: str, size: int, requested: int | None, available: int) -> str:
    note = ""
    if requested is not None and requested != size:
        note = f" (asked for {requested}; a drill has 3–30 questions and this topic has {available})"
    return f"🎯 <b>{escape(name)}</b>: {size} questions{note}. Skip any you want to pass over; Stop ends the drill."


def review_started(size: int, total: int) -> str:
    more = f" (the first {size} of {total} due; the rest stay due)" if total > size else ""
    return f"🔁 <b>Review</b>: {size} question{'s' if size != 1 else ''} due now{more}."


def review_nothing_due(next_due) -> str:
    if next_due is None:
        return ("🔁 Nothing to review yet: questions come up for review after you answer them. "
                "Try /drill or /quiz.")
    return (f"🔁 Nothing is due right now. Your next review is due "
            f"<b>{next_due.strftime('%a %d %b, %H:%M')}</b> ({escape(str(next_due.tzinfo))}).")


def mistakes_started(size: int) -> str:
    return (f"🩹 <b>Mistakes</b>: {size} question{'s' if size != 1 else ''} you last answered wrong. "
            "A question you miss again comes back later in this run, until you get each one right.")


def no_mistakes() -> str:
    return "🩹 No mistakes to fix: every question you answered, your last answer was right. 🎉"


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def study_summary(s) -> str:
    head = "⏹ <b>Stopped</b>" if s.stopped else "🏁 <b>Done</b>"
    lines = [f"{head} — {escape(s.title)}",
             f"Score: <b>{s.correct}/{s.answered}</b> ({_pct(s.correct, s.answered)})"
             + (f" · skipped {s.skipped}" if s.skipped else "")
             + (f" · {s.planned - s.answered - s.skipped} not reached" if s.stopped else ""),
             f"Time: {_duration(s.seconds)}"]
    if s.weakest:
        lines += ["", "<b>Weakest here:</b>"]
        lines += [f"• {escape(a.name)}: {a.correct}/{a.answered}" for a in s.weakest]
    elif s.answered and s.missed:
        lines += ["", f"Missed {len(s.missed)} — no pattern across topics, difficulty or format."]
    elif s.answered:
        lines += ["", "No misses. 💪"]
    lines += ["", "More: /drill · /review · /mistakes · /stats"]
    return clip("\n".join(lines))


def study_summary_keyboard(s) -> InlineKeyboardMarkup | None:
    if not s.missed:
        return None
    n = len(s.missed)
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"Retry the {n} missed ↻",
                                                       callback_data=CB_RETRY.format(drill=s.drill_id))]])


def study_gone() -> str:
    return "This run is over. Send /drill, /review or /mistakes to start another."


def nothing_to_retry() -> str:
    return "Nothing to retry from that run."


def reports_text(reports) -> str:
    """Admin view: reports per question, most reported first, held to one message."""
    if not reports:
        return "⚑ No reports yet."
    total = sum(c.total for c, _ in reports)
    lines = [f"⚑ <b>Reports</b>: {total} on {len(reports)} question{'s' if len(reports) != 1 else ''}", ""]
    budget = MAX_MESSAGE - 60
    shown = 0
    for count, prompt in reports:
        by_count = sorted(count.by_reason.items(), key=lambda kv: -kv[1])
        reasons = ", ".join(f"{REASON_LABELS[r].lower()} {n}" for r, n in by_count)
        line = (f"<b>{count.total}</b> × <code>{escape(count.question_id)}</code> ({reasons})\n"
                f"   <i>{escape(prompt[:90])}{'…' if len(prompt) > 90 else ''}</i>")
        if len("\n".join(lines)) + len(line) + 1 > budget:
            break
        lines.append(line)
        shown += 1
    if shown < len(reports):
        lines += ["", f"…and {len(reports) - shown} more question{'s' if len(reports) - shown != 1 else ''}."]
    return "\n".join(lines)


def export_caption(compressed: bool = False) -> str:
    if compressed:
        return ("📦 Everything I store about you, as JSON — gzip-compressed to fit Telegram's 50 MB file limit "
                "(open it with any unzip tool). /forget deletes it all.")
    return "📦 Everything I store about you, as JSON. /forget deletes it all."


def export_too_big() -> str:
    return ("📦 Your data is too big for one Telegram file, even compressed. Please contact the bot's admins "
            "for a copy; /forget still deletes it all.")


def forget_confirm_text() -> str:
    return ("⚠️ <b>Delete all your data?</b> Your answers, review schedule, streak days, drills, mock exams "
            "(an open one too), reports and settings will be deleted for good. This cannot be undone. "
            "(/export first if you want a copy.)")


def forget_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("Yes, delete everything", callback_data=CB_FORGET.format(choice="yes")),
        InlineKeyboardButton("Cancel", callback_data=CB_FORGET.format(choice="no")),
    ]])


def forget_done() -> str:
    return "🗑 Done: everything I stored about you is deleted. Send /start if you ever want to begin again."


def forget_cancelled() -> str:
    return "Nothing was deleted."


def study_help_lines() -> list[str]:
    return [
        "",
        "<b>Drills, reviews, mistakes</b>: one run at a time — starting a new one ends the one before. "
        "⏭ Skip passes a question over (it does not count as wrong); ⏹ Stop ends the run with its summary, "
        "which offers to retry the ones you missed. While a mock exam is running, pause it first.",
        "<b>Readiness</b> (/progress): for each domain, how likely you are to answer its questions right today, "
        "from your answers and your spaced-repetition memory; weighted by the exam weights and scaled like the "
        "mock exam. An estimate, not a promise.",
        "<b>Something wrong with a question?</b> Tap ⚑ Report under its explanation: wrong answer, unclear or "
        "outdated.",
        "<b>Your data</b>: /export sends it all as a file; /forget deletes it all after you confirm.",
    ]
