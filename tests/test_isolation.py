"""Isolation under load: many concurrent sessions on one real server never share cookies.

Fifty clients, each with its own cookie jar and its own folders, log in, browse, renew, drop a
folder and keep alive, all at once, against uvicorn (ASGI) and waitress with several threads
(WSGI) on 127.0.0.1. After every round, every client's jar is checked against every client's
folders with :func:`cfcookies.verify.verify_request`: each jar opens exactly its own folders.
Every ``Set-Cookie`` a client receives is also checked to belong to that client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from cfcookies.keys import PrivateKey
from cfcookies.policy import parse_policy
from cfcookies.session import CloudFrontCookies
from cfcookies.signing import cf_b64decode
from cfcookies.verify import verify_request
from tests.jar import Jar
from tests.middleware_apps import APP_ORIGIN, MEDIA_URL, raw_wsgi_app, starlette_app
from tests.servers import UvicornServer, WaitressServer
from tests.support import RSA_KEY_ID, FakeClock

pytestmark = pytest.mark.server

CLIENTS = 50
PAGES_PER_ROUND = 3
#: A bound on the whole run per server, far above what it needs (a few seconds).
DEADLINE_SECONDS = 120
STATE_SECRET = "isolation-state-secret-" + "i" * 32


def folders_of(client: int) -> list[str]:
    """Client ``n`` owns ``/c/n/a/`` and ``/c/n/b/``, and every third also ``/shared-n/``."""
    own = [f"/c/{client}/a/", f"/c/{client}/b/"]
    if client % 3 == 0:
        own.append(f"/shared-{client}/")
    return own


ALL_FOLDERS = sorted({f for n in range(CLIENTS) for f in folders_of(n)})


@dataclass
class Client:
    """One browser: its jar, what it should hold, and what went wrong."""

    number: int
    http: httpx.Client
    base: str
    holds: set[str] = field(default_factory=set)
    jar: Jar = field(default_factory=Jar)
    requests: int = 0
    foreign: list[str] = field(default_factory=list)

    def get(self, target: str, method: str = "GET") -> httpx.Response:
        url = APP_ORIGIN + target
        headers = {"Host": "app.example.test"}
        cookie = self.jar.header(url)
        if cookie:
            headers["Cookie"] = cookie
        response = self.http.request(method, self.base + target, headers=headers)
        self.requests += 1
        assert response.status_code < 500, response.text
        set_cookie = response.headers.get_list("set-cookie")
        self.check_own(set_cookie)
        self.jar.store(url, set_cookie)
        return response

    def check_own(self, set_cookie: list[str]) -> None:
        """Every CloudFront policy this client is handed grants one of its own folders."""
        for value in set_cookie:
            if value.startswith("CloudFront-Policy=") and "Max-Age=0" not in value:
                raw = value.split(";", 1)[0].split("=", 1)[1]
                resource = parse_policy(cf_b64decode(raw)).resource or ""
                folder = resource.removeprefix(MEDIA_URL).removesuffix("*")
                if folder not in folders_of(self.number):
                    self.foreign.append(folder)


def opened(jar: Jar, public_keys: dict[str, Any], now: int) -> set[str]:
    out = set()
    for folder in ALL_FOLDERS:
        url = MEDIA_URL + folder + "seg.ts"
        if verify_request(url, cookies=jar.header(url), public_keys=public_keys, now=now).allowed:
            out.add(folder)
    return out


def run_rounds(base: str, clock: FakeClock, public_keys: dict[str, Any]) -> dict[str, int]:
    """Drive every client through the rounds concurrently; return the figures."""
    lock = threading.Lock()
    started = time.monotonic()
    checks = 0
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        clients = [
            Client(n, httpx.Client(timeout=20, trust_env=False), base) for n in range(CLIENTS)
        ]
        try:

            def each(action: Callable[[Client], None]) -> None:
                assert time.monotonic() - started < DEADLINE_SECONDS
                list(pool.map(action, clients))

            def log_in(c: Client) -> None:
                query = "&".join(f"p={f}" for f in folders_of(c.number))
                c.get(f"/login?user=u{c.number}&{query}")
                c.holds = set(folders_of(c.number))

            def browse(c: Client) -> None:
                for _ in range(PAGES_PER_ROUND):
                    c.get("/page")

            def drop_one(c: Client) -> None:
                if c.number % 2:
                    c.get(f"/drop?p=/c/{c.number}/b")
                    with lock:
                        c.holds.discard(f"/c/{c.number}/b/")
                c.get("/page")

            def keep_alive(c: Client) -> None:
                c.get("/cfcookies/keepalive", method="POST")

            def log_out(c: Client) -> None:
                if c.number % 5 == 0:
                    c.get("/logout")
                    c.holds = set()

            rounds: list[tuple[Callable[[Client], None], int]] = [
                (log_in, 0),
                (browse, 60),
                (browse, 25 * 60),  # renewal window: every session is re-signed under load
                (drop_one, 60),
                (keep_alive, 25 * 60),
                (log_out, 60),
                (browse, 60),
            ]
            for action, advance in rounds:
                clock.advance(advance)
                each(action)
                for c in clients:
                    assert not c.foreign, (c.number, c.foreign)
                    assert opened(c.jar, public_keys, clock.epoch) == c.holds, c.number
                    checks += len(ALL_FOLDERS)
        finally:
            for c in clients:
                c.http.close()
    return {
        "clients": CLIENTS,
        "requests": sum(c.requests for c in clients),
        "pair_checks": checks,
        "leaks": sum(len(c.foreign) for c in clients),
    }


def _cookies(key: PrivateKey, clock: FakeClock) -> CloudFrontCookies:
    return CloudFrontCookies(
        media_url=MEDIA_URL,
        cookie_domain="example.test",
        key_pair_id=RSA_KEY_ID,
        private_key=key,
        state_secret=STATE_SECRET,
        clock=clock,
    )


@pytest.mark.parametrize("server_kind", ["uvicorn", "waitress"])
def test_fifty_concurrent_sessions_each_open_exactly_their_own_folders(
    rsa_key: PrivateKey,
    clock: FakeClock,
    server_kind: str,
    record_property: Callable[[str, object], None],
) -> None:
    """Under concurrent load, through login, renewal, partial revocation, keep-alive and logout,
    every client's cookies open its own folders and no other client's, with zero leaks."""
    cookies = _cookies(rsa_key, clock)
    public_keys = {RSA_KEY_ID: rsa_key.public_key()}
    server: UvicornServer | WaitressServer
    if server_kind == "uvicorn":
        server = UvicornServer(starlette_app(cookies, declarative=False), limit_concurrency=200)
    else:
        server = WaitressServer(raw_wsgi_app(cookies, declarative=False), threads=8)
    with server:
        figures = run_rounds(server.url, clock, public_keys)
    for name, value in figures.items():
        record_property(name, value)
    assert figures["leaks"] == 0
    assert figures["requests"] >= CLIENTS * (2 * PAGES_PER_ROUND + 5)
