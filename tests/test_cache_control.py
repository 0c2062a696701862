"""Responses that carry cfcookies' ``Set-Cookie`` are never storable by a shared cache.

The attack: a page the app marks ``Cache-Control: public, max-age=600`` (a catalogue, say) is
also the response on which the middleware grants, renews or removes a session's CloudFront
cookies. A CDN or proxy in front of the app stores it, ``Set-Cookie`` included, and hands that
session's signed cookies to everyone who asks for the same page. Each adapter (ASGI, raw WSGI,
Flask, Django) is driven with a ``/cached`` route whose headers and grants come from the query:

- ``cc=VALUE`` (repeatable): a ``Cache-Control`` line (Django, which keeps one, joins them);
- ``h=NAME: VALUE`` (repeatable): another response header;
- ``grant=/prefix`` (repeatable): ``grant(request, *prefixes)``; ``logout=1``: ``revoke(request)``.
"""

from __future__ import annotations

import wsgiref.validate
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import pytest

from cfcookies import session as core
from cfcookies.cookies import private_cache_control
from cfcookies.keys import PrivateKey
from cfcookies.session import CloudFrontCookies
from tests.browser_jar_support import Browser, base_options
from tests.middleware_apps import (
    APP_ORIGIN,
    Reply,
    call_django,
    call_flask,
    call_wsgi,
    django_app,
)
from tests.support import RSA_KEY_ID, FakeClock

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Send = Callable[[str, str, str | None], Reply]
PREFIX = "/videos/course-1"
TARGETED = ("CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Surrogate-Control")


# --- the /cached route, on each adapter -----------------------------------------------------------


def _app_headers(query: dict[str, list[str]]) -> list[tuple[str, str]]:
    headers = [("Cache-Control", value) for value in query.get("cc", [])]
    for line in query.get("h", []):
        name, _, value = line.partition(": ")
        headers.append((name, value))
    return headers


def _act(request: Any, query: dict[str, list[str]]) -> None:
    if query.get("grant"):
        core.grant(request, *query["grant"])
    if query.get("logout"):
        core.revoke(request)


def _asgi_site(options: dict[str, Any] | None) -> Send:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from cfcookies.asgi import CloudFrontCookieMiddleware

    def cached(request: Request) -> Response:
        query = parse_qs(request.url.query)
        response = PlainTextResponse("cached")
        for name, value in _app_headers(query):
            response.headers.append(name, value)
        _act(request, query)
        return response

    app = Starlette(routes=[Route("/cached", cached)])
    if options is not None:
        app.add_middleware(CloudFrontCookieMiddleware, cookies=CloudFrontCookies(**options))
    client = TestClient(app, base_url=APP_ORIGIN)

    def send(method: str, path: str, cookie: str | None) -> Reply:
        client.cookies.clear()
        response = client.request(method, path, headers={"cookie": cookie} if cookie else {})
        return Reply(response.status_code, list(response.headers.multi_items()), response.content)

    return send


def _wsgi_site(options: dict[str, Any] | None) -> Send:
    from cfcookies.wsgi import CloudFrontCookieMiddleware

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        _act(environ, query)
        start_response("200 OK", [("Content-Type", "text/plain"), *_app_headers(query)])
        return [b"cached"]

    wrapped = app if options is None else CloudFrontCookieMiddleware(app, cookies=None, **options)
    validated = wsgiref.validate.validator(wrapped)
    return lambda method, path, cookie: call_wsgi(validated, method, path, cookie)


def _flask_site(options: dict[str, Any] | None) -> Send:
    from flask import Flask, make_response, request

    from cfcookies.contrib.flask import FlaskCloudFrontCookies

    app = Flask(__name__)

    @app.get("/cached")
    def cached() -> Any:
        query = {key: request.args.getlist(key) for key in request.args}
        response = make_response("cached")
        for name, value in _app_headers(query):
            response.headers.add(name, value)
        _act(request, query)
        return response

    if options is not None:
        FlaskCloudFrontCookies(app, **options)
    return lambda method, path, cookie: call_flask(app, method, path, cookie)


urlpatterns: list[Any] = []


def _django_cached(request: Any) -> Any:
    from django.http import HttpResponse

    query = {key: request.GET.getlist(key) for key in request.GET}
    response = HttpResponse("cached")
    headers = _app_headers(query)
    cache_control = [value for name, value in headers if name == "Cache-Control"]
    if cache_control:
        response["Cache-Control"] = ", ".join(cache_control)
    for name, value in headers:
        if name != "Cache-Control":
            response[name] = value
    _act(request, query)
    return response


