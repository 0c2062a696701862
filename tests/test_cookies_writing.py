"""cfcookies.cookies: writing ``Set-Cookie`` values and deletions, and checking a cookie domain.

Rendering is checked as strings (attributes spelled and ordered as :func:`dump_cookie` promises)
and through a browser-like cookie jar (``tests/jar.py``), which says which cookies a browser
would then send where. (Reading the ``Cookie`` header is in ``tests/test_cookies.py``.)
"""

from __future__ import annotations

from typing import Any

import pytest

from cfcookies.cookies import (
    MAX_COOKIE_BYTES,
    CookieAttributes,
    delete_cookie,
    dump_cookie,
    public_suffix,
    registrable_domain,
    validate_cookie_domain,
)
from cfcookies.exceptions import ConfigurationError, CookieSizeError
from tests.jar import Jar

SHARED = CookieAttributes(domain="example.test")
HOST_ONLY = CookieAttributes()
MEDIA = "https://media.example.test"

# --- dump_cookie ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "path", "max_age", "expected"),
    [
        pytest.param(
            HOST_ONLY, "/", None, "n=v; Path=/; Secure; HttpOnly; SameSite=Lax", id="defaults"
        ),
        pytest.param(
            SHARED,
            "/videos/course-1/",
            None,
            "n=v; Path=/videos/course-1/; Domain=example.test; Secure; HttpOnly; SameSite=Lax",
            id="domain",
        ),
        pytest.param(
            CookieAttributes(secure=False, httponly=False, samesite=None),
            "/",
            None,
            "n=v; Path=/",
            id="bare",
        ),
        pytest.param(
            CookieAttributes(samesite="Strict"),
            "/",
            None,
            "n=v; Path=/; Secure; HttpOnly; SameSite=Strict",
            id="strict",
        ),
        pytest.param(
            CookieAttributes(samesite="None"),
            "/",
            None,
            "n=v; Path=/; Secure; HttpOnly; SameSite=None",
            id="samesite-none",
        ),
        pytest.param(
            HOST_ONLY,
            "/",
            1800,
            "n=v; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=1800",
            id="max-age",
        ),
        pytest.param(
            HOST_ONLY, "/", 0, "n=v; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0", id="zero"
        ),
        pytest.param(
            HOST_ONLY,
            "/",
            -5,
            "n=v; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0",
            id="negative-clamped",
        ),
    ],
)
def test_dump_cookie_spells_the_attributes_in_one_order(
    attributes: CookieAttributes, path: str, max_age: int | None, expected: str
) -> None:
    """Path, Domain, Secure, HttpOnly, SameSite, then Max-Age (none: a session cookie)."""
    assert dump_cookie("n", "v", path=path, attributes=attributes, max_age=max_age) == expected


def test_an_empty_value_is_written_as_an_empty_cookie() -> None:
    """A cookie may be empty: ``n=`` (no quotes, nothing invented)."""
    assert dump_cookie("n", "", path="/", attributes=HOST_ONLY).startswith("n=; Path=/;")


@pytest.mark.parametrize(
    ("name", "value", "path", "message"),
    [
        pytest.param("", "v", "/", "not a valid cookie name", id="name-empty"),
        pytest.param("a b", "v", "/", "not a valid cookie name", id="name-space"),
        pytest.param("a;b", "v", "/", "not a valid cookie name", id="name-semicolon"),
        pytest.param("a=b", "v", "/", "not a valid cookie name", id="name-equals"),
        pytest.param("é", "v", "/", "not a valid cookie name", id="name-non-ascii"),
        pytest.param("n", "a b", "/", "characters a cookie cannot hold", id="value-space"),
        pytest.param("n", "a;b", "/", "characters a cookie cannot hold", id="value-semicolon"),
        pytest.param("n", "a,b", "/", "characters a cookie cannot hold", id="value-comma"),
        pytest.param("n", 'a"b', "/", "characters a cookie cannot hold", id="value-quote"),
        pytest.param("n", "a\\b", "/", "characters a cookie cannot hold", id="value-backslash"),
        pytest.param("n", "a\x7fb", "/", "characters a cookie cannot hold", id="value-del"),
        pytest.param("n", "é", "/", "characters a cookie cannot hold", id="value-non-ascii"),
        pytest.param("n", "v", "", "must start with /", id="path-empty"),
        pytest.param("n", "v", "videos/", "must start with /", id="path-relative"),
        pytest.param("n", "v", "/a;b/", "must start with /", id="path-semicolon"),
        pytest.param("n", "v", "/a b/", "must start with /", id="path-space"),
        pytest.param("n", "v", "/é/", "must start with /", id="path-non-ascii"),
    ],
)
def test_dump_cookie_refuses_what_a_cookie_cannot_hold(
    name: str, value: str, path: str, message: str
) -> None:
    """A name that is not a token, a value or path with a separator or a non-ASCII character is
    a ConfigurationError: never a header a browser would cut short or read otherwise."""
    with pytest.raises(ConfigurationError, match=message):
        dump_cookie(name, value, path=path, attributes=HOST_ONLY)


