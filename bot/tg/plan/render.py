"""Texts and keyboards for /plan: the plan, the date picker, the plan's line on the daily drill, the evening
before the exam, and the question after it."""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape

from telegram import InlineKeyboardMarkup

from bot.domain import plan as rules
from bot.domain.memory import RETENTION_RANGE
from bot.domain.plan import Phase, Today
from bot.domain.tuning import MIN_REVIEWS
from bot.services.plan import QUICK, Eve, ModelView, OutcomeAsk, OutcomeCount, PlanView
from bot.tg.common import button, clip, plural

CB_QUICK = "pq:{key}"  # 2w | 1m | 2m from today
CB_MONTH = "pc:{ym}"  # the date picker at a month (YYYYMM)
CB_DAY = "pd:{ymd}"  # pick a day (YYYYMMDD)
CB_MINUTES = "pm:{n}"
CB_OFF = "pz:{ymd}"  # end the plan for that exam date
CB_NOTHING = "pn"  # the picker's blank cells and labels
CB_OUTCOME = "pr:{ymd}:{o}"  # how the exam on that day went: p | n | s
CB_PATTERN_QUICK = r"^pq:(2w|1m|2m)$"
CB_PATTERN_MONTH = r"^pc:(\d{6})$"
CB_PATTERN_DAY = r"^pd:(\d{8})$"
CB_PATTERN_MINUTES = r"^pm:(\d{1,3})$"
CB_PATTERN_OFF = r"^pz:(\d{8})$"
CB_PATTERN_NOTHING = r"^pn$"
CB_PATTERN_OUTCOME = r"^pr:(\d{8}):([pns])$"
MINUTE_CHOICES = (5, 10, 15, 20, 30, 45)
QUICK_LABELS = {"2w": "In 2 weeks", "1m": "In 1 month", "2m": "In 2 months"}
OUTCOMES = {"p": "passed", "n": "not_yet", "s": "skipped"}
assert set(QUICK_LABELS) == set(QUICK)


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def _day_year(d: date) -> str:
    return f"{_day(d)} {d.year}"


def _to_go(days: int) -> str:
    return {0: "today", 1: "tomorrow"}.get(days, f"{days} days to go")


def _minutes(questions: int, seconds: float) -> int:
    return max(1, math.ceil(questions * seconds / 60))


def _work(today: Today) -> str:
    """'3 new + 2 reviews' (reviews taken early count as reviews)."""
    reviews = today.reviews + today.early
    parts = ([f"{today.new} new"] if today.new else []) + ([plural(reviews, "review")] if reviews else [])
    return " + ".join(parts) or "nothing to ask"


def today_line(today: Today, seconds: float) -> str:
    """What the plan wants today, in one line."""
    if today.phase is Phase.exam_day:
        return f"exam day: a {plural(today.size, 'question')} warm-up, then go and pass it. 🍀"
    line = f"{_work(today)} ≈ {_minutes(today.size, seconds)} min"
    if today.phase is Phase.mock:
        return f"📝 mock exam day: take /exam today; the drill is {line}."
    if today.phase is Phase.review:
        return f"{line} (the last week: reviews first)"
    return line


def _today(view: PlanView, today: Today) -> str:
    """Today's drill as it stands once it has been sent (the plan, recomputed, would want more), else the plan."""
    if view.drill is None:
        return today_line(today, view.seconds)
    done, size = view.drill
    if done >= size:
        return f"✅ your drill is done ({plural(size, 'question')}). More any time: /quiz or /drill"
    return f"your drill, {done} of {size} answered: /daily to carry on"


