"""Rendering a :class:`~cfcookies.plan.Plan` into ``Set-Cookie`` header values.

Pure computation: a signature from the signer (or its cache), the three CloudFront cookies per
folder (``CloudFront-Hash-Algorithm`` with SHA-256), the revocation session cookie when on,
deletions of what the session no longer holds, and the state cookie. What a plan needs beyond
that (signing off the event loop, the deny-list write of a logout) is done by
:meth:`cfcookies.session.CloudFrontCookies.respond`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from .cookies import CookieAttributes, check_line_size, delete_cookie, dump_cookie
from .policy import Policy
from .revocation import mint_session_cookie
from .signing import (
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    HashAlgorithm,
)
from .state import State

if TYPE_CHECKING:
    from .plan import Plan
    from .request import RequestInfo
    from .session import CloudFrontCookies

__all__ = ["Outcome", "keepalive_answer", "needs_signing", "render"]


class Outcome(NamedTuple):
    """The ``Set-Cookie`` values to add to the response, and the state now held.

    Its ``repr`` leaves out the ``Set-Cookie`` values: they hold signatures and the state cookie.
    """

    set_cookie: tuple[str, ...]
    state: State | None

    def __repr__(self) -> str:
        return f"Outcome(set_cookie=<{len(self.set_cookie)} values>, state={self.state!r})"


def _lines_key(
    cookies: CloudFrontCookies, prefix: str, policy: Policy
) -> tuple[str, int, str, str, str | None]:
    active = cookies.keys.active()
    return (
        prefix,
        policy.date_less_than,
        active.fingerprint,
        active.key_pair_id,
        policy.ip_address,
    )


def needs_signing(cookies: CloudFrontCookies, plan: Plan) -> bool:
    """Whether rendering ``plan`` computes a signature: :meth:`respond_async` then renders
    it in a worker thread, off the event loop. It asks the caches :func:`render` reads, in the
    same order (the formatted lines, then the signatures), and only peeks: the hit is counted
    once, by the rendering."""
    for prefix, policy in zip(plan.issue, plan.policies, strict=True):
        if (
            not cookies.persistent
            and _lines_key(cookies, prefix, policy) in cookies.set_cookie_lines
        ):
            continue
        if not cookies.signer.is_cached(policy.to_json()):
            return True
    return False


def render(cookies: CloudFrontCookies, plan: Plan) -> Outcome:
    """Sign (or take from the cache) and format the ``Set-Cookie`` values of ``plan``.

    Pure computation; the plan's logouts are recorded by :meth:`record_logouts`."""
    old_attributes = cookies.cloudfront_attributes
    if plan.delete_domain != cookies.cookie_domain and (
        plan.delete or plan.delete_hash_cookie or plan.delete_session_cookie
    ):
        # cookies set under a former cookie_domain are deleted under that domain
        old_attributes = CookieAttributes(
            domain=plan.delete_domain,
            secure=old_attributes.secure,
            httponly=old_attributes.httponly,
            samesite=old_attributes.samesite,
        )
    headers = _deletions(cookies, plan, old_attributes)
    if not plan.issue:
        if plan.clear_state:
            state_attributes = cookies.state_attributes
            headers.append(
                delete_cookie(cookies.state_cookie_name, path="/", attributes=state_attributes)
            )
        return Outcome(tuple(headers), None)
    max_age = cookies.max_age_until(plan.expires) if cookies.persistent else None
    key_pair_id = ""
    hash_algorithm: HashAlgorithm = "SHA1"
    for prefix, policy in zip(plan.issue, plan.policies, strict=True):
        key_pair_id, hash_algorithm, lines, policy_value = _policy_cookies(
            cookies, prefix, policy, max_age
        )
        headers.extend(lines)
        # The marker follows the key that signed this very set (a rotation between an
        # RSA and an ECDSA key changes it): a stale SHA256 marker would void SHA-1 cookies.
        if plan.delete_hash_cookie and hash_algorithm != "SHA256":
            headers.append(
                delete_cookie(COOKIE_HASH_ALGORITHM, path=prefix, attributes=old_attributes)
            )
        if cookies.session_secrets is not None or plan.delete_session_cookie:
            headers.extend(
                _session_cookie(cookies, plan, prefix, policy_value, max_age, old_attributes)
            )
    fields = (
        plan.issue,
        plan.expires,
        key_pair_id,
        hash_algorithm,
        cookies.cookie_domain,
        plan.granted_at,
        plan.session_id,
        plan.user_id,
        plan.ip_address,
        plan.binding,
    )
    state, line = cookies.state_line(fields)
    headers.append(line)
    return Outcome(tuple(headers), state)


