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

Each check is one small function, run in that order from one table (``_STEPS``: the check's
name, its title, its function); the first to return an error decides, so the order CloudFront
follows is read in one place and a check can be read on its own.

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

import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from xml.sax.saxutils import escape

from ._reading import (
    _MAX_VALUE,
    Mode,
    _describe_policy,
    _duration,
    _ip_problem,
    _public_keys,
    _read_signed,
    _short,
    _shown_id,
    _Signed,
)
from .clock import epoch_now, utc_text
from .exceptions import (
    BadSignatureError,
    ConfigurationError,
    ExpiredError,
    IPMismatchError,
    MalformedRequestPolicyError,
    MalformedSignatureError,
    MissingKeyPairIdError,
    NotYetValidError,
    PolicyError,
    ResourceMismatchError,
    UnknownKeyError,
    UnsupportedHashAlgorithmError,
    VerificationError,
)
from .keys import KeyRing, PublicKey, is_key_pair_id
from .policy import (
    Clock,
    Policy,
    canned_policy_bytes,
    parse_policy,
    resource_matches,
    system_clock,
)
from .signing import (
    COOKIE_EXPIRES,
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
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

BothPolicy = Literal["policy", "reject"]

#: The ``<Message>`` CloudFront puts beside each ``<Code>`` in its XML error body.
XML_MESSAGES: dict[str, str] = {
    "MissingKey": "Missing Key-Pair-Id query parameter or cookie value",
    "InvalidKey": "Unknown Key",
    "MalformedPolicy": "Malformed Policy",
    "MalformedSignature": "Could not unencode Signature",
    "AccessDenied": "Access denied",
}

#: ``Expires`` is a signed 64-bit integer.
_MAX_EXPIRES = 2**63 - 1
_DIGITS = re.compile(r"^[0-9]{1,19}$")


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


# --- the checks, as a table of steps ------------------------------------------------------------


@dataclass(frozen=True)
class _Names:
    """What the signed values are called where they were read: query parameters or cookies."""

    where: str
    key_pair_id: str
    signature: str
    policy: str
    expires: str
    hash_algorithm: str


_URL_NAMES = _Names(
    "query parameter", "Key-Pair-Id", "Signature", "Policy", "Expires", "Hash-Algorithm"
)
_COOKIE_NAMES = _Names(
    "cookie",
    COOKIE_KEY_PAIR_ID,
    COOKIE_SIGNATURE,
    COOKIE_POLICY,
    COOKIE_EXPIRES,
    COOKIE_HASH_ALGORITHM,
)


class _Run:
    """One request going through the checks, and the checks it has passed.

    A step reads what the steps before it read: ``key_pair_id`` (as sent) after the
    ``key_pair_id`` check, ``public_key`` after ``trusted_key``, ``signature`` after
    ``signature_encoding``, ``policy`` and ``policy_bytes`` after ``policy``,
    ``hash_algorithm`` after ``hash_algorithm``. The table's order guarantees they are set; the
    decision reports them only for the checks that passed.
    """

    key_pair_id: str
    public_key: PublicKey
    signature: bytes
    policy: Policy
    policy_bytes: bytes
    hash_algorithm: HashAlgorithm

    def __init__(
        self,
        signed: _Signed,
        keys: Mapping[str, PublicKey],
        client_ip: str | None,
        now: int,
        on_both: BothPolicy,
    ) -> None:
        self.signed = signed
        self.values = signed.values
        self.keys = keys
        self.client_ip = client_ip
        self.now = now
        self.on_both = on_both
        self.url_mode = signed.mode == "url"
        self.names = _URL_NAMES if self.url_mode else _COOKIE_NAMES
        self.checks: list[Check] = []
        self.notes = [
            f"the {self.names.where} {name} was sent more than once; the first one is used"
            + (
                ""
                if self.url_mode
                else " (browsers send the cookie with the most specific Path first)"
            )
            for name in signed.duplicates
        ]

    def ok(self, name: str, detail: str = "") -> None:
        self.checks.append(Check(name, "passed", detail))

    def decision(self, error: VerificationError | None, failed: str | None = None) -> Decision:
        checks = list(self.checks)
        passed = {c.name for c in checks}
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
            key_pair_id=self.key_pair_id[:128] if "key_pair_id" in passed else None,
            policy=self.policy if "policy" in passed else None,
            hash_algorithm=self.hash_algorithm if "hash_algorithm" in passed else None,
            checks=tuple(checks),
            error=error,
            notes=tuple(self.notes),
        )


