"""cfcookies.diagnose: the explain report (URL, Cookie header or HAR) and cookie delivery."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cfcookies import exceptions as exc
from cfcookies import verify
from cfcookies.diagnose import CookieDelivery, cookie_delivery, explain, printable
from cfcookies.keys import PublicKey
from cfcookies.signing import Signer
from tests.support import FakeClock

from .verification_cases import (
    CLIENT_IP,
    MEDIA_URL,
    RESOURCE,
    SEGMENT,
    VerificationTable,
)

URL = MEDIA_URL + SEGMENT


# --- explain ------------------------------------------------------------------------------------


def test_explain_marks_the_failing_check(table: VerificationTable, clock: FakeClock) -> None:
    """The report lists the checks in order and marks the expiry check as the failure."""
    case = table.by_id("expired")
    report = explain(
        case.url, cookie_header=case.cookie_header(), public_keys=table.public_keys, now=clock()
    )
    assert "DENIED, 403 AccessDenied (expired)" in report
    assert "[FAIL] the policy has not expired (DateLessThan)" in report
    assert report.index("[ok  ] the signature matches") < report.index("[FAIL]")
    assert "renew" in report


def test_explain_allowed(table: VerificationTable, clock: FakeClock) -> None:
    """The report for a good request says CloudFront would serve it."""
    case = table.by_id("allowed")
    report = explain(
        case.url,
        cookie_header=case.cookie_header(),
        public_keys=table.public_keys,
        client_ip=CLIENT_IP,
        now=clock(),
    )
    assert "ALLOWED" in report
    assert "FAIL" not in report


def _set_cookies(cookies: dict[str, str], path: str) -> list[str]:
    return [
        f"{name}={value}; Domain=example.test; Path={path}; Secure; HttpOnly"
        for name, value in cookies.items()
    ]


def _har(signer: Signer, *, with_cookies_on: str, requested: list[str]) -> dict[str, Any]:
    cookies = signer.cookies_for(RESOURCE, date_less_than=timedelta(hours=1))
    login = {
        "request": {"url": "https://app.example.test/login", "headers": [], "cookies": []},
        "response": {
            "status": 200,
            "headers": [
                {"name": "set-cookie", "value": v}
                for v in _set_cookies(cookies, "/videos/course-1/")
            ],
        },
    }
    entries: list[dict[str, Any]] = [login]
    for path in requested:
        sent = path.startswith(with_cookies_on)
        entries.append(
            {
                "request": {
                    "url": MEDIA_URL + path,
                    "headers": [{"name": ":authority", "value": "media.example.test"}],
                    "cookies": [{"name": k, "value": v} for k, v in cookies.items()]
                    if sent
                    else [],
                },
                "response": {"status": 200 if sent else 403, "headers": []},
            }
        )
    return {"log": {"version": "1.2", "entries": entries}}


def test_explain_har_each_media_entry(signer: Signer, keys: dict[str, PublicKey]) -> None:
    """From a HAR, every media request is explained, with why a cookie was not sent."""
    har = _har(
        signer,
        with_cookies_on="/videos/course-1/",
        requested=["/videos/course-1/index.m3u8", "/videos/course-10/x.ts"],
    )
    report = explain(har=har, public_keys=keys, now=signer.clock())
    first, second = report.split("\nGET ")
    assert "ALLOWED" in first
    assert "the browser got HTTP 403" in second
    assert "missing_key_pair_id" in second
    assert (
        "CloudFront-Policy was set for Path=/videos/course-1/ and is not sent to "
        "/videos/course-10/x.ts" in second
    )


def test_explain_har_file_and_url(
    signer: Signer, keys: dict[str, PublicKey], tmp_path: Path
) -> None:
    """A HAR file on disk is read and the entry for the given URL is the one explained."""
    har = _har(signer, with_cookies_on="/", requested=["/videos/course-1/a.ts", "/img/b.png"])
    path = tmp_path / "session.har"
    path.write_text(json.dumps(har), encoding="utf-8")
    report = explain(MEDIA_URL + "/img/b.png", har=path, public_keys=keys, now=signer.clock())
    assert report.startswith(f"GET {MEDIA_URL}/img/b.png")
    assert "resource_mismatch" in report
    assert report.count("GET ") == 1


def test_explain_har_header_cookie_used(signer: Signer, keys: dict[str, PublicKey]) -> None:
    """A HAR request's Cookie header is read when its cookies list is empty."""
    cookies = signer.cookies_for(RESOURCE, date_less_than=timedelta(hours=1))
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    har = {
        "log": {
            "entries": [{"request": {"url": URL, "headers": [{"name": "Cookie", "value": header}]}}]
        }
    }
    assert "ALLOWED" in explain(URL, har=har, public_keys=keys, now=signer.clock())


