"""The protocol-neutral decision: which CloudFront cookies a response adds, renews or deletes.

:class:`CloudFrontCookies` holds the validated configuration (built once, at start-up). Per
request it reads what was issued from the middleware's own state cookie (signed with
itsdangerous, host-only on the app), learns what should be issued now (from the app's
``grants`` callable and/or the ``grant()``/``revoke()`` calls the view made), and returns the
``Set-Cookie`` header values that make the browser match.

The ASGI and WSGI adapters only read the request and attach these headers, so both behave the
same.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

from itsdangerous import BadData, URLSafeSerializer
from itsdangerous.encoding import base64_encode

from .cookies import (
    MAX_COOKIE_BYTES,
    MAX_COOKIES_PER_DOMAIN,
    CookieAttributes,
    SameSite,
    cookie_value,
    cookie_values,
    delete_cookie,
    domain_matches,
    dump_cookie,
    validate_cookie_domain,
)
from .deny_writer import DenyEntry, DenyOutbox, DenyWriteFailure, DenyWriter, FileOutbox
from .exceptions import (
    ConfigurationError,
    GrantLimitError,
    ResourceError,
)
from .keys import KeyRing, KeySource, PrivateKey, SigningKey
from .policy import Clock, Policy, normalize_prefix, prefix_resource, system_clock
from .revocation import (
    SESSION_COOKIE,
    DenyList,
    SessionSecrets,
    mint_session_cookie,
    new_session_id,
)
from .signing import (
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    HashAlgorithm,
    Signer,
)

__all__ = [
    "ACTIONS_KEY",
    "Actions",
    "CloudFrontCookies",
    "Outcome",
    "Plan",
    "RequestInfo",
    "State",
    "desired_prefixes",
    "grant",
    "host_from_header",
    "merge_prefixes",
    "revoke",
]

logger = logging.getLogger("cfcookies")

#: Where ``grant()``/``revoke()`` leave their calls: a key of the ASGI scope or WSGI environ.
ACTIONS_KEY = "cfcookies.actions"

Seconds = int | timedelta

_STATE_SALT = "cfcookies.state.v1"
_STATE_CACHE_SIZE = 4096
#: Where grant()/revoke() find the middleware that handles the request (its CloudFrontCookies).
MIDDLEWARE_KEY = "cfcookies.middleware"
#: A state payload longer than this is zlib-compressed when that makes it shorter (itsdangerous's
#: own "." format, which the serializer reads back): folders share long common prefixes.
_COMPRESS_ABOVE = 256
#: Bytes kept free under the 4,096 a browser keeps per cookie: the bound of a grant's state
#: cookie is computed with stand-ins for the values only known when it is written.
_STATE_MARGIN = 64
#: How far ahead of this instance's clock a state's grant time may be (instances' clocks differ a
#: little) before the state is treated as written by a clock that is wrong.
_CLOCK_SKEW = 60
#: Stand-ins of realistic length and entropy for the state's bound (see grant_problem).
_SID_STAND_IN = base64_encode(hashlib.sha256(b"cfcookies session id").digest()[:16]).decode()
_BINDING_STAND_IN = base64_encode(hashlib.sha256(b"cfcookies binding").digest()[:16]).decode()


def _seconds(value: Seconds, name: str) -> int:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds != int(seconds):
            raise ConfigurationError(f"{name} must be whole seconds, got {value!r}")
        return int(seconds)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be a timedelta or whole seconds, got {value!r}")
    return value


# Normalising a prefix percent-encodes it character by character: the few prefixes an app grants
# are normalised once, not on every request (only str inputs are cached; others raise as before).
_normalize_cached = functools.lru_cache(maxsize=4096)(normalize_prefix)
_prefix_resource_cached = functools.lru_cache(maxsize=4096)(prefix_resource)
_HOST_NAME = re.compile(r"[a-z0-9.-]+")


def _normalize(prefix: str) -> str:
    return _normalize_cached(prefix) if type(prefix) is str else normalize_prefix(prefix)


def _bindable_ip(value: str | None) -> str | None:
    """``a.b.c.d/32`` for an IPv4 viewer (also written as IPv4-mapped IPv6), else None: CloudFront
    checks ``AWS:SourceIp`` for IPv4 only, so other viewers get unbound policies."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is None:
            return None
        address = mapped
    return f"{address}/32"


def desired_prefixes(answer: Any) -> tuple[str, ...] | Literal[False] | None:
    """What a ``grants`` callable answered, as a tuple (a lone string is one prefix).

    ``False`` (no callable) and ``None`` (nothing granted) pass through unchanged.
    """
    if answer is False or answer is None:
        return answer
    if isinstance(answer, str):
        return (answer,)
    if not isinstance(answer, Iterable):
        raise TypeError(
            f"the grants callable must return prefixes (an iterable of str) or None, got "
            f"{type(answer).__name__}"
        )
    return tuple(answer)


def merge_prefixes(prefixes: Iterable[str]) -> tuple[str, ...]:
    """Normalise prefixes and drop those inside another (``/videos/`` covers ``/videos/a/``)."""
    normalized = sorted({_normalize(p) for p in prefixes})
    merged: list[str] = []
    for prefix in normalized:  # sorted, so a folder comes before anything inside it
        if not any(prefix.startswith(kept) for kept in merged):
            merged.append(prefix)
    return tuple(merged)


# --- imperative calls from views ---------------------------------------------------------------


@dataclass
class Actions:
    """The ``grant``/``revoke`` calls a view made during one request, in order."""

    steps: list[tuple[Literal["grant", "revoke"], tuple[str, ...] | None]] = field(
        default_factory=list
    )
    user_id: str | None = None

    def apply(self, current: Iterable[str], *, grants: bool = True) -> tuple[str, ...]:
        """``current`` after these calls (``grants=False``: after the revocations only)."""
        result = set(current)
        for kind, prefixes in self.steps:
            if kind == "grant" and prefixes and grants:
                result.update(prefixes)
            elif kind == "revoke":
                if prefixes is None:
                    result.clear()
                else:
                    result.difference_update(prefixes)
        return merge_prefixes(result)


def _request_storage(request: object) -> MutableMapping[str, Any]:
    """The per-request mapping behind any supported request object."""
    scope = getattr(request, "scope", None)  # Starlette / FastAPI Request
    if isinstance(scope, MutableMapping):
        return scope
    environ = getattr(request, "environ", None)  # Flask / werkzeug Request
    if isinstance(environ, MutableMapping):
        return environ
    meta = getattr(request, "META", None)  # Django HttpRequest
    if isinstance(meta, MutableMapping):
        return meta
    if isinstance(request, MutableMapping) and ("type" in request or "REQUEST_METHOD" in request):
        return request  # a raw ASGI scope or WSGI environ
    raise TypeError(
        "grant()/revoke() take a Starlette, FastAPI, Flask or Django request, an ASGI scope or "
        f"a WSGI environ; got {type(request).__name__}"
    )


