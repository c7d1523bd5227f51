"""Texts and keyboards for /start, /help and /timezone."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.services.daily import COMMON_ZONES
from bot.tg.exam.render import exam_help_lines
from bot.tg.study.render import study_help_lines

CB_ZONE = "z:{zone}"
CB_PATTERN_ZONE = r"^z:([A-Za-z0-9_/+-]{1,40})$"


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
