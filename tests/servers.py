"""Run an app under a real HTTP server on 127.0.0.1, in a background thread, for tests.

Two servers, one shape: ``start()`` binds a free port on loopback and returns once the server
accepts connections; ``url`` is then ``http://127.0.0.1:PORT``; ``stop()`` shuts it down and
joins its thread. Both are also context managers::

    with UvicornServer(asgi_app) as server:            # ASGI, uvicorn with its h11 protocol
        httpx.get(server.url + "/page", headers={"Host": "app.example.test"})

    with WaitressServer(wsgi_app, threads=4) as server:  # WSGI, waitress
        ...

Extra keyword arguments go to ``uvicorn.Config`` or to waitress's adjustments (for example
``trusted_proxy="127.0.0.1", trusted_proxy_headers={"x-forwarded-proto"}`` to let waitress
believe an ``X-Forwarded-Proto`` header, as behind a TLS-terminating proxy).

Neither helper installs signal handlers or touches the global logging set-up, and both shut down
from their own thread, so no socket is left open (pytest turns ``ResourceWarning`` into errors).
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from starlette.types import ASGIApp

__all__ = ["UvicornServer", "WaitressServer"]

LOOPBACK = "127.0.0.1"


class _BackgroundServer:
    """start/stop/url and the context-manager protocol; subclasses run the server loop."""

    startup_timeout = 10.0
    shutdown_timeout = 10.0

    def __init__(self) -> None:
        self.port = 0
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if not self.port:
            raise RuntimeError("the server is not started")
        return f"http://{LOOPBACK}:{self.port}"

    def _serve(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _ready(self) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def _request_stop(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _run(self) -> None:
        try:
            self._serve()
        except BaseException as exc:  # reported by start()/stop() in the test's thread
            self._error = exc

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("already started")
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._ready():
            if self._error is not None or not self._thread.is_alive():
                self._thread.join(1)
                raise RuntimeError(f"{type(self).__name__} failed to start") from self._error
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{type(self).__name__} did not start in time")
            time.sleep(0.01)

    def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._request_stop()
        thread.join(self.shutdown_timeout)
        self._thread = None
        if thread.is_alive():
            raise RuntimeError(f"{type(self).__name__} did not stop in time")
        if self._error is not None:
            raise RuntimeError(f"{type(self).__name__} failed") from self._error

    def __enter__(self) -> _BackgroundServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    return sock


class UvicornServer(_BackgroundServer):
    """An ASGI app under uvicorn (``http="h11"`` unless told otherwise), on 127.0.0.1."""

    def __init__(self, app: ASGIApp, **config: Any) -> None:
        super().__init__()
        import uvicorn

        options: dict[str, Any] = {
            "http": "h11",
            "lifespan": "auto",
            "log_level": "warning",
            "timeout_graceful_shutdown": 5,
        }
        options.update(config)
        self.server = uvicorn.Server(uvicorn.Config(app, **options))
        self._socket: socket.socket | None = None

    def _serve(self) -> None:
        sock = _free_socket()
        self._socket = sock
        self.port = sock.getsockname()[1]
        try:
            self.server.run(sockets=[sock])
        finally:
            sock.close()

    def _ready(self) -> bool:
        return bool(self.server.started)

    def _request_stop(self) -> None:
        self.server.should_exit = True


class WaitressServer(_BackgroundServer):
    """A WSGI app under waitress, on 127.0.0.1 (adjustments such as ``threads=4`` pass on)."""

    def __init__(self, app: WSGIApplication, **adjustments: Any) -> None:
        super().__init__()
        self.app = app
        self.adjustments: dict[str, Any] = {"threads": 4, **adjustments}
        self._stopping = threading.Event()
        self._started = threading.Event()

    def _serve(self) -> None:
        from waitress import wasyncore
        from waitress.server import create_server

        server: Any = create_server(self.app, host=LOOPBACK, port=0, **self.adjustments)
        socket_map = server._map
        self.port = int(server.effective_port)
        self._started.set()
        try:
            # waitress's own run() loops until its socket map is empty; this loop polls in
            # short steps so that stop() can end it, and closes everything from this thread.
            while not self._stopping.is_set():
                wasyncore.loop(timeout=0.05, map=socket_map, count=1)
        finally:
            for channel in list(socket_map.values()):
                if channel is not server and channel is not server.trigger:
                    channel.handle_close()
            server.close()
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    def _ready(self) -> bool:
        return self._started.is_set()

    def _request_stop(self) -> None:
        self._stopping.set()
