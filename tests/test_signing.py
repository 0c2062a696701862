"""Signing: CloudFront base64, signatures, signed cookies, signed URLs and the signature cache."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from cfcookies.exceptions import (
    ConfigurationError,
    PolicyTimeError,
    ResourceError,
    SignedURLError,
    SigningError,
)
from cfcookies.keys import KeyRing, PrivateKey, SigningKey
from cfcookies.policy import Policy, canned_policy_json
from cfcookies.signing import (
    COOKIE_EXPIRES,
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    HashAlgorithm,
    Signer,
    cf_b64decode,
    cf_b64encode,
    sign_bytes,
    validate_hash_algorithm,
    verify_bytes,
)
from tests.support import ECDSA_KEY_ID, OLD_KEY_ID, RSA_KEY_ID, FakeClock

CF_ALPHABET = re.compile(r"^[A-Za-z0-9_~-]+$")
RESOURCE = "https://media.example.com/videos/course-1/*"
URL = "https://media.example.com/videos/course-1/a.mp4"
END = 1_800_000_000


def _hash(name: HashAlgorithm) -> hashes.HashAlgorithm:
    return hashes.SHA256() if name == "SHA256" else hashes.SHA1()  # noqa: S303


# --- CloudFront base64 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"\xfb\xff", "-~8_", id="plus-slash-pad"),
        pytest.param(b"\xfb\xef\xbe", "----", id="plus"),
        pytest.param(b"\xff\xff\xff", "~~~~", id="slash"),
        pytest.param(b"a", "YQ__", id="two-pads"),
        pytest.param(b"", "", id="empty"),
    ],
)
def test_cf_b64encode_substitutes(data: bytes, expected: str) -> None:
    """``+``, ``=`` and ``/`` become ``-``, ``_`` and ``~``; padding is kept."""
    assert cf_b64encode(data) == expected
    assert cf_b64decode(expected) == data


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("YQ==", id="standard-padding"),
        pytest.param("+/8_", id="standard-alphabet"),
        pytest.param("YQ_", id="bad-length"),
        pytest.param("YQ__\n", id="newline"),
        pytest.param("Y Q__", id="space"),
        pytest.param("YQ%3D", id="percent"),
        pytest.param(b"YQ__", id="bytes"),
    ],
)
def test_cf_b64decode_rejects_other_alphabets(value: object) -> None:
    """Anything outside CloudFront's base64 alphabet or with bad padding raises ValueError."""
    with pytest.raises(ValueError, match="not CloudFront base64"):
        cf_b64decode(value)  # type: ignore[arg-type]


def test_every_emitted_cookie_value_uses_cloudfront_alphabet(signer: Signer) -> None:
    """Policy and signature values match ``^[A-Za-z0-9_~-]+$`` and decode to compact JSON."""
    for n in range(40):
        cookies = signer.cookies_for(
            f"https://media.example.com/v/{n}/*?x={'>' * n}", date_less_than=END + n
        )
        assert CF_ALPHABET.match(cookies[COOKIE_POLICY])
        assert CF_ALPHABET.match(cookies[COOKIE_SIGNATURE])
        policy_json = cf_b64decode(cookies[COOKIE_POLICY])
        assert not re.search(rb"\s", policy_json)
        assert json.loads(policy_json)["Statement"][0]["Resource"].endswith("x=" + ">" * n)


# --- signatures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hash_algorithm", [pytest.param("SHA1", id="sha1"), pytest.param("SHA256", id="sha256")]
)
def test_rsa_signature_is_pkcs1v15_and_deterministic(
    hash_algorithm: HashAlgorithm, rsa_key: rsa.RSAPrivateKey
) -> None:
    """RSA signatures are PKCS#1 v1.5 over the message with the chosen hash, same bytes twice."""
    message = b'{"Statement":[]}'
    signature = sign_bytes(message, rsa_key, hash_algorithm)
    assert signature == sign_bytes(message, rsa_key, hash_algorithm)
    assert len(signature) == 256
    rsa_key.public_key().verify(signature, message, padding.PKCS1v15(), _hash(hash_algorithm))
    assert verify_bytes(message, signature, rsa_key.public_key(), hash_algorithm)
    other: HashAlgorithm = "SHA1" if hash_algorithm == "SHA256" else "SHA256"
    assert not verify_bytes(message, signature, rsa_key.public_key(), other)
    assert not verify_bytes(message + b" ", signature, rsa_key.public_key(), hash_algorithm)


