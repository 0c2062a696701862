"""cfcookies.aws and ``cfcookies aws …`` against moto's server on 127.0.0.1, through real
botocore clients; calls moto lacks (UpdateKeyGroup) and error codes it never returns go through
botocore's Stubber, which checks every request and response against the service model, or
through the ``key_group_quota`` fixture, which teaches the in-process moto server UpdateKeyGroup
and CloudFront's quota of public keys per key group.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from cryptography.hazmat.primitives import serialization
from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.models import CloudFrontBackend, random_id
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult

from cfcookies import aws
from cfcookies.cli.aws import register
from cfcookies.exceptions import (
    AWSError,
    ConfigurationError,
    EncryptedKeyError,
    KeyLoadError,
    NaiveDatetimeError,
)
from cfcookies.keys import (
    PrivateKey,
    generate_private_key,
    key_fingerprint,
    private_key_pem,
    public_key_pem,
)
from tests.conftest import PASSPHRASE, FakeClock
from tests.moto_server import MotoServer, use_fake_aws_environment

OLD_ID = "K1OLDKEYPAIRID"
NEW_ID = "K2NEWKEYPAIRID"
GROUP_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


# --------------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture
def now_clock(clock: FakeClock) -> FakeClock:
    """The shared fake clock, set to the real time: moto stamps versions with the real time."""
    clock.now = datetime.now(timezone.utc).replace(microsecond=0)
    return clock


@pytest.fixture
def stubbed_cloudfront(server: MotoServer) -> Iterator[tuple[Any, Stubber]]:
    """A real CloudFront client whose calls the Stubber answers (pointed at loopback anyway)."""
    client = server.client("cloudfront")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def pem(key: PrivateKey) -> str:
    return private_key_pem(key).decode()


def json_secret(key_pair_id: str, key: PrivateKey) -> str:
    return json.dumps({"key_pair_id": key_pair_id, "private_key": pem(key)})


def key_group_response(
    ids: list[str], *, etag: str = "ETAGGROUP1", comment: str = "media", group_id: str = GROUP_ID
) -> dict[str, Any]:
    return {
        "KeyGroup": {
            "Id": group_id,
            "LastModifiedTime": datetime(2026, 1, 1, tzinfo=timezone.utc),
            "KeyGroupConfig": {"Name": "media-signers", "Items": ids, "Comment": comment},
        },
        "ETag": etag,
    }


def public_key_response(key_id: str, key: PrivateKey, *, etag: str = "ETAGKEY1") -> dict[str, Any]:
    return {
        "PublicKey": {
            "Id": key_id,
            "CreatedTime": datetime(2026, 1, 1, tzinfo=timezone.utc),
            "PublicKeyConfig": {
                "CallerReference": f"ref-{key_id}",
                "Name": f"name-{key_id}",
                "EncodedKey": public_key_pem(key),
                "Comment": "",
            },
        },
        "ETag": etag,
    }


def material(
    key: PrivateKey, key_pair_id: str | None, *, changed_at: datetime | None
) -> aws.KeyMaterial:
    return aws.KeyMaterial(
        aws.parse_key_spec("secretsmanager:app/signing-key"),
        key,
        key_pair_id,
        version="v1",
        changed_at=changed_at,
        is_json=key_pair_id is not None,
    )


def upload(server: MotoServer, key: PrivateKey, name: str) -> str:
    response = server.client("cloudfront").create_public_key(
        PublicKeyConfig={
            "CallerReference": name,
            "Name": name,
            "EncodedKey": public_key_pem(key),
        }
    )
    return str(response["PublicKey"]["Id"])


def make_group(server: MotoServer, ids: list[str]) -> str:
    response = server.client("cloudfront").create_key_group(
        KeyGroupConfig={"Name": "media-signers", "Items": ids}
    )
    return str(response["KeyGroup"]["Id"])


def make_distribution(
    server: MotoServer, default_groups: list[str], video_groups: list[str]
) -> str:
    def behavior(groups: list[str], pattern: str | None = None) -> dict[str, Any]:
        trusted: dict[str, Any] = {"Enabled": bool(groups), "Quantity": len(groups)}
        if groups:
            trusted["Items"] = groups
        shape: dict[str, Any] = {
            "TargetOriginId": "media",
            "ViewerProtocolPolicy": "https-only",
            "TrustedKeyGroups": trusted,
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        }
        if pattern:
            shape["PathPattern"] = pattern
        return shape

    response = server.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "cfcookies-test",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "media",
                        "DomainName": "media.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": behavior(default_groups),
            "CacheBehaviors": {"Quantity": 1, "Items": [behavior(video_groups, "/videos/*")]},
        }
    )
    return str(response["Distribution"]["Id"])


class TooManyPublicKeysInKeyGroup(CloudFrontException):
    code = "TooManyPublicKeysInKeyGroup"
    message = "The number of public keys in this key group is more than the maximum allowed."


class KeyGroupQuota:
    """The account's quota of public keys per key group, as the patched moto server enforces it."""

    def __init__(self) -> None:
        self.limit = aws.DEFAULT_KEYS_PER_KEY_GROUP

    def check(self, items: list[str]) -> None:
        if len(items) > self.limit:
            raise TooManyPublicKeysInKeyGroup()


