"""The demo app and the edge over real servers: sign in, the courses, sign out.

Mirrors :mod:`cfcookies.demo.app` and :mod:`cfcookies.demo.pages`.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.demo_support import (
    ISSUED_NAMES,
    Served,
    cloudfront_set_cookies,
    http_client,
    log_in,
    post_form,
)

pytestmark = pytest.mark.server


def test_login_page_is_served_and_the_edge_refuses_without_cookies(served: Served) -> None:
    with http_client() as client:
        page = client.get(served.app + "/")
        assert page.status_code == 200
        assert 'action="/login"' in page.text
        assert "alice" in page.text
        assert not cloudfront_set_cookies(page)
        refused = client.get(served.info.media("course-1"), headers={"Origin": served.app})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "text/xml"
    assert "<Error><Code>" in refused.text
    assert refused.headers["x-cfcookies-decision"] != "allowed"
    assert refused.headers["access-control-allow-origin"] == served.app
    assert refused.headers["access-control-allow-credentials"] == "true"


def test_a_wrong_password_gets_401_and_no_cookies(served: Served) -> None:
    with http_client() as client:
        response = post_form(
            client, served.app, "/login", {"username": "alice", "password": "not-it"}
        )
    assert response.status_code == 401
    assert "wrong password" in response.text
    assert not cloudfront_set_cookies(response)


def test_alice_gets_cookies_for_course_1_only_and_the_edge_serves_it(served: Served) -> None:
    with http_client() as client:
        login = log_in(client, served, "alice")
        assert login.status_code == 303
        issued = cloudfront_set_cookies(login)
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
    with http_client() as client:
        login = log_in(client, served, "bob")
        paths = {
            m.group(1)
            for c in cloudfront_set_cookies(login)
            if (m := re.search(r"Path=([^;]+)", c))
        }
        assert paths == {"/videos/course-2/", "/videos/course-3/"}
        assert client.get(served.info.media("course-2", "seg-001.ts")).status_code == 200
        assert client.get(served.info.media("course-3", "seg-002.ts")).status_code == 200
        assert client.get(served.info.media("course-1", "seg-000.ts")).status_code == 403


def test_logout_deletes_every_cloudfront_cookie_and_the_edge_refuses_again(
    served: Served,
) -> None:
    with http_client() as client:
        log_in(client, served, "alice")
        assert client.get(served.info.media("course-1")).status_code == 200
        logout = post_form(client, served.app, "/logout")
        assert logout.status_code == 303
        deleted = cloudfront_set_cookies(logout)
        assert {c.split("=", 1)[0] for c in deleted} == ISSUED_NAMES
        assert all("Max-Age=0" in c and "Path=/videos/course-1/" in c for c in deleted)
        assert not [c for c in client.cookies.jar if c.name.startswith("CloudFront-")]
        assert client.get(served.info.media("course-1")).status_code == 403
        assert 'action="/login"' in client.get(served.app + "/").text


def test_the_courses_not_granted_say_no_cookies_reach_them_and_the_edge_sees_no_key(
    served: Served,
) -> None:
    """Alice's cookies carry course-1's Path: course-2 receives none, so CloudFront says
    MissingKey, as the card on her page explains."""
    with http_client() as client:
        log_in(client, served, "alice")
        page = client.get(served.app + "/").text
        refused = client.get(served.info.media("course-2"))
    card = page[page.index("Courses you were not granted") :]
    assert "sends no cookies to these paths" in card
    assert "<code>403 MissingKey</code>" in card
    assert "sends the same cookies" not in page
    assert refused.status_code == 403
    assert "<Code>MissingKey</Code>" in refused.text


def test_the_app_redirects_other_host_names_to_its_origin(served: Served) -> None:
    with http_client() as client:
        response = client.get(served.app + "/", headers={"Host": "localhost"})
    assert response.status_code == 307
    assert response.headers["location"] == served.app + "/"


def test_the_keepalive_endpoint_reads_the_demo_session(served: Served) -> None:
    with http_client() as client:
        assert client.post(served.app + "/cfcookies/keepalive").status_code == 401
        log_in(client, served, "alice")
        renewed = client.post(served.app + "/cfcookies/keepalive")
        assert renewed.status_code == 204
        assert int(renewed.headers["x-cfcookies-expires"]) > time.time()
        post_form(client, served.app, "/logout")
        assert client.post(served.app + "/cfcookies/keepalive").status_code == 401
