"""Texts and keyboards for /start, /help, /track and /timezone."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content.models import Exam
from bot.services.daily import COMMON_ZONES
from bot.tg.exam.render import exam_help_lines
from bot.tg.study.render import study_help_lines

CB_ZONE = "z:{zone}"
CB_PATTERN_ZONE = r"^z:([A-Za-z0-9_/+-]{1,40})$"
CB_TRACK = "k:{code}"  # switch to this exam
CB_PATTERN_TRACK = r"^k:([a-z0-9-]{1,20})$"
CB_TRACKS = "kk"  # show the exams to choose from
CB_PATTERN_TRACKS = r"^kk$"
CB_HELP_MORE = "hm"  # the rest of /help
CB_PATTERN_HELP_MORE = r"^hm$"
STATUS = {"current": "current", "beta": "beta", "legacy": "legacy", "retired": "retired"}
DIFFICULTY_KEY = "●○○ recall · ●●○ apply · ●●● analyse a scenario"


def welcome(first_name: str | None, returning: bool, tz: str, exam: Exam) -> str:
    name = escape(first_name or "there")
    if returning:
        return (
            f"Welcome back, {name}! You are studying for <b>{escape(exam.short)}</b>; your answers and stats are "
            "right where you left them.\n\nSend /quiz for a question or /stats to see how you are doing."
        )
    return (
        f"Hi {name}! I help you prepare for the <b>{escape(exam.name)}</b> exam, a few questions at a time. "
        f"{escape(exam.status_note)} (/track to switch to another exam.)\n\n"
        "• /quiz asks you one question now: tap an option, put steps in order, match pairs, or type the answer.\n"
        "• After each answer you get the right answer and why.\n"
        "• /daily sends you a short drill every day at a time you choose, and keeps your streak; booked your "
        "exam? /plan sizes each drill to the date.\n"
        "• /drill, /review and /mistakes focus your practice; /exam is a timed mock exam; /progress says how "
        "ready you are. /help lists everything.\n\n"
        f"Each question shows its exam domain, topic and difficulty ({DIFFICULTY_KEY}).\n"
        f"Your time zone is <b>{escape(tz)}</b>; change it with /timezone.\n\n"
        "Ready? Send /quiz."
    )


def welcome_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Another exam? Switch ▸", callback_data=CB_TRACKS)]])


def help_text(commands: Sequence[tuple[str, str]]) -> str:
    """One phone screen: the commands of a private chat, one line each. The rest is behind "More"."""
    lines = ["<b>What I can do</b>", ""]
    lines += [f"/{name} — {escape(description)}" for name, description in commands]
    lines += ["", "In a study group, add me and send /compete for a quiz round."]
    return "\n".join(lines)


def help_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("More: answers, drills, the exam, your data ▸",
                                                       callback_data=CB_HELP_MORE)]])


def help_more() -> str:
    lines = [
        "<b>Answering</b>: tap an option; for \"choose TWO\", tick and Submit; for an ordering, tap the steps "
        "first to last (↩ takes one back); for a matching, pick a letter in each numbered row; then Submit. "
        "For a question without options, type the answer: case, spacing, small typos, abbreviations, former "
        "service names and units (2 weeks = 14 days) are forgiven.",
        f"<b>Difficulty</b>: {DIFFICULTY_KEY}.",
        "<b>Why?</b> under a verdict shows the long explanation.",
    ]
    lines += exam_help_lines()
    lines += study_help_lines()
    return "\n".join(lines)


def track_text(current: Exam, exams: Sequence[Exam], note: str | None = None) -> str:
    lines = [note, ""] if note else []
    lines += [f"🎓 You are studying for <b>{escape(current.name)}</b> [{STATUS[current.status]}].",
              escape(current.status_note), ""]
    lines.append("Everything follows it: /quiz, drills, reviews, /stats, /progress and the /exam mock "
                 f"({current.questions} questions, {current.minutes} min, pass {current.pass_mark}). "
                 "Switching keeps all your answers.")
    others = [e for e in exams if e.code != current.code]
    if others:
        lines += ["", "Other exams:"]
        lines += [f"• <b>{escape(e.short)}</b> [{STATUS[e.status]}]: {escape(e.status_note)}" for e in others]
    return "\n".join(lines)


def track_keyboard(current: Exam, exams: Sequence[Exam]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(("✓ " if e.code == current.code else "") + e.code.upper(),
                                                       callback_data=CB_TRACK.format(code=e.code))] for e in exams])


def track_unknown(text: str, exams: Sequence[Exam]) -> str:
    codes = ", ".join(f"<code>/track {e.code}</code>" for e in exams)
    return f"“{escape(text[:40])}” is not an exam I know. Try {codes}."


def track_set(exam: Exam) -> str:
    return f"✅ Now studying for <b>{escape(exam.short)}</b>. Send /quiz, or /exam for its mock exam."


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
    lines.append("Use an IANA name such as <code>/timezone Europe/Berlin</code>, "
                 "<code>/timezone America/Chicago</code> "
                 "or <code>/timezone Asia/Kolkata</code>.")
    return "\n".join(lines)


def timezone_set(tz: str) -> str:
    return f"✅ Time zone set to <b>{escape(tz)}</b>. Your daily drill and streak days now follow it."
