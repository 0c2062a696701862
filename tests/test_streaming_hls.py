"""HLS playlists rewritten for a folder grant (``cfcookies.streaming.hls``).

Every rewritten playlist is read again by an independent parser, the ``m3u8`` package: its URIs
must be the expected ones and its segments, durations and byte ranges those of the input. Every
URI given the query verifies with :func:`cfcookies.verify.verify_request` (a real query, signed
for the folder), and the same query put by hand on the URIs left unsigned is refused as CloudFront
refuses it, so the rewriter's in/out decision is checked against CloudFront's rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urljoin

import m3u8
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfcookies import streaming
from cfcookies.exceptions import ConfigurationError, PlaylistError, ResourceMismatchError
from cfcookies.keys import KeyRing, PrivateKey, PublicKey, SigningKey
from cfcookies.signing import Signer
from cfcookies.streaming.hls import MAX_PLAYLIST_LENGTH, rewrite_playlist
from cfcookies.verify import verify_request
from tests.support import ECDSA_KEY_ID, RSA_KEY_ID, FakeClock

MEDIA = "https://media.example.com"
FOLDER = MEDIA + "/videos/course-1/"
MASTER_URL = FOLDER + "master.m3u8"
VARIANT_URL = FOLDER + "720p/index.m3u8"
#: A stand-in query for the tests that do not verify signatures.
QUERY = "Policy=eyJTdGF0ZW1lbnQiOltdfQ__&Signature=c2lnbmF0dXJl~-_&Key-Pair-Id=K2JCJMDEHXQW5F"
APP_ROUTE = "https://app.example.com/hls?src="


def signed(url: str, query: str = QUERY) -> str:
    """``url`` with the folder's query, as the rewriter appends it."""
    return url + ("&" if "?" in url else "?") + query


def link(url: str) -> str:
    """The app's rewriting route for the nested playlist at ``url``."""
    return APP_ROUTE + quote(url, safe="")


def rewrite(text: str, playlist_url: str = VARIANT_URL, **options: Any) -> str:
    options.setdefault("query", QUERY)
    options.setdefault("folder_url", FOLDER)
    return rewrite_playlist(text, playlist_url=playlist_url, **options)


def playlist(*lines: str) -> str:
    return "\n".join(("#EXTM3U", *lines)) + "\n"


MASTER = playlist(
    "#EXT-X-VERSION:7",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    '## a comment that names URI="x.m3u8", left alone',
    '#EXT-X-SESSION-DATA:DATA-ID="com.example.title",VALUE="Course 1, part one"',
    '#EXT-X-SESSION-DATA:DATA-ID="com.example.chapters",URI="chapters.json",LANGUAGE="en"',
    '#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="keys/master.key",KEYFORMAT="identity"',
    '#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="skd://course-1",KEYFORMAT="com.apple.streamingkeydelivery"',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English, stereo",LANGUAGE="en",DEFAULT=YES,'
    'URI="audio/en/index.m3u8"',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="Français",LANGUAGE="fr",'
    'URI="https://media.example.com/videos/course-1/audio/fr/index.m3u8"',
    '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",URI="subs/en.m3u8"',
    '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="English",INSTREAM-ID="CC1"',
    '#EXT-X-STREAM-INF:BANDWIDTH=1280000,RESOLUTION=1280x720,CODECS="avc1.4d401f,mp4a.40.2",'
    'AUDIO="aac",SUBTITLES="subs",CLOSED-CAPTIONS="cc"',
    "720p/index.m3u8",
    "",
    '#EXT-X-STREAM-INF:BANDWIDTH=2560000,CODECS="avc1.640028,mp4a.40.2",AUDIO="aac"',
    "# a comment between the tag and its URI",
    "./1080p/index.m3u8?v=2",
    "#EXT-X-STREAM-INF:BANDWIDTH=640000",
    "https://other-cdn.example.net/course-1/360p/index.m3u8",
    '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,CODECS="avc1.4d401f",URI="720p/iframes.m3u8"',
    '#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=8000,RESOLUTION=320x180,URI="images/index.m3u8"',
    '#EXT-X-CONTENT-STEERING:SERVER-URI="/steering?video=course-1"',
    '#EXT-X-VENDOR-TAG:FOO="bar,baz",URI="not/rewritten.m3u8"',
)

MEDIA_PLAYLIST = playlist(
    "#EXT-X-VERSION:7",
    "#EXT-X-TARGETDURATION:6",
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    '#EXT-X-KEY:METHOD=AES-128,URI="../keys/720p.key",IV=0x00000000000000000000000000000001',
    '#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"',
    "#EXTINF:6.006,",
    "#EXT-X-BYTERANGE:100000@720",
    "main.mp4",
    "#EXTINF:6.006,",
    "#EXT-X-BYTERANGE:120000",
    "main.mp4",
    "#EXTINF:5.5,Chapter two, with a comma",
    "seg-3.m4s?v=2",
    "#EXT-X-DISCONTINUITY",
    "#EXTINF:4,",
    "https://media.example.com/videos/course-1/720p/seg-4.m4s",
    "#EXTINF:4,",
    "../../course-2/720p/seg-5.m4s",
    '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://asset-720p",KEYFORMAT="com.apple.streamingkeydelivery"',
    "#EXTINF:4,",
    "https://ads.example.net/break/seg-6.ts",
    '#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.net/k?id=7"',
    "#EXTINF:4,",
    "/videos/course-1/720p/seg-7.ts",
    "#EXT-X-KEY:METHOD=NONE",
    "#EXTINF:4,",
    "../720p/seg-8.ts#t=1",
    "#EXT-X-ENDLIST",
)

