"""Load generators for the server benchmarks: asyncio over raw keep-alive HTTP/1.1 sockets.

Run in their own process (``python -m benchmarks._load JSON``) so that the client's work does not
share an interpreter with the server or with another client; the result is printed as JSON.
Every loop is bounded by a count and by time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from ._apps import APP_HOST


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def get(self, path: str, cookie: str | None = None) -> tuple[int, bytes]:
        """One request; the status and the raw response head."""
        lines = [f"GET {path} HTTP/1.1", f"Host: {APP_HOST}"]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status, head

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def stream(
    port: int, cookie: str, interval: float, seconds: float, limit: int
) -> dict[str, Any]:
    """Steady requests to ``/page`` on one connection, one per ``interval``: their latencies."""
    conn = await Connection.open(port)
    latencies: list[float] = []
    start = time.perf_counter()
    next_at = start
    try:
        while time.perf_counter() - start < seconds and len(latencies) < limit:
            t0 = time.perf_counter_ns()
            status, _ = await conn.get("/page", cookie)
            latencies.append((time.perf_counter_ns() - t0) / 1e6)
            if status != 200:
                raise RuntimeError(f"/page answered {status}")
            next_at += interval
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
    finally:
        await conn.close()
    return {"latencies_ms": latencies}


async def storm(
    port: int, concurrency: int, seconds: float, limit: int, tag: str
) -> dict[str, Any]:
    """``concurrency`` connections logging in with prefixes never granted before."""
    done = 0
    issued = 0
    counter = iter(range(limit))
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done, issued
        conn = await Connection.open(port)
        try:
            for i in counter:
                if time.perf_counter() > deadline:
                    break
                status, head = await conn.get(f"/login?p=/storm/{tag}-{i}")
                if status != 200:
                    raise RuntimeError(f"/login answered {status}")
                done += 1
                issued += head.count(b"CloudFront-Signature=")
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"logins": done, "signatures_seen": issued}


async def hammer(
    port: int, cookie: str, concurrency: int, seconds: float, limit: int
) -> dict[str, Any]:
    """As many ``/page`` requests as ``concurrency`` keep-alive connections complete."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        conn = await Connection.open(port)
        try:
            while done < limit and time.perf_counter() < deadline:
                status, _ = await conn.get("/page", cookie)
                if status != 200:
                    raise RuntimeError(f"/page answered {status}")
                done += 1
        finally:
            await conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"requests": done, "seconds": time.perf_counter() - start}


def main() -> None:
    job = json.loads(sys.argv[1])
    kind = job.pop("kind")
    runners: dict[str, Callable[..., Coroutine[Any, Any, dict[str, Any]]]] = {
        "stream": stream,
        "storm": storm,
        "hammer": hammer,
    }
    print(json.dumps(asyncio.run(runners[kind](**job))))


if __name__ == "__main__":
    main()
