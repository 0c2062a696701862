"""The protocol-neutral decision: which CloudFront cookies a response adds, renews or deletes.

:class:`CloudFrontCookies` holds the validated configuration (built once, at start-up). Per
request it reads what was issued from the middleware's own state cookie (:mod:`cfcookies.state`),
learns what should be issued now (from the app's ``grants`` callable and/or the
``grant()``/``revoke()`` calls the view made, :mod:`cfcookies.grants`), decides a :class:`Plan`
and renders it into the ``Set-Cookie`` header values that make the browser match.

:meth:`~CloudFrontCookies.plan` and :meth:`~CloudFrontCookies.render` do no I/O. What a plan
needs besides (the app's answers, signing off the event loop, the deny-list write of a logout)
is carried out in one place, :meth:`~CloudFrontCookies.respond` and its async twin, which every
adapter calls; the steady-state shortcut, :meth:`~CloudFrontCookies.quiet`, lives here too.
"""

from __future__ import annotations

import inspect
import ipaddress
import logging
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from .config import (
    Seconds,
    build_keys,
    check_callable,
    check_cookie_budget,
    check_deny_wait,
    check_keepalive_path,
    check_max_prefixes,
    check_media_url,
    check_revocation,
    check_secrets,
    check_state_cookie_name,
    check_times,
    seconds,
)
from .cookies import (
    CookieAttributes,
    SameSite,
    cookie_value,
    cookie_values,
    delete_cookie,
    domain_matches,
    dump_cookie,
    validate_cookie_domain,
)
from .exceptions import ConfigurationError, GrantLimitError
from .grants import (
    ACTIONS_KEY,
    MIDDLEWARE_KEY,
    Actions,
    cookie_header_of,
    desired_prefixes,
    grant,
    merge_prefixes,
    recorded_actions,
    revoke,
)
from .keys import KeyRing, KeySource, PrivateKey, SigningKey
from .limits import SessionLimits, stand_in_state
from .policy import Clock, Policy, prefix_resource, system_clock
from .revocation import (
    SESSION_COOKIE,
    DenyEntry,
    DenyList,
    DenyOutbox,
    DenyWriteFailure,
    DenyWriter,
    FileOutbox,
    SessionSecrets,
    mint_session_cookie,
)
from .revocation import new_session_id as new_session_id
from .signing import (
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    HashAlgorithm,
    Signer,
)
from .state import State, StateCodec

if TYPE_CHECKING:
    import anyio

__all__ = [
    "ACTIONS_KEY",
    "MIDDLEWARE_KEY",
    "Actions",
    "CloudFrontCookies",
    "Outcome",
    "Plan",
    "RequestInfo",
    "State",
    "grant",
    "host_from_header",
    "revoke",
]

logger = logging.getLogger("cfcookies")

#: How far ahead of this instance's clock a state's grant time may be (instances' clocks differ a
#: little) before the state is treated as written by a clock that is wrong.
_CLOCK_SKEW = 60
_HOST_NAME = re.compile(r"[a-z0-9.-]+")