@pytest.mark.parametrize(
    "hash_algorithm", [pytest.param("SHA1", id="sha1"), pytest.param("SHA256", id="sha256")]
)
def test_ecdsa_signature_is_der_and_verifies(
    hash_algorithm: HashAlgorithm, ecdsa_key: ec.EllipticCurvePrivateKey
) -> None:
    """ECDSA signatures are DER SEQUENCEs that verify with the public key."""
    message = b'{"Statement":[]}'
    signature = sign_bytes(message, ecdsa_key, hash_algorithm)
    assert signature[0] == 0x30
    assert signature[1] == len(signature) - 2
    ecdsa_key.public_key().verify(signature, message, ec.ECDSA(_hash(hash_algorithm)))
    assert verify_bytes(message, signature, ecdsa_key.public_key(), hash_algorithm)
    assert not verify_bytes(b"other", signature, ecdsa_key.public_key(), hash_algorithm)


def test_verify_bytes_with_wrong_key_or_garbage(
    rsa_key: PrivateKey, old_rsa_key: PrivateKey, ecdsa_key: PrivateKey
) -> None:
    """A signature verifies only with its own key; garbage signatures are simply False."""
    signature = sign_bytes(b"m", rsa_key)
    assert not verify_bytes(b"m", signature, old_rsa_key.public_key())
    assert not verify_bytes(b"m", signature, ecdsa_key.public_key())
    assert not verify_bytes(b"m", b"", rsa_key.public_key())
    assert not verify_bytes(b"m", b"\x30\x00", ecdsa_key.public_key())
    assert not verify_bytes(b"m", signature, object())  # type: ignore[arg-type]


def test_sign_bytes_refuses_other_keys() -> None:
    """sign_bytes raises SigningError for something that is not an RSA or EC key."""
    with pytest.raises(SigningError):
        sign_bytes(b"m", object())  # type: ignore[arg-type]


def test_sha1_refused_by_openssl_names_sha256_as_the_fix(
    monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> None:
    """When the OpenSSL build refuses SHA-1, the error names SHA-256 as the fix."""

    class Refusing:
        def sign(self, *args: object) -> bytes:
            raise UnsupportedAlgorithm("sha1 disabled")

    refusing = Refusing()
    monkeypatch.setattr(rsa, "RSAPrivateKey", Refusing)
    with pytest.raises(SigningError, match="hash_algorithm='SHA256'"):
        sign_bytes(b"m", refusing, "SHA1")  # type: ignore[arg-type]
    with pytest.raises(SigningError) as info:
        sign_bytes(b"m", refusing, "SHA256")  # type: ignore[arg-type]
    assert "hash_algorithm='SHA256'" not in str(info.value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("sha256", id="lower"),
        pytest.param("MD5", id="md5"),
        pytest.param("", id="empty"),
    ],
)
def test_hash_algorithm_validation(value: object, signing_key_rsa: SigningKey) -> None:
    """Only "SHA1" and "SHA256" (or None: per key) are accepted, at construction time."""
    with pytest.raises(ConfigurationError, match="SHA1, SHA256"):
        validate_hash_algorithm(value)
    with pytest.raises(ConfigurationError):
        Signer(signing_key_rsa, hash_algorithm=value)  # type: ignore[arg-type]


@pytest.fixture
def signing_key_rsa(rsa_key: PrivateKey) -> SigningKey:
    return SigningKey(RSA_KEY_ID, rsa_key)


# --- cookies ---------------------------------------------------------------------------------


