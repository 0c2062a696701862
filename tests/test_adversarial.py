"""Hostile requests and odd apps through the ASGI and WSGI middlewares.

Every reply is judged the way it matters: the ``Set-Cookie`` values go into a browser-like jar
and :func:`cfcookies.verify.verify_request` says which media folders they open. The rules:
never a 500 caused by the middleware, never a grant the app did not make, never a cookie for
another session. Requests are sent straight to the ASGI callable or WSGI function (with raw
scopes and environs, so Host and Cookie can be anything), except where a real server is named.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import socket
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from cfcookies import session as core
from cfcookies.asgi import CloudFrontCookieMiddleware as ASGIMiddleware
from cfcookies.keys import PrivateKey, PublicKey
from cfcookies.session import CloudFrontCookies, State
from cfcookies.verify import verify_request
from cfcookies.wsgi import CloudFrontCookieMiddleware as WSGIMiddleware
from tests.browser_jar_support import base_options
from tests.jar import Jar
from tests.middleware_apps import APP_ORIGIN, MEDIA_URL, Reply, raw_wsgi_app, starlette_app
from tests.servers import UvicornServer, WaitressServer
from tests.support import RSA_KEY_ID, FakeClock

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

STATE_SECRET = "adversarial-state-secret-" + "s" * 32
OTHER_SECRET = "another-apps-state-secret-" + "o" * 32
DRIVERS = ["asgi", "wsgi"]
#: Folders whose opening is checked after every reply (a file in each).
CANDIDATES = (
    "/videos/course-1/",
    "/videos/course-2/",
    "/docs/handbook/",
    "/videos/",
    "/docs/",
    "/",
)
LIFETIME = 30 * 60
GRANULARITY = 5 * 60


def make_cookies(key: PrivateKey, clock: FakeClock, **overrides: Any) -> CloudFrontCookies:
    options = base_options(key, clock, state_secret=STATE_SECRET)
    options.update(overrides)
    return CloudFrontCookies(**options)


# --- drivers: raw ASGI scopes and WSGI environs -----------------------------------------------


def asgi_call(
    app: Any,
    method: str,
    target: str,
    *,
    headers: list[tuple[bytes, bytes]],
    root_path: str = "",
    receive: Receive | None = None,
) -> list[Message]:
    """Run one request through an ASGI app; return every message it sent."""
    path, _, query = target.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": root_path + path,
        "raw_path": (root_path + path).encode("latin-1", "replace"),
        "query_string": query.encode("latin-1", "replace"),
        "root_path": root_path,
        "headers": headers,
        "client": ("192.0.2.10", 50000),
        "server": ("127.0.0.1", 443),
    }
    sent: list[Message] = []
    delivered = False

    async def default_receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects during the test
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive or default_receive, send))
    return sent


def asgi_reply(messages: list[Message]) -> Reply:
    start = next(m for m in messages if m["type"] == "http.response.start")
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return Reply(int(start["status"]), headers, body)


def wsgi_environ(
    method: str, target: str, *, host: str | None, cookie: str | None, script_name: str = ""
) -> dict[str, Any]:
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",  # a server bound to an address: no host to fall back on
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if host is not None:
        environ["HTTP_HOST"] = host
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie
    return environ


def wsgi_call(app: Any, environ: dict[str, Any]) -> Reply:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = int(status.split()[0])
        captured["headers"] = list(headers)
        return lambda data: None

    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return Reply(captured["status"], captured["headers"], body)


@dataclass
class Site:
    """One middleware-wrapped app and a way to send it a request with any Host and Cookie."""

    driver: str
    cookies: CloudFrontCookies
    app: Any
    public_keys: dict[str, PublicKey]
    clock: FakeClock

    def send(
        self,
        target: str,
        cookie: str | bytes | None = None,
        *,
        host: str | bytes | None = b"app.example.test",
        method: str = "GET",
    ) -> Reply:
        if self.driver == "asgi":
            headers: list[tuple[bytes, bytes]] = []
            if host is not None:
                headers.append((b"host", host if isinstance(host, bytes) else host.encode()))
            if cookie is not None:
                raw = cookie if isinstance(cookie, bytes) else cookie.encode("latin-1")
                headers.append((b"cookie", raw))
            reply = asgi_reply(asgi_call(self.app, method, target, headers=headers))
        else:
            text_host = host.decode("latin-1") if isinstance(host, bytes) else host
            text_cookie = cookie.decode("latin-1") if isinstance(cookie, bytes) else cookie
            environ = wsgi_environ(method, target, host=text_host, cookie=text_cookie)
            reply = wsgi_call(self.app, environ)
        assert reply.status < 500, reply
        return reply

    def opened(self, set_cookie: Iterable[str], *, at: int | None = None) -> set[str]:
        """The candidate folders that the given ``Set-Cookie`` values open on the media host."""
        jar = Jar()
        jar.store(APP_ORIGIN + "/", list(set_cookie))
        return self.opened_by(jar, at=at)

    def opened_by(self, jar: Jar, *, at: int | None = None) -> set[str]:
        out = set()
        for folder in CANDIDATES:
            url = MEDIA_URL + folder + "x.ts"
            decision = verify_request(
                url,
                cookies=jar.header(url),
                public_keys=self.public_keys,
                now=self.clock.epoch if at is None else at,
            )
            if decision.allowed:
                out.add(folder)
        return out


def make_site(
    driver: str, key: PrivateKey, clock: FakeClock, *, declarative: bool = False, **overrides: Any
) -> Site:
    cookies = make_cookies(key, clock, **overrides)
    if driver == "asgi":
        app = starlette_app(cookies, declarative=declarative)
    else:
        app = raw_wsgi_app(cookies, declarative=declarative)
    return Site(driver, cookies, app, {RSA_KEY_ID: key.public_key()}, clock)


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    """ASGI and raw WSGI: Flask and Django share raw WSGI's decision."""
    return str(request.param)


