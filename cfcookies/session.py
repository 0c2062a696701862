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
import logging
import os
import warnings
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import rsa

from .checks import (
    build_deny_writer,
    build_keys,
    check_callables,
    check_cookie_budget,
    check_cookie_domain,
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
from .clock import epoch_now
from .config import Seconds
from .cookies import (
    CookieAttributes,
    SameSite,
    cookie_value,
    cookie_values,
    domain_matches,
    dump_cookie,
)
from .events import record_plan
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
from .limits import SessionLimits
from .metrics import MetricHook, Metrics
from .plan import Plan
from .plan import decide as _decide
from .policy import Clock, prefix_resource, system_clock
from .query import folder_query
from .render import Outcome, keepalive_answer
from .render import needs_signing as _needs_signing
from .render import render as _render
from .request import RequestInfo, host_from_header
from .revocation import (
    SESSION_COOKIE,
    DenyEntry,
    DenyList,
    DenyOutbox,
    DenyWriteFailure,
    SessionSecrets,
)
from .revocation import new_session_id as new_session_id
from .signing import (
    HashAlgorithm,
    Signer,
)
from .state import State, StateCodec, StateFields

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
        on_metric: MetricHook | None = None,
    ) -> None:
        self.media_url, self.media_host = check_media_url(media_url, insecure_allow_http)
        #: prefix_resource(media_url, prefix) is this + prefix + "*" for a normalised prefix
        self.resource_base = prefix_resource(self.media_url, "/")[:-2]
        #: What this instance did, counted once (see :mod:`cfcookies.metrics`).
        self.metrics = Metrics(on_metric)
        self.keys = build_keys(keys, key_pair_id, private_key, passphrase)
        self.keys.attach_metrics(self.metrics)
        self.clock = clock
        self.signer = self._signer(hash_algorithm, signature_cache_size)
        self.hash_algorithm = self.signer.hash_algorithm
        check_callables(grants=grants, session_binding=session_binding, client_ip=client_ip)
        self.grants, self.session_binding, self.client_ip = grants, session_binding, client_ip
        self._set_times(lifetime, renew_before, granularity, max_session_age)
        self.max_prefixes = check_max_prefixes(max_prefixes)
        self.persistent = bool(persistent)
        check_revocation(session_secrets, deny_list, self.max_session_age)
        self.session_secrets, self.deny_list = session_secrets, deny_list
        #: Writes logouts into ``deny_list`` off the request path, retrying from an outbox.
        self.deny_writer = build_deny_writer(
            deny_list, deny_outbox, on_deny_failure, deny_timeout, clock, self.metrics
        )
        #: How long a logout waits for its deny-list entry to be written (outside the signing
        #: limiter); a store already known to be failing is not waited for.
        self.deny_wait = check_deny_wait(deny_wait)
        self.session_cookie_name = session_cookie_name
        check_cookie_budget(self.max_prefixes, self.cookies_per_folder)
        self.cookie_domain = check_cookie_domain(cookie_domain, self.media_host)
        self._set_cookie_attributes(
            secure, httponly, samesite, state_cookie_name, insecure_allow_http
        )
        self.keepalive_path = check_keepalive_path(keepalive_path)
        self.codec = StateCodec(check_secrets(state_secret))
        self.limits = SessionLimits.of(self)
        # Sessions granted the same prefix in the same expiry window get the very same
        # CloudFront Set-Cookie lines: kept beside the signature they carry (see render).
        self.set_cookie_lines: dict[
            tuple[str, int, str, str, str | None], tuple[tuple[str, ...], str, HashAlgorithm]
        ] = {}
        self._warned_hosts: set[str] = set()
        self._allowed_hosts: set[str] = set()  # hosts found covered by cookie_domain
        self._last_state_line: tuple[StateFields, State, str] | None = None

    def _signer(self, hash_algorithm: HashAlgorithm | None, cache_size: int) -> Signer:
        """The signer of this instance's keys, counting in its metrics."""
        return Signer(
            self.keys,
            hash_algorithm=hash_algorithm,
            cache_size=cache_size,
            clock=self.clock,
            metrics=self.metrics,
        )

    def _set_times(
        self,
        lifetime: Seconds,
        renew_before: Seconds,
        granularity: Seconds,
        max_session_age: Seconds | None,
    ) -> None:
        """The cookies' lifetime, when renewal starts, the rounding of expiries, the cap on a
        session's age: in seconds, checked together."""
        self.lifetime = seconds(lifetime, "lifetime")
        self.renew_before = seconds(renew_before, "renew_before")
        self.granularity = seconds(granularity, "granularity")
        self.max_session_age = (
            None if max_session_age is None else seconds(max_session_age, "max_session_age")
        )
        check_times(self.lifetime, self.renew_before, self.granularity)

    def _set_cookie_attributes(
        self,
        secure: bool,
        httponly: bool,
        samesite: SameSite | None,
        state_cookie_name: str | None,
        insecure_allow_http: bool,
    ) -> None:
        """The attributes of the CloudFront cookies and of the state cookie, and its name."""
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

    # -- configuration -------------------------------------------------------------------------

    def resource_for(self, prefix: str) -> str:
        """:func:`~cfcookies.policy.prefix_resource` of a prefix that :func:`merge_prefixes`
        already normalised (so checked): the policy resource granting it, built without
        checking it again on every login."""
        return self.resource_base + prefix + "*"

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
            "set_cookie_lines": (len(self.set_cookie_lines), self.signer.cache_size),
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
            others = cookie_values(cookie_header, self.state_cookie_name)
            for other in others[1:]:
                state = self.codec.loads(other)
                if state is not None:
                    break
            if not any(others):
                # Only empty values: cookies deleted earlier, sent back by a client that keeps
                # deleted cookies (Django's test Client). Nothing to delete again.
                return None, False
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
        max_age = self.max_age_until(state.expires) if self.persistent else None
        return dump_cookie(
            self.state_cookie_name,
            self.codec.dumps(state),
            path="/",
            attributes=self.state_attributes,
            max_age=max_age,
        )

    def state_line(self, fields: StateFields) -> tuple[State, str]:
        """The state of these fields (in :class:`State`'s order) and its ``Set-Cookie`` line.

        The last one written is remembered (one, replaced whole): logins into the same folders
        in the same second, as in a login storm, share one state and one line."""
        last = self._last_state_line
        if last is not None and last[0] == fields:
            return last[1], last[2]
        state = State(*fields)
        line = self.dump_state(state)
        if not self.persistent:  # (a persistent line carries a Max-Age counted from now)
            self._last_state_line = (fields, state, line)
        return state, line

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
        actions.checked = (wanted, user_id)

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
        if host in self._allowed_hosts:
            return True
        host = host.lower()
        if self.cookie_domain is not None:
            if domain_matches(host, self.cookie_domain):
                if len(self._allowed_hosts) < 64:  # (the app's own few hosts, asked every login)
                    self._allowed_hosts.add(host)
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
        return epoch_now(self.clock)

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

    def remember_settled(
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

    def max_age_until(self, expires: int) -> int:
        """Seconds from now until ``expires`` (a persistent cookie's Max-Age)."""
        return max(0, expires - self.now())

    # -- deciding and rendering (cfcookies.plan, cfcookies.render) ---------------------------

    def plan(
        self,
        request: RequestInfo,
        *,
        desired: Iterable[str] | None = None,
        actions: Actions | None = None,
    ) -> Plan:
        """Decide what this response does: ``desired`` is what the ``grants`` callable
        answered (ignored without one), ``actions`` the view's ``grant``/``revoke`` calls."""
        return _decide(self, request, desired=desired, actions=actions)

    @property
    def signs_slowly(self) -> bool:
        """Whether the active key's signature is worth a worker thread: RSA (a signature costs
        0.5-1 ms, a thread hop a fifth of that), not ECDSA P-256 (a twentieth of RSA's)."""
        return isinstance(self.keys.active().private_key, rsa.RSAPrivateKey)

    def needs_signing(self, plan: Plan) -> bool:
        """Whether rendering ``plan`` computes a signature (then rendered off the loop)."""
        return _needs_signing(self, plan)

    def render(self, plan: Plan) -> Outcome:
        """The ``Set-Cookie`` values of ``plan`` (see :func:`cfcookies.render.render`)."""
        return _render(self, plan)

    # -- carrying a plan out: the one place with I/O -------------------------------------------

    def _ask(self, app_request: object) -> tuple[Any, Any, Any]:
        """What the callable options answer for ``app_request`` (awaitables from async ones)."""
        return (
            self.grants(app_request) if self.grants is not None else None,
            self.client_ip(app_request) if self.client_ip is not None else None,
            self.session_binding(app_request) if self.session_binding is not None else None,
        )

    def _planned(
        self, request: RequestInfo, storage: MutableMapping[str, Any], answers: Sequence[Any]
    ) -> Plan | None:
        """The plan for this response given the callable options' answers, or None when
        nothing changes (the steady state judged again with the answers, then the plan)."""
        grants, client_ip, binding = answers
        desired = desired_prefixes(grants) if self.grants is not None else None
        request = request._replace(client_ip=client_ip, binding=binding)
        actions = recorded_actions(storage)
        if actions is None and self.settled(request, desired):
            return None
        plan = self.plan(request, desired=desired, actions=actions)
        return plan if plan.changes_anything else None

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
        plan = self._planned(request, storage, self._ask(app_request))
        if plan is None:
            return None
        outcome = self.render(plan)
        record_plan(self, plan, outcome)
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
        plan that needs an RSA signature is rendered in a worker thread of ``limiter`` and a
        logout's deny-list write runs in a thread of anyio's default pool, never on the loop.
        An ECDSA P-256 signature (about 40 µs) costs less than the hop to a thread and back
        (100-200 µs, see BENCHMARKS.md), so it is computed on the loop.
        ``app_request`` builds what the callable options receive, at most once."""
        import anyio.to_thread

        if self.quiet(request, storage):
            return None
        asked = self._ask(app_request() if not self.imperative_only else None)
        answers = [await answer if _awaitable(answer) else answer for answer in asked]
        plan = self._planned(request, storage, answers)
        if plan is None:
            return None
        if self.signs_slowly and self.needs_signing(plan):
            outcome = await anyio.to_thread.run_sync(self.render, plan, limiter=limiter)
        else:
            outcome = self.render(plan)
        record_plan(self, plan, outcome)
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

    # -- players without cookies (cfcookies.streaming) -----------------------------------------

    def signed_query(
        self,
        prefix: str,
        *,
        ip_address: str | None = None,
        lifetime: Seconds | None = None,
        session_id: str | None = None,
        user_id: str | None = None,
        issued_at: int | None = None,
    ) -> str:
        """The query string (without ``?``) that opens every file under ``prefix`` to whoever
        holds it: ``Policy``, ``Signature``, ``Key-Pair-Id`` (and ``Hash-Algorithm=SHA256``),
        as CloudFront reads them on a URL, for players that cannot send cookies.

        The policy is the one a session granted ``prefix`` now gets as cookies (the same
        resource, expiry window and signature cache), unless ``lifetime`` asks for another
        expiry (a VOD player fetches its playlist once: the query must outlive the viewing).
        ``ip_address`` binds it to that IPv4 viewer (``AWS:SourceIp``); an IPv6 address leaves
        it unbound, as CloudFront checks IPv4 only. The query is a bearer token for the whole
        folder until it expires: hand it only to a session granted ``prefix``.

        With ``session_secrets`` (revocation at the edge) the query also carries the session's
        token, in the parameter named like the session cookie, bound to this query's policy and
        expiring with it, so that revoking ``session_id`` (or ``user_id``) refuses the query too.
        ``session_id`` is then required; ``issued_at`` is when the session began (default:
        now), as for the session cookie.
        """
        return folder_query(
            self,
            prefix,
            ip_address=ip_address,
            lifetime=lifetime,
            session_id=session_id,
            user_id=user_id,
            issued_at=issued_at,
        )

    def keepalive_response(
        self, request: RequestInfo, outcome: Outcome | None
    ) -> tuple[int, list[tuple[str, str]]]:
        """Status and headers of the keep-alive endpoint: 204 with fresh cookies, or 401."""
        return keepalive_answer(self, request, outcome)

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
