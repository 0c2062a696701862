"""What the cookie decision reads of a request: its host, path, method and cookies.

Every adapter reads these from its framework's request (a scope, an environ, Flask's or
Django's request) into one :class:`RequestInfo`; :func:`host_from_header` is the one reading of
a ``Host`` header they share.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

__all__ = ["RequestInfo", "host_from_header"]

_HOST_NAME = re.compile(r"[a-z0-9.-]+")


def host_from_header(value: str | None) -> str | None:
    """The host name of a ``Host`` header, lower case, without port; None if it is not one.

    A host name (ASCII letters, digits, ``-`` and ``.``; trailing dots dropped) or a bracketed
    IPv6 address, then an optional ``:`` and port digits (RFC 3986: possibly none). Anything
    else is None, never a guess.
    """
    if not value or len(value) > 255:
        return None
    host = value.strip().lower()
    if host.startswith("["):  # IPv6 literal
        end = host.find("]")
        host, port = host[: end + 1], host[end + 1 :]
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
    else:
        host, colon, number = host.partition(":")
        port = colon + number
        host = host.rstrip(".")
        if not _HOST_NAME.fullmatch(host):  # ASCII letters (lower case here), digits, '-', '.'
            return None
    digits = port[1:]
    if port and not (port[0] == ":" and digits.isascii() and (digits.isdigit() or not digits)):
        return None
    return host


class RequestInfo(NamedTuple):
    """What the decision needs to know of a request, read by an adapter (built per request,
    hence a named tuple: the cheapest immutable record)."""

    method: str
    path: str
    host: str | None  # lower case, without the port
    cookie_header: str | None
    client_ip: str | None = None  # what the client_ip option answered (IP binding only)
    binding: str | None = None  # what the session_binding option answered