def test_custom_cookies_carry_policy_signature_and_key_id(
    signer: Signer, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Custom cookies hold the exact policy bytes and a SHA-1 signature over them."""
    cookies = signer.cookies_for(RESOURCE, date_less_than=END)
    assert set(cookies) == {COOKIE_POLICY, COOKIE_SIGNATURE, COOKIE_KEY_PAIR_ID}
    assert cookies[COOKIE_KEY_PAIR_ID] == RSA_KEY_ID
    policy_json = cf_b64decode(cookies[COOKIE_POLICY])
    assert policy_json == Policy.custom(RESOURCE, date_less_than=END).to_json()
    rsa_key.public_key().verify(
        cf_b64decode(cookies[COOKIE_SIGNATURE]), policy_json, padding.PKCS1v15(), _hash("SHA1")
    )


def test_wildcard_grant_is_never_canned(signer: Signer) -> None:
    """A wildcard resource always yields CloudFront-Policy, never CloudFront-Expires."""
    cookies = signer.cookies_for("https://cdn.example.com/videos/42/*", date_less_than=END)
    assert COOKIE_POLICY in cookies
    assert COOKIE_EXPIRES not in cookies


def test_sha256_adds_hash_algorithm_cookie(
    signing_key_rsa: SigningKey, rsa_key: rsa.RSAPrivateKey, clock: FakeClock
) -> None:
    """With SHA-256 the signature is RSA-SHA256 and CloudFront-Hash-Algorithm=SHA256 is added."""
    signer = Signer(signing_key_rsa, hash_algorithm="SHA256", clock=clock)
    cookies = signer.cookies_for(RESOURCE, date_less_than=timedelta(hours=1))
    assert cookies[COOKIE_HASH_ALGORITHM] == "SHA256"
    policy_json = cf_b64decode(cookies[COOKIE_POLICY])
    assert json.loads(policy_json)["Statement"][0]["Condition"]["DateLessThan"] == {
        "AWS:EpochTime": clock.epoch + 3600
    }
    rsa_key.public_key().verify(
        cf_b64decode(cookies[COOKIE_SIGNATURE]), policy_json, padding.PKCS1v15(), hashes.SHA256()
    )


def test_sha1_has_no_hash_algorithm_cookie(signer: Signer) -> None:
    """The default SHA-1 signer sends no CloudFront-Hash-Algorithm cookie."""
    assert COOKIE_HASH_ALGORITHM not in signer.cookies_for(RESOURCE, date_less_than=END)
    assert COOKIE_HASH_ALGORITHM not in signer.canned_cookies(URL, date_less_than=END)


@pytest.mark.parametrize(
    "hash_algorithm", [pytest.param("SHA1", id="sha1"), pytest.param("SHA256", id="sha256")]
)
def test_canned_cookies(
    hash_algorithm: HashAlgorithm, signing_key_rsa: SigningKey, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Canned cookies carry CloudFront-Expires and a signature over the canned policy."""
    signer = Signer(signing_key_rsa, hash_algorithm=hash_algorithm)
    cookies = signer.canned_cookies(URL, date_less_than=END)
    assert cookies[COOKIE_EXPIRES] == str(END)
    assert COOKIE_POLICY not in cookies
    assert (COOKIE_HASH_ALGORITHM in cookies) is (hash_algorithm == "SHA256")
    rsa_key.public_key().verify(
        cf_b64decode(cookies[COOKIE_SIGNATURE]),
        canned_policy_json(URL, END),
        padding.PKCS1v15(),
        _hash(hash_algorithm),
    )


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param("https://media.example.com/videos/*", id="star"),
        pytest.param("https://media.example.com/a?b?c", id="question"),
    ],
)
def test_canned_cookies_refuse_wildcards(signer: Signer, resource: str) -> None:
    """Canned cookies refuse ``*`` and ``?`` wildcards instead of silently never matching."""
    with pytest.raises(ResourceError):
        signer.canned_cookies(resource, date_less_than=END)


def test_sign_policy_bytes_are_sent_unchanged(signer: Signer) -> None:
    """Ready policy bytes (even with whitespace) are base64'd and signed exactly as given."""
    raw = b'{"Statement": [{"Resource": "https://a.example/*", "Condition": {}}]}'
    signed = signer.sign_policy(raw)
    assert cf_b64decode(signed.policy_b64) == raw
    assert signed.policy_json == raw


def test_sign_policy_refuses_other_types(signer: Signer) -> None:
    """sign_policy wants a Policy or bytes."""
    with pytest.raises(ConfigurationError):
        signer.sign_policy("{}")  # type: ignore[arg-type]


