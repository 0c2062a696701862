"""CLI commands for edge revocation: ``function code|publish|associate|secret`` and
``revoke session|user|purge``.

Mounted by :mod:`cfcookies.cli.main` under ``aws`` (``cfcookies aws function ...``,
``cfcookies aws revoke ...``) with ``register(aws_subparsers)``. botocore is imported only when
a command talks to CloudFront. Errors are raised and reported by :func:`cfcookies.cli.main.main`
in the one format (exit 1).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from typing import Any

from .. import revocation
from ..exceptions import ConfigurationError
from .common import Subparsers, duration, iso_time

__all__ = ["parse_duration", "register"]

SECRET_ENV = "CFCOOKIES_SESSION_SECRET"  # noqa: S105 - the name of an environment variable


def parse_duration(text: str) -> datetime:
    """``90``, ``30m``, ``12h``, ``7d``, ``12h35m`` (from now) or an ISO 8601 time with a zone,
    as UTC (durations are read by :func:`cfcookies.cli.common.duration`, as ``--expires`` reads
    them)."""
    delta = duration(text)
    if delta is not None:
        return datetime.now(timezone.utc) + delta
    when = iso_time(text)
    if when is None:
        raise argparse.ArgumentTypeError(
            f"expected a duration like 12h, 7d or 12h35m, or an ISO time with a zone, got {text!r}"
        )
    return when


#: The library's argument names as these commands' flags (see :func:`~.common.cli_message`).
_FLAGS = {
    "cookie_name": "--cookie-name",
    "kvs_secret_key": "--secret-key",
    "kvs_previous_secret_key": "--previous-secret-key",
    "key_prefix": "--key-prefix",
}


def register(subparsers: Subparsers) -> None:
    """Add the ``function`` and ``revoke`` command groups to ``subparsers``."""
    function = subparsers.add_parser(
        "function", help="the CloudFront Function that enforces revocation at the edge"
    )
    function_sub = function.add_subparsers(dest="function_command", required=True)

    code = function_sub.add_parser("code", help="print the generated function JavaScript")
    _add_code_options(code)
    code.add_argument("-o", "--output", help="write to this file instead of stdout")
    code.set_defaults(func=_cmd_code, flag_names=_FLAGS)

    publish = function_sub.add_parser("publish", help="create or update the function, publish it")
    publish.add_argument("--name", required=True, help="the CloudFront Function name")
    publish.add_argument("--kvs-arn", required=True, help="the KeyValueStore to associate")
    _add_code_options(publish)
    publish.set_defaults(func=_cmd_publish, flag_names=_FLAGS)

    associate = function_sub.add_parser(
        "associate", help="run the function on viewer requests of a cache behaviour"
    )
    associate.add_argument("--distribution-id", required=True)
    associate.add_argument("--function-arn", required=True)
    associate.add_argument(
        "--path-pattern", help="the cache behaviour's path pattern (default: default behaviour)"
    )
    associate.add_argument(
        "--replace", action="store_true", help="replace another viewer-request function"
    )
    associate.set_defaults(func=_cmd_associate, flag_names=_FLAGS)

    secret = function_sub.add_parser(
        "secret", help=f"store the HMAC secret (read from ${SECRET_ENV}) in the KeyValueStore"
    )
    secret.add_argument("--kvs-arn", required=True)
    secret.add_argument(
        "--secret-env", default=SECRET_ENV, help="environment variable holding the secret"
    )
    secret.add_argument(
        "--rotate", action="store_true", help="keep the current secret as the previous one"
    )
    secret.set_defaults(func=_cmd_secret, flag_names=_FLAGS)

    revoke = subparsers.add_parser("revoke", help="deny a session or a user at the edge")
    revoke_sub = revoke.add_subparsers(dest="revoke_command", required=True)
    session = revoke_sub.add_parser("session", help="revoke one session id")
    session.add_argument("session_id")
    _add_store_options(session, lifetime=True)
    session.set_defaults(func=_cmd_revoke_session, flag_names=_FLAGS)
    user = revoke_sub.add_parser("user", help="revoke every session of a user id")
    user.add_argument("user_id")
    _add_store_options(user, lifetime=True)
    user.add_argument(
        "--ban",
        action="store_true",
        help="deny the user's sessions until the end, even new ones (default: only sessions "
        "issued now or before)",
    )
    user.set_defaults(func=_cmd_revoke_user, flag_names=_FLAGS)
    purge = revoke_sub.add_parser("purge", help="delete deny-list entries that have expired")
    _add_store_options(purge, lifetime=False)
    purge.set_defaults(func=_cmd_purge, flag_names=_FLAGS)


def _add_code_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cookie-name", default=revocation.SESSION_COOKIE)
    parser.add_argument("--secret-key", default=revocation.DEFAULT_SECRET_KEY)
    parser.add_argument("--previous-secret-key", default=revocation.DEFAULT_PREVIOUS_SECRET_KEY)
    parser.add_argument("--key-prefix", default="", help="prefix of the deny-list keys")


def _add_store_options(parser: argparse.ArgumentParser, *, lifetime: bool) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--kvs-arn", help="the CloudFront KeyValueStore the function reads")
    where.add_argument("--local-file", help="a LocalDenyList JSON file (for the local edge)")
    parser.add_argument("--key-prefix", default="", help="prefix of the deny-list keys")
    if lifetime:
        parser.add_argument(
            "--for",
            dest="until",
            type=parse_duration,
            default="24h",
            help=(
                "how long the entry lasts: at least max_session_age + lifetime + granularity, "
                "as long as a session can still be renewed (12h35m with the defaults; default 24h)"
            ),
        )


def _code(args: argparse.Namespace) -> str:
    return revocation.function_code(
        cookie_name=args.cookie_name,
        kvs_secret_key=args.secret_key,
        kvs_previous_secret_key=args.previous_secret_key,
        key_prefix=args.key_prefix,
    )


def _aws() -> Any:
    """:mod:`cfcookies.aws`, imported when a command needs AWS (it imports botocore)."""
    from .. import aws

    return aws


def _botocore_client(service: str) -> Any:  # pragma: no cover - needs AWS credentials
    import botocore.session

    return botocore.session.get_session().create_client(service, region_name="us-east-1")


def _store(args: argparse.Namespace) -> Any:
    if args.local_file:
        return revocation.LocalDenyList(path=args.local_file, key_prefix=args.key_prefix)
    _aws().require_crt()
    return _aws().KeyValueStoreDenyList(
        kvs_arn=args.kvs_arn,
        client=_botocore_client("cloudfront-keyvaluestore"),
        key_prefix=args.key_prefix,
    )


def _cmd_code(args: argparse.Namespace) -> int:
    code = _code(args)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(code)
    else:
        sys.stdout.write(code)
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    arn = _aws().publish_function(
        _botocore_client("cloudfront"), name=args.name, code=_code(args), kvs_arn=args.kvs_arn
    )
    print(arn)
    return 0


def _cmd_associate(args: argparse.Namespace) -> int:
    changed = _aws().associate_function(
        _botocore_client("cloudfront"),
        distribution_id=args.distribution_id,
        function_arn=args.function_arn,
        path_pattern=args.path_pattern,
        replace=args.replace,
    )
    print("associated" if changed else "already associated")
    return 0


def _cmd_secret(args: argparse.Namespace) -> int:
    value = os.environ.get(args.secret_env, "")
    if not value:
        raise ConfigurationError(
            f"set ${args.secret_env} to the secret the app uses (make one with "
            f"python -c 'from cfcookies.revocation import generate_secret; "
            f"print(generate_secret())')"
        )
    _aws().require_crt()
    store = _aws().KeyValueStoreDenyList(
        kvs_arn=args.kvs_arn, client=_botocore_client("cloudfront-keyvaluestore")
    )
    if args.rotate:
        store.rotate_secret(value)
    else:
        store.set_secrets(value)
    print("secret stored")
    return 0


def _cmd_revoke_session(args: argparse.Namespace) -> int:
    _store(args).revoke_session(args.session_id, until=args.until)
    print("revoked")
    return 0


def _cmd_revoke_user(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.ban:
        store.revoke_user(args.user_id, until=args.until, issued_before=args.until)
    else:
        store.revoke_user(args.user_id, until=args.until)
    print("revoked")
    return 0


def _cmd_purge(args: argparse.Namespace) -> int:
    count = _store(args).purge_expired()
    print(f"purged {count} expired entries")
    return 0
