"""The demo's player without cookies over real servers: the links on the dashboard, the playlist
route (read through the edge, rewritten), the edge's answers to the query without cookies, the
receiver page and hls.js.

Mirrors :mod:`cfcookies.demo.player` (and its parts of :mod:`cfcookies.demo.pages`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import m3u8
import pytest

from cfcookies import revocation
from cfcookies.demo import build_demo
from cfcookies.exceptions import ConfigurationError
from tests.demo_support import Served, http_client, log_in, post_form, serve_demo

pytestmark = pytest.mark.server

LINK = re.compile(r'id="cookieless-([\w-]+)" data-link="([^"]+)"')
CONFIG = re.compile(r'<script type="application/json" id="demo-config">([^<]*)</script>')
#: A stand-in for hls.js's browser build: these tests never run it.
FAKE_HLS_JS = b"/* not hls.js */ window.Hls = function Hls() {};\n"


@pytest.fixture(scope="module")
def served_hls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("demo-hls")
    script = folder / "hls.min.js"
    script.write_bytes(FAKE_HLS_JS)
    with serve_demo(folder / "demo", hls_js=script) as site:
        yield site


@pytest.fixture(scope="module")
def served_without_revocation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_demo(tmp_path_factory.mktemp("demo-no-revocation"), revocation=False) as site:
        yield site


def links_on(page: str) -> dict[str, str]:
    """The player links on a dashboard, by course."""
    return {slug: html.unescape(link) for slug, link in LINK.findall(page)}


def signed_in_link(client: httpx.Client, served: Served, name: str, slug: str) -> str:
    log_in(client, served, name)
    return links_on(client.get(served.app + "/").text)[slug]


def playlist_segments(served: Served, link: str) -> list[str]:
    """The segment URLs of the playlist the link opens, fetched without any cookie."""
    with http_client() as player:
        answer = player.get(served.app + link)
    assert answer.status_code == 200, answer.text
    return [segment.uri for segment in m3u8.loads(answer.text).segments]


def query_of(url: str) -> str:
    return url.split("?", 1)[1]


def test_the_dashboard_gives_each_granted_course_a_link_and_no_other(served: Served) -> None:
    with http_client() as alice, http_client() as bob:
        log_in(alice, served, "alice")
        page = alice.get(served.app + "/").text
        log_in(bob, served, "bob")
        bobs = links_on(bob.get(served.app + "/").text)
    links = links_on(page)
    assert list(links) == ["course-1"]
    assert set(bobs) == {"course-2", "course-3"}
    for slug, link in {**links, **bobs}.items():
        assert link.startswith("/cfcookies/play/")
        assert link.endswith(f"/videos/{slug}/index.m3u8")
    tokens = {link.split("/")[3] for link in (*links.values(), *bobs.values())}
    assert len(tokens) == 3  # a token per folder: each link opens its course only
    card = page[page.index('id="cookieless-course-1"') :]
    assert f'href="/receiver#{links["course-1"]}"' in card
    assert f'<code class="link">{served.app}{links["course-1"]}</code>' in card
    assert "signed query for <code>/videos/course-1/</code>" in card
    assert "(with the browser's own HLS)" in card
    assert "for 30 minutes" in card
    assert "logging out revokes the link and those queries at once" in card


def test_the_link_serves_the_playlist_rewritten_to_a_client_without_cookies(
    served: Served,
) -> None:
    with http_client() as alice:
        link = signed_in_link(alice, served, "alice", "course-1")
    with http_client() as player:
        answer = player.get(served.app + link)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert answer.headers["cache-control"] == "private, no-store"
    assert "set-cookie" not in answer.headers
    segments = [segment.uri for segment in m3u8.loads(answer.text).segments]
    assert [s.split("?")[0] for s in segments] == [
        served.info.media("course-1", f"seg-00{i}.ts") for i in range(3)
    ]
    for url in segments:
        assert set(parse_qs(query_of(url))) == {
            "Policy",
            "Signature",
            "Key-Pair-Id",
            revocation.SESSION_COOKIE,
        }


def test_the_edge_answers_the_query_without_cookies_with_cors_for_the_app(
    served: Served,
) -> None:
    """What hls.js on the receiver page needs: each segment served to the query alone, with
    the app's origin allowed to read it; the same query refused on another course, readably."""
    with http_client() as alice:
        segments = playlist_segments(served, signed_in_link(alice, served, "alice", "course-1"))
    origin = {"Origin": served.app}
    with http_client() as player:
        for url in segments:
            served_segment = player.get(url, headers=origin)
            assert served_segment.status_code == 200
            assert served_segment.headers["content-type"] == "video/mp2t"
            assert served_segment.headers["x-cfcookies-decision"] == "allowed"
            assert served_segment.headers["access-control-allow-origin"] == served.app
        for other in ("course-2", "course-3"):
            refused = player.get(
                served.info.media(other, "seg-000.ts") + "?" + query_of(segments[0]),
                headers=origin,
            )
            assert refused.status_code == 403
            assert refused.headers["x-cfcookies-decision"] == "resource_mismatch"
            assert refused.headers["access-control-allow-origin"] == served.app
            exposed = refused.headers["access-control-expose-headers"]
            assert "x-cfcookies-decision" in exposed


def test_the_link_opens_no_other_course_no_segment_and_no_forgery(served: Served) -> None:
    with http_client() as alice:
        link = signed_in_link(alice, served, "alice", "course-1")
    prefix, _, _ = link.partition("/videos/")
    token = prefix.rsplit("/", 1)[1]
    with http_client() as player:
        for path in (
            f"{prefix}/videos/course-2/index.m3u8",
            f"{prefix}/videos/course-1/seg-000.ts",
            f"{prefix}/videos/course-1/../course-2/index.m3u8",
            link.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB")),
        ):
            refused = player.get(served.app + path)
            assert refused.status_code == 403, path
            assert "#EXTM3U" not in refused.text


