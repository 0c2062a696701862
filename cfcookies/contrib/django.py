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

The option names are those of every adapter (a typed ``CFCOOKIES: cfcookies.config.Options``
lets a type checker check them), read by :func:`cfcookies.config.load_options`: text such as
``"lifetime": "30m"`` or ``env("CFCOOKIES_SECURE")`` is read as from the environment, and
callables may be dotted paths. A project that already signs URLs with django-storages'
``AWS_CLOUDFRONT_KEY`` (the PEM) and ``AWS_CLOUDFRONT_KEY_ID`` need not repeat them: without
``key_pair_id``, ``private_key`` or ``keys`` in ``CFCOOKIES``, that key pair is used.

Views may also call :func:`cfcookies.grant` / :func:`cfcookies.revoke` with the request.
The cookies are entries of ``response.cookies`` under their own names, as Django's own cookies
are: other middleware reads ``response.cookies["CloudFront-Key-Pair-Id"]``, and Django's test
``Client`` keeps them from one request to the next. A session granted several folders has one
``CloudFront-Policy`` per folder's ``Path``: the first is under the name, the others under
``"CloudFront-Policy; Path=/videos/course-2/"`` (each written as its own ``Set-Cookie``).
"""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import Morsel
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from ..config import Options, load_options
from ..cookies import TARGETED_CACHE_HEADERS, parse_set_cookie, private_cache_control
from ..exceptions import ConfigurationError
from ..grants import MIDDLEWARE_KEY, grant, revoke
from ..request import RequestInfo
from ..session import CloudFrontCookies, Outcome

__all__ = ["CloudFrontCookieMiddleware", "grant", "revoke"]


class _SetCookieLine(Morsel[str]):
    """A cfcookies ``Set-Cookie`` value as a Morsel: its name, value and attributes read as
    those of Django's own cookies, and written out exactly as cfcookies rendered it, unless
    another middleware has changed the morsel (then as Django writes any cookie)."""

    def __init__(self, line: str) -> None:
        super().__init__()
        cookie = parse_set_cookie(line)
        if cookie is None:  # pragma: no cover - cfcookies renders every line it adds
            raise ValueError("not a Set-Cookie value")
        self.set(cookie.name, cookie.value, cookie.value)
        for attribute, value in cookie.attributes.items():
            if attribute in ("secure", "httponly"):
                self[attribute] = True
            elif attribute == "max-age" and value.lstrip("-").isdigit():
                self[attribute] = int(value)
            elif attribute in self._reserved:  # type: ignore[attr-defined]
                self[attribute] = value
        self._line = line
        self._as_rendered = self.copy()

    def OutputString(self, attrs: Any = None) -> str:
        rendered: Morsel[str] | None = getattr(self, "_as_rendered", None)  # None if unpickled
        if attrs is None and rendered is not None and Morsel.__eq__(self, rendered):
            return self._line
        return super().OutputString(attrs)


def _add_set_cookie(response: HttpResponseBase, lines: tuple[str, ...]) -> None:
    """Add each ``Set-Cookie`` value to ``response.cookies``, under its cookie's name.

    ``response.cookies`` holds one cookie per key, and Django's test Client keeps cookies by
    those keys: the first cookie of each name goes under the name, so that
    ``response.cookies["CloudFront-Policy"]`` reads it and a later response replaces it in the
    Client; a second or later cookie of the same name (another folder's ``Path``) goes under
    ``"<name>; Path=<path>"``, the same key for that folder on every response.
    """
    taken: set[str] = set()
    for line in lines:
        morsel = _SetCookieLine(line)
        key = morsel.key
        if key in taken:
            key = f"{key}; Path={morsel['path']}"
        taken.add(key)
        response.cookies[key] = morsel


def _storages_key(options: Options) -> None:
    """django-storages' CloudFront key pair into ``options``, unless they name a key."""
    key = getattr(settings, "AWS_CLOUDFRONT_KEY", None)
    key_id = getattr(settings, "AWS_CLOUDFRONT_KEY_ID", None)
    named = any(options.get(name) is not None for name in ("keys", "key_pair_id", "private_key"))
    if named or (key is None and key_id is None):
        return
    if key is None or key_id is None:
        given, missing = (
            ("AWS_CLOUDFRONT_KEY_ID", "AWS_CLOUDFRONT_KEY")
            if key is None
            else ("AWS_CLOUDFRONT_KEY", "AWS_CLOUDFRONT_KEY_ID")
        )
        raise ImproperlyConfigured(
            f"settings.{given} is set but settings.{missing} is not: set both (the key pair "
            f"django-storages signs with), or key_pair_id and private_key in settings.CFCOOKIES"
        )
    options["key_pair_id"] = key_id
    options["private_key"] = key


class CloudFrontCookieMiddleware:
    """Django middleware: options from ``settings.CFCOOKIES`` (a dict of the option names), and
    the key pair from django-storages' ``AWS_CLOUDFRONT_KEY`` / ``AWS_CLOUDFRONT_KEY_ID`` when
    ``CFCOOKIES`` names none."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        try:
            options = load_options(getattr(settings, "CFCOOKIES", None) or {}, prefix="")
        except ConfigurationError as exc:
            raise ImproperlyConfigured(f"settings.CFCOOKIES: {exc}") from exc
        _storages_key(options)
        try:
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
