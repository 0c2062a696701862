"""Key status: what the key group holds, what the app signs with, what a distribution trusts.

:func:`key_status` reads them and :class:`KeyStatus` compares them, naming each problem that
would make CloudFront reject the cookies (``cfcookies aws status``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._client import Client
from .key_groups import (
    BehaviorTrust,
    KeyGroupInfo,
    PublicKeyInfo,
    distribution_trust,
    get_key_group,
    get_public_key,
)
from .keys import KeyMaterial

__all__ = [
    "KeyStatus",
    "key_status",
]


@dataclass(frozen=True)
class KeyStatus:
    """What the key group holds, what the application signs with, what a distribution trusts."""

    key_group: KeyGroupInfo
    public_keys: tuple[PublicKeyInfo, ...]
    signing_fingerprint: str | None = None
    signing_key_pair_id: str | None = None
    """The ID stored beside the private key (JSON), if any."""
    behaviors: tuple[BehaviorTrust, ...] = ()

    @property
    def signing_key_ids(self) -> tuple[str, ...]:
        """IDs in the group whose public key matches the application's private key."""
        if self.signing_fingerprint is None:
            return ()
        return tuple(k.id for k in self.public_keys if k.fingerprint == self.signing_fingerprint)

    @property
    def problems(self) -> tuple[str, ...]:
        found: list[str] = []
        if self.signing_fingerprint is not None and not self.signing_key_ids:
            found.append(
                f"the private key matches no public key in key group {self.key_group.id}: "
                f"CloudFront will reject every cookie it signs"
            )
        if (
            self.signing_key_pair_id is not None
            and self.signing_fingerprint is not None
            and self.signing_key_pair_id not in self.signing_key_ids
        ):
            found.append(
                f"the secret names key pair ID {self.signing_key_pair_id}, which is not the "
                f"public key of its private key in key group {self.key_group.id}"
            )
        if self.behaviors and not any(
            b.enabled and self.key_group.id in b.key_group_ids for b in self.behaviors
        ):
            found.append(f"no cache behavior of the distribution trusts {self.key_group.id}")
        return tuple(found)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_group": {
                "id": self.key_group.id,
                "name": self.key_group.name,
                "public_key_ids": list(self.key_group.public_key_ids),
            },
            "public_keys": [
                {
                    "id": k.id,
                    "name": k.name,
                    "fingerprint": k.fingerprint,
                    "created_time": k.created_time.isoformat() if k.created_time else None,
                    "signing": k.id in self.signing_key_ids,
                }
                for k in self.public_keys
            ],
            "signing": None
            if self.signing_fingerprint is None
            else {
                "fingerprint": self.signing_fingerprint,
                "key_pair_id": self.signing_key_pair_id,
                "matching_key_ids": list(self.signing_key_ids),
            },
            "behaviors": [
                {
                    "path_pattern": b.path_pattern,
                    "enabled": b.enabled,
                    "key_group_ids": list(b.key_group_ids),
                    "trusts_this_group": b.enabled and self.key_group.id in b.key_group_ids,
                }
                for b in self.behaviors
            ],
            "problems": list(self.problems),
        }


def key_status(
    cloudfront: Client,
    key_group_id: str,
    *,
    signing: KeyMaterial | None = None,
    distribution_id: str | None = None,
) -> KeyStatus:
    """Compare the key group's public keys with the signing key, and list who trusts the group."""
    group = get_key_group(cloudfront, key_group_id)
    keys = tuple(get_public_key(cloudfront, key_id) for key_id in group.public_key_ids)
    behaviors = tuple(distribution_trust(cloudfront, distribution_id)) if distribution_id else ()
    return KeyStatus(
        group,
        keys,
        signing_fingerprint=signing.fingerprint if signing else None,
        signing_key_pair_id=signing.key_pair_id if signing else None,
        behaviors=behaviors,
    )
