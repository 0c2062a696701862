"""Instant revocation at the edge: a session cookie checked by a CloudFront Function.

CloudFront cannot revoke a signed cookie. With revocation switched on, the middleware also issues
a session-bound cookie (``CloudFront-Session`` unless renamed) on the same paths as the CloudFront
cookies::

    <session id>.<user id>.<issued at>.<expires>.<mac>

``session id`` and ``user id`` are opaque, 1-64 characters of ``A-Z a-z 0-9 _ -`` (the user id
may be empty); the two times are integer epoch seconds (``issued at`` is when the session was
first granted: renewals keep it, so a user cut-off reaches renewed cookies too); ``mac`` is the
unpadded base64url HMAC-SHA256, under a shared secret, of ``cfcookies-session-v2|``, everything
before the last dot, ``|`` and the value of the ``CloudFront-Policy`` cookie it was issued with.
The session cookie is thereby bound to the policy of its path: it vouches for that policy only,
so it is worth nothing beside CloudFront cookies borrowed from another session.

A viewer-request CloudFront Function (:func:`function_code`, runtime ``cloudfront-js-2.0``) reads
the secret (current, then previous during a rotation) from the CloudFront KeyValueStore
associated with it, checks the MAC and the expiry, and looks the session and the user up in the
deny-list kept in the same store. Anything missing, forged, expired, revoked or bound to another
policy gets CloudFront's own ``403 AccessDenied`` XML, and so does any error reading the store
(fail closed); otherwise the request goes on unchanged, and CloudFront's signed-cookie check still
applies.

Deny-list entries live under ``<prefix>revoked:<session id>`` and
``<prefix>revoked-user:<user id>``. A KeyValueStore has no TTL, so each value carries its own
end: ``<until>`` or ``<until>.<issued before>`` (epoch seconds). An entry is ignored from
``until`` on and :meth:`KeyValueStoreDenyList.purge_expired` deletes it. A user entry with
``issued before`` only denies cookies issued at or before that time, so that a user logged out
everywhere can sign in again.

Writing to a KeyValueStore needs SigV4A, which botocore signs only with ``awscrt``
(``pip install 'cfcookies[crt]'``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import importlib.util
import json
import logging
import os
import re
import secrets as _secrets
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .exceptions import (
    AWSError,
    ConfigurationError,
    DenyListFullError,
    PolicyTimeError,
    VerificationError,
)
from .policy import Clock, TimeInput, system_clock, to_epoch

try:  # pragma: no cover - fcntl is missing on Windows only
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("cfcookies")

__all__ = [
    "DEFAULT_PREVIOUS_SECRET_KEY",
    "DEFAULT_SECRET_KEY",
    "FUNCTION_RUNTIME",
    "MAX_FUNCTION_SIZE",
    "POLICY_COOKIE",
    "SESSION_COOKIE",
    "DenyList",
    "DenyListFullError",
    "DenyListUnavailableError",
    "ForgedSessionError",
    "KeyValueStoreDenyList",
    "LocalDenyList",
    "MalformedSessionError",
    "MissingSessionError",
    "SessionCheck",
    "SessionCookieError",
    "SessionExpiredError",
    "SessionRevokedError",
    "SessionSecrets",
    "SessionToken",
    "associate_function",
    "check_session_cookie",
    "crt_available",
    "function_code",
    "generate_secret",
    "mint_session_cookie",
    "new_session_id",
    "publish_function",
    "require_crt",
    "revoked_session_key",
    "revoked_user_key",
    "verify_session_cookie",
]

#: The default name of the session cookie.
SESSION_COOKIE = "CloudFront-Session"
#: KeyValueStore key holding the current HMAC secret.
DEFAULT_SECRET_KEY = "__cfcookies_secret"  # noqa: S105 - a key name, not a secret
#: KeyValueStore key holding the previous HMAC secret, accepted during a rotation.
DEFAULT_PREVIOUS_SECRET_KEY = "__cfcookies_secret_previous"  # noqa: S105 - a key name
#: The CloudFront Functions runtime that can read a KeyValueStore.
FUNCTION_RUNTIME = "cloudfront-js-2.0"
#: CloudFront's function size quota (bytes, not adjustable).
MAX_FUNCTION_SIZE = 10 * 1024

#: KeyValueStore quotas: UpdateKeys takes at most 50 keys or 3 MB; a key is at most 512 bytes,
#: a value at most 1 KB.
KVS_MAX_KEYS_PER_UPDATE = 50
KVS_MAX_BYTES_PER_UPDATE = 3 * 1024 * 1024
KVS_MAX_KEY_BYTES = 512
KVS_MAX_VALUE_BYTES = 1024
#: A KeyValueStore holds at most 5 MB of keys and values.
KVS_MAX_STORE_BYTES = 5 * 1024 * 1024

_FULL_REMEDY = (
    "purge lapsed entries (cfcookies aws revoke purge), shorten max_session_age so that entries "
    "lapse sooner, or revoke users (one entry each) instead of many sessions"
)

_MAC_CONTEXT = b"cfcookies-session-v2|"
#: The cookie whose value a session cookie is bound to.
POLICY_COOKIE = "CloudFront-Policy"
_POLICY_VALUE = re.compile(r"[A-Za-z0-9_~-]{1,4096}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NUMBER = re.compile(r"0|[1-9][0-9]{0,10}")
_MAC = re.compile(r"[A-Za-z0-9_-]{43}")
_COOKIE_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+^_`|~.-]{1,128}")
_KVS_KEY = re.compile(r"[A-Za-z0-9_.:/-]{1,200}")
_PREFIX = re.compile(r"[A-Za-z0-9_.:/-]{0,64}")
_SECRET = re.compile(r"[\x21-\x7e]{32,1024}")
_MAX_COOKIE_VALUE = 256
_MAX_EPOCH = 10_000_000_000


# --- errors -------------------------------------------------------------------------------------


class SessionCookieError(VerificationError):
    """The revocation session cookie does not let the request through (403 AccessDenied)."""

    reason = "session_invalid"
    code = "AccessDenied"


class MissingSessionError(SessionCookieError):
    reason = "session_missing"


class MalformedSessionError(SessionCookieError):
    reason = "session_malformed"


class ForgedSessionError(SessionCookieError):
    reason = "session_bad_signature"


class SessionExpiredError(SessionCookieError):
    reason = "session_expired"

    def __init__(self, message: str, *, expires: int, now: int) -> None:
        super().__init__(message)
        self.expires = expires
        self.now = now


class SessionRevokedError(SessionCookieError):
    reason = "session_revoked"

    def __init__(self, message: str, *, session_id: str, user_id: str | None) -> None:
        super().__init__(message)
        self.session_id = session_id
        self.user_id = user_id


class DenyListUnavailableError(SessionCookieError):
    """The deny-list could not be read: the request is refused (fail closed)."""

    reason = "deny_list_unavailable"


# --- secrets and tokens -------------------------------------------------------------------------


def generate_secret() -> str:
    """A new random HMAC secret: 43 URL-safe characters (256 bits)."""
    return _secrets.token_urlsafe(32)


def new_session_id() -> str:
    """A new random session id: 22 URL-safe characters (128 bits)."""
    return _secrets.token_urlsafe(16)


def _check_secret(value: object, field: str) -> bytes:
    if not isinstance(value, str) or not _SECRET.fullmatch(value):
        shown = f"{len(value)} characters" if isinstance(value, str) else type(value).__name__
        raise ConfigurationError(
            f"{field} must be 32 to 1024 printable ASCII characters without spaces (make one "
            f"with cfcookies.revocation.generate_secret()), got {shown}"
        )
    return value.encode("ascii")


class SessionSecrets:
    """The current HMAC secret and, during a rotation, the previous one. Never shown in a repr.

    The same strings must be in the KeyValueStore under the function's secret keys: the MAC key
    is the secret's ASCII bytes, exactly as ``crypto.createHmac('sha256', secret)`` uses it.
    """

    __slots__ = ("_keys",)

    def __init__(self, current: str, *, previous: str | None = None) -> None:
        keys = [_check_secret(current, "current")]
        if previous is not None:
            keys.append(_check_secret(previous, "previous"))
        self._keys: tuple[bytes, ...] = tuple(keys)

    @property
    def signing_key(self) -> bytes:
        return self._keys[0]

    @property
    def verification_keys(self) -> tuple[bytes, ...]:
        return self._keys

    def __repr__(self) -> str:
        previous = "<hidden>" if len(self._keys) > 1 else None
        return f"SessionSecrets(current=<hidden>, previous={previous})"


@dataclass(frozen=True)
class SessionToken:
    """What an authentic session cookie says."""

    session_id: str
    user_id: str | None
    issued_at: int
    expires: int

    @property
    def expires_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.expires, timezone.utc)


def _check_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        shown = f"{len(value)} characters" if isinstance(value, str) else type(value).__name__
        raise ConfigurationError(
            f"{field} must be 1 to 64 characters of A-Z a-z 0-9 _ - (hash or encode other "
            f"identifiers first), got {shown}"
        )
    return value


def _mac(key: bytes, payload: str, policy: str) -> str:
    message = _MAC_CONTEXT + payload.encode("ascii") + b"|" + policy.encode("ascii")
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _check_policy(value: object) -> str:
    if not isinstance(value, str) or not _POLICY_VALUE.fullmatch(value):
        raise ConfigurationError(
            "policy must be the CloudFront-Policy cookie value the session cookie goes with "
            "(CloudFront base64, at most 4096 characters)"
        )
    return value


def mint_session_cookie(
    *,
    session_id: str,
    expires: TimeInput,
    secrets: SessionSecrets,
    policy: str,
    user_id: str | None = None,
    issued_at: TimeInput | None = None,
    clock: Clock = system_clock,
) -> str:
    """The session cookie value for ``session_id`` (and ``user_id``), valid until ``expires``.

    ``policy`` is the value of the ``CloudFront-Policy`` cookie set on the same path: the token
    is bound to it, so the edge accepts it only beside that policy. ``issued_at`` is when the
    session began (default: now); renewals pass the original time so that a user cut-off
    (:meth:`DenyList.revoke_user`) still reaches them. ``expires`` is an aware ``datetime``, a
    ``timedelta`` from now or epoch seconds. Give the cookie the same ``Path``, ``Domain`` and
    lifetime as the CloudFront cookies it goes with.
    """
    if not isinstance(secrets, SessionSecrets):
        raise ConfigurationError("secrets must be a SessionSecrets(current, previous=...)")
    sid = _check_id(session_id, "session_id")
    uid = "" if user_id is None else _check_id(user_id, "user_id")
    bound = _check_policy(policy)
    now = to_epoch(clock(), field="now")
    issued = now if issued_at is None else to_epoch(issued_at, field="issued_at", clock=clock)
    if issued > now:
        raise PolicyTimeError(f"issued_at ({issued}) must not be after now ({now})")
    end = to_epoch(expires, field="expires", clock=clock)
    if end <= now:
        raise PolicyTimeError(f"expires ({end}) must be after now ({now})")
    payload = f"{sid}.{uid}.{issued}.{end}"
    return f"{payload}.{_mac(secrets.signing_key, payload, bound)}"


def verify_session_cookie(
    value: object,
    *,
    secrets: SessionSecrets,
    policy: object,
    now: datetime | int | None = None,
    clock: Clock = system_clock,
) -> SessionToken:
    """Check a session cookie value as the CloudFront Function does, minus the deny-list.

    ``policy`` is the ``CloudFront-Policy`` cookie sent with it (None when absent): a token
    minted for another policy does not verify. Raises :class:`MissingSessionError`,
    :class:`MalformedSessionError`, :class:`ForgedSessionError` or :class:`SessionExpiredError`
    (all :class:`SessionCookieError`); never anything else, whatever the client sent.
    """
    current = _now_epoch(now, clock)
    if value is None or value == "":
        raise MissingSessionError("no session cookie")
    if not isinstance(value, str) or len(value) > _MAX_COOKIE_VALUE:
        raise MalformedSessionError("the session cookie is not a session token")
    parts = value.split(".")
    if len(parts) != 5:
        raise MalformedSessionError("the session cookie is not a session token")
    sid, uid, iat_text, exp_text, mac = parts
    if not (
        _ID.fullmatch(sid)
        and (uid == "" or _ID.fullmatch(uid))
        and _NUMBER.fullmatch(iat_text)
        and _NUMBER.fullmatch(exp_text)
        and _MAC.fullmatch(mac)
    ):
        raise MalformedSessionError("the session cookie is not a session token")
    issued, expires = int(iat_text), int(exp_text)
    if issued > expires or expires >= _MAX_EPOCH:
        raise MalformedSessionError("the session cookie has impossible times")
    if not isinstance(policy, str) or not _POLICY_VALUE.fullmatch(policy):
        raise MissingSessionError(
            f"no {POLICY_COOKIE} cookie (or not CloudFront base64) for the session cookie to "
            f"vouch for"
        )
    payload = value[: -len(mac) - 1]
    ok = False
    for key in secrets.verification_keys:
        # Both keys are always tried so the time taken does not tell which one matched.
        ok = hmac.compare_digest(_mac(key, payload, policy), mac) or ok
    if not ok:
        raise ForgedSessionError(
            "the session cookie's signature does not match any secret for this policy (forged, "
            "or taken from another session)"
        )
    if current >= expires:
        raise SessionExpiredError(
            f"the session cookie expired at {expires} (now {current})", expires=expires, now=current
        )
    return SessionToken(sid, uid or None, issued, expires)


def check_session_cookie(
    cookies: Mapping[str, str],
    *,
    secrets: SessionSecrets,
    deny_list: DenyList | None = None,
    cookie_name: str = SESSION_COOKIE,
    now: datetime | int | None = None,
    clock: Clock = system_clock,
) -> SessionToken:
    """The whole edge check in Python (for the local edge): cookie, binding to the
    ``CloudFront-Policy`` cookie, MAC, expiry, deny-list.

    A deny-list that cannot be read refuses the request (:class:`DenyListUnavailableError`),
    as the generated function does.
    """
    current = _now_epoch(now, clock)
    token = verify_session_cookie(
        cookies.get(cookie_name), secrets=secrets, policy=cookies.get(POLICY_COOKIE), now=current
    )
    if deny_list is None:
        return token
    try:
        revoked = deny_list.is_revoked(
            token.session_id, token.user_id, issued_at=token.issued_at, now=current
        )
    except Exception as exc:  # fail closed: an unreadable deny-list denies
        raise DenyListUnavailableError(
            f"the deny-list could not be read ({type(exc).__name__}); refusing the request"
        ) from None
    if revoked:
        raise SessionRevokedError(
            "the session or its user has been revoked",
            session_id=token.session_id,
            user_id=token.user_id,
        )
    return token


def _now_epoch(now: datetime | int | None, clock: Clock) -> int:
    if now is None:
        return to_epoch(clock(), field="now")
    return to_epoch(now, field="now")


# --- the CloudFront Function --------------------------------------------------------------------

_FUNCTION_TEMPLATE = """\
// cfcookies revocation check, viewer-request, runtime cloudfront-js-2.0.
// Generated by cfcookies.revocation.function_code(); edit the options there, not here.
import crypto from 'crypto';
import cf from 'cloudfront';