def _django_site(options: dict[str, Any] | None) -> Send:
    from django.test import override_settings
    from django.urls import path as route

    django_options = django_app(options, declarative=False)
    if not urlpatterns:
        urlpatterns.append(route("cached", _django_cached))
    overrides: dict[str, Any] = {"ROOT_URLCONF": __name__}
    if options is None:
        overrides["MIDDLEWARE"] = []

    def send(method: str, path: str, cookie: str | None) -> Reply:
        with override_settings(**overrides):
            return call_django(django_options, method, path, cookie)

    return send


SITES: dict[str, Callable[[dict[str, Any] | None], Send]] = {
    "asgi": _asgi_site,
    "wsgi": _wsgi_site,
    "flask": _flask_site,
    "django": _django_site,
}


@pytest.fixture
def browser(driver: str, rsa_key: PrivateKey, clock: FakeClock) -> Browser:
    send = SITES[driver](base_options(rsa_key, clock))
    return Browser(send, clock, {RSA_KEY_ID: rsa_key.public_key()})


def cached(*query: tuple[str, str]) -> str:
    return "/cached?" + urlencode(query)


def ours(reply: Reply) -> list[str]:
    """The cfcookies ``Set-Cookie`` values of a reply (CloudFront cookies and the state)."""
    return [
        v
        for v in reply.set_cookie()
        if v.startswith(("CloudFront-", "cfcookies=", "__Host-cfcookies="))
    ]


def header_lines(reply: Reply, name: str) -> list[str]:
    return [v for k, v in reply.headers if k.lower() == name.lower()]


def respond(browser: Browser, flow: str, *query: tuple[str, str]) -> Reply:
    """The reply on which cfcookies grants, renews or removes the session's cookies."""
    if flow == "grant":
        return browser.get(cached(("grant", PREFIX), *query))
    browser.get(cached(("grant", PREFIX)))
    if flow == "renew":
        browser.clock.advance(25 * 60)  # inside the renewal window
        return browser.get(cached(*query))
    return browser.get(cached(("logout", "1"), *query))


FLOWS = [
    pytest.param("grant", id="grant"),
    pytest.param("renew", id="renew"),
    pytest.param("logout", id="logout"),
]


# --- the attack, through every adapter ------------------------------------------------------------


@pytest.mark.parametrize("flow", FLOWS)
def test_a_public_page_that_carries_our_cookies_becomes_private(
    browser: Browser, flow: str
) -> None:
    """A page the app marks public, max-age=600 is made private (max-age kept) when it carries
    cfcookies' grant, renewal or logout cookies, so no shared cache can hand them to others."""
    reply = respond(browser, flow, ("cc", "public, max-age=600"))
    assert ours(reply)
    assert header_lines(reply, "Cache-Control") == ["private, max-age=600"]


@pytest.mark.parametrize(
    ("app_cache_control", "expected"),
    [
        pytest.param(["no-store, max-age=0"], "no-store, max-age=0", id="no-store-kept"),
        pytest.param(["S-MaxAge=600, max-age=60"], "private, max-age=60", id="s-maxage-dropped"),
        pytest.param(["Public", "max-age=600, s-maxage=60"], "private, max-age=600", id="lines"),
        pytest.param(['private="Set-Cookie"'], "private", id="qualified-private"),
        pytest.param([], "private", id="none-set"),
    ],
)
def test_the_apps_cache_control_is_made_private_by_rule(
    browser: Browser, app_cache_control: list[str], expected: str
) -> None:
    """A granting response keeps an app's no-store as is and otherwise gets one private line
    without public or s-maxage, whatever the case, spacing and number of lines."""
    reply = respond(browser, "grant", *(("cc", value) for value in app_cache_control))
    assert ours(reply)
    assert header_lines(reply, "Cache-Control") == [expected]


@pytest.mark.parametrize(
    "app_cache_control",
    [pytest.param([], id="no-cache-control"), pytest.param(["no-store"], id="no-store")],
)
def test_targeted_cache_headers_are_removed(browser: Browser, app_cache_control: list[str]) -> None:
    """CDN-Cache-Control and Surrogate-Control, which a CDN obeys over Cache-Control, are
    removed from a response that carries cfcookies' cookies."""
    extra = [("h", f"{name}: public, max-age=600") for name in TARGETED]
    cc = [("cc", value) for value in app_cache_control]
    reply = respond(browser, "grant", *cc, *extra)
    assert ours(reply)
    for name in TARGETED:
        assert header_lines(reply, name) == []
    assert header_lines(reply, "Cache-Control") == (app_cache_control or ["private"])


