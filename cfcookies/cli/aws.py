"""``cfcookies aws …``: public keys, key groups, rotation and status through botocore.

Wired into the main parser by :mod:`cfcookies.cli.main` with ``register(subparsers)``, which
returns the ``aws`` command's own subparsers so that the revocation commands can hang under it
(``cfcookies aws function …``, ``cfcookies aws revoke …``). Every subcommand sets
``func(args) -> int``: 0 on success, 1 on an error, 3 when a rotation step is refused because
it would break cookies in use (run it again later). Errors are raised and reported by
:func:`cfcookies.cli.main.main` in the one format, on stderr in one line, never with a
traceback, never with key material or credentials.

botocore and :mod:`cfcookies.aws` are imported when a command runs, not when the parser is
built, so that ``cfcookies --help`` and the other commands start without them.

Credentials and region come from botocore's standard chain (``AWS_PROFILE``, environment,
config files, instance or task roles); ``--profile``, ``--region`` and ``--endpoint-url``
override them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError
from ..keys import PrivateKey, PublicKey, load_public_key
from ..policy import system_clock
from .common import EXIT_ERROR, Subparsers, iso_time

if TYPE_CHECKING:
    from ..aws import KeyMaterial

__all__ = ["register"]

ClientFactory = Callable[[str, argparse.Namespace], Any]


def _default_client_factory(service: str, args: argparse.Namespace) -> Any:
    import botocore.session

    from ..aws import make_client

    session = getattr(args, "_aws_session", None)
    if session is None:
        session = (
            botocore.session.Session(profile=args.profile)
            if args.profile
            else botocore.session.get_session()
        )
        args._aws_session = session
    return make_client(
        service, session=session, region_name=args.region, endpoint_url=args.endpoint_url
    )


def _client(args: argparse.Namespace, service: str) -> Any:
    factory: ClientFactory = args.client_factory
    return factory(service, args)


def _passphrase(variable: str | None) -> str | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise ConfigurationError(f"the passphrase variable {variable} is not set")
    return value


def _material(args: argparse.Namespace, spec: str, passphrase_env: str | None) -> KeyMaterial:
    from ..aws import fetch_key_material, parse_key_spec

    parsed = parse_key_spec(spec)
    client = _client(args, parsed.kind) if parsed.kind in ("secretsmanager", "ssm") else None
    return fetch_key_material(parsed, passphrase=_passphrase(passphrase_env), client=client)


def _positive_seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value}")
    return value


def _aware_datetime(text: str) -> datetime:
    value = iso_time(text)
    if value is None:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time like 2026-05-01T12:00:00Z, got {text!r}"
        )
    return value


def _note(text: str) -> None:
    print(text, file=sys.stderr)


# --------------------------------------------------------------------------------------------
# Commands


def _key_arg(args: argparse.Namespace, prefix: str) -> PrivateKey | PublicKey:
    """The key given as --{prefix}private-key SPEC or --{prefix}public-key PATH."""
    attr = prefix.replace("-", "_")
    public_path: str | None = getattr(args, f"{attr}public_key")
    if public_path is not None:
        return load_public_key(public_path)
    spec: str = getattr(args, f"{attr}private_key")
    return _material(args, spec, getattr(args, f"{attr}passphrase_env")).private_key


def _cmd_upload_key(args: argparse.Namespace) -> int:
    from ..aws import create_key_group, rotate_start, upload_public_key

    cloudfront = _client(args, "cloudfront")
    key = _key_arg(args, "")
    options: dict[str, Any] = {"name": args.name, "comment": args.comment, "clock": args.clock}
    if args.key_group_id is not None:
        # Reuses a key the group already holds; deletes the upload if the group refuses it.
        info = rotate_start(cloudfront, key_group_id=args.key_group_id, new_key=key, **options)
        _note(f"public key {info.id} is in key group {args.key_group_id}")
    else:
        info = upload_public_key(cloudfront, key, **options)
        _note(f"uploaded public key {info.id} ({info.name})")
        if args.create_key_group is not None:
            group = create_key_group(
                cloudfront, name=args.create_key_group, public_key_ids=[info.id]
            )
            _note(f"created key group {group.id} ({group.name}) holding {info.id}")
            _note("make it a trusted key group of the distribution's cache behaviors")
    _note(f"sign with key_pair_id={info.id}")
    print(info.id)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from ..aws import DEFAULT_KEYS_PER_KEY_GROUP, key_status

    cloudfront = _client(args, "cloudfront")
    signing = _material(args, args.private_key, args.passphrase_env) if args.private_key else None
    status = key_status(
        cloudfront, args.key_group_id, signing=signing, distribution_id=args.distribution_id
    )
    if args.json:
        print(json.dumps(status.to_dict(), indent=2))
        return 0
    group = status.key_group
    print(
        f"key group {group.id} ({group.name}): {len(status.public_keys)} public keys "
        f"(CloudFront's default quota: {DEFAULT_KEYS_PER_KEY_GROUP} per group)"
    )
    for key in status.public_keys:
        created = key.created_time.strftime("%Y-%m-%dT%H:%M:%SZ") if key.created_time else "?"
        mark = "  <- signing" if key.id in status.signing_key_ids else ""
        fingerprint = f"sha256:{key.fingerprint[:16]}" if key.fingerprint else "unreadable key"
        print(f"  {key.id}  {key.name}  created {created}  {fingerprint}{mark}")
    if signing is not None:
        stored = f", stored key_pair_id {signing.key_pair_id}" if signing.key_pair_id else ""
        print(f"signing key from {signing.spec}: sha256:{signing.fingerprint[:16]}{stored}")
    for behavior in status.behaviors:
        trusted = ", ".join(behavior.key_group_ids) if behavior.enabled else "none"
        here = " (this group)" if behavior.enabled and group.id in behavior.key_group_ids else ""
        print(f"behavior {behavior.path_pattern}: trusts {trusted}{here}")
    for problem in status.problems:
        print(f"problem: {problem}")
    return EXIT_ERROR if status.problems else 0


def _cmd_rotate_start(args: argparse.Namespace) -> int:
    from ..aws import rotate_start

    cloudfront = _client(args, "cloudfront")
    info = rotate_start(
        cloudfront,
        key_group_id=args.key_group_id,
        new_key=_key_arg(args, "new-"),
        name=args.name,
        comment=args.comment,
        clock=args.clock,
    )
    _note(f"public key {info.id} is in key group {args.key_group_id} beside the old key(s)")
    _note(
        f"next: cfcookies aws rotate switch --key-group-id {args.key_group_id} "
        f"--new-key-id {info.id} --private-key <where the app reads its key> "
        f"--new-private-key <the new key>"
    )
    print(info.id)
    return 0


def _cmd_rotate_switch(args: argparse.Namespace) -> int:
    from ..aws import parse_key_spec, rotate_switch

    target = parse_key_spec(args.private_key)
    if target.kind not in ("secretsmanager", "ssm"):
        raise ConfigurationError(
            f"{target} is not in AWS, so the switch is yours to make: store the new key where "
            f"the app reads it and set its key pair ID to {args.new_key_id}, restart, then run "
            f"rotate finish with --switched-at"
        )
    cloudfront = _client(args, "cloudfront")
    new_key = _material(args, args.new_private_key, args.new_passphrase_env).private_key
    written = rotate_switch(
        cloudfront,
        key_group_id=args.key_group_id,
        target=target,
        new_key_pair_id=args.new_key_id,
        new_private_key=new_key,
        passphrase=_passphrase(args.passphrase_env),
        client=_client(args, target.kind),
    )
    when = written.changed_at.strftime("%Y-%m-%dT%H:%M:%SZ") if written.changed_at else "now"
    _note(
        f"{target} now holds key {args.new_key_id} (version {written.version}, written {when}); "
        f"apps using RefreshingKeyRing switch within their refresh interval, others on restart"
    )
    _note(
        "after the longest cookie lifetime has passed: cfcookies aws rotate finish "
        f"--key-group-id {args.key_group_id} --old-key-id <old id> --private-key {target} "
        f"--max-cookie-lifetime <seconds>"
    )
    print(args.new_key_id)
    return 0


def _cmd_rotate_finish(args: argparse.Namespace) -> int:
    from ..aws import rotate_finish

    cloudfront = _client(args, "cloudfront")
    signing = _material(args, args.private_key, args.passphrase_env)
    group = rotate_finish(
        cloudfront,
        key_group_id=args.key_group_id,
        old_key_id=args.old_key_id,
        signing=signing,
        max_cookie_lifetime=args.max_cookie_lifetime,
        refresh_interval=args.refresh_interval,
        switched_at=args.switched_at,
        delete=not args.keep_public_key,
        clock=args.clock,
    )
    _note(f"removed {args.old_key_id} from key group {group.id}")
    if not args.keep_public_key:
        _note(f"deleted public key {args.old_key_id}")
    print(", ".join(group.public_key_ids))
    return 0


# --------------------------------------------------------------------------------------------
# Parser


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("AWS connection")
    group.add_argument("--profile", help="AWS profile name (default: the standard chain)")
    group.add_argument("--region", help="region of Secrets Manager / SSM (CloudFront is global)")
    group.add_argument("--endpoint-url", help="send AWS calls here instead (a local moto server)")
    common.set_defaults(client_factory=_default_client_factory, clock=system_clock)
    return common


#: The library's argument names as these commands' flags (see :func:`~.common.cli_message`).
_FLAGS = {
    "max_cookie_lifetime": "--max-cookie-lifetime",
    "refresh_interval": "--refresh-interval",
    "switched_at": "--switched-at",
    "passphrase": "--passphrase-env",
}

_SPEC_HELP = "secretsmanager:NAME, ssm:/path/name, env:VAR or a file path"


def _add_key_source(parser: argparse.ArgumentParser, prefix: str) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(f"--{prefix}private-key", metavar="SPEC", help=f"the key: {_SPEC_HELP}")
    source.add_argument(f"--{prefix}public-key", metavar="PATH", help="or its public key PEM")
    parser.add_argument(
        f"--{prefix}passphrase-env", metavar="VAR", help="variable holding the key's passphrase"
    )
    parser.add_argument("--name", help="public key name (default: cfcookies-DATE-FINGERPRINT)")
    parser.add_argument("--comment", help="public key comment")


def register(subparsers: Subparsers) -> Subparsers:
    """Add ``aws`` and its subcommands to ``subparsers``; return the ``aws`` subparsers."""
    common = _common()
    parser = subparsers.add_parser(
        "aws",
        help="CloudFront public keys, key groups and key rotation (botocore)",
        description="CloudFront public keys, key groups, key rotation and status, through "
        "botocore with the standard AWS credential chain.",
    )
    commands = parser.add_subparsers(dest="aws_command", metavar="COMMAND", required=True)
    _add_upload_key(commands, common)
    _add_status(commands, common)
    rotate = commands.add_parser(
        "rotate",
        help="rotate the signing key: start, switch, finish (AWS's documented order)",
    )
    steps = rotate.add_subparsers(dest="rotate_step", metavar="STEP", required=True)
    _add_rotate_start(steps, common)
    _add_rotate_switch(steps, common)
    _add_rotate_finish(steps, common)
    return commands


def _add_upload_key(commands: Subparsers, common: argparse.ArgumentParser) -> None:
    upload = commands.add_parser(
        "upload-key",
        parents=[common],
        help="upload a public key, optionally into a key group; prints its key pair ID",
    )
    _add_key_source(upload, "")
    where = upload.add_mutually_exclusive_group()
    where.add_argument("--key-group-id", help="add the key to this existing key group")
    where.add_argument("--create-key-group", metavar="NAME", help="create a key group holding it")
    upload.set_defaults(func=_cmd_upload_key, flag_names=_FLAGS)


def _add_status(commands: Subparsers, common: argparse.ArgumentParser) -> None:
    status = commands.add_parser(
        "status",
        parents=[common],
        help="which keys a key group holds, which one the app signs with, who trusts the group "
        "(exits 1 when the app's key is not trusted)",
    )
    status.add_argument("--key-group-id", required=True)
    status.add_argument("--distribution-id", help="also list this distribution's behaviors")
    status.add_argument("--private-key", metavar="SPEC", help=f"the app's key: {_SPEC_HELP}")
    status.add_argument("--passphrase-env", metavar="VAR", help="variable holding its passphrase")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=_cmd_status, flag_names=_FLAGS)


def _add_rotate_start(steps: Subparsers, common: argparse.ArgumentParser) -> None:
    start = steps.add_parser(
        "start",
        parents=[common],
        help="upload the new public key and add it to the key group beside the old one",
    )
    start.add_argument("--key-group-id", required=True)
    _add_key_source(start, "new-")
    start.set_defaults(func=_cmd_rotate_start, flag_names=_FLAGS)


def _add_rotate_switch(steps: Subparsers, common: argparse.ArgumentParser) -> None:
    switch = steps.add_parser(
        "switch",
        parents=[common],
        help="make the app sign with the new key: write it with its ID to the app's secret",
    )
    switch.add_argument("--key-group-id", required=True)
    switch.add_argument(
        "--private-key",
        metavar="SPEC",
        required=True,
        help="where the app reads its key: secretsmanager:NAME or ssm:/path/name",
    )
    switch.add_argument("--passphrase-env", metavar="VAR", help="encrypt the stored key with it")
    switch.add_argument("--new-key-id", required=True, help="the ID rotate start printed")
    switch.add_argument(
        "--new-private-key", metavar="SPEC", required=True, help=f"the new key: {_SPEC_HELP}"
    )
    switch.add_argument("--new-passphrase-env", metavar="VAR", help="its passphrase variable")
    switch.set_defaults(func=_cmd_rotate_switch, flag_names=_FLAGS)


def _add_rotate_finish(steps: Subparsers, common: argparse.ArgumentParser) -> None:
    finish = steps.add_parser(
        "finish",
        parents=[common],
        help="remove and delete the old key once every cookie it signed has expired",
    )
    finish.add_argument("--key-group-id", required=True)
    finish.add_argument("--old-key-id", required=True)
    finish.add_argument(
        "--private-key", metavar="SPEC", required=True, help=f"the app's key now: {_SPEC_HELP}"
    )
    finish.add_argument("--passphrase-env", metavar="VAR", help="variable holding its passphrase")
    finish.add_argument(
        "--max-cookie-lifetime",
        metavar="SECONDS",
        type=_positive_seconds,
        required=True,
        help="the longest a signed cookie stays valid",
    )
    finish.add_argument(
        "--refresh-interval",
        metavar="SECONDS",
        type=_positive_seconds,
        help="how long apps take to pick up a new key (RefreshingKeyRing's interval)",
    )
    finish.add_argument(
        "--switched-at",
        metavar="TIME",
        type=_aware_datetime,
        help="when the app switched, for keys outside AWS (ISO 8601 with timezone)",
    )
    finish.add_argument(
        "--keep-public-key",
        action="store_true",
        help="remove the key from the group but do not delete it",
    )
    finish.set_defaults(func=_cmd_rotate_finish, flag_names=_FLAGS)
