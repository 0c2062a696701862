"""Signing: CloudFront base64, policy signatures, signed cookies and signed URLs.

RSA signatures are PKCS#1 v1.5 and deterministic, so the same key and policy give the same bytes
as AWS's own signers; ECDSA P-256 signatures are DER-encoded and randomised. SHA-256 adds the
``CloudFront-Hash-Algorithm=SHA256`` cookie or the ``Hash-Algorithm=SHA256`` query parameter;
without it CloudFront checks a SHA-1 signature.

A :class:`Signer` picks the hash per key unless told otherwise: SHA-1 for RSA keys (CloudFront's
default, and what AWS's signers produce) and SHA-256 for ECDSA keys (CloudFront documents ECDSA
with SHA-256, and the AWS CLI refuses ECDSA with SHA-1). An explicit ``hash_algorithm="SHA1"``
with an ECDSA key is honoured with a :class:`~cfcookies.exceptions.WeakHashWarning`. The marker
always comes from the key that made the signature, so a cookie set or URL is consistent even
while a rotation swaps an RSA key for an ECDSA one.

A :class:`Signer` signs each distinct policy once per key: signatures are kept in a bounded,
thread-safe LRU cache.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal, get_args
from urllib.parse import parse_qsl, urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .exceptions import ConfigurationError, SignedURLError, SigningError, WeakHashWarning
from .keys import KeyRing, PrivateKey, PublicKey, SigningKey
from .metrics import Metrics
from .policy import (
    Clock,
    Policy,
    TimeInput,
    canned_policy_json,
    system_clock,
    to_epoch,
    validate_resource,
)

__all__ = [
    "CLOUDFRONT_COOKIE_NAMES",
    "COOKIE_EXPIRES",
    "COOKIE_HASH_ALGORITHM",
    "COOKIE_KEY_PAIR_ID",
    "COOKIE_POLICY",
    "COOKIE_SIGNATURE",
    "SIGNED_URL_PARAMS",
    "HashAlgorithm",
    "SignedPolicy",
    "Signer",
    "cf_b64decode",
    "cf_b64encode",
    "default_hash_algorithm",
    "sign_bytes",
    "validate_hash_algorithm",
    "verify_bytes",
]

HashAlgorithm = Literal["SHA1", "SHA256"]

COOKIE_KEY_PAIR_ID = "CloudFront-Key-Pair-Id"
COOKIE_POLICY = "CloudFront-Policy"
COOKIE_SIGNATURE = "CloudFront-Signature"
COOKIE_EXPIRES = "CloudFront-Expires"
COOKIE_HASH_ALGORITHM = "CloudFront-Hash-Algorithm"
CLOUDFRONT_COOKIE_NAMES = (
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    COOKIE_KEY_PAIR_ID,
    COOKIE_EXPIRES,
    COOKIE_HASH_ALGORITHM,
)
SIGNED_URL_PARAMS = ("Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm")

_TO_CF = bytes.maketrans(b"+=/", b"-_~")
_FROM_CF = bytes.maketrans(b"-_~", b"+=/")
_CF_B64 = re.compile(r"^[A-Za-z0-9\-_~]*$")


def cf_b64encode(data: bytes) -> str:
    """Base64 with CloudFront's substitutions: ``+``→``-``, ``=``→``_``, ``/``→``~``."""
    # what base64.b64encode does, without its Python wrapper (two encodings per signed policy)
    return binascii.b2a_base64(data, newline=False).translate(_TO_CF).decode("ascii")


def cf_b64decode(value: str) -> bytes:
    """Invert :func:`cf_b64encode`; raise ``ValueError`` on anything outside its alphabet."""
    if not isinstance(value, str) or not _CF_B64.match(value):
        raise ValueError("not CloudFront base64 (A-Z a-z 0-9 - _ ~)")
    try:
        data = base64.b64decode(value.encode("ascii").translate(_FROM_CF), validate=True)
    except binascii.Error:
        raise ValueError("not CloudFront base64: bad length or padding") from None
    if cf_b64encode(data) != value:
        # Unused low bits before the padding must be zero: one value, one encoding.
        raise ValueError("not CloudFront base64: not the canonical encoding of its bytes")
    return data


