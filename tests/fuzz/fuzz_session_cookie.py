"""Fuzz target: the revocation session cookie check (``cfcookies.revocation``).

Invariants: raises only ``SessionCookieError`` subclasses; accepts only values the app minted.
"""

from __future__ import annotations

from cfcookies.revocation import SessionCookieError, check_session_cookie
from tests.fuzz._support import BOUND_POLICY, NOW, Provider, material


def _value(p: Provider) -> str:
    m = material()
    mode = p.choice(3)
    if mode == 0:
        return p.rest().decode("latin-1")
    genuine = m.session_cookies[p.choice(len(m.session_cookies))]
    if mode == 1:
        at = p.byte() % (len(genuine) + 1)
        return genuine[:at] + p.text() + genuine[at + p.choice(3) :]
    fields = genuine.split(".")
    fields[p.choice(len(fields))] = p.text()
    return ".".join(fields)


SEEDS = tuple(bytes([mode, which, 17]) + b"a.b\x00\x01" for mode in range(3) for which in (0, 1))


def TestOneInput(data: bytes) -> None:
    m = material()
    p = Provider(data)
    value = _value(p)
    try:
        token = check_session_cookie(
            {"CloudFront-Session": value, "CloudFront-Policy": BOUND_POLICY},
            secrets=m.session_secrets,
            now=NOW,
        )
    except SessionCookieError:
        return
    assert value in m.session_cookies, value
    assert token.expires > NOW


def main() -> None:
    from tests.fuzz._support import run

    run(TestOneInput, SEEDS)


if __name__ == "__main__":
    main()
