"""8. Soak: a real server under a realistic mix for minutes; its memory plateau and its errors.

A uvicorn server (its own process, 127.0.0.1) runs a Starlette app behind cfcookies' ASGI
middleware with edge revocation on, as an app would run it: ``SessionSecrets``, a
``LocalDenyList`` on a file (lapsed entries purged now and then), a file outbox
(``deny_outbox=``), and the library's times compressed so that renewals, session caps and
lapsing deny-list entries all happen in the first half of the soak. Virtual users (httpx,
asyncio, in this process) each drive a few dozen browsers, every browser with its own cookie jar
(stdlib ``http.cookiejar``, so ``Domain``, ``Path``, ``Secure`` and deletions apply as in a
browser): they log in as new users, view pages, call the keep-alive, take one more folder or
drop one, log out or abandon the session, and now and then send something hostile (forged,
tampered, replayed or oversized cookies, foreign hosts, folders the app refuses). Every session
is a new user, so the set of sessions keeps growing and the library's bounded caches fill.

In the middle of the soak the deny-list store goes down for a while (its file replaced by a
directory, as ``tests/test_deny_outage.py`` does; the file is put back afterwards): logouts must
keep answering, and once it is back every logged-out session must reach the deny-list and the
outbox must empty.

The server's RSS (``VmRSS`` of ``/proc/<pid>/status``) and what it holds (cache sizes, Python
objects and memory blocks, threads, timed deny-list and outbox calls, from a stats route outside
the middleware) are sampled every few seconds. The plateau figure is the least-squares slope of
the RSS over the last half of the soak, in MiB per minute. At the end the server is asked to
``malloc_trim(0)`` and sampled again: what that gives back was free memory the allocator kept.

``python -m benchmarks.soak [--seconds 300] [--users 32] [--samples FILE]`` runs it alone and
prints its section of BENCHMARKS.md (``--samples`` keeps every sample, as JSON lines);
``python -m benchmarks.run`` runs it last (``--soak-seconds``, ``--skip-soak``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import email.message
import gc
import http.cookiejar
import json
import logging
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import itsdangerous

from cfcookies.revocation import DenyEntry, FileOutbox, LocalDenyList

from ._apps import APP_HOST, KEY_PAIR_ID, cloudfront_cookies, key
from ._harness import Check, Scale, Section, percentile
from ._server import ROOT, free_port

try:  # pragma: no cover - fcntl is missing on Windows only
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

SECONDS = 300.0  # the full soak
QUICK_SECONDS = 10.0  # python -m benchmarks.run --quick
USERS = 32  # virtual users (concurrent clients) of the full soak
BROWSERS_PER_USER = 48  # browsers (cookie jars, sessions) each virtual user drives
THINK = 0.15  # mean seconds between two requests of one virtual user (exponential)
FOLDERS = 1000  # folders granted at login (popular ones shared by many sessions)
NEW_FOLDER_SHARE = 0.05  # folders granted that were never granted before
HOSTILE_SHARE = 0.03  # hostile requests among all requests
LOGOUT_SHARE = 0.6  # sessions ended by a logout (the others are abandoned)
MAX_FOLDERS = 6  # folders a browser collects before it stops asking for more
#: The library's times, compressed so that every lifecycle completes in the soak's first half:
#: cookies renewed 30-40 s after they are issued, sessions capped at 75 s, a deny-list entry
#: kept 145 s after its session began (max_session_age + lifetime + granularity), then purged.
LIFETIME, RENEW_BEFORE, GRANULARITY, MAX_SESSION_AGE = 60, 30, 10, 75
HORIZON = MAX_SESSION_AGE + LIFETIME + GRANULARITY  # a deny-list entry's life
PURGE_EVERY = 10.0  # seconds between the app's purges of lapsed deny-list entries
OUTAGE = (0.3, 0.4)  # the deny-list store is down over this part of the soak
WARM_UP = 60.0  # seconds (at most a fifth of the soak)
SAMPLE_EVERY = 2.0  # seconds between samples (less for short soaks)
TIMEOUT = 10.0  # a request not answered by then is a client timeout
DRAIN = 90.0  # seconds to wait after the load for the outbox to empty (retries back off to 60 s)
#: The plateau goal: server RSS growth over the last half of the soak, MiB per minute.
PLATEAU_GOAL = 1.0

STATS_PATH = "/_soak/stats"
DENY_FILE = "deny-list.json"
OUTBOX_FILE = "deny-outbox.json"
STATE_COOKIE = "__Host-cfcookies"
SESSION_COOKIE = "CloudFront-Session"
ORIGIN = f"https://{APP_HOST}"
#: The state cookie's itsdangerous salt (``cfcookies.session``), to forge one with a wrong key.
STATE_SALT = "cfcookies.state.v1"
#: Log events expected during the outage; any other ERROR is counted as unexpected.
EXPECTED_ERRORS = ("cfcookies.deny_list.write_failed",)
MIB = 1024 * 1024
T = TypeVar("T")

# --- the server ---------------------------------------------------------------------------------


class Probe(logging.Handler):
    """What the server notes for the stats route: log records by level and event (with the text
    of unexpected errors) and the duration of each deny-list and outbox call."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: Counter[str] = Counter()
        self.unexpected: list[str] = []
        self.calls: dict[str, list[float]] = {}  # ms, since the last stats call
        self.purged = 0  # deny-list entries purged
        self.purges_failed = 0
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None) or record.name
        self.counts[f"{record.levelname} {event}"] += 1
        unexpected = record.levelno >= logging.ERROR and event not in EXPECTED_ERRORS
        if unexpected and len(self.unexpected) < 5:
            self.unexpected.append(f"{event}: {record.getMessage()[:300]}")

    def timed(self, name: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return call()
        finally:
            with self._lock:
                self.calls.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    def take_calls(self) -> dict[str, list[float]]:
        with self._lock:
            calls, self.calls = self.calls, {}
        return calls

    def housekeeping(self, deny_list: LocalDenyList) -> None:
        """What the app runs beside the server: purge lapsed deny-list entries now and then."""
        while True:
            time.sleep(PURGE_EVERY)
            try:
                self.purged += self.timed("deny-list purge", deny_list.purge_expired)
            except Exception:  # the store is down; the next purge catches up
                self.purges_failed += 1


class TimedDenyList(LocalDenyList):
    """The deny-list as shipped, its writes timed (the writer calls only ``revoke_session``)."""

    def __init__(self, probe: Probe, **options: Any) -> None:
        super().__init__(**options)
        self.probe = probe

    def revoke_session(self, session_id: str, *, until: Any) -> None:
        sup = super().revoke_session
        self.probe.timed("deny-list write", lambda: sup(session_id, until=until))


class TimedOutbox(FileOutbox):
    """The file outbox as shipped, its calls timed."""

    def __init__(self, probe: Probe, path: Path) -> None:
        super().__init__(path)
        self.probe = probe

    def add(self, entries: Sequence[DenyEntry]) -> None:
        sup = super().add
        self.probe.timed("outbox add", lambda: sup(entries))

    def remove(self, entries: Sequence[DenyEntry]) -> None:
        sup = super().remove
        self.probe.timed("outbox remove", lambda: sup(entries))


_MALLINFO2 = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2.split()]


