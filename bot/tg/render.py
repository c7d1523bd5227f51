"""Every text and keyboard the bot sends, in one place. HTML parse mode; user content is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import QuestionType
from bot.content.models import LETTERS
from bot.domain.streaks import Streak
from bot.services.daily import COMMON_ZONES, SIZES, TIMES, DailySettings, DrillSummary, Reminder
from bot.services.quiz import AnswerResult, Asked, Stats

MAX_MESSAGE = 4096  # Telegram's limit for a message text
CHOOSE_WORDS = {2: "TWO", 3: "THREE"}
DIFFICULTY = {1: "●○○", 2: "●●○", 3: "●●●"}

# Callback data; every form stays far below Telegram's 64-byte limit.
CB_ANSWER = "a:{ask}:{pos}"  # pick option at shown position (single)
CB_TOGGLE = "t:{ask}:{pos}"  # tick / untick (choose-N)
CB_SUBMIT = "s:{ask}"  # submit the ticked options (choose-N)
CB_NEXT = "n:{ask}"  # another question, after the answer to `ask`
CB_PATTERN_ANSWER = r"^a:(\d{1,18}):(\d{1,2})$"
CB_PATTERN_TOGGLE = r"^t:(\d{1,18}):(\d{1,2})$"
CB_PATTERN_SUBMIT = r"^s:(\d{1,18})$"
CB_PATTERN_NEXT = r"^n:(\d{1,18})$"
CB_DAILY_TOGGLE = "d:{state}"  # on | off
CB_DAILY_TIME = "d:t:{hhmm}"
CB_DAILY_SIZE = "d:n:{n}"
CB_ZONE = "z:{zone}"
CB_QUIZ = "go"  # "answer a question now" under a reminder
CB_RESUME = "dr"  # continue today's unfinished drill
CB_PATTERN_DAILY_TOGGLE = r"^d:(on|off)$"
CB_PATTERN_DAILY_TIME = r"^d:t:(\d{4})$"
CB_PATTERN_DAILY_SIZE = r"^d:n:(\d{1,2})$"
CB_PATTERN_ZONE = r"^z:([A-Za-z0-9_/+-]{1,40})$"
CB_PATTERN_QUIZ = r"^go$"
CB_PATTERN_RESUME = r"^dr$"


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def welcome(first_name: str | None, returning: bool, tz: str) -> str:
    name = escape(first_name or "there")
    if returning:
        return (
            f"Welcome back, {name}! Your answers and stats are right where you left them.\n\n"
            "Send /quiz for a question or /stats to see how you are doing."
        )
    return (
        f"Hi {name}! I help you prepare for the <b>AWS Certified Machine Learning – Specialty</b> "
        "(MLS-C01) exam, a few questions at a time.\n\n"
        "• /quiz asks you one question now: tap an option, or type the answer when there are no options.\n"
        "• After each answer you get the correct answer and why.\n"
        "• /stats shows your accuracy per exam domain.\n"
        "• /daily sends you a short drill every day at a time you choose, and keeps your streak.\n\n"
        f"Your time zone is <b>{escape(tz)}</b>; change it with /timezone (for example <code>/timezone Europe/Berlin</code>).\n\n"
        "Ready? Send /quiz."
    )


def help_text(commands: Sequence[tuple[str, str]]) -> str:
    lines = ["<b>What I can do</b>", ""]
    lines += [f"/{name} — {escape(description)}" for name, description in commands]
    lines += [
        "",
        "Multiple-choice questions come with buttons; for a question without options, just type your answer. "
        "Typed answers forgive case, spacing, small typos and common abbreviations.",
    ]
    return "\n".join(lines)


def _header(asked: Asked) -> str:
    q = asked.question
    return f"<i>{escape(asked.domain_name)} · {escape(asked.topic_name)} · {DIFFICULTY[q.difficulty]}</i>"


def _option_lines(asked: Asked, marks: dict[int, str] | None = None) -> list[str]:
    lines = []
    for pos, idx in enumerate(asked.order):
        mark = (marks or {}).get(pos, "")
        lines.append(f"{mark}<b>{LETTERS[pos]}.</b> {escape(asked.question.options[idx])}")
    return lines


def question_text(asked: Asked) -> str:
    q = asked.question
    parts = [_header(asked), "", escape(q.prompt)]
    if asked.drill is not None:
        title = study_title(asked) or "☀️ <b>Daily drill</b>"
        parts.insert(0, f"{title} · {asked.drill[0]}/{asked.drill[1]}")
    if q.type is QuestionType.fill:
        parts += ["", "✍️ <i>Type your answer as a message.</i>"]
    else:
        parts += [""] + _option_lines(asked)
        if q.type is QuestionType.multi:
            parts += ["", f"<i>Choose {CHOOSE_WORDS.get(q.choose, q.choose)}, then tap Submit.</i>"]
    return clip("\n".join(parts))


def _question_buttons(asked: Asked, selected: Sequence[int] = ()) -> list[list[tuple[str, str]]]:
    """The question's buttons as rows of (label, callback data)."""
    q = asked.question
    if q.type is QuestionType.fill:
        return []
    if q.type is QuestionType.single:
        return [[(LETTERS[pos], CB_ANSWER.format(ask=asked.ask_id, pos=pos)) for pos in range(len(asked.order))]]
    toggles = [
        (f"{'☑' if pos in selected else '☐'} {LETTERS[pos]}", CB_TOGGLE.format(ask=asked.ask_id, pos=pos))
        for pos in range(len(asked.order))
    ]
    submit = (f"Submit ({len(selected)}/{q.choose})", CB_SUBMIT.format(ask=asked.ask_id))
    return [toggles[:3], toggles[3:], [submit]]


