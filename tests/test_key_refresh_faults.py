"""A key store that hangs, stalls, resets or returns junk costs signing nothing (issue 14).

The faults are real where the system has a real part: moto's Secrets Manager server on
127.0.0.1 sits behind :class:`FaultyProxy`, a TCP proxy on loopback that can accept and never
answer, forward the request and stall mid-answer, trickle the answer one byte at a time, or
reset each connection. Exceptions with no real cause to provoke them (a bug deep in a
dependency) are injected by replacing the fetch.
"""

from __future__ import annotations

import gc
import json
import logging
import selectors
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import urlsplit

import anyio
import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from cfcookies import aws
from cfcookies.asgi import CloudFrontCookieMiddleware, grant
from cfcookies.exceptions import AWSError, ConfigurationError, KeyLoadError
from cfcookies.keys import PrivateKey, key_fingerprint, private_key_pem
from cfcookies.session import CloudFrontCookies
from tests.moto_server import MotoServer
from tests.support import FakeClock

OLD_ID = "K1OLDKEYPAIRID"
NEW_ID = "K2NEWKEYPAIRID"
SECRET = "app/signing-key"
SPEC = f"secretsmanager:{SECRET}"
REFRESH_THREAD = f"cfcookies-key-refresh {SPEC}"
INTERVAL = 60.0

Mode = Literal["forward", "hang", "stall", "trickle", "reset"]


# --------------------------------------------------------------------------------------------
# A misbehaving network between the ring and moto


@dataclass(eq=False)
class _Pair:
    mode: Mode
    client: socket.socket
    upstream: socket.socket | None
    answered: int = 0  # bytes of the answer passed on to the client
    held: bytes = b""  # bytes of the answer not yet passed on (trickle)
    last_trickle: float = 0.0


class FaultyProxy:
    """A TCP proxy on 127.0.0.1 in front of ``upstream`` that misbehaves on request.

    ``forward`` passes bytes both ways. ``hang`` accepts and reads the request, and never
    answers. ``stall`` forwards the request and the first bytes of the answer, then nothing.
    ``trickle`` passes the answer on one byte every 50 ms, so no read ever times out.
    ``reset`` answers each connection with a TCP reset. Switching modes closes the connections
    open, so a connection kept alive in the client's pool cannot slip past the new mode.
    """

    STALL_AFTER = 20  # bytes: "HTTP/1.1 200 OK\r\nSer"
    TRICKLE_EVERY = 0.05

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._mode: Mode = "forward"
        self._switch: Mode | None = None
        self._switched = threading.Event()
        self._stop = threading.Event()
        self._pairs: list[_Pair] = []
        #: Connections accepted, by the mode they met.
        self.accepted: Counter[str] = Counter()
        #: The most connections open at once since the last switch.
        self.max_open = 0
        self._thread = threading.Thread(target=self._run, name="faulty-proxy", daemon=True)
        self._thread.start()

    def set_mode(self, mode: Mode) -> None:
        """Switch modes (from the proxy's own thread, which owns every socket) and wait."""
        self._switched.clear()
        self._switch = mode
        assert self._switched.wait(5), "the proxy thread did not answer"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._listener, selectors.EVENT_READ, None)
        try:
            while not self._stop.is_set():
                if self._switch is not None:
                    for pair in list(self._pairs):
                        self._drop(selector, pair)
                    self._mode, self._switch = self._switch, None
                    self.max_open = 0
                    self._switched.set()
                for key, _ in selector.select(timeout=0.01):
                    if key.data is None:
                        self._accept(selector)
                    else:
                        pair, side = key.data
                        if pair in self._pairs:
                            self._pump(selector, pair, side)
                self._trickle(selector)
        finally:
            for pair in list(self._pairs):
                self._drop(selector, pair)
            selector.close()
            self._listener.close()

    def _accept(self, selector: selectors.BaseSelector) -> None:
        client, _ = self._listener.accept()
        mode = self._mode
        self.accepted[mode] += 1
        if mode == "reset":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            return
        upstream = None if mode == "hang" else socket.create_connection(self._upstream, 5)
        pair = _Pair(mode, client, upstream)
        selector.register(client, selectors.EVENT_READ, (pair, "client"))
        if upstream is not None:
            selector.register(upstream, selectors.EVENT_READ, (pair, "upstream"))
        self._pairs.append(pair)
        self.max_open = max(self.max_open, len(self._pairs))

    def _pump(self, selector: selectors.BaseSelector, pair: _Pair, side: str) -> None:
        source = pair.client if side == "client" else pair.upstream
        assert source is not None
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        if not data:
            if side == "upstream" and pair.mode != "forward":
                # moto closed after answering: keep stalling, or trickling, to the client
                selector.unregister(source)
                source.close()
                pair.upstream = None
            else:
                self._drop(selector, pair)
            return
        try:
            if side == "client":
                if pair.upstream is not None:  # hang: the request goes nowhere
                    pair.upstream.sendall(data)
            elif pair.mode == "forward":
                pair.client.sendall(data)
            elif pair.mode == "stall":
                passed = data[: max(0, self.STALL_AFTER - pair.answered)]
                pair.client.sendall(passed)
                pair.answered += len(passed)
            elif pair.mode == "trickle":
                pair.held += data
        except OSError:
            self._drop(selector, pair)

    def _trickle(self, selector: selectors.BaseSelector) -> None:
        now = time.monotonic()
        for pair in list(self._pairs):
            if pair.held and now - pair.last_trickle >= self.TRICKLE_EVERY:
                try:
                    pair.client.sendall(pair.held[:1])
                except OSError:
                    self._drop(selector, pair)
                    continue
                pair.held, pair.last_trickle = pair.held[1:], now

    def _drop(self, selector: selectors.BaseSelector, pair: _Pair) -> None:
        for sock in (pair.client, pair.upstream):
            if sock is not None:
                selector.unregister(sock)
                sock.close()
        self._pairs.remove(pair)


