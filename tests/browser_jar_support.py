"""A browser for the middleware tests: a driver (ASGI, raw WSGI, Flask or Django, from
``tests/middleware_apps.py``) plus a cookie jar (``tests/jar.py``), judged at the media host.

Every response is applied to the jar, and what the jar would send to the media host is judged
by :func:`cfcookies.verify.verify_request` (and, for the revocation tests, by the session check
of :class:`Edge`), so the tests that use it check what a browser and CloudFront would really do,
not just header strings. Test files import these helpers from here, never from one another.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cfcookies.cookies import parse_cookie_header
from cfcookies.keys import PrivateKey
from cfcookies.revocation import SessionCookieError, SessionSecrets, check_session_cookie
from cfcookies.session import CloudFrontCookies
from cfcookies.verify import Decision, verify_request
from tests.jar import Jar
from tests.middleware_apps import (
    APP_ORIGIN,
    MEDIA_URL,
    Reply,
    call_django,
    call_flask,
    call_wsgi,
    django_app,
    flask_app,
    raw_wsgi_app,
    starlette_app,
)
from tests.support import RSA_KEY_ID, FakeClock

STATE_SECRET = "state-secret-" + "s" * 32
SEGMENT = "/videos/course-1/seg-0001.ts"


def base_options(key: PrivateKey, clock: FakeClock, **overrides: Any) -> dict[str, Any]:
    """The options every middleware test starts from (app and media under example.test)."""
    options: dict[str, Any] = {
        "media_url": MEDIA_URL,
        "cookie_domain": "example.test",
        "key_pair_id": RSA_KEY_ID,
        "private_key": key,
        "state_secret": STATE_SECRET,
        "clock": clock,
    }
    options.update(overrides)
    return options


@dataclass
class Browser:
    """A driver plus a cookie jar: requests carry what a browser would send."""

    send: Callable[[str, str, str | None], Reply]
    clock: FakeClock
    public_keys: dict[str, Any]
    cookies: CloudFrontCookies | None = None

    def __post_init__(self) -> None:
        self.jar = Jar()

    def get(self, path: str, method: str = "GET") -> Reply:
        url = APP_ORIGIN + path
        reply = self.send(method, path, self.jar.header(url))
        assert reply.status < 500, reply
        self.jar.store(url, reply.set_cookie())
        return reply

    def media(self, path: str) -> Decision:
        url = MEDIA_URL + path
        return verify_request(
            url, cookies=self.jar.header(url), public_keys=self.public_keys, now=self.clock.epoch
        )

    def opens(self, path: str) -> bool:
        return self.media(path).allowed


def make_browser(
    driver: str, key: PrivateKey, clock: FakeClock, *, declarative: bool = False, **overrides: Any
) -> Browser:
    """A browser in front of ``driver``'s app, built with :func:`base_options` and
    ``overrides``. Its ``cookies`` is the app's :class:`CloudFrontCookies` (None for Django,
    whose middleware builds its own from settings)."""
    options = base_options(key, clock, **overrides)
    public_keys = {RSA_KEY_ID: key.public_key()}
    if driver == "asgi":
        from starlette.testclient import TestClient

        cookies = CloudFrontCookies(**options)
        client = TestClient(starlette_app(cookies, declarative=declarative), base_url=APP_ORIGIN)

        def send_asgi(method: str, path: str, cookie: str | None) -> Reply:
            headers = {"cookie": cookie} if cookie else {}
            client.cookies.clear()
            response = client.request(method, path, headers=headers)
            return Reply(
                response.status_code, list(response.headers.multi_items()), response.content
            )

        return Browser(send_asgi, clock, public_keys, cookies)
    if driver == "wsgi":
        cookies = CloudFrontCookies(**options)
        app = raw_wsgi_app(cookies, declarative=declarative)
        return Browser(lambda m, p, c: call_wsgi(app, m, p, c), clock, public_keys, cookies)
    if driver == "flask":
        flask = flask_app(options, declarative=declarative)
        return Browser(
            lambda m, p, c: call_flask(flask, m, p, c),
            clock,
            public_keys,
            flask.extensions["cfcookies"].cookies,
        )
    if driver == "django":
        django_options = django_app(options, declarative=declarative)
        return Browser(lambda m, p, c: call_django(django_options, m, p, c), clock, public_keys)
    raise AssertionError(driver)


def cloudfront_headers(reply: Reply) -> list[str]:
    """The ``Set-Cookie`` values of ``reply`` that set or delete a ``CloudFront-*`` cookie."""
    return [v for v in reply.set_cookie() if v.startswith("CloudFront-")]


# --- binding policies to the viewer's IP address ------------------------------------------------


def viewer_ip(request: Any) -> str | None:
    """The test apps' client_ip option: the address a trusted proxy put in X-Viewer-IP."""
    if isinstance(request, dict):  # the WSGI environ
        return request.get("HTTP_X_VIEWER_IP")
    return request.headers.get("x-viewer-ip")  # type: ignore[no-any-return]


