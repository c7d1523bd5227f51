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
        "• /daily sends you a short drill every day at a time you choose, and keeps your streak.\n"
        "• /drill, /review and /mistakes focus your practice; /exam is a timed mock exam; /progress says how "
        "ready you are. /help lists everything.\n\n"
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
    lines += exam_help_lines()
    lines += study_help_lines()
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


def group_press_in_exam() -> str:
    return ("Not counted: you have a mock exam open in our private chat (/exam), and this would show you "
            "answers mid-exam.")


def stale_button_in_exam() -> str:
    return "This question is closed. Your mock exam is running: /exam takes you back to it."


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


def drill_held_by_exam(asked: Asked) -> str:
    size = asked.drill[1] if asked.drill else 1
    return (f"📅 <b>Today's drill is ready</b> ({size} question{'s' if size != 1 else ''}). Your mock exam is running, "
            "so it waits: a drill now would show you answers mid-exam. Finish or pause the exam (/exam), "
            "then tap below.")


def drill_held_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Start today's drill ▶", callback_data=CB_RESUME)]])


def reminder_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Answer a question now ▶", callback_data=CB_QUIZ)]])


def invalid_setting() -> str:
    return "That button is not one I offer. Send /daily to see the settings."


# --- mock exam and readiness ---------------------------------------------------------------
# Exam callbacks carry the exam id and question position, never an ask id, so the generic answer
# buttons above can never touch (or give feedback on) an exam question.

from bot.domain.exam import EXAM_MINUTES, EXAM_SIZE, PASS_RAW, SCALED_PASS  # noqa: E402
from bot.services.exam import Overview, Past, Page, Paused, Result, ReviewPage  # noqa: E402
from bot.domain.readiness import MIN_SEEN  # noqa: E402
from bot.services.progress import Progress  # noqa: E402

CB_EXAM_START = "xn"
CB_EXAM_HISTORY = "xh"
CB_EXAM_PICK = "xa:{exam}:{pos}:{opt}"  # tap an option (single: take it and move on; multi: tick)
CB_EXAM_GO = "xg:{exam}:{pos}"  # show a question (back, skip, jump)
CB_EXAM_FLAG = "xf:{exam}:{pos}"
CB_EXAM_PAUSE = "xp:{exam}"
CB_EXAM_RESUME = "xr:{exam}"
CB_EXAM_OVERVIEW = "xo:{exam}"
CB_EXAM_SUBMIT = "xs:{exam}"
CB_EXAM_RESULT = "xz:{exam}"
CB_EXAM_REVIEW = "xv:{exam}:{pos}"
CB_PATTERN_EXAM_START = r"^xn$"
CB_PATTERN_EXAM_HISTORY = r"^xh$"
CB_PATTERN_EXAM_PICK = r"^xa:(\d{1,18}):(\d{1,3}):(\d{1,2})$"
CB_PATTERN_EXAM_GO = r"^xg:(\d{1,18}):(\d{1,3})$"
CB_PATTERN_EXAM_FLAG = r"^xf:(\d{1,18}):(\d{1,3})$"
CB_PATTERN_EXAM_PAUSE = r"^xp:(\d{1,18})$"
CB_PATTERN_EXAM_RESUME = r"^xr:(\d{1,18})$"
CB_PATTERN_EXAM_OVERVIEW = r"^xo:(\d{1,18})$"
CB_PATTERN_EXAM_SUBMIT = r"^xs:(\d{1,18})$"
CB_PATTERN_EXAM_RESULT = r"^xz:(\d{1,18})$"
CB_PATTERN_EXAM_REVIEW = r"^xv:(\d{1,18}):(\d{1,3})$"


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def _left(remaining) -> str:
    total = int(remaining.total_seconds())
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}"


def scaling_note() -> str:
    return (f"Scores are on AWS's 100–1000 scale with {SCALED_PASS} to pass. AWS does not publish how raw answers "
            f"map to it, so this is an estimate: a straight line from 0% right = 100 to {round(PASS_RAW * 100)}% "
            f"right = {SCALED_PASS}, and from there to 100% = 1000; each domain is scaled the same way.")


