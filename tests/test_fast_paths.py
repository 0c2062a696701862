"""The speed-ups give exactly what the plain code gives: each fast path against its slow path."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfcookies import policy
from cfcookies.policy import Policy
from tests.support import prefix_outcome, without_prefix_fast_path

TEXT = st.text(alphabet=st.sampled_from('ab./%2eE:@-_~ +é"\\\x00*?#'), max_size=16)


@settings(max_examples=500, deadline=None)
@given(TEXT, st.booleans(), st.booleans())
def test_normalize_prefix_fast_path_equals_the_full_path(
    body: str, leading: bool, trailing: bool
) -> None:
    prefix = ("/" if leading else "") + body + ("/" if trailing else "")
    fast = prefix_outcome(prefix)
    with without_prefix_fast_path():
        assert fast == prefix_outcome(prefix)


def slow_encode(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        if segment[i] == "%" and policy._HEX2.match(segment, i):
            out.append(segment[i : i + 3].upper())
            i += 3
            continue
        out.append(quote(segment[i], safe=policy._SEGMENT_SAFE))
        i += 1
    return "".join(out)


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_encode_segment_fast_path_equals_the_character_by_character_path(segment: str) -> None:
    assert policy._encode_segment(segment) == slow_encode(segment)


@settings(max_examples=500, deadline=None)
@given(
    st.none() | st.text(max_size=30),
    st.integers(min_value=0, max_value=10**10),
    st.none() | st.integers(min_value=0, max_value=10**10),
    st.none() | st.text(max_size=12),
)
def test_policy_json_fast_path_equals_json_dumps(
    resource: str | None, end: int, start: int | None, ip: str | None
) -> None:
    document = Policy(resource, end, start, ip)
    expected = json.dumps(document.to_dict(), separators=(",", ":"), ensure_ascii=True)
    assert document.to_json() == expected.encode()


def test_the_state_cookie_written_without_zlib_is_read_by_itsdangerous() -> None:
    from cfcookies.keys import generate_private_key
    from cfcookies.session import CloudFrontCookies, State

    cookies = CloudFrontCookies(
        media_url="https://media.example.com",
        key_pair_id="K2JCJMDEHXQW5F",
        private_key=generate_private_key("ecdsa"),
        state_secret=["new-secret-" + "n" * 32, "old-secret-" + "o" * 32],
    )
    state = State(("/a/", "/b/"), 2_000_000_000, "K2JCJMDEHXQW5F", "SHA1", None, 5, "sid", "uid")
    value = cookies.dump_state(state).split(";", 1)[0].split("=", 1)[1]
    assert cookies.codec._serializer.loads(value) == state.to_payload()
    assert cookies.read_state(f"__Host-cfcookies={value}")[0] == state


@pytest.mark.parametrize("prefix", ["", "/", "/videos", "/videos/", "/a/./b", "/a/../b", "/.."])
def test_normalize_prefix_edge_cases_agree(prefix: str) -> None:
    fast = prefix_outcome(prefix)
    with without_prefix_fast_path():
        assert fast == prefix_outcome(prefix)


_NAME = st.text(alphabet=st.sampled_from("ab.~_-%:/?#&= 09Z\\é{$"), min_size=1, max_size=12)
_DIRECTORY = st.lists(st.sampled_from(["videos", "course-1", "720p", "a.b", "x~y"]), max_size=4)


@settings(max_examples=800, deadline=None)
@given(
    _NAME,
    _DIRECTORY,
    st.sampled_from(["/videos/course-1/", "/videos/", "/", "/videos/course-1/720p/"]),
    st.sampled_from(["https://media.example.com", "https://other.example.com:8443"]),
    st.booleans(),
)
def test_an_hls_uri_beside_its_playlist_is_rewritten_as_the_full_resolution_does(
    name: str, directory: list[str], folder: str, origin: str, playlist: bool
) -> None:
    """rewrite_playlist's fast path for a plain file name beside the playlist gives what
    resolving it in full (RFC 3986) gives, for playlists in and out of the folder."""
    from cfcookies.exceptions import PlaylistError
    from cfcookies.streaming._urls import Folder, checked_url
    from cfcookies.streaming.hls import _Rewriter

    base = checked_url(origin + "/" + "/".join([*directory, "index.m3u8"]), "playlist_url")
    query = "Policy=cA__&Signature=cw__&Key-Pair-Id=K1"
    rewriter = _Rewriter(base, Folder.checked("https://media.example.com" + folder, query), None)

    def outcome(rewrite: Callable[..., str]) -> tuple[str, str]:
        try:
            return "rewritten", rewrite(name, playlist=playlist, line=1)
        except PlaylistError as exc:
            return "refused", str(exc)

    assert outcome(rewriter.uri) == outcome(rewriter.resolved)