def question_keyboard(asked: Asked, selected: Sequence[int] = ()) -> InlineKeyboardMarkup | None:
    rows = _question_buttons(asked, selected) + study_controls(asked)
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


def next_keyboard(ask_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Next question ▶", callback_data=CB_NEXT.format(ask=ask_id))]])


def _teaching(result: AnswerResult) -> list[str]:
    q = result.question
    assert q is not None
    parts = ["", f"💡 {escape(q.explanation)}"]
    if q.details:
        parts += ["", escape(q.details)]
    if q.erratum:
        parts += ["", f"📝 <b>Note correction:</b> {escape(q.erratum)}"]
    return parts


def answer_keyboard(ask_id: int, in_drill: bool) -> InlineKeyboardMarkup:
    """Under an answered question: 'Next' for /quiz (a drill's next question follows by itself), and 'Report'."""
    rows = [] if in_drill else [[InlineKeyboardButton("Next question ▶", callback_data=CB_NEXT.format(ask=ask_id))]]
    return InlineKeyboardMarkup(rows + report_row(ask_id))


def choice_result_text(asked: Asked, result: AnswerResult) -> str:
    """The question message after an answer: options marked, verdict, and the explanation."""
    q = asked.question
    correct_positions = {pos for pos, idx in enumerate(asked.order) if idx in q.correct_indices}
    marks = {pos: "✅ " for pos in correct_positions}
    for pos in result.chosen:
        if pos not in correct_positions:
            marks[pos] = "❌ "
    answer_letters = ", ".join(LETTERS[p] for p in sorted(correct_positions))
    verdict = "✅ <b>Right!</b>" if result.correct else f"❌ <b>Not quite.</b> The answer is {answer_letters}."
    parts = [_header(asked), "", escape(q.prompt), ""] + _option_lines(asked, marks) + ["", verdict]
    return clip("\n".join(parts + _teaching(result)))


def fill_result_text(result: AnswerResult) -> str:
    q, v = result.question, result.verdict
    assert q is not None and v is not None
    if v.correct:
        head = f"✅ <b>Right!</b> The answer is <b>{escape(v.expected)}</b>."
    elif v.reason == "hedged":
        head = f"❌ <b>One answer, please</b> — hedging between two does not count. The answer is <b>{escape(v.expected)}</b>."
    elif v.close and v.hint:
        head = f"❌ <b>Close, but not quite:</b> {escape(v.hint)}. The answer is <b>{escape(v.expected)}</b>."
    else:
        head = f"❌ <b>Not quite.</b> The answer is <b>{escape(v.expected)}</b>."
    return clip("\n".join([head] + _teaching(result)))


def not_an_attempt(reason: str) -> str:
    if reason == "too_long":
        return "That is longer than any answer here 🙂 Type a short answer — a name, a term or a number."
    return "I did not catch an answer there. Type a short answer — a name, a term or a number."


def already_answered() -> str:
    return "You already answered this one — your first answer counts."


def stale_button() -> str:
    return "This question is closed. Send /quiz for a new one."


def forged_button() -> str:
    return "That button does not belong to a question of yours."


def empty_bank() -> str:
    return "I have no questions to ask right now. Please try again later."


def streak_line(streak: Streak) -> str:
    days = "day" if streak.current == 1 else "days"
    line = f"🔥 Streak: <b>{streak.current}</b> {days} · longest {streak.longest} · 🧊 freezes {streak.freezes}/2"
    if streak.at_risk:
        line += "\n<i>Today's goal is not done yet — keep the streak alive!</i>"
    elif streak.today_done:
        line += "\n<i>Today's goal: done ✅</i>"
    return line


def stats_text(stats: Stats, streak: Streak) -> str:
    if not stats.answered:
        return "📊 You have not answered any questions yet. Send /quiz to start."
    pct = round(100 * stats.correct / stats.answered)
    lines = [
        "📊 <b>Your stats</b>",
        f"Answered: <b>{stats.answered}</b> · correct: <b>{stats.correct}</b> ({pct}%)",
        streak_line(streak),
        "",
        "<b>By exam domain</b> (exam weight):",
    ]
    for d in stats.domains:
        acc = f"{round(100 * d.correct / d.answered)}% of {d.answered}" if d.answered else "not started"
        lines.append(f"• {escape(d.name)} ({d.weight}%): {acc}")
    return "\n".join(lines)


def unknown_command(command: str) -> str:
    return f"I don't know {escape(command[:40])}. Send /help to see what I can do."


def no_open_question() -> str:
    return "Send /quiz for a question, or /help to see everything I can do."


def unsupported_message() -> str:
    return "I can only read text messages. Send /quiz for a question, or /help for the commands."


def private_only() -> str:
    return "Let's study in private: open a chat with me and send /start."


def internal_error() -> str:
    return "Sorry — something went wrong on my side. Your answers so far are saved; please try again."


# --- daily drills ---------------------------------------------------------------------


def daily_text(settings: DailySettings, note: str | None = None) -> str:
    lines = []
    if note:
        lines += [note, ""]
    if settings.enabled and settings.next_push_local is not None:
        when = settings.next_push_local.strftime("%a %d %b, %H:%M")
        lines.append(f"☀️ <b>Daily drill: on</b> — {settings.size} questions every day at "
                     f"<b>{settings.time}</b> ({escape(settings.tz)}). Next: {when}.")
    else:
        lines.append(f"☀️ <b>Daily drill: off.</b> Turn it on to get {settings.size} questions every day "
                     f"at {settings.time} ({escape(settings.tz)}).")
    lines += [
        "",
        "Pick a time below or send <code>/daily 07:30</code>; change your time zone with /timezone.",
        "Answering as many questions as your drill size on a day keeps your streak, whichever way you answer.",
    ]
    return "\n".join(lines)


def daily_keyboard(settings: DailySettings) -> InlineKeyboardMarkup:
    toggle = (InlineKeyboardButton("Turn off", callback_data=CB_DAILY_TOGGLE.format(state="off"))
              if settings.enabled else InlineKeyboardButton("Turn on ✅", callback_data=CB_DAILY_TOGGLE.format(state="on")))
    times = [InlineKeyboardButton(("• " if t == settings.time else "") + t,
                                  callback_data=CB_DAILY_TIME.format(hhmm=t.replace(":", ""))) for t in TIMES]
    sizes = [InlineKeyboardButton(("• " if n == settings.size else "") + f"{n} questions",
                                  callback_data=CB_DAILY_SIZE.format(n=n)) for n in SIZES]
    rows = [[toggle], times[:3], times[3:], sizes[:2], sizes[2:]]
    if settings.open_drill is not None:
        done, size = settings.open_drill
        rows.insert(0, [InlineKeyboardButton(f"Continue today's drill ({done}/{size} done) ▶", callback_data=CB_RESUME)])
    return InlineKeyboardMarkup(rows)


def daily_bad_time(text: str) -> str:
    return (f"I could not read “{escape(text[:40])}” as a time. Send it as HH:MM on a 24-hour clock, "
            "for example <code>/daily 07:30</code> or <code>/daily 18:45</code>; <code>/daily off</code> turns it off.")


def timezone_text(tz: str, note: str | None = None) -> str:
    lines = [note, ""] if note else []
    lines += [
        f"🌍 Your time zone: <b>{escape(tz)}</b>.",
        "Tap one below or send its IANA name, e.g. <code>/timezone Europe/Berlin</code>, "
        "<code>/timezone America/New_York</code> or <code>/timezone Asia/Tokyo</code>. A city name works too.",
    ]
    return "\n".join(lines)


def timezone_keyboard() -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(z.split("/")[-1].replace("_", " "), callback_data=CB_ZONE.format(zone=z))
               for z in COMMON_ZONES]
    return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


