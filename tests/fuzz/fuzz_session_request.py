"""Fuzz target: the edge's session check of a whole request (``check_session_request``).

A request signed by query carries its session token in the query, bound to the query's
``Policy``; any other request is judged by its cookies. Invariants: raises only
``SessionCookieError`` subclasses; accepts only a token the app minted, for the policy it was
bound to, unexpired; a request signed by query is never let through on its cookies.
"""

from __future__ import annotations

from urllib.parse import quote

from cfcookies.revocation import (
    SessionCookieError,
    SessionToken,
    check_session_request,
    verify_session_cookie,
)
from tests.fuzz._support import BOUND_POLICY, NOW, Provider, material

_SIGNING = ("Policy", "Signature", "Key-Pair-Id", "Expires")


def _minted() -> set[SessionToken]:
    m = material()
    return {
        verify_session_cookie(value, secrets=m.session_secrets, policy=BOUND_POLICY, now=NOW)
        for value in m.session_cookies
    }


def _genuine_fields(p: Provider) -> list[list[str]]:
    m = material()
    token = m.session_cookies[p.choice(len(m.session_cookies))]
    return [
        ["Policy", BOUND_POLICY],
        ["Signature", "c2lnbmF0dXJl"],
        ["Key-Pair-Id", "KFUZZTARGET1"],
        ["CloudFront-Session", token],
    ]


def _query(p: Provider) -> str | None:
    mode = p.choice(5)
    if mode == 0:
        return None
    if mode == 1:
        return p.rest().decode("latin-1")
    fields = _genuine_fields(p)
    if mode == 2:  # one field's value changed
        fields[p.choice(len(fields))][1] = p.text()
    elif mode == 3:  # a field dropped, repeated or renamed
        which = p.choice(len(fields))
        action = p.choice(3)
        if action == 0:
            del fields[which]
        elif action == 1:
            fields.insert(p.choice(len(fields) + 1), [fields[which][0], p.text()])
        else:
            fields[which][0] = p.text()
    else:  # values percent-encoded, some characters or all
        for field in fields:
            if p.choice(2):
                field[1] = quote(field[1], safe=p.text())
    query = "&".join(f"{name}={value}" for name, value in fields)
    at = p.byte() % (len(query) + 1)
    return query[:at] + p.text() + query[at:]


SEEDS = tuple(
    bytes([mode, which, 1, 2]) + b"Policy\x00=\x00&%\x00" for mode in range(5) for which in (0, 1)
)


def TestOneInput(data: bytes) -> None:
    m = material()
    p = Provider(data)
    query = _query(p)
    cookies = {"CloudFront-Session": m.session_cookies[0], "CloudFront-Policy": BOUND_POLICY}
    if p.choice(2):
        cookies["CloudFront-Session"] = p.text()
    try:
        token = check_session_request(query, cookies, secrets=m.session_secrets, now=NOW)
    except SessionCookieError:
        return
    assert token in _minted(), (query, token)
    assert token.expires > NOW
    names = {part.partition("=")[0] for part in (query or "").split("&")}
    if any(name in names for name in _SIGNING):
        # Signed by query: the token came from the query, never from the cookies.
        assert "CloudFront-Session" in names, query


def main() -> None:
    from tests.fuzz._support import run

    run(TestOneInput, SEEDS)


if __name__ == "__main__":
    main()
