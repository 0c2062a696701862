"""cfcookies.aws.keys: key specs, and keys read from Secrets Manager and SSM (moto's server on
127.0.0.1, through real botocore clients), environment variables and files."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cfcookies import aws
from cfcookies.exceptions import ConfigurationError, EncryptedKeyError, KeyLoadError
from cfcookies.keys import PrivateKey, key_fingerprint, private_key_pem
from tests.aws_support import NEW_ID, OLD_ID, json_secret, pem
from tests.moto_server import MotoServer
from tests.support import PASSPHRASE

# --- Specs ----------------------------------------------------------------------------------------


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


# --- Keys from Secrets Manager, SSM, environment and files (moto server) --------------------------


@pytest.mark.parametrize(
    "last_byte",
    [pytest.param(b, id=f"ends-in-{b:#04x}") for b in b" \t\n\r\x0b\x0c"],
)
def test_a_der_key_ending_in_a_whitespace_byte_is_read_as_stored(
    server: MotoServer, last_byte: int
) -> None:
    """DER is binary: a key whose last byte happens to be 0x20, 0x0a ... (one in forty keys)
    is read as it was stored, never trimmed like text into something that no longer parses."""
    while True:
        key = ec.generate_private_key(ec.SECP256R1())
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        if der[-1] == last_byte:
            break
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/der-key", SecretBinary=der)
    loaded = aws.resolve_private_key("secretsmanager:app/der-key", endpoint_url=server.endpoint_url)
    assert key_fingerprint(loaded) == key_fingerprint(key)


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
