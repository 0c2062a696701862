"""The signature hash follows the key: SHA-256 for ECDSA, SHA-1 for RSA, unless asked otherwise.

CloudFront documents ECDSA signatures with SHA-256, and the AWS CLI's ``cloudfront sign``
refuses ECDSA with SHA-1. A SHA-256 signature must travel with its marker
(``CloudFront-Hash-Algorithm=SHA256`` / ``Hash-Algorithm=SHA256``), and a SHA-1 one without it,
or CloudFront checks the wrong hash: so every cookie set and URL takes its marker from the key
that signed it, also while a rotation swaps an RSA key for an ECDSA one and back.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from cfcookies import cli
from cfcookies.exceptions import WeakHashWarning
from cfcookies.keys import KeyRing, PrivateKey, SigningKey
from cfcookies.policy import Policy, canned_policy_json
from cfcookies.signing import (
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_SIGNATURE,
    Signer,
    cf_b64decode,
    default_hash_algorithm,
    verify_bytes,
)
from cfcookies.verify import verify_request
from tests.browser_jar_support import make_browser
from tests.support import ECDSA_KEY_ID, RSA_KEY_ID, FakeClock, KeyFiles

MEDIA = "https://media.example.test"
RESOURCE = MEDIA + "/videos/course-1/*"
URL = MEDIA + "/videos/course-1/seg.ts"
EXPIRES = 2_000_000_000


def _verifies(signature_b64: str, message: bytes, key: PrivateKey, hash_algorithm: Any) -> bool:
    return verify_bytes(message, cf_b64decode(signature_b64), key.public_key(), hash_algorithm)


def test_the_default_hash_follows_the_key(
    rsa_signing_key: SigningKey, ecdsa_signing_key: SigningKey
) -> None:
    assert default_hash_algorithm(rsa_signing_key) == "SHA1"
    assert default_hash_algorithm(ecdsa_signing_key) == "SHA256"


def test_an_ecdsa_key_signs_with_sha256_and_says_so(ecdsa_key: PrivateKey) -> None:
    """Custom cookies, canned cookies and signed URLs: SHA-256 signatures with the marker."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for the default
        signer = Signer(SigningKey(ECDSA_KEY_ID, ecdsa_key), cache_size=0)
    signed = signer.sign_policy(Policy(RESOURCE, EXPIRES))
    assert signed.hash_algorithm == "SHA256"
    cookies = signed.cookies()
    assert cookies[COOKIE_HASH_ALGORITHM] == "SHA256"
    assert _verifies(cookies[COOKIE_SIGNATURE], signed.policy_json, ecdsa_key, "SHA256")
    assert not _verifies(cookies[COOKIE_SIGNATURE], signed.policy_json, ecdsa_key, "SHA1")

    canned = signer.canned_cookies(URL, date_less_than=EXPIRES)
    assert canned[COOKIE_HASH_ALGORITHM] == "SHA256"
    message = canned_policy_json(URL, EXPIRES)
    assert _verifies(canned[COOKIE_SIGNATURE], message, ecdsa_key, "SHA256")

    for url in (
        signer.sign_url(URL, date_less_than=EXPIRES),
        signer.sign_url(URL, date_less_than=EXPIRES, resource=RESOURCE),
    ):
        query = parse_qs(urlsplit(url).query)
        assert query["Hash-Algorithm"] == ["SHA256"]
        decision = verify_request(url, public_keys={ECDSA_KEY_ID: ecdsa_key.public_key()}, now=1)
        assert decision.allowed, decision


def test_an_rsa_key_keeps_sha1_without_a_marker(rsa_key: PrivateKey) -> None:
    """RSA stays on CloudFront's default, byte-identical to AWS's signers."""
    signer = Signer(SigningKey(RSA_KEY_ID, rsa_key), cache_size=0)
    signed = signer.sign_policy(Policy(RESOURCE, EXPIRES))
    assert signed.hash_algorithm == "SHA1"
    assert COOKIE_HASH_ALGORITHM not in signed.cookies()
    assert _verifies(signed.signature_b64, signed.policy_json, rsa_key, "SHA1")
    assert "Hash-Algorithm" not in signer.sign_url(URL, date_less_than=EXPIRES)


