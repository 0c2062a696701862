"""What the command-line tests share: the sample resource and times, and running ``cfcookies``.

The tests mirror :mod:`cfcookies.cli`'s modules (``test_cli_keys.py`` for ``cli/keys.py`` …);
each runs the whole command line through :func:`cfcookies.cli.main`, as a user would (the
``run`` fixture in ``conftest.py`` is :func:`run_cli` bound to pytest's ``capsys``).
"""

from __future__ import annotations

import pytest

from cfcookies import cli
from tests.support import RSA_KEY_ID, KeyFiles

RESOURCE = "https://media.example.com/videos/course-1/*"
URL = "https://media.example.com/videos/course-1/seg-0001.ts"
EXPIRES = 2_000_000_000
AT = 1_900_000_000


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """``cfcookies ARGV`` in this process: its exit status, stdout and stderr."""
    capsys.readouterr()
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def signing_args(key_files: KeyFiles, *extra: str) -> list[str]:
    return [
        "--private-key",
        str(key_files.rsa_pem),
        "--key-pair-id",
        RSA_KEY_ID,
        "--expires",
        str(EXPIRES),
        *extra,
    ]


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())
