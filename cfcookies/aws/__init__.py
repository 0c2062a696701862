"""AWS extras through botocore: signing keys from where they live, key groups, rotation, and the
AWS side of edge revocation. botocore is imported here and nowhere else in cfcookies.

Keys (:mod:`~cfcookies.aws.keys`, :mod:`~cfcookies.aws.refresh`)
    :func:`resolve_private_key` loads a private key from a *spec*: ``secretsmanager:NAME`` (or a
    secret ARN), ``ssm:/path/name`` (a ``SecureString`` parameter), ``env:VAR`` or a file path.
    :class:`RefreshingKeyRing` reads it at start-up and, with ``refresh_interval``, again in the
    background, so that a rotated secret is picked up without a restart.

Key groups, status and rotation (:mod:`~cfcookies.aws.key_groups`, :mod:`~cfcookies.aws.status`,
:mod:`~cfcookies.aws.rotation`)
    Public keys and key groups, which key groups a distribution trusts, and the three steps of
    a rotation in AWS's documented order: :func:`rotate_start`, :func:`rotate_switch`,
    :func:`rotate_finish`.

Revocation at the edge (:mod:`~cfcookies.aws.kvs`, :mod:`~cfcookies.aws.functions`)
    :class:`KeyValueStoreDenyList`, the deny-list in the KeyValueStore that the revocation
    function reads, and :func:`publish_function` / :func:`associate_function`, which put that
    function (:func:`cfcookies.revocation.function_code`) in front of a distribution.

Clients and errors (:mod:`~cfcookies.aws._client`)
    :func:`make_client` makes the botocore clients, and one mapping turns what they raise into
    :class:`~cfcookies.exceptions.AWSError` subclasses (defined, with the rest of the tree, in
    :mod:`cfcookies.exceptions` and re-exported here); messages name the call, the resource and
    the fix, and never carry key material, secret values or credentials.
"""

from __future__ import annotations

from ..exceptions import (
    AWSAccessDeniedError,
    AWSConflictError,
    AWSCredentialsError,
    AWSNotFoundError,
    KeyGroupQuotaError,
    PreconditionFailedError,
    ResourceInUseError,
    RotationRefusedError,
)
from ._client import DEFAULT_KEYS_PER_KEY_GROUP, make_client
from .functions import associate_function, publish_function
from .key_groups import (
    BehaviorTrust,
    KeyGroupInfo,
    PublicKeyInfo,
    add_public_key_to_group,
    create_key_group,
    delete_public_key,
    distribution_trust,
    get_key_group,
    get_public_key,
    remove_public_key_from_group,
    upload_public_key,
)
from .keys import KeyMaterial, KeySpec, fetch_key_material, parse_key_spec, resolve_private_key
from .kvs import KeyValueStoreDenyList, crt_available, require_crt
from .refresh import DEFAULT_REFRESH_ATTEMPTS, DEFAULT_REFRESH_TIMEOUT, RefreshingKeyRing
from .rotation import rotate_finish, rotate_start, rotate_switch
from .status import KeyStatus, key_status

__all__ = [
    "DEFAULT_KEYS_PER_KEY_GROUP",
    "DEFAULT_REFRESH_ATTEMPTS",
    "DEFAULT_REFRESH_TIMEOUT",
    "AWSAccessDeniedError",
    "AWSConflictError",
    "AWSCredentialsError",
    "AWSNotFoundError",
    "BehaviorTrust",
    "KeyGroupInfo",
    "KeyGroupQuotaError",
    "KeyMaterial",
    "KeySpec",
    "KeyStatus",
    "KeyValueStoreDenyList",
    "PreconditionFailedError",
    "PublicKeyInfo",
    "RefreshingKeyRing",
    "ResourceInUseError",
    "RotationRefusedError",
    "add_public_key_to_group",
    "associate_function",
    "create_key_group",
    "crt_available",
    "delete_public_key",
    "distribution_trust",
    "fetch_key_material",
    "get_key_group",
    "get_public_key",
    "key_status",
    "make_client",
    "parse_key_spec",
    "publish_function",
    "remove_public_key_from_group",
    "require_crt",
    "resolve_private_key",
    "rotate_finish",
    "rotate_start",
    "rotate_switch",
    "upload_public_key",
]