LOW_LATENCY = playlist(
    "#EXT-X-TARGETDURATION:4",
    "#EXT-X-VERSION:9",
    "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0",
    "#EXT-X-PART-INF:PART-TARGET=0.33334",
    "#EXT-X-MEDIA-SEQUENCE:266",
    '#EXT-X-MAP:URI="init.mp4"',
    '#EXT-X-PART:DURATION=0.33334,URI="filePart266.0.mp4",INDEPENDENT=YES',
    '#EXT-X-PART:DURATION=0.33334,URI="filePart266.1.mp4",BYTERANGE="1000@0"',
    "#EXTINF:4.00008,",
    "fileSequence266.mp4",
    '#EXT-X-PART:DURATION=0.33334,URI="filePart267.0.mp4",INDEPENDENT=YES',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="filePart267.1.mp4"',
    '#EXT-X-RENDITION-REPORT:URI="../1080p/index.m3u8",LAST-MSN=267,LAST-PART=0',
    '#EXT-X-RENDITION-REPORT:URI="https://other-cdn.example.net/360p.m3u8",LAST-MSN=267',
)


def parsed_uris(
    text: str, *, absolute: bool = False, base: str = VARIANT_URL
) -> dict[str, list[Any]]:
    """Every URI the ``m3u8`` package reads in ``text``, by kind (``absolute``: resolved by it)."""
    parsed = m3u8.loads(text, uri=base)
    attribute = "absolute_uri" if absolute else "uri"

    def uris(items: Any) -> list[Any]:
        return [None if item.uri is None else getattr(item, attribute) for item in items]

    segments = list(parsed.segments)
    return {
        "session_data": [d.uri for d in parsed.session_data],
        "session_keys": uris(parsed.session_keys),
        "media": uris(parsed.media),
        "playlists": uris(parsed.playlists),
        "iframe_playlists": uris(parsed.iframe_playlists),
        "image_playlists": uris(parsed.image_playlists),
        "segments": uris(segments),
        "keys": uris(s.key for s in segments if s.key is not None),
        "maps": uris(s.init_section for s in segments if s.init_section is not None),
        "parts": uris(part for s in segments for part in s.parts),
        "preload_hint": uris([parsed.preload_hint] if parsed.preload_hint else []),
        "rendition_reports": uris(parsed.rendition_reports),
    }


def timing(text: str) -> list[tuple[float, str | None, int]]:
    """Each segment's duration, byte range and number of parts, as ``m3u8`` reads them."""
    return [(s.duration, s.byterange, len(s.parts)) for s in m3u8.loads(text).segments]


# --- what is rewritten ----------------------------------------------------------------------------


def test_master_playlist_nested_playlists_keys_and_session_data_get_the_query_in_the_folder() -> (
    None
):
    out = rewrite(MASTER, MASTER_URL)
    assert parsed_uris(out, base=MASTER_URL) == {
        **parsed_uris("#EXTM3U\n"),
        "session_data": [None, signed(FOLDER + "chapters.json")],
        "session_keys": [signed(FOLDER + "keys/master.key"), "skd://course-1"],
        "media": [
            signed(FOLDER + "audio/en/index.m3u8"),
            signed(FOLDER + "audio/fr/index.m3u8"),
            signed(FOLDER + "subs/en.m3u8"),
            None,
        ],
        "playlists": [
            signed(FOLDER + "720p/index.m3u8"),
            signed(FOLDER + "1080p/index.m3u8?v=2"),
            "https://other-cdn.example.net/course-1/360p/index.m3u8",
        ],
        "iframe_playlists": [signed(FOLDER + "720p/iframes.m3u8")],
        "image_playlists": [signed(FOLDER + "images/index.m3u8")],
    }
    assert '#EXT-X-CONTENT-STEERING:SERVER-URI="/steering?video=course-1"\n' in out
    assert '#EXT-X-VENDOR-TAG:FOO="bar,baz",URI="not/rewritten.m3u8"\n' in out


def test_master_playlist_nested_playlists_in_the_folder_go_through_playlist_link() -> None:
    seen: list[str] = []

    def route(url: str) -> str:
        seen.append(url)
        return link(url)

    uris = parsed_uris(rewrite(MASTER, MASTER_URL, playlist_link=route), base=MASTER_URL)
    assert uris["media"] == [
        link(FOLDER + "audio/en/index.m3u8"),
        link(FOLDER + "audio/fr/index.m3u8"),
        link(FOLDER + "subs/en.m3u8"),
        None,
    ]
    assert uris["playlists"] == [
        link(FOLDER + "720p/index.m3u8"),
        link(FOLDER + "1080p/index.m3u8?v=2"),
        "https://other-cdn.example.net/course-1/360p/index.m3u8",  # never handed to the app
    ]
    assert uris["iframe_playlists"] == [link(FOLDER + "720p/iframes.m3u8")]
    assert uris["image_playlists"] == [link(FOLDER + "images/index.m3u8")]
    # keys and session data are not playlists: they get the query, not the link
    assert uris["session_keys"][0] == signed(FOLDER + "keys/master.key")
    assert uris["session_data"] == [None, signed(FOLDER + "chapters.json")]
    assert len(seen) == 7


