"""The WSGI middleware (Flask, Django, any WSGI app).

::

    from cfcookies.wsgi import CloudFrontCookieMiddleware

    app.wsgi_app = CloudFrontCookieMiddleware(
        app.wsgi_app,
        media_url="https://media.example.com",
        cookie_domain="example.com",
        key_pair_id="K2JCJMDEHXQW5F",
        private_key="/run/secrets/cloudfront.pem",
        state_secret=os.environ["CFCOOKIES_STATE_SECRET"],
    )

It wraps ``start_response`` only: ``exc_info`` is passed through, the ``write`` callable is
returned, and the app's iterable is returned untouched so that ``close()`` reaches the server.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .cookies import TARGETED_CACHE_HEADERS, private_cache_control
from .exceptions import ConfigurationError
from .session import (
    ACTIONS_KEY,
    MIDDLEWARE_KEY,
    CloudFrontCookies,
    Outcome,
    RequestInfo,
    grant,
    host_from_header,
    revoke,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["CloudFrontCookieMiddleware", "grant", "revoke"]


def request_info(environ: WSGIEnvironment, cookies: CloudFrontCookies | None = None) -> RequestInfo:
    """What the decision needs of a WSGI request."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME")
    host = host if isinstance(host, str) else None
    return RequestInfo(
        method=str(environ.get("REQUEST_METHOD", "GET")),
        path=str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "")),
        host=cookies.host(host) if cookies is not None else host_from_header(host),
        cookie_header=environ.get("HTTP_COOKIE"),
    )


class CloudFrontCookieMiddleware:
    """Issue, renew and remove CloudFront signed cookies for the sessions of a WSGI app.

    Takes the keyword-only options of :class:`cfcookies.session.CloudFrontCookies`, or a ready
    ``cookies=CloudFrontCookies(...)``. ``grants`` receives the WSGI environ, when the app calls
    ``start_response`` (so a login view's session changes are visible), and returns the
    prefixes the session may read, or None. It must be a plain (sync) callable.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        cookies: CloudFrontCookies | None = None,
        **options: Any,
    ) -> None:
        self.app = app
        if cookies is not None and options:
            raise TypeError("pass cookies=CloudFrontCookies(...) or options, not both")
        self.cookies = cookies if cookies is not None else CloudFrontCookies(**options)
        grants = self.cookies.grants
        if grants is not None and inspect.iscoroutinefunction(grants):
            raise ConfigurationError("the WSGI middleware needs a sync grants callable")

    def decide(self, environ: WSGIEnvironment, info: RequestInfo) -> Outcome | None:
        return self.cookies.decide(info, grants_arg=environ, storage=environ)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        cookies = self.cookies
        info = request_info(environ, cookies)
        if cookies.is_keepalive(info):
            status, headers = self.cookies.keepalive_response(info, self.decide(environ, info))
            start_response("204 No Content" if status == 204 else "401 Unauthorized", headers)
            return [b""]
        decided: list[Outcome | None] = []
        imperative = cookies.grants is None and cookies.client_ip is None

        def start_response_with_cookies(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            if not decided:
                decided.append(
                    None  # the steady state: nothing granted or revoked, cookies fresh
                    if imperative and ACTIONS_KEY not in environ and cookies.settled(info)
                    else self.decide(environ, info)
                )
            outcome = decided[0]
            if outcome is not None and outcome.set_cookie:
                headers = list(headers)
                headers.extend(("Set-Cookie", value) for value in outcome.set_cookie)
                cache_control = [v for k, v in headers if k.lower() == "cache-control"]
                headers = [
                    (k, v)
                    for k, v in headers
                    if k.lower() != "cache-control" and k.lower() not in TARGETED_CACHE_HEADERS
                ]
                headers.append(("Cache-Control", private_cache_control(cache_control)))
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        environ[MIDDLEWARE_KEY] = cookies  # grant() checks what the session can hold
        return self.app(environ, start_response_with_cookies)
