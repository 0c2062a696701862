"""Policies: one statement, its resource, dates and IP range, as CloudFront reads them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from cfcookies.exceptions import (
    IPAddressError,
    MalformedPolicyError,
    PolicyTimeError,
    ResourceError,
)
from cfcookies.policy import (
    Policy,
    canned_policy_json,
    normalize_ip_address,
    normalize_prefix,
    parse_policy,
    prefix_resource,
    resource_matches,
    system_clock,
    validate_resource,
)
from tests.support import FakeClock

RESOURCE = "https://media.example.com/videos/course-1/*"
END = 1_800_000_000
START = 1_799_990_000


# --- JSON shape ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(
            {},
            '{"Statement":[{"Resource":"https://media.example.com/videos/course-1/*",'
            '"Condition":{"DateLessThan":{"AWS:EpochTime":1800000000}}}]}',
            id="expiry-only",
        ),
        pytest.param(
            {"date_greater_than": START},
            '{"Statement":[{"Resource":"https://media.example.com/videos/course-1/*",'
            '"Condition":{"DateLessThan":{"AWS:EpochTime":1800000000},'
            '"DateGreaterThan":{"AWS:EpochTime":1799990000}}}]}',
            id="with-start",
        ),
        pytest.param(
            {"ip_address": "192.0.2.0/24"},
            '{"Statement":[{"Resource":"https://media.example.com/videos/course-1/*",'
            '"Condition":{"DateLessThan":{"AWS:EpochTime":1800000000},'
            '"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}}}]}',
            id="with-ip",
        ),
        pytest.param(
            {"date_greater_than": START, "ip_address": "192.0.2.7"},
            '{"Statement":[{"Resource":"https://media.example.com/videos/course-1/*",'
            '"Condition":{"DateLessThan":{"AWS:EpochTime":1800000000},'
            '"DateGreaterThan":{"AWS:EpochTime":1799990000},'
            '"IpAddress":{"AWS:SourceIp":"192.0.2.7/32"}}}]}',
            id="with-start-and-ip",
        ),
    ],
)
def test_custom_policy_json_is_compact_in_stable_key_order(
    kwargs: dict[str, object], expected: str
) -> None:
    """A custom policy serialises to compact JSON: Resource, DateLessThan, DateGreaterThan, Ip."""
    policy = Policy.custom(RESOURCE, date_less_than=END, **kwargs)  # type: ignore[arg-type]
    assert policy.to_json() == expected.encode()


def test_custom_policy_has_exactly_one_statement_with_resource_and_expiry() -> None:
    """The emitted document is one statement holding Resource and Condition.DateLessThan."""
    doc = json.loads(Policy.custom(RESOURCE, date_less_than=END).to_json())
    assert list(doc) == ["Statement"]
    assert len(doc["Statement"]) == 1
    assert doc["Statement"][0]["Resource"] == RESOURCE
    assert doc["Statement"][0]["Condition"]["DateLessThan"] == {"AWS:EpochTime": END}


def test_resource_with_query_string_appears_literally_in_json() -> None:
    """An ``&`` in the resource's query string is written as is, never as ``\\u0026``."""
    resource = "https://media.example.com/a.mp4?a=1&b=2"
    assert (
        b'"Resource":"https://media.example.com/a.mp4?a=1&b=2"'
        in Policy.custom(resource, date_less_than=END).to_json()
    )


def test_canned_policy_is_byte_exact() -> None:
    """A canned policy is the exact string CloudFront rebuilds from the request."""
    assert canned_policy_json("https://d111111abcdef8.cloudfront.net/image.jpg?a=1&b=2", END) == (
        b'{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/image.jpg?a=1&b=2",'
        b'"Condition":{"DateLessThan":{"AWS:EpochTime":1800000000}}}]}'
    )


