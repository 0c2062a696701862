"""The demo's player without cookies in headless Chromium, with hls.js from tests/node.

A signed-in browser gets a link to a course's playlist; a fresh browser context, holding no
cookie at all (the Chromecast), plays it with hls.js, which sends no credentials to the edge: the
playlist through the app's route (read through the edge and rewritten), the segments from the
edge with the course's signed query. What the edge received is recorded on its side: no request
carries a ``Cookie`` header, the segments are answered ``200``, and the same query on another
course's segment is answered ``403``. The signed-in browser, whose cookie jar does hold the
edge's cookies, sends none of them from the player either; without hls.js the page falls back
on the browser's own HLS player.

The demo is served as ``cfcookies demo`` serves it (plain HTTP, two loopback ports), so that the
app reaches the edge too. Skipped without Chromium or Playwright (failing under
``CFCOOKIES_REQUIRE_BROWSER=1``), and without hls.js in ``tests/node/node_modules`` (failing
under ``CFCOOKIES_REQUIRE_NODE=1``; ``npm ci`` in ``tests/node`` installs it).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import pytest
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cfcookies import revocation
from cfcookies.demo import DemoInfo, build_demo
from tests.browser_support import ARTIFACTS, ThreadedUvicorn, bind_loopback, port_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.server]

WAIT_MS = 20_000
#: hls.js's browser build, as ``npm ci`` in tests/node installs it (tests/node/package.json).
HLS_JS = Path(__file__).resolve().parent / "node/node_modules/hls.js/dist/hls.min.js"
SIGNED = ("Policy", "Signature", "Key-Pair-Id", revocation.SESSION_COOKIE)


def require_hls_js() -> Path:
    """hls.js's browser build; skip without it, or fail under ``CFCOOKIES_REQUIRE_NODE=1``."""
    if not HLS_JS.is_file():
        reason = (
            f"hls.js is not installed: {HLS_JS} is missing; run `npm ci` in tests/node "
            f"(scripts/test does)"
        )
        if os.environ.get("CFCOOKIES_REQUIRE_NODE") == "1":
            pytest.fail(f"CFCOOKIES_REQUIRE_NODE=1 but {reason}")
        pytest.skip(reason)
    return HLS_JS


@pytest.mark.parametrize(
    ("required", "outcome"),
    [
        pytest.param("1", pytest.fail.Exception, id="required"),
        pytest.param("0", pytest.skip.Exception, id="optional"),
    ],
)
def test_without_hls_js_these_tests_skip_or_fail_when_node_is_required(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    required: str,
    outcome: type[BaseException],
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "HLS_JS", tmp_path / "hls.min.js")
    monkeypatch.setenv("CFCOOKIES_REQUIRE_NODE", required)
    with pytest.raises(outcome, match=r"hls.js is not installed: .* run `npm ci` in tests/node"):
        require_hls_js()


@dataclass(frozen=True)
class EdgeHit:
    """One request as the edge received it, and its answer."""

    path: str
    query: dict[str, list[str]]
    cookie: bool
    user_agent: str
    status: int
    decision: str

    @property
    def signed(self) -> bool:
        return "Signature" in self.query


