"""Texts and keyboards for group competitions: rounds, reveals, results, leaderboards, settings."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content.models import LETTERS
from bot.services.groups import Final, Leaderboard, QuestionView, Refusal, Refused, Reveal, Started, WeeklyPost
from bot.storage.groups import BoardRow, Group
from bot.tg.common import MAX_MESSAGE, clip

CB_GROUP_ANSWER = "g:{round}:{pos}:{shown}"  # a player's press on option `shown` of question `pos`
CB_GROUP_SECONDS = "gs:s:{seconds}"
CB_GROUP_OPEN = "gs:o:{flag}"  # 1: anyone may start rounds, 0: admins only
CB_PATTERN_GROUP_ANSWER = r"^g:(\d{1,18}):(\d{1,2}):(\d)$"
CB_PATTERN_GROUP_SETTING = r"^gs:([so]):(\d{1,3})$"
MEDALS = ("🥇", "🥈", "🥉")


def _who(name: str) -> str:
    return escape(name[:32])


def group_intro(open_to_all: bool, exam: str) -> str:
    who = "anyone here" if open_to_all else "group admins"
    return (
        f"👋 Hi! I run quick quiz rounds for this group, with questions for the <b>{escape(exam)}</b> exam.\n"
        "• /compete starts a round (10 questions; or <code>/compete kinesis 5</code>) — "
        f"{who} can start and /stop it.\n"
        "• Tap a letter to answer: the first tap counts, faster right answers score more.\n"
        "• /leaderboard shows this week and all time; admins change the exam, time per question, who may start "
        "and the time zone with /groupsettings."
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


def group_settings_text(group: Group, note: str | None = None, exam: str = "") -> str:
    who = "everyone" if group.open_to_all else "admins only"
    lines = [
        "⚙️ <b>Group settings</b>",
        f"• Exam the questions come from: <b>{escape(exam)}</b> (<code>/groupsettings exam mla-c01</code>)",
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


def group_exam_unknown(text: str, codes: Sequence[str]) -> str:
    return (f"“{escape(text[:40])}” is not an exam I know. Try "
            + ", ".join(f"<code>/groupsettings exam {c}</code>" for c in codes) + ".")


def group_settings_bad(text: str) -> str:
    return f"I did not understand “{escape(text[:60])}”. Try <code>/groupsettings time 30</code>."


def locked_in(shown: int) -> str:
    return f"🔒 Locked in: {LETTERS[shown]}"


def already_locked() -> str:
    return "Your first answer counts — already locked in."


def question_closed() -> str:
    return "⌛ Too late — this question is closed."


def group_press_in_exam() -> str:
    return ("Not counted: you have a mock exam open in our private chat (/exam), and this would show you "
            "answers mid-exam.")
