"""The log events of a response that changed a session's cookies, and their counts.

Each response that grants, renews or takes folders logs one record on the ``cfcookies``
logger, at INFO, whose ``extra`` carries the fields below as record attributes
(``record.event``, ``record.prefixes`` …): a JSON formatter (python-json-logger, structlog's
stdlib bridge) exports them as they are. The names and fields are stable: a field may be added,
none is renamed or removed without a deprecation. Records never carry cookie values,
signatures, policies or secrets.

``cfcookies.grant``
    The session gained a folder. ``prefixes`` (every folder it now holds), ``added``,
    ``removed``, ``expires`` (epoch seconds), ``key_pair_id``, ``session_id`` and ``user_id``
    (revocation; empty without it), ``ip_bound`` (the policies name the viewer's IPv4).
``cfcookies.renew``
    The same folders issued again (expiry near, key rotated, domain or binding changed); the
    same fields.
``cfcookies.revoke``
    The session lost folders: ``revoke()``, the ``grants`` callable answering less, or a logout
    (``logout=True``, every folder and the state cookie removed). ``prefixes`` (what it still
    holds), ``removed``, ``logout``, ``denied`` (sessions queued for the deny-list),
    ``session_id``, ``user_id``.

The other events, logged where they happen (all under ``cfcookies``, fields as attributes):
``cfcookies.grant.refused`` (ERROR), ``cfcookies.state.wrong_clock`` (WARNING),
``cfcookies.deny_list.write_failed`` (ERROR), ``cfcookies.deny_list.write_recovered``,
``cfcookies.deny_list.entry_lapsed`` (WARNING), ``cfcookies.deny_list.nearly_full`` (WARNING),
``cfcookies.deny_list.outbox_failed`` / ``outbox_corrupt`` (ERROR),
``cfcookies.keys.refreshed`` (DEBUG), ``cfcookies.keys.changed`` (INFO),
``cfcookies.keys.refresh_failed`` / ``refresh_stuck`` (WARNING),
``cfcookies.metrics.hook_failed`` (ERROR). docs/operations.md lists them with their fields.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plan import Plan
    from .render import Outcome
    from .session import CloudFrontCookies

__all__ = ["PLAN_EVENTS", "plan_event", "record_plan"]

_DONE = {"grant": "granted", "renew": "renewed", "revoke": "kept"}

logger = logging.getLogger("cfcookies")

#: The event of each kind of change, and the counter it moves (see :mod:`cfcookies.metrics`).
PLAN_EVENTS = {
    "grant": ("cfcookies.grant", "grants"),
    "renew": ("cfcookies.renew", "renewals"),
    "revoke": ("cfcookies.revoke", "revocations"),
}


def plan_event(plan: Plan) -> str | None:
    """``"grant"``, ``"renew"`` or ``"revoke"``: what ``plan`` does to its session, or None
    (it only removes a state cookie that could not be read, which held nothing)."""
    if plan.issue:
        if plan.added:
            return "grant"
        return "revoke" if _removed(plan) else "renew"
    if plan.delete or plan.deny_sessions:
        return "revoke"
    return None


def _removed(plan: Plan) -> tuple[str, ...]:
    """The folders ``plan`` deletes and does not issue again (under a new domain, say)."""
    return tuple([p for p in plan.delete if p not in plan.issue])


def record_plan(cookies: CloudFrontCookies, plan: Plan, outcome: Outcome) -> None:
    """Count and log what a rendered ``plan`` did (called once per response that changed
    anything, by :meth:`~cfcookies.session.CloudFrontCookies.respond`)."""
    kind = plan_event(plan)
    if kind is None:
        return
    event, counter = PLAN_EVENTS[kind]
    metrics = cookies.metrics
    metrics.count(counter)
    logout = kind == "revoke" and not plan.issue and plan.clear_state
    if logout:
        metrics.count("logouts")
    if plan.issue:
        metrics.count("folders_issued", len(plan.issue))
    if not logger.isEnabledFor(logging.INFO):
        return
    session_id, user_id = plan.session_id, plan.user_id
    if not session_id and plan.deny_sessions:
        session_id, user_id, _ = plan.deny_sessions[0]
    removed = _removed(plan)
    fields: dict[str, object] = {
        "event": event,
        "prefixes": plan.issue,
        "removed": removed,
        "session_id": session_id,
        "user_id": user_id,
    }
    if plan.issue:
        state = outcome.state
        key_pair_id = state.key_pair_id if state is not None else ""
        fields.update(
            added=plan.added,
            expires=plan.expires,
            key_pair_id=key_pair_id,
            ip_bound=bool(plan.ip_address),
        )
        text = f"{_DONE[kind]} {', '.join(plan.added or plan.issue)}"
        if plan.added and plan.added != plan.issue:
            text += f" (holding {', '.join(plan.issue)})"
        text += f" until {plan.expires} with key {key_pair_id}"
    else:
        text = "logged out" if logout else "revoked"
    if kind == "revoke":
        fields.update(logout=logout, denied=len(plan.deny_sessions))
        if removed:
            text += f", removing {', '.join(removed)}"
    logger.info(
        "cfcookies: %s (session %s, user %s)",
        text,
        session_id or "-",
        user_id or "-",
        extra=fields,
    )
