"""The apps, keys and middleware configurations every benchmark shares.

The bare apps do as little as an app can (one header, a two-byte body) so that what a middleware
adds is not hidden behind the app's own work. ``wsgi_session_middleware`` is written here: a WSGI
twin of Starlette's ``SessionMiddleware`` (a signed, timestamped, base64 JSON cookie read with
itsdangerous on every request and written back only when modified), since WSGI has no session
middleware of its own to compare with.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import itsdangerous
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.types import Message, Receive, Scope, Send

from cfcookies.cookies import parse_cookie_header
from cfcookies.keys import PrivateKey, generate_private_key
from cfcookies.session import MIDDLEWARE_KEY, CloudFrontCookies, RequestInfo, grant

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

KEY_PAIR_ID = "K2JCJMDEHXQW5F"
MEDIA_URL = "https://media.example.test"
APP_HOST = "app.example.test"
COOKIE_DOMAIN = "example.test"
STATE_SECRET = "benchmark-state-secret-" + "s" * 32
SESSION_SECRET = "benchmark-session-secret-" + "t" * 32
SESSION_DATA = {"user": "ana", "courses": ["course-1"]}


_KEYS: dict[str, PrivateKey] = {}


def key(kind: str) -> PrivateKey:
    """One RSA-2048 or ECDSA P-256 key per process, generated on first use."""
    if kind not in _KEYS:
        _KEYS[kind] = generate_private_key("rsa" if kind == "rsa" else "ecdsa")
    return _KEYS[kind]


def key_label(private_key: PrivateKey) -> str:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return f"RSA-{private_key.key_size}"
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return "ECDSA P-256"
    return type(private_key).__name__  # pragma: no cover


def cloudfront_cookies(
    private_key: PrivateKey | None = None, **overrides: Any
) -> CloudFrontCookies:
    options: dict[str, Any] = {
        "media_url": MEDIA_URL,
        "cookie_domain": COOKIE_DOMAIN,
        "key_pair_id": KEY_PAIR_ID,
        "private_key": private_key if private_key is not None else key("rsa"),
        "state_secret": STATE_SECRET,
    }
    options.update(overrides)
    return CloudFrontCookies(**options)


def prefixes(count: int, tag: str = "course") -> list[str]:
    return [f"/videos/{tag}-{i}" for i in range(count)]


def login_info() -> RequestInfo:
    return RequestInfo(method="GET", path="/login", host=APP_HOST, cookie_header=None)


def state_cookie(cookies: CloudFrontCookies, granted: list[str]) -> str:
    """The ``name=value`` of the state cookie a login granting ``granted`` leaves."""
    scope: Scope = {"type": "http", MIDDLEWARE_KEY: cookies}  # as the ASGI middleware marks it
    grant(scope, *granted)
    plan = cookies.plan(login_info(), actions=scope["cfcookies.actions"])
    outcome = cookies.render(plan)
    prefix = cookies.state_cookie_name + "="
    value = next(v for v in outcome.set_cookie if v.startswith(prefix))
    return value.split(";", 1)[0]


def session_cookie() -> str:
    """A Starlette ``SessionMiddleware`` cookie holding ``SESSION_DATA``, as it writes one."""
    signer = itsdangerous.TimestampSigner(SESSION_SECRET)
    data = signer.sign(base64.b64encode(json.dumps(SESSION_DATA).encode()))
    return "session=" + data.decode()


def cookie_header(cookies: CloudFrontCookies, granted: list[str]) -> str:
    """What a logged-in browser sends to the app: the app's session and cfcookies' state."""
    return f"{session_cookie()}; {state_cookie(cookies, granted)}"


# --- ASGI ----------------------------------------------------------------------------------------


async def bare_asgi(scope: Scope, receive: Receive, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"ok"})


def asgi_scope(cookie: str | None, path: str = "/page") -> Scope:
    headers = [(b"host", APP_HOST.encode())]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "server": ("127.0.0.1", 443),
        "client": ("127.0.0.1", 50000),
    }


class AsgiDriver:
    """Calls an ASGI app in-process with a prepared scope: no client, no server, no sockets."""

    def __init__(self, app: Any, scope: Scope) -> None:
        self.app = app
        self.scope = scope
        self.loop = asyncio.new_event_loop()
        self.last: list[Message] = []

    async def _receive(self) -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def _send(self, message: Message) -> None:
        pass

    async def _record(self, message: Message) -> None:
        self.last.append(message)

    async def _loop(self, number: int) -> float:
        app, scope, receive, send = self.app, self.scope, self._receive, self._send
        clock = time.perf_counter_ns
        start = clock()
        for _ in range(number):
            await app(dict(scope), receive, send)
        return (clock() - start) / number

    def __call__(self, number: int) -> float:
        return self.loop.run_until_complete(self._loop(number))

    def once(self) -> list[Message]:
        """One call, returning the messages sent (for sanity checks, not timed)."""
        self.last = []
        self.loop.run_until_complete(self.app(dict(self.scope), self._receive, self._record))
        return self.last

    def close(self) -> None:
        self.loop.close()


def set_cookies_of(messages: list[Message]) -> list[bytes]:
    start = next(m for m in messages if m["type"] == "http.response.start")
    return [v for k, v in start.get("headers", []) if k.lower() == b"set-cookie"]


# --- WSGI ----------------------------------------------------------------------------------------


def bare_wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def wsgi_environ(cookie: str | None, path: str = "/page") -> dict[str, Any]:
    import io
    import sys

    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": APP_HOST,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": APP_HOST,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    return environ


class WsgiDriver:
    """Calls a WSGI app in-process with a prepared environ, consuming and closing the body."""

    def __init__(self, app: WSGIApplication, environ: dict[str, Any]) -> None:
        self.app = app
        self.environ = environ
        self.headers: list[tuple[str, str]] = []

    def _start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        self.headers = headers
        return None

    def __call__(self, number: int) -> float:
        app, environ, start_response = self.app, self.environ, self._start_response
        clock = time.perf_counter_ns
        start = clock()
        for _ in range(number):
            body = app(dict(environ), start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return (clock() - start) / number

    def once(self) -> list[tuple[str, str]]:
        self(1)
        return self.headers


class WsgiSessionMiddleware:
    """Starlette's ``SessionMiddleware``, translated to WSGI (see the module docstring)."""

    def __init__(
        self, app: WSGIApplication, secret_key: str, max_age: int = 14 * 24 * 3600
    ) -> None:
        self.app = app
        self.signer = itsdangerous.TimestampSigner(secret_key)
        self.max_age = max_age

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        session = WsgiSession()
        raw = parse_cookie_header(environ.get("HTTP_COOKIE")).get("session")
        if raw is not None:
            try:
                data = self.signer.unsign(raw.encode(), max_age=self.max_age)
                session = WsgiSession(json.loads(base64.b64decode(data)))
            except itsdangerous.BadSignature:
                session = WsgiSession()
        environ["session"] = session

        def start_response_with_session(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            if session.modified and session:
                data = self.signer.sign(base64.b64encode(json.dumps(session).encode()))
                headers = [
                    *headers,
                    ("Set-Cookie", f"session={data.decode()}; path=/; httponly; samesite=lax"),
                ]
            return start_response(status, headers, exc_info)

        return self.app(environ, start_response_with_session)


class WsgiSession(dict[str, Any]):
    """A dict that notes when it is written to, as Starlette's ``Session`` does."""

    modified = False

    def __setitem__(self, key: str, value: Any) -> None:
        self.modified = True
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.modified = True
        super().__delitem__(key)