def malloc_info() -> tuple[int, int] | None:
    """Bytes glibc's malloc has handed out (heap and mmap) and bytes it keeps free, over all its
    arenas (None without glibc 2.33's ``mallinfo2``). Python's small objects live in pymalloc's
    own arenas, outside these figures."""
    try:
        mallinfo2 = ctypes.CDLL(ctypes.util.find_library("c")).mallinfo2
    except (OSError, AttributeError, TypeError):
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return int(info.uordblks + info.hblkhd), int(info.fordblks)


def malloc_trim() -> bool:
    """Ask glibc to give the free memory it keeps back to the system (False without glibc)."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        return False
    return True


def server_stats(cookies: Any, deny_list: LocalDenyList, probe: Probe) -> dict[str, Any]:
    """What the stats route answers."""
    caches: dict[str, tuple[int, int]] = dict(cookies.cache_stats())
    try:
        deny_entries: int | None = len(deny_list.entries())
    except Exception:  # the store is down (its file is a directory)
        deny_entries = None
    return {
        "caches": caches,
        "deny_entries": deny_entries,
        "outbox": cookies.deny_writer.pending_count,
        "threads": threading.active_count(),
        "objects": len(gc.get_objects()),
        "blocks": sys.getallocatedblocks(),
        "malloc": malloc_info(),
        "calls": probe.take_calls(),
        "purged": probe.purged,
        "purges_failed": probe.purges_failed,
        "log": dict(probe.counts),
        "unexpected_log": list(probe.unexpected),
    }


def build_app(directory: Path, probe: Probe) -> Any:
    """The soak's app behind the middleware, and the stats route outside it."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route
    from starlette.types import Receive, Scope, Send

    from cfcookies.asgi import CloudFrontCookieMiddleware
    from cfcookies.exceptions import GrantLimitError, ResourceError
    from cfcookies.revocation import SessionSecrets, generate_secret
    from cfcookies.session import grant, revoke

    deny_list = TimedDenyList(probe, path=directory / DENY_FILE)
    cookies = cloudfront_cookies(
        key("rsa"),
        lifetime=LIFETIME,
        renew_before=RENEW_BEFORE,
        granularity=GRANULARITY,
        max_session_age=MAX_SESSION_AGE,
        session_secrets=SessionSecrets(generate_secret()),
        deny_list=deny_list,
        deny_outbox=TimedOutbox(probe, directory / OUTBOX_FILE),
    )

    def login(request: Request) -> Response:
        """What a careful login view does: refuse a folder it cannot grant, never fail."""
        user = request.query_params.get("user", "")
        response = PlainTextResponse("logged in")
        response.set_cookie("user", user, secure=True, httponly=True)
        try:
            grant(request, *request.query_params.getlist("p"), user_id=user or None)
        except GrantLimitError:
            response.status_code = 409
        except ResourceError:
            response.status_code = 400
        return response

    def logout(request: Request) -> Response:
        response = PlainTextResponse("logged out")
        response.delete_cookie("user", secure=True, httponly=True)
        revoke(request)
        return response

    def drop(request: Request) -> Response:
        try:
            revoke(request, *request.query_params.getlist("p"))
        except ResourceError:
            return PlainTextResponse("bad folder", status_code=400)
        return PlainTextResponse("dropped")

    def page(request: Request) -> Response:
        return PlainTextResponse("page")

    threading.Thread(target=probe.housekeeping, args=(deny_list,), daemon=True).start()
    routes = [Route("/login", login), Route("/logout", logout), Route("/drop", drop)]
    app = Starlette(routes=[*routes, Route("/page", page)])
    app.add_middleware(CloudFrontCookieMiddleware, cookies=cookies)

    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == STATS_PATH:
            if scope.get("query_string") == b"trim=1":
                stats: dict[str, Any] = {"trimmed": malloc_trim()}
            else:
                stats = server_stats(cookies, deny_list, probe)
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": json.dumps(stats).encode()})
            return
        await app(scope, receive, send)

    return outer


def serve(port: int, directory: Path) -> None:
    import uvicorn

    probe = Probe()
    config = uvicorn.Config(
        build_app(directory, probe),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    # (after uvicorn has configured logging, which replaces the handlers of its own loggers)
    echo = logging.StreamHandler(sys.stderr)
    echo.setLevel(logging.WARNING)
    logging.getLogger("uvicorn.error").addHandler(probe)
    library = logging.getLogger("cfcookies")
    library.setLevel(logging.INFO)
    library.addHandler(probe)
    library.addHandler(echo)
    uvicorn.Server(config).run()


class SoakServer:
    """``with SoakServer(directory) as server:`` … ``server.port``, ``server.pid``; its log
    (stderr) goes to ``server.log`` in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.log_path = directory / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the soak server is not running")
        return self.process.pid

    def __enter__(self) -> SoakServer:
        command = [sys.executable, "-m", "benchmarks.soak", "--serve", str(self.port)]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [*command, "--dir", str(self.directory)],
                stdout=subprocess.DEVNULL,
                stderr=log,
                cwd=ROOT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the soak server exited: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("the soak server did not start within 30 s")

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.process.kill()
                self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")[-2000:]
        except OSError:
            return ""


def rss_mib(pid: int) -> float:
    """The resident set size of process ``pid`` (Linux ``/proc``), in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """The CPU time process ``pid`` has used (user and system, Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Store:
    """The server's deny-list file: down means a directory where the file goes (every write
    fails); the entries are kept aside meanwhile and put back when it comes up. Both swaps hold
    the deny-list's own file lock, so no write slips in between."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / DENY_FILE
        self.saved = directory / (DENY_FILE + ".saved")
        self.lock_path = directory / (DENY_FILE + ".lock")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.lock_path, "a") as handle:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    def down(self) -> None:
        with self._locked():
            if self.path.exists():
                os.replace(self.path, self.saved)
            self.path.mkdir()

    def up(self) -> None:
        with self._locked():
            shutil.rmtree(self.path, ignore_errors=True)
            if self.saved.exists():
                os.replace(self.saved, self.path)


