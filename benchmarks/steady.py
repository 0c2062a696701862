"""1. Steady-state overhead per request, in-process, ASGI and WSGI (and 7: by prefixes held).

A logged-in browser sends the app's session cookie and cfcookies' state cookie; its CloudFront
cookies are fresh, so nothing is issued. Each app is called directly (ASGI with a prepared
scope, WSGI with a prepared environ). What a middleware *adds* is its median minus the bare
app's median from the same interleaved rounds.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware.sessions import SessionMiddleware

from cfcookies.asgi import CloudFrontCookieMiddleware as AsgiCookies
from cfcookies.wsgi import CloudFrontCookieMiddleware as WsgiCookies

from ._apps import (
    SESSION_SECRET,
    AsgiDriver,
    WsgiDriver,
    WsgiSessionMiddleware,
    asgi_scope,
    bare_asgi,
    bare_wsgi,
    cloudfront_cookies,
    cookie_header,
    prefixes,
    set_cookies_of,
    wsgi_environ,
)
from ._harness import Check, Scale, Section, Timing, fmt_ns, fmt_ratio, interleaved

GOAL = 0.2  # cfcookies adds less than a fifth of what SessionMiddleware adds


def _added(timings: dict[str, Timing], name: str, base: str = "bare") -> float:
    return timings[name].median - timings[base].median


def asgi_candidates(granted: list[str]) -> dict[str, AsgiDriver]:
    cookies = cloudfront_cookies()
    header = cookie_header(cookies, granted)
    declarative = cloudfront_cookies(grants=lambda request: granted)
    scope = asgi_scope(header)
    return {
        "bare": AsgiDriver(bare_asgi, scope),
        "cfcookies": AsgiDriver(AsgiCookies(bare_asgi, cookies=cookies), scope),
        "cfcookies (grants callable)": AsgiDriver(
            AsgiCookies(bare_asgi, cookies=declarative), scope
        ),
        "SessionMiddleware": AsgiDriver(
            SessionMiddleware(bare_asgi, secret_key=SESSION_SECRET, https_only=True), scope
        ),
    }


def wsgi_candidates(granted: list[str]) -> dict[str, WsgiDriver]:
    cookies = cloudfront_cookies()
    header = cookie_header(cookies, granted)
    declarative = cloudfront_cookies(grants=lambda environ: granted)
    environ = wsgi_environ(header)
    return {
        "bare": WsgiDriver(bare_wsgi, environ),
        "cfcookies": WsgiDriver(WsgiCookies(bare_wsgi, cookies=cookies), environ),
        "cfcookies (grants callable)": WsgiDriver(
            WsgiCookies(bare_wsgi, cookies=declarative), environ
        ),
        "session middleware (WSGI twin of Starlette's)": WsgiDriver(
            WsgiSessionMiddleware(bare_wsgi, SESSION_SECRET), environ
        ),
    }


def _sane_asgi(drivers: dict[str, AsgiDriver]) -> None:
    for name, driver in drivers.items():
        messages = driver.once()
        if messages[0].get("status") != 200:
            raise RuntimeError(f"{name}: the app did not answer 200")
        if name.startswith("cfcookies") and set_cookies_of(messages):
            raise RuntimeError(f"{name}: steady state issued cookies: {set_cookies_of(messages)}")


def _sane_wsgi(drivers: dict[str, WsgiDriver]) -> None:
    for name, driver in drivers.items():
        headers = driver.once()
        if name.startswith("cfcookies") and any(k == "Set-Cookie" for k, _ in headers):
            raise RuntimeError(f"{name}: steady state issued cookies")


def measure(scale: Scale, granted: list[str]) -> dict[str, dict[str, Timing]]:
    asgi = asgi_candidates(granted)
    wsgi = wsgi_candidates(granted)
    _sane_asgi(asgi)
    _sane_wsgi(wsgi)
    try:
        return {
            "ASGI": interleaved(dict(asgi), rounds=scale.rounds, number=scale.number),
            "WSGI": interleaved(dict(wsgi), rounds=scale.rounds, number=scale.number),
        }
    finally:
        for driver in asgi.values():
            driver.close()


def run(scale: Scale) -> Section:
    section = Section(
        1,
        "Steady-state overhead per request (in-process)",
        "A logged-in request with fresh CloudFront cookies (one prefix; nothing to issue), "
        "called in-process: ASGI with a prepared scope/receive/send, WSGI with a prepared "
        "environ. The Cookie header carries both the app's session cookie and cfcookies' "
        "state cookie, the same for every candidate. *Added* is the candidate's median minus "
        "the bare app's median from the same interleaved rounds. ASGI is compared with "
        "Starlette's `SessionMiddleware`; WSGI with `benchmarks._apps.WsgiSessionMiddleware`, "
        "a WSGI twin of it written for this benchmark (itsdangerous `TimestampSigner`, "
        "base64 JSON, written back only when modified).",
        ("protocol", "candidate", "per request: median (min–max)", "added", "added vs session"),
    )
    results = measure(scale, prefixes(1))
    for protocol, timings in results.items():
        session_name = next(n for n in timings if n.startswith(("Session", "session")))
        session_added = _added(timings, session_name)
        for name, timing in timings.items():
            added = _added(timings, name) if name != "bare" else 0.0
            ratio = added / session_added if session_added > 0 else float("inf")
            section.rows.append(
                (
                    protocol,
                    name,
                    timing.cell(),
                    "—" if name == "bare" else fmt_ns(added),
                    fmt_ratio(ratio) if name.startswith("cfcookies") else "—",
                )
            )
            section.values[f"{protocol}:{name}"] = timing.median
            if name.startswith("cfcookies"):
                section.values[f"{protocol}:{name}:ratio"] = ratio
                section.checks.append(
                    Check(
                        f"{protocol} steady-state overhead, {name}, vs {session_name}",
                        f"{fmt_ns(added)} vs {fmt_ns(session_added)} = {fmt_ratio(ratio)}",
                        f"< {GOAL}x",
                        ratio < GOAL,
                    )
                )
    return section


def growth(scale: Scale, counts: tuple[int, ...] = (1, 5, 20)) -> dict[int, dict[str, Any]]:
    """Steady-state added cost (ASGI and WSGI) with ``count`` prefixes held by the session."""
    out: dict[int, dict[str, Any]] = {}
    for count in counts:
        asgi = asgi_candidates(prefixes(count))
        wsgi = wsgi_candidates(prefixes(count))
        _sane_asgi(asgi)
        _sane_wsgi(wsgi)
        try:
            a = interleaved(
                {"bare": asgi["bare"], "cfcookies": asgi["cfcookies"]},
                rounds=scale.rounds,
                number=scale.number,
            )
            w = interleaved(
                {"bare": wsgi["bare"], "cfcookies": wsgi["cfcookies"]},
                rounds=scale.rounds,
                number=scale.number,
            )
        finally:
            for driver in asgi.values():
                driver.close()
        out[count] = {"ASGI": _added(a, "cfcookies"), "WSGI": _added(w, "cfcookies")}
    return out
