"""Private and public keys, and the key ring used for signing and verification.

CloudFront accepts RSA-2048 and ECDSA P-256 keys. Keys load from a path, bytes or str, as PEM or
DER, PKCS#1, PKCS#8 or SEC1, encrypted with a passphrase or not, including PEM pasted into an
environment variable (with literal ``\\n`` or with its line breaks collapsed into spaces).

Key material never appears in a ``repr``, a log line or an error message.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .exceptions import ConfigurationError, EncryptedKeyError, KeyLoadError, UnsupportedKeyError

if TYPE_CHECKING:
    from .metrics import Metrics

__all__ = [
    "KeyRing",
    "KeySource",
    "PrivateKey",
    "PublicKey",
    "SigningKey",
    "generate_private_key",
    "key_fingerprint",
    "load_private_key",
    "load_public_key",
    "private_key_pem",
    "public_key_pem",
    "validate_key_pair_id",
]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
KeySource = str | bytes | os.PathLike[str]
"""A path, PEM text, or PEM/DER bytes."""

_KEY_PAIR_ID = re.compile(r"^[A-Z0-9]{1,128}$")


def is_key_pair_id(value: str) -> bool:
    """Whether ``value`` has the form of a CloudFront public key ID: uppercase letters and
    digits, as CloudFront makes them (``K2JCJMDEHXQW5F``; a lowercase one can never match)."""
    return _KEY_PAIR_ID.match(value) is not None


_PEM_BLOCK = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]+)-----(?P<body>.*?)-----END (?P=label)-----", re.DOTALL
)
_PEM_HEADER_LINE = re.compile(r"(Proc-Type:\s*\S+|DEK-Info:\s*[^\s]+)")
# A long run of base64 (or base64url) alone: key material pasted without its -----BEGIN/-----END
# lines, perhaps with its line breaks written as literal \n escapes (environment variables).
_BARE_BASE64 = re.compile(r"[A-Za-z0-9+/=_\-]{64,}")
_ESCAPED_BREAKS = re.compile(r"\s+|\\[rn]")


def _looks_like_key_material(text: str) -> bool:
    return bool(_BARE_BASE64.fullmatch(_ESCAPED_BREAKS.sub("", text)))


def _shown_path(path: Path) -> str:
    """The path for an error message, unless it is long or looks like key material."""
    text = str(path)
    if len(text) > 300 or _looks_like_key_material(text):
        return "(the value given, not shown: it looks like key material, not a path)"
    return repr(text)


def validate_key_pair_id(key_pair_id: object) -> str:
    """Check that ``key_pair_id`` looks like a CloudFront public key ID and return it."""
    if not isinstance(key_pair_id, str) or not _KEY_PAIR_ID.match(key_pair_id):
        shown = (
            repr(key_pair_id)
            if isinstance(key_pair_id, str) and len(key_pair_id) < 40
            else (f"a {type(key_pair_id).__name__}")
        )
        hint = ""
        if isinstance(key_pair_id, str) and _KEY_PAIR_ID.match(key_pair_id.upper()):
            hint = f"; CloudFront's IDs are uppercase: {key_pair_id.upper()!r}?"
        raise ConfigurationError(
            f"key_pair_id must be the CloudFront public key ID, uppercase letters and digits "
            f"(like K2JCJMDEHXQW5F), got {shown}{hint}"
        )
    return key_pair_id


def _describe(key: object) -> str:
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return f"an RSA-{key.key_size} key"
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return f"an ECDSA {key.curve.name} key"
    name = type(key).__name__.lstrip("_").replace("PrivateKey", "").replace("PublicKey", "")
    return f"a {name or 'different'} key"


def _check_supported(key: object) -> None:
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)) and key.key_size == 2048:
        return
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return
    raise UnsupportedKeyError(
        f"found {_describe(key)}; CloudFront accepts RSA-2048 and ECDSA P-256 (prime256v1) keys "
        f"only. Generate one with `cfcookies keygen` or `openssl genrsa 2048`"
    )


def _repair_pem(text: str) -> str:
    """Undo what environment variables and copy-paste do to PEM: ``\\n`` escapes, lost breaks."""
    text = text.strip().strip('"').strip("'")
    text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\r\n", "\n")
    match = _PEM_BLOCK.search(text)
    if match is None:
        return text
    label, body = match.group("label"), match.group("body")
    headers = _PEM_HEADER_LINE.findall(body)
    for header in headers:
        body = body.replace(header, "")
    b64 = re.sub(r"\s+", "", body)
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    header_block = "".join(re.sub(r":\s*", ": ", h) + "\n" for h in headers)
    if header_block:
        header_block += "\n"
    return (
        f"-----BEGIN {label}-----\n{header_block}" + "\n".join(lines) + f"\n-----END {label}-----\n"
    )


def _read_source(source: KeySource) -> tuple[bytes, str]:
    """The key's bytes, and where they came from for an error message (``the file 'k.pem'``)."""
    if isinstance(source, os.PathLike):
        return _read_path(Path(source))
    if isinstance(source, bytes):
        if b"-----BEGIN" in source:
            return _repair_pem(source.decode("ascii", "replace")).encode(), "the bytes given"
        return source, "the bytes given"
    if isinstance(source, str):
        if "-----BEGIN" in source:
            return _repair_pem(source).encode(), "the text given"
        if len(source) < 4096 and "\n" not in source:
            if _looks_like_key_material(source) and not os.path.exists(source):
                # Never echo it: it is probably key material, not a path.
                raise KeyLoadError(
                    "the key text looks like a PEM body without its -----BEGIN/-----END lines "
                    "(and is not a file path); pass the whole PEM"
                )
            return _read_path(Path(source))
        raise KeyLoadError("the key text is not PEM (no -----BEGIN line) and not a file path")
    raise KeyLoadError(f"a key must be given as a path, str or bytes, got {type(source).__name__}")


