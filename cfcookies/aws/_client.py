"""Botocore clients, and the one translation of their errors into cfcookies's own.

Every AWS call in :mod:`cfcookies.aws` is made through a client from :func:`make_client` and
inside :func:`_calling` (or hands what it caught to :func:`_aws_error` once it has looked at the
error code), so an AWS failure is always an :class:`~cfcookies.exceptions.AWSError` subclass
chosen by its error code. Its message names the call, the resource and the fix, and never
quotes AWS's own message, which can carry request details, credentials included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from ..exceptions import (
    AWSAccessDeniedError,
    AWSCredentialsError,
    AWSError,
    AWSNotFoundError,
    KeyGroupQuotaError,
    PreconditionFailedError,
    ResourceInUseError,
)

#: CloudFront's default quota of public keys in one key group ("Public keys in a single key
#: group", 5). Accounts can have it raised, so the client never counts keys itself: CloudFront
#: refuses a key past the quota with ``TooManyPublicKeysInKeyGroup`` (CreateKeyGroup,
#: UpdateKeyGroup). Source: the Quotas page of the CloudFront Developer Guide,
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-key-groups
DEFAULT_KEYS_PER_KEY_GROUP = 5

Client = Any
"""A botocore client (botocore ships no type information)."""


_NOT_FOUND = {
    "ResourceNotFoundException",
    "ParameterNotFound",
    "ParameterVersionNotFound",
    "NoSuchPublicKey",
    "NoSuchResource",
    "NoSuchDistribution",
}
_ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "DecryptionFailure", "KMSAccessDenied"}
_BAD_CREDENTIALS = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
}
_PRECONDITION = {"PreconditionFailed", "InvalidIfMatchVersion"}
_IN_USE = {"PublicKeyInUse", "ResourceInUse"}
_QUOTA = {"TooManyPublicKeysInKeyGroup"}
_QUOTA_REMEDY = (
    f"CloudFront's default quota is {DEFAULT_KEYS_PER_KEY_GROUP} public keys per key group; remove "
    f"a retired key first (cfcookies aws rotate finish), or ask AWS to raise the quota 'Public "
    f"keys in a single key group' (Service Quotas console, or an AWS Support case)"
)


#: The error class each AWS error code becomes; any other code is a plain AWSError.
_ERROR_CLASSES: tuple[tuple[set[str], type[AWSError]], ...] = (
    (_NOT_FOUND, AWSNotFoundError),
    (_ACCESS_DENIED, AWSAccessDeniedError),
    (_BAD_CREDENTIALS, AWSCredentialsError),
    (_PRECONDITION, PreconditionFailedError),
    (_IN_USE, ResourceInUseError),
    (_QUOTA, KeyGroupQuotaError),
)


def _error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError``; "" for any other exception."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        if isinstance(error, dict):
            return str(error.get("Code") or "")
    return ""


def _aws_error(exc: Exception, *, operation: str, resource: str | None = None) -> AWSError:
    """Translate a botocore exception (or any a client raised) into one of ours, without AWS's
    own message.

    AWS messages can quote request details (a ``SignatureDoesNotMatch`` quotes the canonical
    request, session token included), so only the error code is kept. The code chooses the
    class; the message names ``resource`` and the fix when a resource is given, and is only
    ``<operation> failed: <code>`` when none is (the KeyValueStore and function calls).
    """
    if isinstance(exc, NoCredentialsError):
        return AWSCredentialsError(
            f"no AWS credentials found for {operation}; set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            f"AWS_SECRET_ACCESS_KEY, or run where an instance or task role is available"
        )
    if isinstance(exc, NoRegionError):
        return AWSCredentialsError(
            f"no AWS region for {operation}; set AWS_DEFAULT_REGION or pass region_name/--region"
        )
    code = _error_code(exc)
    if not code and not isinstance(exc, ClientError):
        subject = operation if resource is None else f"{operation} on {resource}"
        return AWSError(f"{subject} failed: {type(exc).__name__}")
    code = code or "Unknown"
    kind = next((cls for codes, cls in _ERROR_CLASSES if code in codes), AWSError)
    if resource is None:
        return kind(f"{operation} failed: {code}")
    status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return kind(_explained(kind, code, operation=operation, resource=resource, status=status))


def _explained(
    kind: type[AWSError], code: str, *, operation: str, resource: str, status: object
) -> str:
    """The message of an AWS error of class ``kind``: what happened to ``resource``, and the fix."""
    if kind is AWSNotFoundError:
        return f"{operation}: {resource} does not exist ({code})"
    if kind is AWSAccessDeniedError:
        hint = (
            "allow kms:Decrypt on the key that encrypts it"
            if code in {"DecryptionFailure", "KMSAccessDenied"}
            else f"grant the caller {operation} on it"
        )
        return f"{operation} on {resource} was denied ({code}); {hint}"
    if kind is AWSCredentialsError:
        return (
            f"AWS rejected the credentials used for {operation} ({code}); refresh them "
            f"(aws sso login, a new session token) or check the clock of this machine"
        )
    if kind is PreconditionFailedError:
        return (
            f"{operation}: {resource} was changed by someone else since it was read ({code}); "
            f"run the command again"
        )
    if kind is ResourceInUseError:
        return (
            f"{operation}: {resource} is still in use ({code}); remove it from every key group "
            f"(or behavior) that references it first"
        )
    if kind is KeyGroupQuotaError:
        return (
            f"{operation}: {resource} would hold more public keys than this account's quota "
            f"allows ({code}); {_QUOTA_REMEDY}"
        )
    return f"{operation} on {resource} failed with {code} (HTTP {status})"


@contextmanager
def _calling(operation: str, resource: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error(exc, operation=operation, resource=resource) from None


def make_client(
    service: str,
    *,
    session: botocore.session.Session | None = None,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    config: Config | None = None,
) -> Client:
    """A botocore client with the standard credential chain and region.

    CloudFront is global: its client always uses ``us-east-1``. ``endpoint_url`` points the
    client elsewhere (a local moto server in tests).
    """
    session = session or botocore.session.get_session()
    if service == "cloudfront":
        region_name = "us-east-1"
    with _calling(f"creating a {service} client", service):
        return session.create_client(
            service, region_name=region_name, endpoint_url=endpoint_url, config=config
        )