def timezone_unknown(text: str, suggestions: tuple[str, ...]) -> str:
    lines = [f"“{escape(text[:60])}” is not a time zone I know."]
    if suggestions:
        lines.append("Did you mean " + ", ".join(f"<code>{escape(s)}</code>" for s in suggestions) + "?")
    lines.append("Use an IANA name such as <code>/timezone Europe/Berlin</code>, <code>/timezone America/Chicago</code> "
                 "or <code>/timezone Asia/Kolkata</code>.")
    return "\n".join(lines)


def timezone_set(tz: str) -> str:
    return f"✅ Time zone set to <b>{escape(tz)}</b>. Your daily drill and streak days now follow it."


def drill_summary(summary: DrillSummary) -> str:
    pct = round(100 * summary.correct / summary.size) if summary.size else 0
    back = ("Nothing is due for review tomorrow — new questions then."
            if not summary.due_tomorrow else
            f"{summary.due_tomorrow} question{'s' if summary.due_tomorrow != 1 else ''} come back for review by tomorrow.")
    return "\n".join([
        f"🏁 <b>Daily drill done:</b> {summary.correct}/{summary.size} right ({pct}%).",
        streak_line(summary.streak),
        back,
        "",
        "More now? /quiz · Your progress: /stats",
    ])


def reminder_text(reminder: Reminder) -> str:
    more = "question" if reminder.remaining == 1 else "questions"
    return (f"🔥 Your <b>{reminder.streak.current}-day streak</b> is at risk! Answer {reminder.remaining} more "
            f"{more} today to keep it.")


