"""Django middleware configured from settings.

::

    MIDDLEWARE = [
        ...,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "cfcookies.contrib.django.CloudFrontCookieMiddleware",
    ]
    CFCOOKIES = {
        "media_url": "https://media.example.com",
        "cookie_domain": "example.com",
        "key_pair_id": "K2JCJMDEHXQW5F",
        "private_key": "/run/secrets/cloudfront.pem",
        "state_secret": env("CFCOOKIES_STATE_SECRET"),
        "grants": "myapp.media.granted_prefixes",  # request -> prefixes, or None
    }

Views may also call :func:`cfcookies.grant` / :func:`cfcookies.revoke` with the request.
Several cookies share a name (one ``CloudFront-Policy`` per path), which ``response.cookies``
cannot hold by name; they are added as extra entries that Django writes out as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import Morsel
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from ..cookies import TARGETED_CACHE_HEADERS, private_cache_control
from ..exceptions import ConfigurationError
from ..grants import MIDDLEWARE_KEY, grant, revoke
from ..session import CloudFrontCookies, Outcome, RequestInfo
from ._config import import_callable

__all__ = ["CloudFrontCookieMiddleware", "grant", "revoke"]


class _SetCookieLine(Morsel[str]):
    """A ready ``Set-Cookie`` value that Django outputs unchanged."""

    def __init__(self, name: str, value: str, line: str) -> None:
        super().__init__()
        self.set(name, value, value)
        self._line = line

    def OutputString(self, attrs: Any = None) -> str:
        return self._line


def _add_set_cookie(response: HttpResponseBase, lines: tuple[str, ...]) -> None:
    for index, line in enumerate(lines):
        name, _, rest = line.partition("=")
        value = rest.split(";", 1)[0]
        key = f"{name} #cfcookies{index}"
        dict.__setitem__(response.cookies, key, _SetCookieLine(name, value, line))


class CloudFrontCookieMiddleware:
    """Django middleware: options from ``settings.CFCOOKIES`` (a dict of the option names)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        options = dict(getattr(settings, "CFCOOKIES", {}) or {})
        try:
            if "grants" in options:
                options["grants"] = import_callable(options["grants"], "CFCOOKIES['grants']")
            self.cookies = CloudFrontCookies(**options)
        except (ConfigurationError, TypeError) as exc:
            raise ImproperlyConfigured(f"settings.CFCOOKIES: {exc}") from exc

    def _decide(self, request: HttpRequest, info: RequestInfo) -> Outcome | None:
        return self.cookies.respond(info, request.META, request)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        info = self.cookies.request_info(
            request.method or "GET",
            request.path,
            request.META.get("HTTP_HOST"),
            request.META.get("HTTP_COOKIE"),
        )
        if self.cookies.is_keepalive(info):
            outcome = self._decide(request, info)
            status, headers = self.cookies.keepalive_response(info, outcome)
            keepalive = HttpResponse(status=status)
            _add_set_cookie(keepalive, tuple(v for k, v in headers if k == "Set-Cookie"))
            for name, value in headers:
                if name != "Set-Cookie":
                    keepalive[name] = value
            return keepalive
        request.META[MIDDLEWARE_KEY] = self.cookies  # grant() checks what the session holds
        response = self.get_response(request)
        outcome = self._decide(request, info)
        if outcome is not None and outcome.set_cookie:
            _add_set_cookie(response, outcome.set_cookie)
            app_value = response.get("Cache-Control")
            response["Cache-Control"] = private_cache_control([app_value] if app_value else [])
            for name in TARGETED_CACHE_HEADERS:
                del response[name]
        return response