def test_canned_policy_equals_custom_policy_of_the_same_shape() -> None:
    """An expiry-only custom policy without wildcard has the same bytes as the canned one."""
    url = "https://media.example.com/a.mp4"
    assert Policy.custom(url, date_less_than=END).to_json() == canned_policy_json(url, END)


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param("https://media.example.com/videos/*", id="star"),
        pytest.param("*", id="everything"),
        pytest.param("*://media.example.com/a.mp4", id="any-scheme"),
        pytest.param("https://media.example.com/a.mp4?x?y", id="question-wildcard"),
        pytest.param("https://media.example.com/a.mp4\\?x=1", id="escaped-question"),
    ],
)
def test_canned_policy_refuses_wildcards(resource: str) -> None:
    """A canned policy refuses ``*`` and ``?`` wildcards (it would silently never match)."""
    with pytest.raises(ResourceError):
        canned_policy_json(resource, END)


def test_canned_policy_wildcard_error_points_to_custom_policy() -> None:
    """The canned-wildcard error explains that a custom policy is needed."""
    with pytest.raises(ResourceError, match="custom policy"):
        canned_policy_json("https://media.example.com/videos/*", END)


@pytest.mark.parametrize(
    "value",
    [pytest.param("1800000000", id="str"), pytest.param(True, id="bool")],
)
def test_canned_policy_wants_integer_seconds(value: object) -> None:
    """The canned policy expiry must be an int, not a string or bool."""
    with pytest.raises(PolicyTimeError):
        canned_policy_json("https://media.example.com/a.mp4", value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("policy", "shape"),
    [
        pytest.param(Policy("https://m.example.com/a.mp4", END), True, id="exact-url"),
        pytest.param(Policy(RESOURCE, END), False, id="wildcard"),
        pytest.param(Policy("https://m.example.com/a.mp4", END, START), False, id="start"),
        pytest.param(
            Policy("https://m.example.com/a.mp4", END, None, "10.0.0.0/8"), False, id="ip"
        ),
        pytest.param(Policy(None, END), False, id="no-resource"),
    ],
)
def test_is_canned_shape(policy: Policy, shape: bool) -> None:
    """Only an exact URL with nothing but an expiry could be sent as a canned policy."""
    assert policy.is_canned_shape is shape


def test_policy_without_resource_omits_it() -> None:
    """A parsed policy without Resource serialises without one."""
    assert Policy(None, END).to_json() == (
        b'{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1800000000}}}]}'
    )


# --- resources -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param("https://media.example.com/a.mp4", id="https"),
        pytest.param("http://media.example.com/a.mp4", id="http"),
        pytest.param("http*://media.example.com/*", id="http-star"),
        pytest.param("*://media.example.com/*", id="any-scheme"),
        pytest.param("*", id="everything"),
        pytest.param("https://media.example.com/a%20b.mp4?x=1&y=2", id="encoded-and-query"),
        pytest.param("https://media.example.com/*game_download.zip*", id="inner-star"),
        pytest.param("https://media.example.com/horizon.jpg\\?size=large", id="escaped-question"),
        pytest.param("https://media.example.com/seg-?.ts", id="question-wildcard"),
        pytest.param("https://media.example.com/a?b?c", id="second-question-mark"),
        pytest.param("https://media.example.com/a\\?b=?", id="escaped-then-wildcard"),
    ],
)
def test_validate_resource_accepts(resource: str) -> None:
    """Resources CloudFront can match are returned unchanged."""
    assert validate_resource(resource) == resource


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param('https://media.example.com/a"b', id="quote"),
        pytest.param("https://media.example.com/a\\b", id="backslash"),
        pytest.param("https://media.example.com/a\nb", id="newline"),
        pytest.param("https://media.example.com/a\x00b", id="nul"),
        pytest.param("https://media.example.com/a\x7fb", id="del"),
        pytest.param("https://media.example.com/a b", id="space"),
        pytest.param("https://media.example.com/a\tb", id="tab"),
        pytest.param("https://media.example.com/vidéo", id="non-ascii"),
        pytest.param("https://médiá.example.com/a", id="non-ascii-host"),
        pytest.param("https://media.example.com/a#frag", id="fragment"),
        pytest.param("ftp://media.example.com/a", id="scheme"),
        pytest.param("media.example.com/a", id="no-scheme"),
        pytest.param("", id="empty"),
        pytest.param("https://media.example.com?a=1", id="question-in-host"),
        pytest.param("https://media.example.com\\?a=1", id="escaped-question-in-host"),
        pytest.param("https://media.example.com/a\\?b\\?c", id="two-escaped-questions"),
        pytest.param("https://media.example.com/a\\b?c", id="other-backslash"),
        pytest.param("https://media.example.com/a\\", id="trailing-backslash"),
        pytest.param("https://media?.example.com/a", id="question-wildcard-in-host"),
    ],
)
def test_validate_resource_rejects(resource: str) -> None:
    """Resources that need JSON escaping, could never match, or put ``?`` in the host raise."""
    with pytest.raises(ResourceError):
        validate_resource(resource)


