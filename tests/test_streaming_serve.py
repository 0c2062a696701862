"""cfcookies.streaming.serve: the app's playlist route for players that cannot send cookies.

A logged-in session mints a capability link (``PlaylistServer.link``); the player fetches it with
no cookie at all and gets the playlist rewritten with the folder's signed query
(``PlaylistServer.answer``). The attacks come first: what a link must never open.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import anyio
import m3u8
import pytest
from mpegdash.parser import MPEGDASHParser

from cfcookies.exceptions import (
    ConfigurationError,
    IPAddressError,
    PlaylistLinkError,
    PlaylistNotFoundError,
    PlaylistSourceError,
    SessionRevokedError,
)
from cfcookies.grants import cookie_header_of, request_storage
from cfcookies.keys import PrivateKey
from cfcookies.policy import parse_policy
from cfcookies.revocation import LocalDenyList, SessionSecrets, check_session_request
from cfcookies.session import CloudFrontCookies
from cfcookies.signing import cf_b64decode
from cfcookies.streaming.routes import client_path, viewer_ip_async
from cfcookies.streaming.routes import viewer_ip as viewer_ip_of
from cfcookies.streaming.serve import PlaylistAnswer, PlaylistServer, link_salt
from cfcookies.verify import verify_request
from tests.browser_jar_support import Browser, base_options, make_browser, viewer_ip
from tests.jar import Jar
from tests.middleware_apps import (
    APP_ORIGIN,
    LOGIN_KEY,
    MEDIA_URL,
    Reply,
    django_app,
    flask_app,
    starlette_app,
)
from tests.support import RSA_KEY_ID, FakeClock

ROUTE = "/cfcookies/play"
MASTER = "/videos/course-1/master.m3u8"
VARIANT = "/videos/course-1/720p/index.m3u8"
OTHER_MASTER = "/videos/course-2/master.m3u8"
SESSION_SECRET = "session-secret-" + "x" * 32

MASTER_TEXT = (
    "#EXTM3U\n"
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",URI="audio/en.m3u8"\n'
    '#EXT-X-STREAM-INF:BANDWIDTH=800000,AUDIO="aud"\n'
    "720p/index.m3u8\n"
)
VARIANT_TEXT = (
    "#EXTM3U\n"
    "#EXT-X-TARGETDURATION:4\n"
    '#EXT-X-KEY:METHOD=AES-128,URI="../keys/k.bin"\n'
    "#EXTINF:4,\n"
    "seg-0001.ts\n"
    "#EXTINF:4,\n"
    "seg-0002.ts?v=2\n"
    "#EXTINF:4,\n"
    "/videos/course-2/seg-0001.ts\n"
    "#EXT-X-ENDLIST\n"
)
FILES = {
    MASTER: MASTER_TEXT.encode(),
    VARIANT: VARIANT_TEXT.encode(),
    "/videos/course-1/audio/en.m3u8": b"#EXTM3U\n#EXTINF:4,\nen-1.aac\n#EXT-X-ENDLIST\n",
    OTHER_MASTER: MASTER_TEXT.encode(),
    "/videos/course-2/720p/index.m3u8": VARIANT_TEXT.encode(),
}


class MemorySource:
    """A playlist source holding files in memory, recording every path it was asked for."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files = dict(FILES if files is None else files)
        self.fetched: list[str] = []

    def fetch(self, path: str) -> bytes:
        self.fetched.append(path)
        try:
            return self.files[path]
        except KeyError:
            raise PlaylistNotFoundError(f"no file at {path}") from None


