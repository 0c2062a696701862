"""CloudFrontCookies' decisions as a browser and CloudFront see them, through every adapter.

The behaviour table runs through ASGI (Starlette), raw WSGI, Flask and Django
(``tests/middleware_apps.py``); every response is applied to a browser-like cookie jar
(``tests/browser_jar_support.py``), and what the jar would send to the media host is judged by
:func:`cfcookies.verify.verify_request`, so these tests check what a browser and CloudFront
would really do, not just header strings. Then the session-level tests (renewal, the
steady-state cache, key and secret rotation, hosts, start-up checks, IP binding) and the seam
the adapters share: :meth:`~cfcookies.session.CloudFrontCookies.quiet`, ``respond()`` and
``respond_async()``, and :func:`~cfcookies.session.host_from_header`.

Adapter-only behaviour lives in ``tests/test_asgi.py``, ``tests/test_wsgi.py`` and
``tests/test_contrib.py``.
"""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest

from cfcookies.grants import MIDDLEWARE_KEY, Actions, grant, revoke
from cfcookies.keys import KeyRing, PrivateKey, SigningKey
from cfcookies.revocation import LocalDenyList, SessionSecrets, generate_secret
from cfcookies.session import CloudFrontCookies, Outcome, Plan, RequestInfo, host_from_header
from tests.browser_jar_support import (
    STATE_SECRET,
    Browser,
    base_options,
    cloudfront_headers,
    ip_browser,
    make_browser,
    media_from,
)
from tests.jar import Jar
from tests.middleware_apps import (
    APP_ORIGIN,
    MEDIA_URL,
    Reply,
    call_wsgi,
    raw_wsgi_app,
    starlette_app,
)
from tests.support import DRIVERS, RSA_KEY_ID, FakeClock


@pytest.fixture
def browser(driver: str, declarative: bool, rsa_key: PrivateKey, clock: FakeClock) -> Browser:
    return make_browser(driver, rsa_key, clock, declarative=declarative)


# --- the behaviour table ---------------------------------------------------------------------


def test_before_login_nothing_is_issued_and_media_are_refused(browser: Browser) -> None:
    reply = browser.get("/page")
    assert cloudfront_headers(reply) == []
    assert not browser.opens("/videos/course-1/seg-0001.ts")


def test_login_opens_the_granted_folder_and_nothing_beside_it(browser: Browser) -> None:
    browser.get("/login?user=ana")
    assert browser.opens("/videos/course-1/index.m3u8")
    assert browser.opens("/videos/course-1/hd/seg-0001.ts?token=x")
    refused = browser.media("/videos/course-10/index.m3u8")
    assert not refused.allowed
    assert refused.reason == "missing_key_pair_id"  # the browser does not even send the cookies
    assert not browser.opens("/videos/course-2/index.m3u8")
    assert not browser.opens("/videos/index.m3u8")


def test_the_apps_own_cookies_and_headers_are_kept(browser: Browser) -> None:
    browser.get("/login?user=ana")
    reply = browser.get("/page")
    assert reply.header("X-App") == "kept"
    assert any(v.startswith("app=1") for v in reply.set_cookie())
    login = browser.get("/login?user=ana")
    assert any(v.startswith("user=ana") for v in login.set_cookie())


def test_a_request_with_fresh_cookies_sets_no_cookie(browser: Browser) -> None:
    browser.get("/login?user=ana")
    browser.clock.advance(60)
    reply = browser.get("/page")
    assert cloudfront_headers(reply) == []
    assert not any(v.startswith("__Host-cfcookies=") for v in reply.set_cookie())


