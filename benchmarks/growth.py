"""7. Growth: cost by prefixes per session, and the memory of a full signature cache."""

from __future__ import annotations

import gc
import tracemalloc

from cfcookies.keys import SigningKey
from cfcookies.policy import Policy, prefix_resource
from cfcookies.signing import Signer

from . import login, steady
from ._apps import KEY_PAIR_ID, MEDIA_URL, key
from ._harness import Scale, Section, fmt_ns, fmt_ratio

COUNTS = (1, 5, 20)


def cache_memory(entries: int, kind: str = "rsa") -> dict[str, float]:
    """Bytes held by a Signer whose cache is filled to ``cache_size`` with distinct policies."""
    signer = Signer(SigningKey(KEY_PAIR_ID, key(kind)), cache_size=entries)
    signer.signature(b"{}")  # warm any lazily created state before measuring
    signer.clear_cache()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(entries + 1):  # one more than fits: the bound evicts the oldest
            policy = Policy(prefix_resource(MEDIA_URL, f"/videos/m-{i}"), 2_000_000_000)
            signer.signature(policy.to_json())
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    held = signer.cache_len()
    if held != entries:
        raise RuntimeError(f"the cache holds {held} entries, not {entries}")
    total = after - before
    return {"entries": held, "total": total, "per_entry": total / held}


def run(scale: Scale) -> Section:
    section = Section(
        7,
        "Growth: prefixes per session, and the signature cache at its bound",
        "Steady-state added cost per request (in-process, as in 1) with 1, 5 and 20 prefixes "
        "held by the session; login cost (as in 2, RSA-2048) granting 1, 5 and 20 prefixes at "
        "once (one policy, one signature and three cookies per prefix). The cache memory is "
        "what tracemalloc sees allocated while a `Signer` fills its cache to `cache_size` "
        "with distinct policies (RSA-2048 signatures, 344 characters each), divided by the "
        "entries held.",
        (
            "prefixes",
            "steady ASGI added",
            "steady WSGI added",
            "login miss",
            "raw signatures",
            "miss / raw",
            "login hit",
            "miss / hit",
        ),
    )
    steady_costs = steady.growth(scale, COUNTS)
    login_costs = login.growth(scale, COUNTS)
    for count in COUNTS:
        s, lg = steady_costs[count], login_costs[count]
        section.rows.append(
            (
                str(count),
                fmt_ns(s["ASGI"]),
                fmt_ns(s["WSGI"]),
                fmt_ns(lg["miss"]),
                fmt_ns(lg["raw"]),
                fmt_ratio(lg["miss"] / lg["raw"]),
                fmt_ns(lg["hit"]),
                fmt_ratio(lg["miss"] / lg["hit"]),
            )
        )
        section.values[f"{count}:steady_asgi"] = s["ASGI"]
        section.values[f"{count}:login_miss"] = lg["miss"]
    memory = cache_memory(scale.cache_entries)
    section.values.update({f"cache:{k}": v for k, v in memory.items()})
    section.notes.append(
        f"Signature cache at its bound: {memory['entries']:,.0f} entries hold "
        f"{memory['total'] / 1024:,.0f} KiB, {memory['per_entry']:,.0f} bytes per entry "
        f"(key tuple, policy JSON bytes, CloudFront-base64 signature, ordered-dict slot)."
    )
    return section
