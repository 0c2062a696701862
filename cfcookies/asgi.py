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

Pure ASGI: non-HTTP scopes (websockets, lifespan) pass through untouched; the app's own headers
are never reordered and only ``Set-Cookie`` values are appended, except that a response carrying
these cookies is made unstorable by shared caches (``Cache-Control``, see
:func:`cfcookies.cookies.private_cache_control`). On a signature cache
miss the RSA/ECDSA signing runs in a worker thread so a login storm does not stall the loop.
"""

from __future__ import annotations

import inspect
import os
from typing import Any, Literal

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .cookies import TARGETED_CACHE_HEADERS, private_cache_control
from .exceptions import ConfigurationError
from .session import (
    ACTIONS_KEY,
    MIDDLEWARE_KEY,
    Actions,
    CloudFrontCookies,
    Outcome,
    RequestInfo,
    desired_prefixes,
    grant,
    revoke,
)

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


class CloudFrontCookieMiddleware:
    """Issue, renew and remove CloudFront signed cookies for the sessions of an ASGI app.

    Takes the keyword-only options of :class:`cfcookies.session.CloudFrontCookies`, or a ready
    ``cookies=CloudFrontCookies(...)``. ``grants`` receives a :class:`starlette.requests.Request`
    (after the app has handled it, so a login view's session changes are visible) and returns
    the prefixes the session may read, or None.

    ``signing_threads`` caps the worker threads signing at once (default: one less than the
    CPU cores, at least one), so that a login storm leaves a core to the event loop.
    """

    def __init__(
        self,
        app: ASGIApp,
        /,
        *,
        cookies: CloudFrontCookies | None = None,
        signing_threads: int | None = None,
        **options: Any,
    ) -> None:
        self.app = app
        if cookies is not None and options:
            raise TypeError("pass cookies=CloudFrontCookies(...) or options, not both")
        self.cookies = cookies if cookies is not None else CloudFrontCookies(**options)
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
        info = RequestInfo(
            method=scope.get("method", "GET"),
            path=_full_path(scope),
            host=self.cookies.host(host),
            cookie_header=cookie,
        )
        if self.cookies.is_keepalive(info):
            await self._keepalive(scope, send, info)
            return

        cookies = self.cookies
        imperative = (
            cookies.grants is None and cookies.client_ip is None and cookies.session_binding is None
        )

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and not (
                # the steady state: nothing granted or revoked, cookies fresh (no await)
                imperative and ACTIONS_KEY not in scope and cookies.settled(info)
            ):
                outcome = await self._decide(scope, info)
                if outcome is not None and outcome.set_cookie:
                    message.setdefault("headers", [])  # optional in ASGI: absent means none
                    response_headers = MutableHeaders(scope=message)
                    for value in outcome.set_cookie:
                        response_headers.append("set-cookie", value)
                    response_headers["cache-control"] = private_cache_control(
                        response_headers.getlist("cache-control")
                    )
                    for name in TARGETED_CACHE_HEADERS:
                        del response_headers[name]
            await send(message)

        scope[MIDDLEWARE_KEY] = cookies  # grant() checks what the session can hold
        await self.app(scope, receive, send_with_cookies)

    async def _desired(self, scope: Scope) -> Any:
        if self.cookies.grants is None:
            return False
        result = self.cookies.grants(Request(scope))
        if inspect.isawaitable(result):
            result = await result
        return desired_prefixes(result)

    async def _decide(self, scope: Scope, info: RequestInfo) -> Outcome | None:
        desired: Any | Literal[False] = await self._desired(scope)
        if self.cookies.client_ip is not None:
            info = info._replace(client_ip=self.cookies.client_ip(Request(scope)))
        if self.cookies.session_binding is not None:
            binding = self.cookies.session_binding(Request(scope))
            if inspect.isawaitable(binding):
                binding = await binding
            info = info._replace(binding=binding)
        actions = scope.get(ACTIONS_KEY)
        if actions is None and self.cookies.settled(info, desired):
            return None
        plan = self.cookies.plan(
            info, desired=desired, actions=actions if isinstance(actions, Actions) else None
        )
        if not plan.changes_anything:
            return None
        if self.cookies.needs_signing(plan):
            outcome = await anyio.to_thread.run_sync(
                self.cookies.render, plan, limiter=self._signing_limiter()
            )
        else:
            outcome = self.cookies.render(plan)
        if plan.deny_sessions:
            # the outbox write and the (bounded) wait for the deny-list run in a thread of
            # anyio's default pool, never in the signing limiter
            await anyio.to_thread.run_sync(self.cookies.record_logouts, plan)
        return outcome

    async def _keepalive(self, scope: Scope, send: Send, info: RequestInfo) -> None:
        outcome = await self._decide(scope, info)
        status, headers = self.cookies.keepalive_response(info, outcome)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": b""})