def test_cookies_are_renewed_once_the_renewal_window_opens(browser: Browser) -> None:
    login = browser.get("/login?user=ana")
    first_policy = next(v for v in login.set_cookie() if v.startswith("CloudFront-Policy="))
    browser.clock.advance(25 * 60)  # lifetime 30 min (rounded up to 5 min), renew 10 min before
    reply = browser.get("/page")
    renewed = [v for v in reply.set_cookie() if v.startswith("CloudFront-Policy=")]
    assert len(renewed) == 1
    assert renewed[0] != first_policy
    browser.clock.advance(20 * 60)  # past the first expiry: only the renewed cookies work
    assert browser.opens("/videos/course-1/seg.ts")


def test_without_requests_the_cookies_expire(browser: Browser) -> None:
    browser.get("/login?user=ana")
    browser.clock.advance(36 * 60)
    decision = browser.media("/videos/course-1/seg.ts")
    assert decision.reason == "expired"


def test_keepalive_renews_a_logged_in_session_and_answers_401_otherwise(browser: Browser) -> None:
    assert browser.get("/cfcookies/keepalive").status == 401
    browser.get("/login?user=ana")
    browser.clock.advance(25 * 60)
    reply = browser.get("/cfcookies/keepalive")
    assert reply.status == 204
    assert reply.header("Cache-Control") == "no-store"
    assert len(cloudfront_headers(reply)) == 3
    expires = int(reply.header("X-CFCookies-Expires") or 0)
    assert expires - browser.clock.epoch >= 30 * 60
    browser.clock.advance(20 * 60)
    assert browser.opens("/videos/course-1/seg.ts")


def test_several_prefixes_get_one_cookie_set_per_path(browser: Browser) -> None:
    reply = browser.get("/login?user=ben")
    paths = sorted({v.split("Path=")[1].split(";")[0] for v in cloudfront_headers(reply)})
    assert paths == ["/docs/handbook/", "/videos/course-2/"]
    assert browser.opens("/videos/course-2/a.ts")
    assert browser.opens("/docs/handbook/ch1.pdf")
    assert not browser.opens("/docs/other.pdf")
    header = browser.jar.header(MEDIA_URL + "/docs/handbook/ch1.pdf") or ""
    assert header.count("CloudFront-Policy=") == 1


def test_nested_prefixes_are_merged_into_the_outer_one(browser: Browser) -> None:
    reply = browser.get("/login?user=cy")
    paths = {v.split("Path=")[1].split(";")[0] for v in cloudfront_headers(reply)}
    assert paths == {"/videos/"}
    assert browser.opens("/videos/course-1/a.ts")
    assert browser.opens("/videos/course-77/a.ts")


def test_logout_leaves_no_cloudfront_cookie_in_the_browser(browser: Browser) -> None:
    browser.get("/login?user=ben")
    assert len(browser.jar.cloudfront()) == 6
    reply = browser.get("/logout")
    deletions = cloudfront_headers(reply)
    assert all("Max-Age=0" in v and "Domain=example.test" in v for v in deletions)
    assert browser.jar.cloudfront() == []
    assert "__Host-cfcookies" not in browser.jar.names()
    assert not browser.opens("/videos/course-2/a.ts")


def test_a_forged_state_cookie_grants_nothing_and_never_fails(browser: Browser) -> None:
    for value in ["garbage", "eyJwIjpbIi92aWRlb3MvIl19.forged", "", "x" * 5000, '"quoted"']:
        browser.jar.set("__Host-cfcookies", value, domain="app.example.test")
        reply = browser.get("/page")
        assert reply.status == 200
        assert cloudfront_headers(reply) == []
        assert not browser.opens("/videos/course-1/a.ts")


