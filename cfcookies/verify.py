"""Verification: decide as CloudFront would whether a request's signed URL or cookies grant it.

:func:`verify_request` follows CloudFront's order (see "What CloudFront checks, in order" in
``docs/concepts.md``, with AWS's sources):

1. signed-URL query parameters (``Expires``, ``Policy``, ``Signature``, ``Key-Pair-Id``) make it
   a signed-URL request and the cookies are ignored; otherwise the ``CloudFront-*`` cookies are
   read;
2. the key pair ID must be present (``MissingKey``) and trusted (``InvalidKey``);
3. the signature must be CloudFront base64 (``MalformedSignature``);
4. the policy must decode (custom: base64 JSON; canned: rebuilt from the request URL and
   ``Expires``) (``MalformedPolicy``);
5. the hash algorithm must be absent, ``SHA1`` or ``SHA256``;
6. the signature must verify (RSA PKCS#1 v1.5 or DER ECDSA);
7. then the policy: ``now > DateGreaterThan``, ``now < DateLessThan``, the client IPv4 address
   in ``AWS:SourceIp`` (an IPv6 client never matches), and the URL matching ``Resource``.

It never raises on what a client sent: any input gives a :class:`Decision`, and malformed input
is never granted. Messages never contain cookie values or signatures; the policy's resource and
dates, and the key pair ID (a public identifier), do appear.

When a ``Cookie`` header carries the same CloudFront cookie several times (cookies set on several
paths), the first one is used: browsers send the cookie with the longest matching ``Path`` first.

:func:`explain` turns a decision into a report a person can act on, from a URL and a ``Cookie``
header or from a browser's HAR export, and can tell whether the ``Set-Cookie`` headers an app
issued would make the browser send the CloudFront cookies to a URL at all.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from .cookies import domain_matches, parse_cookie_pairs, parse_set_cookie
from .exceptions import (
    BadSignatureError,
    ConfigurationError,
    ExpiredError,
    IPMismatchError,
    MalformedRequestPolicyError,
    MalformedSignatureError,
    MissingKeyPairIdError,
    NaiveDatetimeError,
    NotYetValidError,
    PolicyError,
    ResourceMismatchError,
    UnknownKeyError,
    UnsupportedHashAlgorithmError,
    VerificationError,
)
from .keys import KeyRing, PublicKey
from .policy import (
    Clock,
    Policy,
    canned_policy_bytes,
    parse_policy,
    resource_matches,
    system_clock,
)
from .signing import (
    CLOUDFRONT_COOKIE_NAMES,
    COOKIE_EXPIRES,
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    SIGNED_URL_PARAMS,
    HashAlgorithm,
    cf_b64decode,
    verify_bytes,
)

__all__ = [
    "CHECK_NAMES",
    "XML_MESSAGES",
    "Check",
    "CookieDelivery",
    "Decision",
    "cookie_delivery",
    "error_xml",
    "explain",
    "verify_request",
]

Mode = Literal["url", "cookie", "none"]
BothPolicy = Literal["policy", "reject"]

#: The checks CloudFront makes, in its order; every :class:`Decision` lists all of them.
CHECK_NAMES: tuple[str, ...] = (
    "signed_request",
    "key_pair_id",
    "trusted_key",
    "signature_encoding",
    "policy",
    "hash_algorithm",
    "signature",
    "date_greater_than",
    "date_less_than",
    "ip_address",
    "resource",
)

_CHECK_TITLES = {
    "signed_request": "a signed URL or signed cookies were sent",
    "key_pair_id": "the key pair ID is present",
    "trusted_key": "the key pair ID is trusted",
    "signature_encoding": "the signature is CloudFront base64",
    "policy": "the policy can be read",
    "hash_algorithm": "the hash algorithm is SHA1 or SHA256",
    "signature": "the signature matches the policy",
    "date_greater_than": "the policy has started (DateGreaterThan)",
    "date_less_than": "the policy has not expired (DateLessThan)",
    "ip_address": "the client IP is allowed (AWS:SourceIp)",
    "resource": "the URL matches the policy's Resource",
}

#: The ``<Message>`` CloudFront puts beside each ``<Code>`` in its XML error body.
XML_MESSAGES: dict[str, str] = {
    "MissingKey": "Missing Key-Pair-Id query parameter or cookie value",
    "InvalidKey": "Unknown Key",
    "MalformedPolicy": "Malformed Policy",
    "MalformedSignature": "Could not unencode Signature",
    "AccessDenied": "Access denied",
}

#: Values longer than this are refused unread (CloudFront caps a whole request at 20,480 bytes).
_MAX_VALUE = 20_480
#: ``Expires`` is a signed 64-bit integer.
_MAX_EXPIRES = 2**63 - 1
_DIGITS = re.compile(r"^[0-9]{1,19}$")
_KEY_PAIR_ID = re.compile(r"^[A-Za-z0-9]{1,128}$")


@dataclass(frozen=True)
class Check:
    """One of CloudFront's checks: ``status`` is ``passed``, ``failed`` or ``skipped``."""

    name: str
    status: Literal["passed", "failed", "skipped"]
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def title(self) -> str:
        return _CHECK_TITLES.get(self.name, self.name)


