"""The WSGI adapter (:mod:`cfcookies.wsgi`): what only it does.

It wraps ``start_response`` only: ``exc_info`` is passed through and the app's iterable is
returned untouched, so that a streamed body streams and ``close()`` reaches the server; every
driven request goes through :mod:`wsgiref.validate`. What every adapter does the same way is in
``tests/test_session.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from cfcookies.keys import PrivateKey
from cfcookies.session import CloudFrontCookies
from tests.browser_jar_support import base_options, cloudfront_headers, make_browser
from tests.middleware_apps import call_wsgi, raw_wsgi_app
from tests.support import FakeClock


def test_wsgi_streaming_passes_the_iterable_through(rsa_key: PrivateKey, clock: FakeClock) -> None:
    app = raw_wsgi_app(CloudFrontCookies(**base_options(rsa_key, clock)), declarative=False)
    reply = call_wsgi(app, "GET", "/stream", None)
    assert reply.body == b"chunk0;chunk1;chunk2;"


def test_wsgi_returns_the_apps_iterable_so_close_reaches_the_server(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from cfcookies.wsgi import CloudFrontCookieMiddleware

    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Any:
            yield b"x"

        def close(self) -> None:
            closed.append(True)

    body = Body()

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    middleware = CloudFrontCookieMiddleware(
        app, cookies=CloudFrontCookies(**base_options(rsa_key, clock))
    )

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        return lambda data: None

    result = middleware(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_HOST": "app.example.test"},
        start_response,
    )
    assert result is body
    result.close()
    assert closed == [True]


def test_wsgi_passes_exc_info_through(rsa_key: PrivateKey, clock: FakeClock) -> None:
    import sys

    from cfcookies.wsgi import CloudFrontCookieMiddleware

    seen: list[Any] = []

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [])
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b""]

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        seen.append((status, exc_info))
        return lambda data: None

    middleware = CloudFrontCookieMiddleware(
        app, cookies=CloudFrontCookies(**base_options(rsa_key, clock))
    )
    middleware(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_HOST": "app.example.test"}, start_response
    )
    assert seen[0] == ("200 OK", None)
    assert seen[1][0].startswith("500")
    assert seen[1][1][0] is RuntimeError


def test_every_answer_passes_wsgiref_validate(rsa_key: PrivateKey, clock: FakeClock) -> None:
    """Logins, renewals, the keep-alive answers (401 and 204), a streamed body and a logout,
    as the middleware sends them, all pass :mod:`wsgiref.validate` (which the app is wrapped
    in: a violation raises)."""
    browser = make_browser("wsgi", rsa_key, clock)
    assert browser.get("/cfcookies/keepalive").status == 401
    assert len(cloudfront_headers(browser.get("/login?user=ben"))) == 6
    clock.advance(25 * 60)
    assert browser.get("/cfcookies/keepalive").status == 204
    assert browser.get("/stream").body == b"chunk0;chunk1;chunk2;"
    assert len(cloudfront_headers(browser.get("/logout"))) == 6


def test_an_async_grants_callable_is_refused(rsa_key: PrivateKey, clock: FakeClock) -> None:
    """The WSGI middleware cannot await: a coroutine function as ``grants`` fails at start-up."""
    from cfcookies.exceptions import ConfigurationError
    from cfcookies.wsgi import CloudFrontCookieMiddleware

    async def grants(environ: Any) -> list[str]:
        return ["/videos/course-1"]

    with pytest.raises(ConfigurationError, match="needs a sync grants callable"):
        CloudFrontCookieMiddleware(
            raw_wsgi_app(None, declarative=False), **base_options(rsa_key, clock, grants=grants)
        )


def test_cookies_and_options_together_are_refused(rsa_key: PrivateKey, clock: FakeClock) -> None:
    """``cookies=CloudFrontCookies(...)`` or the options, not both (which would win?)."""
    from cfcookies.wsgi import CloudFrontCookieMiddleware

    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    with pytest.raises(TypeError, match="not both"):
        CloudFrontCookieMiddleware(
            raw_wsgi_app(None, declarative=False), cookies=cookies, lifetime=600
        )
