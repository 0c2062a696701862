"""Cross-site request forgery protection for the demo's forms, with the standard library alone.

Every form of the app (login, logout, replay) is protected: each browser gets a random value in
a ``SameSite=Strict``, ``HttpOnly`` cookie (``__Host-demo_csrf`` over HTTPS, ``demo_csrf`` over
plain HTTP), and each form a hidden ``csrf_token`` field holding an HMAC of that value under a
secret of the app; a POST whose field does not match its cookie (``hmac.compare_digest``) is
refused with ``403`` (:class:`CsrfGuard`). Outermost, :class:`SameOriginOnly` refuses with
``403`` any request other than ``GET``/``HEAD``/``OPTIONS`` (the middleware's keep-alive
``POST`` included) whose ``Origin`` header is present and is not the app's own origin, before it
reaches the app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

#: The hidden form field that carries the CSRF token.
CSRF_FIELD = "csrf_token"
#: A CSRF cookie value as the demo issues it (``secrets.token_urlsafe(32)``).
_CSRF_NONCE = re.compile(r"[A-Za-z0-9_-]{43}")
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Csrf:
    """A browser's CSRF pair: ``nonce`` (its cookie) and ``token`` (an HMAC of it, in the forms).

    ``new`` when the browser sent no valid cookie: the page then sets it. The token proves the
    form came from a page of this app: another site can neither read it nor compute it, even
    if it managed to plant a cookie of its own.
    """

    nonce: str = field(repr=False)
    token: str = field(repr=False)
    new: bool

    def form_field(self) -> str:
        """The hidden form field."""
        return f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(self.token)}">'


def forbidden(message: str) -> Response:
    return PlainTextResponse(
        f"403 Forbidden: {message}\n", status_code=403, headers={"Cache-Control": "no-store"}
    )


class CsrfGuard:
    """The app's CSRF secret and cookie: gives each browser its pair and checks the forms.

    ``secure`` when the app is served over HTTPS with ``Secure`` cookies: the cookie is then
    ``__Host-demo_csrf``, which a sibling host cannot plant (a ``__Host-`` cookie needs
    ``Secure``, hence HTTPS).
    """

    def __init__(self, *, secure: bool) -> None:
        self._secret = secrets.token_bytes(32)
        self.secure = secure
        self.cookie = "__Host-demo_csrf" if secure else "demo_csrf"

    def _token(self, nonce: str) -> str:
        mac = hmac.new(self._secret, b"cfcookies-demo-csrf:" + nonce.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")

    def pair(self, request: Request) -> Csrf:
        """This browser's CSRF pair, new (to be set by the page) when it sent no valid cookie."""
        nonce = request.cookies.get(self.cookie, "")
        if _CSRF_NONCE.fullmatch(nonce):
            return Csrf(nonce, self._token(nonce), new=False)
        nonce = secrets.token_urlsafe(32)
        return Csrf(nonce, self._token(nonce), new=True)

    def refusal(self, request: Request, form: Mapping[str, list[str]]) -> Response | None:
        """``403`` unless the form's token is the HMAC of this browser's CSRF cookie."""
        nonce = request.cookies.get(self.cookie, "")
        sent = (form.get(CSRF_FIELD) or [""])[0].encode("utf-8")
        if _CSRF_NONCE.fullmatch(nonce) and hmac.compare_digest(
            sent, self._token(nonce).encode("ascii")
        ):
            return None
        return forbidden(
            "this form was not sent from the demo's own page (missing or wrong CSRF token). "
            "Reload the page and try again."
        )

    def set_cookie(self, response: Response, csrf: Csrf) -> None:
        """Set the browser's CSRF cookie on ``response`` if ``csrf`` is new."""
        if csrf.new:
            response.set_cookie(
                self.cookie,
                csrf.nonce,
                path="/",
                secure=self.secure,
                httponly=True,
                samesite="strict",
            )


def serialized_origin(url: str) -> str:
    """The origin as a browser writes it in ``Origin``: lower case, no default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + ("" if port in (None, default) else f":{port}")


class SameOriginOnly:
    """ASGI wrapper: a request other than ``GET``/``HEAD``/``OPTIONS`` whose ``Origin`` header is
    present and is not ``origin`` (``null`` included) gets ``403`` before the app sees it."""

    def __init__(self, app: ASGIApp, origin: str) -> None:
        self.app = app
        self.origin = origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method", "GET") not in _SAFE_METHODS:
            sent = [
                value.decode("latin-1").strip().lower()
                for name, value in scope.get("headers", [])
                if name.lower() == b"origin"
            ]
            if any(origin != self.origin for origin in sent):
                response = forbidden(
                    "cross-origin request refused: its Origin is not this app's. Use the "
                    "demo's own page."
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
