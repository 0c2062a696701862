"""Diagnosis: why CloudFront refused a request, in words a person can act on.

:func:`explain` runs :func:`cfcookies.verify.verify_request` and writes its decision as a report:
every check CloudFront makes, in order, with the one that failed marked. It reads a URL and a
``Cookie`` header, or a browser's HAR export (every media request in it, or the one asked for).
:func:`cookie_delivery` answers the question a 403 most often hides: would the browser have sent
the CloudFront cookies to that URL at all? It applies the RFC 6265 domain, path, ``Secure`` and
expiry rules to the ``Set-Cookie`` headers the app issued.

This is apart from :mod:`cfcookies.verify` because it is for people, not for the edge: the
verifier decides, and stays small enough to read beside AWS's documentation; the report, the HAR
reader and the browser's cookie rules only describe. Everything a client sent is printed escaped
(:func:`printable`), so a report can neither drive a terminal nor forge a line.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._reading import _short, _split_url

# The verifier's own readers of a URL, a clock and a long value: one definition, shared.
from .clock import epoch_now
from .cookies import (
    SetCookie,
    domain_matches,
    parse_set_cookie,
    public_suffix,
    registrable_domain,
)
from .exceptions import ConfigurationError
from .keys import KeyRing, PublicKey
from .policy import Clock, system_clock
from .verify import XML_MESSAGES, verify_request

__all__ = ["CookieDelivery", "cookie_delivery", "explain"]


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
    current = epoch_now(clock, now)
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
        attrs = parsed.attributes
        domain = attrs.get("domain") or None
        cookie_path = attrs.get("path") or None
        reasons = _domain_problems(domain, issuer, host)
        reasons += _path_problems(parsed, cookie_path, path)
        if "secure" in attrs and parts.scheme != "https":
            reasons.append("it is Secure and the URL is not https")
        reasons += _expiry_problems(parsed, current)
        out.append(
            CookieDelivery(
                parsed.name,
                not reasons,
                "; ".join(reasons) or "sent (domain, path and Secure rules match)",
                cookie_path,
                domain,
            )
        )
    return out


def _domain_problems(domain: str | None, issuer: str, host: str) -> list[str]:
    """Why a cookie's ``Domain`` keeps it from ``host`` (or from being stored at all)."""
    if domain is not None:
        bare = domain.lstrip(".").lower()
        if not domain_matches(issuer, bare):
            return [
                f"the browser rejects it: Domain={domain} does not cover {issuer}, the host "
                "that set it"
            ]
        if bare != issuer:  # a parent of the setting host (an IP address matches only itself)
            rejected = _public_suffix_problem(domain, bare, issuer)
            if rejected:
                return [rejected]
        if bare != issuer or public_suffix(bare) != bare:
            return [] if domain_matches(host, bare) else [f"Domain={domain} does not cover {host}"]
        # Domain= the setting host, itself a public suffix: stored host-only (RFC 6265 5.3).
    if issuer != host:
        return [
            f"it has no Domain, so it is host-only for {issuer} and never sent to {host}; "
            f"set Domain to a parent of both hosts"
        ]
    return []


def _public_suffix_problem(domain: str, bare: str, issuer: str) -> str | None:
    """Why a browser refuses ``Domain=domain``, a parent of the setting host ``issuer``, by the
    Public Suffix List: it is a public suffix, or it is above the host's registrable domain."""
    if public_suffix(bare) == bare:
        return (
            f"the browser rejects it: Domain={domain} is a public suffix; set Domain to your "
            "own registrable domain"
        )
    registrable = registrable_domain(issuer)
    if registrable is None:
        return f"the browser rejects it: Domain={domain} is above {issuer}, a public suffix"
    if not domain_matches(bare, registrable):
        return (
            f"the browser rejects it: Domain={domain} is outside {registrable}, the registrable "
            f"domain of {issuer}"
        )
    return None


def _path_problems(cookie: SetCookie, cookie_path: str | None, path: str) -> list[str]:
    """Why a cookie's ``Path`` keeps it from the request ``path``."""
    if cookie_path is None or not cookie_path.startswith("/"):
        return [
            "it has no Path, so the browser uses the folder of the page that set it; set "
            "Path explicitly"
        ]
    if not _path_matches(path, cookie_path):
        return [f"{cookie.name} was set for Path={cookie_path} and is not sent to {path}"]
    return []


def _expiry_problems(cookie: SetCookie, now: int) -> list[str]:
    """Why a cookie is gone by ``now``: ``Max-Age<=0`` deletes it, a past ``Expires`` too."""
    attrs = cookie.attributes
    max_age = attrs.get("max-age")
    if max_age is not None and re.match(r"^-?[0-9]+$", max_age) and int(max_age) <= 0:
        return ["Max-Age<=0: this header deletes the cookie"]
    if max_age is None and attrs.get("expires"):
        try:
            when = parsedate_to_datetime(attrs["expires"])
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            if when.timestamp() <= now:
                return [f"it expired at {attrs['expires']} (or deletes the cookie)"]
        except (TypeError, ValueError, IndexError):
            pass
    return []


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
    log = doc.get("log") if isinstance(doc, Mapping) else None
    entries = log.get("entries") if isinstance(log, Mapping) else None
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


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` safe for a terminal: every character ``repr`` would escape is escaped.

    That is C0 and C1 controls (``ESC`` as ``\\x1b``, ``\\r``, ``\\x08`` ...), ``DEL``, bidi
    overrides and other format characters (``\\u202e``, ``\\u2066`` ...), line and paragraph
    separators, lone surrogates (which could not even be encoded) and unassigned code points.
    With ``keep_newlines`` the ``\\n`` between lines stay; otherwise they are escaped too.
    """
    if text.isprintable():
        return text
    if keep_newlines:
        return "\n".join(printable(line) for line in text.split("\n"))
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
    current = epoch_now(clock, now)
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
    return _explain_har(
        _load_har(har),
        url,
        public_keys=public_keys,
        client_ip=client_ip,
        now=current,
        set_cookie_headers=set_cookie_headers,
        issued_by=issued_by,
    )


def _explain_har(
    entries: list[_HarEntry],
    url: str | None,
    *,
    public_keys: Mapping[str, PublicKey] | KeyRing,
    client_ip: str | None,
    now: int,
    set_cookie_headers: Sequence[str] | None,
    issued_by: str | None,
) -> str:
    """The reports for a HAR export: the entry for ``url``, or every media request.

    Without ``set_cookie_headers``, the CloudFront ``Set-Cookie`` headers of the HAR's own
    responses are used, issued by the host of the first response that set one.
    """
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
            return f"The HAR export has no request for {printable(_short(url))}.\n"
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
            now=now,
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
    return "\n".join(printable(line) for line in lines) + "\n"


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