@dataclass(frozen=True)
class Decision:
    """What CloudFront would do with a request, and why.

    ``reason`` is ``"allowed"`` or the :class:`~cfcookies.exceptions.VerificationError` reason;
    ``code`` is the ``<Code>`` of CloudFront's XML error body (``None`` when allowed);
    ``url`` is the URL matched against the policy (a signed URL without its signing parameters).
    """

    allowed: bool
    reason: str
    code: str | None
    message: str
    mode: Mode
    url: str
    key_pair_id: str | None = None
    policy: Policy | None = None
    hash_algorithm: HashAlgorithm | None = None
    checks: tuple[Check, ...] = ()
    error: VerificationError | None = field(default=None, repr=False, compare=False)
    notes: tuple[str, ...] = ()

    @property
    def failed_check(self) -> Check | None:
        """The check that failed, if any."""
        return next((c for c in self.checks if c.status == "failed"), None)

    def raise_for_status(self) -> None:
        """Raise the :class:`VerificationError` when the request is refused."""
        if self.error is not None:
            raise self.error

    def error_xml(self) -> str:
        """CloudFront's XML error body for this decision ('' when the request is allowed)."""
        if self.allowed or self.code is None:
            return ""
        return error_xml(self.code)


def error_xml(code: str) -> str:
    """CloudFront's XML error body for an error ``code`` such as ``AccessDenied``."""
    message = XML_MESSAGES.get(code, "Access denied")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    )


# --- reading the request --------------------------------------------------------------------------


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
        if any(name in params for name in SIGNED_URL_PARAMS if name != "Hash-Algorithm"):
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


