"""The middleware through real servers on 127.0.0.1: uvicorn (h11) for ASGI, waitress for WSGI.

The client is httpx over a real socket. Its connection goes to ``http://127.0.0.1:PORT`` with
``Host: app.example.test`` and ``X-Forwarded-Proto: https``, as from a TLS-terminating proxy,
while a browser-like jar (``tests/jar.py``) is fed each response's ``Set-Cookie`` headers under
the URL the browser saw, ``https://app.example.test/...``. What the jar then sends to
``https://media.example.test/...`` is judged by :func:`cfcookies.verify.verify_request`.

The middleware's clock is a :class:`tests.support.FakeClock` shared with the server's thread,
so renewal is tested by moving time, not by waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from cfcookies.keys import PrivateKey, private_key_pem
from cfcookies.session import CloudFrontCookies
from cfcookies.verify import Decision, verify_request
from tests.browser_jar_support import base_options
from tests.example_support import example_environment, load_example
from tests.jar import Jar
from tests.middleware_apps import (
    APP_ORIGIN,
    MEDIA_URL,
    django_app,
    flask_app,
    raw_wsgi_app,
    starlette_app,
)
from tests.servers import UvicornServer, WaitressServer
from tests.support import RSA_KEY_ID, FakeClock

pytestmark = pytest.mark.server

STATE_SECRET = "servers-state-secret-" + "s" * 32
APP_HOST = "app.example.test"
REQUEST_TIMEOUT = 10.0
#: Behind the TLS-terminating proxy, waitress believes X-Forwarded-Proto from loopback.
WAITRESS_BEHIND_PROXY: dict[str, Any] = {
    "trusted_proxy": "127.0.0.1",
    "trusted_proxy_headers": {"x-forwarded-proto"},
}


def cloudfront_cookies(key: PrivateKey, clock: FakeClock) -> CloudFrontCookies:
    return CloudFrontCookies(**options(key, clock))


def options(key: PrivateKey, clock: FakeClock) -> dict[str, Any]:
    return base_options(key, clock, state_secret=STATE_SECRET)


@dataclass
class Browser:
    """httpx on a real socket plus a browser's cookie jar, as seen through a TLS proxy."""

    client: httpx.Client
    clock: FakeClock
    public_keys: dict[str, Any]
    jar: Jar = field(default_factory=Jar)

    def request(
        self, method: str, path: str, *, data: dict[str, str] | None = None
    ) -> httpx.Response:
        url = APP_ORIGIN + path
        headers = {"Host": APP_HOST, "X-Forwarded-Proto": "https"}
        cookie = self.jar.header(url)
        if cookie:
            headers["Cookie"] = cookie
        self.client.cookies.clear()  # the jar, not httpx, decides what is sent
        response = self.client.request(method, path, headers=headers, data=data)
        assert response.status_code < 500, response.text
        self.jar.store(url, response.headers.get_list("set-cookie"))
        return response

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def media(self, path: str) -> Decision:
        url = MEDIA_URL + path
        return verify_request(
            url, cookies=self.jar.header(url), public_keys=self.public_keys, now=self.clock.epoch
        )

    def opens(self, path: str) -> bool:
        return self.media(path).allowed


def cloudfront_set_cookie(response: httpx.Response) -> list[str]:
    return [v for v in response.headers.get_list("set-cookie") if v.startswith("CloudFront-")]


# --- the stacks: a framework app under a real server ---------------------------------------------

Stack = Callable[[PrivateKey, FakeClock, bool], Any]


def uvicorn_starlette(key: PrivateKey, clock: FakeClock, declarative: bool) -> Any:
    app = starlette_app(cloudfront_cookies(key, clock), declarative=declarative)
    return UvicornServer(app, proxy_headers=True, forwarded_allow_ips="127.0.0.1")


def waitress_wsgi(key: PrivateKey, clock: FakeClock, declarative: bool) -> Any:
    app = raw_wsgi_app(cloudfront_cookies(key, clock), declarative=declarative)
    return WaitressServer(app, **WAITRESS_BEHIND_PROXY)


def waitress_flask(key: PrivateKey, clock: FakeClock, declarative: bool) -> Any:
    return WaitressServer(flask_app(options(key, clock), declarative=declarative))


def waitress_django(key: PrivateKey, clock: FakeClock, declarative: bool) -> Any:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    django_options = django_app(options(key, clock), declarative=declarative)
    with override_settings(CFCOOKIES=django_options):
        handler = WSGIHandler()  # builds the middleware, and so reads CFCOOKIES, now
    return WaitressServer(handler, **WAITRESS_BEHIND_PROXY)


