"""The decision: what a response does to a session's cookies, as a :class:`Plan`.

:func:`decide` reads the session's state (:mod:`cfcookies.state`), what the app answered and
what the view called (:mod:`cfcookies.grants`), and plans which folders to issue, renew or
delete, and which sessions to deny at the edge. It signs nothing and writes nothing:
:mod:`cfcookies.render` turns a plan into ``Set-Cookie`` values, and
:meth:`cfcookies.session.CloudFrontCookies.respond` carries out the I/O a plan needs.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from .exceptions import IPAddressError
from .grants import Actions, merge_prefixes
from .policy import Policy
from .revocation import new_session_id
from .state import State

if TYPE_CHECKING:
    from .request import RequestInfo
    from .session import CloudFrontCookies

__all__ = ["NO_PLAN", "Plan", "bindable_ip", "decide", "viewer_ip"]

logger = logging.getLogger("cfcookies")

#: How far ahead of this instance's clock a state's grant time may be (instances' clocks differ a
#: little) before the state is treated as written by a clock that is wrong.
_CLOCK_SKEW = 60


def bindable_ip(value: str | None) -> str | None:
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


def viewer_ip(value: object) -> str | None:
    """:func:`bindable_ip` for an address an app passed in (``ip_address=``): the viewer's IP
    address as text, or :class:`~cfcookies.exceptions.IPAddressError` (never a range, a number
    or bytes, which :mod:`ipaddress` would also take)."""
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        ipaddress.ip_address(value)
    except ValueError:
        raise IPAddressError(f"ip_address must be the viewer's IP address, got {value!r}") from None
    return bindable_ip(value)


class Plan(NamedTuple):
    """What a response should do, before any signing: the adapters may sign it off-loop.

    Built on every login and renewal, hence a named tuple: the cheapest immutable record."""

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
    #: the folders of ``issue`` that the session did not hold (all of them for a new session)
    added: tuple[str, ...] = ()

    @property
    def changes_anything(self) -> bool:
        return bool(self.issue or self.delete or self.clear_state or self.deny_sessions)


NO_PLAN = Plan()


class _Wanted(NamedTuple):
    """What a response should leave the session holding, and why."""

    prefixes: tuple[str, ...]
    foreign: bool  # the state was issued to another of the app's sessions
    vouched: bool  # the app answered for the session in this very request
    binding: str


def _refuse_beyond_limits(
    cookies: CloudFrontCookies,
    wanted: tuple[str, ...],
    state: State | None,
    actions: Actions | None,
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
    if actions is not None and actions.checked == (wanted, user_id):
        return wanted  # what grant() already found the session can hold
    problem = cookies.limits.problem(wanted, user_id)
    if problem is None:
        return wanted
    fallback: tuple[str, ...] = ()
    if cookies.grants is None and state is not None:
        fallback = actions.apply(state.prefixes, grants=False) if actions else state.prefixes
        if fallback and cookies.limits.problem(fallback, user_id) is not None:
            fallback = ()
    cookies.metrics.count("grants_refused")
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


def decide(
    cookies: CloudFrontCookies,
    request: RequestInfo,
    *,
    desired: Iterable[str] | None = None,
    actions: Actions | None = None,
) -> Plan:
    """Decide what this response does: ``desired`` is what the ``grants`` callable
    answered (ignored without one), ``actions`` the view's ``grant``/``revoke`` calls."""
    state, had_cookie = cookies.read_state(request.cookie_header)
    now = cookies.now()
    current = state.prefixes if state else ()
    wanted = _wanted(cookies, request, state, now, desired, actions)
    prefixes = wanted.prefixes
    if prefixes and (prefixes != current or len(prefixes) > cookies.max_prefixes):
        prefixes = _refuse_beyond_limits(cookies, prefixes, state, actions)
    if not cookies.host_allowed(request.host):
        return NO_PLAN
    if not prefixes:
        if state is None:
            return Plan(clear_state=had_cookie)
        return _ending_plan(cookies, request, state, now)
    bound = bindable_ip(request.client_ip) if cookies.client_ip is not None else None
    if (
        cookies.client_ip is not None
        and state is not None
        and not (wanted.foreign or wanted.vouched)
    ):
        # A state cookie replayed from another address renews for the address it was
        # issued to, never for the new one.
        bound = state.ip_address or None
    fresh = state is None or not current or wanted.foreign or _past_max_age(cookies, state, now)
    if state is not None and not fresh and not _due(cookies, state, now, prefixes, bound, wanted):
        if actions is None:
            cookies.remember_settled(
                request, state, now, tuple(desired) if desired is not None else None
            )
        return NO_PLAN
    return _issue_plan(cookies, state, now, prefixes, bound, fresh, wanted, actions)


def _wanted(
    cookies: CloudFrontCookies,
    request: RequestInfo,
    state: State | None,
    now: int,
    desired: Iterable[str] | None,
    actions: Actions | None,
) -> _Wanted:
    binding = cookies.codec.binding_digest(request.binding) if cookies.session_binding else ""
    # A state issued to another of the app's sessions (the app's session ended or changed)
    # is worth nothing: its grants are not renewed, and its session starts over.
    foreign = state is not None and cookies.session_binding is not None and state.binding != binding
    if cookies.grants is None:
        wanted = state.prefixes if state else ()
        if state is not None and (foreign or _session_too_old(cookies, state, now)):
            wanted = ()
    else:
        wanted = merge_prefixes(desired or ())
    if actions is not None:
        wanted = actions.apply(wanted)
    if cookies.session_binding is not None and request.binding is None:
        wanted = ()  # no session of the app's own: nothing to vouch for (fail closed)
    # The app vouches for the session when its grants callable answers, or when the view
    # granted in this very request; a bare state cookie does not.
    vouched = cookies.grants is not None or (actions is not None and actions.granted)
    return _Wanted(wanted, foreign, vouched, binding)


