"""Where logged-out sessions wait until the deny-list has them: the deny-list outboxes.

A :class:`DenyEntry` is one logged-out session to deny until a time. The
:class:`~cfcookies.revocation.writer.DenyWriter` records each entry in an outbox
(:class:`DenyOutbox`) before it returns to the logout, and removes it once it is written.

:class:`MemoryOutbox` (the default) keeps entries in the process: a store outage is survived, a
restart is not. :class:`FileOutbox` keeps them in a small JSON file that several worker
processes of one app can share (``fcntl`` lock beside it, every change an fsynced temp file
renamed over the old one, mode ``0o600``). A writer whose outbox already holds entries at
construction (left by a process that stopped before the store recovered) starts its worker at
once and writes them. An app may implement :class:`DenyOutbox` on its own database instead.

A :class:`FileOutbox` whose content cannot be parsed (it is only ever replaced whole, so this
means outside interference or a failing disk) is moved aside to ``<name>.corrupt-<ns>``, which
keeps its bytes for a human, logged at ERROR (``cfcookies.deny_list.outbox_corrupt``) with the
entries that could still be read carried over; work goes on from there. A file that cannot be
read at all (permissions, I/O error) is never written over: its operations raise, the writer
logs ``cfcookies.deny_list.outbox_failed``, keeps newly submitted entries in memory and still
writes them to the store, and reads the file again at the next retry.

Guarantees
----------
Delivery by the :class:`~cfcookies.revocation.writer.DenyWriter` is at least once. Within one
process with a working outbox each entry is written once. It is written again if the process stops
between the store call and the outbox update, if the outbox cannot be updated and the process
restarts, or if two processes sharing a :class:`FileOutbox` pick up the same entry; writing a
deny-list entry twice is harmless. An entry is lost only if it lapses unwritten (reported), or if it
was held only in memory (:class:`MemoryOutbox`, or an outbox that failed) when the process stopped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..exceptions import ConfigurationError

try:  # pragma: no cover - fcntl is missing on Windows only
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DenyEntry",
    "DenyOutbox",
    "DenyWriteFailure",
    "FileOutbox",
    "MemoryOutbox",
]


logger = logging.getLogger("cfcookies")

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_EPOCH = 10_000_000_000
_FORMAT_KEY = "cfcookies_deny_outbox"
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class DenyEntry:
    """A logged-out session to deny at the edge until ``until`` (epoch seconds).

    ``user_id`` is ``""`` for a session without a user; it is carried for reports only. The
    entry is pointless once ``until`` has passed: every cookie it could deny has expired.
    """

    session_id: str
    user_id: str
    until: int

    def __post_init__(self) -> None:
        if not isinstance(self.session_id, str) or not _ID.fullmatch(self.session_id):
            raise ConfigurationError(
                f"session_id must be 1 to 64 characters of A-Z a-z 0-9 _ -, got "
                f"{_shown(self.session_id)}"
            )
        if not isinstance(self.user_id, str) or not (
            self.user_id == "" or _ID.fullmatch(self.user_id)
        ):
            raise ConfigurationError(
                f"user_id must be empty or 1 to 64 characters of A-Z a-z 0-9 _ -, got "
                f"{_shown(self.user_id)}"
            )
        if (
            isinstance(self.until, bool)
            or not isinstance(self.until, int)
            or not 0 < self.until < _MAX_EPOCH
        ):
            raise ConfigurationError(
                f"until must be integer epoch seconds, got {type(self.until).__name__} "
                f"{self.until!r}"
            )


def _shown(value: object) -> str:
    return f"{len(value)} characters" if isinstance(value, str) else type(value).__name__


@dataclass(frozen=True)
class DenyWriteFailure:
    """What the ``on_failure`` hook receives: an entry that could not be written (yet).

    ``error`` is the exception's type name (``"TimeoutError"`` when the store did not answer
    within the writer's timeout) and ``message`` its text, cut to 300 characters; ``attempt``
    counts the failed attempts of this process so far. ``final`` is True when the entry lapsed
    unwritten and will not be tried again; ``error`` is then the last failure's
    (``"EntryLapsed"`` if the entry was never tried).
    """

    entry: DenyEntry
    error: str
    message: str
    attempt: int
    final: bool = False


def _reset_in_forked_children(method: Callable[[], None]) -> None:
    """Call the bound ``method`` in every child forked from now on, while its object lives.

    A forked child has only the forking thread: locks held by the parent's other threads stay
    held for ever in the child, and the parent's worker thread is gone.
    """
    if not hasattr(os, "register_at_fork"):  # pragma: no cover - Windows
        return
    ref = weakref.WeakMethod(method)

    def reset() -> None:
        bound = ref()
        if bound is not None:
            bound()

    os.register_at_fork(after_in_child=reset)


# --- outboxes -----------------------------------------------------------------------------------


class DenyOutbox(Protocol):
    """Where submitted entries wait until they are written. Every method is thread-safe."""

    def add(self, entries: Sequence[DenyEntry]) -> None:
        """Record ``entries`` (ignoring ones already there); durable before it returns."""

    def pending(self) -> list[DenyEntry]:
        """Every entry recorded and not removed, oldest first."""

    def remove(self, entries: Sequence[DenyEntry]) -> None:
        """Remove ``entries`` (and nothing else: another process may have added more)."""


class MemoryOutbox:
    """An outbox in this process only: survives a store outage, not a restart."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[DenyEntry, None] = {}
        _reset_in_forked_children(self._new_lock)

    def __repr__(self) -> str:
        return "MemoryOutbox()"

    def _new_lock(self) -> None:
        self._lock = threading.Lock()

    def add(self, entries: Sequence[DenyEntry]) -> None:
        with self._lock:
            for entry in entries:
                self._entries.setdefault(entry, None)

    def pending(self) -> list[DenyEntry]:
        with self._lock:
            return list(self._entries)

    def remove(self, entries: Sequence[DenyEntry]) -> None:
        with self._lock:
            for entry in entries:
                self._entries.pop(entry, None)


