"""``cfcookies keygen``: a new key pair, the private half written so only its owner can read it.

The private key file is created with mode 0600 before a byte is written (``O_EXCL`` unless
``--force``), so there is no moment when another user could read it. ``--out`` is created if its
parent folder exists (a mistyped path is not turned into a tree of new folders); a folder that
cannot be created or written to is said so in one line.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..exceptions import ConfigurationError
from ..keys import generate_private_key, private_key_pem, public_key_pem
from .common import Subparsers, env_passphrase

__all__ = ["PRIVATE_KEY_FILE", "PUBLIC_KEY_FILE", "register"]

PRIVATE_KEY_FILE = "private_key.pem"
PUBLIC_KEY_FILE = "public_key.pem"


def register(subparsers: Subparsers) -> None:
    """Add the ``keygen`` command to ``subparsers``."""
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


def _write_new(path: Path, data: bytes, *, mode: int, force: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (0 if force else os.O_EXCL)
    fd = os.open(path, flags, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
    finally:
        os.close(fd)


def _why(exc: OSError) -> str:
    """An OS error in words (``permission denied``), without the path it already names."""
    return (exc.strerror or type(exc).__name__).lower()


def _make_folder(out: Path) -> None:
    """Create ``out`` if its parent exists; say plainly why it cannot be used otherwise."""
    shown = repr(str(out))
    if out.is_dir():
        return
    if out.exists():
        raise ConfigurationError(f"--out {shown} is a file, not a folder")
    parent = out.parent
    if not parent.is_dir():
        raise ConfigurationError(
            f"--out {shown}: the folder {str(parent)!r} does not exist; create it first "
            f"(keygen creates only the last folder of --out)"
        )
    try:
        out.mkdir()
    except OSError as exc:
        raise ConfigurationError(f"cannot create the folder {shown}: {_why(exc)}") from None


def _cmd_keygen(args: argparse.Namespace) -> int:
    out = Path(args.out)
    passphrase = env_passphrase(args.passphrase_env)
    private_path = out / PRIVATE_KEY_FILE
    public_path = out / PUBLIC_KEY_FILE
    if not args.force:
        existing = [str(p) for p in (private_path, public_path) if p.exists()]
        if existing:
            raise ConfigurationError(
                f"{' and '.join(existing)} already exist; pass --force to overwrite "
                f"(cookies signed by the old key stop working once CloudFront forgets it)"
            )
    _make_folder(out)
    key = generate_private_key("ecdsa" if args.ecdsa else "rsa")
    try:
        _write_new(
            private_path, private_key_pem(key, passphrase=passphrase), mode=0o600, force=args.force
        )
        _write_new(public_path, public_key_pem(key).encode(), mode=0o644, force=args.force)
    except OSError as exc:
        raise ConfigurationError(f"cannot write the keys into {str(out)!r}: {_why(exc)}") from None
    kind = "ECDSA P-256" if args.ecdsa else "RSA-2048"
    encrypted = " (encrypted)" if passphrase else ""
    print(f"wrote {private_path} ({kind} private key{encrypted}, mode 0600; keep it secret)")
    print(f"wrote {public_path} (the public key to upload to CloudFront)")
    print(
        "next: upload the public key to CloudFront (console: Key management > Public keys, or "
        f"`cfcookies aws upload-key --public-key {public_path} --create-key-group NAME`), put it "
        "in a key group trusted by the cache behaviour, then sign with its ID: "
        f"`cfcookies cookies --private-key {private_path} --key-pair-id ID --resource URL "
        "--expires +1h`"
    )
    return 0
