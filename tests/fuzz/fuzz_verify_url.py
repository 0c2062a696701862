"""Fuzz target: signed-URL query strings (``verify_request``, URL mode).

Invariants: never raises; allowed only for a policy the key holder signed (custom) or for the
exact URL that was signed (canned), and only inside the signed folder; the cookies sent beside
a signed URL are ignored.
"""

from __future__ import annotations

from cfcookies.verify import verify_request
from tests.fuzz._support import FOLDER, MEDIA, NOW, Provider, material, wire_path


def _url(p: Provider) -> str:
    m = material()
    mode = p.choice(4)
    if mode == 0:
        return MEDIA + "/" + p.rest().decode("latin-1")
    signed = m.signed_urls[p.choice(len(m.signed_urls))]
    if mode == 1:  # an edit anywhere in a genuine signed URL
        at = len(MEDIA) + p.byte() * 3 % (len(signed) - len(MEDIA) + 1)
        return signed[:at] + p.text() + signed[at + p.choice(3) :]
    if mode == 2:  # another path, the genuine query
        return MEDIA + "/" + p.text() + "?" + signed.split("?", 1)[1]
    return signed + "&" + p.text()  # extra parameters (repeated, Hash-Algorithm ...)


SEEDS = tuple(
    bytes([mode, which, 30]) + b"Signature=\x00\x01\x00videos/course-1/x.ts?Hash-Algorithm=SHA256"
    for mode in range(4)
    for which in (0, 1)
)


def TestOneInput(data: bytes) -> None:
    m = material()
    p = Provider(data)
    url = _url(p)
    decision = verify_request(
        url,
        cookies="; ".join(f"{k}={v}" for k, v in m.cookie_values.items()),
        public_keys=m.public_keys,
        now=NOW,
    )
    if decision.mode == "url" and decision.allowed:
        canned = decision.policy is not None and decision.policy.resource == decision.url
        assert decision.policy in m.policies or (canned and decision.url == m.canned_url), url
        assert wire_path(decision.url).startswith(FOLDER), decision.url
    if decision.allowed and decision.mode == "cookie":
        assert wire_path(decision.url).startswith(FOLDER), decision.url


def main() -> None:
    from tests.fuzz._support import run

    run(TestOneInput, SEEDS)


if __name__ == "__main__":
    main()
