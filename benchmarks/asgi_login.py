"""3: what a login costs through the ASGI middleware, signing off the event loop.

The middleware's own ``__call__`` is awaited on one event loop (no server, no HTTP): a
``POST /login/<folder>`` whose app calls ``grant(scope, folder)`` and answers 200. *Miss*: a
folder no session had before, so the policy is signed in a worker thread (the middleware's
signing limiter); *hit*: a folder signed already, rendered on the loop. *Thread hop*: the same
``anyio.to_thread.run_sync`` of a function that does nothing, with the same limiter: what
moving the signature off the loop costs by itself. *Raw signature*: one ``cryptography``
signature of such a policy. The goal (issue 13): a miss costs no more than a hit, plus the
hop, plus 1.1 raw signatures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import anyio.to_thread
from starlette.types import Message, Receive, Scope, Send

from cfcookies.asgi import CloudFrontCookieMiddleware
from cfcookies.grants import grant
from cfcookies.policy import Policy, prefix_resource

from ._apps import APP_HOST, MEDIA_URL, cloudfront_cookies, key, key_label
from ._harness import Check, Scale, Section, fmt_ns, fmt_ratio, interleaved
from .login import fresh_prefixes, raw_sign

#: A miss costs at most a hit + the thread hop + this many raw signatures.
SIGNATURES_GOAL = 1.1


async def _login_app(scope: Scope, receive: Receive, send: Send) -> None:
    grant(scope, scope["path"].removeprefix("/login"))
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _scope(folder: str) -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": "/login" + folder,
        "headers": [(b"host", APP_HOST.encode())],
    }


async def _receive() -> Message:  # pragma: no cover (the login app reads no body)
    return {"type": "http.request", "body": b"", "more_body": False}


class _Sink:
    """The ``send`` of one response: keeps the ``Set-Cookie`` count of the start message."""

    def __init__(self) -> None:
        self.cookies = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.cookies = sum(1 for name, _ in message["headers"] if name == b"set-cookie")


def runners(kind: str, loop: asyncio.AbstractEventLoop) -> dict[str, Callable[[int], float]]:
    """The four timed candidates for one key type, each run on ``loop``."""
    private_key = key(kind)
    cookies = cloudfront_cookies(private_key, signature_cache_size=1_000_000)
    middleware = CloudFrontCookieMiddleware(_login_app, cookies=cookies)
    sign = raw_sign(private_key)
    expires = cookies.expiry_for(cookies.now())
    sink = _Sink()

    def on_loop(body: Callable[[int], Coroutine[Any, Any, float]]) -> Callable[[int], float]:
        return lambda number: loop.run_until_complete(body(number))

    async def logins(folders: list[str]) -> float:
        clock = time.perf_counter_ns
        start = clock()
        for folder in folders:
            await middleware(_scope(folder), _receive, sink)
        elapsed = clock() - start
        if sink.cookies < 4:  # three CloudFront cookies and the state cookie
            raise RuntimeError("the ASGI login benchmark issued no cookies")
        return elapsed / len(folders)

    hit_folder = fresh_prefixes(1)[0]

    async def hit(number: int) -> float:
        return await logins([hit_folder] * number)

    async def miss(number: int) -> float:
        return await logins(fresh_prefixes(number))

    async def hop(number: int) -> float:
        limiter = middleware._signing_limiter()
        clock = time.perf_counter_ns
        start = clock()
        for _ in range(number):
            await anyio.to_thread.run_sync(int, limiter=limiter)
        return (clock() - start) / number

    async def raw(number: int) -> float:
        messages = [
            Policy(prefix_resource(MEDIA_URL, p), expires).to_json() for p in fresh_prefixes(number)
        ]
        clock = time.perf_counter_ns
        start = clock()
        for message in messages:
            sign(message)
        return (clock() - start) / number

    loop.run_until_complete(hit(1))  # the hit folder's policy is signed once, before timing
    return {
        "raw signature": on_loop(raw),
        "thread hop": on_loop(hop),
        "login, hit": on_loop(hit),
        "login, miss": on_loop(miss),
    }


def run(scale: Scale) -> Section:
    section = Section(
        3,
        "Login through the ASGI middleware: signing off the event loop",
        "One login = the middleware's ASGI `__call__` awaited on one event loop for "
        "`POST /login/<folder>`, whose app calls `grant()` (no server, no HTTP). *Miss*: a "
        "folder never granted before, signed in a worker thread through the middleware's "
        "signing limiter; *hit*: a folder already signed, rendered on the loop; *thread hop*: "
        "`anyio.to_thread.run_sync` of a function that does nothing, through the same limiter; "
        "*raw signature*: one `cryptography` signature of such a policy. "
        "*Excess*: miss - (hit + hop + raw signature).",
        (
            "key",
            "raw signature",
            "thread hop",
            "login, hit",
            "login, miss",
            "excess",
            "miss - hit - hop, in raw signatures",
        ),
    )
    loop = asyncio.new_event_loop()
    try:
        for kind in ("rsa", "ecdsa"):
            candidates = runners(kind, loop)
            t = interleaved(candidates, rounds=scale.rounds, number=max(1, scale.sign_number // 2))
            raw, hop, hit, miss = (
                t["raw signature"],
                t["thread hop"],
                t["login, hit"],
                t["login, miss"],
            )
            label = key_label(key(kind))
            signatures = (miss.median - hit.median - hop.median) / raw.median
            excess = miss.median - hit.median - hop.median - raw.median
            section.rows.append(
                (
                    label,
                    raw.cell(),
                    hop.cell(),
                    hit.cell(),
                    miss.cell(),
                    fmt_ns(excess) if excess >= 0 else "-" + fmt_ns(-excess),
                    fmt_ratio(signatures),
                )
            )
            section.values[f"{label}:asgi miss signatures"] = signatures
            section.checks.append(
                Check(
                    f"2b. login with a new policy through ASGI, {label}, vs hit + hop + raw",
                    f"{fmt_ns(miss.median)} = {fmt_ns(hit.median)} + {fmt_ns(hop.median)} + "
                    f"{fmt_ratio(signatures)} raw signatures ({fmt_ns(raw.median)})",
                    f"≤ {SIGNATURES_GOAL} raw signatures",
                    signatures <= SIGNATURES_GOAL,
                )
            )
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    return section