def test_a_state_cookie_signed_with_another_secret_is_ignored(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    other = make_browser(driver, rsa_key, clock, state_secret="another-secret-" + "o" * 32)
    other.get("/login?user=ben")
    victim = make_browser(driver, rsa_key, clock)
    state = next(c.value for c in other.jar.jar if c.name == "__Host-cfcookies")
    assert state
    victim.jar.set("__Host-cfcookies", state, domain="app.example.test")
    victim.clock.advance(25 * 60)  # a renewal would be due if the state were trusted
    reply = victim.get("/page")
    assert cloudfront_headers(reply) == []


# --- imperative-only behaviour -----------------------------------------------------------------


@pytest.mark.parametrize("driver", DRIVERS)
def test_revoking_one_prefix_keeps_the_others(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    browser = make_browser(driver, rsa_key, clock)
    browser.get("/login?user=ben")
    reply = browser.get("/drop?p=/docs/handbook")
    assert all("Path=/docs/handbook/" in v for v in cloudfront_headers(reply) if "Max-Age=0" in v)
    assert not browser.opens("/docs/handbook/ch1.pdf")
    assert browser.opens("/videos/course-2/a.ts")


@pytest.mark.parametrize("driver", ["asgi", "wsgi"])
def test_imperative_renewal_stops_after_max_session_age(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    browser = make_browser(driver, rsa_key, clock, max_session_age=3600)
    browser.get("/login?user=ana")
    for _ in range(7):  # keep the session busy for 70 minutes
        browser.clock.advance(600)
        browser.get("/page")
    assert not browser.opens("/videos/course-1/a.ts")
    assert browser.jar.cloudfront() == []


# --- the session over time: renewal, shared signatures, rotation, hosts -----------------------


@pytest.mark.parametrize("driver", ["asgi", "wsgi"])
def test_renewal_signs_only_when_needed_over_a_simulated_hour(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    browser = make_browser(driver, rsa_key, clock)
    assert browser.cookies is not None
    browser.get("/login?user=ana")
    for _ in range(360):  # a request every 10 seconds for an hour
        browser.clock.advance(10)
        browser.get("/page")
        assert browser.opens("/videos/course-1/seg.ts")
    signer = browser.cookies.signer
    # 30-minute lifetime renewed 10 minutes before expiry: a new policy every ~20 minutes.
    assert signer.misses <= 4, signer.misses
    assert signer.misses >= 3


@pytest.mark.parametrize("driver", ["asgi", "wsgi"])
def test_sessions_in_the_same_window_share_one_signature(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    first = make_browser(driver, rsa_key, clock)
    assert first.cookies is not None
    shared = first.cookies
    clock.advance(10)  # 12:00:10: every login below falls in the window ending 12:35
    for _ in range(50):
        browser = Browser(first.send, clock, first.public_keys, shared)
        browser.get("/login?user=ana")
        assert browser.opens("/videos/course-1/a.ts")
        clock.advance(1)
    assert shared.signer.misses == 1


@pytest.mark.parametrize("driver", ["asgi", "wsgi"])
def test_an_old_state_secret_is_still_read_after_rotation(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    old = make_browser(driver, rsa_key, clock)
    old.get("/login?user=ana")
    rotated = make_browser(
        driver, rsa_key, clock, state_secret=["new-secret-" + "n" * 32, STATE_SECRET]
    )
    rotated.jar = old.jar
    rotated.clock.advance(25 * 60)
    reply = rotated.get("/page")
    assert len(cloudfront_headers(reply)) == 3  # the old state was read and renewed
    rotated.get("/logout")
    assert rotated.jar.cloudfront() == []


@pytest.mark.parametrize("driver", ["asgi", "wsgi"])
def test_a_new_signing_key_reissues_cookies_on_the_next_request(
    driver: str, rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock
) -> None:
    before = make_browser(driver, old_rsa_key, clock, key_pair_id="K1OLDROTATEDKEY")
    before.get("/login?user=ana")
    ring = KeyRing(
        SigningKey(RSA_KEY_ID, rsa_key),
        verification_keys={"K1OLDROTATEDKEY": old_rsa_key.public_key()},
    )
    after = make_browser(driver, rsa_key, clock, keys=ring, key_pair_id=None, private_key=None)
    after.jar = before.jar
    after.public_keys = ring.public_keys
    reply = after.get("/page")
    assert any(f"CloudFront-Key-Pair-Id={RSA_KEY_ID}" in v for v in reply.set_cookie())
    assert after.media("/videos/course-1/a.ts").key_pair_id == RSA_KEY_ID


@pytest.mark.parametrize("driver", ["asgi", "wsgi"])
def test_no_cookies_for_a_host_outside_the_cookie_domain(
    driver: str, rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    if driver == "wsgi":
        reply = call_wsgi(
            raw_wsgi_app(cookies, declarative=False), "GET", "/login", None, host="app.other.test"
        )
    else:
        from starlette.testclient import TestClient

        client = TestClient(
            starlette_app(cookies, declarative=False), base_url="https://app.other.test"
        )
        response = client.get("/login")
        reply = Reply(response.status_code, list(response.headers.multi_items()), response.content)
    assert reply.status == 200
    assert cloudfront_headers(reply) == []
    assert "does not cover the app host app.other.test" in caplog.text


# --- configuration fails at start-up, saying what to change ------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"media_url": "http://media.example.test"}, "must start with https://", id="http-media"
        ),
        pytest.param(
            {"media_url": "https://media.example.test/videos"}, "origin only", id="media-path"
        ),
        pytest.param(
            {"cookie_domain": "other.test"}, "does not cover media host", id="domain-mismatch"
        ),
        pytest.param(
            {"cookie_domain": "cloudfront.net", "media_url": "https://d1.cloudfront.net"},
            "public suffix",
            id="public-suffix",
        ),
        pytest.param({"cookie_domain": "test"}, "at least two labels", id="tld"),
        pytest.param({"state_secret": "short"}, "at least 32 bytes", id="short-secret"),
        pytest.param({"key_pair_id": ""}, "CloudFront public key ID", id="empty-key-id"),
        pytest.param({"lifetime": 30}, "between 60 seconds and 7 days", id="lifetime"),
        pytest.param({"renew_before": 3600}, "less than lifetime", id="renew-before"),
        pytest.param({"granularity": 1500}, "at most lifetime - renew_before", id="granularity"),
        pytest.param(
            {"samesite": "None", "secure": False, "insecure_allow_http": True},
            "requires secure=True",
            id="samesite-none",
        ),
        pytest.param({"secure": False}, "insecure_allow_http=True", id="insecure"),
        pytest.param({"hash_algorithm": "sha256"}, "SHA1, SHA256", id="hash"),
        pytest.param({"keepalive_path": "keepalive"}, "must start with /", id="keepalive"),
        pytest.param({"max_prefixes": 0}, "max_prefixes must be 1 to 50", id="max-prefixes"),
        pytest.param({"grants": "not callable"}, "grants must be a callable", id="grants"),
    ],
)
def test_misconfiguration_fails_at_start_up(
    overrides: dict[str, Any], message: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from cfcookies.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match=message):
        CloudFrontCookies(**base_options(rsa_key, clock, **overrides))


def test_too_many_prefixes_is_refused_not_a_500(
    rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A grant beyond max_prefixes that reaches plan() (no middleware checked it in the view)
    issues nothing and says why in the log; it never raises (tests/test_grant_limits.py has
    the checks through each adapter)."""
    cookies = CloudFrontCookies(**base_options(rsa_key, clock, max_prefixes=3))
    actions = Actions([("grant", ("/a/", "/b/", "/c/", "/d/"))])
    plan = cookies.plan(RequestInfo("GET", "/", "app.example.test", None), actions=actions)
    assert not plan.changes_anything
    assert "max_prefixes=3" in caplog.text


def test_repr_shows_no_key_material_or_secret(rsa_key: PrivateKey, clock: FakeClock) -> None:
    from cfcookies.keys import private_key_pem

    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    text = repr(cookies) + repr(cookies.keys) + repr(cookies.signer)
    body = private_key_pem(rsa_key).decode().splitlines()[3]
    assert body not in text
    assert STATE_SECRET not in text
    assert RSA_KEY_ID in text


def test_the_steady_state_cache_never_hides_a_key_switch(
    driver: str, rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock
) -> None:
    class SwitchableRing(KeyRing):
        def __init__(self) -> None:
            super().__init__(SigningKey("K1OLDROTATEDKEY", old_rsa_key))
            self.current = SigningKey("K1OLDROTATEDKEY", old_rsa_key)

        def active(self) -> SigningKey:
            return self.current

    ring = SwitchableRing()
    browser = make_browser(driver, rsa_key, clock, keys=ring, key_pair_id=None, private_key=None)
    browser.get("/login?user=ana")
    for _ in range(3):  # settled: fresh cookies, nothing to do
        assert cloudfront_headers(browser.get("/page")) == []
    ring.current = SigningKey(RSA_KEY_ID, rsa_key)
    reply = browser.get("/page")
    assert any(f"CloudFront-Key-Pair-Id={RSA_KEY_ID}" in v for v in reply.set_cookie())


@pytest.mark.parametrize("driver", ["asgi", "wsgi"])
def test_the_steady_state_cache_follows_a_changed_grants_answer(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from tests import middleware_apps

    browser = make_browser(driver, rsa_key, clock, declarative=True)
    browser.get("/login?user=ana")
    for _ in range(3):
        assert cloudfront_headers(browser.get("/page")) == []
    original = middleware_apps.USERS["ana"]
    middleware_apps.USERS["ana"] = ["/videos/course-2"]
    try:
        reply = browser.get("/page")
    finally:
        middleware_apps.USERS["ana"] = original
    assert any("Path=/videos/course-2/" in v for v in cloudfront_headers(reply))
    assert browser.opens("/videos/course-2/a.ts")
    assert not browser.opens("/videos/course-1/a.ts")


# --- binding policies to the viewer's IP address (opt-in) --------------------------------------


@pytest.mark.parametrize("driver", ["asgi", "wsgi"])
def test_bound_cookies_open_the_folder_only_from_the_viewers_address(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    browser, _ = ip_browser(driver, rsa_key, clock)
    browser.get("/login?user=ana")
    assert media_from(browser, "/videos/course-1/a.ts", "203.0.113.7") == "allowed"
    assert media_from(browser, "/videos/course-1/a.ts", "198.51.100.9") == "ip_mismatch"


@pytest.mark.parametrize("driver", ["asgi", "wsgi"])
def test_a_new_viewer_address_gets_bound_cookies_once_the_app_vouches(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    browser, address = ip_browser(driver, rsa_key, clock)
    browser.get("/login?user=ana")
    assert cloudfront_headers(browser.get("/page")) == []  # same address: settled
    address.append("198.51.100.9")
    # a bare state cookie from a new address mints nothing for it (it may be a copy) ...
    assert cloudfront_headers(browser.get("/page")) == []
    assert media_from(browser, "/videos/course-1/a.ts", "198.51.100.9") == "ip_mismatch"
    # ... until the app vouches for the session again
    reply = browser.get("/login?user=ana")
    assert len(cloudfront_headers(reply)) == 3
    assert media_from(browser, "/videos/course-1/a.ts", "198.51.100.9") == "allowed"
    assert media_from(browser, "/videos/course-1/a.ts", "203.0.113.7") == "ip_mismatch"


@pytest.mark.parametrize(
    ("seen", "bound"),
    [
        pytest.param("203.0.113.7", "203.0.113.7/32", id="ipv4"),
        pytest.param("::ffff:203.0.113.7", "203.0.113.7/32", id="ipv4-mapped"),
        pytest.param("2001:db8::1", None, id="ipv6-unbound"),
        pytest.param("not an address", None, id="garbage-unbound"),
        pytest.param(None, None, id="none-unbound"),
    ],
)
def test_only_ipv4_viewers_are_bound(seen: str | None, bound: str | None) -> None:
    from cfcookies.plan import bindable_ip

    assert bindable_ip(seen) == bound


def test_client_ip_must_be_callable(rsa_key: PrivateKey, clock: FakeClock) -> None:
    from cfcookies.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="client_ip must be a callable"):
        CloudFrontCookies(**base_options(rsa_key, clock, client_ip="X-Forwarded-For"))


# --- reading a request: the Host header -------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "host"),
    [
        pytest.param("app.example.test", "app.example.test", id="name"),
        pytest.param("app.example.test:8443", "app.example.test", id="port"),
        pytest.param("APP.Example.Test", "app.example.test", id="upper-case"),
        pytest.param("app.example.test.", "app.example.test", id="trailing-dot"),
        pytest.param("app.example.test.:443", "app.example.test", id="trailing-dot-and-port"),
        pytest.param(" app.example.test\t", "app.example.test", id="surrounding-space"),
        pytest.param("127.0.0.1:8000", "127.0.0.1", id="ipv4-and-port"),
        pytest.param("[::1]", "[::1]", id="ipv6"),
        pytest.param("[2001:DB8::1]:443", "[2001:db8::1]", id="ipv6-port-upper-case"),
        pytest.param("[::1", None, id="ipv6-unclosed"),
        pytest.param("[evil;x]", None, id="brackets-without-an-address"),
        pytest.param("[::1]junk", None, id="junk-after-the-brackets"),
        pytest.param("[::1]:44x", None, id="ipv6-port-not-digits"),
        pytest.param("app.example.test:abc", None, id="port-not-digits"),
        pytest.param("app.example.test:", "app.example.test", id="empty-port"),
        pytest.param("app.example.test:\u0661", None, id="non-ascii-digit-port"),
        pytest.param("::1", None, id="ipv6-without-brackets"),
        pytest.param("a:b:c", None, id="colons"),
        pytest.param("app example.test", None, id="space-inside"),
        pytest.param("app.example.test/evil", None, id="slash"),
        pytest.param("user@app.example.test", None, id="userinfo"),
        pytest.param("bücher.example", None, id="non-ascii"),
        pytest.param("app_1.example.test", None, id="underscore"),
        pytest.param(".", None, id="only-a-dot"),
        pytest.param("a" * 251 + ".com", "a" * 251 + ".com", id="255-characters"),
        pytest.param("a" * 252 + ".com", None, id="over-long"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="none"),
    ],
)
def test_host_from_header_reads_the_host_name_or_nothing(
    header: str | None, host: str | None
) -> None:
    """The host name of a Host header, lower case, without port or trailing dot (IPv6 literals
    kept in brackets); anything that is not a host name reads as None, never an error."""
    assert host_from_header(header) == host


# --- the seam every adapter shares: quiet(), respond(), respond_async() ------------------------

APP_HOST = "app.example.test"


def _request(cookie_header: str | None, path: str = "/page", host: str = APP_HOST) -> RequestInfo:
    return RequestInfo("GET", path, host, cookie_header)


def _scope(cookies: CloudFrontCookies) -> dict[str, Any]:
    """A request's own mapping, where grant()/revoke() leave their calls (an ASGI scope), marked
    as the ASGI middleware marks it."""
    return {"type": "http", MIDDLEWARE_KEY: cookies}


def _state_header(outcome: Outcome | None) -> str:
    """The Cookie header a browser sends back to the app's pages after ``outcome``."""
    assert outcome is not None
    jar = Jar()
    jar.store(APP_ORIGIN + "/login", outcome.set_cookie)
    header = jar.header(APP_ORIGIN + "/page")
    assert header is not None
    return header


def _logged_in(cookies: CloudFrontCookies) -> tuple[Outcome, RequestInfo]:
    """A login through respond(), and the request the browser makes next."""
    login = _scope(cookies)
    grant(login, "/videos/course-1")
    outcome = cookies.respond(_request(None, "/login"), login, login)
    assert outcome is not None
    return outcome, _request(_state_header(outcome))


@pytest.mark.parametrize(
    ("option", "can_be_quiet"),
    [
        pytest.param({}, True, id="imperative-only"),
        pytest.param({"grants": lambda request: ["/videos/course-1"]}, False, id="grants"),
        pytest.param({"client_ip": lambda request: "203.0.113.7"}, False, id="client_ip"),
        pytest.param({"session_binding": lambda request: "s-1"}, False, id="session_binding"),
    ],
)
def test_quiet_only_for_a_browser_judged_fresh_with_no_callable_to_ask(
    option: dict[str, Any], can_be_quiet: bool, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """quiet() answers True, asking nothing, only for a state cookie already judged to need
    nothing on this host, and only when no callable option could change that answer."""
    cookies = CloudFrontCookies(**base_options(rsa_key, clock, **option))
    _, request = _logged_in(cookies)
    assert not cookies.quiet(request, {})  # not judged yet
    assert cookies.respond(request, {}, {}) is None  # judged fresh, and remembered
    assert cookies.quiet(request, {}) is can_be_quiet
    assert not cookies.quiet(request._replace(host="other.example.test"), {})
    assert not cookies.quiet(_request(None), {})


def test_a_grant_or_revoke_call_is_never_quiet(rsa_key: PrivateKey, clock: FakeClock) -> None:
    """A view's grant() or revoke() call reaches the decision even from a quiet browser."""
    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    _, request = _logged_in(cookies)
    assert cookies.respond(request, {}, {}) is None
    assert cookies.quiet(request, {})
    granted, revoked = _scope(cookies), _scope(cookies)
    grant(granted, "/videos/course-2")
    revoke(revoked)
    assert not cookies.quiet(request, granted)
    assert not cookies.quiet(request, revoked)
    logout = cookies.respond(request, revoked, revoked)
    assert logout is not None
    assert logout.state is None
    assert any(v.startswith("CloudFront-Policy=;") for v in logout.set_cookie)


def test_respond_returns_none_for_the_steady_state_and_renews_when_due(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """respond() answers None (no Set-Cookie) for a browser without state and for fresh
    cookies, and the renewed cookies once the renewal window opens."""
    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    assert cookies.respond(_request(None), {}, {}) is None
    login, request = _logged_in(cookies)
    assert login.state is not None
    for _ in range(3):
        clock.advance(60)
        assert cookies.respond(request, {}, {}) is None
    clock.advance(22 * 60)  # 25 minutes after login: within renew_before of the expiry
    renewed = cookies.respond(request, {}, {})
    assert renewed is not None
    assert renewed.state is not None
    assert renewed.state.expires > login.state.expires
    assert sum(v.startswith("CloudFront-") for v in renewed.set_cookie) == 3


def test_respond_async_signs_in_a_worker_thread_and_renders_a_cached_signature_on_the_loop(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A plan that needs a signature is rendered off the event loop; one whose signature is
    cached is rendered on it (the thread hop would cost more than the formatting)."""
    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    rendered_in: list[threading.Thread] = []
    render = cookies.render

    def recording_render(plan: Plan) -> Outcome:
        rendered_in.append(threading.current_thread())
        return render(plan)

    cookies.render = recording_render  # type: ignore[method-assign]

    async def login() -> tuple[Outcome | None, threading.Thread]:
        scope = _scope(cookies)
        grant(scope, "/videos/course-1")
        outcome = await cookies.respond_async(_request(None, "/login"), scope, lambda: None)
        return outcome, threading.current_thread()

    first, loop = anyio.run(login)
    second, _ = anyio.run(login)  # another session, the same window: the same policy
    assert first is not None
    assert second is not None
    assert first.set_cookie[:3] == second.set_cookie[:3]
    assert rendered_in[0] is not loop
    assert rendered_in[1] is loop
    assert cookies.signer.misses == 1


def test_respond_async_writes_a_logouts_deny_entry_off_the_loop(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A logout's deny-list write (and its wait for the store) runs in a worker thread, and
    the entry is there when the response goes out."""
    deny = LocalDenyList(clock=clock)
    cookies = CloudFrontCookies(
        **base_options(rsa_key, clock),
        session_secrets=SessionSecrets(generate_secret()),
        deny_list=deny,
        deny_wait=5.0,  # (returns as soon as the entry is written)
    )
    recorded_in: list[threading.Thread] = []
    record_logouts = cookies.record_logouts

    def recording(plan: Plan) -> None:
        recorded_in.append(threading.current_thread())
        record_logouts(plan)

    cookies.record_logouts = recording  # type: ignore[method-assign]

    async def login_and_out() -> tuple[Outcome | None, Outcome | None, threading.Thread]:
        login, logout = _scope(cookies), _scope(cookies)
        grant(login, "/videos/course-1")
        first = await cookies.respond_async(_request(None, "/login"), login, lambda: None)
        revoke(logout)
        header = _state_header(first)
        ended = await cookies.respond_async(_request(header, "/logout"), logout, lambda: None)
        return first, ended, threading.current_thread()

    try:
        first, ended, loop = anyio.run(login_and_out)
    finally:
        cookies.close()
    assert first is not None
    assert first.state is not None
    assert ended is not None
    assert ended.state is None
    assert len(recorded_in) == 1  # the logout only
    assert recorded_in[0] is not loop
    session = first.state
    assert deny.is_revoked(session.session_id, None, issued_at=session.granted_at, now=clock.epoch)


@pytest.mark.parametrize(
    "media_url",
    ["https://media.example.test", "https://Media.Example.Test/", "http://127.0.0.1:8443"],
)
def test_a_folders_resource_is_the_one_prefix_resource_builds(
    rsa_key: PrivateKey, clock: FakeClock, media_url: str
) -> None:
    """The resource a plan signs for a merged folder is prefix_resource's, to the byte: built
    from the distribution's base once, without checking the folder again on every login."""
    from cfcookies.grants import merge_prefixes
    from cfcookies.policy import prefix_resource

    cookies = CloudFrontCookies(
        **base_options(
            rsa_key,
            clock,
            media_url=media_url,
            cookie_domain=None,
            insecure_allow_http=True,
            secure=media_url.startswith("https"),
        )
    )
    folders = ["/", "/videos/course-1", "/my course/ü", "/a/%7E/b", "/x!$&'()+=:@/y"]
    for prefix in merge_prefixes(folders) + merge_prefixes(folders[1:]):
        assert cookies.resource_for(prefix) == prefix_resource(media_url, prefix)


def test_a_state_cookie_sent_back_empty_reads_as_none_and_is_not_deleted_again(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A client that keeps deleted cookies (Django's test Client) sends ``name=``: no state,
    and nothing to delete; an authentic one beside it is still read."""
    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    assert cookies.read_state("__Host-cfcookies=") == (None, False)
    assert cookies.read_state("__Host-cfcookies=; a=1; __Host-cfcookies=") == (None, False)
    info = cookies.request_info("GET", "/page", "app.example.test", "__Host-cfcookies=")
    assert cookies.respond(info, {}, {}) is None
    assert cookies.read_state("__Host-cfcookies=forged") == (None, True)


def test_a_folder_line_over_what_a_browser_keeps_is_refused_not_sent(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """render() formats a folder's CloudFront lines without dump_cookie's per-value checks
    (its values are CloudFront's base64), but never without the size check: a plan that got
    past the session's limits (built directly here) still cannot send a cookie a browser
    would drop."""
    from cfcookies.exceptions import CookieSizeError
    from cfcookies.policy import Policy

    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    folder = "/" + "a" * 3000 + "/"
    expires = cookies.expiry_for(cookies.now())
    plan = Plan(
        issue=(folder,),
        expires=expires,
        policies=(Policy(cookies.resource_for(folder), expires),),
    )
    with pytest.raises(CookieSizeError, match=r"CloudFront-Policy for Path=/aaa.* bytes"):
        cookies.render(plan)
