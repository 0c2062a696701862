"""CLI command ``cfcookies demo``: the demo app and the local edge, with throwaway keys.

Mounted by :mod:`cfcookies.cli.main` with ``register(subparsers)``; the command's handler is in
``args.func(args) -> int``. The demo and uvicorn are imported only when it runs. Errors are
raised and reported by :func:`cfcookies.cli.main.main` in the one format (exit 1).
"""

from __future__ import annotations

import argparse

from ..exceptions import ConfigurationError
from .common import Subparsers

__all__ = ["register"]


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected a port number 0-65535 (0: any free), got {text!r}"
        )
    return int(text)


def register(subparsers: Subparsers) -> None:
    """Add the ``demo`` command to ``subparsers``."""
    demo = subparsers.add_parser(
        "demo",
        help="run the demo: an app issuing CloudFront cookies and a local edge checking them",
        description=(
            "Serve, on loopback, a small app wrapped by the cfcookies middleware (log in as a "
            "demo user to get CloudFront cookies for your courses) and a local CloudFront "
            "stand-in that serves the media only to valid signed cookies. Edge revocation is on: "
            "logout denies the session at the edge, and the page shows a copy of the cookies "
            "being refused. Each course also gets a link for a player without cookies, played "
            "with the course's signed query alone. Keys are made on the spot and deleted at "
            "exit. Ctrl-C stops everything."
        ),
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    demo.add_argument(
        "--app-port", type=_port, default=8000, help="the app's port (default 8000; 0: any free)"
    )
    demo.add_argument(
        "--edge-port", type=_port, default=8001, help="the edge's port (default 8001; 0: any free)"
    )
    demo.add_argument(
        "--media-dir",
        metavar="DIR",
        help="write (and keep) the sample media library in DIR instead of a temporary folder",
    )
    demo.add_argument(
        "--no-revocation",
        dest="revocation",
        action="store_false",
        help=(
            "serve without edge revocation: no CloudFront-Session cookie and no deny-list, so a "
            "copy of the cookies still opens the media after logout (CloudFront's own behaviour)"
        ),
    )
    demo.add_argument(
        "--hls-js",
        metavar="FILE",
        help=(
            "serve hls.js's browser build from FILE (like node_modules/hls.js/dist/hls.min.js) "
            "to the player without cookies; without it, that player uses the browser's own HLS "
            "(the demo ships no copy of hls.js and loads nothing from the network)"
        ),
    )
    demo.add_argument(
        "--no-browser-hints",
        dest="hints",
        action="store_false",
        help="print only the addresses and the demo users, not the walk-through",
    )
    demo.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "uvicorn is needed to serve; pip install 'cfcookies[demo]'"
        ) from None
    from ..demo import run_demo

    if args.app_port and args.app_port == args.edge_port:
        raise ConfigurationError("--app-port and --edge-port must differ")
    try:
        return run_demo(
            host=args.host,
            app_port=args.app_port,
            edge_port=args.edge_port,
            media_dir=args.media_dir,
            hints=args.hints,
            revocation=args.revocation,
            hls_js=args.hls_js,
        )
    except OSError as exc:
        raise ConfigurationError(
            f"cannot serve on {args.host}: {exc.strerror or exc} (is another demo running? "
            f"pick other ports with --app-port and --edge-port)"
        ) from None
