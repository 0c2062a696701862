"""The edge's ASGI app: answer each request as the template's CloudFront distribution would.

:class:`EdgeApp` takes a request through named steps, in CloudFront's order: the method check
(a method the behaviour does not allow gets CloudFront's HTML ``403`` before any signature is
read), the file lookup (:func:`~cfcookies.edge.files.resolve`: safe names, regular files, no
symlinks), the signature check (:func:`cfcookies.verify.verify_request`, then the optional
:class:`EdgeCheck` such as a deny-list) unless the path is unprotected, and the answer (a
preflight, S3's missing-object error, or the file). The answers' bodies and headers live in
:mod:`cfcookies.edge.answers`; what the edge answers, and why, is in :mod:`cfcookies.edge`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import quote, urlsplit

from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from ..cookies import parse_cookie_header
from ..exceptions import ConfigurationError, VerificationError
from ..keys import KeyRing, PublicKey
from ..policy import Clock, system_clock
from ..verify import Decision, error_xml, verify_request
from .answers import (
    CLOUDFRONT_HTML,
    CLOUDFRONT_XML,
    MISSING_STATUS,
    S3_XML,
    MissingObject,
    method_not_allowed_html,
    respond,
    s3_error_xml,
    send_file,
)
from .files import open_regular, resolve

__all__ = ["ALLOWED_METHOD_SETS", "EdgeApp", "EdgeCheck", "EdgeRequest"]

#: The method sets a CloudFront cache behaviour can allow and the edge can serve. CloudFront
#: also offers all seven methods (``PUT``, ``POST`` ...), which a read-only media edge has no use
#: for: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_AllowedMethods.html
ALLOWED_METHOD_SETS: tuple[tuple[str, ...], ...] = (("GET", "HEAD"), ("GET", "HEAD", "OPTIONS"))


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
    """An ASGI app serving ``root`` to requests CloudFront would accept.

    What it answers, and why, is in :mod:`cfcookies.edge`.
    """

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
        if missing_object not in MISSING_STATUS:
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
        await respond(
            send,
            403,
            [*cors, ("x-cfcookies-decision", "method_not_allowed")],
            method_not_allowed_html(),
            error=CLOUDFRONT_HTML,
            head=False,
        )

    async def _missing(
        self, path: str, cors: list[tuple[str, str]], send: Send, head: bool
    ) -> None:
        """What S3 answers for a key it does not have, as CloudFront relays it."""
        code = self.missing_object
        await respond(
            send,
            MISSING_STATUS[code],
            [*cors, ("x-cfcookies-decision", "missing_object")],
            s3_error_xml(code, path.lstrip("/")),
            error=S3_XML,
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
        path: str = scope.get("path", "/")
        safe, file_path = resolve(self.root, scope.get("raw_path"), path)
        if safe and self._unprotected(path):
            # A behaviour without trusted key groups: no signature needed.
            reason = "unprotected"
        else:
            # Every method the behaviour allows, OPTIONS included, needs a valid signature.
            reason, code = self._check_signature(scope, headers, method, path)
            if code is not None:
                await respond(
                    send,
                    403,
                    [*cors, ("x-cfcookies-decision", reason)],
                    error_xml(code),
                    error=CLOUDFRONT_XML,
                    head=method == "HEAD",
                )
                return
        await self._answer(method, path, file_path, headers, cors, reason, send)

    # -- the steps -------------------------------------------------------------------------------

    def _check_signature(
        self, scope: Scope, headers: Headers, method: str, path: str
    ) -> tuple[str, str | None]:
        """CloudFront's verdict, then the EdgeCheck's: (reason, error code or None if allowed)."""
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
        if not decision.allowed or self.deny_list is None:
            return decision.reason, decision.code
        request = EdgeRequest(
            method,
            url,
            path,
            _first_values(headers),
            parse_cookie_header(cookie_header),
            client_ip,
            decision,
        )
        return _extra_check(self.deny_list, request)

    async def _answer(
        self,
        method: str,
        path: str,
        file_path: Path | None,
        headers: Headers,
        cors: list[tuple[str, str]],
        reason: str,
        send: Send,
    ) -> None:
        """Answer a request the edge lets through: a preflight, S3's missing object, or the file."""
        head = method == "HEAD"
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
            await respond(
                send,
                403,
                [*cors[:1], ("x-cfcookies-decision", "preflight_refused")],
                error_xml("AccessDenied"),
                error=CLOUDFRONT_XML,
                head=False,
            )
            return
        await respond(
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
            fd = open_regular(self.root, file_path.relative_to(self.root).parts)
        except (OSError, ValueError):  # gone, or swapped for a symlink, since resolve() looked
            cors = [h for h in extra if h[0] != "x-cfcookies-decision"]
            await self._missing(path, cors, send, head)
            return
        with os.fdopen(fd, "rb") as raw:
            await send_file(raw, file_path, request_headers, extra, send, head)


def _extra_check(check: EdgeCheck, request: EdgeRequest) -> tuple[str, str | None]:
    """The :class:`EdgeCheck`'s verdict on a request CloudFront allowed: reason and error code."""
    try:
        denied = check.check(request)
    except VerificationError as exc:
        return exc.reason, exc.code
    if denied is not None:
        return str(denied) or "denied", "AccessDenied"
    return request.decision.reason, request.decision.code


def _first_values(headers: Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        out.setdefault(name, value)
    return out
