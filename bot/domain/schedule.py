"""When things happen in a user's own time zone: the daily push, the evening reminder, the local day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.clock import require_aware

REMINDER_AT = time(20, 0)  # the evening reminder, local time
REMINDER_LATEST = time(23, 0)
REMINDER_AFTER_PUSH = timedelta(hours=2)  # never remind right after the drill arrived
_HHMM = re.compile(r"^([01]?\d|2[0-3])[:.h]?([0-5]\d)$")


def parse_hhmm(text: str) -> time | None:
    """'07:30', '7:30', '0730', '19h30' -> time; anything else -> None."""
    m = _HHMM.match(text.strip().lower())
    return time(int(m.group(1)), int(m.group(2))) if m else None


def local_day(now: datetime, tz: ZoneInfo) -> date:
    return require_aware(now).astimezone(tz).date()


def at_local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `at` on `day` in `tz`.

    fold=0 does what a person expects on DST days: a time in the spring-forward gap
    (02:30 when clocks jump 02:00 -> 03:00) happens at 03:30, an hour late rather than
    not at all, and a time that occurs twice in the autumn happens at its first occurrence.
    """
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(UTC)


def next_at(at: time, tz: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after `after` when the local clock in `tz` shows `at` (UTC)."""
    after = require_aware(after)
    day = local_day(after, tz)
    for offset in range(3):
        candidate = at_local(day + timedelta(days=offset), at, tz)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a local time occurs at least once in three days")


def reminder_time(push_at: time) -> time | None:
    """The evening reminder: 20:00, or two hours after a late drill; None when that would be past 23:00."""
    later = datetime.combine(date(2000, 1, 1), push_at) + REMINDER_AFTER_PUSH
    if later.date() != date(2000, 1, 1) or later.time() > REMINDER_LATEST:
        return None  # a late-night drill is its own reminder
    return max(REMINDER_AT, later.time())