def _deletions(cookies: CloudFrontCookies, plan: Plan, attributes: CookieAttributes) -> list[str]:
    if not plan.delete:
        return []
    names = [COOKIE_POLICY, COOKIE_SIGNATURE, COOKIE_KEY_PAIR_ID]
    if plan.delete_hash_cookie:
        names.append(COOKIE_HASH_ALGORITHM)
    if plan.delete_session_cookie:
        names.append(cookies.session_cookie_name)
    return [
        delete_cookie(name, path=prefix, attributes=attributes)
        for prefix in plan.delete
        for name in names
    ]


def _session_cookie(
    cookies: CloudFrontCookies,
    plan: Plan,
    prefix: str,
    policy_value: str,
    max_age: int | None,
    old_attributes: CookieAttributes,
) -> list[str]:
    """The revocation session cookie for ``prefix``, bound to the policy it goes with (or
    the deletion of a former one, once revocation is turned off)."""
    if cookies.session_secrets is None:
        if plan.delete_session_cookie:
            return [
                delete_cookie(cookies.session_cookie_name, path=prefix, attributes=old_attributes)
            ]
        return []
    session_value = mint_session_cookie(
        session_id=plan.session_id,
        user_id=plan.user_id or None,
        expires=plan.expires,
        issued_at=plan.granted_at,
        policy=policy_value,
        secrets=cookies.session_secrets,
        clock=cookies.clock,
    )
    return [
        dump_cookie(
            cookies.session_cookie_name,
            session_value,
            path=prefix,
            attributes=cookies.cloudfront_attributes,
            max_age=max_age,
        )
    ]


def _policy_cookies(
    cookies: CloudFrontCookies, prefix: str, policy: Policy, max_age: int | None
) -> tuple[str, HashAlgorithm, tuple[str, ...], str]:
    """The key pair ID and hash that signed, the ``Set-Cookie`` lines granting ``policy`` on
    ``prefix`` and the ``CloudFront-Policy`` value (which the revocation session cookie is
    bound to).

    Sessions granted the same prefix in the same expiry window get the very same lines, so
    they are kept (for session cookies, which carry no per-response ``Max-Age``) beside the
    signature cache: a login whose policy is already signed formats nothing again.
    """
    active = cookies.keys.active()
    cache_key = _lines_key(cookies, prefix, policy)
    if max_age is None:
        cached = cookies.set_cookie_lines.get(cache_key)
        if cached is not None:
            cookies.metrics.count("signature_cache_hits")  # a signature reused
            return active.key_pair_id, cached[2], cached[0], cached[1]
    signed = cookies.signer.sign_policy(policy)
    # The values are CloudFront's base64, a checked key pair ID and a hash name, the path a
    # normalised prefix: what dump_cookie checks holds already, but for the size of a line.
    tail = "; " + cookies.cloudfront_attributes.suffix(prefix)
    if max_age is not None:
        tail += f"; Max-Age={max(0, int(max_age))}"
    lines = tuple([f"{name}={value}{tail}" for name, value in signed.cookies().items()])
    for line in lines:
        check_line_size(line.partition("=")[0], prefix, line)
    if max_age is None and signed.key_pair_id == active.key_pair_id and cookies.signer.cache_size:
        if len(cookies.set_cookie_lines) >= cookies.signer.cache_size:
            cookies.set_cookie_lines.clear()
        cookies.set_cookie_lines[cache_key] = (lines, signed.policy_b64, signed.hash_algorithm)
    return signed.key_pair_id, signed.hash_algorithm, lines, signed.policy_b64


def keepalive_answer(
    cookies: CloudFrontCookies, request: RequestInfo, outcome: Outcome | None
) -> tuple[int, list[tuple[str, str]]]:
    """Status and headers of the keep-alive endpoint: 204 with fresh cookies, or 401."""
    state = outcome.state if outcome is not None else None
    if outcome is None:
        state, _ = cookies.read_state(request.cookie_header)
        if state is not None and state.expires <= cookies.now():
            state = None
    headers = [("Cache-Control", "no-store")]
    if outcome is not None:
        headers.extend(("Set-Cookie", value) for value in outcome.set_cookie)
    if state is None:
        headers.append(("Content-Type", "text/plain; charset=utf-8"))
        return 401, headers
    headers.append(("X-CFCookies-Expires", str(state.expires)))
    return 204, headers
