"""A moto server on 127.0.0.1 for tests that call AWS through real botocore clients.

Import the helpers and wrap them in fixtures in the test module::

    @pytest.fixture(scope="session")
    def moto() -> Iterator[MotoServer]:
        with running_moto_server() as server:
            yield server

    @pytest.fixture
    def aws(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
        use_fake_aws_environment(monkeypatch)
        moto.reset()
        return moto

Nothing leaves loopback: credentials are dummies, the instance metadata service is switched
off, and every client is made with ``endpoint_url=server.endpoint_url``.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

__all__ = ["MotoServer", "running_moto_server", "use_fake_aws_environment"]

REGION = "us-east-1"

_CLEARED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


@dataclass(frozen=True)
class MotoServer:
    endpoint_url: str
    session: botocore.session.Session = field(
        default_factory=botocore.session.get_session, repr=False, compare=False
    )

    def reset(self) -> None:
        """Forget every resource (moto's own reset endpoint)."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def client(self, service: str) -> Any:
        """A real botocore client for ``service`` talking to this server, without retries."""
        return self.session.create_client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}),
        )


@contextmanager
def running_moto_server() -> Iterator[MotoServer]:
    """Start moto's threaded server on a free port of 127.0.0.1; stop it afterwards."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield MotoServer(f"http://{host}:{port}")
    finally:
        server.stop()


def use_fake_aws_environment(monkeypatch: pytest.MonkeyPatch, *, credentials: bool = True) -> None:
    """Dummy credentials and region in the environment; no config files, no metadata service."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/cfcookies-tests/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/cfcookies-tests/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    if credentials:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    else:
        monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
