"""A key ring that follows its secret: :class:`RefreshingKeyRing`.

It reads the spec once at start-up (a failure raises) and, with ``refresh_interval``, again
when the interval has passed, so a rotated secret is picked up without a restart. Those reads
run in a background thread with short timeouts and few attempts: signing never waits for the
key store, and a read that hangs or fails keeps the last good key and logs a warning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

import botocore.session
from botocore.config import Config

from ..exceptions import CloudFrontCookieError, ConfigurationError, KeyLoadError
from ..keys import KeyRing, KeySource, PrivateKey, PublicKey, SigningKey, validate_key_pair_id
from ..metrics import Metrics
from ..policy import Clock, system_clock
from ._client import DEFAULT_KEYS_PER_KEY_GROUP, Client, make_client
from ._time import _now, _seconds
from .keys import KeyMaterial, KeySpec, fetch_key_material, parse_key_spec

__all__ = [
    "DEFAULT_REFRESH_ATTEMPTS",
    "DEFAULT_REFRESH_TIMEOUT",
    "RefreshingKeyRing",
]


logger = logging.getLogger("cfcookies.aws")

#: Connect and read timeout, in seconds, of the Secrets Manager or SSM client that a
#: :class:`RefreshingKeyRing` makes for itself (botocore's own default is 60 s for each).
DEFAULT_REFRESH_TIMEOUT = 3.0
#: Attempts per read of the key store, the first included, by that client (botocore's own
#: default is 3 to 5, each with the 60 s timeouts).
DEFAULT_REFRESH_ATTEMPTS = 2


def _key_store_config(timeout: float, max_attempts: int) -> Config:
    """Short timeouts and few attempts: a key store that hangs is given up on quickly.

    ``total_max_attempts`` counts the first attempt (botocore's ``max_attempts`` does not).
    """
    return Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
    )


def _whole_number(value: object, *, name: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigurationError(f"{name} must be a whole number, {minimum} or more, got {value!r}")
    return value


class RefreshingKeyRing(KeyRing):
    """A key ring whose signing key is read from a spec, and read again to follow rotations.

    The key is fetched once here: a failure raises, so a misconfigured app fails at start-up.

    With ``refresh_interval``, the source is read again once the interval has passed since the
    last attempt, in a background (daemon) thread: :meth:`active` never waits for the key
    store. The first call that finds a refresh due starts the thread and, like every other
    call, returns the current key at once; while that thread runs no other starts, so a key
    store that hangs holds up one thread and no request. A read that fails in any way (the
    store unreachable or hung past its timeouts, a value that is not a key, a key that cannot
    be right, any exception at all) keeps the last good key, sets :attr:`last_error` and logs
    a warning (``extra={"event": "cfcookies.keys.refresh_failed", ...}``); the next attempt
    comes one interval later. A refresh still running after ``stuck_after`` seconds (default:
    twice its budget, ``max_attempts`` × 2 × ``timeout``; an answer that trickles in never
    trips a read timeout) is reported the same way (``"cfcookies.keys.refresh_stuck"``): a
    thread cannot be stopped, so the ring keeps signing with its key, and starts no second
    refresh, until it ends.

    The thread starts on demand rather than on a timer: nothing runs while nobody signs, a
    fake clock drives it in tests, and a worker forked by a pre-forking server starts its
    own (threads do not survive a fork). :meth:`close` starts no more of them.

    The Secrets Manager or SSM client made here gives up after ``timeout`` seconds to connect
    and ``timeout`` seconds per read (default 3), and makes at most ``max_attempts`` attempts
    (default 2, botocore's ``standard`` retry mode). A ``client`` passed in is used as it is:
    its timeouts and retries are the caller's (set ``stuck_after`` to suit them).

    :meth:`refresh` reads at once, in the calling thread (from an app's own timer, say), and
    can raise what went wrong.

    The key pair ID is the one stored beside the key (JSON secret) when there is one, otherwise
    ``key_pair_id``. Keys replaced by a refresh stay trusted for verification, the
    ``max_previous_keys`` most recent of them (default 4: CloudFront's default quota of five
    keys per key group, less the signing key). Raise it if the account's quota is higher and
    the group keeps more old keys; 0 trusts only the signing key and ``verification_keys``.
    """

    def __init__(
        self,
        source: str | KeySpec,
        *,
        key_pair_id: str | None = None,
        refresh_interval: float | timedelta | None = None,
        timeout: float | timedelta = DEFAULT_REFRESH_TIMEOUT,
        max_attempts: int = DEFAULT_REFRESH_ATTEMPTS,
        stuck_after: float | timedelta | None = None,
        passphrase: str | bytes | None = None,
        session: botocore.session.Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        client: Client | None = None,
        clock: Clock = system_clock,
        verification_keys: Mapping[str, PublicKey | PrivateKey | KeySource] | None = None,
        max_previous_keys: int = DEFAULT_KEYS_PER_KEY_GROUP - 1,
    ) -> None:
        #: How many keys replaced by a refresh stay trusted for verification, newest kept.
        self.max_previous_keys = _whole_number(
            max_previous_keys, name="max_previous_keys", minimum=0
        )
        self._set_read_budget(timeout=timeout, max_attempts=max_attempts, stuck_after=stuck_after)
        self._spec = source if isinstance(source, KeySpec) else parse_key_spec(source)
        self._fixed_id = validate_key_pair_id(key_pair_id) if key_pair_id is not None else None
        self._interval = _seconds(refresh_interval, name="refresh_interval")
        if client is None and self._spec.kind in ("secretsmanager", "ssm"):
            # One client for the ring's life: making one loads the service model (slow).
            client = make_client(
                self._spec.kind,
                session=session,
                region_name=self._spec.region_name or region_name,
                endpoint_url=endpoint_url,
                config=_key_store_config(self.timeout, self.max_attempts),
            )
        self._fetch_options: dict[str, Any] = {"passphrase": passphrase, "client": client}
        self._clock = clock
        self._init_refresh_state()
        material = fetch_key_material(self._spec, **self._fetch_options)
        super().__init__(self._signing_key(material), verification_keys=verification_keys)
        self._version = material.version
        #: When the source was last read, or a read of it began (the ring's clock).
        self.last_refresh_attempt: datetime = _now(clock)
        #: When a read last succeeded.
        self.last_refreshed_at: datetime = self.last_refresh_attempt
        #: What went wrong with the last refresh, None once one succeeds.
        self.last_error: str | None = None

    def _set_read_budget(
        self,
        *,
        timeout: float | timedelta,
        max_attempts: int,
        stuck_after: float | timedelta | None,
    ) -> None:
        """Check and keep what one read of the key store may take."""
        #: Attempts per read of the key store, the first included.
        self.max_attempts = _whole_number(max_attempts, name="max_attempts", minimum=1)
        timeout_seconds = _seconds(timeout, name="timeout")
        if timeout_seconds is None:
            raise ConfigurationError("timeout must be positive seconds or a timedelta, got None")
        #: Seconds to connect, and to wait for each read, per attempt.
        self.timeout = timeout_seconds
        #: Seconds after which a running refresh is reported stuck; by default twice its
        #: budget of ``max_attempts`` × (connect timeout + read timeout).
        self.stuck_after = _seconds(stuck_after, name="stuck_after") or (
            2 * self.max_attempts * 2 * self.timeout
        )

    def _init_refresh_state(self) -> None:
        """The bookkeeping of background refreshes, before the first read."""
        # Guards the state below. Held for bookkeeping only, never across a read of the store.
        self._lock = threading.Lock()
        self._previous: dict[str, PublicKey] = {}
        self._thread: threading.Thread | None = None
        self._thread_started = 0.0  # time.monotonic() when it started
        self._stuck_reported = False
        self._closed = False
        self._reads = 0  # reads begun, numbered from 1
        self._applied = 0  # the number of the read whose result is in use
        self._metrics: tuple[Metrics, ...] = ()  # of every CloudFrontCookies on this ring

    def attach_metrics(self, metrics: Metrics) -> None:
        """Count refreshes (``key_refreshes``, ``key_refresh_failures``, ``key_changes``) in
        ``metrics`` too; a ring shared by several CloudFrontCookies counts in each."""
        with self._lock:
            if all(m is not metrics for m in self._metrics):
                self._metrics = (*self._metrics, metrics)

    def _count(self, name: str) -> None:
        for metrics in self._metrics:
            metrics.count(name)

    def _signing_key(self, material: KeyMaterial) -> SigningKey:
        key_pair_id = material.key_pair_id or self._fixed_id
        if key_pair_id is None:
            raise ConfigurationError(
                f"{material.spec} holds a bare key: pass key_pair_id=, or store JSON "
                f'{{"key_pair_id": "K...", "private_key": "-----BEGIN ..."}}'
            )
        return SigningKey(key_pair_id, material.private_key)

    @property
    def spec(self) -> KeySpec:
        return self._spec

    @property
    def client(self) -> Client | None:
        """The Secrets Manager or SSM client that reads the key (None for files and ``env:``)."""
        return self._fetch_options["client"]

    @property
    def refreshing(self) -> bool:
        """Whether a background refresh is running."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _due(self) -> bool:
        if self._interval is None:
            return False
        elapsed = (_now(self._clock) - self.last_refresh_attempt).total_seconds()
        return elapsed >= self._interval

    def active(self) -> SigningKey:
        """The key that signs now. Never waits: a refresh that is due starts in the background."""
        if self._interval is not None and not self._closed and self._due():
            self._start_refresh()
        return self._active

    def _start_refresh(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # another thread is starting one, or storing what one read
        try:
            stuck_for, failed = self._start_refresh_locked()
        finally:
            self._lock.release()
        # Logging can be slow (a handler's I/O): never under the lock.
        if stuck_for is not None:
            self._report_stuck(stuck_for)
        if failed is not None:
            self._report_failure(failed)

    def _start_refresh_locked(self) -> tuple[float | None, Exception | None]:
        """Start a background read if one is due and none runs: (stuck for, start failure)."""
        if self._closed or not self._due():
            return None, None
        thread = self._thread
        if thread is not None and thread.is_alive():
            running = time.monotonic() - self._thread_started
            if self._stuck_reported or running < self.stuck_after:
                return None, None
            self._stuck_reported = True
            return running, None
        number, attempted_at = self._begin_read()
        thread = threading.Thread(
            target=self._refresh_in_background,
            args=(number, attempted_at),
            name=f"cfcookies-key-refresh {self._spec}",
            daemon=True,
        )
        self._thread, self._thread_started = thread, time.monotonic()
        self._stuck_reported = False
        try:
            thread.start()
        except RuntimeError as exc:  # can't start new thread: try again next interval
            self._thread = None
            return None, exc
        return None, None

    def _begin_read(self) -> tuple[int, datetime]:
        """Number a read and record its attempt; the caller holds the lock."""
        self._reads += 1
        self.last_refresh_attempt = _now(self._clock)
        return self._reads, self.last_refresh_attempt

    def _refresh_in_background(self, number: int, attempted_at: datetime) -> None:
        # Whatever happens (even in logging), nothing escapes the thread.
        with suppress(Exception):
            self._read_and_store(number, attempted_at, raise_errors=False)

    def refresh(self, *, raise_errors: bool = False) -> bool:
        """Re-read the source now, in this thread; True if the signing key changed.

        On any failure, keep the current key, log a warning and return False (or raise, with
        ``raise_errors``). A background refresh that is running does not hold this one up.
        """
        with self._lock:
            number, attempted_at = self._begin_read()
        return self._read_and_store(number, attempted_at, raise_errors=raise_errors)

    def wait_for_refresh(self, timeout: float | None = None) -> bool:
        """Wait for a running background refresh to end; True if none is running on return."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.refreshing

    def close(self) -> None:
        """Start no more background refreshes; :meth:`refresh` still reads on demand.

        A refresh already running ends on its own: its thread is a daemon, so it never holds
        up the interpreter's exit.
        """
        self._closed = True

    def _read_and_store(self, number: int, attempted_at: datetime, *, raise_errors: bool) -> bool:
        try:
            material = fetch_key_material(self._spec, **self._fetch_options)
            candidate = self._signing_key(material)
            with self._lock:
                replaced = self._store(number, attempted_at, material, candidate)
        except Exception as exc:
            self._report_failure(exc)
            if raise_errors:
                raise
            return False
        self._count("key_refreshes")
        if replaced is None:
            logger.debug(
                "cfcookies: read the signing key from %s: still %s",
                self._spec,
                self._active.key_pair_id,
                extra={
                    "event": "cfcookies.keys.refreshed",
                    "spec": str(self._spec),
                    "key_pair_id": self._active.key_pair_id,
                },
            )
            return False
        self._count("key_changes")
        logger.info(
            "cfcookies: signing key changed from %s to %s (read from %s)",
            replaced.key_pair_id,
            candidate.key_pair_id,
            self._spec,
            extra={
                "event": "cfcookies.keys.changed",
                "spec": str(self._spec),
                "key_pair_id": candidate.key_pair_id,
                "previous_key_pair_id": replaced.key_pair_id,
            },
        )
        return True

    def _store(
        self, number: int, attempted_at: datetime, material: KeyMaterial, candidate: SigningKey
    ) -> SigningKey | None:
        """Adopt what read ``number`` found; the key it replaced, if any. The lock is held."""
        if number < self._applied:
            return None  # a read begun later has already been stored: this value is older
        current = self._active
        if (
            candidate.key_pair_id == current.key_pair_id
            and candidate.fingerprint != current.fingerprint
        ):
            raise KeyLoadError(
                f"{self._spec} now holds a different key under the same key pair ID "
                f"{current.key_pair_id}; CloudFront would reject its signatures. A rotated "
                f"key needs the new public key ID: store JSON with key_pair_id"
            )
        self._applied = number
        self.last_error = None
        self.last_refreshed_at = attempted_at
        self._version = material.version
        if candidate.key_pair_id == current.key_pair_id:
            return None
        previous = dict(self._previous)  # replaced whole: readers never see it half-changed
        previous[current.key_pair_id] = current.private_key.public_key()
        previous.pop(candidate.key_pair_id, None)
        while len(previous) > self.max_previous_keys:
            previous.pop(next(iter(previous)))
        self._previous = previous
        self._active = candidate
        return current

    def _report_failure(self, exc: Exception) -> None:
        if isinstance(exc, CloudFrontCookieError):
            detail = f"{type(exc).__name__}: {exc}"  # our messages never quote a stored value
        else:
            detail = f"{type(exc).__name__} (its message is not shown: it could quote the value)"
        self.last_error = detail
        self._count("key_refresh_failures")
        key_pair_id = self._active.key_pair_id
        logger.warning(
            "cfcookies: could not refresh the signing key from %s (%s); still signing with key %s",
            self._spec,
            detail,
            key_pair_id,
            extra={
                "event": "cfcookies.keys.refresh_failed",
                "spec": str(self._spec),
                "error": type(exc).__name__,
                "key_pair_id": key_pair_id,
            },
        )

    def _report_stuck(self, running: float) -> None:
        key_pair_id = self._active.key_pair_id
        self.last_error = (
            f"a refresh from {self._spec} has been running for {running:.1f} s, past "
            f"stuck_after ({self.stuck_after:g} s); no other starts until it ends"
        )
        self._count("key_refresh_failures")
        logger.warning(
            "cfcookies: %s; still signing with key %s",
            self.last_error,
            key_pair_id,
            extra={
                "event": "cfcookies.keys.refresh_stuck",
                "spec": str(self._spec),
                "running_seconds": round(running, 3),
                "key_pair_id": key_pair_id,
            },
        )

    @property
    def public_keys(self) -> dict[str, PublicKey]:
        keys = dict(self._previous)
        keys.update(super().public_keys)
        return keys
