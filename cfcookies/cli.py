"""The command line: ``cfcookies …`` or ``python -m cfcookies …``.

::

    cfcookies keygen   --out DIR [--ecdsa] [--passphrase-env VAR] [--force]
    cfcookies cookies  --private-key SPEC --key-pair-id ID --resource URL --expires EPOCH
                       [--not-before EPOCH] [--ip-address CIDR] [--hash-algorithm SHA1|SHA256]
                       [--canned] [--format json|header] [--passphrase-env VAR]
    cfcookies sign-url URL --private-key SPEC --key-pair-id ID --expires EPOCH
                       [--resource PATTERN] [--not-before EPOCH] [--ip-address CIDR]
                       [--hash-algorithm SHA1|SHA256] [--passphrase-env VAR]
    cfcookies verify   --public-key PATH --key-pair-id ID [--public-key … --key-pair-id …]
                       (--url URL [--cookie HEADER] | --har FILE [--url URL])
                       [--client-ip IP] [--at EPOCH]

Other modules add their own commands when they are installed: ``aws`` (and the revocation
commands under it), ``edge`` and ``demo``. A private key ``SPEC`` is a file path, ``env:VAR``
(PEM in an environment variable), or ``secretsmanager:NAME`` / ``ssm:/path`` through
:mod:`cfcookies.aws`.

Every command returns 0 on success and 1 on a user mistake or a refused request, with one line
on stderr and no traceback; argparse usage errors return 2. Key material never reaches the
output of an error.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .exceptions import CloudFrontCookieError, ConfigurationError, WeakHashWarning
from .keys import (
    PrivateKey,
    PublicKey,
    SigningKey,
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
    validate_key_pair_id,
)
from .signing import Signer, validate_hash_algorithm

__all__ = ["load_key_spec", "main"]

PRIVATE_KEY_FILE = "private_key.pem"
PUBLIC_KEY_FILE = "public_key.pem"

#: Modules that add subcommands when present: each has ``register(subparsers)``.
PLUGIN_MODULES = ("cfcookies._cli_aws", "cfcookies._cli_edge", "cfcookies._cli_demo")
#: Revocation commands hang under ``aws`` when it exists, else at the top level.
REVOCATION_MODULE = "cfcookies._cli_revocation"

_AWS_PREFIXES = ("secretsmanager:", "ssm:", "arn:aws:secretsmanager:", "arn:aws:ssm:")

Command = Callable[[argparse.Namespace], int]


# --- key sources -------------------------------------------------------------------------------


def _env(variable: str, what: str) -> str:
    value = os.environ.get(variable)
    if value is None or value == "":
        raise ConfigurationError(f"the environment variable {variable} ({what}) is not set")
    return value


def _passphrase(variable: str | None) -> str | None:
    return None if variable is None else _env(variable, "the key's passphrase")


def load_key_spec(spec: str, passphrase: str | bytes | None = None) -> PrivateKey:
    """Load a private key from ``spec``: a path, ``env:VAR``, ``secretsmanager:…`` or ``ssm:…``.

    ``secretsmanager:`` and ``ssm:`` specs (and their ARNs) are resolved by
    :func:`cfcookies.aws.resolve_private_key`, imported only when needed.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigurationError("the private key must be a path, env:VAR or secretsmanager:NAME")
    if "-----BEGIN" in spec or len(spec) > 4096:
        # Never echo it back: it is the key itself, not where to find it.
        raise ConfigurationError(
            "pass where the private key is (a path, env:VAR, secretsmanager:NAME, ssm:/path), "
            "not the key itself"
        )
    if spec.startswith("env:"):
        variable = spec[len("env:") :]
        return load_private_key(_env(variable, "the private key PEM"), passphrase=passphrase)
    if spec.startswith(_AWS_PREFIXES):
        if importlib.util.find_spec("cfcookies.aws") is None:
            raise ConfigurationError(
                f"{spec.split(':', 1)[0]}: keys need cfcookies.aws, which this installation "
                f"does not have; use a file path or env:VAR"
            )
        from .aws import resolve_private_key

        return resolve_private_key(spec, passphrase=passphrase)
    path = spec[len("file://") :] if spec.startswith("file://") else spec
    return load_private_key(Path(path), passphrase=passphrase)


def _load_public_spec(spec: str) -> PublicKey:
    if spec.startswith("env:"):
        return load_public_key(_env(spec[len("env:") :], "a public key PEM"))
    if "-----BEGIN" in spec:
        return load_public_key(spec)
    path = spec[len("file://") :] if spec.startswith("file://") else spec
    return load_public_key(Path(path))


# --- argument types ----------------------------------------------------------------------------


