"""Helpers shared by the tests of :mod:`cfcookies.aws`: key pair IDs, stored secrets, canned
CloudFront answers for botocore's Stubber, resources made on the moto server, and a moto
server taught CloudFront's quota of public keys per key group."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber
from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.models import CloudFrontBackend, random_id
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult

from cfcookies import aws
from cfcookies.keys import PrivateKey, generate_private_key, private_key_pem, public_key_pem
from tests.moto_server import MotoServer
from tests.revocation_support import FUNCTION_ARN, KVS_ARN, START

OLD_ID = "K1OLDKEYPAIRID"


NEW_ID = "K2NEWKEYPAIRID"


GROUP_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


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

    return create_media_distribution(
        server.client("cloudfront"), behavior(default_groups), behavior(video_groups, "/videos/*")
    )


def create_media_distribution(
    cloudfront: Any,
    default: dict[str, Any],
    videos: dict[str, Any],
    *,
    caller_reference: str = "cfcookies-test",
) -> str:
    """A distribution on one S3 origin, ``media``, with a default behaviour and one more
    (``videos``, which carries its ``PathPattern``); its ID."""
    response = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": caller_reference,
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
            "DefaultCacheBehavior": default,
            "CacheBehaviors": {"Quantity": 1, "Items": [videos]},
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


def group_keys(server: MotoServer, group_id: str) -> list[str]:
    config = server.client("cloudfront").get_key_group(Id=group_id)["KeyGroup"]["KeyGroupConfig"]
    return list(config["Items"])


def public_key_count(server: MotoServer) -> int:
    return int(server.client("cloudfront").list_public_keys()["PublicKeyList"]["Quantity"])


def five_key_group(server: MotoServer) -> tuple[str, list[str]]:
    ids = [upload(server, generate_private_key("ecdsa"), f"k{i}") for i in range(5)]
    return make_group(server, ids), ids


def teach_key_group_quota(monkeypatch: pytest.MonkeyPatch) -> KeyGroupQuota:
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


def stubbed(client: Any) -> Iterator[tuple[Any, Stubber]]:
    """``client`` with botocore's Stubber answering its calls; every response must be used."""
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def stubbed_client(service: str) -> Iterator[tuple[Any, Stubber]]:
    """A botocore ``service`` client with fake credentials whose calls the Stubber answers."""
    session = botocore.session.get_session()
    client = session.create_client(
        service,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-real-secret",
    )
    yield from stubbed(client)


def expect_describe(stubber: Stubber, etag: str) -> None:
    stubber.add_response(
        "describe_key_value_store",
        {
            "ItemCount": 1,
            "TotalSizeInBytes": 10,
            "KvsARN": KVS_ARN,
            "Created": START,
            "ETag": etag,
        },
        {"KvsARN": KVS_ARN},
    )


def expect_update(stubber: Stubber, if_match: str, etag: str, **params: Any) -> None:
    stubber.add_response(
        "update_keys",
        {"ItemCount": 1, "TotalSizeInBytes": 10, "ETag": etag},
        {"KvsARN": KVS_ARN, "IfMatch": if_match, **params},
    )


FUNCTION_CONFIG = {
    "Comment": "cfcookies revocation check",
    "Runtime": "cloudfront-js-2.0",
    "KeyValueStoreAssociations": {"Quantity": 1, "Items": [{"KeyValueStoreARN": KVS_ARN}]},
}


def function_summary(stage: str) -> dict[str, Any]:
    return {
        "Name": "cfcookies-revocation",
        "FunctionConfig": FUNCTION_CONFIG,
        "FunctionMetadata": {
            "FunctionARN": FUNCTION_ARN,
            "Stage": stage,
            "LastModifiedTime": START,
        },
    }


def distribution_config(**behaviour_extra: Any) -> dict[str, Any]:
    return {
        "CallerReference": "ref-1",
        "Comment": "media",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.amazonaws.com"}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "s3",
            "ViewerProtocolPolicy": "redirect-to-https",
            **behaviour_extra,
        },
        "CacheBehaviors": {
            "Quantity": 1,
            "Items": [
                {
                    "PathPattern": "/videos/*",
                    "TargetOriginId": "s3",
                    "ViewerProtocolPolicy": "https-only",
                    **behaviour_extra,
                }
            ],
        },
    }


def distribution(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": "EDFDVBD6EXAMPLE",
        "ARN": "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE",
        "Status": "InProgress",
        "LastModifiedTime": START,
        "InProgressInvalidationBatches": 0,
        "DomainName": "d111111abcdef8.cloudfront.net",
        "DistributionConfig": config,
    }


ASSOCIATED = {
    "Quantity": 1,
    "Items": [{"FunctionARN": FUNCTION_ARN, "EventType": "viewer-request"}],
}
