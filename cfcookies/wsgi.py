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

Or with every setting from ``CFCOOKIES_*`` environment variables (see
:func:`cfcookies.config.load_options`)::

    app.wsgi_app = CloudFrontCookieMiddleware.from_env(app.wsgi_app)

It wraps ``start_response`` only: ``exc_info`` is passed through, the ``write`` callable is
returned, and the app's iterable is returned untouched so that ``close()`` reaches the server.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .config import check_option_names, options_from_env
from .cookies import TARGETED_CACHE_HEADERS, private_cache_control
from .exceptions import ConfigurationError
from .grants import MIDDLEWARE_KEY, grant, revoke
from .request import RequestInfo
from .session import CloudFrontCookies, Outcome

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from typing_extensions import Unpack

    from .config import Options

__all__ = ["CloudFrontCookieMiddleware", "grant", "revoke"]


def request_info(environ: WSGIEnvironment, cookies: CloudFrontCookies) -> RequestInfo:
    """What the decision needs of a WSGI request."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME")
    return cookies.request_info(
        str(environ.get("REQUEST_METHOD", "GET")),
        str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "")),
        host if isinstance(host, str) else None,
        environ.get("HTTP_COOKIE"),
    )


def with_cookies(headers: list[tuple[str, str]], outcome: Outcome) -> list[tuple[str, str]]:
    """``headers`` with the ``Set-Cookie`` values added, unstorable by shared caches."""
    cache_control = [v for k, v in headers if k.lower() == "cache-control"]
    kept = [
        (k, v)
        for k, v in headers
        if k.lower() != "cache-control" and k.lower() not in TARGETED_CACHE_HEADERS
    ]
    kept.extend(("Set-Cookie", value) for value in outcome.set_cookie)
    kept.append(("Cache-Control", private_cache_control(cache_control)))
    return kept


class CloudFrontCookieMiddleware:
    """Issue, renew and remove CloudFront signed cookies for the sessions of a WSGI app.

    Takes the keyword-only options of :class:`cfcookies.session.CloudFrontCookies`, or a ready
    ``cookies=CloudFrontCookies(...)``. ``grants`` receives the WSGI environ, when the app calls
    ``start_response`` (so a login view's session changes are visible), and returns the
    prefixes the session may read, or None. It must be a plain (sync) callable.

    An option cfcookies does not have raises :class:`~cfcookies.exceptions.UnknownOptionError`
    naming the one meant (``same_site`` is ``samesite``).
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        cookies: CloudFrontCookies | None = None,
        **options: Unpack[Options],
    ) -> None:
        self.app = app
        if cookies is not None and options:
            raise TypeError("pass cookies=CloudFrontCookies(...) or options, not both")
        if cookies is None:
            check_option_names(options)
            cookies = CloudFrontCookies(**options)
        self.cookies = cookies
        grants = self.cookies.grants
        if grants is not None and inspect.iscoroutinefunction(grants):
            raise ConfigurationError("the WSGI middleware needs a sync grants callable")

    @classmethod
    def from_env(
        cls,
        app: WSGIApplication,
        *,
        environ: Mapping[str, str] | None = None,
        prefix: str = "CFCOOKIES_",
        **options: Unpack[Options],
    ) -> CloudFrontCookieMiddleware:
        """The middleware with the options set in ``CFCOOKIES_*`` environment variables
        (``environ``, by default ``os.environ``; read by :func:`cfcookies.config.load_options`),
        then those given here, which win (a required one set nowhere is named as the variable
        to set): ``from_env(app.wsgi_app, lifetime=600)``."""
        return cls(app, **options_from_env(environ, prefix, options))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        cookies = self.cookies
        info = request_info(environ, cookies)
        if cookies.is_keepalive(info):
            status, headers = cookies.keepalive_response(
                info, cookies.respond(info, environ, environ)
            )
            start_response("204 No Content" if status == 204 else "401 Unauthorized", headers)
            return [b""]
        decided: list[Outcome | None] = []

        def start_response_with_cookies(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            if not decided:
                decided.append(cookies.respond(info, environ, environ))
            outcome = decided[0]
            if outcome is not None and outcome.set_cookie:
                headers = with_cookies(list(headers), outcome)
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        environ[MIDDLEWARE_KEY] = cookies  # grant() checks what the session can hold
        return self.app(environ, start_response_with_cookies)
