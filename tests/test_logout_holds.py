"""Logout holds: the attacks of a copied browser, written first as tests that failed.

Each test copies a victim's cookies at some moment before logout and replays them afterwards,
through ASGI, raw WSGI, Flask and Django, judging what the edge would do with the same rules as
the generated CloudFront Function (the Python check, and the function itself under Node where
the binding matters): CloudFront's signature check (:func:`cfcookies.verify.verify_request`)
and the revocation session check (:func:`cfcookies.revocation.check_session_cookie`).
"""

from __future__ import annotations

from typing import Any

import pytest

from cfcookies.cookies import parse_cookie_header
from cfcookies.exceptions import ConfigurationError, DenyListFullError
from cfcookies.keys import PrivateKey
from cfcookies.revocation import (
    LocalDenyList,
    SessionCookieError,
    SessionSecrets,
    check_session_cookie,
    function_code,
    generate_secret,
)
from cfcookies.session import Actions, CloudFrontCookies, RequestInfo
from cfcookies.verify import verify_request
from tests.browser_jar_support import (
    SEGMENT,
    Browser,
    Edge,
    base_options,
    copy_jar,
    ip_browser,
    make_browser,
    media_from,
    revoking_browser,
)
from tests.function_engines import ENGINES, run_function, viewer_event
from tests.jar import Jar
from tests.middleware_apps import APP_ORIGIN, LOGIN_KEY, MEDIA_URL
from tests.support import RSA_KEY_ID, FakeClock

MINUTE = 60
HOUR = 3600


def replay(browser: Browser, jar: Jar, path: str = "/page") -> None:
    """Send ``jar``'s cookies to the app as the victim's browser would, keeping the answer."""
    url = APP_ORIGIN + path
    reply = browser.send("GET", path, jar.header(url))
    assert reply.status < 500, reply
    jar.store(url, reply.set_cookie())


def drop_app_session(jar: Jar) -> None:
    """The app's own session ended at logout (server-side): its cookie is worth nothing."""
    for cookie in list(jar.jar):
        if cookie.name == "user":
            jar.jar.clear(cookie.domain, cookie.path, cookie.name)


@pytest.fixture
def secrets() -> SessionSecrets:
    return SessionSecrets(generate_secret())


@pytest.fixture
def deny(clock: FakeClock) -> LocalDenyList:
    return LocalDenyList(clock=clock)


@pytest.fixture
def edge(rsa_key: PrivateKey, clock: FakeClock, secrets: SessionSecrets, deny: Any) -> Edge:
    return Edge(rsa_key, clock, secrets, deny)


# --- 1. a replayed state cookie never outlives revocation -------------------------------------


@pytest.mark.parametrize("copied_after", [0, 25 * MINUTE], ids=["at-login", "after-a-renewal"])
def test_a_copy_taken_before_logout_is_worthless_at_the_edge_for_ever(
    driver: str,
    declarative: bool,
    copied_after: int,
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    deny: LocalDenyList,
    edge: Edge,
) -> None:
    """Cookies copied before logout and replayed to the app every 5 minutes for 14 hours
    (through every renewal window, past the moment the victim's cookies expired and past
    max_session_age) never open a segment at the edge again."""
    victim = revoking_browser(driver, rsa_key, clock, secrets, deny, declarative=declarative)
    victim.get("/login?user=ana")
    if copied_after:
        clock.advance(copied_after)
        victim.get("/page")  # renewed: the copy holds the renewed cookies
    assert edge.allows(victim.jar.header(MEDIA_URL + SEGMENT))
    stolen = copy_jar(victim)
    victim.get("/logout")
    assert not edge.allows(victim.jar.header(MEDIA_URL + SEGMENT))
    if declarative:
        drop_app_session(stolen)
    for _ in range(14 * 12):
        assert not edge.allows(stolen.header(MEDIA_URL + SEGMENT))
        clock.advance(5 * MINUTE)
        replay(victim, stolen)
    assert not edge.allows(stolen.header(MEDIA_URL + SEGMENT))


