"""Fuzz target: CloudFront cookies as a viewer sends them (``verify_request``, cookie mode).

Invariants: never raises; a request is allowed only with a policy the key holder signed, and
only for a URL whose raw path is inside the signed folder.
"""

from __future__ import annotations

from cfcookies.signing import COOKIE_KEY_PAIR_ID, COOKIE_POLICY, COOKIE_SIGNATURE
from cfcookies.verify import verify_request
from tests.fuzz._support import FOLDER, MEDIA, NOW, Provider, material, wire_path

_NAMES = (COOKIE_POLICY, COOKIE_SIGNATURE, COOKIE_KEY_PAIR_ID, "CloudFront-Hash-Algorithm")


def _cookie_header(p: Provider) -> str | bytes:
    m = material()
    genuine = dict(m.cookie_values)
    mode = p.choice(4)
    if mode == 0:
        return p.rest()
    if mode == 1:  # one cookie's value replaced or edited
        name = _NAMES[p.choice(len(_NAMES))]
        old = genuine.get(name, "")
        at = p.byte() * 5 % (len(old) + 1)
        genuine[name] = old[:at] + p.text() + old[at + p.choice(3) :]
    header = "; ".join(f"{k}={v}" for k, v in genuine.items())
    if mode == 2:  # junk and repeated cookies around the genuine ones
        return p.text() + "; " + header + "; " + p.text()
    return header


_GENERATED = tuple(
    bytes([mode, name, 40]) + b"~_-\x00\x01\x00videos/course-1/seg.ts\x00192.0.2.1"
    for mode in range(4)
    for name in range(4)
)
#: Inputs the fuzzer found that broke an invariant, kept as seeds (fixed since).
FOUND = (
    # A tab/CR inside the folder name was dropped by urlsplit and the path granted (policy.py).
    b"\x02\x01(~_-\x00\x01\x00videos/\r\r\r\r\rcourse-1/seideos/course-1",
)
SEEDS = _GENERATED + FOUND


def TestOneInput(data: bytes) -> None:
    m = material()
    p = Provider(data)
    cookies = _cookie_header(p)
    url = MEDIA + "/" + p.text()
    decision = verify_request(
        url, cookies=cookies, public_keys=m.public_keys, client_ip=p.text() or None, now=NOW
    )
    if decision.allowed:
        assert decision.mode == "cookie"
        assert decision.policy in m.policies, decision.policy
        assert wire_path(decision.url).startswith(FOLDER), decision.url
    else:
        assert decision.error is not None
        assert decision.code is not None


def main() -> None:
    from tests.fuzz._support import run

    run(TestOneInput, SEEDS)


if __name__ == "__main__":
    main()
