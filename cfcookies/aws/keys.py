"""Signing keys from where they live: Secrets Manager, SSM Parameter Store, a variable, a file.

:func:`resolve_private_key` loads a private key from a *spec*: ``secretsmanager:NAME`` (or a
secret ARN), ``ssm:/path/name`` (a ``SecureString`` parameter), ``env:VAR`` or a file path. The
stored value is a PEM or DER key, or JSON that pairs the key with its CloudFront public key ID
so that a rotation changes both at once::

    {"key_pair_id": "K2JCJMDEHXQW5F", "private_key": "-----BEGIN PRIVATE KEY-----\\n..."}

:func:`fetch_key_material` returns the key with what the store said about it (its version and
when AWS recorded it), which :mod:`cfcookies.aws.rotation` and
:class:`~cfcookies.aws.refresh.RefreshingKeyRing` need. Errors name the spec, never the value.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import botocore.session

from ..exceptions import ConfigurationError, KeyLoadError
from ..keys import PrivateKey, key_fingerprint, load_private_key, validate_key_pair_id
from ._client import Client, _calling, make_client
from ._time import _utc

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
    # Text (PEM, JSON) may come with whitespace around it; DER is binary, and its last byte
    # may be 0x20 or 0x0a like any other: only text is trimmed.
    text = data.lstrip()[:1] in (b"{", b"-")
    stripped = data.strip() if text else data
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