def test_validate_resource_rejects_non_string() -> None:
    """A resource must be a str."""
    with pytest.raises(ResourceError):
        validate_resource(b"https://media.example.com/a")  # type: ignore[arg-type]


def test_validate_resource_error_says_how_to_fix() -> None:
    """The error for a space says to percent-encode it."""
    with pytest.raises(ResourceError, match="percent-encode"):
        validate_resource("https://media.example.com/a b")


def test_policy_custom_validates_the_resource() -> None:
    """Policy.custom refuses a resource with a quote."""
    with pytest.raises(ResourceError):
        Policy.custom('https://media.example.com/"', date_less_than=END)


def test_canned_resource_needs_http_or_https() -> None:
    """A canned policy needs a real URL, not a ``*://`` pattern."""
    with pytest.raises(ResourceError):
        validate_resource("*://media.example.com/a.mp4", allow_wildcards=False)


# --- prefixes --------------------------------------------------------------------------------


def test_prefix_resource_example() -> None:
    """The documented example: a folder prefix becomes ``<base>/<folder>/*``."""
    assert (
        prefix_resource("https://media.example.com", "/videos/course-1")
        == "https://media.example.com/videos/course-1/*"
    )


@pytest.mark.parametrize(
    ("base", "prefix", "expected"),
    [
        pytest.param(
            "https://media.example.com/",
            "videos/course-1/",
            "https://media.example.com/videos/course-1/*",
            id="slashes",
        ),
        pytest.param(
            "https://MEDIA.example.com", "/videos", "https://media.example.com/videos/*", id="host"
        ),
        pytest.param("https://media.example.com", "/", "https://media.example.com/*", id="root"),
        pytest.param(
            "https://media.example.com/base",
            "/videos",
            "https://media.example.com/base/videos/*",
            id="base-path",
        ),
        pytest.param(
            "http://localhost:8443", "/a b/c", "http://localhost:8443/a%20b/c/*", id="space-port"
        ),
        pytest.param(
            "https://media.example.com", "/a%20b", "https://media.example.com/a%20b/*", id="escape"
        ),
    ],
)
def test_prefix_resource_table(base: str, prefix: str, expected: str) -> None:
    """Prefixes are normalised to one percent-encoded folder ending in ``/*``."""
    assert prefix_resource(base, prefix) == expected


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        pytest.param("videos/course-1", "/videos/course-1/", id="no-slashes"),
        pytest.param("/videos/course-1/", "/videos/course-1/", id="slashes"),
        pytest.param("a b", "/a%20b/", id="space-encoded"),
        pytest.param("a%20b", "/a%20b/", id="escape-kept"),
        pytest.param("a%2b", "/a%2B/", id="escape-upper-cased"),
        pytest.param("100%", "/100%25/", id="lone-percent"),
        pytest.param("vidéo", "/vid%C3%A9o/", id="non-ascii-utf8"),
        pytest.param("a+b!c$d=e:f@g&h'(i)", "/a+b!c$d=e:f@g&h'(i)/", id="sub-delims-kept"),
        pytest.param("a%3Bb%2Cc", "/a%3Bb%2Cc/", id="encoded-semicolon-comma-kept"),
        pytest.param("/my course/", "/my%20course/", id="space-inside-a-name"),
        pytest.param("/", "/", id="root"),
    ],
)
def test_normalize_prefix_encodes_segments_exactly_once(prefix: str, expected: str) -> None:
    """Path segments are percent-encoded exactly once and end in ``/``."""
    assert normalize_prefix(prefix) == expected
    assert normalize_prefix(expected) == expected


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param("/videos/*", id="star"),
        pytest.param("/videos/?", id="question"),
        pytest.param("/videos#x", id="hash"),
        pytest.param("https://media.example.com/videos", id="url"),
        pytest.param("/a//b", id="empty-segment"),
        pytest.param("/a/../b", id="dot-dot"),
        pytest.param("/a/%2e%2e/b", id="encoded-dot-dot"),
        pytest.param("/a/./b", id="dot"),
        pytest.param("/a%2Fb", id="encoded-slash"),
        pytest.param("/a%5Cb", id="encoded-backslash"),
        pytest.param('/a"b', id="quote"),
        pytest.param("/a\x01b", id="control"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("/users/ ", id="trailing-space"),
        pytest.param(" /videos", id="leading-space"),
        pytest.param("/\t", id="root-and-tab"),
        pytest.param("/users/%20/x", id="encoded-blank-segment"),
        pytest.param("//videos", id="double-leading-slash"),
        pytest.param("/a;b", id="semicolon"),
        pytest.param("/a,b", id="comma"),
        pytest.param("/a%0Ab", id="encoded-control"),
        pytest.param(None, id="none"),
    ],
)
def test_normalize_prefix_rejects(prefix: object) -> None:
    """Prefixes that would grant more than meant, or never match, raise ResourceError."""
    with pytest.raises(ResourceError):
        normalize_prefix(prefix)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base",
    [
        pytest.param("ftp://media.example.com", id="scheme"),
        pytest.param("https://", id="no-host"),
        pytest.param("https://media.example.com?x=1", id="query"),
        pytest.param("https://user@media.example.com", id="userinfo"),
        pytest.param("https://médiá.example.com", id="idn"),
        pytest.param(b"https://media.example.com", id="bytes"),
    ],
)
def test_prefix_resource_rejects_bad_distribution_urls(base: object) -> None:
    """The distribution URL must be scheme://host[:port][/path] in ASCII."""
    with pytest.raises(ResourceError):
        prefix_resource(base, "/videos")  # type: ignore[arg-type]


