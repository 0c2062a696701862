"""What several commands share: where keys come from, times and durations, and how errors are
printed.

Key specs (a path, ``env:VAR``, ``secretsmanager:NAME``, ``ssm:/path``), the one reader of
durations (``30m``, ``12h``, ``1h30m``) and the one-line error format are the same for every
command, so they live here once. Key material never reaches an error message: a spec that holds
a PEM is refused without being echoed.

Errors are written ``cfcookies COMMAND: error: MESSAGE`` (``COMMAND`` as argparse names it in
its usage errors, ``aws rotate start`` for a subcommand), one line on stderr. The library's
messages name its Python arguments (``date_less_than``, ``passphrase=...``); each command maps
them to its flags with ``set_defaults(flag_names=…)`` and :func:`cli_message` rewrites them,
so a Python user and a CLI user each read their own words.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

from ..clock import duration_seconds
from ..exceptions import ConfigurationError
from ..keys import PrivateKey, PublicKey, load_private_key, load_public_key

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "SIGNING_FLAGS",
    "Command",
    "Subparsers",
    "cli_message",
    "command_name",
    "duration",
    "env",
    "env_passphrase",
    "epoch",
    "iso_time",
    "load_key_spec",
    "load_public_spec",
    "print_error",
    "when",
]

#: Exit statuses, the same for every command (documented in ``cfcookies --help``).
EXIT_OK = 0  # done; ``verify``: CloudFront would serve the request
EXIT_ERROR = 1  # the command ran and failed or refused (``verify``: CloudFront would refuse)
EXIT_USAGE = 2  # the command line is wrong: argparse printed the usage
EXIT_REFUSED = 3  # ``aws rotate``: the step is refused for now; run it again later
EXIT_INTERRUPTED = 130  # Ctrl-C

#: The library's argument names as the signing commands' flags (see :func:`cli_message`).
SIGNING_FLAGS: Mapping[str, str] = {
    "date_less_than": "--expires",
    "date_greater_than": "--not-before",
    "ip_address": "--ip-address",
    "hash_algorithm": "--hash-algorithm",
    "key_pair_id": "--key-pair-id",
    "passphrase": "--passphrase-env",
}

#: A command's handler, set with ``set_defaults(func=…)``: the exit status from the parsed args.
Command = Callable[[argparse.Namespace], int]

_AWS_PREFIXES = ("secretsmanager:", "ssm:", "arn:aws:secretsmanager:", "arn:aws:ssm:")


class Subparsers(Protocol):
    """What ``ArgumentParser.add_subparsers()`` returns, as far as a command group uses it.

    Each command group has ``register(subparsers: Subparsers)``; naming the protocol keeps
    argparse's private ``_SubParsersAction`` out of the signatures.
    """

    def add_parser(
        self,
        name: str,
        *,
        help: str | None = ...,
        description: str | None = ...,
        parents: Sequence[argparse.ArgumentParser] = ...,
    ) -> argparse.ArgumentParser: ...


# --- key sources -------------------------------------------------------------------------------


def env(variable: str, what: str) -> str:
    """The value of an environment ``variable`` holding ``what``; unset or empty is an error."""
    value = os.environ.get(variable)
    if value is None or value == "":
        raise ConfigurationError(f"the environment variable {variable} ({what}) is not set")
    return value


def env_passphrase(variable: str | None) -> str | None:
    """The key's passphrase from ``--passphrase-env VAR``, or ``None`` without one."""
    return None if variable is None else env(variable, "the key's passphrase")


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
        return load_private_key(env(variable, "the private key PEM"), passphrase=passphrase)
    if spec.startswith(_AWS_PREFIXES):
        try:
            from ..aws import resolve_private_key
        except ImportError:
            raise ConfigurationError(
                f"{spec.split(':', 1)[0]}: keys need cfcookies.aws, which this installation "
                f"does not have; use a file path or env:VAR"
            ) from None
        return resolve_private_key(spec, passphrase=passphrase)
    path = spec[len("file://") :] if spec.startswith("file://") else spec
    return load_private_key(Path(path), passphrase=passphrase)


def load_public_spec(spec: str) -> PublicKey:
    """Load a public key from a path, ``env:VAR`` or the PEM itself (a public key is no secret)."""
    if spec.startswith("env:"):
        return load_public_key(env(spec[len("env:") :], "a public key PEM"))
    if "-----BEGIN" in spec:
        return load_public_key(spec)
    path = spec[len("file://") :] if spec.startswith("file://") else spec
    return load_public_key(Path(path))