@pytest.mark.parametrize(
    "session",
    [pytest.param("anonymous", id="anonymous"), pytest.param("settled", id="fresh-cookies")],
)
def test_a_response_without_our_cookies_is_left_untouched(
    driver: str, rsa_key: PrivateKey, clock: FakeClock, session: str
) -> None:
    """A response on which cfcookies sets no cookie has exactly the headers the app alone would
    send, public Cache-Control and CDN-Cache-Control included."""
    site = SITES[driver](base_options(rsa_key, clock))
    bare = SITES[driver](None)
    browser = Browser(site, clock, {RSA_KEY_ID: rsa_key.public_key()})
    if session == "settled":
        browser.get(cached(("grant", PREFIX)))
        clock.advance(60)
    path = cached(
        ("cc", "public, max-age=600"),
        ("cc", "s-maxage=60"),
        ("h", "CDN-Cache-Control: max-age=600"),
        ("h", "Surrogate-Control: max-age=600"),
    )
    cookie = browser.jar.header(APP_ORIGIN + path)
    reply = site("GET", path, cookie)
    assert reply.set_cookie() == []
    assert reply.headers == bare("GET", path, cookie).headers
    assert header_lines(reply, "CDN-Cache-Control") == ["max-age=600"]


# --- the rule, as a pure function -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([], "private", id="none"),
        pytest.param([""], "private", id="empty-line"),
        pytest.param(["  ,  , "], "private", id="empty-elements"),
        pytest.param(["public"], "private", id="public-only"),
        pytest.param(["public, max-age=600"], "private, max-age=600", id="public-max-age"),
        pytest.param(["Public, Max-Age=600"], "private, Max-Age=600", id="odd-case"),
        pytest.param(["s-maxage=60"], "private", id="s-maxage-only"),
        pytest.param(["S-MaxAge=5, max-age=60"], "private, max-age=60", id="s-maxage-case"),
        pytest.param(['s-maxage="60"'], "private", id="s-maxage-quoted"),
        pytest.param(["private"], "private", id="private-kept"),
        pytest.param(["max-age=60, PRIVATE"], "private, max-age=60", id="private-moved-first"),
        pytest.param(["private, private"], "private", id="private-once"),
        pytest.param(['private="Set-Cookie"'], "private", id="qualified-private-widened"),
        pytest.param(
            ['private="Set-Cookie, X-User", max-age=60'],
            "private, max-age=60",
            id="qualified-private-with-comma",
        ),
        pytest.param(
            ['no-cache="x, public, s-maxage=9", max-age=60'],
            'private, no-cache="x, public, s-maxage=9", max-age=60',
            id="quoted-commas-not-split",
        ),
        pytest.param(
            [r'no-cache="a\", public", public'],
            r'private, no-cache="a\", public"',
            id="escaped-quote",
        ),
        pytest.param(['no-cache="x, public'], 'private, no-cache="x, public', id="unclosed-quote"),
        pytest.param(
            ['no-cache="x', "no-store"],
            'private, no-cache="x, no-store',
            id="unclosed-quote-swallows-the-next-line",
        ),
        pytest.param(
            ["public", " max-age=600 ,\ts-maxage=60 ", "proxy-revalidate"],
            "private, max-age=600, proxy-revalidate",
            id="several-lines-and-whitespace",
        ),
        pytest.param(
            ["must-revalidate, no-transform, stale-while-revalidate=30, immutable, x-ext=1"],
            "private, must-revalidate, no-transform, stale-while-revalidate=30, immutable, x-ext=1",
            id="other-directives-kept",
        ),
        pytest.param(["no-store"], "no-store", id="no-store"),
        pytest.param(["public, No-Store"], "public, No-Store", id="no-store-kept-as-is"),
        pytest.param(
            [" public ", "s-maxage=60, no-store"],
            "public, s-maxage=60, no-store",
            id="no-store-on-another-line",
        ),
        pytest.param(['no-cache="no-store", public'], 'private, no-cache="no-store"', id="quoted"),
        pytest.param(["no-store=1, public"], "private, no-store=1", id="no-store-with-argument"),
    ],
)
def test_private_cache_control(values: list[str], expected: str) -> None:
    """A response carrying session cookies gets this Cache-Control for the app's lines."""
    assert private_cache_control(values) == expected
