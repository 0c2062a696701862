"""Fuzz target: the ``Cookie`` header parser (``cfcookies.cookies``).

Invariants: never raises; every name is an RFC 6265 token; no name or value holds ``;``; the
mapping keeps the first value of a repeated name; an over-long header yields nothing.
"""

from __future__ import annotations

import re

from cfcookies.cookies import MAX_COOKIE_HEADER, parse_cookie_header, parse_cookie_pairs

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


SEEDS = (
    b"a=1; b=2",
    b'cfcookies="quoted"; user=ana',
    b"CloudFront-Policy=abc; CloudFront-Policy=def; =x; ;;",
    b"n\xe9=v\xff; \tname = value ; x",
)


def TestOneInput(data: bytes) -> None:
    for header in (data, data.decode("utf-8", "replace")):
        pairs = parse_cookie_pairs(header)
        mapping = parse_cookie_header(header)
        text = header.decode("latin-1") if isinstance(header, bytes) else header
        if len(text) > MAX_COOKIE_HEADER:
            assert pairs == []
        for name, value in pairs:
            assert _TOKEN.fullmatch(name), name
            assert ";" not in value
        first: dict[str, str] = {}
        for name, value in pairs:
            first.setdefault(name, value)
        assert mapping == first


def main() -> None:
    from tests.fuzz._support import run

    run(TestOneInput, SEEDS)


if __name__ == "__main__":
    main()