def exam_help_lines() -> list[str]:
    return [
        "",
        f"<b>Mock exam</b> (/exam): {EXAM_SIZE} choice questions drawn by the exam's domain weights, "
        f"{EXAM_MINUTES // 60} hours. No feedback until you submit; skip or flag questions and come back, "
        "change an answer any time before the end. ⏸ Pause stops the clock.",
        scaling_note(),
    ]


def exam_intro(blueprint: Sequence[tuple[str, int, int]]) -> str:
    """`blueprint`: (domain name, exam weight %, questions) per domain."""
    split = ", ".join(f"{n} {escape(name)} ({w}%)" for name, w, n in blueprint)
    return "\n".join([
        "📝 <b>Mock exam</b> — like MLS-C01",
        "",
        f"• {EXAM_SIZE} multiple-choice questions by the exam's domain weights: {split}.",
        f"• {EXAM_MINUTES // 60} hours. The clock runs while the exam is open; ⏸ Pause stops it, "
        "and you can resume later — even days later.",
        "• No feedback until you submit. Tap an option to answer and move on; "
        "go back, skip or 🚩 flag a question and change answers any time before the end.",
        "• “Choose TWO/THREE” counts only if exactly right. Unanswered questions count as wrong.",
        "• Afterwards: a scaled score per domain, every question with its explanation, and your history.",
        "",
        f"<i>{scaling_note()}</i>",
    ])


def exam_intro_keyboard(has_history: bool) -> InlineKeyboardMarkup:
    rows = [[_button("Start the exam ▶", CB_EXAM_START)]]
    if has_history:
        rows.append([_button("📜 Past attempts", CB_EXAM_HISTORY)])
    return InlineKeyboardMarkup(rows)


def exam_page_text(page: Page) -> str:
    q = page.asked.question
    head = f"📝 <b>Mock exam</b> · Question {page.position + 1}/{page.size} · ⏱ {_left(page.remaining)} left"
    parts = [head]
    if page.flagged:
        parts.append("🚩 <i>Flagged</i>")
    parts += ["", escape(q.prompt), ""] + _option_lines(page.asked)
    if q.type is QuestionType.multi:
        parts += ["", f"<i>Choose {CHOOSE_WORDS.get(q.choose, q.choose)}, then tap Next.</i>"]
    parts += ["", f"<i>Answered {page.answered}/{page.size}</i>"]
    return clip("\n".join(parts))


def exam_page_keyboard(page: Page) -> InlineKeyboardMarkup:
    q, e, p = page.asked.question, page.exam_id, page.position
    options = [
        _button((("☑ " if pos in page.selected else "☐ ") if q.type is QuestionType.multi
                 else ("● " if pos in page.selected else "")) + LETTERS[pos],
                CB_EXAM_PICK.format(exam=e, pos=p, opt=pos))
        for pos in range(len(page.asked.order))
    ]
    rows = [options] if len(options) <= 4 else [options[:3], options[3:]]
    nav = []
    if p > 0:
        nav.append(_button("◀ Back", CB_EXAM_GO.format(exam=e, pos=p - 1)))
    nav.append(_button("🏳 Unflag" if page.flagged else "🚩 Flag", CB_EXAM_FLAG.format(exam=e, pos=p)))
    if p + 1 < page.size:
        nav.append(_button("Next ▶" if page.selected else "Skip ▶", CB_EXAM_GO.format(exam=e, pos=p + 1)))
    rows.append(nav)
    rows.append([_button("⏸ Pause", CB_EXAM_PAUSE.format(exam=e)),
                 _button("📋 Review & submit", CB_EXAM_OVERVIEW.format(exam=e))])
    return InlineKeyboardMarkup(rows)


def exam_overview_text(ov: Overview) -> str:
    lines = [f"📋 <b>Before you submit</b> · ⏱ {_left(ov.remaining)} left", "",
             f"Answered: <b>{ov.size - len(ov.unanswered)}/{ov.size}</b>"]
    if ov.unanswered:
        lines.append("Unanswered: " + ", ".join(str(p + 1) for p in ov.unanswered[:40])
                     + (" …" if len(ov.unanswered) > 40 else ""))
    if ov.flagged:
        lines.append("🚩 Flagged: " + ", ".join(str(p + 1) for p in ov.flagged))
    lines += ["", "Tap a number to go back to it, or submit to see your score. Unanswered questions count as wrong."]
    return "\n".join(lines)


