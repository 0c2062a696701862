"""Run every benchmark and write BENCHMARKS.md.

``python -m benchmarks.run [--quick] [--output BENCHMARKS.md] [--only steady,login,...]
[--soak-seconds 300] [--skip-soak]``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from . import asgi_login, aws, growth, login, servers, soak, steady, streaming
from ._harness import Scale, Section
from .report import render

BENCHMARKS: dict[str, Callable[[Scale], Section]] = {
    "steady": steady.run,
    "login": login.run,
    "asgi_login": asgi_login.run,
    "aws": aws.run,
    "storm": servers.run_storm,
    "throughput": servers.run_throughput,
    "growth": growth.run,
    "streaming": streaming.run,
    "soak": soak.run,
}

#: Why a goal is missed and what would close it, by the start of the figure's name (from the
#: profiles taken for issue 6; see BENCHMARKS.md).
MISSES = {
    "ASGI steady-state overhead": (
        "a steady request now costs: one pass over the headers, the state cookie found in the "
        "`Cookie` header, one dictionary hit (`CloudFrontCookies.settled`), the clock, and the "
        "per-request `send` closure; with a `grants` callable also the callable itself "
        "(starlette's `Request` built for it) and an await. Around a fifth of "
        "`SessionMiddleware`'s cost, on either side of the goal from run to run on this noisy "
        "machine (the spread column shows it). Closing it further means doing less per request "
        "than reading one cookie: keying the cache on the whole `Cookie` header would skip that, "
        "but an app whose session cookie changes on every response would then never hit it."
    ),
    "WSGI steady-state overhead": (
        "the same path as ASGI, measured against a WSGI session middleware written for this "
        "benchmark, which is cheaper than Starlette's (no Starlette `Request`/`Headers`), so "
        "the same cfcookies cost is a larger fraction of it."
    ),
    "2. login with a new policy, RSA": (
        "a miss does a hit's work (95K instructions under callgrind, from 154K), the policy "
        "JSON and its base64, the signature and three `Set-Cookie` lines formatted without "
        "per-value checks: about 170K instructions beside the signature, some 30 µs. The rest "
        "is the signature itself running slower between Python work than in a loop of "
        "signatures: a raw RSA signature and a cached login interleaved cost 0.2 ms more than "
        "the two timed apart, "
        "so no change to the Python around it closes the last tenth."
    ),
    "2. login with a new policy, ECDSA": (
        "an ECDSA P-256 signature costs about a twentieth of an RSA one, so the same per-login "
        "work (above) is several times the signature; 1.15x would need the rest of a login to "
        "cost under a sixth of a 40 µs signature, which no Python login path does."
    ),
    "3. login with an already signed policy": (
        "a hit is a grant (with the session's limits checked), a plan and the state cookie; "
        "the CloudFront `Set-Cookie` lines are reused whole, logins in the same second share "
        "the state line. It now runs 95K instructions (callgrind, from 154K): State and Policy "
        "store their fields directly, the limits are decided by arithmetic, grant()'s check is "
        "not repeated by the plan. Timed between misses and raw signatures, with caches they "
        "left cold, it costs about twice what it costs in a loop of hits (17-20 µs): 50x "
        "would need it under a fiftieth of a miss, about 20 µs here, in those conditions. "
        "For ECDSA 50x is out of reach by construction (a hit would have to cost a fiftieth "
        "of a 40 µs signature)."
    ),
    "2b. login with a new policy through ASGI": (
        "with RSA the miss is rendered in a worker thread: the hop measured alone (an empty "
        "function through the same limiter) is 150-350 µs on this shared 2-core machine, and "
        "the signature runs slower there too, between the thread's own Python work (see 2). "
        "An ECDSA signature is now computed on the loop, since the hop costs more than it."
    ),
    "5. p99 of unrelated requests": (
        "with off-loop signing capped at cores-1 threads (one here), the storm's signatures "
        "use one core and the event loop keeps the other, but the storm client and the "
        "stream client run on the same two cores as the server, so the unrelated requests "
        "still wait for a core now and then. Measured on the loop the ratio is about ten times "
        "worse (table). A machine with a core to spare for the load generators would show "
        "the server's own figure."
    ),
    "8. soak: server RSS growth": (
        "the soak's notes show what grows. Once the bounded caches are full, Python's own "
        "memory (allocated blocks) only rises and falls as the caches that are cleared when full "
        "refill, and glibc's bytes in use stay level; in the run examined, most of what the RSS "
        "still gained was free memory glibc kept in its arenas (its kept-free figure grew by "
        "1.3 of the 1.5 MiB, and `malloc_trim(0)` at the end gave 1.4 MiB back): allocator "
        "retention, not a leak. Five-minute runs of this soak have measured +0.4 to +1.2 "
        "MiB/min, so the goal can fall either way from run to run. A longer soak "
        "(`--soak-seconds 900`) would tell whether glibc's retention levels off too; "
        "`MALLOC_ARENA_MAX=2`, which many Python deployments set, limits it."
    ),
    "6. server throughput": (
        "one asyncio client process shares the two cores with the server, so the figures "
        "are client-bound and noisy (this figure has been both above and below 95% from run "
        "to run); run the client on another machine or with more cores."
    ),
}


#: What cProfile showed on the steady-state path and on a login, and what was changed.
PROFILE = """\
Profiled with cProfile (`benchmarks/steady.py` and `benchmarks/login.py` candidates under
`cProfile.Profile`, 2,000-20,000 calls), in two rounds:

