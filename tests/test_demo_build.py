"""Building the demo: its refusals, its users, and the production set-up (HTTPS, a parent
domain) through Starlette's test client. Mirrors :mod:`cfcookies.demo.build`."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cfcookies.demo import build_demo
from cfcookies.exceptions import ConfigurationError
from tests.demo_support import CSRF_INPUT, ISSUED_NAMES, cloudfront_set_cookies


def test_build_demo_refuses_plain_http_without_the_insecure_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="insecure_allow_http"):
        build_demo(tmp_path, app_origin="http://127.0.0.1:1", media_origin="http://127.0.0.1:2")


def test_demo_users_hide_their_passwords_in_repr(tmp_path: Path) -> None:
    _, _, info = build_demo(
        tmp_path,
        app_origin="https://app.example.test",
        media_origin="https://media.example.test",
        cookie_domain="example.test",
        passwords={"alice": "sekrit-password"},
    )
    assert "sekrit-password" not in repr(info)
    assert info.user("alice").password == "sekrit-password"
    assert (info.key_dir / "private_key.pem").stat().st_mode & 0o077 == 0


def test_https_demo_sets_secure_cookies_for_the_parent_domain(tmp_path: Path) -> None:
    app, edge, info = build_demo(
        tmp_path,
        app_origin="https://app.example.test",
        media_origin="https://media.example.test",
        cookie_domain="example.test",
    )
    with TestClient(app, base_url="https://app.example.test") as client:
        match = CSRF_INPUT.search(client.get("/").text)
        assert match
        assert [c.name for c in client.cookies.jar] == ["__Host-demo_csrf"]  # Secure, Path=/
        login = client.post(
            "/login",
            data={
                "username": "alice",
                "password": info.user("alice").password,
                "csrf_token": match.group(1),
            },
            headers={"Origin": "https://app.example.test"},
            follow_redirects=False,
        )
        issued = cloudfront_set_cookies(login)
        assert {c.split("=", 1)[0] for c in issued} == ISSUED_NAMES
        assert all("Domain=example.test" in c and "; Secure" in c for c in issued)
        cookie_header = "; ".join(c.split(";", 1)[0] for c in issued)
        page = client.get("/")
        assert "Domain=example.test" in page.text
        assert "HTTPS" in page.text
    with TestClient(edge, base_url="https://media.example.test") as media:
        allowed = media.get("/videos/course-1/seg-000.ts", headers={"Cookie": cookie_header})
        refused = media.get("/videos/course-3/seg-000.ts", headers={"Cookie": cookie_header})
    assert allowed.status_code == 200
    assert refused.status_code == 403