def plan_text(view: PlanView, note: str | None = None) -> str:
    lines = [note, ""] if note else []
    if view.passed and view.exam_date is not None:
        lines += [f"📅 Your {escape(view.exam)} exam was on {_day_year(view.exam_date)}. How did it go?",
                  "Tap below — or set a new date."]
        return "\n".join(lines)
    o = view.outlook
    if o is None or view.exam_date is None:
        lines += [
            f"📅 <b>Plan to exam day</b> — {escape(view.exam)}",
            "When is your exam? Tell me the date and I size each day's drill so that you see every question of "
            f"your exam about {rules.REVIEW_WEEK} days before it, and spend the last days on reviews and mock exams.",
            "",
            "Pick below, or send <code>/plan 2027-02-15</code>.",
            f"⏱ Budget: {view.minutes} min a day (<code>/plan minutes 15</code> to change it).",
            memory_line(view.memory),
        ]
        return "\n".join(lines)
    summary = [_to_go(o.today.days_left)]
    if o.today.phase is Phase.learn:
        summary.append(f"{o.today.new} new + ~{o.reviews_per_day} reviews a day")
    if o.all_seen_by is not None and o.unseen:
        summary.append(f"all {o.in_scope} questions seen by {_day(o.all_seen_by)}")
    elif not o.unseen:
        summary.append(f"all {o.in_scope} questions seen ✅")
    if o.mocks:
        summary.append("mock exam" + ("s" if len(o.mocks) > 1 else "") + " on "
                       + " and ".join(_day(d) for d in o.mocks))
    budget = (f"⏱ Budget: {view.minutes} min a day ≈ {plural(o.per_day, 'question')} "
              + (f"({round(view.seconds)} s a question, measured from your answers)" if view.measured else
                 f"(about 1 min a question until {rules.MIN_TIMED} timed answers tell me your pace)"))
    lines += [
        f"📅 <b>Your plan: {escape(view.exam)} on {_day_year(view.exam_date)}</b>",
        " · ".join(summary),
        "",
        f"<b>Today</b>: {_today(view, o.today)}",
        budget,
    ]
    fits = min(_minutes(o.per_day_needed, view.seconds), rules.MINUTES_RANGE[1])
    if o.left_unseen:
        lines.append(f"⚠️ {view.minutes} min a day is not enough: about {plural(o.left_unseen, 'question')} would "
                     f"still be unseen on {_day(o.cutoff)}. <code>/plan minutes {fits}</code> fits the plan, "
                     "or pick a later date.")
    elif not o.fits:
        lines.append(f"⚠️ With the reviews they bring, the new questions need about {fits} min a day. At "
                     f"{view.minutes}, reviews that do not fit wait for a lighter day (memory fades a little "
                     f"meanwhile): <code>/plan minutes {fits}</code> fits it all.")
    lines += [
        memory_line(view.memory),
        "",
        f"Your daily drill at {view.daily_time} follows the plan (/daily for the time)"
        + ("" if view.daily_on else " — it is off: turn it on with <code>/daily on</code>") + ". "
        "<code>/plan off</code> ends the plan.",
    ]
    return clip("\n".join(lines))


def memory_line(memory: ModelView) -> str:
    """Which memory model schedules the reviews, and how it did on the user's own history."""
    low, high = RETENTION_RANGE
    head = (f"🧠 Memory: retention {round(memory.model.retention * 100)}% "
            f"(<code>/plan retention {low}</code>–<code>{high}</code>) · ")
    row = memory.row
    if memory.own and row is not None and row.own_log_loss is not None and row.default_log_loss is not None:
        return head + (f"your own model, fitted {row.fitted_at:%d %b} from {row.reviews} reviews: on your latest "
                       f"reviews it predicts recall with log loss {row.own_log_loss:.3f} vs "
                       f"{row.default_log_loss:.3f} for FSRS's defaults (lower is better).")
    if row is not None and row.outcome == "default_better" and row.own_log_loss is not None:
        return head + (f"FSRS's default model: one fitted to your {row.reviews} reviews on {row.fitted_at:%d %b} "
                       f"did not beat it on your latest reviews (log loss {row.own_log_loss:.3f} vs "
                       f"{row.default_log_loss:.3f}); tried again weekly.")
    if row is not None and row.outcome == "default_better":  # the fit itself failed: nothing to compare
        return head + (f"FSRS's default model: a fit to your {row.reviews} reviews on {row.fitted_at:%d %b} did not "
                       "converge; tried again weekly.")
    return head + (f"FSRS's default model; your own is fitted from {MIN_REVIEWS} reviews "
                   f"(you have {memory.reviews}).")


