"""Running an ASGI app over loopback: the one uvicorn runner, and the edge's two ways to run.

:class:`UvicornThread` serves an app with uvicorn in a background thread: ``start()`` binds a
free port on 127.0.0.1 (or serves a socket bound beforehand, when the port must be known before
the app is built), returns once the server accepts connections and raises, instead of hanging,
when it cannot start (a port taken, a TLS file unreadable, an app whose lifespan startup
fails); ``stop()`` ends it from its own thread and closes the socket, so no socket is left open
(pytest turns ``ResourceWarning`` into errors). It is a context manager too::

    with UvicornThread(app) as server:
        httpx.get(server.url + "/page")

:meth:`UvicornThread.serve_forever` serves in the foreground instead, as ``uvicorn.run`` does
(signals and all). The tests, the benchmarks and the edge share it, so that binding, waiting
and error reporting are written once. :class:`BackgroundServer` is the thread-and-wait part
alone, for another server loop (the tests run waitress with it).

:class:`EdgeServer` runs an :class:`~cfcookies.edge.app.EdgeApp` in a thread (tests) and
:func:`run_edge` in the foreground (``cfcookies edge``). Neither installs signal handlers in a
background thread or touches the global logging set-up. uvicorn is imported only when a server
starts: ``import cfcookies.edge`` works without it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

from ..exceptions import ConfigurationError
from ..keys import KeyRing, PublicKey
from .answers import MissingObject
from .app import EdgeApp

__all__ = ["LOOPBACK", "BackgroundServer", "EdgeServer", "UvicornThread", "bind_socket", "run_edge"]

LOOPBACK = "127.0.0.1"
_S = TypeVar("_S", bound="BackgroundServer")


def bind_socket(host: str = LOOPBACK, port: int = 0) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: a free one), not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _check_tls(certfile: object, keyfile: object) -> None:
    if (certfile is None) != (keyfile is None):
        raise ConfigurationError("give both certfile and keyfile for TLS, or neither")


class BackgroundServer:
    """A server loop in a daemon thread: ``start()`` returns once it serves, ``stop()`` ends it.

    Subclasses say how to serve (``_serve``, run in the thread; it may set :attr:`port`), when
    the server is ready (``_ready``) and how to ask it to stop (``_request_stop``, from any
    thread). ``_prepare`` runs in the caller's thread before the server thread starts (bind
    there, so that a taken port raises at once) and ``_cleanup`` after it ended.

    A server that fails or does not come up within ``startup_timeout`` seconds is stopped and
    ``start()`` raises :class:`~cfcookies.exceptions.ConfigurationError` from the error the
    server thread raised; ``stop()`` raises :class:`RuntimeError` when the thread does not end
    within ``shutdown_timeout`` seconds or ended with an error.
    """

    def __init__(
        self,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        startup_timeout: float = 10.0,
        shutdown_timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def scheme(self) -> str:
        return "http"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https`` with TLS) once the port is known."""
        if not self.port:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def _prepare(self) -> None:
        """Get ready to serve, in the caller's thread (bind, build the server)."""

    def _serve(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _ready(self) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def _request_stop(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _cleanup(self) -> None:
        """Release what ``_prepare`` took, once the server thread has ended."""

    def _run(self) -> None:
        try:
            self._serve()
        except BaseException as exc:  # reported by start()/stop() in the caller's thread
            self._error = exc

    def start(self) -> None:
        """Start serving in a daemon thread; return once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        self._error = None
        self._prepare()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._ready():
            failed = self._error is not None or not self._thread.is_alive()
            if failed or time.monotonic() > deadline:
                error = self._error
                self._halt()
                what = "failed to start" if failed else f"did not start in {self.startup_timeout} s"
                where = f"{self.host}:{self.port or 'a free port'}"
                raise ConfigurationError(f"{type(self).__name__} {what} on {where}") from error
            time.sleep(0.01)

    def _halt(self) -> bool:
        """Ask the server to stop, wait for its thread, clean up; whether the thread lives on."""
        thread = self._thread
        if thread is None:
            return False
        self._request_stop()
        thread.join(self.shutdown_timeout)
        self._thread = None
        self._cleanup()
        return thread.is_alive()

    def stop(self) -> None:
        """Stop serving and wait for the server thread (a no-op when not started)."""
        if self._thread is None:
            return
        if self._halt():
            raise RuntimeError(f"{type(self).__name__} did not stop in time")
        if self._error is not None:
            raise RuntimeError(f"{type(self).__name__} failed") from self._error

    def __enter__(self: _S) -> _S:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class UvicornThread(BackgroundServer):
    """An ASGI app under uvicorn, on ``host:port`` (127.0.0.1 and a free port by default).

    ``sock`` serves a socket bound beforehand (see :func:`bind_socket`) instead; it is served
    once and closed by ``stop()``. ``certfile`` and ``keyfile`` serve https. Other keyword
    arguments go to ``uvicorn.Config`` (``http="h11"``, ``root_path=...``,
    ``timeout_graceful_shutdown=3`` ...). ``lifespan="on"`` by default, so that an app whose
    startup fails is reported by ``start()`` rather than served half set up.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        sock: socket.socket | None = None,
        certfile: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
        log_level: str = "warning",
        lifespan: str = "on",
        startup_timeout: float = 10.0,
        shutdown_timeout: float = 10.0,
        **config: Any,
    ) -> None:
        _check_tls(certfile, keyfile)
        if sock is not None:
            host, port = sock.getsockname()[:2]
        super().__init__(
            host=host, port=port, startup_timeout=startup_timeout, shutdown_timeout=shutdown_timeout
        )
        self.app = app
        self.certfile = certfile
        self.keyfile = keyfile
        self.log_level = log_level
        self.lifespan = lifespan
        self.config = config
        #: The running ``uvicorn.Server`` (None when stopped).
        self.server: Any = None
        self._given = sock
        self._socket: socket.socket | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.certfile else "http"

    def options(self) -> dict[str, Any]:
        """The keyword arguments for ``uvicorn.Config`` (or ``uvicorn.run``), app aside."""
        return {
            "log_level": self.log_level,
            "lifespan": self.lifespan,
            "ssl_certfile": os.fspath(self.certfile) if self.certfile else None,
            "ssl_keyfile": os.fspath(self.keyfile) if self.keyfile else None,
            **self.config,
        }

    def _prepare(self) -> None:
        import uvicorn

        server = uvicorn.Server(uvicorn.Config(self.app, **self.options()))
        sock, self._given = self._given, None
        if sock is None:
            sock = bind_socket(self.host, self.port)
        self._socket = sock
        self.port = sock.getsockname()[1]
        self.server = server

    def _serve(self) -> None:
        self.server.run(sockets=[self._socket])

    def _ready(self) -> bool:
        return bool(self.server.started)

    def _request_stop(self) -> None:
        self.server.should_exit = True

    def _cleanup(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._socket = self.server = None

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT or SIGTERM, as ``uvicorn.run`` does (blocking).

        uvicorn binds ``host:port`` itself here (and logs where it listens); a ``sock`` given
        to the constructor is for ``start()`` only.
        """
        if self._given is not None:
            raise ConfigurationError("serve_forever() binds host:port itself; give no sock")
        import uvicorn

        uvicorn.run(self.app, host=self.host, port=self.port, **self.options())


class EdgeServer(UvicornThread):
    """Run an ASGI app (an :class:`~cfcookies.edge.app.EdgeApp`) with uvicorn in a thread.

    ``port=0`` picks a free port; :attr:`url` is the base URL once started::

        with EdgeServer(edge) as server:
            httpx.get(server.url + "/videos/course-1/index.m3u8", cookies=...)
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        certfile: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
        log_level: str = "warning",
        startup_timeout: float = 10.0,
    ) -> None:
        super().__init__(
            app,
            host=host,
            port=port,
            certfile=certfile,
            keyfile=keyfile,
            log_level=log_level,
            startup_timeout=startup_timeout,
            server_header=False,
            proxy_headers=False,
        )


def run_edge(
    root: str | os.PathLike[str],
    *,
    public_keys: Mapping[str, PublicKey] | KeyRing,
    host: str = LOOPBACK,
    port: int = 8443,
    certfile: str | os.PathLike[str] | None = None,
    keyfile: str | os.PathLike[str] | None = None,
    public_url: str | None = None,
    cors_origins: Sequence[str] = (),
    trust_forwarded_for: bool = False,
    unprotected_paths: Sequence[str] = (),
    allowed_methods: Sequence[str] = ("GET", "HEAD"),
    missing_object: MissingObject = "AccessDenied",
    log_level: str = "info",
) -> None:
    """Serve ``root`` as a local CloudFront with uvicorn until interrupted (blocking)."""
    _check_tls(certfile, keyfile)
    app = EdgeApp(
        root,
        public_keys=public_keys,
        public_url=public_url,
        cors_origins=cors_origins,
        trust_forwarded_for=trust_forwarded_for,
        unprotected_paths=unprotected_paths,
        allowed_methods=allowed_methods,
        missing_object=missing_object,
    )
    UvicornThread(
        app,
        host=host,
        port=port,
        certfile=certfile,
        keyfile=keyfile,
        log_level=log_level,
        server_header=False,
        proxy_headers=False,
    ).serve_forever()
