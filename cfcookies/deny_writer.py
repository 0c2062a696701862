"""Moved: the deny-list writer is :mod:`cfcookies.revocation.writer`, its outboxes
:mod:`cfcookies.revocation.outbox`. This module re-exports them until the imports that still
name it are switched (it is due to go)."""

from __future__ import annotations

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