def test_media_playlist_segments_keys_and_maps_are_made_absolute_and_signed_in_the_folder() -> None:
    out = rewrite(MEDIA_PLAYLIST)
    uris = parsed_uris(out)
    assert uris["segments"] == [
        signed(FOLDER + "720p/main.mp4"),
        signed(FOLDER + "720p/main.mp4"),
        signed(FOLDER + "720p/seg-3.m4s?v=2"),
        signed(FOLDER + "720p/seg-4.m4s"),
        MEDIA + "/videos/course-2/720p/seg-5.m4s",
        "https://ads.example.net/break/seg-6.ts",
        signed(FOLDER + "720p/seg-7.ts"),
        FOLDER + "720p/seg-8.ts?" + QUERY + "#t=1",  # the query goes before the fragment
    ]
    assert uris["keys"] == [signed(FOLDER + "keys/720p.key")] * 5 + [
        "skd://asset-720p",
        "https://keys.example.net/k?id=7",
        None,
    ]
    assert uris["maps"] == [signed(FOLDER + "720p/init.mp4")] * 8


def test_media_playlist_segments_durations_and_byte_ranges_are_unchanged() -> None:
    out = rewrite(MEDIA_PLAYLIST)
    assert timing(out) == timing(MEDIA_PLAYLIST)
    assert timing(out)[:2] == [(6.006, "100000@720", 0), (6.006, "120000", 0)]
    assert m3u8.loads(out).segments[0].init_section.byterange == "720@0"
    assert m3u8.loads(out).segments[2].title == "Chapter two, with a comma"


def test_low_latency_parts_preload_hints_and_rendition_reports_are_rewritten() -> None:
    out = rewrite(LOW_LATENCY, playlist_link=link)
    uris = parsed_uris(out)
    assert uris["parts"] == [
        signed(FOLDER + "720p/filePart266.0.mp4"),
        signed(FOLDER + "720p/filePart266.1.mp4"),
        signed(FOLDER + "720p/filePart267.0.mp4"),
    ]
    assert uris["preload_hint"] == [signed(FOLDER + "720p/filePart267.1.mp4")]
    assert uris["rendition_reports"] == [
        link(FOLDER + "1080p/index.m3u8"),
        "https://other-cdn.example.net/360p.m3u8",
    ]
    assert timing(out) == timing(LOW_LATENCY)
    assert m3u8.loads(out).segments[0].parts[1].byterange == '"1000@0"'


@pytest.mark.parametrize(
    ("text", "playlist_url"),
    [
        pytest.param(MASTER, MASTER_URL, id="master"),
        pytest.param(MEDIA_PLAYLIST, VARIANT_URL, id="media"),
        pytest.param(LOW_LATENCY, VARIANT_URL, id="low-latency"),
    ],
)
def test_every_byte_but_the_uris_is_kept(text: str, playlist_url: str) -> None:
    out = rewrite(text, playlist_url, playlist_link=link)
    before, after = text.split("\n"), out.split("\n")
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        if old.startswith("#") or not old:
            # a tag keeps every byte but its URI attribute's value
            assert re.sub(r'(?<=URI=")[^"]*', "", new) == re.sub(r'(?<=URI=")[^"]*', "", old)
        else:
            assert new == old or new.startswith(("https://", APP_ROUTE))


def test_attribute_lists_keep_their_spaces_order_and_quoted_commas() -> None:
    text = playlist(
        '#EXT-X-MEDIA:TYPE=AUDIO, NAME="a, URI=b, c" , URI="en.m3u8",GROUP-ID="x",',
        '#EXT-X-KEY:IV=0x1,URI="k.key",METHOD=AES-128',
    )
    assert rewrite(text) == playlist(
        f'#EXT-X-MEDIA:TYPE=AUDIO, NAME="a, URI=b, c" , URI="{signed(FOLDER + "720p/en.m3u8")}",'
        'GROUP-ID="x",',
        f'#EXT-X-KEY:IV=0x1,URI="{signed(FOLDER + "720p/k.key")}",METHOD=AES-128',
    )


def test_tags_without_a_uri_and_unknown_tags_are_kept_byte_for_byte() -> None:
    text = playlist(
        "#EXT-X-KEY:METHOD=NONE",
        "#EXT-X-KEY:",
        "#EXT-X-MAP",
        '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="En",INSTREAM-ID="CC1"',
        '#EXT-X-DATERANGE:ID="ad",START-DATE="2026-01-01T00:00:00Z",X-ASSET-URI="ad.m3u8"',
        '#EXT-X-DEFINE:NAME="base",VALUE="https://evil.example"',
        '#ext-x-key:URI="lowercase.key"',
        "#",
        "   ",
    )
    assert rewrite(text) == text


def test_uris_keep_their_surrounding_spaces_and_the_query_of_an_empty_query_is_added() -> None:
    text = playlist(
        "#EXTINF:4,", "  seg.ts  ", "#EXTINF:4,", "seg.ts?", '#EXT-X-MAP:URI=" init.mp4"'
    )
    assert rewrite(text) == playlist(
        "#EXTINF:4,",
        f"  {signed(FOLDER + '720p/seg.ts')}  ",
        "#EXTINF:4,",
        f"{FOLDER}720p/seg.ts?{QUERY}",
        f'#EXT-X-MAP:URI=" {signed(FOLDER + "720p/init.mp4")}"',
    )


def test_an_existing_query_ending_in_ampersand_gets_no_second_one() -> None:
    assert rewrite(playlist("seg.ts?v=2&")) == playlist(f"{FOLDER}720p/seg.ts?v=2&{QUERY}")


