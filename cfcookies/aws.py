"""AWS extras through botocore: signing keys from where they live, key groups, rotation.

Keys
    :func:`resolve_private_key` loads a private key from a *spec*: ``secretsmanager:NAME`` (or a
    secret ARN), ``ssm:/path/name`` (a ``SecureString`` parameter), ``env:VAR`` or a file path.
    The stored value is a PEM or DER key, or JSON that pairs the key with its CloudFront public
    key ID so that a rotation changes both at once::

        {"key_pair_id": "K2JCJMDEHXQW5F", "private_key": "-----BEGIN PRIVATE KEY-----\\n..."}

    :class:`RefreshingKeyRing` reads the spec once at start-up (a failure raises) and, with
    ``refresh_interval``, again when the interval has passed, so a rotated secret is picked up
    without a restart. Those reads run in a background thread with short timeouts and few
    attempts: signing never waits for the key store, and a read that hangs or fails keeps the
    last good key and logs a warning.

Key groups and rotation (AWS's documented order)
    1. :func:`rotate_start`: upload the new public key and add it to the key group beside the
       old one. CloudFront decides how many keys a group may hold: five by default, a quota an
       account can raise. Past it CloudFront answers ``TooManyPublicKeysInKeyGroup``, raised
       here as :class:`KeyGroupQuotaError`, and the key just uploaded is deleted again.
    2. :func:`rotate_switch`: make the application sign with the new key, by writing the JSON
       above as a new version of the secret (or parameter) the application reads.
    3. :func:`rotate_finish`: once every cookie signed with the old key has expired, remove the
       old key from the group and delete it.

    The time of the switch is the time AWS recorded for the write: the ``CreatedDate`` of the
    secret's current version (Secrets Manager) or the parameter's ``LastModifiedDate`` (SSM).
    AWS sets it, anyone can check it (``aws secretsmanager list-secret-version-ids``), and it
    cannot be set back by an edit as a comment or tag could. Any later write to the secret
    moves it forward, which only makes the wait longer. Keys in files or environment variables
    have no such record: there the operator states it with ``switched_at``.

Errors are :class:`~cfcookies.exceptions.AWSError` subclasses defined here; messages name the
call, the resource and the fix, and never carry key material, secret values or credentials.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
from cryptography.hazmat.primitives import serialization

from .exceptions import (
    AWSError,
    CloudFrontCookieError,
    ConfigurationError,
    KeyLoadError,
    NaiveDatetimeError,
)
from .keys import (
    KeyRing,
    KeySource,
    PrivateKey,
    PublicKey,
    SigningKey,
    key_fingerprint,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
    validate_key_pair_id,
)
from .policy import Clock, system_clock

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

logger = logging.getLogger("cfcookies.aws")

#: CloudFront's default quota of public keys in one key group ("Public keys in a single key
#: group", 5). Accounts can have it raised, so the client never counts keys itself: CloudFront
#: refuses a key past the quota with ``TooManyPublicKeysInKeyGroup`` (CreateKeyGroup,
#: UpdateKeyGroup). Source: the Quotas page of the CloudFront Developer Guide,
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-key-groups
DEFAULT_KEYS_PER_KEY_GROUP = 5

Client = Any
"""A botocore client (botocore ships no type information)."""


# --------------------------------------------------------------------------------------------
# Errors


class AWSCredentialsError(AWSError):
    """No usable AWS credentials or region: nothing was sent, or AWS rejected who we are."""


class AWSAccessDeniedError(AWSError):
    """AWS refused the call: the caller lacks a permission (IAM, KMS or a resource policy)."""


class AWSNotFoundError(AWSError):
    """The secret, parameter, public key, key group or distribution does not exist."""


class AWSConflictError(AWSError):
    """The resource is in a state that forbids the change."""


class PreconditionFailedError(AWSConflictError):
    """The resource changed since it was read (its ETag no longer matches): run again."""


class ResourceInUseError(AWSConflictError):
    """The public key is still in a key group, or the key group still trusted by a behavior."""


class KeyGroupQuotaError(AWSError):
    """CloudFront refused a key past the account's quota of public keys per key group
    (``TooManyPublicKeysInKeyGroup``; five unless the account had it raised)."""


class RotationRefusedError(CloudFrontCookieError):
    """A rotation step that would break cookies in use; the message says when it will be safe.

    ``allowed_at`` is the first moment the step may run, or ``None`` when waiting cannot help.
    """

    def __init__(self, message: str, *, allowed_at: datetime | None = None) -> None:
        super().__init__(message)
        self.allowed_at = allowed_at


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


def _aws_error(exc: Exception, *, operation: str, resource: str) -> AWSError:
    """Translate a botocore exception into one of ours, without AWS's own message.

    AWS messages can quote request details (a ``SignatureDoesNotMatch`` quotes the canonical
    request, session token included), so only the error code is kept.
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
    if not isinstance(exc, ClientError):
        return AWSError(f"{operation} on {resource} failed: {type(exc).__name__}")
    code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _NOT_FOUND:
        return AWSNotFoundError(f"{operation}: {resource} does not exist ({code})")
    if code in _ACCESS_DENIED:
        hint = (
            "allow kms:Decrypt on the key that encrypts it"
            if code in {"DecryptionFailure", "KMSAccessDenied"}
            else f"grant the caller {operation} on it"
        )
        return AWSAccessDeniedError(f"{operation} on {resource} was denied ({code}); {hint}")
    if code in _BAD_CREDENTIALS:
        return AWSCredentialsError(
            f"AWS rejected the credentials used for {operation} ({code}); refresh them "
            f"(aws sso login, a new session token) or check the clock of this machine"
        )
    if code in _PRECONDITION:
        return PreconditionFailedError(
            f"{operation}: {resource} was changed by someone else since it was read ({code}); "
            f"run the command again"
        )
    if code in _IN_USE:
        return ResourceInUseError(
            f"{operation}: {resource} is still in use ({code}); remove it from every key group "
            f"(or behavior) that references it first"
        )
    if code in _QUOTA:
        return KeyGroupQuotaError(
            f"{operation}: {resource} would hold more public keys than this account's quota "
            f"allows ({code}); {_QUOTA_REMEDY}"
        )
    return AWSError(f"{operation} on {resource} failed with {code} (HTTP {status})")