def _epoch_now(now: int | datetime | None, clock: Clock) -> int:
    value = clock() if now is None else now
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError("now must be an aware datetime (UTC), not a naive one")
        return int(value.timestamp() // 1)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("now must be an aware datetime or integer epoch seconds")
    return value


def _public_keys(keys: Mapping[str, PublicKey] | KeyRing) -> Mapping[str, PublicKey]:
    if isinstance(keys, KeyRing):
        return keys.public_keys
    return keys


def _iso(epoch: int) -> str:
    try:
        return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"epoch {epoch}"


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
    if _KEY_PAIR_ID.match(key_pair_id):
        return repr(key_pair_id)
    return "a value that is not a CloudFront key ID (letters and digits)"


class _Run:
    """Collects checks as they pass; ``fail`` ends the run with a decision."""

    def __init__(self, signed: _Signed) -> None:
        self.signed = signed
        self.checks: list[Check] = []
        self.key_pair_id: str | None = None
        self.policy: Policy | None = None
        self.hash_algorithm: HashAlgorithm | None = None
        self.notes: list[str] = []

    def ok(self, name: str, detail: str = "") -> None:
        self.checks.append(Check(name, "passed", detail))

    def decision(self, error: VerificationError | None, failed: str | None = None) -> Decision:
        checks = list(self.checks)
        if failed is not None and error is not None:
            checks.append(Check(failed, "failed", error.message))
        done = {c.name for c in checks}
        checks += [
            Check(name, "skipped", "not checked: an earlier check failed")
            for name in CHECK_NAMES
            if name not in done
        ]
        return Decision(
            allowed=error is None,
            reason="allowed" if error is None else error.reason,
            code=None if error is None else error.code,
            message="CloudFront would serve this request" if error is None else error.message,
            mode=self.signed.mode,
            url=self.signed.url,
            key_pair_id=self.key_pair_id,
            policy=self.policy,
            hash_algorithm=self.hash_algorithm,
            checks=tuple(checks),
            error=error,
            notes=tuple(self.notes),
        )


def verify_request(
    url: str,
    *,
    cookies: str | bytes | Mapping[str, str] | None = None,
    public_keys: Mapping[str, PublicKey] | KeyRing,
    client_ip: str | None = None,
    now: int | datetime | None = None,
    clock: Clock = system_clock,
    on_both_policy_and_expires: BothPolicy = "policy",
) -> Decision:
    """Decide, as CloudFront would, whether the viewer's request may be served.

    ``url`` is the full raw URL the viewer sent (``scheme://host/raw-path?raw-query``);
    ``cookies`` a ``Cookie`` header or a mapping of cookies by name. A request carrying both a
    ``Policy`` and an ``Expires`` (CloudFront's behaviour is undocumented) is judged on the
    policy, or refused as ``MalformedPolicy`` with ``on_both_policy_and_expires="reject"``.
    Never raises on what the client sent; a naive ``now`` raises :class:`NaiveDatetimeError`.
    """
    if on_both_policy_and_expires not in ("policy", "reject"):
        raise ConfigurationError(
            "on_both_policy_and_expires must be 'policy' or 'reject', got "
            f"{on_both_policy_and_expires!r}"
        )
    current = _epoch_now(now, clock)
    keys = _public_keys(public_keys)
    if not isinstance(url, str):
        url = bytes(url).decode("latin-1") if isinstance(url, (bytes, bytearray)) else str(url)
    signed = _read_signed(url, cookies)
    return _verify(signed, keys, client_ip, current, on_both_policy_and_expires)


def _verify(
    signed: _Signed,
    keys: Mapping[str, PublicKey],
    client_ip: str | None,
    now: int,
    on_both: BothPolicy,
) -> Decision:
    run = _Run(signed)
    url_mode = signed.mode == "url"
    v = signed.values
    names = (
        {"key": "Key-Pair-Id", "sig": "Signature", "policy": "Policy", "expires": "Expires"}
        if url_mode
        else {
            "key": COOKIE_KEY_PAIR_ID,
            "sig": COOKIE_SIGNATURE,
            "policy": COOKIE_POLICY,
            "expires": COOKIE_EXPIRES,
        }
    )
    where = "query parameter" if url_mode else "cookie"
    for name in signed.duplicates:
        run.notes.append(
            f"the {where} {name} was sent more than once; the first one is used"
            + ("" if url_mode else " (browsers send the cookie with the most specific Path first)")
        )

    # 1. anything signed at all?
    if signed.mode == "none":
        return run.decision(
            MissingKeyPairIdError(
                "no signature was sent: the URL has no Expires/Policy/Signature/Key-Pair-Id "
                "query parameters and the request carries no CloudFront-* cookies. Check that "
                "the app set the cookies with a Domain covering this host and a Path covering "
                "this URL, and that they have not expired or been deleted"
            ),
            "signed_request",
        )
    present = sorted(v)
    run.ok(
        "signed_request",
        ("signed URL: " if url_mode else "signed cookies: ")
        + ", ".join(present)
        + (" (cookies are ignored when the URL is signed)" if url_mode else ""),
    )

    # 2. key pair ID
    key_pair_id = v.get(names["key"], "")
    if not key_pair_id:
        return run.decision(
            MissingKeyPairIdError(
                f"the {names['key']} {where} is missing or empty; CloudFront needs the public key "
                f"ID (like K2JCJMDEHXQW5F) beside the signature"
                + (
                    ""
                    if url_mode
                    else ". Set CloudFront-Key-Pair-Id with the same Domain and a Path that "
                    "covers this URL"
                )
            ),
            "key_pair_id",
        )
    run.key_pair_id = key_pair_id if len(key_pair_id) <= 128 else key_pair_id[:128]
    run.ok("key_pair_id", _shown_id(key_pair_id))
    public_key = keys.get(key_pair_id) if _KEY_PAIR_ID.match(key_pair_id) else None
    if public_key is None:
        trusted = sorted(keys)
        listed = ", ".join(trusted[:8]) + (" ..." if len(trusted) > 8 else "")
        return run.decision(
            UnknownKeyError(
                f"the key pair ID {_shown_id(key_pair_id)} is not trusted (trusted: "
                f"{listed or 'none'}). Sign with a trusted key, or add its public key to a key "
                f"group of this cache behavior (a removed key revokes what it signed)",
                key_pair_id=run.key_pair_id,
            ),
            "trusted_key",
        )
    run.ok("trusted_key", f"{_shown_id(key_pair_id)} is trusted")

    # 3. signature encoding
    signature_text = v.get(names["sig"])
    signature = b""
    if signature_text is None or signature_text == "":
        problem = f"the {names['sig']} {where} is missing or empty"
    elif len(signature_text) > _MAX_VALUE:
        problem = f"the {names['sig']} {where} is far too long to be a signature"
    else:
        try:
            signature = cf_b64decode(signature_text)
            problem = "" if signature else f"the {names['sig']} {where} is empty"
        except ValueError as exc:
            problem = f"the {names['sig']} {where} is not CloudFront base64: {exc}"
    if problem:
        return run.decision(
            MalformedSignatureError(
                problem + "; send the signature exactly as cfcookies (or an AWS SDK) produced it, "
                "without URL-decoding or re-encoding it"
            ),
            "signature_encoding",
        )
    run.ok("signature_encoding", f"{len(signature)} bytes")

    # 4. policy
    policy_text = v.get(names["policy"])
    expires_text = v.get(names["expires"])
    policy_bytes: bytes
    if policy_text is not None and expires_text is not None:
        note = (
            f"both {names['policy']} and {names['expires']} were sent; CloudFront's behaviour is "
            f"undocumented, so send only one"
        )
        if on_both == "reject":
            return run.decision(MalformedRequestPolicyError(note), "policy")
        run.notes.append(note + f" ({names['policy']} is used)")
    if policy_text is not None:
        try:
            if len(policy_text) > _MAX_VALUE:
                raise ValueError("too long")
            policy_bytes = cf_b64decode(policy_text)
        except ValueError:
            return run.decision(
                MalformedRequestPolicyError(
                    f"the {names['policy']} {where} is not CloudFront base64 (A-Z a-z 0-9 - _ ~); "
                    "send it exactly as it was signed"
                ),
                "policy",
            )
        try:
            policy = parse_policy(policy_bytes)
        except PolicyError as exc:
            return run.decision(
                MalformedRequestPolicyError(f"the custom policy cannot be read: {exc}"), "policy"
            )
        run.ok("policy", "custom policy" + _describe_policy(policy))
    elif expires_text is not None:
        if not _DIGITS.match(expires_text) or int(expires_text) > _MAX_EXPIRES:
            return run.decision(
                MalformedRequestPolicyError(
                    f"the {names['expires']} {where} must be integer epoch seconds"
                ),
                "policy",
            )
        expires = int(expires_text)
        policy = Policy(signed.url, expires)
        policy_bytes = canned_policy_bytes(signed.url, expires)
        run.ok(
            "policy",
            f"canned policy rebuilt for this exact URL, expiring {_iso(expires)} "
            "(a canned policy is valid for one URL only)",
        )
    else:
        return run.decision(
            MalformedRequestPolicyError(
                f"neither {names['policy']} nor {names['expires']} was sent; send the "
                f"{names['policy']} {where} (custom policy) with the signature"
            ),
            "policy",
        )
    run.policy = policy

    # 5. hash algorithm
    hash_name = "Hash-Algorithm" if url_mode else COOKIE_HASH_ALGORITHM
    hash_text = v.get(hash_name)
    hash_algorithm: HashAlgorithm
    if hash_text is None or hash_text == "SHA1":
        hash_algorithm = "SHA1"
    elif hash_text == "SHA256":
        hash_algorithm = "SHA256"
    else:
        shown = repr(hash_text) if len(hash_text) <= 16 and hash_text.isprintable() else "a value"
        return run.decision(
            UnsupportedHashAlgorithmError(
                f"the {hash_name} {where} is {shown}; CloudFront accepts exactly SHA1 or SHA256 "
                f"(or no {hash_name}, meaning SHA1)"
            ),
            "hash_algorithm",
        )
    run.hash_algorithm = hash_algorithm
    run.ok("hash_algorithm", hash_algorithm + ("" if hash_text else " (the default)"))

    # 6. signature
    if not verify_bytes(policy_bytes, signature, public_key, hash_algorithm):
        other: HashAlgorithm = "SHA256" if hash_algorithm == "SHA1" else "SHA1"
        if verify_bytes(policy_bytes, signature, public_key, other):
            hint = f"it verifies with {other}: " + (
                f"send {hash_name}=SHA256 with it"
                if other == "SHA256"
                else f"drop {hash_name}=SHA256 or sign with SHA-256"
            )
        elif expires_text is not None and policy_text is None:
            hint = (
                "a canned policy is rebuilt from the request URL, so the URL must be exactly the "
                "one that was signed (same host, path, query and encoding) and Expires unchanged"
            )
        else:
            hint = (
                f"the policy was changed after signing, or it was signed by another key than "
                f"{_shown_id(key_pair_id)}"
            )
        return run.decision(
            BadSignatureError(f"the signature does not match the policy: {hint}"), "signature"
        )
    run.ok("signature", f"verified with the public key {_shown_id(key_pair_id)}")

    # 7. the policy's conditions
    if policy.date_greater_than is not None:
        if not now > policy.date_greater_than:
            wait = policy.date_greater_than - now
            return run.decision(
                NotYetValidError(
                    f"the policy starts after {_iso(policy.date_greater_than)}, "
                    f"{_duration(wait + 1)} from now; check the clocks of the signer and the "
                    f"viewer, or backdate DateGreaterThan a little",
                    date_greater_than=policy.date_greater_than,
                    now=now,
                ),
                "date_greater_than",
            )
        run.ok("date_greater_than", f"started {_iso(policy.date_greater_than)}")
    else:
        run.ok("date_greater_than", "no start time")
    if not now < policy.date_less_than:
        ago = now - policy.date_less_than
        longer = f" ({_duration(ago)})" if ago >= 120 else ""
        return run.decision(
            ExpiredError(
                f"the policy expired at {_iso(policy.date_less_than)}, {ago} seconds ago"
                f"{longer}; the app must renew the cookies (or sign a new URL) before they expire",
                date_less_than=policy.date_less_than,
                now=now,
            ),
            "date_less_than",
        )
    run.ok(
        "date_less_than",
        f"expires {_iso(policy.date_less_than)}, in {_duration(policy.date_less_than - now)}",
    )
    if policy.ip_address is not None:
        problem = _ip_problem(policy.ip_address, client_ip)
        if problem:
            return run.decision(
                IPMismatchError(problem, ip_address=policy.ip_address, client_ip=client_ip),
                "ip_address",
            )
        run.ok("ip_address", f"{client_ip} is in {policy.ip_address}")
    else:
        run.ok("ip_address", "no IP condition")
    try:
        matches = resource_matches(policy.resource, signed.url)
    except ValueError:
        matches = False
    if not matches:
        return run.decision(
            ResourceMismatchError(
                f"the policy's Resource {policy.resource!r} does not match the URL "
                f"{_short(signed.url)!r}; wildcards match within one section (scheme, host, "
                f"path, query) and the host must be the one the viewer uses",
                resource=policy.resource or "",
                url=_short(signed.url),
            ),
            "resource",
        )
    run.ok(
        "resource",
        "no Resource: every URL of every distribution trusting the key"
        if policy.resource is None
        else f"{policy.resource!r} matches",
    )
    return run.decision(None)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _redact(url: str) -> str:
    """The URL with the values of its Policy and Signature parameters hidden."""
    base, query = _split_url(url)
    if query is None:
        return base
    parts = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        parts.append(f"{name}=..." if sep and name in ("Policy", "Signature") else part)
    return base + "?" + "&".join(parts)


def _describe_policy(policy: Policy) -> str:
    parts = [
        f" for {policy.resource!r}" if policy.resource is not None else " with no Resource",
        f", expiring {_iso(policy.date_less_than)}",
    ]
    if policy.date_greater_than is not None:
        parts.append(f", starting after {_iso(policy.date_greater_than)}")
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


# --- would the browser send the cookies? ---------------------------------------------------------


@dataclass(frozen=True)
class CookieDelivery:
    """Whether a browser would send one ``Set-Cookie`` to a URL, and why not."""

    name: str
    sent: bool
    reason: str
    path: str | None
    domain: str | None


def _path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def cookie_delivery(
    url: str,
    set_cookie_headers: Sequence[str],
    *,
    issued_by: str | None = None,
    now: int | datetime | None = None,
    clock: Clock = system_clock,
) -> list[CookieDelivery]:
    """For each CloudFront ``Set-Cookie`` header, whether a browser would send it to ``url``.

    Applies the RFC 6265 domain, path and ``Secure`` rules and expiry. ``issued_by`` is the host
    (or URL) of the app that sent the headers; without it a host-only cookie (no ``Domain``) is
    assumed to come from the URL's own host. Cookies other than ``CloudFront-*`` are ignored.
    """
    current = _epoch_now(now, clock)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return []
    path = parts.path or "/"
    issuer = issued_by
    if issuer and "://" in issuer:
        issuer = urlsplit(issuer).hostname
    issuer = (issuer or host).lower()
    out: list[CookieDelivery] = []
    for header in set_cookie_headers:
        parsed = parse_set_cookie(header)
        if parsed is None or not parsed.name.startswith("CloudFront-"):
            continue
        name, attrs = parsed.name, parsed.attributes
        domain = attrs.get("domain") or None
        cookie_path = attrs.get("path") or None
        reasons: list[str] = []
        if domain is not None:
            bare = domain.lstrip(".").lower()
            if not domain_matches(issuer, bare):
                reasons.append(
                    f"the browser rejects it: Domain={domain} does not cover {issuer}, the host "
                    "that set it"
                )
            elif not domain_matches(host, bare):
                reasons.append(f"Domain={domain} does not cover {host}")
        elif issuer != host:
            reasons.append(
                f"it has no Domain, so it is host-only for {issuer} and never sent to {host}; "
                f"set Domain to a parent of both hosts"
            )
        if cookie_path is None or not cookie_path.startswith("/"):
            reasons.append(
                "it has no Path, so the browser uses the folder of the page that set it; set "
                "Path explicitly"
            )
        elif not _path_matches(path, cookie_path):
            reasons.append(f"{name} was set for Path={cookie_path} and is not sent to {path}")
        if "secure" in attrs and parts.scheme != "https":
            reasons.append("it is Secure and the URL is not https")
        max_age = attrs.get("max-age")
        if max_age is not None and re.match(r"^-?[0-9]+$", max_age) and int(max_age) <= 0:
            reasons.append("Max-Age<=0: this header deletes the cookie")
        elif max_age is None and attrs.get("expires"):
            try:
                when = parsedate_to_datetime(attrs["expires"])
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                if when.timestamp() <= current:
                    reasons.append(f"it expired at {attrs['expires']} (or deletes the cookie)")
            except (TypeError, ValueError, IndexError):
                pass
        out.append(
            CookieDelivery(
                name,
                not reasons,
                "; ".join(reasons) or "sent (domain, path and Secure rules match)",
                cookie_path,
                domain,
            )
        )
    return out


# --- explain -----------------------------------------------------------------------------------

_MEDIA_SUFFIXES = (
    ".m3u8", ".ts", ".mp4", ".m4s", ".m4a", ".m4v", ".mpd", ".vtt", ".webvtt", ".aac", ".key",
    ".mp3", ".webm", ".jpg", ".jpeg", ".png", ".webp", ".gif", ".json", ".pdf",
)  # fmt: skip


def _har_pairs(items: object) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict):
                name, value = item.get("name"), item.get("value")
                if isinstance(name, str) and isinstance(value, str):
                    out.append((name, value))
    return out


