"""Cookies: reading a ``Cookie`` header, rendering and parsing ``Set-Cookie``, the domain match.

Also the ``Cache-Control`` a response gets when it carries cookies: :func:`private_cache_control`.

Parsing never raises on client bytes: what cannot be read is skipped. Rendering validates names,
values and attributes, and spells attributes as werkzeug's ``dump_cookie`` does. Reading a
``Set-Cookie`` (:func:`parse_set_cookie`) and deciding which hosts a cookie ``Domain`` covers
(:func:`domain_matches`) follow RFC 6265 as browsers do; they live here once, for the
middleware's start-up checks and for :mod:`cfcookies.diagnose`. Which names are public suffixes
(:func:`public_suffix`, :func:`registrable_domain`) is the Public Suffix List's answer, ICANN and
private sections both, as browsers read it.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .exceptions import ConfigurationError, CookieSizeError

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

__all__ = [
    "MAX_COOKIES_PER_DOMAIN",
    "MAX_COOKIE_BYTES",
    "TARGETED_CACHE_HEADERS",
    "CookieAttributes",
    "SameSite",
    "SetCookie",
    "check_line_size",
    "cookie_value",
    "delete_cookie",
    "domain_matches",
    "dump_cookie",
    "parse_cookie_header",
    "parse_cookie_pairs",
    "parse_set_cookie",
    "private_cache_control",
    "public_suffix",
    "registrable_domain",
    "validate_cookie_domain",
]

SameSite = Literal["Lax", "Strict", "None"]

#: Browsers accept at least 4096 bytes per cookie (name, value and attributes: RFC 6265 5.3).
MAX_COOKIE_BYTES = 4096
#: Cookies a browser keeps per domain: Chromium keeps 150-180 and then drops the oldest (seen
#: keeping 150-170 in practice); RFC 6265 asks for at least 50.
MAX_COOKIES_PER_DOMAIN = 150
_VALUE = re.compile(r"^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EPOCH_DATE = "Thu, 01 Jan 1970 00:00:00 GMT"

#: A cookie header longer than this is not parsed at all (browsers send at most ~8 KB per header
#: line in practice; CloudFront caps a whole request at 20,480 bytes).
MAX_COOKIE_HEADER = 32 * 1024
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# A cookie Path: starts with /, printable ASCII (0x21-0x7E) without ';'.
_PATH = re.compile(r"/[\x21-\x3a\x3c-\x7e]*")


def parse_cookie_pairs(header: str | bytes | None) -> list[tuple[str, str]]:
    """Every ``name=value`` pair of a ``Cookie`` header, in order, duplicates kept.

    Browsers send the cookie with the longest matching ``Path`` first. Pairs whose name is not
    an RFC 6265 token are skipped; surrounding double quotes around a value are removed.
    """
    if not header:
        return []
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    if len(header) > MAX_COOKIE_HEADER:
        return []
    pairs: list[tuple[str, str]] = []
    for chunk in header.split(";"):
        name, sep, value = chunk.partition("=")
        if not sep:
            continue
        name = name.strip()
        value = value.strip()
        if not _TOKEN.match(name):
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        pairs.append((name, value))
    return pairs


def parse_cookie_header(header: str | bytes | None) -> dict[str, str]:
    """The cookies of a ``Cookie`` header by name; for a repeated name the first one wins."""
    cookies: dict[str, str] = {}
    for name, value in parse_cookie_pairs(header):
        cookies.setdefault(name, value)
    return cookies


def cookie_value(header: str | bytes | None, name: str) -> str | None:
    """``parse_cookie_header(header).get(name)`` for one valid cookie name, without building
    the whole mapping (the middleware reads only its state cookie on every request)."""
    if not header:
        return None
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    if len(header) > MAX_COOKIE_HEADER or name not in header:
        return None
    for chunk in header.split(";"):
        key, sep, value = chunk.partition("=")
        if sep and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return None


def cookie_values(header: str | bytes | None, name: str) -> list[str]:
    """Every value of the cookie ``name`` in a ``Cookie`` header, in the order sent.

    Browsers send one cookie per name, path and domain, so several may share a name (one of them
    perhaps tossed in by a sibling subdomain)."""
    return [value for key, value in parse_cookie_pairs(header) if key == name]


def validate_cookie_domain(domain: str) -> str:
    """Normalise a cookie ``Domain`` (lower case, no leading dot) and refuse what browsers refuse:
    IP addresses and public suffixes (names on the Public Suffix List, like ``co.uk`` or
    ``cloudfront.net``)."""
    if not isinstance(domain, str) or not domain.strip():
        raise ConfigurationError(
            f"cookie_domain must be a host name like example.com, got {domain!r}"
        )
    text = domain.strip().lower()
    if text.startswith("."):
        text = text[1:]  # a browser ignores one leading dot (RFC 6265 5.2.3); more is an error
    if not text.isascii():
        raise ConfigurationError(f"cookie_domain {domain!r} is not ASCII; use its punycode form")
    labels = text.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise ConfigurationError(
            f"cookie_domain {domain!r} must be a registrable domain with at least two labels, "
            f"like example.com"
        )
    if all(label.isdigit() for label in labels):
        raise ConfigurationError(
            f"cookie_domain {text} is an IP address; a cookie Domain must be a host name. "
            f"Leave cookie_domain unset (host-only cookies) when the app and the media share "
            f"this address, or serve both from names under your own domain and set "
            f"cookie_domain to their parent (example.com)"
        )
    if public_suffix(text) == text:
        raise ConfigurationError(
            f"cookie_domain {text} is a public suffix (on the Public Suffix List: anyone can "
            f"register names under it); browsers refuse it as a cookie Domain, and it would "
            f"share cookies with other people's sites. Set cookie_domain to your own registrable "
            f"domain, the parent of both the app's host and the media host (example.com for "
            f"app.example.com and media.example.com); media served from a name under {text} "
            f"needs an alternate domain name under your own domain first (media.example.com)"
        )
    return text


def public_suffix(host: str) -> str:
    """The longest public suffix ``host`` is or ends with (``co.uk`` for ``media.example.co.uk``,
    ``s3.us-east-1.amazonaws.com`` for itself), by the Public Suffix List; a name the list does
    not know ends with its last label, as the list's default rule says.

    ``host`` is an ASCII host name (punycode for international names), any case."""
    return _public_suffix_list().publicsuffix(host) or host.lower()


def registrable_domain(host: str) -> str | None:
    """The name a registrant holds that ``host`` is or is under: its public suffix and one more
    label (``example.co.uk`` for ``media.example.co.uk``); None when ``host`` is itself a public
    suffix. Browsers keep a cookie only if its ``Domain`` is inside the setting host's one."""
    return _public_suffix_list().privatesuffix(host)


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    """The Public Suffix List that the ``publicsuffixlist`` package ships, read once, on the first
    check rather than at import (about 45 ms).

    Its rules are read in their ASCII form only, the form cookie domains have here: the few
    hundred Unicode rules are converted to punycode label by label, where the package's own
    pass would run the (slow) IDNA codec on all ten thousand (about 130 ms)."""
    import publicsuffixlist

    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as file:
        rules = list(_ascii_rules(file))
    return publicsuffixlist.PublicSuffixList(rules, accept_encoded_idn=False)