@pytest.fixture
def key_group_quota(server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> KeyGroupQuota:
    """moto (running in this process) answers UpdateKeyGroup, which it lacks, and refuses in it
    and in CreateKeyGroup a group over the quota with TooManyPublicKeysInKeyGroup, as CloudFront
    does. The quota starts at CloudFront's default (5); set ``limit`` to play a raised one."""
    quota = KeyGroupQuota()
    create = CloudFrontBackend.create_key_group

    def create_key_group(backend: CloudFrontBackend, name: str, items: list[str]) -> Any:
        quota.check(items)
        return create(backend, name=name, items=items)

    def update_key_group(response: CloudFrontResponse) -> ActionResult:
        group = response.backend.get_key_group(response._get_param("Id"))
        items = response._get_param("KeyGroupConfig.Items", [])
        quota.check(items)
        group.name = response._get_param("KeyGroupConfig.Name")
        group.items = items
        group.etag = random_id(length=14)
        return ActionResult({"KeyGroup": group, "ETag": group.etag})

    monkeypatch.setattr(CloudFrontBackend, "create_key_group", create_key_group)
    monkeypatch.setattr(CloudFrontResponse, "update_key_group", update_key_group, raising=False)
    return quota


def group_keys(server: MotoServer, group_id: str) -> list[str]:
    config = server.client("cloudfront").get_key_group(Id=group_id)["KeyGroup"]["KeyGroupConfig"]
    return list(config["Items"])


def public_key_count(server: MotoServer) -> int:
    return int(server.client("cloudfront").list_public_keys()["PublicKeyList"]["Quantity"])


class CLIResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CLIResult]:
    """Run ``cfcookies aws …`` through a parser that only registers the aws subcommands."""

    def run(
        *argv: str,
        clients: Callable[[str, argparse.Namespace], Any] | None = None,
        clock: FakeClock | None = None,
    ) -> CLIResult:
        parser = argparse.ArgumentParser(prog="cfcookies")
        register(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(["aws", *argv])
        if clients is not None:
            args.client_factory = clients
        if clock is not None:
            args.clock = clock
        capsys.readouterr()
        code = args.func(args)
        captured = capsys.readouterr()
        return CLIResult(code, captured.out, captured.err)

    return run


# --------------------------------------------------------------------------------------------
# Specs


@pytest.mark.parametrize(
    ("spec", "kind", "name", "region"),
    [
        pytest.param("secretsmanager:app/key", "secretsmanager", "app/key", None, id="secret-name"),
        pytest.param(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/key-AbCdEf",
            "secretsmanager",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/key-AbCdEf",
            "eu-west-1",
            id="secret-arn",
        ),
        pytest.param(
            "secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:k",
            "secretsmanager",
            "arn:aws:secretsmanager:eu-west-1:1:secret:k",
            "eu-west-1",
            id="prefixed-secret-arn",
        ),
        pytest.param("ssm:/cfcookies/key", "ssm", "/cfcookies/key", None, id="parameter"),
        pytest.param(
            "arn:aws:ssm:us-west-2:1:parameter/k",
            "ssm",
            "arn:aws:ssm:us-west-2:1:parameter/k",
            "us-west-2",
            id="parameter-arn",
        ),
        pytest.param("env:CFCOOKIES_KEY", "env", "CFCOOKIES_KEY", None, id="env"),
        pytest.param("file:/etc/key.pem", "file", "/etc/key.pem", None, id="file-prefix"),
        pytest.param("file:///etc/key.pem", "file", "/etc/key.pem", None, id="file-url"),
        pytest.param("keys/private.pem", "file", "keys/private.pem", None, id="bare-path"),
    ],
)
def test_key_specs_name_their_store(spec: str, kind: str, name: str, region: str | None) -> None:
    """A spec names the store, the name within it and, for an ARN, its region."""
    assert aws.parse_key_spec(spec) == aws.KeySpec(kind, name, region)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("", "a key spec must be", id="empty"),
        pytest.param("secretsmanager:", "names nothing", id="empty-name"),
        pytest.param("env:1-NOT-A-NAME", "not an environment variable name", id="bad-env"),
        pytest.param("ssm:arn:aws:secretsmanager:us-east-1:1:secret:k", "pairs ssm:", id="mixed"),
        pytest.param("-----BEGIN PRIVATE KEY-----MIIE", "looks like a key itself", id="pem"),
    ],
)
def test_bad_key_specs_are_configuration_errors(spec: str, message: str) -> None:
    """A spec that names nothing, or is a key itself, is refused without echoing a key."""
    with pytest.raises(ConfigurationError, match=message) as caught:
        aws.parse_key_spec(spec)
    assert "MIIE" not in str(caught.value)


# --------------------------------------------------------------------------------------------
# Keys from Secrets Manager, SSM, environment and files (moto server)


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("pem", id="secret-string-pem"),
        pytest.param("der", id="secret-binary-der"),
        pytest.param("escaped", id="pem-with-literal-backslash-n"),
    ],
)
def test_private_key_is_read_from_secrets_manager(
    server: MotoServer, rsa_key: PrivateKey, stored: str
) -> None:
    """A key stored as a PEM string, DER binary or escaped PEM loads from Secrets Manager."""
    secrets = server.client("secretsmanager")
    if stored == "der":
        der = rsa_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        secrets.create_secret(Name="app/signing-key", SecretBinary=der)
    else:
        text = pem(rsa_key) if stored == "pem" else pem(rsa_key).replace("\n", "\\n")
        secrets.create_secret(Name="app/signing-key", SecretString=text)
    key = aws.resolve_private_key(
        "secretsmanager:app/signing-key", endpoint_url=server.endpoint_url
    )
    assert key_fingerprint(key) == key_fingerprint(rsa_key)


def test_json_secret_pairs_key_with_its_key_pair_id(
    server: MotoServer, ecdsa_key: PrivateKey
) -> None:
    """A JSON secret yields the key, its key pair ID, the version and the version's date."""
    secrets = server.client("secretsmanager")
    arn = secrets.create_secret(
        Name="app/signing-key", SecretString=json_secret(NEW_ID, ecdsa_key)
    )["ARN"]
    found = aws.fetch_key_material(arn, endpoint_url=server.endpoint_url)
    assert (found.key_pair_id, found.fingerprint, found.is_json) == (
        NEW_ID,
        key_fingerprint(ecdsa_key),
        True,
    )
    assert found.changed_at is not None
    assert found.changed_at.tzinfo is not None
    assert "PRIVATE" not in repr(found)


def test_encrypted_key_in_a_secret_needs_its_passphrase(
    server: MotoServer, rsa_key: PrivateKey
) -> None:
    """An encrypted key loads with its passphrase and fails clearly without it."""
    server.client("secretsmanager").create_secret(
        Name="k", SecretString=private_key_pem(rsa_key, passphrase=PASSPHRASE).decode()
    )
    with pytest.raises(EncryptedKeyError, match="secretsmanager:k"):
        aws.resolve_private_key("secretsmanager:k", endpoint_url=server.endpoint_url)
    key = aws.resolve_private_key(
        "secretsmanager:k", passphrase=PASSPHRASE, endpoint_url=server.endpoint_url
    )
    assert key_fingerprint(key) == key_fingerprint(rsa_key)


def test_private_key_is_read_from_an_ssm_secure_string(
    server: MotoServer, rsa_key: PrivateKey
) -> None:
    """A SecureString parameter is read with decryption, with its version and date."""
    server.client("ssm").put_parameter(
        Name="/cfcookies/key", Value=json_secret(NEW_ID, rsa_key), Type="SecureString"
    )
    found = aws.fetch_key_material("ssm:/cfcookies/key", endpoint_url=server.endpoint_url)
    assert (found.key_pair_id, found.version, found.fingerprint) == (
        NEW_ID,
        "1",
        key_fingerprint(rsa_key),
    )
    assert found.changed_at is not None


def test_plain_string_parameter_is_refused(server: MotoServer, rsa_key: PrivateKey) -> None:
    """A private key in an unencrypted String parameter is refused, naming the fix."""
    server.client("ssm").put_parameter(Name="/plain", Value=pem(rsa_key), Type="String")
    with pytest.raises(KeyLoadError, match="SecureString") as caught:
        aws.resolve_private_key("ssm:/plain", endpoint_url=server.endpoint_url)
    assert "BEGIN" not in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        pytest.param(
            "secretsmanager:missing",
            aws.AWSNotFoundError,
            "'missing' does not exist",
            id="no-secret",
        ),
        pytest.param(
            "ssm:/missing", aws.AWSNotFoundError, "'/missing' does not exist", id="no-parameter"
        ),
        pytest.param("secretsmanager:not-a-key", KeyLoadError, "not-a-key", id="not-a-key"),
        pytest.param("secretsmanager:bad-json", KeyLoadError, "not valid JSON", id="bad-json"),
        pytest.param(
            "secretsmanager:json-no-key",
            KeyLoadError,
            "without a private_key",
            id="json-without-key",
        ),
        pytest.param(
            "secretsmanager:json-bad-id", KeyLoadError, "key_pair_id must be", id="json-bad-id"
        ),
    ],
)
def test_unusable_stores_raise_typed_errors_without_their_content(
    server: MotoServer, spec: str, error: type[Exception], message: str
) -> None:
    """Missing or unusable secrets raise typed errors that never quote the stored value."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="not-a-key", SecretString="hunter2-top-secret-value")
    secrets.create_secret(Name="bad-json", SecretString='{"private_key": hunter2-top-secret')
    secrets.create_secret(Name="json-no-key", SecretString='{"key": "hunter2-top-secret"}')
    secrets.create_secret(
        Name="json-bad-id",
        SecretString='{"key_pair_id": "", "private_key": "hunter2-top-secret"}',
    )
    with pytest.raises(error, match=message) as caught:
        aws.resolve_private_key(spec, endpoint_url=server.endpoint_url)
    assert "hunter2" not in str(caught.value)


def test_key_in_an_environment_variable_is_repaired_and_loaded(
    monkeypatch: pytest.MonkeyPatch, ecdsa_key: PrivateKey
) -> None:
    """A PEM pasted into a variable with literal \\n escapes loads through env:VAR."""
    monkeypatch.setenv("CFCOOKIES_TEST_KEY", pem(ecdsa_key).replace("\n", "\\n"))
    key = aws.resolve_private_key("env:CFCOOKIES_TEST_KEY")
    assert key_fingerprint(key) == key_fingerprint(ecdsa_key)


def test_unset_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unset variable is reported by name."""
    monkeypatch.delenv("CFCOOKIES_TEST_UNSET", raising=False)
    with pytest.raises(KeyLoadError, match="CFCOOKIES_TEST_UNSET is not set"):
        aws.resolve_private_key("env:CFCOOKIES_TEST_UNSET")


