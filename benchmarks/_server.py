"""A real server for the load benchmarks: uvicorn on 127.0.0.1, in its own process.

``python -m benchmarks._server MODE PORT`` serves a small Starlette app (``GET /page``: a plain
page; ``GET /login?p=PREFIX``: a login view calling ``grant(request, PREFIX)``), bare
(``MODE=bare``) or behind cfcookies' ASGI middleware (``cf``), or behind it with off-loop signing
disabled (``cf-onloop``: ``needs_signing`` always answers False, so a cache miss is signed on the
event loop). :class:`Server` starts one and stops it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from ._apps import cloudfront_cookies, key

ROOT = Path(__file__).resolve().parent.parent
MODES = ("bare", "cf", "cf-onloop")


def build_app(mode: str) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from cfcookies.asgi import CloudFrontCookieMiddleware
    from cfcookies.session import grant

    def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse("page")

    def login(request: Request) -> PlainTextResponse:
        prefix = request.query_params.get("p")
        if prefix and mode != "bare":
            grant(request, prefix)
        return PlainTextResponse("logged in")

    app = Starlette(routes=[Route("/page", page), Route("/login", login)])
    if mode == "bare":
        return app
    cookies = cloudfront_cookies(key("rsa"), signature_cache_size=100_000)
    if mode == "cf-onloop":
        cookies.needs_signing = lambda plan: False  # type: ignore[method-assign]
    return CloudFrontCookieMiddleware(app, cookies=cookies)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``with Server("cf") as server:`` … ``server.port``; the process is stopped on exit."""

    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._server", self.mode, str(self.port)],
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the {self.mode} server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the {self.mode} server did not start within 30 s")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.process.kill()
                self.process.wait()


def main() -> None:
    import uvicorn

    mode, port = sys.argv[1], int(sys.argv[2])
    config = uvicorn.Config(
        build_app(mode),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
