"""What the tests share besides fixtures: key IDs, the passphrase, the adapters the middleware
tests run through, the injectable clock and the key files' record. Fixtures live in
``conftest.py`` and are used as fixtures; this module is imported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

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