def _due(
    cookies: CloudFrontCookies,
    state: State,
    now: int,
    prefixes: tuple[str, ...],
    bound: str | None,
    wanted: _Wanted,
) -> bool:
    """Whether a session that holds ``state`` needs its cookies issued again."""
    active = cookies.keys.active()
    return (
        (state.ip_address or None) != bound
        or prefixes != state.prefixes
        or state.expires - now < cookies.renew_before
        or _from_a_wrong_clock(cookies, state, now)
        or state.key_pair_id != active.key_pair_id
        or state.hash_algorithm != cookies.signer.hash_algorithm_for(active)
        or state.domain != cookies.cookie_domain
        or state.binding != wanted.binding
    )


def _issue_plan(
    cookies: CloudFrontCookies,
    state: State | None,
    now: int,
    prefixes: tuple[str, ...],
    bound: str | None,
    fresh: bool,
    wanted: _Wanted,
    actions: Actions | None,
) -> Plan:
    current = state.prefixes if state is not None else ()
    expires = cookies.expiry_for(now)
    stale = tuple([p for p in current if p not in prefixes]) if current else ()
    if state is not None and state.domain != cookies.cookie_domain:
        stale = current  # the old cookies live under another Domain: remove them all
    # (a grant time in the future came from a clock that is wrong: the session starts now)
    granted_at = now if fresh or state is None else min(state.granted_at, now)
    session_id = user_id = ""
    deny: tuple[tuple[str, str, int], ...] = ()
    if cookies.session_secrets is not None:
        if state is not None and not fresh:
            session_id, user_id = state.session_id or new_session_id(), state.user_id
        else:
            session_id = new_session_id()
        if actions is not None and actions.user_id is not None:
            user_id = actions.user_id
        if state is not None and wanted.foreign:
            deny = _denials(cookies, [state], now)
    resource_base = cookies.resource_base
    # (positional, in the order of Plan's fields: a named tuple built from keywords costs
    # twice as much, and a cached login builds one)
    return Plan._make(
        (
            prefixes,  # issue
            expires,
            stale,  # delete
            state is not None and state.hash_algorithm == "SHA256",  # delete_hash_cookie
            state.domain if state is not None else None,  # delete_domain
            False,  # clear_state
            granted_at,
            tuple([Policy(resource_base + p + "*", expires, None, bound) for p in prefixes]),
            session_id,
            user_id,
            bound or "",  # ip_address
            state is not None and bool(state.session_id),  # delete_session_cookie
            deny,  # deny_sessions
            wanted.binding,
            prefixes if fresh or not current else tuple([p for p in prefixes if p not in current]),
        )
    )


def _from_a_wrong_clock(cookies: CloudFrontCookies, state: State, now: int) -> bool:
    """Whether ``state`` lies beyond what this instance could have written now: an expiry
    past the configured lifetime, or a grant time in the future (an instance whose clock is
    ahead). Such a state is reissued within the limits, and logged."""
    wrong = (
        state.expires > now + cookies.lifetime + cookies.granularity + _CLOCK_SKEW
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
            cookies.lifetime,
            extra={
                "event": "cfcookies.state.wrong_clock",
                "expires": state.expires,
                "granted_at": state.granted_at,
                "now": now,
                "session_id": state.session_id,
            },
        )
    return wrong


def _ending_plan(cookies: CloudFrontCookies, request: RequestInfo, state: State, now: int) -> Plan:
    """Logout: delete what every authentic state in the request issued (a cookie tossed in
    by a sibling subdomain must not hide the real one) and deny their sessions."""
    states = cookies.read_states(request.cookie_header)
    if state not in states:  # (read_state took it from the same header: a guard only)
        states.insert(0, state)
    delete = tuple(dict.fromkeys(p for s in states for p in s.prefixes))
    return Plan(
        delete=delete,
        delete_hash_cookie=any(s.hash_algorithm == "SHA256" for s in states),
        delete_domain=state.domain,
        clear_state=True,
        delete_session_cookie=any(s.session_id for s in states),
        deny_sessions=_denials(cookies, states, now),
    )


def _denials(
    cookies: CloudFrontCookies, states: Sequence[State], now: int
) -> tuple[tuple[str, str, int], ...]:
    if cookies.deny_list is None:
        return ()
    out = []
    for state in states:
        until = state.granted_at + cookies.revocation_horizon
        if state.session_id and until > now:
            out.append((state.session_id, state.user_id, until))
    return tuple(out)


def _session_too_old(cookies: CloudFrontCookies, state: State, now: int) -> bool:
    if _past_max_age(cookies, state, now):
        return True
    # An expired state cannot be renewed without the app saying so again: this bounds
    # what a replayed state cookie is worth to what the cookies it names were worth.
    return state.expires <= now


def _past_max_age(cookies: CloudFrontCookies, state: State, now: int) -> bool:
    return cookies.max_session_age is not None and now - state.granted_at > cookies.max_session_age
