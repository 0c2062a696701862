"""Time: the injectable clock, and times given in any accepted form as epoch seconds.

Every time cfcookies takes is an aware ``datetime``, a ``timedelta`` from now or integer epoch
seconds; a naive ``datetime`` is an error, not a guess. :func:`epoch_now` is the one reading
of a clock as epoch seconds, :func:`utc_text` the one way a time is shown to people, and
:func:`duration_seconds` the one reader of durations written as text (settings, the CLI).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from .exceptions import NaiveDatetimeError, PolicyTimeError

__all__ = [
    "MAX_EPOCH_SECONDS",
    "Clock",
    "TimeInput",
    "duration_seconds",
    "epoch_now",
    "system_clock",
    "to_epoch",
    "utc_text",
]

Clock = Callable[[], datetime]
"""A callable returning the current time as an aware ``datetime``."""

TimeInput = datetime | timedelta | int
"""An aware ``datetime``, a ``timedelta`` from now, or integer seconds since the epoch."""

#: Epochs above this look like milliseconds (it is the year 2286 in seconds).
MAX_EPOCH_SECONDS = 10_000_000_000


def system_clock() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def to_epoch(value: TimeInput, *, field: str, clock: Clock = system_clock) -> int:
    """Turn a time given in any accepted form into integer epoch seconds.

    ``field`` names the argument in error messages. A naive ``datetime`` raises
    :class:`NaiveDatetimeError`; an epoch that looks like milliseconds, a negative one, a float or
    a bool raises :class:`PolicyTimeError`.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(
                f"{field} is a naive datetime; pass an aware one such as "
                f"datetime.now(timezone.utc), a timedelta, or epoch seconds"
            )
        epoch = int(value.timestamp())
    elif isinstance(value, timedelta):
        now = clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise NaiveDatetimeError("the clock returned a naive datetime; it must be aware (UTC)")
        epoch = int((now + value).timestamp())
    elif isinstance(value, int) and not isinstance(value, bool):
        epoch = value
    else:
        raise PolicyTimeError(
            f"{field} must be an aware datetime, a timedelta or integer epoch seconds, "
            f"got {type(value).__name__}"
        )
    if epoch < 0:
        raise PolicyTimeError(f"{field} must not be before 1970, got {epoch}")
    if epoch >= MAX_EPOCH_SECONDS:
        raise PolicyTimeError(
            f"{field}={epoch} looks like milliseconds; CloudFront wants seconds since the epoch "
            f"(divide by 1000)"
        )
    return epoch


def epoch_now(clock: Clock = system_clock, now: datetime | int | None = None) -> int:
    """``now`` (if given) or the clock's time, in epoch seconds. The system clock is read
    without building a ``datetime``: this runs on every request."""
    if now is None:
        if clock is system_clock:
            return time.time_ns() // 1_000_000_000
        now = clock()
    return to_epoch(now, field="now")


def utc_text(epoch: int) -> str:
    """``epoch`` for people: ``2026-11-30 12:00:00 UTC`` (``epoch N`` beyond the calendar)."""
    try:
        return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"epoch {epoch}"


_DURATION = re.compile(r"\+?(?:\d{1,9}[smhd])+|\+?\d{1,9}")
_DURATION_PART = re.compile(r"(\d+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> int | None:
    """``90``, ``30m``, ``12h``, ``7d``, ``1h30m`` (an optional leading ``+``) in seconds, or
    None when ``text`` (surrounding whitespace aside) is not a duration."""
    value = text.strip()
    if not value.isascii() or not _DURATION.fullmatch(value):
        return None
    return sum(int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(value))
