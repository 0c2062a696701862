"""Helpers for the demo's tests: the demo served over loopback, and a client that uses its forms
as its own pages do (with the CSRF token and the app's ``Origin``).

Shared by ``tests/test_demo_*.py``; each test module serves its own demo (the module-scoped
``served`` fixture in ``conftest.py``, around :func:`serve_demo`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cfcookies.demo import DemoInfo, build_demo
from tests.browser_support import ThreadedUvicorn, bind_loopback, port_of

TIMEOUT = 10.0

#: What the middleware issues per path in the demo, edge revocation on (the default).
ISSUED_NAMES = {
    "CloudFront-Policy",
    "CloudFront-Signature",
    "CloudFront-Key-Pair-Id",
    "CloudFront-Session",
}

#: The hidden field every form of the demo carries.
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def cloudfront_set_cookies(response: httpx.Response) -> list[str]:
    return [c for c in set_cookies(response) if c.startswith("CloudFront-")]


@dataclass
class Served:
    info: DemoInfo
    app: str
    edge: str


@contextmanager
def serve_demo(workdir: Path, **options: Any) -> Iterator[Served]:
    """The demo over plain HTTP on two loopback ports, served while the context lasts;
    ``options`` go to :func:`~cfcookies.demo.build_demo`."""
    app_sock, edge_sock = bind_loopback(), bind_loopback()
    app, edge, info = build_demo(
        workdir,
        app_origin=f"http://127.0.0.1:{port_of(app_sock)}",
        media_origin=f"http://127.0.0.1:{port_of(edge_sock)}",
        secure=False,
        insecure_allow_http=True,
        **options,
    )
    with ThreadedUvicorn(app, app_sock), ThreadedUvicorn(edge, edge_sock):
        yield Served(info, info.app_url, info.media_url)


def http_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False)


def csrf_token(client: httpx.Client, app_url: str) -> str:
    """The CSRF token of this client's browser, read from a page of the app as a browser would."""
    page = client.get(app_url + "/")
    assert page.status_code == 200
    match = CSRF_INPUT.search(page.text)
    assert match, page.text
    return match.group(1)


def post_form(
    client: httpx.Client, app_url: str, path: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """Submit one of the app's forms as its own page does: with the token and its Origin."""
    form = {**(data or {}), "csrf_token": csrf_token(client, app_url)}
    return client.post(app_url + path, data=form, headers={"Origin": app_url})


def log_in(client: httpx.Client, served: Served, name: str) -> httpx.Response:
    password = served.info.user(name).password
    return post_form(client, served.app, "/login", {"username": name, "password": password})
