"""The README's examples run as written, and do what the README says they do."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cfcookies.keys import PrivateKey, private_key_pem
from cfcookies.verify import verify_request
from tests.jar import Jar
from tests.support import RSA_KEY_ID

README = Path(__file__).resolve().parent.parent / "README.md"
APP = "https://app.example.com"
MEDIA = "https://media.example.com"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, rsa_key: PrivateKey) -> PrivateKey:
    monkeypatch.setenv("CFCOOKIES_KEY_PAIR_ID", RSA_KEY_ID)
    monkeypatch.setenv("CFCOOKIES_PRIVATE_KEY", private_key_pem(rsa_key).decode())
    monkeypatch.setenv("CFCOOKIES_STATE_SECRET", "readme-state-secret-" + "r" * 32)
    monkeypatch.setenv("APP_SECRET", "readme-app-secret")
    return rsa_key


def run_block(index: int) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(python_blocks()[index], f"README.md block {index}", "exec"), namespace)  # noqa: S102
    return namespace


def test_the_readme_has_the_five_examples() -> None:
    blocks = python_blocks()
    assert len(blocks) == 5
    assert "cfcookies.asgi" in blocks[0]
    assert "cfcookies.contrib.fastapi" in blocks[1]
    assert "cfcookies.wsgi" in blocks[2]
    assert "Signer" in blocks[3]
    assert "PlaylistServer" in blocks[4]


def test_the_asgi_example_grants_the_sessions_courses_and_removes_them(env: PrivateKey) -> None:
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    app = run_block(0)["app"]

    def login(request: Request) -> PlainTextResponse:
        request.session["courses"] = ["/videos/course-1"]
        return PlainTextResponse("in")

    def logout(request: Request) -> PlainTextResponse:
        request.session.clear()
        return PlainTextResponse("out")

    app.router.routes.extend([Route("/login", login), Route("/logout", logout)])
    client = TestClient(app, base_url=APP)
    jar = Jar()
    response = client.get("/login")
    jar.store(APP + "/login", response.headers.get_list("set-cookie"))
    granted = MEDIA + "/videos/course-1/seg-1.ts"
    keys = {RSA_KEY_ID: env.public_key()}
    assert verify_request(granted, cookies=jar.header(granted), public_keys=keys).allowed
    sibling = MEDIA + "/videos/course-10/seg-1.ts"
    assert not verify_request(sibling, cookies=jar.header(sibling), public_keys=keys).allowed
    assert "Path=/videos/course-1/; Domain=example.com" in response.headers["set-cookie"]

    response = client.get("/logout")
    jar.store(APP + "/logout", response.headers.get_list("set-cookie"))
    assert jar.cloudfront() == []


def test_the_fastapi_example_grants_and_revokes_from_its_routes(env: PrivateKey) -> None:
    from starlette.testclient import TestClient

    client = TestClient(run_block(1)["app"], base_url=APP)
    jar = Jar()
    response = client.post("/login")
    assert response.json() == {"status": "logged in"}
    jar.store(APP + "/login", response.headers.get_list("set-cookie"))
    keys = {RSA_KEY_ID: env.public_key()}
    granted = MEDIA + "/videos/course-1/seg-1.ts"
    assert verify_request(granted, cookies=jar.header(granted), public_keys=keys).allowed
    client.cookies.clear()  # the jar above is the browser
    response = client.post("/logout", headers={"cookie": jar.header(APP + "/logout") or ""})
    jar.store(APP + "/logout", response.headers.get_list("set-cookie"))
    assert jar.cloudfront() == []


def test_the_wsgi_example_grants_at_login_and_revokes_at_logout(env: PrivateKey) -> None:
    app = run_block(2)["app"]
    client = app.test_client(use_cookies=False)
    jar = Jar()
    response = client.post("/login", base_url=APP)
    jar.store(APP + "/login", response.headers.getlist("Set-Cookie"))
    keys = {RSA_KEY_ID: env.public_key()}
    for url in (MEDIA + "/videos/course-1/a.ts", MEDIA + "/documents/course-1/notes.pdf"):
        assert verify_request(url, cookies=jar.header(url), public_keys=keys).allowed
    header = jar.header(APP + "/logout") or ""
    response = client.post("/logout", base_url=APP, headers={"Cookie": header})
    jar.store(APP + "/logout", response.headers.getlist("Set-Cookie"))
    assert jar.cloudfront() == []


def test_the_signing_core_example_signs_a_folder_and_a_url() -> None:
    namespace = run_block(3)
    cookies = namespace["cookies"]
    assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    assert "&Signature=" in namespace["url"]
    assert namespace["url"].startswith(
        "https://media.example.com/videos/course-1/intro.mp4?Expires="
    )


class _Playlists:
    """The distribution's playlists, without a network: what the example's source would fetch."""

    def fetch(self, path: str) -> bytes:
        return {
            "/videos/course-1/master.m3u8": (
                b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p/index.m3u8\n"
            ),
            "/videos/course-1/720p/index.m3u8": b"#EXTM3U\n#EXTINF:4,\nseg-1.ts\n",
        }[path]


def test_the_streaming_example_hands_a_player_without_cookies_the_sessions_folder(
    env: PrivateKey,
) -> None:
    """A logged-in session gets a link for its course (not another's); the link, fetched
    without any cookie, gives the playlist whose segment URL verifies alone."""
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from cfcookies.grants import grant

    namespace = run_block(4)
    app, server = namespace["app"], namespace["server"]
    server.source = _Playlists()

    def login(request: Request) -> PlainTextResponse:
        grant(request, "/videos/course-1")
        return PlainTextResponse("in")

    app.router.routes.append(Route("/login", login))
    client = TestClient(app, base_url=APP)
    client.get("/login")
    link = client.get("/cast/course-1").json()["playlist"]
    assert link.startswith(APP + "/cfcookies/play/")
    assert client.get("/cast/course-2").status_code == 403

    player = TestClient(app, base_url=APP)  # no cookies at all
    master = player.get(link)
    assert master.status_code == 200
    assert master.headers["cache-control"] == "private, no-store"
    variant = player.get(master.text.splitlines()[-1])
    segment = variant.text.splitlines()[2]
    assert segment.startswith(MEDIA + "/videos/course-1/720p/seg-1.ts?Policy=")
    keys = {RSA_KEY_ID: env.public_key()}
    assert verify_request(segment, public_keys=keys).allowed
    other = segment.replace("/course-1/", "/course-2/")
    assert not verify_request(other, public_keys=keys).allowed
