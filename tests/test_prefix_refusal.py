"""Refuse, never rewrite: a prefix that is not exactly one folder is refused with ResourceError.

``normalize_prefix`` used to strip whitespace (``"/users/ "`` became ``"/users/"``, ``"/\\t"``
became ``"/"``), so ``grants=lambda r: ["/users/" + name]`` with a blank ``name`` signed
``https://media…/users/*``: the whole tree of every user. It also let ``;`` through, which broke
the cookie ``Path`` attribute and turned every later response of that session into a 500.
Each attack below is written first as the input an app would really build.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from cfcookies import policy
from cfcookies.cookies import CookieAttributes, dump_cookie
from cfcookies.exceptions import ResourceError
from cfcookies.grants import grant, merge_prefixes
from cfcookies.keys import PrivateKey
from cfcookies.policy import normalize_prefix, prefix_resource
from cfcookies.session import CloudFrontCookies, RequestInfo
from cfcookies.state import State
from tests.support import RSA_KEY_ID, FakeClock

MEDIA = "https://media.example.com"

REFUSED = [
    # Whitespace around the prefix: stripping it would grant the parent folder.
    pytest.param("/users/ ", id="trailing-space-grants-all-users"),
    pytest.param("/\t", id="tab-grants-the-whole-distribution"),
    pytest.param(" /videos", id="leading-space"),
    pytest.param("/videos ", id="trailing-space"),
    pytest.param("/videos/\n", id="trailing-newline"),
    pytest.param("/users/\u00a0", id="trailing-nbsp"),
    pytest.param("/users/\u2028", id="trailing-line-separator"),
    pytest.param("\u3000/users/", id="leading-ideographic-space"),
    pytest.param("/users/\u3000", id="trailing-ideographic-space"),
    pytest.param(" ", id="blank"),
    pytest.param("\t", id="tab-only"),
    pytest.param("", id="empty"),
    # A blank name joined into a longer prefix.
    pytest.param("/users/ /videos", id="blank-segment"),
    pytest.param("/users/\u3000/videos", id="unicode-blank-segment"),
    pytest.param("/users/%20/", id="encoded-blank-segment"),
    pytest.param("/users/%20/videos", id="encoded-blank-segment-inside"),
    pytest.param("/users/%C2%A0/", id="encoded-nbsp-segment"),
    pytest.param("/users/%e3%80%80/", id="encoded-ideographic-space-segment"),
    pytest.param("/users/\u200b/", id="zero-width-space-segment"),
    pytest.param("\ufeff/videos", id="byte-order-mark"),
    pytest.param("/users/ bob/", id="segment-starts-with-space"),
    pytest.param("/users/bob /", id="segment-ends-with-space"),
    pytest.param("/users/bob%20/", id="segment-ends-with-encoded-space"),
    pytest.param("/users//", id="empty-name-then-slash"),
    pytest.param("/users//videos", id="empty-name-inside"),
    pytest.param("//videos", id="double-leading-slash"),
    pytest.param("/videos//", id="double-trailing-slash"),
    pytest.param("//", id="two-slashes"),
    # What breaks the cookie Path attribute or a Cookie header.
    pytest.param("/a;b", id="semicolon"),
    pytest.param("/videos/course-1;x=1", id="path-parameter"),
    pytest.param("/a,b", id="comma"),
    # Control characters, raw or percent-encoded, and lone surrogates.
    pytest.param("/a\x00b", id="nul"),
    pytest.param("/a\x1fb", id="unit-separator"),
    pytest.param("/a\x7fb", id="del"),
    pytest.param("/a\x85b", id="c1-next-line"),
    pytest.param("/a%00b", id="encoded-nul"),
    pytest.param("/a%0Ab", id="encoded-lf"),
    pytest.param("/a%0d%0ab", id="encoded-crlf"),
    pytest.param("/a%1fb", id="encoded-unit-separator"),
    pytest.param("/a%7Fb", id="encoded-del"),
    pytest.param("/a%C2%85b", id="encoded-c1-next-line"),
    pytest.param("/\ud800/", id="lone-surrogate"),
    # Dot segments and hidden separators.
    pytest.param("/.", id="dot"),
    pytest.param("/..", id="dot-dot"),
    pytest.param("/a/./b", id="dot-inside"),
    pytest.param("/a/../b", id="dot-dot-inside"),
    pytest.param("/a/%2e/b", id="encoded-dot"),
    pytest.param("/a/%2E%2e/b", id="encoded-dot-dot"),
    pytest.param("/a/.%2e/b", id="half-encoded-dot-dot"),
    pytest.param("/a%2Fb", id="encoded-slash"),
    pytest.param("/a%2fb", id="encoded-slash-lower"),
    pytest.param("/a%5Cb", id="encoded-backslash"),
    pytest.param("/a\\b", id="backslash"),
    pytest.param("/a/%252F/../b", id="dot-dot-after-double-encoding"),
    # Wildcards, query strings, fragments, quotes, URLs.
    pytest.param("/videos/*", id="star"),
    pytest.param("/videos/?x=1", id="question"),
    pytest.param("/videos#x", id="hash"),
    pytest.param('/a"b', id="double-quote"),
    pytest.param("https://media.example.com/videos", id="url"),
]


@pytest.mark.parametrize("prefix", REFUSED)
def test_a_prefix_that_is_not_exactly_one_folder_is_refused(prefix: str) -> None:
    with pytest.raises(ResourceError):
        normalize_prefix(prefix)


@pytest.mark.parametrize("prefix", REFUSED)
def test_the_fast_path_never_accepts_a_refused_prefix(prefix: str) -> None:
    assert not policy._NORMALIZED_PREFIX.fullmatch(prefix)
    assert not (prefix and policy._NORMALIZED_PREFIX.fullmatch(prefix + "/"))


@pytest.mark.parametrize("prefix", REFUSED)
def test_prefix_resource_refuses_what_normalize_prefix_refuses(prefix: str) -> None:
    with pytest.raises(ResourceError):
        prefix_resource(MEDIA, prefix)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        pytest.param("/", "/", id="root"),
        pytest.param("videos/course-1", "/videos/course-1/", id="no-slashes"),
        pytest.param("/videos/course-1", "/videos/course-1/", id="leading-slash"),
        pytest.param("videos/course-1/", "/videos/course-1/", id="trailing-slash"),
        pytest.param("/videos/course-1/", "/videos/course-1/", id="both-slashes"),
        pytest.param("/my course/", "/my%20course/", id="space-inside-a-name"),
        pytest.param("/my\u3000course/", "/my%E3%80%80course/", id="unicode-space-inside"),
        pytest.param("/my%20course/", "/my%20course/", id="encoded-space-inside"),
        pytest.param("/vidéo/", "/vid%C3%A9o/", id="non-ascii"),
        pytest.param("/a%2b/", "/a%2B/", id="escape-upper-cased"),
        pytest.param("/100%/", "/100%25/", id="lone-percent"),
        pytest.param("/a%3Bb/", "/a%3Bb/", id="encoded-semicolon"),
        pytest.param("/a%2Cb/", "/a%2Cb/", id="encoded-comma"),
        pytest.param("/o'brien/", "/o'brien/", id="apostrophe"),
        pytest.param("/a+b=c:d@e!$&()/", "/a+b=c:d@e!$&()/", id="sub-delims"),
        pytest.param("/course-1./...", "/course-1./.../", id="dots-that-are-names"),
        pytest.param(
            "/\U0001f468\u200d\U0001f469/",
            "/%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9/",
            id="zero-width-joiner-inside",
        ),
    ],
)
def test_a_legitimate_prefix_is_still_accepted(prefix: str, expected: str) -> None:
    assert normalize_prefix(prefix) == expected
    assert normalize_prefix(expected) == expected
    dump_cookie("n", "v", path=expected, attributes=CookieAttributes())


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        pytest.param("/users/ ", "starts or ends with whitespace", id="whitespace"),
        pytest.param("/users/ /x", "blank or starts or ends with whitespace", id="blank-segment"),
        pytest.param("/users//x", "empty segment", id="empty-segment"),
        pytest.param("/a;b", "cookie Path", id="semicolon"),
        pytest.param("/a%0Ab", "control character", id="encoded-control"),
        pytest.param("/a\x01b", "control character", id="control"),
        pytest.param("/a/%2e%2e", "'.' or '..'", id="dot-dot"),
        pytest.param("/a%2Fb", "hides a separator", id="encoded-slash"),
        pytest.param("/videos/*", "cfcookies adds the wildcard", id="wildcard"),
    ],
)
def test_the_error_shows_the_prefix_and_says_what_to_do(prefix: str, message: str) -> None:
    with pytest.raises(ResourceError, match=re.escape(message)) as caught:
        normalize_prefix(prefix)
    assert repr(prefix) in str(caught.value)


BLANK_NAMES = ["", " ", "\t", "\u00a0", "\u2028", "\u3000", "%20", "\u200b", " \u3000 "]


@pytest.mark.parametrize("name", BLANK_NAMES)
def test_a_blank_name_joined_into_a_prefix_never_grants_the_parent(name: str) -> None:
    """``f"/users/{name}/"`` and ``f"/users/{name}/videos"`` refuse a blank name.

    (``"/users/" + ""`` *is* ``"/users/"``, a grant of the parent that no check can tell from a
    deliberate one: build prefixes with a trailing or following segment, as here.)
    """
    with pytest.raises(ResourceError):
        normalize_prefix(f"/users/{name}/")
    with pytest.raises(ResourceError):
        normalize_prefix(f"/users/{name}/videos")
    if name:
        with pytest.raises(ResourceError):
            normalize_prefix("/users/" + name)


# --- through the session: refused when granted, never a 500 later --------------------------


def _cookies(key: PrivateKey, clock: FakeClock, **options: Any) -> CloudFrontCookies:
    return CloudFrontCookies(
        media_url=MEDIA,
        cookie_domain="example.com",
        key_pair_id=RSA_KEY_ID,
        private_key=key,
        state_secret="state-secret-" + "s" * 32,
        clock=clock,
        **options,
    )


REQUEST = RequestInfo("GET", "/", "app.example.com", None)


@pytest.mark.parametrize("name", [" ", "\t", "\u00a0", "%20"])
def test_a_grants_callable_with_a_blank_name_signs_nothing(
    rsa_key: PrivateKey, clock: FakeClock, name: str
) -> None:
    cookies = _cookies(rsa_key, clock, grants=lambda request: None)
    with pytest.raises(ResourceError):
        cookies.plan(REQUEST, desired=["/users/" + name])


@pytest.mark.parametrize("prefix", ["/users/ ", "/\t", "/a;b", "/a,b"])
def test_grant_refuses_at_the_call_not_on_every_later_response(prefix: str) -> None:
    scope: dict[str, Any] = {"type": "http"}
    with pytest.raises(ResourceError):
        grant(scope, prefix)
    assert "cfcookies.actions" not in scope


@pytest.mark.parametrize("prefix", ["/a;b/", "/a,b/", "/users/ /"])
def test_an_old_state_cookie_holding_a_refused_prefix_is_no_state(prefix: str) -> None:
    """A state written before the fix is read as no state (re-granted), not a 500 loop."""
    state = State((prefix,), 2_000_000_000, RSA_KEY_ID, "SHA1", None, 1_700_000_000)
    assert State.from_payload(state.to_payload()) is None


def test_merge_prefixes_refuses_a_blank_name() -> None:
    with pytest.raises(ResourceError):
        merge_prefixes(["/videos/a", "/users/ "])
