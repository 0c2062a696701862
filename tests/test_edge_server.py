"""cfcookies.edge.server: the one uvicorn runner, EdgeServer, run_edge and `cfcookies edge`.

The runner (:class:`~cfcookies.edge.server.UvicornThread`) is what the tests and the edge use to
serve over loopback: it starts on 127.0.0.1 with a free port (or a socket bound beforehand),
returns once the server accepts connections, stops and closes its socket, and reports an app
whose startup fails, a taken port, or a server that does not come up in time, instead of hanging.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from cfcookies import edge as edge_module
from cfcookies.cli.edge import register
from cfcookies.edge import EdgeApp, EdgeServer, run_edge
from cfcookies.edge.server import LOOPBACK, UvicornThread, bind_socket
from cfcookies.exceptions import ConfigurationError
from cfcookies.keys import PrivateKey, PublicKey, private_key_pem, public_key_pem
from tests.support import RSA_KEY_ID

from .browser_support import make_tls_files, port_is_closed
from .edge_support import APP_ORIGIN, SEGMENT_BYTES
from .verification_cases import MEDIA_URL, SEGMENT

# --- the runner -------------------------------------------------------------------------------


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare ASGI app that says hello, with a lifespan that starts and stops."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


def failing_startup(how: str) -> Any:
    """An app whose lifespan startup fails: it raises, or it says so."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        if how == "raises":
            raise RuntimeError("the database is not there")
        await send({"type": "lifespan.startup.failed", "message": "the database is not there"})

    return app


@pytest.mark.server
def test_runner_serves_on_loopback_with_a_free_port_and_stops() -> None:
    """start() returns once 127.0.0.1:<free port> answers; stop() closes the port."""
    server = UvicornThread(hello)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url
    with server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.port != 0
        assert httpx.get(server.url + "/", timeout=10).text == "hello"
    assert server.server is None
    assert port_is_closed(server.port)
    server.stop()  # stopping again is a no-op


@pytest.mark.server
def test_runner_serves_a_socket_bound_beforehand() -> None:
    """A socket bound first (its port known before the app is built) is served, then closed."""
    sock = bind_socket()
    port = sock.getsockname()[1]
    with UvicornThread(hello, sock=sock) as server:
        assert server.port == port
        assert httpx.get(server.url + "/", timeout=10).status_code == 200
    assert sock.fileno() == -1
    assert port_is_closed(port)


@pytest.mark.server
def test_runner_serves_https(tmp_path: Path) -> None:
    """With certfile and keyfile the runner serves https on 127.0.0.1."""
    tls = make_tls_files(tmp_path / "tls", ("media.example.test",))
    with UvicornThread(hello, certfile=tls.cert, keyfile=tls.key) as server:
        assert server.url.startswith("https://127.0.0.1:")
        with httpx.Client(verify=ssl.create_default_context(cafile=tls.ca_cert)) as client:
            assert client.get(server.url + "/", timeout=10).text == "hello"


@pytest.mark.server
@pytest.mark.parametrize("how", [pytest.param("raises"), pytest.param("says-failed")])
def test_runner_reports_a_failing_app_startup(how: str) -> None:
    """An app whose lifespan startup fails makes start() raise at once, not hang."""
    server = UvicornThread(failing_startup(how), log_level="critical", startup_timeout=30)
    started = time.monotonic()
    with pytest.raises(ConfigurationError, match="failed to start") as raised:
        server.start()
    assert time.monotonic() - started < 10
    assert isinstance(raised.value.__cause__, SystemExit)  # uvicorn's exit on a failed startup
    assert server.server is None
    assert port_is_closed(server.port)


@pytest.mark.server
def test_runner_reports_a_server_that_does_not_start_in_time() -> None:
    """A startup slower than startup_timeout is stopped and reported, then the port closed."""
    release = threading.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            while not release.is_set():  # until the test lets it go
                await asyncio.sleep(0.01)
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})

    server = UvicornThread(slow, startup_timeout=0.2)
    timer = threading.Timer(2.0, release.set)  # well after the 0.2 s deadline
    timer.start()
    try:
        with pytest.raises(ConfigurationError, match=r"did not start in 0\.2 s"):
            server.start()
    finally:
        timer.cancel()
        release.set()
    assert port_is_closed(server.port)


@pytest.mark.server
def test_runner_reports_a_taken_port() -> None:
    """A port another socket listens on is an OSError from start(), in the caller's thread."""
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        server = UvicornThread(hello, port=taken.getsockname()[1])
        with pytest.raises(OSError, match="in use"):
            server.start()
        assert server.server is None


def test_runner_needs_both_tls_files(tmp_path: Path) -> None:
    """A certificate without its key (or the reverse) is refused when the runner is built."""
    with pytest.raises(ConfigurationError, match="both certfile and keyfile"):
        UvicornThread(hello, certfile=tmp_path / "cert.pem")
    with pytest.raises(ConfigurationError, match="both certfile and keyfile"):
        EdgeServer(hello, keyfile=tmp_path / "key.pem")


# --- the edge over a real server ------------------------------------------------------------------


@pytest.mark.server
def test_real_uvicorn_server(edge: EdgeApp, cookie: str) -> None:
    """Over loopback, uvicorn serves signed requests, ranges and refusals as in-process."""
    with EdgeServer(edge, port=0) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=server.url) as client:
            ok = client.get(SEGMENT, headers={"cookie": cookie, "range": "bytes=0-9"})
            denied = client.get(SEGMENT)
    assert (ok.status_code, ok.content) == (206, SEGMENT_BYTES[:10])
    assert ok.headers["server"] == "CloudFront"
    assert denied.status_code == 403
    assert "<Code>MissingKey</Code>" in denied.text


