"""Interop: cfcookies gives the same bytes as AWS's own signers on many generated inputs.

The references are botocore's ``CloudFrontSigner`` (signed URLs, in-process) and
``@aws-sdk/cloudfront-signer`` from npm (signed cookies and URLs), run by Node through
``tests/node/sign.mjs`` in one process per batch. RSA PKCS#1 v1.5 is deterministic, so every
signature must be byte-identical; ECDSA signatures are randomised, so each side verifies the
other's.

Known, harmless differences from the references, compared semantically instead of as bytes:

* botocore writes the custom-policy conditions as DateLessThan, IpAddress, DateGreaterThan;
  cfcookies (like the JS signer and AWS's documentation) as DateLessThan, DateGreaterThan,
  IpAddress. Key order does not matter to CloudFront in a custom policy.
* The JS signer orders signed-URL parameters Expires|Policy, Key-Pair-Id, Signature; cfcookies
  follows botocore and AWS's documentation: Expires|Policy, Signature, Key-Pair-Id. Both then
  append Hash-Algorithm. CloudFront reads parameters by name.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cfcookies.exceptions import WeakHashWarning
from cfcookies.keys import PrivateKey, SigningKey, private_key_pem, public_key_pem
from cfcookies.policy import Policy, canned_policy_json
from cfcookies.signing import (
    COOKIE_EXPIRES,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    HashAlgorithm,
    Signer,
    cf_b64decode,
    cf_b64encode,
    verify_bytes,
)
from tests.support import ECDSA_KEY_ID, RSA_KEY_ID

NODE_DIR = Path(__file__).parent / "node"
NODE_SIGNER = NODE_DIR / "node_modules" / "@aws-sdk" / "cloudfront-signer"
HASHES: tuple[HashAlgorithm, ...] = ("SHA1", "SHA256")
SEED = 20261129
N_CASES = 250

# --- the generator ---------------------------------------------------------------------------

_HOSTS = (
    "d111111abcdef8.cloudfront.net",
    "media.example.com",
    "cdn.example.test:8443",
    "Media.Example.com",
)
_UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
# Upper-case escapes of characters that must stay escaped in a path, as a browser sends them.
_ESCAPES = ("%20", "%2B", "%2C", "%3A", "%C3%A9", "%E2%82%AC", "%40")
_QUERY_EXTRA = ("+", "%2F", "%20", "%3D", "%26")


@dataclass(frozen=True)
class Case:
    """One generated input: a real URL, a (maybe wildcard) resource, dates and an IP range."""

    url: str
    resource: str
    date_less_than: int
    date_greater_than: int | None
    ip_address: str | None

    @property
    def is_canned_only(self) -> bool:
        return self.date_greater_than is None and self.ip_address is None


def _word(rng: random.Random, *, extra: tuple[str, ...] = _ESCAPES) -> str:
    parts = []
    for _ in range(rng.randint(1, 8)):
        parts.append(
            rng.choice(extra) if extra and rng.random() < 0.12 else rng.choice(_UNRESERVED)
        )
    word = "".join(parts)
    return "x" + word if word.strip(".") == "" else word


def _case(rng: random.Random) -> Case:
    scheme = "https" if rng.random() < 0.85 else "http"
    host = rng.choice(_HOSTS)
    folders = [_word(rng) for _ in range(rng.randint(0, 3))]
    filename = _word(rng) + rng.choice((".ts", ".m3u8", ".mp4", ".jpg", ""))
    base = f"{scheme}://{host}/" + "".join(f + "/" for f in folders) + filename
    query = ""
    if rng.random() < 0.4:
        pairs = [
            f"{_word(rng, extra=())}={_word(rng, extra=_QUERY_EXTRA) if rng.random() < 0.9 else ''}"
            for _ in range(rng.randint(1, 3))
        ]
        query = "?" + "&".join(pairs)
    url = base + query
    folder = f"{scheme}://{host}/" + "".join(f + "/" for f in folders)
    resource = rng.choice(
        (
            url,
            folder + "*",
            f"{scheme}://{host}/*{filename[1:]}*",
            f"http*://{host}/" + "".join(f + "/" for f in folders) + "*",
            f"*://{host}/*",
            folder + "*" + query,
        )
    )
    date_less_than = rng.randint(1_700_000_000, 4_000_000_000)
    date_greater_than = date_less_than - rng.randint(1, 10_000_000) if rng.random() < 0.5 else None
    ip_address = None
    if rng.random() < 0.5:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if rng.random() < 0.3:
            ip_address = str(address)
        else:
            network = ipaddress.ip_network((address, rng.randint(0, 32)), strict=False)
            ip_address = network.with_prefixlen
    return Case(url, resource, date_less_than, date_greater_than, ip_address)


def generated_cases(seed: int = SEED, n: int = N_CASES) -> list[Case]:
    rng = random.Random(seed)
    return [_case(rng) for _ in range(n)]


def _dt(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=timezone.utc)


def _signer(key: PrivateKey, key_pair_id: str, hash_algorithm: HashAlgorithm) -> Signer:
    """A signer with an explicit hash (SHA-1 with ECDSA is allowed, with a warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeakHashWarning)
        return Signer(SigningKey(key_pair_id, key), hash_algorithm=hash_algorithm, cache_size=0)