def test_uris_that_are_not_http_are_left_exactly_as_written() -> None:
    text = playlist(
        '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-1"',
        '#EXT-X-SESSION-DATA:DATA-ID="a",URI="data:application/json,{}"',
        "#EXTINF:4,",
        "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
        "#EXTINF:4,",
        "  blob:https://media.example.com/x ",
    )
    assert rewrite(text) == text


def test_a_signed_uri_outside_the_folder_is_refused_too() -> None:
    # as in a DASH manifest: signed URLs anywhere mean a playlist signed or rewritten already
    text = playlist('#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.net/k?Signature=abc"')
    with pytest.raises(PlaylistError, match=re.escape("example.net/k already carries Signature")):
        rewrite(text)


@pytest.mark.parametrize(
    ("eol", "final"),
    [
        pytest.param("\n", "\n", id="lf"),
        pytest.param("\r\n", "\r\n", id="crlf"),
        pytest.param("\n", "", id="lf-without-final-newline"),
        pytest.param("\r\n", "", id="crlf-without-final-newline"),
        pytest.param("\r\n", "\r\n\r\n", id="crlf-with-a-blank-last-line"),
    ],
)
def test_line_endings_and_the_final_newline_are_kept(eol: str, final: str) -> None:
    text = MEDIA_PLAYLIST.rstrip("\n").replace("\n", eol) + final
    out = rewrite(text)
    assert out == rewrite(MEDIA_PLAYLIST).rstrip("\n").replace("\n", eol) + final
    assert out.count("\n") == text.count("\n")
    if eol == "\r\n":
        assert out.count("\r\n") == out.count("\n")
    assert parsed_uris(out) == parsed_uris(rewrite(MEDIA_PLAYLIST))


def test_the_package_exports_the_rewriter() -> None:
    assert streaming.rewrite_playlist is rewrite_playlist
    assert streaming.MAX_PLAYLIST_LENGTH == MAX_PLAYLIST_LENGTH == 32 * 1024 * 1024


# --- the decision is CloudFront's: every signed URI verifies, none outside would ------------------


@dataclass(frozen=True)
class Grant:
    """A real query for ``FOLDER + "*"`` and what verifies it."""

    query: str
    public_keys: dict[str, PublicKey]
    now: int

    def decide(self, url: str) -> str:
        """``allowed`` or the reason CloudFront would refuse ``url``."""
        return verify_request(url, public_keys=self.public_keys, now=self.now).reason


@pytest.fixture(params=["rsa-sha1", "ecdsa-sha256"])
def grant(
    request: pytest.FixtureRequest, rsa_key: PrivateKey, ecdsa_key: PrivateKey, clock: FakeClock
) -> Grant:
    key = (
        SigningKey(RSA_KEY_ID, rsa_key)
        if request.param == "rsa-sha1"
        else SigningKey(ECDSA_KEY_ID, ecdsa_key)
    )
    url = Signer(KeyRing(key), clock=clock).sign_url(
        FOLDER + "any-file.ts", resource=FOLDER + "*", date_less_than=clock.epoch + 3600
    )
    query = url.partition("?")[2]
    assert ("Hash-Algorithm=SHA256" in query) == (request.param == "ecdsa-sha256")
    return Grant(query, {key.key_pair_id: key.private_key.public_key()}, clock.epoch)


@pytest.mark.parametrize(
    ("text", "playlist_url"),
    [
        pytest.param(MASTER, MASTER_URL, id="master"),
        pytest.param(MEDIA_PLAYLIST, VARIANT_URL, id="media"),
        pytest.param(LOW_LATENCY, VARIANT_URL, id="low-latency"),
    ],
)
def test_every_signed_uri_verifies_and_every_unsigned_one_would_be_refused(
    grant: Grant, text: str, playlist_url: str
) -> None:
    out = rewrite(text, playlist_url, query=grant.query)
    uris = [u for kind in parsed_uris(out, base=playlist_url).values() for u in kind if u]
    signed_uris = [u for u in uris if grant.query in u]
    unsigned = [u for u in uris if grant.query not in u and u.startswith("https://")]
    assert len(signed_uris) >= 7
    assert len(unsigned) >= 1
    for uri in signed_uris:
        assert grant.decide(uri) == "allowed", uri
    for uri in unsigned:
        assert grant.decide(signed(uri, grant.query)) == ResourceMismatchError.reason, uri


