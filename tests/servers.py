"""Run an app under a real HTTP server on 127.0.0.1, in a background thread, for tests.

Two servers, one shape (the package's runner, :mod:`cfcookies.edge.server`): ``start()`` binds
a free port on loopback and returns once the server accepts connections, or raises when it cannot
start; ``url`` is then ``http://127.0.0.1:PORT``; ``stop()`` shuts it down and joins its thread.
Both are also context managers::

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

import threading
from typing import TYPE_CHECKING, Any

from cfcookies.edge.server import LOOPBACK, BackgroundServer, UvicornThread

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from starlette.types import ASGIApp

__all__ = ["UvicornServer", "WaitressServer"]


class UvicornServer(UvicornThread):
    """An ASGI app under uvicorn (``http="h11"`` unless told otherwise), on 127.0.0.1."""

    def __init__(self, app: ASGIApp, **config: Any) -> None:
        options: dict[str, Any] = {
            "http": "h11",
            "lifespan": "auto",
            "log_level": "warning",
            "timeout_graceful_shutdown": 5,
        }
        options.update(config)
        super().__init__(app, **options)


class WaitressServer(BackgroundServer):
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
