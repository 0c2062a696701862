"""CSRF: the demo's forms only work from the demo's own pages.

Mirrors :mod:`cfcookies.demo.csrf`.
"""

from __future__ import annotations

import httpx
import pytest

from tests.demo_support import (
    CSRF_INPUT,
    Served,
    cloudfront_set_cookies,
    csrf_token,
    http_client,
    log_in,
    post_form,
    set_cookies,
)

pytestmark = pytest.mark.server


EVIL = "https://evil.example"


def _signed_in(client: httpx.Client, served: Served) -> bool:
    return 'id="logout"' in client.get(served.app + "/").text


def _alice_form(served: Served, **extra: str) -> dict[str, str]:
    return {"username": "alice", "password": served.info.user("alice").password, **extra}


def test_a_cross_site_login_without_the_token_is_refused(served: Served) -> None:
    """Another site's auto-submitted login form (no token, no cookie) gets 403 and no login."""
    with http_client() as client:
        response = client.post(served.app + "/login", data=_alice_form(served))
        assert response.status_code == 403
        assert "CSRF" in response.text
        assert not cloudfront_set_cookies(response)
        assert not [c for c in client.cookies.jar if c.name == "demo_session"]
        assert not _signed_in(client, served)
        assert client.get(served.info.media("course-1")).status_code == 403


def test_a_login_without_the_form_field_is_refused_although_the_cookie_is_sent(
    served: Served,
) -> None:
    """A browser that holds the CSRF cookie still needs the token in the form itself."""
    with http_client() as client:
        csrf_token(client, served.app)  # visited the demo: holds its CSRF cookie
        assert [c.name for c in client.cookies.jar] == ["demo_csrf"]
        response = client.post(served.app + "/login", data=_alice_form(served))
        assert response.status_code == 403
        assert not cloudfront_set_cookies(response)
        assert not _signed_in(client, served)


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param("another-browser", id="token-of-another-browser"),
        pytest.param("cookie-value", id="cookie-value-as-token"),
        pytest.param("truncated", id="truncated-token"),
        pytest.param("non-ascii", id="non-ascii-token"),
    ],
)
def test_a_login_with_a_forged_token_is_refused(served: Served, forged: str) -> None:
    """Only the token the app derived from this browser's cookie opens the form."""
    with http_client() as attacker, http_client() as victim:
        attackers_own = csrf_token(attacker, served.app)
        good = csrf_token(victim, served.app)
        nonce = next(c.value for c in victim.cookies.jar if c.name == "demo_csrf")
        assert nonce
        assert nonce != good  # the form holds a MAC of the cookie, not the cookie
        token = {
            "another-browser": attackers_own,
            "cookie-value": nonce,  # what a plain double-submit cookie would accept
            "truncated": good[:-1],
            "non-ascii": good[:-1] + "é",
        }[forged]
        response = victim.post(
            served.app + "/login",
            data=_alice_form(served, csrf_token=token),
            headers={"Origin": served.app},
        )
        assert response.status_code == 403
        assert not _signed_in(victim, served)


def test_a_login_posted_from_another_origin_is_refused(served: Served) -> None:
    """A login form on another site, posted with the right password, does not log in."""
    with http_client() as client:
        response = client.post(
            served.app + "/login", data=_alice_form(served), headers={"Origin": EVIL}
        )
        assert response.status_code == 403
        assert not cloudfront_set_cookies(response)
        assert not _signed_in(client, served)


@pytest.mark.parametrize("origin", [EVIL, "null", "http://127.0.0.1:1"])
def test_a_login_from_another_origin_is_refused_even_with_the_token(
    served: Served, origin: str
) -> None:
    """A POST whose Origin is not the app's own is refused, token or not."""
    with http_client() as client:
        token = csrf_token(client, served.app)
        response = client.post(
            served.app + "/login",
            data=_alice_form(served, csrf_token=token),
            headers={"Origin": origin},
        )
        assert response.status_code == 403
        assert not cloudfront_set_cookies(response)
        assert not _signed_in(client, served)


def test_login_and_logout_with_the_token_work_and_the_cookie_is_strict(served: Served) -> None:
    """From the app's own page (token and Origin) login and logout work, as in a browser."""
    with http_client() as client:
        page = client.get(served.app + "/")
        issued = [c for c in set_cookies(page) if c.startswith("demo_csrf=")]
        assert len(issued) == 1
        assert "HttpOnly" in issued[0]
        assert "SameSite=strict" in issued[0] or "SameSite=Strict" in issued[0]
        assert "Path=/" in issued[0]
        assert log_in(client, served, "alice").status_code == 303
        assert _signed_in(client, served)
        assert len(CSRF_INPUT.findall(client.get(served.app + "/").text)) == 3  # every form
        assert post_form(client, served.app, "/logout").status_code == 303
        assert not _signed_in(client, served)


def test_a_cross_site_logout_is_refused_and_keeps_the_session(served: Served) -> None:
    """Another site cannot log the user out (nor keep a copy of the cookies)."""
    with http_client() as client:
        log_in(client, served, "alice")
        for data, headers in (
            ({}, {}),
            ({"keep": "1"}, {}),
            ({"csrf_token": csrf_token(client, served.app)}, {"Origin": EVIL}),
        ):
            response = client.post(served.app + "/logout", data=data, headers=headers)
            assert response.status_code == 403
            assert not cloudfront_set_cookies(response)
        assert _signed_in(client, served)
        assert client.get(served.info.media("course-1")).status_code == 200


def test_a_cross_site_replay_is_refused(served: Served) -> None:
    """The replay form needs the token too."""
    with http_client() as client:
        log_in(client, served, "alice")
        response = client.post(served.app + "/replay")
        assert response.status_code == 403
        assert 'id="replay-result"' not in response.text


def test_the_keepalive_refuses_another_origin(served: Served) -> None:
    """The middleware's keep-alive POST is refused from another origin, served from ours."""
    with http_client() as client:
        log_in(client, served, "alice")
        keepalive = served.app + "/cfcookies/keepalive"
        refused = client.post(keepalive, headers={"Origin": EVIL})
        assert refused.status_code == 403
        assert "x-cfcookies-expires" not in refused.headers
        assert client.post(keepalive, headers={"Origin": served.app}).status_code == 204