# What must never get the query. ``cloudfront`` is what CloudFront would decide were the query
# put on the result by hand: where it would allow, the rewriter is stricter than CloudFront,
# because players read the URI differently (WHATWG takes %2e as '.', '\' as '/') or because the
# host is not spelled as the folder spells it.
ATTACKS = [
    pytest.param(
        "%2e%2e/%2e%2e/course-2/x.ts",
        FOLDER + "720p/%2e%2e/%2e%2e/course-2/x.ts",
        "allowed",
        id="encoded-dots",
    ),
    pytest.param(
        "%2E%2E/x.ts", FOLDER + "720p/%2E%2E/x.ts", "allowed", id="encoded-dots-uppercase"
    ),
    pytest.param(".%2e/x.ts", FOLDER + "720p/.%2e/x.ts", "allowed", id="half-encoded-dots"),
    pytest.param(
        "..%2f..%2fcourse-2/x.ts",
        FOLDER + "720p/..%2f..%2fcourse-2/x.ts",
        "allowed",
        id="encoded-slash",
    ),
    pytest.param(
        "..%2F..%2Fcourse-2/x.ts",
        FOLDER + "720p/..%2F..%2Fcourse-2/x.ts",
        "allowed",
        id="encoded-slash-uppercase",
    ),
    pytest.param(
        "..%5c..%5cx.ts", FOLDER + "720p/..%5c..%5cx.ts", "allowed", id="encoded-backslash"
    ),
    pytest.param(
        "..\\..\\course-2\\x.ts", FOLDER + "720p/..\\..\\course-2\\x.ts", "allowed", id="backslash"
    ),
    pytest.param(
        "x/%2e%2e/../y.ts", FOLDER + "720p/x/y.ts", "allowed", id="encoded-dots-eaten-by-dots"
    ),
    pytest.param("{$base}/x.ts", FOLDER + "720p/{$base}/x.ts", "allowed", id="variable-reference"),
    pytest.param(
        "//evil.example/videos/course-1/x.ts",
        "https://evil.example/videos/course-1/x.ts",
        "resource_mismatch",
        id="network-path",
    ),
    pytest.param(
        "https://media.example.com.evil.test/videos/course-1/x.ts",
        "https://media.example.com.evil.test/videos/course-1/x.ts",
        "resource_mismatch",
        id="host-suffix",
    ),
    pytest.param(
        "https://media.example.com@evil.test/videos/course-1/x.ts",
        "https://media.example.com@evil.test/videos/course-1/x.ts",
        "resource_mismatch",
        id="user-info",
    ),
    pytest.param(
        "https://MEDIA.example.com/videos/course-1/x.ts",
        "https://MEDIA.example.com/videos/course-1/x.ts",
        "allowed",
        id="uppercase-host",
    ),
    pytest.param(
        "https://media.example.com:443/videos/course-1/x.ts",
        "https://media.example.com:443/videos/course-1/x.ts",
        "resource_mismatch",
        id="explicit-port",
    ),
    pytest.param(
        "http://media.example.com/videos/course-1/x.ts",
        "http://media.example.com/videos/course-1/x.ts",
        "resource_mismatch",
        id="plain-http",
    ),
    pytest.param(
        "/videos/course-10/x.ts",
        MEDIA + "/videos/course-10/x.ts",
        "resource_mismatch",
        id="prefix-sibling",
    ),
    pytest.param(
        "../../course-10/x.ts",
        MEDIA + "/videos/course-10/x.ts",
        "resource_mismatch",
        id="prefix-sibling-relative",
    ),
    pytest.param(
        "../../course-1",
        MEDIA + "/videos/course-1",
        "resource_mismatch",
        id="the-folder-without-its-slash",
    ),
    pytest.param(
        "../../../../../etc/x.ts", MEDIA + "/etc/x.ts", "resource_mismatch", id="above-the-root"
    ),
    pytest.param(
        "https://media.example.com/videos/course-1/../course-2/x.ts",
        MEDIA + "/videos/course-2/x.ts",
        "resource_mismatch",
        id="absolute-with-dots",
    ),
]


@pytest.mark.parametrize(("uri", "expected", "cloudfront"), ATTACKS)
@pytest.mark.parametrize("where", ["segment", "key"])
def test_a_uri_not_surely_in_the_folder_never_gets_the_query(
    grant: Grant, uri: str, expected: str, cloudfront: str, where: str
) -> None:
    line = uri if where == "segment" else f'#EXT-X-KEY:METHOD=AES-128,URI="{uri}"'
    out = rewrite(playlist(line), query=grant.query)
    assert out == playlist(line.replace(uri, expected))
    assert grant.decide(signed(expected, grant.query)) == cloudfront


def test_a_scheme_in_capitals_is_still_https_and_gets_the_query(grant: Grant) -> None:
    # every reader lowercases the scheme (RFC 3986, WHATWG, CloudFront), unlike a host spelling
    uri = "HTTPS://media.example.com/videos/course-1/x.ts"
    out = rewrite(playlist(uri), query=grant.query)
    assert out == playlist(signed(uri, grant.query))
    assert grant.decide(signed(uri, grant.query)) == "allowed"


def test_a_url_spelled_like_https_without_a_host_stays_as_written() -> None:
    # RFC 3986 reads it as an absolute URI without a host; WHATWG as a relative one: unsigned
    assert rewrite(playlist("https:seg.ts")) == playlist("https:seg.ts")


# --- what is refused ------------------------------------------------------------------------------