class SteppingClock:
    """A clock that moves on by a refresh interval at every reading once ``stepping`` is set,
    so that every call to ``active()`` finds a refresh due. Safe to read from many threads."""

    def __init__(self, step: float) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.step = timedelta(seconds=step)
        self.stepping = False
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            if self.stepping:
                self.now += self.step
            return self.now


# --------------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture
def rings() -> Iterator[list[aws.RefreshingKeyRing]]:
    """Rings made by a test: closed, and their background reads awaited, when it ends."""
    made: list[aws.RefreshingKeyRing] = []
    yield made
    for ring in made:
        ring.close()
        ring.wait_for_refresh(10)


@pytest.fixture
def proxy(server: MotoServer, rings: list[aws.RefreshingKeyRing]) -> Iterator[FaultyProxy]:
    """Closed before the rings are awaited, so that no read is left hanging on it."""
    faulty = FaultyProxy(server.endpoint_url)
    yield faulty
    faulty.close()


def json_secret(key_pair_id: str, key: PrivateKey) -> str:
    return json.dumps({"key_pair_id": key_pair_id, "private_key": private_key_pem(key).decode()})


def events(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str | None]]:
    """(event, error) of each structured record the ring logged."""
    return [
        (r.__dict__["event"], r.__dict__.get("error"))
        for r in caplog.records
        if r.name == "cfcookies.aws" and "event" in r.__dict__
    ]


def refresh_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == REFRESH_THREAD]