#: Names that moved to their own modules: still importable from here, with a warning.
_MOVED = {"merge_prefixes": "cfcookies.grants", "desired_prefixes": "cfcookies.grants"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        warnings.warn(
            f"cfcookies.session.{name} moved to {_MOVED[name]}.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return {"merge_prefixes": merge_prefixes, "desired_prefixes": desired_prefixes}[name]
    raise AttributeError(f"module 'cfcookies.session' has no attribute {name!r}")


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


class _Wanted(NamedTuple):
    """What a response should leave the session holding, and why."""

    prefixes: tuple[str, ...]
    foreign: bool  # the state was issued to another of the app's sessions
    vouched: bool  # the app answered for the session in this very request
    binding: str


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
        grants: Callable[[Any], Any] | None = None,
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
        client_ip: Callable[[Any], Any] | None = None,
        session_binding: Callable[[Any], Any] | None = None,
    ) -> None:
        self.media_url, self.media_host = check_media_url(media_url, insecure_allow_http)
        self.keys = build_keys(keys, key_pair_id, private_key, passphrase)
        self.signer = Signer(
            self.keys, hash_algorithm=hash_algorithm, cache_size=signature_cache_size, clock=clock
        )
        self.hash_algorithm = self.signer.hash_algorithm
        self.clock = clock
        check_callable(grants, "grants", "a callable (sync or async) or None")
        check_callable(
            session_binding,
            "session_binding",
            "a callable from the request to the app's own session identifier (or None when "
            "there is no session)",
        )
        check_callable(client_ip, "client_ip", "a callable from the request to the viewer's IPv4")
        self.grants, self.session_binding, self.client_ip = grants, session_binding, client_ip
        self.lifetime = seconds(lifetime, "lifetime")
        self.renew_before = seconds(renew_before, "renew_before")
        self.granularity = seconds(granularity, "granularity")
        self.max_session_age = (
            None if max_session_age is None else seconds(max_session_age, "max_session_age")
        )
        check_times(self.lifetime, self.renew_before, self.granularity)
        self.max_prefixes = check_max_prefixes(max_prefixes)
        self.persistent = bool(persistent)
        check_revocation(session_secrets, deny_list, self.max_session_age)
        self.session_secrets, self.deny_list = session_secrets, deny_list
        #: Writes logouts into ``deny_list`` off the request path, retrying from an outbox.
        self.deny_writer = self._deny_writer(deny_outbox, on_deny_failure, deny_timeout)
        #: How long a logout waits for its deny-list entry to be written (outside the signing
        #: limiter); a store already known to be failing is not waited for.
        self.deny_wait = check_deny_wait(deny_wait)
        self.session_cookie_name = session_cookie_name
        check_cookie_budget(self.max_prefixes, self.cookies_per_folder)
        self.cookie_domain = self._cookie_domain(cookie_domain)
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
        self.state_cookie_name = check_state_cookie_name(state_cookie_name, secure)
        dump_cookie(self.state_cookie_name, "x", path="/", attributes=self.state_attributes)
        self.keepalive_path = check_keepalive_path(keepalive_path)
        self.codec = StateCodec(check_secrets(state_secret))
        self.limits = self._limits()
        # Sessions granted the same prefix in the same expiry window get the very same
        # CloudFront Set-Cookie lines: kept beside the signature they carry (see render).
        self._lines: dict[
            tuple[str, int, str, str, str | None], tuple[tuple[str, ...], str, HashAlgorithm]
        ] = {}
        self._warned_hosts: set[str] = set()

    # -- configuration -------------------------------------------------------------------------

    def _deny_writer(
        self,
        outbox: str | os.PathLike[str] | DenyOutbox | None,
        on_failure: Callable[[DenyWriteFailure], None] | None,
        timeout: float,
    ) -> DenyWriter | None:
        if self.deny_list is None:
            if outbox is not None or on_failure is not None:
                raise ConfigurationError("deny_outbox and on_deny_failure need deny_list=")
            return None
        return DenyWriter(
            self.deny_list,
            outbox=FileOutbox(outbox) if isinstance(outbox, (str, os.PathLike)) else outbox,
            timeout=timeout,
            on_failure=on_failure,
            clock=self.clock,
        )

    def _cookie_domain(self, cookie_domain: str | None) -> str | None:
        if cookie_domain is None:
            return None
        domain = validate_cookie_domain(cookie_domain)
        if not domain_matches(self.media_host, domain):
            raise ConfigurationError(
                f"cookie domain {domain} does not cover media host {self.media_host}; set "
                f"cookie_domain to a parent of both the app's host and {self.media_host}"
            )
        return domain

    def _limits(self) -> SessionLimits:
        return SessionLimits(
            media_url=self.media_url,
            max_prefixes=self.max_prefixes,
            cloudfront_attributes=self.cloudfront_attributes,
            state_attributes=self.state_attributes,
            state_cookie_name=self.state_cookie_name,
            persistent=self.persistent,
            bound=self.client_ip is not None,
            dump_value=self.codec.dumps,
            stand_in=stand_in_state(
                key_pair_id_length=len(self.keys.active().key_pair_id),
                domain=self.cookie_domain,
                session_ids=self.session_secrets is not None,
                bound=self.client_ip is not None,
                binding=self.session_binding is not None,
            ),
            with_user_id=self.session_secrets is not None,
        )

    @property
    def imperative_only(self) -> bool:
        """No callable option to ask: only the view's grant()/revoke() calls change anything."""
        return self.grants is None and self.client_ip is None and self.session_binding is None

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

    @property
    def revocation_horizon(self) -> int:
        """Seconds from a session's start after which nothing of it can be renewed or used:
        ``max_session_age`` + ``lifetime`` + ``granularity`` (a deny entry lives that long)."""
        return (self.max_session_age or 0) + self.lifetime + self.granularity

    def __repr__(self) -> str:
        return (
            f"CloudFrontCookies(media_url={self.media_url!r}, cookie_domain={self.cookie_domain!r},"
            f" keys={self.keys!r}, lifetime={self.lifetime})"
        )

    def cache_stats(self) -> dict[str, tuple[int, int]]:
        """Entries held and bound of each cache: ``signatures`` (with the Set-Cookie lines
        kept beside them) and ``states`` (verified state cookies)."""
        return {
            "signatures": (self.signer.cache_len(), self.signer.cache_size),
            "set_cookie_lines": (len(self._lines), self.signer.cache_size),
            "states": (self.codec.cache_len(), self.codec.cache_size),
        }

    # -- the state cookie ----------------------------------------------------------------------

    def read_state(self, cookie_header: str | bytes | None) -> tuple[State | None, bool]:
        """The issued state from a ``Cookie`` header, and whether a state cookie was present.

        A forged, stale or malformed state cookie reads as no state. When the header holds
        several cookies of that name (one tossed in by a sibling subdomain, say), the first
        authentic one is taken. Verification is cached by value.
        """
        raw = cookie_value(cookie_header, self.state_cookie_name)
        if raw is None:
            return None, False
        state = self.codec.loads(raw)
        if state is None:
            for other in cookie_values(cookie_header, self.state_cookie_name)[1:]:
                state = self.codec.loads(other)
                if state is not None:
                    break
        return state, True

    def read_states(self, cookie_header: str | bytes | None) -> list[State]:
        """Every authentic state in a ``Cookie`` header (logout deletes what each one issued)."""
        states: list[State] = []
        for raw in cookie_values(cookie_header, self.state_cookie_name):
            state = self.codec.loads(raw)
            if state is not None and state not in states:
                states.append(state)
        return states

    def binding_digest(self, value: str | None) -> str:
        """What the state cookie records of the app's session identifier ``value``."""
        return self.codec.binding_digest(value)

    def dump_state(self, state: State) -> str:
        """The state cookie's ``Set-Cookie`` line."""
        max_age = self._cookie_max_age(state.expires) if self.persistent else None
        return dump_cookie(
            self.state_cookie_name,
            self.codec.dumps(state),
            path="/",
            attributes=self.state_attributes,
            max_age=max_age,
        )

    # -- what a session can hold ---------------------------------------------------------------

    def grant_problem(self, prefixes: tuple[str, ...], user_id: str = "") -> str | None:
        """Why a session could not hold ``prefixes`` (merged, normalised), or None: too many
        folders for ``max_prefixes``, or a cookie over the 4,096 bytes a browser keeps."""
        return self.limits.problem(prefixes, user_id)

    def check_grant(
        self, actions: Actions, storage: MutableMapping[str, Any], user_id: str | None
    ) -> None:
        """Raise :class:`GrantLimitError` when what ``actions`` grant, on top of what the
        request's session holds, could not be held (see :meth:`grant_problem`). Called by
        :func:`grant` in the view, while the request goes through the middleware."""
        state, _ = self.read_state(cookie_header_of(storage))
        current = state.prefixes if state is not None else ()
        wanted = actions.apply(current)
        if user_id is None:
            user_id = actions.user_id or (state.user_id if state is not None else "")
        problem = self.limits.problem(wanted, user_id)
        if problem is not None:
            raise GrantLimitError(problem)

    def _refuse_beyond_limits(
        self, wanted: tuple[str, ...], state: State | None, actions: Actions | None
    ) -> tuple[str, ...]:
        """What to issue when ``wanted`` is more than a session can hold: never part of it,
        never an error on every later request.

        ``grant()`` already refused such a grant in the view; what reaches here came from the
        ``grants`` callable (nothing is issued: the app's answer cannot be honoured, and what
        the session held is removed) or from a session issued under larger limits (removed).
        Without ``grants``, the view's revocations still apply to what the session held.
        """
        user_id = (actions.user_id if actions is not None else None) or (
            state.user_id if state is not None else ""
        )
        problem = self.limits.problem(wanted, user_id)
        if problem is None:
            return wanted
        fallback: tuple[str, ...] = ()
        if self.grants is None and state is not None:
            fallback = actions.apply(state.prefixes, grants=False) if actions else state.prefixes
            if fallback and self.limits.problem(fallback, user_id) is not None:
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

    # -- reading a request ---------------------------------------------------------------------

    def request_info(
        self, method: str, path: str, host_header: str | None, cookie_header: str | None
    ) -> RequestInfo:
        """What the decision needs of a request, from what an adapter read of it."""
        return RequestInfo(method, path, host_from_header(host_header), cookie_header)

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

    def is_keepalive(self, request: RequestInfo) -> bool:
        return (
            self.keepalive_path is not None
            and request.path == self.keepalive_path
            and request.method in ("GET", "POST", "HEAD")
        )

    def now(self) -> int:
        if self.clock is system_clock:  # the same clock and the same floor, without a datetime
            return time.time_ns() // 1_000_000_000
        return int(self.clock().timestamp())

    def expiry_for(self, now: int) -> int:
        """Now plus the lifetime, rounded up so that sessions share policies and signatures."""
        target = now + self.lifetime
        return -(-target // self.granularity) * self.granularity

    # -- the steady state ----------------------------------------------------------------------

    def quiet(self, request: RequestInfo, storage: MutableMapping[str, Any]) -> bool:
        """The steady-state shortcut, asked before anything else: True when this request
        certainly changes nothing, known without asking the app (no callable options, no
        ``grant()``/``revoke()`` call) from the state cookie already judged fresh."""
        return self.imperative_only and ACTIONS_KEY not in storage and self.settled(request)

    def settled(self, request: RequestInfo, desired: tuple[str, ...] | None = None) -> bool:
        """True when a request with this state cookie, host and app answers was already judged
        to need nothing until now (same signing key, not yet due for renewal). False means
        only "ask :meth:`plan`"."""
        if self.grants is not None and desired is None:
            return False
        raw = cookie_value(request.cookie_header, self.state_cookie_name)
        if raw is None:
            return False
        context = (request.host, desired, request.client_ip, request.binding)
        return self.codec.quiet(raw, context, self.now(), self.keys.active().key_pair_id)

    def _remember_settled(
        self, request: RequestInfo, state: State, now: int, desired: tuple[str, ...] | None
    ) -> None:
        """Record that this browser's state needs nothing until its renewal time."""
        raw = cookie_value(request.cookie_header, self.state_cookie_name)
        if raw is None or request.host is None or self.codec.loads(raw) != state:
            return  # (the first state cookie sent is not the authentic one: nothing to cache)
        until = state.expires - self.renew_before
        if self.max_session_age is not None:
            until = min(until, state.granted_at + self.max_session_age + 1)
        if until > now:
            context = (request.host, desired, request.client_ip, request.binding)
            self.codec.remember_quiet(raw, context, until, state.key_pair_id)

    # -- deciding ------------------------------------------------------------------------------

    def plan(
        self,
        request: RequestInfo,
        *,
        desired: Iterable[str] | None = None,
        actions: Actions | None = None,
    ) -> Plan:
        """Decide what this response does: ``desired`` is what the ``grants`` callable
        answered (ignored without one), ``actions`` the view's ``grant``/``revoke`` calls."""
        state, had_cookie = self.read_state(request.cookie_header)
        now = self.now()
        current = state.prefixes if state else ()
        wanted = self._wanted(request, state, now, desired, actions)
        prefixes = wanted.prefixes
        if prefixes and (prefixes != current or len(prefixes) > self.max_prefixes):
            prefixes = self._refuse_beyond_limits(prefixes, state, actions)
        if not self.host_allowed(request.host):
            return NO_PLAN
        if not prefixes:
            if state is None:
                return Plan(clear_state=had_cookie)
            return self._ending_plan(request, state, now)
        bound = _bindable_ip(request.client_ip) if self.client_ip is not None else None
        if (
            self.client_ip is not None
            and state is not None
            and not (wanted.foreign or wanted.vouched)
        ):
            # A state cookie replayed from another address renews for the address it was
            # issued to, never for the new one.
            bound = state.ip_address or None
        fresh = state is None or not current or wanted.foreign or self._past_max_age(state, now)
        if state is not None and not fresh and not self._due(state, now, prefixes, bound, wanted):
            if actions is None:
                self._remember_settled(
                    request, state, now, tuple(desired) if desired is not None else None
                )
            return NO_PLAN
        return self._issue_plan(state, now, prefixes, bound, fresh, wanted, actions)

    def _wanted(
        self,
        request: RequestInfo,
        state: State | None,
        now: int,
        desired: Iterable[str] | None,
        actions: Actions | None,
    ) -> _Wanted:
        binding = self.codec.binding_digest(request.binding) if self.session_binding else ""
        # A state issued to another of the app's sessions (the app's session ended or changed)
        # is worth nothing: its grants are not renewed, and its session starts over.
        foreign = (
            state is not None and self.session_binding is not None and state.binding != binding
        )
        if self.grants is None:
            wanted = state.prefixes if state else ()
            if state is not None and (foreign or self._session_too_old(state, now)):
                wanted = ()
        else:
            wanted = merge_prefixes(desired or ())
        if actions is not None:
            wanted = actions.apply(wanted)
        if self.session_binding is not None and request.binding is None:
            wanted = ()  # no session of the app's own: nothing to vouch for (fail closed)
        # The app vouches for the session when its grants callable answers, or when the view
        # granted in this very request; a bare state cookie does not.
        vouched = self.grants is not None or (actions is not None and actions.granted)
        return _Wanted(wanted, foreign, vouched, binding)

    def _due(
        self,
        state: State,
        now: int,
        prefixes: tuple[str, ...],
        bound: str | None,
        wanted: _Wanted,
    ) -> bool:
        """Whether a session that holds ``state`` needs its cookies issued again."""
        active = self.keys.active()
        return (
            (state.ip_address or None) != bound
            or prefixes != state.prefixes
            or state.expires - now < self.renew_before
            or self._from_a_wrong_clock(state, now)
            or state.key_pair_id != active.key_pair_id
            or state.hash_algorithm != self.signer.hash_algorithm_for(active)
            or state.domain != self.cookie_domain
            or state.binding != wanted.binding
        )

    def _issue_plan(
        self,
        state: State | None,
        now: int,
        prefixes: tuple[str, ...],
        bound: str | None,
        fresh: bool,
        wanted: _Wanted,
        actions: Actions | None,
    ) -> Plan:
        current = state.prefixes if state is not None else ()
        expires = self.expiry_for(now)
        stale = tuple(p for p in current if p not in prefixes)
        if state is not None and state.domain != self.cookie_domain:
            stale = current  # the old cookies live under another Domain: remove them all
        # (a grant time in the future came from a clock that is wrong: the session starts now)
        granted_at = now if fresh or state is None else min(state.granted_at, now)
        session_id = user_id = ""
        deny: tuple[tuple[str, str, int], ...] = ()
        if self.session_secrets is not None:
            if state is not None and not fresh:
                session_id, user_id = state.session_id or new_session_id(), state.user_id
            else:
                session_id = new_session_id()
            if actions is not None and actions.user_id is not None:
                user_id = actions.user_id
            if state is not None and wanted.foreign:
                deny = self._denials([state], now)
        return Plan(
            issue=prefixes,
            expires=expires,
            delete=stale,
            delete_hash_cookie=state is not None and state.hash_algorithm == "SHA256",
            delete_domain=state.domain if state is not None else None,
            granted_at=granted_at,
            policies=tuple(
                Policy(prefix_resource(self.media_url, prefix), expires, None, bound)
                for prefix in prefixes
            ),
            session_id=session_id,
            user_id=user_id,
            ip_address=bound or "",
            delete_session_cookie=state is not None and bool(state.session_id),
            deny_sessions=deny,
            binding=wanted.binding,
        )

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

    # -- rendering -----------------------------------------------------------------------------

    def needs_signing(self, plan: Plan) -> bool:
        """Whether rendering ``plan`` computes a signature: :meth:`respond_async` then renders
        it in a worker thread, off the event loop. Only peeks: counts no cache hit."""
        return any(self.signer.cached_signature(p.to_json()) is None for p in plan.policies)

    def render(self, plan: Plan) -> Outcome:
        """Sign (or take from the cache) and format the ``Set-Cookie`` values of ``plan``.

        Pure computation; the plan's logouts are recorded by :meth:`record_logouts`."""
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
        headers = self._deletions(plan, old_attributes)
        if not plan.issue:
            if plan.clear_state:
                state_attributes = self.state_attributes
                headers.append(
                    delete_cookie(self.state_cookie_name, path="/", attributes=state_attributes)
                )
            return Outcome(tuple(headers), None)
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
            headers.extend(
                self._session_cookie(plan, prefix, policy_value, max_age, old_attributes)
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
        return Outcome(tuple(headers), state)

    def _deletions(self, plan: Plan, attributes: CookieAttributes) -> list[str]:
        names = [COOKIE_POLICY, COOKIE_SIGNATURE, COOKIE_KEY_PAIR_ID]
        if plan.delete_hash_cookie:
            names.append(COOKIE_HASH_ALGORITHM)
        if plan.delete_session_cookie:
            names.append(self.session_cookie_name)
        return [
            delete_cookie(name, path=prefix, attributes=attributes)
            for prefix in plan.delete
            for name in names
        ]

    def _session_cookie(
        self,
        plan: Plan,
        prefix: str,
        policy_value: str,
        max_age: int | None,
        old_attributes: CookieAttributes,
    ) -> list[str]:
        """The revocation session cookie for ``prefix``, bound to the policy it goes with (or
        the deletion of a former one, once revocation is turned off)."""
        if self.session_secrets is None:
            if plan.delete_session_cookie:
                return [
                    delete_cookie(self.session_cookie_name, path=prefix, attributes=old_attributes)
                ]
            return []
        session_value = mint_session_cookie(
            session_id=plan.session_id,
            user_id=plan.user_id or None,
            expires=plan.expires,
            issued_at=plan.granted_at,
            policy=policy_value,
            secrets=self.session_secrets,
            clock=self.clock,
        )
        return [
            dump_cookie(
                self.session_cookie_name,
                session_value,
                path=prefix,
                attributes=self.cloudfront_attributes,
                max_age=max_age,
            )
        ]

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
            cached = self._lines.get(cache_key)
            if cached is not None:
                self.signer.hits += 1  # a signature reused, as a signature cache hit
                return active.key_pair_id, cached[2], cached[0], cached[1]
        signed = self.signer.sign_policy(policy)
        lines = tuple(
            dump_cookie(
                name, value, path=prefix, attributes=self.cloudfront_attributes, max_age=max_age
            )
            for name, value in signed.cookies().items()
        )
        if max_age is None and signed.key_pair_id == active.key_pair_id and self.signer.cache_size:
            if len(self._lines) >= self.signer.cache_size:
                self._lines.clear()
            self._lines[cache_key] = (lines, signed.policy_b64, signed.hash_algorithm)
        return signed.key_pair_id, signed.hash_algorithm, lines, signed.policy_b64

    def _cookie_max_age(self, expires: int) -> int:
        return max(0, expires - self.now())

    # -- carrying a plan out: the one place with I/O -------------------------------------------

    def _answers(self, request: RequestInfo, app_request: object) -> RequestInfo:
        if self.client_ip is not None:
            request = request._replace(client_ip=self.client_ip(app_request))
        if self.session_binding is not None:
            request = request._replace(binding=self.session_binding(app_request))
        return request

    def respond(
        self, request: RequestInfo, storage: MutableMapping[str, Any], app_request: object
    ) -> Outcome | None:
        """The whole per-response decision for the synchronous adapters (WSGI, Flask, Django).

        ``app_request`` is what the callable options receive (the environ, Flask's or
        Django's request); ``storage`` is where ``grant()``/``revoke()`` left their calls.
        Returns None when the response needs no ``Set-Cookie``.
        """
        if self.quiet(request, storage):
            return None
        desired = desired_prefixes(self.grants(app_request)) if self.grants else None
        request = self._answers(request, app_request)
        actions = recorded_actions(storage)
        if actions is None and self.settled(request, desired):
            return None
        plan = self.plan(request, desired=desired, actions=actions)
        if not plan.changes_anything:
            return None
        outcome = self.render(plan)
        self.record_logouts(plan)
        return outcome

    async def respond_async(
        self,
        request: RequestInfo,
        storage: MutableMapping[str, Any],
        app_request: Callable[[], object],
        *,
        limiter: anyio.CapacityLimiter | None = None,
    ) -> Outcome | None:
        """:meth:`respond` for the ASGI adapter: the callable options may be coroutines; a
        plan that needs a signature is rendered in a worker thread of ``limiter`` and a
        logout's deny-list write runs in a thread of anyio's default pool, never on the loop.
        ``app_request`` builds what the callable options receive, at most once."""
        import anyio.to_thread

        built: object = None
        if not self.imperative_only:
            built = app_request()
        desired = None
        if self.grants is not None:
            answer = self.grants(built)
            desired = desired_prefixes(await answer if _awaitable(answer) else answer)
        if self.client_ip is not None:
            request = request._replace(client_ip=self.client_ip(built))
        if self.session_binding is not None:
            binding = self.session_binding(built)
            request = request._replace(binding=await binding if _awaitable(binding) else binding)
        actions = recorded_actions(storage)
        if actions is None and self.settled(request, desired):
            return None
        plan = self.plan(request, desired=desired, actions=actions)
        if not plan.changes_anything:
            return None
        if self.needs_signing(plan):
            outcome = await anyio.to_thread.run_sync(self.render, plan, limiter=limiter)
        else:
            outcome = self.render(plan)
        if plan.deny_sessions:
            await anyio.to_thread.run_sync(self.record_logouts, plan)
        return outcome

    def record_logouts(self, plan: Plan) -> None:
        """Record the logouts of ``plan`` for the deny-list, then wait up to ``deny_wait`` for
        the deny-list to have them (not at all while its store is known to be failing).

        The entries go to the deny-list writer's outbox (a file write with a file outbox) and
        are written by its own thread, retried until written or lapsed, so a slow or failing
        store never holds or fails the logout.
        """
        if not plan.deny_sessions or self.deny_writer is None:
            return
        entries = [DenyEntry(*denial) for denial in plan.deny_sessions]
        self.deny_writer.submit(entries)
        if self.deny_wait > 0:
            self.deny_writer.settle(self.deny_wait, entries)

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

    # -- revocation at the edge ----------------------------------------------------------------

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

    def _require_deny_list(self) -> DenyList:
        if self.deny_list is None:
            raise ConfigurationError("revoking at the edge needs deny_list= and session_secrets=")
        return self.deny_list


def _awaitable(value: object) -> bool:
    return inspect.isawaitable(value)
