"""Edge revocation in the demo: a copy of the cookies, before and after logout, replayed.

Mirrors :mod:`cfcookies.demo.copies`.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from cfcookies.demo import build_demo
from cfcookies.demo.copies import CookieCopies
from cfcookies.keys import load_public_key
from cfcookies.verify import verify_request
from tests.browser_support import ThreadedUvicorn, bind_loopback, port_of
from tests.demo_support import (
    ISSUED_NAMES,
    Served,
    cloudfront_set_cookies,
    http_client,
    log_in,
    post_form,
)

pytestmark = pytest.mark.server


def _copied_cookies(client: httpx.Client) -> str:
    """The Cookie header a copy of the client's CloudFront cookies (alice: one path) makes."""
    copied = [c for c in client.cookies.jar if c.name.startswith("CloudFront-")]
    assert copied
    return "; ".join(f"{c.name}={c.value}" for c in copied)


def _cookie_values(client: httpx.Client) -> list[str]:
    return [c.value for c in client.cookies.jar if c.name.startswith("CloudFront-") and c.value]


def _ask_edge(served: Served, cookie_header: str) -> httpx.Response:
    with http_client() as fresh:  # nothing in its jar: only the copied cookies are sent
        return fresh.get(served.info.media("course-1"), headers={"Cookie": cookie_header})


def _replayed_row(page: str) -> dict[str, str]:
    match = re.search(r'<tr class="replayed" ([^>]*)>', page)
    assert match, page
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(1)))


def _policy_of(served: Served, cookie_header: str) -> tuple[bool, int | None]:
    keys = {served.info.key_pair_id: load_public_key(served.info.key_dir / "public_key.pem")}
    decision = verify_request(
        served.info.media("course-1"), cookies=cookie_header, public_keys=keys
    )
    return decision.allowed, decision.policy.date_less_than if decision.policy else None


def test_copied_cookies_open_the_media_before_logout_and_get_session_revoked_after(
    served: Served,
) -> None:
    with http_client() as client:
        log_in(client, served, "alice")
        copied = _copied_cookies(client)
        values = _cookie_values(client)
        assert "CloudFront-Session=" in copied
        before = _ask_edge(served, copied)
        assert (before.status_code, before.headers["x-cfcookies-decision"]) == (200, "allowed")
        replay_now = post_form(client, served.app, "/replay")
        assert _replayed_row(replay_now.text)["status"] == "200"
        assert "still signed in" in replay_now.text

        logout = post_form(client, served.app, "/logout", {"keep": "1"})
        assert logout.status_code == 303
        assert not [c for c in client.cookies.jar if c.name.startswith("CloudFront-")]
        after = _ask_edge(served, copied)
        assert after.status_code == 403
        assert after.headers["x-cfcookies-decision"] == "session_revoked"
        assert "<Code>AccessDenied</Code>" in after.text
        allowed, expires = _policy_of(served, copied)
        assert allowed  # CloudFront's own check alone would still let the copy in
        assert expires is not None
        assert expires > time.time()

        page = client.get(served.app + "/")
        assert 'id="copied"' in page.text
        assert 'id="replay"' in page.text
        assert "<code>Path=/videos/course-1/</code>" in page.text
        assert "<code>CloudFront-Session</code>" in page.text
        replay = post_form(client, served.app, "/replay")
        assert replay.status_code == 200
        row = _replayed_row(replay.text)
        assert row == {
            "path": "/videos/course-1/",
            "status": "403",
            "decision": "session_revoked",
            "policy": "allowed",
        }
        assert 'data-revocation="on"' in replay.text
        assert "still valid" in replay.text
        assert "--no-revocation" in replay.text  # says what it would be without revocation
        for text in (page.text, replay.text):  # names, paths and expiry; never a value
            assert not [v for v in values if v in text]


def test_a_plain_logout_keeps_no_copy_to_replay(served: Served) -> None:
    with http_client() as client:
        log_in(client, served, "alice")
        post_form(client, served.app, "/logout")
        assert 'id="copied"' not in client.get(served.app + "/").text
        replay = post_form(client, served.app, "/replay")
    assert replay.status_code == 200
    assert 'data-count="0"' in replay.text
    assert "no copy to replay" in replay.text


def test_without_revocation_copied_cookies_still_open_the_media_after_logout(
    tmp_path: Path,
) -> None:
    """The gap that edge revocation closes: CloudFront alone cannot revoke a signed cookie."""
    app_sock, edge_sock = bind_loopback(), bind_loopback()
    app, edge, info = build_demo(
        tmp_path,
        app_origin=f"http://127.0.0.1:{port_of(app_sock)}",
        media_origin=f"http://127.0.0.1:{port_of(edge_sock)}",
        secure=False,
        insecure_allow_http=True,
        revocation=False,
    )
    assert info.revocation is False
    site = Served(info, info.app_url, info.media_url)
    with ThreadedUvicorn(app, app_sock), ThreadedUvicorn(edge, edge_sock), http_client() as client:
        login = log_in(client, site, "alice")
        assert {c.split("=", 1)[0] for c in cloudfront_set_cookies(login)} == (
            ISSUED_NAMES - {"CloudFront-Session"}
        )
        assert 'data-revocation="off"' in client.get(site.app + "/").text
        copied = _copied_cookies(client)
        post_form(client, site.app, "/logout", {"keep": "1"})
        assert not [c for c in client.cookies.jar if c.name.startswith("CloudFront-")]
        after = _ask_edge(site, copied)
        assert (after.status_code, after.headers["x-cfcookies-decision"]) == (200, "allowed")
        assert after.text.startswith("#EXTM3U")
        replay = post_form(client, site.app, "/replay")
    row = _replayed_row(replay.text)
    assert (row["status"], row["decision"], row["policy"]) == ("200", "allowed", "allowed")
    assert 'data-revocation="off"' in replay.text
    assert "cannot revoke a signed cookie" in replay.text


def test_the_demos_copy_of_cookies_is_bounded_and_hides_values_in_repr() -> None:
    copies = CookieCopies(limit=2)
    copies.record("a", ["CloudFront-Policy=secret-value; Path=/videos/course-1/; HttpOnly"])
    assert copies.get("a") == {("CloudFront-Policy", "/videos/course-1/"): "secret-value"}
    assert "secret-value" not in repr(copies)
    copies.record("a", ["CloudFront-Policy=; Path=/videos/course-1/; Max-Age=0"])
    assert copies.get("a") == {}
    for name in ("b", "c"):
        copies.record(name, ["CloudFront-Policy=v; Path=/videos/course-1/"])
    assert copies.get("a") == {}  # the oldest session went first
    assert copies.get("c")