class RecordingEdge:
    """The edge's ASGI app, recording every HTTP request it answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._hits: list[EdgeHit] = []
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()

    @property
    def hits(self) -> list[EdgeHit]:
        with self._lock:
            return list(self._hits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered = Headers(raw=message.get("headers", []))
                hit = EdgeHit(
                    scope["path"],
                    parse_qs(scope["query_string"].decode("latin-1")),
                    "cookie" in headers,
                    headers.get("user-agent", ""),
                    message["status"],
                    answered.get("x-cfcookies-decision", ""),
                )
                with self._lock:
                    self._hits.append(hit)
            await send(message)

        await self.app(scope, receive, recording_send)


@dataclass
class Site:
    info: DemoInfo
    edge: RecordingEdge


def _serve(folder: Path, hls_js: Path | None) -> Iterator[Site]:
    """The demo as ``cfcookies demo`` serves it, on two loopback ports, the edge recorded."""
    app_sock, edge_sock = bind_loopback(), bind_loopback()
    app, edge, info = build_demo(
        folder,
        app_origin=f"http://127.0.0.1:{port_of(app_sock)}",
        media_origin=f"http://127.0.0.1:{port_of(edge_sock)}",
        secure=False,
        insecure_allow_http=True,
        hls_js=hls_js,
    )
    recorder = RecordingEdge(edge)
    with ThreadedUvicorn(app, app_sock), ThreadedUvicorn(recorder, edge_sock):
        yield Site(info, recorder)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    hls_js = require_hls_js()
    yield from _serve(tmp_path_factory.mktemp("browser-streaming"), hls_js)


@pytest.fixture(scope="module")
def native_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The same demo without hls.js: the receiver falls back on the browser's own player."""
    yield from _serve(tmp_path_factory.mktemp("browser-streaming-native"), None)