@pytest.mark.parametrize(
    "har",
    [
        pytest.param({"log": {}}, id="no-entries"),
        pytest.param({"entries": []}, id="not-har"),
        pytest.param({"log": 5}, id="log-not-an-object"),
        pytest.param({"log": None}, id="log-null"),
    ],
)
def test_explain_rejects_non_har(keys: dict[str, PublicKey], har: dict[str, Any]) -> None:
    """A document without log.entries is refused with a configuration error."""
    with pytest.raises(exc.ConfigurationError):
        explain(har=har, public_keys=keys)


# --- would the browser send it? -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("set_cookie", "url", "issued_by", "sent", "why"),
    [
        pytest.param(
            "CloudFront-Policy=x; Domain=example.test; Path=/videos/course-1/; Secure",
            URL,
            "app.example.test",
            True,
            "sent",
            id="parent-domain",
        ),
        pytest.param(
            "CloudFront-Policy=x; Path=/videos/course-1/",
            URL,
            "app.example.test",
            False,
            "host-only",
            id="host-only-other-host",
        ),
        pytest.param(
            "CloudFront-Policy=x; Path=/",
            URL,
            "media.example.test",
            True,
            "sent",
            id="host-only-same-host",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=.example.test; Path=/videos/course-1/",
            f"{MEDIA_URL}/videos/course-10/x.ts",
            None,
            False,
            "Path=/videos/course-1/",
            id="course-10",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=example.test; Path=/videos/course-1",
            f"{MEDIA_URL}/videos/course-10/x.ts",
            None,
            False,
            "Path=",
            id="no-slash-path",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=example.test; Path=/; Secure",
            "http://media.example.test/a",
            None,
            False,
            "Secure",
            id="secure-on-http",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=other.test; Path=/",
            URL,
            "app.example.test",
            False,
            "rejects",
            id="foreign-domain",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=cloudfront.net; Path=/",
            "https://d111111abcdef8.cloudfront.net/a.ts",
            "d111111abcdef8.cloudfront.net",
            False,
            "rejects it: Domain=cloudfront.net is a public suffix",
            id="public-suffix",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=amazonaws.com; Path=/",
            "https://mybucket.s3.us-east-1.amazonaws.com/a.ts",
            "mybucket.s3.us-east-1.amazonaws.com",
            False,
            "rejects it: Domain=amazonaws.com is outside mybucket.s3.us-east-1.amazonaws.com",
            id="above-the-registrable-domain",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=amazonaws.com; Path=/",
            "https://s3.amazonaws.com/a.ts",
            "s3.amazonaws.com",
            False,
            "rejects it: Domain=amazonaws.com is above s3.amazonaws.com, a public suffix",
            id="above-a-public-suffix-host",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=192.0.2.1; Path=/",
            "https://192.0.2.1/a.ts",
            "192.0.2.1",
            True,
            "sent",
            id="ip-address-itself",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=myapp.github.io; Path=/",
            "https://myapp.github.io/a.ts",
            "myapp.github.io",
            True,
            "sent",
            id="own-name-under-a-public-suffix",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=github.io; Path=/",
            "https://github.io/a.ts",
            "github.io",
            True,
            "sent",
            id="public-suffix-host-itself-host-only",
        ),
        pytest.param(
            "CloudFront-Policy=; Domain=example.test; Path=/; Max-Age=0",
            URL,
            None,
            False,
            "deletes",
            id="deletion",
        ),
        pytest.param(
            "CloudFront-Policy=x; Domain=example.test", URL, None, False, "no Path", id="no-path"
        ),
    ],
)
def test_cookie_delivery(
    set_cookie: str, url: str, issued_by: str | None, sent: bool, why: str
) -> None:
    """The RFC 6265 domain, path and Secure rules decide whether the browser sends a cookie, with
    the Public Suffix List as browsers apply it: a ``Domain`` that is a public suffix, or above
    the setting host's registrable domain, is rejected (one equal to that host is host-only)."""
    (delivery,) = cookie_delivery(url, [set_cookie], issued_by=issued_by)
    assert delivery.sent is sent
    assert why in delivery.reason


