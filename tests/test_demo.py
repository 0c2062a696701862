"""The demo: its media library, its app and edge over real servers, and ``cfcookies demo``."""

from __future__ import annotations

import os
import queue
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from cfcookies.demo import (
    COURSES,
    SEGMENTS,
    VIDEO_HEIGHT,
    VIDEO_WIDTH,
    DemoInfo,
    _CookieCopies,
    _crc32_mpeg2,
    build_demo,
    make_ts_segment,
    poster_png,
    video_frames,
    write_media_library,
)
from cfcookies.exceptions import ConfigurationError
from cfcookies.keys import load_public_key
from cfcookies.verify import verify_request
from tests.browser_support import ThreadedUvicorn, bind_loopback, port_is_closed, port_of

pytestmark = pytest.mark.server
TIMEOUT = 10.0


def _set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def _cloudfront_set_cookies(response: httpx.Response) -> list[str]:
    return [c for c in _set_cookies(response) if c.startswith("CloudFront-")]


#: What the middleware issues per path in the demo, edge revocation on (the default).
ISSUED_NAMES = {
    "CloudFront-Policy",
    "CloudFront-Signature",
    "CloudFront-Key-Pair-Id",
    "CloudFront-Session",
}


# --- the media library ---------------------------------------------------------------------------


def test_poster_is_a_valid_png_of_the_given_size() -> None:
    data = poster_png("course 1", (10, 20, 30), width=64, height=36)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    _, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, color) == (64, 36, 8, 2)
    idat_at = data.index(b"IDAT")
    (idat_len,) = struct.unpack(">I", data[idat_at - 4 : idat_at])
    pixels = zlib.decompress(data[idat_at + 4 : idat_at + 4 + idat_len])
    assert len(pixels) == 36 * (1 + 64 * 3)
    assert data.endswith(b"IEND\xaeB`\x82")
    assert b"\xff\xff\xff" in pixels  # the label is drawn in white


def _packets(segment: bytes) -> list[bytes]:
    assert len(segment) % 188 == 0
    return [segment[i : i + 188] for i in range(0, len(segment), 188)]


def _pid(packet: bytes) -> int:
    return ((packet[1] & 0x1F) << 8) | packet[2]


def _section(packet: bytes) -> bytes:
    """The PSI section in a packet that starts one (pointer field 0), up to its CRC."""
    assert packet[4] == 0
    length = ((packet[6] & 0x0F) << 8) | packet[7]
    return packet[5 : 5 + 3 + length]


