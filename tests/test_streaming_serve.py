"""cfcookies.streaming.serve: the app's playlist route for players that cannot send cookies.

A logged-in session mints a capability link (``PlaylistServer.link``); the player fetches it with
no cookie at all and gets the playlist rewritten with the folder's signed query
(``PlaylistServer.answer``). The attacks come first: what a link must never open.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from cfcookies.exceptions import PlaylistLinkError, PlaylistNotFoundError
from cfcookies.keys import PrivateKey
from cfcookies.revocation import LocalDenyList, SessionSecrets
from cfcookies.session import CloudFrontCookies
from cfcookies.streaming.serve import PlaylistAnswer, PlaylistServer
from cfcookies.verify import verify_request
from tests.browser_jar_support import Browser, make_browser
from tests.middleware_apps import APP_ORIGIN, MEDIA_URL
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
        environ: dict[str, object] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
        if header:
            environ["HTTP_COOKIE"] = header
        return environ

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


def make_site(key: PrivateKey, clock: FakeClock, *, user: str = "ana", **overrides: Any) -> Site:
    browser = make_browser("wsgi", key, clock, **overrides)
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
    revoking.cookies.revoke_session(state.session_id)
    assert revoking.server.answer(token, MASTER).status == 403
    with pytest.raises(PlaylistLinkError) as refused:
        revoking.link()
    assert refused.value.reason == "revoked"


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