@dataclass
class Site:
    """An app (raw WSGI behind the middleware) with a logged-in browser, and its server."""

    browser: Browser
    cookies: CloudFrontCookies
    source: MemorySource
    server: PlaylistServer
    clock: FakeClock
    key: PrivateKey
    closing: list[CloudFrontCookies] = field(default_factory=list)

    def request(self, cookie_header: str | None = None) -> dict[str, object]:
        """A WSGI environ carrying this browser's cookies for the app (or ``cookie_header``)."""
        header = (
            cookie_header
            if cookie_header is not None
            else self.browser.jar.header(APP_ORIGIN + "/")
        )
        return {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_COOKIE": header or ""}

    def link(self, path: str = MASTER, **options: object) -> str:
        return self.server.link(self.request(), path, **options)  # type: ignore[arg-type]

    def token(self, path: str = MASTER, **options: object) -> str:
        return token_of(self.link(path, **options))

    def judge(self, url: str, client_ip: str | None = None) -> str:
        """What CloudFront answers to ``url`` sent without cookies (from ``client_ip``)."""
        decision = verify_request(
            url,
            public_keys={RSA_KEY_ID: self.key.public_key()},
            now=self.clock.epoch,
            client_ip=client_ip,
        )
        return decision.reason or "allowed"


def token_of(link: str) -> str:
    assert link.startswith(ROUTE + "/")
    return link[len(ROUTE) + 1 :].split("/", 1)[0]


def make_site(
    key: PrivateKey, clock: FakeClock, *, driver: str = "wsgi", user: str = "ana", **overrides: Any
) -> Site:
    browser = make_browser(driver, key, clock, **overrides)
    assert browser.cookies is not None
    browser.get(f"/login?user={user}&uid=u-{user}")
    source = MemorySource()
    return Site(
        browser, browser.cookies, source, PlaylistServer(browser.cookies, source), clock, key
    )


@pytest.fixture
def site(rsa_key: PrivateKey, clock: FakeClock) -> Site:
    return make_site(rsa_key, clock)


@pytest.fixture
def revoking(rsa_key: PrivateKey, clock: FakeClock) -> Iterator[Site]:
    deny = LocalDenyList(clock=clock)
    made = make_site(
        rsa_key, clock, session_secrets=SessionSecrets(SESSION_SECRET), deny_list=deny, deny_wait=0
    )
    yield made
    made.cookies.close()


def uris(text: str) -> list[str]:
    """The URI lines of a playlist, and the URI attributes of its tags."""
    found = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            found.append(line)
        elif 'URI="' in line:
            found.append(line.split('URI="', 1)[1].split('"', 1)[0])
    return found


# --- attacks: what a link never opens ---------------------------------------------------------


def test_a_session_without_the_folder_gets_no_link(site: Site) -> None:
    with pytest.raises(PlaylistLinkError) as refused:
        site.link(OTHER_MASTER)
    assert refused.value.reason == "not_granted"


def test_a_request_without_a_session_gets_no_link(site: Site) -> None:
    with pytest.raises(PlaylistLinkError) as refused:
        site.server.link(site.request(cookie_header="user=ana"), MASTER)
    assert refused.value.reason == "no_session"


def test_an_expired_session_gets_no_link(site: Site) -> None:
    site.clock.advance(site.cookies.lifetime + site.cookies.granularity + 1)
    with pytest.raises(PlaylistLinkError) as refused:
        site.link()
    assert refused.value.reason == "session_expired"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        pytest.param("/videos/course-1/seg-0001.ts", "not_a_playlist", id="segment"),
        pytest.param("/videos/course-1/", "not_a_playlist", id="folder"),
        pytest.param("/videos/course-1/../course-2/master.m3u8", "unclean_path", id="dot-dot"),
        pytest.param("/videos/course-1/%2e%2e/course-2/master.m3u8", "unclean_path", id="enc-dots"),
        pytest.param("/videos/course-1//master.m3u8", "unclean_path", id="double-slash"),
        pytest.param("/videos/course-1/a\\b.m3u8", "unclean_path", id="backslash"),
        pytest.param("/videos/course-1/a%2Fb.m3u8", "unclean_path", id="encoded-slash"),
        pytest.param("/videos/course-1/a%5cb.m3u8", "unclean_path", id="encoded-backslash"),
        pytest.param("/videos/course-1/master.m3u8?x=1", "unclean_path", id="query"),
        pytest.param("videos/course-1/master.m3u8", "unclean_path", id="relative"),
        pytest.param("/videos/course-1/my master.m3u8", "unclean_path", id="raw-space"),
    ],
)
def test_a_path_that_is_not_a_clean_playlist_path_gets_no_link(
    site: Site, path: str, reason: str
) -> None:
    with pytest.raises(PlaylistLinkError) as refused:
        site.link(path)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(OTHER_MASTER, id="other-folder"),
        pytest.param("/videos/course-10/master.m3u8", id="prefix-sibling"),
        pytest.param("/videos/course-1/../course-2/master.m3u8", id="dot-dot"),
        pytest.param("/videos/course-1/%2e%2e/course-2/master.m3u8", id="encoded-dots"),
        pytest.param("/videos/course-1/%2E%2E/course-2/master.m3u8", id="encoded-dots-upper"),
        pytest.param("/videos/course-1/.%2e/course-2/master.m3u8", id="half-encoded"),
        pytest.param("/videos/course-1//../course-2/master.m3u8", id="double-slash"),
        pytest.param("/videos/course-1/..\\course-2\\master.m3u8", id="backslash"),
        pytest.param("/videos/course-1/..%5Ccourse-2%5Cmaster.m3u8", id="encoded-backslash"),
        pytest.param("/videos/course-1/..%2Fcourse-2%2Fmaster.m3u8", id="encoded-slash"),
        pytest.param("/videos/course-1/seg-0001.ts", id="segment"),
        pytest.param("/videos/course-1/master.m3u8\x00.ts", id="nul"),
        pytest.param("", id="empty"),
    ],
)
def test_a_course_1_link_opens_nothing_outside_course_1(site: Site, path: str) -> None:
    """The answer is 403, and the source is never asked."""
    answer = site.server.answer(site.token(), path)
    assert answer.status == 403
    assert site.source.fetched == []
    assert b"course" not in answer.body


def tampered(token: str) -> list[str]:
    """``token`` with one character of its payload, then of its signature, changed."""
    payload, _, signature = token.rpartition(".")
    flip = {"A": "B"}
    first = payload[:5] + flip.get(payload[5], "A") + payload[6:]
    last = signature[:-2] + flip.get(signature[-2], "A") + signature[-1]
    return [first + "." + signature, payload + "." + last, payload, token + "x", "x" + token]


def test_a_tampered_token_is_refused(site: Site) -> None:
    token = site.token()
    for forged in tampered(token):
        assert forged != token
        assert site.server.answer(forged, MASTER).status == 403, forged
    assert site.source.fetched == []