def _cookie_header_of(storage: MutableMapping[str, Any]) -> str | None:
    """The ``Cookie`` header of an ASGI scope, a WSGI environ or Django's ``META``."""
    cookie = storage.get("HTTP_COOKIE")
    if isinstance(cookie, str):
        return cookie
    for name, value in storage.get("headers") or ():
        if name == b"cookie":
            return bytes(value).decode("latin-1")
    return None


def _actions_of(request: object) -> Actions:
    storage = request if isinstance(request, MutableMapping) else _request_storage(request)
    actions = storage.get(ACTIONS_KEY)
    if not isinstance(actions, Actions):
        actions = Actions()
        storage[ACTIONS_KEY] = actions
    return actions


def grant(request: object, *prefixes: str, user_id: str | None = None) -> None:
    """Let this session read every file under ``prefixes`` (e.g. in the login view).

    Prefixes add to what the session already holds. The cookies are set on this response.
    ``user_id`` (with the edge deny-list enabled) lets "revoke this user" reach this session.

    Raises :class:`~cfcookies.exceptions.GrantLimitError`, and grants nothing, when the session
    could not hold the result: more folders than ``max_prefixes``, or cookies over the 4,096
    bytes a browser keeps (checked when the request went through the middleware).
    """
    if not prefixes:
        raise ResourceError("grant() needs at least one prefix, such as '/videos/course-1'")
    normalized = tuple(_normalize(p) for p in prefixes)
    storage = _request_storage(request)
    actions = _actions_of(storage)
    actions.steps.append(("grant", normalized))
    middleware = storage.get(MIDDLEWARE_KEY)
    if isinstance(middleware, CloudFrontCookies):
        try:
            middleware.check_grant(actions, storage, user_id)
        except GrantLimitError:
            actions.steps.pop()
            raise
    if user_id is not None:
        actions.user_id = user_id


def revoke(request: object, *prefixes: str) -> None:
    """Take ``prefixes`` away from this session; with none, take everything (logout)."""
    normalized = tuple(_normalize(p) for p in prefixes) if prefixes else None
    _actions_of(request).steps.append(("revoke", normalized))


# --- the state cookie --------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """What the middleware issued to this browser, as recorded in its state cookie."""

    prefixes: tuple[str, ...]
    expires: int  # DateLessThan of the issued policies
    key_pair_id: str
    hash_algorithm: HashAlgorithm
    domain: str | None
    granted_at: int  # when the session first got cookies; renewals keep it
    session_id: str = ""  # the edge session cookie's id ("" when revocation is off)
    user_id: str = ""
    ip_address: str = ""  # the AWS:SourceIp the policies are bound to ("" when unbound)
    binding: str = ""  # digest of the app's session it was issued to ("" without session_binding)

    def to_payload(self) -> dict[str, object]:
        payload: dict[str, object] = {
            "p": list(self.prefixes),
            "e": self.expires,
            "k": self.key_pair_id,
            "h": self.hash_algorithm,
            "d": self.domain or "",
            "g": self.granted_at,
        }
        if self.session_id:
            payload["s"] = self.session_id
            payload["u"] = self.user_id
        if self.ip_address:
            payload["i"] = self.ip_address
        if self.binding:
            payload["b"] = self.binding
        return payload

    @classmethod
    def from_payload(cls, payload: object) -> State | None:
        if not isinstance(payload, dict):
            return None
        try:
            prefixes = payload["p"]
            expires = payload["e"]
            key_pair_id = payload["k"]
            hash_algorithm = payload["h"]
            domain = payload["d"]
            granted_at = payload["g"]
            session_id = payload.get("s", "")
            user_id = payload.get("u", "")
            ip_address = payload.get("i", "")
            binding = payload.get("b", "")
        except KeyError:
            return None
        if not all(isinstance(v, str) for v in (session_id, user_id, ip_address, binding)):
            return None
        if (
            not isinstance(prefixes, list)
            or not all(isinstance(p, str) for p in prefixes)
            or not isinstance(expires, int)
            or not isinstance(granted_at, int)
            or not isinstance(key_pair_id, str)
            or hash_algorithm not in ("SHA1", "SHA256")
            or not isinstance(domain, str)
        ):
            return None
        try:
            merged = merge_prefixes(prefixes)
        except ResourceError:
            return None
        if list(merged) != prefixes:
            return None
        return cls(
            merged,
            expires,
            key_pair_id,
            hash_algorithm,
            domain or None,
            granted_at,
            session_id,
            user_id,
            ip_address,
            binding,
        )


# --- requests, plans and outcomes --------------------------------------------------------------


class RequestInfo(NamedTuple):
    """What the decision needs to know of a request, read by an adapter (built per request,
    hence a named tuple: the cheapest immutable record)."""

    method: str
    path: str
    host: str | None  # lower case, without the port
    cookie_header: str | None
    client_ip: str | None = None  # what the client_ip option answered (IP binding only)
    binding: str | None = None  # what the session_binding option answered


@dataclass(frozen=True)
class Plan:
    """What a response should do, before any signing: the adapters may sign it off-loop."""

    issue: tuple[str, ...] = ()
    expires: int = 0
    delete: tuple[str, ...] = ()
    delete_hash_cookie: bool = False
    delete_domain: str | None = None
    clear_state: bool = False
    granted_at: int = 0
    policies: tuple[Policy, ...] = ()
    session_id: str = ""
    user_id: str = ""
    ip_address: str = ""
    delete_session_cookie: bool = False
    #: (session id, user id, until) of each session to write into the deny-list at logout
    deny_sessions: tuple[tuple[str, str, int], ...] = ()
    binding: str = ""

    @property
    def changes_anything(self) -> bool:
        return bool(self.issue or self.delete or self.clear_state or self.deny_sessions)


@dataclass(frozen=True)
class Outcome:
    """The ``Set-Cookie`` values to add to the response, and the state now held.

    Its ``repr`` leaves out the ``Set-Cookie`` values: they hold signatures and the state cookie.
    """

    set_cookie: tuple[str, ...] = field(repr=False)
    state: State | None


NO_PLAN = Plan()