def _ascii_rules(lines: Iterable[str]) -> Iterator[str]:
    """The list's lines with each Unicode rule in punycode (``!`` and ``*.`` kept); comments and
    blank lines as they are (the package's parser skips them)."""
    for line in lines:
        if line.isascii() or line.startswith("//"):
            yield line
            continue
        rule = line.split()[0]
        bang = "!" if rule.startswith("!") else ""
        yield bang + ".".join(
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
            for label in rule.removeprefix("!").split(".")
        )


def domain_matches(host: str, domain: str) -> bool:
    """Whether a cookie with ``Domain=domain`` is sent to ``host`` (RFC 6265 5.1.3).

    Case-insensitive. A host name matches the domain itself and every name under it
    (``media.example.com`` and ``example.com`` match ``example.com``; ``badexample.com`` does
    not). An IP address matches only itself, exactly: ``192.0.2.1`` is not under ``0.2.1``, its
    labels are numbers, not names. ``domain`` is the attribute's value without its leading dot;
    the host is taken as given (``example.com.``, with a trailing dot, is another host to a
    browser, so it does not match ``example.com``).
    """
    host = host.lower()
    domain = domain.lower()
    if host == domain:
        return True
    return bool(domain) and host.endswith("." + domain) and not _is_ip_address(host)


