"""The local edge: a CloudFront stand-in that serves a folder only to signed requests.

:class:`EdgeApp` is a plain ASGI app that answers as the distribution of
``examples/infrastructure/cloudfront-private-media.yaml`` answers:

- a method outside the behaviour's allowed methods (``allowed_methods``, ``GET`` and ``HEAD``
  by default, as in the template): ``403`` with CloudFront's own HTML error page
  (``Content-Type: text/html``, "The request could not be satisfied"), before any signature
  check. CloudFront lets a behaviour allow ``GET, HEAD``, ``GET, HEAD, OPTIONS`` or all seven
  methods, and answers anything else this way:
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-invalid-method.html
- otherwise the request is judged by :func:`cfcookies.verify.verify_request`, exactly as
  CloudFront would judge it, before anything else. Refused: ``403`` with CloudFront's XML body,
  ``Content-Type: text/xml`` and ``x-cache: Error from cloudfront``;
- allowed: the file under ``root``, for ``GET`` and ``HEAD``, with single ``Range`` requests
  (``206``/``416``), media content types (``.m3u8``, ``.ts``, ``.mp4``, ``.m4s``, ``.vtt`` ...),
  ``ETag`` and ``Last-Modified``;
- allowed, but no such file: what S3 answers CloudFront, relayed (``Content-Type:
  application/xml``, ``Server: AmazonS3``, ``x-cache: Error from cloudfront``). With
  ``missing_object="AccessDenied"`` (the default) that is ``403`` with S3's ``AccessDenied``
  body: the template's bucket policy grants the origin access control ``s3:GetObject`` only,
  and S3 does not tell a caller without ``s3:ListBucket`` that a key is missing. With
  ``missing_object="NoSuchKey"`` it is ``404 NoSuchKey``, which a real distribution only
  answers when the bucket policy also grants the CloudFront service principal
  ``s3:ListBucket`` on the bucket ARN (see docs/deploy.md). Either way the
  ``x-cfcookies-decision`` header says ``missing_object``. S3's rule:
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (Permissions).

Like S3 behind CloudFront, an invalid ``Range`` (another unit, several ranges, junk) is ignored
and the whole file sent; one that starts past the end is ``416`` with ``Content-Range:
bytes */<size>`` (see :func:`parse_range`). S3 has no symlinks, and the edge follows none: a
symlinked file, or a path through a symlinked folder, is answered as a missing object, wherever
the link points (another folder, the same folder, or out of ``root``).

Every response carries ``x-cfcookies-decision: <reason>`` (``allowed``, ``expired``,
``resource_mismatch``, ``missing_object``, ``method_not_allowed`` ...) to help debugging.
Credentialed CORS is answered for the configured app origins only: the exact ``Origin`` is
echoed with ``Access-Control-Allow-Credentials: true`` and ``Vary: Origin``; ``*`` is never
sent, and other origins get no CORS headers.

``OPTIONS`` follows ``allowed_methods``. Not allowed (the default, and the template): every
``OPTIONS``, a CORS preflight included, gets the HTML ``403`` above. Allowed
(``allowed_methods=("GET", "HEAD", "OPTIONS")``): an ``OPTIONS`` request is checked like any
other request of a behaviour with trusted key groups, and a browser's preflight never carries
cookies, so on a protected path it is refused (``403 MissingKey``); a signed ``OPTIONS`` (a
signed URL), or one under ``unprotected_paths``, is answered as a preflight with the CORS
headers of the template's response headers policy. CloudFront documents no exemption from the
signer check for ``OPTIONS``:
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-trusted-signers.html
So credentialed media requests must stay simple (``GET``, no custom headers) to work at all.

In tests, drive it in-process::

    edge = EdgeApp(tmp_path, public_keys={"K2JCJMDEHXQW5F": public_key},
                   public_url="https://media.example.test")
    with starlette.testclient.TestClient(edge) as client:            # or
        client.get("/videos/course-1/seg.ts", cookies=signed_cookies)
    httpx.AsyncClient(transport=httpx.ASGITransport(edge, client=("192.0.2.10", 5000)),
                      base_url="https://media.example.test")

or over loopback with :class:`EdgeServer` (a uvicorn server in a thread), or from the shell with
``cfcookies edge --root DIR --public-key ID=PATH`` (:func:`run_edge`). uvicorn is imported only
when a server is started.

A revocation check (a deny-list, as a CloudFront Function would consult) plugs in through
``deny_list=``: any object with ``check(request: EdgeRequest) -> str | None`` (the
:class:`EdgeCheck` protocol). It runs only after the signature check passed; returning a reason
string, or raising a :class:`~cfcookies.exceptions.VerificationError`, refuses the request with
``403 AccessDenied``.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import secrets
import socket
import stat
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Literal, Protocol, runtime_checkable
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

import anyio
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from .cookies import parse_cookie_header
from .exceptions import ConfigurationError, VerificationError
from .keys import KeyRing, PublicKey
from .policy import Clock, system_clock
from .verify import Decision, error_xml, verify_request

__all__ = [
    "ALLOWED_METHOD_SETS",
    "CONTENT_TYPES",
    "EdgeApp",
    "EdgeCheck",
    "EdgeRequest",
    "EdgeServer",
    "MissingObject",
    "content_type_for",
    "parse_range",
    "run_edge",
]

#: Content types by file suffix, as a media distribution's origin would store them.
CONTENT_TYPES: dict[str, str] = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".m4s": "video/iso.segment",
    ".m4a": "audio/mp4",
    ".mpd": "application/dash+xml",
    ".vtt": "text/vtt",
    ".webvtt": "text/vtt",
    ".aac": "audio/aac",
    ".mp3": "audio/mpeg",
    ".webm": "video/webm",
    ".key": "application/octet-stream",
    ".json": "application/json",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
}

#: The method sets a CloudFront cache behaviour can allow and the edge can serve. CloudFront
#: also offers all seven methods (``PUT``, ``POST`` ...), which a read-only media edge has no use
#: for: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_AllowedMethods.html
ALLOWED_METHOD_SETS: tuple[tuple[str, ...], ...] = (("GET", "HEAD"), ("GET", "HEAD", "OPTIONS"))
#: What S3 answers for a missing key: ``AccessDenied`` (403) unless the caller also has
#: ``s3:ListBucket``, then ``NoSuchKey`` (404).
MissingObject = Literal["AccessDenied", "NoSuchKey"]
_MISSING_STATUS: dict[str, int] = {"AccessDenied": 403, "NoSuchKey": 404}
_CHUNK = 64 * 1024
#: (Content-Type, Server) of an error CloudFront makes itself, and of one S3 makes that
#: CloudFront relays (S3 REST errors are application/xml:
#: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
_CLOUDFRONT_XML = ("text/xml", "CloudFront")
_CLOUDFRONT_HTML = ("text/html", "CloudFront")
_S3_XML = ("application/xml", "AmazonS3")


def _s3_error_xml(code: MissingObject, key: str) -> str:
    """S3's error body for a missing object, with fresh request and host IDs."""
    request_id = secrets.token_hex(8).upper()
    host_id = base64.b64encode(secrets.token_bytes(57)).decode("ascii")
    if code == "NoSuchKey":
        detail = f"<Message>The specified key does not exist.</Message><Key>{escape(key)}</Key>"
    else:
        detail = "<Message>Access Denied</Message>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code>{detail}"
        f"<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
    )


