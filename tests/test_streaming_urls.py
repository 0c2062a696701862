"""cfcookies.streaming._urls: the one decision of which references get the folder's query, run
through an HLS playlist and a DASH manifest alike.

One table of benign and hostile references: the shared decision signs exactly the ones marked,
``rewrite_playlist`` and ``rewrite_mpd`` sign exactly those (in every slot they rewrite), and
CloudFront allows each one signed. The same signed references, and the same bad arguments, are
refused by both with the same error.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfcookies.exceptions import ConfigurationError, PlaylistError
from cfcookies.keys import PublicKey
from cfcookies.signing import Signer
from cfcookies.streaming._urls import Folder, resolve, split
from cfcookies.streaming.dash import rewrite_mpd
from cfcookies.streaming.hls import rewrite_playlist
from cfcookies.verify import verify_request
from tests.support import FakeClock

FOLDER = "https://media.example.com/videos/course-1/"
PLAYLIST_URL = FOLDER + "720p/index.m3u8"
MANIFEST_URL = FOLDER + "720p/manifest.mpd"
#: A stand-in query for the tests that do not verify signatures.
QUERY = "Policy=eyJTdGF0ZW1lbnQiOltdfQ__&Signature=c2lnbmF0dXJl~-_&Key-Pair-Id=K2JCJMDEHXQW5F"
MPD = (
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Period><AdaptationSet>'
    '<Representation id="v" bandwidth="1">{}</Representation></AdaptationSet></Period></MPD>'
)
#: Where a reference stands in each format: the slots the rewriters sign.
HLS_SLOTS = ["#EXTINF:4,\n{}", '#EXT-X-MAP:URI="{}"']
DASH_SLOTS = [
    '<SegmentList><SegmentURL media="{}"/></SegmentList>',
    '<SegmentTemplate media="{}" duration="2"/>',
    '<SegmentBase><Initialization sourceURL="{}"/></SegmentBase>',
]
#: What RFC 8216 forbids in a playlist: HLS refuses the whole playlist, so nothing is signed.
HLS_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def xml_text(value: str) -> str:
    """``value`` escaped for an attribute, tabs and line breaks kept."""
    return escape(value, {'"': "&quot;", "\t": "&#9;", "\n": "&#10;"})


def decided(reference: str) -> bool:
    """The shared decision, on ``reference`` written in a document at ``PLAYLIST_URL``."""
    parts = split(reference)
    return Folder.checked(FOLDER, QUERY).holds(parts, resolve(parts, split(PLAYLIST_URL)))


def hls_served(reference: str, query: str, slot: str) -> str | None:
    """What ``rewrite_playlist`` writes for ``reference`` in ``slot``; None if it refuses the
    playlist for a character RFC 8216 forbids."""
    text = "#EXTM3U\n" + slot.format(reference) + "\n"

    def rewrite() -> str:
        return rewrite_playlist(text, playlist_url=PLAYLIST_URL, query=query, folder_url=FOLDER)

    if HLS_FORBIDDEN.search(reference):
        with pytest.raises(PlaylistError, match="control character"):
            rewrite()
        return None
    return rewrite().split("\n")[-2]


def dash_signs(reference: str, query: str, slot: str) -> bool:
    manifest = MPD.format(slot.format(xml_text(reference)))
    out = rewrite_mpd(manifest, manifest_url=MANIFEST_URL, query=query, folder_url=FOLDER)
    return xml_text(query) in out


# --- one table, both formats ----------------------------------------------------------------------

SIGNED = [
    pytest.param("seg.ts", id="relative"),
    pytest.param("./seg.ts", id="dot-relative"),
    pytest.param("../720p/seg.ts", id="up-and-back"),
    pytest.param("sub/../seg.ts", id="dots-inside-a-relative-path"),
    pytest.param("../../course-1/x.ts", id="up-to-the-parent-and-back"),
    pytest.param("/videos/course-1/x.ts", id="absolute-path"),
    pytest.param("/videos/course-1/./x.ts", id="absolute-path-with-a-dot"),
    pytest.param("//media.example.com/videos/course-1/x.ts", id="network-path"),
    pytest.param("https://media.example.com/videos/course-1/x.ts", id="absolute"),
    pytest.param("HTTPS://media.example.com/videos/course-1/x.ts", id="scheme-in-capitals"),
    pytest.param("seg.ts?v=2", id="existing-query"),
    pytest.param("seg.ts?v=2&", id="query-ending-in-ampersand"),
    pytest.param("seg.ts?", id="empty-query"),
    pytest.param("seg.ts#t=1", id="fragment"),
    pytest.param("?v=2", id="query-only"),
    pytest.param("seg%20one.ts", id="encoded-space"),
    pytest.param("caf%C3%A9.ts", id="encoded-non-ascii"),
    pytest.param("café.ts", id="raw-non-ascii"),
    pytest.param("seg.ts?src=a%2Fb%2e", id="encoded-separators-in-the-query"),
    pytest.param("seg.ts?token={$token}", id="variable-in-the-query"),
]
UNSIGNED = [
    # spellings that URL parsers read differently
    pytest.param("%2e%2e/%2e%2e/course-2/x.ts", id="encoded-dots"),
    pytest.param("%2E%2E/x.ts", id="encoded-dots-in-capitals"),
    pytest.param(".%2e/x.ts", id="half-encoded-dots"),
    pytest.param("..%2fcourse-2/x.ts", id="encoded-slash"),
    pytest.param("sub%2F..%2F..%2Fx.ts", id="encoded-slashes-in-a-name"),
    pytest.param("..%5cx.ts", id="encoded-backslash"),
    pytest.param("..\\..\\course-2\\x.ts", id="backslashes"),
    pytest.param("sub\\x.ts", id="backslash-inside"),
    pytest.param("seg.ts?a=\\", id="backslash-in-the-query"),
    pytest.param("x/%2e%2e/../y.ts", id="encoded-dots-eaten-by-dots"),
    # RFC 3986 keeps it in the folder, a browser climbs to /course-2/s.m4s
    pytest.param("a/%2e%2e/%2e%2e/../../course-2/s.m4s", id="encoded-dots-a-browser-climbs"),
    pytest.param("{$base}/x.ts", id="variable-in-the-path"),
    pytest.param("se g.ts", id="space"),
    pytest.param("seg.ts?a=b c", id="space-in-the-query"),
    pytest.param("seg\u00a0.ts", id="no-break-space"),
    pytest.param("seg\u3000.ts", id="ideographic-space"),
    pytest.param("seg\t.ts", id="tab"),
    pytest.param("seg\x85.ts", id="c1-control"),
    pytest.param("seg\u2028.ts", id="line-separator"),
    pytest.param("https:seg.ts", id="scheme-without-slashes"),
    pytest.param("http:/evil.example/videos/course-1/x.ts", id="scheme-with-one-slash"),
    pytest.param("https://media.example.com/videos/course-1/./x.ts", id="absolute-with-a-dot"),
    pytest.param("//media.example.com/videos/course-1/a/../x.ts", id="network-path-with-dots"),
    # another host, or the folder's host spelled otherwise
    pytest.param("//evil.example/videos/course-1/x.ts", id="network-path-elsewhere"),
    pytest.param("https://evil.example/videos/course-1/x.ts", id="other-host"),
    pytest.param("https://media.example.com.evil.test/videos/course-1/x.ts", id="host-suffix"),
    pytest.param("https://media.example.com@evil.test/videos/course-1/x.ts", id="userinfo-trick"),
    pytest.param("https://user@media.example.com/videos/course-1/x.ts", id="userinfo"),
    pytest.param("https://MEDIA.example.com/videos/course-1/x.ts", id="host-in-capitals"),
    pytest.param("https://media.example.com./videos/course-1/x.ts", id="host-with-final-dot"),
    pytest.param("https://media.example.com:443/videos/course-1/x.ts", id="default-port"),
    pytest.param("https://media.example.com:8443/videos/course-1/x.ts", id="other-port"),
    pytest.param("http://media.example.com/videos/course-1/x.ts", id="plain-http"),
    pytest.param("//[evil/x.ts", id="broken-ipv6-host"),
    # outside the folder's path
    pytest.param("/videos/course-10/x.ts", id="prefix-sibling"),
    pytest.param("../../course-10/x.ts", id="prefix-sibling-relative"),
    pytest.param("../../course-1", id="the-folder-without-its-slash"),
    pytest.param("../../../../../etc/x.ts", id="above-the-root"),
    pytest.param("https://media.example.com/videos/course-1/../course-2/x.ts", id="dots-out"),
    # not http(s): left exactly as written, even when it looks signed
    pytest.param("skd://key-1", id="skd"),
    pytest.param("data:text/plain,hi?Policy=1", id="data"),
    pytest.param("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", id="urn"),
    pytest.param("1abc:seg.ts", id="not-a-scheme"),
]
REFERENCES = [
    *(pytest.param(*p.values, True, id=f"signed-{p.id}") for p in SIGNED),
    *(pytest.param(*p.values, False, id=f"unsigned-{p.id}") for p in UNSIGNED),
]


@pytest.fixture
def grant(signer: Signer, clock: FakeClock) -> str:
    """A real query for ``FOLDER + "*"``."""
    url = signer.sign_url(FOLDER + "x", resource=FOLDER + "*", date_less_than=clock.epoch + 3600)
    return url.partition("?")[2]


@pytest.mark.parametrize(("reference", "signed"), REFERENCES)
def test_hls_and_dash_sign_exactly_the_references_the_one_decision_signs(
    reference: str, signed: bool, grant: str, keys: dict[str, PublicKey], clock: FakeClock
) -> None:
    assert decided(reference) is signed
    for slot in HLS_SLOTS:
        served = hls_served(reference, grant, slot)
        assert (served is not None and grant in served) is signed, slot
        if signed and served is not None:
            uri = served.partition('"')[2].rstrip('"') if served.startswith("#") else served
            assert verify_request(uri, public_keys=keys, now=clock.epoch).allowed, uri
    for slot in DASH_SLOTS:
        assert dash_signs(reference, grant, slot) is signed, slot


REFUSED = [
    pytest.param("seg.ts?Policy=x", "Policy", id="policy"),
    pytest.param("seg.ts?a=1&Signature=x", "Signature", id="signature"),
    pytest.param("seg.ts?Key-Pair-Id=K", "Key-Pair-Id", id="key-pair-id"),
    pytest.param("seg.ts?Expires=1", "Expires", id="expires"),
    pytest.param("seg.ts?Hash-Algorithm=SHA256", "Hash-Algorithm", id="hash-algorithm"),
    pytest.param("seg.ts?%50olicy=x", "Policy", id="percent-encoded-name"),
    pytest.param("https://keys.example.net/k?Signature=x", "Signature", id="another-host"),
    pytest.param("../../course-10/x.ts?Policy=x", "Policy", id="prefix-sibling"),
    pytest.param("sub\\x.ts?Policy=x", "Policy", id="ambiguous"),
]


@pytest.mark.parametrize(("reference", "name"), REFUSED)
def test_hls_and_dash_refuse_the_same_signed_references(reference: str, name: str) -> None:
    """A reference already carrying a signing parameter is refused by both formats, wherever
    it points, and the message never shows the parameter's value."""
    message = f"already carries {name}"
    with pytest.raises(PlaylistError, match=message) as hls_error:
        hls_served(reference, QUERY, HLS_SLOTS[0])
    with pytest.raises(PlaylistError, match=message) as dash_error:
        dash_signs(reference, QUERY, DASH_SLOTS[0])
    for error in (hls_error, dash_error):
        assert "=x" not in str(error.value)


