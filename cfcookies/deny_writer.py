"""Moved: the deny-list writer is :mod:`cfcookies.revocation.writer`, its outboxes
:mod:`cfcookies.revocation.outbox`; import them from :mod:`cfcookies.revocation`. Importing this
module still works, with a DeprecationWarning."""

from __future__ import annotations

import warnings

from .revocation.outbox import DenyEntry, DenyOutbox, DenyWriteFailure, FileOutbox, MemoryOutbox
from .revocation.writer import DenyWriter

__all__ = [
    "DenyEntry",
    "DenyOutbox",
    "DenyWriteFailure",
    "DenyWriter",
    "FileOutbox",
    "MemoryOutbox",
]

warnings.warn(
    "cfcookies.deny_writer moved to cfcookies.revocation (DenyWriter, DenyEntry, FileOutbox, "
    "MemoryOutbox, DenyOutbox, DenyWriteFailure); import them from there",
    DeprecationWarning,
    stacklevel=2,
)