def test_ts_segment_is_h264_in_whole_transport_packets_with_valid_tables() -> None:
    frames = list(video_frames("course 1", (10, 20, 30), count=3, total=3))
    assert all(len(mbs) == (VIDEO_WIDTH // 16) * (VIDEO_HEIGHT // 16) for mbs in frames)
    assert all(len(mb) == 384 for mb in frames[0])  # 256 luma + 2 x 64 chroma samples
    segment = make_ts_segment(frames, first_frame=8)
    packets = _packets(segment)
    assert all(p[0] == 0x47 for p in packets)
    assert [_pid(p) for p in packets[:2]] == [0x0000, 0x1000]  # PAT, then PMT
    for packet in packets[:2]:
        assert _crc32_mpeg2(_section(packet)) == 0  # CRC-32/MPEG-2 over section and CRC
    assert _section(packets[1])[12] == 0x1B  # the PMT announces an H.264 stream
    video = [p for p in packets[2:] if _pid(p) == 0x0100]
    assert len(video) == len(packets) - 2
    starts = [p for p in video if p[1] & 0x40]
    assert len(starts) == 3  # one PES per frame
    for packet in starts:
        assert packet[3] & 0x20  # an adaptation field with the PCR and random access flag
        assert packet[5] & 0x50 == 0x50
    assert [p[3] & 0x0F for p in video] == [i % 16 for i in range(len(video))]
    assert b"\x00\x00\x01\xe0" in starts[0]
    assert b"\x00\x00\x00\x01\x67" in segment  # a sequence parameter set
    assert b"\x00\x00\x00\x01\x65" in segment  # IDR slices


def test_media_library_has_a_playlist_naming_existing_segments(tmp_path: Path) -> None:
    write_media_library(tmp_path)
    for course in COURSES:
        folder = tmp_path / "videos" / course.slug
        playlist = (folder / "index.m3u8").read_text()
        assert playlist.startswith("#EXTM3U\n")
        assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
        names = [line for line in playlist.splitlines() if line and not line.startswith("#")]
        assert len(names) == SEGMENTS
        assert all((folder / name).is_file() for name in names)
        assert (folder / "poster.png").read_bytes()[:4] == b"\x89PNG"


def test_build_demo_refuses_plain_http_without_the_insecure_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="insecure_allow_http"):
        build_demo(tmp_path, app_origin="http://127.0.0.1:1", media_origin="http://127.0.0.1:2")


def test_demo_users_hide_their_passwords_in_repr(tmp_path: Path) -> None:
    _, _, info = build_demo(
        tmp_path,
        app_origin="https://app.example.test",
        media_origin="https://media.example.test",
        cookie_domain="example.test",
        passwords={"alice": "sekrit-password"},
    )
    assert "sekrit-password" not in repr(info)
    assert info.user("alice").password == "sekrit-password"
    assert (info.key_dir / "private_key.pem").stat().st_mode & 0o077 == 0


# --- the app and the edge over real servers -----------------------------------------------------


@dataclass
class Served:
    info: DemoInfo
    app: str
    edge: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    app_sock, edge_sock = bind_loopback(), bind_loopback()
    app, edge, info = build_demo(
        tmp_path_factory.mktemp("demo"),
        app_origin=f"http://127.0.0.1:{port_of(app_sock)}",
        media_origin=f"http://127.0.0.1:{port_of(edge_sock)}",
        secure=False,
        insecure_allow_http=True,
    )
    with ThreadedUvicorn(app, app_sock), ThreadedUvicorn(edge, edge_sock):
        yield Served(info, info.app_url, info.media_url)


def _client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False)


#: The hidden field every form of the demo carries.
CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def _csrf_token(client: httpx.Client, app_url: str) -> str:
    """The CSRF token of this client's browser, read from a page of the app as a browser would."""
    page = client.get(app_url + "/")
    assert page.status_code == 200
    match = CSRF_FIELD.search(page.text)
    assert match, page.text
    return match.group(1)