def ip_browser(driver: str, key: PrivateKey, clock: FakeClock) -> tuple[Browser, list[str]]:
    """A browser (``asgi`` or ``wsgi``) whose requests carry X-Viewer-IP: the address is the
    list's last item."""
    browser = make_browser(driver, key, clock, client_ip=viewer_ip)
    address = ["203.0.113.7"]
    assert browser.cookies is not None
    if driver == "asgi":
        from starlette.testclient import TestClient

        client = TestClient(starlette_app(browser.cookies, declarative=False), base_url=APP_ORIGIN)

        def send_with_ip(method: str, path: str, cookie: str | None) -> Reply:
            headers = {"x-viewer-ip": address[-1]}
            if cookie:
                headers["cookie"] = cookie
            client.cookies.clear()
            response = client.request(method, path, headers=headers)
            return Reply(
                response.status_code, list(response.headers.multi_items()), response.content
            )

    else:
        app = raw_wsgi_app(browser.cookies, declarative=False)

        def send_with_ip(method: str, path: str, cookie: str | None) -> Reply:
            return call_wsgi(app, method, path, cookie, extra={"HTTP_X_VIEWER_IP": address[-1]})

    browser.send = send_with_ip
    return browser, address


def media_from(browser: Browser, path: str, client_ip: str) -> str:
    """Why CloudFront would answer as it does to ``browser``'s cookies sent from ``client_ip``."""
    url = MEDIA_URL + path
    return verify_request(
        url,
        cookies=browser.jar.header(url),
        public_keys=browser.public_keys,
        client_ip=client_ip,
        now=browser.clock.epoch,
    ).reason


# --- revocation at the edge ---------------------------------------------------------------------


def copy_jar(browser: Browser) -> Jar:
    """What an attacker gets by copying every cookie of the victim's browser."""
    stolen = Jar()
    for cookie in browser.jar.jar:
        stolen.jar.set_cookie(copy.copy(cookie))
    return stolen


class Edge:
    """The local edge's decision: CloudFront's check plus the revocation session check."""

    def __init__(self, key: PrivateKey, clock: FakeClock, secrets: SessionSecrets, deny: Any):
        self.public_keys = {RSA_KEY_ID: key.public_key()}
        self.clock = clock
        self.secrets = secrets
        self.deny = deny

    def allows(self, cookie_header: str | None, path: str = SEGMENT) -> bool:
        decision = verify_request(
            MEDIA_URL + path,
            cookies=cookie_header,
            public_keys=self.public_keys,
            now=self.clock.epoch,
        )
        if not decision.allowed:
            return False
        try:
            check_session_cookie(
                parse_cookie_header(cookie_header),
                secrets=self.secrets,
                deny_list=self.deny,
                now=self.clock.epoch,
            )
        except SessionCookieError:
            return False
        return True


def revoking_browser(
    driver: str,
    key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    deny: Any,
    *,
    declarative: bool,
    **overrides: Any,
) -> Browser:
    """A browser whose app writes logouts into ``deny`` (revocation at the edge turned on)."""
    return make_browser(
        driver,
        key,
        clock,
        declarative=declarative,
        session_secrets=secrets,
        deny_list=deny,
        **overrides,
    )