def test_ecdsa_signer_cookies_verify(ecdsa_key: ec.EllipticCurvePrivateKey) -> None:
    """An ECDSA signer's cookie signature verifies against the decoded policy bytes."""
    signer = Signer(SigningKey(ECDSA_KEY_ID, ecdsa_key), hash_algorithm="SHA256")
    cookies = signer.cookies_for(RESOURCE, date_less_than=END)
    assert cookies[COOKIE_KEY_PAIR_ID] == ECDSA_KEY_ID
    assert verify_bytes(
        cf_b64decode(cookies[COOKIE_POLICY]),
        cf_b64decode(cookies[COOKIE_SIGNATURE]),
        ecdsa_key.public_key(),
        "SHA256",
    )


# --- signed URLs -----------------------------------------------------------------------------


def _params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def test_canned_url(signer: Signer, rsa_key: rsa.RSAPrivateKey) -> None:
    """Only a URL and an expiry give a canned URL: Expires, Signature, Key-Pair-Id in order."""
    signed = signer.sign_url(URL, date_less_than=END)
    names = [name for name, _ in _params(signed)]
    assert names == ["Expires", "Signature", "Key-Pair-Id"]
    params = dict(_params(signed))
    assert params["Expires"] == str(END)
    assert params["Key-Pair-Id"] == RSA_KEY_ID
    assert signed.startswith(URL + "?Expires=")
    rsa_key.public_key().verify(
        cf_b64decode(params["Signature"]),
        canned_policy_json(URL, END),
        padding.PKCS1v15(),
        _hash("SHA1"),
    )


@pytest.mark.parametrize(
    ("kwargs", "resource"),
    [
        pytest.param({"resource": RESOURCE}, RESOURCE, id="resource"),
        pytest.param({"date_greater_than": END - 60}, URL, id="start"),
        pytest.param({"ip_address": "198.51.100.0/24"}, URL, id="ip"),
    ],
)
def test_custom_url(signer: Signer, kwargs: dict[str, object], resource: str) -> None:
    """A resource, start or IP makes a custom URL: Policy, Signature, Key-Pair-Id in order."""
    signed = signer.sign_url(URL, date_less_than=END, **kwargs)  # type: ignore[arg-type]
    names = [name for name, _ in _params(signed)]
    assert names == ["Policy", "Signature", "Key-Pair-Id"]
    policy = json.loads(cf_b64decode(dict(_params(signed))["Policy"]))
    assert policy["Statement"][0]["Resource"] == resource


def test_url_with_query_is_appended_with_ampersand(signer: Signer) -> None:
    """Signing parameters follow an existing query with ``&``, and the query is signed."""
    url = "https://media.example.com/a.mp4?color=red&size=medium"
    signed = signer.sign_url(url, date_less_than=END)
    assert signed.startswith(url + "&Expires=1800000000&Signature=")
    signature = cf_b64decode(dict(_params(signed))["Signature"])
    assert verify_bytes(
        canned_policy_json(url, END), signature, signer.keys.active().private_key.public_key()
    )


def test_sha256_url_adds_hash_algorithm_param(signing_key_rsa: SigningKey) -> None:
    """A SHA-256 signer appends Hash-Algorithm=SHA256 last."""
    signer = Signer(signing_key_rsa, hash_algorithm="SHA256")
    for signed in (
        signer.sign_url(URL, date_less_than=END),
        signer.sign_url(URL, date_less_than=END, resource=RESOURCE),
    ):
        assert signed.endswith("&Hash-Algorithm=SHA256")
        params = dict(_params(signed))
        message = (
            cf_b64decode(params["Policy"]) if "Policy" in params else canned_policy_json(URL, END)
        )
        assert verify_bytes(
            message,
            cf_b64decode(params["Signature"]),
            signing_key_rsa.private_key.public_key(),
            "SHA256",
        )


