"""Shared fixtures: keys of every kind (generated once per session) and an injectable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from cfcookies.keys import KeyRing, PrivateKey, SigningKey, generate_private_key, private_key_pem
from cfcookies.signing import Signer
from tests.support import (
    DRIVERS,
    ECDSA_KEY_ID,
    PASSPHRASE,
    RSA_KEY_ID,
    FakeClock,
    KeyFiles,
)

if TYPE_CHECKING:
    from tests.moto_server import MotoServer


@pytest.fixture(scope="session")
def rsa_key() -> PrivateKey:
    return generate_private_key("rsa")


@pytest.fixture(scope="session")
def ecdsa_key() -> PrivateKey:
    return generate_private_key("ecdsa")


@pytest.fixture(scope="session")
def old_rsa_key() -> PrivateKey:
    return generate_private_key("rsa")


@pytest.fixture(scope="session")
def rsa_1024_key() -> rsa.RSAPrivateKey:
    # Too small on purpose: the loaders must refuse it.
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505


@pytest.fixture(scope="session")
def p384_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="session")
def ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def dsa_key() -> dsa.DSAPrivateKey:
    return dsa.generate_private_key(key_size=2048)


@pytest.fixture(scope="session")
def key_files(
    tmp_path_factory: pytest.TempPathFactory, rsa_key: PrivateKey, ecdsa_key: PrivateKey
) -> KeyFiles:
    folder = tmp_path_factory.mktemp("keys")
    rsa_pem = folder / "rsa.pem"
    rsa_pem.write_bytes(private_key_pem(rsa_key))
    ecdsa_pem = folder / "ecdsa.pem"
    ecdsa_pem.write_bytes(private_key_pem(ecdsa_key))
    encrypted_pem = folder / "encrypted.pem"
    encrypted_pem.write_bytes(private_key_pem(rsa_key, passphrase=PASSPHRASE))
    public_pem = folder / "public.pem"
    public_pem.write_bytes(
        rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return KeyFiles(rsa_pem, ecdsa_pem, encrypted_pem, public_pem)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc))


@pytest.fixture
def rsa_signing_key(rsa_key: PrivateKey) -> SigningKey:
    return SigningKey(RSA_KEY_ID, rsa_key)


@pytest.fixture
def ecdsa_signing_key(ecdsa_key: PrivateKey) -> SigningKey:
    return SigningKey(ECDSA_KEY_ID, ecdsa_key)


@pytest.fixture
def signer(rsa_signing_key: SigningKey, clock: FakeClock) -> Signer:
    return Signer(KeyRing(rsa_signing_key), clock=clock)


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    """Each integration in turn: ASGI (Starlette), raw WSGI, Flask and Django."""
    return str(request.param)


@pytest.fixture(params=[False, True], ids=["imperative", "declarative"])
def declarative(request: pytest.FixtureRequest) -> bool:
    """grant()/revoke() calls (imperative), then a grants callable (declarative)."""
    return bool(request.param)


# --- moto's server on loopback (the AWS side of tests/test_aws_*.py and its fault tests) ---------


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    """One moto server for the session (imported here only when a test asks for it)."""
    from tests.moto_server import running_moto_server

    with running_moto_server() as running:
        yield running


@pytest.fixture
def server(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """The moto server, emptied, with fake AWS credentials in the environment."""
    from tests.moto_server import use_fake_aws_environment

    use_fake_aws_environment(monkeypatch)
    moto.reset()
    return moto