def exam_overview_keyboard(ov: Overview) -> InlineKeyboardMarkup:
    jump = list(dict.fromkeys([*ov.flagged, *ov.unanswered]))[:15]
    buttons = [_button(("🚩" if p in ov.flagged else "") + str(p + 1), CB_EXAM_GO.format(exam=ov.exam_id, pos=p))
               for p in sorted(jump)]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    rows.append([_button(f"◀ Back to question {ov.position + 1}", CB_EXAM_GO.format(exam=ov.exam_id, pos=ov.position))])
    rows.append([_button("✅ Submit the exam", CB_EXAM_SUBMIT.format(exam=ov.exam_id))])
    return InlineKeyboardMarkup(rows)


def exam_paused_text(paused: Paused) -> str:
    return (f"⏸ <b>Exam paused.</b> Answered {paused.answered}/{paused.size}; ⏱ {_left(paused.remaining)} left "
            "on the clock, which is stopped now.\n\nResume whenever you like — here or with /exam.")


def exam_paused_keyboard(paused: Paused) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button("▶ Resume", CB_EXAM_RESUME.format(exam=paused.exam_id))],
                                 [_button("✅ Submit now", CB_EXAM_SUBMIT.format(exam=paused.exam_id))]])


def exam_result_text(result: Result) -> str:
    s = result.score
    verdict = "PASS ✅" if s.passed else "not a pass yet ❌"
    pct = round(100 * s.right / s.total) if s.total else 0
    lines = []
    if result.timed_out:
        lines += ["⏰ <b>Time is up.</b> Answers given in time count; the rest count as wrong.", ""]
    minutes = int(result.used.total_seconds() // 60)
    lines += [
        "🏁 <b>Mock exam result</b>",
        f"Scaled score: <b>{s.scaled}</b> / 1000 — {verdict} (pass mark {SCALED_PASS})",
        f"Right: <b>{s.right}/{s.total}</b> ({pct}%) · time used: {minutes // 60}h {minutes % 60:02d}m",
        "",
        "<b>By domain</b> (scaled · right):",
    ]
    for d in s.domains:
        mark = "✅" if d.scaled >= SCALED_PASS else "⚠️"
        lines.append(f"{mark} {escape(result.domain_names.get(d.domain, d.domain))}: <b>{d.scaled}</b> · {d.right}/{d.total}")
    lines += ["", "<i>Scaled scores are an estimate — see /help.</i> Your answers now count in /stats and reviews."]
    return "\n".join(lines)


def exam_result_keyboard(exam_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([
        [_button("🔍 Review every question", CB_EXAM_REVIEW.format(exam=exam_id, pos=0))],
        [_button("📜 Past attempts", CB_EXAM_HISTORY), _button("New exam ▶", CB_EXAM_START)],
    ])


def exam_review_text(page: ReviewPage) -> str:
    asked, q = page.asked, page.asked.question
    correct_positions = {pos for pos, idx in enumerate(asked.order) if idx in q.correct_indices}
    marks = {pos: "✅ " for pos in correct_positions}
    for pos in page.chosen:
        if pos not in correct_positions:
            marks[pos] = "❌ "
    letters_right = ", ".join(LETTERS[p] for p in sorted(correct_positions))
    if page.correct is None:
        verdict = f"⏭ <b>Not answered.</b> The answer is {letters_right}."
    elif page.correct:
        verdict = "✅ <b>You got it right.</b>"
    else:
        yours = ", ".join(LETTERS[p] for p in page.chosen) or "—"
        verdict = f"❌ <b>You answered {yours}.</b> The answer is {letters_right}."
    parts = [f"🔍 <b>Review</b> · Question {page.position + 1}/{page.size}", _header(asked), "",
             escape(q.prompt), ""] + _option_lines(asked, marks) + ["", verdict, "", f"💡 {escape(q.explanation)}"]
    if q.details:
        parts += ["", escape(q.details)]
    if q.erratum:
        parts += ["", f"📝 <b>Note correction:</b> {escape(q.erratum)}"]
    return clip("\n".join(parts))


def exam_review_keyboard(page: ReviewPage) -> InlineKeyboardMarkup:
    e, p = page.exam_id, page.position
    nav = []
    if p > 0:
        nav.append(_button("◀ Prev", CB_EXAM_REVIEW.format(exam=e, pos=p - 1)))
    if p + 1 < page.size:
        nav.append(_button("Next ▶", CB_EXAM_REVIEW.format(exam=e, pos=p + 1)))
    rows = [nav] if nav else []
    if page.next_wrong is not None:
        rows.append([_button(f"Next mistake ▶▶ ({page.next_wrong + 1})", CB_EXAM_REVIEW.format(exam=e, pos=page.next_wrong))])
    rows.append([_button("🏁 Back to the result", CB_EXAM_RESULT.format(exam=e)),
                 _button("⚑ Report", CB_REPORT.format(ask=page.asked.ask_id))])  # like every explanation
    return InlineKeyboardMarkup(rows)


def exam_history_text(past: Sequence[Past]) -> str:
    if not past:
        return "📜 You have not finished a mock exam yet. Send /exam to take one."
    zone = escape(str(past[0].started_at.tzinfo))
    lines = [f"📜 <b>Your mock exams</b> (latest first; started, {zone} time)", ""]
    for x in past:
        when = x.started_at.strftime("%d %b %Y %H:%M")
        mark = "PASS ✅" if x.passed else "❌"
        lines.append(f"#{x.exam_id} · {when} · <b>{x.score}</b> {mark} · {x.right}/{x.total}"
                     + (" · ⏰ timed out" if x.timed_out else ""))
    if len(past) >= 2:
        trend = past[0].score - past[-1].score
        lines += ["", f"Change since the oldest shown: {'+' if trend >= 0 else ''}{trend}"]
    return "\n".join(lines)


def exam_history_keyboard(past: Sequence[Past]) -> InlineKeyboardMarkup:
    buttons = [_button(f"#{x.exam_id}: {x.score}", CB_EXAM_RESULT.format(exam=x.exam_id)) for x in past[:6]]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button("New exam ▶", CB_EXAM_START)])
    return InlineKeyboardMarkup(rows)


