"""Time rules shared by the domain: every datetime that enters it is timezone-aware."""

from __future__ import annotations

from datetime import datetime


class NaiveDatetimeError(ValueError):
    """A naive datetime reached the domain, where it would silently mean the server's local time."""


def require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.tzinfo.utcoffset(now) is None:
        raise NaiveDatetimeError(f"naive datetime {now!r}: pass an aware datetime (e.g. datetime.now(UTC))")
    return now