def test_deny_entries_live_as_long_as_the_session_could_be_renewed(
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    deny: LocalDenyList,
) -> None:
    """A logout writes its deny entry until the session's start + max_session_age + lifetime
    + granularity, not merely until its current cookies expire."""
    browser = revoking_browser("asgi", rsa_key, clock, secrets, deny, declarative=False)
    start = clock.epoch
    browser.get("/login?user=ana")
    clock.advance(HOUR)
    browser.get("/page")
    browser.get("/logout")
    [value] = deny.entries().values()
    cookies = browser.cookies
    assert cookies is not None
    assert int(value) == start + 12 * HOUR + 30 * MINUTE + 5 * MINUTE
    assert int(value) == start + cookies.revocation_horizon


def test_edge_revocation_needs_a_session_end(
    rsa_key: PrivateKey, clock: FakeClock, secrets: SessionSecrets, deny: LocalDenyList
) -> None:
    """Without max_session_age a session could be renewed for ever, so no deny entry could
    outlive it: the configuration is refused at start-up, saying what to change."""
    with pytest.raises(ConfigurationError, match="deny_list needs max_session_age"):
        CloudFrontCookies(
            **base_options(rsa_key, clock),
            session_secrets=secrets,
            deny_list=deny,
            max_session_age=None,
        )


def _core(
    key: PrivateKey, clock: FakeClock, secrets: SessionSecrets, deny: Any
) -> CloudFrontCookies:
    return CloudFrontCookies(**base_options(key, clock), session_secrets=secrets, deny_list=deny)


def _login(cookies: CloudFrontCookies, jar: Jar, user_id: str) -> None:
    actions = Actions()
    actions.steps.append(("grant", ("/videos/course-1/",)))
    actions.user_id = user_id
    _respond(cookies, jar, actions)


def _respond(cookies: CloudFrontCookies, jar: Jar, actions: Actions | None = None) -> None:
    url = APP_ORIGIN + "/page"
    info = RequestInfo("GET", "/page", "app.example.test", jar.header(url))
    plan = cookies.plan(info, actions=actions)
    if plan.changes_anything:
        jar.store(url, cookies.render(plan).set_cookie)
        cookies.record_logouts(plan)  # as the adapters do after a logout


def test_revoke_user_cuts_renewed_sessions_and_spares_later_logins(
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    deny: LocalDenyList,
    edge: Edge,
) -> None:
    """Renewals keep the time their session began, so revoke_user's cut-off reaches a session
    renewed after it; a login after the cut-off works."""
    cookies = _core(rsa_key, clock, secrets, deny)
    phone = Jar()
    _login(cookies, phone, "u_1")
    clock.advance(25 * MINUTE)
    _respond(cookies, phone)  # renewed, with a fresh expiry
    assert edge.allows(phone.header(MEDIA_URL + SEGMENT))
    cookies.revoke_user("u_1")
    assert not edge.allows(phone.header(MEDIA_URL + SEGMENT))
    for _ in range(12):
        clock.advance(5 * MINUTE)
        _respond(cookies, phone)
        assert not edge.allows(phone.header(MEDIA_URL + SEGMENT))
    clock.advance(1)
    laptop = Jar()
    _login(cookies, laptop, "u_1")
    assert edge.allows(laptop.header(MEDIA_URL + SEGMENT))


def test_revoke_session_outlives_every_renewal(
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    deny: LocalDenyList,
    edge: Edge,
) -> None:
    """revoke_session() denies a session for as long as it could still be renewed."""
    cookies = _core(rsa_key, clock, secrets, deny)
    jar = Jar()
    _login(cookies, jar, "u_1")
    state = cookies.read_state(jar.header(APP_ORIGIN + "/page"))[0]
    assert state is not None
    cookies.revoke_session(state.session_id)
    for _ in range(13 * 12):
        clock.advance(5 * MINUTE)
        _respond(cookies, jar)
        assert not edge.allows(jar.header(MEDIA_URL + SEGMENT))


# --- 2. the session cookie is bound to the policy it vouches for ------------------------------


def _borrowed_header(victim: Browser, attacker: Browser) -> str:
    """The victim's CloudFront cookies for course-1 with the attacker's own session cookie."""
    victims = parse_cookie_header(victim.jar.header(MEDIA_URL + SEGMENT))
    own = parse_cookie_header(attacker.jar.header(MEDIA_URL + "/videos/course-2/seg-0001.ts"))
    borrowed = {k: v for k, v in victims.items() if k != "CloudFront-Session"}
    borrowed["CloudFront-Session"] = own["CloudFront-Session"]
    return "; ".join(f"{k}={v}" for k, v in borrowed.items())


