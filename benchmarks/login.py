"""2, 3 and 7: what a login costs, signing a new policy (a miss) or reusing one (a hit).

A login is one request whose view called ``grant(request, prefix)`` (which checks what the
session can hold, as it does behind the middleware), then the middleware's decision
(:meth:`CloudFrontCookies.plan`) and the rendering of every ``Set-Cookie`` value
(:meth:`CloudFrontCookies.render`: signing or the signature cache, the CloudFront cookies and the
state cookie). A miss grants a prefix no session had before; a hit grants the same prefix in the
same expiry window as an earlier login. The floor is one raw ``cryptography`` signature of the
same policy bytes, as AWS's CloudFront expects it (PKCS#1 v1.5 / ECDSA, SHA-1).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from cfcookies.grants import MIDDLEWARE_KEY
from cfcookies.keys import PrivateKey
from cfcookies.policy import Policy, prefix_resource
from cfcookies.session import CloudFrontCookies, grant

from ._apps import MEDIA_URL, cloudfront_cookies, key, key_label, login_info
from ._harness import Check, Scale, Section, fmt_ns, fmt_ratio, interleaved

MISS_GOAL = 1.15  # a miss costs at most 1.15 raw signatures
HIT_GOAL = 50.0  # a hit is at least 50 times cheaper than a miss

_serial = itertools.count()


def raw_sign(private_key: PrivateKey) -> Callable[[bytes], bytes]:
    if isinstance(private_key, rsa.RSAPrivateKey):
        rsa_key, pad, algorithm = private_key, padding.PKCS1v15(), hashes.SHA1()  # noqa: S303
        return lambda message: rsa_key.sign(message, pad, algorithm)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        # the hash the middleware uses with an ECDSA key (see signing.default_hash_algorithm)
        ec_key, ecdsa = private_key, ec.ECDSA(hashes.SHA256())
        return lambda message: ec_key.sign(message, ecdsa)
    raise TypeError(type(private_key).__name__)  # pragma: no cover


def fresh_prefixes(count: int) -> list[str]:
    """``count`` prefixes never granted before in this process."""
    return [f"/videos/new-{next(_serial)}" for _ in range(count)]


def login(cookies: CloudFrontCookies, granted: list[str]) -> tuple[str, ...]:
    """One login granting ``granted``; the ``Set-Cookie`` values it renders."""
    # as in the middleware: grant() finds it and checks what the session can hold
    scope: dict[str, Any] = {"type": "http", MIDDLEWARE_KEY: cookies}
    grant(scope, *granted)
    plan = cookies.plan(login_info(), actions=scope["cfcookies.actions"])
    return cookies.render(plan).set_cookie


def miss_runner(cookies: CloudFrontCookies, per_login: int) -> Callable[[int], float]:
    def run(number: int) -> float:
        batches = [fresh_prefixes(per_login) for _ in range(number)]
        clock = time.perf_counter_ns
        start = clock()
        for granted in batches:
            login(cookies, granted)
        return (clock() - start) / number

    return run


def hit_runner(cookies: CloudFrontCookies, per_login: int) -> Callable[[int], float]:
    granted = fresh_prefixes(per_login)
    login(cookies, granted)  # the first login signs; every later one in the window hits

    def run(number: int) -> float:
        clock = time.perf_counter_ns
        start = clock()
        for _ in range(number):
            login(cookies, granted)
        return (clock() - start) / number

    return run


def floor_runner(
    private_key: PrivateKey, cookies: CloudFrontCookies, per_login: int
) -> Callable[[int], float]:
    sign = raw_sign(private_key)
    expires = cookies.expiry_for(cookies.now())

    def messages(number: int) -> Iterator[list[bytes]]:
        for _ in range(number):
            yield [
                Policy(prefix_resource(MEDIA_URL, p), expires).to_json()
                for p in fresh_prefixes(per_login)
            ]

    def run(number: int) -> float:
        batches = list(messages(number))
        clock = time.perf_counter_ns
        start = clock()
        for batch in batches:
            for message in batch:
                sign(message)
        return (clock() - start) / number

    return run


def interleaved_runner(
    private_key: PrivateKey, cookies: CloudFrontCookies, per_login: int
) -> Callable[[int], float]:
    """A raw signature of a new policy, then a cached login, in turn: what a miss would cost
    if its work beside the signature were a hit's and the two did not slow each other."""
    floor = floor_runner(private_key, cookies, per_login)
    granted = fresh_prefixes(per_login)
    login(cookies, granted)

    def run(number: int) -> float:
        total = 0.0
        for _ in range(number):
            total += floor(1)
            clock = time.perf_counter_ns
            start = clock()
            login(cookies, granted)
            total += clock() - start
        return total / number

    return run