REFUSED = [
    pytest.param("", "first line must be #EXTM3U", id="empty"),
    pytest.param("#EXTINF:4,\nseg.ts\n", "first line must be #EXTM3U", id="no-header"),
    pytest.param("#EXTM3U-X\nseg.ts\n", "first line must be #EXTM3U", id="header-with-more"),
    pytest.param("\ufeff#EXTM3U\nseg.ts\n", "byte order mark", id="byte-order-mark"),
    pytest.param("#EXTM3U\nseg\x00.ts\n", "U+0000", id="nul"),
    pytest.param(
        "#EXTM3U\n#EXTINF:4,\nseg.ts\t\n", "line 3 holds the control character U+0009", id="tab"
    ),
    pytest.param('#EXTM3U\nseg.ts\r#EXT-X-KEY:URI="x"\n', "U+000D", id="lone-cr"),
    pytest.param("#EXTM3U\nseg\u2028.ts\n", "U+2028", id="line-separator"),
    pytest.param("#EXTM3U\nseg\x85.ts\n", "U+0085", id="c1-control"),
    pytest.param(
        '#EXTM3U\n  #EXT-X-KEY:URI="k"\n', "line 2 starts with spaces, then '#'", id="indented-tag"
    ),
    pytest.param(
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n",
        "line 2: EXT-X-STREAM-INF has no URI line before line 4",
        id="variant-at-the-end",
    ),
    pytest.param(
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\na.m3u8\n",
        "line 2: EXT-X-STREAM-INF has no URI line",
        id="variant-without-uri",
    ),
    pytest.param(
        '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k.key\n',
        "quoted value of URI is not closed",
        id="unclosed-quote",
    ),
    pytest.param(
        '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k.key"x\n',
        "unexpected text after the value of URI",
        id="text-after-quotes",
    ),
    pytest.param(
        '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,,URI="k.key"\n',
        "line 2: no attribute name at column 27",
        id="empty-attribute",
    ),
    pytest.param(
        '#EXTM3U\n#EXT-X-MAP:"init.mp4"\n', "line 2: no attribute name at column 12;", id="no-name"
    ),
    pytest.param(
        "#EXTM3U\n#EXT-X-SESSION-DATA:broken list\n",
        "line 2: no attribute name at column 21;",
        id="not-a-list",
    ),
    pytest.param(
        "#EXTM3U\n#EXT-X-MAP:URI=init.mp4\n",
        'value in double quotes (URI="...")',
        id="unquoted-uri",
    ),
    pytest.param(
        '#EXTM3U\n#EXT-X-MAP:URI="a.mp4",URI="b.mp4"\n', "must be one attribute", id="two-uris"
    ),
    pytest.param('#EXTM3U\n#EXT-X-MAP:uri="a.mp4"\n', "spelled URI", id="lowercase-uri"),
    pytest.param(
        '#EXTM3U\n#EXT-X-MAP:URI=""\n', "line 2: a URI attribute is empty", id="empty-uri"
    ),
    pytest.param('#EXTM3U\n#EXT-X-MAP:URI="  "\n', "a URI attribute is empty", id="blank-uri"),
    pytest.param("#EXTM3U\nseg.ts?Policy=x\n", "already carries Policy", id="policy"),
    pytest.param(
        "#EXTM3U\nseg.ts?a=1&Signature=x&Key-Pair-Id=K\n",
        "already carries Key-Pair-Id, Signature",
        id="signature",
    ),
    pytest.param("#EXTM3U\nseg.ts?Expires=1\n", "already carries Expires", id="expires"),
    pytest.param(
        "#EXTM3U\nseg.ts?Hash-Algorithm=SHA256\n",
        "already carries Hash-Algorithm",
        id="hash-algorithm",
    ),
    pytest.param("#EXTM3U\nseg.ts?%50olicy=x\n", "already carries Policy", id="encoded-name"),
    pytest.param(
        '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,URI="a.m3u8?Signature=x"\n',
        "already carries Signature",
        id="nested-playlist",
    ),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_a_playlist_that_cannot_be_rewritten_safely_is_refused(text: str, message: str) -> None:
    with pytest.raises(PlaylistError, match=re.escape(message)):
        rewrite(text, playlist_link=link)


def test_a_refusal_never_shows_the_signature_it_found() -> None:
    with pytest.raises(PlaylistError) as caught:
        rewrite(playlist("#EXTINF:4,", "seg.ts?Signature=SECRET-VALUE#frag"))
    assert "SECRET" not in str(caught.value)
    assert str(caught.value).startswith(f"line 3: the URI {FOLDER}720p/seg.ts already carries")


def test_text_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(PlaylistError, match="decode it as UTF-8"):
        rewrite(b"#EXTM3U\n")  # type: ignore[arg-type]


def test_a_playlist_over_max_length_is_refused_before_and_after_rewriting() -> None:
    text = playlist("seg.ts")  # 15 characters, 73 once rewritten
    rewritten = rewrite(text)
    assert rewrite(text, max_length=len(rewritten)) == rewritten
    with pytest.raises(
        PlaylistError, match="the playlist is 15 characters long, over max_length=14"
    ):
        rewrite(text, max_length=14)
    with pytest.raises(PlaylistError, match=r"would be longer than max_length=\d+ .*\(at line 3\)"):
        rewrite(text, max_length=len(rewritten) - 1)


# --- arguments that cannot work -------------------------------------------------------------------

BAD_ARGUMENTS = [
    pytest.param(
        {"folder_url": "https://media.example.com/videos/course-1"},
        "ending in '/'",
        id="folder-without-slash",
    ),
    pytest.param({"folder_url": FOLDER + "*"}, "no wildcard", id="folder-with-wildcard"),
    pytest.param({"folder_url": FOLDER + "?a=1"}, "no query", id="folder-with-query"),
    pytest.param(
        {"folder_url": "https://media.example.com/videos/*/"},
        "no wildcard",
        id="folder-wildcard-inside",
    ),
    pytest.param(
        {"folder_url": "/videos/course-1/"}, "folder_url must be an absolute", id="folder-relative"
    ),
    pytest.param(
        {"folder_url": "ftp://media.example.com/videos/"},
        "folder_url must be an absolute",
        id="folder-ftp",
    ),
    pytest.param(
        {"folder_url": "HTTPS://media.example.com/videos/"},
        "folder_url must be an absolute",
        id="folder-uppercase-scheme",
    ),
    pytest.param(
        {"folder_url": "https://Media.example.com/videos/"},
        "lowercase host",
        id="folder-uppercase-host",
    ),
    pytest.param(
        {"folder_url": "https://u@media.example.com/videos/"}, "no user name", id="folder-user"
    ),
    pytest.param(
        {"folder_url": "https://media.example.com"},
        "folder_url must be an absolute",
        id="folder-no-path",
    ),
    pytest.param({"folder_url": FOLDER + "#x"}, "no fragment", id="folder-fragment"),
    pytest.param(
        {"folder_url": "https://media.example.com/a b/"},
        "folder_url must be an absolute",
        id="folder-space",
    ),
    pytest.param(
        {"folder_url": "https://media.example.com/videos/../course-1/"},
        "'.' or '..' segments",
        id="folder-dots",
    ),
    pytest.param(
        {"folder_url": "https://media.example.com/videos/%2e%2e/"}, "%2e", id="folder-encoded-dots"
    ),
    pytest.param({"folder_url": 7}, "folder_url must be an absolute", id="folder-not-text"),
    pytest.param(
        {"playlist_url": "720p/index.m3u8"},
        "playlist_url must be an absolute",
        id="playlist-relative",
    ),
    pytest.param(
        {"playlist_url": FOLDER + "./index.m3u8"},
        "playlist_url must not hold '.'",
        id="playlist-dots",
    ),
    pytest.param(
        {"playlist_url": FOLDER + "a\\index.m3u8"}, "backslashes", id="playlist-backslash"
    ),
    pytest.param({"query": "?" + QUERY}, "without '?'", id="query-with-question-mark"),
    pytest.param({"query": QUERY + '"'}, "without '?'", id="query-with-a-quote"),
    pytest.param({"query": ""}, "without '?'", id="query-empty"),
    pytest.param({"query": None}, "without '?'", id="query-none"),
    pytest.param(
        {"query": "Expires=1&Signature=a&Key-Pair-Id=K"},
        "a canned policy's Expires covers one URL",
        id="query-canned",
    ),
    pytest.param({"query": QUERY + "&Policy=x"}, "once each", id="query-twice"),
    pytest.param(
        {"query": QUERY + "&v=2"},
        "nothing else, got the parameters Policy, Signature, Key-Pair-Id, v",
        id="query-extra",
    ),
    pytest.param(
        {"query": "Policy=a&Signature=b"},
        "Policy, Signature and Key-Pair-Id",
        id="query-incomplete",
    ),
    pytest.param(
        {"playlist_link": "https://app.example.com/hls"},
        "playlist_link must be None or a function",
        id="link-not-callable",
    ),
    pytest.param(
        {"max_length": 0}, "max_length must be a whole number >= 1, got 0", id="max-length-zero"
    ),
    pytest.param({"max_length": True}, "max_length must be a whole number", id="max-length-bool"),
    pytest.param({"max_length": 1.5}, "max_length must be a whole number", id="max-length-float"),
]


@pytest.mark.parametrize(("options", "message"), BAD_ARGUMENTS)
def test_arguments_that_cannot_work_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        rewrite(MASTER, **options)


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        pytest.param(None, "must return the URL of the app's playlist route", id="none"),
        pytest.param("", "must return the URL", id="empty"),
        pytest.param("#EXT-X-KEY:URI=x", "not starting with '#'", id="a-tag"),
        pytest.param('/hls?u="x"', "a quote", id="quote"),
        pytest.param("/hls?u=x\n#EXT-X-KEY", "control character", id="line-break"),
        pytest.param("/hls?u=a b", "a space", id="space"),
    ],
)
def test_a_playlist_link_that_would_break_the_playlist_is_refused(
    returned: object, message: str
) -> None:
    broken: Callable[[str], Any] = lambda url: returned  # noqa: E731
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        rewrite(MASTER, MASTER_URL, playlist_link=broken)