#: A check: the detail shown when it passes, or the error that refuses the request.
_Step = Callable[[_Run], str | VerificationError]


def _check_signed_request(run: _Run) -> str | VerificationError:
    """Anything signed at all: signed-URL parameters, or CloudFront cookies."""
    if run.signed.mode == "none":
        return MissingKeyPairIdError(
            "no signature was sent: the URL has no Expires/Policy/Signature/Key-Pair-Id "
            "query parameters and the request carries no CloudFront-* cookies. Check that "
            "the app set the cookies with a Domain covering this host and a Path covering "
            "this URL, and that they have not expired or been deleted"
        )
    return (
        ("signed URL: " if run.url_mode else "signed cookies: ")
        + ", ".join(sorted(run.values))
        + (" (cookies are ignored when the URL is signed)" if run.url_mode else "")
    )


def _check_key_pair_id(run: _Run) -> str | VerificationError:
    """The key pair ID was sent."""
    names = run.names
    key_pair_id = run.values.get(names.key_pair_id, "")
    if not key_pair_id:
        return MissingKeyPairIdError(
            f"the {names.key_pair_id} {names.where} is missing or empty; CloudFront needs the "
            f"public key ID (like K2JCJMDEHXQW5F) beside the signature"
            + (
                ""
                if run.url_mode
                else ". Set CloudFront-Key-Pair-Id with the same Domain and a Path that "
                "covers this URL"
            )
        )
    run.key_pair_id = key_pair_id
    return _shown_id(key_pair_id)


def _check_trusted_key(run: _Run) -> str | VerificationError:
    """The key pair ID names a trusted public key."""
    key_pair_id = run.key_pair_id
    public_key = run.keys.get(key_pair_id) if is_key_pair_id(key_pair_id) else None
    if public_key is None:
        trusted = sorted(run.keys)
        listed = ", ".join(trusted[:8]) + (" ..." if len(trusted) > 8 else "")
        return UnknownKeyError(
            f"the key pair ID {_shown_id(key_pair_id)} is not trusted (trusted: "
            f"{listed or 'none'}). Sign with a trusted key, or add its public key to a key "
            f"group of this cache behavior (a removed key revokes what it signed)",
            key_pair_id=key_pair_id[:128],
        )
    run.public_key = public_key
    return f"{_shown_id(key_pair_id)} is trusted"


def _check_signature_encoding(run: _Run) -> str | VerificationError:
    """The signature is CloudFront base64 of something."""
    name, where = run.names.signature, run.names.where
    signature_text = run.values.get(name)
    signature = b""
    if signature_text is None or signature_text == "":
        problem = f"the {name} {where} is missing or empty"
    elif len(signature_text) > _MAX_VALUE:
        problem = f"the {name} {where} is far too long to be a signature"
    else:
        try:
            signature = cf_b64decode(signature_text)
            problem = "" if signature else f"the {name} {where} is empty"
        except ValueError as exc:
            problem = f"the {name} {where} is not CloudFront base64: {exc}"
    if problem:
        return MalformedSignatureError(
            problem + "; send the signature exactly as cfcookies (or an AWS SDK) produced it, "
            "without URL-decoding or re-encoding it"
        )
    run.signature = signature
    return f"{len(signature)} bytes"


def _check_policy(run: _Run) -> str | VerificationError:
    """The policy can be read: a custom one as sent, or a canned one rebuilt from the URL."""
    names = run.names
    policy_text = run.values.get(names.policy)
    expires_text = run.values.get(names.expires)
    if policy_text is not None and expires_text is not None:
        note = (
            f"both {names.policy} and {names.expires} were sent; CloudFront's behaviour is "
            f"undocumented, so send only one"
        )
        if run.on_both == "reject":
            return MalformedRequestPolicyError(note)
        run.notes.append(note + f" ({names.policy} is used)")
    if policy_text is not None:
        return _read_custom_policy(run, policy_text)
    if expires_text is not None:
        return _rebuild_canned_policy(run, expires_text)
    return MalformedRequestPolicyError(
        f"neither {names.policy} nor {names.expires} was sent; send the "
        f"{names.policy} {names.where} (custom policy) with the signature"
    )


