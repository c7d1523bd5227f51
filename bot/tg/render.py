"""Every text and keyboard the bot sends, in one place. HTML parse mode; user content is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import QuestionType
from bot.content.models import LETTERS
from bot.service import AnswerResult, Asked, Stats

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
        "• /stats shows your accuracy per exam domain.\n\n"
        f"Your time zone is set to <b>{escape(tz)}</b>.\n\n"
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
    if q.type is QuestionType.fill:
        parts += ["", "✍️ <i>Type your answer as a message.</i>"]
    else:
        parts += [""] + _option_lines(asked)
        if q.type is QuestionType.multi:
            parts += ["", f"<i>Choose {CHOOSE_WORDS.get(q.choose, q.choose)}, then tap Submit.</i>"]
    return clip("\n".join(parts))


def question_keyboard(asked: Asked, selected: Sequence[int] = ()) -> InlineKeyboardMarkup | None:
    q = asked.question
    if q.type is QuestionType.fill:
        return None
    if q.type is QuestionType.single:
        row = [
            InlineKeyboardButton(LETTERS[pos], callback_data=CB_ANSWER.format(ask=asked.ask_id, pos=pos))
            for pos in range(len(asked.order))
        ]
        return InlineKeyboardMarkup([row])
    row = [
        InlineKeyboardButton(
            f"{'☑' if pos in selected else '☐'} {LETTERS[pos]}",
            callback_data=CB_TOGGLE.format(ask=asked.ask_id, pos=pos),
        )
        for pos in range(len(asked.order))
    ]
    submit = InlineKeyboardButton(
        f"Submit ({len(selected)}/{q.choose})", callback_data=CB_SUBMIT.format(ask=asked.ask_id)
    )
    return InlineKeyboardMarkup([row[:3], row[3:], [submit]])


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


def stats_text(stats: Stats) -> str:
    if not stats.answered:
        return "📊 You have not answered any questions yet. Send /quiz to start."
    pct = round(100 * stats.correct / stats.answered)
    lines = [
        "📊 <b>Your stats</b>",
        f"Answered: <b>{stats.answered}</b> · correct: <b>{stats.correct}</b> ({pct}%)",
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
