"""Instant revocation at the edge: a session cookie checked by a CloudFront Function.

CloudFront cannot revoke a signed cookie. With revocation switched on, the middleware also
issues a session cookie (``CloudFront-Session`` unless renamed) on the same paths as the
CloudFront cookies, bound to the ``CloudFront-Policy`` cookie it goes with
(:mod:`~cfcookies.revocation.token`). A viewer-request CloudFront Function
(:mod:`~cfcookies.revocation.function`) checks it at the edge, and looks the session and its
user up in a deny-list (:mod:`~cfcookies.revocation.deny_list`); anything missing, forged,
expired, revoked or bound to another policy gets CloudFront's own ``403 AccessDenied``, and so
does a deny-list that cannot be read (fail closed). :class:`SessionCheck`
(:mod:`~cfcookies.revocation.check`) is the same check for the local edge.

At logout the middleware denies the session through a :class:`DenyWriter`
(:mod:`~cfcookies.revocation.writer`), which writes off the request path and retries through an
outbox (:mod:`~cfcookies.revocation.outbox`) until the deny-list has the entry.

Nothing here imports botocore. The AWS side lives in :mod:`cfcookies.aws`:
:class:`~cfcookies.aws.KeyValueStoreDenyList`, :func:`~cfcookies.aws.publish_function`,
:func:`~cfcookies.aws.associate_function`, :func:`~cfcookies.aws.crt_available` and
:func:`~cfcookies.aws.require_crt`. Those names still resolve here, with a
:class:`DeprecationWarning`, for code written before they moved.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from ..exceptions import (
    DenyListFullError,
    DenyListUnavailableError,
    ForgedSessionError,
    MalformedSessionError,
    MissingSessionError,
    SessionCookieError,
    SessionExpiredError,
    SessionRevokedError,
)
from .check import SessionCheck
from .deny_list import (
    KVS_MAX_STORE_BYTES,
    DenyList,
    LocalDenyList,
    revoked_session_key,
    revoked_user_key,
)
from .function import (
    DEFAULT_PREVIOUS_SECRET_KEY,
    DEFAULT_SECRET_KEY,
    FUNCTION_RUNTIME,
    MAX_FUNCTION_SIZE,
    function_code,
)
from .outbox import DenyEntry, DenyOutbox, DenyWriteFailure, FileOutbox, MemoryOutbox
from .token import (
    POLICY_COOKIE,
    SESSION_COOKIE,
    SessionSecrets,
    SessionToken,
    check_session_cookie,
    check_session_request,
    generate_secret,
    mint_session_cookie,
    new_session_id,
    verify_session_cookie,
)
from .writer import DenyWriter

__all__ = [
    "DEFAULT_PREVIOUS_SECRET_KEY",
    "DEFAULT_SECRET_KEY",
    "FUNCTION_RUNTIME",
    "KVS_MAX_STORE_BYTES",
    "MAX_FUNCTION_SIZE",
    "POLICY_COOKIE",
    "SESSION_COOKIE",
    "DenyEntry",
    "DenyList",
    "DenyListFullError",
    "DenyListUnavailableError",
    "DenyOutbox",
    "DenyWriteFailure",
    "DenyWriter",
    "FileOutbox",
    "ForgedSessionError",
    "LocalDenyList",
    "MalformedSessionError",
    "MemoryOutbox",
    "MissingSessionError",
    "SessionCheck",
    "SessionCookieError",
    "SessionExpiredError",
    "SessionRevokedError",
    "SessionSecrets",
    "SessionToken",
    "check_session_cookie",
    "check_session_request",
    "function_code",
    "generate_secret",
    "mint_session_cookie",
    "new_session_id",
    "revoked_session_key",
    "revoked_user_key",
    "verify_session_cookie",
]

#: Names that moved to cfcookies.aws (they need botocore), and the module now holding each.
_MOVED_TO_AWS = {
    "KeyValueStoreDenyList": "cfcookies.aws",
    "associate_function": "cfcookies.aws",
    "crt_available": "cfcookies.aws",
    "publish_function": "cfcookies.aws",
    "require_crt": "cfcookies.aws",
    "KVS_MAX_BYTES_PER_UPDATE": "cfcookies.aws.kvs",
    "KVS_MAX_KEYS_PER_UPDATE": "cfcookies.aws.kvs",
    "KVS_MAX_KEY_BYTES": "cfcookies.aws.kvs",
    "KVS_MAX_VALUE_BYTES": "cfcookies.aws.kvs",
}


def __getattr__(name: str) -> Any:
    """The names that moved to :mod:`cfcookies.aws`, imported only when asked for (so that
    ``import cfcookies.revocation`` never loads botocore), with a DeprecationWarning."""
    module = _MOVED_TO_AWS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"cfcookies.revocation.{name} moved to {module}.{name}; import it from there",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), name)