def _post(
    client: httpx.Client, app_url: str, path: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """Submit one of the app's forms as its own page does: with the token and its Origin."""
    form = {**(data or {}), "csrf_token": _csrf_token(client, app_url)}
    return client.post(app_url + path, data=form, headers={"Origin": app_url})


def _login(client: httpx.Client, served: Served, name: str) -> httpx.Response:
    password = served.info.user(name).password
    return _post(client, served.app, "/login", {"username": name, "password": password})


def test_login_page_is_served_and_the_edge_refuses_without_cookies(served: Served) -> None:
    with _client() as client:
        page = client.get(served.app + "/")
        assert page.status_code == 200
        assert 'action="/login"' in page.text
        assert "alice" in page.text
        assert not _cloudfront_set_cookies(page)
        refused = client.get(served.info.media("course-1"), headers={"Origin": served.app})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "text/xml"
    assert "<Error><Code>" in refused.text
    assert refused.headers["x-cfcookies-decision"] != "allowed"
    assert refused.headers["access-control-allow-origin"] == served.app
    assert refused.headers["access-control-allow-credentials"] == "true"


def test_a_wrong_password_gets_401_and_no_cookies(served: Served) -> None:
    with _client() as client:
        response = _post(client, served.app, "/login", {"username": "alice", "password": "not-it"})
    assert response.status_code == 401
    assert "wrong password" in response.text
    assert not _cloudfront_set_cookies(response)


def test_alice_gets_cookies_for_course_1_only_and_the_edge_serves_it(served: Served) -> None:
    with _client() as client:
        login = _login(client, served, "alice")
        assert login.status_code == 303
        issued = _cloudfront_set_cookies(login)
        assert {c.split("=", 1)[0] for c in issued} == ISSUED_NAMES
        for value in issued:
            assert "Path=/videos/course-1/" in value
            assert "Domain=" not in value  # host-only: ports do not matter to cookies
            assert "HttpOnly" in value
            assert "SameSite=Lax" in value

        page = client.get(served.app + "/")
        assert page.status_code == 200
        assert "Path=/videos/course-1/" in page.text
        assert "<code>CloudFront-Session</code>" in page.text
        assert served.info.media("course-1", "poster.png") in page.text
        assert 'id="probe-course-2"' in page.text  # offered as a course to try
        assert 'data-revocation="on"' in page.text
        for cookie in client.cookies.jar:  # the page names cookies, never their values
            if cookie.name in ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Session"):
                assert cookie.value
                assert cookie.value not in page.text

        origin = {"Origin": served.app}
        playlist = client.get(served.info.media("course-1"), headers=origin)
        assert playlist.status_code == 200
        assert playlist.headers["x-cfcookies-decision"] == "allowed"
        assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
        assert playlist.headers["access-control-allow-origin"] == served.app
        segments = [s for s in playlist.text.splitlines() if s and not s.startswith("#")]
        for name in segments:
            segment = client.get(served.info.media("course-1", name), headers=origin)
            assert segment.status_code == 200
            assert segment.headers["content-type"] == "video/mp2t"
            assert segment.content[0] == 0x47
        poster = client.get(served.info.media("course-1", "poster.png"))
        assert poster.status_code == 200
        assert poster.headers["content-type"] == "image/png"

        other = client.get(served.info.media("course-2"), headers=origin)
        assert other.status_code == 403
        assert other.headers["x-cfcookies-decision"] != "allowed"


def test_bob_gets_one_cookie_set_per_course(served: Served) -> None:
    with _client() as client:
        login = _login(client, served, "bob")
        paths = {
            m.group(1)
            for c in _cloudfront_set_cookies(login)
            if (m := re.search(r"Path=([^;]+)", c))
        }
        assert paths == {"/videos/course-2/", "/videos/course-3/"}
        assert client.get(served.info.media("course-2", "seg-001.ts")).status_code == 200
        assert client.get(served.info.media("course-3", "seg-002.ts")).status_code == 200
        assert client.get(served.info.media("course-1", "seg-000.ts")).status_code == 403


def test_logout_deletes_every_cloudfront_cookie_and_the_edge_refuses_again(
    served: Served,
) -> None:
    with _client() as client:
        _login(client, served, "alice")
        assert client.get(served.info.media("course-1")).status_code == 200
        logout = _post(client, served.app, "/logout")
        assert logout.status_code == 303
        deleted = _cloudfront_set_cookies(logout)
        assert {c.split("=", 1)[0] for c in deleted} == ISSUED_NAMES
        assert all("Max-Age=0" in c and "Path=/videos/course-1/" in c for c in deleted)
        assert not [c for c in client.cookies.jar if c.name.startswith("CloudFront-")]
        assert client.get(served.info.media("course-1")).status_code == 403
        assert 'action="/login"' in client.get(served.app + "/").text


def test_the_app_redirects_other_host_names_to_its_origin(served: Served) -> None:
    with _client() as client:
        response = client.get(served.app + "/", headers={"Host": "localhost"})
    assert response.status_code == 307
    assert response.headers["location"] == served.app + "/"


# --- CSRF: the demo's forms only work from the demo's own pages ---------------------------------

EVIL = "https://evil.example"


def _signed_in(client: httpx.Client, served: Served) -> bool:
    return 'id="logout"' in client.get(served.app + "/").text


def _alice_form(served: Served, **extra: str) -> dict[str, str]:
    return {"username": "alice", "password": served.info.user("alice").password, **extra}


def test_a_cross_site_login_without_the_token_is_refused(served: Served) -> None:
    """Another site's auto-submitted login form (no token, no cookie) gets 403 and no login."""
    with _client() as client:
        response = client.post(served.app + "/login", data=_alice_form(served))
        assert response.status_code == 403
        assert "CSRF" in response.text
        assert not _cloudfront_set_cookies(response)
        assert not [c for c in client.cookies.jar if c.name == "demo_session"]
        assert not _signed_in(client, served)
        assert client.get(served.info.media("course-1")).status_code == 403


def test_a_login_without_the_form_field_is_refused_although_the_cookie_is_sent(
    served: Served,
) -> None:
    """A browser that holds the CSRF cookie still needs the token in the form itself."""
    with _client() as client:
        _csrf_token(client, served.app)  # visited the demo: holds its CSRF cookie
        assert [c.name for c in client.cookies.jar] == ["demo_csrf"]
        response = client.post(served.app + "/login", data=_alice_form(served))
        assert response.status_code == 403
        assert not _cloudfront_set_cookies(response)
        assert not _signed_in(client, served)


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param("another-browser", id="token-of-another-browser"),
        pytest.param("cookie-value", id="cookie-value-as-token"),
        pytest.param("truncated", id="truncated-token"),
        pytest.param("non-ascii", id="non-ascii-token"),
    ],
)
def test_a_login_with_a_forged_token_is_refused(served: Served, forged: str) -> None:
    """Only the token the app derived from this browser's cookie opens the form."""
    with _client() as attacker, _client() as victim:
        attackers_own = _csrf_token(attacker, served.app)
        good = _csrf_token(victim, served.app)
        nonce = next(c.value for c in victim.cookies.jar if c.name == "demo_csrf")
        assert nonce
        assert nonce != good  # the form holds a MAC of the cookie, not the cookie
        token = {
            "another-browser": attackers_own,
            "cookie-value": nonce,  # what a plain double-submit cookie would accept
            "truncated": good[:-1],
            "non-ascii": good[:-1] + "é",
        }[forged]
        response = victim.post(
            served.app + "/login",
            data=_alice_form(served, csrf_token=token),
            headers={"Origin": served.app},
        )
        assert response.status_code == 403
        assert not _signed_in(victim, served)