STACKS = [
    pytest.param(uvicorn_starlette, id="uvicorn-starlette"),
    pytest.param(waitress_wsgi, id="waitress-wsgi"),
    pytest.param(waitress_flask, id="waitress-flask"),
    pytest.param(waitress_django, id="waitress-django"),
]
STREAMING_STACKS = STACKS[:2]  # the apps with a /stream route


def open_browser(server: Any, clock: FakeClock, key: PrivateKey) -> Iterator[Browser]:
    with server, httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT) as client:
        yield Browser(client, clock, {RSA_KEY_ID: key.public_key()})


@pytest.fixture(params=STACKS)
def browser(
    request: pytest.FixtureRequest, declarative: bool, rsa_key: PrivateKey, clock: FakeClock
) -> Iterator[Browser]:
    yield from open_browser(request.param(rsa_key, clock, declarative), clock, rsa_key)


@pytest.fixture(params=STREAMING_STACKS)
def streaming_browser(
    request: pytest.FixtureRequest, rsa_key: PrivateKey, clock: FakeClock
) -> Iterator[Browser]:
    yield from open_browser(request.param(rsa_key, clock, False), clock, rsa_key)


# --- what the browser sends where ----------------------------------------------------------------


def test_the_jar_sends_cloudfront_cookies_only_under_the_granted_folder(browser: Browser) -> None:
    browser.get("/login?user=ana")
    assert "CloudFront-Policy=" in (browser.jar.header(MEDIA_URL + "/videos/course-1/a.ts") or "")
    for elsewhere in [
        MEDIA_URL + "/videos/course-10/a.ts",
        MEDIA_URL + "/videos/a.ts",
        MEDIA_URL + "/videos/course-2/a.ts",
        "https://media.other.test/videos/course-1/a.ts",
        "http://media.example.test/videos/course-1/a.ts",  # Secure: never over plain http
    ]:
        assert "CloudFront-" not in (browser.jar.header(elsewhere) or ""), elsewhere
    assert browser.opens("/videos/course-1/index.m3u8")
    assert not browser.opens("/videos/course-10/index.m3u8")


def test_every_cookie_set_held_opens_its_folder_and_nothing_beside_it(browser: Browser) -> None:
    browser.get("/login?user=ben")
    by_path: dict[str, dict[str, str]] = {}
    for cookie in browser.jar.cloudfront():
        by_path.setdefault(cookie.path, {})[cookie.name] = cookie.value or ""
    assert sorted(by_path) == ["/docs/handbook/", "/videos/course-2/"]
    others = ["/videos/course-20/", "/videos/", "/docs/", "/docs/handbook-2/", "/other/"]
    for path, cookies in by_path.items():
        assert len(cookies) == 3, cookies  # Policy, Signature and Key-Pair-Id on every Path
        keys = browser.public_keys
        now = browser.clock.epoch
        assert verify_request(
            MEDIA_URL + path + "x/seg.ts", cookies=cookies, public_keys=keys, now=now
        ).allowed
        for other in others:
            refused = verify_request(
                MEDIA_URL + other + "seg.ts", cookies=cookies, public_keys=keys, now=now
            )
            assert not refused.allowed, (path, other)
            assert refused.reason == "resource_mismatch", refused.reason


def test_several_prefixes_each_open_with_one_policy_per_request(browser: Browser) -> None:
    browser.get("/login?user=ben")
    assert browser.opens("/videos/course-2/index.m3u8")
    assert browser.opens("/docs/handbook/ch1.pdf")
    assert not browser.opens("/docs/other.pdf")
    header = browser.jar.header(MEDIA_URL + "/docs/handbook/ch1.pdf") or ""
    assert header.count("CloudFront-Policy=") == 1


def test_keepalive_renews_the_cookies_before_they_expire(browser: Browser) -> None:
    assert browser.get("/cfcookies/keepalive").status_code == 401
    browser.get("/login?user=ana")
    browser.clock.advance(25 * 60)  # inside the renewal window of the 12:35 expiry
    reply = browser.get("/cfcookies/keepalive")
    assert reply.status_code == 204
    assert reply.headers["cache-control"] == "no-store"
    assert len(cloudfront_set_cookie(reply)) == 3
    assert int(reply.headers["x-cfcookies-expires"]) - browser.clock.epoch >= 30 * 60
    browser.clock.advance(20 * 60)  # past the first expiry: the renewed cookies still open
    assert browser.opens("/videos/course-1/seg.ts")


