"""The command line: ``cfcookies …`` or ``python -m cfcookies …``.

::

    cfcookies keygen   --out DIR [--ecdsa] [--passphrase-env VAR] [--force]
    cfcookies cookies  --private-key SPEC --key-pair-id ID --resource URL --expires TIME
                       [--not-before TIME] [--ip-address CIDR] [--hash-algorithm SHA1|SHA256]
                       [--canned] [--format json|header] [--passphrase-env VAR] [--allow-expired]
    cfcookies sign-url URL --private-key SPEC --key-pair-id ID --expires TIME
                       [--resource PATTERN] [--not-before TIME] [--ip-address CIDR]
                       [--hash-algorithm SHA1|SHA256] [--passphrase-env VAR] [--allow-expired]
    cfcookies verify   --public-key PATH --key-pair-id ID [--public-key … --key-pair-id …]
                       (--url URL [--cookie HEADER|-] [--json] | --har FILE [--url URL])
                       [--client-ip IP] [--at EPOCH]
    cfcookies aws      upload-key | status | rotate start|switch|finish
                       | function code|publish|associate|secret | revoke session|user|purge
    cfcookies edge     --root DIR --public-key ID=PATH …
    cfcookies demo     [--app-port PORT] [--edge-port PORT] …

A ``TIME`` is a time from now (``+1h``, ``30m``, ``1h30m``), epoch seconds or ISO 8601 with a
zone; durations are read in one place, :func:`~cfcookies.cli.common.duration`.

One module per command group: :mod:`~cfcookies.cli.keys` (``keygen``),
:mod:`~cfcookies.cli.sign` (``cookies``, ``sign-url``), :mod:`~cfcookies.cli.verify`,
:mod:`~cfcookies.cli.aws`, :mod:`~cfcookies.cli.revocation` (under ``aws``),
:mod:`~cfcookies.cli.edge` and :mod:`~cfcookies.cli.demo`, each with ``register(subparsers)``;
:mod:`~cfcookies.cli.main` builds the parser from them and :mod:`~cfcookies.cli.common` holds
what several share. A private key ``SPEC`` is a file path, ``env:VAR`` (PEM in an environment
variable), or ``secretsmanager:NAME`` / ``ssm:/path`` through :mod:`cfcookies.aws`.

Every command returns 0 on success and 1 on a user mistake or a refused request, with one line
on stderr, ``cfcookies COMMAND: error: MESSAGE``, and no traceback; argparse usage errors return
2, a rotation step refused for now 3, Ctrl-C 130 (``cfcookies --help`` lists them, and
``docs/cli.md``). :func:`~cfcookies.cli.main.main` reports every command's errors, so the format
is one; messages name the command's flags, not the library's arguments. Key material never
reaches the output of an error.
"""

from __future__ import annotations

from .common import load_key_spec
from .main import build_parser, main

__all__ = ["build_parser", "load_key_spec", "main"]
