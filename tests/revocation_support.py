"""Values shared by the tests of edge revocation: secrets, times, the policy cookie a session
cookie is bound to, AWS ARNs, a clock, and ``mint`` for a session cookie minted at a given time."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from cfcookies.revocation import DenyEntry, SessionSecrets, mint_session_cookie
from tests import support

SECRET = "s" * 10 + "e" * 10 + "c" * 10 + "r" * 13


OLD_SECRET = "o" * 43


OTHER_SECRET = "x" * 43


START = datetime(2030, 1, 1, tzinfo=timezone.utc)


NOW = int(START.timestamp())


#: A CloudFront-Policy cookie value the session cookies of these tests are bound to, and another.
POLICY = "eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly9tL2EvKiJ9XX0_"


OTHER_POLICY = "eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly9tL2IvKiJ9XX0_"


KVS_ARN = "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


FUNCTION_ARN = "arn:aws:cloudfront::123456789012:function/cfcookies-revocation"


class FakeClock(support.FakeClock):
    """:class:`tests.support.FakeClock`, starting at :data:`START` unless told."""

    def __init__(self, start: datetime = START) -> None:
        super().__init__(start)


def mint(
    sid: str = "sess-1",
    uid: str | None = "user_1",
    *,
    lifetime: int = 600,
    at: int = NOW,
    secret: str = SECRET,
    policy: str = POLICY,
    issued_at: int | None = None,
) -> str:
    clock = FakeClock(datetime.fromtimestamp(at, timezone.utc))
    return mint_session_cookie(
        session_id=sid,
        user_id=uid,
        expires=timedelta(seconds=lifetime),
        secrets=SessionSecrets(secret),
        policy=policy,
        issued_at=issued_at,
        clock=clock,
    )


SECRETS = SessionSecrets(SECRET, previous=OLD_SECRET)


GOOD = mint()


def entry(
    clock: support.FakeClock, n: int = 0, *, user: str = "alice", ttl: int = 3600
) -> DenyEntry:
    """Session ``session-<n>`` of ``user``, to deny for ``ttl`` seconds from the clock's now."""
    return DenyEntry(f"session-{n}", user, clock.epoch + ttl)


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    """The log records whose ``event`` is ``name``."""
    return [r for r in caplog.records if getattr(r, "event", None) == name]