def test_a_token_signed_with_another_secret_is_refused(
    site: Site, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    other = make_site(rsa_key, clock, state_secret="another-state-secret-" + "y" * 32)
    assert other.server.answer(other.token(), MASTER).status == 200
    assert site.server.answer(other.token(), MASTER).status == 403


def test_a_link_for_another_distribution_opens_nothing_here(
    site: Site, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """The same state secret, another media URL: another key."""
    other = make_site(rsa_key, clock, media_url="https://cdn.example.test")
    assert other.server.answer(other.token(), MASTER).status == 200
    assert site.server.answer(other.token(), MASTER).status == 403


def test_a_state_cookie_is_not_a_token(site: Site) -> None:
    """Signed with the same secret, but not for links (another salt)."""
    header = site.browser.jar.header(APP_ORIGIN + "/") or ""
    state = dict(part.split("=", 1) for part in header.split("; "))[site.cookies.state_cookie_name]
    assert site.server.answer(state, MASTER).status == 403


def test_an_expired_link_is_refused(site: Site) -> None:
    token = site.token()
    site.clock.advance(site.cookies.lifetime - 1)
    assert site.server.answer(token, MASTER).status == 200
    site.clock.advance(1)
    assert site.server.answer(token, MASTER).status == 403


def test_a_link_bound_to_an_ip_gives_a_query_that_only_verifies_for_that_ip(site: Site) -> None:
    token = site.token(ip_address="203.0.113.7")
    answer = site.server.answer(token, VARIANT)
    assert answer.status == 200
    segment = next(u for u in uris(answer.body.decode()) if "/course-1/720p/seg-0001" in u)
    assert site.judge(segment, client_ip="203.0.113.7") == "allowed"
    assert site.judge(segment, client_ip="198.51.100.9") == "ip_mismatch"
    assert site.server.answer(token, VARIANT, client_ip="198.51.100.9").status == 403
    assert site.server.answer(token, VARIANT, client_ip="203.0.113.7").status == 200


def test_a_revoked_sessions_links_are_refused(revoking: Site) -> None:
    token = revoking.token()
    assert revoking.server.answer(token, MASTER).status == 200
    state, _ = revoking.cookies.read_state(revoking.browser.jar.header(APP_ORIGIN + "/"))
    assert state is not None
    assert state.session_id
    assert anyio.run(revoking.server.link_async, revoking.request(), MASTER).startswith(ROUTE)
    revoking.cookies.revoke_session(state.session_id)
    assert revoking.server.answer(token, MASTER).status == 403
    with pytest.raises(PlaylistLinkError) as refused:
        revoking.link()
    assert refused.value.reason == "revoked"
    with pytest.raises(PlaylistLinkError, match="revoked"):
        anyio.run(revoking.server.link_async, revoking.request(), MASTER)


def test_a_revoked_users_links_are_refused(revoking: Site) -> None:
    token = revoking.token()
    revoking.cookies.revoke_user("u-ana")
    assert revoking.server.answer(token, MASTER).status == 403


class BrokenDenyList(LocalDenyList):
    """A deny-list whose store cannot be read."""

    def is_revoked(self, session_id: str, user_id: str | None, *, issued_at: int, now: int) -> bool:
        raise OSError("the store is down")


def test_a_deny_list_that_cannot_be_read_refuses_links_and_answers(revoking: Site) -> None:
    """Fail closed."""
    token = revoking.token()
    broken = BrokenDenyList(clock=revoking.clock)
    revoking.cookies.deny_list = broken
    assert revoking.server.answer(token, MASTER).status == 403
    with pytest.raises(PlaylistLinkError) as refused:
        revoking.link()
    assert refused.value.reason == "deny_list_unavailable"


def test_segments_never_pass_through_the_app(site: Site) -> None:
    answer = site.server.answer(site.token(), "/videos/course-1/720p/seg-0001.ts")
    assert (answer.status, site.source.fetched) == (403, [])


def test_the_answer_is_a_playlist_answer(site: Site) -> None:
    answer = site.server.answer(site.token(), MASTER)
    assert isinstance(answer, PlaylistAnswer)
    assert answer.status == 200
    query_urls = [u for u in uris(answer.body.decode()) if "Policy=" in u]
    assert all(urlsplit(u).netloc == urlsplit(MEDIA_URL).netloc for u in query_urls)
    assert all(dict(parse_qsl(urlsplit(u).query))["Key-Pair-Id"] == RSA_KEY_ID for u in query_urls)


# --- through each framework: a logged-in session's link, fetched without any cookie -------------

FRAMEWORKS = ["starlette", "flask", "django"]
#: A playlist whose name holds a space: percent-encoded in the link, decoded by the framework.
SPACED = "/videos/course-1/my%20talk.m3u8"


@dataclass
class App:
    """One framework's app with the login routes of ``tests/middleware_apps.py``, ``/mint``
    (a view calling ``server.link``) and the playlist route; a cookie jar in front of it."""

    send: Callable[[str, str | None, dict[str, str]], Reply]
    cookies: CloudFrontCookies
    server: PlaylistServer
    source: MemorySource
    clock: FakeClock
    key: PrivateKey
    jar: Jar = field(default_factory=Jar)

    def get(
        self, path: str, *, cookies: bool = True, headers: dict[str, str] | None = None
    ) -> Reply:
        url = APP_ORIGIN + path
        reply = self.send(path, self.jar.header(url) if cookies else None, headers or {})
        if cookies:
            self.jar.store(url, reply.set_cookie())
        return reply

    def mint(self, path: str = MASTER, headers: dict[str, str] | None = None) -> Reply:
        return self.get(f"/mint?path={quote(path, safe='')}", headers=headers)

    def judge(self, url: str, client_ip: str | None = None) -> str:
        decision = verify_request(
            url,
            public_keys={RSA_KEY_ID: self.key.public_key()},
            now=self.clock.epoch,
            client_ip=client_ip,
        )
        return decision.reason or "allowed"


def mint_answer(server: PlaylistServer, request: Any, path: str, ip: str | None) -> tuple[int, str]:
    """What the test apps' ``/mint`` view answers: 200 and the link, or 403 and the reason."""
    try:
        return 200, server.link(request, path, ip_address=ip)
    except PlaylistLinkError as exc:
        return 403, exc.reason


def starlette_harness(options: dict[str, Any], source: MemorySource) -> App:
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    cookies = CloudFrontCookies(**options)
    server = PlaylistServer(cookies, source)
    app = starlette_app(cookies, declarative=False)

    def mint(request: Request) -> PlainTextResponse:
        params = request.query_params
        status, text = mint_answer(server, request, params["path"], params.get("ip"))
        return PlainTextResponse(text, status_code=status)

    app.router.routes.extend([Route("/mint", mint), server.starlette_route()])
    client = TestClient(app, base_url=APP_ORIGIN)

    def send(path: str, cookie: str | None, headers: dict[str, str]) -> Reply:
        client.cookies.clear()
        sent = {**headers, **({"cookie": cookie} if cookie else {})}
        response = client.get(path, headers=sent)
        return Reply(response.status_code, list(response.headers.multi_items()), response.content)

    return App(send, cookies, server, source, options["clock"], options["private_key"])


def flask_harness(options: dict[str, Any], source: MemorySource) -> App:
    from flask import request

    app = flask_app(options, declarative=False)
    cookies = app.extensions["cfcookies"].cookies
    server = PlaylistServer(cookies, source)
    server.flask_route(app)

    def mint() -> tuple[str, int]:
        status, text = mint_answer(server, request, request.args["path"], request.args.get("ip"))
        return text, status

    app.add_url_rule("/mint", view_func=mint)

    client = app.test_client(use_cookies=False)

    def send(path: str, cookie: str | None, headers: dict[str, str]) -> Reply:
        sent = {"Host": "app.example.test", **headers, **({"Cookie": cookie} if cookie else {})}
        response = client.get(path, headers=sent, base_url=APP_ORIGIN)
        return Reply(response.status_code, list(response.headers.items()), response.get_data())

    return App(send, cookies, server, source, options["clock"], options["private_key"])


#: The URL patterns of the Django harness (ROOT_URLCONF while it runs).
urlpatterns: list[Any] = []


def django_harness(options: dict[str, Any], source: MemorySource) -> App:
    from django.http import HttpRequest, HttpResponse
    from django.test import Client, override_settings
    from django.urls import clear_url_caches
    from django.urls import path as url_path

    from tests import middleware_apps

    settings = django_app(options, declarative=False)
    cookies = CloudFrontCookies(**settings)  # the middleware builds its own from the same settings
    server = PlaylistServer(cookies, source)

    def mint(request: HttpRequest) -> HttpResponse:
        status, text = mint_answer(server, request, request.GET["path"], request.GET.get("ip"))
        return HttpResponse(text, status=status)

    urlpatterns[:] = [*middleware_apps.urlpatterns, url_path("mint", mint), *server.django_urls()]
    clear_url_caches()

    def send(path: str, cookie: str | None, headers: dict[str, str]) -> Reply:
        # (RAW_URI as gunicorn sets it; every other name is a request header)
        meta = {
            name if name == "RAW_URI" else "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in headers.items()
        }
        if cookie:
            meta["HTTP_COOKIE"] = cookie
        with override_settings(CFCOOKIES=settings, ROOT_URLCONF=__name__):
            response = Client(HTTP_HOST="app.example.test").get(path, secure=True, **meta)
        headers_out = list(response.items())
        headers_out.extend(
            ("Set-Cookie", c.output(header="").strip()) for c in response.cookies.values()
        )
        return Reply(response.status_code, headers_out, response.content)

    return App(send, cookies, server, source, options["clock"], options["private_key"])


HARNESSES = {"starlette": starlette_harness, "flask": flask_harness, "django": django_harness}


def harness(framework: str, key: PrivateKey, clock: FakeClock, **overrides: Any) -> App:
    source = MemorySource({**FILES, SPACED: MASTER_TEXT.encode()})
    return HARNESSES[framework](base_options(key, clock, **overrides), source)


@pytest.fixture(params=FRAMEWORKS)
def app(request: pytest.FixtureRequest, rsa_key: PrivateKey, clock: FakeClock) -> App:
    made = harness(str(request.param), rsa_key, clock)
    assert made.get("/login?user=ana").status == 200
    return made


def test_a_logged_in_session_plays_a_folder_through_links_fetched_without_cookies(
    app: App,
) -> None:
    """The master comes through the link, its variant through the link it holds, and every
    segment and key of the variant verifies with the query alone."""
    minted = app.mint()
    assert minted.status == 200
    link = minted.body.decode()
    assert link.startswith(f"{ROUTE}/")
    assert link.endswith(MASTER)

    master = app.get(link, cookies=False)
    assert master.status == 200
    parsed = m3u8.loads(master.body.decode())
    variant_link = parsed.playlists[0].uri
    audio_link = parsed.media[0].uri
    assert variant_link == f"{ROUTE}/{token_of(link)}{VARIANT}"
    assert audio_link == f"{ROUTE}/{token_of(link)}/videos/course-1/audio/en.m3u8"

    variant = app.get(variant_link, cookies=False)
    assert variant.status == 200
    media = m3u8.loads(variant.body.decode())
    inside = [segment.uri for segment in media.segments[:2]] + [media.keys[0].uri]
    assert [urlsplit(uri).path for uri in inside] == [
        "/videos/course-1/720p/seg-0001.ts",
        "/videos/course-1/720p/seg-0002.ts",
        "/videos/course-1/keys/k.bin",
    ]
    for uri in inside:
        assert app.judge(uri) == "allowed", uri
    outside = media.segments[2].uri
    assert outside == MEDIA_URL + "/videos/course-2/seg-0001.ts"
    assert app.judge(outside + "?" + urlsplit(inside[0]).query) == "resource_mismatch"
    assert app.get(audio_link, cookies=False).status == 200


def test_fastapi_serves_the_starlette_route(site: Site) -> None:
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    app = FastAPI()
    app.router.routes.append(site.server.starlette_route())
    reply = TestClient(app, base_url=APP_ORIGIN).get(site.link())
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/vnd.apple.mpegurl"


def test_every_answer_is_private_uncacheable_and_readable_cross_origin(app: App) -> None:
    link = app.mint().body.decode()
    for reply, content_type in (
        (app.get(link, cookies=False), "application/vnd.apple.mpegurl"),
        (app.get(link.replace("master", "missing"), cookies=False), "text/plain; charset=utf-8"),
        (app.get(link + "x", cookies=False), "text/plain; charset=utf-8"),
    ):
        assert reply.header("content-type") == content_type
        assert reply.header("cache-control") == "private, no-store"
        assert reply.header("access-control-allow-origin") == "*"
        assert reply.header("access-control-allow-credentials") is None
        assert reply.header("x-content-type-options") == "nosniff"
        assert reply.set_cookie() == []
    assert [r.status for r in (app.get(link.replace("master", "missing"), cookies=False),)] == [404]


def test_a_session_without_the_folder_is_refused_a_link_by_the_view(app: App) -> None:
    assert (app.mint(OTHER_MASTER).status, app.mint(OTHER_MASTER).body) == (403, b"not_granted")


def test_a_name_percent_encoded_in_the_link_is_served(app: App) -> None:
    """The framework decodes ``%20``; the route finds the name as the link wrote it."""
    link = app.mint(SPACED).body.decode()
    assert link.endswith(SPACED)
    assert app.get(link, cookies=False).status == 200
    assert app.source.fetched[-1] == SPACED


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("/videos/course-2/master.m3u8", id="other-folder"),
        pytest.param("/videos/course-1/%2e%2e/course-2/master.m3u8", id="encoded-dots"),
        pytest.param("/videos/course-1/%2E%2E/course-2/master.m3u8", id="encoded-dots-upper"),
        pytest.param("/videos/course-1/..%2Fcourse-2%2Fmaster.m3u8", id="encoded-slash"),
        pytest.param("/videos/course-1/..%5Ccourse-2%5Cmaster.m3u8", id="encoded-backslash"),
        pytest.param("/videos/course-1//master.m3u8", id="double-slash"),
        pytest.param("/videos/course-1/seg-0001.ts", id="segment"),
        pytest.param("/videos/course-1/master.m3u8%00", id="nul"),
        pytest.param("/videos/course-1/../course-2/master.m3u8", id="dot-dot"),
    ],
)
def test_a_course_1_link_opens_nothing_else_through_the_framework(app: App, tail: str) -> None:
    token = token_of(app.mint().body.decode())
    reply = app.get(f"{ROUTE}/{token}{tail}", cookies=False)
    assert reply.status == 403
    assert app.source.fetched == []
    assert not reply.body.startswith(b"#EXTM3U")


