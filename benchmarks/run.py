"""Run every benchmark and write BENCHMARKS.md.

``python -m benchmarks.run [--quick] [--output BENCHMARKS.md] [--only steady,login,...]``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from . import aws, growth, login, servers, steady
from ._harness import Scale, Section
from .report import render

BENCHMARKS: dict[str, Callable[[Scale], Section]] = {
    "steady": steady.run,
    "login": login.run,
    "aws": aws.run,
    "storm": servers.run_storm,
    "throughput": servers.run_throughput,
    "growth": growth.run,
}

#: Why a goal is missed and what would close it, by the start of the figure's name (from the
#: profiles taken for issue 6; see BENCHMARKS.md).
MISSES = {
    "ASGI steady-state overhead": (
        "after the fixes below, a steady request costs about a dozen Python calls (read one "
        "cookie, check the host, build the frozen `RequestInfo`, look the state up under a "
        "lock, read the clock, compare in `plan()`; in ASGI also the per-request `send` "
        "closure and two awaits), while Starlette 1.x's `SessionMiddleware` only adds an "
        "HMAC check, base64 and JSON when the session is not modified. Closing the gap needs "
        "a quiet fast path: cache, per state-cookie value and host, the time until which "
        '`plan()` answers "nothing to do" (the renewal time), and skip `plan()` before it; '
        "not done here because `plan()` was being rewritten for revocation at the same time."
    ),
    "WSGI steady-state overhead": "as for ASGI above (same core path).",
    "2. login with a new policy, RSA": (
        "the fixed cost of a login beside the signature: the new prefix is percent-encoded "
        "character by character by `policy.normalize_prefix` (`quote()` per character; two "
        "calls per new prefix after the fix), the policy JSON, three `Set-Cookie` values and "
        "the state cookie (itsdangerous derives its key, HMACs, tries zlib and JSON-encodes "
        "on every `dumps`). A fast path in `policy._encode_segment` (a segment of only "
        "unreserved characters is returned as is) and a state-cookie signer with a "
        "precomputed HMAC key would close most of it; `policy.py` is outside this issue's "
        "files."
    ),
    "2. login with a new policy, ECDSA": (
        "an ECDSA P-256 signature costs about a tenth of an RSA one, so the same fixed "
        "per-login cost (above) is several times the signature; 1.15x would need the rest of "
        "a login to cost under a sixth of a signature."
    ),
    "3. login with an already signed policy": (
        "a hit still renders a login: three `Set-Cookie` values and a state cookie that is "
        "unique per session (so it cannot be cached), signed by itsdangerous (key derivation, "
        "HMAC, zlib attempt, JSON). That per-login floor is what the miss/hit ratio divides "
        "by; for ECDSA 50x is out of reach by construction (a hit would have to cost a "
        "fiftieth of a 30 µs signature). The state-cookie signer above would raise the RSA "
        "ratio."
    ),
    "5. p99 of unrelated requests": (
        "the storm saturates the CPU: on a 2-core machine the server's signing threads "
        "(anyio's default limiter allows 40), the storm client and the stream client share "
        "two cores, so the steady requests wait for a core, not for the event loop "
        "(`cryptography` releases the GIL while signing: a Python thread keeps ~86% of its "
        "pace beside a signing thread). Off-loop signing still beats signing on the loop "
        "(see the table). Closing it: cap concurrent off-loop signings with a "
        "`CapacityLimiter` of cores-1 so a core stays free for the loop, and measure on a "
        "machine with a core to spare for the client."
    ),
    "6. server throughput": (
        "one asyncio client process shares the two cores with the server, so the figures "
        "are client-bound and noisy; run the client on another machine or with more cores."
    ),
}


#: What cProfile showed on the steady-state path and on a login, and what was changed.
PROFILE = """\
Profiled with cProfile (`benchmarks/steady.py` and `benchmarks/login.py` candidates under
`cProfile.Profile`, 2,000-5,000 calls) before these figures were taken:

- Steady state: the top self-time entries were `cookies.parse_cookie_pairs` (every cookie of
  the header parsed with a regex into a dict, to read one), `session.host_from_header`'s
  per-character generator, the warning text `host_allowed` formatted on every request, the
  `datetime` the system clock builds, and in ASGI starlette's `Headers` built to read two
  headers. With a `grants` callable, `policy.normalize_prefix` (a `quote()` call per
  character) ran on every request for every granted prefix.
- Login: `normalize_prefix` ran three times per new prefix (grant, merge, resource), about as
  long as an ECDSA signature; then itsdangerous' `dumps` of the state cookie (key derivation,
  HMAC, zlib, JSON) and `dump_cookie`'s per-character path check.
- Fixed (same decisions, same headers; commits "cookies: ...", "session: ...", "asgi: ..."):
  `cookies.cookie_value()` reads one cookie; one regex for the host and for the cookie path;
  the warning text only when warning; `time.time_ns()` for the system clock; bounded LRU caches
  for normalised prefixes and their resources; one pass over the ASGI headers. Measured in the
  same run before/after: added steady-state cost vs SessionMiddleware 0.53 -> 0.32-0.38 (ASGI),
  0.57-0.61 -> 0.34-0.35 (WSGI); with a grants callable 1.5 -> 0.43-0.49 (ASGI),
  1.3-2.1 -> 0.38-0.56 (WSGI).
- Not changed (outside the files of this issue, or in code being rewritten at the same time):
  `policy.normalize_prefix` for a prefix seen for the first time (still about 40% of the time
  of an ECDSA login with a new prefix: `quote()` per character, about 40 calls per login), the
  state cookie's itsdangerous signing, and a quiet fast path before `plan()`; see the missed
  goals.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny counts (seconds, not minutes)")
    parser.add_argument("--output", help="write the report here (e.g. BENCHMARKS.md)")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    names = list(BENCHMARKS) if not args.only else [n.strip() for n in args.only.split(",")]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    scale = Scale.quick() if args.quick else Scale()
    sections = []
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
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
