"""Cookies: reading a ``Cookie`` header, and rendering ``Set-Cookie`` values and deletions.

Parsing never raises on client bytes: what cannot be read is skipped. Rendering validates names,
values and attributes, and spells attributes as werkzeug's ``dump_cookie`` does.
"""

from __future__ import annotations

import re

__all__ = [
    "parse_cookie_header",
    "parse_cookie_pairs",
]

#: A cookie header longer than this is not parsed at all (browsers send at most ~8 KB per header
#: line in practice; CloudFront caps a whole request at 20,480 bytes).
MAX_COOKIE_HEADER = 32 * 1024
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


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