const kvs = cf.kvs();
const COOKIE = __COOKIE__;
const POLICY = 'CloudFront-Policy';
const SECRET_KEY = __SECRET__;
const PREVIOUS_KEY = __PREVIOUS__;
const SESSION_KEY = __PREFIX__ + 'revoked:';
const USER_KEY = __PREFIX__ + 'revoked-user:';
const CONTEXT = 'cfcookies-session-v2|';
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const NUM = /^(0|[1-9][0-9]{0,10})$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;
const POLICY_VALUE = /^[A-Za-z0-9_~-]{1,4096}$/;

function deny() {
    return {
        statusCode: 403,
        statusDescription: 'Forbidden',
        headers: {
            'content-type': { value: 'text/xml' },
            'cache-control': { value: 'no-store' }
        },
        body: {
            encoding: 'text',
            data: '<?xml version="1.0" encoding="UTF-8"?>' +
                '<Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>'
        }
    };
}

// Compares two strings in time that depends only on their length.
function same(a, b) {
    if (a.length !== b.length) {
        return false;
    }
    var diff = 0;
    for (var i = 0; i < a.length; i++) {
        diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
    }
    return diff === 0;
}

// An absent key is an answer (null); any failure of the store throws, and the handler denies.
async function read(key) {
    if (!(await kvs.exists(key))) {
        return null;
    }
    return await kvs.get(key, { format: 'string' });
}