def _epoch(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not value.isascii():
        raise argparse.ArgumentTypeError(
            f"expected integer seconds since the epoch (like 1767225600), got {text!r}"
        )
    return int(value)


def _hash_algorithm(text: str) -> str:
    value = text.strip().upper().replace("-", "")
    if value not in ("SHA1", "SHA256"):
        raise argparse.ArgumentTypeError(f"expected SHA1 or SHA256, got {text!r}")
    return value


def _add_signing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--private-key",
        required=True,
        metavar="SPEC",
        help="the private key: a PEM/DER file, env:VAR, secretsmanager:NAME or ssm:/path",
    )
    parser.add_argument(
        "--passphrase-env", metavar="VAR", help="environment variable holding its passphrase"
    )
    parser.add_argument(
        "--key-pair-id",
        required=True,
        metavar="ID",
        help="the CloudFront public key ID (like K2JCJMDEHXQW5F)",
    )
    parser.add_argument(
        "--expires",
        required=True,
        type=_epoch,
        metavar="EPOCH",
        help="DateLessThan: epoch seconds when access ends",
    )
    parser.add_argument(
        "--not-before",
        type=_epoch,
        metavar="EPOCH",
        help="DateGreaterThan: epoch seconds before which access is refused",
    )
    parser.add_argument(
        "--ip-address",
        metavar="CIDR",
        help="AWS:SourceIp: an IPv4 address or CIDR range (IPv4 only)",
    )
    parser.add_argument(
        "--hash-algorithm",
        type=_hash_algorithm,
        default=None,
        metavar="SHA1|SHA256",
        help="signature hash (default: SHA1 for RSA keys, SHA256 for ECDSA keys; SHA256 adds "
        "the Hash-Algorithm marker)",
    )


def _signer(args: argparse.Namespace) -> Signer:
    key = load_key_spec(args.private_key, _passphrase(args.passphrase_env))
    chosen = None if args.hash_algorithm is None else validate_hash_algorithm(args.hash_algorithm)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WeakHashWarning)
        signer = Signer(SigningKey(args.key_pair_id, key), hash_algorithm=chosen, cache_size=0)
    if any(issubclass(w.category, WeakHashWarning) for w in caught):
        print(
            f"cfcookies {args.command}: warning: --hash-algorithm SHA1 with an ECDSA key: "
            f"CloudFront documents ECDSA with SHA-256 and the AWS CLI refuses this pair; leave "
            f"--hash-algorithm out to sign with SHA256",
            file=sys.stderr,
        )
    return signer


# --- commands ----------------------------------------------------------------------------------


