"""The ASGI adapter (:mod:`cfcookies.asgi`): what only it does.

Non-HTTP scopes (websockets, lifespan), streamed bodies and HEAD pass through untouched, and a
signature is computed in at most ``signing_threads`` worker threads at once. What every adapter
does the same way is in ``tests/test_session.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from cfcookies.keys import PrivateKey
from cfcookies.session import CloudFrontCookies
from tests.browser_jar_support import base_options, cloudfront_headers
from tests.middleware_apps import APP_ORIGIN, Reply, starlette_app
from tests.support import FakeClock


def test_asgi_streaming_head_websocket_and_lifespan_pass_through(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from starlette.routing import WebSocketRoute
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocket

    from cfcookies.asgi import CloudFrontCookieMiddleware

    events: list[str] = []

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    app = starlette_app(None, declarative=False)
    app.router.routes.append(WebSocketRoute("/ws", echo))

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(_: Any) -> Any:
        events.append("startup")
        yield
        events.append("shutdown")

    app.router.lifespan_context = lifespan
    wrapped = CloudFrontCookieMiddleware(app, cookies=cookies)
    assert isinstance(wrapped, CloudFrontCookieMiddleware)
    with TestClient(wrapped, base_url=APP_ORIGIN) as client:
        login = client.get("/login?user=ana")
        assert len(cloudfront_headers(Reply(200, list(login.headers.multi_items()), b""))) == 3
        streamed = client.get("/stream")
        assert streamed.content == b"chunk0;chunk1;chunk2;"
        head = client.head("/page")
        assert head.status_code == 200
        assert head.content == b""
        with client.websocket_connect("/ws") as ws:
            ws.send_text("hello")
            assert ws.receive_text() == "hello"
    assert events == ["startup", "shutdown"]


def test_asgi_signs_with_at_most_signing_threads_at_once(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    import threading
    import time

    from starlette.testclient import TestClient

    from cfcookies.asgi import CloudFrontCookieMiddleware

    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    running: list[int] = []
    peak: list[int] = [0]
    lock = threading.Lock()
    render = cookies.render

    def slow_render(plan: Any) -> Any:
        with lock:
            running.append(1)
            peak[0] = max(peak[0], len(running))
        time.sleep(0.05)
        with lock:
            running.pop()
        return render(plan)

    cookies.render = slow_render  # type: ignore[method-assign]
    app = CloudFrontCookieMiddleware(
        starlette_app(None, declarative=False), cookies=cookies, signing_threads=1
    )
    client = TestClient(app, base_url=APP_ORIGIN)
    from concurrent.futures import ThreadPoolExecutor

    with client, ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda n: client.get(f"/login?p=/videos/c{n}"), range(4)))
    assert all(r.status_code == 200 for r in replies)
    assert peak[0] == 1


@pytest.mark.parametrize("value", [0, -1, True, 1.5])
def test_signing_threads_must_be_a_positive_whole_number(
    value: Any, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from cfcookies.asgi import CloudFrontCookieMiddleware
    from cfcookies.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="signing_threads"):
        CloudFrontCookieMiddleware(
            starlette_app(None, declarative=False),
            cookies=CloudFrontCookies(**base_options(rsa_key, clock)),
            signing_threads=value,
        )


def test_cookies_and_options_together_are_refused(rsa_key: PrivateKey, clock: FakeClock) -> None:
    """``cookies=CloudFrontCookies(...)`` or the options, not both (which would win?)."""
    from cfcookies.asgi import CloudFrontCookieMiddleware

    cookies = CloudFrontCookies(**base_options(rsa_key, clock))
    with pytest.raises(TypeError, match="not both"):
        CloudFrontCookieMiddleware(
            starlette_app(None, declarative=False), cookies=cookies, lifetime=600
        )


@pytest.mark.parametrize("persistent", [False, True], ids=["session-cookies", "persistent"])
def test_a_login_counts_one_signature_hit_or_miss_per_folder(
    rsa_key: PrivateKey, clock: FakeClock, persistent: bool
) -> None:
    """The cache counters count each login once: one miss for the first login into a folder,
    one hit for every later one (the peek that decides where to sign counts nothing)."""
    from starlette.testclient import TestClient

    from cfcookies.asgi import CloudFrontCookieMiddleware

    cookies = CloudFrontCookies(**base_options(rsa_key, clock, persistent=persistent))
    app = CloudFrontCookieMiddleware(starlette_app(None, declarative=False), cookies=cookies)
    with TestClient(app, base_url=APP_ORIGIN) as client:
        client.get("/login?p=/videos/counted")
        assert (cookies.signer.hits, cookies.signer.misses) == (0, 1)
        for logins in range(1, 4):
            client.cookies.clear()
            client.get("/login?p=/videos/counted")
            assert (cookies.signer.hits, cookies.signer.misses) == (logins, 1)


@pytest.mark.parametrize(("kind", "in_a_worker"), [("rsa", True), ("ecdsa", False)])
def test_an_rsa_signature_is_computed_in_a_worker_thread_an_ecdsa_one_on_the_loop(
    kind: str, in_a_worker: bool, rsa_key: PrivateKey, ecdsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A thread hop costs 100-200 µs: more than an ECDSA P-256 signature (about 40 µs), a
    fifth of an RSA-2048 one. A login that signs renders in a worker with RSA, on the loop
    with ECDSA; one that hits the signature cache renders on the loop either way."""
    import threading

    from starlette.testclient import TestClient

    from cfcookies.asgi import CloudFrontCookieMiddleware

    key = rsa_key if kind == "rsa" else ecdsa_key
    cookies = CloudFrontCookies(**base_options(key, clock))
    assert cookies.signs_slowly is in_a_worker
    threads: list[bool] = []
    render = cookies.render

    def watched_render(plan: Any) -> Any:
        threads.append(threading.current_thread() is not loop_thread[0])
        return render(plan)

    loop_thread: list[threading.Thread] = []

    async def lifespan_probe(scope: Any, receive: Any, send: Any) -> None:
        loop_thread[:] = [threading.current_thread()]
        await app(scope, receive, send)

    cookies.render = watched_render  # type: ignore[method-assign]
    app = CloudFrontCookieMiddleware(starlette_app(None, declarative=False), cookies=cookies)
    with TestClient(lifespan_probe, base_url=APP_ORIGIN) as client:
        assert client.get("/login?p=/videos/c1").status_code == 200  # signs
        client.cookies.clear()  # another browser, the same folder
        assert client.get("/login?p=/videos/c1").status_code == 200  # from the cache
    assert threads == [in_a_worker, False]
