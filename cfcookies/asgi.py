"""The ASGI middleware (Starlette, FastAPI, any ASGI app).

::

    from cfcookies.asgi import CloudFrontCookieMiddleware

    app.add_middleware(
        CloudFrontCookieMiddleware,
        media_url="https://media.example.com",
        cookie_domain="example.com",
        key_pair_id="K2JCJMDEHXQW5F",
        private_key="/run/secrets/cloudfront.pem",
        state_secret=os.environ["CFCOOKIES_STATE_SECRET"],
        grants=lambda request: request.session.get("courses"),
    )

Or with every setting from ``CFCOOKIES_*`` environment variables (see
:func:`cfcookies.config.load_options`), the code giving what is not text::

    app.add_middleware(
        CloudFrontCookieMiddleware.from_env,
        grants=lambda request: request.session.get("courses"),
    )

Pure ASGI: non-HTTP scopes (websockets, lifespan) pass through untouched; the app's own headers
are never reordered and only ``Set-Cookie`` values are appended, except that a response carrying
these cookies is made unstorable by shared caches (``Cache-Control``, see
:func:`cfcookies.cookies.private_cache_control`). On a signature cache
miss an RSA signature runs in a worker thread so a login storm does not stall the loop (an
ECDSA P-256 one, cheaper than the hop to a thread, runs on the loop).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import anyio
from anyio.lowlevel import RunVar
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import check_option_names, options_from_env
from .cookies import TARGETED_CACHE_HEADERS, private_cache_control
from .exceptions import ConfigurationError
from .grants import MIDDLEWARE_KEY, grant, revoke
from .request import RequestInfo
from .session import CloudFrontCookies, Outcome

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .config import Options

__all__ = ["CloudFrontCookieMiddleware", "grant", "revoke"]


def _full_path(scope: Scope) -> str:
    """The request path from the server's root, as WSGI's ``SCRIPT_NAME + PATH_INFO``.

    ASGI servers (uvicorn, Starlette's ``Mount``) put ``root_path`` inside ``path``; only a
    ``path`` that does not start with it is taken as relative to it.
    """
    root_path: str = scope.get("root_path", "")
    path: str = scope.get("path", "")
    base = root_path.rstrip("/")
    if base and not (path == base or path.startswith(base + "/")):
        return base + path
    return path


def _attach(message: Message, outcome: Outcome) -> None:
    """Append the ``Set-Cookie`` values, and make the response unstorable by shared caches."""
    message.setdefault("headers", [])  # optional in ASGI: absent means none
    headers = MutableHeaders(scope=message)
    for value in outcome.set_cookie:
        headers.append("set-cookie", value)
    headers["cache-control"] = private_cache_control(headers.getlist("cache-control"))
    for name in TARGETED_CACHE_HEADERS:
        del headers[name]


class CloudFrontCookieMiddleware:
    """Issue, renew and remove CloudFront signed cookies for the sessions of an ASGI app.

    Takes the keyword-only options of :class:`cfcookies.session.CloudFrontCookies`, or a ready
    ``cookies=CloudFrontCookies(...)``. ``grants`` receives a :class:`starlette.requests.Request`
    (after the app has handled it, so a login view's session changes are visible) and returns
    the prefixes the session may read, or None.

    ``signing_threads`` caps the worker threads signing at once (default: one less than the
    CPU cores, at least one), so that a login storm leaves a core to the event loop.

    An option cfcookies does not have raises :class:`~cfcookies.exceptions.UnknownOptionError`
    naming the one meant (Starlette's ``same_site`` is ``samesite``, ``https_only`` ``secure``).
    """

    def __init__(
        self,
        app: ASGIApp,
        /,
        *,
        cookies: CloudFrontCookies | None = None,
        signing_threads: int | None = None,
        **options: Unpack[Options],
    ) -> None:
        self.app = app
        if cookies is not None and options:
            raise TypeError("pass cookies=CloudFrontCookies(...) or options, not both")
        if cookies is None:
            check_option_names(options)
            cookies = CloudFrontCookies(**options)
        self.cookies = cookies
        if signing_threads is None:
            signing_threads = max(1, (os.cpu_count() or 2) - 1)
        if (
            isinstance(signing_threads, bool)
            or not isinstance(signing_threads, int)
            or (signing_threads < 1)
        ):
            raise ConfigurationError(
                f"signing_threads must be a whole number >= 1, got {signing_threads!r}"
            )
        self.signing_threads = signing_threads
        # One limiter per event loop (a middleware may outlive a loop, as in tests).
        self._limiter: RunVar[anyio.CapacityLimiter] = RunVar(f"cfcookies-signing-{id(self)}")

    @classmethod
    def from_env(
        cls,
        app: ASGIApp,
        /,
        *,
        environ: Mapping[str, str] | None = None,
        prefix: str = "CFCOOKIES_",
        signing_threads: int | None = None,
        **options: Unpack[Options],
    ) -> CloudFrontCookieMiddleware:
        """The middleware with the options set in ``CFCOOKIES_*`` environment variables
        (``environ``, by default ``os.environ``; read by :func:`cfcookies.config.load_options`),
        then those given here, which win (a required one set nowhere is named as the variable
        to set): ``from_env(app, grants=granted_prefixes)``."""
        return cls(
            app, signing_threads=signing_threads, **options_from_env(environ, prefix, options)
        )

    def _signing_limiter(self) -> anyio.CapacityLimiter:
        try:
            return self._limiter.get()
        except LookupError:
            limiter = anyio.CapacityLimiter(self.signing_threads)
            self._limiter.set(limiter)
            return limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # What starlette's Headers(scope=scope).get() returns (the first of each), read in one
        # pass: this runs on every request.
        host: str | None = None
        cookie: str | None = None
        for name, value in scope["headers"]:
            if name == b"host":
                if host is None:
                    host = value.decode("latin-1")
            elif name == b"cookie" and cookie is None:
                cookie = value.decode("latin-1")
        cookies = self.cookies
        info = cookies.request_info(scope.get("method", "GET"), _full_path(scope), host, cookie)
        if cookies.is_keepalive(info):
            await self._keepalive(scope, send, info)
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and not cookies.quiet(info, scope):
                outcome = await self._respond(scope, info)
                if outcome is not None and outcome.set_cookie:
                    _attach(message, outcome)
            await send(message)

        scope[MIDDLEWARE_KEY] = cookies  # grant() checks what the session can hold
        await self.app(scope, receive, send_with_cookies)

    async def _respond(self, scope: Scope, info: RequestInfo) -> Outcome | None:
        return await self.cookies.respond_async(
            info, scope, lambda: Request(scope), limiter=self._signing_limiter()
        )

    async def _keepalive(self, scope: Scope, send: Send, info: RequestInfo) -> None:
        outcome = await self._respond(scope, info)
        status, headers = self.cookies.keepalive_response(info, outcome)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": b""})
