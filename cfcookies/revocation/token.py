"""The session cookie: its secrets, minting it, and checking it as the edge does.

With revocation switched on, the middleware also issues a session-bound cookie
(``CloudFront-Session`` unless renamed) on the same paths as the CloudFront cookies::

    <session id>.<user id>.<issued at>.<expires>.<mac>

``session id`` and ``user id`` are opaque, 1-64 characters of ``A-Z a-z 0-9 _ -`` (the user id
may be empty); the two times are integer epoch seconds (``issued at`` is when the session was
first granted: renewals keep it, so a user cut-off reaches renewed cookies too); ``mac`` is the
unpadded base64url HMAC-SHA256, under a shared secret, of ``cfcookies-session-v2|``, everything
before the last dot, ``|`` and the value of the ``CloudFront-Policy`` cookie it was issued with.
The session cookie is thereby bound to the policy of its path: it vouches for that policy only,
so it is worth nothing beside CloudFront cookies borrowed from another session.

A URL signed by query parameters (a folder query for a player that cannot send cookies,
``CloudFrontCookies.signed_query``) carries the same token in its query, in the parameter named
like the cookie, bound to the query's ``Policy`` value. CloudFront judges such a request on its
query alone and ignores its cookies; so does the check, which never mixes the two: a signed URL
is judged on its query's token, a cookie request on its cookies.

:func:`verify_session_cookie` checks a value as the CloudFront Function does, minus the
deny-list; :func:`check_session_request` is the whole edge check in Python (query or cookies,
deny-list included), :func:`check_session_cookie` the same for cookies only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets as _secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .._reading import QUERY_SIGNING_PARAMS
from ..clock import epoch_now
from ..exceptions import (
    ConfigurationError,
    DenyListUnavailableError,
    ForgedSessionError,
    MalformedSessionError,
    MissingSessionError,
    PolicyTimeError,
    SessionExpiredError,
    SessionRevokedError,
)
from ..policy import Clock, TimeInput, system_clock, to_epoch

if TYPE_CHECKING:
    from .deny_list import DenyList

__all__ = [
    "POLICY_COOKIE",
    "SESSION_COOKIE",
    "SessionSecrets",
    "SessionToken",
    "check_session_cookie",
    "check_session_request",
    "generate_secret",
    "mint_session_cookie",
    "new_session_id",
    "verify_session_cookie",
]


#: The default name of the session cookie.
SESSION_COOKIE = "CloudFront-Session"

_MAC_CONTEXT = b"cfcookies-session-v2|"
#: The cookie whose value a session cookie is bound to.
POLICY_COOKIE = "CloudFront-Policy"
_POLICY_VALUE = re.compile(r"[A-Za-z0-9_~-]{1,4096}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NUMBER = re.compile(r"0|[1-9][0-9]{0,10}")
_MAC = re.compile(r"[A-Za-z0-9_-]{43}")
_SECRET = re.compile(r"[\x21-\x7e]{32,1024}")
_MAX_COOKIE_VALUE = 256
_MAX_EPOCH = 10_000_000_000


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
    now = epoch_now(clock)
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
    current = epoch_now(clock, now)
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
    """The whole edge check in Python for a request signed by cookies: cookie, binding to the
    ``CloudFront-Policy`` cookie, MAC, expiry, deny-list.

    A deny-list that cannot be read refuses the request (:class:`DenyListUnavailableError`),
    as the generated function does.
    """
    current = epoch_now(clock, now)
    token = verify_session_cookie(
        cookies.get(cookie_name), secrets=secrets, policy=cookies.get(POLICY_COOKIE), now=current
    )
    return _not_denied(token, deny_list, current)


def check_session_request(
    query: str | None,
    cookies: Mapping[str, str],
    *,
    secrets: SessionSecrets,
    deny_list: DenyList | None = None,
    cookie_name: str = SESSION_COOKIE,
    now: datetime | int | None = None,
    clock: Clock = system_clock,
) -> SessionToken:
    """The whole edge check in Python for a request with the raw ``query`` string (without
    ``?``; None for none) and ``cookies``, as the generated function decides it.

    With ``Expires``, ``Policy``, ``Signature`` or ``Key-Pair-Id`` in the query (case-sensitive,
    as ``verify_request`` reads them) the request is a signed URL: the token is the query
    parameter named ``cookie_name``, bound to the ``Policy`` parameter, both percent-decoded and
    each sent once; the cookies are not read, and a canned URL (no ``Policy``) is refused.
    Otherwise it is :func:`check_session_cookie`, and the query is not read.
    """
    current = epoch_now(clock, now)
    fields = _query_fields(query or "")
    if not any(name in fields for name in QUERY_SIGNING_PARAMS):
        return check_session_cookie(
            cookies, secrets=secrets, deny_list=deny_list, cookie_name=cookie_name, now=current
        )
    value = _one(fields, cookie_name)
    if value is None:
        raise MissingSessionError(
            f"the URL is signed by query parameters, so its session token must be in its "
            f"{cookie_name} query parameter (its cookies are not read)"
        )
    policy = _one(fields, "Policy")
    if policy is None or not _POLICY_VALUE.fullmatch(policy):
        raise MissingSessionError(
            "the signed URL has no Policy query parameter (a canned URL, signed with Expires) "
            "or not CloudFront base64, so nothing for the session token to vouch for; with "
            "revocation on, hand out folder queries (CloudFrontCookies.signed_query)"
        )
    token = verify_session_cookie(value, secrets=secrets, policy=policy, now=current)
    return _not_denied(token, deny_list, current)


def _query_fields(query: str) -> dict[str, list[str]]:
    """Every value of each parameter of a raw query, as CloudFront hands a query to a function:
    names and values as sent (percent-encoded), a repeated name with all its values."""
    fields: dict[str, list[str]] = {}
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            fields.setdefault(name, []).append(value)
    return fields


def _one(fields: Mapping[str, list[str]], name: str) -> str | None:
    """The one value of ``name``, percent-decoded (None when absent); refused when repeated.

    An escape that does not decode (``%zz``, or bytes that are not UTF-8) leaves a ``%`` or
    U+FFFD, which no token or policy value contains: refused, as the function's
    ``decodeURIComponent`` refuses by throwing.
    """
    values = fields.get(name)
    if values is None:
        return None
    if len(values) > 1:
        raise MalformedSessionError(f"the {name} query parameter was sent more than once")
    return unquote(values[0])


def _not_denied(token: SessionToken, deny_list: DenyList | None, now: int) -> SessionToken:
    """``token`` unless the deny-list names its session or user; a deny-list that cannot be
    read refuses too (fail closed)."""
    if deny_list is None:
        return token
    try:
        revoked = deny_list.is_revoked(
            token.session_id, token.user_id, issued_at=token.issued_at, now=now
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
