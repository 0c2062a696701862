"""Running the demo: ``cfcookies demo`` serves the app and the edge on loopback until stopped.

:func:`run_demo` (what ``cfcookies demo`` and ``scripts/demo`` call) binds both ports first (the
app's origin and the edge's CORS origin carry them), builds the demo in a temporary folder
(:func:`~cfcookies.demo.build.build_demo`, plain HTTP on ``localhost``), serves both apps with
uvicorn in one event loop, prints a banner with the users and their passwords, and logs one
line per edge request. Ctrl-C (or SIGTERM) stops both servers and deletes the temporary folder.

uvicorn (the ``demo`` extra) is imported only when serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .build import build_demo
from .catalog import DemoInfo


class _EdgeLog:
    """Print one line per edge request: method, path, status and the edge's decision."""

    def __init__(self, app: ASGIApp, out: TextIO) -> None:
        self.app = app
        self.out = out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = ""
                for name, value in message.get("headers", []):
                    if name == b"x-cfcookies-decision":
                        decision = value.decode("latin-1")
                self.out.write(
                    f"  edge  {scope.get('method', 'GET'):4} {scope.get('path', '/')} -> "
                    f"{message['status']} {decision}\n"
                )
                self.out.flush()
            await send(message)

        await self.app(scope, receive, logging_send)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _public_host(host: str) -> str:
    if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
        return "localhost"
    return f"[{host}]" if ":" in host else host


