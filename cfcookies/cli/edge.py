"""CLI command ``cfcookies edge``: serve a folder as a local CloudFront that checks signatures.

Mounted by :mod:`cfcookies.cli.main` with ``register(subparsers)``; the command's handler is in
``args.func(args) -> int``. The edge app and uvicorn are imported only when it runs. Errors are
raised and reported by :func:`cfcookies.cli.main.main` in the one format (exit 1).
"""

from __future__ import annotations

import argparse

from ..exceptions import CloudFrontCookieError, ConfigurationError
from ..keys import PublicKey, load_public_key, validate_key_pair_id
from .common import Subparsers, cli_message

__all__ = ["parse_public_key", "register"]


def parse_public_key(text: str) -> tuple[str, PublicKey]:
    """``ID=PATH`` → the key pair ID and the public key read from PATH (PEM or DER)."""
    key_pair_id, sep, path = text.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(
            f"expected ID=PATH, like K2JCJMDEHXQW5F=public_key.pem, got {text!r}"
        )
    try:
        validate_key_pair_id(key_pair_id)
        return key_pair_id, load_public_key(path)
    except CloudFrontCookieError as exc:
        raise argparse.ArgumentTypeError(cli_message(str(exc), {"key_pair_id": "ID"})) from None


def register(subparsers: Subparsers) -> None:
    """Add the ``edge`` command to ``subparsers``."""
    edge = subparsers.add_parser(
        "edge",
        help="serve a folder like CloudFront: only to valid signed cookies or URLs",
        description=(
            "Serve the --root folder as a local CloudFront stand-in. Every request is checked "
            "as CloudFront checks signed cookies and signed URLs; refusals get CloudFront's 403 "
            "XML, a missing file what S3 answers through CloudFront, and every answer an "
            "x-cfcookies-decision header saying why. Binds 127.0.0.1 unless told otherwise."
        ),
    )
    edge.add_argument("--root", required=True, help="the folder to serve (the 'bucket')")
    edge.add_argument(
        "--public-key",
        dest="public_keys",
        action="append",
        required=True,
        type=parse_public_key,
        metavar="ID=PATH",
        help="a trusted public key and its key pair ID; repeat for a key group",
    )
    edge.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    edge.add_argument("--port", type=int, default=8443, help="port to bind (default 8443)")
    edge.add_argument(
        "--public-url",
        help="the URL viewers use, like https://media.example.test:8443 (default: from Host)",
    )
    edge.add_argument(
        "--cors-origin",
        dest="cors_origins",
        action="append",
        default=[],
        metavar="URL",
        help="an app origin allowed credentialed CORS, like https://app.example.test; repeatable",
    )
    edge.add_argument(
        "--unprotected-path",
        dest="unprotected_paths",
        action="append",
        default=[],
        metavar="PREFIX",
        help="a path prefix served without signature (like a behavior without trusted keys)",
    )
    edge.add_argument(
        "--allowed-methods",
        choices=["GET,HEAD", "GET,HEAD,OPTIONS"],
        default="GET,HEAD",
        help=(
            "the methods the behaviour allows, as the template's AllowedMethods (default "
            "GET,HEAD); any other method gets CloudFront's HTML 403 page. With OPTIONS, an "
            "OPTIONS request still needs a valid signature, which a browser preflight never has"
        ),
    )
    edge.add_argument(
        "--missing-object",
        choices=["AccessDenied", "NoSuchKey"],
        default="AccessDenied",
        help=(
            "what a signed request for a missing file gets: S3's 403 AccessDenied (default: the "
            "template's bucket policy grants s3:GetObject only) or 404 NoSuchKey (a bucket "
            "policy that also grants s3:ListBucket)"
        ),
    )
    edge.add_argument(
        "--trust-forwarded-for",
        action="store_true",
        help="take the client IP from X-Forwarded-For (only behind a proxy you run)",
    )
    edge.add_argument("--certfile", help="TLS certificate (PEM) to serve https")
    edge.add_argument("--keyfile", help="TLS private key (PEM) for --certfile")
    edge.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    edge.set_defaults(func=_cmd_edge)


def _cmd_edge(args: argparse.Namespace) -> int:
    from ..edge import run_edge

    keys: dict[str, PublicKey] = {}
    for key_pair_id, key in args.public_keys:
        if key_pair_id in keys:
            raise ConfigurationError(f"--public-key {key_pair_id} is given twice")
        keys[key_pair_id] = key
    try:
        run_edge(
            args.root,
            public_keys=keys,
            host=args.host,
            port=args.port,
            certfile=args.certfile,
            keyfile=args.keyfile,
            public_url=args.public_url,
            cors_origins=args.cors_origins,
            trust_forwarded_for=args.trust_forwarded_for,
            unprotected_paths=args.unprotected_paths,
            allowed_methods=args.allowed_methods.split(","),
            missing_object=args.missing_object,
            log_level=args.log_level,
        )
    except ImportError:
        raise ConfigurationError(
            "uvicorn is needed to serve; pip install 'cfcookies[demo]'"
        ) from None
    return 0
