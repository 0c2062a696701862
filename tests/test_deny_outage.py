"""A deny-list that fails or hangs at logout, through the adapters (issue 14, points 2 and 3).

The store is a real :class:`LocalDenyList` on a file: "down" means its file is a directory (so
every write fails with an OSError), "hung" means its writes block. Logout must still delete the
browser's cookies at once, report the failure with the session and user IDs (log fields and the
``on_deny_failure`` hook), keep the entry in the outbox and write it once the store is back;
a hung store must not hold other users' logins (the write is not in the signing limiter).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from cfcookies.exceptions import ConfigurationError
from cfcookies.keys import PrivateKey
from cfcookies.revocation import DenyWriteFailure, LocalDenyList, SessionSecrets, generate_secret
from cfcookies.session import CloudFrontCookies
from tests.browser_jar_support import SEGMENT, Edge, base_options, copy_jar, revoking_browser
from tests.jar import Jar
from tests.middleware_apps import APP_ORIGIN, starlette_app
from tests.support import FakeClock


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


class Store:
    """A file deny-list that can be taken down (a directory where its file goes) or hung."""

    def __init__(self, path: Path, clock: FakeClock) -> None:
        self.path = path
        self.deny = HangingDenyList(path=path, clock=clock)

    def down(self) -> None:
        self.path.unlink(missing_ok=True)
        self.path.mkdir()

    def up(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def denied(self, session_id: str) -> bool:
        try:
            return any(session_id in key for key in self.deny.entries())
        except ConfigurationError:  # (the file is a directory: the store is down)
            return False


class HangingDenyList(LocalDenyList):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.release = threading.Event()
        self.release.set()
        self.calls = 0

    def revoke_session(self, session_id: str, *, until: Any) -> None:
        self.calls += 1
        self.release.wait(30)
        super().revoke_session(session_id, until=until)


@pytest.fixture
def secrets() -> SessionSecrets:
    return SessionSecrets(generate_secret())


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Store:
    return Store(tmp_path / "deny.json", clock)


def _session_id(failures: list[DenyWriteFailure], caplog: pytest.LogCaptureFixture) -> str:
    record = next(r for r in caplog.records if getattr(r, "event", "").endswith("write_failed"))
    session_id: str = record.session_id  # type: ignore[attr-defined]
    assert record.user_id == "ana"  # type: ignore[attr-defined]
    assert session_id in record.getMessage()
    assert failures
    assert failures[0].entry.session_id == session_id
    assert failures[0].entry.user_id == "ana"
    return session_id


def test_a_logout_while_the_store_is_down_is_written_once_it_is_back(
    driver: str,
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures: list[DenyWriteFailure] = []
    browser = revoking_browser(
        driver,
        rsa_key,
        clock,
        secrets,
        store.deny,
        declarative=False,
        on_deny_failure=failures.append,
    )
    browser.get("/login?user=ana&uid=ana")
    stolen = copy_jar(browser)
    store.down()
    started = time.monotonic()
    assert browser.get("/logout").status == 200
    assert time.monotonic() - started < 5
    assert browser.jar.cloudfront() == []  # the browser's own cookies go at once
    assert _wait_for(lambda: bool(failures))
    session_id = _session_id(failures, caplog)
    assert not store.denied(session_id)
    store.up()
    assert _wait_for(lambda: store.denied(session_id))  # retried from the outbox
    edge = Edge(rsa_key, clock, secrets, store.deny)
    assert not edge.allows(stolen.header("https://media.example.test" + SEGMENT))
    if browser.cookies is not None and browser.cookies.deny_writer is not None:
        browser.cookies.deny_writer.close()


def test_a_file_outbox_carries_the_entry_over_a_restart(
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    store: Store,
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox.json"
    options = base_options(rsa_key, clock, session_secrets=secrets, deny_list=store.deny)
    first = CloudFrontCookies(**options, deny_outbox=outbox)
    client = _client(first)
    jar = Jar()
    _get(client, jar, "/login?user=ana")
    store.down()
    _get(client, jar, "/logout")
    assert first.deny_writer is not None
    assert first.deny_writer.close()  # the app stops before the store is back
    assert outbox.exists()
    store.up()
    second = CloudFrontCookies(**options, deny_outbox=outbox)  # the next start
    assert second.deny_writer is not None
    assert _wait_for(lambda: len(store.deny.entries()) == 1)
    second.close()


def _client(cookies: CloudFrontCookies) -> Any:
    from starlette.testclient import TestClient

    return TestClient(starlette_app(cookies, declarative=False), base_url=APP_ORIGIN)


def _get(client: Any, jar: Jar, path: str) -> int:
    client.cookies.clear()
    response = client.get(path, headers={"cookie": jar.header(APP_ORIGIN + path) or ""})
    jar.store(APP_ORIGIN + path, response.headers.get_list("set-cookie"))
    return int(response.status_code)


def test_a_hung_store_costs_a_logout_at_most_deny_wait_and_other_logins_nothing(
    rsa_key: PrivateKey, clock: FakeClock, secrets: SessionSecrets, store: Store
) -> None:
    """One signing thread, a store that hangs: the logout answers after deny_wait, and ten
    concurrent logins of other users (each needing a new signature) are not held by it."""
    from cfcookies.asgi import CloudFrontCookieMiddleware

    cookies = CloudFrontCookies(
        **base_options(rsa_key, clock, session_secrets=secrets, deny_list=store.deny),
        deny_wait=0.5,
        deny_timeout=0.2,
    )
    app = starlette_app(cookies, declarative=False)
    middleware = next(m for m in app.user_middleware if m.cls is CloudFrontCookieMiddleware)
    middleware.kwargs["signing_threads"] = 1
    store.deny.release.clear()  # hangs from now on

    async def main() -> tuple[float, list[float]]:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url=APP_ORIGIN) as client:
            login = await client.get("/login?user=ana")
            header = "; ".join(
                f"{c.name}={c.value}" for c in httpx.Cookies(login.cookies).jar if c.value
            )
            timings: list[float] = []
            logout_time: list[float] = []

            async def logout() -> None:
                started = time.monotonic()
                reply = await client.get("/logout", headers={"cookie": header})
                assert reply.status_code == 200
                logout_time.append(time.monotonic() - started)

            async def other(i: int) -> None:
                await anyio.sleep(0.05)  # while the logout's write hangs
                started = time.monotonic()
                reply = await client.get(f"/login?user=u{i}&p=/videos/other-{i}")
                assert reply.status_code == 200
                timings.append(time.monotonic() - started)

            async with anyio.create_task_group() as group:
                group.start_soon(logout)
                for i in range(10):
                    group.start_soon(other, i)
            return logout_time[0], timings

    logout_time, timings = anyio.run(main)
    assert logout_time < 2.0  # deny_wait (0.5 s), not the hung store
    assert max(timings) < 1.0, timings  # other users are not behind the store
    assert store.deny.calls == 1  # one call in flight, however long it hangs
    store.deny.release.set()
    assert _wait_for(lambda: len(store.deny.entries()) == 1)
    cookies.close()


def test_a_hung_store_costs_a_wsgi_logout_at_most_deny_wait(
    rsa_key: PrivateKey, clock: FakeClock, secrets: SessionSecrets, store: Store
) -> None:
    from tests.middleware_apps import call_wsgi, raw_wsgi_app

    cookies = CloudFrontCookies(
        **base_options(rsa_key, clock, session_secrets=secrets, deny_list=store.deny),
        deny_wait=0.3,
        deny_timeout=0.2,
    )
    app = raw_wsgi_app(cookies, declarative=False)
    jar = Jar()
    reply = call_wsgi(app, "GET", "/login?user=ana", None)
    jar.store(APP_ORIGIN + "/login", reply.set_cookie())
    store.deny.release.clear()
    started = time.monotonic()
    reply = call_wsgi(app, "GET", "/logout", jar.header(APP_ORIGIN + "/logout"))
    assert reply.status == 200
    assert time.monotonic() - started < 1.5
    store.deny.release.set()
    assert _wait_for(lambda: len(store.deny.entries()) == 1)
    cookies.close()


def test_deny_options_are_checked_at_start_up(
    rsa_key: PrivateKey, clock: FakeClock, secrets: SessionSecrets, store: Store
) -> None:
    with pytest.raises(ConfigurationError, match="need deny_list"):
        CloudFrontCookies(**base_options(rsa_key, clock), on_deny_failure=print)
    with pytest.raises(ConfigurationError, match="deny_wait"):
        CloudFrontCookies(
            **base_options(rsa_key, clock, session_secrets=secrets, deny_list=store.deny),
            deny_wait=-1,
        )