def _read_path(path: Path) -> tuple[bytes, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyLoadError(f"no key file at {_shown_path(path)}") from None
    except IsADirectoryError:
        raise KeyLoadError(
            f"cannot read the key file {_shown_path(path)}: it is a folder"
        ) from None
    except OSError as exc:
        raise KeyLoadError(
            f"cannot read the key file {_shown_path(path)}: {exc.strerror}"
        ) from None
    where = f"the file {_shown_path(path)}"
    if b"-----BEGIN" in data:
        return _repair_pem(data.decode("ascii", "replace")).encode(), where
    return data, where


def _passphrase_bytes(passphrase: str | bytes | None) -> bytes | None:
    if passphrase is None or isinstance(passphrase, bytes):
        return passphrase
    return passphrase.encode()


def load_private_key(source: KeySource, *, passphrase: str | bytes | None = None) -> PrivateKey:
    """Load an RSA-2048 or ECDSA P-256 private key from a path, PEM text, or PEM/DER bytes."""
    data, where = _read_source(source)
    password = _passphrase_bytes(passphrase)
    is_pem = data.lstrip().startswith(b"-----BEGIN")
    if is_pem and b"PUBLIC KEY-----" in data and b"PRIVATE KEY-----" not in data:
        raise KeyLoadError("this is a public key; signing needs the private key")
    loader = serialization.load_pem_private_key if is_pem else serialization.load_der_private_key
    try:
        key = loader(data, password=password)
    except TypeError as exc:
        if password is None:
            raise EncryptedKeyError(
                "the private key is encrypted; pass its passphrase (passphrase=... or "
                "--passphrase-env)"
            ) from None
        raise KeyLoadError(
            "a passphrase was given but the private key is not encrypted; drop the passphrase"
        ) from exc
    except ValueError:
        if password is not None and (b"ENCRYPTED" in data or not is_pem):
            raise EncryptedKeyError(
                "the private key could not be decrypted: wrong passphrase, or not a key"
            ) from None
        raise KeyLoadError(
            f"could not read a private key from {where}: "
            + (
                "its PEM block is not a PKCS#1, PKCS#8 or SEC1 private key"
                if is_pem
                else "it is neither PEM (no -----BEGIN line) nor DER (PKCS#1, PKCS#8 or SEC1)"
            )
        ) from None
    except UnsupportedAlgorithm:
        raise UnsupportedKeyError(
            "the key uses an algorithm this build cannot load; CloudFront accepts RSA-2048 and "
            "ECDSA P-256"
        ) from None
    _check_supported(key)
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):  # pragma: no cover
        raise UnsupportedKeyError(f"found {_describe(key)}")
    return key