def test_sha1_with_ecdsa_only_when_asked_and_with_a_warning(ecdsa_key: PrivateKey) -> None:
    with pytest.warns(WeakHashWarning, match="SHA-256") as caught:
        signer = Signer(SigningKey(ECDSA_KEY_ID, ecdsa_key), hash_algorithm="SHA1")
    assert ECDSA_KEY_ID in str(caught[0].message)
    signed = signer.sign_policy(Policy(RESOURCE, EXPIRES))
    assert signed.hash_algorithm == "SHA1"
    assert COOKIE_HASH_ALGORITHM not in signed.cookies()
    assert _verifies(signed.signature_b64, signed.policy_json, ecdsa_key, "SHA1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per key, not per signature
        signer.sign_policy(Policy(RESOURCE, EXPIRES + 60))


def test_explicit_sha256_applies_to_rsa_too(rsa_key: PrivateKey) -> None:
    signer = Signer(SigningKey(RSA_KEY_ID, rsa_key), hash_algorithm="SHA256")
    assert signer.sign_policy(Policy(RESOURCE, EXPIRES)).cookies()[COOKIE_HASH_ALGORITHM] == (
        "SHA256"
    )


class SwappableRing(KeyRing):
    """A ring whose active key the test swaps, as a key refresh would during a rotation."""

    def __init__(self, active: SigningKey, *others: SigningKey) -> None:
        super().__init__(active, verification_keys={k.key_pair_id: k.private_key for k in others})
        self.current = active

    def active(self) -> SigningKey:
        return self.current


def test_a_signer_follows_a_rotation_between_rsa_and_ecdsa(
    rsa_signing_key: SigningKey, ecdsa_signing_key: SigningKey
) -> None:
    ring = SwappableRing(rsa_signing_key, ecdsa_signing_key)
    signer = Signer(ring)
    policy = Policy(RESOURCE, EXPIRES)
    assert signer.sign_policy(policy).hash_algorithm == "SHA1"
    ring.current = ecdsa_signing_key
    after = signer.sign_policy(policy)
    assert (after.key_pair_id, after.hash_algorithm) == (ECDSA_KEY_ID, "SHA256")
    public_keys = {RSA_KEY_ID: rsa_signing_key.private_key.public_key()}
    public_keys[ECDSA_KEY_ID] = ecdsa_signing_key.private_key.public_key()
    header = "; ".join(f"{k}={v}" for k, v in after.cookies().items())
    assert verify_request(URL, cookies=header, public_keys=public_keys, now=1).allowed


def _cloudfront_sets(browser: Any) -> dict[str, dict[str, str]]:
    """The CloudFront cookies the browser holds, by path."""
    sets: dict[str, dict[str, str]] = {}
    for cookie in browser.jar.jar:
        if cookie.name.startswith("CloudFront-"):
            sets.setdefault(cookie.path, {})[cookie.name] = cookie.value or ""
    return sets


def test_the_middleware_keeps_each_set_consistent_through_a_rotation(
    driver: str, rsa_key: PrivateKey, ecdsa_key: PrivateKey, clock: FakeClock
) -> None:
    """RSA → ECDSA → RSA under a live session: each set's marker matches its signature."""
    rsa_signing = SigningKey(RSA_KEY_ID, rsa_key)
    ecdsa_signing = SigningKey(ECDSA_KEY_ID, ecdsa_key)
    ring = SwappableRing(rsa_signing, ecdsa_signing)
    browser = make_browser(driver, rsa_key, clock, keys=ring, key_pair_id=None, private_key=None)
    browser.public_keys = {RSA_KEY_ID: rsa_key.public_key(), ECDSA_KEY_ID: ecdsa_key.public_key()}
    browser.get("/login?user=alice&p=/videos/course-1/&p=/videos/course-2/")
    paths = ["/videos/course-1/seg.ts", "/videos/course-2/seg.ts"]

    def check(key_pair_id: str, marker: str | None) -> None:
        sets = _cloudfront_sets(browser)
        assert set(sets) == {"/videos/course-1/", "/videos/course-2/"}
        for cookies in sets.values():
            assert cookies[COOKIE_KEY_PAIR_ID] == key_pair_id
            assert cookies.get(COOKIE_HASH_ALGORITHM) == marker
        for path in paths:
            decision = browser.media(path)
            assert decision.allowed, decision

    check(RSA_KEY_ID, None)
    ring.current = ecdsa_signing
    clock.advance(60)
    browser.get("/page")
    check(ECDSA_KEY_ID, "SHA256")
    ring.current = rsa_signing
    clock.advance(60)
    browser.get("/page")
    check(RSA_KEY_ID, None)  # the SHA256 marker went with the ECDSA signature


def test_the_middleware_signs_with_sha256_for_an_ecdsa_key(
    driver: str, ecdsa_key: PrivateKey, clock: FakeClock
) -> None:
    browser = make_browser(driver, ecdsa_key, clock, key_pair_id=ECDSA_KEY_ID)
    browser.public_keys = {ECDSA_KEY_ID: ecdsa_key.public_key()}
    browser.get("/login?user=alice&p=/videos/course-1/")
    (cookies,) = _cloudfront_sets(browser).values()
    assert cookies[COOKIE_HASH_ALGORITHM] == "SHA256"
    assert browser.opens("/videos/course-1/seg.ts")
    browser.get("/page")  # settled: nothing to reissue for a state that says SHA256
    reissued = [c for c in browser.get("/page").set_cookie() if not c.startswith("app=")]
    assert reissued == []


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _cli_args(path: Path) -> list[str]:
    return [
        "cookies",
        "--private-key",
        str(path),
        "--key-pair-id",
        ECDSA_KEY_ID,
        "--expires",
        str(EXPIRES),
        "--resource",
        RESOURCE,
    ]


def test_the_cli_signs_ecdsa_with_sha256_by_default(
    capsys: pytest.CaptureFixture[str], key_files: KeyFiles, ecdsa_key: PrivateKey
) -> None:
    code, out, err = _cli(capsys, *_cli_args(key_files.ecdsa_pem))
    assert code == 0, err
    assert err == ""
    cookies = json.loads(out)
    assert cookies[COOKIE_HASH_ALGORITHM] == "SHA256"
    policy_json = cf_b64decode(cookies["CloudFront-Policy"])
    assert _verifies(cookies[COOKIE_SIGNATURE], policy_json, ecdsa_key, "SHA256")


def test_the_cli_warns_about_sha1_with_ecdsa(
    capsys: pytest.CaptureFixture[str], key_files: KeyFiles
) -> None:
    code, out, err = _cli(capsys, *_cli_args(key_files.ecdsa_pem), "--hash-algorithm", "SHA1")
    assert code == 0
    assert COOKIE_HASH_ALGORITHM not in json.loads(out)
    assert "warning: --hash-algorithm SHA1 with an ECDSA key" in err