def test_sign_url_with_ready_policy(signer: Signer) -> None:
    """A ready policy (object or bytes) is signed as it is."""
    policy = Policy.custom(RESOURCE, date_less_than=END)
    from_object = signer.sign_url(URL, policy=policy)
    from_bytes = signer.sign_url(URL, policy=policy.to_json())
    assert from_object == from_bytes
    assert cf_b64decode(dict(_params(from_object))["Policy"]) == policy.to_json()


@pytest.mark.parametrize(
    "param",
    [
        pytest.param("Expires", id="expires"),
        pytest.param("Policy", id="policy"),
        pytest.param("Signature", id="signature"),
        pytest.param("Key-Pair-Id", id="key-pair-id"),
        pytest.param("Hash-Algorithm", id="hash-algorithm"),
    ],
)
def test_sign_url_refuses_reserved_params(signer: Signer, param: str) -> None:
    """URLs already carrying a CloudFront signing parameter are refused, naming it."""
    with pytest.raises(SignedURLError, match=param):
        signer.sign_url(f"{URL}?a=1&{param}=x", date_less_than=END)


@pytest.mark.parametrize(
    ("url", "kwargs"),
    [
        pytest.param("https://media.example.com/v/*", {"date_less_than": END}, id="wildcard-url"),
        pytest.param("http*://media.example.com/a", {"date_less_than": END}, id="wild-scheme"),
        pytest.param("https://media.example.com/a b", {"date_less_than": END}, id="space"),
        pytest.param("", {"date_less_than": END}, id="empty"),
        pytest.param(URL, {}, id="no-expiry"),
        pytest.param(
            URL,
            {"policy": b"{}", "date_less_than": END},
            id="policy-and-dates",
        ),
        pytest.param("https://media.example.com/a?b?c", {"date_less_than": END}, id="question"),
    ],
)
def test_sign_url_refuses(signer: Signer, url: str, kwargs: dict[str, object]) -> None:
    """Unsignable URLs and contradictory arguments raise SignedURLError."""
    with pytest.raises(SignedURLError):
        signer.sign_url(url, **kwargs)  # type: ignore[arg-type]


def test_sign_url_time_errors_propagate(signer: Signer) -> None:
    """A millisecond expiry on a signed URL raises PolicyTimeError."""
    with pytest.raises(PolicyTimeError):
        signer.sign_url(URL, date_less_than=END * 1000)


# --- the cache -------------------------------------------------------------------------------


def test_cache_signs_each_policy_once(signer: Signer) -> None:
    """The same policy is signed once; the second request is a cache hit."""
    first = signer.cookies_for(RESOURCE, date_less_than=END)
    second = signer.cookies_for(RESOURCE, date_less_than=END)
    assert first == second
    assert (signer.misses, signer.hits) == (1, 1)
    signer.cookies_for(RESOURCE, date_less_than=END + 1)
    assert (signer.misses, signer.hits) == (2, 1)
    assert (
        signer.cached_signature(Policy.custom(RESOURCE, date_less_than=END).to_json())
        == (first[COOKIE_SIGNATURE])
    )
    assert signer.cached_signature(b"never signed") is None
    assert signer.hits == 2


def test_cache_evicts_least_recently_used(signing_key_rsa: SigningKey) -> None:
    """Beyond its bound the cache drops the least recently used signature."""
    signer = Signer(signing_key_rsa, cache_size=2)
    policies = [Policy.custom(RESOURCE, date_less_than=END + i).to_json() for i in range(3)]
    signer.signature(policies[0])
    signer.signature(policies[1])
    signer.signature(policies[0])  # touch: policies[1] is now the oldest
    signer.signature(policies[2])
    assert signer.cache_len() == 2
    assert signer.cached_signature(policies[1]) is None
    assert signer.cached_signature(policies[0]) is not None
    assert signer.misses == 3
    signer.clear_cache()
    assert signer.cache_len() == 0


def test_cache_size_zero_disables_caching(signing_key_rsa: SigningKey) -> None:
    """cache_size=0 signs every time."""
    signer = Signer(signing_key_rsa, cache_size=0)
    signer.signature(b"p")
    signer.signature(b"p")
    assert (signer.misses, signer.hits, signer.cache_len()) == (2, 0, 0)