def test_cookie_delivery_ignores_other_cookies() -> None:
    """Only CloudFront-* Set-Cookie headers are judged."""
    assert cookie_delivery(URL, ["session=1; Path=/"]) == []


def test_explain_needs_a_url_or_har(keys: dict[str, PublicKey]) -> None:
    """explain without a URL or a HAR is a usage error."""
    with pytest.raises(exc.ConfigurationError):
        explain(public_keys=keys)


def test_explain_har_without_the_url(signer: Signer, keys: dict[str, PublicKey]) -> None:
    """A URL absent from the HAR is reported as such."""
    har = _har(signer, with_cookies_on="/", requested=["/videos/course-1/a.ts"])
    report = explain(MEDIA_URL + "/other.ts", har=har, public_keys=keys, now=signer.clock())
    assert report == f"The HAR export has no request for {MEDIA_URL}/other.ts.\n"


def test_explain_hides_signed_url_values(signer: Signer, keys: dict[str, PublicKey]) -> None:
    """The report shows a signed URL with its Signature and Policy values hidden."""
    url = signer.sign_url(URL, date_less_than=timedelta(hours=1), resource=RESOURCE)
    report = explain(url, public_keys=keys, now=signer.clock())
    assert "Policy=...&Signature=...&Key-Pair-Id=K2JCJMDEHXQW5F" in report


# --- the old import path --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "moved"),
    [
        pytest.param("explain", explain, id="explain"),
        pytest.param("cookie_delivery", cookie_delivery, id="cookie_delivery"),
        pytest.param("CookieDelivery", CookieDelivery, id="CookieDelivery"),
    ],
)
def test_old_import_path_warns_and_gives_the_same_object(name: str, moved: object) -> None:
    """cfcookies.verify still gives the names that moved here, with a DeprecationWarning."""
    with pytest.warns(DeprecationWarning, match=f"cfcookies.diagnose.{name}"):
        assert getattr(verify, name) is moved


def test_verify_has_no_other_moved_names() -> None:
    """Any other unknown name is still an AttributeError on cfcookies.verify."""
    with pytest.raises(AttributeError):
        verify.no_such_name  # noqa: B018


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("https://a.example/x.ts", "https://a.example/x.ts", id="plain"),
        pytest.param("a\x1b[31mb\rc", "a\\x1b[31mb\\rc", id="esc-cr"),
        pytest.param("x\u202ey\u2066", "x\\u202ey\\u2066", id="bidi"),
        pytest.param("\ud800", "\\ud800", id="lone-surrogate"),
        pytest.param("one\ntwo", "one\\ntwo", id="newline"),
    ],
)
def test_printable_escapes_what_a_terminal_would_obey(text: str, shown: str) -> None:
    """Controls, bidi overrides and lone surrogates are printed as their escapes."""
    assert printable(text) == shown


def test_printable_can_keep_newlines() -> None:
    """keep_newlines keeps the lines of a report and escapes what is inside them."""
    assert printable("a\x1b\nb\r", keep_newlines=True) == "a\\x1b\nb\\r"
