"""Deny-lists: where revoked sessions and users stay recorded until their cookies have expired.

Deny-list entries live under ``<prefix>revoked:<session id>`` and
``<prefix>revoked-user:<user id>``. A KeyValueStore has no TTL, so each value carries its own
end: ``<until>`` or ``<until>.<issued before>`` (epoch seconds). An entry is ignored from
``until`` on and ``purge_expired`` deletes it. A user entry with ``issued before`` only denies
cookies issued at or before that time, so that a user logged out everywhere can sign in again.

:class:`DenyList` is what the middleware and the edge check need; :class:`LocalDenyList` keeps
the entries in the process or in a JSON file (the local edge, tests);
:class:`cfcookies.aws.KeyValueStoreDenyList` keeps them in the KeyValueStore that the
CloudFront Function reads. Both encode entries through :class:`_EntryWriter`, so that they hold
the same keys and values.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..clock import epoch_now
from ..exceptions import ConfigurationError, DenyListFullError, PolicyTimeError
from ..policy import Clock, TimeInput, system_clock, to_epoch
from .token import _NUMBER, _check_id

try:  # pragma: no cover - fcntl is missing on Windows only
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "KVS_MAX_STORE_BYTES",
    "DenyList",
    "LocalDenyList",
    "revoked_session_key",
    "revoked_user_key",
]


#: A KeyValueStore holds at most 5 MB of keys and values.
KVS_MAX_STORE_BYTES = 5 * 1024 * 1024

_FULL_REMEDY = (
    "purge lapsed entries (cfcookies aws revoke purge), shorten max_session_age so that entries "
    "lapse sooner, or revoke users (one entry each) instead of many sessions"
)

_PREFIX = re.compile(r"[A-Za-z0-9_.:/-]{0,64}")


def _check_prefix(value: object) -> str:
    if not isinstance(value, str) or not _PREFIX.fullmatch(value):
        raise ConfigurationError(
            f"key_prefix must be at most 64 characters of A-Z a-z 0-9 _ . : / -, got {value!r}"
        )
    return value


def revoked_session_key(session_id: str, *, key_prefix: str = "") -> str:
    """The KeyValueStore key that revokes ``session_id``."""
    return f"{_check_prefix(key_prefix)}revoked:{_check_id(session_id, 'session_id')}"


def revoked_user_key(user_id: str, *, key_prefix: str = "") -> str:
    """The KeyValueStore key that revokes ``user_id``."""
    return f"{_check_prefix(key_prefix)}revoked-user:{_check_id(user_id, 'user_id')}"


def _entry_value(until: int, issued_before: int | None) -> str:
    return str(until) if issued_before is None else f"{until}.{issued_before}"


def _entry_until(value: str) -> int | None:
    head = value.split(".", 1)[0]
    return int(head) if _NUMBER.fullmatch(head) else None


def _entry_applies(value: str, *, now: int, issued_at: int) -> bool:
    """Mirror of the function's ``applies``: unreadable entries deny."""
    parts = value.split(".")
    if len(parts) > 2 or not all(_NUMBER.fullmatch(p) for p in parts):
        return True
    if now >= int(parts[0]):
        return False
    return len(parts) == 1 or issued_at <= int(parts[1])


@runtime_checkable
class DenyList(Protocol):
    """Where revoked sessions and users are recorded until their cookies could have expired."""

    def revoke_session(self, session_id: str, *, until: TimeInput) -> None:
        """Deny every cookie of ``session_id`` until ``until``."""

    def revoke_user(
        self, user_id: str, *, until: TimeInput, issued_before: TimeInput | None = None
    ) -> None:
        """Deny the user's cookies issued at or before ``issued_before`` (default: now).

        Pass ``issued_before=until`` to shut the user out until then.
        """

    def is_revoked(self, session_id: str, user_id: str | None, *, issued_at: int, now: int) -> bool:
        """Whether a cookie for this session and user, issued at ``issued_at``, is denied."""


class _EntryWriter:
    """The part shared by both deny-lists: validation and entry encoding."""

    def __init__(self, *, key_prefix: str, clock: Clock) -> None:
        self._prefix = _check_prefix(key_prefix)
        self._clock = clock

    def _session_entry(self, session_id: str, until: TimeInput) -> tuple[str, str]:
        key = revoked_session_key(session_id, key_prefix=self._prefix)
        return key, _entry_value(self._until(until), None)

    def _user_entry(
        self, user_id: str, until: TimeInput, issued_before: TimeInput | None
    ) -> tuple[str, str]:
        key = revoked_user_key(user_id, key_prefix=self._prefix)
        end = self._until(until)
        if issued_before is None:
            cutoff = epoch_now(self._clock)
        else:
            cutoff = to_epoch(issued_before, field="issued_before", clock=self._clock)
        if cutoff > end:
            raise PolicyTimeError(f"issued_before ({cutoff}) must not be after until ({end})")
        return key, _entry_value(end, cutoff)

    def _until(self, until: TimeInput) -> int:
        end = to_epoch(until, field="until", clock=self._clock)
        now = epoch_now(self._clock)
        if end <= now:
            raise PolicyTimeError(
                f"until ({end}) is not in the future (now {now}); keep an entry at least as long "
                f"as the longest session cookie lifetime"
            )
        return end

    def _keys_for(self, session_id: str, user_id: str | None) -> list[str]:
        keys = [revoked_session_key(session_id, key_prefix=self._prefix)]
        if user_id:
            keys.append(revoked_user_key(user_id, key_prefix=self._prefix))
        return keys