class CloudFrontCookies:
    """Configuration and per-request decisions shared by the ASGI and WSGI middlewares.

    Every option is keyword-only and checked here, once; a misconfiguration raises
    :class:`~cfcookies.exceptions.ConfigurationError` saying what to change.
    """

    def __init__(
        self,
        *,
        media_url: str,
        state_secret: str | bytes | Sequence[str | bytes],
        keys: KeyRing | SigningKey | None = None,
        key_pair_id: str | None = None,
        private_key: PrivateKey | KeySource | None = None,
        passphrase: str | bytes | None = None,
        cookie_domain: str | None = None,
        grants: Any = None,
        lifetime: Seconds = timedelta(minutes=30),
        renew_before: Seconds = timedelta(minutes=10),
        granularity: Seconds = timedelta(minutes=5),
        max_session_age: Seconds | None = timedelta(hours=12),
        max_prefixes: int = 20,
        secure: bool = True,
        httponly: bool = True,
        samesite: SameSite | None = "Lax",
        persistent: bool = False,
        hash_algorithm: HashAlgorithm | None = None,
        state_cookie_name: str | None = None,
        keepalive_path: str | None = "/cfcookies/keepalive",
        signature_cache_size: int = 4096,
        clock: Clock = system_clock,
        insecure_allow_http: bool = False,
        session_secrets: SessionSecrets | None = None,
        deny_list: DenyList | None = None,
        deny_outbox: str | os.PathLike[str] | DenyOutbox | None = None,
        on_deny_failure: Callable[[DenyWriteFailure], None] | None = None,
        deny_timeout: float = 5.0,
        deny_wait: float = 1.0,
        session_cookie_name: str = SESSION_COOKIE,
        client_ip: Any = None,
        session_binding: Any = None,
    ) -> None:
        self.media_url, self.media_host = self._check_media_url(media_url, insecure_allow_http)
        self.keys = self._build_keys(keys, key_pair_id, private_key, passphrase)
        self.signer = Signer(
            self.keys, hash_algorithm=hash_algorithm, cache_size=signature_cache_size, clock=clock
        )
        self.hash_algorithm = self.signer.hash_algorithm
        self.clock = clock
        self.grants = grants
        if grants is not None and not callable(grants):
            raise ConfigurationError("grants must be a callable (sync or async) or None")

        self.lifetime = _seconds(lifetime, "lifetime")
        self.renew_before = _seconds(renew_before, "renew_before")
        self.granularity = _seconds(granularity, "granularity")
        self.max_session_age = (
            None if max_session_age is None else _seconds(max_session_age, "max_session_age")
        )
        if not 60 <= self.lifetime <= 7 * 24 * 3600:
            raise ConfigurationError(
                f"lifetime must be between 60 seconds and 7 days, got {self.lifetime} s; "
                f"keep it short and let renewal extend it"
            )
        if not 0 < self.renew_before < self.lifetime:
            raise ConfigurationError(
                f"renew_before ({self.renew_before} s) must be more than 0 and less than "
                f"lifetime ({self.lifetime} s)"
            )
        if not 1 <= self.granularity <= self.lifetime - self.renew_before:
            raise ConfigurationError(
                f"granularity ({self.granularity} s) must be at least 1 s and at most "
                f"lifetime - renew_before ({self.lifetime - self.renew_before} s), or fresh "
                f"cookies would already be due for renewal"
            )
        if (
            isinstance(max_prefixes, bool)
            or not isinstance(max_prefixes, int)
            or not (1 <= max_prefixes <= 50)
        ):
            raise ConfigurationError(
                f"max_prefixes must be 1 to 50 (three to five cookies per prefix; browsers "
                f"keep about {MAX_COOKIES_PER_DOMAIN} per domain), got {max_prefixes!r}"
            )
        self.max_prefixes = max_prefixes
        self.persistent = bool(persistent)
        if session_secrets is not None and not isinstance(session_secrets, SessionSecrets):
            raise ConfigurationError(
                "session_secrets must be a cfcookies.revocation.SessionSecrets"
            )
        if deny_list is not None and session_secrets is None:
            raise ConfigurationError(
                "deny_list needs session_secrets: the edge can only deny sessions that carry the "
                "signed session cookie"
            )
        if deny_list is not None and self.max_session_age is None:
            raise ConfigurationError(
                "deny_list needs max_session_age: a deny-list entry must outlive every renewal "
                "of the session it denies, so sessions need an end (the default is 12 hours)"
            )
        if session_binding is not None and not callable(session_binding):
            raise ConfigurationError(
                "session_binding must be a callable from the request to the app's own session "
                "identifier (or None when there is no session)"
            )
        self.session_binding = session_binding
        self.session_secrets = session_secrets
        if client_ip is not None and not callable(client_ip):
            raise ConfigurationError(
                "client_ip must be a callable from the request to the viewer's IPv4 address"
            )
        self.client_ip = client_ip
        self.deny_list = deny_list
        #: Writes logouts into ``deny_list`` off the request path, retrying from an outbox.
        self.deny_writer: DenyWriter | None = None
        if deny_list is not None:
            outbox: DenyOutbox | None = (
                FileOutbox(deny_outbox)
                if isinstance(deny_outbox, (str, os.PathLike))
                else deny_outbox
            )
            self.deny_writer = DenyWriter(
                deny_list,
                outbox=outbox,
                timeout=deny_timeout,
                on_failure=on_deny_failure,
                clock=clock,
            )
        elif deny_outbox is not None or on_deny_failure is not None:
            raise ConfigurationError("deny_outbox and on_deny_failure need deny_list=")
        if (
            isinstance(deny_wait, bool)
            or not isinstance(deny_wait, (int, float))
            or not (0 <= deny_wait <= 30)
        ):
            raise ConfigurationError(f"deny_wait must be 0 to 30 seconds, got {deny_wait!r}")
        #: How long a logout waits for its deny-list entry to be written (outside the signing
        #: limiter); a store already known to be failing is not waited for.
        self.deny_wait = float(deny_wait)
        self.session_cookie_name = session_cookie_name
        self._check_cookie_budget()

        if cookie_domain is not None:
            domain = validate_cookie_domain(cookie_domain)
            if not domain_matches(self.media_host, domain):
                raise ConfigurationError(
                    f"cookie domain {domain} does not cover media host {self.media_host}; set "
                    f"cookie_domain to a parent of both the app's host and {self.media_host}"
                )
            self.cookie_domain: str | None = domain
        else:
            self.cookie_domain = None
        if secure and self.media_url.startswith("http://") and not insecure_allow_http:
            raise ConfigurationError(
                "secure cookies need an https:// media_url"
            )  # pragma: no cover
        if not secure and not insecure_allow_http:
            raise ConfigurationError(
                "secure=False sends CloudFront cookies over plain HTTP; pass "
                "insecure_allow_http=True if you really mean it (local development only)"
            )
        self.cloudfront_attributes = CookieAttributes(
            domain=self.cookie_domain, secure=secure, httponly=httponly, samesite=samesite
        )
        self.state_attributes = CookieAttributes(
            domain=None, secure=secure, httponly=True, samesite=samesite or "Lax"
        )
        if state_cookie_name is None:
            # __Host-: browsers take it only from this host, Secure, Path=/ and without Domain,
            # so a sibling subdomain cannot toss a state cookie in front of ours.
            state_cookie_name = "__Host-cfcookies" if secure else "cfcookies"
        if not isinstance(state_cookie_name, str) or state_cookie_name.startswith("CloudFront-"):
            raise ConfigurationError(
                "state_cookie_name must be a str not starting with CloudFront-"
            )
        if state_cookie_name.startswith(("__Host-", "__Secure-")) and not secure:
            raise ConfigurationError(
                f"state_cookie_name {state_cookie_name!r} needs secure=True: browsers refuse "
                f"__Host- and __Secure- cookies without Secure"
            )
        dump_cookie(state_cookie_name, "x", path="/", attributes=self.state_attributes)
        self.state_cookie_name = state_cookie_name
        if keepalive_path is not None and (
            not isinstance(keepalive_path, str) or not keepalive_path.startswith("/")
        ):
            raise ConfigurationError(f"keepalive_path must start with /, got {keepalive_path!r}")
        self.keepalive_path = keepalive_path
        self._serializer = URLSafeSerializer(self._check_secrets(state_secret), salt=_STATE_SALT)
        # The state cookie is written as the serializer writes it (compact JSON, base64url,
        # itsdangerous's HMAC with the newest secret's derived key) and read back by the
        # serializer itself; the keyed HMAC is prepared once instead of on every login.
        signer = self._serializer.make_signer()
        self._state_mac = hmac.new(signer.derive_key(), digestmod=signer.digest_method)
        self._binding_mac = hmac.new(
            signer.derive_key() + b"|session-binding", digestmod=hashlib.sha256
        )
        self._state_sep = signer.sep
        self._lines_cache: dict[
            tuple[str, int, str, str, str | None], tuple[tuple[str, ...], str, HashAlgorithm]
        ] = {}
        self._settled: dict[
            tuple[str, str | None, Any, str | None, str | None], tuple[int, str]
        ] = {}
        self._hosts: dict[str, str | None] = {}
        self._state_lines: dict[State, str] = {}
        self._state_cache: OrderedDict[str, State] = OrderedDict()
        self._state_lock = threading.Lock()
        self._grant_checks: dict[tuple[tuple[str, ...], str], str | None] = {}
        self._warned_hosts: set[str] = set()

    # -- configuration checks ----------------------------------------------------------------

    @property
    def cookies_per_folder(self) -> int:
        """The cookies one granted folder may take in the browser: ``CloudFront-Policy``,
        ``-Signature``, ``-Key-Pair-Id``, ``-Hash-Algorithm`` (unless SHA-1 is forced: a
        rotation to an ECDSA key brings it) and the revocation session cookie (when on)."""
        return (
            3
            + (0 if self.signer.hash_algorithm == "SHA1" else 1)
            + (1 if self.session_secrets is not None else 0)
        )

    def _check_cookie_budget(self) -> None:
        """Refuse a ``max_prefixes`` whose cookies a browser would not all keep: beyond about
        150 cookies per domain, Chromium drops the oldest, and a folder that loses one of its
        cookies stops playing with no error anywhere."""
        per_folder = self.cookies_per_folder
        needed = self.max_prefixes * per_folder + 1  # + the state cookie
        if needed > MAX_COOKIES_PER_DOMAIN:
            fits = (MAX_COOKIES_PER_DOMAIN - 1) // per_folder
            raise ConfigurationError(
                f"max_prefixes={self.max_prefixes} can take {needed} cookies ({per_folder} per "
                f"folder and the state cookie); browsers keep about {MAX_COOKIES_PER_DOMAIN} "
                f"per domain and drop the oldest beyond that, breaking the folders that lose "
                f"one. Set max_prefixes to {fits} or less, and grant common parent folders"
            )

    @staticmethod
    def _check_media_url(media_url: str, insecure_allow_http: bool) -> tuple[str, str]:
        if not isinstance(media_url, str):
            raise ConfigurationError("media_url must be a str like https://media.example.com")
        parts = urlsplit(media_url.strip())
        if parts.scheme != "https" and not (parts.scheme == "http" and insecure_allow_http):
            raise ConfigurationError(
                f"media_url must start with https:// (CloudFront cookies are Secure), got "
                f"{media_url!r}; pass insecure_allow_http=True for local http development"
            )
        if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ConfigurationError(
                f"media_url must be the distribution's origin only, like "
                f"https://media.example.com, got {media_url!r}; grant paths with prefixes"
            )
        try:
            prefix_resource(media_url, "/")
        except ResourceError as exc:
            raise ConfigurationError(f"media_url: {exc}") from None
        return media_url.strip().rstrip("/"), parts.hostname.lower()

    @staticmethod
    def _build_keys(
        keys: KeyRing | SigningKey | None,
        key_pair_id: str | None,
        private_key: PrivateKey | KeySource | None,
        passphrase: str | bytes | None,
    ) -> KeyRing:
        if keys is not None:
            if key_pair_id is not None or private_key is not None:
                raise ConfigurationError("pass keys= or key_pair_id= with private_key=, not both")
            return keys if isinstance(keys, KeyRing) else KeyRing(keys)
        if key_pair_id is None or private_key is None:
            raise ConfigurationError(
                "pass key_pair_id= (the CloudFront public key ID) and private_key= (a path, "
                "PEM or a loaded key), or keys=KeyRing(...)"
            )
        return KeyRing.from_key(key_pair_id, private_key, passphrase=passphrase)

    @staticmethod
    def _check_secrets(secret: str | bytes | Sequence[str | bytes]) -> list[bytes]:
        secrets: list[str | bytes] = (
            [secret] if isinstance(secret, (str, bytes)) else list(secret or [])
        )
        if not secrets:
            raise ConfigurationError("state_secret is required (32+ random bytes)")
        out: list[bytes] = []
        for item in secrets:
            value = item.encode() if isinstance(item, str) else item
            if not isinstance(value, bytes) or len(value) < 32:
                raise ConfigurationError(
                    "each state_secret must be at least 32 bytes; generate one with "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
            out.append(value)
        # itsdangerous signs with the last key and accepts all: the caller lists newest first.
        return list(reversed(out))

    def __repr__(self) -> str:
        return (
            f"CloudFrontCookies(media_url={self.media_url!r}, cookie_domain={self.cookie_domain!r},"
            f" keys={self.keys!r}, lifetime={self.lifetime})"
        )

    # -- the state cookie --------------------------------------------------------------------

    def read_state(self, cookie_header: str | bytes | None) -> tuple[State | None, bool]:
        """The issued state from a ``Cookie`` header, and whether a state cookie was present.

        A forged, stale or malformed state cookie reads as no state. When the header holds
        several cookies of that name (one tossed in by a sibling subdomain, say), the first
        authentic one is taken. Verification is cached by value: a request that needs no new
        cookies costs a dictionary lookup.
        """
        raw = cookie_value(cookie_header, self.state_cookie_name)
        if raw is None:
            return None, False
        state = self._load_state(raw)
        if state is None:
            for other in cookie_values(cookie_header, self.state_cookie_name)[1:]:
                state = self._load_state(other)
                if state is not None:
                    break
        return state, True

    def read_states(self, cookie_header: str | bytes | None) -> list[State]:
        """Every authentic state in a ``Cookie`` header (logout deletes what each one issued)."""
        states: list[State] = []
        for raw in cookie_values(cookie_header, self.state_cookie_name):
            state = self._load_state(raw)
            if state is not None and state not in states:
                states.append(state)
        return states

    def _load_state(self, raw: str) -> State | None:
        if len(raw) > MAX_COOKIE_BYTES:  # longer than any state cookie dump_state can write
            return None
        with self._state_lock:
            state = self._state_cache.get(raw)
            if state is not None:
                self._state_cache.move_to_end(raw)
                return state
        try:
            state = State.from_payload(self._serializer.loads(raw))
        except (BadData, ValueError, TypeError, RecursionError):
            state = None
        if state is not None:
            # Only authentic states are cached: forged values must neither hold memory nor
            # evict the states of real sessions.
            with self._state_lock:
                self._state_cache[raw] = state
                if len(self._state_cache) > _STATE_CACHE_SIZE:
                    self._state_cache.popitem(last=False)
        return state

    def binding_digest(self, value: str | None) -> str:
        """What the state cookie records of the app's session identifier ``value``: a keyed
        digest, so the identifier itself never travels in a second cookie."""
        if value is None:
            return ""
        mac = self._binding_mac.copy()
        mac.update(str(value).encode("utf-8", "surrogatepass"))
        return base64_encode(mac.digest()[:16]).decode("ascii")

    def dump_state(self, state: State) -> str:
        """The state cookie's ``Set-Cookie`` line. Logins into the same folders in the same
        second (a login storm) share one state, so the last few lines are kept."""
        if self.persistent:
            return self._dump_state(state)
        with self._state_lock:
            line = self._state_lines.get(state)
        if line is None:
            line = self._dump_state(state)
            with self._state_lock:
                if len(self._state_lines) >= 64:
                    self._state_lines.clear()
                self._state_lines[state] = line
        return line

    def _state_value(self, state: State) -> str:
        """The state cookie's value, in the serializer's own format: compact JSON, base64url,
        signed. Its zlib step (a leading ``.``) is taken only for a long payload it shortens:
        on a few dozen bytes it buys nothing and costs more than the HMAC."""
        data = json.dumps(state.to_payload(), separators=(",", ":")).encode()
        payload = base64_encode(data)
        if len(data) > _COMPRESS_ABOVE:
            compressed = zlib.compress(data)
            if len(compressed) < len(data) - 1:
                payload = b"." + base64_encode(compressed)
        mac = self._state_mac.copy()
        mac.update(payload)
        return (payload + self._state_sep + base64_encode(mac.digest())).decode("ascii")

    def _dump_state(self, state: State) -> str:
        value = self._state_value(state)
        max_age = self._cookie_max_age(state.expires) if self.persistent else None
        return dump_cookie(
            self.state_cookie_name,
            value,
            path="/",
            attributes=self.state_attributes,
            max_age=max_age,
        )

    # -- what a session can hold --------------------------------------------------------------

    def grant_problem(self, prefixes: tuple[str, ...], user_id: str = "") -> str | None:
        """Why a session could not hold ``prefixes`` (merged, normalised), or None.

        Too many folders for ``max_prefixes``, a folder whose ``CloudFront-Policy`` cookie, or a
        state cookie, over the 4,096 bytes a browser keeps. The state is measured as it would
        be written, with stand-ins of full length for what is only known then (the session
        ID, the key pair ID, the bound address, the expiry), less a small margin.
        """
        key = (prefixes, user_id)
        with self._state_lock:
            if key in self._grant_checks:
                return self._grant_checks[key]
        problem = self._grant_problem(prefixes, user_id)
        with self._state_lock:
            if len(self._grant_checks) >= _STATE_CACHE_SIZE:
                self._grant_checks.clear()
            self._grant_checks[key] = problem
        return problem

    def _grant_problem(self, prefixes: tuple[str, ...], user_id: str) -> str | None:
        if len(prefixes) > self.max_prefixes:
            return (
                f"{len(prefixes)} folders granted to one session; max_prefixes="
                f"{self.max_prefixes} fit in the browser's cookie jar. Grant a common parent "
                f"folder instead"
            )
        for prefix in prefixes:
            size = self._policy_cookie_bytes(prefix)
            if size > MAX_COOKIE_BYTES:
                return (
                    f"the CloudFront-Policy cookie for the folder {prefix[:80]!r} would be {size} "
                    f"bytes; browsers keep {MAX_COOKIE_BYTES}. Grant a shorter folder"
                )
        stand_in = State(
            prefixes,
            9_999_999_999,
            "K" * max(32, len(self.keys.active().key_pair_id)),
            "SHA256",
            self.cookie_domain,
            9_999_999_999,
            _SID_STAND_IN if self.session_secrets is not None else "",
            user_id,
            "255.255.255.255/32" if self.client_ip is not None else "",
            _BINDING_STAND_IN if self.session_binding is not None else "",
        )
        size = (
            len(self.state_cookie_name)
            + 1
            + len(self._state_value(stand_in))
            + len("; " + self.state_attributes.suffix("/"))
            + (len("; Max-Age=9999999999") if self.persistent else 0)
        )
        if size > MAX_COOKIE_BYTES - _STATE_MARGIN:
            return (
                f"the session's state cookie would be about {size} bytes for "
                f"{len(prefixes)} folders ({sum(map(len, prefixes))} characters); browsers keep "
                f"{MAX_COOKIE_BYTES}. Grant fewer or shorter folders (a common parent folder)"
            )
        return None

    def _policy_cookie_bytes(self, prefix: str) -> int:
        """The longest ``Set-Cookie`` line of the ``CloudFront-Policy`` cookie for ``prefix``."""
        ip = "255.255.255.255/32" if self.client_ip is not None else None
        policy = Policy(_prefix_resource_cached(self.media_url, prefix), 9_999_999_999, None, ip)
        value_length = -(-len(policy.to_json()) // 3) * 4
        return (
            len(COOKIE_POLICY)
            + 1
            + value_length
            + len("; " + self.cloudfront_attributes.suffix(prefix))
            + (len("; Max-Age=9999999999") if self.persistent else 0)
        )

    def check_grant(
        self, actions: Actions, storage: MutableMapping[str, Any], user_id: str | None
    ) -> None:
        """Raise :class:`GrantLimitError` when what ``actions`` grant, on top of what the
        request's session holds, could not be held (see :meth:`grant_problem`). Called by
        :func:`grant` in the view, while the request goes through the middleware."""
        state, _ = self.read_state(_cookie_header_of(storage))
        current = state.prefixes if state is not None else ()
        wanted = actions.apply(current)
        if user_id is None:
            user_id = actions.user_id or (state.user_id if state is not None else "")
        problem = self.grant_problem(wanted, user_id)
        if problem is not None:
            raise GrantLimitError(problem)

    # -- deciding ----------------------------------------------------------------------------

    def host_allowed(self, host: str | None) -> bool:
        """Whether cookies set on a response for ``host`` can reach the media host."""
        if host is None:
            return False
        host = host.lower()
        if self.cookie_domain is not None:
            if domain_matches(host, self.cookie_domain):
                return True
            fix = f"cookie_domain={self.cookie_domain} does not cover the app host {host}"
        else:
            if host == self.media_host:
                return True
            fix = (
                f"the app host {host} differs from the media host {self.media_host}; set "
                f"cookie_domain to their common parent"
            )
        if host not in self._warned_hosts and len(self._warned_hosts) < 64:
            self._warned_hosts.add(host)
            logger.warning("cfcookies: not issuing CloudFront cookies: %s", fix)
        return False

    def now(self) -> int:
        if self.clock is system_clock:  # the same clock and the same floor, without a datetime
            return time.time_ns() // 1_000_000_000
        return int(self.clock().timestamp())

    def expiry_for(self, now: int) -> int:
        """Now plus the lifetime, rounded up so that sessions share policies and signatures."""
        target = now + self.lifetime
        return -(-target // self.granularity) * self.granularity

    def plan(
        self,
        request: RequestInfo,
        *,
        desired: Iterable[str] | Literal[False] | None = False,
        actions: Actions | None = None,
    ) -> Plan:
        """Decide what this response does. ``desired=False`` means no ``grants`` callable.

        ``desired`` is what the ``grants`` callable returned (an iterable of prefixes, or None
        for none); ``actions`` the view's ``grant``/``revoke`` calls.
        """
        state, had_cookie = self.read_state(request.cookie_header)
        now = self.now()
        current = state.prefixes if state else ()
        binding = self.binding_digest(request.binding) if self.session_binding is not None else ""
        # A state issued to another of the app's sessions (the app's session ended or changed)
        # is worth nothing: its grants are not renewed, and its session starts over.
        foreign = (
            state is not None and self.session_binding is not None and state.binding != binding
        )
        imperative_only = desired is False
        if imperative_only:
            wanted: tuple[str, ...] = current
            if state is not None and (foreign or self._session_too_old(state, now)):
                wanted = ()
        else:
            wanted = merge_prefixes(desired_prefixes(desired) or ())
        if actions is not None and actions.steps:
            wanted = actions.apply(wanted)
        if self.session_binding is not None and request.binding is None:
            wanted = ()  # no session of the app's own: nothing to vouch for (fail closed)
        if wanted and (wanted != current or len(wanted) > self.max_prefixes):
            wanted = self._refuse_beyond_limits(wanted, state, actions, imperative_only)
        if not self.host_allowed(request.host):
            return NO_PLAN
        if not wanted:
            if state is None:
                return Plan(clear_state=had_cookie)
            return self._ending_plan(request, state, now)

        active = self.keys.active()
        # The app vouches for the session when its grants callable answers, or when the view
        # granted in this very request; a bare state cookie does not.
        vouched = not imperative_only or (
            actions is not None and any(kind == "grant" for kind, _ in actions.steps)
        )
        bound = _bindable_ip(request.client_ip) if self.client_ip is not None else None
        if self.client_ip is not None and state is not None and not foreign and not vouched:
            # A state cookie replayed from another address renews for the address it was
            # issued to, never for the new one.
            bound = state.ip_address or None
        fresh = state is None or not current or foreign or self._past_max_age(state, now)
        needs_issue = (
            state is None
            or fresh
            or (state.ip_address or None) != bound
            or wanted != current
            or state.expires - now < self.renew_before
            or self._from_a_wrong_clock(state, now)
            or state.key_pair_id != active.key_pair_id
            or state.hash_algorithm != self.signer.hash_algorithm_for(active)
            or state.domain != self.cookie_domain
            or state.binding != binding
        )
        if not needs_issue:
            if state is not None and (actions is None or not actions.steps):
                self._remember_settled(request, state, now, desired)
            return NO_PLAN
        expires = self.expiry_for(now)
        stale = tuple(p for p in current if p not in wanted) if state else ()
        if state is not None and state.domain != self.cookie_domain:
            stale = current  # the old cookies live under another Domain: remove them all
        # (a grant time in the future came from a clock that is wrong: the session starts now)
        granted_at = now if fresh or state is None else min(state.granted_at, now)
        policies = tuple(
            Policy(_prefix_resource_cached(self.media_url, prefix), expires, None, bound)
            for prefix in wanted
        )
        session_id = user_id = ""
        deny: tuple[tuple[str, str, int], ...] = ()
        if self.session_secrets is not None:
            if state is not None and not fresh:
                session_id, user_id = state.session_id or new_session_id(), state.user_id
            else:
                session_id = new_session_id()
            if actions is not None and actions.user_id is not None:
                user_id = actions.user_id
            if state is not None and foreign:
                deny = self._denials([state], now)
        return Plan(
            issue=wanted,
            expires=expires,
            delete=stale,
            delete_hash_cookie=state is not None and state.hash_algorithm == "SHA256",
            delete_domain=state.domain if state is not None else None,
            granted_at=granted_at,
            policies=policies,
            session_id=session_id,
            user_id=user_id,
            ip_address=bound or "",
            delete_session_cookie=state is not None and bool(state.session_id),
            deny_sessions=deny,
            binding=binding,
        )

    def _refuse_beyond_limits(
        self,
        wanted: tuple[str, ...],
        state: State | None,
        actions: Actions | None,
        imperative_only: bool,
    ) -> tuple[str, ...]:
        """What to issue when ``wanted`` is more than a session can hold (see
        :meth:`grant_problem`): never part of it, never an error on every later request.

        ``grant()`` already refused such a grant in the view; what reaches here came from the
        ``grants`` callable (nothing is issued: the app's answer cannot be honoured, and what
        the session held is removed) or from a session issued under larger limits (removed).
        Without ``grants``, the view's revocations still apply to what the session held.
        """
        user_id = (actions.user_id if actions is not None else None) or (
            state.user_id if state is not None else ""
        )
        problem = self.grant_problem(wanted, user_id)
        if problem is None:
            return wanted
        fallback: tuple[str, ...] = ()
        if imperative_only and state is not None:
            fallback = actions.apply(state.prefixes, grants=False) if actions else state.prefixes
            if fallback and self.grant_problem(fallback, user_id) is not None:
                fallback = ()
        logger.error(
            "cfcookies: grant refused: %s; %s",
            problem,
            "the session keeps what it held" if fallback else "no CloudFront cookies are issued",
            extra={
                "event": "cfcookies.grant.refused",
                "prefixes": len(wanted),
                "session_id": state.session_id if state is not None else "",
                "user_id": user_id,
            },
        )
        return fallback

    def _from_a_wrong_clock(self, state: State, now: int) -> bool:
        """Whether ``state`` lies beyond what this instance could have written now: an expiry
        past the configured lifetime, or a grant time in the future (an instance whose clock is
        ahead). Such a state is reissued within the limits, and logged."""
        wrong = (
            state.expires > now + self.lifetime + self.granularity + _CLOCK_SKEW
            or state.granted_at > now + _CLOCK_SKEW
        )
        if wrong:
            logger.warning(
                "cfcookies: a state cookie expiring at %d, granted at %d, lies beyond what this "
                "instance (clock at %d, lifetime %d s) would issue; reissuing it within the "
                "limits. Check the clocks of the app's instances",
                state.expires,
                state.granted_at,
                now,
                self.lifetime,
                extra={
                    "event": "cfcookies.state.wrong_clock",
                    "expires": state.expires,
                    "granted_at": state.granted_at,
                    "now": now,
                    "session_id": state.session_id,
                },
            )
        return wrong

    def _ending_plan(self, request: RequestInfo, state: State, now: int) -> Plan:
        """Logout: delete what every authentic state in the request issued (a cookie tossed in
        by a sibling subdomain must not hide the real one) and deny their sessions."""
        states = self.read_states(request.cookie_header)
        if state not in states:  # (read_state took it from the same header: a guard only)
            states.insert(0, state)
        delete = tuple(dict.fromkeys(p for s in states for p in s.prefixes))
        return Plan(
            delete=delete,
            delete_hash_cookie=any(s.hash_algorithm == "SHA256" for s in states),
            delete_domain=state.domain,
            clear_state=True,
            delete_session_cookie=any(s.session_id for s in states),
            deny_sessions=self._denials(states, now),
        )

    @property
    def revocation_horizon(self) -> int:
        """Seconds from a session's start after which nothing of it can be renewed or used:
        ``max_session_age`` + ``lifetime`` + ``granularity`` (a deny entry lives that long)."""
        return (self.max_session_age or 0) + self.lifetime + self.granularity

    def _denials(self, states: Sequence[State], now: int) -> tuple[tuple[str, str, int], ...]:
        if self.deny_list is None:
            return ()
        out = []
        for state in states:
            until = state.granted_at + self.revocation_horizon
            if state.session_id and until > now:
                out.append((state.session_id, state.user_id, until))
        return tuple(out)

    def _session_too_old(self, state: State, now: int) -> bool:
        if self._past_max_age(state, now):
            return True
        # An expired state cannot be renewed without the app saying so again: this bounds
        # what a replayed state cookie is worth to what the cookies it names were worth.
        return state.expires <= now

    def _past_max_age(self, state: State, now: int) -> bool:
        return self.max_session_age is not None and now - state.granted_at > self.max_session_age

    def needs_signing(self, plan: Plan) -> bool:
        """Whether rendering ``plan`` computes a signature: the ASGI adapter then renders it in
        a worker thread (of its signing limiter), off the event loop.

        Rendering does no I/O: the logouts of a plan go to the deny-list through
        :meth:`record_logouts`, which the adapters call outside the signing limiter.
        """
        return any(self.signer.cached_signature(p.to_json()) is None for p in plan.policies)

    def render(self, plan: Plan) -> Outcome:
        """Sign (or take from the cache) and format the ``Set-Cookie`` values of ``plan``.

        Pure computation; the plan's logouts are recorded by :meth:`record_logouts`."""
        headers: list[str] = []
        old_attributes = self.cloudfront_attributes
        if plan.delete_domain != self.cookie_domain and (
            plan.delete or plan.delete_hash_cookie or plan.delete_session_cookie
        ):
            # cookies set under a former cookie_domain are deleted under that domain
            old_attributes = CookieAttributes(
                domain=plan.delete_domain,
                secure=old_attributes.secure,
                httponly=old_attributes.httponly,
                samesite=old_attributes.samesite,
            )
        for prefix in plan.delete:
            names = [COOKIE_POLICY, COOKIE_SIGNATURE, COOKIE_KEY_PAIR_ID]
            if plan.delete_hash_cookie:
                names.append(COOKIE_HASH_ALGORITHM)
            if plan.delete_session_cookie:
                names.append(self.session_cookie_name)
            headers.extend(delete_cookie(n, path=prefix, attributes=old_attributes) for n in names)
        state: State | None = None
        if plan.issue:
            max_age = self._cookie_max_age(plan.expires) if self.persistent else None
            key_pair_id = ""
            hash_algorithm: HashAlgorithm = "SHA1"
            for prefix, policy in zip(plan.issue, plan.policies, strict=True):
                key_pair_id, hash_algorithm, lines, policy_value = self._policy_cookies(
                    prefix, policy, max_age
                )
                headers.extend(lines)
                # The marker follows the key that signed this very set (a rotation between an
                # RSA and an ECDSA key changes it): a stale SHA256 marker would void SHA-1 cookies.
                if plan.delete_hash_cookie and hash_algorithm != "SHA256":
                    headers.append(
                        delete_cookie(COOKIE_HASH_ALGORITHM, path=prefix, attributes=old_attributes)
                    )
                if self.session_secrets is not None:
                    # one session cookie per path, bound to the policy it goes with
                    session_value = mint_session_cookie(
                        session_id=plan.session_id,
                        user_id=plan.user_id or None,
                        expires=plan.expires,
                        issued_at=plan.granted_at,
                        policy=policy_value,
                        secrets=self.session_secrets,
                        clock=self.clock,
                    )
                    headers.append(
                        dump_cookie(
                            self.session_cookie_name,
                            session_value,
                            path=prefix,
                            attributes=self.cloudfront_attributes,
                            max_age=max_age,
                        )
                    )
                elif plan.delete_session_cookie:
                    headers.append(
                        delete_cookie(
                            self.session_cookie_name, path=prefix, attributes=old_attributes
                        )
                    )
            state = State(
                plan.issue,
                plan.expires,
                key_pair_id,
                hash_algorithm,
                self.cookie_domain,
                plan.granted_at,
                plan.session_id,
                plan.user_id,
                plan.ip_address,
                plan.binding,
            )
            headers.append(self.dump_state(state))
        elif plan.clear_state:
            headers.append(
                delete_cookie(self.state_cookie_name, path="/", attributes=self.state_attributes)
            )
        return Outcome(tuple(headers), state)

    def _policy_cookies(
        self, prefix: str, policy: Policy, max_age: int | None
    ) -> tuple[str, HashAlgorithm, tuple[str, ...], str]:
        """The key pair ID and hash that signed, the ``Set-Cookie`` lines granting ``policy`` on
        ``prefix`` and the ``CloudFront-Policy`` value (which the revocation session cookie is
        bound to).

        Sessions granted the same prefix in the same expiry window get the very same lines, so
        they are kept (for session cookies, which carry no per-response ``Max-Age``) beside the
        signature cache: a login whose policy is already signed formats nothing again.
        """
        active = self.keys.active()
        cache_key = (
            prefix,
            policy.date_less_than,
            active.fingerprint,
            active.key_pair_id,
            policy.ip_address,
        )
        if max_age is None:
            with self._state_lock:
                cached = self._lines_cache.get(cache_key)
                if cached is not None:
                    self.signer.hits += 1  # a signature reused, as a signature cache hit
            if cached is not None:
                return active.key_pair_id, cached[2], cached[0], cached[1]
        signed = self.signer.sign_policy(policy)
        lines = tuple(
            dump_cookie(
                name, value, path=prefix, attributes=self.cloudfront_attributes, max_age=max_age
            )
            for name, value in signed.cookies().items()
        )
        if max_age is None and signed.key_pair_id == active.key_pair_id:
            with self._state_lock:
                if len(self._lines_cache) >= self.signer.cache_size:
                    self._lines_cache.clear()
                if self.signer.cache_size:
                    self._lines_cache[cache_key] = (lines, signed.policy_b64, signed.hash_algorithm)
        return signed.key_pair_id, signed.hash_algorithm, lines, signed.policy_b64

    def record_logouts(self, plan: Plan) -> None:
        """Record the logouts of ``plan`` for the deny-list, then wait up to ``deny_wait`` for
        the deny-list to have them (not at all while its store is known to be failing).

        The entries go to the deny-list writer's outbox (a file write with a file outbox) and
        are written by its own thread, retried until written or lapsed, so a slow or failing
        store never holds or fails the logout. The adapters call this after :meth:`render`, on
        a thread of their own and never inside the signing limiter.
        """
        if not plan.deny_sessions or self.deny_writer is None:
            return
        entries = [DenyEntry(*denial) for denial in plan.deny_sessions]
        self.deny_writer.submit(entries)
        if self.deny_wait > 0:
            self.deny_writer.settle(self.deny_wait, entries)

    def close(self) -> None:
        """Stop the deny-list writer's thread (entries not yet written stay in a file outbox
        for the next start). Call at shutdown."""
        if self.deny_writer is not None:
            self.deny_writer.close()

    def revoke_session(self, session_id: str) -> None:
        """Deny one session at the edge now, for as long as it could still be renewed or used
        (:attr:`revocation_horizon` from now)."""
        until = self.now() + self.revocation_horizon
        self._require_deny_list().revoke_session(session_id, until=until)

    def revoke_user(self, user_id: str) -> None:
        """Deny every session of ``user_id`` that began until now ("sign out everywhere"),
        renewals included: renewed session cookies keep the time their session began."""
        until = self.now() + self.revocation_horizon
        self._require_deny_list().revoke_user(user_id, until=until)

    def session_of(self, cookie_header: str | bytes | None) -> State | None:
        """The state (session ID, user ID, prefixes, expiry) of the browser sending this header."""
        return self.read_state(cookie_header)[0]

    def _require_deny_list(self) -> DenyList:
        if self.deny_list is None:
            raise ConfigurationError("revoking at the edge needs deny_list= and session_secrets=")
        return self.deny_list

    def _cookie_max_age(self, expires: int) -> int:
        return max(0, expires - self.now())

    def decide(
        self, request: RequestInfo, *, grants_arg: Any, storage: MutableMapping[str, Any]
    ) -> Outcome | None:
        """The whole per-response decision for the synchronous adapters (WSGI, Flask, Django).

        ``grants_arg`` is what the ``grants`` callable receives (the environ, Flask's or
        Django's request); ``storage`` is where ``grant()``/``revoke()`` left their calls.
        Returns None when the response needs no ``Set-Cookie``.
        """
        desired: Any = desired_prefixes(self.grants(grants_arg)) if self.grants else False
        if self.client_ip is not None:
            request = request._replace(client_ip=self.client_ip(grants_arg))
        if self.session_binding is not None:
            request = request._replace(binding=self.session_binding(grants_arg))
        actions = storage.get(ACTIONS_KEY)
        if not isinstance(actions, Actions):
            if self.settled(request, desired):
                return None
            actions = None
        plan = self.plan(request, desired=desired, actions=actions)
        if not plan.changes_anything:
            return None
        outcome = self.render(plan)
        self.record_logouts(plan)
        return outcome

    # -- the steady state, from a cache -------------------------------------------------------

    def _remember_settled(self, request: RequestInfo, state: State, now: int, desired: Any) -> None:
        """Record that this browser's state needs nothing until its renewal time."""
        raw = cookie_value(request.cookie_header, self.state_cookie_name)
        if raw is None or request.host is None or self._load_state(raw) != state:
            return  # (the first state cookie sent is not the authentic one: nothing to cache)
        until = state.expires - self.renew_before
        if self.max_session_age is not None:
            until = min(until, state.granted_at + self.max_session_age + 1)
        if until <= now:
            return
        desired_key = None if desired is False else desired
        if len(self._settled) >= _STATE_CACHE_SIZE:
            self._settled.clear()
        self._settled[(raw, request.host, desired_key, request.client_ip, request.binding)] = (
            until,
            state.key_pair_id,
        )

    def settled(self, request: RequestInfo, desired: Any = False) -> bool:
        """True when this request certainly changes nothing: a cached, cheap form of
        :meth:`plan` returning no change, for a browser whose state was already judged fresh
        (same state cookie, same host, same ``grants`` answer, same signing key, not yet due
        for renewal). False means only "ask :meth:`plan`"."""
        if desired is None:
            return False
        raw = cookie_value(request.cookie_header, self.state_cookie_name)
        if raw is None:
            return False
        try:
            entry = self._settled.get(
                (
                    raw,
                    request.host,
                    None if desired is False else desired,
                    request.client_ip,
                    request.binding,
                )
            )
        except TypeError:  # an unhashable answer from the grants callable
            return False
        return (
            entry is not None
            and self.now() < entry[0]
            and entry[1] == self.keys.active().key_pair_id
        )

    def host(self, value: str | None) -> str | None:
        """:func:`host_from_header`, remembered for the few hosts an app is reached by."""
        if value is None:
            return None
        try:
            return self._hosts[value]
        except KeyError:
            host = host_from_header(value)
            if len(self._hosts) < 256:
                self._hosts[value] = host
            return host

    def is_keepalive(self, request: RequestInfo) -> bool:
        return (
            self.keepalive_path is not None
            and request.path == self.keepalive_path
            and request.method in ("GET", "POST", "HEAD")
        )

    def keepalive_response(
        self, request: RequestInfo, outcome: Outcome | None
    ) -> tuple[int, list[tuple[str, str]]]:
        """Status and headers of the keep-alive endpoint: 204 with fresh cookies, or 401."""
        state = outcome.state if outcome is not None else None
        if outcome is None:
            state, _ = self.read_state(request.cookie_header)
            if state is not None and state.expires <= self.now():
                state = None
        headers = [("Cache-Control", "no-store")]
        if outcome is not None:
            headers.extend(("Set-Cookie", value) for value in outcome.set_cookie)
        if state is None:
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
            return 401, headers
        headers.append(("X-CFCookies-Expires", str(state.expires)))
        return 204, headers


def host_from_header(value: str | None) -> str | None:
    """The host name of a ``Host`` header, lower case, without port; None if it is not one."""
    if not value or len(value) > 255:
        return None
    host = value.strip().lower()
    if host.startswith("["):  # IPv6 literal
        end = host.find("]")
        return host[: end + 1] if end > 0 else None
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    host = host.rstrip(".")
    if not _HOST_NAME.fullmatch(host):  # ASCII letters (lower case here), digits, '-' and '.'
        return None
    return host
