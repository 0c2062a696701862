"""Grants a browser can hold, states from wrong clocks, and one signature per policy (issue 14).

- Start-up refuses a ``max_prefixes`` whose cookies (Policy, Signature, Key-Pair-Id,
  Hash-Algorithm, the revocation cookie, per folder, plus the state cookie) exceed what browsers
  keep per domain.
- A grant beyond the limits (too many folders, a state cookie or a policy cookie over 4,096
  bytes) fails in the view with :class:`GrantLimitError`, through every adapter; the session
  keeps what it held and no later request is a 500.
- A state from an instance whose clock is ahead is reissued within the limits, and logged.
- Identical policies are signed once, however many threads ask at the same time.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import cfcookies.signing
from cfcookies.cookies import MAX_COOKIE_BYTES, MAX_COOKIES_PER_DOMAIN
from cfcookies.exceptions import ConfigurationError, GrantLimitError, SigningError
from cfcookies.keys import KeyRing, PrivateKey, SigningKey
from cfcookies.policy import Policy
from cfcookies.revocation import SessionSecrets, generate_secret
from cfcookies.session import CloudFrontCookies, RequestInfo, State
from cfcookies.signing import Signer
from tests.browser_jar_support import base_options, make_browser
from tests.middleware_apps import APP_ORIGIN, MEDIA_URL, USERS, call_wsgi, raw_wsgi_app
from tests.support import RSA_KEY_ID, FakeClock

DAY = 24 * 3600


def _long_folders(count: int, length: int, *, alphabet: str = "base64") -> list[str]:
    """``count`` folders of ``length`` characters of random-looking names (hex, or base64url:
    names that compress little)."""
    folders = []
    for i in range(count):
        name = ""
        for j in range(length // 20 + 1):
            digest = hashlib.sha256(f"{i}-{j}".encode()).digest()
            chunk = digest.hex() if alphabet == "hex" else base64.urlsafe_b64encode(digest).decode()
            name += chunk.rstrip("=")
        folders.append("/" + name[: length - 1])
    return folders


# --- start-up: the cookies a browser keeps per domain -----------------------------------------


@pytest.mark.parametrize(
    ("extra", "per_folder"),
    [
        pytest.param({"hash_algorithm": "SHA1"}, 3, id="sha1"),
        pytest.param({}, 4, id="per-key-hash"),
        pytest.param({"hash_algorithm": "SHA256"}, 4, id="sha256"),
        pytest.param({"revocation": True}, 5, id="with-revocation"),
    ],
)
def test_max_prefixes_is_refused_beyond_what_browsers_keep(
    rsa_key: PrivateKey, clock: FakeClock, extra: dict[str, Any], per_folder: int
) -> None:
    options = dict(extra)
    if options.pop("revocation", False):
        options["session_secrets"] = SessionSecrets(generate_secret())
    fits = (MAX_COOKIES_PER_DOMAIN - 1) // per_folder
    cookies = CloudFrontCookies(**base_options(rsa_key, clock, max_prefixes=fits, **options))
    assert cookies.cookies_per_folder == per_folder
    assert fits * per_folder + 1 <= MAX_COOKIES_PER_DOMAIN
    with pytest.raises(ConfigurationError, match=f"Set max_prefixes to {fits} or less"):
        CloudFrontCookies(**base_options(rsa_key, clock, max_prefixes=fits + 1, **options))


def test_every_adapter_refuses_it_at_start_up(rsa_key: PrivateKey, clock: FakeClock) -> None:
    from cfcookies.asgi import CloudFrontCookieMiddleware as ASGIMiddleware
    from cfcookies.wsgi import CloudFrontCookieMiddleware as WSGIMiddleware

    async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("never called")

    def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
        raise AssertionError("never called")

    options = base_options(rsa_key, clock, max_prefixes=50)  # 50 x 4 + 1 cookies
    with pytest.raises(ConfigurationError, match="max_prefixes=50 can take 201 cookies"):
        ASGIMiddleware(asgi_app, **options)
    with pytest.raises(ConfigurationError, match="201 cookies"):
        WSGIMiddleware(wsgi_app, **options)
    with pytest.raises(ConfigurationError, match="201 cookies"):
        make_browser("flask", rsa_key, clock, max_prefixes=50)
    with pytest.raises(Exception, match="201 cookies"):  # Django's ImproperlyConfigured
        make_browser("django", rsa_key, clock, max_prefixes=50).get("/page")


# --- a grant beyond the limits fails in the view, never later ---------------------------------


def _login(browser: Any, folders: list[str]) -> Any:
    return browser.get("/login?user=ana&" + "&".join(f"p={f}" for f in folders))


def test_grant_raises_a_typed_error_with_the_reason(rsa_key: PrivateKey, clock: FakeClock) -> None:
    """grant() itself raises GrantLimitError (the apps above turn it into a 409), and the
    refused grant leaves no step behind."""
    from cfcookies.session import ACTIONS_KEY, MIDDLEWARE_KEY, grant

    cookies = CloudFrontCookies(**base_options(rsa_key, clock, max_prefixes=2))
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", MIDDLEWARE_KEY: cookies}
    grant(environ, "/a", "/b")
    with pytest.raises(GrantLimitError, match="3 folders granted to one session; max_prefixes=2"):
        grant(environ, "/c")
    assert environ[ACTIONS_KEY].steps == [("grant", ("/a/", "/b/"))]
    assert environ[ACTIONS_KEY].apply(()) == ("/a/", "/b/")
    fresh: dict[str, Any] = {"REQUEST_METHOD": "GET", MIDDLEWARE_KEY: cookies}
    with pytest.raises(GrantLimitError, match=r"Policy cookie .* bytes; browsers keep 4096"):
        grant(fresh, *_long_folders(1, 4000))


def test_too_many_folders_fail_the_grant_in_the_view(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    browser = make_browser(driver, rsa_key, clock, max_prefixes=3)
    _login(browser, ["/videos/course-1"])
    before = sorted(c.path for c in browser.jar.jar if c.name == "CloudFront-Policy")
    refused = _login(browser, ["/a", "/b", "/c"])  # 1 held + 3 new: GrantLimitError in the view
    assert refused.status == 409
    assert not [line for line in refused.set_cookie() if line.startswith("CloudFront-")]
    # the session keeps what it held; later requests are fine
    reply = browser.get("/page")
    assert reply.status == 200
    assert sorted(c.path for c in browser.jar.jar if c.name == "CloudFront-Policy") == before
    assert browser.opens("/videos/course-1/seg.ts")
    _login(browser, ["/a", "/b"])  # within the limit: granted
    assert browser.opens("/b/seg.ts")


def test_twenty_folders_of_150_characters_now_fit(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """20 folders of 150 characters (within the default max_prefixes) used to make every
    request of the session a 500; the compressed state holds them in under 4,096 bytes."""
    browser = make_browser(driver, rsa_key, clock)
    folders = _long_folders(20, 150, alphabet="hex")
    reply = _login(browser, folders)
    assert reply.status == 200
    state_line = next(line for line in reply.set_cookie() if "cfcookies=" in line)
    assert len(state_line.encode()) <= MAX_COOKIE_BYTES
    for _ in range(3):
        assert browser.get("/page").status == 200
    assert all(browser.opens(folder + "/seg.ts") for folder in folders)


def test_a_state_cookie_over_4096_bytes_fails_the_grant_in_the_view(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    browser = make_browser(driver, rsa_key, clock)
    _login(browser, ["/videos/course-1"])
    assert _login(browser, _long_folders(19, 200)).status == 409
    assert browser.get("/page").status == 200
    paths = {c.path for c in browser.jar.jar if c.name == "CloudFront-Policy"}
    assert paths == {"/videos/course-1/"}  # what the session held, and nothing more


def test_every_grant_the_check_accepts_fits_in_a_cookie(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Grow a session folder by folder until the check refuses: every Set-Cookie line of every
    accepted grant stays within 4,096 bytes, and the refused one changes nothing."""
    secrets = SessionSecrets(generate_secret())
    browser = make_browser(
        driver,
        rsa_key,
        clock,
        session_secrets=secrets,
        client_ip=lambda request: "203.0.113.7",
        persistent=True,
    )
    folders = _long_folders(40, 120)
    granted = 0
    for folder in folders:
        reply = _login(browser, [folder])
        if reply.status == 409:
            break
        granted += 1
        assert all(len(line.encode()) <= MAX_COOKIE_BYTES for line in reply.set_cookie())
    assert 5 < granted < 29  # the state cookie, not max_prefixes, was the limit
    assert browser.get("/page").status == 200