@pytest.fixture
def site(driver: str, rsa_key: PrivateKey, clock: FakeClock) -> Site:
    return make_site(driver, rsa_key, clock)


def cloudfront_values(reply: Reply) -> list[str]:
    return [v for v in reply.set_cookie() if v.startswith("CloudFront-")]


def issued(reply: Reply) -> list[str]:
    """The CloudFront cookies the reply sets (deletions left out)."""
    return [v for v in cloudfront_values(reply) if "Max-Age=0" not in v]


def state_value(reply: Reply, name: str = "__Host-cfcookies") -> str:
    header = next(
        v for v in reply.set_cookie() if v.startswith(name + "=") and "Max-Age=0" not in v
    )
    return header.split(";", 1)[0].split("=", 1)[1]


def login(site: Site, user: str = "ana", *prefixes: str) -> Reply:
    query = "".join(f"&p={p}" for p in prefixes)
    return site.send(f"/login?user={user}{query}")


# --- malformed, huge, duplicated and conflicting cookies --------------------------------------

MALFORMED = [
    pytest.param("__Host-cfcookies", id="name-only"),
    pytest.param("__Host-cfcookies=", id="empty-value"),
    pytest.param("=;=;=", id="no-names"),
    pytest.param(";;;;", id="separators"),
    pytest.param('__Host-cfcookies=""', id="empty-quotes"),
    pytest.param('__Host-cfcookies="abc', id="open-quote"),
    pytest.param("__Host-cfcookies=a.b.c", id="three-parts"),
    pytest.param("__Host-cfcookies=" + "." * 200, id="dots"),
    pytest.param("__Host-cfcookies=\x00\x01\x7f", id="control-bytes"),
    pytest.param("__Host-cfcookies=\xe9\xff\xfe; user=\xe9", id="latin-1-bytes"),
    pytest.param("__Host-cfcookies=" + "A" * 5000, id="longer-than-any-cookie"),
    pytest.param("a=" + "b" * 40_000, id="header-over-32k"),
    pytest.param("; ".join(f"c{i}=v" for i in range(3000)), id="3000-cookies"),
    pytest.param("__Host-cfcookies=e30.AAAA", id="empty-json-bad-signature"),
    pytest.param("CloudFront-Policy=x; CloudFront-Signature=y; CloudFront-Key-Pair-Id=z", id="cf"),
]


@pytest.mark.parametrize("cookie", MALFORMED)
def test_malformed_cookie_headers_never_fail_and_never_grant(site: Site, cookie: str) -> None:
    """Garbage in the Cookie header answers normally and issues no CloudFront cookie."""
    for target in ("/page", "/login?user=nobody", "/cfcookies/keepalive"):
        reply = site.send(target, cookie)
        assert issued(reply) == []
        assert site.opened(reply.set_cookie()) == set()


@pytest.mark.parametrize("cookie", MALFORMED)
def test_garbage_beside_a_real_state_cookie_grants_nothing_more(site: Site, cookie: str) -> None:
    """Junk next to a genuine state cookie never widens what the session holds."""
    state = state_value(login(site, "ana"))
    site.clock.advance(25 * 60)  # in the renewal window: the reply re-issues what is held
    reply = site.send("/page", f"{cookie}; __Host-cfcookies={state}")
    assert site.opened(reply.set_cookie()) <= {"/videos/course-1/"}


