"""The demo in headless Chromium: login, media from the edge, a refused course, logout, and
edge revocation (a copy of the cookies taken before logout is refused after it).

Over HTTPS with a certificate made here, ``app.example.test`` and ``media.example.test`` mapped
to 127.0.0.1 by ``--host-resolver-rules``, and the middleware's cookies set for
``Domain=example.test``, so the browser's own Domain, Path, Secure and SameSite rules decide
what reaches the edge. Screenshots (after login, a refused course, the replayed copy refused)
are kept in ``test-artifacts/``.

Skipped without Chromium or Playwright, unless ``CFCOOKIES_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cfcookies.demo import VIDEO_HEIGHT, VIDEO_WIDTH, DemoInfo, build_demo
from cfcookies.keys import load_public_key
from cfcookies.verify import verify_request
from tests.browser_support import (
    APP_HOST,
    ARTIFACTS,
    MEDIA_HOST,
    ThreadedUvicorn,
    bind_loopback,
    make_tls_files,
    port_of,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.server]

WAIT_MS = 15_000


@dataclass
class Site:
    info: DemoInfo


@pytest.fixture(scope="module")
def https_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser-demo")
    tls = make_tls_files(folder / "tls", (APP_HOST, MEDIA_HOST))
    app_sock, edge_sock = bind_loopback(), bind_loopback()
    app, edge, info = build_demo(
        folder,
        app_origin=f"https://{APP_HOST}:{port_of(app_sock)}",
        media_origin=f"https://{MEDIA_HOST}:{port_of(edge_sock)}",
        secure=True,
        cookie_domain="example.test",
    )
    with (
        ThreadedUvicorn(app, app_sock, certfile=tls.cert, keyfile=tls.key),
        ThreadedUvicorn(edge, edge_sock, certfile=tls.cert, keyfile=tls.key),
    ):
        yield Site(info)


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    # The test CA is not in Chromium's store: accept it for this context only.
    ctx = chromium.new_context(ignore_https_errors=True, viewport={"width": 1100, "height": 900})
    try:
        yield ctx
    finally:
        ctx.close()


def _cloudfront_cookies(context: BrowserContext) -> list[Any]:
    return [c for c in context.cookies() if c["name"].startswith("CloudFront-")]


def _log_in(page: Page, info: DemoInfo, name: str) -> None:
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", info.user(name).password)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#issued", timeout=WAIT_MS)


def test_chromium_gets_media_only_while_logged_in_and_only_the_granted_course(
    context: BrowserContext, https_site: Site
) -> None:
    info = https_site.info
    page = context.new_page()
    media_responses: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: media_responses.append((r.url, r.status)) if MEDIA_HOST in r.url else None,
    )

    # Before login: the edge refuses, both to a navigation and to the page's own fetch.
    direct = page.goto(info.media("course-1"))
    assert direct is not None
    assert direct.status == 403
    assert direct.headers["x-cfcookies-decision"] != "allowed"
    assert "<Code>" in direct.text()
    page.goto(info.app_url + "/")
    probe = page.wait_for_selector("#probe-course-1[data-result]", timeout=WAIT_MS)
    assert probe is not None
    assert probe.get_attribute("data-result") == "refused"
    assert probe.get_attribute("data-status") == "403"
    assert _cloudfront_cookies(context) == []

    # Log in as alice (course-1): the browser stores the cookies for Domain=example.test.
    media_responses.clear()
    _log_in(page, info, "alice")
    cookies = _cloudfront_cookies(context)
    assert {c["name"] for c in cookies} == {
        "CloudFront-Policy",
        "CloudFront-Signature",
        "CloudFront-Key-Pair-Id",
        "CloudFront-Session",  # edge revocation is on by default
    }
    for cookie in cookies:
        assert cookie["domain"] == ".example.test"
        assert cookie["path"] == "/videos/course-1/"
        assert cookie["secure"] is True
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"

    # The granted course's playlist, segments and poster load from the edge.
    card = page.wait_for_selector("#course-course-1[data-result]", timeout=WAIT_MS)
    assert card is not None
    assert card.get_attribute("data-result") == "loaded"
    page.wait_for_selector("#course-course-1 .poster.ok", timeout=WAIT_MS)
    assert page.eval_on_selector("#course-course-1 img", "img => img.naturalWidth") == 320
    statuses = page.eval_on_selector_all(
        "#course-course-1 .log li", "items => items.map(li => li.textContent)"
    )
    assert len(statuses) == 4  # the playlist and three segments
    assert all(text.startswith("200 ") for text in statuses), statuses
    loaded: dict[str, set[int]] = {}
    for url, status in media_responses:  # the page's fetches, and the player's Range requests
        loaded.setdefault(url.rsplit("/", 1)[1], set()).add(status)
    for name in ("index.m3u8", "poster.png", "seg-000.ts", "seg-001.ts", "seg-002.ts"):
        assert loaded[name] <= {200, 206}, (name, loaded[name])
    assert all(MEDIA_HOST in url and "/videos/course-1/" in url for url, _ in media_responses)
    # Chromium's own HLS player streams the course too, with the same cookies.
    page.wait_for_selector("#course-course-1[data-video]", timeout=WAIT_MS)
    video_state = page.get_attribute("#course-course-1", "data-video")
    if video_state != "unsupported":
        assert video_state == "playing", page.inner_text("#course-course-1 .video")
        size = page.eval_on_selector(
            "#course-course-1 video", "v => [v.videoWidth, v.videoHeight, v.duration]"
        )
        assert size == [VIDEO_WIDTH, VIDEO_HEIGHT, 6]
        page.wait_for_function(
            "document.querySelector('#course-course-1 video').currentTime > 1",
            timeout=WAIT_MS,
        )
    rendered = page.inner_text("#issued")
    assert "Path=/videos/course-1/" in rendered
    assert "Domain=example.test" in rendered
    assert "Secure" in rendered

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-after-login.png"), full_page=True)

    # Another course is refused by the edge, and the page says why.
    page.click("#try-course-2")
    refused = page.wait_for_selector("#probe-course-2[data-result]", timeout=WAIT_MS)
    assert refused is not None
    assert refused.get_attribute("data-result") == "refused"
    assert refused.get_attribute("data-status") == "403"
    assert refused.get_attribute("data-decision") not in (None, "", "allowed")
    assert "<Code>" in page.inner_text("#probe-course-2 .attempt")
    page.screenshot(path=str(ARTIFACTS / "demo-refused-course.png"), full_page=True)

    # Log out: every CloudFront cookie is gone from the browser and the edge refuses again.
    page.click("#logout")
    page.wait_for_selector("#login", timeout=WAIT_MS)
    assert _cloudfront_cookies(context) == []
    probe = page.wait_for_selector("#probe-course-1[data-result]", timeout=WAIT_MS)
    assert probe is not None
    assert probe.get_attribute("data-status") == "403"
    again = page.goto(info.media("course-1", "seg-000.ts"))
    assert again is not None
    assert again.status == 403


def _copied_header(copied: list[Any]) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in copied)


def test_chromium_cookies_copied_before_logout_get_session_revoked_after_it(
    chromium: Browser, context: BrowserContext, https_site: Site
) -> None:
    info = https_site.info
    page = context.new_page()
    page.goto(info.app_url + "/")
    _log_in(page, info, "alice")
    card = page.wait_for_selector("#course-course-1[data-result]", timeout=WAIT_MS)
    assert card is not None
    assert card.get_attribute("data-result") == "loaded"
    assert page.get_attribute("#revocation-state", "data-revocation") == "on"

    # Someone copies the browser's cookies, HttpOnly ones included.
    copied = _cloudfront_cookies(context)
    assert {c["name"] for c in copied} >= {"CloudFront-Policy", "CloudFront-Session"}
    assert all(c["httpOnly"] for c in copied)
    segment = info.media("course-1", "seg-000.ts")
    keys = {info.key_pair_id: load_public_key(info.key_dir / "public_key.pem")}

    def copy_in_a_fresh_browser(url: str) -> tuple[int, str]:
        fresh = chromium.new_context(ignore_https_errors=True)
        try:
            fresh.add_cookies(copied)
            response = fresh.new_page().goto(url)
            assert response is not None
            return response.status, response.headers.get("x-cfcookies-decision", "")
        finally:
            fresh.close()

    # Before logout the copy works in another browser (a poster: it renders, no download).
    assert copy_in_a_fresh_browser(info.media("course-1", "poster.png")) == (200, "allowed")

    # Log out through the page, the demo keeping its own copy for the replay button.
    page.click("#logout-keep")
    page.wait_for_selector("#copied", timeout=WAIT_MS)
    assert _cloudfront_cookies(context) == []

    # The copy, put back into a fresh browser, is refused by the edge: the session is revoked,
    # although CloudFront's own check of the copied cookies still lets them in.
    assert copy_in_a_fresh_browser(segment) == (403, "session_revoked")
    assert copy_in_a_fresh_browser(info.media("course-1")) == (403, "session_revoked")
    decision = verify_request(segment, cookies=_copied_header(copied), public_keys=keys)
    assert decision.allowed, decision.message
    assert decision.policy is not None

    # The demo's replay button says the same on the page, without showing a value.
    copied_names = page.inner_text("#copied")
    assert "CloudFront-Session" in copied_names
    assert "Path=/videos/course-1/" in copied_names
    page.click("#replay")
    row = page.wait_for_selector("#replayed tr.replayed", timeout=WAIT_MS)
    assert row is not None
    assert row.get_attribute("data-status") == "403"
    assert row.get_attribute("data-decision") == "session_revoked"
    assert row.get_attribute("data-policy") == "allowed"
    result = page.inner_text("#replay-result")
    assert "Refused." in result
    assert "still valid" in result
    assert "session_revoked" in result
    content = page.content()
    assert not [c["value"] for c in copied if c["value"] and c["value"] in content]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-replay-refused.png"), full_page=True)


def test_chromium_bob_reads_both_of_his_courses_but_not_alices(
    context: BrowserContext, https_site: Site
) -> None:
    info = https_site.info
    page = context.new_page()
    page.goto(info.app_url + "/")
    _log_in(page, info, "bob")
    paths = sorted({c["path"] for c in _cloudfront_cookies(context)})
    assert paths == ["/videos/course-2/", "/videos/course-3/"]
    for slug in ("course-2", "course-3"):
        card = page.wait_for_selector(f"#course-{slug}[data-result]", timeout=WAIT_MS)
        assert card is not None
        assert card.get_attribute("data-result") == "loaded"
    page.click("#try-course-1")
    refused = page.wait_for_selector("#probe-course-1[data-result]", timeout=WAIT_MS)
    assert refused is not None
    assert refused.get_attribute("data-status") == "403"
    page.click("#logout")
    page.wait_for_selector("#login", timeout=WAIT_MS)
    assert _cloudfront_cookies(context) == []


def test_chromium_shares_host_only_cookies_across_ports_in_the_local_http_demo(
    chromium: Browser, tmp_path: Path
) -> None:
    """The default ``cfcookies demo`` set-up: http://localhost on two ports, no Domain."""
    app_sock, edge_sock = bind_loopback(), bind_loopback()
    app, edge, info = build_demo(
        tmp_path,
        app_origin=f"http://localhost:{port_of(app_sock)}",
        media_origin=f"http://localhost:{port_of(edge_sock)}",
        secure=False,
        insecure_allow_http=True,
    )
    with ThreadedUvicorn(app, app_sock), ThreadedUvicorn(edge, edge_sock):
        ctx = chromium.new_context()
        try:
            page = ctx.new_page()
            page.goto(info.app_url + "/")
            _log_in(page, info, "alice")
            card = page.wait_for_selector("#course-course-1[data-result]", timeout=WAIT_MS)
            assert card is not None
            assert card.get_attribute("data-result") == "loaded"
            assert "Local-only relaxation" in page.inner_text("main")
            page.click("#logout")
            page.wait_for_selector("#login", timeout=WAIT_MS)
            assert _cloudfront_cookies(ctx) == []
        finally:
            ctx.close()