def _method_not_allowed_html() -> str:
    """CloudFront's HTML page for a method the behaviour does not allow (its shape, our words)."""
    request_id = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode("ascii")
    return (
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8">'
        "<title>ERROR: The request could not be satisfied</title></head>\n"
        "<body><h1>403 ERROR</h1>\n"
        "<h2>The request could not be satisfied.</h2>\n<hr>\n"
        "<p>This distribution is not configured to allow the HTTP request method that was used "
        "for this request. The distribution supports only cachable requests.</p>\n<hr>\n"
        f"<pre>Generated by cloudfront (CloudFront)\nRequest ID: {request_id}</pre>\n"
        "</body></html>\n"
    )


def content_type_for(path: str | os.PathLike[str]) -> str:
    """The ``Content-Type`` the edge sends for a file name."""
    suffix = Path(path).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(str(path))
    return guessed or "application/octet-stream"


RangeResult = tuple[Literal["full", "partial", "unsatisfiable"], int, int]

#: Optional whitespace around the parts of a ``Range`` header (RFC 9110 OWS).
_OWS = " \t"
#: A byte position with more significant digits than this is past the end of any file: it is
#: never converted (``int()`` of thousands of digits is slow, and refused past 4300 digits).
_MAX_DIGITS = 18
_PAST_ANY_END = 2**63