# --- run_edge and `cfcookies edge` ----------------------------------------------------------------


def test_run_edge_serves_the_edge_with_uvicorn_in_the_foreground(
    root: Path, keys: dict[str, PublicKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_edge builds the EdgeApp and hands it to uvicorn.run with the edge's settings."""
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    run_edge(root, public_keys=keys, port=9443, cors_origins=[APP_ORIGIN], log_level="debug")
    ((app, options),) = calls
    assert isinstance(app, EdgeApp)
    assert app.cors_origins == frozenset([APP_ORIGIN])
    assert options == {
        "host": "127.0.0.1",
        "port": 9443,
        "log_level": "debug",
        "lifespan": "on",
        "ssl_certfile": None,
        "ssl_keyfile": None,
        "server_header": False,
        "proxy_headers": False,
    }


def test_run_edge_needs_both_tls_files(root: Path, keys: dict[str, PublicKey]) -> None:
    """run_edge refuses a certificate without its key before building anything."""
    with pytest.raises(ConfigurationError, match="both certfile and keyfile"):
        run_edge(root, public_keys=keys, certfile="cert.pem")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cfcookies")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_edge_runs_with_the_options(
    tmp_path: Path, root: Path, rsa_key: PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cfcookies edge` hands the root, keys and options to run_edge."""
    pem = tmp_path / "public.pem"
    pem.write_text(public_key_pem(rsa_key))
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        edge_module, "run_edge", lambda root, **kw: calls.append({"root": root, **kw})
    )
    args = _parser().parse_args(
        [
            "edge",
            "--root",
            str(root),
            "--public-key",
            f"{RSA_KEY_ID}={pem}",
            "--port",
            "9443",
            "--cors-origin",
            APP_ORIGIN,
            "--public-url",
            MEDIA_URL,
        ]
    )
    assert args.func(args) == 0
    (call,) = calls
    assert (call["root"], call["port"], call["host"]) == (str(root), 9443, "127.0.0.1")
    assert call["cors_origins"] == [APP_ORIGIN]
    assert (call["allowed_methods"], call["missing_object"]) == (["GET", "HEAD"], "AccessDenied")
    assert call["public_keys"][RSA_KEY_ID].public_numbers() == rsa_key.public_key().public_numbers()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("no-equals-sign", id="no-id"),
        pytest.param("bad id!=x.pem", id="bad-id"),
        pytest.param("K2JCJMDEHXQW5F=/nonexistent.pem", id="missing-file"),
    ],
)
def test_cli_edge_rejects_bad_public_key(value: str, root: Path) -> None:
    """A --public-key that is not ID=PATH to a readable key is a usage error."""
    with pytest.raises(SystemExit):
        _parser().parse_args(["edge", "--root", str(root), "--public-key", value])


def test_cli_edge_private_key_file_is_accepted(tmp_path: Path, rsa_key: PrivateKey) -> None:
    """A private key file works as --public-key (its public half is used)."""
    pem = tmp_path / "private.pem"
    pem.write_bytes(private_key_pem(rsa_key))
    args = _parser().parse_args(["edge", "--root", ".", "--public-key", f"{RSA_KEY_ID}={pem}"])
    assert args.public_keys[0][0] == RSA_KEY_ID


def test_cli_passes_allowed_methods_and_missing_object(
    tmp_path: Path, root: Path, rsa_key: PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cfcookies edge --allowed-methods ... --missing-object ...` reaches run_edge."""
    pem = tmp_path / "public.pem"
    pem.write_text(public_key_pem(rsa_key))
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(edge_module, "run_edge", lambda root, **kw: calls.append(kw))
    args = _parser().parse_args(
        [
            "edge",
            "--root",
            str(root),
            "--public-key",
            f"{RSA_KEY_ID}={pem}",
            "--allowed-methods",
            "GET,HEAD,OPTIONS",
            "--missing-object",
            "NoSuchKey",
        ]
    )
    assert args.func(args) == 0
    (call,) = calls
    assert (call["allowed_methods"], call["missing_object"]) == (
        ["GET", "HEAD", "OPTIONS"],
        "NoSuchKey",
    )


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--allowed-methods", "GET,HEAD,POST"], id="methods"),
        pytest.param(["--missing-object", "NotFound"], id="missing-object"),
    ],
)
def test_cli_refuses_other_values(
    tmp_path: Path, root: Path, rsa_key: PrivateKey, argv: list[str]
) -> None:
    """Values outside the choices are usage errors."""
    pem = tmp_path / "public.pem"
    pem.write_text(public_key_pem(rsa_key))
    base = ["edge", "--root", str(root), "--public-key", f"{RSA_KEY_ID}={pem}"]
    assert _parser().parse_args(base).allowed_methods == "GET,HEAD"
    with pytest.raises(SystemExit):
        _parser().parse_args([*base, *argv])


# --- packaging ------------------------------------------------------------------------------------


def test_edge_imports_without_uvicorn() -> None:
    """cfcookies.edge imports when uvicorn is not installed."""
    code = "import sys; sys.modules['uvicorn'] = None; import cfcookies.edge; print('ok')"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    assert result.stdout.strip() == "ok", result.stderr