def test_another_accounts_session_cookie_does_not_carry_a_victims_policy(
    driver: str,
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    deny: LocalDenyList,
    edge: Edge,
) -> None:
    """An attacker with an account of their own sends the victim's copied Policy, Signature and
    Key-Pair-Id with their own valid, unrevoked session cookie: refused, before and after the
    victim's logout."""
    victim = revoking_browser(driver, rsa_key, clock, secrets, deny, declarative=False)
    attacker = revoking_browser(driver, rsa_key, clock, secrets, deny, declarative=False)
    victim.get("/login?user=ana")
    attacker.get("/login?user=ben")
    borrowed = _borrowed_header(victim, attacker)
    assert edge.allows(victim.jar.header(MEDIA_URL + SEGMENT))
    assert not edge.allows(borrowed)
    victim.get("/logout")
    assert not edge.allows(borrowed)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_generated_function_refuses_a_borrowed_session_cookie_as_the_local_edge_does(
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    deny: LocalDenyList,
    engine: str,
) -> None:
    """The CloudFront Function, run under Node and njs on the same cookies, lets the genuine
    set through and answers 403 to the borrowed one."""

    victim = revoking_browser("asgi", rsa_key, clock, secrets, deny, declarative=False)
    attacker = revoking_browser("asgi", rsa_key, clock, secrets, deny, declarative=False)
    victim.get("/login?user=ana")
    attacker.get("/login?user=ben")
    genuine = parse_cookie_header(victim.jar.header(MEDIA_URL + SEGMENT))
    borrowed = parse_cookie_header(_borrowed_header(victim, attacker))
    store = {"__cfcookies_secret": secrets.signing_key.decode()}
    outcomes = run_function(
        function_code(),
        [(viewer_event(genuine), store, clock.epoch), (viewer_event(borrowed), store, clock.epoch)],
        engine,
    )
    assert "statusCode" not in outcomes[0]["result"]
    assert outcomes[1]["result"]["statusCode"] == 403


# --- 3. without edge revocation: the state is bound to the app's own session ------------------


def app_session(request: Any) -> str | None:
    """The test apps' own session (the ``user`` they logged in), from any adapter's request."""
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict):  # Starlette
        user = scope.get(LOGIN_KEY, request.cookies.get("user"))
    elif isinstance(request, dict):  # a WSGI environ
        user = request.get(LOGIN_KEY)
        if user is None:
            user = parse_cookie_header(request.get("HTTP_COOKIE")).get("user")
    elif hasattr(request, "COOKIES"):  # Django
        user = getattr(request, "logged_in", request.COOKIES.get("user"))
    else:  # Flask
        from flask import g

        user = g.get("logged_in", request.cookies.get("user"))
    return f"session-of-{user}" if user else None


