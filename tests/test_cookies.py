"""cfcookies.cookies: reading the Cookie header, reading Set-Cookie, the domain match."""

from __future__ import annotations

import pytest

from cfcookies.cookies import (
    CookieAttributes,
    SetCookie,
    cookie_value,
    cookie_values,
    domain_matches,
    dump_cookie,
    parse_set_cookie,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(None, [], id="no-header"),
        pytest.param("", [], id="empty"),
        pytest.param("a=1", [], id="other-cookie"),
        pytest.param("s=1", ["1"], id="one"),
        pytest.param("s=tossed; a=2; s=real", ["tossed", "real"], id="two-in-order"),
        pytest.param('s="quoted"; s=x', ["quoted", "x"], id="quotes-removed"),
        pytest.param(b"s=bytes", ["bytes"], id="bytes-header"),
        pytest.param("ss=1; s =2", ["2"], id="names-compared-whole"),
        pytest.param("s=1; pad=" + "x" * 40_000, [], id="over-the-header-limit"),
    ],
)
def test_cookie_values_lists_every_value_of_a_name_in_order(
    header: str | bytes | None, expected: list[str]
) -> None:
    """Every value sent under a name comes back in the order sent; cookie_value is the first."""
    assert cookie_values(header, "s") == expected
    assert cookie_value(header, "s") == (expected[0] if expected else None)


# --- the domain match (RFC 6265 5.1.3) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "domain", "matches"),
    [
        pytest.param("example.com", "example.com", True, id="the-domain-itself"),
        pytest.param("media.example.com", "example.com", True, id="a-host-under-it"),
        pytest.param("a.b.example.com", "example.com", True, id="two-levels-under"),
        pytest.param("Media.EXAMPLE.com", "example.COM", True, id="case-insensitive"),
        pytest.param("badexample.com", "example.com", False, id="lookalike-without-a-dot"),
        pytest.param("example.com.evil.test", "example.com", False, id="domain-as-a-prefix"),
        pytest.param("example.com", "media.example.com", False, id="parent-of-the-domain"),
        pytest.param("xexample.com", "example.com", False, id="one-letter-more"),
        pytest.param("media.example.com.", "example.com", False, id="trailing-dot-another-host"),
        pytest.param("1.2.3.4.example.com", "example.com", True, id="numeric-labels-in-a-name"),
        pytest.param("192.0.2.1", "192.0.2.1", True, id="ipv4-itself"),
        pytest.param("192.0.2.1", "0.2.1", False, id="ipv4-not-under-its-tail"),
        pytest.param("192.0.2.1", "2.1", False, id="ipv4-not-under-its-last-labels"),
        pytest.param("10.0.0.1", "0.1", False, id="ipv4-private"),
        pytest.param("192.0.2.10", "192.0.2.1", False, id="ipv4-other-address"),
        pytest.param("::1", "::1", True, id="ipv6-itself"),
        pytest.param("[::1]", "[::1]", True, id="ipv6-bracketed-itself"),
        pytest.param("2001:db8::1", "db8::1", False, id="ipv6-not-under-its-tail"),
        pytest.param("::ffff:192.0.2.1", "0.2.1", False, id="ipv4-mapped-ipv6"),
        pytest.param("[::ffff:192.0.2.1]", "2.1", False, id="ipv4-mapped-ipv6-bracketed"),
        pytest.param("192.0.2.1.example.com", "example.com", True, id="ip-lookalike-name"),
        pytest.param("example.com", "", False, id="empty-domain"),
    ],
)
def test_domain_matches(host: str, domain: str, matches: bool) -> None:
    """A host name matches its domain and the names under it; an IP address only itself."""
    assert domain_matches(host, domain) is matches


# --- reading Set-Cookie (RFC 6265 5.2) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(
            "CloudFront-Policy=abc; Path=/videos/course-1/; Domain=example.com; Secure; HttpOnly",
            SetCookie(
                "CloudFront-Policy",
                "abc",
                {
                    "path": "/videos/course-1/",
                    "domain": "example.com",
                    "secure": "",
                    "httponly": "",
                },
            ),
            id="what-the-middleware-writes",
        ),
        pytest.param(
            " a = 1 ;  PATH = /x ;SameSite=Lax",
            SetCookie("a", "1", {"path": "/x", "samesite": "Lax"}),
            id="trimmed-and-lower-case-names",
        ),
        pytest.param(
            "a=1; Path=/first; path=/last", SetCookie("a", "1", {"path": "/last"}), id="last-wins"
        ),
        pytest.param("a=x=y; Max-Age=0", SetCookie("a", "x=y", {"max-age": "0"}), id="first-eq"),
        pytest.param("a=; Max-Age=0", SetCookie("a", "", {"max-age": "0"}), id="empty-value"),
        pytest.param(
            "a=1;; Secure;", SetCookie("a", "1", {"secure": ""}), id="empty-attributes-skipped"
        ),
        pytest.param(
            "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            SetCookie("a", "1", {"expires": "Thu, 01 Jan 1970 00:00:00 GMT"}),
            id="expires-kept-as-text",
        ),
        pytest.param("no-equals-sign; Path=/", None, id="no-equals-ignored"),
        pytest.param("=1; Path=/", None, id="empty-name-ignored"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_set_cookie(header: str, expected: SetCookie | None) -> None:
    """A Set-Cookie value is read as a browser reads it, or ignored as a browser ignores it."""
    assert parse_set_cookie(header) == expected


def test_parse_set_cookie_reads_what_dump_cookie_writes() -> None:
    """What dump_cookie renders reads back as its name, value and attributes."""
    attributes = CookieAttributes(domain="example.com")
    header = dump_cookie("CloudFront-Policy", "abc", path="/v/", attributes=attributes, max_age=60)
    assert parse_set_cookie(header) == SetCookie(
        "CloudFront-Policy",
        "abc",
        {
            "path": "/v/",
            "domain": "example.com",
            "secure": "",
            "httponly": "",
            "samesite": "Lax",
            "max-age": "60",
        },
    )