def test_a_cookie_header_over_the_limit_hides_the_state_and_issues_nothing(site: Site) -> None:
    """Past 32 KB the header is not read at all: no renewal, no deletion, no failure."""
    state = state_value(login(site, "ana"))
    site.clock.advance(25 * 60)
    reply = site.send("/page", f"__Host-cfcookies={state}; pad=" + "x" * 33_000)
    assert cloudfront_values(reply) == []


def test_two_state_cookies_the_first_decides_and_nothing_beyond_it_is_issued(site: Site) -> None:
    """With two genuine state cookies (a tossed one first), only the first one's prefixes are
    ever renewed: never the union, never the second session's."""
    ana = state_value(login(site, "ana"))
    ben = state_value(login(site, "ben"))
    site.clock.advance(25 * 60)
    reply = site.send("/page", f"__Host-cfcookies={ben}; __Host-cfcookies={ana}")
    assert site.opened(reply.set_cookie()) == {"/videos/course-2/", "/docs/handbook/"}


def test_a_forged_state_cookie_first_does_not_hide_the_genuine_one(site: Site) -> None:
    """A forged state cookie tossed in before the genuine one is skipped: the genuine state is
    renewed as it was, nothing more is granted and the state is not cleared."""
    ana = state_value(login(site, "ana"))
    site.clock.advance(25 * 60)
    reply = site.send("/page", f"__Host-cfcookies=forged.value; __Host-cfcookies={ana}")
    assert site.opened(reply.set_cookie()) == {"/videos/course-1/"}
    assert not any(v.startswith("__Host-cfcookies=;") for v in reply.set_cookie())


def test_cloudfront_cookies_sent_to_the_app_are_neither_renewed_nor_echoed(site: Site) -> None:
    """Copied CloudFront cookies without the state cookie get nothing from the app: the state
    cookie, not the CloudFront cookies, is what the middleware renews."""
    reply = login(site, "ana")
    copied = "; ".join(v.split(";", 1)[0] for v in issued(reply))
    site.clock.advance(25 * 60)
    for target in ("/page", "/cfcookies/keepalive", "/login?user=nobody"):
        answer = site.send(target, copied)
        assert issued(answer) == []
        signature = next(v for v in issued(reply) if v.startswith("CloudFront-Signature="))
        assert all(signature.split(";")[0] not in v for _, v in answer.headers)


# --- forged and replayed state cookies --------------------------------------------------------