def _byte_pos(text: str) -> int | None:
    """ASCII digits as a byte position (``_PAST_ANY_END`` if longer than any file), else None."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    significant = text.lstrip("0")
    if len(significant) > _MAX_DIGITS:
        return _PAST_ANY_END
    return int(significant or "0")


def parse_range(header: str | None, size: int) -> RangeResult:
    """Read a ``Range`` header for a file of ``size`` bytes, as S3 does.

    Returns ``("partial", start, end)`` (inclusive) for one satisfiable ``bytes=a-b``, ``a-`` or
    ``-n``; ``("unsatisfiable", 0, 0)`` when it starts past the end or is the empty suffix
    ``-0`` (answer ``416``); and ``("full", 0, size - 1)`` when there is no header or it is
    invalid (another unit, non-ASCII digits, a sign, ``b < a``) or asks for several ranges (the
    whole file is then sent, as RFC 9110 allows). Numbers may have any number of digits (an end
    past the file is clamped to it); spaces and tabs around the parts are allowed.
    """
    full: RangeResult = ("full", 0, size - 1)
    if not header:
        return full
    unit, sep, spec = header.strip(_OWS).partition("=")
    if not sep or unit.strip(_OWS).lower() != "bytes" or "," in spec:
        return full
    first, dash, last = spec.strip(_OWS).partition("-")
    first, last = first.strip(_OWS), last.strip(_OWS)
    if not dash:
        return full
    if first == "":
        suffix = _byte_pos(last)
        if suffix is None:
            return full
        if suffix == 0 or size == 0:
            return ("unsatisfiable", 0, 0)
        return ("partial", max(0, size - suffix), size - 1)
    start = _byte_pos(first)
    if start is None:
        return full
    end = size - 1
    if last:
        found = _byte_pos(last)
        if found is None or found < start:
            return full
        end = found
    if start >= size:
        return ("unsatisfiable", 0, 0)
    return ("partial", start, min(end, size - 1))


@dataclass(frozen=True)
class EdgeRequest:
    """What an :class:`EdgeCheck` sees of a request that passed the signature check."""

    method: str
    url: str
    path: str
    headers: Mapping[str, str] = field(repr=False)
    cookies: Mapping[str, str] = field(repr=False)
    client_ip: str | None
    decision: Decision = field(repr=False)


@runtime_checkable
class EdgeCheck(Protocol):
    """An extra check after CloudFront's own, such as a revocation deny-list.

    Return ``None`` to let the request through, or a short reason (it becomes the
    ``x-cfcookies-decision`` header) to refuse it with ``403 AccessDenied``; raising a
    :class:`~cfcookies.exceptions.VerificationError` refuses it with that error's reason and
    code. Called on the event loop: keep it fast and non-blocking.
    """

    def check(self, request: EdgeRequest) -> str | None: ...


def _origin(value: str, what: str) -> str:
    if value == "*":
        raise ConfigurationError(
            f"{what} must list exact origins: the edge answers with credentials, and browsers "
            "refuse Access-Control-Allow-Origin: * on credentialed requests"
        )
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigurationError(
            f"{what} must be scheme://host[:port] like https://app.example.test, got {value!r}"
        )
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigurationError(f"{what} must be scheme://host[:port], got {value!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _allowed_methods(methods: Sequence[str]) -> tuple[str, ...]:
    """``methods`` as one of :data:`ALLOWED_METHOD_SETS`, or a ConfigurationError."""
    if isinstance(methods, str) or not all(isinstance(m, str) for m in methods):
        raise ConfigurationError("allowed_methods must be a list of methods, like ['GET', 'HEAD']")
    wanted = {m.upper() for m in methods}
    for choice in ALLOWED_METHOD_SETS:
        if wanted == set(choice):
            return choice
    raise ConfigurationError(
        "allowed_methods must be what a CloudFront behaviour of the template can allow: GET, HEAD "
        f"or GET, HEAD, OPTIONS (the edge serves reads only), got {', '.join(methods) or 'none'}"
    )


class EdgeApp:
    """An ASGI app serving ``root`` to requests CloudFront would accept (see the module doc)."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        public_keys: Mapping[str, PublicKey] | KeyRing,
        public_url: str | None = None,
        cors_origins: Sequence[str] = (),
        clock: Clock = system_clock,
        trust_forwarded_for: bool = False,
        deny_list: EdgeCheck | None = None,
        unprotected_paths: Sequence[str] = (),
        on_both_policy_and_expires: Literal["policy", "reject"] = "policy",
        allowed_methods: Sequence[str] = ("GET", "HEAD"),
        missing_object: MissingObject = "AccessDenied",
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ConfigurationError(f"root must be an existing folder, got {str(root)!r}")
        if isinstance(public_keys, KeyRing):
            self._keys: Mapping[str, PublicKey] | KeyRing = public_keys
        else:
            if not isinstance(public_keys, Mapping) or not public_keys:
                raise ConfigurationError(
                    "public_keys must map at least one key pair ID to its public key"
                )
            self._keys = dict(public_keys)
        self.public_url: str | None = None
        if public_url is not None:
            self.public_url = _origin(public_url, "public_url")
        if isinstance(cors_origins, str):
            raise ConfigurationError("cors_origins must be a list of origins, not one string")
        self.cors_origins = frozenset(_origin(o, "cors_origins") for o in cors_origins)
        self.clock = clock
        self.trust_forwarded_for = trust_forwarded_for
        if deny_list is not None and not callable(getattr(deny_list, "check", None)):
            raise ConfigurationError("deny_list must have a check(request) method (EdgeCheck)")
        self.deny_list = deny_list
        prefixes = []
        for prefix in unprotected_paths:
            if not isinstance(prefix, str) or not prefix.startswith("/"):
                raise ConfigurationError(f"unprotected paths start with '/', got {prefix!r}")
            prefixes.append(prefix)
        self.unprotected_paths = tuple(prefixes)
        if on_both_policy_and_expires not in ("policy", "reject"):
            raise ConfigurationError("on_both_policy_and_expires must be 'policy' or 'reject'")
        self.on_both_policy_and_expires: Literal["policy", "reject"] = on_both_policy_and_expires
        self.allowed_methods = _allowed_methods(allowed_methods)
        #: The methods an actual (non-preflight) request may use, for Access-Control-Allow-Methods.
        self._cors_methods = tuple(m for m in self.allowed_methods if m != "OPTIONS")
        if missing_object not in _MISSING_STATUS:
            raise ConfigurationError(
                "missing_object must be 'AccessDenied' (403: the bucket policy grants "
                "s3:GetObject only) or 'NoSuchKey' (404: it grants s3:ListBucket too), "
                f"got {missing_object!r}"
            )
        self.missing_object: MissingObject = missing_object

    def __repr__(self) -> str:
        return f"EdgeApp(root={str(self.root)!r}, public_url={self.public_url!r})"

    # -- answers CloudFront (or S3 through it) gives -----------------------------------------------

    async def _method_not_allowed(self, cors: list[tuple[str, str]], send: Send) -> None:
        """CloudFront's HTML 403 for a method outside the behaviour's allowed methods."""
        await _respond(
            send,
            403,
            [*cors, ("x-cfcookies-decision", "method_not_allowed")],
            _method_not_allowed_html(),
            error=_CLOUDFRONT_HTML,
            head=False,
        )

    async def _missing(
        self, path: str, cors: list[tuple[str, str]], send: Send, head: bool
    ) -> None:
        """What S3 answers for a key it does not have, as CloudFront relays it."""
        code = self.missing_object
        await _respond(
            send,
            _MISSING_STATUS[code],
            [*cors, ("x-cfcookies-decision", "missing_object")],
            _s3_error_xml(code, path.lstrip("/")),
            error=_S3_XML,
            head=head,
        )

    # -- ASGI ------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        await self._http(scope, send)

    def _cors(self, headers: Headers) -> list[tuple[str, str]]:
        if not self.cors_origins:
            return []
        out = [("vary", "Origin")]
        origin = headers.get("origin")
        if origin is not None and origin.lower() in self.cors_origins:
            out += [
                ("access-control-allow-origin", origin),
                ("access-control-allow-credentials", "true"),
                (
                    "access-control-expose-headers",
                    "Content-Length, Content-Range, Accept-Ranges, ETag, x-cfcookies-decision",
                ),
            ]
        return out

    def request_url(self, scope: Scope) -> str:
        """The URL the viewer asked for: ``public_url`` (or scheme and Host) + raw path + query."""
        raw = scope.get("raw_path")
        if isinstance(raw, bytes):
            path = raw.split(b"?", 1)[0].decode("latin-1")
        else:
            path = quote(scope.get("path", "/"), safe="/%:@!$&'()*+,;=-._~")
        query = scope.get("query_string", b"").decode("latin-1")
        if self.public_url is not None:
            base = self.public_url
        else:
            host = Headers(scope=scope).get("host")
            if not host:
                server = scope.get("server") or ("localhost", None)
                host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
            base = f"{scope.get('scheme', 'http')}://{host}"
        return base + path + (f"?{query}" if query else "")

    def _client_ip(self, scope: Scope, headers: Headers) -> str | None:
        if self.trust_forwarded_for:
            forwarded = headers.getlist("x-forwarded-for")
            if forwarded:
                # The address the trusted proxy saw is the last one it appended.
                last = forwarded[-1].split(",")[-1].strip()
                if last:
                    return last
        client = scope.get("client")
        return str(client[0]) if client else None

    async def _http(self, scope: Scope, send: Send) -> None:
        headers = Headers(scope=scope)
        cors = self._cors(headers)
        method = scope.get("method", "GET")
        if method not in self.allowed_methods:
            # The behaviour refuses the method before it looks at any signature.
            await self._method_not_allowed(cors, send)
            return
        head = method == "HEAD"
        path: str = scope.get("path", "/")
        safe, file_path = self._resolve(scope, path)
        if safe and self._unprotected(path):
            # A behaviour without trusted key groups: no signature needed.
            if method == "OPTIONS":
                await self._preflight(headers, cors, send)
            elif file_path is None:
                await self._missing(path, cors, send, head)
            else:
                extra = [*cors, ("x-cfcookies-decision", "unprotected")]
                await self._serve(file_path, path, headers, extra, send, head)
            return
        # Every method the behaviour allows, OPTIONS included, needs a valid signature.
        url = self.request_url(scope)
        cookie_header = "; ".join(headers.getlist("cookie")) or None
        client_ip = self._client_ip(scope, headers)
        decision = verify_request(
            url,
            cookies=cookie_header,
            public_keys=self._keys,
            client_ip=client_ip,
            clock=self.clock,
            on_both_policy_and_expires=self.on_both_policy_and_expires,
        )
        reason, code = decision.reason, decision.code
        if decision.allowed and self.deny_list is not None:
            request = EdgeRequest(
                method,
                url,
                path,
                _first_values(headers),
                parse_cookie_header(cookie_header),
                client_ip,
                decision,
            )
            try:
                denied = self.deny_list.check(request)
            except VerificationError as exc:
                reason, code = exc.reason, exc.code
            else:
                if denied is not None:
                    reason, code = str(denied) or "denied", "AccessDenied"
        if code is not None:
            await _respond(
                send,
                403,
                [*cors, ("x-cfcookies-decision", reason)],
                error_xml(code),
                error=_CLOUDFRONT_XML,
                head=head,
            )
            return
        if method == "OPTIONS":
            await self._preflight(headers, cors, send)
        elif file_path is None:
            await self._missing(path, cors, send, head)
        else:
            await self._serve(
                file_path, path, headers, [*cors, ("x-cfcookies-decision", reason)], send, head
            )

    async def _preflight(self, headers: Headers, cors: list[tuple[str, str]], send: Send) -> None:
        """Answer an OPTIONS that reached the origin with the response headers policy's CORS."""
        origin = headers.get("origin")
        requested = headers.get("access-control-request-method", "")
        allowed = origin is not None and origin.lower() in self.cors_origins
        if not allowed or requested not in self._cors_methods:
            await _respond(
                send,
                403,
                [*cors[:1], ("x-cfcookies-decision", "preflight_refused")],
                error_xml("AccessDenied"),
                error=_CLOUDFRONT_XML,
                head=False,
            )
            return
        await _respond(
            send,
            204,
            [
                *cors,
                ("access-control-allow-methods", ", ".join(self._cors_methods)),
                ("access-control-allow-headers", "Range"),
                ("access-control-max-age", "600"),
                ("x-cfcookies-decision", "preflight"),
            ],
            "",
            error=None,
            head=True,
        )

    def _unprotected(self, path: str) -> bool:
        for prefix in self.unprotected_paths:
            if path == prefix or path.startswith(prefix if prefix.endswith("/") else prefix + "/"):
                return True
        return False

    def _resolve(self, scope: Scope, path: str) -> tuple[bool, Path | None]:
        """Whether ``path`` is a safe name under ``root``, and the regular file it names if any.

        Encoded slashes, backslashes and NULs, ``.``/``..`` and empty segments are unsafe. No
        symlink is followed (S3 has none): when the file, or any folder on the way to it, is a
        symlink, the path names no file, as if it did not exist, wherever the link points. So
        do FIFOs, devices and names the file system refuses (too long ...).
        """
        raw = scope.get("raw_path")
        if isinstance(raw, bytes) and any(
            bad in raw.split(b"?", 1)[0].lower() for bad in (b"%2f", b"%5c", b"%00")
        ):
            return False, None
        if not path.startswith("/"):
            return False, None
        if path.endswith("/"):
            return True, None
        segments = path[1:].split("/")
        if any(s in ("", ".", "..") or "\\" in s or "\x00" in s for s in segments):
            return False, None
        return True, _regular_file(self.root, segments)

    async def _serve(
        self,
        file_path: Path,
        path: str,
        request_headers: Headers,
        extra: list[tuple[str, str]],
        send: Send,
        head: bool,
    ) -> None:
        try:
            fd = _open_regular(self.root, file_path.relative_to(self.root).parts)
        except (OSError, ValueError):  # gone, or swapped for a symlink, since _resolve looked
            cors = [h for h in extra if h[0] != "x-cfcookies-decision"]
            await self._missing(path, cors, send, head)
            return
        with os.fdopen(fd, "rb") as raw:
            await self._send_file(raw, file_path, request_headers, extra, send, head)

    async def _send_file(
        self,
        raw: BinaryIO,
        file_path: Path,
        request_headers: Headers,
        extra: list[tuple[str, str]],
        send: Send,
        head: bool,
    ) -> None:
        info = os.fstat(raw.fileno())
        size = info.st_size
        etag = f'"{info.st_mtime_ns:x}-{size:x}"'
        common = [
            *extra,
            ("accept-ranges", "bytes"),
            ("etag", etag),
            ("last-modified", formatdate(info.st_mtime, usegmt=True)),
            ("x-cache", "Miss from cloudfront"),
        ]
        if_none_match = request_headers.get("if-none-match")
        if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
            await _send_start(send, 304, common)
            await send({"type": "http.response.body", "body": b""})
            return
        kind, start, end = parse_range(request_headers.get("range"), size)
        if_range = request_headers.get("if-range")
        if kind != "full" and if_range is not None and if_range.strip() != etag:
            kind, start, end = "full", 0, size - 1
        if kind == "unsatisfiable":
            await _respond(
                send,
                416,
                [*common, ("content-range", f"bytes */{size}")],
                "",
                error=None,
                head=True,
            )
            return
        status = 200
        headers = [*common, ("content-type", content_type_for(file_path))]
        if kind == "partial":
            status = 206
            headers.append(("content-range", f"bytes {start}-{end}/{size}"))
        length = end - start + 1 if size else 0
        headers.append(("content-length", str(length)))
        await _send_start(send, status, headers)
        if head or length == 0:
            await send({"type": "http.response.body", "body": b""})
            return
        file = anyio.wrap_file(raw)
        await file.seek(start)
        remaining = length
        while remaining > 0:
            chunk = await file.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        if remaining > 0:  # the file shrank under us: end the body anyway
            await send({"type": "http.response.body", "body": b""})