# --- the arguments --------------------------------------------------------------------------------

BAD_ARGUMENTS = [
    pytest.param("folder_url", FOLDER[:-1], id="folder-without-slash"),
    pytest.param("folder_url", FOLDER + "?a=1", id="folder-with-query"),
    pytest.param("folder_url", FOLDER + "?", id="folder-with-empty-query"),
    pytest.param("folder_url", FOLDER + "#x", id="folder-with-fragment"),
    pytest.param("folder_url", "https://media.example.com/videos/*/", id="folder-wildcard"),
    pytest.param("folder_url", "https://Media.example.com/videos/", id="folder-host-capitals"),
    pytest.param("folder_url", "HTTPS://media.example.com/videos/", id="folder-scheme-capitals"),
    pytest.param("folder_url", "https://u@media.example.com/videos/", id="folder-userinfo"),
    pytest.param("folder_url", "ftp://media.example.com/videos/", id="folder-ftp"),
    pytest.param("folder_url", "/videos/course-1/", id="folder-path-only"),
    pytest.param("folder_url", "https://media.example.com/my videos/", id="folder-space"),
    pytest.param("folder_url", "https://media.example.com/a/../b/", id="folder-dots"),
    pytest.param("folder_url", "https://media.example.com/%2e%2e/", id="folder-encoded-dots"),
    pytest.param("folder_url", "https://media.example.com/a//b/", id="folder-empty-segment"),
    pytest.param("folder_url", "https://media.example.com/a;b/", id="folder-semicolon"),
    pytest.param("folder_url", "https://media.example.com/caf%c3%a9/", id="folder-escape-lower"),
    pytest.param("folder_url", FOLDER.encode(), id="folder-bytes"),
    pytest.param("folder_url", None, id="folder-none"),
    pytest.param("query", "", id="query-empty"),
    pytest.param("query", None, id="query-none"),
    pytest.param("query", QUERY.encode(), id="query-bytes"),
    pytest.param("query", "?" + QUERY, id="query-question-mark"),
    pytest.param("query", "&" + QUERY, id="query-leading-ampersand"),
    pytest.param("query", QUERY + "&&v=1", id="query-empty-parameter"),
    pytest.param("query", QUERY + "#x", id="query-fragment"),
    pytest.param("query", QUERY + "&n=$Number$", id="query-dollar"),
    pytest.param("query", QUERY.replace("Signature=", "Signature=%41"), id="query-encoded"),
    pytest.param("query", "Policy=a&Signature=b", id="query-no-key-pair-id"),
    pytest.param("query", "Expires=1&Signature=b&Key-Pair-Id=K", id="query-canned"),
    pytest.param("query", QUERY + "&Policy=x", id="query-twice"),
    pytest.param("query", QUERY + "&v=2", id="query-extra"),
    pytest.param("document_url", "index.m3u8", id="document-relative"),
    pytest.param("document_url", "https://a@media.example.com/v/m", id="document-userinfo"),
    pytest.param("document_url", "https://MEDIA.example.com/v/m", id="document-host-capitals"),
    pytest.param("document_url", FOLDER + "m\n", id="document-line-break"),
    pytest.param("document_url", "https://[media.example.com/v/m", id="document-broken-host"),
    pytest.param("document_url", FOLDER + "a/../m", id="document-dots"),
    pytest.param("document_url", FOLDER + "m#x", id="document-fragment"),
    pytest.param("document_url", None, id="document-none"),
]