def test_key_file_loads_and_a_missing_file_is_named(tmp_path: Path, rsa_key: PrivateKey) -> None:
    """A file spec loads the key; a missing file is named in the error."""
    path = tmp_path / "key.pem"
    path.write_text(json_secret(OLD_ID, rsa_key))
    found = aws.fetch_key_material(f"file:{path}")
    assert (found.key_pair_id, found.changed_at) == (OLD_ID, None)
    with pytest.raises(KeyLoadError, match="no key file at"):
        aws.resolve_private_key(str(tmp_path / "absent.pem"))


@pytest.mark.parametrize(
    ("code", "error", "message"),
    [
        pytest.param(
            "AccessDeniedException",
            aws.AWSAccessDeniedError,
            "grant the caller secretsmanager:GetSecretValue",
            id="access-denied",
        ),
        pytest.param("DecryptionFailure", aws.AWSAccessDeniedError, "kms:Decrypt", id="kms-denied"),
        pytest.param(
            "SignatureDoesNotMatch", aws.AWSCredentialsError, "refresh them", id="bad-signature"
        ),
        pytest.param("InternalServiceError", AWSError, "InternalServiceError", id="other"),
    ],
)
def test_secrets_manager_errors_are_translated_without_aws_text(
    server: MotoServer, code: str, error: type[Exception], message: str
) -> None:
    """AWS error codes become typed errors; AWS's own message (which may quote the request) is
    dropped."""
    client = server.client("secretsmanager")
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "get_secret_value",
            service_error_code=code,
            service_message="X-Amz-Security-Token:FwoGZXIvYXdzEXAMPLETOKEN",
            http_status_code=400,
            expected_params={"SecretId": "app/key"},
        )
        with pytest.raises(error, match=message) as caught:
            aws.resolve_private_key("secretsmanager:app/key", client=client)
    assert "FwoGZX" not in str(caught.value)