def _banner(info: DemoInfo, key_dir: Path, *, hints: bool) -> str:
    users = "\n".join(
        f"    {u.name:<6} password {u.password:<14} may read {', '.join(u.courses)}"
        for u in info.users
    )
    lines = [
        "cfcookies demo",
        f"  App:   {info.app_url}/",
        f"  Edge:  {info.media_url}/   (the local CloudFront stand-in)",
        f"  Keys:  {key_dir}  (throwaway, deleted at exit; key pair ID {info.key_pair_id})",
        f"  Media: {info.media_root}",
        "  Player without cookies: "
        + (
            f"hls.js from {info.hls_js}"
            if info.hls_js is not None
            else "the browser's own HLS (--hls-js FILE serves hls.js)"
        ),
        "  Revocation: "
        + (
            "on (logout denies the session at the edge; in-memory deny-list)"
            if info.revocation
            else "off (--no-revocation: CloudFront's own behaviour)"
        ),
        "  Users:",
        users,
    ]
    if hints:
        lines += [
            "",
            f"Open {info.app_url}/ in a browser and sign in. The page shows the CloudFront cookies",
            "the middleware issued (name, Path, expiry), loads your courses from the edge, and",
            "lets you try a course you were not granted (403 from the edge, with its reason).",
            "",
            "Each course also gets a link for a player without cookies (a Chromecast, a TV app,",
            "VLC): 'Play it without cookies' plays it in a page that sends the edge no cookie,",
            "the segments carrying the course's signed query, and shows that query refused on",
            "the other courses.",
            "",
            "Then click 'Log out, keeping a copy of my cookies' and 'Replay the copied cookies':",
            "the demo server asks the edge with the cookies you held before logout.",
            *(
                (
                    "Their CloudFront policy is still valid, but the edge answers 403",
                    "session_revoked: logout put the session on the deny-list (run with",
                    "--no-revocation and the copy would still get 200).",
                )
                if info.revocation
                else (
                    "Their CloudFront policy is still valid and the edge answers 200: CloudFront",
                    "cannot revoke a signed cookie. Without --no-revocation, logout denies the",
                    "session and the edge answers 403 session_revoked.",
                )
            ),
            "",
            "Local-only relaxation: plain HTTP, so the cookies are not Secure, and no Domain,",
            "because browsers ignore ports and localhost:app and localhost:edge share host-only",
            "cookies. In production both hosts use HTTPS, cookies are Secure, and cookie_domain",
            "(like example.com) covers app.example.com and media.example.com.",
        ]
    lines += ["", "Ready. Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


async def _serve_both(
    app: ASGIApp,
    edge: ASGIApp,
    app_sock: socket.socket,
    edge_sock: socket.socket,
    *,
    on_ready: Callable[[], None],
    log_level: str = "warning",
) -> int:
    import uvicorn

    class _Server(uvicorn.Server):
        """A uvicorn server that leaves signals to :func:`_serve_both`."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        def install_signal_handlers(self) -> None:  # uvicorn before 0.29
            return None

    servers = [
        _Server(
            uvicorn.Config(
                target,
                log_level=log_level,
                lifespan="on",
                server_header=False,
                proxy_headers=False,
                timeout_graceful_shutdown=3,
            )
        )
        for target in (app, edge)
    ]
    loop = asyncio.get_running_loop()
    stopping: list[int] = []

    def stop(signum: int) -> None:
        stopping.append(signum)
        for server in servers:  # graceful, and bounded by timeout_graceful_shutdown
            server.should_exit = True

    handled = (signal.SIGINT, signal.SIGTERM)
    previous: dict[int, Any] = {}
    for signum in handled:
        try:
            loop.add_signal_handler(signum, stop, signum)
        except NotImplementedError:  # Windows: no add_signal_handler
            previous[signum] = signal.signal(
                signum, lambda s, _frame: loop.call_soon_threadsafe(stop, s)
            )
    try:
        tasks = [
            asyncio.ensure_future(servers[0].serve(sockets=[app_sock])),
            asyncio.ensure_future(servers[1].serve(sockets=[edge_sock])),
        ]
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks) or stopping:
                stop(0)
                break
            await asyncio.sleep(0.02)
        else:
            on_ready()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for signum in handled:
            if signum in previous:
                signal.signal(signum, previous[signum])
            else:
                loop.remove_signal_handler(signum)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    if not all(s.started for s in servers) and not stopping:
        return 1
    return 0


def run_demo(
    *,
    host: str = "127.0.0.1",
    app_port: int = 8000,
    edge_port: int = 8001,
    media_dir: str | os.PathLike[str] | None = None,
    hints: bool = True,
    out: TextIO | None = None,
    revocation: bool = True,
    hls_js: str | os.PathLike[str] | None = None,
) -> int:
    """Serve the demo until SIGINT or SIGTERM; return the exit status (blocking).

    Port 0 picks a free port. The key pair lives in a temporary folder deleted at exit, as is
    the media library unless ``media_dir`` is given. ``revocation=False`` serves the demo
    without edge revocation, and ``hls_js`` (hls.js's browser build) is what its player
    without cookies plays with (see :func:`build_demo`).
    """
    stream = out if out is not None else sys.stdout
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cfcookies-demo-")))
        app_sock = stack.enter_context(_bind(host, app_port))
        edge_sock = stack.enter_context(_bind(host, edge_port))
        public = _public_host(host)
        app_origin = f"http://{public}:{app_sock.getsockname()[1]}"
        media_origin = f"http://{public}:{edge_sock.getsockname()[1]}"
        app, edge, info = build_demo(
            tmp,
            app_origin=app_origin,
            media_origin=media_origin,
            secure=False,
            insecure_allow_http=True,
            media_dir=media_dir,
            revocation=revocation,
            hls_js=hls_js,
        )
        if public != "localhost":
            stream.write(
                f"warning: serving on {host}: the demo's cookies travel over plain HTTP; "
                "use it on a network you trust, or keep the default 127.0.0.1\n"
            )

        def ready() -> None:
            stream.write(_banner(info, tmp, hints=hints))
            stream.flush()

        status = asyncio.run(
            _serve_both(app, _EdgeLog(edge, stream), app_sock, edge_sock, on_ready=ready)
        )
    stream.write("cfcookies demo: stopped; temporary keys deleted.\n")
    stream.flush()
    return status