def test_an_encoded_slash_is_refused_as_written_not_decoded_into_another_file(app: App) -> None:
    """``a%2Fb.m3u8`` is not ``a/b.m3u8``: the route reads the raw path where the server
    keeps it (Django's test client keeps none: gunicorn's RAW_URI is given by hand)."""
    app.source.files["/videos/course-1/a/b.m3u8"] = MASTER_TEXT.encode()
    token = token_of(app.mint().body.decode())
    target = f"{ROUTE}/{token}/videos/course-1/a%2Fb.m3u8"
    raw = {"RAW_URI": target} if app.send.__qualname__.startswith("django") else {}
    assert app.get(target, cookies=False, headers=raw).status == 403
    assert app.source.fetched == []


@pytest.mark.parametrize(
    ("decoded", "raw", "expected"),
    [
        pytest.param("/v/a b.m3u8", b"/p/TOK/v/a%20b.m3u8", "/v/a%20b.m3u8", id="raw-bytes"),
        pytest.param("/v/a b.m3u8", "/p/TOK/v/a%20b.m3u8?x=1", "/v/a%20b.m3u8", id="raw-query"),
        pytest.param("/v/a/b.m3u8", "/p/TOK/v/a%2Fb.m3u8", "/v/a%2Fb.m3u8", id="raw-kept"),
        pytest.param("/v/a b.m3u8", None, "/v/a%20b.m3u8", id="no-raw"),
        pytest.param("/v/a b.m3u8", "/p/OTHER/v/a%20b.m3u8", "/v/a%20b.m3u8", id="no-token"),
        pytest.param("/v/c.m3u8", "/p/TOK/v/a.m3u8", "/v/c.m3u8", id="another-request"),
        pytest.param("/v/a.m3u8", "https://app/p/TOK/v/a.m3u8", "/v/a.m3u8", id="absolute"),
        pytest.param("/v/100%.m3u8", None, "/v/100%25.m3u8", id="percent"),
        pytest.param("/v/a,b;c.m3u8", None, "/v/a%2Cb%3Bc.m3u8", id="separators"),
        pytest.param("/v/é.m3u8", None, "/v/%C3%A9.m3u8", id="non-ascii"),
    ],
)
def test_the_media_path_is_read_as_the_client_wrote_it(
    decoded: str, raw: object, expected: str
) -> None:
    assert client_path("TOK", decoded, raw) == expected