@pytest.mark.parametrize(
    "size",
    [pytest.param(-1, id="negative"), pytest.param(True, id="bool"), pytest.param(1.5, id="float")],
)
def test_cache_size_validation(signing_key_rsa: SigningKey, size: object) -> None:
    """cache_size must be a whole number >= 0."""
    with pytest.raises(ConfigurationError):
        Signer(signing_key_rsa, cache_size=size)  # type: ignore[arg-type]


def test_signer_wants_a_key_ring(rsa_key: PrivateKey) -> None:
    """Signer refuses a bare private key."""
    with pytest.raises(ConfigurationError):
        Signer(rsa_key)  # type: ignore[arg-type]


def test_cache_is_thread_safe(signing_key_rsa: SigningKey) -> None:
    """Concurrent signing of the same few policies keeps the counters consistent."""
    signer = Signer(signing_key_rsa, cache_size=8)
    policies = [f"p{i}".encode() for i in range(4)]

    def work() -> None:
        for _ in range(25):
            for policy in policies:
                signer.signature(policy)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert signer.hits + signer.misses == 400
    assert signer.cache_len() == 4


# --- rotation --------------------------------------------------------------------------------


class RotatingKeyRing(KeyRing):
    """A ring whose active key can be swapped, as a refreshing ring would."""

    def __init__(self, active: SigningKey) -> None:
        super().__init__(active)
        self.current = active

    def active(self) -> SigningKey:
        return self.current


def test_key_rotation_changes_key_pair_id_and_cache_is_per_key(
    old_rsa_key: PrivateKey, rsa_key: PrivateKey
) -> None:
    """After rotation the new Key-Pair-Id is sent and the old key's cached signature unused."""
    ring = RotatingKeyRing(SigningKey(OLD_KEY_ID, old_rsa_key))
    signer = Signer(ring)
    before = signer.cookies_for(RESOURCE, date_less_than=END)
    assert before[COOKIE_KEY_PAIR_ID] == OLD_KEY_ID
    ring.current = SigningKey(RSA_KEY_ID, rsa_key)
    after = signer.cookies_for(RESOURCE, date_less_than=END)
    assert after[COOKIE_KEY_PAIR_ID] == RSA_KEY_ID
    assert after[COOKIE_POLICY] == before[COOKIE_POLICY]
    assert after[COOKIE_SIGNATURE] != before[COOKIE_SIGNATURE]
    assert (signer.misses, signer.hits) == (2, 0)
    assert verify_bytes(
        cf_b64decode(after[COOKIE_POLICY]),
        cf_b64decode(after[COOKIE_SIGNATURE]),
        rsa_key.public_key(),
    )


def test_cache_is_keyed_per_hash_algorithm(signing_key_rsa: SigningKey) -> None:
    """Changing hash_algorithm on a signer does not reuse a SHA-1 signature."""
    signer = Signer(signing_key_rsa)
    sha1 = signer.signature(b"p")[1]
    signer.hash_algorithm = "SHA256"
    sha256 = signer.signature(b"p")[1]
    assert sha1 != sha256
    assert signer.misses == 2


def test_key_ring_rotation_keeps_old_key_for_verification(
    old_rsa_key: PrivateKey, rsa_key: PrivateKey
) -> None:
    """A ring with a new active key still lists the old public key for verification."""
    old_signer = Signer(SigningKey(OLD_KEY_ID, old_rsa_key))
    old_cookies = old_signer.cookies_for(RESOURCE, date_less_than=END)
    ring = KeyRing(SigningKey(RSA_KEY_ID, rsa_key), verification_keys={OLD_KEY_ID: old_rsa_key})
    public = ring.public_keys[old_cookies[COOKIE_KEY_PAIR_ID]]
    assert verify_bytes(
        cf_b64decode(old_cookies[COOKIE_POLICY]),
        cf_b64decode(old_cookies[COOKIE_SIGNATURE]),
        public,
    )


def test_signer_repr_has_no_key_material(signer: Signer) -> None:
    """The signer's repr names the key ID and hash but holds no key bytes."""
    text = repr(signer)
    assert RSA_KEY_ID in text
    assert "hash_algorithm=None" in text
    assert "BEGIN" not in text
    assert "PRIVATE" not in text