def test_generator_covers_the_interesting_shapes() -> None:
    """The generated inputs include wildcards, ``&`` queries, start dates, CIDRs and bare IPs."""
    cases = generated_cases()
    assert len(cases) == N_CASES
    assert sum("*" in c.resource for c in cases) > N_CASES // 3
    assert sum("&" in c.url for c in cases) > 10
    assert sum("%" in c.url for c in cases) > 10
    assert sum(c.date_greater_than is not None for c in cases) > N_CASES // 4
    assert sum(c.ip_address is not None and "/" not in c.ip_address for c in cases) > 10
    assert sum(c.ip_address is not None and "/" in c.ip_address for c in cases) > 10
    both = [c for c in cases if c.date_greater_than is not None and c.ip_address is not None]
    assert len(both) > 10
    assert sum(c.is_canned_only for c in cases) > 10


# --- botocore --------------------------------------------------------------------------------


def _botocore_signer(key: rsa.RSAPrivateKey, hash_algorithm: HashAlgorithm) -> CloudFrontSigner:
    digest = hashes.SHA256() if hash_algorithm == "SHA256" else hashes.SHA1()  # noqa: S303

    def rsa_signer(message: bytes) -> bytes:
        return key.sign(message, padding.PKCS1v15(), digest)

    return CloudFrontSigner(RSA_KEY_ID, rsa_signer)


def _hash_suffix(hash_algorithm: HashAlgorithm) -> str:
    # botocore has no SHA-256 option: it signs with whatever rsa_signer does and never adds the
    # parameter, which cfcookies appends last.
    return "&Hash-Algorithm=SHA256" if hash_algorithm == "SHA256" else ""