# --- argument types ----------------------------------------------------------------------------

_LONGEST = 100 * 365 * 86400  # a century: past it, a duration is a typo (and dates overflow)


def duration(text: str) -> timedelta | None:
    """``90``, ``30m``, ``12h``, ``7d``, ``1h30m`` (an optional leading ``+``) as a timedelta.

    ``None`` when ``text`` is not a duration; the one reader of durations for every command
    (``aws revoke --for``, ``--expires +1h``). Over 100 years is refused as a typo.
    """
    seconds = duration_seconds(text)
    if seconds is None:
        return None
    if seconds > _LONGEST:
        raise argparse.ArgumentTypeError(f"{text!r} is longer than 100 years")
    return timedelta(seconds=seconds)


def iso_time(text: str) -> datetime | None:
    """An ISO 8601 time with its zone (``Z`` allowed), as UTC; ``None`` when it is not one."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no timezone; add Z or +00:00")
    return value.astimezone(timezone.utc)


def epoch(text: str) -> int:
    """An argparse type: integer seconds since the epoch."""
    value = text.strip()
    if not value.isdigit() or not value.isascii():
        raise argparse.ArgumentTypeError(
            f"expected integer seconds since the epoch (like 1767225600), got {text!r}"
        )
    return int(value)


def when(text: str) -> int:
    """An argparse type for a moment: epoch seconds, from now (``+1h``, ``30m``) or ISO 8601.

    Bare digits are always epoch seconds (``--expires 1767225600``); a time from now needs a
    unit or a ``+`` (``+90`` is ninety seconds from now).
    """
    value = text.strip()
    if value.isascii() and value.isdigit():
        return int(value)
    delta = duration(value)
    if delta is not None:
        return int(time.time()) + int(delta.total_seconds())
    moment = iso_time(value)
    if moment is None:
        raise argparse.ArgumentTypeError(
            f"expected a time from now (like +1h, 30m, 7d or 1h30m), epoch seconds (like "
            f"1767225600) or an ISO 8601 time with a zone (like 2026-05-01T12:00:00Z), "
            f"got {text!r}"
        )
    return int(moment.timestamp())


# --- output ------------------------------------------------------------------------------------


def command_name(args: argparse.Namespace) -> str:
    """The command as argparse names it in usage errors: ``cookies``, ``aws rotate start`` …"""
    parts = [
        getattr(args, attr, None)
        for attr in (
            "command",
            "aws_command",
            "rotate_step",
            "function_command",
            "revoke_command",
        )
    ]
    return " ".join(p for p in parts if isinstance(p, str))


def cli_message(message: str, flag_names: Mapping[str, str]) -> str:
    """``message`` with the library's argument names written as the command's flags.

    ``date_less_than`` becomes ``--expires``, ``date_less_than=5`` ``--expires 5``, and
    ``passphrase=...`` ``--passphrase-env``: only a whole snake_case name or a ``name=`` is
    rewritten, so plain words (``a wrong passphrase``) stay as they are. Where a message named
    both spellings (``passphrase=... or --passphrase-env``), the flag is said once.
    """
    for name, flag in flag_names.items():
        optional = "?" if "_" in name else ""  # a plain word: only its keyword-argument form
        pattern = rf"(?<![\w-]){re.escape(name)}(?![\w])(=(?:\.\.\.)?){optional}(?=(\S?))"

        def flag_for(match: re.Match[str], flag: str = flag) -> str:
            given_a_value = match.group(1) == "=" and match.group(2) not in ("", ")", ",", ";")
            return f"{flag} " if given_a_value else flag

        message = re.sub(pattern, flag_for, message)
        message = re.sub(rf"{re.escape(flag)} (?:or|/) {re.escape(flag)}(?![\w-])", flag, message)
    return message


def print_error(message: str, *, command: str | None = None) -> None:
    """``cfcookies COMMAND: error: MESSAGE`` on stderr: one line, never a traceback.

    Messages may quote what a client sent (a URL, a cookie): their control characters and bidi
    overrides are written escaped (:func:`cfcookies.diagnose.printable`), never sent raw.
    """
    from ..diagnose import printable

    where = f"cfcookies {command}" if command else "cfcookies"
    print(f"{where}: error: {printable(message)}", file=sys.stderr)


_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