def validate_hash_algorithm(value: object) -> HashAlgorithm:
    """Return ``value`` if it is ``"SHA1"`` or ``"SHA256"``; raise ConfigurationError otherwise."""
    if value == "SHA1":
        return "SHA1"
    if value == "SHA256":
        return "SHA256"
    raise ConfigurationError(
        f"hash_algorithm must be one of {', '.join(get_args(HashAlgorithm))}, got {value!r}"
    )


def default_hash_algorithm(key: SigningKey) -> HashAlgorithm:
    """The hash a :class:`Signer` uses for ``key`` when none is configured: SHA-256 for ECDSA
    (as CloudFront documents it and the AWS CLI requires), SHA-1 for RSA (CloudFront's default,
    byte-identical to AWS's signers)."""
    return "SHA256" if key.algorithm == "ECDSA" else "SHA1"


# The algorithm objects cryptography takes are stateless: built once, not on every signature
# (``ec.ECDSA(...)`` alone costs about a fifth of the Python work around a signature).
_SHA1 = hashes.SHA1()  # noqa: S303
_SHA256 = hashes.SHA256()
_PKCS1V15 = padding.PKCS1v15()
_ECDSA_SHA1 = ec.ECDSA(_SHA1)
_ECDSA_SHA256 = ec.ECDSA(_SHA256)


def _hash(hash_algorithm: HashAlgorithm) -> hashes.HashAlgorithm:
    return _SHA256 if hash_algorithm == "SHA256" else _SHA1


def sign_bytes(
    message: bytes, private_key: PrivateKey, hash_algorithm: HashAlgorithm = "SHA1"
) -> bytes:
    """The raw signature CloudFront expects over ``message``: PKCS#1 v1.5 or DER ECDSA."""
    try:
        if isinstance(private_key, rsa.RSAPrivateKey):
            return private_key.sign(message, _PKCS1V15, _hash(hash_algorithm))
        if isinstance(private_key, ec.EllipticCurvePrivateKey):
            ecdsa = _ECDSA_SHA256 if hash_algorithm == "SHA256" else _ECDSA_SHA1
            return private_key.sign(message, ecdsa)
    except UnsupportedAlgorithm:
        fix = " Use hash_algorithm='SHA256'." if hash_algorithm == "SHA1" else ""
        raise SigningError(
            f"this OpenSSL build refuses to sign with {hash_algorithm} (a FIPS or hardened "
            f"policy may disable SHA-1).{fix}"
        ) from None
    raise SigningError(f"cannot sign with a {type(private_key).__name__}")


def verify_bytes(
    message: bytes,
    signature: bytes,
    public_key: PublicKey,
    hash_algorithm: HashAlgorithm = "SHA1",
) -> bool:
    """Whether ``signature`` over ``message`` verifies with ``public_key``."""
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, _PKCS1V15, _hash(hash_algorithm))
            return True
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            ecdsa = _ECDSA_SHA256 if hash_algorithm == "SHA256" else _ECDSA_SHA1
            public_key.verify(signature, message, ecdsa)
            return True
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return False
    return False


@dataclass(frozen=True)
class SignedPolicy:
    """A policy as signed: its exact JSON bytes, their CloudFront base64 and the signature.

    Its ``repr`` leaves the signature out: with the policy it is a bearer credential.
    """

    key_pair_id: str
    policy_json: bytes
    policy_b64: str
    signature_b64: str = field(repr=False)
    hash_algorithm: HashAlgorithm

    def cookies(self) -> dict[str, str]:
        """The custom-policy cookie values, by cookie name."""
        cookies = {
            COOKIE_POLICY: self.policy_b64,
            COOKIE_SIGNATURE: self.signature_b64,
            COOKIE_KEY_PAIR_ID: self.key_pair_id,
        }
        if self.hash_algorithm == "SHA256":
            cookies[COOKIE_HASH_ALGORITHM] = "SHA256"
        return cookies


