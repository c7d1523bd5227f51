"""The quiz's texts and keyboards: a question and its buttons, the verdict with its explanation, /stats, the nudges."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import QuestionType
from bot.content.models import LETTERS
from bot.domain.streaks import Streak
from bot.services.quiz import AnswerResult, Asked, Stats
from bot.tg.common import clip
from bot.tg.daily.render import streak_line
from bot.tg.quiz.items import item_lines, item_rows, verdict_lines
from bot.tg.study.render import report_row, study_controls, study_title

BUILT = (QuestionType.ordering, QuestionType.matching)  # answers built step by step, then submitted
SUBMITTED = (QuestionType.multi, *BUILT)  # answered with a Submit button

CHOOSE_WORDS = {2: "TWO", 3: "THREE"}
DIFFICULTY = {1: "●○○", 2: "●●○", 3: "●●●"}

# Callback data; every form stays far below Telegram's 64-byte limit.
CB_ANSWER = "a:{ask}:{pos}"  # pick option at shown position (single)
CB_TOGGLE = "t:{ask}:{pos}"  # tick / untick (choose-N)
CB_SUBMIT = "s:{ask}"  # submit the ticked options (choose-N)
CB_NEXT = "n:{ask}"  # another question, after the answer to `ask`
CB_PLACE = "o:{ask}:{pos}"  # ordering: put the step at shown position next in line
CB_UNDO = "u:{ask}"  # ordering / matching: take back the last pick
CB_MATCH = "m:{ask}:{prompt}:{pos}"  # matching: the choice at shown position for prompt number `prompt`
CB_MATCH_LABEL = "ml:{ask}:{prompt}"  # matching: the row's number button (says what to do)
CB_WHY = "w:{ask}"  # the long explanation under a verdict
CB_PATTERN_ANSWER = r"^a:(\d{1,18}):(\d{1,2})$"
CB_PATTERN_TOGGLE = r"^t:(\d{1,18}):(\d{1,2})$"
CB_PATTERN_SUBMIT = r"^s:(\d{1,18})$"
CB_PATTERN_NEXT = r"^n:(\d{1,18})$"
CB_PATTERN_PLACE = r"^o:(\d{1,18}):(\d{1,2})$"
CB_PATTERN_UNDO = r"^u:(\d{1,18})$"
CB_PATTERN_MATCH = r"^m:(\d{1,18}):(\d):(\d{1,2})$"
CB_PATTERN_MATCH_LABEL = r"^ml:(\d{1,18}):(\d)$"
CB_PATTERN_WHY = r"^w:(\d{1,18})$"


def header(asked: Asked) -> str:
    q = asked.question
    return f"<i>{escape(asked.domain_name)} · {escape(asked.topic_name)} · {DIFFICULTY[q.difficulty]}</i>"


def option_lines(asked: Asked, marks: dict[int, str] | None = None) -> list[str]:
    lines = []
    for pos, idx in enumerate(asked.order):
        mark = (marks or {}).get(pos, "")
        lines.append(f"{mark}<b>{LETTERS[pos]}.</b> {escape(asked.question.options[idx])}")
    return lines


def _drill_title(asked: Asked) -> list[str]:
    """A run's question keeps its place in the run ("🎯 Topic drill · 3/10"), before and after the answer."""
    if asked.drill is None:
        return []
    title = study_title(asked) or "☀️ <b>Daily drill</b>"
    return [f"{title} · {asked.drill[0]}/{asked.drill[1]}"]


def question_text(asked: Asked, selected: Sequence[int] = ()) -> str:
    q = asked.question
    parts = [*_drill_title(asked), header(asked), "", escape(q.prompt)]
    if q.type is QuestionType.fill:
        parts += ["", "✍️ <i>Type your answer as a message.</i>"]
    elif q.type in BUILT:
        parts += ["", *item_lines(q, asked.order, selected)]
    else:
        parts += [""] + option_lines(asked)
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
    if q.type in BUILT:
        a = asked.ask_id
        return item_rows(q, asked.order, selected, place=lambda p: CB_PLACE.format(ask=a, pos=p),
                         match=lambda i, p: CB_MATCH.format(ask=a, prompt=i, pos=p),
                         label=lambda i: CB_MATCH_LABEL.format(ask=a, prompt=i), undo=CB_UNDO.format(ask=a),
                         submit=CB_SUBMIT.format(ask=a))
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


def _teaching(result: AnswerResult) -> list[str]:
    """The short why and, if the common belief is wrong or out of date, the correction: one screen with the
    verdict. The long explanation waits behind the "Why? ▸" button."""
    q = result.question
    assert q is not None  # a recorded answer always has its question
    parts = ["", f"💡 {escape(q.explanation)}"]
    if q.erratum:
        parts += [f"📝 {escape(q.erratum)}"]
    return parts


def details_text(question) -> str:
    return f"🔎 <b>Why</b>\n{escape(question.details)}" if question.details else ""


