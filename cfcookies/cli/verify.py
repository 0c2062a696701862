"""``cfcookies verify``: decide as CloudFront would whether a request is allowed, and why.

Given a URL with its Cookie header, or a browser HAR export, it prints the decision and the
report of :func:`cfcookies.diagnose.explain`. URLs, cookies and HAR contents come from clients:
everything printed passes through :func:`cfcookies.diagnose.printable`, so their control
characters and bidi overrides are printed escaped (``\\x1b``, ``\\r``, ``\\u202e``), never sent
to the terminal.
"""

from __future__ import annotations

import argparse

from ..diagnose import printable
from ..exceptions import CloudFrontCookieError, ConfigurationError
from ..keys import validate_key_pair_id
from .common import Subparsers, epoch, load_public_spec, print_error

__all__ = ["register"]


def register(subparsers: Subparsers) -> None:
    """Add the ``verify`` command to ``subparsers``."""
    verify = subparsers.add_parser(
        "verify", help="decide as CloudFront would whether a request is allowed, and why"
    )
    verify.add_argument(
        "--public-key",
        action="append",
        metavar="PATH",
        help="a trusted public key (repeat with --key-pair-id for several)",
    )
    verify.add_argument(
        "--key-pair-id", action="append", metavar="ID", help="the ID of the --public-key"
    )
    verify.add_argument("--url", metavar="URL", help="the full URL the viewer requested")
    verify.add_argument(
        "--cookie", metavar="HEADER", help="the Cookie header the viewer sent (name=value; …)"
    )
    verify.add_argument(
        "--har", metavar="FILE", help="a browser HAR export: explain its media requests"
    )
    verify.add_argument("--client-ip", metavar="IP", help="the viewer's IP address")
    verify.add_argument(
        "--at", type=epoch, metavar="EPOCH", help="judge at this time (default: now)"
    )
    verify.set_defaults(func=_cmd_verify)


def _cmd_verify(args: argparse.Namespace) -> int:
    """``verify``: even its error messages are escaped (they may quote the client's input)."""
    try:
        return _verify(args)
    except CloudFrontCookieError as exc:
        print_error(printable(str(exc)), command="verify")
        return 1


def _out(text: str) -> None:
    print(printable(text, keep_newlines=True), end="")


def _verify(args: argparse.Namespace) -> int:
    from ..diagnose import explain
    from ..verify import verify_request

    specs: list[str] = args.public_key or []
    ids: list[str] = args.key_pair_id or []
    if not specs or len(specs) != len(ids):
        raise ConfigurationError(
            "give one --key-pair-id for each --public-key, in the same order "
            f"(got {len(specs)} keys and {len(ids)} IDs)"
        )
    public_keys = {
        validate_key_pair_id(i): load_public_spec(s) for s, i in zip(specs, ids, strict=True)
    }
    if args.har is None and args.url is None:
        raise ConfigurationError("verify needs --url URL (with --cookie HEADER) or --har FILE")
    if args.har is not None:
        if args.cookie is not None:
            raise ConfigurationError("--cookie is read from the HAR export; drop one of them")
        report = explain(
            args.url,
            har=args.har,
            public_keys=public_keys,
            client_ip=args.client_ip,
            now=args.at,
        )
        _out(report)
        refused = "result: DENIED" in report or "has no " in report
        return 1 if refused else 0
    decision = verify_request(
        args.url,
        cookies=args.cookie,
        public_keys=public_keys,
        client_ip=args.client_ip,
        now=args.at,
    )
    report = explain(
        args.url,
        cookie_header=args.cookie,
        public_keys=public_keys,
        client_ip=args.client_ip,
        now=args.at,
    )
    if decision.allowed:
        first = f"allowed: {decision.message}"
    else:
        failed = decision.failed_check
        first = (
            f"denied: 403 {decision.code} ({failed.name if failed else decision.reason}): "
            f"{decision.message}"
        )
    print(printable(first))
    _out(report)
    return 0 if decision.allowed else 1