class _Flight:
    """One signature being computed; threads asking for the same one wait until it is done.

    The leader holds ``_lock`` from creation until :meth:`finish`; each waiter takes and
    returns it. (A ``threading.Event`` would do the same, but building its ``Condition`` costs
    more than everything else a miss does around the signature but the signature.)
    """

    __slots__ = ("_lock", "signature")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self.signature: str | None = None

    def wait(self) -> None:
        with self._lock:
            pass

    def finish(self) -> None:
        self._lock.release()


class Signer:
    """Signs policies with the active key of a :class:`KeyRing` and caches the signatures.

    ``hash_algorithm`` is ``None`` (the default: per key, see :func:`default_hash_algorithm`),
    ``"SHA1"`` or ``"SHA256"`` (for every key). ``cache_size`` bounds the number of distinct
    (key, hash, policy) signatures kept; policies shared by many sessions (same prefix, same
    rounded expiry) are signed once.
    """

    def __init__(
        self,
        keys: KeyRing | SigningKey,
        *,
        hash_algorithm: HashAlgorithm | None = None,
        cache_size: int = 4096,
        clock: Clock = system_clock,
        metrics: Metrics | None = None,
    ) -> None:
        if isinstance(keys, SigningKey):
            keys = KeyRing(keys)
        if not isinstance(keys, KeyRing):
            raise ConfigurationError("keys must be a KeyRing or a SigningKey")
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            raise ConfigurationError(f"cache_size must be a whole number >= 0, got {cache_size!r}")
        self.keys = keys
        #: The configured hash: None picks one per key (:meth:`hash_algorithm_for`).
        self.hash_algorithm: HashAlgorithm | None = (
            None if hash_algorithm is None else validate_hash_algorithm(hash_algorithm)
        )
        self.cache_size = cache_size
        self.clock = clock
        self._cache: OrderedDict[tuple[str, str, bytes], str] = OrderedDict()
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self._flights: dict[tuple[str, str, bytes], _Flight] = {}
        #: Counts signatures (``signatures``, ``signing_seconds``) and cache hits
        #: (``signature_cache_hits``); a CloudFrontCookies passes its own.
        self.metrics = metrics if metrics is not None else Metrics()
        self.hash_algorithm_for(keys.active())  # warns now, at start-up, for SHA-1 with ECDSA

    def hash_algorithm_for(self, key: SigningKey) -> HashAlgorithm:
        """The hash this signer uses with ``key`` (and so the marker its cookies carry)."""
        if self.hash_algorithm is None:  # default_hash_algorithm(key), inlined: every request
            return "SHA256" if key.algorithm == "ECDSA" else "SHA1"
        if (
            self.hash_algorithm == "SHA1"
            and key.algorithm == "ECDSA"
            and key.fingerprint not in self._warned
        ):
            self._warned.add(key.fingerprint)
            warnings.warn(
                f"hash_algorithm='SHA1' with the ECDSA key {key.key_pair_id}: CloudFront "
                f"documents ECDSA with SHA-256 and the AWS CLI refuses ECDSA with SHA-1. Leave "
                f"hash_algorithm unset (SHA-256 for ECDSA keys) unless a verifier needs SHA-1",
                WeakHashWarning,
                stacklevel=3,
            )
        return self.hash_algorithm

    @property
    def hits(self) -> int:
        """Signatures answered from the cache, since the start."""
        return int(self.metrics.value("signature_cache_hits"))

    @property
    def misses(self) -> int:
        """Signatures computed, since the start."""
        return int(self.metrics.value("signatures"))

    def __repr__(self) -> str:
        return (
            f"Signer(keys={self.keys!r}, hash_algorithm={self.hash_algorithm!r}, "
            f"cache_size={self.cache_size})"
        )

    # -- the signature cache ---------------------------------------------------------------

    def is_cached(self, policy_json: bytes) -> bool:
        """Whether :meth:`signature` would answer ``policy_json`` from the cache now (under the
        active key). Counts neither a hit nor a miss: for a caller deciding where to sign,
        whose later :meth:`signature` (or reuse of what it formatted) counts once."""
        key = self.keys.active()
        cache_key = (key.fingerprint, self.hash_algorithm_for(key), policy_json)
        with self._lock:
            return cache_key in self._cache

    def cached_signature(self, policy_json: bytes) -> str | None:
        """The cached signature of ``policy_json`` under the active key, or None (no signing)."""
        key = self.keys.active()
        cache_key = (key.fingerprint, self.hash_algorithm_for(key), policy_json)
        with self._lock:
            signature = self._cache.get(cache_key)
            if signature is not None:
                self._cache.move_to_end(cache_key)
        if signature is not None:
            self.metrics.count("signature_cache_hits")
        return signature

    def signature(self, policy_json: bytes) -> tuple[SigningKey, HashAlgorithm, str]:
        """The active key, its hash and the CloudFront-base64 signature of ``policy_json``.

        Single-flight: threads that ask for the same signature while it is being computed wait
        for that one computation instead of signing again (a login storm into one folder signs
        once, however many threads it lands on).
        """
        key = self.keys.active()
        hash_algorithm = self.hash_algorithm_for(key)
        cache_key = (key.fingerprint, hash_algorithm, policy_json)
        found, leader = self._look_up(cache_key)
        if isinstance(found, str):
            self.metrics.count("signature_cache_hits")
            return key, hash_algorithm, found
        flight = found
        if not leader:
            flight.wait()
            if flight.signature is not None:
                self.metrics.count("signature_cache_hits")
                return key, hash_algorithm, flight.signature
            # the leader failed: try for ourselves (and raise its error ourselves if it recurs)
            return self.signature(policy_json)
        try:
            started = time.perf_counter()
            signature = cf_b64encode(sign_bytes(policy_json, key.private_key, hash_algorithm))
            took = time.perf_counter() - started
            flight.signature = signature
        finally:
            with self._lock:
                del self._flights[cache_key]
                if flight.signature is not None and self.cache_size:
                    self._cache[cache_key] = flight.signature
                    self._cache.move_to_end(cache_key)
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
            if flight.signature is not None:
                self.metrics.count("signatures")
                self.metrics.observe("signing_seconds", took)
            flight.finish()
        return key, hash_algorithm, signature

    def _look_up(self, cache_key: tuple[str, str, bytes]) -> tuple[str | _Flight, bool]:
        """The cached signature, or the flight computing it and whether this caller leads it
        (then it must sign, and finish the flight)."""
        with self._lock:
            cached = self._cache.get(cache_key)
            if cached is not None:
                self._cache.move_to_end(cache_key)
                return cached, False
            flight = self._flights.get(cache_key)
            if flight is not None:
                return flight, False
            flight = self._flights[cache_key] = _Flight()
            return flight, True

    def cache_len(self) -> int:
        with self._lock:
            return len(self._cache)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # -- policies and cookies --------------------------------------------------------------

    def sign_policy(self, policy: Policy | bytes) -> SignedPolicy:
        """Sign a :class:`Policy` (or exact policy JSON bytes, sent unchanged)."""
        policy_json = policy.to_json() if isinstance(policy, Policy) else policy
        if not isinstance(policy_json, bytes):
            raise ConfigurationError("policy must be a Policy or its JSON as bytes")
        key, hash_algorithm, signature = self.signature(policy_json)
        return SignedPolicy(
            key.key_pair_id, policy_json, cf_b64encode(policy_json), signature, hash_algorithm
        )

    def signed_cookies(self, policy: Policy | bytes) -> dict[str, str]:
        """``CloudFront-Policy``, ``-Signature``, ``-Key-Pair-Id`` (and ``-Hash-Algorithm``)."""
        return self.sign_policy(policy).cookies()

    def cookies_for(
        self,
        resource: str,
        *,
        date_less_than: TimeInput,
        date_greater_than: TimeInput | None = None,
        ip_address: str | None = None,
    ) -> dict[str, str]:
        """Custom-policy cookies for ``resource`` (wildcards welcome)."""
        policy = Policy.custom(
            resource,
            date_less_than=date_less_than,
            date_greater_than=date_greater_than,
            ip_address=ip_address,
            clock=self.clock,
        )
        return self.signed_cookies(policy)

    def canned_cookies(self, resource: str, *, date_less_than: TimeInput) -> dict[str, str]:
        """Canned-policy cookies (``CloudFront-Expires``) for one exact URL; no wildcards."""
        expires = to_epoch(date_less_than, field="date_less_than", clock=self.clock)
        key, hash_algorithm, signature = self.signature(canned_policy_json(resource, expires))
        cookies = {
            COOKIE_EXPIRES: str(expires),
            COOKIE_SIGNATURE: signature,
            COOKIE_KEY_PAIR_ID: key.key_pair_id,
        }
        if hash_algorithm == "SHA256":
            cookies[COOKIE_HASH_ALGORITHM] = "SHA256"
        return cookies

    # -- signed URLs -----------------------------------------------------------------------

    def sign_url(
        self,
        url: str,
        *,
        date_less_than: TimeInput | None = None,
        date_greater_than: TimeInput | None = None,
        ip_address: str | None = None,
        resource: str | None = None,
        policy: Policy | bytes | None = None,
    ) -> str:
        """A signed URL: canned when only ``url`` and ``date_less_than`` are given, else custom.

        ``resource`` (a pattern such as ``https://media.example.com/videos/*``) or a ready
        ``policy`` make it custom. Query parameters already in ``url`` are kept; a URL that
        already carries ``Expires``, ``Policy``, ``Signature``, ``Key-Pair-Id`` or
        ``Hash-Algorithm`` is refused.
        """
        _check_url_to_sign(url)
        separator = "&" if "?" in url else "?"
        if policy is not None:
            if any(
                v is not None for v in (date_less_than, date_greater_than, ip_address, resource)
            ):
                raise SignedURLError(
                    "pass either policy= or date_less_than=/date_greater_than=/ip_address=/"
                    "resource=, not both: a ready policy is signed as it is"
                )
            signed = self.sign_policy(policy)
            params = [("Policy", signed.policy_b64), ("Signature", signed.signature_b64)]
            key_pair_id, hash_algorithm = signed.key_pair_id, signed.hash_algorithm
        elif date_less_than is None:
            raise SignedURLError("a signed URL needs date_less_than (its expiry)")
        elif date_greater_than is None and ip_address is None and resource is None:
            expires = to_epoch(date_less_than, field="date_less_than", clock=self.clock)
            try:
                policy_json = canned_policy_json(url, expires)
            except ValueError as exc:
                raise SignedURLError(f"{exc}; pass resource= for a custom policy") from None
            key, hash_algorithm, signature = self.signature(policy_json)
            params = [("Expires", str(expires)), ("Signature", signature)]
            key_pair_id = key.key_pair_id
        else:
            custom = Policy.custom(
                resource if resource is not None else url,
                date_less_than=date_less_than,
                date_greater_than=date_greater_than,
                ip_address=ip_address,
                clock=self.clock,
            )
            signed = self.sign_policy(custom)
            params = [("Policy", signed.policy_b64), ("Signature", signed.signature_b64)]
            key_pair_id, hash_algorithm = signed.key_pair_id, signed.hash_algorithm
        params.append(("Key-Pair-Id", key_pair_id))
        if hash_algorithm == "SHA256":
            params.append(("Hash-Algorithm", "SHA256"))
        return url + separator + "&".join(f"{name}={value}" for name, value in params)


def _check_url_to_sign(url: str) -> None:
    if not isinstance(url, str) or not url:
        raise SignedURLError("url must be a non-empty string")
    try:
        validate_resource(url)
    except ValueError as exc:
        raise SignedURLError(str(exc)) from None
    if "*" in url.split("://", 1)[-1].split("?", 1)[0] or url.startswith(("*", "http*")):
        raise SignedURLError(
            "the URL to sign must be the real URL a viewer requests; put a wildcard pattern in "
            "resource= instead"
        )
    query = urlsplit(url).query
    present = sorted(
        {name for name, _ in parse_qsl(query, keep_blank_values=True)} & set(SIGNED_URL_PARAMS)
    )
    if present:
        raise SignedURLError(
            f"the URL already carries {', '.join(present)}; CloudFront reserves these query "
            f"parameters for signed URLs, so sign the URL without them"
        )