def _is_ip_address(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address (an IPv6 one with or without brackets)."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" not in text and not text.rpartition(".")[2].isdigit():
        return False  # a host name (its last label is not a number): decided without parsing
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class CookieAttributes:
    """The attributes shared by every cookie of one kind, validated once."""

    domain: str | None = None
    secure: bool = True
    httponly: bool = True
    samesite: SameSite | None = "Lax"
    _tail: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        if self.samesite not in ("Lax", "Strict", "None", None):
            raise ConfigurationError(
                f"samesite must be 'Lax', 'Strict', 'None' or None, got {self.samesite!r}"
            )
        if self.samesite == "None" and not self.secure:
            raise ConfigurationError(
                "samesite='None' requires secure=True: browsers drop SameSite=None cookies "
                "that are not Secure"
            )
        # What follows the Path, the same for every cookie of this kind: written once.
        parts = [f"Domain={self.domain}"] if self.domain else []
        if self.secure:
            parts.append("Secure")
        if self.httponly:
            parts.append("HttpOnly")
        if self.samesite:
            parts.append(f"SameSite={self.samesite}")
        object.__setattr__(self, "_tail", "".join("; " + part for part in parts))

    def suffix(self, path: str) -> str:
        """The attributes after the cookie's value: ``Path=<path>; Domain=...; Secure ...``."""
        return "Path=" + path + self._tail


def dump_cookie(
    name: str,
    value: str,
    *,
    path: str,
    attributes: CookieAttributes,
    max_age: int | None = None,
) -> str:
    """A ``Set-Cookie`` header value. ``max_age=None`` makes a session cookie."""
    if not _TOKEN.match(name):
        raise ConfigurationError(f"{name!r} is not a valid cookie name")
    if not _VALUE.match(value):
        raise ConfigurationError(f"the value of cookie {name} has characters a cookie cannot hold")
    if not _PATH.fullmatch(path):
        raise ConfigurationError(f"cookie path {path!r} must start with / and be printable ASCII")
    header = f"{name}={value}; {attributes.suffix(path)}"
    if max_age is not None:
        header += f"; Max-Age={max(0, int(max_age))}"
    check_line_size(name, path, header)
    return header


def check_line_size(name: str, path: str, line: str) -> None:
    """Raise :class:`CookieSizeError` when the ``Set-Cookie`` value ``line`` of the cookie
    ``name`` on ``path`` is more than a browser keeps."""
    if len(line.encode()) > MAX_COOKIE_BYTES:
        raise CookieSizeError(
            f"the cookie {name} for Path={path} would be {len(line)} bytes; browsers accept "
            f"{MAX_COOKIE_BYTES}. Use a shorter prefix, or ECDSA keys (shorter signatures)"
        )


def delete_cookie(name: str, *, path: str, attributes: CookieAttributes) -> str:
    """A ``Set-Cookie`` value that removes the cookie set with the same name, path and domain."""
    return f"{name}=; {attributes.suffix(path)}; Max-Age=0; Expires={_EPOCH_DATE}"


#: Response headers (lower case) that tell a CDN how to cache, overriding ``Cache-Control``:
#: RFC 9213 targeted fields and ``Surrogate-Control``. A response carrying cookies drops them.
TARGETED_CACHE_HEADERS = (
    "cdn-cache-control",
    "cloudflare-cdn-cache-control",
    "akamai-cache-control",
    "surrogate-control",
)


def _cache_directives(value: str) -> list[str]:
    """The directives of a ``Cache-Control`` value, trimmed, empty elements skipped.

    Commas split directives except inside a quoted-string (``no-cache="a, b"``), where a
    backslash escapes the next character; an unclosed quote runs to the end of the value.
    """
    directives: list[str] = []
    start = 0
    quoted = escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == ",":
            directives.append(value[start:index])
            start = index + 1
    directives.append(value[start:])
    return [d.strip(" \t") for d in directives if d.strip(" \t")]


def private_cache_control(values: Iterable[str]) -> str:
    """The ``Cache-Control`` for a response that carries session cookies, from the app's lines.

    ``values`` are the response's ``Cache-Control`` header values (none, one or several), read
    as one comma-separated list, as RFC 9110 combines field lines. A bare ``no-store`` keeps
    them as they are (joined into that one line). Otherwise the response is made ``private``:
    a shared cache must never store it, as it would hand one session's cookies to others,
    while the browser may still cache the page for itself. ``public`` and ``s-maxage`` are
    dropped; every ``private`` (qualified ones included, as ``private="Set-Cookie"`` lets a
    shared cache store the rest) becomes one bare ``private``, put first so that no unclosed
    quote can swallow it; the other directives (``max-age``, ``no-cache``, ``proxy-revalidate``,
    extensions) are kept as written, in order. Directive names are matched case-insensitively
    and quoted arguments are never split. With no ``Cache-Control``, the answer is ``private``.
    """
    joined = ", ".join(line.strip(" \t") for line in values if line.strip(" \t"))
    directives = _cache_directives(joined)
    if any(d.lower() == "no-store" for d in directives):
        return joined
    kept = ["private"]
    for directive in directives:
        name = directive.partition("=")[0].strip(" \t").lower()
        if name not in ("public", "s-maxage", "private"):
            kept.append(directive)
    return ", ".join(kept)


# --- reading Set-Cookie, as a browser does --------------------------------------------------------


@dataclass(frozen=True)
class SetCookie:
    """One ``Set-Cookie`` value as a browser reads it (RFC 6265 5.2).

    ``attributes`` maps each attribute's lower-case name to its trimmed value, ``""`` for a
    flag such as ``secure``; values are not interpreted (``max-age`` and ``expires`` stay text).
    """

    name: str
    value: str
    attributes: Mapping[str, str]


def parse_set_cookie(header: str) -> SetCookie | None:
    """Read a ``Set-Cookie`` value as RFC 6265 5.2 does; None when a browser would ignore it.

    The name and value are the text before the first ``;``, split at its first ``=`` and
    trimmed; without an ``=``, or with an empty name, the header is ignored. An attribute given
    twice keeps its last value, as browsers use the last ``Path``, ``Domain`` or ``Max-Age``.
    Never raises.
    """
    first, _, rest = header.partition(";")
    name, sep, value = first.partition("=")
    name = name.strip()
    if not sep or not name:
        return None
    attributes: dict[str, str] = {}
    for part in rest.split(";"):
        key, _, argument = part.partition("=")
        key = key.strip().lower()
        if key:
            attributes[key] = argument.strip()
    return SetCookie(name, value.strip(), attributes)
