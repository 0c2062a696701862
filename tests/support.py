"""What the tests share besides fixtures: key IDs, the passphrase, the adapters the middleware
tests run through, the injectable clock, the key files' record, and ``normalize_prefix`` with and
without its fast path. Fixtures live in ``conftest.py`` and are used as fixtures; this module is
imported."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cfcookies import policy
from cfcookies.exceptions import ResourceError

RSA_KEY_ID = "K2JCJMDEHXQW5F"
ECDSA_KEY_ID = "K3ECDSAP256TEST"
OLD_KEY_ID = "K1OLDROTATEDKEY"
PASSPHRASE = "correct horse battery staple"
#: The four integrations the middleware tests run through.
DRIVERS = ["asgi", "wsgi", "flask", "django"]


class FakeClock:
    """A clock for tests: starts at a fixed aware UTC time and moves only when told."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    @property
    def epoch(self) -> int:
        return int(self.now.timestamp())


@dataclass(frozen=True)
class KeyFiles:
    rsa_pem: Path
    ecdsa_pem: Path
    encrypted_pem: Path
    public_pem: Path


@contextmanager
def without_prefix_fast_path() -> Iterator[None]:
    """``normalize_prefix`` without its fast path (the pattern it tries first matches nothing)."""
    saved = policy._NORMALIZED_PREFIX
    policy._NORMALIZED_PREFIX = re.compile(r"(?!)")  # matches nothing
    try:
        yield
    finally:
        policy._NORMALIZED_PREFIX = saved


def prefix_outcome(prefix: str) -> str:
    """What ``normalize_prefix`` makes of ``prefix``, or ``"refused"``."""
    try:
        return policy.normalize_prefix(prefix)
    except ResourceError:
        return "refused"