def _write_new(path: Path, data: bytes, *, mode: int, force: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (0 if force else os.O_EXCL)
    fd = os.open(path, flags, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
    finally:
        os.close(fd)


def _cmd_keygen(args: argparse.Namespace) -> int:
    out = Path(args.out)
    passphrase = _passphrase(args.passphrase_env)
    private_path = out / PRIVATE_KEY_FILE
    public_path = out / PUBLIC_KEY_FILE
    if not args.force:
        existing = [str(p) for p in (private_path, public_path) if p.exists()]
        if existing:
            raise ConfigurationError(
                f"{' and '.join(existing)} already exist; pass --force to overwrite "
                f"(cookies signed by the old key stop working once CloudFront forgets it)"
            )
    out.mkdir(parents=True, exist_ok=True)
    key = generate_private_key("ecdsa" if args.ecdsa else "rsa")
    _write_new(
        private_path, private_key_pem(key, passphrase=passphrase), mode=0o600, force=args.force
    )
    _write_new(public_path, public_key_pem(key).encode(), mode=0o644, force=args.force)
    kind = "ECDSA P-256" if args.ecdsa else "RSA-2048"
    encrypted = " (encrypted)" if passphrase else ""
    print(f"wrote {private_path} ({kind} private key{encrypted}, mode 0600; keep it secret)")
    print(f"wrote {public_path} (the public key to upload to CloudFront)")
    print(
        "next: upload the public key to CloudFront (console: Key management > Public keys, or "
        f"`cfcookies aws upload-key --public-key {public_path} --create-key-group NAME`), put it "
        "in a key group trusted by the cache behaviour, then sign with its ID: "
        f"`cfcookies cookies --private-key {private_path} --key-pair-id ID --resource URL "
        "--expires EPOCH`"
    )
    return 0


def _cmd_cookies(args: argparse.Namespace) -> int:
    signer = _signer(args)
    if args.canned:
        if args.not_before is not None or args.ip_address is not None:
            raise ConfigurationError(
                "a canned policy holds only the URL and an expiry; drop --canned to use "
                "--not-before or --ip-address"
            )
        cookies = signer.canned_cookies(args.resource, date_less_than=args.expires)
    else:
        cookies = signer.cookies_for(
            args.resource,
            date_less_than=args.expires,
            date_greater_than=args.not_before,
            ip_address=args.ip_address,
        )
    if args.format == "header":
        print("Cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items()))
    else:
        print(json.dumps(cookies, indent=None))
    return 0


def _cmd_sign_url(args: argparse.Namespace) -> int:
    signer = _signer(args)
    print(
        signer.sign_url(
            args.url,
            date_less_than=args.expires,
            date_greater_than=args.not_before,
            ip_address=args.ip_address,
            resource=args.resource,
        )
    )
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    """``verify``: everything it prints passes through :func:`cfcookies.verify._printable`.

    URLs, cookies and HAR contents come from clients: their control characters and bidi
    overrides are printed escaped (``\\x1b``, ``\\r``, ``\\u202e``), never sent to the terminal.
    """
    from .verify import _printable

    try:
        return _verify(args)
    except CloudFrontCookieError as exc:
        print(f"cfcookies verify: error: {_printable(str(exc))}", file=sys.stderr)
        return 1


def _verify(args: argparse.Namespace) -> int:
    from . import verify

    def out(text: str) -> None:
        print(verify._printable(text, keep_newlines=True), end="")

    specs: list[str] = args.public_key or []
    ids: list[str] = args.key_pair_id or []
    if not specs or len(specs) != len(ids):
        raise ConfigurationError(
            "give one --key-pair-id for each --public-key, in the same order "
            f"(got {len(specs)} keys and {len(ids)} IDs)"
        )
    public_keys = {
        validate_key_pair_id(i): _load_public_spec(s) for s, i in zip(specs, ids, strict=True)
    }
    if args.har is None and args.url is None:
        raise ConfigurationError("verify needs --url URL (with --cookie HEADER) or --har FILE")
    if args.har is not None:
        if args.cookie is not None:
            raise ConfigurationError("--cookie is read from the HAR export; drop one of them")
        report = verify.explain(
            args.url,
            har=args.har,
            public_keys=public_keys,
            client_ip=args.client_ip,
            now=args.at,
        )
        out(report)
        refused = "result: DENIED" in report or "has no " in report
        return 1 if refused else 0
    decision = verify.verify_request(
        args.url,
        cookies=args.cookie,
        public_keys=public_keys,
        client_ip=args.client_ip,
        now=args.at,
    )
    report = verify.explain(
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
    print(verify._printable(first))
    out(report)
    return 0 if decision.allowed else 1


# --- the parser --------------------------------------------------------------------------------


def _aws_subparsers(subparsers: Any) -> Any | None:
    """The ``aws`` command's own subparsers, when the aws commands are registered."""
    aws = subparsers.choices.get("aws") if hasattr(subparsers, "choices") else None
    if not isinstance(aws, argparse.ArgumentParser):
        return None
    for action in aws._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _register_plugins(subparsers: Any) -> None:
    """Let installed modules add commands; a missing module is fine, a broken one raises."""
    for name in PLUGIN_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(subparsers)
    if importlib.util.find_spec(REVOCATION_MODULE) is not None:
        target = _aws_subparsers(subparsers)
        importlib.import_module(REVOCATION_MODULE).register(
            target if target is not None else subparsers
        )


def build_parser() -> argparse.ArgumentParser:
    """The ``cfcookies`` argument parser with every available command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="cfcookies",
        description="CloudFront signed cookies and URLs: keys, signing, verification.",
    )
    parser.add_argument("--version", action="version", version=f"cfcookies {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    keygen = subparsers.add_parser(
        "keygen", help="create a key pair: private_key.pem (0600) and public_key.pem"
    )
    keygen.add_argument("--out", required=True, metavar="DIR", help="folder to write the keys to")
    keygen.add_argument(
        "--ecdsa", action="store_true", help="ECDSA P-256 instead of RSA-2048 (faster signing)"
    )
    keygen.add_argument(
        "--passphrase-env", metavar="VAR", help="encrypt the private key with this variable"
    )
    keygen.add_argument("--force", action="store_true", help="overwrite existing key files")
    keygen.set_defaults(func=_cmd_keygen)

    cookies = subparsers.add_parser("cookies", help="print signed cookies for a resource")
    _add_signing_options(cookies)
    cookies.add_argument(
        "--resource",
        required=True,
        metavar="URL",
        help="the policy Resource, wildcards allowed (https://media.example.com/videos/*)",
    )
    cookies.add_argument(
        "--canned",
        action="store_true",
        help="a canned policy (CloudFront-Expires) for one exact URL, no wildcards",
    )
    cookies.add_argument(
        "--format",
        choices=("json", "header"),
        default="json",
        help="json: one object by cookie name; header: a Cookie: line (for curl -H)",
    )
    cookies.set_defaults(func=_cmd_cookies)

    sign_url = subparsers.add_parser(
        "sign-url", help="print a signed URL (canned unless a custom condition is given)"
    )
    sign_url.add_argument("url", metavar="URL", help="the URL viewers will request")
    _add_signing_options(sign_url)
    sign_url.add_argument(
        "--resource",
        metavar="PATTERN",
        help="a custom policy Resource such as https://media.example.com/videos/*",
    )
    sign_url.set_defaults(func=_cmd_sign_url)

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
        "--at", type=_epoch, metavar="EPOCH", help="judge at this time (default: now)"
    )
    verify.set_defaults(func=_cmd_verify)

    _register_plugins(subparsers)
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
        print(f"cfcookies {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(
            f"cfcookies {args.command}: error:{where} {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
