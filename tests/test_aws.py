"""cfcookies.aws as a package: what it exports, and that its errors are the ones in
cfcookies.exceptions (each module has its own test file: test_aws_keys.py, test_aws_refresh.py,
...)."""

from __future__ import annotations

import cfcookies.exceptions
from cfcookies import aws

#: What ``cfcookies.aws`` exported when it was one module: every name stays importable from it.
EXPORTED_BEFORE = [
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
    "PreconditionFailedError",
    "PublicKeyInfo",
    "RefreshingKeyRing",
    "ResourceInUseError",
    "RotationRefusedError",
    "add_public_key_to_group",
    "create_key_group",
    "delete_public_key",
    "distribution_trust",
    "fetch_key_material",
    "get_key_group",
    "get_public_key",
    "key_status",
    "make_client",
    "parse_key_spec",
    "remove_public_key_from_group",
    "resolve_private_key",
    "rotate_finish",
    "rotate_start",
    "rotate_switch",
    "upload_public_key",
]

#: What moved here from cfcookies.revocation, which needs botocore no more.
MOVED_FROM_REVOCATION = [
    "KeyValueStoreDenyList",
    "associate_function",
    "crt_available",
    "publish_function",
    "require_crt",
]


def test_every_name_is_exported_from_the_package() -> None:
    """Each name the one-module cfcookies.aws exported, and each that moved here, is in
    ``cfcookies.aws.__all__`` and importable from it."""
    names = EXPORTED_BEFORE + MOVED_FROM_REVOCATION
    assert [n for n in names if n not in aws.__all__] == []
    assert [n for n in names if getattr(aws, n, None) is None] == []


def test_errors_are_the_classes_of_the_one_tree() -> None:
    """The AWS errors live in cfcookies.exceptions; cfcookies.aws re-exports the same classes,
    so ``except cfcookies.aws.AWSNotFoundError`` catches what either name raises."""
    errors = [n for n in EXPORTED_BEFORE if n.endswith("Error")]
    assert len(errors) == 8
    for name in errors:
        assert getattr(aws, name) is getattr(cfcookies.exceptions, name), name
        assert issubclass(getattr(aws, name), cfcookies.exceptions.CloudFrontCookieError)
