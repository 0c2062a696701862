"""``cfcookies cookies`` and ``cfcookies sign-url``: sign a policy with a key from anywhere.

Both commands take the same signing options (key, key pair ID, expiry, conditions, hash) and
build a :class:`cfcookies.signing.Signer` without a cache, since each run signs once. Times are
epoch seconds, a time from now (``--expires +1h``) or ISO 8601 with a zone; an expiry already
past is refused unless ``--allow-expired`` says it is meant (to test a refusal), since CloudFront
would refuse what it signs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

from ..clock import utc_text
from ..exceptions import ConfigurationError, WeakHashWarning
from ..keys import SigningKey
from ..signing import Signer, validate_hash_algorithm
from .common import SIGNING_FLAGS, Subparsers, env_passphrase, load_key_spec, when

__all__ = ["register"]


def register(subparsers: Subparsers) -> None:
    """Add the ``cookies`` and ``sign-url`` commands to ``subparsers``."""
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
    cookies.set_defaults(func=_cmd_cookies, flag_names=SIGNING_FLAGS)

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
    sign_url.set_defaults(func=_cmd_sign_url, flag_names=SIGNING_FLAGS)


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
        type=when,
        metavar="TIME",
        help="DateLessThan, when access ends: a time from now (+1h, 30m, 7d, 1h30m), epoch "
        "seconds (1767225600) or ISO 8601 with a zone (2026-05-01T12:00:00Z)",
    )
    parser.add_argument(
        "--not-before",
        type=when,
        metavar="TIME",
        help="DateGreaterThan, before which access is refused (the same forms as --expires)",
    )
    parser.add_argument(
        "--allow-expired",
        action="store_true",
        help="sign even though --expires is already past (to test how a refusal looks)",
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


def _check_expiry(args: argparse.Namespace) -> None:
    """Refuse an expiry already past: CloudFront would refuse everything signed with it."""
    now = int(time.time())
    if args.expires <= now and not args.allow_expired:
        raise ConfigurationError(
            f"--expires {args.expires} ({utc_text(args.expires)}) is already past, so "
            f"CloudFront would refuse what this signs; give a time to come (like --expires "
            f"+1h), or add --allow-expired to sign it anyway"
        )


def _signer(args: argparse.Namespace) -> Signer:
    _check_expiry(args)
    key = load_key_spec(args.private_key, env_passphrase(args.passphrase_env))
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