// An entry is "<until>" or "<until>.<issued before>"; a value we cannot read denies.
function applies(value, now, issued) {
    var p = String(value).split('.');
    if (p.length > 2 || !NUM.test(p[0]) || (p.length === 2 && !NUM.test(p[1]))) {
        return true;
    }
    if (now >= parseInt(p[0], 10)) {
        return false;
    }
    return p.length === 1 || issued <= parseInt(p[1], 10);
}

function valid(secret, payload, mac) {
    if (typeof secret !== 'string' || secret.length < 32) {
        return false;
    }
    return same(crypto.createHmac('sha256', secret).update(payload).digest('base64url'), mac);
}

async function check(request) {
    var cookie = request.cookies ? request.cookies[COOKIE] : undefined;
    var policy = request.cookies ? request.cookies[POLICY] : undefined;
    if (!cookie || typeof cookie.value !== 'string' || cookie.value.length > 256) {
        return false;
    }
    if (!policy || typeof policy.value !== 'string' || !POLICY_VALUE.test(policy.value)) {
        return false;
    }
    var p = cookie.value.split('.');
    if (p.length !== 5 || !ID.test(p[0]) || (p[1] !== '' && !ID.test(p[1])) ||
            !NUM.test(p[2]) || !NUM.test(p[3]) || !MAC.test(p[4])) {
        return false;
    }
    var issued = parseInt(p[2], 10);
    var expires = parseInt(p[3], 10);
    var now = Math.floor(Date.now() / 1000);
    if (issued > expires || now >= expires) {
        return false;
    }
    var payload = CONTEXT + p[0] + '.' + p[1] + '.' + p[2] + '.' + p[3] + '|' + policy.value;
    // The current secret must be there; the previous one only during a rotation. No await in
    // call arguments: cloudfront-js-2.0 does not support "async arguments".
    var secret = await kvs.get(SECRET_KEY, { format: 'string' });
    if (!valid(secret, payload, p[4])) {
        secret = await read(PREVIOUS_KEY);
        if (!valid(secret, payload, p[4])) {
            return false;
        }
    }
    var entry = await read(SESSION_KEY + p[0]);
    if (entry !== null && applies(entry, now, issued)) {
        return false;
    }
    if (p[1] !== '') {
        entry = await read(USER_KEY + p[1]);
        if (entry !== null && applies(entry, now, issued)) {
            return false;
        }
    }
    return true;
}