# --- the viewer's address ------------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_link_bound_to_the_sessions_address_is_refused_to_another_viewer(
    framework: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """With the cookies' client_ip option, the session's cookies, its link and the query are
    bound to the viewer's IPv4; the route refuses the link from another address."""
    app = harness(framework, rsa_key, clock, client_ip=viewer_ip)
    viewer = {"x-viewer-ip": "203.0.113.7"}
    assert app.get("/login?user=ana", headers=viewer).status == 200
    link = app.mint(headers=viewer).body.decode()
    assert app.get(link, cookies=False, headers={"x-viewer-ip": "198.51.100.9"}).status == 403
    served = app.get(link, cookies=False, headers=viewer)
    assert served.status == 200
    variant = m3u8.loads(served.body.decode()).playlists[0].uri
    segment = (
        m3u8.loads(app.get(variant, cookies=False, headers=viewer).body.decode()).segments[0].uri
    )
    assert app.judge(segment, client_ip="203.0.113.7") == "allowed"
    assert app.judge(segment, client_ip="198.51.100.9") == "ip_mismatch"
    assert app.get(link, cookies=False).status == 200  # no address known: CloudFront checks


@pytest.mark.parametrize(
    ("given", "bound"),
    [
        pytest.param("203.0.113.7", "203.0.113.7/32", id="ipv4"),
        pytest.param("::ffff:203.0.113.7", "203.0.113.7/32", id="ipv4-mapped"),
        pytest.param("2001:db8::1", None, id="ipv6-unbound"),
    ],
)
def test_an_explicit_address_binds_the_query_as_the_cookies_are_bound(
    site: Site, given: str, bound: str | None
) -> None:
    answer = site.server.answer(site.token(ip_address=given), VARIANT)
    segment = m3u8.loads(answer.body.decode()).segments[0].uri
    policy = parse_policy(cf_b64decode(dict(parse_qsl(urlsplit(segment).query))["Policy"]))
    assert policy.ip_address == bound


@pytest.mark.parametrize("address", ["", "not-an-ip", "10.0.0.0/8", 5])
def test_an_address_that_is_none_is_refused(site: Site, address: Any) -> None:
    with pytest.raises(IPAddressError, match="ip_address must be the viewer's IP address"):
        site.link(ip_address=address)