def exam_refusal(reason: str) -> str:
    return {
        "forged": "That button does not belong to an exam of yours.",
        "finished": "That exam is over. Send /exam for its result or a new one.",
        "paused": "The exam is paused — tap ▶ Resume (or send /exam) to go on.",
        "none": "There is no result for that exam yet.",
    }[reason]


def exam_time_up() -> str:
    return "⏰ Time is up: the exam is finished and scored. Taps after the limit do not count."


def exam_empty_bank() -> str:
    return "I have no multiple-choice questions for an exam right now. Please try again later."


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
# --- study: topic drills, reviews, mistakes, reports, your data -----------------------------------

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


def forget_confirm_text() -> str:
    return ("⚠️ <b>Delete all your data?</b> Your answers, review schedule, streak days, drills, mock exams "
            "(an open one too), reports and settings will be deleted for good. This cannot be undone. (/export first if you want a copy.)")


def forget_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("Yes, delete everything", callback_data=CB_FORGET.format(choice="yes")),
        InlineKeyboardButton("Cancel", callback_data=CB_FORGET.format(choice="no")),
    ]])


def forget_done() -> str:
    return "🗑 Done: everything I stored about you is deleted. Send /start if you ever want to begin again."


def forget_cancelled() -> str:
    return "Nothing was deleted."
# --- group competitions ---------------------------------------------------------------------

from bot.services.groups import Final, Leaderboard, QuestionView, Refusal, Refused, Reveal, Started, WeeklyPost  # noqa: E402
from bot.storage.groups import BoardRow, Group  # noqa: E402

CB_GROUP_ANSWER = "g:{round}:{pos}:{shown}"  # a player's press on option `shown` of question `pos`
CB_GROUP_SECONDS = "gs:s:{seconds}"
CB_GROUP_OPEN = "gs:o:{flag}"  # 1: anyone may start rounds, 0: admins only
CB_PATTERN_GROUP_ANSWER = r"^g:(\d{1,18}):(\d{1,2}):(\d)$"
CB_PATTERN_GROUP_SETTING = r"^gs:([so]):(\d{1,3})$"
MEDALS = ("🥇", "🥈", "🥉")


def _who(name: str) -> str:
    return escape(name[:32])


