"""Texts and keyboards for the mock exam (/exam): intro, pages, overview, pause, result, review and history.

Also the message that holds practice back while an exam runs (exam_in_the_way).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardMarkup

from bot.content import QuestionType
from bot.content.models import LETTERS
from bot.domain.exam import PASS_RAW
from bot.services.exam import Blueprint, Overview, Page, Past, Paused, Result, ReviewPage
from bot.tg.common import button, clip
from bot.tg.quiz.items import item_lines, item_rows, verdict_lines
from bot.tg.quiz.render import BUILT, CHOOSE_WORDS, header, option_lines
from bot.tg.study.render import CB_REPORT

# Exam callbacks carry the exam id and question position, never an ask id, so the quiz's answer
# buttons can never touch (or give feedback on) an exam question.
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
CB_EXAM_MATCH = "xm:{exam}:{pos}:{prompt}:{opt}"  # matching: the choice at `opt` for prompt number `prompt`
CB_EXAM_MATCH_LABEL = "xl:{exam}:{pos}:{prompt}"
CB_EXAM_UNDO = "xu:{exam}:{pos}"  # ordering / matching: take back the last pick
CB_PATTERN_EXAM_MATCH = r"^xm:(\d{1,18}):(\d{1,3}):(\d):(\d{1,2})$"
CB_PATTERN_EXAM_MATCH_LABEL = r"^xl:(\d{1,18}):(\d{1,3}):(\d)$"
CB_PATTERN_EXAM_UNDO = r"^xu:(\d{1,18}):(\d{1,3})$"
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


def _left(remaining) -> str:
    """Time left, rounded up to the minute: "3 h 00 min" at the start of a 180-minute exam, "1 min" at the end."""
    minutes = max(0, math.ceil(remaining.total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def scaling_note(pass_mark: int | None = None) -> str:
    mark = f"the pass mark ({pass_mark})" if pass_mark else "the exam's pass mark (720, or 750 for MLS-C01)"
    return (f"Scores are on AWS's 100–1000 scale. AWS does not publish how raw answers map to it, so this is an "
            f"estimate: a straight line from 0% right = 100 to {round(PASS_RAW * 100)}% right = {mark}, and from "
            "there to 100% = 1000; each domain is scaled the same way.")


def exam_help_lines() -> list[str]:
    return [
        "",
        "<b>Mock exam</b> (/exam): your exam's length, time limit and item types, drawn by its domain weights "
        "(questions you met in earlier mocks come last). No feedback until you submit; skip or flag questions and "
        "come back, change an answer any time before the end. ⏸ Pause stops the clock.",
        scaling_note(),
    ]


TYPE_WORDS = {"single": "multiple choice", "multi": "multiple response", "ordering": "ordering", "matching": "matching"}


def exam_intro(bp: Blueprint) -> str:
    """The first message of a mock: which exam, how many questions, how long, and the rules."""
    split = ", ".join(f"{n} {escape(name)} ({w}%)" for name, w, n in bp.domains)
    kinds = ", ".join(TYPE_WORDS.get(t, t) for t in bp.item_types)
    return "\n".join([
        f"📝 <b>Mock exam: {escape(bp.exam)}</b> — {bp.questions} questions, {_duration(bp.minutes)}",
        f"<i>{escape(bp.status_note)}</i>",
        "",
        f"• {bp.questions} questions ({kinds}) by the exam's domain weights: {split}.",
        f"• {_duration(bp.minutes)}. The clock runs while the exam is open; ⏸ Pause stops it, "
        "and you can resume later — even days later.",
        "• No feedback until you submit. Tap an option to answer and move on; "
        "go back, skip or 🚩 flag a question and change answers any time before the end.",
        "• Each question counts only if wholly right (every option, step or pair). Unanswered ones count as wrong.",
        f"• Pass mark {bp.pass_mark} of 1000. Afterwards: a scaled score per domain, every question with its "
        "explanation, and your history.",
        "",
        f"<i>{scaling_note(bp.pass_mark)}</i>",
    ])


def exam_intro_keyboard(has_history: bool) -> InlineKeyboardMarkup:
    rows = [[button("Start the exam ▶", CB_EXAM_START)]]
    if has_history:
        rows.append([button("📜 Past attempts", CB_EXAM_HISTORY)])
    return InlineKeyboardMarkup(rows)


def exam_page_text(page: Page) -> str:
    q = page.asked.question
    name = f"{escape(page.exam)} mock" if page.exam else "Mock exam"
    head = f"📝 <b>{name}</b> · Question {page.position + 1}/{page.size} · ⏱ {_left(page.remaining)} left"
    parts = [head]
    if page.flagged:
        parts.append("🚩 <i>Flagged</i>")
    parts += ["", escape(q.prompt), ""]
    if q.type in BUILT:
        parts += item_lines(q, page.asked.order, page.selected)
    else:
        parts += option_lines(page.asked)
    if q.type is QuestionType.multi:
        parts += ["", f"<i>Choose {CHOOSE_WORDS.get(q.choose, q.choose)}, then tap Next.</i>"]
    parts += ["", f"<i>Answered {page.answered}/{page.size}</i>"]
    return clip("\n".join(parts))


def exam_page_keyboard(page: Page) -> InlineKeyboardMarkup:
    q, e, p = page.asked.question, page.exam_id, page.position
    if q.type in BUILT:
        rows = [[button(label, data) for label, data in row] for row in item_rows(
            q, page.asked.order, page.selected,
            place=lambda o: CB_EXAM_PICK.format(exam=e, pos=p, opt=o),
            match=lambda i, o: CB_EXAM_MATCH.format(exam=e, pos=p, prompt=i, opt=o),
            label=lambda i: CB_EXAM_MATCH_LABEL.format(exam=e, pos=p, prompt=i),
            undo=CB_EXAM_UNDO.format(exam=e, pos=p), submit=None)]
    else:
        options = [
            button((("☑ " if pos in page.selected else "☐ ") if q.type is QuestionType.multi
                     else ("● " if pos in page.selected else "")) + LETTERS[pos],
                    CB_EXAM_PICK.format(exam=e, pos=p, opt=pos))
            for pos in range(len(page.asked.order))
        ]
        rows = [options] if len(options) <= 4 else [options[:3], options[3:]]
    nav = []
    if p > 0:
        nav.append(button("◀ Back", CB_EXAM_GO.format(exam=e, pos=p - 1)))
    nav.append(button("🏳 Unflag" if page.flagged else "🚩 Flag", CB_EXAM_FLAG.format(exam=e, pos=p)))
    if p + 1 < page.size:
        picked = any(x >= 0 for x in page.selected)
        nav.append(button("Next ▶" if picked else "Skip ▶", CB_EXAM_GO.format(exam=e, pos=p + 1)))
    rows.append(nav)
    rows.append([button("⏸ Pause", CB_EXAM_PAUSE.format(exam=e)),
                 button("📋 Review & submit", CB_EXAM_OVERVIEW.format(exam=e))])
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
    buttons = [button(("🚩" if p in ov.flagged else "") + str(p + 1), CB_EXAM_GO.format(exam=ov.exam_id, pos=p))
               for p in sorted(jump)]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    rows.append([button(f"◀ Back to question {ov.position + 1}", CB_EXAM_GO.format(exam=ov.exam_id, pos=ov.position))])
    rows.append([button("✅ Submit the exam", CB_EXAM_SUBMIT.format(exam=ov.exam_id))])
    return InlineKeyboardMarkup(rows)


def exam_paused_text(paused: Paused) -> str:
    return (f"⏸ <b>Exam paused.</b> Answered {paused.answered}/{paused.size}; ⏱ {_left(paused.remaining)} left "
            "on the clock, which is stopped now.\n\nResume whenever you like — here or with /exam.")


def exam_paused_keyboard(paused: Paused) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button("▶ Resume", CB_EXAM_RESUME.format(exam=paused.exam_id))],
                                 [button("✅ Submit now", CB_EXAM_SUBMIT.format(exam=paused.exam_id))]])


def exam_result_text(result: Result) -> str:
    s = result.score
    verdict = "PASS ✅" if s.passed else "not a pass yet ❌"
    pct = round(100 * s.right / s.total) if s.total else 0
    lines = []
    if result.timed_out:
        lines += ["⏰ <b>Time is up.</b> Answers given in time count; the rest count as wrong.", ""]
    minutes = int(result.used.total_seconds() // 60)
    title = f"{escape(result.exam)} mock result" if result.exam else "Mock exam result"
    lines += [
        f"🏁 <b>{title}</b>",
        f"Scaled score: <b>{s.scaled}</b> / 1000 — {verdict} (pass mark {s.pass_mark})",
        f"Right: <b>{s.right}/{s.total}</b> ({pct}%) · time used: {minutes // 60}h {minutes % 60:02d}m",
        "",
        "<b>By domain</b> (scaled · right):",
    ]
    for d in s.domains:
        mark = "✅" if d.scaled >= s.pass_mark else "⚠️"
        name = escape(result.domain_names.get(d.domain, d.domain))
        lines.append(f"{mark} {name}: <b>{d.scaled}</b> · {d.right}/{d.total}")
    lines += ["", "<i>Scaled scores are an estimate — see /help.</i> Your answers now count in /stats and reviews."]
    return "\n".join(lines)


def exam_result_keyboard(exam_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([
        [button("🔍 Review every question", CB_EXAM_REVIEW.format(exam=exam_id, pos=0))],
        [button("📜 Past attempts", CB_EXAM_HISTORY), button("New exam ▶", CB_EXAM_START)],
    ])


def exam_review_text(page: ReviewPage) -> str:
    asked, q = page.asked, page.asked.question
    if q.type in BUILT:
        verdict = {None: "⏭ <b>Not answered.</b>", True: "✅ <b>You got it right.</b>",
                   False: "❌ <b>Not quite.</b>"}[page.correct]
        parts = [f"🔍 <b>Review</b> · Question {page.position + 1}/{page.size}", header(asked), "",
                 escape(q.prompt), "", *verdict_lines(q, asked.order, page.chosen), "", verdict, "",
                 f"💡 {escape(q.explanation)}"]
        return clip("\n".join(parts + _review_details(q)))
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
    parts = [f"🔍 <b>Review</b> · Question {page.position + 1}/{page.size}", header(asked), "",
             escape(q.prompt), ""] + option_lines(asked, marks) + ["", verdict, "", f"💡 {escape(q.explanation)}"]
    return clip("\n".join(parts + _review_details(q)))


def _review_details(q) -> list[str]:
    """A review has the time to read: the correction and the long why both show."""
    parts = [f"📝 {escape(q.erratum)}"] if q.erratum else []
    if q.details:
        parts += ["", escape(q.details)]
    return parts


def exam_review_keyboard(page: ReviewPage) -> InlineKeyboardMarkup:
    e, p = page.exam_id, page.position
    nav = []
    if p > 0:
        nav.append(button("◀ Prev", CB_EXAM_REVIEW.format(exam=e, pos=p - 1)))
    if p + 1 < page.size:
        nav.append(button("Next ▶", CB_EXAM_REVIEW.format(exam=e, pos=p + 1)))
    rows = [nav] if nav else []
    if page.next_wrong is not None:
        rows.append([button(f"Next mistake ▶▶ ({page.next_wrong + 1})",
                            CB_EXAM_REVIEW.format(exam=e, pos=page.next_wrong))])
    rows.append([button("🏁 Back to the result", CB_EXAM_RESULT.format(exam=e)),
                 button("⚑ Report", CB_REPORT.format(ask=page.asked.ask_id))])  # like every explanation
    return InlineKeyboardMarkup(rows)


def exam_history_text(past: Sequence[Past]) -> str:
    if not past:
        return "📜 You have not finished a mock exam yet. Send /exam to take one."
    zone = escape(str(past[0].started_at.tzinfo))
    lines = [f"📜 <b>Your mock exams</b> (latest first; started, {zone} time)", ""]
    for x in past:
        when = x.started_at.strftime("%d %b %Y %H:%M")
        mark = "PASS ✅" if x.passed else "❌"
        lines.append(f"#{x.exam_id} · {escape(x.exam)} · {when} · <b>{x.score}</b> {mark} · {x.right}/{x.total}"
                     + (" · ⏰ timed out" if x.timed_out else ""))
    if len(past) >= 2:
        trend = past[0].score - past[-1].score
        lines += ["", f"Change since the oldest shown: {'+' if trend >= 0 else ''}{trend}"]
    return "\n".join(lines)


def exam_history_keyboard(past: Sequence[Past]) -> InlineKeyboardMarkup:
    buttons = [button(f"#{x.exam_id}: {x.score}", CB_EXAM_RESULT.format(exam=x.exam_id)) for x in past[:6]]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([button("New exam ▶", CB_EXAM_START)])
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


def exam_match_label(prompt: int) -> str:
    return f"Tap a letter in row {prompt + 1} to pick item {prompt + 1}'s match."


def exam_empty_bank() -> str:
    return "I have no multiple-choice questions for an exam right now. Please try again later."


def study_blocked_by_exam(page: Page) -> str:
    return (f"📝 Your mock exam is running — ⏱ {_left(page.remaining)} left, question {page.position + 1}/{page.size}. "
            "Practice now would eat into its time and could show you answers to its questions.\n\n"
            "Pause the exam first (its clock stops), or go back to it.")


def study_blocked_by_exam_keyboard(page: Page) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button("⏸ Pause the exam", CB_EXAM_PAUSE.format(exam=page.exam_id)),
                                  button("▶ Back to the exam", CB_EXAM_GO.format(exam=page.exam_id,
                                                                                   pos=page.position))]])