_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY: int = getattr(os, "O_DIRECTORY", 0)
_O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
_O_BINARY: int = getattr(os, "O_BINARY", 0)
#: Whether folders can be walked by file descriptor (openat), so that no symlink is followed
#: even if one appears between the check and the open.
_WALK_BY_FD = os.open in os.supports_dir_fd and bool(_O_NOFOLLOW and _O_DIRECTORY)


def _regular_file(root: Path, segments: Sequence[str]) -> Path | None:
    """``root/segments…`` if it is a regular file reached through real folders, else None.

    Every component is read with ``lstat``: a symlink anywhere (file or folder), a missing
    component, a FIFO or device, or a name the file system refuses gives None.
    """
    current = root
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        current = current / segment
        try:
            mode = os.lstat(current).st_mode
        except (OSError, ValueError):
            return None
        if not (stat.S_ISREG(mode) if index == last else stat.S_ISDIR(mode)):
            return None  # S_ISLNK is neither
    return current


def _open_regular(root: Path, parts: Sequence[str]) -> int:
    """Open ``root/parts…`` for reading without following any symlink; its file descriptor.

    Where the OS can, the folders are walked with ``openat`` and ``O_NOFOLLOW``, so a symlink
    swapped in after :func:`_regular_file` looked is refused too. Raises :class:`OSError` when
    a component is a symlink, is missing, or the file is not a regular file.
    """
    if not parts:
        raise IsADirectoryError(str(root))
    if _WALK_BY_FD:
        folder = os.open(root, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
        try:
            for part in parts[:-1]:
                inner = os.open(
                    part, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=folder
                )
                os.close(folder)
                folder = inner
            fd = os.open(
                parts[-1], os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC, dir_fd=folder
            )
        finally:
            os.close(folder)
    else:
        if _regular_file(root, parts) is None:
            raise FileNotFoundError(str(root.joinpath(*parts)))
        flags = os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_BINARY | _O_CLOEXEC
        fd = os.open(root.joinpath(*parts), flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO opens at once with O_NONBLOCK
            raise FileNotFoundError(str(root.joinpath(*parts)))
        if _O_NONBLOCK:
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _first_values(headers: Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        out.setdefault(name, value)
    return out


async def _send_start(
    send: Send, status: int, headers: list[tuple[str, str]], *, server: str = "CloudFront"
) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw.append((b"server", server.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw})


async def _respond(
    send: Send,
    status: int,
    headers: list[tuple[str, str]],
    body: str,
    *,
    error: tuple[str, str] | None,
    head: bool,
) -> None:
    """Send a whole small response; ``error`` is the (Content-Type, Server) of an error page."""
    data = body.encode()
    out = list(headers)
    server = "CloudFront"
    if error is not None:
        content_type, server = error
        out += [("content-type", content_type), ("x-cache", "Error from cloudfront")]
    if status != 204:
        out.append(("content-length", str(len(data))))
    await _send_start(send, status, out, server=server)
    await send({"type": "http.response.body", "body": b"" if head else data})


# --- running it -------------------------------------------------------------------------------


class EdgeServer:
    """Run an ASGI app (an :class:`EdgeApp`) with uvicorn in a thread, on loopback.

    ``port=0`` picks a free port; :attr:`url` is the base URL once started::

        with EdgeServer(edge) as server:
            httpx.get(server.url + "/videos/course-1/index.m3u8", cookies=...)
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        certfile: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
        log_level: str = "warning",
        startup_timeout: float = 10.0,
    ) -> None:
        if (certfile is None) != (keyfile is None):
            raise ConfigurationError("give both certfile and keyfile for TLS, or neither")
        self.app = app
        self.host = host
        self.port = port
        self.certfile = certfile
        self.keyfile = keyfile
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.certfile else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def start(self) -> None:
        import uvicorn

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            log_level=self.log_level,
            ssl_certfile=os.fspath(self.certfile) if self.certfile else None,
            ssl_keyfile=os.fspath(self.keyfile) if self.keyfile else None,
            server_header=False,
            proxy_headers=False,
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(f"the edge server did not start on {self.url}")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> EdgeServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_edge(
    root: str | os.PathLike[str],
    *,
    public_keys: Mapping[str, PublicKey] | KeyRing,
    host: str = "127.0.0.1",
    port: int = 8443,
    certfile: str | os.PathLike[str] | None = None,
    keyfile: str | os.PathLike[str] | None = None,
    public_url: str | None = None,
    cors_origins: Sequence[str] = (),
    trust_forwarded_for: bool = False,
    unprotected_paths: Sequence[str] = (),
    allowed_methods: Sequence[str] = ("GET", "HEAD"),
    missing_object: MissingObject = "AccessDenied",
    log_level: str = "info",
) -> None:
    """Serve ``root`` as a local CloudFront with uvicorn until interrupted (blocking)."""
    if (certfile is None) != (keyfile is None):
        raise ConfigurationError("give both certfile and keyfile for TLS, or neither")
    app = EdgeApp(
        root,
        public_keys=public_keys,
        public_url=public_url,
        cors_origins=cors_origins,
        trust_forwarded_for=trust_forwarded_for,
        unprotected_paths=unprotected_paths,
        allowed_methods=allowed_methods,
        missing_object=missing_object,
    )
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=os.fspath(certfile) if certfile else None,
        ssl_keyfile=os.fspath(keyfile) if keyfile else None,
        log_level=log_level,
        server_header=False,
        proxy_headers=False,
        lifespan="on",
    )