def wait_until(condition: Callable[[], bool], *, within: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


# Nested past any recursion limit, yet under Secrets Manager's 65,536-byte limit.
DEEP_JSON = '{"private_key": ' + "[" * 60_000
DEEP_ARRAY = "[" * 60_000


# --------------------------------------------------------------------------------------------
# A store that hangs, stalls or resets


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param("hang", id="accepts-and-never-answers"),
        pytest.param("stall", id="stalls-mid-answer"),
        pytest.param("reset", id="resets-every-connection"),
    ],
)
def test_a_hung_or_failing_store_costs_signing_nothing_and_the_new_key_follows(
    server: MotoServer,
    proxy: FaultyProxy,
    rings: list[aws.RefreshingKeyRing],
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    caplog: pytest.LogCaptureFixture,
    fault: Mode,
) -> None:
    """While the store misbehaves, 50 calls to active() from five threads, each finding a
    refresh due, return the current key within milliseconds, one refresh thread at most runs;
    the failed read keeps the key and warns, and once the store answers the new key is used."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name=SECRET, SecretString=json_secret(OLD_ID, old_rsa_key))
    clock = SteppingClock(INTERVAL)
    ring = aws.RefreshingKeyRing(
        SPEC,
        refresh_interval=INTERVAL,
        timeout=1.0,
        max_attempts=1,
        endpoint_url=proxy.url,
        clock=clock,
    )
    rings.append(ring)
    secrets.put_secret_value(SecretId=SECRET, SecretString=json_secret(NEW_ID, rsa_key))
    proxy.set_mode(fault)
    clock.stepping = True
    timings: list[tuple[float, str, int]] = []
    start = threading.Barrier(5)

    def sign_ten_times() -> None:
        start.wait(5)
        for _ in range(10):
            began = time.perf_counter()
            key_pair_id = ring.active().key_pair_id
            elapsed = time.perf_counter() - began
            timings.append((elapsed, key_pair_id, len(refresh_threads())))

    with caplog.at_level(logging.INFO, logger="cfcookies.aws"):
        signers = [threading.Thread(target=sign_ten_times) for _ in range(5)]
        # A full collection of this test process (moto, botocore) can pause every thread for
        # 100-200 ms: that is the interpreter's pause, not the ring's, so none runs meanwhile.
        gc.collect()
        gc.disable()
        try:
            for signer in signers:
                signer.start()
            for signer in signers:
                signer.join(10)
        finally:
            gc.enable()
        clock.stepping = False
        assert len(timings) == 50
        assert {key_pair_id for _, key_pair_id, _ in timings} == {OLD_ID}
        slowest = max(elapsed for elapsed, _, _ in timings)
        assert slowest < 0.05, f"active() took {slowest * 1000:.0f} ms"
        assert max(running for _, _, running in timings) == 1
        assert proxy.max_open <= 1
        if fault != "reset":  # still held up by the store: the first read, alone
            assert ring.refreshing
            assert [t.daemon for t in refresh_threads()] == [True]
            assert wait_until(lambda: proxy.accepted[fault] >= 1, within=5)
        assert ring.wait_for_refresh(10)  # gives up after its timeouts, while still faulty
        if fault != "reset":
            assert proxy.accepted[fault] == 1  # one read, one attempt
        assert ring.active().key_pair_id == OLD_ID
        assert ring.last_error is not None
        assert ring.last_error.startswith("AWSError: secretsmanager:GetSecretValue")
        assert ("cfcookies.keys.refresh_failed", "AWSError") in events(caplog)

        proxy.set_mode("forward")
        clock.stepping = True
        assert wait_until(lambda: ring.active().key_pair_id == NEW_ID, within=10)
        clock.stepping = False
        assert ring.wait_for_refresh(10)  # the read that found it logs after storing it
    assert ring.last_error is None
    assert ring.active().fingerprint == key_fingerprint(rsa_key)
    assert set(ring.public_keys) == {OLD_ID, NEW_ID}
    assert ("cfcookies.keys.changed", None) in events(caplog)


def test_a_synchronous_refresh_of_a_hung_store_gives_up_after_its_timeouts(
    server: MotoServer,
    proxy: FaultyProxy,
    old_rsa_key: PrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """refresh() against a store that never answers raises a typed error after its attempts
    and timeouts (2 × 0.5 s here), not botocore's minutes."""
    server.client("secretsmanager").create_secret(
        Name=SECRET, SecretString=json_secret(OLD_ID, old_rsa_key)
    )
    ring = aws.RefreshingKeyRing(SPEC, timeout=0.5, max_attempts=2, endpoint_url=proxy.url)
    proxy.set_mode("hang")
    began = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="cfcookies.aws"),
        pytest.raises(AWSError, match="ReadTimeoutError"),
    ):
        ring.refresh(raise_errors=True)
    assert time.monotonic() - began < 3
    assert proxy.accepted["hang"] == 2
    assert ring.active().key_pair_id == OLD_ID
    assert events(caplog) == [("cfcookies.keys.refresh_failed", "AWSError")]