def test_logging_out_revokes_the_link_and_the_queries_it_served(served: Served) -> None:
    with http_client() as alice:
        link = signed_in_link(alice, served, "alice", "course-1")
        segment = playlist_segments(served, link)[0]
        with http_client() as player:
            assert player.get(segment).status_code == 200
            assert post_form(alice, served.app, "/logout").status_code == 303
            assert player.get(served.app + link).status_code == 403
            revoked = player.get(segment)
    assert (revoked.status_code, revoked.headers["x-cfcookies-decision"]) == (
        403,
        "session_revoked",
    )


def test_without_revocation_logging_out_revokes_neither_and_the_page_says_so(
    served_without_revocation: Served,
) -> None:
    served = served_without_revocation
    with http_client() as alice:
        log_in(alice, served, "alice")
        page = alice.get(served.app + "/").text
        link = links_on(page)["course-1"]
        segment = playlist_segments(served, link)[0]
        assert revocation.SESSION_COOKIE not in parse_qs(query_of(segment))
        post_form(alice, served.app, "/logout")
    assert "logging out revokes neither" in page
    assert "revokes the link and those queries" not in page
    with http_client() as player:
        assert player.get(served.app + link).status_code == 200
        assert player.get(segment).status_code == 200


def test_a_request_without_the_cookies_state_gets_no_link_and_the_card_says_why(
    served: Served,
) -> None:
    with http_client() as alice:
        log_in(alice, served, "alice")
        for cookie in list(alice.cookies.jar):
            if cookie.name == "cfcookies":
                alice.cookies.delete(cookie.name, domain=cookie.domain, path=cookie.path)
        page = alice.get(served.app + "/").text
    assert links_on(page) == {}
    card = page[page.index('id="cookieless-course-1"') :]
    assert 'data-refused="no_session"' in card
    assert "No link for this course: the request carries no cfcookies session" in card


def test_the_receiver_page_reads_no_session_and_falls_back_without_hls_js(
    served: Served,
) -> None:
    with http_client() as player:
        page = player.get(served.app + "/receiver")
        script = player.get(served.app + "/hls.min.js")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "set-cookie" not in page.headers
    assert 'id="receiver" data-engine="native"' in page.text
    assert "The demo was started without hls.js" in page.text
    assert "<script src=" not in page.text
    match = CONFIG.search(page.text)
    assert match
    config = json.loads(match.group(1))
    assert config == {
        "media": served.info.media_url,
        "route": "/cfcookies/play/",
        "courses": ["/videos/course-1/", "/videos/course-2/", "/videos/course-3/"],
        "segment": "seg-000.ts",
        "engine": "native",
        "secrets": ["Policy", "Signature", revocation.SESSION_COOKIE],
    }
    assert "location.hash" in page.text  # receiver.js, inlined
    assert script.status_code == 404


def test_with_hls_js_the_app_serves_it_and_the_receiver_loads_it(served_hls: Served) -> None:
    with http_client() as client:
        script = client.get(served_hls.app + "/hls.min.js")
        page = client.get(served_hls.app + "/receiver").text
        link = signed_in_link(client, served_hls, "alice", "course-1")
        dashboard = client.get(served_hls.app + "/").text
    assert script.status_code == 200
    assert script.content == FAKE_HLS_JS
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["x-content-type-options"] == "nosniff"
    assert 'id="receiver" data-engine="hls.js"' in page
    assert "It plays the link with <b>hls.js</b>" in page
    assert page.index('<script src="/hls.min.js"></script>') < page.index("location.hash")
    assert "(with hls.js)" in dashboard[dashboard.index('id="cookieless-course-1"') :]
    assert playlist_segments(served_hls, link)
    assert served_hls.info.hls_js is not None


def _unreadable(path: Path) -> None:
    raise PermissionError(13, "Permission denied", str(path))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("missing.js", None, "hls_js must be a file", id="missing"),
        pytest.param("folder", b"", "hls_js must be a file", id="folder"),
        pytest.param("other.js", b"console.log(1)", "does not look like hls.js", id="not-hls"),
        pytest.param("huge.js", b"Hls", "is over 8 MiB", id="too-large"),
        pytest.param("locked.js", b"Hls", "cannot be read .Permission denied.", id="unreadable"),
    ],
)
def test_build_demo_refuses_an_hls_js_that_is_not_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes | None,
    message: str,
) -> None:
    path = tmp_path / name
    if name == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    if name == "huge.js":
        with path.open("r+b") as sparse:
            sparse.truncate(8 * 1024 * 1024 + 1)
    if name == "locked.js":  # (root reads any file: the error is made)
        monkeypatch.setattr(Path, "read_bytes", _unreadable)
    with pytest.raises(ConfigurationError, match=message) as refused:
        build_demo(
            tmp_path / "demo",
            app_origin="http://127.0.0.1:8000",
            media_origin="http://127.0.0.1:8001",
            secure=False,
            insecure_allow_http=True,
            hls_js=path,
        )
    assert "node_modules/hls.js/dist/hls.min.js" in str(refused.value)
    assert not (tmp_path / "demo" / "keys").exists()  # refused before any key is made


def test_the_demo_playlist_links_are_on_the_app_origin_and_the_segments_on_the_edge(
    served: Served,
) -> None:
    with http_client() as alice:
        link = signed_in_link(alice, served, "alice", "course-1")
    segments = playlist_segments(served, link)
    assert {urlsplit(s).netloc for s in segments} == {urlsplit(served.edge).netloc}
    assert urlsplit(served.app + link).netloc != urlsplit(served.edge).netloc