def test_a_login_posted_from_another_origin_is_refused(served: Served) -> None:
    """A login form on another site, posted with the right password, does not log in."""
    with _client() as client:
        response = client.post(
            served.app + "/login", data=_alice_form(served), headers={"Origin": EVIL}
        )
        assert response.status_code == 403
        assert not _cloudfront_set_cookies(response)
        assert not _signed_in(client, served)


@pytest.mark.parametrize("origin", [EVIL, "null", "http://127.0.0.1:1"])
def test_a_login_from_another_origin_is_refused_even_with_the_token(
    served: Served, origin: str
) -> None:
    """A POST whose Origin is not the app's own is refused, token or not."""
    with _client() as client:
        token = _csrf_token(client, served.app)
        response = client.post(
            served.app + "/login",
            data=_alice_form(served, csrf_token=token),
            headers={"Origin": origin},
        )
        assert response.status_code == 403
        assert not _cloudfront_set_cookies(response)
        assert not _signed_in(client, served)


def test_login_and_logout_with_the_token_work_and_the_cookie_is_strict(served: Served) -> None:
    """From the app's own page (token and Origin) login and logout work, as in a browser."""
    with _client() as client:
        page = client.get(served.app + "/")
        issued = [c for c in _set_cookies(page) if c.startswith("demo_csrf=")]
        assert len(issued) == 1
        assert "HttpOnly" in issued[0]
        assert "SameSite=strict" in issued[0] or "SameSite=Strict" in issued[0]
        assert "Path=/" in issued[0]
        assert _login(client, served, "alice").status_code == 303
        assert _signed_in(client, served)
        assert len(CSRF_FIELD.findall(client.get(served.app + "/").text)) == 3  # every form
        assert _post(client, served.app, "/logout").status_code == 303
        assert not _signed_in(client, served)


def test_a_cross_site_logout_is_refused_and_keeps_the_session(served: Served) -> None:
    """Another site cannot log the user out (nor keep a copy of the cookies)."""
    with _client() as client:
        _login(client, served, "alice")
        for data, headers in (
            ({}, {}),
            ({"keep": "1"}, {}),
            ({"csrf_token": _csrf_token(client, served.app)}, {"Origin": EVIL}),
        ):
            response = client.post(served.app + "/logout", data=data, headers=headers)
            assert response.status_code == 403
            assert not _cloudfront_set_cookies(response)
        assert _signed_in(client, served)
        assert client.get(served.info.media("course-1")).status_code == 200


def test_a_cross_site_replay_is_refused(served: Served) -> None:
    """The replay form needs the token too."""
    with _client() as client:
        _login(client, served, "alice")
        response = client.post(served.app + "/replay")
        assert response.status_code == 403
        assert 'id="replay-result"' not in response.text


