"""cfcookies.clock: the injectable clock, and times in any accepted form as epoch seconds."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from cfcookies.clock import epoch_now, system_clock, to_epoch, utc_text
from cfcookies.exceptions import NaiveDatetimeError, PolicyError, PolicyTimeError
from cfcookies.policy import Policy
from tests.support import FakeClock

RESOURCE = "https://media.example.com/videos/course-1/*"
END = 1_900_000_000


def test_to_epoch_aware_datetime() -> None:
    """An aware datetime in any zone becomes its UTC epoch."""
    tz = timezone(timedelta(hours=2))
    # 2027-01-15 10:00 at UTC+2 is 08:00 UTC, epoch 1800000000.
    assert to_epoch(datetime(2027, 1, 15, 10, 0, tzinfo=tz), field="x") == 1_800_000_000


def test_to_epoch_timedelta_uses_injected_clock(clock: FakeClock) -> None:
    """A timedelta is added to the injected clock's now."""
    assert to_epoch(timedelta(hours=1), field="x", clock=clock) == clock.epoch + 3600
    clock.advance(10)
    assert to_epoch(timedelta(hours=1), field="x", clock=clock) == clock.epoch + 3600


def test_to_epoch_int_is_kept() -> None:
    """Integer epoch seconds are used as they are."""
    assert to_epoch(END, field="x") == END


def test_naive_datetime_is_a_type_error() -> None:
    """A naive datetime raises NaiveDatetimeError, which is a TypeError and a PolicyError."""
    with pytest.raises(NaiveDatetimeError) as info:
        Policy.custom(RESOURCE, date_less_than=datetime(2027, 1, 1))
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, PolicyError)
    assert "date_less_than" in str(info.value)


def test_naive_clock_is_refused() -> None:
    """A clock returning naive datetimes is an error when a timedelta is given."""
    with pytest.raises(NaiveDatetimeError):
        to_epoch(timedelta(1), field="x", clock=lambda: datetime(2027, 1, 1))


@pytest.mark.parametrize(
    ("value", "match"),
    [
        pytest.param(1_800_000_000_000, "milliseconds", id="milliseconds"),
        pytest.param(-1, "1970", id="negative"),
        pytest.param(1.8e9, "float", id="float"),
        pytest.param(True, "bool", id="bool"),
        pytest.param("1800000000", "str", id="string"),
    ],
)
def test_to_epoch_rejects(value: object, match: str) -> None:
    """Milliseconds, negatives, floats, bools and strings raise a PolicyTimeError naming it."""
    with pytest.raises(PolicyTimeError, match=match) as info:
        to_epoch(value, field="date_less_than")  # type: ignore[arg-type]
    assert "date_less_than" in str(info.value)


def test_epoch_now_reads_the_system_clock_without_a_datetime() -> None:
    """The system clock's epoch is the one time.time() gives (floor), read directly."""
    before = int(time.time())
    now = epoch_now()
    assert before <= now <= int(time.time())
    assert epoch_now(system_clock) == pytest.approx(now, abs=1)


def test_epoch_now_uses_an_injected_clock_or_an_explicit_now(clock: FakeClock) -> None:
    assert epoch_now(clock) == clock.epoch
    clock.advance(90)
    assert epoch_now(clock) == clock.epoch
    assert epoch_now(clock, 1_800_000_000) == 1_800_000_000
    assert epoch_now(clock, datetime(2027, 1, 15, 8, tzinfo=timezone.utc)) == 1_800_000_000


def test_epoch_now_refuses_a_naive_clock() -> None:
    with pytest.raises(NaiveDatetimeError):
        epoch_now(lambda: datetime(2027, 1, 1))


@pytest.mark.parametrize(
    ("epoch", "text"),
    [
        pytest.param(1_800_000_000, "2027-01-15 08:00:00 UTC", id="a-time"),
        pytest.param(0, "1970-01-01 00:00:00 UTC", id="the-epoch"),
        pytest.param(10**20, "epoch 100000000000000000000", id="beyond-the-calendar"),
    ],
)
def test_utc_text(epoch: int, text: str) -> None:
    assert utc_text(epoch) == text