def plan_keyboard(view: PlanView) -> InlineKeyboardMarkup:
    if view.passed and view.exam_date is not None:
        return InlineKeyboardMarkup([outcome_row(view.exam_date), _quick_row(), [_pick_button(view.today)]])
    if view.outlook is None:
        return InlineKeyboardMarkup([_quick_row(), [_pick_button(view.today)]])
    minutes = [button(("• " if n == view.minutes else "") + f"{n} min", CB_MINUTES.format(n=n))
               for n in MINUTE_CHOICES]
    change = _pick_button(view.exam_date or view.today, "📅 Change date")
    end = button("End the plan", CB_OFF.format(ymd=f"{view.exam_date or view.today:%Y%m%d}"))
    return InlineKeyboardMarkup([minutes[:3], minutes[3:], [change, end]])


def _quick_row() -> list:
    return [button(label, CB_QUICK.format(key=key)) for key, label in QUICK_LABELS.items()]


def _pick_button(at: date, label: str = "📅 Pick a date") -> object:
    return button(label, CB_MONTH.format(ym=f"{at:%Y%m}"))


def picker_text(month: date) -> str:
    return f"📅 Pick your exam day — {month:%B %Y}:"


def picker_keyboard(month: date, today: date) -> InlineKeyboardMarkup:
    """A month of day buttons; days before today and after the plan's reach are blanks."""
    first = month.replace(day=1)
    last_pickable = today + rules.MAX_AHEAD
    rows = [[button(d, CB_NOTHING) for d in ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")]]
    for week in calendar.Calendar().monthdatescalendar(first.year, first.month):
        row = []
        for d in week:
            if d.month != first.month or not today <= d <= last_pickable:
                row.append(button("·" if d.month == first.month else " ", CB_NOTHING))
            else:
                row.append(button(str(d.day), CB_DAY.format(ymd=f"{d:%Y%m%d}")))
        rows.append(row)
    nav = []
    before = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    after = (first.replace(day=28) + 4 * timedelta(days=1)).replace(day=1)
    if before >= today.replace(day=1):
        nav.append(button(f"‹ {before:%b}", CB_MONTH.format(ym=f"{before:%Y%m}")))
    if after <= last_pickable:
        nav.append(button(f"{after:%b} ›", CB_MONTH.format(ym=f"{after:%Y%m}")))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def date_refused(why: str, exam: str, last_day: date | None = None) -> str:
    if why == "past":
        return "That date has passed. Pick a day from today on."
    if why == "retired" and last_day is not None:
        return (f"{escape(exam)} can only be taken until {_day_year(last_day)}. Pick an earlier date, or switch "
                "to the exam you are booking with /track.")
    return "That is more than a year away — pick a date within the next 12 months."


def bad_plan_args(text: str) -> str:
    low, high = RETENTION_RANGE
    return (f"I could not read “{escape(text[:40])}”. Try <code>/plan 2027-02-15</code> (or “15 Feb”), "
            f"<code>/plan minutes 15</code> ({rules.MINUTES_RANGE[0]}–{rules.MINUTES_RANGE[1]}), "
            f"<code>/plan retention 0.9</code> ({low}–{high}) or <code>/plan off</code>.")


def minutes_refused() -> str:
    low, high = rules.MINUTES_RANGE
    return f"A daily budget between {low} and {high} minutes, please — for example <code>/plan minutes 15</code>."


def retention_refused() -> str:
    low, high = RETENTION_RANGE
    return (f"Retention between {low} and {high}, please — for example <code>/plan retention 0.9</code>. Higher "
            "means more reviews and fewer forgotten answers.")


def retention_set(retention: float, rescheduled: int) -> str:
    return (f"🧠 Retention set to {round(retention * 100)}%: {plural(rescheduled, 'review date')} recomputed. "
            "Higher retention means more reviews, fewer lapses.")


def plan_off() -> str:
    return "Plan ended. Your daily drill goes back to its fixed size (/daily); /plan sets a new date any time."


def invalid_button() -> str:
    return "That button is not one I offer. Send /plan to see your plan."


def stale_button() -> str:
    return "That button belongs to an earlier plan. Send /plan to see the one you have now."


# --- the plan on the daily drill --------------------------------------------------------------------


def drill_line(today: Today, exam: str) -> str:
    """The plan's line above the first question of a daily drill (`today` as the drill turned out)."""
    if today.phase is Phase.exam_day:
        return f"🍀 <b>Exam day: {escape(exam)}!</b> A {plural(today.size, 'question')} warm-up, then go and pass it."
    head = f"⏳ <b>{today.days_left} day{'s' if today.days_left != 1 else ''} to {escape(exam)}</b>" \
        if today.days_left <= rules.REVIEW_WEEK else f"📅 {today.days_left} days to {escape(exam)}"
    if today.phase is Phase.mock:
        return f"{head} · 📝 mock exam day: take /exam today; this drill is {_work(today)}."
    return f"{head} · today {_work(today)}" + (" (all the budget holds)" if today.short else "")


# --- the evening before, and after ------------------------------------------------------------------


def eve_text(eve: Eve) -> str:
    lines = [f"📅 <b>Tomorrow: {escape(eve.exam)}.</b>"]
    if eve.topics:
        lines.append("Tonight, a short look at your weakest topics:")
        lines += [f"• {escape(name)} — {right} of {seen} remembered" for _, name, right, seen in eve.topics]
        lines.append("Tap one for a 10-question drill. Then an early night: sleep does its part. 🍀")
    else:
        lines.append("Tonight, a light /review of what is due, then an early night: sleep does its part. 🍀")
    return "\n".join(lines)


def eve_keyboard(eve: Eve) -> InlineKeyboardMarkup | None:
    if not eve.topics:
        return None
    from bot.tg.study.render import CB_STUDY_TOPIC

    return InlineKeyboardMarkup([[button(f"Drill {name[:40]}", CB_STUDY_TOPIC.format(topic=tid, size=10))]
                                 for tid, name, _, _ in eve.topics])


def outcome_text(ask: OutcomeAsk) -> str:
    return (f"🎓 How did <b>{escape(ask.exam)}</b> go on {_day(ask.exam_date)}?\n"
            "Your answer tells us how well the readiness forecast matches real results (nothing else is shared).")


def outcome_row(exam_date: date) -> list:
    ymd = f"{exam_date:%Y%m%d}"
    return [button("Passed 🎉", CB_OUTCOME.format(ymd=ymd, o="p")),
            button("Not yet", CB_OUTCOME.format(ymd=ymd, o="n")), button("Skip", CB_OUTCOME.format(ymd=ymd, o="s"))]


def outcome_keyboard(ask: OutcomeAsk) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([outcome_row(ask.exam_date)])


def outcome_reply(outcome: str | None) -> str:
    return {
        "passed": "Congratulations! 🎉 Well earned. Your plan is closed; /track if another exam is next.",
        "not_yet": "That happens to many good candidates — the score report shows where to aim. Keep your streak "
                   "going, and when you have a new date, set it below or with /plan.",
        "skipped": "No problem. Your plan is closed; /plan sets a new one any time.",
    }.get(outcome or "", "I have no exam on record for that day. /plan shows your plan.")


def outcome_keyboard_after(outcome: str | None, today: date) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup([_quick_row(), [_pick_button(today)]]) if outcome == "not_yet" else None


def outcomes_text(counts: Sequence[OutcomeCount]) -> str:
    """Admin view: how exams went, as learners said after their plan's date, against the plan's forecast."""
    asked = sum(c.count for c in counts)
    if not asked:
        return "🎓 Exam outcomes: none yet (learners are asked the day after a planned exam date)."
    by = {c.outcome: c for c in counts}
    parts = []
    for key, label in (("passed", "passed"), ("not_yet", "not yet"), ("skipped", "skipped"), (None, "no answer")):
        if (c := by.get(key)) is not None:
            parts.append(f"{label} {c.count} (forecast pass: {c.forecast_pass})")
    return f"🎓 <b>Exam outcomes</b> ({asked} asked): " + " · ".join(parts)