@pytest.fixture
def signed_in(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    try:
        yield context
    finally:
        context.close()


def _log_in(page: Page, info: DemoInfo, name: str) -> None:
    page.goto(info.app_url + "/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", info.user(name).password)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#issued", timeout=WAIT_MS)


def _link(page: Page, slug: str) -> str:
    link = page.get_attribute(f"#cookieless-{slug}", "data-link")
    assert link is not None
    assert link.startswith("/cfcookies/play/")
    assert link.endswith(f"/videos/{slug}/index.m3u8")
    assert page.get_attribute(f"#receiver-{slug}", "href") == f"/receiver#{link}"
    return link


def _wait_until_played(page: Page, seconds: float) -> None:
    """Until the receiver's video has played ``seconds`` and the page has tried the query on
    the other courses."""
    page.wait_for_function(
        f"document.querySelector('#player').currentTime > {seconds}", timeout=WAIT_MS
    )
    page.wait_for_selector("#receiver[data-result=done]", timeout=WAIT_MS)


def _assert_played_with_the_query_alone(hits: list[EdgeHit], slug: str, other: str) -> None:
    """The course's segments reached the edge signed by its query and were served (whole,
    or in ranges), and the query was refused on ``other``'s segment."""
    segments = [h for h in hits if h.path.startswith(f"/videos/{slug}/seg-")]
    assert {h.path.rsplit("/", 1)[1] for h in segments} >= {"seg-000.ts", "seg-001.ts"}, hits
    for hit in segments:
        assert hit.signed, hit
        assert set(SIGNED) <= set(hit.query), hit
        assert hit.status in (200, 206), hit  # (the browser's own player asks for ranges)
        assert hit.decision == "allowed", hit
    elsewhere = [h for h in hits if h.path.startswith(f"/videos/{other}/")]
    assert elsewhere, hits
    for hit in elsewhere:
        assert hit.signed, hit
        assert (hit.status, hit.decision) == (403, "resource_mismatch"), hit


def test_a_browser_without_cookies_plays_a_course_with_hls_js_through_its_link_alone(
    chromium: Browser, signed_in: BrowserContext, site: Site
) -> None:
    info = site.info
    page = signed_in.new_page()
    _log_in(page, info, "alice")
    link = _link(page, "course-1")
    assert page.inner_text("#cookieless-course-1 .muted") == "(with hls.js)"
    page.close()

    # The "Chromecast": a browser context with no cookie at all, and the link.
    site.edge.clear()
    cast = chromium.new_context(viewport={"width": 1100, "height": 1000})
    try:
        assert cast.cookies() == []
        receiver = cast.new_page()
        receiver.goto(info.app_url + "/receiver#" + link)
        _wait_until_played(receiver, 4)  # past the third segment's start
        assert receiver.get_attribute("#receiver", "data-player") == "hls.js"
        assert receiver.get_attribute("#receiver", "data-video") == "playing"
        assert receiver.get_attribute("#receiver", "data-elsewhere") == "refused"
        shown = receiver.eval_on_selector_all(
            "#requests li[data-host=edge]",
            "items => items.map(li => [li.dataset.path, li.dataset.status, li.dataset.signed])",
        )
        assert shown, receiver.inner_text("#receiver")
        assert all(status == "200" and signed == "1" for _, status, signed in shown), shown
        ARTIFACTS.mkdir(exist_ok=True)
        receiver.screenshot(path=str(ARTIFACTS / "demo-player-without-cookies.png"), full_page=True)
        assert cast.cookies() == []
    finally:
        cast.close()

    hits = site.edge.hits
    assert hits
    assert not [h for h in hits if h.cookie], [h for h in hits if h.cookie]
    _assert_played_with_the_query_alone(hits, "course-1", "course-2")
    assert [h for h in hits if h.path.startswith("/videos/course-3/")]
    # The playlist reached the edge only from the app (its source's signed URL), never from
    # the browser: the player read it from the app's route, rewritten.
    playlists = [h for h in hits if h.path.endswith(".m3u8")]
    assert playlists
    assert all((h.user_agent, h.status) == ("cfcookies", 200) for h in playlists), playlists


def test_a_signed_in_browser_holding_the_edge_cookies_sends_none_from_the_player(
    signed_in: BrowserContext, site: Site
) -> None:
    """The same browser that holds the CloudFront cookies for the edge: the course card's own
    requests carry them, the player's carry none."""
    info = site.info
    page = signed_in.new_page()
    site.edge.clear()
    _log_in(page, info, "alice")
    card = page.wait_for_selector("#course-course-1[data-result=loaded]", timeout=WAIT_MS)
    assert card is not None
    assert [h for h in site.edge.hits if h.cookie and not h.signed]  # the jar reaches the edge
    link = _link(page, "course-1")

    site.edge.clear()
    with signed_in.expect_page() as opened:
        page.click("#receiver-course-1")
    receiver = opened.value
    assert receiver.url == f"{info.app_url}/receiver#{link}"
    _wait_until_played(receiver, 1)
    assert receiver.get_attribute("#receiver", "data-player") == "hls.js"
    player_hits = [h for h in site.edge.hits if h.signed]
    assert player_hits
    assert not [h for h in player_hits if h.cookie], player_hits
    _assert_played_with_the_query_alone(player_hits, "course-1", "course-2")


def test_without_hls_js_the_receiver_says_so_and_falls_back_on_the_browsers_player(
    signed_in: BrowserContext, native_site: Site
) -> None:
    info = native_site.info
    page = signed_in.new_page()
    _log_in(page, info, "bob")
    link = _link(page, "course-2")
    assert page.inner_text("#cookieless-course-2 .muted") == "(with the browser's own HLS)"

    native_site.edge.clear()
    receiver = signed_in.new_page()
    receiver.goto(info.app_url + "/receiver#" + link)
    receiver.wait_for_selector("#receiver[data-result=done]", timeout=WAIT_MS)
    assert receiver.get_attribute("#receiver", "data-player") == "native"
    assert "started without hls.js" in receiver.inner_text("#how")
    assert receiver.locator("script[src]").count() == 0  # no hls.js, nothing loaded
    if receiver.get_attribute("#receiver", "data-video") != "unsupported":
        receiver.wait_for_function(
            "document.querySelector('#player').currentTime > 1", timeout=WAIT_MS
        )
    # bob holds course-3 too: the course-2 query opens neither course-1 nor course-3
    assert receiver.get_attribute("#receiver", "data-elsewhere") == "refused"
    signed = [h for h in native_site.edge.hits if h.signed]
    assert not [h for h in signed if h.cookie], signed
    _assert_played_with_the_query_alone(signed, "course-2", "course-3")
