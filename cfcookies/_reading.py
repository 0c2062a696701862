"""Reading what a request carries signed (query parameters or cookies), and the wording of
the facts a :class:`~cfcookies.verify.Decision` states: durations, key IDs, policies, addresses.

Private to :mod:`cfcookies.verify` and :mod:`cfcookies.diagnose`; the revocation check
(:mod:`cfcookies.revocation.token`) reads :data:`QUERY_SIGNING_PARAMS`, so that it tells a
signed URL from a cookie request exactly as they do.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from .clock import utc_text
from .cookies import parse_cookie_pairs
from .keys import KeyRing, PublicKey, is_key_pair_id
from .policy import Policy
from .signing import CLOUDFRONT_COOKIE_NAMES, SIGNED_URL_PARAMS

Mode = Literal["url", "cookie", "none"]

#: Values longer than this are refused unread (CloudFront caps a whole request at 20,480 bytes).
_MAX_VALUE = 20_480

#: Any of these in the query makes the request a signed URL, whose cookies CloudFront ignores
#: (``Hash-Algorithm`` alone does not). Names are compared as sent: case-sensitive, undecoded.
QUERY_SIGNING_PARAMS = tuple(name for name in SIGNED_URL_PARAMS if name != "Hash-Algorithm")


@dataclass
class _Signed:
    mode: Mode
    url: str
    values: dict[str, str]
    duplicates: list[str]


def _split_url(url: str) -> tuple[str, str | None]:
    """The URL without its fragment, split at the first ``?``."""
    url = url.split("#", 1)[0]
    base, sep, query = url.partition("?")
    return base, (query if sep else None)


def _read_signed(url: str, cookies: str | bytes | Mapping[str, str] | None) -> _Signed:
    base, query = _split_url(url)
    if query is not None:
        params: dict[str, str] = {}
        kept: list[str] = []
        duplicates: list[str] = []
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name in SIGNED_URL_PARAMS:
                if name in params:
                    duplicates.append(name)
                else:
                    params[name] = unquote(value)
            else:
                kept.append(part)
        if any(name in params for name in QUERY_SIGNING_PARAMS):
            resource_url = base + ("?" + "&".join(kept) if kept else "")
            return _Signed("url", resource_url, params, duplicates)
    resource_url = base if query is None else f"{base}?{query}"
    values: dict[str, str] = {}
    duplicates = []
    if isinstance(cookies, Mapping):
        for name in CLOUDFRONT_COOKIE_NAMES:
            found: object = cookies.get(name)
            if isinstance(found, str):
                values[name] = found
    elif isinstance(cookies, (str, bytes)):
        for name, value in parse_cookie_pairs(cookies):
            if name in CLOUDFRONT_COOKIE_NAMES:
                if name in values:
                    duplicates.append(name)
                else:
                    values[name] = value
    mode: Mode = "cookie" if values else "none"
    return _Signed(mode, resource_url, values, duplicates)


def _public_keys(keys: Mapping[str, PublicKey] | KeyRing) -> Mapping[str, PublicKey]:
    if isinstance(keys, KeyRing):
        return keys.public_keys
    return keys


def _duration(seconds: int) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 172_800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


def _shown_id(key_pair_id: str) -> str:
    if is_key_pair_id(key_pair_id):
        return repr(key_pair_id)
    return "a value that is not a CloudFront key ID (uppercase letters and digits)"


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _describe_policy(policy: Policy) -> str:
    parts = [
        f" for {policy.resource!r}" if policy.resource is not None else " with no Resource",
        f", expiring {utc_text(policy.date_less_than)}",
    ]
    if policy.date_greater_than is not None:
        parts.append(f", starting after {utc_text(policy.date_greater_than)}")
    if policy.ip_address is not None:
        parts.append(f", for clients in {policy.ip_address}")
    return "".join(parts)


def _ip_problem(allowed: str, client_ip: str | None) -> str:
    if client_ip is None or client_ip == "":
        return (
            f"the policy only allows clients in {allowed} and the client IP is unknown; "
            f"pass the viewer's IP (behind a proxy, the edge needs trust_forwarded_for)"
        )
    try:
        address = ipaddress.ip_address(client_ip.strip())
    except ValueError:
        return f"the policy only allows clients in {allowed} and the client IP is not an address"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is None:
            return (
                f"the client {address} is IPv6 and AWS:SourceIp is IPv4 only, so it never "
                f"matches {allowed}; disable IPv6 on the distribution or drop the IP condition"
            )
        address = address.ipv4_mapped
    if address not in ipaddress.ip_network(allowed):
        return (
            f"the client {address} is not in {allowed}; the viewer's address changed (mobile "
            f"network, VPN, proxy) or the app saw a proxy's address when it signed"
        )
    return ""
