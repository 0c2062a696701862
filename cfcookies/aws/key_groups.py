"""CloudFront public keys and key groups, and which key groups a distribution trusts.

A public key's ID is the key pair ID that cookies carry. Key groups are updated with the ETag
they were read with, so a concurrent change fails (:class:`~cfcookies.exceptions.
PreconditionFailedError`) instead of being overwritten. How many keys a group may hold is the
account's quota, which only CloudFront knows: it is never counted here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization

from ..exceptions import ConfigurationError, KeyGroupQuotaError, RotationRefusedError
from ..keys import (
    KeySource,
    PrivateKey,
    PublicKey,
    key_fingerprint,
    load_public_key,
    public_key_pem,
)
from ..policy import Clock, system_clock
from ._client import _QUOTA_REMEDY, Client, _calling
from ._time import _now, _utc

__all__ = [
    "BehaviorTrust",
    "KeyGroupInfo",
    "PublicKeyInfo",
    "add_public_key_to_group",
    "create_key_group",
    "delete_public_key",
    "distribution_trust",
    "get_key_group",
    "get_public_key",
    "remove_public_key_from_group",
    "upload_public_key",
]


def _encoded_key_fingerprint(encoded_key: str) -> str | None:
    """The fingerprint (as :func:`key_fingerprint`) of an uploaded PEM, None if unreadable."""
    try:
        public = serialization.load_pem_public_key(encoded_key.encode())
    except (ValueError, TypeError):
        return None
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class PublicKeyInfo:
    """A CloudFront public key: its ID is the key pair ID cookies carry."""

    id: str
    name: str
    fingerprint: str | None
    comment: str = ""
    created_time: datetime | None = None
    etag: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class KeyGroupInfo:
    id: str
    name: str
    public_key_ids: tuple[str, ...]
    comment: str = ""
    etag: str | None = field(default=None, repr=False)


def _public_key_info(body: Mapping[str, Any], etag: str | None) -> PublicKeyInfo:
    config = body["PublicKeyConfig"]
    return PublicKeyInfo(
        id=body["Id"],
        name=config.get("Name", ""),
        fingerprint=_encoded_key_fingerprint(config.get("EncodedKey", "")),
        comment=config.get("Comment") or "",
        created_time=_utc(body.get("CreatedTime")),
        etag=etag,
    )


def _key_group_info(body: Mapping[str, Any], etag: str | None) -> KeyGroupInfo:
    config = body["KeyGroupConfig"]
    return KeyGroupInfo(
        id=body["Id"],
        name=config.get("Name", ""),
        public_key_ids=tuple(config.get("Items") or ()),
        comment=config.get("Comment") or "",
        etag=etag,
    )


def get_public_key(cloudfront: Client, public_key_id: str) -> PublicKeyInfo:
    with _calling("cloudfront:GetPublicKey", f"public key {public_key_id}"):
        response = cloudfront.get_public_key(Id=public_key_id)
    return _public_key_info(response["PublicKey"], response.get("ETag"))


def get_key_group(cloudfront: Client, key_group_id: str) -> KeyGroupInfo:
    with _calling("cloudfront:GetKeyGroup", f"key group {key_group_id}"):
        response = cloudfront.get_key_group(Id=key_group_id)
    return _key_group_info(response["KeyGroup"], response.get("ETag"))


def upload_public_key(
    cloudfront: Client,
    key: PrivateKey | PublicKey | KeySource,
    *,
    name: str | None = None,
    comment: str | None = None,
    clock: Clock = system_clock,
) -> PublicKeyInfo:
    """Upload the public half of ``key`` (CreatePublicKey); its ID is the key pair ID."""
    public = load_public_key(key)
    fingerprint = key_fingerprint(public)
    now = _now(clock)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    name = name or f"cfcookies-{stamp}-{fingerprint[:8]}"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", name):
        raise ConfigurationError(
            f"a public key name takes letters, digits, '-' and '_' (at most 128), got {name!r}"
        )
    config = {
        "CallerReference": f"cfcookies-{fingerprint[:16]}-{int(now.timestamp())}",
        "Name": name,
        "EncodedKey": public_key_pem(public),
        "Comment": comment if comment is not None else f"cfcookies sha256:{fingerprint[:16]}",
    }
    with _calling("cloudfront:CreatePublicKey", f"public key {name!r}"):
        response = cloudfront.create_public_key(PublicKeyConfig=config)
    return _public_key_info(response["PublicKey"], response.get("ETag"))


def create_key_group(
    cloudfront: Client, *, name: str, public_key_ids: Sequence[str], comment: str = ""
) -> KeyGroupInfo:
    """Create a key group holding ``public_key_ids`` (CreateKeyGroup).

    How many keys a group may hold is the account's quota, which CloudFront checks: past it,
    :class:`KeyGroupQuotaError`.
    """
    ids = list(dict.fromkeys(public_key_ids))
    if not ids:
        raise ConfigurationError("a key group needs at least one public key ID")
    config: dict[str, Any] = {"Name": name, "Items": ids}
    if comment:
        config["Comment"] = comment
    with _calling("cloudfront:CreateKeyGroup", f"key group {name!r}"):
        response = cloudfront.create_key_group(KeyGroupConfig=config)
    return _key_group_info(response["KeyGroup"], response.get("ETag"))


def _update_key_group(cloudfront: Client, group: KeyGroupInfo, ids: list[str]) -> KeyGroupInfo:
    config: dict[str, Any] = {"Name": group.name, "Items": ids}
    if group.comment:
        config["Comment"] = group.comment
    with _calling("cloudfront:UpdateKeyGroup", f"key group {group.id}"):
        response = cloudfront.update_key_group(
            Id=group.id, IfMatch=group.etag, KeyGroupConfig=config
        )
    return _key_group_info(response["KeyGroup"], response.get("ETag"))


def add_public_key_to_group(
    cloudfront: Client, key_group_id: str, public_key_id: str
) -> KeyGroupInfo:
    """Add a public key to a key group (GetKeyGroup, then UpdateKeyGroup with its ETag).

    The keys are not counted here: the quota is the account's, and CloudFront refuses a key
    past it with ``TooManyPublicKeysInKeyGroup``, raised as :class:`KeyGroupQuotaError` naming
    the keys the group holds.
    """
    group = get_key_group(cloudfront, key_group_id)
    if public_key_id in group.public_key_ids:
        return group
    try:
        return _update_key_group(cloudfront, group, [*group.public_key_ids, public_key_id])
    except KeyGroupQuotaError:
        raise KeyGroupQuotaError(
            f"cloudfront:UpdateKeyGroup: CloudFront refused {public_key_id} in key group "
            f"{group.id}, which holds {', '.join(group.public_key_ids)} "
            f"(TooManyPublicKeysInKeyGroup); {_QUOTA_REMEDY}"
        ) from None


def remove_public_key_from_group(
    cloudfront: Client, key_group_id: str, public_key_id: str
) -> KeyGroupInfo:
    """Remove a public key from a key group. Signatures made with it stop working at once."""
    group = get_key_group(cloudfront, key_group_id)
    if public_key_id not in group.public_key_ids:
        return group
    remaining = [k for k in group.public_key_ids if k != public_key_id]
    if not remaining:
        raise RotationRefusedError(
            f"{public_key_id} is the only key in key group {key_group_id}; a key group cannot be "
            f"empty. Add its successor first (cfcookies aws rotate start)"
        )
    return _update_key_group(cloudfront, group, remaining)


def delete_public_key(cloudfront: Client, public_key_id: str) -> None:
    """Delete a public key (GetPublicKey for its ETag, then DeletePublicKey)."""
    info = get_public_key(cloudfront, public_key_id)
    with _calling("cloudfront:DeletePublicKey", f"public key {public_key_id}"):
        cloudfront.delete_public_key(Id=public_key_id, IfMatch=info.etag)


@dataclass(frozen=True)
class BehaviorTrust:
    """Which key groups a cache behavior of a distribution trusts."""

    path_pattern: str
    """The behavior's path pattern; ``"*"`` for the default behavior."""
    key_group_ids: tuple[str, ...]
    enabled: bool


def distribution_trust(cloudfront: Client, distribution_id: str) -> list[BehaviorTrust]:
    """Each cache behavior's trusted key groups, the default last (GetDistributionConfig)."""
    with _calling("cloudfront:GetDistributionConfig", f"distribution {distribution_id}"):
        response = cloudfront.get_distribution_config(Id=distribution_id)
    config = response["DistributionConfig"]

    def trust(path_pattern: str, behavior: Mapping[str, Any]) -> BehaviorTrust:
        groups = behavior.get("TrustedKeyGroups") or {}
        return BehaviorTrust(
            path_pattern,
            tuple(groups.get("Items") or ()),
            bool(groups.get("Enabled", False)),
        )

    behaviors = [
        trust(item["PathPattern"], item)
        for item in (config.get("CacheBehaviors") or {}).get("Items") or ()
    ]
    behaviors.append(trust("*", config["DefaultCacheBehavior"]))
    return behaviors