# --- browsers -----------------------------------------------------------------------------------


class _Response:
    """What ``http.cookiejar`` reads of a response: its ``Set-Cookie`` headers."""

    def __init__(self, set_cookie: Iterable[str]) -> None:
        self._message = email.message.Message()
        for value in set_cookie:
            self._message["Set-Cookie"] = value

    def info(self) -> email.message.Message:
        return self._message


class _NoCookies(http.cookiejar.CookieJar):
    """httpx's client-wide jar, kept empty: every browser has its own."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        pass


@dataclass
class Browser:
    """One browser: a cookie jar, and the session it holds (``user`` is empty when none)."""

    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)
    user: str = ""
    folders: list[str] = field(default_factory=list)
    ends_at: float = 0.0

    def store(self, path: str, set_cookie: Sequence[str]) -> None:
        if set_cookie:
            request = urllib.request.Request(ORIGIN + path)
            self.jar.extract_cookies(_Response(set_cookie), request)  # type: ignore[arg-type]

    def header(self, path: str) -> str | None:
        request = urllib.request.Request(ORIGIN + path)
        self.jar.add_cookie_header(request)
        return request.get_header("Cookie")

    def value(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def count(self, prefix: str) -> int:
        return sum(c.name.startswith(prefix) for c in self.jar)

    def held(self) -> list[str]:
        """The folders this browser holds CloudFront cookies for."""
        return [c.path.rstrip("/") for c in self.jar if c.name == "CloudFront-Signature"]

    def reset(self) -> None:
        self.jar, self.user, self.folders = http.cookiejar.CookieJar(), "", []


def issues(set_cookie: Sequence[str]) -> bool:
    """Whether these ``Set-Cookie`` values issue CloudFront cookies (not only delete them)."""
    return any(
        v.startswith("CloudFront-Signature=") and not v.startswith("CloudFront-Signature=;")
        for v in set_cookie
    )


# --- the load -----------------------------------------------------------------------------------

TIMED_OUT = -2
FAILED = -1


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the soak started
    rss: float  # MiB
    stats: dict[str, Any]


@dataclass(frozen=True)
class Logout:
    session_id: str
    user_id: str
    issued_at: int  # epoch seconds, when the session began
    at: float  # seconds into the soak
    at_epoch: int


class Soak:
    """The load, the outage and the samples of one soak against a running server."""

    def __init__(self, server: SoakServer, store: Store, seconds: float, users: int) -> None:
        self.server = server
        self.store = store
        self.seconds = seconds
        self.users = users
        self.warm_up = min(WARM_UP, seconds / 5)
        self.outage = (seconds * OUTAGE[0], seconds * OUTAGE[1])  # then as it happened
        self.interval = min(SAMPLE_EVERY, seconds / 40)
        self.scale = min(1.0, seconds / SECONDS)  # session durations shrink with the soak
        self.start = 0.0
        self.records: list[tuple[float, str, int, float]] = []  # (at, kind, status, ms)
        self.unexpected: list[float] = []  # when each unexpected answer came
        self.errors: list[str] = []  # the first few, described
        self.kinds: Counter[str] = Counter()
        self.samples: list[Sample] = []
        self.trimmed: float | None = None  # RSS after malloc_trim(0), after the soak
        self.logouts: list[Logout] = []
        self.denied: set[str] = set()  # the logged-out sessions seen denied by the deny-list
        self.replayable: deque[str] = deque(maxlen=64)  # state cookies copied before logouts
        self.serial = 0
        self.new_folders = 0

    def now(self) -> float:
        return time.perf_counter() - self.start

    def check_deny_list(self, deny_list: LocalDenyList) -> set[str]:
        """The sessions of the logouts so far that the deny-list now denies, read as the edge
        reads it (nothing while the store is down). Each is checked until it is seen, so that
        entries which lapse and are purged later still count."""
        now = int(time.time())
        pending = [lg for lg in list(self.logouts) if lg.session_id not in self.denied]
        try:
            return {
                lg.session_id
                for lg in pending
                if deny_list.is_revoked(
                    lg.session_id, lg.user_id or None, issued_at=lg.issued_at, now=now
                )
            }
        except Exception:  # the store is down (its file is a directory)
            return set()

    def not_denied(self) -> list[Logout]:
        """The logouts never seen denied (a session already past its horizon needs no entry)."""
        return [
            lg
            for lg in self.logouts
            if lg.session_id not in self.denied and lg.issued_at + HORIZON > lg.at_epoch
        ]

    async def watch_deny_list(self) -> None:
        deny_list = LocalDenyList(path=self.store.path)
        while self.now() < self.seconds:
            await asyncio.sleep(self.interval * 2)
            self.denied |= await asyncio.to_thread(self.check_deny_list, deny_list)

    def window_logouts(self) -> list[Logout]:
        down, up = self.outage
        return [lg for lg in self.logouts if down <= lg.at < up]

    # -- requests ------------------------------------------------------------------------------

    async def get(
        self,
        client: httpx.AsyncClient,
        kind: str,
        path: str,
        *,
        cookie: str | None,
        expect: Sequence[int] = (200,),
        host: str = APP_HOST,
    ) -> httpx.Response | None:
        """One request and its record; the response, or None when it failed or timed out."""
        headers = [(b"host", host.encode())]
        if cookie:
            headers.append((b"cookie", cookie.encode()))  # (UTF-8: a broken client's bytes)
        at = self.now()
        started = time.perf_counter()
        status = FAILED
        try:
            response = await client.get(path, headers=headers)
        except httpx.TimeoutException:
            status = TIMED_OUT
            self._describe(f"{kind} {path[:60]} timed out at {at:.1f} s")
            return None
        except httpx.HTTPError as exc:
            self._describe(f"{kind} {path[:60]} failed at {at:.1f} s: {exc!r}")
            return None
        else:
            status = response.status_code
            if status >= 500:
                self._describe(f"{kind} {path[:60]} answered {status} at {at:.1f} s")
            elif status not in expect:
                self._odd(at, f"{kind} {path[:60]} answered {status} at {at:.1f} s")
            return response
        finally:
            self.records.append((at, kind, status, (time.perf_counter() - started) * 1000))

    async def browse(
        self,
        client: httpx.AsyncClient,
        browser: Browser,
        kind: str,
        path: str,
        expect: Sequence[int] = (200,),
    ) -> httpx.Response | None:
        """A request with the browser's cookies; the browser keeps what the answer sets."""
        response = await self.get(client, kind, path, cookie=browser.header(path), expect=expect)
        if response is not None:
            browser.store(path.partition("?")[0], response.headers.get_list("set-cookie"))
        return response

    def _describe(self, text: str) -> None:
        if len(self.errors) < 10:
            self.errors.append(text)

    def _odd(self, at: float, text: str) -> None:
        """An unexpected answer (a 4xx where a 200 was due, a login that granted nothing)."""
        self.unexpected.append(at)
        self._describe(text)

    # -- what a browser does -------------------------------------------------------------------

    def _folders(self, rng: random.Random, count: int, held: Sequence[str] = ()) -> list[str]:
        """Popular folders more often than others (Zipf-like); now and then a new one."""
        chosen: list[str] = []
        while len(chosen) < count:
            if rng.random() < NEW_FOLDER_SHARE:
                self.new_folders += 1
                folder = f"/videos/new-{self.new_folders}"
            else:
                folder = f"/videos/f-{int(FOLDERS ** rng.random()) - 1}"
            if folder not in chosen and folder not in held:
                chosen.append(folder)
        return chosen

    async def login(self, client: httpx.AsyncClient, rng: random.Random, browser: Browser) -> None:
        self.serial += 1
        browser.reset()
        folders = self._folders(rng, rng.choice((1, 1, 2, 3)))
        user = f"u{self.serial}"
        query = urlencode([("user", user)] + [("p", f) for f in folders])
        if await self.browse(client, browser, "login", f"/login?{query}") is None:
            return
        if browser.count("CloudFront-Signature") != len(folders):
            self._odd(self.now(), f"a login at {self.now():.1f} s did not grant its folders")
        browser.user, browser.folders = user, folders
        if rng.random() < 0.7:  # a short visit
            browser.ends_at = self.now() + min(rng.expovariate(1 / 20), 120) * self.scale
        else:  # a long one, renewed on the way, often until the session cap ends it
            browser.ends_at = self.now() + rng.uniform(40, 150) * self.scale

    async def logout(self, client: httpx.AsyncClient, browser: Browser) -> None:
        token, state, at = browser.value(SESSION_COOKIE), browser.value(STATE_COOKIE), self.now()
        if await self.browse(client, browser, "logout", "/logout") is not None:
            if browser.count("CloudFront-"):
                self._odd(at, f"a logout at {at:.1f} s left CloudFront cookies")
            if token is not None:
                session_id, user_id, issued_at = token.split(".")[:3]
                logout = Logout(session_id, user_id, int(issued_at), at, int(time.time()))
                self.logouts.append(logout)
            if state is not None:
                self.replayable.append(state)
        browser.reset()

    async def hostile(
        self, client: httpx.AsyncClient, rng: random.Random, browser: Browser
    ) -> None:
        """Something an attacker or a broken client sends: anything but a 5xx will do. The
        browser does not keep what the answer sets."""
        choice = rng.randrange(10)
        real = browser.value(STATE_COOKIE)
        replay = rng.choice(self.replayable) if self.replayable else None
        path, cookie, host = "/page", None, APP_HOST
        if choice == 1 and (real or replay):  # tampered
            value = real or replay or ""
            cookie = f"{STATE_COOKIE}={value[:-2]}{'AB' if value[-2:] != 'AB' else 'CD'}"
        elif choice == 2:  # forged with another key, for the whole distribution
            forger = itsdangerous.URLSafeSerializer("not-the-secret-" + "x" * 32, salt=STATE_SALT)
            payload = {"p": ["/"], "e": 2_000_000_000, "k": KEY_PAIR_ID, "h": "SHA1", "d": ""}
            cookie = f"{STATE_COOKIE}={forger.dumps({**payload, 'g': int(time.time())})}"
        elif choice == 3 and replay:  # copied before its logout
            cookie = f"{STATE_COOKIE}={replay}"
        elif choice == 4:  # a junk one in front of the real one
            cookie = "; ".join(filter(None, [f"{STATE_COOKIE}=junk", browser.header("/page")]))
        elif choice == 5:  # an oversized header
            filler = [f"c{i}={'v' * 90}" for i in range(60)]
            cookie = "; ".join(filter(None, [*filler, browser.header("/page")]))
        elif choice == 6:  # a host the cookie domain does not cover
            host = f"evil-{rng.randrange(1000)}.example.org"
            cookie = browser.header("/page")
        elif choice == 7:
            path = "/login?" + urlencode([("user", "x"), ("p", "/videos/../private")])
        elif choice == 8:  # a folder whose policy cookie would not fit
            path = "/login?" + urlencode([("user", "x"), ("p", "/videos/" + "a" * 4000)])
        elif choice == 9:  # a broken client's header
            cookie = f'a="b; =c; ;;; {STATE_COOKIE}="\\"x; é=ü; {STATE_COOKIE}=; =='
        else:  # garbage
            cookie = f"{STATE_COOKIE}={rng.getrandbits(256):x}"
        response = await self.get(
            client, "hostile", path, cookie=cookie, expect=range(100, 500), host=host
        )
        if response is not None and choice == 3 and replay:
            self.kinds["replayed state"] += 1
            self.kinds["replayed state renewed"] += issues(response.headers.get_list("set-cookie"))

    async def act(self, client: httpx.AsyncClient, rng: random.Random, browser: Browser) -> None:
        roll = rng.random()
        if roll < HOSTILE_SHARE:
            kind = "hostile"
            await self.hostile(client, rng, browser)
        elif not browser.user:
            kind = "login" if roll < 0.9 else "anonymous page"
            if kind == "login":
                await self.login(client, rng, browser)
            else:
                await self.browse(client, browser, "page", "/page")
        elif self.now() >= browser.ends_at:
            kind = "logout" if roll < LOGOUT_SHARE else "abandoned"
            if kind == "logout":
                await self.logout(client, browser)
            else:
                browser.reset()
        else:
            kind = await self.visit(client, rng, browser)
        self.kinds[kind] += 1

    async def visit(self, client: httpx.AsyncClient, rng: random.Random, browser: Browser) -> str:
        """A logged-in browser's request: mostly pages, some keep-alives, a folder more or
        less. Renewals come with them, and so does the end of sessions that the middleware
        ends (the session cap, or cookies that expired between two visits)."""
        roll = rng.random()
        expect: Sequence[int] = (200,)
        if roll < 0.06 and len(browser.folders) < MAX_FOLDERS:
            kind = "one more folder"
            folder = self._folders(rng, 1, browser.folders)[0]
            path = "/login?" + urlencode([("user", browser.user), ("p", folder)])
        elif roll < 0.09 and len(browser.folders) > 1:
            kind = "drop a folder"
            path = "/drop?" + urlencode([("p", rng.choice(browser.folders))])
        elif roll < 0.2:
            kind, path, expect = "keep-alive", "/cfcookies/keepalive", (204, 401)
        else:
            kind, path = "page", "/page"
        response = await self.browse(client, browser, kind, path, expect)
        if response is None:
            return kind
        if browser.value(STATE_COOKIE) is None:  # (and its CloudFront cookies were deleted)
            self.kinds["ended by the middleware"] += 1
            browser.reset()
            return kind
        if response.status_code == 401:
            self._odd(
                self.now(), f"a keep-alive of a live session answered 401 at {self.now():.1f} s"
            )
        if kind in ("page", "keep-alive") and issues(response.headers.get_list("set-cookie")):
            self.kinds["renewal"] += 1
        browser.folders = browser.held()
        return kind

    async def user(self, client: httpx.AsyncClient, index: int) -> None:
        rng = random.Random(index)
        browsers = [Browser() for _ in range(BROWSERS_PER_USER)]
        await asyncio.sleep(rng.uniform(0, min(1.0, THINK * 4)))  # not all at once
        while self.now() < self.seconds:
            await self.act(client, rng, rng.choice(browsers))
            await asyncio.sleep(rng.expovariate(1 / THINK))

    # -- the outage, the samples ---------------------------------------------------------------

    async def sleep_until(self, at: float) -> None:
        delay = at - self.now()
        if delay > 0:
            await asyncio.sleep(delay)

    async def fault(self, client: httpx.AsyncClient) -> None:
        """The store goes down, a browser logs in and out while it is (so that at least one
        logout meets the outage), and the store comes back."""
        down_at, up_at = self.outage
        await self.sleep_until(down_at)
        await asyncio.to_thread(self.store.down)
        down = self.now()
        await self.sleep_until(down + (up_at - down_at) * 0.1)
        browser = Browser()
        await self.login(client, random.Random(-1), browser)
        self.kinds["login"] += 1
        if browser.user:
            await self.logout(client, browser)
            self.kinds["logout"] += 1
        await self.sleep_until(up_at)
        await asyncio.to_thread(self.store.up)
        self.outage = (down, self.now())

    async def sample(self, stats: httpx.AsyncClient) -> Sample:
        at = self.now()
        response = await stats.get(STATS_PATH)
        pid = self.server.pid
        sample = Sample(at, rss_mib(pid), {**response.json(), "cpu": cpu_seconds(pid)})
        self.samples.append(sample)
        return sample

    async def sampler(self, stats: httpx.AsyncClient) -> None:
        tick = 1
        while self.now() < self.seconds:
            await self.sleep_until(tick * self.interval)
            await self.sample(stats)
            tick += 1

    async def drain(self, stats: httpx.AsyncClient) -> None:
        """After the load: wait until the outbox is empty (the writer's retries back off), then
        let the allocator give back what it keeps free."""
        end = self.now()
        while (await self.sample(stats)).stats["outbox"] and self.now() - end < DRAIN:
            await asyncio.sleep(min(1.0, self.interval))
        response = await stats.get(STATS_PATH, params={"trim": "1"})
        if response.json()["trimmed"]:
            self.trimmed = rss_mib(self.server.pid)

    async def run(self) -> None:
        base = f"http://127.0.0.1:{self.server.port}"
        limits = httpx.Limits(max_connections=self.users, max_keepalive_connections=self.users)
        async with (
            httpx.AsyncClient(
                base_url=base, limits=limits, timeout=TIMEOUT, cookies=_NoCookies()
            ) as client,
            httpx.AsyncClient(base_url=base, timeout=60.0) as stats,
        ):
            self.start = time.perf_counter()
            await self.sample(stats)
            users = [self.user(client, i) for i in range(self.users)]
            watchers = [self.sampler(stats), self.fault(client), self.watch_deny_list()]
            await asyncio.gather(*watchers, *users)
            await self.drain(stats)
            deny_list = LocalDenyList(path=self.store.path)
            self.denied |= await asyncio.to_thread(self.check_deny_list, deny_list)


