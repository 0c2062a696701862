"""Shared fixtures: keys of every kind (generated once per session) and an injectable clock;
then, by part, what several test modules use: the verification table and the local edge
(``tests/test_edge_*.py``, ``test_verify.py``, ``test_diagnose.py``), moto and the AWS clients
(``tests/test_aws_*.py``), the demo served over loopback (``tests/test_demo_*.py``), headless
Chromium (``tests/test_browser*.py``) and the CloudFormation template
(``test_infrastructure.py``, ``test_template_limits.py``, ``test_edge_answers.py``).

The fixtures of a part that needs a framework, botocore, Playwright or YAML import it when a
test asks for them, so that collecting the rest of the suite does not pay for it. Helpers that
are imported (not fixtures) live in ``support.py`` and the ``*_support.py`` modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from cfcookies.keys import (
    KeyRing,
    PrivateKey,
    PublicKey,
    SigningKey,
    generate_private_key,
    private_key_pem,
)
from cfcookies.signing import Signer
from tests.support import (
    DRIVERS,
    ECDSA_KEY_ID,
    PASSPHRASE,
    RSA_KEY_ID,
    FakeClock,
    KeyFiles,
)
from tests.verification_cases import (
    MEDIA_URL,
    RESOURCE,
    VerificationTable,
    build_verification_table,
)

if TYPE_CHECKING:
    from botocore.stub import Stubber
    from playwright.sync_api import Browser
    from starlette.testclient import TestClient

    from cfcookies.edge import EdgeApp
    from tests.aws_support import KeyGroupQuota
    from tests.cli_support import Run
    from tests.demo_support import Served
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


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``run(*argv)`` runs ``cfcookies ARGV`` in this process and returns its
    :class:`~tests.cli_support.Run` (exit status, stdout, stderr)."""
    from tests.cli_support import run_cli

    return partial(run_cli, capsys)


# --- the verification table and the local edge (tests/test_edge_*.py) ----------------------------


@pytest.fixture
def table(
    rsa_key: PrivateKey, ecdsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock
) -> VerificationTable:
    """Every case of :mod:`tests.verification_cases`, signed afresh on the test's clock."""
    return build_verification_table(
        rsa_key=rsa_key, ecdsa_key=ecdsa_key, old_rsa_key=old_rsa_key, clock=clock
    )


@pytest.fixture
def keys(rsa_key: PrivateKey) -> dict[str, PublicKey]:
    """The public keys a verifier or the edge trusts: the RSA key's, as ``RSA_KEY_ID``."""
    return {RSA_KEY_ID: rsa_key.public_key()}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The edge's bucket (:func:`tests.edge_support.make_bucket`), a file beside it."""
    from tests.edge_support import make_bucket

    return make_bucket(tmp_path)


@pytest.fixture
def edge(root: Path, keys: dict[str, PublicKey], clock: FakeClock) -> EdgeApp:
    """The local edge over ``root`` (:func:`tests.edge_support.make_edge`)."""
    from tests.edge_support import make_edge

    return make_edge(root, keys, clock)


@pytest.fixture
def client(edge: EdgeApp) -> Iterator[TestClient]:
    """A test client for the edge, on the media URL."""
    from starlette.testclient import TestClient

    with TestClient(edge, base_url=MEDIA_URL) as client:
        yield client


@pytest.fixture
def cookie(signer: Signer) -> str:
    """A ``Cookie`` header with signed cookies for ``/videos/course-1/*`` only."""
    cookies = signer.cookies_for(RESOURCE, date_less_than=3_000_000_000)
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


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


@pytest.fixture
def key_group_quota(server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> KeyGroupQuota:
    """moto (in this process) answers UpdateKeyGroup and refuses a group over the quota, as
    CloudFront does (:func:`tests.aws_support.teach_key_group_quota`)."""
    from tests.aws_support import teach_key_group_quota

    return teach_key_group_quota(monkeypatch)


@pytest.fixture
def stubbed_cloudfront(server: MotoServer) -> Iterator[tuple[Any, Stubber]]:
    """A real CloudFront client whose calls the Stubber answers (pointed at loopback anyway)."""
    from tests.aws_support import stubbed

    yield from stubbed(server.client("cloudfront"))


@pytest.fixture
def cf_client() -> Iterator[tuple[Any, Stubber]]:
    """A ``cloudfront`` client whose calls the Stubber answers (no server)."""
    from tests.aws_support import stubbed_client

    yield from stubbed_client("cloudfront")


@pytest.fixture
def kvs_client() -> Iterator[tuple[Any, Stubber]]:
    """A ``cloudfront-keyvaluestore`` client whose calls the Stubber answers (no server)."""
    from tests.aws_support import stubbed_client

    yield from stubbed_client("cloudfront-keyvaluestore")


# --- the demo (tests/test_demo_*.py) --------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo over plain HTTP on loopback: one per test module that asks for it."""
    from tests.demo_support import serve_demo

    with serve_demo(tmp_path_factory.mktemp("demo")) as site:
        yield site


# --- headless Chromium (tests/test_browser*.py) --------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Headless Chromium, ``APP_HOST`` and ``MEDIA_HOST`` mapped to 127.0.0.1; one per module.

    Skips (or fails, under ``CFCOOKIES_REQUIRE_BROWSER=1``) without Chromium or Playwright.
    """
    from tests.browser_support import APP_HOST, MEDIA_HOST, chromium_args, require_browser

    executable = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=chromium_args((APP_HOST, MEDIA_HOST)),
        )
        try:
            yield browser
        finally:
            browser.close()


# --- the CloudFormation template (examples/infrastructure) ----------------------------------------


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """The template as CloudFormation reads it (short tags in their long form)."""
    from tests.template_support import TEMPLATE_PATH, load_template

    return load_template(TEMPLATE_PATH.read_text(encoding="utf-8"))