def test_the_keepalive_refuses_another_origin(served: Served) -> None:
    """The middleware's keep-alive POST is refused from another origin, served from ours."""
    with _client() as client:
        _login(client, served, "alice")
        keepalive = served.app + "/cfcookies/keepalive"
        refused = client.post(keepalive, headers={"Origin": EVIL})
        assert refused.status_code == 403
        assert "x-cfcookies-expires" not in refused.headers
        assert client.post(keepalive, headers={"Origin": served.app}).status_code == 204


def test_https_demo_sets_secure_cookies_for_the_parent_domain(tmp_path: Path) -> None:
    app, edge, info = build_demo(
        tmp_path,
        app_origin="https://app.example.test",
        media_origin="https://media.example.test",
        cookie_domain="example.test",
    )
    with TestClient(app, base_url="https://app.example.test") as client:
        match = CSRF_FIELD.search(client.get("/").text)
        assert match
        assert [c.name for c in client.cookies.jar] == ["__Host-demo_csrf"]  # Secure, Path=/
        login = client.post(
            "/login",
            data={
                "username": "alice",
                "password": info.user("alice").password,
                "csrf_token": match.group(1),
            },
            headers={"Origin": "https://app.example.test"},
            follow_redirects=False,
        )
        issued = _cloudfront_set_cookies(login)
        assert {c.split("=", 1)[0] for c in issued} == ISSUED_NAMES
        assert all("Domain=example.test" in c and "; Secure" in c for c in issued)
        cookie_header = "; ".join(c.split(";", 1)[0] for c in issued)
        page = client.get("/")
        assert "Domain=example.test" in page.text
        assert "HTTPS" in page.text
    with TestClient(edge, base_url="https://media.example.test") as media:
        allowed = media.get("/videos/course-1/seg-000.ts", headers={"Cookie": cookie_header})
        refused = media.get("/videos/course-3/seg-000.ts", headers={"Cookie": cookie_header})
    assert allowed.status_code == 200
    assert refused.status_code == 403


# --- edge revocation: a copy of the cookies, before and after logout ----------------------------


def _copied_cookies(client: httpx.Client) -> str:
    """The Cookie header a copy of the client's CloudFront cookies (alice: one path) makes."""
    copied = [c for c in client.cookies.jar if c.name.startswith("CloudFront-")]
    assert copied
    return "; ".join(f"{c.name}={c.value}" for c in copied)


def _cookie_values(client: httpx.Client) -> list[str]:
    return [c.value for c in client.cookies.jar if c.name.startswith("CloudFront-") and c.value]


def _ask_edge(served: Served, cookie_header: str) -> httpx.Response:
    with _client() as fresh:  # nothing in its jar: only the copied cookies are sent
        return fresh.get(served.info.media("course-1"), headers={"Cookie": cookie_header})


def _replayed_row(page: str) -> dict[str, str]:
    match = re.search(r'<tr class="replayed" ([^>]*)>', page)
    assert match, page
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(1)))


def _policy_of(served: Served, cookie_header: str) -> tuple[bool, int | None]:
    keys = {served.info.key_pair_id: load_public_key(served.info.key_dir / "public_key.pem")}
    decision = verify_request(
        served.info.media("course-1"), cookies=cookie_header, public_keys=keys
    )
    return decision.allowed, decision.policy.date_less_than if decision.policy else None


