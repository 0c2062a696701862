"""Helpers for the demo and browser tests: servers on pre-bound loopback sockets, a throwaway
TLS certificate authority, and headless Chromium (Debian's) through Playwright.

A server's port must be known before the apps are built (the middleware's ``media_url`` and the
edge's CORS origin carry it), so :func:`bind_loopback` binds first and :class:`ThreadedUvicorn`
(the package's one uvicorn runner, :mod:`cfcookies.edge.server`) serves the bound socket
afterwards.

The browser tests skip when Chromium or Playwright is missing, unless
``CFCOOKIES_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where they fail instead.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cfcookies.edge.server import LOOPBACK, UvicornThread, bind_socket

REQUIRE_BROWSER = os.environ.get("CFCOOKIES_REQUIRE_BROWSER") == "1"
#: The hosts the browser tests serve on, mapped to 127.0.0.1 in Chromium (the ``chromium``
#: fixture in ``conftest.py``).
APP_HOST = "app.example.test"
MEDIA_HOST = "media.example.test"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

#: The flags that keep Chromium quiet and local on a machine with no network but loopback.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
)


def bind_loopback() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 (not yet listening)."""
    return bind_socket(LOOPBACK, 0)


def port_of(sock: socket.socket) -> int:
    port: int = sock.getsockname()[1]
    return port


def port_is_closed(port: int) -> bool:
    """Whether nothing accepts connections on 127.0.0.1:port any more."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1):
            return False
    except OSError:
        return True


class ThreadedUvicorn(UvicornThread):
    """Serve an ASGI app on an already bound socket with uvicorn, in a thread (TLS optional).

    The package's runner (:class:`cfcookies.edge.server.UvicornThread`) with the browser
    tests' settings: lifespan on, a graceful shutdown of at most 3 seconds.
    """

    def __init__(
        self,
        app: Any,
        sock: socket.socket,
        *,
        certfile: Path | None = None,
        keyfile: Path | None = None,
    ) -> None:
        super().__init__(
            app, sock=sock, certfile=certfile, keyfile=keyfile, timeout_graceful_shutdown=3
        )


@dataclass(frozen=True)
class TLSFiles:
    ca_cert: Path
    cert: Path
    key: Path


def make_tls_files(folder: Path, hosts: tuple[str, ...]) -> TLSFiles:
    """A throwaway CA and a server certificate it signed for ``hosts`` (and 127.0.0.1)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cfcookies test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(h) for h in hosts]
    names.append(x509.IPAddress(ipaddress.ip_address(LOOPBACK)))
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        # Python 3.13's default context verifies strictly (VERIFY_X509_STRICT): a certificate
        # its CA signed must name that CA's key.
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TLSFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(
        server_cert.public_bytes(serialization.Encoding.PEM)
        + ca_cert.public_bytes(serialization.Encoding.PEM)
    )
    files.key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def chromium_executable() -> str | None:
    """Debian's Chromium, or another on PATH (``CFCOOKIES_CHROMIUM`` overrides)."""
    explicit = os.environ.get("CFCOOKIES_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_browser() -> str:
    """The Chromium executable; skip (or fail when required) if it or Playwright is missing."""
    problems = []
    executable = chromium_executable()
    if executable is None:
        problems.append("Chromium is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is not installed (pip install playwright)")
    if problems:
        message = "cannot run the browser test: " + "; ".join(problems)
        if REQUIRE_BROWSER:
            pytest.fail(message + " (CFCOOKIES_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    assert executable is not None
    return executable


def chromium_args(resolve_to_loopback: tuple[str, ...]) -> list[str]:
    """Chromium's flags, with each of ``resolve_to_loopback`` mapped to 127.0.0.1."""
    rules = ", ".join(f"MAP {host} {LOOPBACK}" for host in resolve_to_loopback)
    return [*CHROMIUM_FLAGS, f"--host-resolver-rules={rules}, EXCLUDE localhost"]