def nothing_to_resume() -> str:
    return "Today's drill is finished (or has not arrived yet). Send /quiz for a question now."


def reminder_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Answer a question now ▶", callback_data=CB_QUIZ)]])


def invalid_setting() -> str:
    return "That button is not one I offer. Send /daily to see the settings."


# --- study: topic drills, reviews, mistakes, reports, your data -----------------------------------

CB_STUDY_DOMAINS = "sd"  # the picker's list of exam domains
CB_STUDY_DOMAIN = "sd:{i}"  # one domain's topics
CB_STUDY_TOPIC = "st:{topic}:{size}"  # start a topic drill (size 0: the default)
CB_SKIP = "sk:{ask}"
CB_STOP = "sp:{ask}"
CB_RETRY = "sr:{drill}"  # a new run of the questions missed in `drill`
CB_REPORT = "rp:{ask}"  # open the reasons
CB_REPORT_REASON = "rr:{ask}:{reason}"  # w | u | o
CB_REPORT_CANCEL = "rx:{ask}"
CB_FORGET = "fg:{choice}"  # yes | no
CB_PATTERN_STUDY_DOMAINS = r"^sd$"
CB_PATTERN_STUDY_DOMAIN = r"^sd:(\d{1,2})$"
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
    return InlineKeyboardMarkup([reasons, [InlineKeyboardButton("Cancel", callback_data=CB_REPORT_CANCEL.format(ask=ask_id))]])