def test_an_ordinary_request_in_the_renewal_window_renews_too(browser: Browser) -> None:
    browser.get("/login?user=ana")
    browser.clock.advance(60)
    assert cloudfront_set_cookie(browser.get("/page")) == []
    browser.clock.advance(24 * 60)
    assert len(cloudfront_set_cookie(browser.get("/page"))) == 3
    browser.clock.advance(20 * 60)
    assert browser.opens("/videos/course-1/seg.ts")


def test_logout_leaves_no_cloudfront_cookie_in_the_jar(browser: Browser) -> None:
    browser.get("/login?user=ben")
    assert len(browser.jar.cloudfront()) == 6
    browser.get("/logout")
    assert browser.jar.cloudfront() == []
    assert "cfcookies" not in browser.jar.names()
    assert not browser.opens("/videos/course-2/a.ts")


# --- what a real server must not break -----------------------------------------------------------


def test_the_apps_own_set_cookie_headers_survive_beside_the_middlewares(browser: Browser) -> None:
    login = browser.get("/login?user=ana")
    names = [v.split("=", 1)[0] for v in login.headers.get_list("set-cookie")]
    assert "user" in names
    assert names.count("CloudFront-Policy") == 1
    assert "__Host-cfcookies" in names
    browser.clock.advance(25 * 60)
    page = browser.get("/page")
    names = [v.split("=", 1)[0] for v in page.headers.get_list("set-cookie")]
    assert "app" in names  # the app's own cookie, on a response that renews
    assert names.count("CloudFront-Signature") == 1
    assert page.headers["x-app"] == "kept"


def test_a_head_request_gets_the_cookies_and_no_body(browser: Browser) -> None:
    browser.get("/login?user=ana")
    browser.clock.advance(25 * 60)
    head = browser.request("HEAD", "/page")
    assert head.status_code == 200
    assert head.content == b""
    assert any(v.startswith("app=1") for v in head.headers.get_list("set-cookie"))
    assert len(cloudfront_set_cookie(head)) == 3


def test_a_streamed_response_arrives_whole_and_carries_the_renewal(
    streaming_browser: Browser,
) -> None:
    browser = streaming_browser
    browser.get("/login?user=ana")
    browser.clock.advance(25 * 60)
    response = browser.get("/stream")
    assert response.content == b"chunk0;chunk1;chunk2;"
    assert response.headers.get("transfer-encoding") == "chunked"  # really streamed
    assert len(cloudfront_set_cookie(response)) == 3


def test_concurrent_logins_each_get_a_working_cookie_set(
    streaming_browser: Browser, rsa_key: PrivateKey
) -> None:
    base_url = str(streaming_browser.client.base_url)
    failures: list[str] = []

    def log_in_several_times() -> None:
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            for _ in range(5):
                browser = Browser(client, streaming_browser.clock, streaming_browser.public_keys)
                browser.get("/login?user=ben")
                if not (
                    browser.opens("/videos/course-2/a.ts") and browser.opens("/docs/handbook/a")
                ):
                    failures.append("a login did not open both folders")

    threads = [threading.Thread(target=log_in_several_times) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []


# --- the examples under real servers -------------------------------------------------------------


@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rsa_key: PrivateKey) -> None:
    key_file = tmp_path / "cloudfront.pem"
    key_file.write_bytes(private_key_pem(rsa_key))
    for name, value in example_environment(str(key_file), STATE_SECRET).items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(
    ("example", "make_server"),
    [
        pytest.param(
            "fastapi_app.py",
            lambda app: UvicornServer(app, proxy_headers=True, forwarded_allow_ips="127.0.0.1"),
            id="fastapi-uvicorn",
        ),
        pytest.param(
            "flask_app.py",
            lambda app: WaitressServer(app, **WAITRESS_BEHIND_PROXY),
            id="flask-waitress",
        ),
    ],
)
@pytest.mark.usefixtures("example_env")
def test_an_example_logs_in_and_out_through_a_real_server(
    example: str, make_server: Callable[[Any], Any], rsa_key: PrivateKey
) -> None:
    module = load_example(example)
    with (
        make_server(module.app) as server,
        httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT) as client,
    ):
        now = FakeClock(datetime.now(timezone.utc))  # the examples sign on the system clock
        browser = Browser(client, now, {RSA_KEY_ID: rsa_key.public_key()})
        login = browser.request(
            "POST", "/login", data={"username": "bob", "password": "bob-password"}
        )
        assert login.status_code == 303
        assert b"/videos/course-3/" in browser.get("/").content
        assert browser.opens("/videos/course-2/a.ts")
        assert browser.opens("/videos/course-3/a.ts")
        assert not browser.opens("/videos/course-1/a.ts")
        browser.request("POST", "/logout")
        assert browser.jar.cloudfront() == []
