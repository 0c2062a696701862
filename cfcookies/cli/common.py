"""What several commands share: where keys come from, epoch times, and how errors are printed.

Key specs (a path, ``env:VAR``, ``secretsmanager:NAME``, ``ssm:/path``) and the one-line error
format are the same for every command, so they live here once. Key material never reaches an
error message: a spec that holds a PEM is refused without being echoed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from ..exceptions import ConfigurationError
from ..keys import PrivateKey, PublicKey, load_private_key, load_public_key

__all__ = [
    "Command",
    "Subparsers",
    "env",
    "env_passphrase",
    "epoch",
    "load_key_spec",
    "load_public_spec",
    "print_error",
]

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


def epoch(text: str) -> int:
    """An argparse type: integer seconds since the epoch."""
    value = text.strip()
    if not value.isdigit() or not value.isascii():
        raise argparse.ArgumentTypeError(
            f"expected integer seconds since the epoch (like 1767225600), got {text!r}"
        )
    return int(value)


# --- output ------------------------------------------------------------------------------------


def print_error(message: str, *, command: str | None = None) -> None:
    """``cfcookies COMMAND: error: MESSAGE`` on stderr: one line, never a traceback."""
    where = f"cfcookies {command}" if command else "cfcookies"
    print(f"{where}: error: {message}", file=sys.stderr)


_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
