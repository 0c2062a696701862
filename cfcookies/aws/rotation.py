"""Key rotation in AWS's documented order: start, switch, finish.

1. :func:`rotate_start`: upload the new public key and add it to the key group beside the old
   one. CloudFront decides how many keys a group may hold: five by default, a quota an account
   can raise. Past it CloudFront answers ``TooManyPublicKeysInKeyGroup``, raised here as
   :class:`~cfcookies.exceptions.KeyGroupQuotaError`, and the key just uploaded is deleted
   again.
2. :func:`rotate_switch`: make the application sign with the new key, by writing the JSON
   ``{"key_pair_id", "private_key"}`` as a new version of the secret (or parameter) the
   application reads.
3. :func:`rotate_finish`: once every cookie signed with the old key has expired, remove the old
   key from the group and delete it.

The time of the switch is the time AWS recorded for the write: the ``CreatedDate`` of the
secret's current version (Secrets Manager) or the parameter's ``LastModifiedDate`` (SSM). AWS
sets it, anyone can check it (``aws secretsmanager list-secret-version-ids``), and it cannot be
set back by an edit as a comment or tag could. Any later write to the secret moves it forward,
which only makes the wait longer. Keys in files or environment variables have no such record:
there the operator states it with ``switched_at``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import botocore.session

from ..exceptions import AWSError, ConfigurationError, NaiveDatetimeError, RotationRefusedError
from ..keys import (
    KeySource,
    PrivateKey,
    PublicKey,
    key_fingerprint,
    load_public_key,
    private_key_pem,
    validate_key_pair_id,
)
from ..policy import Clock, system_clock
from ._client import Client, _calling
from ._time import _iso, _now, _seconds
from .key_groups import (
    KeyGroupInfo,
    PublicKeyInfo,
    add_public_key_to_group,
    delete_public_key,
    get_key_group,
    get_public_key,
    remove_public_key_from_group,
    upload_public_key,
)
from .keys import KeyMaterial, KeySpec, _store_client, fetch_key_material, parse_key_spec

__all__ = [
    "rotate_finish",
    "rotate_start",
    "rotate_switch",
]


def rotate_start(
    cloudfront: Client,
    *,
    key_group_id: str,
    new_key: PrivateKey | PublicKey | KeySource,
    name: str | None = None,
    comment: str | None = None,
    clock: Clock = system_clock,
) -> PublicKeyInfo:
    """Step 1: upload the new public key and add it to the group beside the old ones.

    If the group already holds this key, returns it without uploading it again. CloudFront
    decides whether the group has room (the account's quota, five keys by default); when it
    refuses (:class:`KeyGroupQuotaError`) or adding fails otherwise, the key just uploaded is
    deleted again, so a failed start leaves nothing behind.
    """
    fingerprint = key_fingerprint(load_public_key(new_key))
    group = get_key_group(cloudfront, key_group_id)
    for key_id in group.public_key_ids:
        existing = get_public_key(cloudfront, key_id)
        if existing.fingerprint == fingerprint:
            return existing
    info = upload_public_key(cloudfront, new_key, name=name, comment=comment, clock=clock)
    try:
        add_public_key_to_group(cloudfront, key_group_id, info.id)
    except AWSError as exc:
        try:
            delete_public_key(cloudfront, info.id)
        except AWSError as cleanup:
            raise type(exc)(
                f"{exc}. The public key {info.id} uploaded for it could not be deleted again "
                f"({cleanup}): delete it by hand"
            ) from None
        raise type(exc)(
            f"{exc}. The public key {info.id} uploaded for it was deleted again"
        ) from None
    return info


def rotate_switch(
    cloudfront: Client,
    *,
    key_group_id: str,
    target: str | KeySpec,
    new_key_pair_id: str,
    new_private_key: PrivateKey,
    passphrase: str | bytes | None = None,
    session: botocore.session.Session | None = None,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    client: Client | None = None,
) -> KeyMaterial:
    """Step 3: make the application sign with the new key.

    Checks that ``new_key_pair_id`` is in the key group and is the public half of
    ``new_private_key``, then writes ``{"key_pair_id", "private_key"}`` as a new version of the
    secret (PutSecretValue) or parameter (PutParameter) ``target``. Apps reading it with
    :class:`RefreshingKeyRing` switch within their refresh interval. ``passphrase`` encrypts
    the stored PEM. Returns what was read back.
    """
    spec = target if isinstance(target, KeySpec) else parse_key_spec(target)
    if spec.kind not in ("secretsmanager", "ssm"):
        raise ConfigurationError(
            f"{spec} is not in AWS: switch it yourself (store the new key and set key_pair_id "
            f"to {new_key_pair_id}), then pass switched_at= to rotate_finish"
        )
    validate_key_pair_id(new_key_pair_id)
    group = get_key_group(cloudfront, key_group_id)
    if new_key_pair_id not in group.public_key_ids:
        raise RotationRefusedError(
            f"{new_key_pair_id} is not in key group {key_group_id}; CloudFront would reject "
            f"every cookie it signs. Run cfcookies aws rotate start first"
        )
    uploaded = get_public_key(cloudfront, new_key_pair_id)
    if uploaded.fingerprint != key_fingerprint(new_private_key):
        raise RotationRefusedError(
            f"public key {new_key_pair_id} is not the public half of the new private key "
            f"(fingerprints differ); pass the key pair ID that rotate start printed for it"
        )
    value = json.dumps(
        {
            "key_pair_id": new_key_pair_id,
            "private_key": private_key_pem(new_private_key, passphrase=passphrase).decode(),
        }
    )
    if spec.kind == "secretsmanager":
        client = client or _store_client(spec, session, region_name, endpoint_url)
        with _calling("secretsmanager:PutSecretValue", f"secret {spec.name!r}"):
            client.put_secret_value(SecretId=spec.name, SecretString=value)
    else:
        client = client or _store_client(spec, session, region_name, endpoint_url)
        with _calling("ssm:PutParameter", f"parameter {spec.name!r}"):
            client.put_parameter(Name=spec.name, Value=value, Type="SecureString", Overwrite=True)
    written = fetch_key_material(spec, passphrase=passphrase, client=client)
    if written.fingerprint != uploaded.fingerprint or written.key_pair_id != new_key_pair_id:
        raise AWSError(f"{spec} does not read back as the key just written; check it by hand")
    return written


def rotate_finish(
    cloudfront: Client,
    *,
    key_group_id: str,
    old_key_id: str,
    signing: KeyMaterial,
    max_cookie_lifetime: float | timedelta,
    refresh_interval: float | timedelta | None = None,
    switched_at: datetime | None = None,
    delete: bool = True,
    clock: Clock = system_clock,
) -> KeyGroupInfo:
    """Step 4: remove the old key from the group, and delete it, once no cookie needs it.

    ``signing`` is the key the application signs with now (:func:`fetch_key_material`). The
    switch time is when AWS recorded that value (``signing.changed_at``), or ``switched_at``
    (the later of the two when both are known). Refused while the old key is the signing key,
    while the signing key is not in the group, and until ``max_cookie_lifetime`` (plus the
    apps' ``refresh_interval``) has passed since the switch.
    """
    lifetime = _seconds(max_cookie_lifetime, name="max_cookie_lifetime") or 0.0
    lag = _seconds(refresh_interval, name="refresh_interval") or 0.0
    if switched_at is not None and (switched_at.tzinfo is None or switched_at.utcoffset() is None):
        raise NaiveDatetimeError("switched_at must be an aware datetime (UTC)")
    group = get_key_group(cloudfront, key_group_id)
    old = get_public_key(cloudfront, old_key_id)
    if signing.key_pair_id == old_key_id or old.fingerprint == signing.fingerprint:
        raise RotationRefusedError(
            f"{old_key_id} is still the key the application signs with ({signing.spec}); "
            f"switch first (cfcookies aws rotate switch)"
        )
    signing_ids = [
        key_id
        for key_id in group.public_key_ids
        if key_id != old_key_id
        and get_public_key(cloudfront, key_id).fingerprint == signing.fingerprint
    ]
    if not signing_ids:
        raise RotationRefusedError(
            f"the signing key in {signing.spec} is not in key group {key_group_id}; removing "
            f"{old_key_id} could leave no key CloudFront trusts. Run rotate start for it first"
        )
    candidates = [t.astimezone(timezone.utc) for t in (signing.changed_at, switched_at) if t]
    if not candidates:
        raise RotationRefusedError(
            f"{signing.spec} keeps no record of when it changed; pass the time of the switch "
            f"(switched_at / --switched-at)"
        )
    switch = max(candidates)
    allowed_at = switch + timedelta(seconds=lifetime + lag)
    now = _now(clock)
    if now < allowed_at:
        wait = int((allowed_at - now).total_seconds()) + 1
        raise RotationRefusedError(
            f"the switch away from {old_key_id} happened at {_iso(switch)}; cookies it signed "
            f"may be valid until {_iso(allowed_at)} (max cookie lifetime {int(lifetime)} s"
            + (f" + refresh interval {int(lag)} s" if lag else "")
            + f"). Removing it now would break them: run again after {_iso(allowed_at)} "
            f"(in {wait} s)",
            allowed_at=allowed_at,
        )
    result = remove_public_key_from_group(cloudfront, key_group_id, old_key_id)
    if delete:
        delete_public_key(cloudfront, old_key_id)
    return result