def test_playlist_url_and_folder_url_may_carry_a_port_and_an_ipv6_host() -> None:
    for host in ("localhost:8443", "[::1]:8443", "127.0.0.1"):
        folder = f"http://{host}/v/"
        out = rewrite(playlist("a/seg.ts"), folder + "index.m3u8?token=1", folder_url=folder)
        assert out == playlist(signed(folder + "a/seg.ts"))


def test_a_playlist_outside_the_folder_may_point_into_it() -> None:
    text = playlist("#EXT-X-STREAM-INF:BANDWIDTH=1", "course-1/720p/index.m3u8", "course-2/x.m3u8")
    out = rewrite(text, MEDIA + "/videos/master.m3u8", playlist_link=link)
    assert out == playlist(
        "#EXT-X-STREAM-INF:BANDWIDTH=1",
        link(FOLDER + "720p/index.m3u8"),
        MEDIA + "/videos/course-2/x.m3u8",
    )


# --- a property: the query comes off again, and nothing else moved --------------------------------

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PREFIXES = [
    "",
    "./",
    "../",
    "../../",
    "../../../../",
    "sub/./",
    "sub/../",
    "/videos/course-1/",
    "/videos/course-10/",
    "/videos/",
    "//media.example.com/videos/course-1/",
    "//cdn.example.net/videos/course-1/",
    "https://media.example.com/videos/course-1/",
    "https://media.example.com/videos/course-1/sub/",
    "https://media.example.com/elsewhere/",
    "https://other.example/videos/course-1/",
    "http://media.example.com/videos/course-1/",
    "%2e%2e/",
    "sub%2F",
    "sub\\",
]
NAMES = st.text(alphabet="abz09-_.~", min_size=1, max_size=6).filter(lambda n: n not in (".", ".."))
QUERIES = st.sampled_from(["", "?v=2", "?a=1&b=two"])
URIS = st.one_of(
    st.builds(lambda p, n, q: p + n + q, st.sampled_from(PREFIXES), NAMES, QUERIES),
    st.sampled_from(["skd://key-1", "data:text/plain,hi"]),
)
#: A tag of each kind whose URI is rewritten, ``{}`` where the URI goes, and whether it names
#: a playlist; the other attributes are there for ``m3u8``, which needs them.
URI_TAGS = [
    ('#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,CODECS="a,b",URI="{}"', True),
    ('#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=1,URI="{}"', True),
    ('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="g",NAME="x, y",URI="{}"', True),
    ('#EXT-X-RENDITION-REPORT:URI="{}",LAST-MSN=1', True),
    ('#EXT-X-KEY:METHOD=AES-128,URI="{}",IV=0x1', False),
    ('#EXT-X-SESSION-KEY:METHOD=AES-128,URI="{}"', False),
    ('#EXT-X-SESSION-DATA:DATA-ID="d",URI="{}"', False),
    ('#EXT-X-MAP:URI="{}",BYTERANGE="10@0"', False),
    ('#EXT-X-PART:DURATION=1, URI="{}"', False),
    ('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{}"', False),
]
#: A piece of playlist: its lines, ``{}`` where the URI goes, the URI, whether it names a playlist.
Piece = tuple[tuple[str, ...], str, bool]
PIECES: st.SearchStrategy[Piece] = st.one_of(
    st.builds(lambda u: (("#EXTINF:4.0,", "{}"), u, False), URIS),
    st.builds(lambda u: (("#EXTINF:2,", "#EXT-X-BYTERANGE:100@0", " {} "), u, False), URIS),
    st.builds(
        lambda u: (('#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="a,b"', "# x", "", "{}"), u, True), URIS
    ),
    st.builds(lambda tag, u: ((tag[0],), u, tag[1]), st.sampled_from(URI_TAGS), URIS),
    st.sampled_from(
        [
            (('#EXT-X-VENDOR:URI="keep.ts"',), "", False),
            (('# a comment, URI="keep.ts"',), "", False),
            (("",), "", False),
            (("#EXT-X-DISCONTINUITY",), "", False),
        ]
    ),
)
AMBIGUOUS = re.compile(r"%2e|%2f|%5c|\\", re.IGNORECASE)