@contextmanager
def _calling(operation: str, resource: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error(exc, operation=operation, resource=resource) from None


# --------------------------------------------------------------------------------------------
# Clients


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


# --------------------------------------------------------------------------------------------
# Key specs and key material

KeyKind = Literal["secretsmanager", "ssm", "env", "file"]

_ARN = re.compile(r"^arn:[a-z0-9-]+:(?P<service>secretsmanager|ssm):(?P<region>[a-z0-9-]*):")


@dataclass(frozen=True)
class KeySpec:
    """Where a private key lives. ``str(spec)`` is safe to print: it names, never holds."""

    kind: KeyKind
    name: str
    region_name: str | None = None

    def __str__(self) -> str:
        return self.name if self.kind == "file" else f"{self.kind}:{self.name}"


def parse_key_spec(spec: str) -> KeySpec:
    """Parse ``secretsmanager:NAME``, a secret or parameter ARN, ``ssm:NAME``, ``env:VAR`` or a
    path (optionally ``file:PATH``)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigurationError(
            "a key spec must be secretsmanager:NAME, ssm:/path/name, env:VAR or a file path"
        )
    if "-----BEGIN" in spec or "\n" in spec:
        raise ConfigurationError(
            "this looks like a key itself, not where it lives; put it in a file, a secret or an "
            "environment variable and pass file:PATH, secretsmanager:NAME or env:VAR"
        )
    spec = spec.strip()
    arn = _ARN.match(spec)
    if arn:
        kind: KeyKind = "secretsmanager" if arn["service"] == "secretsmanager" else "ssm"
        return KeySpec(kind, spec, arn["region"] or None)
    prefix, sep, rest = spec.partition(":")
    if sep and prefix in ("secretsmanager", "ssm", "env", "file"):
        if not rest:
            raise ConfigurationError(f"the key spec {spec!r} names nothing after {prefix}:")
        inner = _ARN.match(rest)
        if prefix in ("secretsmanager", "ssm") and inner and inner["service"] != prefix:
            raise ConfigurationError(f"{spec!r} pairs {prefix}: with a {inner['service']} ARN")
        if prefix == "file" and rest.startswith("//"):
            rest = rest[2:]  # file:///abs/path or file://relative/path
        if prefix == "env" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rest):
            raise ConfigurationError(f"env:{rest!r} is not an environment variable name")
        kind = prefix  # type: ignore[assignment]
        return KeySpec(kind, rest, (inner["region"] or None) if inner else None)
    return KeySpec("file", spec)


@dataclass(frozen=True)
class KeyMaterial:
    """A private key as read from its spec, with what the store said about it."""

    spec: KeySpec
    private_key: PrivateKey = field(repr=False)
    key_pair_id: str | None
    """The key pair ID stored beside the key (JSON form), if any."""
    version: str | None = None
    """The secret's ``VersionId`` or the parameter's ``Version``."""
    changed_at: datetime | None = None
    """When AWS recorded this value: the version's ``CreatedDate`` or ``LastModifiedDate``."""
    is_json: bool = False
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fingerprint", key_fingerprint(self.private_key))


def _load_stored_key(
    data: bytes, *, label: str, passphrase: str | bytes | None
) -> tuple[PrivateKey, str | None, bool]:
    """The key (and key pair ID) in a stored value; errors name ``label``, never the value."""
    stripped = data.strip()
    key_pair_id: str | None = None
    is_json = stripped.startswith(b"{")
    if is_json:
        try:
            document = json.loads(stripped)
        except (ValueError, UnicodeDecodeError):
            raise KeyLoadError(f"{label} starts like JSON but is not valid JSON") from None
        except RecursionError:  # arrays or objects nested deeper than the parser recurses
            raise KeyLoadError(
                f"{label} is JSON nested too deeply to read; store "
                f'{{"key_pair_id": "K...", "private_key": "-----BEGIN ..."}}'
            ) from None
        pem = document.get("private_key") if isinstance(document, dict) else None
        if not isinstance(pem, str) or not pem.strip():
            raise KeyLoadError(
                f"{label} is JSON without a private_key string; store "
                f'{{"key_pair_id": "K...", "private_key": "-----BEGIN ..."}}'
            )
        raw_id = document.get("key_pair_id")
        if raw_id is not None:
            try:
                key_pair_id = validate_key_pair_id(raw_id)
            except ConfigurationError as exc:
                raise KeyLoadError(f"{label}: {exc}") from None
        stripped = pem.encode()
    try:
        # Always bytes: a str without a PEM header would be taken for a file path.
        key = load_private_key(stripped, passphrase=passphrase)
    except KeyLoadError as exc:
        raise type(exc)(f"{label}: {exc}") from None
    return key, key_pair_id, is_json


def _utc(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _store_client(
    spec: KeySpec,
    session: botocore.session.Session | None,
    region_name: str | None,
    endpoint_url: str | None,
) -> Client:
    """The Secrets Manager or SSM client for a ``secretsmanager:``/``ssm:`` key spec."""
    return make_client(
        spec.kind,
        session=session,
        region_name=spec.region_name or region_name,
        endpoint_url=endpoint_url,
    )


def fetch_key_material(
    spec: str | KeySpec,
    *,
    passphrase: str | bytes | None = None,
    session: botocore.session.Session | None = None,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    client: Client | None = None,
) -> KeyMaterial:
    """Read the private key (and its key pair ID, if stored beside it) from ``spec``.

    ``client`` replaces the Secrets Manager or SSM client that would be made from ``session``.
    """
    parsed = spec if isinstance(spec, KeySpec) else parse_key_spec(spec)
    label = f"the key in {parsed}"
    version: str | None = None
    changed_at: datetime | None = None
    if parsed.kind == "file":
        try:
            data = Path(parsed.name).read_bytes()
        except FileNotFoundError:
            raise KeyLoadError(f"no key file at {parsed.name!r}") from None
        except OSError as exc:
            raise KeyLoadError(
                f"cannot read the key file {parsed.name!r}: {exc.strerror}"
            ) from None
    elif parsed.kind == "env":
        value = os.environ.get(parsed.name)
        if not value:
            raise KeyLoadError(f"the environment variable {parsed.name} is not set or empty")
        data = value.encode()
    elif parsed.kind == "secretsmanager":
        client = client or _store_client(parsed, session, region_name, endpoint_url)
        with _calling("secretsmanager:GetSecretValue", f"secret {parsed.name!r}"):
            response = client.get_secret_value(SecretId=parsed.name)
        if response.get("SecretString") is not None:
            data = str(response["SecretString"]).encode()
        elif response.get("SecretBinary") is not None:
            data = bytes(response["SecretBinary"])
        else:
            raise KeyLoadError(f"the secret {parsed.name!r} has no value")
        version = response.get("VersionId")
        changed_at = _utc(response.get("CreatedDate"))
    else:
        client = client or _store_client(parsed, session, region_name, endpoint_url)
        with _calling("ssm:GetParameter", f"parameter {parsed.name!r}"):
            response = client.get_parameter(Name=parsed.name, WithDecryption=True)
        parameter = response["Parameter"]
        if parameter.get("Type") != "SecureString":
            raise KeyLoadError(
                f"the parameter {parsed.name!r} is a {parameter.get('Type')}, not a "
                f"SecureString; a private key must be stored encrypted (put-parameter --type "
                f"SecureString --overwrite)"
            )
        data = str(parameter["Value"]).encode()
        version = str(parameter["Version"]) if parameter.get("Version") is not None else None
        changed_at = _utc(parameter.get("LastModifiedDate"))
    key, key_pair_id, is_json = _load_stored_key(data, label=label, passphrase=passphrase)
    return KeyMaterial(
        parsed, key, key_pair_id, version=version, changed_at=changed_at, is_json=is_json
    )


def resolve_private_key(
    spec: str,
    *,
    passphrase: str | bytes | None = None,
    session: botocore.session.Session | None = None,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    client: Client | None = None,
) -> PrivateKey:
    """Load a private key from ``secretsmanager:NAME``, ``ssm:/path``, ``env:VAR`` or a path."""
    return fetch_key_material(
        spec,
        passphrase=passphrase,
        session=session,
        region_name=region_name,
        endpoint_url=endpoint_url,
        client=client,
    ).private_key


# --------------------------------------------------------------------------------------------
# A key ring that follows its secret

#: Connect and read timeout, in seconds, of the Secrets Manager or SSM client that a
#: :class:`RefreshingKeyRing` makes for itself (botocore's own default is 60 s for each).
DEFAULT_REFRESH_TIMEOUT = 3.0
#: Attempts per read of the key store, the first included, by that client (botocore's own
#: default is 3 to 5, each with the 60 s timeouts).
DEFAULT_REFRESH_ATTEMPTS = 2


def _key_store_config(timeout: float, max_attempts: int) -> Config:
    """Short timeouts and few attempts: a key store that hangs is given up on quickly.

    ``total_max_attempts`` counts the first attempt (botocore's ``max_attempts`` does not).
    """
    return Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
    )


def _seconds(value: float | timedelta | None, *, name: str) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not seconds > 0:
        raise ConfigurationError(f"{name} must be positive seconds or a timedelta, got {value!r}")
    return seconds


def _now(clock: Clock) -> datetime:
    now = clock()
    if now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetimeError("the clock returned a naive datetime; it must be aware (UTC)")
    return now


def _whole_number(value: object, *, name: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigurationError(f"{name} must be a whole number, {minimum} or more, got {value!r}")
    return value


class RefreshingKeyRing(KeyRing):
    """A key ring whose signing key is read from a spec, and read again to follow rotations.

    The key is fetched once here: a failure raises, so a misconfigured app fails at start-up.

    With ``refresh_interval``, the source is read again once the interval has passed since the
    last attempt, in a background (daemon) thread: :meth:`active` never waits for the key
    store. The first call that finds a refresh due starts the thread and, like every other
    call, returns the current key at once; while that thread runs no other starts, so a key
    store that hangs holds up one thread and no request. A read that fails in any way (the
    store unreachable or hung past its timeouts, a value that is not a key, a key that cannot
    be right, any exception at all) keeps the last good key, sets :attr:`last_error` and logs
    a warning (``extra={"event": "cfcookies.keys.refresh_failed", ...}``); the next attempt
    comes one interval later. A refresh still running after ``stuck_after`` seconds (default:
    twice its budget, ``max_attempts`` × 2 × ``timeout``; an answer that trickles in never
    trips a read timeout) is reported the same way (``"cfcookies.keys.refresh_stuck"``): a
    thread cannot be stopped, so the ring keeps signing with its key, and starts no second
    refresh, until it ends.

    The thread starts on demand rather than on a timer: nothing runs while nobody signs, a
    fake clock drives it in tests, and a worker forked by a pre-forking server starts its
    own (threads do not survive a fork). :meth:`close` starts no more of them.

    The Secrets Manager or SSM client made here gives up after ``timeout`` seconds to connect
    and ``timeout`` seconds per read (default 3), and makes at most ``max_attempts`` attempts
    (default 2, botocore's ``standard`` retry mode). A ``client`` passed in is used as it is:
    its timeouts and retries are the caller's (set ``stuck_after`` to suit them).

    :meth:`refresh` reads at once, in the calling thread (from an app's own timer, say), and
    can raise what went wrong.

    The key pair ID is the one stored beside the key (JSON secret) when there is one, otherwise
    ``key_pair_id``. Keys replaced by a refresh stay trusted for verification, the
    ``max_previous_keys`` most recent of them (default 4: CloudFront's default quota of five
    keys per key group, less the signing key). Raise it if the account's quota is higher and
    the group keeps more old keys; 0 trusts only the signing key and ``verification_keys``.
    """

    def __init__(
        self,
        source: str | KeySpec,
        *,
        key_pair_id: str | None = None,
        refresh_interval: float | timedelta | None = None,
        timeout: float | timedelta = DEFAULT_REFRESH_TIMEOUT,
        max_attempts: int = DEFAULT_REFRESH_ATTEMPTS,
        stuck_after: float | timedelta | None = None,
        passphrase: str | bytes | None = None,
        session: botocore.session.Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        client: Client | None = None,
        clock: Clock = system_clock,
        verification_keys: Mapping[str, PublicKey | PrivateKey | KeySource] | None = None,
        max_previous_keys: int = DEFAULT_KEYS_PER_KEY_GROUP - 1,
    ) -> None:
        #: How many keys replaced by a refresh stay trusted for verification, newest kept.
        self.max_previous_keys = _whole_number(
            max_previous_keys, name="max_previous_keys", minimum=0
        )
        #: Attempts per read of the key store, the first included.
        self.max_attempts = _whole_number(max_attempts, name="max_attempts", minimum=1)
        timeout_seconds = _seconds(timeout, name="timeout")
        if timeout_seconds is None:
            raise ConfigurationError("timeout must be positive seconds or a timedelta, got None")
        #: Seconds to connect, and to wait for each read, per attempt.
        self.timeout = timeout_seconds
        #: Seconds after which a running refresh is reported stuck; by default twice its
        #: budget of ``max_attempts`` × (connect timeout + read timeout).
        self.stuck_after = _seconds(stuck_after, name="stuck_after") or (
            2 * self.max_attempts * 2 * self.timeout
        )
        self._spec = source if isinstance(source, KeySpec) else parse_key_spec(source)
        self._fixed_id = validate_key_pair_id(key_pair_id) if key_pair_id is not None else None
        self._interval = _seconds(refresh_interval, name="refresh_interval")
        if client is None and self._spec.kind in ("secretsmanager", "ssm"):
            # One client for the ring's life: making one loads the service model (slow).
            client = make_client(
                self._spec.kind,
                session=session,
                region_name=self._spec.region_name or region_name,
                endpoint_url=endpoint_url,
                config=_key_store_config(self.timeout, self.max_attempts),
            )
        self._fetch_options: dict[str, Any] = {"passphrase": passphrase, "client": client}
        self._clock = clock
        # Guards the state below. Held for bookkeeping only, never across a read of the store.
        self._lock = threading.Lock()
        self._previous: dict[str, PublicKey] = {}
        self._thread: threading.Thread | None = None
        self._thread_started = 0.0  # time.monotonic() when it started
        self._stuck_reported = False
        self._closed = False
        self._reads = 0  # reads begun, numbered from 1
        self._applied = 0  # the number of the read whose result is in use
        material = fetch_key_material(self._spec, **self._fetch_options)
        super().__init__(self._signing_key(material), verification_keys=verification_keys)
        self._version = material.version
        #: When the source was last read, or a read of it began (the ring's clock).
        self.last_refresh_attempt: datetime = _now(clock)
        #: When a read last succeeded.
        self.last_refreshed_at: datetime = self.last_refresh_attempt
        #: What went wrong with the last refresh, None once one succeeds.
        self.last_error: str | None = None

    def _signing_key(self, material: KeyMaterial) -> SigningKey:
        key_pair_id = material.key_pair_id or self._fixed_id
        if key_pair_id is None:
            raise ConfigurationError(
                f"{material.spec} holds a bare key: pass key_pair_id=, or store JSON "
                f'{{"key_pair_id": "K...", "private_key": "-----BEGIN ..."}}'
            )
        return SigningKey(key_pair_id, material.private_key)

    @property
    def spec(self) -> KeySpec:
        return self._spec

    @property
    def client(self) -> Client | None:
        """The Secrets Manager or SSM client that reads the key (None for files and ``env:``)."""
        return self._fetch_options["client"]

    @property
    def refreshing(self) -> bool:
        """Whether a background refresh is running."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _due(self) -> bool:
        if self._interval is None:
            return False
        elapsed = (_now(self._clock) - self.last_refresh_attempt).total_seconds()
        return elapsed >= self._interval

    def active(self) -> SigningKey:
        """The key that signs now. Never waits: a refresh that is due starts in the background."""
        if self._interval is not None and not self._closed and self._due():
            self._start_refresh()
        return self._active

    def _start_refresh(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # another thread is starting one, or storing what one read
        try:
            stuck_for, failed = self._start_refresh_locked()
        finally:
            self._lock.release()
        # Logging can be slow (a handler's I/O): never under the lock.
        if stuck_for is not None:
            self._report_stuck(stuck_for)
        if failed is not None:
            self._report_failure(failed)

    def _start_refresh_locked(self) -> tuple[float | None, Exception | None]:
        """Start a background read if one is due and none runs: (stuck for, start failure)."""
        if self._closed or not self._due():
            return None, None
        thread = self._thread
        if thread is not None and thread.is_alive():
            running = time.monotonic() - self._thread_started
            if self._stuck_reported or running < self.stuck_after:
                return None, None
            self._stuck_reported = True
            return running, None
        number, attempted_at = self._begin_read()
        thread = threading.Thread(
            target=self._refresh_in_background,
            args=(number, attempted_at),
            name=f"cfcookies-key-refresh {self._spec}",
            daemon=True,
        )
        self._thread, self._thread_started = thread, time.monotonic()
        self._stuck_reported = False
        try:
            thread.start()
        except RuntimeError as exc:  # can't start new thread: try again next interval
            self._thread = None
            return None, exc
        return None, None

    def _begin_read(self) -> tuple[int, datetime]:
        """Number a read and record its attempt; the caller holds the lock."""
        self._reads += 1
        self.last_refresh_attempt = _now(self._clock)
        return self._reads, self.last_refresh_attempt

    def _refresh_in_background(self, number: int, attempted_at: datetime) -> None:
        # Whatever happens (even in logging), nothing escapes the thread.
        with suppress(Exception):
            self._read_and_store(number, attempted_at, raise_errors=False)

    def refresh(self, *, raise_errors: bool = False) -> bool:
        """Re-read the source now, in this thread; True if the signing key changed.

        On any failure, keep the current key, log a warning and return False (or raise, with
        ``raise_errors``). A background refresh that is running does not hold this one up.
        """
        with self._lock:
            number, attempted_at = self._begin_read()
        return self._read_and_store(number, attempted_at, raise_errors=raise_errors)

    def wait_for_refresh(self, timeout: float | None = None) -> bool:
        """Wait for a running background refresh to end; True if none is running on return."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.refreshing

    def close(self) -> None:
        """Start no more background refreshes; :meth:`refresh` still reads on demand.

        A refresh already running ends on its own: its thread is a daemon, so it never holds
        up the interpreter's exit.
        """
        self._closed = True

    def _read_and_store(self, number: int, attempted_at: datetime, *, raise_errors: bool) -> bool:
        try:
            material = fetch_key_material(self._spec, **self._fetch_options)
            candidate = self._signing_key(material)
            with self._lock:
                replaced = self._store(number, attempted_at, material, candidate)
        except Exception as exc:
            self._report_failure(exc)
            if raise_errors:
                raise
            return False
        if replaced is None:
            return False
        logger.info(
            "cfcookies: signing key changed from %s to %s (read from %s)",
            replaced.key_pair_id,
            candidate.key_pair_id,
            self._spec,
            extra={
                "event": "cfcookies.keys.changed",
                "spec": str(self._spec),
                "key_pair_id": candidate.key_pair_id,
                "previous_key_pair_id": replaced.key_pair_id,
            },
        )
        return True

    def _store(
        self, number: int, attempted_at: datetime, material: KeyMaterial, candidate: SigningKey
    ) -> SigningKey | None:
        """Adopt what read ``number`` found; the key it replaced, if any. The lock is held."""
        if number < self._applied:
            return None  # a read begun later has already been stored: this value is older
        current = self._active
        if (
            candidate.key_pair_id == current.key_pair_id
            and candidate.fingerprint != current.fingerprint
        ):
            raise KeyLoadError(
                f"{self._spec} now holds a different key under the same key pair ID "
                f"{current.key_pair_id}; CloudFront would reject its signatures. A rotated "
                f"key needs the new public key ID: store JSON with key_pair_id"
            )
        self._applied = number
        self.last_error = None
        self.last_refreshed_at = attempted_at
        self._version = material.version
        if candidate.key_pair_id == current.key_pair_id:
            return None
        previous = dict(self._previous)  # replaced whole: readers never see it half-changed
        previous[current.key_pair_id] = current.private_key.public_key()
        previous.pop(candidate.key_pair_id, None)
        while len(previous) > self.max_previous_keys:
            previous.pop(next(iter(previous)))
        self._previous = previous
        self._active = candidate
        return current

    def _report_failure(self, exc: Exception) -> None:
        if isinstance(exc, CloudFrontCookieError):
            detail = f"{type(exc).__name__}: {exc}"  # our messages never quote a stored value
        else:
            detail = f"{type(exc).__name__} (its message is not shown: it could quote the value)"
        self.last_error = detail
        key_pair_id = self._active.key_pair_id
        logger.warning(
            "cfcookies: could not refresh the signing key from %s (%s); still signing with key %s",
            self._spec,
            detail,
            key_pair_id,
            extra={
                "event": "cfcookies.keys.refresh_failed",
                "spec": str(self._spec),
                "error": type(exc).__name__,
                "key_pair_id": key_pair_id,
            },
        )

    def _report_stuck(self, running: float) -> None:
        key_pair_id = self._active.key_pair_id
        self.last_error = (
            f"a refresh from {self._spec} has been running for {running:.1f} s, past "
            f"stuck_after ({self.stuck_after:g} s); no other starts until it ends"
        )
        logger.warning(
            "cfcookies: %s; still signing with key %s",
            self.last_error,
            key_pair_id,
            extra={
                "event": "cfcookies.keys.refresh_stuck",
                "spec": str(self._spec),
                "running_seconds": round(running, 3),
                "key_pair_id": key_pair_id,
            },
        )

    @property
    def public_keys(self) -> dict[str, PublicKey]:
        keys = dict(self._previous)
        keys.update(super().public_keys)
        return keys


# --------------------------------------------------------------------------------------------
# CloudFront public keys and key groups


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


# --------------------------------------------------------------------------------------------
# Status


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


# --------------------------------------------------------------------------------------------
# Rotation


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


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