def test_a_cookie_over_4096_bytes_is_a_cookie_size_error() -> None:
    """4,096 bytes (name, value and attributes) is written; one byte more raises, naming the
    cookie, its path and the fix."""
    overhead = len(dump_cookie("n", "", path="/videos/", attributes=SHARED))
    fits = dump_cookie("n", "x" * (MAX_COOKIE_BYTES - overhead), path="/videos/", attributes=SHARED)
    assert len(fits.encode()) == MAX_COOKIE_BYTES
    with pytest.raises(CookieSizeError, match=r"cookie n for Path=/videos/ would be 4097 bytes"):
        dump_cookie(
            "n", "x" * (MAX_COOKIE_BYTES - overhead + 1), path="/videos/", attributes=SHARED
        )


def test_a_written_cookie_reaches_the_media_host_under_its_path_only() -> None:
    """A browser stores a cookie set on the app for ``Domain=example.test`` and sends it to the
    media host for URLs under its ``Path``, never beside it."""
    jar = Jar()
    jar.store(
        "https://app.example.test/login",
        [dump_cookie("CloudFront-Policy", "p1", path="/videos/course-1/", attributes=SHARED)],
    )
    assert jar.header(MEDIA + "/videos/course-1/seg.ts") == "CloudFront-Policy=p1"
    assert jar.header(MEDIA + "/videos/course-10/seg.ts") is None
    assert jar.header("http://media.example.test/videos/course-1/seg.ts") is None  # Secure


# --- delete_cookie -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            SHARED,
            "n=; Path=/videos/; Domain=example.test; Secure; HttpOnly; SameSite=Lax; Max-Age=0; "
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            id="domain",
        ),
        pytest.param(
            CookieAttributes(secure=False, httponly=False, samesite=None),
            "n=; Path=/videos/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            id="bare",
        ),
    ],
)
def test_delete_cookie_expires_the_cookie_at_once(
    attributes: CookieAttributes, expected: str
) -> None:
    """A deletion is an empty value with the cookie's own attributes, ``Max-Age=0`` and an
    ``Expires`` in 1970 (for browsers that only read ``Expires``)."""
    assert delete_cookie("n", path="/videos/", attributes=attributes) == expected


def test_a_deletion_removes_only_the_cookie_of_its_name_path_and_domain() -> None:
    """A browser drops the cookie whose name, path and domain the deletion repeats, and keeps
    the same name under another path or another domain."""
    app = "https://app.example.test/"
    jar = Jar()
    jar.store(
        app + "login",
        [
            dump_cookie("CloudFront-Policy", "a", path="/videos/a/", attributes=SHARED),
            dump_cookie("CloudFront-Policy", "b", path="/videos/b/", attributes=SHARED),
            dump_cookie("CloudFront-Policy", "host", path="/videos/a/", attributes=HOST_ONLY),
        ],
    )
    jar.store(
        app + "logout", [delete_cookie("CloudFront-Policy", path="/videos/a/", attributes=SHARED)]
    )
    assert jar.header(MEDIA + "/videos/a/x.ts") is None
    assert jar.header(MEDIA + "/videos/b/x.ts") == "CloudFront-Policy=b"
    assert jar.header(app + "videos/a/x") == "CloudFront-Policy=host"  # host-only: kept


# --- CookieAttributes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        pytest.param({"samesite": "lax"}, "samesite must be 'Lax'", id="samesite-spelling"),
        pytest.param({"samesite": "None", "secure": False}, "requires secure=True", id="none"),
    ],
)
def test_cookie_attributes_refuse_what_browsers_would_drop(
    attributes: dict[str, Any], message: str
) -> None:
    """A SameSite value browsers do not know, or ``SameSite=None`` without ``Secure`` (which
    browsers drop), is refused when the attributes are built, once."""
    with pytest.raises(ConfigurationError, match=message):
        CookieAttributes(**attributes)