def test_copied_cookies_open_the_media_before_logout_and_get_session_revoked_after(
    served: Served,
) -> None:
    with _client() as client:
        _login(client, served, "alice")
        copied = _copied_cookies(client)
        values = _cookie_values(client)
        assert "CloudFront-Session=" in copied
        before = _ask_edge(served, copied)
        assert (before.status_code, before.headers["x-cfcookies-decision"]) == (200, "allowed")
        replay_now = _post(client, served.app, "/replay")
        assert _replayed_row(replay_now.text)["status"] == "200"
        assert "still signed in" in replay_now.text

        logout = _post(client, served.app, "/logout", {"keep": "1"})
        assert logout.status_code == 303
        assert not [c for c in client.cookies.jar if c.name.startswith("CloudFront-")]
        after = _ask_edge(served, copied)
        assert after.status_code == 403
        assert after.headers["x-cfcookies-decision"] == "session_revoked"
        assert "<Code>AccessDenied</Code>" in after.text
        allowed, expires = _policy_of(served, copied)
        assert allowed  # CloudFront's own check alone would still let the copy in
        assert expires is not None
        assert expires > time.time()

        page = client.get(served.app + "/")
        assert 'id="copied"' in page.text
        assert 'id="replay"' in page.text
        assert "<code>Path=/videos/course-1/</code>" in page.text
        assert "<code>CloudFront-Session</code>" in page.text
        replay = _post(client, served.app, "/replay")
        assert replay.status_code == 200
        row = _replayed_row(replay.text)
        assert row == {
            "path": "/videos/course-1/",
            "status": "403",
            "decision": "session_revoked",
            "policy": "allowed",
        }
        assert 'data-revocation="on"' in replay.text
        assert "still valid" in replay.text
        assert "--no-revocation" in replay.text  # says what it would be without revocation
        for text in (page.text, replay.text):  # names, paths and expiry; never a value
            assert not [v for v in values if v in text]


def test_a_plain_logout_keeps_no_copy_to_replay(served: Served) -> None:
    with _client() as client:
        _login(client, served, "alice")
        _post(client, served.app, "/logout")
        assert 'id="copied"' not in client.get(served.app + "/").text
        replay = _post(client, served.app, "/replay")
    assert replay.status_code == 200
    assert 'data-count="0"' in replay.text
    assert "no copy to replay" in replay.text


def test_the_keepalive_endpoint_reads_the_demo_session(served: Served) -> None:
    with _client() as client:
        assert client.post(served.app + "/cfcookies/keepalive").status_code == 401
        _login(client, served, "alice")
        renewed = client.post(served.app + "/cfcookies/keepalive")
        assert renewed.status_code == 204
        assert int(renewed.headers["x-cfcookies-expires"]) > time.time()
        _post(client, served.app, "/logout")
        assert client.post(served.app + "/cfcookies/keepalive").status_code == 401


def test_without_revocation_copied_cookies_still_open_the_media_after_logout(
    tmp_path: Path,
) -> None:
    """The gap that edge revocation closes: CloudFront alone cannot revoke a signed cookie."""
    app_sock, edge_sock = bind_loopback(), bind_loopback()
    app, edge, info = build_demo(
        tmp_path,
        app_origin=f"http://127.0.0.1:{port_of(app_sock)}",
        media_origin=f"http://127.0.0.1:{port_of(edge_sock)}",
        secure=False,
        insecure_allow_http=True,
        revocation=False,
    )
    assert info.revocation is False
    site = Served(info, info.app_url, info.media_url)
    with ThreadedUvicorn(app, app_sock), ThreadedUvicorn(edge, edge_sock), _client() as client:
        login = _login(client, site, "alice")
        assert {c.split("=", 1)[0] for c in _cloudfront_set_cookies(login)} == (
            ISSUED_NAMES - {"CloudFront-Session"}
        )
        assert 'data-revocation="off"' in client.get(site.app + "/").text
        copied = _copied_cookies(client)
        _post(client, site.app, "/logout", {"keep": "1"})
        assert not [c for c in client.cookies.jar if c.name.startswith("CloudFront-")]
        after = _ask_edge(site, copied)
        assert (after.status_code, after.headers["x-cfcookies-decision"]) == (200, "allowed")
        assert after.text.startswith("#EXTM3U")
        replay = _post(client, site.app, "/replay")
    row = _replayed_row(replay.text)
    assert (row["status"], row["decision"], row["policy"]) == ("200", "allowed", "allowed")
    assert 'data-revocation="off"' in replay.text
    assert "cannot revoke a signed cookie" in replay.text


def test_the_demos_copy_of_cookies_is_bounded_and_hides_values_in_repr() -> None:
    copies = _CookieCopies(limit=2)
    copies.record("a", ["CloudFront-Policy=secret-value; Path=/videos/course-1/; HttpOnly"])
    assert copies.get("a") == {("CloudFront-Policy", "/videos/course-1/"): "secret-value"}
    assert "secret-value" not in repr(copies)
    copies.record("a", ["CloudFront-Policy=; Path=/videos/course-1/; Max-Age=0"])
    assert copies.get("a") == {}
    for name in ("b", "c"):
        copies.record(name, ["CloudFront-Policy=v; Path=/videos/course-1/"])
    assert copies.get("a") == {}  # the oldest session went first
    assert copies.get("c")