def _read_custom_policy(run: _Run, policy_text: str) -> str | VerificationError:
    """A custom policy: CloudFront base64 of policy JSON that CloudFront would accept."""
    try:
        if len(policy_text) > _MAX_VALUE:
            raise ValueError("too long")
        policy_bytes = cf_b64decode(policy_text)
    except ValueError:
        return MalformedRequestPolicyError(
            f"the {run.names.policy} {run.names.where} is not CloudFront base64 "
            "(A-Z a-z 0-9 - _ ~); send it exactly as it was signed"
        )
    try:
        policy = parse_policy(policy_bytes)
    except PolicyError as exc:
        return MalformedRequestPolicyError(f"the custom policy cannot be read: {exc}")
    run.policy, run.policy_bytes = policy, policy_bytes
    return "custom policy" + _describe_policy(policy)


def _rebuild_canned_policy(run: _Run, expires_text: str) -> str | VerificationError:
    """A canned policy: rebuilt, as CloudFront does, from the request URL and ``Expires``."""
    if not _DIGITS.match(expires_text) or int(expires_text) > _MAX_EXPIRES:
        return MalformedRequestPolicyError(
            f"the {run.names.expires} {run.names.where} must be integer epoch seconds"
        )
    expires = int(expires_text)
    run.policy = Policy(run.signed.url, expires)
    run.policy_bytes = canned_policy_bytes(run.signed.url, expires)
    return (
        f"canned policy rebuilt for this exact URL, expiring {utc_text(expires)} "
        "(a canned policy is valid for one URL only)"
    )


def _check_hash_algorithm(run: _Run) -> str | VerificationError:
    """The hash algorithm is absent (SHA1), ``SHA1`` or ``SHA256``."""
    name = run.names.hash_algorithm
    hash_text = run.values.get(name)
    hash_algorithm: HashAlgorithm
    if hash_text is None or hash_text == "SHA1":
        hash_algorithm = "SHA1"
    elif hash_text == "SHA256":
        hash_algorithm = "SHA256"
    else:
        shown = repr(hash_text) if len(hash_text) <= 16 and hash_text.isprintable() else "a value"
        return UnsupportedHashAlgorithmError(
            f"the {name} {run.names.where} is {shown}; CloudFront accepts exactly SHA1 or SHA256 "
            f"(or no {name}, meaning SHA1)"
        )
    run.hash_algorithm = hash_algorithm
    return hash_algorithm + ("" if hash_text else " (the default)")


def _check_signature(run: _Run) -> str | VerificationError:
    """The signature verifies over the exact policy bytes with the trusted key."""
    if not verify_bytes(run.policy_bytes, run.signature, run.public_key, run.hash_algorithm):
        return BadSignatureError(f"the signature does not match the policy: {_signature_hint(run)}")
    return f"verified with the public key {_shown_id(run.key_pair_id)}"


def _signature_hint(run: _Run) -> str:
    """The likeliest reason a signature does not verify, to say with the refusal."""
    name = run.names.hash_algorithm
    other: HashAlgorithm = "SHA256" if run.hash_algorithm == "SHA1" else "SHA1"
    if verify_bytes(run.policy_bytes, run.signature, run.public_key, other):
        return f"it verifies with {other}: " + (
            f"send {name}=SHA256 with it"
            if other == "SHA256"
            else f"drop {name}=SHA256 or sign with SHA-256"
        )
    if run.names.expires in run.values and run.names.policy not in run.values:
        return (
            "a canned policy is rebuilt from the request URL, so the URL must be exactly the "
            "one that was signed (same host, path, query and encoding) and Expires unchanged"
        )
    return (
        f"the policy was changed after signing, or it was signed by another key than "
        f"{_shown_id(run.key_pair_id)}"
    )