# --- validate_cookie_domain ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        pytest.param("example.test", "example.test", id="as-is"),
        pytest.param("Example.TEST", "example.test", id="lower-cased"),
        pytest.param(".example.test", "example.test", id="leading-dot"),
        pytest.param("  example.test ", "example.test", id="spaces"),
        pytest.param("media.example.co.uk", "media.example.co.uk", id="under-a-public-suffix"),
        pytest.param("xn--bcher-kva.example", "xn--bcher-kva.example", id="punycode"),
        pytest.param("a-b.example.test", "a-b.example.test", id="inner-hyphen"),
        pytest.param("example.com", "example.com", id="com"),
        pytest.param("example.co.uk", "example.co.uk", id="registrable-under-co-uk"),
        pytest.param("example.xn--p1ai", "example.xn--p1ai", id="under-an-idn-tld"),
        pytest.param("myapp.herokuapp.com", "myapp.herokuapp.com", id="own-name-on-a-platform"),
        pytest.param("amazonaws.com", "amazonaws.com", id="not-itself-listed"),
    ],
)
def test_a_cookie_domain_is_normalised(domain: str, expected: str) -> None:
    """Lower case, no leading dot, no surrounding spaces: as a browser stores ``Domain``."""
    assert validate_cookie_domain(domain) == expected


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        pytest.param("", "must be a host name like example.com", id="empty"),
        pytest.param("   ", "must be a host name like example.com", id="blank"),
        pytest.param(None, "must be a host name like example.com", id="none"),
        pytest.param(42, "must be a host name like example.com", id="not-text"),
        pytest.param("exämple.test", "not ASCII; use its punycode form", id="non-ascii"),
        pytest.param("test", "at least two labels", id="one-label"),
        pytest.param("example.test.", "at least two labels", id="trailing-dot"),
        pytest.param("a..example.test", "at least two labels", id="empty-label"),
        pytest.param("..example.test", "at least two labels", id="two-leading-dots"),
        pytest.param("-a.example.test", "at least two labels", id="leading-hyphen"),
        pytest.param("a-.example.test", "at least two labels", id="trailing-hyphen"),
        pytest.param("a_b.example.test", "at least two labels", id="underscore"),
        pytest.param("x" * 64 + ".test", "at least two labels", id="label-over-63"),
        pytest.param("example.test:443", "at least two labels", id="port"),
        pytest.param("localhost", "at least two labels", id="localhost"),
        pytest.param("com", "at least two labels", id="tld"),
        pytest.param("192.168.1.10", "is an IP address", id="ipv4"),
        pytest.param("2001:db8::1", "at least two labels", id="ipv6"),
    ],
)
def test_a_cookie_domain_browsers_refuse_is_a_configuration_error(
    domain: Any, message: str
) -> None:
    """What a browser would refuse as ``Domain`` (or share with other people's sites) fails at
    start-up, saying what to set instead."""
    with pytest.raises(ConfigurationError, match=message):
        validate_cookie_domain(domain)


@pytest.mark.parametrize(
    "domain",
    [
        pytest.param("co.uk", id="icann-registry"),
        pytest.param("xn--55qx5d.cn", id="idn-registry-in-punycode"),
        pytest.param("blogspot.com", id="blogspot"),
        pytest.param("azureedge.net", id="azureedge"),
        pytest.param("ngrok.io", id="ngrok"),
        pytest.param("s3.us-east-1.amazonaws.com", id="s3-regional"),
        pytest.param("github.io", id="github-pages"),
        pytest.param("herokuapp.com", id="heroku"),
        pytest.param("cloudfront.net", id="cloudfront"),
        pytest.param("appspot.com", id="appspot"),
        pytest.param("Compute.AmazonAWS.com", id="case-insensitive"),
        pytest.param("ec2.compute.amazonaws.com", id="under-a-wildcard-rule"),
    ],
)
def test_a_public_suffix_is_refused_naming_it_and_what_to_use_instead(domain: str) -> None:
    """A name on the Public Suffix List, its ICANN section or its private one (browsers honour
    both), is not a cookie ``Domain`` a browser accepts: the error names the suffix and says to use
    the app's own registrable domain."""
    suffix = domain.lower()
    with pytest.raises(ConfigurationError) as raised:
        validate_cookie_domain(domain)
    message = str(raised.value)
    assert f"cookie_domain {suffix} is a public suffix" in message
    assert "Public Suffix List" in message
    assert "your own registrable domain" in message


def test_the_public_suffix_list_is_read_as_the_package_reads_it() -> None:
    """cfcookies reads the list the ``publicsuffixlist`` package ships in its ASCII form (its
    Unicode rules converted to punycode, quicker than the package's own IDNA pass): every rule
    on it, and a name one and two labels under it, gets the same public suffix both ways."""
    import publicsuffixlist

    reference = publicsuffixlist.PublicSuffixList()
    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as file:
        rules = [line.split()[0] for line in file if line.strip() and not line.startswith("//")]
    assert len(rules) > 9000
    for rule in rules:
        name = rule.lstrip("!").removeprefix("*.").encode("idna").decode("ascii")
        for host in (name, f"a.{name}", f"b.a.{name}"):
            assert public_suffix(host) == reference.publicsuffix(host), host
            assert registrable_domain(host) == reference.privatesuffix(host), host