# --- figures ------------------------------------------------------------------------------------


def sample_at(samples: Sequence[Sample], at: float) -> Sample:
    """The last sample taken at or before ``at`` (the first one if none)."""
    before = [s for s in samples if s.at <= at + 1e-9]
    return before[-1] if before else samples[0]


def slope_per_minute(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if len(points) < 2 or max(xs) == min(xs):
        return 0.0
    return statistics.linear_regression(xs, ys).slope * 60


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


@dataclass(frozen=True)
class Tally:
    """The requests started in one part of the soak."""

    requests: int
    errors: int  # 5xx, failed requests, unexpected answers
    timeouts: int
    latencies: list[float]  # ms, of the requests answered

    def quantile(self, q: float) -> float | None:
        return percentile(self.latencies, q) if self.latencies else None


def tally(soak: Soak, start: float, end: float, kind: str | None = None) -> Tally:
    def inside(at: float) -> bool:
        return start <= at < end or (end >= soak.seconds and at >= end)

    chosen = [r for r in soak.records if inside(r[0]) and kind in (None, r[1])]
    failed = sum(1 for r in chosen if r[2] == FAILED or r[2] >= 500)
    odd = 0 if kind is not None else sum(1 for at in soak.unexpected if inside(at))
    return Tally(
        requests=len(chosen),
        errors=failed + odd,
        timeouts=sum(1 for r in chosen if r[2] == TIMED_OUT),
        latencies=[r[3] for r in chosen if r[2] > 0],
    )


@dataclass(frozen=True)
class Memory:
    start: float  # MiB
    warm: float
    end: float
    peak: float
    first: float  # MiB/min over the warm-up
    plateau: float  # MiB/min over the last half
    low: float  # lowest and highest RSS over the last half
    high: float
    points: int
    trimmed: float | None  # after malloc_trim(0), at the end


def memory(soak: Soak) -> Memory:
    samples, seconds = soak.samples, soak.seconds
    half = [(s.at, s.rss) for s in samples if seconds / 2 <= s.at <= seconds]
    start, warm = samples[0].rss, sample_at(samples, soak.warm_up).rss
    end = sample_at(samples, seconds).rss
    return Memory(
        start=start,
        warm=warm,
        end=end,
        peak=max(s.rss for s in samples),
        first=(warm - start) / soak.warm_up * 60,
        plateau=slope_per_minute(half),
        low=min((p[1] for p in half), default=end),
        high=max((p[1] for p in half), default=end),
        points=len(half),
        trimmed=soak.trimmed,
    )


def _full_at(samples: Sequence[Sample], name: str) -> float | None:
    """When a cache first reached its bound: it held that many, or was found smaller than
    before (the caches that are cleared when full)."""
    previous = -1
    for sample in samples:
        size, bound = sample.stats["caches"].get(name, (-1, 0))
        if (bound and size >= bound) or size < previous:
            return float(sample.at)
        previous = size
    return None


def describe(soak: Soak) -> str:
    down, up = soak.outage
    scale = soak.scale
    return (
        f"A uvicorn server (its own process) runs a Starlette app behind cfcookies' ASGI "
        f"middleware configured as an app with edge revocation would be: `SessionSecrets`, a "
        f"`LocalDenyList` on a file (lapsed entries purged every {PURGE_EVERY:g} s), a file "
        f"outbox (`deny_outbox=`), RSA-2048, default cache sizes, and the library's times "
        f"compressed so that every lifecycle completes in the first half of the soak: "
        f"`lifetime` {LIFETIME} s, `renew_before` {RENEW_BEFORE} s, `granularity` "
        f"{GRANULARITY} s (cookies renewed 30-40 s after they are issued), `max_session_age` "
        f"{MAX_SESSION_AGE} s (a deny-list entry lapses "
        f"{MAX_SESSION_AGE + LIFETIME + GRANULARITY} s after its session began). {soak.users} "
        f"virtual users (httpx, asyncio, one client process, {THINK * 1000:.0f} ms mean think "
        f"time) each drive {BROWSERS_PER_USER} browsers with their own cookie jars for "
        f"{soak.seconds:g} s: logins of new users into 1-3 of {FOLDERS} folders (popular ones "
        f"shared by many sessions, {NEW_FOLDER_SHARE:.0%} a folder never granted before), page "
        f"views, keep-alives, one more folder, dropping one, logouts ({LOGOUT_SHARE:.0%} of "
        f"the sessions the users end; the others are abandoned), and {HOSTILE_SHARE:.0%} "
        f"hostile requests (garbage, tampered, forged, replayed, duplicated or oversized state "
        f"cookies, foreign hosts, folders the app refuses). Sessions last {20 * scale:g} s on "
        f"average (70%) or {40 * scale:g}-{150 * scale:g} s (30%, renewed on the way, often "
        f"until the session cap ends them), and every session is a new user, so the library's "
        f"bounded caches fill. From {down:.0f} s to {up:.0f} s the deny-list store is down (its "
        f"file replaced by a directory, then put back). Every {soak.interval:g} s the server's "
        f"RSS (`VmRSS`) and what it holds are sampled. *Errors*: 5xx, failed requests and "
        f"answers other than the expected one (any 4xx is expected for hostile requests); "
        f"*timeouts*: no answer within {TIMEOUT:g} s. Alone: `python -m benchmarks.soak "
        f"--seconds {soak.seconds:g}` (or `python -m benchmarks.run --only soak --soak-seconds "
        f"{soak.seconds:g}`)."
    )


HEADER = ("phase", "time", "requests", "errors", "timeouts", "p50", "p99", "max", "server RSS")


def phase_rows(soak: Soak) -> list[tuple[str, ...]]:
    down, up = soak.outage
    phases = (
        ("warm-up", 0.0, soak.warm_up),
        ("before the outage", soak.warm_up, down),
        ("deny-list store down", down, up),
        ("after the outage", up, soak.seconds),
        ("whole soak", 0.0, soak.seconds),
    )
    rows: list[tuple[str, ...]] = []
    for label, start, end in phases:
        part = tally(soak, start, end)
        rows.append(
            (
                label,
                f"{start:.0f}-{end:.0f} s",
                f"{part.requests:,}",
                str(part.errors),
                str(part.timeouts),
                _ms(part.quantile(0.5)),
                _ms(part.quantile(0.99)),
                _ms(max(part.latencies, default=None)),
                f"{sample_at(soak.samples, end).rss:.1f} MiB",
            )
        )
    return rows


def mix_note(soak: Soak, whole: Tally) -> str:
    kinds = soak.kinds
    labels = (
        ("login", "logins"),
        ("page", "page views"),
        ("anonymous page", "anonymous page views"),
        ("keep-alive", "keep-alives"),
        ("one more folder", "grants of one more folder"),
        ("drop a folder", "folders dropped"),
        ("logout", "logouts"),
        ("hostile", "hostile requests"),
    )
    mix = ", ".join(f"{kinds[name]:,} {label}" for name, label in labels)
    return (
        f"Requests: {whole.requests:,} ({whole.requests / soak.seconds:,.0f}/s): {mix}; "
        f"{kinds['abandoned']:,} sessions abandoned, {kinds['ended by the middleware']:,} ended "
        f"by the middleware (session cap reached, or cookies expired between two visits); "
        f"{soak.new_folders:,} folders granted for "
        f"the first time; {kinds['renewal']:,} renewals (fresh CloudFront cookies on a page "
        f"view or keep-alive). Of {kinds['replayed state']:,} state cookies replayed after their "
        f"logout, {kinds['replayed state renewed']:,} were renewed (in their renewal window, as "
        f"SECURITY.md says; the edge denies their session)."
    )


def latency_note(soak: Soak) -> str:
    parts = []
    for kind in ("page", "keep-alive", "login", "one more folder", "drop a folder", "logout"):
        part = tally(soak, 0.0, soak.seconds, kind)
        if part.latencies:
            p50, p99 = part.quantile(0.5) or 0.0, part.quantile(0.99) or 0.0
            parts.append(f"{kind} {p50:.1f}/{p99:.0f}/{max(part.latencies):,.0f} ms")
    return (
        f"Latency by request, p50/p99/max: {'; '.join(parts)} (client and server share the "
        f"machine's {os.cpu_count()} cores, with whatever else runs on it)."
    )


def calls(soak: Soak, name: str, start: float, end: float) -> list[float]:
    """The durations (ms) of the server's calls of one kind made from ``start`` to ``end``
    (each sample holds the calls made since the one before it)."""
    return [
        ms for s in soak.samples if start < s.at <= end for ms in s.stats["calls"].get(name, [])
    ]


def calls_note(soak: Soak) -> str:
    """The deny-list and outbox calls timed in the server: early, and late in the soak."""
    minute = min(60.0, soak.seconds / 5)

    parts = []
    for name in ("outbox add", "outbox remove", "deny-list write", "deny-list purge"):
        early = calls(soak, name, 0.0, minute + soak.interval)
        late = calls(soak, name, soak.seconds - minute, soak.seconds + DRAIN)
        count = len(calls(soak, name, 0.0, soak.seconds + DRAIN))
        if early and late:
            parts.append(
                f"{name} {count:,} calls, median {statistics.median(early):.1f} ms in the first "
                f"{minute:.0f} s, {statistics.median(late):.1f} ms in the last {minute:.0f} s"
            )
    return (
        f"Deny-list and outbox calls, timed in the server (each deny-list write runs in a thread "
        f"of its own): {'; '.join(parts)}."
    )


def memory_note(soak: Soak, mem: Memory) -> str:
    half, end = sample_at(soak.samples, soak.seconds / 2), sample_at(soak.samples, soak.seconds)
    threads = [s.stats["threads"] for s in soak.samples]
    trimmed = (
        f" After the soak `malloc_trim(0)` brought it to {mem.trimmed:.1f} MiB."
        if mem.trimmed is not None
        else ""
    )
    malloc = ""
    if half.stats.get("malloc") and end.stats.get("malloc"):
        (used_h, free_h), (used_e, free_e) = half.stats["malloc"], end.stats["malloc"]
        malloc = (
            f" glibc malloc (all arenas) held {used_h / MIB:.1f} MiB in use and kept "
            f"{free_h / MIB:.1f} MiB free when the last half began, {used_e / MIB:.1f} and "
            f"{free_e / MIB:.1f} MiB at its end."
        )
    return (
        f"Server RSS: {mem.start:.1f} MiB at the start, {mem.warm:.1f} MiB after the warm-up "
        f"({soak.warm_up:.0f} s), {mem.end:.1f} MiB at the end (peak {mem.peak:.1f} MiB; "
        f"{mem.low:.1f}-{mem.high:.1f} MiB over the last half). Growth: {mem.first:+.1f} MiB/min "
        f"over the warm-up, {mem.plateau:+.2f} MiB/min over the last half "
        f"({soak.seconds / 2:.0f}-{soak.seconds:.0f} s, least-squares slope of {mem.points} "
        f"samples).{trimmed} Python memory blocks {soak.samples[0].stats['blocks']:,} at the "
        f"start, {half.stats['blocks']:,} when the last half began, {end.stats['blocks']:,} at "
        f"its end (objects {end.stats['objects']:,});{malloc} Threads: at most {max(threads)}, "
        f"{threads[-1]} at the end."
    )


def cpu_note(soak: Soak) -> str:
    """Server CPU time per request, early and late: a path that slows down as the soak goes on
    shows here, whatever else runs on the machine."""

    def per_request(start: float, end: float) -> float:
        first, last = sample_at(soak.samples, start), sample_at(soak.samples, end)
        requests = tally(soak, first.at, last.at).requests
        seconds: float = last.stats["cpu"] - first.stats["cpu"]
        return seconds / max(requests, 1) * 1000

    warm, half = soak.warm_up, soak.seconds / 2
    return (
        f"Server CPU per request: {per_request(0.0, warm):.2f} ms over the warm-up, "
        f"{per_request(warm, soak.outage[0]):.2f} ms before the outage, "
        f"{per_request(half, soak.seconds):.2f} ms over the last half."
    )


def cache_note(soak: Soak) -> str:
    final = soak.samples[-1].stats
    parts = []
    for name, (size, bound) in final["caches"].items():
        if size >= 0:
            full = _full_at(soak.samples, name)
            parts.append(f"{name} {size:,}/{bound:,}" + (f" (at {full:.0f} s)" if full else ""))
    return (
        f"Bounded caches at the end, entries/bound (when first full): {'; '.join(parts)}. "
        f"The deny-list holds one entry per session ended while it could still be used, until "
        f"it lapses: {final['deny_entries'] or 0:,} at the end, {final['purged']:,} purged "
        f"during the soak (largest: {max(s.stats['deny_entries'] or 0 for s in soak.samples):,})."
    )


def outage_note(soak: Soak, missing: Sequence[Logout]) -> str:
    down, up = soak.outage
    during = tally(soak, down, up, "logout")
    peak = max(s.stats["outbox"] for s in soak.samples)
    emptied = next((s.at for s in soak.samples if s.at >= up and s.stats["outbox"] == 0), None)
    when = (
        f"it was empty {emptied - up:.0f} s after the store came back"
        if emptied is not None
        else "it was not empty by the end of the soak"
    )
    before = calls(soak, "outbox add", soak.warm_up, down)
    adds = calls(soak, "outbox add", down, up)
    failed = calls(soak, "deny-list write", down, up)
    slowdown = (
        f"; each logout's outbox write (a rewrite of the whole file, fsynced, in a thread "
        f"beside the signing one) took a median {statistics.median(adds):.1f} ms while it grew, "
        f"{statistics.median(before):.1f} ms before"
        if adds and before
        else ""
    )
    return (
        f"Outage ({down:.0f}-{up:.0f} s): {len(soak.window_logouts())} logouts while the store "
        f"was down, all answered (slowest {_ms(max(during.latencies, default=None))}; a logout "
        f"whose write fails waits up to `deny_wait`, 1 s, unless the store is already known to "
        f"be failing){slowdown}. The writer made {len(failed):,} store calls meanwhile (one "
        f"per entry and retry, each in a new thread); up to {peak} entries waited in the "
        f"outbox; {when} ({soak.samples[-1].stats['outbox']} left after the soak). "
        f"{len(soak.logouts) - len(missing):,} of {len(soak.logouts):,} logged-out sessions were "
        f"seen denied by the deny-list, read as the edge reads it."
    )


def plateau_note(soak: Soak, per_minute: float) -> str:
    half = soak.seconds / 2
    kinds = soak.kinds
    issued = kinds["login"] + kinds["one more folder"] + kinds["drop a folder"] + kinds["renewal"]
    states = issued / soak.seconds * 60
    full = [(name, _full_at(soak.samples, name)) for name in ("signatures", "states")]
    when = ", ".join(f"{name} at {at:.0f} s" if at else f"{name} never" for name, at in full)
    filled = all(at is not None and at <= half for _, at in full)
    deny = [
        s.stats["deny_entries"] for s in soak.samples if s.at >= half and s.stats["deny_entries"]
    ]
    return (
        f"The plateau goal, < {PLATEAU_GOAL:g} MiB/min over the last half: at this soak's "
        f"{per_minute:,.0f} requests a minute a leak of {PLATEAU_GOAL * MIB / per_minute:,.0f} "
        f"bytes per request would miss it, and so would keeping every state cookie issued "
        f"({states:,.0f} a minute, several hundred bytes each). The largest caches were "
        f"{'full' if filled else 'not yet full'} when the last half began ({when}); over it the "
        f"deny-list held {min(deny, default=0):,}-{max(deny, default=0):,} entries. RSS moves in "
        f"allocator-sized steps, hence a slope over many samples rather than the last minus the "
        f"first."
    )


def figures(soak: Soak) -> Section:
    whole = tally(soak, 0.0, soak.seconds)
    mem = memory(soak)
    missing = soak.not_denied()
    final = soak.samples[-1].stats
    window = soak.window_logouts()
    per_minute = whole.requests / soak.seconds * 60
    write_failures = sum(v for k, v in final["log"].items() if k.endswith(EXPECTED_ERRORS))
    other_errors = sum(
        v
        for k, v in final["log"].items()
        if k.startswith(("ERROR", "CRITICAL")) and not k.endswith(EXPECTED_ERRORS)
    )
    section = Section(
        8,
        "Soak: a real server for minutes (uvicorn, 127.0.0.1)",
        describe(soak),
        HEADER,
        rows=phase_rows(soak),
    )
    section.checks += [
        Check(
            "8. soak: errors (5xx, failed or unexpected answers) and client timeouts",
            f"{whole.errors} errors, {whole.timeouts} timeouts in {whole.requests:,} requests",
            "0",
            whole.errors == 0 and whole.timeouts == 0,
        ),
        Check(
            "8. soak: server RSS growth over the last half",
            f"{mem.plateau:+.2f} MiB/min (warm-up: {mem.first:+.1f} MiB/min)",
            f"< {PLATEAU_GOAL:g} MiB/min",
            mem.plateau < PLATEAU_GOAL,
        ),
        Check(
            "8. soak: deny-list outbox after the store outage",
            f"{final['outbox']} left; {len(soak.logouts) - len(missing):,} of "
            f"{len(soak.logouts):,} logouts denied ({len(window)} while down)",
            "empty; every logout denied",
            final["outbox"] == 0 and not missing and bool(window),
        ),
    ]
    section.notes += [
        mix_note(soak, whole),
        f"Errors: {whole.errors} (5xx, failed requests, unexpected answers), {whole.timeouts} "
        f"client timeouts"
        + (f"; first: {'; '.join(soak.errors[:3])}" if soak.errors else "")
        + f". Server log: {write_failures:,} `deny_list.write_failed` errors (expected while the "
        f"store was down), {other_errors} other errors"
        + (f" ({'; '.join(final['unexpected_log'][:2])})" if other_errors else "")
        + ".",
        latency_note(soak),
        memory_note(soak, mem),
        cpu_note(soak),
        cache_note(soak),
        calls_note(soak),
        outage_note(soak, missing),
        plateau_note(soak, per_minute),
        "Goals: "
        + "; ".join(
            f"{c.figure.removeprefix('8. soak: ')}: {c.measured} ({'met' if c.met else 'missed'})"
            for c in section.checks
        )
        + ".",
    ]
    section.values.update(
        {
            "requests": float(whole.requests),
            "errors": float(whole.errors),
            "timeouts": float(whole.timeouts),
            "p50_ms": whole.quantile(0.5) or 0.0,
            "p99_ms": whole.quantile(0.99) or 0.0,
            "rss_start_mb": mem.start,
            "rss_warm_mb": mem.warm,
            "rss_end_mb": mem.end,
            "first_mb_per_min": mem.first,
            "plateau_mb_per_min": mem.plateau,
            "logouts": float(len(soak.logouts)),
            "outage_logouts": float(len(window)),
            "outbox_left": float(final["outbox"]),
            "denied_missing": float(len(missing)),
            "renewals": float(soak.kinds["renewal"]),
        }
    )
    return section


def run(
    scale: Scale,
    seconds: float = SECONDS,
    users: int | None = None,
    samples_path: Path | None = None,
) -> Section:
    """Run the soak for ``seconds`` with ``users`` virtual users (default: twice the scale's
    concurrency, 32 for the full run); ``samples_path`` receives every sample as JSON lines."""
    users = users if users is not None else 2 * scale.concurrency
    with tempfile.TemporaryDirectory(prefix="cfcookies-soak-") as folder:
        directory = Path(folder)
        with SoakServer(directory) as server:
            soak = Soak(server, Store(directory), seconds, users)
            asyncio.run(soak.run())
            if not server.alive():
                raise RuntimeError(f"the soak server died: {server.log_tail()}")
        if samples_path is not None:
            with open(samples_path, "w", encoding="utf-8") as out:
                for sample in soak.samples:
                    out.write(json.dumps({"at": sample.at, "rss": sample.rss, **sample.stats}))
                    out.write("\n")
        return figures(soak)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="how long (300)")
    parser.add_argument("--users", type=int, default=USERS, help="virtual users (32)")
    parser.add_argument("--samples", type=Path, help="write every sample here (JSON lines)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve, args.dir)
        return 0
    if args.seconds < 3:
        parser.error("--seconds must be at least 3")
    from .report import render_section

    section = run(Scale(), seconds=args.seconds, users=args.users, samples_path=args.samples)
    print("\n".join(render_section(section)))
    return 0 if all(check.met for check in section.checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