def test_missing_credentials_are_reported_without_sending_anything(
    moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without credentials the call fails before it is sent, saying where credentials come from."""
    use_fake_aws_environment(monkeypatch, credentials=False)
    with pytest.raises(aws.AWSCredentialsError, match="no AWS credentials"):
        aws.resolve_private_key("secretsmanager:k", endpoint_url=moto.endpoint_url)


def test_missing_region_is_reported(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a region the client cannot be made, and the error says how to set one."""
    use_fake_aws_environment(monkeypatch)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(aws.AWSCredentialsError, match="AWS_DEFAULT_REGION"):
        aws.resolve_private_key("secretsmanager:k", endpoint_url=moto.endpoint_url)


# --------------------------------------------------------------------------------------------
# RefreshingKeyRing (moto server)


def test_ring_picks_up_a_rotated_secret_once_the_interval_has_passed(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """After the secret is rotated, the ring reads it in the background once the interval has
    passed, signs with the new key, and still trusts the old key for verification."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=json_secret(OLD_ID, old_rsa_key))
    ring = aws.RefreshingKeyRing(
        "secretsmanager:app/key",
        refresh_interval=timedelta(minutes=5),
        endpoint_url=server.endpoint_url,
        clock=clock,
    )
    assert ring.active().key_pair_id == OLD_ID
    secrets.put_secret_value(SecretId="app/key", SecretString=json_secret(NEW_ID, rsa_key))
    clock.advance(299)
    assert ring.active().key_pair_id == OLD_ID
    assert not ring.refreshing
    clock.advance(1)
    assert ring.active().key_pair_id == OLD_ID  # the read runs in the background
    assert ring.wait_for_refresh(10)
    assert ring.active().key_pair_id == NEW_ID
    assert ring.active().fingerprint == key_fingerprint(rsa_key)
    assert set(ring.public_keys) == {OLD_ID, NEW_ID}


def test_ring_keeps_the_last_good_key_when_the_secret_breaks(
    server: MotoServer,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A secret that no longer holds a key leaves the ring signing with the last good key and
    logs a warning that does not quote the secret."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=json_secret(OLD_ID, old_rsa_key))
    ring = aws.RefreshingKeyRing(
        "secretsmanager:app/key",
        refresh_interval=60,
        endpoint_url=server.endpoint_url,
        clock=clock,
    )
    secrets.put_secret_value(SecretId="app/key", SecretString="hunter2-broken-value")
    clock.advance(60)
    with caplog.at_level(logging.WARNING, logger="cfcookies.aws"):
        assert ring.active().key_pair_id == OLD_ID
        assert ring.wait_for_refresh(10)
        assert ring.active().key_pair_id == OLD_ID
    assert "could not refresh the signing key from secretsmanager:app/key" in caplog.text
    events = [r.__dict__.get("event") for r in caplog.records if r.name == "cfcookies.aws"]
    assert events == ["cfcookies.keys.refresh_failed"]
    assert "hunter2" not in caplog.text
    assert ring.last_error is not None
    assert ring.last_refreshed_at < ring.last_refresh_attempt


def test_ring_refuses_a_new_key_under_the_old_key_pair_id(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A bare key replaced in place (same key pair ID, other key) is not adopted: CloudFront
    would reject its signatures."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=pem(old_rsa_key))
    ring = aws.RefreshingKeyRing(
        "secretsmanager:app/key",
        key_pair_id=OLD_ID,
        endpoint_url=server.endpoint_url,
        clock=clock,
    )
    secrets.put_secret_value(SecretId="app/key", SecretString=pem(rsa_key))
    with pytest.raises(KeyLoadError, match="same key pair ID"):
        ring.refresh(raise_errors=True)
    assert ring.active().fingerprint == key_fingerprint(old_rsa_key)


def test_ring_reads_a_parameter_and_refresh_reports_a_change(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """refresh() re-reads at once and tells whether the signing key changed."""
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/k", Value=json_secret(OLD_ID, old_rsa_key), Type="SecureString")
    ring = aws.RefreshingKeyRing("ssm:/k", endpoint_url=server.endpoint_url, clock=clock)
    assert ring.refresh() is False
    ssm.put_parameter(
        Name="/k", Value=json_secret(NEW_ID, rsa_key), Type="SecureString", Overwrite=True
    )
    assert ring.refresh() is True
    assert ring.active().key_pair_id == NEW_ID


@pytest.mark.parametrize(
    ("limit", "trusted"),
    [
        pytest.param(None, 4, id="default-four"),
        pytest.param(1, 1, id="one"),
        pytest.param(6, 5, id="raised-quota"),
    ],
)
def test_ring_trusts_the_newest_replaced_keys_up_to_max_previous_keys(
    server: MotoServer, clock: FakeClock, limit: int | None, trusted: int
) -> None:
    """After five rotations the ring still verifies with the newest ``max_previous_keys``
    replaced keys (default 4: the default quota of five keys per group, less the signing key)."""
    ssm = server.client("ssm")
    ids = [f"K{i}ROTATED" for i in range(6)]
    keys = [generate_private_key("ecdsa") for _ in ids]
    ssm.put_parameter(Name="/k", Value=json_secret(ids[0], keys[0]), Type="SecureString")
    ring = (
        aws.RefreshingKeyRing("ssm:/k", endpoint_url=server.endpoint_url, clock=clock)
        if limit is None
        else aws.RefreshingKeyRing(
            "ssm:/k", endpoint_url=server.endpoint_url, clock=clock, max_previous_keys=limit
        )
    )
    for key_id, key in zip(ids[1:], keys[1:], strict=True):
        ssm.put_parameter(
            Name="/k", Value=json_secret(key_id, key), Type="SecureString", Overwrite=True
        )
        assert ring.refresh() is True
    assert set(ring.public_keys) == set(ids[-1 - trusted :])


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(-1, id="negative"),
        pytest.param(True, id="bool"),
        pytest.param(1.5, id="float"),
        pytest.param("4", id="text"),
    ],
)
def test_ring_refuses_a_bad_max_previous_keys_before_reading_anything(value: object) -> None:
    """max_previous_keys must be a whole number, 0 or more; checked before any AWS call."""
    with pytest.raises(ConfigurationError, match="max_previous_keys must be a whole number"):
        aws.RefreshingKeyRing("secretsmanager:app/key", max_previous_keys=value)  # type: ignore[arg-type]


def test_ring_without_a_key_pair_id_anywhere_fails_at_start(
    server: MotoServer, rsa_key: PrivateKey
) -> None:
    """A bare key with no key_pair_id= is a configuration error at start-up."""
    server.client("secretsmanager").create_secret(Name="bare", SecretString=pem(rsa_key))
    with pytest.raises(ConfigurationError, match="pass key_pair_id="):
        aws.RefreshingKeyRing("secretsmanager:bare", endpoint_url=server.endpoint_url)


def test_ring_with_a_naive_clock_fails_at_start(server: MotoServer, rsa_key: PrivateKey) -> None:
    """A clock that returns naive datetimes is refused."""
    server.client("secretsmanager").create_secret(
        Name="k", SecretString=json_secret(OLD_ID, rsa_key)
    )
    with pytest.raises(NaiveDatetimeError):
        aws.RefreshingKeyRing(
            "secretsmanager:k",
            endpoint_url=server.endpoint_url,
            clock=lambda: datetime(2026, 1, 1),
        )


def test_a_due_refresh_runs_in_one_background_thread_while_active_returns_at_once(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """While the background read waits on AWS for the new key, every call gets the current key
    at once and no second read starts; the new key is used once the read ends."""
    real = server.client("secretsmanager")
    real.create_secret(Name="k", SecretString=json_secret(OLD_ID, old_rsa_key))
    entered, release = threading.Event(), threading.Event()
    reader_threads: list[str] = []

    class SlowSecrets:
        def get_secret_value(self, **params: Any) -> Any:
            if ring_ready.is_set():
                reader_threads.append(threading.current_thread().name)
                entered.set()
                release.wait(10)
            return real.get_secret_value(**params)

    ring_ready = threading.Event()
    ring = aws.RefreshingKeyRing(
        "secretsmanager:k", refresh_interval=1, client=SlowSecrets(), clock=clock
    )
    ring_ready.set()
    real.put_secret_value(SecretId="k", SecretString=json_secret(NEW_ID, rsa_key))
    clock.advance(1)
    assert ring.active().key_pair_id == OLD_ID
    assert entered.wait(10)
    for _ in range(5):
        clock.advance(1)  # due again, but the first read is still running
        assert ring.active().key_pair_id == OLD_ID
    release.set()
    assert ring.wait_for_refresh(10)
    assert reader_threads == ["cfcookies-key-refresh secretsmanager:k"]
    ring.close()  # due again: closed, it starts no other read
    assert ring.active().key_pair_id == NEW_ID
    assert not ring.refreshing
    assert reader_threads == ["cfcookies-key-refresh secretsmanager:k"]


# --------------------------------------------------------------------------------------------
# Public keys and key groups (moto server)


def test_uploaded_public_key_reads_back_with_its_fingerprint(
    server: MotoServer, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """CreatePublicKey uploads the public half; GetPublicKey returns the same fingerprint."""
    cloudfront = server.client("cloudfront")
    info = aws.upload_public_key(cloudfront, rsa_key, clock=clock)
    assert info.name.startswith("cfcookies-20261129-120000-")
    read = aws.get_public_key(cloudfront, info.id)
    assert (read.id, read.fingerprint) == (info.id, key_fingerprint(rsa_key))


def test_public_key_names_are_checked_before_upload(
    server: MotoServer, rsa_key: PrivateKey
) -> None:
    """A name CloudFront would refuse is refused locally."""
    with pytest.raises(ConfigurationError, match="public key name"):
        aws.upload_public_key(server.client("cloudfront"), rsa_key, name="has spaces")


def test_created_key_group_holds_the_uploaded_keys(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """CreateKeyGroup makes a group whose GetKeyGroup lists the keys and an ETag."""
    cloudfront = server.client("cloudfront")
    ids = [upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")]
    group = aws.create_key_group(cloudfront, name="media-signers", public_key_ids=ids)
    read = aws.get_key_group(cloudfront, group.id)
    assert (read.name, read.public_key_ids) == ("media-signers", tuple(ids))
    assert read.etag


def five_key_group(server: MotoServer) -> tuple[str, list[str]]:
    ids = [upload(server, generate_private_key("ecdsa"), f"k{i}") for i in range(5)]
    return make_group(server, ids), ids


def test_a_new_group_of_six_keys_is_sent_to_cloudfront(
    server: MotoServer, key_group_quota: KeyGroupQuota
) -> None:
    """Six keys in a new group are not refused locally: with the quota raised to six,
    CloudFront creates the group."""
    key_group_quota.limit = 6
    ids = [upload(server, generate_private_key("ecdsa"), f"k{i}") for i in range(6)]
    group = aws.create_key_group(server.client("cloudfront"), name="g", public_key_ids=ids)
    assert group_keys(server, group.id) == ids


def test_a_new_group_over_the_quota_is_refused_by_cloudfront_as_a_quota_error(
    server: MotoServer, key_group_quota: KeyGroupQuota
) -> None:
    """CloudFront's TooManyPublicKeysInKeyGroup on CreateKeyGroup becomes KeyGroupQuotaError,
    which names the default quota, how to raise it and what to do instead."""
    ids = [upload(server, generate_private_key("ecdsa"), f"k{i}") for i in range(6)]
    with pytest.raises(aws.KeyGroupQuotaError) as caught:
        aws.create_key_group(server.client("cloudfront"), name="media", public_key_ids=ids)
    assert str(caught.value) == (
        "cloudfront:CreateKeyGroup: key group 'media' would hold more public keys than this "
        "account's quota allows (TooManyPublicKeysInKeyGroup); CloudFront's default quota is 5 "
        "public keys per key group; remove a retired key first (cfcookies aws rotate finish), "
        "or ask AWS to raise the quota 'Public keys in a single key group' (Service Quotas "
        "console, or an AWS Support case)"
    )
    assert server.client("cloudfront").list_key_groups()["KeyGroupList"]["Quantity"] == 0


def test_rotation_start_adds_a_sixth_key_when_the_quota_allows_it(
    server: MotoServer, key_group_quota: KeyGroupQuota, rsa_key: PrivateKey
) -> None:
    """A group holding five keys takes a sixth when the account's quota is higher: the client
    sends it and CloudFront decides."""
    key_group_quota.limit = 6
    group_id, ids = five_key_group(server)
    info = aws.rotate_start(server.client("cloudfront"), key_group_id=group_id, new_key=rsa_key)
    assert group_keys(server, group_id) == [*ids, info.id]
    assert aws.get_public_key(server.client("cloudfront"), info.id).fingerprint == (
        key_fingerprint(rsa_key)
    )


def test_rotation_start_refused_by_cloudfront_leaves_nothing_behind(
    server: MotoServer, key_group_quota: KeyGroupQuota, rsa_key: PrivateKey
) -> None:
    """When CloudFront refuses a sixth key (default quota), rotate_start raises
    KeyGroupQuotaError naming the group's keys and the fix, and deletes the key it uploaded."""
    group_id, ids = five_key_group(server)
    with pytest.raises(aws.KeyGroupQuotaError) as caught:
        aws.rotate_start(server.client("cloudfront"), key_group_id=group_id, new_key=rsa_key)
    message = str(caught.value)
    assert f"in key group {group_id}, which holds {', '.join(ids)}" in message
    assert "(TooManyPublicKeysInKeyGroup); CloudFront's default quota is 5" in message
    assert "remove a retired key first (cfcookies aws rotate finish)" in message
    assert "'Public keys in a single key group'" in message
    assert "uploaded for it was deleted again" in message
    assert (group_keys(server, group_id), public_key_count(server)) == (ids, 5)


def test_rotation_start_reuses_a_key_already_in_the_group(
    server: MotoServer, rsa_key: PrivateKey
) -> None:
    """Starting again with a key the group already holds returns it without a new upload."""
    cloudfront = server.client("cloudfront")
    key_id = upload(server, rsa_key, "new")
    group_id = make_group(server, [key_id])
    assert aws.rotate_start(cloudfront, key_group_id=group_id, new_key=rsa_key).id == key_id
    assert cloudfront.list_public_keys()["PublicKeyList"]["Quantity"] == 1


def test_status_matches_the_signing_key_and_lists_trusting_behaviors(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """Status marks the group key matching the private key and the behaviors trusting the
    group, and finds nothing wrong."""
    old_id, new_id = upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")
    group_id = make_group(server, [old_id, new_id])
    distribution_id = make_distribution(server, [group_id], ["OTHERGROUP"])
    status = aws.key_status(
        server.client("cloudfront"),
        group_id,
        signing=material(rsa_key, new_id, changed_at=None),
        distribution_id=distribution_id,
    )
    assert status.signing_key_ids == (new_id,)
    assert [(b.path_pattern, b.key_group_ids) for b in status.behaviors] == [
        ("/videos/*", ("OTHERGROUP",)),
        ("*", (group_id,)),
    ]
    assert status.problems == ()


def test_status_flags_a_signing_key_the_group_does_not_hold(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """A private key with no public key in the group, or a stored ID that is not its own,
    is reported as a problem."""
    old_id = upload(server, old_rsa_key, "old")
    group_id = make_group(server, [old_id])
    status = aws.key_status(
        server.client("cloudfront"), group_id, signing=material(rsa_key, old_id, changed_at=None)
    )
    assert len(status.problems) == 2
    assert "reject every cookie" in status.problems[0]


# --------------------------------------------------------------------------------------------
# Calls moto lacks, and error codes (Stubber on a real client)


def test_adding_a_key_updates_the_group_with_its_etag(
    stubbed_cloudfront: tuple[Any, Stubber],
) -> None:
    """The group is read, then updated with If-Match set to its ETag, name and comment kept."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    stubber.add_response(
        "update_key_group",
        key_group_response([OLD_ID, NEW_ID], etag="ETAGGROUP2"),
        {
            "Id": GROUP_ID,
            "IfMatch": "ETAGGROUP1",
            "KeyGroupConfig": {
                "Name": "media-signers",
                "Items": [OLD_ID, NEW_ID],
                "Comment": "media",
            },
        },
    )
    group = aws.add_public_key_to_group(client, GROUP_ID, NEW_ID)
    assert (group.public_key_ids, group.etag) == ((OLD_ID, NEW_ID), "ETAGGROUP2")


@pytest.mark.parametrize(
    ("code", "status", "error", "message"),
    [
        pytest.param(
            "PreconditionFailed",
            412,
            aws.PreconditionFailedError,
            "changed by someone else",
            id="precondition-failed",
        ),
        pytest.param(
            "TooManyPublicKeysInKeyGroup",
            400,
            aws.KeyGroupQuotaError,
            f"refused {NEW_ID} in key group {GROUP_ID}, which holds {OLD_ID} "
            r"\(TooManyPublicKeysInKeyGroup\); CloudFront's default quota is 5",
            id="quota",
        ),
        pytest.param(
            "AccessDenied",
            403,
            aws.AWSAccessDeniedError,
            "grant the caller cloudfront:UpdateKeyGroup",
            id="access-denied",
        ),
        pytest.param(
            "NoSuchResource", 404, aws.AWSNotFoundError, "does not exist", id="no-such-resource"
        ),
    ],
)
def test_update_key_group_errors_are_typed(
    stubbed_cloudfront: tuple[Any, Stubber],
    code: str,
    status: int,
    error: type[Exception],
    message: str,
) -> None:
    """An UpdateKeyGroup failure becomes the matching typed error with a fix in its message."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    stubber.add_client_error("update_key_group", code, http_status_code=status)
    with pytest.raises(error, match=message):
        aws.add_public_key_to_group(client, GROUP_ID, NEW_ID)


def test_missing_public_key_is_not_found(stubbed_cloudfront: tuple[Any, Stubber]) -> None:
    """NoSuchPublicKey names the key that does not exist."""
    client, stubber = stubbed_cloudfront
    stubber.add_client_error("get_public_key", "NoSuchPublicKey", http_status_code=404)
    with pytest.raises(aws.AWSNotFoundError, match=f"public key {OLD_ID} does not exist"):
        aws.get_public_key(client, OLD_ID)


def test_deleting_a_key_still_in_a_group_is_a_conflict(
    stubbed_cloudfront: tuple[Any, Stubber], old_rsa_key: PrivateKey
) -> None:
    """DeletePublicKey is sent with the key's ETag; PublicKeyInUse becomes ResourceInUseError."""
    client, stubber = stubbed_cloudfront
    stubber.add_response(
        "get_public_key", public_key_response(OLD_ID, old_rsa_key, etag="E9"), {"Id": OLD_ID}
    )
    stubber.add_client_error(
        "delete_public_key",
        "PublicKeyInUse",
        http_status_code=409,
        expected_params={"Id": OLD_ID, "IfMatch": "E9"},
    )
    with pytest.raises(aws.ResourceInUseError, match="still in use"):
        aws.delete_public_key(client, OLD_ID)


def test_the_last_key_of_a_group_is_never_removed(
    stubbed_cloudfront: tuple[Any, Stubber],
) -> None:
    """Removing the only key of a group is refused before any update is sent."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    with pytest.raises(aws.RotationRefusedError, match="only key"):
        aws.remove_public_key_from_group(client, GROUP_ID, OLD_ID)


def test_rotation_start_names_an_upload_it_could_not_delete_again(
    stubbed_cloudfront: tuple[Any, Stubber], rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """If the key uploaded for a refused start cannot be deleted again, the error says which
    key is left behind."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_rsa_key), {"Id": OLD_ID})
    stubber.add_response("create_public_key", public_key_response(NEW_ID, rsa_key))
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    stubber.add_client_error(
        "update_key_group", "TooManyPublicKeysInKeyGroup", http_status_code=400
    )
    stubber.add_client_error("get_public_key", "AccessDenied", http_status_code=403)
    with pytest.raises(aws.KeyGroupQuotaError) as caught:
        aws.rotate_start(client, key_group_id=GROUP_ID, new_key=rsa_key)
    assert f"The public key {NEW_ID} uploaded for it could not be deleted again" in str(
        caught.value
    )
    assert "delete it by hand" in str(caught.value)


def stub_finish(
    stubber: Stubber, old_key: PrivateKey, new_key: PrivateKey, *, delete: bool = True
) -> None:
    """The calls of a completed rotate finish, in order."""
    stubber.add_response("get_key_group", key_group_response([OLD_ID, NEW_ID]), {"Id": GROUP_ID})
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_key), {"Id": OLD_ID})
    stubber.add_response("get_public_key", public_key_response(NEW_ID, new_key), {"Id": NEW_ID})
    stubber.add_response("get_key_group", key_group_response([OLD_ID, NEW_ID]), {"Id": GROUP_ID})
    stubber.add_response(
        "update_key_group",
        key_group_response([NEW_ID], etag="ETAGGROUP2"),
        {
            "Id": GROUP_ID,
            "IfMatch": "ETAGGROUP1",
            "KeyGroupConfig": {"Name": "media-signers", "Items": [NEW_ID], "Comment": "media"},
        },
    )
    if delete:
        stubber.add_response(
            "get_public_key", public_key_response(OLD_ID, old_key, etag="E7"), {"Id": OLD_ID}
        )
        stubber.add_response("delete_public_key", {}, {"Id": OLD_ID, "IfMatch": "E7"})


def test_rotation_finish_removes_and_deletes_the_old_key_after_the_window(
    stubbed_cloudfront: tuple[Any, Stubber],
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
) -> None:
    """Once max lifetime plus refresh interval have passed since the switch, the old key is
    removed from the group and deleted."""
    client, stubber = stubbed_cloudfront
    stub_finish(stubber, old_rsa_key, rsa_key)
    switched = clock.now - timedelta(seconds=3600 + 300)
    group = aws.rotate_finish(
        client,
        key_group_id=GROUP_ID,
        old_key_id=OLD_ID,
        signing=material(rsa_key, NEW_ID, changed_at=switched),
        max_cookie_lifetime=3600,
        refresh_interval=300,
        clock=clock,
    )
    assert group.public_key_ids == (NEW_ID,)


def test_rotation_finish_is_refused_inside_the_window(
    stubbed_cloudfront: tuple[Any, Stubber],
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
) -> None:
    """One second before the window closes, finish refuses and says when it will be allowed."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID, NEW_ID]), {"Id": GROUP_ID})
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_rsa_key), {"Id": OLD_ID})
    stubber.add_response("get_public_key", public_key_response(NEW_ID, rsa_key), {"Id": NEW_ID})
    switched = clock.now - timedelta(seconds=3599)
    with pytest.raises(aws.RotationRefusedError, match="run again after 2026-11-29T12:00:01Z"):
        aws.rotate_finish(
            client,
            key_group_id=GROUP_ID,
            old_key_id=OLD_ID,
            signing=material(rsa_key, NEW_ID, changed_at=switched),
            max_cookie_lifetime=3600,
            clock=clock,
        )


@pytest.mark.parametrize(
    ("signing_key_name", "stored_id", "message"),
    [
        pytest.param("old", None, "still the key the application signs with", id="same-key"),
        pytest.param("new", OLD_ID, "still the key the application signs with", id="stored-id"),
        pytest.param("stray", NEW_ID, "not in key group", id="signing-key-not-in-group"),
    ],
)
def test_rotation_finish_never_removes_a_key_in_use(
    stubbed_cloudfront: tuple[Any, Stubber],
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
    signing_key_name: str,
    stored_id: str | None,
    message: str,
) -> None:
    """Finish refuses while the old key signs, or while the signing key is not in the group,
    however long ago the secret changed."""
    client, stubber = stubbed_cloudfront
    signing_key = {"old": old_rsa_key, "new": rsa_key, "stray": generate_private_key("ecdsa")}[
        signing_key_name
    ]
    stubber.add_response("get_key_group", key_group_response([OLD_ID, NEW_ID]), {"Id": GROUP_ID})
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_rsa_key), {"Id": OLD_ID})
    if signing_key_name == "stray":
        stubber.add_response("get_public_key", public_key_response(NEW_ID, rsa_key), {"Id": NEW_ID})
    long_ago = clock.now - timedelta(days=30)
    with pytest.raises(aws.RotationRefusedError, match=message) as caught:
        aws.rotate_finish(
            client,
            key_group_id=GROUP_ID,
            old_key_id=OLD_ID,
            signing=material(signing_key, stored_id, changed_at=long_ago),
            max_cookie_lifetime=60,
            clock=clock,
        )
    assert caught.value.allowed_at is None


def test_rotation_finish_needs_a_switch_time_for_keys_outside_aws(
    rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock, server: MotoServer
) -> None:
    """A key with no AWS version date needs the operator's switched_at."""
    client = server.client("cloudfront")
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_key_group", key_group_response([OLD_ID, NEW_ID]), {"Id": GROUP_ID}
        )
        stubber.add_response(
            "get_public_key", public_key_response(OLD_ID, old_rsa_key), {"Id": OLD_ID}
        )
        stubber.add_response("get_public_key", public_key_response(NEW_ID, rsa_key), {"Id": NEW_ID})
        with pytest.raises(aws.RotationRefusedError, match="--switched-at"):
            aws.rotate_finish(
                client,
                key_group_id=GROUP_ID,
                old_key_id=OLD_ID,
                signing=material(rsa_key, NEW_ID, changed_at=None),
                max_cookie_lifetime=60,
                clock=clock,
            )


# --------------------------------------------------------------------------------------------
# Rotation switch (moto server)


def test_switch_writes_the_new_key_and_its_id_as_a_new_secret_version(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """Switch stores {key_pair_id, private_key} as a new version, dated by AWS."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=pem(old_rsa_key))
    old_id, new_id = upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")
    group_id = make_group(server, [old_id, new_id])
    written = aws.rotate_switch(
        server.client("cloudfront"),
        key_group_id=group_id,
        target="secretsmanager:app/key",
        new_key_pair_id=new_id,
        new_private_key=rsa_key,
        client=secrets,
    )
    assert (written.key_pair_id, written.fingerprint) == (new_id, key_fingerprint(rsa_key))
    versions = secrets.list_secret_version_ids(SecretId="app/key")["Versions"]
    current = next(v for v in versions if "AWSCURRENT" in v["VersionStages"])
    assert current["VersionId"] == written.version


@pytest.mark.parametrize(
    ("new_id_kind", "message"),
    [
        pytest.param("absent", "is not in key group", id="key-not-in-group"),
        pytest.param("other-key", "not the public half", id="id-of-another-key"),
    ],
)
def test_switch_refuses_a_key_cloudfront_would_not_trust(
    server: MotoServer,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    new_id_kind: str,
    message: str,
) -> None:
    """Switch refuses an ID outside the group, or one whose public key is another key's, and
    leaves the secret alone."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=json_secret(OLD_ID, old_rsa_key))
    old_id = upload(server, old_rsa_key, "old")
    group_id = make_group(server, [old_id])
    with pytest.raises(aws.RotationRefusedError, match=message):
        aws.rotate_switch(
            server.client("cloudfront"),
            key_group_id=group_id,
            target="secretsmanager:app/key",
            new_key_pair_id="KABSENT" if new_id_kind == "absent" else old_id,
            new_private_key=rsa_key,
            client=secrets,
        )
    assert len(secrets.list_secret_version_ids(SecretId="app/key")["Versions"]) == 1


# --------------------------------------------------------------------------------------------
# The CLI, end to end


def test_cli_uploads_a_key_into_a_new_group_and_prints_its_id(
    server: MotoServer, cli: Callable[..., CLIResult], key_files: Any, rsa_key: PrivateKey
) -> None:
    """upload-key prints only the key pair ID on stdout, and the group holds that key."""
    result = cli(
        "upload-key",
        "--private-key",
        str(key_files.rsa_pem),
        "--create-key-group",
        "media-signers",
        "--endpoint-url",
        server.endpoint_url,
    )
    assert result.code == 0, result.err
    key_id = result.out.strip()
    cloudfront = server.client("cloudfront")
    groups = cloudfront.list_key_groups()["KeyGroupList"]["Items"]
    assert [g["KeyGroup"]["KeyGroupConfig"]["Items"] for g in groups] == [[key_id]]
    assert aws.get_public_key(cloudfront, key_id).fingerprint == key_fingerprint(rsa_key)
    assert f"key_pair_id={key_id}" in result.err
    assert "BEGIN" not in result.out + result.err


def test_cli_status_shows_keys_signing_key_and_behaviors(
    server: MotoServer, cli: Callable[..., CLIResult], rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """status --json reports which group key the app signs with and which behaviors trust it."""
    old_id, new_id = upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")
    group_id = make_group(server, [old_id, new_id])
    distribution_id = make_distribution(server, [group_id], [group_id])
    server.client("secretsmanager").create_secret(
        Name="app/key", SecretString=json_secret(new_id, rsa_key)
    )
    common = ["--key-group-id", group_id, "--endpoint-url", server.endpoint_url]
    result = cli(
        "status",
        *common,
        "--distribution-id",
        distribution_id,
        "--private-key",
        "secretsmanager:app/key",
        "--json",
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [(k["id"], k["signing"]) for k in report["public_keys"]] == [
        (old_id, False),
        (new_id, True),
    ]
    assert [b["trusts_this_group"] for b in report["behaviors"]] == [True, True]
    text = cli("status", *common, "--private-key", "secretsmanager:app/key")
    assert (
        f"key group {group_id} (media-signers): 2 public keys (CloudFront's default quota: 5 "
        f"per group)\n" in text.out
    )
    assert f"{new_id}  new" in text.out
    assert "<- signing" in text.out
    assert "BEGIN" not in text.out + text.err


def test_main_cli_runs_the_aws_commands(
    server: MotoServer, key_files: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``cfcookies aws upload-key`` through cfcookies.cli.main uploads the key into a new group."""
    from cfcookies.cli import main

    code = main(
        [
            "aws", "upload-key", "--public-key", str(key_files.public_pem),
            "--create-key-group", "media-signers", "--endpoint-url", server.endpoint_url,
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    listed = server.client("cloudfront").list_public_keys()["PublicKeyList"]["Items"]
    assert [k["Id"] for k in listed] == [out.strip()]


def test_cli_status_exits_non_zero_when_the_app_key_is_not_trusted(
    server: MotoServer, cli: Callable[..., CLIResult], key_files: Any, old_rsa_key: PrivateKey
) -> None:
    """status fails when the app's key has no public key in the group."""
    group_id = make_group(server, [upload(server, old_rsa_key, "old")])
    result = cli(
        "status",
        "--key-group-id",
        group_id,
        "--private-key",
        str(key_files.rsa_pem),
        "--endpoint-url",
        server.endpoint_url,
    )
    assert result.code == 1
    assert "problem: the private key matches no public key" in result.out


def test_cli_rotate_start_on_a_full_group_fails_with_the_quota(
    server: MotoServer,
    key_group_quota: KeyGroupQuota,
    cli: Callable[..., CLIResult],
    key_files: Any,
) -> None:
    """rotate start on a group CloudFront finds full fails on stderr with the quota and its
    fix, prints no ID, and leaves no uploaded key behind."""
    group_id, ids = five_key_group(server)
    result = cli(
        "rotate",
        "start",
        "--key-group-id",
        group_id,
        "--new-private-key",
        str(key_files.rsa_pem),
        "--endpoint-url",
        server.endpoint_url,
    )
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith("cfcookies aws: error: cloudfront:UpdateKeyGroup: CloudFront ")
    assert "(TooManyPublicKeysInKeyGroup); CloudFront's default quota is 5" in result.err
    assert "Traceback" not in result.err
    assert (group_keys(server, group_id), public_key_count(server)) == (ids, 5)


def test_cli_rotate_start_adds_the_new_key_beside_the_old(
    server: MotoServer,
    cli: Callable[..., CLIResult],
    stubbed_cloudfront: tuple[Any, Stubber],
    key_files: Any,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
) -> None:
    """rotate start uploads the key and adds it to the group with the group's ETag (CloudFront
    stubbed: moto has no UpdateKeyGroup), then prints the new key pair ID."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_rsa_key), {"Id": OLD_ID})
    created = public_key_response(NEW_ID, rsa_key)
    created["Location"] = f"https://cloudfront.amazonaws.com/2020-05-31/public-key/{NEW_ID}"
    stubber.add_response("create_public_key", created)
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    stubber.add_response("update_key_group", key_group_response([OLD_ID, NEW_ID], etag="E2"))
    result = cli(
        "rotate",
        "start",
        "--key-group-id",
        GROUP_ID,
        "--new-private-key",
        str(key_files.rsa_pem),
        "--name",
        "media-2026-11",
        clients=lambda service, args: client,
    )
    assert result.code == 0, result.err
    assert result.out == f"{NEW_ID}\n"
    assert "rotate switch" in result.err


def test_cli_rotation_switch_then_finish_waits_for_the_window(
    server: MotoServer,
    cli: Callable[..., CLIResult],
    key_files: Any,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    now_clock: FakeClock,
) -> None:
    """After switch, finish is refused until max lifetime has passed since the secret's new
    version (dated by moto), then completes (CloudFront stubbed for UpdateKeyGroup)."""
    old_id, new_id = upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")
    group_id = make_group(server, [old_id, new_id])
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=json_secret(old_id, old_rsa_key))
    moto_flags = ["--endpoint-url", server.endpoint_url]

    early = cli(
        "rotate",
        "finish",
        "--key-group-id",
        group_id,
        "--old-key-id",
        old_id,
        "--private-key",
        "secretsmanager:app/key",
        "--max-cookie-lifetime",
        "3600",
        *moto_flags,
        clock=now_clock,
    )
    assert early.code == 3
    assert "still the key the application signs with" in early.err

    switched = cli(
        "rotate",
        "switch",
        "--key-group-id",
        group_id,
        "--private-key",
        "secretsmanager:app/key",
        "--new-key-id",
        new_id,
        "--new-private-key",
        str(key_files.rsa_pem),
        *moto_flags,
    )
    assert switched.code == 0, switched.err
    assert aws.fetch_key_material("secretsmanager:app/key", client=secrets).key_pair_id == new_id

    finish = [
        "rotate",
        "finish",
        "--key-group-id",
        group_id,
        "--old-key-id",
        old_id,
        "--private-key",
        "secretsmanager:app/key",
        "--max-cookie-lifetime",
        "3600",
        "--refresh-interval",
        "60",
        *moto_flags,
    ]
    now_clock.advance(3600)
    inside = cli(*finish, clock=now_clock)
    assert inside.code == 3
    assert "run again after" in inside.err
    assert "Traceback" not in inside.err

    now_clock.advance(60 + 60)
    stubbed = server.client("cloudfront")
    moto_cloudfront = server.client("cloudfront")
    with Stubber(stubbed) as stubber:
        stubber.add_response(
            "get_key_group", key_group_response([old_id, new_id], group_id=group_id)
        )
        stubber.add_response("get_public_key", public_key_response(old_id, old_rsa_key))
        stubber.add_response("get_public_key", public_key_response(new_id, rsa_key))
        stubber.add_response(
            "get_key_group", key_group_response([old_id, new_id], group_id=group_id)
        )
        stubber.add_response(
            "update_key_group",
            key_group_response([new_id], etag="E2", group_id=group_id),
            {
                "Id": group_id,
                "IfMatch": "ETAGGROUP1",
                "KeyGroupConfig": {"Name": "media-signers", "Items": [new_id], "Comment": "media"},
            },
        )
        stubber.add_response("get_public_key", public_key_response(old_id, old_rsa_key))
        stubber.add_response("delete_public_key", {}, {"Id": old_id, "IfMatch": "ETAGKEY1"})
        done = cli(
            *finish,
            clients=lambda service, args: (
                stubbed if service == "cloudfront" else server.client(service)
            ),
            clock=now_clock,
        )
        assert done.code == 0, done.err
        stubber.assert_no_pending_responses()
    assert done.out == f"{new_id}\n"
    assert f"deleted public key {old_id}" in done.err
    assert moto_cloudfront.get_public_key(Id=new_id)["PublicKey"]["Id"] == new_id


def test_cli_switch_writes_an_encrypted_key_to_an_ssm_parameter(
    server: MotoServer,
    cli: Callable[..., CLIResult],
    key_files: Any,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """switch reads an encrypted new key with its passphrase from the environment and stores it,
    still encrypted, with its ID in the SecureString parameter the app reads."""
    old_id, new_id = upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")
    group_id = make_group(server, [old_id, new_id])
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/app/key", Value=json_secret(old_id, old_rsa_key), Type="SecureString")
    monkeypatch.setenv("CFCOOKIES_TEST_PASSPHRASE", PASSPHRASE)
    result = cli(
        "rotate", "switch", "--key-group-id", group_id, "--private-key", "ssm:/app/key",
        "--passphrase-env", "CFCOOKIES_TEST_PASSPHRASE", "--new-key-id", new_id,
        "--new-private-key", str(key_files.encrypted_pem),
        "--new-passphrase-env", "CFCOOKIES_TEST_PASSPHRASE",
        "--endpoint-url", server.endpoint_url,
    )  # fmt: skip
    assert result.code == 0, result.err
    stored = ssm.get_parameter(Name="/app/key", WithDecryption=True)["Parameter"]
    assert "ENCRYPTED PRIVATE KEY" in json.loads(stored["Value"])["private_key"]
    found = aws.fetch_key_material("ssm:/app/key", passphrase=PASSPHRASE, client=ssm)
    assert (found.key_pair_id, found.fingerprint, found.version) == (
        new_id,
        key_fingerprint(rsa_key),
        "2",
    )
    assert "BEGIN" not in result.out + result.err


def test_cli_names_an_unset_passphrase_variable(
    cli: Callable[..., CLIResult], key_files: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --passphrase-env naming an unset variable fails with that variable's name."""
    monkeypatch.delenv("CFCOOKIES_TEST_UNSET", raising=False)
    result = cli(
        "status", "--key-group-id", GROUP_ID, "--private-key", str(key_files.encrypted_pem),
        "--passphrase-env", "CFCOOKIES_TEST_UNSET", "--endpoint-url", "http://127.0.0.1:9",
    )  # fmt: skip
    assert result.code == 1
    assert "CFCOOKIES_TEST_UNSET is not set" in result.err


def test_cli_switch_of_a_file_key_explains_the_manual_steps(
    server: MotoServer, cli: Callable[..., CLIResult], key_files: Any
) -> None:
    """switch on a file-based key fails with the steps to switch by hand."""
    result = cli(
        "rotate",
        "switch",
        "--key-group-id",
        GROUP_ID,
        "--private-key",
        str(key_files.rsa_pem),
        "--new-key-id",
        NEW_ID,
        "--new-private-key",
        str(key_files.ecdsa_pem),
        "--endpoint-url",
        server.endpoint_url,
    )
    assert result.code == 1
    assert "--switched-at" in result.err


def test_cli_finish_with_an_operator_switch_time_for_a_file_key(
    server: MotoServer,
    cli: Callable[..., CLIResult],
    stubbed_cloudfront: tuple[Any, Stubber],
    key_files: Any,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
) -> None:
    """For a key in a file, --switched-at sets the window: refused at 59 s of 60, and the
    refusal says when it will be allowed."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID, NEW_ID]))
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_rsa_key))
    stubber.add_response("get_public_key", public_key_response(NEW_ID, rsa_key))
    result = cli(
        "rotate",
        "finish",
        "--key-group-id",
        GROUP_ID,
        "--old-key-id",
        OLD_ID,
        "--private-key",
        str(key_files.rsa_pem),
        "--max-cookie-lifetime",
        "60",
        "--switched-at",
        "2026-11-29T11:59:01Z",
        clients=lambda service, args: client,
        clock=clock,
    )
    assert result.code == 3
    assert "run again after 2026-11-29T12:00:01Z (in 2 s)" in result.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--max-cookie-lifetime", "0"], "positive", id="zero-lifetime"),
        pytest.param(
            ["--max-cookie-lifetime", "1", "--switched-at", "2026-01-01T00:00"],
            "no timezone",
            id="naive-switch-time",
        ),
    ],
)
def test_cli_rejects_unusable_finish_options(
    cli: Callable[..., CLIResult],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    """Bad seconds or a switch time without a timezone are usage errors."""
    with pytest.raises(SystemExit) as exited:
        cli(
            "rotate",
            "finish",
            "--key-group-id",
            "G",
            "--old-key-id",
            "K",
            "--private-key",
            "env:X",
            *argv,
        )
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
