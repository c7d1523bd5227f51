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
        parts.insert(0, f"☀️ <b>Daily drill</b> · {asked.drill[0]}/{asked.drill[1]}")
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
    rows = _question_buttons(asked, selected)
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


def answer_keyboard(ask_id: int, in_drill: bool) -> InlineKeyboardMarkup | None:
    """Under an answered question: 'Next' for /quiz; nothing in a drill, whose next question follows by itself."""
    return None if in_drill else next_keyboard(ask_id)


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