def test_a_grants_callable_beyond_the_limits_issues_nothing_and_logs(
    driver: str,
    rsa_key: PrivateKey,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(USERS, "ana", ["/videos/course-1"])
    browser = make_browser(driver, rsa_key, clock, declarative=True, max_prefixes=3)
    browser.get("/login?user=ana")
    assert browser.opens("/videos/course-1/seg.ts")
    monkeypatch.setitem(USERS, "ana", ["/a", "/b", "/c", "/d"])
    for _ in range(3):
        assert browser.get("/page").status == 200  # never a 500
    assert "grant refused" in caplog.text
    assert not browser.opens("/a/seg.ts")
    assert not browser.opens("/videos/course-1/seg.ts")  # the app no longer says so: removed


def test_a_state_issued_under_larger_limits_is_removed_not_a_500(
    rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    larger = CloudFrontCookies(**base_options(rsa_key, clock, max_prefixes=5))
    smaller = CloudFrontCookies(**base_options(rsa_key, clock, max_prefixes=2))
    state = State(("/a/", "/b/", "/c/"), clock.epoch + 1800, RSA_KEY_ID, "SHA1", None, clock.epoch)
    header = larger.dump_state(state).split(";", 1)[0]
    for cookies_header in (header, header):
        plan = smaller.plan(RequestInfo("GET", "/", "app.example.test", cookies_header))
        assert plan.clear_state
        assert set(plan.delete) == {"/a/", "/b/", "/c/"}
    assert "max_prefixes=2" in caplog.text


# --- a state from an instance whose clock is ahead --------------------------------------------


def test_a_state_from_a_clock_30_days_ahead_is_reissued_within_the_lifetime(
    driver: str, rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    ahead_clock = FakeClock(clock() + __import__("datetime").timedelta(days=30))
    ahead = make_browser(driver, rsa_key, ahead_clock, lifetime=7 * DAY, renew_before=DAY)
    ahead.get("/login?user=ana")
    correct = make_browser(driver, rsa_key, clock)
    correct.jar = ahead.jar
    reply = correct.get("/page")
    states = [c for c in correct.jar.jar if c.name.endswith("cfcookies")]
    assert len(states) == 1
    assert any(line.startswith("CloudFront-Policy=") for line in reply.set_cookie())
    assert "cfcookies.state.wrong_clock" in [getattr(r, "event", "") for r in caplog.records]
    # the new policy lies within this instance's lifetime (30 min + granularity)
    decision = correct.media("/videos/course-1/seg.ts")
    assert decision.allowed
    clock.advance(40 * 60)
    assert not correct.opens("/videos/course-1/seg.ts")  # not a 30-day policy any more


def test_a_grant_time_in_the_future_is_due_and_clamped(
    rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    future = State(
        ("/a/",), clock.epoch + 1200, RSA_KEY_ID, "SHA1", "example.test", clock.epoch + 10 * DAY
    )
    header = cookies.dump_state(future).split(";", 1)[0]
    plan = cookies.plan(RequestInfo("GET", "/", "app.example.test", header))
    assert plan.issue == ("/a/",)
    assert plan.granted_at == clock.epoch
    assert "wrong_clock" in str([getattr(r, "event", "") for r in caplog.records])
    near = State(("/a/",), clock.epoch + 1200, RSA_KEY_ID, "SHA1", "example.test", clock.epoch + 5)
    header = cookies.dump_state(near).split(";", 1)[0]
    assert not cookies.plan(RequestInfo("GET", "/", "app.example.test", header)).issue


# --- one signature per policy, however many threads ask ----------------------------------------


@pytest.fixture
def slow_signing(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Count RSA/ECDSA signatures, each taking 50 ms (a slow HSM, a loaded machine)."""
    signed: list[bytes] = []
    real = cfcookies.signing.sign_bytes

    def slow(message: bytes, *args: Any, **kwargs: Any) -> bytes:
        signed.append(message)
        time.sleep(0.05)
        return real(message, *args, **kwargs)

    monkeypatch.setattr(cfcookies.signing, "sign_bytes", slow)
    return signed


def test_the_signer_signs_an_identical_policy_once(
    rsa_key: PrivateKey, slow_signing: list[bytes]
) -> None:
    signer = Signer(KeyRing(SigningKey(RSA_KEY_ID, rsa_key)))
    policy = Policy("https://media.example.test/a/*", 2_000_000_000)
    barrier = threading.Barrier(12)

    def sign() -> str:
        barrier.wait()
        return signer.sign_policy(policy).signature_b64

    with ThreadPoolExecutor(12) as pool:
        signatures = set(pool.map(lambda _: sign(), range(12)))
    assert len(signatures) == 1
    assert len(slow_signing) == 1
    assert (signer.misses, signer.hits) == (1, 11)


def test_a_failed_signature_does_not_strand_the_waiters(
    rsa_key: PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = cfcookies.signing.sign_bytes

    def flaky(message: bytes, *args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        time.sleep(0.05)
        if len(calls) == 1:
            raise SigningError("the HSM hiccuped")
        return real(message, *args, **kwargs)

    monkeypatch.setattr(cfcookies.signing, "sign_bytes", flaky)
    signer = Signer(KeyRing(SigningKey(RSA_KEY_ID, rsa_key)))
    policy = Policy("https://media.example.test/a/*", 2_000_000_000)
    barrier = threading.Barrier(4)

    def sign() -> str | None:
        barrier.wait()
        try:
            return signer.sign_policy(policy).signature_b64
        except SigningError:
            return None

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: sign(), range(4)))
    assert results.count(None) == 1  # the leader's own error, nobody else's
    assert len({r for r in results if r}) == 1
    assert len(calls) == 2


def test_concurrent_logins_into_one_folder_sign_once_through_wsgi(
    rsa_key: PrivateKey, clock: FakeClock, slow_signing: list[bytes]
) -> None:
    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    app = raw_wsgi_app(cookies, declarative=False)
    barrier = threading.Barrier(10)

    def login(i: int) -> int:
        barrier.wait()
        return call_wsgi(app, "GET", f"/login?user=u{i}&p=/videos/course-1", None).status

    with ThreadPoolExecutor(10) as pool:
        assert set(pool.map(login, range(10))) == {200}
    assert len(slow_signing) == 1


def test_concurrent_logins_into_one_folder_sign_once_through_asgi(
    rsa_key: PrivateKey, clock: FakeClock, slow_signing: list[bytes]
) -> None:
    import anyio
    import httpx

    from cfcookies.asgi import CloudFrontCookieMiddleware
    from tests.middleware_apps import starlette_app

    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    app = starlette_app(cookies, declarative=False)
    middleware = next(m for m in app.user_middleware if m.cls is CloudFrontCookieMiddleware)
    middleware.kwargs["signing_threads"] = 8

    async def main() -> list[int]:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url=APP_ORIGIN) as client:
            statuses: list[int] = []

            async def login(i: int) -> None:
                reply = await client.get(f"/login?user=u{i}&p=/videos/course-1")
                statuses.append(reply.status_code)

            async with anyio.create_task_group() as group:
                for i in range(10):
                    group.start_soon(login, i)
            return statuses

    assert anyio.run(main) == [200] * 10
    assert len(slow_signing) == 1
    assert MEDIA_URL  # (the same distribution as every middleware test)