def report_thanks(reason: str, stored: bool) -> str:
    if not stored:
        return f"You already reported this as “{REASON_LABELS[reason].lower()}” — thanks!"
    return f"Thanks! Reported as “{REASON_LABELS[reason].lower()}”; we'll look into it."


def _pct(correct: int, answered: int) -> str:
    return f"{round(100 * correct / answered)}%" if answered else "–"


def drill_picker_text() -> str:
    return ("🎯 <b>Topic drill</b> — pick an exam domain, then a topic.\n"
            "Or name a topic: <code>/drill kinesis</code>, <code>/drill xgboost 20</code>.")


def drill_domains_keyboard(domains) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"{d.name} ({d.questions})",
                                                       callback_data=CB_STUDY_DOMAIN.format(i=d.index))]
                                 for d in domains])


def _topic_button(t, size: int = 0) -> InlineKeyboardButton:
    acc = f"{_pct(t.correct, t.answered)} of {t.answered}" if t.answered else "new"
    return InlineKeyboardButton(f"{t.name} · {t.questions} q · {acc}",
                                callback_data=CB_STUDY_TOPIC.format(topic=t.id, size=size))


def drill_topics_text(domain) -> str:
    return (f"🎯 <b>{escape(domain.name)}</b>\nEach topic shows its number of questions and your accuracy so far. "
            "A drill is 10 questions.")


def drill_topics_keyboard(topics) -> InlineKeyboardMarkup:
    rows = [[_topic_button(t)] for t in topics]
    rows.append([InlineKeyboardButton("◀ Domains", callback_data=CB_STUDY_DOMAINS)])
    return InlineKeyboardMarkup(rows)


def drill_no_match(text: str, suggestions) -> str:
    head = f"I have no topic called “{escape(text[:60])}”."
    if suggestions:
        return head + " The closest ones are below — or send /drill to browse them all."
    return head + " Send /drill to browse the topics."


def drill_suggestions_keyboard(suggestions, size: int | None) -> InlineKeyboardMarkup | None:
    if not suggestions:
        return None
    # The requested size travels with the button (two digits fit; the drill clamps it anyway).
    carried = min(size, 99) if size and size > 0 else 0
    return InlineKeyboardMarkup([[_topic_button(t, carried)] for t in suggestions])


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


def export_caption() -> str:
    return "📦 Everything I store about you, as JSON. /forget deletes it all."


def forget_confirm_text() -> str:
    return ("⚠️ <b>Delete all your data?</b> Your answers, review schedule, streak days, drills, reports and "
            "settings will be deleted for good. This cannot be undone. (/export first if you want a copy.)")


def forget_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("Yes, delete everything", callback_data=CB_FORGET.format(choice="yes")),
        InlineKeyboardButton("Cancel", callback_data=CB_FORGET.format(choice="no")),
    ]])


def forget_done() -> str:
    return "🗑 Done: everything I stored about you is deleted. Send /start if you ever want to begin again."


def forget_cancelled() -> str:
    return "Nothing was deleted."