def answer_keyboard(ask_id: int, in_drill: bool, details: bool = False) -> InlineKeyboardMarkup:
    """Under an answered question: "Why? ▸" when there is more to read, "Next" for /quiz (a drill's next question
    follows by itself), and "Report"."""
    first = [InlineKeyboardButton("Why? ▸", callback_data=CB_WHY.format(ask=ask_id))] if details else []
    if not in_drill:
        first.append(InlineKeyboardButton("Next question ▶", callback_data=CB_NEXT.format(ask=ask_id)))
    return InlineKeyboardMarkup(([first] if first else []) + report_row(ask_id))


def choice_result_text(asked: Asked, result: AnswerResult) -> str:
    """The question message after an answer: options marked (or the right order or pairs), verdict, and why."""
    q = asked.question
    if q.type in BUILT:
        verdict = "✅ <b>Right!</b>" if result.correct else "❌ <b>Not quite</b> — all of it has to be right."
        parts = [*_drill_title(asked), header(asked), "", escape(q.prompt), "",
                 *verdict_lines(q, asked.order, result.chosen), "", verdict]
        return clip("\n".join(parts + _teaching(result)))
    correct_positions = {pos for pos, idx in enumerate(asked.order) if idx in q.correct_indices}
    marks = {pos: "✅ " for pos in correct_positions}
    for pos in result.chosen:
        if pos not in correct_positions:
            marks[pos] = "❌ "
    answer_letters = ", ".join(LETTERS[p] for p in sorted(correct_positions))
    verdict = "✅ <b>Right!</b>" if result.correct else f"❌ <b>Not quite.</b> The answer is {answer_letters}."
    parts = [*_drill_title(asked), header(asked), "", escape(q.prompt), ""] + option_lines(asked, marks) + ["", verdict]
    return clip("\n".join(parts + _teaching(result)))


def fill_result_text(result: AnswerResult) -> str:
    """A typed answer's verdict, a message of its own under the question (which keeps the run's title)."""
    q, v = result.question, result.verdict
    assert q is not None and v is not None  # a graded typed answer has both
    if v.correct:
        head = f"✅ <b>Right!</b> The answer is <b>{escape(v.expected)}</b>."
    elif v.reason == "hedged":
        head = ("❌ <b>One answer, please</b> — hedging between two does not count. "
                f"The answer is <b>{escape(v.expected)}</b>.")
    elif v.close and v.hint:
        head = f"❌ <b>Close, but not quite:</b> {escape(v.hint)}. The answer is <b>{escape(v.expected)}</b>."
    else:
        head = f"❌ <b>Not quite.</b> The answer is <b>{escape(v.expected)}</b>."
    return clip("\n".join([head] + _teaching(result)))


def match_label(prompt: int) -> str:
    return f"Tap a letter in row {prompt + 1} to pick item {prompt + 1}'s match."


def not_complete(question) -> str:
    if question.type is QuestionType.multi:
        return f"Tick {CHOOSE_WORDS.get(question.choose, question.choose)} options first, then Submit."
    if question.type is QuestionType.ordering:
        return "Place every step first, then Submit."
    return "Pick a match for every numbered item first, then Submit."


def not_an_attempt(reason: str) -> str:
    if reason == "too_long":
        return "That is longer than any answer here 🙂 Type a short answer — a name, a term or a number."
    return "I did not catch an answer there. Type a short answer — a name, a term or a number."


def already_answered() -> str:
    return "You already answered this one — your first answer counts."


def stale_button() -> str:
    return "This question is closed. Send /quiz for a new one."


def stale_button_in_exam() -> str:
    return "This question is closed. Your mock exam is running: /exam takes you back to it."


def forged_button() -> str:
    return "That button does not belong to a question of yours."


def empty_bank() -> str:
    return "I have no questions to ask right now. Please try again later."


def stats_text(stats: Stats, streak: Streak) -> str:
    if not stats.answered:
        return "📊 You have not answered any questions yet. Send /quiz to start."
    pct = round(100 * stats.correct / stats.answered)
    lines = [
        "📊 <b>Your stats</b>",
        f"Answered: <b>{stats.answered}</b> · correct: <b>{stats.correct}</b> ({pct}%)",
        streak_line(streak),
        "",
        f"<b>By domain of {escape(stats.exam)}</b> (exam weight):",
    ]
    for d in stats.domains:
        acc = f"{round(100 * d.correct / d.answered)}% of {d.answered}" if d.answered else "not started"
        lines.append(f"• {escape(d.name)} ({d.weight}%): {acc}")
    if stats.elsewhere:
        lines.append(f"<i>{stats.elsewhere} of your answers are to questions outside this exam (/track).</i>")
    return "\n".join(lines)


def unknown_command(command: str) -> str:
    return f"I don't know {escape(command[:40])}. Send /help to see what I can do."


def no_open_question() -> str:
    return "Send /quiz for a question, or /help to see everything I can do."


def unsupported_message() -> str:
    return "I can only read text messages. Send /quiz for a question, or /help for the commands."


def private_only() -> str:
    return "Let's study in private: open a chat with me and send /start."
