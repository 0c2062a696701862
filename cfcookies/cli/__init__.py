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
    cfcookies aws      upload-key | status | rotate start|switch|finish
                       | function code|publish|associate|secret | revoke session|user|purge
    cfcookies edge     --root DIR --public-key ID=PATH …
    cfcookies demo     [--app-port PORT] [--edge-port PORT] …

One module per command group: :mod:`~cfcookies.cli.keys` (``keygen``),
:mod:`~cfcookies.cli.sign` (``cookies``, ``sign-url``), :mod:`~cfcookies.cli.verify`,
:mod:`~cfcookies.cli.aws`, :mod:`~cfcookies.cli.revocation` (under ``aws``),
:mod:`~cfcookies.cli.edge` and :mod:`~cfcookies.cli.demo`, each with ``register(subparsers)``;
:mod:`~cfcookies.cli.main` builds the parser from them and :mod:`~cfcookies.cli.common` holds
what several share. A private key ``SPEC`` is a file path, ``env:VAR`` (PEM in an environment
variable), or ``secretsmanager:NAME`` / ``ssm:/path`` through :mod:`cfcookies.aws`.

Every command returns 0 on success and 1 on a user mistake or a refused request, with one line
on stderr and no traceback; argparse usage errors return 2. Key material never reaches the
output of an error.
"""

from __future__ import annotations

from .common import load_key_spec
from .main import build_parser, main

__all__ = ["build_parser", "load_key_spec", "main"]