class FileOutbox:
    """An outbox in a JSON file that the worker processes of one app can share.

    Every operation is a read-modify-write under an exclusive ``fcntl`` lock on
    ``<path>.lock`` (and a thread lock); a change is written to a temp file beside ``path``,
    fsynced, renamed over it and the directory fsynced, so the file is always whole and an added
    entry is on disk before :meth:`add` returns. Mode ``0o600``. The file is
    ``{"cfcookies_deny_outbox": 1, "entries": [{"session_id", "user_id", "until"}, ...]}``.

    Content that cannot be parsed is moved aside to ``<name>.corrupt-<ns>`` (its bytes kept for
    a human), logged at ERROR, and the entries that could be read are carried over; a file that
    cannot be read at all makes the operation raise :class:`OSError` and is never overwritten.
    Without ``fcntl`` (Windows) only the threads of one process are serialized.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ConfigurationError(
                f"the deny-list outbox {str(self.path)!r} is a directory; give a file path "
                f"such as {str(self.path / 'deny-outbox.json')!r}"
            )
        if not self.path.parent.is_dir():
            raise ConfigurationError(
                f"the folder of the deny-list outbox {str(self.path)!r} does not exist; create "
                f"it or point the outbox elsewhere"
            )
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock = threading.Lock()
        _reset_in_forked_children(self._new_lock)

    def __repr__(self) -> str:
        return f"FileOutbox({str(self.path)!r})"

    def _new_lock(self) -> None:
        self._lock = threading.Lock()

    def add(self, entries: Sequence[DenyEntry]) -> None:
        if not entries:
            return
        with self._locked():
            merged = dict.fromkeys(self._load())
            size = len(merged)
            merged.update(dict.fromkeys(entries))
            if len(merged) != size:
                self._save(list(merged))

    def pending(self) -> list[DenyEntry]:
        with self._locked():
            return self._load()

    def remove(self, entries: Sequence[DenyEntry]) -> None:
        gone = set(entries)
        if not gone:
            return
        with self._locked():
            current = self._load()
            kept = [entry for entry in current if entry not in gone]
            if len(kept) != len(current):
                self._save(kept)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            if fcntl is None:  # pragma: no cover - Windows
                yield
                return
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # (which releases the lock)

    def _load(self) -> list[DenyEntry]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        # Any other OSError propagates: a file that cannot be read is never written over.
        entries, problem = _parse_outbox(raw)
        if problem is not None:
            self._quarantine(entries, problem)
        return entries

    def _quarantine(self, entries: list[DenyEntry], problem: str) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.time_ns()}")
        os.replace(self.path, aside)
        _fsync_directory(self.path.parent)
        if entries:
            self._save(entries)
        logger.error(
            "cfcookies: the deny-list outbox %s is corrupt (%s); moved it to %s and carried on "
            "with the %d entries that could be read. Entries that could not be read are not "
            "written to the deny-list: look at the moved file",
            self.path,
            problem,
            aside,
            len(entries),
            extra={
                "event": "cfcookies.deny_list.outbox_corrupt",
                "path": str(self.path),
                "moved_to": str(aside),
                "salvaged": len(entries),
            },
        )

    def _save(self, entries: Sequence[DenyEntry]) -> None:
        document = {
            _FORMAT_KEY: _FORMAT_VERSION,
            "entries": [
                {"session_id": e.session_id, "user_id": e.user_id, "until": e.until}
                for e in entries
            ],
        }
        text = json.dumps(document, separators=(",", ":"))
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}-", suffix=".tmp", dir=self.path.parent
        )
        try:
            if hasattr(os, "fchmod"):  # mkstemp makes 0o600, less under an odd umask
                os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_directory(self.path.parent)


def _parse_outbox(raw: bytes) -> tuple[list[DenyEntry], str | None]:
    """The entries of an outbox file and, if some or all could not be read, why."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except ValueError:  # (UnicodeDecodeError and JSONDecodeError both are)
        return [], "not JSON"
    if (
        not isinstance(document, dict)
        or document.get(_FORMAT_KEY) != _FORMAT_VERSION
        or not isinstance(document.get("entries"), list)
    ):
        return [], "not a cfcookies deny-list outbox"
    entries: dict[DenyEntry, None] = {}
    bad = 0
    for item in document["entries"]:
        try:
            entries[DenyEntry(item["session_id"], item["user_id"], item["until"])] = None
        except (TypeError, KeyError, ConfigurationError):
            bad += 1
    return list(entries), (f"{bad} unreadable entries" if bad else None)


def _fsync_directory(path: Path) -> None:
    """Make a rename in ``path`` durable (where the platform allows opening a directory)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