def measure(kind: str, scale: Scale, per_login: int = 1) -> dict[str, Any]:
    private_key = key(kind)
    cookies = cloudfront_cookies(private_key, signature_cache_size=1_000_000)
    misses_before = cookies.signer.misses
    timings = interleaved(
        {
            "raw signature": floor_runner(private_key, cookies, per_login),
            "login, miss": miss_runner(cookies, per_login),
            "login, hit": hit_runner(cookies, per_login),
            "raw + hit, in turn": interleaved_runner(private_key, cookies, per_login),
        },
        rounds=scale.rounds,
        number=max(1, scale.sign_number // per_login),
    )
    signed = cookies.signer.misses - misses_before
    if signed == 0 or cookies.signer.hits == 0:
        raise RuntimeError("the login benchmark produced no misses or no hits")
    return {"label": key_label(private_key), "timings": timings}


def run(scale: Scale) -> Section:
    section = Section(
        2,
        "Login cost: a new policy (cache miss) and an already signed one (cache hit)",
        "One login = `grant(request, prefix)` in the view, then the middleware's `plan()` "
        "and `render()` (signature or cache, three CloudFront cookies, the state cookie), "
        "in-process and without HTTP. *Miss*: a prefix never granted before. *Hit*: the same "
        "prefix in the same expiry window (another session's login, the common case). "
        "*Raw signature*: one `cryptography` signature of the same policy bytes, the floor. "
        "*Raw + hit, in turn*: a raw signature of a new policy, then a cached login, "
        "alternately: what a miss would cost if its work beside the signature were a hit's "
        "and the two did not slow each other (timed apart they cost raw + hit).",
        (
            "key",
            "raw signature",
            "login, miss",
            "miss / raw",
            "login, hit",
            "miss / hit",
            "raw + hit, in turn",
        ),
    )
    for kind in ("rsa", "ecdsa"):
        result = measure(kind, scale)
        t = result["timings"]
        raw, miss, hit = t["raw signature"], t["login, miss"], t["login, hit"]
        miss_ratio = miss.median / raw.median
        hit_ratio = miss.median / hit.median
        label = result["label"]
        section.rows.append(
            (
                label,
                raw.cell(),
                miss.cell(),
                fmt_ratio(miss_ratio),
                hit.cell(),
                fmt_ratio(hit_ratio),
                t["raw + hit, in turn"].cell(),
            )
        )
        section.values[f"{label}:miss/raw"] = miss_ratio
        section.values[f"{label}:miss/hit"] = hit_ratio
        section.checks.append(
            Check(
                f"2. login with a new policy, {label}, vs one raw signature",
                f"{fmt_ns(miss.median)} vs {fmt_ns(raw.median)} = {fmt_ratio(miss_ratio)}",
                f"≤ {MISS_GOAL}x",
                miss_ratio <= MISS_GOAL,
            )
        )
        section.checks.append(
            Check(
                f"3. login with an already signed policy, {label}, vs a miss",
                f"{fmt_ns(hit.median)}, {fmt_ratio(hit_ratio)} cheaper",
                f"≥ {HIT_GOAL:.0f}x cheaper",
                hit_ratio >= HIT_GOAL,
            )
        )
    return section


def growth(scale: Scale, counts: tuple[int, ...] = (1, 5, 20)) -> dict[int, dict[str, float]]:
    """Login cost (RSA) as the prefixes granted at once go 1, 5, 20."""
    out: dict[int, dict[str, float]] = {}
    for count in counts:
        t = measure("rsa", scale, per_login=count)["timings"]
        out[count] = {
            "miss": t["login, miss"].median,
            "hit": t["login, hit"].median,
            "raw": t["raw signature"].median,
        }
    return out
