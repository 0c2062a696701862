"""``python -m cfcookies``: the command line (see :mod:`cfcookies.cli`)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