@pytest.mark.parametrize("copied_after", [0, 25 * MINUTE], ids=["at-login", "after-a-renewal"])
def test_a_bare_state_replayed_after_the_apps_session_ended_mints_nothing(
    driver: str, declarative: bool, copied_after: int, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """With session_binding, a state cookie replayed after the app's own session ended (no edge
    revocation) yields no new CloudFront cookies, in or out of the renewal window."""
    victim = make_browser(
        driver, rsa_key, clock, declarative=declarative, session_binding=app_session
    )
    victim.get("/login?user=ana")
    assert victim.opens(SEGMENT)
    if copied_after:
        clock.advance(copied_after)
        victim.get("/page")
    stolen = copy_jar(victim)
    victim.get("/logout")
    drop_app_session(stolen)
    for _ in range(5):
        clock.advance(10 * MINUTE)
        url = APP_ORIGIN + "/page"
        reply = victim.send("GET", "/page", stolen.header(url))
        assert not [
            v
            for v in reply.set_cookie()
            if v.startswith("CloudFront-Policy=") and "Max-Age=0" not in v
        ]
        stolen.store(url, reply.set_cookie())


def test_a_state_issued_to_another_app_session_is_not_renewed(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """The victim's state replayed beside the attacker's own app session is not renewed for the
    attacker: the victim's folder is not re-issued."""
    victim = make_browser(driver, rsa_key, clock, declarative=False, session_binding=app_session)
    victim.get("/login?user=ana")
    stolen = copy_jar(victim)
    drop_app_session(stolen)
    stolen.store(APP_ORIGIN + "/", ["user=ben; Path=/; Secure; HttpOnly"])
    clock.advance(25 * MINUTE)
    replay(victim, stolen)
    assert not verify_request(
        MEDIA_URL + SEGMENT,
        cookies=stolen.header(MEDIA_URL + SEGMENT),
        public_keys=victim.public_keys,
        now=clock.epoch,
    ).allowed


# --- 4. IP binding is not undone by a replayed state ------------------------------------------


def viewer_ip(request: Any) -> str | None:
    """The test's viewer address: an ``X-Test-Ip`` header, from any adapter's request."""
    if isinstance(request, dict):
        value = request.get("HTTP_X_TEST_IP")
    elif hasattr(request, "META"):
        value = request.META.get("HTTP_X_TEST_IP")
    else:
        value = request.headers.get("x-test-ip")
    return str(value) if value else None


@pytest.mark.parametrize("new_address", ["203.0.113.66", "2001:db8::66"], ids=["ipv4", "ipv6"])
def test_a_state_replayed_from_another_address_never_mints_for_it(
    new_address: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A state copied from a viewer bound to 198.51.100.7 and replayed from another IPv4 or an
    IPv6 address, at any time, gets cookies bound to the old address or none: never cookies
    for the new address, never unbound ones."""
    cookies = CloudFrontCookies(**base_options(rsa_key, clock), client_ip=viewer_ip)
    jar = Jar()

    def send(address: str, actions: Actions | None = None) -> list[str]:
        url = APP_ORIGIN + "/page"
        info = RequestInfo("GET", "/page", "app.example.test", jar.header(url), address)
        plan = cookies.plan(info, actions=actions)
        lines = list(cookies.render(plan).set_cookie) if plan.changes_anything else []
        jar.store(url, lines)
        return lines

    login = Actions()
    login.steps.append(("grant", ("/videos/course-1/",)))
    send("198.51.100.7", login)
    for advance in (60, 25 * MINUTE):
        clock.advance(advance)
        send(new_address)
        header = jar.header(MEDIA_URL + SEGMENT)
        public_keys = {RSA_KEY_ID: rsa_key.public_key()}
        from_new = verify_request(
            MEDIA_URL + SEGMENT,
            cookies=header,
            public_keys=public_keys,
            now=clock.epoch,
            client_ip=new_address,
        )
        assert not from_new.allowed
    # the app vouching (a grant in this request) binds to the new address
    send(new_address, login)
    if ":" not in new_address:
        assert verify_request(
            MEDIA_URL + SEGMENT,
            cookies=jar.header(MEDIA_URL + SEGMENT),
            public_keys={RSA_KEY_ID: rsa_key.public_key()},
            now=clock.epoch,
            client_ip=new_address,
        ).allowed


# --- 5. the store's capacity ------------------------------------------------------------------


def test_a_full_deny_list_is_a_logged_error_naming_the_session_never_a_silent_drop(
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the store has no room, logout still deletes the browser's cookies and logs an
    error with the session, the user and the remedy; the deny-list itself raises a typed
    DenyListFullError and keeps what it had."""
    deny = LocalDenyList(clock=clock, max_bytes=60)
    cookies = _core(rsa_key, clock, secrets, deny)
    first, second = Jar(), Jar()
    _login(cookies, first, "u_1")
    _login(cookies, second, "u_2")
    logout = Actions()
    logout.steps.append(("revoke", None))
    _respond(cookies, first, logout)
    assert len(deny.entries()) == 1
    _respond(cookies, second, logout)
    assert len(deny.entries()) == 1
    assert cookies.deny_writer is not None
    cookies.deny_writer.close()  # (the writer would retry until the entry lapses)
    record = next(r for r in caplog.records if r.levelname == "ERROR")
    assert record.event == "cfcookies.deny_list.write_failed"  # type: ignore[attr-defined]
    assert record.user_id == "u_2"  # type: ignore[attr-defined]
    assert "cfcookies aws revoke purge" in record.getMessage()
    assert second.cloudfront() == []
    with pytest.raises(DenyListFullError, match="purge"):
        deny.revoke_session("another", until=clock.epoch + 60)


def test_a_deny_list_that_cannot_be_read_refuses_at_the_local_edge(
    rsa_key: PrivateKey, clock: FakeClock, secrets: SessionSecrets, deny: LocalDenyList
) -> None:
    """The local stand-in fails closed, as the function does: an unreadable deny-list is a 403
    (deny_list_unavailable), not a pass."""

    class Unreadable(LocalDenyList):
        def is_revoked(self, *args: Any, **kwargs: Any) -> bool:
            raise OSError("store down")

    cookies = _core(rsa_key, clock, secrets, deny)
    jar = Jar()
    _login(cookies, jar, "u_1")
    header = parse_cookie_header(jar.header(MEDIA_URL + SEGMENT))
    check_session_cookie(header, secrets=secrets, deny_list=deny, now=clock.epoch)
    with pytest.raises(SessionCookieError) as info:
        check_session_cookie(
            header, secrets=secrets, deny_list=Unreadable(clock=clock), now=clock.epoch
        )
    assert info.value.reason == "deny_list_unavailable"


# --- 6. a tossed state cookie does not hide what logout must delete ---------------------------


def test_the_state_cookie_is_a_host_cookie_when_secure(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Secure deployments name the state cookie __Host-cfcookies: browsers accept it only from
    the app's own host, so a sibling subdomain cannot toss one in (insecure development keeps
    the plain name, and a __Host- name without Secure is refused)."""
    secure = CloudFrontCookies(**base_options(rsa_key, clock, grants=lambda request: None))
    assert secure.state_cookie_name == "__Host-cfcookies"
    line = secure.dump_state(
        secure.render(
            secure.plan(
                RequestInfo("GET", "/", "app.example.test", None), desired=["/videos/course-1"]
            )
        ).state  # type: ignore[arg-type]
    )
    assert line.startswith("__Host-cfcookies=")
    assert "; Path=/;" in line
    assert "Secure" in line
    assert "Domain" not in line
    with pytest.raises(ConfigurationError, match="needs secure=True"):
        CloudFrontCookies(
            **base_options(rsa_key, clock),
            secure=False,
            insecure_allow_http=True,
            state_cookie_name="__Host-x",
        )


def test_logout_deletes_what_was_issued_even_behind_a_tossed_state_cookie(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A sibling subdomain tosses its own genuine state cookie with Path=/logout: logout still
    deletes the victim's cookies (and the tossed session's), so the victim's folder closes."""
    victim = make_browser(driver, rsa_key, clock, declarative=False)
    attacker = make_browser(driver, rsa_key, clock, declarative=False)
    victim.get("/login?user=ana")
    attacker.get("/login?user=ben")
    name = "__Host-cfcookies"
    tossed = parse_cookie_header(attacker.jar.header(APP_ORIGIN + "/page"))[name]
    own = parse_cookie_header(victim.jar.header(APP_ORIGIN + "/page"))[name]
    reply = victim.send("GET", "/logout", f"{name}={tossed}; {name}={own}")
    victim.jar.store(APP_ORIGIN + "/logout", reply.set_cookie())
    assert victim.jar.cloudfront() == []
    assert not victim.opens(SEGMENT)


@pytest.mark.parametrize("driver", ["asgi", "wsgi"])
@pytest.mark.parametrize("new_address", ["198.51.100.9", "2001:db8::9"], ids=["ipv4", "ipv6"])
def test_through_the_middleware_a_replayed_state_never_mints_for_a_new_address(
    driver: str, new_address: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Through the ASGI and WSGI middlewares (Flask and Django share WSGI's decision), a state
    copied at login and replayed from another address, before and in the renewal window, gets
    nothing usable from that address."""
    browser, address = ip_browser(driver, rsa_key, clock)
    browser.get("/login?user=ana")
    address.append(new_address)
    for advance in (60, 24 * MINUTE):
        clock.advance(advance)
        browser.get("/page")
        assert media_from(browser, SEGMENT, new_address) != "allowed"
