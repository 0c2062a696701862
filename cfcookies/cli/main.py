"""The ``cfcookies`` parser and :func:`main`: every command group registered in a fixed order.

Each command group module has ``register(subparsers)`` and sets ``func(args) -> int`` on its
commands; :func:`build_parser` calls them one after another, in the order ``--help`` lists
them. The revocation commands hang under ``aws``, whose ``register`` returns its own
subparsers for them. :func:`main` turns the errors a user can cause into one line on stderr, in
one format for every command, with the exit statuses that ``--help`` lists (:data:`EXIT_HELP`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..exceptions import CloudFrontCookieError, RotationRefusedError
from . import aws, demo, edge, keys, revocation, sign, verify
from .common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_REFUSED,
    Command,
    cli_message,
    command_name,
    print_error,
)

__all__ = ["EXIT_HELP", "build_parser", "main", "run_command"]

#: The exit statuses, as ``cfcookies --help`` ends.
EXIT_HELP = """\
exit status (every command):
  0    done (verify: CloudFront would serve the request)
  1    the command failed or refused (verify: CloudFront would refuse the request); one line
       on stderr: cfcookies COMMAND: error: MESSAGE
  2    the command line is wrong (unknown or missing flag, a value of the wrong form);
       the usage, then cfcookies COMMAND: error: MESSAGE
  3    aws rotate: the step is refused for now (cookies in use need the old key); run it later
  130  interrupted (Ctrl-C)
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``cfcookies`` argument parser with every command."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="cfcookies",
        description="CloudFront signed cookies and URLs: keys, signing, verification.",
        epilog=EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed command line; report what went wrong in the one format, in the CLI's words.

    :func:`main` after parsing; tests that set what a command reads from ``args`` (an AWS
    client factory, a clock) call it with their own ``Namespace``.
    """
    command: Command = args.func
    name = command_name(args)
    flag_names = getattr(args, "flag_names", {})
    try:
        return command(args)
    except RotationRefusedError as exc:
        print_error(f"refused for now: {cli_message(str(exc), flag_names)}", command=name)
        return EXIT_REFUSED
    except CloudFrontCookieError as exc:
        print_error(cli_message(str(exc), flag_names), command=name)
        return EXIT_ERROR
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print_error(f"{where}{exc.strerror or exc}", command=name)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