def _check_date_greater_than(run: _Run) -> str | VerificationError:
    """Now is after the policy's ``DateGreaterThan``, if it has one."""
    start, now = run.policy.date_greater_than, run.now
    if start is None:
        return "no start time"
    if not now > start:
        return NotYetValidError(
            f"the policy starts after {utc_text(start)}, {_duration(start - now + 1)} from now; "
            f"check the clocks of the signer and the viewer, or backdate DateGreaterThan a "
            f"little",
            date_greater_than=start,
            now=now,
        )
    return f"started {utc_text(start)}"


def _check_date_less_than(run: _Run) -> str | VerificationError:
    """Now is before the policy's ``DateLessThan``."""
    end, now = run.policy.date_less_than, run.now
    if not now < end:
        ago = now - end
        longer = f" ({_duration(ago)})" if ago >= 120 else ""
        return ExpiredError(
            f"the policy expired at {utc_text(end)}, {ago} seconds ago{longer}; the app must renew "
            f"the cookies (or sign a new URL) before they expire",
            date_less_than=end,
            now=now,
        )
    return f"expires {utc_text(end)}, in {_duration(end - now)}"


def _check_ip_address(run: _Run) -> str | VerificationError:
    """The client's IPv4 address is in the policy's ``AWS:SourceIp``, if it has one."""
    allowed, client_ip = run.policy.ip_address, run.client_ip
    if allowed is None:
        return "no IP condition"
    problem = _ip_problem(allowed, client_ip)
    if problem:
        return IPMismatchError(problem, ip_address=allowed, client_ip=client_ip)
    return f"{client_ip} is in {allowed}"


def _check_resource(run: _Run) -> str | VerificationError:
    """The URL matches the policy's ``Resource`` (a missing one matches everything)."""
    resource, url = run.policy.resource, run.signed.url
    try:
        matches = resource_matches(resource, url)
    except ValueError:
        matches = False
    if not matches:
        return ResourceMismatchError(
            f"the policy's Resource {resource!r} does not match the URL "
            f"{_short(url)!r}; wildcards match within one section (scheme, host, "
            f"path, query) and the host must be the one the viewer uses",
            resource=resource or "",
            url=_short(url),
        )
    if resource is None:
        return "no Resource: every URL of every distribution trusting the key"
    return f"{resource!r} matches"


#: CloudFront's checks in its order: name, what it checks (as a report says it), the step. The
#: first step that returns an error decides; every :class:`Decision` lists all of them.
_STEPS: tuple[tuple[str, str, _Step], ...] = (
    ("signed_request", "a signed URL or signed cookies were sent", _check_signed_request),
    ("key_pair_id", "the key pair ID is present", _check_key_pair_id),
    ("trusted_key", "the key pair ID is trusted", _check_trusted_key),
    ("signature_encoding", "the signature is CloudFront base64", _check_signature_encoding),
    ("policy", "the policy can be read", _check_policy),
    ("hash_algorithm", "the hash algorithm is SHA1 or SHA256", _check_hash_algorithm),
    ("signature", "the signature matches the policy", _check_signature),
    ("date_greater_than", "the policy has started (DateGreaterThan)", _check_date_greater_than),
    ("date_less_than", "the policy has not expired (DateLessThan)", _check_date_less_than),
    ("ip_address", "the client IP is allowed (AWS:SourceIp)", _check_ip_address),
    ("resource", "the URL matches the policy's Resource", _check_resource),
)

#: The checks CloudFront makes, in its order; every :class:`Decision` lists all of them.
CHECK_NAMES: tuple[str, ...] = tuple(name for name, _, _ in _STEPS)
_CHECK_TITLES = {name: title for name, title, _ in _STEPS}


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
    current = epoch_now(clock, now)
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
    """Run the steps of :data:`_STEPS` in order; the first that fails decides."""
    run = _Run(signed, keys, client_ip, now, on_both)
    for name, _, step in _STEPS:
        outcome = step(run)
        if isinstance(outcome, VerificationError):
            return run.decision(outcome, name)
        run.ok(name, outcome)
    return run.decision(None)


# --- names that moved to cfcookies.diagnose -------------------------------------------------------

_MOVED_TO_DIAGNOSE = frozenset({"CookieDelivery", "cookie_delivery", "explain"})


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