- Round 1, steady state: every cookie of the header parsed into a dict to read one, a
  per-character host check, a warning string formatted on every request, a `datetime` from
  the clock, starlette's `Headers` built to read two headers; with a `grants` callable,
  `normalize_prefix` (a `quote()` per character) on every request. Fixed: one cookie read,
  regexes for host and path, the warning only when warning, `time.time_ns()`, bounded caches
  for normalised prefixes and resources, one pass over the ASGI headers.
- Round 2, steady state: `plan()` itself. Fixed: `CloudFrontCookies.settled()` remembers, per
  state cookie, host and `grants` answer, until when nothing is due (renewal time, session
  cap) and for which signing key, so a fresh browser costs a dictionary hit; in ASGI without
  an await; `RequestInfo` is a named tuple.
- Round 2, login: itsdangerous' `dumps` (key derivation, HMAC set-up, zlib, JSON) was half of
  a hit; `normalize_prefix` ran three times per new prefix with `quote()` per character; the
  policy JSON went through `json.dumps`; every hit re-formatted three identical cookies.
  Fixed: the state cookie is written in the serializer's own format with a prepared HMAC and no
  zlib (read back by itsdangerous itself), the `Set-Cookie` lines of a signed policy are reused
  whole, logins in the same second share the state line, normalised prefixes and plain path
  segments are returned at once, the policy JSON is written directly when nothing needs
  escaping. Each fast path is tested equal to its slow path (`tests/test_fast_paths.py`).
- Login storm: anyio's default thread limiter let 40 signing threads compete with the event
  loop for two cores. Fixed: off-loop signing is capped at `signing_threads` (cores - 1).
- Before/after in the same kind of run: steady-state added cost vs SessionMiddleware 0.53 ->
  about 0.19 (ASGI); hit/miss for RSA 9.4x -> about 30x; storm p99 ratio 7.7x -> 2.5-2.7x.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny counts (seconds, not minutes)")
    parser.add_argument("--output", help="write the report here (e.g. BENCHMARKS.md)")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument(
        "--soak-seconds",
        type=float,
        help=f"how long the soak runs (default {soak.SECONDS:g}, {soak.QUICK_SECONDS:g} with "
        f"--quick; at least 3)",
    )
    parser.add_argument("--skip-soak", action="store_true", help="leave the soak out")
    args = parser.parse_args(argv)
    names = list(BENCHMARKS) if not args.only else [n.strip() for n in args.only.split(",")]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if args.skip_soak:
        names = [n for n in names if n != "soak"]
    if not names:
        parser.error("nothing to run")
    soak_seconds = args.soak_seconds
    if soak_seconds is None:
        soak_seconds = soak.QUICK_SECONDS if args.quick else soak.SECONDS
    if soak_seconds < 3:
        parser.error("--soak-seconds must be at least 3")
    scale = Scale.quick() if args.quick else Scale()
    sections = []
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
        if name == "soak":
            sections.append(soak.run(scale, seconds=soak_seconds))
        else:
            sections.append(BENCHMARKS[name](scale))
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python -m benchmarks.run", *given])
    text = render(sections, command=command, quick=args.quick, misses=MISSES, profile=PROFILE)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