def test_a_refresh_that_outlives_its_budget_is_reported_stuck_and_never_doubled(
    server: MotoServer,
    proxy: FaultyProxy,
    rings: list[aws.RefreshingKeyRing],
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An answer trickling in a byte every 50 ms never trips the 2 s read timeout; past
    stuck_after the ring says so once, starts no second read, and recovers when that read
    ends."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name=SECRET, SecretString=json_secret(OLD_ID, old_rsa_key))
    clock = SteppingClock(INTERVAL)
    ring = aws.RefreshingKeyRing(
        SPEC,
        refresh_interval=INTERVAL,
        timeout=2,
        max_attempts=1,
        stuck_after=0.5,
        endpoint_url=proxy.url,
        clock=clock,
    )
    rings.append(ring)
    secrets.put_secret_value(SecretId=SECRET, SecretString=json_secret(NEW_ID, rsa_key))
    proxy.set_mode("trickle")
    clock.stepping = True
    with caplog.at_level(logging.WARNING, logger="cfcookies.aws"):
        assert wait_until(
            lambda: ring.active().key_pair_id == OLD_ID and ring.last_error is not None,
            within=5,
        )
        for _ in range(20):  # still due at every call, still stuck
            assert ring.active().key_pair_id == OLD_ID
        assert ring.last_error is not None
        assert "has been running for" in ring.last_error
        assert events(caplog) == [("cfcookies.keys.refresh_stuck", None)]
        assert proxy.accepted["trickle"] == 1
        assert len(refresh_threads()) == 1

        proxy.set_mode("forward")  # the trickling connection is cut: that read fails
        assert wait_until(lambda: ring.active().key_pair_id == NEW_ID, within=10)
    clock.stepping = False
    assert [event for event, _ in events(caplog)][:2] == [
        "cfcookies.keys.refresh_stuck",
        "cfcookies.keys.refresh_failed",
    ]


def test_logins_through_the_asgi_middleware_never_wait_for_a_hung_store(
    server: MotoServer,
    proxy: FaultyProxy,
    rings: list[aws.RefreshingKeyRing],
    rsa_key: PrivateKey,
    clock: FakeClock,
) -> None:
    """With one signing thread and a refresh due at every login, 20 concurrent logins are
    signed while the key store hangs (its read would take 2 × 1 s)."""
    server.client("secretsmanager").create_secret(
        Name=SECRET, SecretString=json_secret(OLD_ID, rsa_key)
    )
    ring_clock = SteppingClock(INTERVAL)
    ring = aws.RefreshingKeyRing(
        SPEC,
        refresh_interval=INTERVAL,
        timeout=1.0,
        max_attempts=2,
        endpoint_url=proxy.url,
        clock=ring_clock,
    )
    rings.append(ring)
    cookies = CloudFrontCookies(
        media_url="https://media.example.test",
        cookie_domain="example.test",
        keys=ring,
        state_secret="a state secret of at least thirty-two characters",
        clock=clock,
    )

    async def login(scope: Scope, receive: Receive, send: Send) -> None:
        grant(Request(scope, receive), "/videos/course-1")
        await PlainTextResponse("logged in")(scope, receive, send)

    app = CloudFrontCookieMiddleware(login, cookies=cookies, signing_threads=1)
    proxy.set_mode("hang")
    ring_clock.stepping = True
    durations: list[float] = []
    signed: list[bool] = []

    async def one_login(client: httpx.AsyncClient) -> None:
        began = time.perf_counter()
        response = await client.get("/login")
        durations.append(time.perf_counter() - began)
        set_cookie = response.headers.get_list("set-cookie")
        signed.append(any(f"CloudFront-Key-Pair-Id={OLD_ID}" in v for v in set_cookie))

    async def storm() -> None:
        transport = httpx.ASGITransport(app=app)
        with anyio.fail_after(10):  # a refresh in the request path would wait out botocore
            async with (
                httpx.AsyncClient(transport=transport, base_url="https://app.example.test") as c,
                anyio.create_task_group() as tasks,
            ):
                for _ in range(20):
                    tasks.start_soon(one_login, c)

    began = time.perf_counter()
    anyio.run(storm)
    total = time.perf_counter() - began
    ring_clock.stepping = False
    assert signed == [True] * 20
    assert ring.refreshing  # the read is still waiting on the store
    assert total < 1.0, f"20 logins took {total:.2f} s (slowest {max(durations):.2f} s)"
    proxy.set_mode("forward")


# --------------------------------------------------------------------------------------------
# Values and exceptions no refresh lets out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(DEEP_JSON, "nested too deeply", id="deep-json-object"),
        pytest.param(DEEP_ARRAY, "could not read a private key", id="deep-array"),
    ],
)
def test_deeply_nested_json_at_start_up_is_a_key_load_error(
    server: MotoServer, value: str, message: str
) -> None:
    """A secret of deeply nested JSON fails the start-up with a typed error, not a
    RecursionError, and the error does not quote it."""
    server.client("secretsmanager").create_secret(Name=SECRET, SecretString=value)
    with pytest.raises(KeyLoadError, match=message) as caught:
        aws.RefreshingKeyRing(SPEC, key_pair_id=OLD_ID, endpoint_url=server.endpoint_url)
    assert "[[[" not in str(caught.value)


