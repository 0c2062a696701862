"""The verification table as data: requests and what CloudFront should decide for each.

Built from real signatures (:class:`cfcookies.signing.Signer`) and tampering, so that the
verifier, the local edge and the middleware/browser tests can all run the same table::

    table = build_verification_table(rsa_key=..., ecdsa_key=..., old_rsa_key=..., clock=clock)
    for case in table.cases:
        decision = verify_request(case.url, cookies=case.cookies, public_keys=table.public_keys,
                                  client_ip=case.client_ip, now=clock())

Every case's URL is on :data:`MEDIA_URL`; the client is :data:`CLIENT_IP` unless the case says
otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from cfcookies.keys import KeyRing, PrivateKey, PublicKey, SigningKey
from cfcookies.policy import Clock, Policy
from cfcookies.signing import (
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    Signer,
    cf_b64encode,
)
from tests.support import ECDSA_KEY_ID, OLD_KEY_ID, RSA_KEY_ID

MEDIA_URL = "https://media.example.test"
CLIENT_IP = "192.0.2.10"
OTHER_IP = "198.51.100.7"
UNTRUSTED_KEY_ID = "K9UNTRUSTEDKEY9"
RESOURCE = f"{MEDIA_URL}/videos/course-1/*"
SEGMENT = "/videos/course-1/seg-0001.ts"

#: The case ids, known at collection time (``build_verification_table`` returns them in order).
CASE_IDS = (
    "allowed",
    "allowed-query-string",
    "allowed-canned-cookie",
    "allowed-canned-url",
    "allowed-custom-url",
    "allowed-sha256",
    "allowed-ecdsa",
    "allowed-ecdsa-sha1",
    "allowed-rotated-old-key",
    "allowed-ip",
    "missing_key_pair_id",
    "missing_key_pair_id-nothing-sent",
    "unknown_key",
    "malformed_signature",
    "malformed_policy",
    "unsupported_hash_algorithm",
    "bad_signature",
    "bad_signature-url-precedence",
    "not_yet_valid",
    "expired",
    "ip_mismatch",
    "resource_mismatch",
)


@dataclass(frozen=True)
class VerificationCase:
    """One request: its URL (path and query on :data:`MEDIA_URL`), cookies and expected result."""

    id: str
    path: str
    cookies: Mapping[str, str]
    reason: str
    code: str | None
    mode: str
    client_ip: str | None = CLIENT_IP
    description: str = ""

    @property
    def url(self) -> str:
        return MEDIA_URL + self.path

    @property
    def allowed(self) -> bool:
        return self.reason == "allowed"

    def cookie_header(self) -> str | None:
        """The ``Cookie`` header a browser would send (None when there are no cookies)."""
        if not self.cookies:
            return None
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


@dataclass(frozen=True)
class VerificationTable:
    cases: tuple[VerificationCase, ...]
    public_keys: dict[str, PublicKey] = field(repr=False)

    def by_id(self, case_id: str) -> VerificationCase:
        return next(c for c in self.cases if c.id == case_id)


def _path(url: str) -> str:
    assert url.startswith(MEDIA_URL)
    return url[len(MEDIA_URL) :]


def build_verification_table(
    *,
    rsa_key: PrivateKey,
    ecdsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    clock: Clock,
) -> VerificationTable:
    """Every case the verifier distinguishes, signed now (by ``clock``) with the session keys."""
    rsa = Signer(KeyRing(SigningKey(RSA_KEY_ID, rsa_key)), clock=clock)
    sha256 = Signer(KeyRing(SigningKey(RSA_KEY_ID, rsa_key)), hash_algorithm="SHA256", clock=clock)
    ecdsa = Signer(
        KeyRing(SigningKey(ECDSA_KEY_ID, ecdsa_key)), hash_algorithm="SHA256", clock=clock
    )
    ecdsa_sha1 = Signer(KeyRing(SigningKey(ECDSA_KEY_ID, ecdsa_key)), clock=clock)
    old = Signer(KeyRing(SigningKey(OLD_KEY_ID, old_rsa_key)), clock=clock)
    untrusted = Signer(KeyRing(SigningKey(UNTRUSTED_KEY_ID, rsa_key)), clock=clock)
    hour = timedelta(hours=1)
    good = rsa.cookies_for(RESOURCE, date_less_than=hour)
    segment_url = MEDIA_URL + SEGMENT

    def tampered_policy() -> dict[str, str]:
        other = Policy.custom(f"{MEDIA_URL}/videos/*", date_less_than=hour, clock=clock)
        return {**good, COOKIE_POLICY: cf_b64encode(other.to_json())}

    cases = [
        VerificationCase(
            "allowed", SEGMENT, good, "allowed", None, "cookie", description="custom cookies"
        ),
        VerificationCase(
            "allowed-query-string",
            SEGMENT + "?v=2&lang=en",
            good,
            "allowed",
            None,
            "cookie",
            description="a trailing * in the path also matches any query string",
        ),
        VerificationCase(
            "allowed-canned-cookie",
            SEGMENT,
            rsa.canned_cookies(segment_url, date_less_than=hour),
            "allowed",
            None,
            "cookie",
        ),
        VerificationCase(
            "allowed-canned-url",
            _path(rsa.sign_url(segment_url, date_less_than=hour)),
            {},
            "allowed",
            None,
            "url",
        ),
        VerificationCase(
            "allowed-custom-url",
            _path(rsa.sign_url(segment_url + "?lang=en", date_less_than=hour, resource=RESOURCE)),
            {},
            "allowed",
            None,
            "url",
        ),
        VerificationCase(
            "allowed-sha256",
            SEGMENT,
            sha256.cookies_for(RESOURCE, date_less_than=hour),
            "allowed",
            None,
            "cookie",
        ),
        VerificationCase(
            "allowed-ecdsa",
            SEGMENT,
            ecdsa.cookies_for(RESOURCE, date_less_than=hour),
            "allowed",
            None,
            "cookie",
        ),
        VerificationCase(
            "allowed-ecdsa-sha1",
            SEGMENT,
            ecdsa_sha1.cookies_for(RESOURCE, date_less_than=hour),
            "allowed",
            None,
            "cookie",
        ),
        VerificationCase(
            "allowed-rotated-old-key",
            SEGMENT,
            old.cookies_for(RESOURCE, date_less_than=hour),
            "allowed",
            None,
            "cookie",
        ),
        VerificationCase(
            "allowed-ip",
            SEGMENT,
            rsa.cookies_for(RESOURCE, date_less_than=hour, ip_address="192.0.2.0/24"),
            "allowed",
            None,
            "cookie",
        ),
        VerificationCase(
            "missing_key_pair_id",
            SEGMENT,
            {k: v for k, v in good.items() if k != COOKIE_KEY_PAIR_ID},
            "missing_key_pair_id",
            "MissingKey",
            "cookie",
        ),
        VerificationCase(
            "missing_key_pair_id-nothing-sent",
            SEGMENT,
            {},
            "missing_key_pair_id",
            "MissingKey",
            "none",
        ),
        VerificationCase(
            "unknown_key",
            SEGMENT,
            untrusted.cookies_for(RESOURCE, date_less_than=hour),
            "unknown_key",
            "InvalidKey",
            "cookie",
        ),
        VerificationCase(
            "malformed_signature",
            SEGMENT,
            {**good, COOKIE_SIGNATURE: good[COOKIE_SIGNATURE][:-3] + "!!!"},
            "malformed_signature",
            "MalformedSignature",
            "cookie",
        ),
        VerificationCase(
            "malformed_policy",
            SEGMENT,
            {**good, COOKIE_POLICY: cf_b64encode(b'{"Statement":[{"Resource":')},
            "malformed_policy",
            "MalformedPolicy",
            "cookie",
        ),
        VerificationCase(
            "unsupported_hash_algorithm",
            SEGMENT,
            {**good, COOKIE_HASH_ALGORITHM: "SHA512"},
            "unsupported_hash_algorithm",
            "AccessDenied",
            "cookie",
        ),
        VerificationCase(
            "bad_signature",
            SEGMENT,
            tampered_policy(),
            "bad_signature",
            "AccessDenied",
            "cookie",
        ),
        VerificationCase(
            "bad_signature-url-precedence",
            _path(rsa.sign_url(segment_url, date_less_than=hour)).replace(
                "Signature=", "Signature=AAAA", 1
            ),
            good,
            "bad_signature",
            "AccessDenied",
            "url",
            description="a signed URL is judged alone, valid cookies notwithstanding",
        ),
        VerificationCase(
            "not_yet_valid",
            SEGMENT,
            rsa.cookies_for(
                RESOURCE, date_less_than=timedelta(hours=2), date_greater_than=timedelta(minutes=5)
            ),
            "not_yet_valid",
            "AccessDenied",
            "cookie",
        ),
        VerificationCase(
            "expired",
            SEGMENT,
            rsa.cookies_for(
                RESOURCE,
                date_less_than=timedelta(seconds=-90),
                date_greater_than=timedelta(hours=-1),
            ),
            "expired",
            "AccessDenied",
            "cookie",
        ),
        VerificationCase(
            "ip_mismatch",
            SEGMENT,
            rsa.cookies_for(RESOURCE, date_less_than=hour, ip_address="192.0.2.0/24"),
            "ip_mismatch",
            "AccessDenied",
            "cookie",
            client_ip=OTHER_IP,
        ),
        VerificationCase(
            "resource_mismatch",
            "/videos/course-10/seg-0001.ts",
            good,
            "resource_mismatch",
            "AccessDenied",
            "cookie",
            description="course-1 never grants course-10",
        ),
    ]
    public_keys = {
        RSA_KEY_ID: rsa_key.public_key(),
        ECDSA_KEY_ID: ecdsa_key.public_key(),
        OLD_KEY_ID: old_rsa_key.public_key(),
    }
    return VerificationTable(tuple(cases), public_keys)