@pytest.mark.parametrize(("argument", "value"), BAD_ARGUMENTS)
def test_hls_and_dash_refuse_the_same_arguments_with_the_same_configuration_error(
    argument: str, value: Any
) -> None:
    """An argument that can never work is a ConfigurationError in both formats, with the same
    message (but for the document URL's name)."""
    hls: dict[str, Any] = {"playlist_url": PLAYLIST_URL, "folder_url": FOLDER, "query": QUERY}
    dash: dict[str, Any] = {"manifest_url": MANIFEST_URL, "folder_url": FOLDER, "query": QUERY}
    if argument == "document_url":
        hls["playlist_url"] = dash["manifest_url"] = value
    else:
        hls[argument] = dash[argument] = value
    with pytest.raises(ConfigurationError) as hls_error:
        rewrite_playlist("#EXTM3U\n", **hls)
    with pytest.raises(ConfigurationError) as dash_error:
        rewrite_mpd(MPD.format(""), **dash)
    assert str(hls_error.value).replace("playlist_url", "manifest_url") == str(dash_error.value)


def test_a_folder_path_not_written_as_cloudfront_compares_it_is_refused_with_the_reason() -> None:
    """folder_url's path must be what policy.normalize_prefix makes of it: the message says
    what it would be, or why it cannot be one."""
    with pytest.raises(ConfigurationError, match=r"it would be '/caf%C3%A9/'"):
        Folder.checked("https://media.example.com/caf%c3%a9/", QUERY)
    with pytest.raises(ConfigurationError, match=r"has an empty segment"):
        Folder.checked("https://media.example.com/a//b/", QUERY)


def test_a_query_lacking_a_parameter_says_which() -> None:
    with pytest.raises(ConfigurationError, match=r"^query lacks Policy, Key-Pair-Id: "):
        Folder.checked(FOLDER, "Signature=a")


# --- resolving ------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_a_split_reference_recomposes_to_the_same_text(reference: str) -> None:
    assert split(reference).text() == reference


def test_a_path_against_a_host_without_a_path_starts_at_the_root() -> None:
    """RFC 3986 section 5.2.3: x against https://host is https://host/x, and a DASH BaseURL
    that names only the media host still signs what lies in the folder below it."""
    base = split("https://media.example.com")
    assert resolve(split("videos/x.ts"), base).text() == "https://media.example.com/videos/x.ts"
    slot = "<BaseURL>https://media.example.com</BaseURL>" + DASH_SLOTS[0]
    assert dash_signs("videos/course-1/x.m4s", QUERY, slot)
    assert not dash_signs("videos/course-10/x.m4s", QUERY, slot)