def load_public_key(source: KeySource | PrivateKey | PublicKey) -> PublicKey:
    """Load a public key (PEM or DER SubjectPublicKeyInfo), or derive it from a private key."""
    if isinstance(source, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return source.public_key()
    if isinstance(source, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        _check_supported(source)
        return source
    data, where = _read_source(source)
    if b"PRIVATE KEY-----" in data:
        return load_private_key(data).public_key()
    is_pem = data.lstrip().startswith(b"-----BEGIN")
    try:
        key = (
            serialization.load_pem_public_key(data)
            if is_pem
            else serialization.load_der_public_key(data)
        )
    except (ValueError, UnsupportedAlgorithm):
        raise KeyLoadError(
            f"could not read a public key from {where}: "
            + (
                "its PEM block is not a -----BEGIN PUBLIC KEY----- (SubjectPublicKeyInfo)"
                if is_pem
                else "it is neither PEM (no -----BEGIN line) nor DER SubjectPublicKeyInfo"
            )
        ) from None
    _check_supported(key)
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):  # pragma: no cover
        raise UnsupportedKeyError(f"found {_describe(key)}")
    return key


def public_key_pem(key: PrivateKey | PublicKey) -> str:
    """The public key PEM (SubjectPublicKeyInfo) to upload to CloudFront."""
    public = (
        key.public_key()
        if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey))
        else key
    )
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def private_key_pem(key: PrivateKey, *, passphrase: str | bytes | None = None) -> bytes:
    """The private key as PKCS#8 PEM, encrypted when a passphrase is given."""
    password = _passphrase_bytes(passphrase)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def key_fingerprint(key: PrivateKey | PublicKey) -> str:
    """SHA-256 of the public key's DER SubjectPublicKeyInfo, hex; safe to log."""
    public = (
        key.public_key()
        if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey))
        else key
    )
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def generate_private_key(kind: Literal["rsa", "ecdsa"] = "rsa") -> PrivateKey:
    """A new RSA-2048 (default) or ECDSA P-256 private key."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    raise ConfigurationError(f"kind must be 'rsa' or 'ecdsa', got {kind!r}")


@dataclass(frozen=True)
class SigningKey:
    """A private key with its CloudFront key pair ID. Its ``repr`` shows no key material."""

    key_pair_id: str
    private_key: PrivateKey = field(repr=False)
    fingerprint: str = field(init=False, repr=False)
    #: ``"RSA"`` or ``"ECDSA"``: read on every request (the hash it implies), so worked out once.
    algorithm: Literal["RSA", "ECDSA"] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        validate_key_pair_id(self.key_pair_id)
        if not isinstance(self.private_key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise ConfigurationError(
                "private_key must be a loaded key; use cfcookies.load_private_key(...)"
            )
        _check_supported(self.private_key)
        object.__setattr__(self, "fingerprint", key_fingerprint(self.private_key))
        algorithm = "RSA" if isinstance(self.private_key, rsa.RSAPrivateKey) else "ECDSA"
        object.__setattr__(self, "algorithm", algorithm)

    def __repr__(self) -> str:
        return (
            f"SigningKey(key_pair_id={self.key_pair_id!r}, algorithm={self.algorithm!r}, "
            f"fingerprint={self.fingerprint[:16]!r})"
        )


class KeyRing:
    """One active key for signing, plus the public keys trusted for verification.

    During a rotation, the new key becomes active while the old one's public key stays in
    ``public_keys`` so that cookies it signed keep verifying until they expire (as CloudFront's
    key group keeps both until you remove the old one).

    Subclasses may override :meth:`active` to swap keys at run time (see
    :class:`cfcookies.aws.RefreshingKeyRing`).
    """

    def __init__(
        self,
        active: SigningKey,
        *,
        verification_keys: Mapping[str, PublicKey | PrivateKey | KeySource] | None = None,
    ) -> None:
        if not isinstance(active, SigningKey):
            raise ConfigurationError("active must be a SigningKey(key_pair_id, private_key)")
        self._active = active
        extra: dict[str, PublicKey] = {}
        for key_pair_id, key in (verification_keys or {}).items():
            validate_key_pair_id(key_pair_id)
            extra[key_pair_id] = load_public_key(key)
        self._extra = extra

    @classmethod
    def from_key(
        cls,
        key_pair_id: str,
        private_key: PrivateKey | KeySource,
        *,
        passphrase: str | bytes | None = None,
    ) -> KeyRing:
        """A ring with a single key, loaded from any accepted source."""
        if not isinstance(private_key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            private_key = load_private_key(private_key, passphrase=passphrase)
        return cls(SigningKey(key_pair_id, private_key))

    def active(self) -> SigningKey:
        """The key that signs now."""
        return self._active

    def attach_metrics(self, metrics: Metrics) -> None:
        """Count this ring's own work (key refreshes) in ``metrics`` too: called by every
        :class:`~cfcookies.session.CloudFrontCookies` built on the ring. A fixed ring does no
        such work."""

    def refresh_due(self) -> bool:
        """Whether :meth:`active` would now do slow work (I/O) first. Always False: ``active``
        must return at once, as it is called on every signing path (the event loop included).

        A ring that follows a key store reads it in the background instead
        (:class:`cfcookies.aws.RefreshingKeyRing`). Kept for rings written against earlier
        versions; the adapters no longer call it.
        """
        return False

    @property
    def public_keys(self) -> dict[str, PublicKey]:
        """Every trusted public key by key pair ID, the active one included."""
        active = self.active()
        keys = dict(self._extra)
        keys[active.key_pair_id] = active.private_key.public_key()
        return keys

    def __repr__(self) -> str:
        ids = sorted(set(self._extra) | {self.active().key_pair_id})
        return f"{type(self).__name__}(active={self.active().key_pair_id!r}, trusted={ids!r})"