async function handler(event) {
    try {
        if (await check(event.request)) {
            return event.request;
        }
    } catch (e) {
        // the store could not be read: fail closed
    }
    return deny();
}
"""


def _check_kvs_key(value: object, field: str) -> str:
    if not isinstance(value, str) or not _KVS_KEY.fullmatch(value):
        raise ConfigurationError(
            f"{field} must be 1 to 200 characters of A-Z a-z 0-9 _ . : / -, got {value!r}"
        )
    return value


def _check_prefix(value: object) -> str:
    if not isinstance(value, str) or not _PREFIX.fullmatch(value):
        raise ConfigurationError(
            f"key_prefix must be at most 64 characters of A-Z a-z 0-9 _ . : / -, got {value!r}"
        )
    return value


def function_code(
    *,
    cookie_name: str = SESSION_COOKIE,
    kvs_secret_key: str = DEFAULT_SECRET_KEY,
    kvs_previous_secret_key: str = DEFAULT_PREVIOUS_SECRET_KEY,
    key_prefix: str = "",
) -> str:
    """The viewer-request JavaScript (runtime ``cloudfront-js-2.0``) that enforces revocation.

    The function only adds a check: a request it lets through is returned unchanged, so the
    behaviour's trusted key groups still make CloudFront verify the signed cookies. Associate the
    KeyValueStore holding the secrets and the deny-list with the function.
    """
    if not isinstance(cookie_name, str) or not _COOKIE_NAME.fullmatch(cookie_name):
        raise ConfigurationError(f"cookie_name must be a cookie token, got {cookie_name!r}")
    if cookie_name == POLICY_COOKIE:
        raise ConfigurationError(f"cookie_name must not be {POLICY_COOKIE}, which it is bound to")
    _check_kvs_key(kvs_secret_key, "kvs_secret_key")
    _check_kvs_key(kvs_previous_secret_key, "kvs_previous_secret_key")
    if kvs_secret_key == kvs_previous_secret_key:
        raise ConfigurationError("kvs_secret_key and kvs_previous_secret_key must differ")
    _check_prefix(key_prefix)
    code = (
        _FUNCTION_TEMPLATE.replace("__COOKIE__", json.dumps(cookie_name))
        .replace("__SECRET__", json.dumps(kvs_secret_key))
        .replace("__PREVIOUS__", json.dumps(kvs_previous_secret_key))
        .replace("__PREFIX__", json.dumps(key_prefix))
    )
    size = len(code.encode("utf-8"))
    if size > MAX_FUNCTION_SIZE:  # pragma: no cover - the inputs are bounded well below this
        raise ConfigurationError(f"the function is {size} bytes; CloudFront allows 10 KB")
    return code


# --- deny-lists ---------------------------------------------------------------------------------


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
            cutoff = to_epoch(self._clock(), field="now")
        else:
            cutoff = to_epoch(issued_before, field="issued_before", clock=self._clock)
        if cutoff > end:
            raise PolicyTimeError(f"issued_before ({cutoff}) must not be after until ({end})")
        return key, _entry_value(end, cutoff)

    def _until(self, until: TimeInput) -> int:
        end = to_epoch(until, field="until", clock=self._clock)
        now = to_epoch(self._clock(), field="now")
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
        now = to_epoch(self._clock(), field="now")
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


# --- botocore: the KeyValueStore ----------------------------------------------------------------


def crt_available() -> bool:
    """Whether ``awscrt`` (botocore's SigV4A signer, needed by the KeyValueStore API) is there."""
    return importlib.util.find_spec("awscrt") is not None


def require_crt() -> None:
    """Raise :class:`ConfigurationError` unless the KeyValueStore API can be signed."""
    if not crt_available():
        raise ConfigurationError(
            "the CloudFront KeyValueStore API is signed with SigV4A, which botocore does only "
            "with awscrt; install it with pip install 'cfcookies[crt]'"
        )


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        if isinstance(error, dict):
            return str(error.get("Code") or "")
    return ""


def _aws_error(action: str, exc: Exception) -> AWSError:
    code = _error_code(exc) or type(exc).__name__
    return AWSError(f"{action} failed: {code}")


class KeyValueStoreDenyList(_EntryWriter):
    """The deny-list in the CloudFront KeyValueStore that the function reads.

    ``client`` is a botocore ``cloudfront-keyvaluestore`` client (one is made from a new botocore
    session when omitted). Writes go through ``DescribeKeyValueStore`` for the ETag, then
    ``UpdateKeys`` in batches of at most 50 keys and 3 MB, retried once on an ETag conflict.
    """

    def __init__(
        self,
        *,
        kvs_arn: str,
        client: Any = None,
        key_prefix: str = "",
        secret_key: str = DEFAULT_SECRET_KEY,
        previous_secret_key: str = DEFAULT_PREVIOUS_SECRET_KEY,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__(key_prefix=key_prefix, clock=clock)
        require_crt()
        self._secret_key = _check_kvs_key(secret_key, "secret_key")
        self._previous_secret_key = _check_kvs_key(previous_secret_key, "previous_secret_key")
        if (
            not isinstance(kvs_arn, str)
            or not kvs_arn.startswith("arn:aws")
            or (":key-value-store/" not in kvs_arn)
        ):
            raise ConfigurationError(
                f"kvs_arn must be a KeyValueStore ARN like arn:aws:cloudfront::111122223333:"
                f"key-value-store/<id>, got {kvs_arn!r}"
            )
        self.kvs_arn = kvs_arn
        if client is None:  # pragma: no cover - needs credentials, exercised by users
            import botocore.session

            client = botocore.session.get_session().create_client(
                "cloudfront-keyvaluestore", region_name="us-east-1"
            )
        self._client = client

    def __repr__(self) -> str:
        return f"KeyValueStoreDenyList(kvs_arn={self.kvs_arn!r})"

    def revoke_session(self, session_id: str, *, until: TimeInput) -> None:
        self.update(puts=[self._session_entry(session_id, until)])

    def revoke_user(
        self, user_id: str, *, until: TimeInput, issued_before: TimeInput | None = None
    ) -> None:
        self.update(puts=[self._user_entry(user_id, until, issued_before)])

    def revoke_sessions(self, session_ids: Sequence[str], *, until: TimeInput) -> None:
        """Revoke many sessions in as few ``UpdateKeys`` calls as the quotas allow."""
        self.update(puts=[self._session_entry(sid, until) for sid in session_ids])

    def is_revoked(self, session_id: str, user_id: str | None, *, issued_at: int, now: int) -> bool:
        for key in self._keys_for(session_id, user_id):
            value = self._get(key)
            if value is not None and _entry_applies(value, now=now, issued_at=issued_at):
                return True
        return False

    def set_secrets(self, current: str, *, previous: str | None = None) -> None:
        """Store the function's HMAC secrets (deleting the previous one when not given)."""
        _check_secret(current, "current")
        puts = [(self._secret_key, current)]
        deletes: list[str] = []
        if previous is not None:
            _check_secret(previous, "previous")
            puts.append((self._previous_secret_key, previous))
        elif self._get(self._previous_secret_key) is not None:
            deletes.append(self._previous_secret_key)
        self.update(puts=puts, deletes=deletes)

    def rotate_secret(self, new: str) -> None:
        """Make ``new`` the current secret and keep the old current one as the previous one."""
        _check_secret(new, "new")
        old = self._get(self._secret_key)
        self.set_secrets(new, previous=old)

    def purge_expired(self) -> int:
        """Delete the deny-list entries (under this prefix) whose ``until`` has passed."""
        now = to_epoch(self._clock(), field="now")
        prefixes = (f"{self._prefix}revoked:", f"{self._prefix}revoked-user:")
        stale: list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"KvsARN": self.kvs_arn}
            if token:
                kwargs["NextToken"] = token
            page = self._call("ListKeys", self._client.list_keys, **kwargs)
            for item in page.get("Items", []):
                key, value = item["Key"], item["Value"]
                if key.startswith(prefixes) and _is_stale(value, now):
                    stale.append(key)
            token = page.get("NextToken")
            if not token:
                break
        if stale:
            self.update(deletes=stale)
        return len(stale)

    def update(self, *, puts: Sequence[tuple[str, str]] = (), deletes: Sequence[str] = ()) -> None:
        """Apply puts and deletes in ``UpdateKeys`` batches within the KeyValueStore quotas."""
        operations: list[tuple[str, str | None]] = [(k, v) for k, v in puts]
        operations += [(k, None) for k in deletes]
        for key, value in operations:
            if len(key.encode("utf-8")) > KVS_MAX_KEY_BYTES:
                raise ConfigurationError(f"a KeyValueStore key is at most 512 bytes: {key[:40]!r}")
            if value is not None and len(value.encode("utf-8")) > KVS_MAX_VALUE_BYTES:
                raise ConfigurationError("a KeyValueStore value is at most 1 KB")
        etag: str | None = None
        for batch in _batches(operations):
            etag = self._update_batch(batch, etag)

    def _update_batch(self, batch: list[tuple[str, str | None]], etag: str | None) -> str:
        request: dict[str, Any] = {"KvsARN": self.kvs_arn}
        put_items = [{"Key": k, "Value": v} for k, v in batch if v is not None]
        delete_items = [{"Key": k} for k, v in batch if v is None]
        if put_items:
            request["Puts"] = put_items
        if delete_items:
            request["Deletes"] = delete_items
        for attempt in range(2):
            if etag is None:
                etag = self._describe_etag()
            try:
                response = self._client.update_keys(IfMatch=etag, **request)
            except Exception as exc:
                code = _error_code(exc)
                if code == "ConflictException" and attempt == 0:
                    etag = None
                    continue
                if code == "ServiceQuotaExceededException":
                    raise DenyListFullError(
                        f"the KeyValueStore {self.kvs_arn} is full (5 MB); the update was not "
                        f"recorded: {_FULL_REMEDY}"
                    ) from None
                raise _aws_error("UpdateKeys", exc) from None
            total = response.get("TotalSizeInBytes")
            if isinstance(total, int) and total > KVS_MAX_STORE_BYTES * 0.8:
                logger.warning(
                    "cfcookies: the KeyValueStore holds %d of %d bytes; %s",
                    total,
                    KVS_MAX_STORE_BYTES,
                    _FULL_REMEDY,
                    extra={"event": "cfcookies.deny_list.nearly_full", "bytes": total},
                )
            return str(response["ETag"])
        raise AssertionError("unreachable")  # pragma: no cover

    def _describe_etag(self) -> str:
        response = self._call(
            "DescribeKeyValueStore", self._client.describe_key_value_store, KvsARN=self.kvs_arn
        )
        return str(response["ETag"])

    def _get(self, key: str) -> str | None:
        try:
            response = self._client.get_key(KvsARN=self.kvs_arn, Key=key)
        except Exception as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return None
            raise _aws_error("GetKey", exc) from None
        return str(response["Value"])

    @staticmethod
    def _call(action: str, method: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = method(**kwargs)
        except Exception as exc:
            raise _aws_error(action, exc) from None
        return result


def _batches(
    operations: Sequence[tuple[str, str | None]],
) -> Iterator[list[tuple[str, str | None]]]:
    batch: list[tuple[str, str | None]] = []
    size = 0
    for key, value in operations:
        item = len(key.encode("utf-8")) + len((value or "").encode("utf-8"))
        if batch and (
            len(batch) >= KVS_MAX_KEYS_PER_UPDATE or size + item > KVS_MAX_BYTES_PER_UPDATE
        ):
            yield batch
            batch, size = [], 0
        batch.append((key, value))
        size += item
    if batch:
        yield batch


# --- botocore: the function and the distribution ------------------------------------------------


def publish_function(
    client: Any,
    *,
    name: str,
    code: str,
    kvs_arn: str,
    comment: str = "cfcookies revocation check",
) -> str:
    """Create or update the function ``name``, publish it to LIVE and return its ARN.

    ``client`` is a botocore ``cloudfront`` client.
    """
    if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name):
        raise ConfigurationError(
            f"name must be 1 to 64 characters of a-z A-Z 0-9 _ -, got {name!r}"
        )
    blob = code.encode("utf-8")
    if len(blob) > MAX_FUNCTION_SIZE:
        raise ConfigurationError(
            f"the function code is {len(blob)} bytes; CloudFront allows {MAX_FUNCTION_SIZE}"
        )
    config = {
        "Comment": comment,
        "Runtime": FUNCTION_RUNTIME,
        "KeyValueStoreAssociations": {
            "Quantity": 1,
            "Items": [{"KeyValueStoreARN": kvs_arn}],
        },
    }
    try:
        described = client.describe_function(Name=name, Stage="DEVELOPMENT")
    except Exception as exc:
        if _error_code(exc) != "NoSuchFunctionExists":
            raise _aws_error("DescribeFunction", exc) from None
        described = None
    try:
        if described is None:
            created = client.create_function(Name=name, FunctionConfig=config, FunctionCode=blob)
            etag = created["ETag"]
        else:
            updated = client.update_function(
                Name=name, IfMatch=described["ETag"], FunctionConfig=config, FunctionCode=blob
            )
            etag = updated["ETag"]
        published = client.publish_function(Name=name, IfMatch=etag)
    except Exception as exc:
        raise _aws_error("publishing the function", exc) from None
    return str(published["FunctionSummary"]["FunctionMetadata"]["FunctionARN"])


def associate_function(
    client: Any,
    *,
    distribution_id: str,
    function_arn: str,
    path_pattern: str | None = None,
    replace: bool = False,
) -> bool:
    """Run ``function_arn`` on viewer requests of one cache behaviour of a distribution.

    ``path_pattern`` picks the cache behaviour (``None`` or ``"*"`` for the default one). An
    existing viewer-request function is replaced only with ``replace=True``. Returns ``False``
    when the function was already associated (nothing changed). A behaviour with a Lambda@Edge
    function on viewer-request or viewer-response is refused with a
    :class:`~cfcookies.exceptions.ConfigurationError` before anything is sent, as CloudFront
    would refuse the update; Lambda@Edge on origin-request or origin-response is kept.
    """
    for attempt in range(2):
        try:
            got = client.get_distribution_config(Id=distribution_id)
        except Exception as exc:
            raise _aws_error("GetDistributionConfig", exc) from None
        config, etag = got["DistributionConfig"], got["ETag"]
        behaviour = _find_behaviour(config, path_pattern)
        if not _set_association(behaviour, function_arn, replace=replace):
            return False
        try:
            client.update_distribution(Id=distribution_id, IfMatch=etag, DistributionConfig=config)
        except Exception as exc:
            if _error_code(exc) == "PreconditionFailed" and attempt == 0:
                continue
            raise _aws_error("UpdateDistribution", exc) from None
        return True
    raise AssertionError("unreachable")  # pragma: no cover


def _find_behaviour(config: dict[str, Any], path_pattern: str | None) -> dict[str, Any]:
    if path_pattern in (None, "*", "default"):
        behaviour: dict[str, Any] = config["DefaultCacheBehavior"]
        return behaviour
    items = (config.get("CacheBehaviors") or {}).get("Items") or []
    for item in items:
        if item.get("PathPattern") == path_pattern:
            found: dict[str, Any] = item
            return found
    known = ", ".join(repr(i.get("PathPattern")) for i in items) or "none"
    raise ConfigurationError(
        f"the distribution has no cache behaviour with path pattern {path_pattern!r} "
        f"(it has: {known}; leave it out for the default behaviour)"
    )


#: Lambda@Edge events that rule out a CloudFront Function on the same cache behaviour's viewer
#: events: "You can't combine CloudFront Functions and Lambda@Edge in viewer events (viewer
#: request and viewer response)"; origin-request and origin-response Lambda@Edge functions are
#: allowed beside one. CloudFront Developer Guide, "Restrictions on all edge functions":
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html
_LAMBDA_VIEWER_EVENTS = ("viewer-request", "viewer-response")


def _set_association(behaviour: dict[str, Any], function_arn: str, *, replace: bool) -> bool:
    """Put ``function_arn`` on viewer-request of ``behaviour``; False if it is there already.

    Refuses here, with the behaviour and the event named, what UpdateDistribution would refuse
    only with a generic error: a Lambda@Edge function on the behaviour's viewer-request or
    viewer-response.
    """
    pattern = behaviour.get("PathPattern")
    where = f"cache behaviour {pattern!r}" if pattern else "the default cache behaviour"
    lambdas = (behaviour.get("LambdaFunctionAssociations") or {}).get("Items") or []
    clashes = [item for item in lambdas if item.get("EventType") in _LAMBDA_VIEWER_EVENTS]
    if clashes:
        found = " and ".join(
            f"{item.get('LambdaFunctionARN')} on {item.get('EventType')}" for item in clashes
        )
        raise ConfigurationError(
            f"{where} runs a Lambda@Edge function ({found}); CloudFront allows no CloudFront "
            f"Function on viewer-request beside Lambda@Edge on viewer-request or "
            f"viewer-response. Nothing was changed: move that Lambda@Edge function to "
            f"origin-request or origin-response, or remove it from the behaviour, then "
            f"associate again"
        )
    items = list((behaviour.get("FunctionAssociations") or {}).get("Items") or [])
    current = [item for item in items if item.get("EventType") == "viewer-request"]
    if current and current[0].get("FunctionARN") == function_arn:
        return False
    if current and not replace:
        raise ConfigurationError(
            f"{where} already runs {current[0].get('FunctionARN')} on viewer requests; pass "
            f"replace=True (--replace) to swap it for the revocation check"
        )
    items = [item for item in items if item.get("EventType") != "viewer-request"]
    items.append({"FunctionARN": function_arn, "EventType": "viewer-request"})
    behaviour["FunctionAssociations"] = {"Quantity": len(items), "Items": items}
    return True


class SessionCheck:
    """The edge's side of revocation: an :class:`cfcookies.edge.EdgeCheck` for ``EdgeApp``.

    ``EdgeApp(..., deny_list=SessionCheck(secrets, deny_list=LocalDenyList(...)))`` refuses, after
    CloudFront's own signature check, every request whose session cookie is missing, forged,
    expired or revoked — what the generated CloudFront Function does in production.
    """

    def __init__(
        self,
        secrets: SessionSecrets,
        *,
        deny_list: DenyList | None = None,
        cookie_name: str = SESSION_COOKIE,
        clock: Clock = system_clock,
    ) -> None:
        if not isinstance(secrets, SessionSecrets):
            raise ConfigurationError("secrets must be a SessionSecrets(current, previous=...)")
        self.secrets = secrets
        self.deny_list = deny_list
        self.cookie_name = cookie_name
        self.clock = clock

    def __repr__(self) -> str:
        return f"SessionCheck(cookie_name={self.cookie_name!r}, deny_list={self.deny_list!r})"

    def check(self, request: Any) -> str | None:
        """None to let the request through; raises :class:`SessionCookieError` to refuse it."""
        check_session_cookie(
            request.cookies,
            secrets=self.secrets,
            deny_list=self.deny_list,
            cookie_name=self.cookie_name,
            clock=self.clock,
        )
        return None