def test_prefix_resource_never_emits_question_mark() -> None:
    """No prefix yields a resource with a ``?`` (never used as a wildcard)."""
    for prefix in ("/a b", "/a%3Fb", "/videos/course-1", "/x:y"):
        assert "?" not in prefix_resource("https://media.example.com", prefix)


# --- matching --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "url", "expected"),
    [
        pytest.param(RESOURCE, "https://media.example.com/videos/course-1/a.ts", True, id="in"),
        pytest.param(
            RESOURCE, "https://media.example.com/videos/course-1/x/y.ts", True, id="nested"
        ),
        pytest.param(
            RESOURCE, "https://media.example.com/videos/course-1/a.ts?v=2", True, id="query"
        ),
        pytest.param(
            RESOURCE, "https://media.example.com/videos/course-10/a.ts", False, id="sibling"
        ),
        pytest.param(RESOURCE, "https://media.example.com/videos/course-1", False, id="folder"),
        pytest.param(RESOURCE, "http://media.example.com/videos/course-1/a", False, id="scheme"),
        pytest.param(RESOURCE, "https://other.example.com/videos/course-1/a", False, id="host"),
        pytest.param(RESOURCE, "https://MEDIA.example.com/videos/course-1/a", True, id="host-ci"),
        pytest.param(RESOURCE, "https://media.example.com/Videos/course-1/a", False, id="case"),
        pytest.param("https://m.example.com/a.mp4", "https://m.example.com/a.mp4", True, id="eq"),
        pytest.param(
            "https://m.example.com/a.mp4", "https://m.example.com/a.mp4?x=1", False, id="extra-q"
        ),
        pytest.param(
            "https://m.example.com/a.mp4?x=1&y=2",
            "https://m.example.com/a.mp4?x=1&y=2",
            True,
            id="exact-query",
        ),
        pytest.param(
            "https://m.example.com/hello*world", "https://m.example.com/hello-world", True, id="in-"
        ),
        pytest.param(
            "https://m.example.com/hello*world",
            "https://m.example.com/hello/x?world",
            False,
            id="q",
        ),
        pytest.param("https://m.example.com*", "https://m.example.com.evil/x?y", True, id="dom*"),
        pytest.param("*://m.example.com/a", "http://m.example.com/a", True, id="any-scheme"),
        pytest.param("*", "https://anything.example/x", True, id="star"),
        pytest.param(None, "https://anything.example/x", True, id="no-resource"),
        pytest.param("*example.com", "https://cdn.example.com/", True, id="bare-domain"),
        pytest.param("*example.com/a/*", "http://cdn.example.com/a/b", True, id="bare-path"),
        pytest.param("https://m.example.com", "https://m.example.com/", True, id="host-only"),
        pytest.param("https://m.example.com", "https://m.example.com/a", False, id="host-not-a"),
        pytest.param(
            "https://m.example.com/a%20b/*", "https://m.example.com/a%20b/c", True, id="encoded"
        ),
        pytest.param(
            "https://m.example.com/a%20b/*", "https://m.example.com/a b/c", False, id="raw-space"
        ),
    ],
)
def test_resource_matches(resource: str | None, url: str, expected: bool) -> None:
    """Wildcards match within their section; the path is compared as sent."""
    assert resource_matches(resource, url) is expected