def group_intro(open_to_all: bool) -> str:
    who = "anyone here" if open_to_all else "group admins"
    return (
        "👋 Hi! I run quick <b>AWS ML Specialty</b> quiz rounds for this group.\n"
        f"• /compete starts a round (10 questions; or <code>/compete kinesis 5</code>) — {who} can start and /stop it.\n"
        "• Tap a letter to answer: the first tap counts, faster right answers score more.\n"
        "• /leaderboard shows this week and all time; admins change time per question, who may start and the "
        "time zone with /groupsettings."
    )


def group_only() -> str:
    return "That one works in a group: add me to your study group and send it there. Here, send /quiz."


def admins_only() -> str:
    return "Only group admins can do that here (an admin can allow everyone with /groupsettings)."


def compete_started(started: Started, by: str) -> str:
    topic = f" on <b>{escape(started.topic_name)}</b>" if started.topic_name else ""
    return (f"🏁 <b>Round started</b> by {_who(by)}: {started.size} questions{topic}, {started.seconds} s each. "
            "Tap a letter — the first tap counts, faster scores more. First question coming up!")


def compete_refused(refused: Refused) -> str:
    if refused.reason is Refusal.running:
        return "A round is already running here — answer along, or an admin can /stop it."
    if refused.reason is Refusal.unknown_topic:
        hint = ", ".join(escape(s) for s in refused.suggestions)
        return (f"I don't know the topic “{escape(refused.typed[:60])}”."
                + (f" Did you mean: {hint}?" if hint else "") + " Or send /compete for all topics.")
    return "I have no questions for that right now. Try /compete for all topics."


def _options_block(view: QuestionView, reveal: bool = False) -> list[str]:
    right = set(view.correct_shown)
    lines = []
    for pos, idx in enumerate(view.order):
        mark = ("✅ " if pos in right else "▫️ ") if reveal else ""
        lines.append(f"{mark}<b>{LETTERS[pos]}.</b> {escape(view.question.options[idx])}")
    return lines


def group_question_text(view: QuestionView) -> str:
    head = (f"❓ <b>Question {view.position + 1}/{view.size}</b> · <i>{escape(view.topic_name)}</i> · "
            f"⏱ {view.seconds} s")
    return clip("\n".join([head, "", escape(view.question.prompt), ""] + _options_block(view)))


def group_question_keyboard(view: QuestionView) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(LETTERS[pos], callback_data=CB_GROUP_ANSWER.format(round=view.round_id, pos=view.position,
                                                                               shown=pos))
        for pos in range(len(view.order))
    ]])


def _standing_line(i: int, name: str, points: int, extra: str = "") -> str:
    medal = MEDALS[i] if i < len(MEDALS) else f"{i + 1}."
    return f"{medal} {_who(name)} — <b>{points}</b>{extra}"


def group_reveal_text(reveal: Reveal) -> str:
    view = reveal.view
    head = f"⏹ <b>Question {view.position + 1}/{view.size}</b> · <i>{escape(view.topic_name)}</i> · closed"
    got = f"{reveal.right} of {reveal.answered} got it right." if reveal.answered else "Nobody answered."
    lines = [head, "", escape(view.question.prompt), ""] + _options_block(view, reveal=True)
    lines += ["", f"💡 {escape(view.question.explanation)}", "", got]
    if reveal.top:
        lines += ["", "<b>Top 3 so far</b>"] + [_standing_line(s.rank - 1, s.name, s.points) for s in reveal.top]
    if view.position + 1 < view.size:
        lines += ["", "<i>Next question in a moment…</i>"]
    return clip("\n".join(lines))


def group_final_text(final: Final) -> str:
    title = {"finished": "🏆 <b>Round over!</b>", "stopped": "⏹ <b>Round stopped.</b> Scores so far:",
             "offline": "⏹ <b>Round ended early</b> — I was offline for a while. Scores so far:"}[final.reason]
    lines = [title, ""]
    if not final.standings:
        lines.append("Nobody answered this time. Send /compete to try again.")
        return "\n".join(lines)
    lines += [_standing_line(s.rank - 1, s.name, s.points) for s in final.standings[:3] if s.rank <= 3]
    lines += ["", "<b>Full table</b>"]
    table = [f"{s.rank}. {_who(s.name)} — {s.points} pts · {s.correct}/{final.reached} right" for s in final.standings]
    if final.hardest is not None:
        h = final.hardest
        prompt = h.prompt if len(h.prompt) <= 120 else h.prompt[:119] + "…"
        tail = ["", f"🧠 <b>Hardest:</b> question {h.position + 1} — {h.right} of {h.answered} got it right",
                f"<i>{escape(prompt)}</i>"]
    else:
        tail = []
    tail += ["", "/leaderboard for the week · /compete for another round"]
    # The full table is what may be long: cut it (with a note) so the whole message stays within 4,096.
    budget = MAX_MESSAGE - len("\n".join(lines + tail)) - 40
    shown: list[str] = []
    for row in table:
        if sum(len(r) + 1 for r in shown) + len(row) + 1 > budget:
            shown.append(f"… and {len(table) - len(shown)} more")
            break
        shown.append(row)
    return clip("\n".join(lines + shown + tail))