@dataclass(frozen=True)
class _HarEntry:
    url: str
    cookie_header: str | None
    status: int | None
    host: str
    set_cookies: tuple[str, ...]


def _load_har(har: str | os.PathLike[str] | Mapping[str, Any]) -> list[_HarEntry]:
    if isinstance(har, Mapping):
        doc: Any = har
    else:
        try:
            doc = json.loads(Path(har).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigurationError(f"cannot read the HAR file: {exc.strerror}") from None
        except ValueError:
            raise ConfigurationError("the HAR file is not JSON") from None
    entries = doc.get("log", {}).get("entries") if isinstance(doc, Mapping) else None
    if not isinstance(entries, list):
        raise ConfigurationError("not a HAR export: no log.entries list")
    out: list[_HarEntry] = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
            continue
        request = entry["request"]
        url = request.get("url")
        if not isinstance(url, str):
            continue
        headers = _har_pairs(request.get("headers"))
        cookie_values = [v for n, v in headers if n.lower() == "cookie"]
        cookie_header: str | None = "; ".join(cookie_values) if cookie_values else None
        if cookie_header is None:
            pairs = _har_pairs(request.get("cookies"))
            cookie_header = "; ".join(f"{n}={v}" for n, v in pairs) if pairs else None
        response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
        status = response.get("status") if isinstance(response, dict) else None
        set_cookies = tuple(
            v
            for n, v in _har_pairs(response.get("headers") if isinstance(response, dict) else [])
            if n.lower() == "set-cookie"
        )
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            host = ""
        out.append(
            _HarEntry(
                url,
                cookie_header,
                status if isinstance(status, int) else None,
                host,
                set_cookies,
            )
        )
    return out


_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_char(char: str) -> str:
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` safe for a terminal: every character ``repr`` would escape is escaped.

    That is C0 and C1 controls (``ESC`` as ``\\x1b``, ``\\r``, ``\\x08`` ...), ``DEL``, bidi
    overrides and other format characters (``\\u202e``, ``\\u2066`` ...), line and paragraph
    separators, lone surrogates (which could not even be encoded) and unassigned code points.
    With ``keep_newlines`` the ``\\n`` between lines stay; otherwise they are escaped too.
    """
    if text.isprintable():
        return text
    if keep_newlines:
        return "\n".join(_printable(line) for line in text.split("\n"))
    return "".join(c if c.isprintable() else _escape_char(c) for c in text)


def _is_media(url: str) -> bool:
    path = _split_url(url)[0].lower()
    return path.endswith(_MEDIA_SUFFIXES)


def explain(
    url: str | None = None,
    *,
    cookie_header: str | None = None,
    har: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    public_keys: Mapping[str, PublicKey] | KeyRing,
    client_ip: str | None = None,
    now: int | datetime | None = None,
    clock: Clock = system_clock,
    set_cookie_headers: Sequence[str] | None = None,
    issued_by: str | None = None,
) -> str:
    """A report, in words a person can act on, of what CloudFront checks and which check fails.

    Give ``url`` and ``cookie_header`` (what the browser sent), or ``har``: a browser HAR export
    (path or parsed dict); then the entry for ``url`` is explained, or with no ``url`` every media
    request in it (playlists, segments, images ...). ``set_cookie_headers`` (the ``Set-Cookie``
    values the app issued, with ``issued_by`` the app's host) adds whether the browser would send
    each CloudFront cookie to the URL; from a HAR they are collected from its responses.

    The report is safe to print: control characters, bidi overrides and other characters
    ``repr`` would escape, in anything the client sent, are written as escapes (``\\x1b``,
    ``\\r``, ``\\u202e``), and each line of the report is one line.
    """
    current = _epoch_now(now, clock)
    if har is None:
        if url is None:
            raise ConfigurationError("explain needs a url, or a HAR export with har=")
        return _explain_one(
            url,
            cookie_header,
            public_keys=public_keys,
            client_ip=client_ip,
            now=current,
            set_cookie_headers=set_cookie_headers,
            issued_by=issued_by,
            status=None,
        )
    entries = _load_har(har)
    har_set_cookies: list[str] = list(set_cookie_headers or [])
    issuer = issued_by
    if set_cookie_headers is None:
        for entry in entries:
            cf = [h for h in entry.set_cookies if h.strip().startswith("CloudFront-")]
            if cf:
                har_set_cookies.extend(cf)
                issuer = issuer or entry.host
    if url is not None:
        chosen = [e for e in entries if e.url == url]
        if not chosen:
            base = _split_url(url)[0]
            chosen = [e for e in entries if _split_url(e.url)[0] == base]
        if not chosen:
            return f"The HAR export has no request for {_printable(_short(url))}.\n"
        chosen = chosen[:1]
    else:
        chosen = [e for e in entries if _is_media(e.url)]
        if not chosen:
            return "The HAR export has no media requests (playlists, segments, images).\n"
    reports = [
        _explain_one(
            entry.url,
            entry.cookie_header,
            public_keys=public_keys,
            client_ip=client_ip,
            now=current,
            set_cookie_headers=har_set_cookies or None,
            issued_by=issuer,
            status=entry.status,
        )
        for entry in chosen
    ]
    return "\n".join(reports)


def _explain_one(
    url: str,
    cookie_header: str | None,
    *,
    public_keys: Mapping[str, PublicKey] | KeyRing,
    client_ip: str | None,
    now: int,
    set_cookie_headers: Sequence[str] | None,
    issued_by: str | None,
    status: int | None,
) -> str:
    decision = verify_request(
        url, cookies=cookie_header, public_keys=public_keys, client_ip=client_ip, now=now
    )
    lines = [f"GET {_short(_redact(url))}"]
    if status is not None:
        lines.append(f"  the browser got HTTP {status}")
    mode = {
        "url": "a signed URL (cookies are ignored)",
        "cookie": "signed cookies",
        "none": "nothing: no signed URL and no CloudFront cookies",
    }[decision.mode]
    lines.append(f"  signed with: {mode}")
    if decision.allowed:
        lines.append("  result: ALLOWED, CloudFront would serve it")
    else:
        lines.append(
            f"  result: DENIED, 403 {decision.code} ({decision.reason}); CloudFront would "
            f"answer {XML_MESSAGES.get(decision.code or '', 'Access denied')!r}"
        )
    lines.append("  CloudFront checks, in order:")
    for number, check in enumerate(decision.checks, 1):
        mark = {"passed": "ok  ", "failed": "FAIL", "skipped": " -- "}[check.status]
        detail = f": {check.detail}" if check.detail and check.status != "skipped" else ""
        lines.append(f"   {number:2}. [{mark}] {check.title}{detail}")
    for note in decision.notes:
        lines.append(f"  note: {note}")
    if set_cookie_headers:
        deliveries = cookie_delivery(url, set_cookie_headers, issued_by=issued_by, now=now)
        if deliveries:
            lines.append(
                "  cookie not sent for this domain or path? (from the Set-Cookie headers):"
            )
            for d in deliveries:
                where = f"Path={d.path or '(none)'}, Domain={d.domain or '(host-only)'}"
                verdict = "sent" if d.sent else f"NOT sent: {d.reason}"
                lines.append(f"    - {d.name} ({where}): {verdict}")
    # Each line is one line: whatever the client sent (URL, cookies, policy, Set-Cookie) is
    # escaped, newlines included, so it can neither drive the terminal nor forge a line.
    return "\n".join(_printable(line) for line in lines) + "\n"