@pytest.mark.parametrize("hash_algorithm", [pytest.param(h, id=h.lower()) for h in HASHES])
def test_botocore_canned_urls_are_identical(
    hash_algorithm: HashAlgorithm, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Canned signed URLs equal botocore's generate_presigned_url byte for byte."""
    reference = _botocore_signer(rsa_key, hash_algorithm)
    ours = _signer(rsa_key, RSA_KEY_ID, hash_algorithm)
    mismatches = []
    cases = generated_cases()
    for case in cases:
        expected = reference.generate_presigned_url(
            case.url, date_less_than=_dt(case.date_less_than)
        ) + _hash_suffix(hash_algorithm)
        got = ours.sign_url(case.url, date_less_than=case.date_less_than)
        if got != expected:
            mismatches.append((case, expected, got))
    assert mismatches == []


@pytest.mark.parametrize("hash_algorithm", [pytest.param(h, id=h.lower()) for h in HASHES])
def test_botocore_custom_urls_are_identical(
    hash_algorithm: HashAlgorithm, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Custom signed URLs equal botocore's; with both optional conditions the JSON is equal."""
    reference = _botocore_signer(rsa_key, hash_algorithm)
    ours = _signer(rsa_key, RSA_KEY_ID, hash_algorithm)
    mismatches = []
    reordered = 0
    for case in generated_cases():
        botocore_policy = reference.build_policy(
            case.resource,
            _dt(case.date_less_than),
            _dt(case.date_greater_than),
            case.ip_address,
        )
        expected = reference.generate_presigned_url(
            case.url, policy=botocore_policy
        ) + _hash_suffix(hash_algorithm)
        our_policy = Policy.custom(
            case.resource,
            date_less_than=case.date_less_than,
            date_greater_than=case.date_greater_than,
            ip_address=case.ip_address,
        ).to_json()
        if case.date_greater_than is not None and case.ip_address is not None:
            # botocore: DateLessThan, IpAddress, DateGreaterThan. Same document, other order.
            reordered += 1
            same = json.loads(our_policy) == json.loads(botocore_policy)
            got = ours.sign_url(case.url, policy=botocore_policy.encode())
        else:
            same = our_policy == botocore_policy.encode()
            got = ours.sign_url(
                case.url,
                resource=case.resource,
                date_less_than=case.date_less_than,
                date_greater_than=case.date_greater_than,
                ip_address=case.ip_address,
            )
        if not same or got != expected:
            mismatches.append((case, botocore_policy, our_policy, expected, got))
    assert mismatches == []
    assert reordered > 10


def test_botocore_key_order_differs_only_with_both_conditions(rsa_key: rsa.RSAPrivateKey) -> None:
    """botocore puts IpAddress before DateGreaterThan; cfcookies after (documented difference)."""
    botocore_policy = _botocore_signer(rsa_key, "SHA1").build_policy(
        "https://a.example/*", _dt(2_000_000_000), _dt(1_900_000_000), "10.0.0.0/8"
    )
    ours = Policy.custom(
        "https://a.example/*",
        date_less_than=2_000_000_000,
        date_greater_than=1_900_000_000,
        ip_address="10.0.0.0/8",
    ).to_json()
    assert botocore_policy.index("IpAddress") < botocore_policy.index("DateGreaterThan")
    assert ours.index(b"DateGreaterThan") < ours.index(b"IpAddress")
    assert json.loads(botocore_policy) == json.loads(ours)


# --- @aws-sdk/cloudfront-signer through Node ------------------------------------------------


def _node_or_skip() -> str:
    """The node executable, or skip (fail when CFCOOKIES_REQUIRE_NODE=1) with the reason."""
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "node is not on PATH"
    elif not NODE_SIGNER.is_dir():
        reason = f"{NODE_SIGNER} is missing; run `npm ci` in tests/node (scripts/test does)"
    if reason is not None:
        if os.environ.get("CFCOOKIES_REQUIRE_NODE") == "1":
            pytest.fail(f"CFCOOKIES_REQUIRE_NODE=1 but {reason}")
        pytest.skip(reason)
    assert node is not None
    return node


class NodeBatch:
    """Collects cases for sign.mjs, runs them in one Node process, hands back results by id."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys
        self.cases: list[dict[str, Any]] = []

    def add(self, case_id: str, fn: str, **fields: Any) -> str:
        item = {"id": case_id, "fn": fn}
        item.update({name: value for name, value in fields.items() if value is not None})
        self.cases.append(item)
        return case_id

    def run(self, node: str) -> dict[str, Any]:
        payload = json.dumps({"keys": self.keys, "cases": self.cases})
        done = subprocess.run(
            [node, "sign.mjs"],
            input=payload,
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"sign.mjs exited {done.returncode}: {done.stderr[-2000:]}")
        results = json.loads(done.stdout)["results"]
        errors = [r for r in results if not r["ok"]]
        assert errors == [], errors[:5]
        return {r["id"]: r["value"] for r in results}


def _split_signed_url(signed: str, url: str) -> list[str]:
    """The parameters appended to ``url`` by a signer, in order."""
    separator = "&" if "?" in url else "?"
    assert signed.startswith(url + separator), (signed, url)
    return signed[len(url) + 1 :].split("&")


def _js_cookies(value: dict[str, Any]) -> dict[str, str]:
    return {name: str(v) for name, v in value.items()}


@dataclass
class Expectation:
    kind: str
    case: Case
    hash_algorithm: HashAlgorithm
    ours: Any


@pytest.fixture(scope="module")
def node_rsa_run(
    rsa_key: rsa.RSAPrivateKey,
) -> tuple[dict[str, Expectation], dict[str, Any]]:
    """Every RSA case for the JS signer, with what cfcookies gives, run in one Node process."""
    node = _node_or_skip()
    batch = NodeBatch({"rsa": private_key_pem(rsa_key).decode()})
    expected: dict[str, Expectation] = {}
    for n, case in enumerate(generated_cases()):
        for hash_algorithm in HASHES:
            ours = _signer(rsa_key, RSA_KEY_ID, hash_algorithm)
            common = {"key": "rsa", "keyPairId": RSA_KEY_ID, "algorithm": hash_algorithm}
            policy = Policy.custom(
                case.resource,
                date_less_than=case.date_less_than,
                date_greater_than=case.date_greater_than,
                ip_address=case.ip_address,
            )
            prefix = f"{n}-{hash_algorithm}"

            def expect(kind: str, value: Any, *, prefix: str = prefix) -> str:
                case_id = f"{prefix}-{kind}"
                expected[case_id] = Expectation(kind, case, hash_algorithm, value)  # noqa: B023
                return case_id

            # Cookies from our exact policy bytes.
            batch.add(
                expect("cookies-policy", ours.signed_cookies(policy)),
                "getSignedCookies",
                policy=policy.to_json().decode(),
                **common,
            )
            # Canned cookies for the real URL (no wildcard).
            batch.add(
                expect(
                    "cookies-canned",
                    ours.canned_cookies(case.url, date_less_than=case.date_less_than),
                ),
                "getSignedCookies",
                url=case.url,
                dateLessThan=case.date_less_than,
                **common,
            )
            # Canned URL.
            batch.add(
                expect("url-canned", ours.sign_url(case.url, date_less_than=case.date_less_than)),
                "getSignedUrl",
                url=case.url,
                dateLessThan=case.date_less_than,
                **common,
            )
            # Custom URL from our policy (wildcard resources included).
            batch.add(
                expect(
                    "url-policy",
                    ours.sign_url(
                        case.url,
                        resource=case.resource,
                        date_less_than=case.date_less_than,
                        date_greater_than=case.date_greater_than,
                        ip_address=case.ip_address,
                    ),
                ),
                "getSignedUrl",
                url=case.url,
                policy=policy.to_json().decode(),
                **common,
            )
            if not case.is_canned_only and case.resource.startswith(("https://", "http://")):
                # JS builds the policy itself from the parameters (its getResource refuses the
                # http*:// and *:// patterns, which it can still sign as a ready policy).
                batch.add(
                    expect(
                        "cookies-params",
                        ours.cookies_for(
                            case.resource,
                            date_less_than=case.date_less_than,
                            date_greater_than=case.date_greater_than,
                            ip_address=case.ip_address,
                        ),
                    ),
                    "getSignedCookies",
                    url=case.resource,
                    dateLessThan=case.date_less_than,
                    dateGreaterThan=case.date_greater_than,
                    ipAddress=case.ip_address,
                    **common,
                )
                batch.add(
                    expect(
                        "url-params",
                        ours.sign_url(
                            case.url,
                            date_less_than=case.date_less_than,
                            date_greater_than=case.date_greater_than,
                            ip_address=case.ip_address,
                        ),
                    ),
                    "getSignedUrl",
                    url=case.url,
                    dateLessThan=case.date_less_than,
                    dateGreaterThan=case.date_greater_than,
                    ipAddress=case.ip_address,
                    **common,
                )
    return expected, batch.run(node)


def _of_kind(
    run: tuple[dict[str, Expectation], dict[str, Any]], *kinds: str
) -> list[tuple[Expectation, Any]]:
    expected, results = run
    pairs = [(e, results[case_id]) for case_id, e in expected.items() if e.kind in kinds]
    assert len(pairs) > 100
    return pairs


@pytest.mark.node
def test_js_cookies_are_identical(
    node_rsa_run: tuple[dict[str, Expectation], dict[str, Any]],
) -> None:
    """Custom cookies (from our policy or built by JS) and canned cookies equal the JS signer's."""
    mismatches = [
        (e.kind, e.case, e.ours, js)
        for e, js in _of_kind(node_rsa_run, "cookies-policy", "cookies-params", "cookies-canned")
        if _js_cookies(js) != e.ours
    ]
    assert mismatches == []


@pytest.mark.node
def test_js_builds_the_same_policy_bytes(
    node_rsa_run: tuple[dict[str, Expectation], dict[str, Any]],
) -> None:
    """When JS builds the policy from url/dates/IP, its JSON bytes equal ours (same key order)."""
    mismatches = []
    for e, js in _of_kind(node_rsa_run, "cookies-params"):
        ours = cf_b64decode(e.ours[COOKIE_POLICY])
        theirs = cf_b64decode(js[COOKIE_POLICY])
        if ours != theirs:
            mismatches.append((e.case, ours, theirs))
    assert mismatches == []


@pytest.mark.node
def test_js_canned_cookies_use_expires(
    node_rsa_run: tuple[dict[str, Expectation], dict[str, Any]],
) -> None:
    """Canned cookies from both signers carry CloudFront-Expires and no CloudFront-Policy."""
    for e, js in _of_kind(node_rsa_run, "cookies-canned"):
        assert js[COOKIE_EXPIRES] == e.case.date_less_than
        assert COOKIE_POLICY not in js
        assert COOKIE_POLICY not in e.ours


@pytest.mark.node
def test_js_urls_are_identical_up_to_parameter_order(
    node_rsa_run: tuple[dict[str, Expectation], dict[str, Any]],
) -> None:
    """Signed URLs equal the JS signer's: same base URL and the same parameters, byte for byte."""
    mismatches = []
    for e, js in _of_kind(node_rsa_run, "url-canned", "url-policy", "url-params"):
        ours = _split_signed_url(e.ours, e.case.url)
        theirs = _split_signed_url(js, e.case.url)
        if sorted(ours) != sorted(theirs):
            mismatches.append((e.kind, e.case, e.ours, js))
    assert mismatches == []


@pytest.mark.node
def test_js_url_parameter_order_is_the_documented_difference(
    node_rsa_run: tuple[dict[str, Expectation], dict[str, Any]],
) -> None:
    """JS orders Key-Pair-Id before Signature; cfcookies follows botocore and AWS's docs."""
    for e, js in _of_kind(node_rsa_run, "url-canned", "url-policy", "url-params"):
        first = "Expires" if e.kind == "url-canned" else "Policy"
        tail = ["Hash-Algorithm"] if e.hash_algorithm == "SHA256" else []
        ours = [p.split("=", 1)[0] for p in _split_signed_url(e.ours, e.case.url)]
        theirs = [p.split("=", 1)[0] for p in _split_signed_url(js, e.case.url)]
        assert ours == [first, "Signature", "Key-Pair-Id", *tail]
        assert theirs == [first, "Key-Pair-Id", "Signature", *tail]


@pytest.mark.node
def test_js_sha256_adds_the_hash_algorithm_marker(
    node_rsa_run: tuple[dict[str, Expectation], dict[str, Any]],
) -> None:
    """Both signers add CloudFront-Hash-Algorithm / Hash-Algorithm exactly when SHA-256 is used."""
    for e, js in _of_kind(node_rsa_run, "cookies-policy", "url-canned"):
        if e.kind == "cookies-policy":
            present = "CloudFront-Hash-Algorithm" in js
            assert present is ("CloudFront-Hash-Algorithm" in e.ours)
        else:
            present = "Hash-Algorithm=SHA256" in js
            assert present is ("Hash-Algorithm=SHA256" in e.ours)
        assert present is (e.hash_algorithm == "SHA256")


# --- ECDSA: randomised signatures, so each side verifies the other's -------------------------


@pytest.mark.node
@pytest.mark.parametrize("hash_algorithm", [pytest.param(h, id=h.lower()) for h in HASHES])
def test_ecdsa_signatures_verify_across_signers(
    hash_algorithm: HashAlgorithm, ecdsa_key: PrivateKey
) -> None:
    """JS ECDSA signatures verify with verify_bytes; ours verify with Node's crypto.verify."""
    node = _node_or_skip()
    ours = _signer(ecdsa_key, ECDSA_KEY_ID, hash_algorithm)
    public_pem = public_key_pem(ecdsa_key)
    batch = NodeBatch({"ec": private_key_pem(ecdsa_key).decode()})
    policies: dict[str, bytes] = {}
    for n, case in enumerate(generated_cases(n=60)):
        policy_json = Policy.custom(
            case.resource,
            date_less_than=case.date_less_than,
            date_greater_than=case.date_greater_than,
            ip_address=case.ip_address,
        ).to_json()
        policies[f"js-{n}"] = policy_json
        batch.add(
            f"js-{n}",
            "getSignedCookies",
            key="ec",
            keyPairId=ECDSA_KEY_ID,
            algorithm=hash_algorithm,
            policy=policy_json.decode(),
        )
        signature = ours.sign_policy(policy_json).signature_b64
        batch.add(
            f"ours-{n}",
            "verify",
            publicKey=public_pem,
            algorithm=hash_algorithm,
            data=policy_json.decode(),
            signature=signature,
        )
        # A control the verifier must refuse, so the check above can fail.
        batch.add(
            f"tampered-{n}",
            "verify",
            publicKey=public_pem,
            algorithm=hash_algorithm,
            data=policy_json.decode() + " ",
            signature=signature,
        )
    results = batch.run(node)
    for n in range(60):
        js = results[f"js-{n}"]
        assert cf_b64decode(js[COOKIE_POLICY]) == policies[f"js-{n}"]
        assert verify_bytes(
            policies[f"js-{n}"],
            cf_b64decode(js[COOKIE_SIGNATURE]),
            ecdsa_key.public_key(),
            hash_algorithm,
        )
        assert results[f"ours-{n}"] is True
        assert results[f"tampered-{n}"] is False


def test_ecdsa_signatures_verify_with_the_public_key(ecdsa_key: PrivateKey) -> None:
    """cfcookies' ECDSA signatures differ each time yet all verify with the public key."""
    public = serialization.load_pem_public_key(public_key_pem(ecdsa_key).encode())
    for hash_algorithm in HASHES:
        signer = _signer(ecdsa_key, ECDSA_KEY_ID, hash_algorithm)
        policy_json = canned_policy_json("https://media.example.com/a.mp4", 2_000_000_000)
        signatures = {signer.sign_policy(policy_json).signature_b64 for _ in range(5)}
        assert len(signatures) == 5
        for signature in signatures:
            assert verify_bytes(
                policy_json,
                cf_b64decode(signature),
                public,  # type: ignore[arg-type]
                hash_algorithm,
            )


def test_policy_base64_matches_botocores_encoding() -> None:
    """cf_b64encode is the same transformation as botocore's _url_b64encode."""
    reference: Callable[[bytes], bytes] = CloudFrontSigner("K", lambda m: m)._url_b64encode
    rng = random.Random(SEED)
    for size in range(0, 300, 7):
        data = rng.randbytes(size)
        assert cf_b64encode(data) == reference(data).decode()


@pytest.mark.parametrize(
    ("require", "outcome"),
    [
        pytest.param("1", pytest.fail.Exception, id="required-fails"),
        pytest.param("", pytest.skip.Exception, id="optional-skips"),
    ],
)
def test_missing_node_modules_skip_or_fail(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, require: str, outcome: type[BaseException]
) -> None:
    """Without node_modules the Node tests skip, or fail when CFCOOKIES_REQUIRE_NODE=1."""
    monkeypatch.setattr(sys.modules[__name__], "NODE_SIGNER", tmp_path / "missing")
    monkeypatch.setenv("CFCOOKIES_REQUIRE_NODE", require)
    with pytest.raises(outcome, match="npm ci"):
        _node_or_skip()


@pytest.mark.node
@pytest.mark.parametrize("hash_algorithm", HASHES)
def test_a_folders_query_equals_the_js_signers_signed_url_parameter_for_parameter(
    rsa_key: rsa.RSAPrivateKey, hash_algorithm: HashAlgorithm
) -> None:
    """CloudFrontCookies.signed_query, for folders, bound or not, is what getSignedUrl appends
    to a URL in the folder for the same policy."""
    from cfcookies.session import CloudFrontCookies

    node = _node_or_skip()
    cookies = CloudFrontCookies(
        media_url="https://media.example.test",
        state_secret="s" * 40,
        key_pair_id=RSA_KEY_ID,
        private_key=rsa_key,
        hash_algorithm=hash_algorithm,
    )
    batch = NodeBatch({"rsa": private_key_pem(rsa_key).decode()})
    ours: dict[str, dict[str, str]] = {}
    folders = ["/videos/course-1", "/docs/hand book/", "/a/ü/€/"]
    for n, folder in enumerate(folders):
        for ip in (None, "203.0.113.5"):
            query = dict(
                p.split("=", 1) for p in cookies.signed_query(folder, ip_address=ip).split("&")
            )
            policy = cf_b64decode(query["Policy"]).decode()
            url = json.loads(policy)["Statement"][0]["Resource"][:-1] + "index.m3u8"
            case_id = batch.add(
                f"{n}-{ip}",
                "getSignedUrl",
                url=url,
                policy=policy,
                key="rsa",
                keyPairId=RSA_KEY_ID,
                algorithm=hash_algorithm,
            )
            ours[case_id] = {"url": url, **query}
    results = batch.run(node)
    for case_id, expected in ours.items():
        url = expected.pop("url")
        theirs = dict(p.split("=", 1) for p in _split_signed_url(results[case_id], url))
        assert theirs == expected, case_id
