"""Demo only: a copy of the cookies issued to each demo session, and replaying it at the edge.

CloudFront cannot revoke a signed cookie; edge revocation (:mod:`cfcookies.revocation`) makes
the edge refuse a logged-out session although its CloudFront cookies are still valid. To show
it, the demo app keeps, in memory and for the demo only, a copy of the cookies the middleware
issued to each demo session (:class:`CaptureCookies` reads them from its ``Set-Cookie`` headers
into :class:`CookieCopies`; they are never shown). :class:`Replayer` asks the edge, in process,
with that copy and reports, per cookie path, CloudFront's own verdict on the cookies
(:func:`~cfcookies.verify.verify_request`) beside the edge's answer: after logout
``403 session_revoked``, with revocation off ``200``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..cookies import parse_set_cookie
from ..keys import PublicKey
from ..policy import Clock
from ..verify import Decision, verify_request

_MAX_COPIES = 512


class CookieCopies:
    """The CloudFront cookies the middleware issued to each demo session, as a browser holds them.

    Demo only, in memory, bounded: it stands for someone who copied a browser's cookie jar. Its
    ``repr`` counts sessions and never shows a value.
    """

    def __init__(self, limit: int = _MAX_COPIES) -> None:
        self._limit = limit
        self._jars: OrderedDict[str, dict[tuple[str, str], str]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CookieCopies({len(self._jars)} sessions)"

    def record(self, demo_id: str, set_cookie: Sequence[str]) -> None:
        with self._lock:
            jar = self._jars.setdefault(demo_id, {})
            self._jars.move_to_end(demo_id)
            for header in set_cookie:
                parsed = parse_set_cookie(header)
                if parsed is None:
                    continue
                path = parsed.attributes.get("path") or "/"
                if parsed.attributes.get("max-age") == "0":
                    jar.pop((parsed.name, path), None)
                else:
                    jar[(parsed.name, path)] = parsed.value
            while len(self._jars) > self._limit:
                self._jars.popitem(last=False)

    def get(self, demo_id: str) -> dict[tuple[str, str], str]:
        """The copied cookies by (name, Path)."""
        with self._lock:
            return dict(self._jars.get(demo_id, {}))

    def forget(self, demo_id: str) -> None:
        with self._lock:
            self._jars.pop(demo_id, None)


class CaptureCookies:
    """ASGI wrapper around the cfcookies middleware that copies its CloudFront ``Set-Cookie``
    headers into :class:`CookieCopies`, keyed by the demo session (``demo_id`` in the Starlette
    session, read after the view ran). It only reads the response; it changes nothing."""

    def __init__(self, app: ASGIApp, copies: CookieCopies) -> None:
        self.app = app
        self.copies = copies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope.get("session")
                demo_id = session.get("demo_id") if isinstance(session, dict) else None
                if isinstance(demo_id, str) and demo_id:
                    issued = [
                        value.decode("latin-1")
                        for name, value in message.get("headers", [])
                        if name.lower() == b"set-cookie" and value.startswith(b"CloudFront-")
                    ]
                    if issued:
                        self.copies.record(demo_id, issued)
            await send(message)

        await self.app(scope, receive, capturing_send)


async def ask_edge(edge: ASGIApp, url: str, cookie_header: str) -> tuple[int, str, int]:
    """GET ``url`` from the edge app in this process with ``cookie_header``.

    Returns the status, the ``x-cfcookies-decision`` header and the body's length. Nothing
    leaves the process: the request goes to the same :class:`EdgeApp` the browser talks to.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": parts.scheme,
        "path": parts.path,
        "raw_path": parts.path.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", parts.netloc.encode("ascii")),
            (b"cookie", cookie_header.encode("latin-1")),
            (b"user-agent", b"cfcookies-demo-replay"),
        ],
        "server": (parts.hostname or "localhost", port),
        "client": ("127.0.0.1", 0),
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await edge(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    decision = next(
        (v.decode("latin-1") for k, v in start.get("headers", []) if k == b"x-cfcookies-decision"),
        "",
    )
    size = sum(len(m.get("body", b"")) for m in sent if m["type"] == "http.response.body")
    return int(start["status"]), decision, size


@dataclass(frozen=True)
class Replayed:
    """One path of a replayed copy: what CloudFront's check and the edge said (no values)."""

    path: str
    url: str
    names: tuple[str, ...]
    policy_reason: str  # verify_request on the copied cookies: "allowed" or why not
    policy_expires: int | None
    status: int
    decision: str
    size: int

    @property
    def policy_allowed(self) -> bool:
        return self.policy_reason == "allowed"


@dataclass(frozen=True)
class Copied:
    """One cookie path of a copy: the URL replayed there, the ``Cookie`` header a browser would
    send to it, the cookie names, and CloudFront's own verdict on those cookies."""

    path: str
    url: str
    header: str = field(repr=False)
    names: tuple[str, ...]
    decision: Decision


@dataclass(frozen=True)
class Replayer:
    """Checks and replays copies against the edge at ``media_url`` (trusting ``public_keys``)."""

    media_url: str
    public_keys: Mapping[str, PublicKey]
    clock: Clock

    def copied(self, jar: Mapping[tuple[str, str], str]) -> list[Copied]:
        """Per copied cookie path (sorted): what would be sent there, and what CloudFront says
        of it (:func:`verify_request`)."""
        out = []
        for path in sorted({p for _, p in jar}):
            url = f"{self.media_url}{path}index.m3u8"
            sent = {n: v for (n, p), v in jar.items() if path.startswith(p)}
            header = "; ".join(f"{n}={v}" for n, v in sorted(sent.items()))
            decision = verify_request(
                url, cookies=header, public_keys=self.public_keys, clock=self.clock
            )
            out.append(Copied(path, url, header, tuple(sorted(sent)), decision))
        return out

    async def replay(self, jar: Mapping[tuple[str, str], str], edge: ASGIApp) -> list[Replayed]:
        """Ask ``edge`` for each copied path's playlist with the copied cookies."""
        out = []
        for copied in self.copied(jar):
            status, decision, size = await ask_edge(edge, copied.url, copied.header)
            policy = copied.decision
            out.append(
                Replayed(
                    path=copied.path,
                    url=copied.url,
                    names=copied.names,
                    policy_reason=policy.reason,
                    policy_expires=policy.policy.date_less_than if policy.policy else None,
                    status=status,
                    decision=decision,
                    size=size,
                )
            )
        return out
