"""Texts and keyboards for the daily drill: its settings, the streak, the summary, reminders, a drill an exam holds."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.streaks import Streak
from bot.services.daily import SIZES, TIMES, DailySettings, DrillSummary, Reminder
from bot.services.quiz import Asked

CB_DAILY_TOGGLE = "d:{state}"  # on | off
CB_DAILY_TIME = "d:t:{hhmm}"
CB_DAILY_SIZE = "d:n:{n}"
CB_QUIZ = "go"  # "answer a question now" under a reminder
CB_RESUME = "dr"  # continue today's unfinished drill
CB_PATTERN_DAILY_TOGGLE = r"^d:(on|off)$"
CB_PATTERN_DAILY_TIME = r"^d:t:(\d{4})$"
CB_PATTERN_DAILY_SIZE = r"^d:n:(\d{1,2})$"
CB_PATTERN_QUIZ = r"^go$"
CB_PATTERN_RESUME = r"^dr$"


def daily_text(settings: DailySettings, note: str | None = None) -> str:
    lines = []
    if note:
        lines += [note, ""]
    size = "your plan's questions (/plan)" if settings.planned else f"{settings.size} questions"
    if settings.enabled and settings.next_push_local is not None:
        when = settings.next_push_local.strftime("%a %d %b, %H:%M")
        lines.append(f"☀️ <b>Daily drill: on</b> — {size} every day at "
                     f"<b>{settings.time}</b> ({escape(settings.tz)}). Next: {when}.")
    else:
        lines.append(f"☀️ <b>Daily drill: off.</b> Turn it on to get {size} every day "
                     f"at {settings.time} ({escape(settings.tz)}).")
    lines += [
        "",
        "Pick a time below or send <code>/daily 07:30</code>; change your time zone with /timezone.",
        "Answering as many questions as your drill size on a day keeps your streak, whichever way you answer.",
    ]
    return "\n".join(lines)


def daily_keyboard(settings: DailySettings) -> InlineKeyboardMarkup:
    toggle = (InlineKeyboardButton("Turn off", callback_data=CB_DAILY_TOGGLE.format(state="off"))
              if settings.enabled
              else InlineKeyboardButton("Turn on ✅", callback_data=CB_DAILY_TOGGLE.format(state="on")))
    times = [InlineKeyboardButton(("• " if t == settings.time else "") + t,
                                  callback_data=CB_DAILY_TIME.format(hhmm=t.replace(":", ""))) for t in TIMES]
    sizes = [InlineKeyboardButton(("• " if n == settings.size else "") + f"{n} questions",
                                  callback_data=CB_DAILY_SIZE.format(n=n)) for n in SIZES]
    # With a plan, the plan sizes each drill: size buttons would only confuse.
    rows = [[toggle], times[:3], times[3:]] + ([] if settings.planned else [sizes[:2], sizes[2:]])
    if settings.open_drill is not None:
        done, size = settings.open_drill
        rows.insert(0, [InlineKeyboardButton(f"Continue today's drill ({done}/{size} done) ▶",
                                             callback_data=CB_RESUME)])
    return InlineKeyboardMarkup(rows)


def daily_bad_time(text: str) -> str:
    return (f"I could not read “{escape(text[:40])}” as a time. Send it as HH:MM on a 24-hour clock, "
            "for example <code>/daily 07:30</code> or <code>/daily 18:45</code>; <code>/daily off</code> turns it off.")


def streak_line(streak: Streak) -> str:
    days = "day" if streak.current == 1 else "days"
    line = f"🔥 Streak: <b>{streak.current}</b> {days} · longest {streak.longest} · 🧊 freezes {streak.freezes}/2"
    if streak.at_risk:
        line += "\n<i>Today's goal is not done yet — keep the streak alive!</i>"
    elif streak.today_done:
        line += "\n<i>Today's goal: done ✅</i>"
    return line


def drill_summary(summary: DrillSummary) -> str:
    pct = round(100 * summary.correct / summary.size) if summary.size else 0
    back = ("Nothing is due for review tomorrow — new questions then."
            if not summary.due_tomorrow else
            f"{summary.due_tomorrow} question{'s' if summary.due_tomorrow != 1 else ''} "
            "come back for review by tomorrow.")
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
