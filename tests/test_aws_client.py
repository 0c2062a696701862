"""cfcookies.aws._client: botocore clients, and AWS errors turned into typed errors that never
quote AWS's own message."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.stub import Stubber

from cfcookies import aws
from cfcookies.aws._client import _aws_error
from cfcookies.exceptions import (
    AWSAccessDeniedError,
    AWSCredentialsError,
    AWSError,
    AWSNotFoundError,
    KeyGroupQuotaError,
    PreconditionFailedError,
    ResourceInUseError,
)
from tests.moto_server import MotoServer, use_fake_aws_environment


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


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": "X-Amz-Security-Token:FwoGZXIvYXdzEXAMPLETOKEN"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "UpdateKeys",
    )


@pytest.mark.parametrize(
    ("code", "error"),
    [
        pytest.param("AccessDeniedException", AWSAccessDeniedError, id="access-denied"),
        pytest.param("ResourceNotFoundException", AWSNotFoundError, id="not-found"),
        pytest.param("ExpiredToken", AWSCredentialsError, id="credentials"),
        pytest.param("PreconditionFailed", PreconditionFailedError, id="precondition"),
        pytest.param("ResourceInUse", ResourceInUseError, id="in-use"),
        pytest.param("TooManyPublicKeysInKeyGroup", KeyGroupQuotaError, id="quota"),
        pytest.param("ConflictException", AWSError, id="other"),
    ],
)
def test_one_mapping_serves_every_call(code: str, error: type[AWSError]) -> None:
    """An error code becomes the same class whether the call names its resource (keys, key
    groups: the message says what to fix) or not (KeyValueStore, functions: the message is
    ``<call> failed: <code>``), and AWS's own message is never kept."""
    named = _aws_error(
        _client_error(code), operation="cloudfront:UpdateKeyGroup", resource="key group G1"
    )
    bare = _aws_error(_client_error(code), operation="UpdateKeys")
    assert type(named) is type(bare) is error
    assert str(bare) == f"UpdateKeys failed: {code}"
    assert "key group G1" in str(named) or error is AWSCredentialsError
    assert "FwoGZX" not in str(named) + str(bare)


def test_other_exceptions_are_named_by_their_type_only() -> None:
    """A failure that is not an AWS answer says which call failed and how, never its text;
    missing credentials say where credentials come from, whichever call met them."""
    failed = _aws_error(OSError("token=FwoGZXIvYXdz"), operation="GetKey")
    assert (type(failed), str(failed)) == (AWSError, "GetKey failed: OSError")
    missing = _aws_error(NoCredentialsError(), operation="UpdateKeys")
    assert isinstance(missing, AWSCredentialsError)
    assert "no AWS credentials found for UpdateKeys" in str(missing)