def test_prefix_never_matches_sibling_with_longer_name() -> None:
    """``/videos/course-1`` grants course-1's files and never course-10's."""
    resource = prefix_resource("https://media.example.com", "/videos/course-1")
    assert resource_matches(resource, "https://media.example.com/videos/course-1/seg-0001.ts")
    assert not resource_matches(resource, "https://media.example.com/videos/course-10/seg.ts")
    assert not resource_matches(resource, "https://media.example.com/videos/course-1.ts")


# --- IP addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("192.0.2.7", "192.0.2.7/32", id="bare"),
        pytest.param(" 192.0.2.7 ", "192.0.2.7/32", id="spaces"),
        pytest.param("192.0.2.0/24", "192.0.2.0/24", id="cidr"),
        pytest.param("0.0.0.0/0", "0.0.0.0/0", id="everything"),
        pytest.param("10.1.2.3/32", "10.1.2.3/32", id="slash-32"),
    ],
)
def test_normalize_ip_address(value: str, expected: str) -> None:
    """IPv4 addresses and CIDR ranges are accepted; a bare address gets ``/32``."""
    assert normalize_ip_address(value) == expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        pytest.param("2001:db8::1", "IPv6", id="ipv6"),
        pytest.param("2001:db8::/32", "IPv6", id="ipv6-cidr"),
        pytest.param("192.0.2.7/24", "host bits set; did you mean 192.0.2.0/24", id="host-bits"),
        pytest.param("192.0.2.300", "IPv4 address or CIDR", id="bad-octet"),
        pytest.param("192.0.2.0/33", "IPv4 address or CIDR", id="bad-mask"),
        pytest.param("example.com", "IPv4 address or CIDR", id="name"),
        pytest.param("", "IPv4 address or CIDR", id="empty"),
    ],
)
def test_normalize_ip_address_rejects(value: str, match: str) -> None:
    """IPv6, host bits and non-addresses are refused with an explanation."""
    with pytest.raises(IPAddressError, match=match):
        normalize_ip_address(value)


