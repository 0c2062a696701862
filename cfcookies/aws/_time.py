"""Times for the AWS calls: AWS's datetimes as aware UTC, durations, the injectable clock.

Shared by the modules of :mod:`cfcookies.aws`; a naive time is an error here, never a guess.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..exceptions import ConfigurationError, NaiveDatetimeError
from ..policy import Clock


def _utc(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _seconds(value: float | timedelta | None, *, name: str) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not seconds > 0:
        raise ConfigurationError(f"{name} must be positive seconds or a timedelta, got {value!r}")
    return seconds


def _now(clock: Clock) -> datetime:
    now = clock()
    if now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetimeError("the clock returned a naive datetime; it must be aware (UTC)")
    return now


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