@PROPERTY
@given(
    pieces=st.lists(PIECES, max_size=12),
    eol=st.sampled_from(["\n", "\r\n"]),
    final=st.booleans(),
    use_link=st.booleans(),
    playlist_url=st.sampled_from([MASTER_URL, VARIANT_URL, FOLDER + "a/b/index.m3u8?x=1"]),
)
def test_the_query_comes_off_again_and_nothing_else_moves(
    pieces: list[Piece], eol: str, final: bool, use_link: bool, playlist_url: str
) -> None:
    lines = ["#EXTM3U"] + [line.replace("{}", uri) for t, uri, _ in pieces for line in t]
    text = eol.join(lines) + (eol if final else "")
    out = rewrite(text, playlist_url, playlist_link=link if use_link else None)
    out_lines = out.split(eol)
    assert len(out_lines) == len(lines) + final
    if final:
        assert out_lines.pop() == ""
    assert out_lines[0] == "#EXTM3U"
    served = iter(out_lines[1:])
    for template, uri, names_playlist in pieces:
        for line in template:
            written = next(served)
            if "{}" not in line:
                assert written == line  # not a URI: unchanged
                continue
            before, after = line.split("{}")
            assert written.startswith(before)
            assert written.endswith(after)
            written = written[len(before) : len(written) - len(after)]
            # take the query (or the app's link) off again: the input's URI, resolved
            if written.startswith(APP_ROUTE):
                back, how = unquote(written[len(APP_ROUTE) :]), "link"
            elif QUERY in written:
                back, how = written.replace("&" + QUERY, "").replace("?" + QUERY, ""), "query"
            else:
                back, how = written, "none"
            resolved = uri if uri.startswith(("skd:", "data:")) else urljoin(playlist_url, uri)
            assert back == resolved
            if not resolved.startswith(FOLDER) or AMBIGUOUS.search(uri + resolved):
                assert how == "none"
            else:
                assert how == ("link" if use_link and names_playlist else "query")
    before_parse, after_parse = m3u8.loads(text), m3u8.loads(out)
    assert timing(out) == timing(text)
    assert len(after_parse.playlists) == len(before_parse.playlists)


def test_relative_resolution_agrees_with_urllib_on_rfc_3986_examples() -> None:
    # RFC 3986 section 5.4's normal and abnormal examples, on a base in this folder
    base = FOLDER + "b/c/d;p?q"
    references = [
        "g", "./g", "g/", "/videos/course-1/g", "?y", "g?y", "#s", "g#s", "g?y#s", ";x", "g;x",
        "g;x?y#s", ".", "./", "..", "../", "../g", "../..", "../../", "../../g", "../../../g",
        "../../../../g", "/./g", "/../g", "g.", ".g", "g..", "..g", "./../g", "./g/.", "g/./h",
        "g/../h", "g;x=1/./y", "g;x=1/../y", "g?y/./x", "g?y/../x", "g#s/./x", "g#s/../x",
    ]  # fmt: skip
    for reference in references:
        target, hash_mark, fragment = urljoin(base, reference).partition("#")
        if target.startswith(FOLDER):
            target = signed(target)
        served = target + hash_mark + fragment
        out = rewrite(playlist(f'#EXT-X-MAP:URI="{reference}"'), base)
        assert out == playlist(f'#EXT-X-MAP:URI="{served}"'), reference