def _tampered(state: str, prefixes: list[str]) -> str:
    payload, signature = state.rsplit(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["p"] = prefixes
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + signature


def test_a_state_cookie_with_edited_prefixes_grants_nothing(site: Site) -> None:
    """Widening the prefixes in a real state cookie (keeping its signature) is detected."""
    state = state_value(login(site, "ana"))
    site.clock.advance(25 * 60)
    for prefixes in (["/"], ["/videos/"], ["/videos/course-1/", "/videos/course-2/"]):
        reply = site.send("/page", "__Host-cfcookies=" + _tampered(state, prefixes))
        assert issued(reply) == []
        assert site.opened(reply.set_cookie()) == set()


def test_a_state_cookie_from_another_apps_secret_grants_nothing(
    site: Site, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A state cookie signed by another app's secret (even for '/') is ignored and cleared."""
    other = make_cookies(rsa_key, clock, state_secret=OTHER_SECRET)
    foreign = other.dump_state(
        State(("/",), clock.epoch + 600, RSA_KEY_ID, "SHA1", "example.test", clock.epoch)
    )
    value = foreign.split(";", 1)[0].split("=", 1)[1]
    reply = site.send("/page", "__Host-cfcookies=" + value)
    assert issued(reply) == []
    assert any(v.startswith("__Host-cfcookies=;") for v in reply.set_cookie())


def test_replay_after_logout_yields_nothing_while_no_renewal_is_due(site: Site) -> None:
    """A state cookie saved before logout and replayed while its cookies are fresh gets no
    CloudFront cookie: the middleware only re-issues when a renewal is due."""
    saved = state_value(login(site, "ana"))
    site.send("/logout", "__Host-cfcookies=" + saved)
    site.clock.advance(60)
    reply = site.send("/page", "__Host-cfcookies=" + saved)
    assert issued(reply) == []


def test_replay_after_logout_in_the_renewal_window_renews_only_its_own_prefixes(
    site: Site,
) -> None:
    """Imperative mode: a replayed state cookie, in its renewal window and before it expires,
    gets fresh cookies for exactly the prefixes it names and no more, lasting one lifetime."""
    saved = state_value(login(site, "ben"))
    site.send("/logout", "__Host-cfcookies=" + saved)
    site.clock.advance(25 * 60)
    reply = site.send("/page", "__Host-cfcookies=" + saved)
    assert site.opened(reply.set_cookie()) == {"/videos/course-2/", "/docs/handbook/"}
    end = site.clock.epoch + LIFETIME + GRANULARITY
    assert site.opened(reply.set_cookie(), at=end) == set()


def test_replay_after_expiry_yields_nothing(site: Site) -> None:
    """A state cookie replayed after the cookies it names expired is cleared, not renewed."""
    saved = state_value(login(site, "ana"))
    site.clock.advance(LIFETIME + GRANULARITY)
    reply = site.send("/page", "__Host-cfcookies=" + saved)
    assert issued(reply) == []
    assert any(v.startswith("__Host-cfcookies=;") for v in reply.set_cookie())


@pytest.mark.parametrize(
    ("max_session_age", "steps"),
    [
        pytest.param(2 * 3600, 12, id="two-hours"),
        pytest.param(12 * 3600, 40, id="default-twelve-hours"),
    ],
)
def test_chained_replays_stop_at_max_session_age(
    driver: str, rsa_key: PrivateKey, clock: FakeClock, max_session_age: int, steps: int
) -> None:
    """Replaying each renewed state cookie in its window keeps a logged-out session alive at
    most until granted_at + max_session_age (plus one lifetime); then it is cleared for good."""
    site = make_site(driver, rsa_key, clock, max_session_age=max_session_age)
    granted_at = clock.epoch
    state = state_value(login(site, "ana"))
    saved = [state]
    site.send("/logout", "__Host-cfcookies=" + state)
    last_expiry = 0
    for _ in range(steps):
        clock.advance(25 * 60)
        reply = site.send("/page", "__Host-cfcookies=" + state)
        if not issued(reply):
            assert any(v.startswith("__Host-cfcookies=;") for v in reply.set_cookie())
            break
        assert site.opened(reply.set_cookie()) == {"/videos/course-1/"}
        state = state_value(reply)
        saved.append(state)
        last_expiry = site.cookies.read_state("__Host-cfcookies=" + state)[0].expires  # type: ignore[union-attr]
    else:
        raise AssertionError("the replayed session was never cut off")
    assert clock.epoch - granted_at > max_session_age
    assert last_expiry <= granted_at + max_session_age + LIFETIME + GRANULARITY
    for old in saved:
        assert issued(site.send("/page", "__Host-cfcookies=" + old)) == []


def test_without_max_session_age_chained_replays_renew_indefinitely(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """max_session_age=None removes the cap: a replayed state renewed in every window lives on
    (which SECURITY.md warns about)."""
    site = make_site(driver, rsa_key, clock, max_session_age=None)
    state = state_value(login(site, "ana"))
    for _ in range(40):  # 40 x 25 min > 16 h
        clock.advance(25 * 60)
        state = state_value(site.send("/page", "__Host-cfcookies=" + state))
    assert site.cookies.read_state("__Host-cfcookies=" + state)[0] is not None


def test_declarative_replay_after_logout_deletes_instead_of_renewing(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """With a grants callable the app's session decides: a replayed state cookie of a user who
    logged out gets deletions, never cookies."""
    site = make_site(driver, rsa_key, clock, declarative=True)
    saved = state_value(login(site, "ana"))
    site.send("/logout", "__Host-cfcookies=" + saved)
    for advance in (60, 25 * 60):
        clock.advance(advance)
        reply = site.send("/page", "__Host-cfcookies=" + saved)
        assert issued(reply) == []
        assert any("Max-Age=0" in v for v in cloudfront_values(reply))


# --- hosts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "issues"),
    [
        pytest.param(b"app.example.test", True, id="app-host"),
        pytest.param(b"APP.EXAMPLE.TEST", True, id="uppercase"),
        pytest.param(b"app.example.test.", True, id="trailing-dot"),
        pytest.param(b"app.example.test:8443", True, id="port"),
        pytest.param(b"example.test", True, id="cookie-domain-itself"),
        pytest.param(None, False, id="no-host"),
        pytest.param(b"", False, id="empty"),
        pytest.param(b"[::1]", False, id="ipv6-literal"),
        pytest.param(b"[::1]:8443", False, id="ipv6-literal-port"),
        pytest.param(b"127.0.0.1", False, id="ipv4"),
        pytest.param(b"app.ex\xe4mple.test", False, id="byte-above-127"),
        pytest.param(b"evil.test", False, id="other-domain"),
        pytest.param(b"app.example.test.evil.test", False, id="suffix-trick"),
        pytest.param(b"evilexample.test", False, id="no-dot-boundary"),
        pytest.param(b"app.example.test@evil.test", False, id="userinfo"),
        pytest.param(b"app.example.test, evil.test", False, id="list"),
        pytest.param(b"app.example.test:1:2", False, id="two-colons"),
        pytest.param(b"app.example.test/x", False, id="slash"),
        pytest.param(b"a" * 300, False, id="over-255"),
    ],
)
def test_odd_hosts_never_fail_and_get_cookies_only_inside_the_cookie_domain(
    site: Site, host: bytes | None, issues: bool
) -> None:
    """Cookies are issued only when the Host is inside cookie_domain; whatever is issued opens
    exactly the granted folder."""
    reply = site.send("/login?user=ana", host=host)
    assert bool(issued(reply)) is issues
    assert site.opened(reply.set_cookie()) == ({"/videos/course-1/"} if issues else set())


def test_keepalive_under_a_root_path_is_answered_by_the_middleware(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Regression: with root_path the ASGI request path was doubled (root_path + path), so a
    keep-alive path under the mount was handed to the app; ASGI paths include root_path."""
    cookies = make_cookies(rsa_key, clock, keepalive_path="/app/cfcookies/keepalive")
    app = ASGIMiddleware(starlette_app(None, declarative=False), cookies=cookies)
    headers = [(b"host", b"app.example.test")]
    for root_path in ("/app", "/app/"):
        messages = asgi_call(
            app, "GET", "/cfcookies/keepalive", headers=headers, root_path=root_path.rstrip("/")
        )
        assert asgi_reply(messages).status == 401
    with UvicornServer(
        ASGIMiddleware(starlette_app(None, declarative=False), cookies=cookies), root_path="/app"
    ) as server:
        # uvicorn --root-path: the proxy in front strips /app, uvicorn puts it back into path
        answer = httpx.get(server.url + "/cfcookies/keepalive", timeout=10)
        assert answer.status_code == 401
        assert answer.headers["cache-control"] == "no-store"


def test_keepalive_under_a_script_name_is_answered_by_the_middleware(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """WSGI agrees: SCRIPT_NAME + PATH_INFO is the path matched against keepalive_path."""
    cookies = make_cookies(rsa_key, clock, keepalive_path="/app/cfcookies/keepalive")
    app = WSGIMiddleware(raw_wsgi_app(None, declarative=False), cookies=cookies)
    environ = wsgi_environ(
        "GET", "/cfcookies/keepalive", host="app.example.test", cookie=None, script_name="/app"
    )
    assert wsgi_call(app, environ).status == 401


# --- keep-alive and CSRF ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_the_keepalive_endpoint_only_renews_what_the_state_already_holds(
    site: Site, method: str
) -> None:
    """A cross-site request to the keep-alive endpoint can renew the session's own prefixes and
    nothing else; without a state cookie it gets 401 and no cookie."""
    assert site.send("/cfcookies/keepalive", method=method).status == 401
    forged = site.send("/cfcookies/keepalive", "__Host-cfcookies=forged.value", method=method)
    assert forged.status == 401
    assert issued(forged) == []
    state = state_value(login(site, "ben"))
    site.clock.advance(25 * 60)
    reply = site.send("/cfcookies/keepalive", "__Host-cfcookies=" + state, method=method)
    assert reply.status == 204
    assert site.opened(reply.set_cookie()) == {"/videos/course-2/", "/docs/handbook/"}


# --- the state cache (regression) -------------------------------------------------------------


def test_forged_state_cookies_do_not_fill_the_state_cache(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Regression: every forged state value used to be cached (up to 4096 of up to 32 KB);
    only authentic states are cached now, and a value longer than a cookie is not even read."""
    cookies = make_cookies(rsa_key, clock)
    for n in range(500):
        state, present = cookies.read_state(f"__Host-cfcookies=forged{n}.{'x' * 3000}")
        assert state is None
        assert present
    assert cookies.codec.cache_len() == 0
    assert cookies.read_state("__Host-cfcookies=" + "y" * 5000) == (None, True)
    genuine = cookies.dump_state(
        State(("/a/",), clock.epoch + 600, RSA_KEY_ID, "SHA1", "example.test", clock.epoch)
    )
    assert cookies.read_state(genuine.split(";", 1)[0])[0] is not None
    assert cookies.codec.cache_len() == 1


# --- odd ASGI apps ----------------------------------------------------------------------------


def _asgi(app: Callable[[Scope, Receive, Send], Any], cookies: CloudFrontCookies) -> Any:
    async def granting(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            core.grant(scope, "/videos/course-1")
        await app(scope, receive, send)

    return ASGIMiddleware(granting, cookies=cookies)


START: Message = {"type": "http.response.start", "status": 200, "headers": []}
BODY: Message = {"type": "http.response.body", "body": b"ok"}


class AppFailed(Exception):
    pass


def _run_odd_asgi(
    inner: Callable[[Scope, Receive, Send], Any],
    cookies: CloudFrontCookies,
    receive: Receive | None = None,
) -> list[Message]:
    return asgi_call(
        _asgi(inner, cookies),
        "GET",
        "/x",
        headers=[(b"host", b"app.example.test")],
        receive=receive,
    )


def _set_cookies(message: Message) -> list[bytes]:
    return [v for k, v in message.get("headers", []) if k.lower() == b"set-cookie"]


@pytest.fixture
def cookies(rsa_key: PrivateKey, clock: FakeClock) -> CloudFrontCookies:
    return make_cookies(rsa_key, clock)


def test_asgi_app_that_never_starts_a_response(cookies: CloudFrontCookies) -> None:
    """An app that returns without sending anything gets nothing sent on its behalf."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    assert _run_odd_asgi(app, cookies) == []


@pytest.mark.parametrize("after_start", [False, True], ids=["before-start", "after-start"])
def test_asgi_app_exceptions_propagate_unchanged(
    cookies: CloudFrontCookies, after_start: bool
) -> None:
    """The app's own exception reaches the server as it was raised, before or after start."""
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if after_start:
            await send(dict(START, headers=[]))
        raise AppFailed("the app failed")

    async def record(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"host", b"app.example.test")],
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    with pytest.raises(AppFailed, match="the app failed"):
        asyncio.run(_asgi(app, cookies)(scope, receive, record))
    assert len(sent) == (1 if after_start else 0)
    if after_start:
        assert len(_set_cookies(sent[0])) == 4  # three CloudFront cookies and the state


def test_asgi_response_start_without_headers_gets_the_cookies(cookies: CloudFrontCookies) -> None:
    """Regression: ``headers`` is optional in http.response.start; it used to raise KeyError."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send(BODY)

    messages = _run_odd_asgi(app, cookies)
    assert len(_set_cookies(messages[0])) == 4
    assert (b"cache-control", b"private") in messages[0]["headers"]


def test_asgi_response_start_with_tuple_headers(cookies: CloudFrontCookies) -> None:
    """Headers given as a tuple (any iterable is allowed) keep the app's and gain ours."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": ((b"x-app", b"1"),)})
        await send(BODY)

    messages = _run_odd_asgi(app, cookies)
    assert (b"x-app", b"1") in messages[0]["headers"]
    assert len(_set_cookies(messages[0])) == 4


def test_asgi_start_sent_twice_gets_the_same_cookies_each_time(
    cookies: CloudFrontCookies,
) -> None:
    """A (broken) app that starts twice gets the same cookies on both starts, no failure."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(dict(START, headers=[]))
        await send(dict(START, headers=[]))
        await send(BODY)

    messages = _run_odd_asgi(app, cookies)
    starts = [m for m in messages if m["type"] == "http.response.start"]
    assert len(starts) == 2
    assert _set_cookies(starts[0]) == _set_cookies(starts[1])
    assert len(_set_cookies(starts[0])) == 4


def test_asgi_body_before_start_is_passed_on_untouched(cookies: CloudFrontCookies) -> None:
    """A body sent before the start is the server's problem: passed on as is, cookies only ever
    on a start message."""
    body = dict(BODY)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(body)
        await send(dict(START, headers=[]))

    messages = _run_odd_asgi(app, cookies)
    assert messages[0] is body
    assert len(_set_cookies(messages[1])) == 4


def test_asgi_disconnect_before_the_response(cookies: CloudFrontCookies) -> None:
    """A client that disconnects first leaves an app that gives up with nothing sent."""

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        await send(dict(START, headers=[]))

    assert _run_odd_asgi(app, cookies, receive=receive) == []


def test_asgi_other_message_types_pass_through_unchanged(cookies: CloudFrontCookies) -> None:
    """Trailers, pathsend and unknown messages are forwarded as the same objects."""
    extra: list[Message] = [
        {"type": "http.response.trailers", "headers": [], "more_trailers": False},
        {"type": "http.response.pathsend", "path": "/tmp/x"},
        {"type": "something.else"},
    ]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(dict(START, headers=[], trailers=True))
        await send(dict(BODY))
        for message in extra:
            await send(message)

    messages = _run_odd_asgi(app, cookies)
    assert messages[2:] == extra
    assert all(a is b for a, b in zip(messages[2:], extra, strict=True))


def test_head_login_sets_the_same_cookies_as_get(site: Site) -> None:
    """HEAD gets the cookies GET would get (the server, not the middleware, drops the body)."""
    reply = site.send("/login?user=ana", method="HEAD")
    assert site.opened(reply.set_cookie()) == {"/videos/course-1/"}


# --- odd WSGI apps ----------------------------------------------------------------------------


@dataclass
class Server:
    """A recording WSGI server side: every start_response call and the write callable."""

    calls: list[tuple[str, list[tuple[str, str]], Any]]

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        self.calls.append((status, list(headers), exc_info))
        return self.write

    def write(self, data: bytes) -> None:
        return None


def _wsgi(app: Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]], c: Any) -> Any:
    def granting(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        core.grant(environ, "/videos/course-1")
        return app(environ, start_response)

    return WSGIMiddleware(granting, cookies=c)


def _environ() -> dict[str, Any]:
    return wsgi_environ("GET", "/x", host="app.example.test", cookie=None)


def test_wsgi_app_that_never_calls_start_response(cookies: CloudFrontCookies) -> None:
    """The app's iterable comes back unchanged even if it never started a response."""
    body = [b"x"]

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return body

    server = Server([])
    assert _wsgi(app, cookies)(_environ(), server.start_response) is body
    assert server.calls == []


def test_wsgi_app_exception_before_start_propagates(cookies: CloudFrontCookies) -> None:
    """The app's own exception reaches the server unchanged."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        raise AppFailed("the app failed")

    with pytest.raises(AppFailed, match="the app failed"):
        _wsgi(app, cookies)(_environ(), Server([]).start_response)


def test_wsgi_exc_info_restart_carries_the_cookies_once(cookies: CloudFrontCookies) -> None:
    """An app that re-starts with exc_info gets exc_info passed on and each cookie once in the
    final headers; the decision is made once."""
    captured: dict[str, Any] = {}

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise AppFailed("late failure")
        except AppFailed:
            captured["exc_info"] = sys.exc_info()
            start_response("500 Internal Server Error", [("X-Error", "1")], captured["exc_info"])
        return [b"error"]

    server = Server([])
    list(_wsgi(app, cookies)(_environ(), server.start_response))
    (first, first_headers, _), (second, second_headers, exc_info) = server.calls
    assert (first, second) == ("200 OK", "500 Internal Server Error")
    assert exc_info is captured["exc_info"]
    ours = [v for k, v in first_headers if k == "Set-Cookie"]
    assert len(ours) == 4
    assert [v for k, v in second_headers if k == "Set-Cookie"] == ours


def test_wsgi_generator_failing_mid_stream_is_closed(cookies: CloudFrontCookies) -> None:
    """A body generator that raises mid-stream raises to the server, and close() still reaches
    the app's iterable."""
    state = {"closed": False}

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"one"
            raise AppFailed("mid-stream")

        def close(self) -> None:
            state["closed"] = True

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [])
        return Body()

    result = _wsgi(app, cookies)(_environ(), Server([]).start_response)
    with pytest.raises(AppFailed, match="mid-stream"):
        list(result)
    result.close()
    assert state["closed"]


def test_wsgi_write_callable_is_the_servers(cookies: CloudFrontCookies) -> None:
    """start_response hands the app the server's own write callable."""
    got: dict[str, Any] = {}

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        got["write"] = start_response("200 OK", [])
        return []

    server = Server([])
    _wsgi(app, cookies)(_environ(), server.start_response)
    assert got["write"] == server.write


# --- one middleware, many sessions, interleaved -----------------------------------------------


def test_interleaved_sessions_never_get_each_others_cookies(site: Site) -> None:
    """Requests of three users interleaved on one middleware (shared caches) each get cookies
    for their own prefixes only, through login, renewal and logout."""
    users = {"ana": {"/videos/course-1/"}, "ben": {"/videos/course-2/", "/docs/handbook/"}}
    jars = {name: Jar() for name in users}
    for name, jar in jars.items():
        url = APP_ORIGIN + f"/login?user={name}"
        jar.store(url, login(site, name).set_cookie())
    for step in range(8):
        site.clock.advance(5 * 60)
        for name, jar in jars.items():
            reply = site.send("/page", jar.header(APP_ORIGIN + "/page"))
            assert site.opened(reply.set_cookie()) <= users[name]
            jar.store(APP_ORIGIN + "/page", reply.set_cookie())
            assert site.opened_by(jar) == users[name], (step, name)


def _raw_request(port: int, cookie: bytes) -> tuple[int, list[bytes]]:
    """Send one request with any bytes in its Cookie header over a plain socket."""
    request = (
        b"GET /page HTTP/1.1\r\nHost: app.example.test\r\nCookie: "
        + cookie
        + b"\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head = b"".join(chunks).split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    status = int(head[0].split()[1])
    set_cookie = [
        line.split(b":", 1)[1].strip()
        for line in head[1:]
        if line.lower().startswith(b"set-cookie:")
    ]
    return status, set_cookie


@pytest.mark.parametrize("server_kind", ["uvicorn", "waitress"])
def test_a_real_server_survives_hostile_cookie_headers(
    rsa_key: PrivateKey, clock: FakeClock, server_kind: str
) -> None:
    """Through a real server on loopback, every hostile Cookie header gets a normal answer (or
    the server's own 4xx) and no CloudFront cookie."""
    cookies = make_cookies(rsa_key, clock)
    server: UvicornServer | WaitressServer
    if server_kind == "uvicorn":
        server = UvicornServer(starlette_app(cookies, declarative=False))
    else:
        server = WaitressServer(raw_wsgi_app(cookies, declarative=False), threads=2)
    with server:
        for param in MALFORMED:
            (value,) = param.values
            status, set_cookie = _raw_request(server.port, str(value).encode("latin-1"))
            assert status < 500, param.id
            assert not any(
                v.startswith(b"CloudFront-") and b"Max-Age=0" not in v for v in set_cookie
            )


# --- cookie scope and caching -----------------------------------------------------------------


def _attributes(header: str) -> tuple[str, dict[str, str]]:
    name = header.split("=", 1)[0]
    attrs: dict[str, str] = {}
    for part in header.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        attrs[key.lower()] = value
    return name, attrs


def test_cookie_scope_of_every_issued_cookie(site: Site) -> None:
    """CloudFront cookies: Path of their folder, Domain=cookie_domain, Secure, HttpOnly,
    SameSite=Lax, no expiry (session cookies). The state cookie: Path=/, host-only, Secure,
    HttpOnly, SameSite=Lax."""
    reply = login(site, "ben")
    paths = set()
    for header in issued(reply):
        _, attrs = _attributes(header)
        paths.add(attrs["path"])
        assert attrs["domain"] == "example.test"
        assert {"secure", "httponly"} <= set(attrs)
        assert attrs["samesite"] == "Lax"
        assert "max-age" not in attrs
        assert "expires" not in attrs
    assert paths == {"/videos/course-2/", "/docs/handbook/"}
    state = next(v for v in reply.set_cookie() if v.startswith("__Host-cfcookies="))
    _, attrs = _attributes(state)
    assert attrs["path"] == "/"
    assert "domain" not in attrs
    assert {"secure", "httponly"} <= set(attrs)
    assert attrs["samesite"] == "Lax"


def test_the_state_cookie_is_signed_not_encrypted(site: Site) -> None:
    """Anyone holding the state cookie can read its prefixes, expiry, key ID and times (it is
    only signed); nothing in it is secret."""
    payload = state_value(login(site, "ben")).rsplit(".", 1)[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data["p"] == ["/docs/handbook/", "/videos/course-2/"]
    assert set(data) == {"p", "e", "k", "h", "d", "g"}


@pytest.mark.parametrize(
    ("app_cache_control", "expected"),
    [
        pytest.param(None, "private", id="app-set-none"),
        pytest.param("no-store", "no-store", id="app-set-its-own"),
    ],
)
def test_responses_that_set_cookies_are_not_shared_by_caches(
    driver: str, cookies: CloudFrontCookies, app_cache_control: str | None, expected: str
) -> None:
    """A response carrying CloudFront cookies gets Cache-Control: private unless the app chose
    its own, so a shared cache never hands one session's cookies to another."""
    extra = [("Cache-Control", app_cache_control)] if app_cache_control else []
    if driver == "asgi":

        async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
            raw = [(k.lower().encode(), v.encode()) for k, v in extra]
            await send({"type": "http.response.start", "status": 200, "headers": raw})
            await send(BODY)

        reply = asgi_reply(
            asgi_call(
                _asgi(asgi_app, cookies), "GET", "/", headers=[(b"host", b"app.example.test")]
            )
        )
    else:

        def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            start_response("200 OK", list(extra))
            return [b"ok"]

        reply = wsgi_call(_wsgi(wsgi_app, cookies), _environ())
    assert issued(reply)
    assert [v for k, v in reply.headers if k.lower() == "cache-control"] == [expected]
