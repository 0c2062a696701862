"""A folder's grant as URL query parameters, for players that cannot send cookies:
:meth:`CloudFrontCookies.signed_query <cfcookies.session.CloudFrontCookies.signed_query>`.

The query carries the policy a session granted the folder gets as cookies (same resource,
expiry window and signature cache), or one with a lifetime of its own; with revocation at the
edge, also the session's token, bound to the query's policy (:mod:`cfcookies.revocation.token`),
which the edge reads from the query of a signed URL.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .checks import seconds
from .clock import to_epoch
from .config import Seconds
from .exceptions import ConfigurationError, PolicyTimeError
from .plan import viewer_ip
from .policy import Policy, normalize_prefix
from .revocation import mint_session_cookie
from .signing import SIGNED_URL_PARAMS

if TYPE_CHECKING:
    from .session import CloudFrontCookies

__all__ = ["check_query_session", "folder_query"]

#: A session cookie name that can also name a query parameter, unchanged by any URL encoder.
_QUERY_NAME = re.compile(r"[A-Za-z0-9._~-]{1,128}")


def folder_query(
    cookies: CloudFrontCookies,
    prefix: str,
    *,
    ip_address: str | None = None,
    lifetime: Seconds | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    issued_at: int | None = None,
) -> str:
    """:meth:`CloudFrontCookies.signed_query`, which documents it."""
    check_query_session(cookies, session_id, user_id, issued_at)
    normalized = normalize_prefix(prefix)
    now = cookies.now()
    if lifetime is None:
        expires = cookies.expiry_for(now)
    else:
        target = now + seconds(lifetime, "lifetime")
        expires = -(-target // cookies.granularity) * cookies.granularity
    if cookies.deny_list is not None:
        began = (
            now
            if issued_at is None
            else to_epoch(issued_at, field="issued_at", clock=cookies.clock)
        )
        _check_query_horizon(cookies, expires, began)
    bound = None if ip_address is None else viewer_ip(ip_address)
    signed = cookies.signer.sign_policy(
        Policy(cookies.resource_for(normalized), expires, None, bound)
    )
    query = f"Policy={signed.policy_b64}&Signature={signed.signature_b64}"
    query += f"&Key-Pair-Id={signed.key_pair_id}"
    if signed.hash_algorithm == "SHA256":
        query += "&Hash-Algorithm=SHA256"
    if cookies.session_secrets is not None and session_id is not None:
        token = mint_session_cookie(
            session_id=session_id,
            user_id=user_id,
            expires=expires,
            issued_at=issued_at,
            policy=signed.policy_b64,
            secrets=cookies.session_secrets,
            clock=cookies.clock,
        )
        query += f"&{cookies.session_cookie_name}={token}"
    cookies.metrics.count("folder_queries")
    return query


def check_query_session(
    cookies: CloudFrontCookies,
    session_id: str | None,
    user_id: str | None,
    issued_at: int | None,
) -> None:
    """Refuse a folder query the edge would refuse, or session arguments that would be lost."""
    if cookies.session_secrets is None:
        if session_id is not None or user_id is not None or issued_at is not None:
            raise ConfigurationError(
                "session_id, user_id and issued_at put a revocable session token in the query; "
                "they need session_secrets= (revocation at the edge) on CloudFrontCookies"
            )
        return
    if session_id is None:
        raise ConfigurationError(
            "with session_secrets (revocation at the edge) a folder query needs the session's "
            "token, or the edge would refuse it: pass session_id= (and user_id=, issued_at= as "
            "for the session cookie)"
        )
    name = cookies.session_cookie_name
    if not _QUERY_NAME.fullmatch(name) or name in SIGNED_URL_PARAMS:
        raise ConfigurationError(
            f"session_cookie_name {name!r} also names the session token's query parameter, "
            "so it must be 1 to 128 of A-Z a-z 0-9 - . _ ~ (what a URL carries unchanged) and "
            "not a signing parameter (Policy, Signature, Expires, Key-Pair-Id, Hash-Algorithm)"
        )


def _check_query_horizon(cookies: CloudFrontCookies, expires: int, began: int) -> None:
    """A folder query must not outlive the deny-list entry a logout writes for its session
    (until the session's start + ``revocation_horizon``): what revokes must outlive what it
    revokes."""
    lapses = began + cookies.revocation_horizon
    if expires > lapses:
        raise PolicyTimeError(
            f"this folder query would be valid until {expires}, after the deny-list entry a "
            f"logout writes for its session lapses ({lapses}: the session's start, issued_at, "
            f"+ max_session_age + lifetime + granularity); pass a shorter lifetime="
        )
