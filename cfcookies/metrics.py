"""Counters for operators: what cfcookies did, counted once where it happens.

Every :class:`~cfcookies.session.CloudFrontCookies` keeps one :class:`Metrics`
(``cookies.metrics``), shared with its signer, its deny-list writer and a refreshing key ring.
Read it at any time (:meth:`Metrics.snapshot`), or pass ``on_metric=`` to have each change
pushed as it happens: the hook is called with a name from :data:`METRICS` and a number (an
increment for a counter, the seconds of one event for a timing). That one callable feeds
statsd, OpenTelemetry or a log pipeline; :mod:`cfcookies.contrib.prometheus` is such a hook for
``prometheus_client``.

The numbers are per process, from its start. A hook that raises is logged (once per name and
error type) and otherwise ignored: metrics never fail a response.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

__all__ = ["METRICS", "MetricHook", "Metrics"]

logger = logging.getLogger("cfcookies")

#: What an ``on_metric`` hook receives: a name from :data:`METRICS` and a number.
MetricHook = Callable[[str, float], None]

#: Every metric's name, kind and meaning. A *counter* is pushed with its increment (a whole
#: number); a *timing* with the seconds one event took, and counted in the snapshot as
#: ``<name>_count`` and ``<name>_sum``.
METRICS: dict[str, tuple[Literal["counter", "timing"], str]] = {
    "grants": (
        "counter",
        "responses that gave a session a folder it did not hold (a login, grant(), the grants "
        "callable answering more)",
    ),
    "renewals": (
        "counter",
        "responses that issued a session's folders again (expiry near, key rotated, domain or "
        "binding changed)",
    ),
    "revocations": (
        "counter",
        "responses that took folders from a session (revoke(), the grants callable answering "
        "less, a logout)",
    ),
    "logouts": ("counter", "responses that ended a session: every folder and the state removed"),
    "grants_refused": (
        "counter",
        "responses whose grants callable answered more than a session can hold (nothing issued)",
    ),
    "folders_issued": ("counter", "folder cookie sets written into responses (one per folder)"),
    "folder_queries": (
        "counter",
        "folder queries signed for players that cannot send cookies (signed_query)",
    ),
    "playlist_links": (
        "counter",
        "playlist links given to sessions for players that cannot send cookies (link)",
    ),
    "playlists_served": ("counter", "playlists and manifests served rewritten by the app (200)"),
    "playlists_refused": (
        "counter",
        "playlist requests refused: a bad, expired or revoked link, or a path outside it (403)",
    ),
    "playlist_failures": (
        "counter",
        "playlists the origin could not give or that could not be rewritten (502)",
    ),
    "signatures": ("counter", "policies signed: signature cache misses"),
    "signature_cache_hits": (
        "counter",
        "policies whose signature (or whole Set-Cookie lines) came from the cache",
    ),
    "signing_seconds": ("timing", "the time one signature took to compute"),
    "deny_list_writes": ("counter", "logged-out sessions written into the deny-list"),
    "deny_list_write_failures": (
        "counter",
        "failed attempts to write a logged-out session into the deny-list (each is retried)",
    ),
    "deny_list_entries_lapsed": (
        "counter",
        "logged-out sessions never written into the deny-list before their entry lapsed",
    ),
    "key_refreshes": ("counter", "reads of the signing key that succeeded (RefreshingKeyRing)"),
    "key_refresh_failures": (
        "counter",
        "reads of the signing key that failed or stuck; the last good key stays in use",
    ),
    "key_changes": ("counter", "signing keys replaced by a refresh (a rotation reached here)"),
}

_COUNTERS = tuple(name for name, (kind, _) in METRICS.items() if kind == "counter")
_TIMINGS = tuple(name for name, (kind, _) in METRICS.items() if kind == "timing")


class Metrics:
    """The counters of one :class:`~cfcookies.session.CloudFrontCookies` (thread-safe).

    ``hook`` (``on_metric=``) is called after each change, outside the lock, in the thread
    that made it: keep it quick (increment a client-side counter; do not send from it).
    """

    def __init__(self, hook: MetricHook | None = None) -> None:
        if hook is not None and not callable(hook):
            from .exceptions import ConfigurationError

            raise ConfigurationError(
                f"on_metric must be a callable taking (name, value), got {type(hook).__name__}"
            )
        self.hook = hook
        self._lock = threading.Lock()
        self._values: dict[str, float] = dict.fromkeys(_COUNTERS, 0)
        for name in _TIMINGS:
            self._values[name + "_count"] = 0
            self._values[name + "_sum"] = 0.0
        self._hook_failures: set[tuple[str, str]] = set()

    def __repr__(self) -> str:
        return f"Metrics(hook={self.hook!r})"

    def count(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to the counter ``name``."""
        with self._lock:
            self._values[name] += amount
        if self.hook is not None:
            self._push(self.hook, name, amount)

    def observe(self, name: str, seconds: float) -> None:
        """Record one event of the timing ``name`` that took ``seconds``."""
        with self._lock:
            self._values[name + "_count"] += 1
            self._values[name + "_sum"] += seconds
        if self.hook is not None:
            self._push(self.hook, name, seconds)

    def value(self, name: str) -> float:
        """The current value of a counter (or of a timing's ``_count``/``_sum``)."""
        with self._lock:
            return self._values[name]

    def snapshot(self) -> dict[str, float]:
        """Every counter, each timing's ``_count`` and ``_sum``, and
        ``signature_cache_hit_ratio`` (hits over hits and signatures; 0.0 before either)."""
        with self._lock:
            values = dict(self._values)
        looked_up = values["signature_cache_hits"] + values["signatures"]
        values["signature_cache_hit_ratio"] = (
            values["signature_cache_hits"] / looked_up if looked_up else 0.0
        )
        return values

    def _push(self, hook: MetricHook, name: str, value: float) -> None:
        try:
            hook(name, value)
        except Exception as exc:
            failure = (name, type(exc).__name__)
            if failure not in self._hook_failures:
                self._hook_failures.add(failure)
                logger.exception(
                    "cfcookies: the on_metric hook raised for %s; ignored (logged once per "
                    "metric and error type)",
                    name,
                    extra={"event": "cfcookies.metrics.hook_failed", "metric": name},
                )
