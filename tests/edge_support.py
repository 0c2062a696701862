"""Calling the edge's ASGI app by hand, for the edge tests (test_edge_*.py).

:func:`asgi_raw` builds the scope itself, so that the raw path and header bytes reach the app
exactly as given (a test client would normalise them); an exception inside the app propagates:
that is the ``500`` a server would answer.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import anyio

from cfcookies.edge import EdgeApp

from .verification_cases import CLIENT_IP

__all__ = ["asgi_raw", "call"]


def asgi_raw(
    app: EdgeApp,
    raw_path: bytes,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    method: str = "GET",
) -> tuple[int, dict[str, str], bytes]:
    """Call the app with a hand-made scope, so that the raw path is exactly as given."""
    from urllib.parse import unquote_to_bytes

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": unquote_to_bytes(raw_path).decode("utf-8", "replace"),
        "raw_path": raw_path,
        "query_string": b"",
        "headers": [(b"host", b"media.example.test"), *(headers or [])],
        "client": (CLIENT_IP, 50000),
        "server": ("media.example.test", 443),
    }
    messages: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        messages.append(message)

    async def run_app() -> None:
        await app(scope, receive, send)

    anyio.run(run_app)
    start = messages[0]
    response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return start["status"], response_headers, body


def call(
    app: EdgeApp,
    path: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    method: str = "GET",
) -> tuple[int, dict[str, str], bytes]:
    """One request through the ASGI interface, with header bytes exactly as given.

    An exception inside the app propagates: that is the ``500`` a server would answer.
    """
    return asgi_raw(app, path.encode("ascii"), headers=headers, method=method)