def test_ipv6_error_explains_cloudfront_limit() -> None:
    """The IPv6 error says AWS:SourceIp supports IPv4 only."""
    with pytest.raises(IPAddressError, match="IPv4 only"):
        Policy.custom(RESOURCE, date_less_than=END, ip_address="::1")


@pytest.mark.parametrize(
    "start",
    [pytest.param(END, id="equal"), pytest.param(END + 1, id="after")],
)
def test_start_not_before_end_is_refused(start: int) -> None:
    """date_greater_than on or after date_less_than raises PolicyTimeError."""
    with pytest.raises(PolicyTimeError, match="before"):
        Policy.custom(RESOURCE, date_less_than=END, date_greater_than=start)


def test_policy_times_from_clock(clock: FakeClock) -> None:
    """Policy.custom accepts timedeltas against the injected clock for both dates."""
    policy = Policy.custom(
        RESOURCE,
        date_less_than=timedelta(hours=1),
        date_greater_than=timedelta(minutes=-5),
        clock=clock,
    )
    assert policy.date_less_than == clock.epoch + 3600
    assert policy.date_greater_than == clock.epoch - 300


def test_system_clock_is_aware_utc() -> None:
    """The default clock gives an aware UTC datetime."""
    assert system_clock().utcoffset() == timedelta(0)


# --- parsing ---------------------------------------------------------------------------------


def test_parse_policy_round_trip() -> None:
    """Parsing an emitted policy gives back the same Policy."""
    policy = Policy.custom(
        RESOURCE, date_less_than=END, date_greater_than=START, ip_address="10.0.0.0/8"
    )
    assert parse_policy(policy.to_json()) == policy


def test_parse_policy_ignores_whitespace_and_order() -> None:
    """Whitespace and key order do not matter when parsing."""
    text = (
        b'{ "Statement": [ { "Condition": { "IpAddress": {"AWS:SourceIp": "10.0.0.1"}, '
        b'"DateLessThan": {"AWS:EpochTime": 1800000000} }, "Resource": "https://a.example/*" } ] }'
    )
    assert parse_policy(text) == Policy("https://a.example/*", END, None, "10.0.0.1/32")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"\xff", id="not-utf8"),
        pytest.param(b"[]", id="not-object"),
        pytest.param(b'{"Statement":{"Condition":{}}}', id="statement-object"),
        pytest.param(b'{"Statement":[]}', id="no-statement"),
        pytest.param(
            b'{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}},'
            b'{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}',
            id="two-statements",
        ),
        pytest.param(b'{"Statement":[{"Resource":"x"}]}', id="no-condition"),
        pytest.param(b'{"Statement":[{"Condition":{}}]}', id="no-date-less-than"),
        pytest.param(
            b'{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"1"}}}]}', id="quoted"
        ),
        pytest.param(
            b'{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":true}}}]}', id="bool"
        ),
        pytest.param(b'{"Statement":[{"Condition":{"DateLessThan":1}}]}', id="bare-number"),
        pytest.param(
            b'{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},"Foo":{}}}]}',
            id="unknown-condition",
        ),
        pytest.param(
            b'{"Statement":[{"Resource":["a"],"Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}',
            id="resource-list",
        ),
        pytest.param(
            b'{"Statement":[{"Effect":"Allow","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}',
            id="unknown-field",
        ),
        pytest.param(
            b'{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},'
            b'"IpAddress":{"AWS:SourceIp":"::1"}}}]}',
            id="ipv6",
        ),
        pytest.param(
            b'{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},'
            b'"IpAddress":{"AWS:SourceIp":7}}}]}',
            id="ip-number",
        ),
        pytest.param(
            b'{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},'
            b'"IpAddress":"1.2.3.4"}}]}',
            id="ip-shape",
        ),
        pytest.param(b'{"Statement":[],"Extra":1}', id="extra-top-level"),
    ],
)
def test_parse_policy_rejects_malformed(text: bytes) -> None:
    """Shapes CloudFront answers with MalformedPolicy raise MalformedPolicyError."""
    with pytest.raises(MalformedPolicyError):
        parse_policy(text)