def test_deeply_nested_json_in_a_refresh_keeps_the_key_and_warns(
    server: MotoServer,
    rings: list[aws.RefreshingKeyRing],
    old_rsa_key: PrivateKey,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A secret rewritten as deeply nested JSON leaves the ring signing with its key; the
    background read warns with the structured event, and refresh() raises KeyLoadError."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name=SECRET, SecretString=json_secret(OLD_ID, old_rsa_key))
    ring = aws.RefreshingKeyRing(
        SPEC, refresh_interval=INTERVAL, endpoint_url=server.endpoint_url, clock=clock
    )
    rings.append(ring)
    secrets.put_secret_value(SecretId=SECRET, SecretString=DEEP_JSON)
    clock.advance(INTERVAL)
    with caplog.at_level(logging.WARNING, logger="cfcookies.aws"):
        assert ring.active().key_pair_id == OLD_ID
        assert ring.wait_for_refresh(10)
    assert ring.active().key_pair_id == OLD_ID
    assert events(caplog) == [("cfcookies.keys.refresh_failed", "KeyLoadError")]
    record = next(r for r in caplog.records if r.name == "cfcookies.aws")
    assert (record.levelno, record.__dict__["spec"]) == (logging.WARNING, SPEC)
    assert ring.last_error is not None
    assert "nested too deeply" in ring.last_error
    with pytest.raises(KeyLoadError, match="nested too deeply"):
        ring.refresh(raise_errors=True)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(RuntimeError("boom"), id="runtime-error"),
        pytest.param(RecursionError("maximum recursion depth exceeded"), id="recursion-error"),
        pytest.param(ValueError("bad"), id="value-error"),
        pytest.param(OSError(5, "I/O error"), id="os-error"),
        pytest.param(KeyError("Parameter"), id="key-error"),
    ],
)
def test_any_exception_in_a_refresh_keeps_the_key_and_warns(
    monkeypatch: pytest.MonkeyPatch,
    rings: list[aws.RefreshingKeyRing],
    old_rsa_key: PrivateKey,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    """Whatever the read raises, the background refresh keeps the last good key, records the
    error and warns with the structured event; nothing reaches the caller of active()."""
    monkeypatch.setenv("CFCOOKIES_TEST_RING_KEY", json_secret(OLD_ID, old_rsa_key))
    ring = aws.RefreshingKeyRing(
        "env:CFCOOKIES_TEST_RING_KEY", refresh_interval=INTERVAL, clock=clock
    )
    rings.append(ring)

    def failing_fetch(*args: Any, **kwargs: Any) -> aws.KeyMaterial:
        raise error

    monkeypatch.setattr(aws.refresh, "fetch_key_material", failing_fetch)
    clock.advance(INTERVAL)
    with caplog.at_level(logging.WARNING, logger="cfcookies.aws"):
        assert ring.active().key_pair_id == OLD_ID
        assert ring.wait_for_refresh(10)
        assert ring.active().key_pair_id == OLD_ID
        assert ring.refresh() is False
    name = type(error).__name__
    assert events(caplog) == [("cfcookies.keys.refresh_failed", name)] * 2
    assert ring.last_error is not None
    assert ring.last_error.startswith(name)
    assert ring.last_refreshed_at < ring.last_refresh_attempt
    with pytest.raises(type(error)):
        ring.refresh(raise_errors=True)


# --------------------------------------------------------------------------------------------
# Timeouts and retries of the ring's own client


def client_config(ring: aws.RefreshingKeyRing) -> Any:
    assert ring.client is not None
    return ring.client.meta.config


def test_the_rings_client_has_short_timeouts_and_bounded_retries(
    server: MotoServer, old_rsa_key: PrivateKey
) -> None:
    """The client a ring makes connects and reads with 3 s timeouts and makes 2 attempts at
    most, unless told otherwise."""
    server.client("secretsmanager").create_secret(
        Name=SECRET, SecretString=json_secret(OLD_ID, old_rsa_key)
    )
    ring = aws.RefreshingKeyRing(SPEC, endpoint_url=server.endpoint_url)
    config = client_config(ring)
    assert (config.connect_timeout, config.read_timeout) == (3.0, 3.0)
    assert config.retries == {"total_max_attempts": 2, "mode": "standard"}
    assert (ring.timeout, ring.max_attempts, ring.stuck_after) == (3.0, 2, 24.0)

    tuned = aws.RefreshingKeyRing(
        SPEC, endpoint_url=server.endpoint_url, timeout=timedelta(seconds=1.5), max_attempts=3
    )
    config = client_config(tuned)
    assert (config.connect_timeout, config.read_timeout) == (1.5, 1.5)
    assert config.retries == {"total_max_attempts": 3, "mode": "standard"}


def test_a_client_passed_in_is_used_as_it_is(server: MotoServer, old_rsa_key: PrivateKey) -> None:
    """A caller's client keeps its own configuration."""
    client = server.client("secretsmanager")
    client.create_secret(Name=SECRET, SecretString=json_secret(OLD_ID, old_rsa_key))
    ring = aws.RefreshingKeyRing(SPEC, client=client, stuck_after=timedelta(minutes=2))
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert ring.client is client
    assert ring.stuck_after == 120.0


def test_keys_outside_aws_have_no_client(
    monkeypatch: pytest.MonkeyPatch, old_rsa_key: PrivateKey
) -> None:
    """A key in an environment variable (or a file) is read without any AWS client."""
    monkeypatch.setenv("CFCOOKIES_TEST_RING_KEY", json_secret(OLD_ID, old_rsa_key))
    assert aws.RefreshingKeyRing("env:CFCOOKIES_TEST_RING_KEY").client is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"timeout": 0}, "timeout must be positive", id="zero-timeout"),
        pytest.param({"timeout": -1}, "timeout must be positive", id="negative-timeout"),
        pytest.param({"max_attempts": 0}, "max_attempts must be a whole number", id="no-attempt"),
        pytest.param({"max_attempts": True}, "max_attempts must be a whole number", id="bool"),
        pytest.param({"max_attempts": 1.5}, "max_attempts must be a whole number", id="float"),
    ],
)
def test_bad_timeouts_and_attempts_are_refused_before_reading_anything(
    options: dict[str, Any], message: str
) -> None:
    """timeout must be positive and max_attempts a whole number from 1; checked before any call."""
    with pytest.raises(ConfigurationError, match=message):
        aws.RefreshingKeyRing(SPEC, **options)
