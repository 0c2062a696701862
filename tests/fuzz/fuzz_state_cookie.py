"""Fuzz target: the state cookie reader (``CloudFrontCookies.read_state``) and the plan.

Invariants: never raises; a state is read only from a value the app itself signed; a plan in
imperative mode (no ``grants`` callable, no ``grant()`` call) never issues a prefix that the
state cookies sent did not already hold.
"""

from __future__ import annotations

from cfcookies.session import RequestInfo
from tests.fuzz._support import Provider, material


def _header(p: Provider) -> str:
    m = material()
    genuine = list(m.states)
    mode = p.choice(5)
    if mode == 0:
        return p.rest().decode("latin-1")
    if mode == 1:
        return "cfcookies=" + p.text()
    value = genuine[p.choice(len(genuine))]
    if mode == 2:  # one character changed, inserted or removed
        at = p.byte() * 7 % (len(value) + 1)
        insert = p.text()
        cut = p.choice(3)
        value = value[:at] + insert + value[at + cut :]
        return "cfcookies=" + value
    if mode == 3:  # junk around a genuine value, or a second state cookie
        return p.text() + "; cfcookies=" + value + "; " + p.text()
    return "cfcookies=" + p.text() + "; cfcookies=" + value


SEEDS = tuple(
    bytes([mode, choice, 9]) + b"AbC.xyz\x00\x01\x00app.example.test\x00cfcookies/keepalive"
    for mode in range(5)
    for choice in (0, 1)
)


def TestOneInput(data: bytes) -> None:
    m = material()
    p = Provider(data)
    header = _header(p)
    state, present = m.cookies.read_state(header)
    if state is not None:
        assert present
        assert state in m.states.values(), "a state was read from a value the app never signed"
    held = set(state.prefixes) if state is not None else set()
    host = p.text() or "app.example.test"
    info = RequestInfo(method="GET", path="/" + p.text(), host=host, cookie_header=header)
    plan = m.cookies.plan(info)
    assert set(plan.issue) <= held, (plan.issue, held)


def main() -> None:
    from tests.fuzz._support import run

    run(TestOneInput, SEEDS)


if __name__ == "__main__":
    main()
