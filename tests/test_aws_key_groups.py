"""cfcookies.aws.key_groups: public keys and key groups against moto's server on 127.0.0.1;
calls moto lacks (UpdateKeyGroup) and error codes it never returns go through botocore's
Stubber, which checks every request and response against the service model, or through the
``key_group_quota`` fixture, which teaches the in-process moto server UpdateKeyGroup and
CloudFront's quota of public keys per key group."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from cfcookies import aws
from cfcookies.exceptions import ConfigurationError
from cfcookies.keys import PrivateKey, generate_private_key, key_fingerprint
from tests.aws_support import (
    GROUP_ID,
    NEW_ID,
    OLD_ID,
    KeyGroupQuota,
    group_keys,
    key_group_response,
    public_key_response,
    upload,
)
from tests.moto_server import MotoServer
from tests.support import FakeClock

# --- Public keys and key groups (moto server) -----------------------------------------------------


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


# --- Calls moto lacks, and error codes (Stubber on a real client) ---------------------------------


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
