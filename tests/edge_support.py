"""The edge tests' bucket and edge (test_edge_*.py), and calling the edge's ASGI app by hand.

:func:`make_bucket` writes the one bucket the edge tests serve, :func:`make_edge` builds the
edge over it as the ``edge`` fixture in ``conftest.py`` does (with other options when a test
needs them). :func:`asgi_raw` builds the scope itself, so that the raw path and header bytes
reach the app exactly as given (a test client would normalise them); an exception inside the
app propagates: that is the ``500`` a server would answer.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import anyio

from cfcookies.clock import Clock
from cfcookies.edge import EdgeApp
from cfcookies.keys import PublicKey

from .verification_cases import CLIENT_IP, MEDIA_URL

__all__ = [
    "APP_ORIGIN",
    "LOGO",
    "OUTSIDE",
    "OUTSIDE_BYTES",
    "PUBLIC",
    "SECRET_BYTES",
    "SEGMENT_BYTES",
    "asgi_raw",
    "call",
    "make_bucket",
    "make_edge",
]

#: The app's origin, the one the edge allows by CORS.
APP_ORIGIN = "https://app.example.test"
#: ``videos/course-1/seg-0001.ts`` (and ``course-10``'s): 1024 bytes, every byte value four times.
SEGMENT_BYTES = bytes(range(256)) * 4
#: ``videos/course-2/secret.ts``: what a course-1 grant must never read.
SECRET_BYTES = b"course-2 only: the answer is 42"
#: The unprotected file, and its bytes.
PUBLIC = "/public/logo.png"
LOGO = b"\x89PNG-logo"
#: A file beside the bucket (in its parent folder), and its bytes: never served.
OUTSIDE = "outside.txt"
OUTSIDE_BYTES = b"outside the bucket"


def make_bucket(folder: Path) -> Path:
    """The bucket the edge tests serve, as ``folder/bucket``, with :data:`OUTSIDE` beside it.

    ``videos/course-1/`` (a segment and a playlist), ``videos/course-10/`` (a segment: a
    course-1 grant is not a prefix match for it), ``videos/course-2/secret.ts`` and
    ``public/logo.png``.
    """
    root = folder / "bucket"
    for course in ("course-1", "course-10"):
        (root / "videos" / course).mkdir(parents=True)
        (root / "videos" / course / "seg-0001.ts").write_bytes(SEGMENT_BYTES)
    (root / "videos" / "course-1" / "index.m3u8").write_text("#EXTM3U\n")
    (root / "videos" / "course-2").mkdir(parents=True)
    (root / "videos" / "course-2" / "secret.ts").write_bytes(SECRET_BYTES)
    (root / "public").mkdir()
    (root / "public" / "logo.png").write_bytes(LOGO)
    (folder / OUTSIDE).write_bytes(OUTSIDE_BYTES)
    return root


def make_edge(root: Path, keys: Mapping[str, PublicKey], clock: Clock, **options: Any) -> EdgeApp:
    """The edge the tests use: ``MEDIA_URL``, CORS for :data:`APP_ORIGIN`, ``/public/`` open."""
    return EdgeApp(
        root,
        public_keys=keys,
        public_url=MEDIA_URL,
        cors_origins=[APP_ORIGIN],
        clock=clock,
        unprotected_paths=["/public/"],
        **options,
    )


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
