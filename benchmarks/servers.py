"""5 and 6: a real server (uvicorn on 127.0.0.1) under a login storm, and its throughput.

5. A steady stream of unrelated requests (``GET /page`` with fresh cookies, one every 5 ms on
   one connection) is timed alone, then again while many concurrent logins each grant a prefix
   never granted before (every one a signature cache miss, RSA-2048). It is done with cfcookies'
   off-loop signing and again with it disabled (``needs_signing`` answering False, so the
   signature is computed on the event loop).
6. Requests per second of ``GET /page`` (steady state: fresh cookies, nothing issued) through
   the bare app and through the app behind the middleware, in alternating rounds.

Server, stream and storm each run in their own process (``benchmarks._server``,
``benchmarks._load``); the machine has few cores, so the client shares them with the server.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from typing import Any

from ._apps import cloudfront_cookies, cookie_header, prefixes
from ._harness import Check, Scale, Section, fmt_ratio, percentile
from ._load import Connection
from ._server import ROOT, Server

STORM_GOAL = 2.0  # p99 of unrelated requests during a storm within 2x of without
THROUGHPUT_GOAL = 0.95  # at least 95% of the bare app's requests per second
STREAM_INTERVAL = 0.005


def spawn(job: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks._load", json.dumps(job)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def collect(process: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    out, _ = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise RuntimeError(f"a load generator failed with exit code {process.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result


def steady_cookie() -> str:
    return cookie_header(cloudfront_cookies(), prefixes(1))


def check_steady(port: int, cookie: str) -> None:
    async def probe() -> bytes:
        conn = await Connection.open(port)
        try:
            status, head = await conn.get("/page", cookie)
        finally:
            await conn.close()
        if status != 200:
            raise RuntimeError(f"/page answered {status}")
        return head

    if b"set-cookie" in asyncio.run(probe()).lower():
        raise RuntimeError("the steady-state request issued cookies")


def stream_job(port: int, cookie: str, seconds: float) -> dict[str, Any]:
    return {
        "kind": "stream",
        "port": port,
        "cookie": cookie,
        "interval": STREAM_INTERVAL,
        "seconds": seconds,
        "limit": 100_000,
    }


def storm_run(mode: str, scale: Scale, cookie: str) -> dict[str, Any]:
    timeout = scale.seconds * 4 + 60
    with Server(mode) as server:
        check_steady(server.port, cookie)
        alone = collect(spawn(stream_job(server.port, cookie, scale.seconds)), timeout)
        storm = spawn(
            {
                "kind": "storm",
                "port": server.port,
                "concurrency": scale.concurrency,
                "seconds": scale.seconds + 0.3,
                "limit": 200_000,
                "tag": uuid.uuid4().hex[:8],
            }
        )
        during = collect(spawn(stream_job(server.port, cookie, scale.seconds)), timeout)
        logins = collect(storm, timeout)
    return {"alone": alone["latencies_ms"], "during": during["latencies_ms"], **logins}


def run_storm(scale: Scale) -> Section:
    section = Section(
        5,
        "Login storm on a real server (uvicorn, 127.0.0.1)",
        f"Latency of unrelated steady-state requests (`GET /page`, one every "
        f"{STREAM_INTERVAL * 1000:.0f} ms on one keep-alive connection, {scale.seconds:g} s) "
        f"alone, then during a storm of {scale.concurrency} concurrent connections logging in "
        f"with prefixes never granted before (each login a signature cache miss, RSA-2048). "
        f"*off-loop*: cfcookies as shipped (a miss is signed in a worker thread); *on the "
        f"loop*: the same with `needs_signing` patched to answer False, so the signature is "
        f"computed on the event loop. Server, stream and storm are three processes.",
        (
            "signing",
            "p50 alone",
            "p99 alone",
            "p50 during storm",
            "p99 during storm",
            "p99 ratio",
            "logins (signatures) in the storm",
        ),
    )
    cookie = steady_cookie()
    for mode, label in (("cf", "off-loop (shipped)"), ("cf-onloop", "on the loop")):
        result = storm_run(mode, scale, cookie)
        alone, during = result["alone"], result["during"]
        p50a, p99a = percentile(alone, 0.5), percentile(alone, 0.99)
        p50d, p99d = percentile(during, 0.5), percentile(during, 0.99)
        ratio = p99d / p99a
        section.rows.append(
            (
                label,
                f"{p50a:.2f} ms",
                f"{p99a:.2f} ms",
                f"{p50d:.2f} ms",
                f"{p99d:.2f} ms",
                fmt_ratio(ratio),
                f"{result['logins']} ({result['signatures_seen']})",
            )
        )
        section.values[f"{mode}:p99_ratio"] = ratio
        section.values[f"{mode}:logins"] = result["logins"]
        section.values[f"{mode}:samples"] = min(len(alone), len(during))
        if mode == "cf":
            section.checks.append(
                Check(
                    "5. p99 of unrelated requests during a login storm vs without",
                    f"{p99d:.2f} ms vs {p99a:.2f} ms = {fmt_ratio(ratio)}",
                    f"≤ {STORM_GOAL:g}x",
                    ratio <= STORM_GOAL,
                )
            )
    return section


def run_throughput(scale: Scale) -> Section:
    section = Section(
        6,
        "Throughput of a real server, steady state (uvicorn, 127.0.0.1)",
        f"Requests per second of `GET /page` with fresh cookies (nothing issued) over "
        f"{scale.concurrency} keep-alive connections from one asyncio client process, "
        f"{scale.seconds:g} s per round, the bare Starlette app and the same app behind "
        f"cfcookies' middleware in alternating rounds (both servers up throughout). The "
        f"client shares the machine's cores with the server, so both figures are lower than "
        f"the server alone could do; the ratio is what is compared.",
        ("app", "requests/s: median (min–max)", "vs bare"),
    )
    cookie = steady_cookie()
    rounds = max(2, scale.rounds // 3)
    rates: dict[str, list[float]] = {"bare": [], "cf": []}
    timeout = scale.seconds * 4 + 60
    with Server("bare") as bare, Server("cf") as cf:
        check_steady(cf.port, cookie)
        for _ in range(rounds):
            for name, server in (("bare", bare), ("cf", cf)):
                result = collect(
                    spawn(
                        {
                            "kind": "hammer",
                            "port": server.port,
                            "cookie": cookie,
                            "concurrency": scale.concurrency,
                            "seconds": scale.seconds,
                            "limit": 10_000_000,
                        }
                    ),
                    timeout,
                )
                rates[name].append(result["requests"] / result["seconds"])
    import statistics

    medians = {name: statistics.median(values) for name, values in rates.items()}
    ratio = medians["cf"] / medians["bare"]
    for name, label in (("bare", "bare Starlette app"), ("cf", "behind cfcookies")):
        values = rates[name]
        section.rows.append(
            (
                label,
                f"{medians[name]:,.0f} ({min(values):,.0f}–{max(values):,.0f})",
                "1x" if name == "bare" else f"{ratio:.1%}",
            )
        )
        section.values[f"{name}:rps"] = medians[name]
    section.values["ratio"] = ratio
    section.checks.append(
        Check(
            "6. server throughput with the middleware vs bare (steady state)",
            f"{ratio:.1%}",
            f"≥ {THROUGHPUT_GOAL:.0%}",
            ratio >= THROUGHPUT_GOAL,
        )
    )
    return section