def test_an_async_client_ip_option_is_awaited_under_starlette_and_refused_by_sync_views(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    async def async_ip(request: Any) -> str | None:
        return viewer_ip(request)

    app = harness("starlette", rsa_key, clock, client_ip=async_ip)
    viewer = {"x-viewer-ip": "203.0.113.7"}
    app.get("/login?user=ana", headers=viewer)
    link = app.mint(headers=viewer).body.decode()
    assert app.get(link, cookies=False, headers=viewer).status == 200
    assert app.get(link, cookies=False, headers={"x-viewer-ip": "198.51.100.9"}).status == 403
    with pytest.raises(ConfigurationError, match="client_ip option is async"):
        viewer_ip_of(app.server, object())
    plain = PlaylistServer(CloudFrontCookies(**base_options(rsa_key, clock)), MemorySource())
    assert anyio.run(viewer_ip_async, plain, object()) is None
    assert viewer_ip_of(plain, object()) is None


# --- DASH --------------------------------------------------------------------------------------

MPD = "/videos/course-1/dash/manifest.mpd"
MPD_TEXT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT8S" '
    'profiles="urn:mpeg:dash:profile:isoff-live:2011"><Period id="p0">'
    '<AdaptationSet id="1" mimeType="video/mp4">'
    '<SegmentTemplate media="v-$Number$.m4s" initialization="v-init.mp4" startNumber="1" '
    'duration="4" timescale="1"/>'
    '<Representation id="v1" bandwidth="500000"/></AdaptationSet></Period></MPD>\n'
)


def test_a_dash_manifest_is_served_with_the_query_on_its_templates(site: Site) -> None:
    site.source.files[MPD] = MPD_TEXT.encode()
    answer = site.server.answer(site.token(MPD), MPD)
    assert answer.status == 200
    assert dict(answer.headers)["Content-Type"] == "application/dash+xml"
    manifest = MPEGDASHParser.parse(answer.body.decode())
    base = manifest.base_urls[0].base_url_value
    template = manifest.periods[0].adaptation_sets[0].segment_templates[0]
    assert base == MEDIA_URL + "/videos/course-1/dash/"
    for reference in (template.media.replace("$Number$", "7"), template.initialization):
        assert site.judge(base + reference) == "allowed", reference


# --- what the source answers ------------------------------------------------------------------


class FailingSource(MemorySource):
    def fetch(self, path: str) -> bytes:
        raise PlaylistSourceError("s3://bucket/videos/course-1/master.m3u8: GetObject failed")


def records(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.__dict__.get("event") == event]


def test_a_nested_playlist_whose_uri_players_could_read_two_ways_is_left_unsigned(
    site: Site,
) -> None:
    """A raw space is not a URI character: such a URI is neither signed nor linked (the player
    gets a 403 at the edge for it), and the rest of the playlist is served."""
    site.source.files[MASTER] = b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nmy talk.m3u8\n"
    answer = site.server.answer(site.token(), MASTER)
    assert answer.status == 200
    assert (
        answer.body.decode().splitlines()[-1]
        == "https://media.example.test/videos/course-1/my talk.m3u8"
    )


