"""The ``cfcookies`` parser and :func:`main`: every command group registered in a fixed order.

Each command group module has ``register(subparsers)`` and sets ``func(args) -> int`` on its
commands; :func:`build_parser` calls them one after another, in the order ``--help`` lists
them. The revocation commands hang under ``aws``, whose ``register`` returns its own
subparsers for them. :func:`main` turns the errors a user can cause into one line on stderr.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..exceptions import CloudFrontCookieError
from . import aws, demo, edge, keys, revocation, sign, verify
from .common import Command, print_error

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``cfcookies`` argument parser with every command."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="cfcookies",
        description="CloudFront signed cookies and URLs: keys, signing, verification.",
    )
    parser.add_argument("--version", action="version", version=f"cfcookies {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    keys.register(subparsers)  # keygen
    sign.register(subparsers)  # cookies, sign-url
    verify.register(subparsers)  # verify
    aws_commands = aws.register(subparsers)  # aws upload-key|status|rotate
    revocation.register(aws_commands)  # aws function …, aws revoke …
    edge.register(subparsers)  # edge
    demo.register(subparsers)  # demo
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 1
    command: Command = args.func
    try:
        return command(args)
    except CloudFrontCookieError as exc:
        print_error(str(exc), command=args.command)
        return 1
    except OSError as exc:
        where = f"{exc.filename} " if exc.filename else ""
        print_error(f"{where}{exc.strerror or exc}", command=args.command)
        return 1
    except KeyboardInterrupt:
        return 130
