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

Turning a decision into a report a person can act on (from a URL and a ``Cookie`` header, or a
browser's HAR export), and whether a browser would send the cookies at all, is
:mod:`cfcookies.diagnose`.
"""

from __future__ import annotations

import ipaddress
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import unquote
from xml.sax.saxutils import escape

from .cookies import parse_cookie_pairs
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
    "Decision",
    "error_xml",
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


# --- names that moved to cfcookies.diagnose -------------------------------------------------------

# ``_printable`` too: the CLI's escaper of what clients sent, until the CLI imports it from there.
_MOVED_TO_DIAGNOSE = frozenset({"CookieDelivery", "cookie_delivery", "explain", "_printable"})


def __getattr__(name: str) -> Any:
    """``explain``, ``cookie_delivery`` and ``CookieDelivery`` live in :mod:`cfcookies.diagnose`;
    importing them from here still works, with a :class:`DeprecationWarning`."""
    if name in _MOVED_TO_DIAGNOSE:
        warnings.warn(
            f"cfcookies.verify.{name} moved to cfcookies.diagnose.{name}; import it from there",
            DeprecationWarning,
            stacklevel=2,
        )
        from . import diagnose  # diagnose imports this module: imported here, when asked

        return getattr(diagnose, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
