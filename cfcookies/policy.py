"""CloudFront policies: one statement, its resource, its dates and its IP range.

Everything here is pure: no keys, no HTTP. The JSON written is compact and in a stable key order
(``Resource``, then ``DateLessThan``, ``DateGreaterThan``, ``IpAddress`` as in AWS's
documentation and ``@aws-sdk/cloudfront-signer``); canned policies are byte-exact as CloudFront
rebuilds them from the request.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes, urlsplit

from .clock import Clock, TimeInput, system_clock, to_epoch
from .exceptions import (
    IPAddressError,
    MalformedPolicyError,
    PolicyTimeError,
    ResourceError,
)

__all__ = [
    "Clock",
    "Policy",
    "TimeInput",
    "canned_policy_bytes",
    "canned_policy_json",
    "normalize_ip_address",
    "normalize_prefix",
    "parse_policy",
    "prefix_resource",
    "resource_matches",
    "system_clock",
    "to_epoch",
    "validate_resource",
]

_RESOURCE_SCHEMES = ("https://", "http://", "http*://", "*://")
_FORBIDDEN_RESOURCE_CHARS = re.compile(r"[^\x21-\x7e]|[\"\\#]")
# The same, but for '\?' (a literal '?' in a custom policy's resource).
_FORBIDDEN_CUSTOM_CHARS = re.compile(r"[^\x21-\x7e]|[\"#]|\\(?!\?)")
_HEX2 = re.compile(r"%[0-9A-Fa-f]{2}")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# What may stand unescaped in a path segment: RFC 3986 pchar minus '%' (handled apart) and minus
# ';' and ',', which normalize_prefix refuses raw: ';' ends a cookie's Path attribute and ','
# splits folded Set-Cookie headers.
_SEGMENT_SAFE = "-._~!$&'()+=:@"
#: Printable ASCII but '"' and '\\': what json.dumps writes unescaped (the policy's JSON and
#: the state cookie's are written directly when every string is made of it).
JSON_PLAIN = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9\-._~!$&'()+=:@]*")
# A prefix already in its final form: every character a plain one, no '.' or '..' segment. It
# holds no whitespace, control, '%', ';' or ',', so the full checks could only accept it as is.
_NORMALIZED_PREFIX = re.compile(r"/(?:(?!\.\.?/)[A-Za-z0-9\-._~!$&'()+=:@]+/)*")
# Refused anywhere in a prefix, before any decoding.
_PREFIX_WILDCARDS = re.compile(r"[*?#]")
_PREFIX_COOKIE_BREAKERS = re.compile(r"[;,]")
_PREFIX_QUOTES = re.compile(r'["\\]')


def normalize_ip_address(value: str) -> str:
    """Validate an IPv4 address or CIDR range for ``AWS:SourceIp``; a bare address gets ``/32``."""
    if not isinstance(value, str) or not value.strip():
        raise IPAddressError(f"ip_address must be an IPv4 address or CIDR range, got {value!r}")
    text = value.strip()
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise IPAddressError(
                f"ip_address must be an IPv4 address or CIDR range like 192.0.2.0/24, got {text!r}"
            ) from None
        raise IPAddressError(
            f"ip_address {text!r} has host bits set; did you mean {loose.with_prefixlen}?"
        ) from exc
    if network.version != 4:
        raise IPAddressError(
            f"ip_address {text!r} is IPv6; CloudFront's AWS:SourceIp condition supports IPv4 "
            f"only (and AWS advises against enabling IPv6 on a distribution that uses it)"
        )
    return network.with_prefixlen


def validate_resource(resource: str, *, allow_wildcards: bool = True) -> str:
    """Check that ``resource`` can stand in a policy unchanged and be matched by CloudFront.

    Rejects what would need JSON escaping or could never match a request: quotes, backslashes,
    control characters, spaces, raw non-ASCII, ``#``. The resource must start with
    ``https://``, ``http://``, ``http*://`` or ``*://``, or be ``*``. With
    ``allow_wildcards=False`` (canned policies) ``*`` wildcards are refused.

    In a custom policy, as AWS documents it, ``?`` is the one-character wildcard and ``\\?``
    (one, after the path starts) the literal ``?`` that begins the query string; a ``?``
    wildcard also matches that separator, so ``https://host/a.jpg?size=large``, as AWS's
    signers write a URL with its query, matches the URL (see :func:`resource_matches`). A
    canned policy is the URL itself: one ``?`` at most, no backslash.
    """
    if not isinstance(resource, str) or not resource:
        raise ResourceError(f"resource must be a non-empty URL string, got {resource!r}")
    forbidden = _FORBIDDEN_RESOURCE_CHARS if not allow_wildcards else _FORBIDDEN_CUSTOM_CHARS
    bad = forbidden.search(resource)
    if bad is None and resource.count(_LITERAL_QUESTION) > 1:
        raise ResourceError(
            "resource holds '\\?' (the literal '?' that begins the query string) more than "
            f"once; percent-encode a literal '?' in the query as %3F, in {resource[:80]!r}"
        )
    if bad:
        char = bad.group()
        raise ResourceError(
            f"resource contains {char!r} at position {bad.start()}; percent-encode spaces and "
            f"non-ASCII characters in the path (punycode for host names), and leave out "
            f"quotes, backslashes, control characters and '#'"
        )
    if resource == "*":
        if not allow_wildcards:
            raise ResourceError("a canned policy needs one exact URL, not '*'")
        return resource
    if not resource.startswith(_RESOURCE_SCHEMES):
        raise ResourceError(
            f"resource must start with https:// (or http://, http*://, *://), got {resource[:40]!r}"
        )
    after_scheme = resource.split("://", 1)[1]
    slash = after_scheme.find("/")
    if "?" in (after_scheme if slash == -1 else after_scheme[:slash]):
        raise ResourceError(
            "resource has '?' in its host name: a '?' or '\\?' belongs after the path starts "
            f"(https://host/path?query), in {resource[:80]!r}"
        )
    if not allow_wildcards and after_scheme.count("?") > 1:
        raise ResourceError(
            "a canned policy's URL holds '?' once, where its query string begins; "
            f"percent-encode a literal '?' in the query as %3F, in {resource[:80]!r}"
        )
    if not allow_wildcards:
        if "*" in resource:
            raise ResourceError(
                "a canned policy cannot hold a wildcard: CloudFront rebuilds it from the "
                "request URL, so it would never match. Use a custom policy for "
                f"{resource[:80]!r}"
            )
        if not resource.startswith(("https://", "http://")):
            raise ResourceError("a canned policy's resource must start with https:// or http://")
    return resource


@dataclass(frozen=True, init=False)
class Policy:
    """A CloudFront policy: one statement with one resource and its conditions.

    Build one with :meth:`Policy.custom` (validates and converts times) or parse one with
    :func:`parse_policy`. ``resource`` is ``None`` only for a parsed policy that omitted it, which
    CloudFront reads as "every file of every distribution that trusts the key".
    """

    resource: str | None
    date_less_than: int
    date_greater_than: int | None = None
    ip_address: str | None = None

    def __init__(
        self,
        resource: str | None,
        date_less_than: int,
        date_greater_than: int | None = None,
        ip_address: str | None = None,
    ) -> None:
        # Built on every login: the fields go straight into the instance's dictionary (the
        # generated frozen __init__ calls object.__setattr__ once per field).
        fields = self.__dict__
        fields["resource"] = resource
        fields["date_less_than"] = date_less_than
        fields["date_greater_than"] = date_greater_than
        fields["ip_address"] = ip_address

    @classmethod
    def custom(
        cls,
        resource: str,
        *,
        date_less_than: TimeInput,
        date_greater_than: TimeInput | None = None,
        ip_address: str | None = None,
        clock: Clock = system_clock,
    ) -> Policy:
        """A validated custom policy for ``resource`` (wildcards allowed)."""
        validate_resource(resource)
        end = to_epoch(date_less_than, field="date_less_than", clock=clock)
        start = None
        if date_greater_than is not None:
            start = to_epoch(date_greater_than, field="date_greater_than", clock=clock)
            if start >= end:
                raise PolicyTimeError(
                    f"date_greater_than ({start}) must be before date_less_than ({end})"
                )
        ip = normalize_ip_address(ip_address) if ip_address is not None else None
        return cls(resource, end, start, ip)

    @property
    def is_canned_shape(self) -> bool:
        """True when the policy could be sent as a canned one (only a resource and an expiry)."""
        return (
            self.resource is not None
            and self.date_greater_than is None
            and self.ip_address is None
            and "*" not in self.resource
        )

    def to_dict(self) -> dict[str, object]:
        condition: dict[str, object] = {"DateLessThan": {"AWS:EpochTime": self.date_less_than}}
        if self.date_greater_than is not None:
            condition["DateGreaterThan"] = {"AWS:EpochTime": self.date_greater_than}
        if self.ip_address is not None:
            condition["IpAddress"] = {"AWS:SourceIp": self.ip_address}
        statement: dict[str, object] = {}
        if self.resource is not None:
            statement["Resource"] = self.resource
        statement["Condition"] = condition
        return {"Statement": [statement]}

    def to_json(self) -> bytes:
        """Compact JSON, the exact bytes that are base64-encoded and signed."""
        resource, ip = self.resource, self.ip_address
        if (
            (resource is None or JSON_PLAIN.fullmatch(resource))
            and (ip is None or JSON_PLAIN.fullmatch(ip))
            and type(self.date_less_than) is int
            and (self.date_greater_than is None or type(self.date_greater_than) is int)
        ):
            # What json.dumps writes for these keys, in this order, when no string needs an
            # escape (what validate_resource and normalize_ip_address guarantee): faster.
            condition = f'"DateLessThan":{{"AWS:EpochTime":{self.date_less_than:d}}}'
            if self.date_greater_than is not None:
                start = self.date_greater_than
                condition += f',"DateGreaterThan":{{"AWS:EpochTime":{start:d}}}'
            if ip is not None:
                condition += f',"IpAddress":{{"AWS:SourceIp":"{ip}"}}'
            head = "" if resource is None else f'"Resource":"{resource}",'
            return (f'{{"Statement":[{{{head}"Condition":{{{condition}}}}}]}}').encode()
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=True).encode()


def canned_policy_json(resource: str, date_less_than: int) -> bytes:
    """The canned policy CloudFront rebuilds for ``resource`` expiring at ``date_less_than``."""
    validate_resource(resource, allow_wildcards=False)
    if isinstance(date_less_than, bool) or not isinstance(date_less_than, int):
        raise PolicyTimeError("date_less_than must be integer epoch seconds")
    return canned_policy_bytes(resource, date_less_than)


def canned_policy_bytes(resource: str, date_less_than: int) -> bytes:
    """The canned policy bytes for ``resource`` and ``date_less_than``, unchecked.

    What CloudFront rebuilds from a request URL and its ``Expires`` to verify a canned
    signature: the verifier takes the URL as the viewer sent it, so nothing is validated here
    (a character UTF-8 cannot encode becomes ``?``). :func:`canned_policy_json` validates first,
    for signing; for a valid resource both give the same bytes.
    """
    return (
        '{"Statement":[{"Resource":"' + resource + '","Condition":{"DateLessThan":'
        '{"AWS:EpochTime":' + str(date_less_than) + "}}}]}"
    ).encode("utf-8", "replace")


def _epoch_field(condition: dict[str, object], name: str) -> int:
    inner = condition[name]
    if not isinstance(inner, dict) or set(inner) != {"AWS:EpochTime"}:
        raise MalformedPolicyError(f'Condition.{name} must be {{"AWS:EpochTime": <seconds>}}')
    value = inner["AWS:EpochTime"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedPolicyError(
            f"Condition.{name}.AWS:EpochTime must be an integer, unquoted, got {value!r}"
        )
    return value


def parse_policy(data: bytes) -> Policy:
    """Parse policy JSON as CloudFront reads it; :class:`MalformedPolicyError` if it would not.

    Whitespace and key order do not matter; there must be exactly one statement, a
    ``DateLessThan``, and no unknown fields.
    """
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedPolicyError("the policy is not valid UTF-8 JSON") from None
    if not isinstance(doc, dict) or set(doc) != {"Statement"}:
        raise MalformedPolicyError('the policy must be an object with only a "Statement" key')
    statements = doc["Statement"]
    if not isinstance(statements, list) or len(statements) != 1:
        raise MalformedPolicyError("Statement must be a list with exactly one statement")
    statement = statements[0]
    if not isinstance(statement, dict) or not set(statement) <= {"Resource", "Condition"}:
        raise MalformedPolicyError("a statement holds only Resource and Condition")
    resource = statement.get("Resource")
    if resource is not None and not isinstance(resource, str):
        raise MalformedPolicyError("Resource must be one string")
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        raise MalformedPolicyError("the statement has no Condition object")
    if not set(condition) <= {"DateLessThan", "DateGreaterThan", "IpAddress"}:
        unknown = sorted(set(condition) - {"DateLessThan", "DateGreaterThan", "IpAddress"})
        raise MalformedPolicyError(f"unknown condition(s): {', '.join(unknown)}")
    if "DateLessThan" not in condition:
        raise MalformedPolicyError("the policy has no Condition.DateLessThan (it is required)")
    end = _epoch_field(condition, "DateLessThan")
    start = _epoch_field(condition, "DateGreaterThan") if "DateGreaterThan" in condition else None
    ip: str | None = None
    if "IpAddress" in condition:
        inner = condition["IpAddress"]
        if not isinstance(inner, dict) or set(inner) != {"AWS:SourceIp"}:
            raise MalformedPolicyError('IpAddress must be {"AWS:SourceIp": "<IPv4 CIDR>"}')
        raw_ip = inner["AWS:SourceIp"]
        if not isinstance(raw_ip, str):
            raise MalformedPolicyError("AWS:SourceIp must be a string")
        try:
            ip = normalize_ip_address(raw_ip)
        except IPAddressError as exc:
            raise MalformedPolicyError(str(exc)) from None
    return Policy(resource, end, start, ip)


def normalize_prefix(prefix: str) -> str:
    """The folder ``prefix`` names, percent-encoded once and ending in ``/``; or ResourceError.

    Refuse, never rewrite: a prefix is accepted only if it names exactly one folder, and the
    result names that same folder (its segments decode to the very bytes the input's segments
    decode to). Nothing is stripped or dropped, since what is dropped could widen the grant:
    ``"/users/" + name`` with a blank ``name`` must not become ``/users/``.

    Accepted: ``/`` (the whole distribution), and segments separated by single slashes, with at
    most one optional ``/`` at the start and one at the end: ``videos/course-1``,
    ``/videos/course-1`` and ``/videos/course-1/`` all give ``/videos/course-1/``. Inside a name,
    a space or other non-control whitespace and non-ASCII characters are percent-encoded (UTF-8)
    once (``/my course/`` gives ``/my%20course/``); an existing ``%XX`` escape is kept, upper-cased;
    a ``%`` that starts no escape is encoded as ``%25``. ``%3B`` and ``%2C`` are kept encoded.

    Refused with :class:`ResourceError`:

    - the empty string, and whitespace (any ``str.isspace`` character) at the start or end;
    - an empty segment (``//``, including ``//videos`` and ``/videos//``), a segment that is
      blank (only whitespace or invisible format characters such as U+200B, also
      percent-encoded like ``%20``) or that starts or ends with whitespace (``/users/ bob/``);
    - ``.`` and ``..`` segments, also percent-encoded (``%2e``, ``.%2E``);
    - ``%2F`` and ``%5C`` (a separator hidden in a name), ``\\`` and ``"``;
    - control characters (C0, DEL, C1), raw or percent-encoded (``%00``-``%1F``, ``%7F``,
      ``%C2%85``), and lone surrogates;
    - ``;`` and ``,`` raw (they would end or split the cookie's ``Path`` attribute);
    - ``*``, ``?``, ``#`` (cfcookies adds the one wildcard itself) and whole URLs.

    ``"/users/" + ""`` *is* ``"/users/"``, which no check can tell from a deliberate grant of the
    parent: join names as ``f"/users/{name}/"``, which refuses an empty or blank ``name``.
    """
    if not isinstance(prefix, str):
        raise ResourceError(f"a prefix must be a str, got {type(prefix).__name__}")
    if prefix.endswith("/"):
        if _NORMALIZED_PREFIX.fullmatch(prefix):  # already in its final form: the common case
            return prefix
    elif prefix and _NORMALIZED_PREFIX.fullmatch(prefix + "/"):  # the same, without its final /
        return prefix + "/"
    _check_prefix_characters(prefix)
    if prefix == "/":
        return "/"
    body = prefix[1:] if prefix.startswith("/") else prefix
    body = body[:-1] if body.endswith("/") else body
    return "/" + "/".join(_check_segment(prefix, segment) for segment in body.split("/")) + "/"


def _check_prefix_characters(prefix: str) -> None:
    """Refuse a prefix for what it holds as written, before any decoding."""
    if not prefix:
        raise ResourceError("a prefix must not be empty; use '/' to grant the whole distribution")
    if prefix[0].isspace() or prefix[-1].isspace():
        raise ResourceError(
            f"prefix {prefix!r} starts or ends with whitespace; cfcookies does not strip it "
            f"(a blank name would then grant its parent folder): pass the folder without it, "
            f"and check any name joined into it"
        )
    if "://" in prefix:
        raise ResourceError(
            f"prefix {prefix!r} is a URL; give only its path, like /videos/course-1"
        )
    for index, char in enumerate(prefix):
        category = unicodedata.category(char)
        if category == "Cc":
            raise ResourceError(
                f"prefix {prefix!r} contains the control character {char!r} at position "
                f"{index}; remove it (no URL path holds one)"
            )
        if category == "Cs":
            raise ResourceError(
                f"prefix {prefix!r} contains the lone surrogate {char!r} at position {index}, "
                f"which no URL can encode; decode the name with errors='strict' and fix it"
            )
    bad = _PREFIX_WILDCARDS.search(prefix)
    if bad:
        raise ResourceError(
            f"prefix {prefix!r} contains {bad.group()!r}; give a plain folder such as "
            f"/videos/course-1 and cfcookies adds the wildcard"
        )
    bad = _PREFIX_COOKIE_BREAKERS.search(prefix)
    if bad:
        raise ResourceError(
            f"prefix {prefix!r} contains {bad.group()!r}, which would break the cookie Path "
            f"attribute; use a folder name without it (or %{ord(bad.group()):02X} if the "
            f"folder's URLs really spell it encoded)"
        )
    bad = _PREFIX_QUOTES.search(prefix)
    if bad:
        raise ResourceError(
            f"prefix {prefix!r} contains {bad.group()!r}; a folder name cannot hold a "
            f"double quote or a backslash (browsers read '\\' as '/'): remove it"
        )


def _check_segment(prefix: str, segment: str) -> str:
    """One segment of ``prefix``, percent-encoded once; ResourceError if it is not one name."""
    if segment == "":
        raise ResourceError(
            f"prefix {prefix!r} has an empty segment ('//'); name every folder between "
            f"slashes, such as /users/alice/ (an empty name must not grant its parent)"
        )
    raw = unquote_to_bytes(segment)  # surrogates were refused, so this encodes
    if raw in (b".", b".."):
        raise ResourceError(
            f"prefix {prefix!r} has a segment {segment!r} that is '.' or '..' (also when "
            f"percent-encoded); give the folder itself, such as /videos/course-1"
        )
    if b"/" in raw or b"\\" in raw:
        raise ResourceError(
            f"prefix {prefix!r} has a segment {segment!r} that hides a separator (%2F or "
            f"%5C); give each folder as its own segment between slashes"
        )
    name = raw.decode("utf-8", errors="replace")  # what the escapes spell, for the checks below
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ResourceError(
            f"prefix {prefix!r} has a segment {segment!r} with a percent-encoded control "
            f"character (%00-%1F, %7F, or a C1 control such as %C2%85); remove it"
        )
    if (
        name[0].isspace()
        or name[-1].isspace()
        or all(char.isspace() or unicodedata.category(char) == "Cf" for char in name)
    ):
        raise ResourceError(
            f"prefix {prefix!r} has a segment {segment!r} that is blank or starts or ends "
            f"with whitespace (also when percent-encoded); cfcookies does not strip it: check "
            f"the name joined into the prefix"
        )
    return _encode_segment(segment)


def _encode_segment(segment: str) -> str:
    """Percent-encode a path segment, keeping existing valid ``%XX`` escapes as they are."""
    if _PLAIN_SEGMENT.fullmatch(segment):  # nothing to encode: the common case
        return segment
    out: list[str] = []
    i = 0
    while i < len(segment):
        if segment[i] == "%" and _HEX2.match(segment, i):
            out.append(segment[i : i + 3].upper())
            i += 3
            continue
        out.append(quote(segment[i], safe=_SEGMENT_SAFE))
        i += 1
    return "".join(out)


def _normalize_base_url(base_url: str) -> str:
    if not isinstance(base_url, str):
        raise ResourceError("the distribution URL must be a str")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ResourceError(
            f"the distribution URL must look like https://media.example.com, got {base_url!r}"
        )
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ResourceError(
            f"the distribution URL must be scheme://host[:port][/path], got {base_url!r}"
        )
    host = parts.netloc.lower()
    if not host.isascii():
        raise ResourceError(
            f"the host {parts.netloc!r} is not ASCII; use its punycode form "
            f"(host.encode('idna').decode())"
        )
    path = parts.path.rstrip("/")
    if path:
        path = normalize_prefix(path).rstrip("/")
    return f"{parts.scheme}://{host}{path}"


def prefix_resource(base_url: str, prefix: str) -> str:
    """The wildcard resource granting every file under ``prefix`` of the distribution.

    ``prefix_resource("https://media.example.com", "/videos/course-1")`` is
    ``"https://media.example.com/videos/course-1/*"``, which matches ``/videos/course-1/a.ts`` but
    never ``/videos/course-10/a.ts``.
    """
    base = _normalized_base_url(base_url)
    resource = base + normalize_prefix(prefix) + "*"
    return validate_resource(resource)


@functools.lru_cache(maxsize=64)
def _normalized_base_url(base_url: str) -> str:
    """:func:`_normalize_base_url` for the few distribution URLs a process uses."""
    return _normalize_base_url(base_url)


# --- matching, as CloudFront matches a policy's Resource against a request URL -----------------


#: ``\?`` in a resource: a literal ``?``, the one that begins the query string.
_LITERAL_QUESTION = "\\?"


def _tokens(pattern: str) -> list[str]:
    r"""``pattern`` as tokens: ``*`` and ``?`` (wildcards), ``\?`` (a literal ``?``) or one
    literal character each."""
    if "\\?" not in pattern:
        return list(pattern)
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith(_LITERAL_QUESTION, i):
            out.append(_LITERAL_QUESTION)
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return out


def _glob(pattern: Sequence[str], text: str) -> bool:
    r"""``*`` matches any run of characters, ``?`` exactly one, ``\?`` a literal ``?``;
    every other part is literal."""
    p = t = 0
    star_p, star_t = -1, 0
    while t < len(text):
        part = pattern[p] if p < len(pattern) else None
        if part is not None and (
            part == "?" or part == text[t] or (part == _LITERAL_QUESTION and text[t] == "?")
        ):
            p += 1
            t += 1
        elif part == "*":
            star_p, star_t = p, t
            p += 1
        elif star_p != -1:
            p = star_p + 1
            star_t += 1
            t = star_t
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _split_resource(resource: str) -> tuple[str, str, list[str]]:
    """Split a policy resource into protocol and domain patterns and the tokens of the rest
    (path and query: where one ends is decided while matching, see :func:`_tail_matches`)."""
    if "://" in resource:
        scheme, rest = resource.split("://", 1)
    else:
        # "*example.com" means "*://*example.com/"
        scheme, rest = "*", resource
        if "/" not in rest:
            rest += "/"
    slash = rest.find("/")
    if slash == -1:
        # "https://example.com*" means "https://example.com*/*\?*"; "https://example.com", "/"
        return scheme, rest, (["/", "*"] if rest.endswith("*") else ["/"])
    return scheme, rest[:slash], _tokens(rest[slash:])


def _tail_matches(tail: list[str], path: str, query: str | None) -> bool:
    r"""Whether the path-and-query tokens of a resource match a request's ``path`` and
    ``query`` (None when the URL has no ``?``), each wildcard within its own section.

    ``\?`` is the separator, as AWS's resource-equivalence examples write it. Without one, the
    whole pattern is the path, and a trailing ``*`` also matches any query string; a ``?``,
    the one-character wildcard, matches any one character, the ``?`` that begins the query
    included (so ``/a.jpg?size=large``, as AWS's signers write a URL with its query, matches
    that URL).
    """
    if _LITERAL_QUESTION in tail:
        split = tail.index(_LITERAL_QUESTION)
        return _glob(tail[:split], path) and _glob(tail[split + 1 :], query or "")
    if not query:
        return _glob(tail, path)
    if tail and tail[-1] == "*" and _glob(tail, path):
        return True
    return any(
        part == "?" and _glob(tail[:i], path) and _glob(tail[i + 1 :], query)
        for i, part in enumerate(tail)
    )


def resource_matches(resource: str | None, url: str) -> bool:
    """Whether a policy's ``Resource`` matches the raw request ``url`` as CloudFront decides.

    Wildcards match within their own section (protocol, domain, path, query); a trailing ``*`` in
    the path also matches any query string, one in the domain any path and query. ``\\?``
    separates the path from the query; ``?`` matches any one character (the separator too).
    The path and query are compared as sent (percent-encoded, case-sensitive); host names
    case-insensitively. A URL holding a control character (tab, line break ...) matches
    nothing but a missing resource or ``*``. A missing resource matches everything.
    """
    if resource is None or resource == "*":
        return True
    if _CONTROL_CHARS.search(url):
        # Not a request line CloudFront accepts, and urlsplit would silently drop tabs and
        # line breaks, matching a path that is not the one sent ("/videos/course-1\t/...").
        return False
    request = urlsplit(url)
    scheme, domain, tail = _split_resource(resource)
    return (
        _glob(scheme.lower(), request.scheme.lower())
        and _glob(domain.lower(), request.netloc.lower())
        and _tail_matches(tail, request.path or "/", request.query if "?" in url else None)
    )