def stop_nothing() -> str:
    return "No round is running. Send /compete to start one."


def _board_lines(rows: tuple[BoardRow, ...]) -> list[str]:
    if not rows:
        return ["<i>no answers yet</i>"]
    return [_standing_line(i, r.name, r.points, f" · {r.correct}/{r.answered} right") for i, r in enumerate(rows)]


def leaderboard_text(board: Leaderboard) -> str:
    lines = [f"📅 <b>This week</b> (since Monday, {escape(board.tz)})"] + _board_lines(board.week)
    lines += ["", "🏛 <b>All time</b>"] + _board_lines(board.all_time)
    return clip("\n".join(lines))


def weekly_text(post: WeeklyPost) -> str:
    lines = [f"🗓 <b>Last week's winners</b> ({escape(post.week)})", ""] + _board_lines(post.winners)
    lines += ["", "A new week has started — /compete to get on the board!"]
    return clip("\n".join(lines))


def group_settings_text(group: Group, note: str | None = None) -> str:
    who = "everyone" if group.open_to_all else "admins only"
    lines = [
        "⚙️ <b>Group settings</b>",
        f"• Time per question: <b>{group.seconds} s</b> (<code>/groupsettings time 30</code>)",
        f"• Who may /compete and /stop: <b>{who}</b> (<code>/groupsettings everyone on</code>)",
        f"• Time zone: <b>{escape(group.tz)}</b> (<code>/groupsettings timezone Europe/Berlin</code>)",
        "<i>Only admins can change these.</i>",
    ]
    if note:
        lines.insert(0, note + "\n")
    return "\n".join(lines)


def group_settings_keyboard(group: Group, choices: Sequence[int]) -> InlineKeyboardMarkup:
    seconds = [InlineKeyboardButton(f"{'• ' if s == group.seconds else ''}{s} s",
                                    callback_data=CB_GROUP_SECONDS.format(seconds=s)) for s in choices]
    toggle = InlineKeyboardButton("Admins only" if group.open_to_all else "Allow everyone",
                                  callback_data=CB_GROUP_OPEN.format(flag=0 if group.open_to_all else 1))
    return InlineKeyboardMarkup([seconds[:3], seconds[3:], [toggle]])


def group_settings_bad(text: str) -> str:
    return f"I did not understand “{escape(text[:60])}”. Try <code>/groupsettings time 30</code>."


def locked_in(shown: int) -> str:
    return f"🔒 Locked in: {LETTERS[shown]}"


def already_locked() -> str:
    return "Your first answer counts — already locked in."


def question_closed() -> str:
    return "⌛ Too late — this question is closed."




# --- QA: how the features meet -------------------------------------------------------------------


def study_blocked_by_exam(page: Page) -> str:
    return (f"📝 Your mock exam is running — ⏱ {_left(page.remaining)} left, question {page.position + 1}/{page.size}. "
            "Practice now would eat into its time and could show you answers to its questions.\n\n"
            "Pause the exam first (its clock stops), or go back to it.")


def study_blocked_by_exam_keyboard(page: Page) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button("⏸ Pause the exam", CB_EXAM_PAUSE.format(exam=page.exam_id)),
                                  _button("▶ Back to the exam", CB_EXAM_GO.format(exam=page.exam_id,
                                                                                   pos=page.position))]])


def export_too_big() -> str:
    return ("📦 Your data is too big for one Telegram file, even compressed. Please contact the bot's admins "
            "for a copy; /forget still deletes it all.")


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