def test_a_missing_playlist_is_a_404_and_logged(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cfcookies"):
        answer = site.server.answer(site.token(), "/videos/course-1/missing.m3u8")
    assert answer.status == 404
    assert [r.__dict__["path"] for r in records(caplog, "cfcookies.playlist.not_found")] == [
        "/videos/course-1/missing.m3u8"
    ]


@pytest.mark.parametrize(
    ("data", "event"),
    [
        pytest.param(None, "cfcookies.playlist.source_failed", id="source-fails"),
        pytest.param(b"<html>not a playlist</html>", "cfcookies.playlist.unrewritable", id="html"),
        pytest.param(b"\xef\xbb\xbf#EXTM3U\n", "cfcookies.playlist.unrewritable", id="bom"),
        pytest.param(b"#EXTM3U\n\xff\n", "cfcookies.playlist.unrewritable", id="not-utf-8"),
        pytest.param(
            b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nvariant.php\n",
            "cfcookies.playlist.unrewritable",
            id="nested-not-m3u8",
        ),
    ],
)
def test_a_playlist_that_cannot_be_served_is_a_502_logged_without_token_or_query(
    site: Site, caplog: pytest.LogCaptureFixture, data: bytes | None, event: str
) -> None:
    if data is None:
        site.server.source = FailingSource()
    else:
        site.source.files[MASTER] = data
    token = site.token()
    with caplog.at_level(logging.INFO, logger="cfcookies"):
        answer = site.server.answer(token, MASTER)
    assert (answer.status, answer.body) == (
        502,
        b"502 Bad Gateway: the playlist could not be served.\n",
    )
    [record] = records(caplog, event)
    assert record.levelno == logging.ERROR
    assert record.__dict__["path"] == MASTER
    for text in (record.getMessage(), str(record.__dict__)):
        assert token not in text
        assert "Signature=" not in text
    assert site.cookies.metrics.value("playlist_failures") == 1


def test_refusals_are_logged_with_their_reason_and_never_the_token(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    token = site.token()
    with caplog.at_level(logging.INFO, logger="cfcookies"):
        site.server.answer(token, OTHER_MASTER)
        site.server.answer(token + "x", MASTER)
        site.server.answer(token, "/videos/course-1/x.ts")
    refused = records(caplog, "cfcookies.playlist.refused")
    assert [r.__dict__["reason"] for r in refused] == ["not_granted", "bad_token", "not_a_playlist"]
    assert all(token not in r.getMessage() + str(r.__dict__) for r in refused)
    assert site.cookies.metrics.value("playlists_refused") == 3


def test_links_served_and_refused_are_counted(site: Site) -> None:
    token = site.token()
    site.server.answer(token, MASTER)
    site.server.answer(token, VARIANT)
    site.server.answer(token, OTHER_MASTER)
    values = site.cookies.metrics.snapshot()
    assert (values["playlist_links"], values["playlists_served"]) == (1, 2)
    assert (values["playlists_refused"], values["playlist_failures"]) == (1, 0)


# --- lifetimes -----------------------------------------------------------------------------------


def segment_of(answer: PlaylistAnswer) -> str:
    return str(m3u8.loads(answer.body.decode()).segments[0].uri)


def test_by_default_the_query_lasts_as_the_cookies_do(site: Site) -> None:
    segment = segment_of(site.server.answer(site.token(), VARIANT))
    site.clock.advance(site.cookies.expiry_for(site.cookies.now()) - site.clock.epoch)
    assert site.judge(segment) == "expired"


def test_a_vod_query_lifetime_covers_the_viewing(site: Site) -> None:
    """A VOD player fetches its media playlist once: the query must outlive the film."""
    server = PlaylistServer(site.cookies, site.source, query_lifetime=timedelta(hours=3))
    token = token_of(server.link(site.request(), MASTER))
    segment = segment_of(server.answer(token, VARIANT))
    site.clock.advance(3 * 3600 - 1)
    assert site.judge(segment) == "allowed"
    site.clock.advance(site.cookies.granularity)
    assert site.judge(segment) == "expired"


def test_a_live_link_lasts_its_lifetime_and_each_reload_gets_a_fresh_query(site: Site) -> None:
    server = PlaylistServer(site.cookies, site.source, link_lifetime=timedelta(hours=4))
    token = token_of(server.link(site.request(), MASTER))
    first = segment_of(server.answer(token, VARIANT))
    site.clock.advance(4 * 3600 - 1)
    assert site.judge(first) == "expired"
    assert site.judge(segment_of(server.answer(token, VARIANT))) == "allowed"
    site.clock.advance(1)
    assert server.answer(token, VARIANT).status == 403


def test_a_link_never_outlives_the_last_cookie_its_session_could_hold(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """max_session_age + lifetime + granularity from the session's start: a deny-list entry,
    which lasts that long, outlives every link of the session it denies."""
    site = make_site(rsa_key, clock, max_session_age=timedelta(hours=1))
    server = PlaylistServer(site.cookies, site.source, link_lifetime=timedelta(days=2))
    token = token_of(server.link(site.request(), MASTER))
    clock.advance(site.cookies.revocation_horizon - 1)
    assert server.answer(token, MASTER).status == 200
    clock.advance(1)
    assert server.answer(token, MASTER).status == 403


def test_without_a_maximum_session_age_a_link_lasts_its_whole_lifetime(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    site = make_site(rsa_key, clock, max_session_age=None)
    server = PlaylistServer(site.cookies, site.source, link_lifetime=timedelta(days=2))
    token = token_of(server.link(site.request(), MASTER))
    clock.advance(2 * 86400 - 1)
    assert server.answer(token, MASTER).status == 200


def test_session_ids_without_a_deny_list_mint_links_that_open(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    site = make_site(rsa_key, clock, session_secrets=SessionSecrets(SESSION_SECRET))
    assert site.server.answer(site.token(), MASTER).status == 200


def test_a_session_past_its_maximum_age_gets_no_link(rsa_key: PrivateKey, clock: FakeClock) -> None:
    site = make_site(rsa_key, clock, max_session_age=timedelta(minutes=10))
    clock.advance(10 * 60 + 1)
    with pytest.raises(PlaylistLinkError) as refused:
        site.link()
    assert refused.value.reason == "session_expired"


# --- the app's session binding -------------------------------------------------------------------


def app_session(request: Any) -> str | None:
    """The test apps' session_binding: the user the login route just logged in, or the
    ``user`` cookie it set."""
    storage = request_storage(request)
    if LOGIN_KEY in storage:
        return str(storage[LOGIN_KEY]) or None
    header = cookie_header_of(storage) or ""
    cookies = dict(part.split("=", 1) for part in header.split("; ") if "=" in part)
    return cookies.get("user")


def test_a_state_issued_to_another_app_session_gets_no_link(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    site = make_site(rsa_key, clock, session_binding=app_session)
    assert site.link().startswith(ROUTE + "/")
    header = site.browser.jar.header(APP_ORIGIN + "/") or ""
    for other in (header.replace("user=ana", "user=ben"), header.replace("user=ana", "x=1")):
        with pytest.raises(PlaylistLinkError) as refused:
            site.server.link(site.request(cookie_header=other), MASTER)
        assert refused.value.reason == "no_session"


def test_an_async_session_binding_needs_link_async(rsa_key: PrivateKey, clock: FakeClock) -> None:
    async def async_session(request: Any) -> str | None:
        return app_session(request)

    site = make_site(rsa_key, clock, driver="asgi", session_binding=async_session)
    with pytest.raises(ConfigurationError, match="link_async"):
        site.link()
    link = anyio.run(site.server.link_async, site.request(), MASTER)
    assert site.server.answer(token_of(link), MASTER).status == 200


@pytest.mark.parametrize("binding", [None, app_session], ids=["no-binding", "sync-binding"])
def test_link_async_is_link_for_a_synchronous_app(
    rsa_key: PrivateKey, clock: FakeClock, binding: Any
) -> None:
    site = make_site(rsa_key, clock, session_binding=binding)
    link = anyio.run(site.server.link_async, site.request(), MASTER)
    assert site.server.answer(token_of(link), MASTER).status == 200


# --- the token --------------------------------------------------------------------------------


def test_a_link_is_path_safe_and_names_the_playlist(site: Site) -> None:
    link = site.link()
    assert re.fullmatch(rf"{ROUTE}/[A-Za-z0-9_.\-]+{MASTER}", link)
    assert len(link) < 300


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([1, 2], id="not-a-mapping"),
        pytest.param({"e": 2_000_000_000}, id="no-folder"),
        pytest.param({"f": "/videos/course-1/", "e": "2000000000"}, id="expiry-text"),
        pytest.param({"f": "/videos/../", "e": 2_000_000_000}, id="unclean-folder"),
        pytest.param({"f": "/videos/course-1", "e": 2_000_000_000}, id="unnormalised-folder"),
        pytest.param({"f": 5, "e": 2_000_000_000}, id="folder-number"),
        pytest.param({"f": "/videos/course-1/", "e": 2_000_000_000, "i": "::1"}, id="ipv6"),
        pytest.param({"f": "/videos/course-1/", "e": 2_000_000_000, "g": "0"}, id="start-text"),
    ],
)
def test_a_signed_payload_that_is_not_a_link_is_refused(site: Site, payload: object) -> None:
    """Signed with the right key and salt, but not what link() writes."""
    token = site.cookies.codec.token_codec(link_salt(MEDIA_URL)).dumps(payload)  # type: ignore[arg-type]
    assert site.server.answer(token, MASTER).status == 403


def test_a_link_from_before_edge_revocation_is_refused_once_it_is_on(
    site: Site, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A link without a session ID cannot be checked against the deny-list: refused."""
    token = site.token()
    revoking = CloudFrontCookies(
        **base_options(
            rsa_key,
            clock,
            session_secrets=SessionSecrets(SESSION_SECRET),
            deny_list=LocalDenyList(clock=clock),
        )
    )
    server = PlaylistServer(revoking, site.source)
    try:
        assert server.answer(token, MASTER).status == 403
        with pytest.raises(PlaylistLinkError) as refused:
            server.link(site.request(), MASTER)
        assert refused.value.reason == "no_session"
    finally:
        revoking.close()


def test_a_token_codec_needs_a_salt_of_its_own(site: Site) -> None:
    with pytest.raises(ValueError, match="salt of its own"):
        site.cookies.codec.token_codec("cfcookies.state.v1")
    codec = site.cookies.codec.token_codec(link_salt(MEDIA_URL))
    assert repr(codec) == "TokenCodec(<secrets hidden>)"
    assert codec.loads("x" * 5000) is None
    assert codec.loads(5) is None  # type: ignore[arg-type]


def test_a_link_signed_with_a_rotated_out_secret_still_opens_while_it_is_listed(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    old = "old-state-secret-" + "o" * 32
    site = make_site(rsa_key, clock, state_secret=old)
    token = site.token()
    rotated = CloudFrontCookies(**base_options(rsa_key, clock, state_secret=["n" * 40, old]))
    assert PlaylistServer(rotated, site.source).answer(token, MASTER).status == 200
    dropped = CloudFrontCookies(**base_options(rsa_key, clock, state_secret="n" * 40))
    assert PlaylistServer(dropped, site.source).answer(token, MASTER).status == 403


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"route": "play"}, "route must be a clean path", id="relative-route"),
        pytest.param({"route": "/play/"}, "route must be a clean path", id="trailing-slash"),
        pytest.param({"route": "/a//b"}, "route must be a clean path", id="double-slash"),
        pytest.param({"route": "/a/../b"}, "route must be a clean path", id="dots"),
        pytest.param({"route": "/a b"}, "route must be a clean path", id="space"),
        pytest.param({"route": None}, "route must be a clean path", id="none"),
        pytest.param({"link_lifetime": 0}, "link_lifetime must be at least", id="link-zero"),
        pytest.param({"query_lifetime": -5}, "query_lifetime must be at least", id="query-neg"),
        pytest.param({"query_lifetime": 1.5}, "query_lifetime must be a timedelta", id="float"),
        pytest.param({"source": object()}, "source must be a PlaylistSource", id="source"),
    ],
)
def test_settings_that_cannot_work_are_refused_at_start_up(
    site: Site, options: dict[str, Any], message: str
) -> None:
    source = options.pop("source", site.source)
    with pytest.raises(ConfigurationError, match=message):
        PlaylistServer(site.cookies, source, **options)


def test_a_media_url_with_capitals_in_its_host_is_refused(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    cookies = CloudFrontCookies(
        **base_options(rsa_key, clock, media_url="https://Media.example.test")
    )
    with pytest.raises(ConfigurationError, match="lower case"):
        PlaylistServer(cookies, MemorySource())


def test_the_repr_names_the_route_and_the_lifetimes(site: Site) -> None:
    server = PlaylistServer(site.cookies, site.source, route="/play", query_lifetime=7200)
    assert repr(server).startswith("PlaylistServer(route='/play', source=")
    assert repr(server).endswith(f"link_lifetime={site.cookies.lifetime}, query_lifetime=7200)")


def test_the_route_answers_get_and_head_only(rsa_key: PrivateKey, clock: FakeClock) -> None:
    app = harness("django", rsa_key, clock)
    app.get("/login?user=ana")
    link = app.mint().body.decode()
    from django.test import Client, override_settings

    with override_settings(CFCOOKIES=base_options(rsa_key, clock), ROOT_URLCONF=__name__):
        client = Client(HTTP_HOST="app.example.test")
        assert client.post(link, secure=True).status_code == 405
        head = client.head(link, secure=True)
    assert (head.status_code, head.content) == (200, b"")


def test_with_revocation_every_signed_uri_carries_the_sessions_token_until_logout(
    revoking: Site,
) -> None:
    """The edge's session check (the Function, SessionCheck) refuses a query without its
    token: the rewritten URIs carry it, it passes, and the session's revocation reaches it."""
    answer = revoking.server.answer(revoking.token(), VARIANT)
    assert answer.status == 200
    signed = [u for u in uris(answer.body.decode()) if "Signature=" in u]
    assert signed
    secrets = SessionSecrets(SESSION_SECRET)
    deny_list = revoking.cookies.deny_list
    for uri in signed:
        query = uri.split("?", 1)[1]
        assert "&CloudFront-Session=" in "&" + query
        assert revoking.judge(uri) == "allowed"
        check_session_request(
            query, {}, secrets=secrets, deny_list=deny_list, now=revoking.clock.epoch
        )
    state, _ = revoking.cookies.read_state(revoking.browser.jar.header(APP_ORIGIN + "/"))
    assert state is not None
    revoking.cookies.revoke_session(state.session_id)
    with pytest.raises(SessionRevokedError):
        check_session_request(
            signed[0].split("?", 1)[1],
            {},
            secrets=secrets,
            deny_list=deny_list,
            now=revoking.clock.epoch,
        )


def test_a_query_that_would_outlive_the_logouts_deny_entry_is_refused(
    revoking: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """With revocation, a VOD query lifetime past what a logout's deny-list entry covers
    would survive the logout: the playlist is refused, not served with a shorter query."""
    long = PlaylistServer(revoking.cookies, revoking.source, query_lifetime=timedelta(days=2))
    with caplog.at_level(logging.INFO, logger="cfcookies"):
        assert long.answer(revoking.token(), MASTER).status == 403
    [record] = records(caplog, "cfcookies.playlist.refused")
    assert record.__dict__["reason"] == "session_ending"