# --- cfcookies demo as a process ----------------------------------------------------------------


def _demo_command() -> list[str]:
    """``python -m cfcookies demo``."""
    return [sys.executable, "-m", "cfcookies", "demo"]


class DemoProcess:
    """``cfcookies demo`` in a subprocess whose output is read line by line in a thread."""

    def __init__(self, args: list[str], tmpdir: Path) -> None:
        env = dict(os.environ, TMPDIR=str(tmpdir), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [*_demo_command(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.output.append(line)
            if text in line:
                return "".join(self.output)
        raise AssertionError(f"no {text!r} in the demo's output:\n{''.join(self.output)}")

    def finish(self, timeout: float = 20.0) -> tuple[int, str]:
        code = self.process.wait(timeout)
        self.reader.join(5)
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.output.append(line)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code, "".join(self.output)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cfcookies_demo_serves_then_stops_cleanly_on_a_signal(
    tmp_path: Path, stop_with: signal.Signals
) -> None:
    demo = DemoProcess(["--app-port", "0", "--edge-port", "0"], tmp_path)
    try:
        banner = demo.wait_for("Ready.")
        app = re.search(r"App:\s+(http://localhost:\d+)/", banner)
        edge = re.search(r"Edge:\s+(http://localhost:\d+)/", banner)
        password = re.search(r"alice\s+password (\S+)", banner)
        assert app, banner
        assert edge, banner
        assert password, banner
        assert "Local-only relaxation" in banner
        assert "Revocation: on" in banner
        assert "Replay the copied cookies" in banner
        assert "session_revoked" in banner
        assert str(tmp_path) in banner  # the throwaway keys live in TMPDIR
        assert any(tmp_path.iterdir())

        with _client() as client:
            assert client.get(app[1] + "/").status_code == 200
            assert client.get(edge[1] + "/videos/course-1/index.m3u8").status_code == 403
            login = _post(client, app[1], "/login", {"username": "alice", "password": password[1]})
            assert login.status_code == 303
            assert client.get(edge[1] + "/videos/course-1/index.m3u8").status_code == 200
        ports = [int(app[1].rsplit(":", 1)[1]), int(edge[1].rsplit(":", 1)[1])]

        demo.process.send_signal(stop_with)
        code, output = demo.finish()
    finally:
        demo.kill()
    assert code == 0, output
    assert "stopped; temporary keys deleted" in output
    assert "Traceback" not in output
    assert "edge  GET  /videos/course-1/index.m3u8 -> 200 allowed" in output
    assert list(tmp_path.iterdir()) == []  # keys and media removed
    assert all(port_is_closed(p) for p in ports)


def test_cfcookies_demo_says_so_when_its_port_is_taken(tmp_path: Path) -> None:
    taken = bind_loopback()
    taken.listen()
    try:
        demo = DemoProcess(["--app-port", str(port_of(taken)), "--edge-port", "0"], tmp_path)
        try:
            code, output = demo.finish()
        finally:
            demo.kill()
    finally:
        taken.close()
    assert code == 1
    assert "cannot serve" in output
    assert "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


def test_cfcookies_demo_keeps_a_given_media_dir_and_can_skip_the_hints(tmp_path: Path) -> None:
    scratch, media = tmp_path / "tmp", tmp_path / "media"
    scratch.mkdir()
    args = ["--app-port", "0", "--edge-port", "0", "--no-browser-hints", "--media-dir", str(media)]
    args.append("--no-revocation")
    demo = DemoProcess(args, scratch)
    try:
        banner = demo.wait_for("Ready.")
        demo.process.send_signal(signal.SIGINT)
        code, _ = demo.finish()
    finally:
        demo.kill()
    assert code == 0
    assert "bob" in banner
    assert f"Media: {media}" in banner
    assert "Revocation: off" in banner
    assert "Local-only relaxation" not in banner
    assert list(scratch.iterdir()) == []  # the keys are gone
    assert (media / "videos" / "course-2" / "index.m3u8").is_file()  # the media are kept
