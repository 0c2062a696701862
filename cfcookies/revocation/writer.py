"""Deny-list writes off the request path: a durable outbox and one retrying worker thread.

At logout the middleware denies the session at the edge by writing it into the deny-list that
the CloudFront Function reads. Written inline, a store that is down loses the revocation for
good, and a slow one holds the logout request (and, behind the signing limiter, every other
login) for as long as it takes. :class:`DenyWriter` takes the write off the request:

- :meth:`DenyWriter.submit` records the entries in an outbox
  (:class:`~cfcookies.revocation.outbox.DenyOutbox`) and returns.
  It never calls the deny-list, never waits on it and never raises because of it.
- One daemon worker thread per writer reads the outbox and writes each entry with
  ``deny_list.revoke_session(session_id, until=until)``. A written entry leaves the outbox. A
  failed one is logged at ERROR (``event="cfcookies.deny_list.write_failed"`` with
  ``session_id``, ``user_id``, ``until``, ``error`` and ``attempt`` in the record), reported to
  the ``on_failure`` hook, and retried ``retry_initial`` seconds later, the wait doubling up to
  ``retry_max``, until it is written or lapses. The first write after failures is logged once at
  WARNING (``cfcookies.deny_list.write_recovered``: "written after N attempts").
- An entry lapses when its ``until`` has passed: the cookies it was meant to deny have expired
  by then, so it is dropped with a WARNING (``cfcookies.deny_list.entry_lapsed``) and a last
  hook call with ``final=True``. Lapses are noticed at the next retry, so at most ``retry_max``
  late.
- Each store call runs in its own short-lived thread, joined for at most ``timeout`` seconds. A
  call cannot be interrupted, so one that overruns counts as a failure (``TimeoutError``) and is
  left to finish on its own; no other call starts until it has (lapses are still handled). So
  a hung store costs the logout request nothing and the app at most one stuck thread beside the
  worker; if the stuck call succeeds in the end, its entry counts as written.
- Several entries for one session (two logouts of it) are written as one: the latest ``until``,
  since the store keeps the last value written and an earlier one written after it would cut
  the denial short. Success removes them all.

What an outage costs
--------------------
While the store is down, each logged-out session stays usable at the edge (by copies of its
cookies; the browser's own are deleted at logout) until its entry is written after recovery, at
most ``retry_max`` after the store comes back; an outage longer than an entry's lifetime costs
that entry (reported with ``final=True``). The log carries one ERROR per pending session per
retry, at most one a ``retry_max`` each. Logout requests pay only the outbox write (with
:class:`FileOutbox`, one locked and fsynced file write) and never wait on the store.

Forking servers: a writer made before a fork (``gunicorn --preload``) starts a fresh worker in
each child at its first :meth:`~DenyWriter.submit`; the parent's thread does not survive a fork.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..clock import epoch_now
from ..exceptions import ConfigurationError
from ..metrics import Metrics
from ..policy import Clock, system_clock
from .deny_list import DenyList
from .outbox import DenyEntry, DenyOutbox, DenyWriteFailure, MemoryOutbox, _reset_in_forked_children

__all__ = [
    "DenyWriter",
]


logger = logging.getLogger("cfcookies")

#: Error messages from the store are cut to this many characters in logs and hook calls.
_MAX_MESSAGE = 300
_RECENT = 4096  # finished entries remembered for settle()


def _describe(exc: BaseException) -> tuple[str, str]:
    text = " ".join(str(exc).split())
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 3] + "..."
    return type(exc).__name__, text


def _fields(entry: DenyEntry, event: str, **more: Any) -> dict[str, Any]:
    """The structured ``extra`` of a log record about ``entry``."""
    return {
        "event": event,
        "session_id": entry.session_id,
        "user_id": entry.user_id,
        "until": entry.until,
        **more,
    }


class _Write:
    """One store call, run in its own thread so that the worker can stop waiting for it."""

    def __init__(self, entry: DenyEntry, group: Sequence[DenyEntry]) -> None:
        self.entry = entry
        self.group = tuple(group)
        self.done = threading.Event()
        self.ok = False
        self.error = ("", "")


def _check_seconds(value: object, field: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(f"{field} must be a positive number of seconds, got {value!r}")
    return float(value)


class DenyWriter:
    """Writes submitted deny-list entries from a worker thread, retrying through an outbox.

    ``deny_list`` is any :class:`~cfcookies.revocation.DenyList`; only ``revoke_session`` is
    called. ``outbox`` defaults to a :class:`MemoryOutbox`; pass a :class:`FileOutbox` for
    entries to survive a restart. Each store call gets ``timeout`` seconds; failed entries are
    retried after ``retry_initial`` seconds, doubling up to ``retry_max``. ``on_failure`` is
    called (from the worker thread) with a :class:`DenyWriteFailure` for every failed attempt
    and once more with ``final=True`` when an entry lapses unwritten; an exception it raises is
    logged and otherwise ignored. ``clock`` decides lapses only; waits use monotonic time.

    The worker starts at the first :meth:`submit`, or at once when the outbox already holds
    entries. With ``start=False`` nothing starts until :meth:`start` (say, after a fork).
    """

    def __init__(
        self,
        deny_list: DenyList,
        *,
        outbox: DenyOutbox | None = None,
        timeout: float = 5.0,
        retry_initial: float = 1.0,
        retry_max: float = 60.0,
        on_failure: Callable[[DenyWriteFailure], None] | None = None,
        clock: Clock = system_clock,
        start: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        if not callable(getattr(deny_list, "revoke_session", None)):
            raise ConfigurationError(
                "deny_list must be a deny-list (LocalDenyList, KeyValueStoreDenyList or another "
                "cfcookies.revocation.DenyList)"
            )
        self.deny_list = deny_list
        self.outbox: DenyOutbox = MemoryOutbox() if outbox is None else outbox
        self.timeout = _check_seconds(timeout, "timeout")
        self.retry_initial = _check_seconds(retry_initial, "retry_initial")
        self.retry_max = _check_seconds(retry_max, "retry_max")
        if self.retry_max < self.retry_initial:
            raise ConfigurationError(
                f"retry_max ({retry_max!r}) must not be less than retry_initial ({retry_initial!r})"
            )
        if on_failure is not None and not callable(on_failure):
            raise ConfigurationError("on_failure must be a callable taking a DenyWriteFailure")
        if not callable(clock):
            raise ConfigurationError("clock must be a callable returning an aware datetime")
        self.on_failure = on_failure
        #: Counts ``deny_list_writes``, ``deny_list_write_failures`` and
        #: ``deny_list_entries_lapsed`` (a CloudFrontCookies passes its own).
        self.metrics = metrics if metrics is not None else Metrics()
        self._clock = clock
        self._autostart = bool(start)

        # Shared with submitting threads: guarded by _cond.
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._wake = False  # entries submitted (or the worker just started) since the last pass
        self._in_pass = False
        self._outstanding = 0  # entries left unwritten by the last pass
        self._fallback: dict[DenyEntry, None] = {}  # submitted while the outbox failed
        self._done: set[DenyEntry] = set()  # written or lapsed, but still in the outbox
        # The worker's own: no lock.
        self._attempts: dict[str, int] = {}  # failed attempts per session
        self._next_try: dict[str, float] = {}  # monotonic time of the next attempt
        self._last_error: dict[str, tuple[str, str]] = {}
        self._stuck: _Write | None = None  # a timed-out call still running
        self._outbox_failures = 0
        self._finished: list[DenyEntry] = []  # written or lapsed in this pass
        self._recent: OrderedDict[DenyEntry, None] = OrderedDict()  # finished lately, for settle
        _reset_in_forked_children(self._reset_after_fork)

        if self._autostart:
            try:
                leftovers = len(self.outbox.pending())
            except Exception as exc:
                self._log_outbox_error("read", exc)
                self.start()  # the worker reads it again until it can
                leftovers = 0
            if leftovers:
                logger.info(
                    "cfcookies: the deny-list outbox %r holds entries left unwritten; writing "
                    "them now",
                    self.outbox,
                    extra={"event": "cfcookies.deny_list.outbox_leftovers"},
                )
                self.start()

    def __repr__(self) -> str:
        return f"DenyWriter(deny_list={self.deny_list!r}, outbox={self.outbox!r})"

    def __enter__(self) -> DenyWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the public side ----------------------------------------------------------------------

    def submit(self, entries: Iterable[DenyEntry]) -> None:
        """Queue ``entries`` for the deny-list and return at once.

        The entries are in the outbox (durable, with a durable outbox) when this returns. It
        never waits on the deny-list and never raises because of it or of the outbox: an outbox
        that fails is logged at ERROR and the entries are kept in memory and written all the
        same. After :meth:`close` the entries only go to the outbox, for the next writer.
        """
        batch = list(entries)
        for entry in batch:
            if not isinstance(entry, DenyEntry):
                raise TypeError(f"submit() takes DenyEntry objects, got {type(entry).__name__}")
        if not batch:
            return
        try:
            self.outbox.add(batch)
        except Exception as exc:
            error, message = _describe(exc)
            for entry in batch:
                logger.error(
                    "cfcookies: could not record the logged-out session %s (user %s) in the "
                    "deny-list outbox (%s: %s); it is kept in memory and written from there, but "
                    "is lost if this process stops first",
                    entry.session_id,
                    entry.user_id or "-",
                    error,
                    message,
                    extra=_fields(entry, "cfcookies.deny_list.outbox_failed", error=error),
                )
            with self._cond:
                self._fallback.update(dict.fromkeys(batch))
        with self._cond:
            if self._closed:
                logger.warning(
                    "cfcookies: the deny-list writer is closed; %d entries stay in the outbox "
                    "%r for the next writer",
                    len(batch),
                    self.outbox,
                    extra={"event": "cfcookies.deny_list.writer_closed"},
                )
                return
            self._wake = True
            if self._autostart:
                self._start_locked()
            self._cond.notify_all()

    def start(self) -> None:
        """Start the worker thread (if it is not running and the writer is not closed)."""
        with self._cond:
            self._start_locked()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until nothing submitted is left unwritten (written or lapsed); False on timeout.

        Returns at once, with whether nothing is left, when the worker is not running (or when
        called from the worker itself, say from ``on_failure``).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            if self._thread is threading.current_thread():
                return False
            while True:
                settled = not self._wake and not self._in_pass and self._outstanding == 0
                running = self._thread is not None and self._thread.is_alive()
                if settled or not running:
                    return settled
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)

    def settle(self, timeout: float, entries: Iterable[DenyEntry] | None = None) -> bool:
        """Wait up to ``timeout`` seconds for ``entries`` (default: everything submitted) to be
        written or lapsed, unless the store is known to be failing (an entry waiting for a
        retry, a call that overran): then return False at once, so that an outage costs each
        logout nothing.

        The adapters call it after a logout, with the logout's own entries, outside the signing
        limiter: with a healthy store the logout's answer comes after the edge has the entry.
        """
        if entries is None:
            with self._cond:
                failing = bool(self._attempts) or self._stuck is not None
            return False if failing else self.flush(timeout)
        wanted = set(entries)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if all(entry in self._recent for entry in wanted):
                    return True
                running = self._thread is not None and self._thread.is_alive()
                if self._attempts or self._stuck is not None or not running:
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)

    def close(self, timeout: float | None = None) -> bool:
        """Stop the worker; entries not yet written stay in the outbox for the next writer.

        Waits up to ``timeout`` seconds (default: the write timeout plus one) for a store call
        in progress; returns whether the worker has stopped. A call that hangs is abandoned.
        """
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(self.timeout + 1.0 if timeout is None else timeout)
        return not thread.is_alive()

    @property
    def durable(self) -> bool:
        """Whether :meth:`submit` writes to storage (any outbox but a :class:`MemoryOutbox`):
        callers on an event loop then submit from a worker thread."""
        return not isinstance(self.outbox, MemoryOutbox)

    @property
    def pending_count(self) -> int:
        """How many entries are waiting to be written (in the outbox or kept in memory)."""
        try:
            stored = set(self.outbox.pending())
        except Exception:
            stored = set()
        with self._cond:
            return len((stored | set(self._fallback)) - self._done)

    # -- the worker -----------------------------------------------------------------------------

    def _start_locked(self) -> None:
        if self._closed or (self._thread is not None and self._thread.is_alive()):
            return
        self._wake = True
        self._thread = threading.Thread(target=self._run, name="cfcookies-deny-writer", daemon=True)
        self._thread.start()

    def _reset_after_fork(self) -> None:
        self._cond = threading.Condition()
        self._thread = None
        self._stuck = None
        self._in_pass = False

    def _run(self) -> None:
        deadline: float | None = None  # when the next retry is due (monotonic)
        while True:
            with self._cond:
                while not (self._closed or self._wake or self._stuck_finished()):
                    if deadline is None:
                        self._cond.wait()
                        continue
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                if self._closed:
                    self._in_pass = False
                    self._cond.notify_all()
                    return
                self._wake = False
                self._in_pass = True
            try:
                outstanding, deadline = self._pass()
            except Exception:  # never let the worker die; try again later
                logger.exception(
                    "cfcookies: the deny-list writer failed; retrying in %g s",
                    self.retry_max,
                    extra={"event": "cfcookies.deny_list.writer_failed"},
                )
                outstanding, deadline = 1, time.monotonic() + self.retry_max
            with self._cond:
                self._in_pass = False
                self._outstanding = outstanding
                self._cond.notify_all()

    def _stuck_finished(self) -> bool:
        return self._stuck is not None and self._stuck.done.is_set()

    def _pass(self) -> tuple[int, float | None]:
        """Write what is due; return how many entries are left and when to look again.

        Finished entries leave the outbox together at the end: one outbox write per pass.
        """
        try:
            return self._write_due()
        finally:
            finished, self._finished = self._finished, []
            if finished:
                self._forget(finished)

    def _write_due(self) -> tuple[int, float | None]:
        self._settle_stuck()
        entries, readable = self._load()
        if self._finished:  # (settled just now, still in the outbox)
            settled = set(self._finished)
            entries = [entry for entry in entries if entry not in settled]
        deadline: float | None = None
        outstanding = 0
        if not readable:
            outstanding += 1
            deadline = time.monotonic() + self._backoff(self._outbox_failures)
        groups: dict[str, list[DenyEntry]] = {}
        for entry in entries:
            groups.setdefault(entry.session_id, []).append(entry)
        for session_id, group in groups.items():
            if self._closed:
                break
            entry = max(group, key=lambda e: e.until)
            if entry.until <= self._now():
                self._lapse(entry, group)
                continue
            outstanding += 1
            if self._stuck is not None:
                continue  # a timed-out call is still running: start no other
            due = self._next_try.get(session_id)
            if due is None or due <= time.monotonic():
                if self._attempt(entry, group):
                    outstanding -= 1
                    continue
                due = self._next_try[session_id]
            deadline = due if deadline is None else min(deadline, due)
        if self._stuck is not None:  # woken when it ends; meanwhile look at lapses
            check = time.monotonic() + self.retry_max
            deadline = check if deadline is None else min(deadline, check)
        return outstanding, deadline

    def _now(self) -> int:
        return epoch_now(self._clock)

    def _backoff(self, failures: int) -> float:
        return min(self.retry_max, self.retry_initial * 2.0 ** min(max(failures - 1, 0), 60))

    def _load(self) -> tuple[list[DenyEntry], bool]:
        """The entries to work on (outbox and memory, minus the finished) and whether the outbox
        could be read."""
        try:
            stored: list[DenyEntry] | None = self.outbox.pending()
        except Exception as exc:
            self._outbox_failures += 1
            self._log_outbox_error("read", exc)
            stored = None
        else:
            self._outbox_failures = 0
        with self._cond:
            kept = list(self._fallback)
            if stored is not None:
                self._done &= set(stored)  # finished entries that have left the outbox
            done = set(self._done)
        if done:  # finished, but their removal failed before: try again
            self._forget(list(done))
        merged = dict.fromkeys(stored or [])
        merged.update(dict.fromkeys(kept))
        return [entry for entry in merged if entry not in done], stored is not None

    def _attempt(self, entry: DenyEntry, group: Sequence[DenyEntry]) -> bool:
        attempt = self._attempts.get(entry.session_id, 0) + 1
        write = _Write(entry, group)
        threading.Thread(
            target=self._call_store, args=(write,), name="cfcookies-deny-write", daemon=True
        ).start()
        if write.done.wait(self.timeout):
            if write.ok:
                self._written(write, attempts=attempt)
                return True
            error, message = write.error
        else:
            self._stuck = write
            error = "TimeoutError"
            message = (
                f"the deny-list did not answer within {self.timeout:g} s; no other write starts "
                f"until this one returns"
            )
        self._failed(entry, attempt, error, message)
        return False

    def _call_store(self, write: _Write) -> None:
        """The body of a write thread: the only place the deny-list is called. No lock held."""
        try:
            self.deny_list.revoke_session(write.entry.session_id, until=write.entry.until)
        except Exception as exc:
            write.error = _describe(exc)
        else:
            write.ok = True
        finally:
            write.done.set()
            with self._cond:
                self._cond.notify_all()

    def _settle_stuck(self) -> None:
        """Account for a timed-out call that has returned since."""
        write = self._stuck
        if write is None or not write.done.is_set():
            return
        self._stuck = None
        if write.ok and write.entry.until > self._now():
            # It did reach the store: the entry is written (its timeout was reported already).
            self._written(write, attempts=self._attempts.get(write.entry.session_id, 0))

    def _written(self, write: _Write, *, attempts: int) -> None:
        entry = write.entry
        failed = self._attempts.pop(entry.session_id, 0)
        self._next_try.pop(entry.session_id, None)
        self._last_error.pop(entry.session_id, None)
        self._finished.extend(write.group)
        self._note_finished(write.group)
        self.metrics.count("deny_list_writes")
        if failed:
            logger.warning(
                "cfcookies: wrote the logged-out session %s (user %s) to the deny-list after %d %s",
                entry.session_id,
                entry.user_id or "-",
                attempts,
                "attempt" if attempts == 1 else "attempts",
                extra=_fields(entry, "cfcookies.deny_list.write_recovered", attempt=attempts),
            )

    def _note_finished(self, entries: Sequence[DenyEntry]) -> None:
        """Remember the last few thousand finished entries and wake :meth:`settle`."""
        with self._cond:
            for entry in entries:
                self._recent[entry] = None
                self._recent.move_to_end(entry)
            while len(self._recent) > _RECENT:
                self._recent.popitem(last=False)
            self._cond.notify_all()

    def _failed(self, entry: DenyEntry, attempt: int, error: str, message: str) -> None:
        self._attempts[entry.session_id] = attempt
        self._last_error[entry.session_id] = (error, message)
        delay = self._backoff(attempt)
        self._next_try[entry.session_id] = time.monotonic() + delay
        self.metrics.count("deny_list_write_failures")
        logger.error(
            "cfcookies: could not write the logged-out session %s (user %s) to the deny-list "
            "(attempt %d, %s: %s); it will be retried in %g s until it lapses at %d, and until "
            "it is written copies of its cookies stay valid at the edge",
            entry.session_id,
            entry.user_id or "-",
            attempt,
            error,
            message,
            delay,
            entry.until,
            extra=_fields(entry, "cfcookies.deny_list.write_failed", error=error, attempt=attempt),
        )
        self._report(DenyWriteFailure(entry, error, message, attempt))

    def _lapse(self, entry: DenyEntry, group: Sequence[DenyEntry]) -> None:
        attempts = self._attempts.pop(entry.session_id, 0)
        self._next_try.pop(entry.session_id, None)
        error, message = self._last_error.pop(entry.session_id, ("EntryLapsed", ""))
        self._finished.extend(group)
        self._note_finished(group)
        self.metrics.count("deny_list_entries_lapsed")
        logger.warning(
            "cfcookies: gave up on the logged-out session %s (user %s): its deny-list entry "
            "lapsed at %d before it could be written (%s); its cookies have expired by now, but "
            "copies of them stayed valid at the edge until then",
            entry.session_id,
            entry.user_id or "-",
            entry.until,
            f"{attempts} failed attempts, the last {error}" if attempts else "never tried",
            extra=_fields(entry, "cfcookies.deny_list.entry_lapsed", error=error, attempt=attempts),
        )
        detail = f"the entry lapsed at {entry.until} before it could be written"
        if message:
            detail += f"; last error: {message}"
        self._report(DenyWriteFailure(entry, error, detail, attempts, final=True))

    def _forget(self, entries: Sequence[DenyEntry]) -> None:
        """Drop finished entries from memory and the outbox; remember any the outbox keeps."""
        with self._cond:
            for entry in entries:
                self._fallback.pop(entry, None)
        try:
            self.outbox.remove(entries)
        except Exception as exc:
            self._log_outbox_error("update", exc)
            with self._cond:
                self._done.update(entries)
        else:
            with self._cond:
                self._done.difference_update(entries)

    def _report(self, failure: DenyWriteFailure) -> None:
        if self.on_failure is None:
            return
        try:
            self.on_failure(failure)
        except Exception:
            logger.exception(
                "cfcookies: the deny-list on_failure hook raised (for session %s); ignored",
                failure.entry.session_id,
                extra=_fields(failure.entry, "cfcookies.deny_list.hook_failed"),
            )

    def _log_outbox_error(self, action: str, exc: Exception) -> None:
        error, message = _describe(exc)
        logger.error(
            "cfcookies: could not %s the deny-list outbox %r (%s: %s); entries submitted "
            "meanwhile are kept in memory, and it is tried again later",
            action,
            self.outbox,
            error,
            message,
            extra={"event": "cfcookies.deny_list.outbox_failed", "error": error},
        )