class LocalDenyList(_EntryWriter):
    """An in-process deny-list with expiry, optionally shared through a JSON file.

    With ``path``, every write is a locked read-modify-write of the file (replaced atomically)
    and reads reload it when it changed, so the app and the local edge see the same entries.
    The file holds the same keys and values as the KeyValueStore would, and like a KeyValueStore
    it holds at most ``max_bytes`` (5 MB) of keys and values: a write beyond that raises
    :class:`~cfcookies.exceptions.DenyListFullError` and records nothing.
    """

    def __init__(
        self,
        *,
        path: str | os.PathLike[str] | None = None,
        key_prefix: str = "",
        clock: Clock = system_clock,
        max_bytes: int = KVS_MAX_STORE_BYTES,
    ) -> None:
        super().__init__(key_prefix=key_prefix, clock=clock)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ConfigurationError(f"max_bytes must be a positive int, got {max_bytes!r}")
        self.max_bytes = max_bytes
        self._path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._entries: dict[str, str] = {}
        self._stamp: tuple[int, int] | None = None

    def __repr__(self) -> str:
        where = str(self._path) if self._path is not None else "memory"
        return f"LocalDenyList({where!r})"

    def revoke_session(self, session_id: str, *, until: TimeInput) -> None:
        key, value = self._session_entry(session_id, until)
        self._write({key: value})

    def revoke_user(
        self, user_id: str, *, until: TimeInput, issued_before: TimeInput | None = None
    ) -> None:
        key, value = self._user_entry(user_id, until, issued_before)
        self._write({key: value})

    def is_revoked(self, session_id: str, user_id: str | None, *, issued_at: int, now: int) -> bool:
        keys = self._keys_for(session_id, user_id)
        with self._lock:
            self._refresh()
            values = [self._entries.get(key) for key in keys]
        return any(
            v is not None and _entry_applies(v, now=now, issued_at=issued_at) for v in values
        )

    def entries(self) -> dict[str, str]:
        """A copy of every entry, stale ones included."""
        with self._lock:
            self._refresh()
            return dict(self._entries)

    def purge_expired(self) -> int:
        """Delete the entries whose ``until`` has passed; return how many went."""
        now = epoch_now(self._clock)
        with self._lock, self._file_lock():
            self._refresh(force=True)
            stale = [k for k, v in self._entries.items() if _is_stale(v, now)]
            for key in stale:
                del self._entries[key]
            self._save()
        return len(stale)

    def _write(self, updates: Mapping[str, str]) -> None:
        with self._lock, self._file_lock():
            self._refresh(force=True)
            merged = {**self._entries, **updates}
            size = sum(len(k.encode()) + len(v.encode()) for k, v in merged.items())
            if size > self.max_bytes:
                raise DenyListFullError(
                    f"the deny-list is full ({size} of {self.max_bytes} bytes); the revocation "
                    f"was not recorded: {_FULL_REMEDY}"
                )
            self._entries = merged
            self._save()

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self._path is None or fcntl is None:
            yield
            return
        lock_path = self._path.with_name(self._path.name + ".lock")
        with open(lock_path, "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _refresh(self, *, force: bool = False) -> None:
        if self._path is None:
            return
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            self._entries, self._stamp = {}, None
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if not force and stamp == self._stamp:
            return
        try:
            data = json.loads(self._path.read_text("utf-8"))
            entries = data["entries"]
            if not isinstance(entries, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in entries.items()
            ):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise ConfigurationError(
                f"the deny-list file {str(self._path)!r} is not a cfcookies deny-list; delete it "
                f"or point path= elsewhere"
            ) from None
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the deny-list file {str(self._path)!r}: {exc.strerror}"
            ) from None
        self._entries, self._stamp = dict(entries), stamp

    def _save(self) -> None:
        if self._path is None:
            return
        text = json.dumps({"cfcookies_deny_list": 1, "entries": self._entries}, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=".denylist-", dir=self._path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, self._path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        stat = self._path.stat()
        self._stamp = (stat.st_mtime_ns, stat.st_size)


def _is_stale(value: str, now: int) -> bool:
    until = _entry_until(value)
    return until is not None and now >= until
