"""cfcookies.verify: CloudFront's decision and its order of checks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfcookies import exceptions as exc
from cfcookies.diagnose import explain
from cfcookies.keys import KeyRing, PrivateKey, PublicKey, SigningKey
from cfcookies.policy import Policy
from cfcookies.signing import (
    COOKIE_EXPIRES,
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    Signer,
    cf_b64encode,
)
from cfcookies.verify import CHECK_NAMES, XML_MESSAGES, Check, error_xml, verify_request
from tests.support import OLD_KEY_ID, RSA_KEY_ID, FakeClock

from .verification_cases import (
    CASE_IDS,
    MEDIA_URL,
    RESOURCE,
    SEGMENT,
    VerificationTable,
)

ERRORS: dict[str, type[exc.VerificationError]] = {
    "missing_key_pair_id": exc.MissingKeyPairIdError,
    "unknown_key": exc.UnknownKeyError,
    "malformed_signature": exc.MalformedSignatureError,
    "malformed_policy": exc.MalformedRequestPolicyError,
    "unsupported_hash_algorithm": exc.UnsupportedHashAlgorithmError,
    "bad_signature": exc.BadSignatureError,
    "not_yet_valid": exc.NotYetValidError,
    "expired": exc.ExpiredError,
    "ip_mismatch": exc.IPMismatchError,
    "resource_mismatch": exc.ResourceMismatchError,
}


URL = MEDIA_URL + SEGMENT


# --- the table --------------------------------------------------------------------------------


def test_case_ids_are_the_table(table: VerificationTable) -> None:
    """Every case of the table is collected: CASE_IDS lists exactly the built cases."""
    assert tuple(c.id for c in table.cases) == CASE_IDS


@pytest.mark.parametrize("case_id", [pytest.param(i, id=i) for i in CASE_IDS])
def test_verification_table(table: VerificationTable, clock: FakeClock, case_id: str) -> None:
    """Each request gets CloudFront's reason, XML code and mode."""
    case = table.by_id(case_id)
    decision = verify_request(
        case.url,
        cookies=case.cookies,
        public_keys=table.public_keys,
        client_ip=case.client_ip,
        now=clock(),
    )
    assert (decision.reason, decision.code, decision.mode, decision.allowed) == (
        case.reason,
        case.code,
        case.mode,
        case.allowed,
    )


@pytest.mark.parametrize("case_id", [pytest.param(i, id=i) for i in CASE_IDS])
def test_cookie_header_and_mapping_agree(
    table: VerificationTable, clock: FakeClock, case_id: str
) -> None:
    """A Cookie header gives the same decision as the same cookies as a mapping."""
    case = table.by_id(case_id)
    decision = verify_request(
        case.url,
        cookies=case.cookie_header(),
        public_keys=table.public_keys,
        client_ip=case.client_ip,
        now=clock(),
    )
    assert decision.reason == case.reason


@pytest.mark.parametrize(
    "case_id", [pytest.param(i, id=i) for i in CASE_IDS if not i.startswith("allowed")]
)
def test_raise_for_status_raises_the_typed_error(
    table: VerificationTable, clock: FakeClock, case_id: str
) -> None:
    """A refused request raises the VerificationError subclass named by its reason."""
    case = table.by_id(case_id)
    decision = verify_request(
        case.url,
        cookies=case.cookies,
        public_keys=table.public_keys,
        client_ip=case.client_ip,
        now=clock(),
    )
    with pytest.raises(ERRORS[case.reason]) as info:
        decision.raise_for_status()
    assert (info.value.reason, info.value.code) == (decision.reason, decision.code)


def test_allowed_decision_does_not_raise(table: VerificationTable, clock: FakeClock) -> None:
    """An allowed decision has no error, no XML body and every check passed."""
    case = table.by_id("allowed")
    decision = verify_request(
        case.url, cookies=case.cookies, public_keys=table.public_keys, now=clock()
    )
    decision.raise_for_status()
    assert decision.error_xml() == ""
    assert [c.name for c in decision.checks] == list(CHECK_NAMES)
    assert all(c.passed for c in decision.checks)


@pytest.mark.parametrize("case_id", [pytest.param(i, id=i) for i in CASE_IDS])
def test_messages_never_contain_cookie_values(
    table: VerificationTable, clock: FakeClock, case_id: str
) -> None:
    """Neither the message, the checks nor the explain report repeat a signature or policy."""
    case = table.by_id(case_id)
    decision = verify_request(
        case.url, cookies=case.cookies, public_keys=table.public_keys, now=clock()
    )
    report = explain(
        case.url, cookie_header=case.cookie_header(), public_keys=table.public_keys, now=clock()
    )
    texts = [decision.message, report, *(c.detail for c in decision.checks)]
    secrets = [v for k, v in case.cookies.items() if k in (COOKIE_POLICY, COOKIE_SIGNATURE)]
    secrets += [
        p.split("=", 1)[1][:40]
        for p in case.path.split("?", 1)[-1].split("&")
        if p.startswith(("Signature=", "Policy="))
    ]
    assert not [s for s in secrets if s and any(s in t for t in texts)]


def test_check_names_are_cloudfronts_order() -> None:
    """The table of steps runs CloudFront's checks in its order, each with a title."""
    assert CHECK_NAMES == (
        "signed_request",
        "key_pair_id",
        "trusted_key",
        "signature_encoding",
        "policy",
        "hash_algorithm",
        "signature",
        "date_greater_than",
        "date_less_than",
        "ip_address",
        "resource",
    )
    assert all(Check(name, "passed").title != name for name in CHECK_NAMES)


def test_checks_stop_at_the_failure(table: VerificationTable, clock: FakeClock) -> None:
    """The checks before the failing one passed and the ones after it are skipped."""
    case = table.by_id("expired")
    decision = verify_request(
        case.url, cookies=case.cookies, public_keys=table.public_keys, now=clock()
    )
    statuses = {c.name: c.status for c in decision.checks}
    assert statuses["signature"] == "passed"
    assert statuses["date_less_than"] == "failed"
    assert statuses["ip_address"] == statuses["resource"] == "skipped"
    assert decision.failed_check is not None
    assert decision.failed_check.name == "date_less_than"


# --- XML bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        pytest.param("MissingKey", "Missing Key-Pair-Id query parameter or cookie value", id="M"),
        pytest.param("InvalidKey", "Unknown Key", id="InvalidKey"),
        pytest.param("MalformedPolicy", "Malformed Policy", id="MalformedPolicy"),
        pytest.param("MalformedSignature", "Could not unencode Signature", id="MalformedSig"),
        pytest.param("AccessDenied", "Access denied", id="AccessDenied"),
    ],
)
def test_error_xml_is_cloudfronts_body(code: str, message: str) -> None:
    """The XML body carries CloudFront's code and its fixed message."""
    assert error_xml(code) == (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    assert XML_MESSAGES[code] == message


# --- messages say what to do --------------------------------------------------------------------


def test_expired_says_by_how_many_seconds(table: VerificationTable, clock: FakeClock) -> None:
    """An expired policy's message says how long ago it expired."""
    case = table.by_id("expired")
    decision = verify_request(
        case.url, cookies=case.cookies, public_keys=table.public_keys, now=clock()
    )
    assert "90 seconds ago" in decision.message
    assert isinstance(decision.error, exc.ExpiredError)
    assert decision.error.now - decision.error.date_less_than == 90


def test_resource_mismatch_shows_resource_beside_url(
    table: VerificationTable, clock: FakeClock
) -> None:
    """A resource mismatch names the policy's resource and the requested URL."""
    case = table.by_id("resource_mismatch")
    decision = verify_request(
        case.url, cookies=case.cookies, public_keys=table.public_keys, now=clock()
    )
    assert RESOURCE in decision.message
    assert case.url in decision.message


def test_nothing_sent_says_no_signature(table: VerificationTable, clock: FakeClock) -> None:
    """A request with no signed URL and no CloudFront cookie says no signature was sent."""
    decision = verify_request(URL, cookies="session=abc", public_keys=table.public_keys)
    assert (decision.mode, decision.code) == ("none", "MissingKey")
    assert decision.message.startswith("no signature was sent")


def test_unknown_key_names_the_key(keys: dict[str, PublicKey], signer: Signer) -> None:
    """An untrusted key pair ID is named in the message with the trusted ones."""
    cookies = signer.cookies_for(RESOURCE, date_less_than=timedelta(hours=1))
    decision = verify_request(
        URL, cookies={**cookies, COOKIE_KEY_PAIR_ID: "KOTHERKEY"}, public_keys=keys
    )
    assert decision.reason == "unknown_key"
    assert "'KOTHERKEY'" in decision.message
    assert RSA_KEY_ID in decision.message


def test_sha256_signature_without_hash_cookie_hints_the_fix(
    rsa_signing_key: SigningKey, keys: dict[str, PublicKey], clock: FakeClock
) -> None:
    """A SHA-256 signature sent without CloudFront-Hash-Algorithm is refused with that hint."""
    signer = Signer(rsa_signing_key, hash_algorithm="SHA256", clock=clock)
    cookies = signer.cookies_for(RESOURCE, date_less_than=timedelta(hours=1))
    del cookies[COOKIE_HASH_ALGORITHM]
    decision = verify_request(URL, cookies=cookies, public_keys=keys, now=clock())
    assert decision.reason == "bad_signature"
    assert "verifies with SHA256" in decision.message


# --- signed URLs and canned policies ------------------------------------------------------------


def test_signed_url_ignores_cookies(signer: Signer, keys: dict[str, PublicKey]) -> None:
    """A valid signed URL is allowed whatever broken cookies come with it."""
    url = signer.sign_url(URL, date_less_than=timedelta(hours=1))
    decision = verify_request(
        url,
        cookies={COOKIE_KEY_PAIR_ID: "KNOPE", COOKIE_SIGNATURE: "!!"},
        public_keys=keys,
        now=signer.clock(),
    )
    assert (decision.allowed, decision.mode) == (True, "url")


def test_signed_url_strips_only_signing_params_in_order(
    signer: Signer, keys: dict[str, PublicKey]
) -> None:
    """The resource URL keeps the viewer's own query parameters in their order and encoding."""
    signed = signer.sign_url(URL + "?b=2&a=%2F1", date_less_than=timedelta(hours=1))
    decision = verify_request(signed, public_keys=keys, now=signer.clock())
    assert decision.allowed
    assert decision.url == URL + "?b=2&a=%2F1"


def test_canned_url_with_reordered_query_is_refused(
    signer: Signer, keys: dict[str, PublicKey]
) -> None:
    """A canned signed URL whose query is reordered no longer matches its signature."""
    signed = signer.sign_url(URL + "?b=2&a=1", date_less_than=timedelta(hours=1))
    decision = verify_request(
        signed.replace("?b=2&a=1", "?a=1&b=2"), public_keys=keys, now=signer.clock()
    )
    assert decision.reason == "bad_signature"


def test_custom_url_with_hash_algorithm_sha256(
    rsa_signing_key: SigningKey, keys: dict[str, PublicKey], clock: FakeClock
) -> None:
    """A custom signed URL with Hash-Algorithm=SHA256 verifies with SHA-256."""
    signer = Signer(rsa_signing_key, hash_algorithm="SHA256", clock=clock)
    signed = signer.sign_url(URL, date_less_than=timedelta(hours=1), resource=RESOURCE)
    decision = verify_request(signed, public_keys=keys, now=clock())
    assert (decision.allowed, decision.hash_algorithm) == (True, "SHA256")


def test_canned_cookie_for_another_url_is_refused(
    signer: Signer, keys: dict[str, PublicKey]
) -> None:
    """A canned cookie is valid for the one URL it was signed for."""
    cookies = signer.canned_cookies(URL, date_less_than=timedelta(hours=1))
    decision = verify_request(
        URL.replace("0001", "0002"), cookies=cookies, public_keys=keys, now=signer.clock()
    )
    assert decision.reason == "bad_signature"
    assert "canned" in decision.message


@pytest.mark.parametrize(
    "expires",
    [
        pytest.param("soon", id="word"),
        pytest.param("1.5", id="float"),
        pytest.param("-1", id="negative"),
        pytest.param("99999999999999999999", id="over-int64"),
        pytest.param("", id="empty"),
    ],
)
def test_canned_expires_must_be_an_integer(
    signer: Signer, keys: dict[str, PublicKey], expires: str
) -> None:
    """A canned CloudFront-Expires that is not integer seconds is a malformed policy."""
    cookies = signer.canned_cookies(URL, date_less_than=timedelta(hours=1))
    decision = verify_request(
        URL, cookies={**cookies, COOKIE_EXPIRES: expires}, public_keys=keys, now=signer.clock()
    )
    assert decision.reason == "malformed_policy"


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        pytest.param("policy", "allowed", id="policy"),
        pytest.param("reject", "malformed_policy", id="reject"),
    ],
)
def test_both_policy_and_expires(
    signer: Signer, keys: dict[str, PublicKey], option: Any, reason: str
) -> None:
    """With both CloudFront-Policy and CloudFront-Expires, the policy is used or refused."""
    cookies = signer.cookies_for(RESOURCE, date_less_than=timedelta(hours=1))
    decision = verify_request(
        URL,
        cookies={**cookies, COOKIE_EXPIRES: "1"},
        public_keys=keys,
        now=signer.clock(),
        on_both_policy_and_expires=option,
    )
    assert decision.reason == reason


# --- rotation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keep_old", "reason"),
    [
        pytest.param(True, "allowed", id="old-key-kept"),
        pytest.param(False, "unknown_key", id="old-key-removed"),
    ],
)
def test_rotation(
    rsa_signing_key: SigningKey,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
    keep_old: bool,
    reason: str,
) -> None:
    """Cookies signed by the previous key pass while its public key stays in the ring."""
    old_signer = Signer(SigningKey(OLD_KEY_ID, old_rsa_key), clock=clock)
    cookies = old_signer.cookies_for(RESOURCE, date_less_than=timedelta(hours=1))
    ring = KeyRing(
        rsa_signing_key, verification_keys={OLD_KEY_ID: old_rsa_key} if keep_old else None
    )
    decision = verify_request(URL, cookies=cookies, public_keys=ring, now=clock())
    assert decision.reason == reason


# --- time and IP boundaries ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        pytest.param(-1, "not_yet_valid", id="before-start"),
        pytest.param(0, "not_yet_valid", id="at-start"),
        pytest.param(1, "allowed", id="after-start"),
        pytest.param(599, "allowed", id="before-end"),
        pytest.param(600, "expired", id="at-end"),
    ],
)
def test_time_boundaries(
    signer: Signer, keys: dict[str, PublicKey], clock: FakeClock, offset: int, reason: str
) -> None:
    """Allowed iff DateGreaterThan < now < DateLessThan."""
    start = clock.epoch
    cookies = signer.cookies_for(RESOURCE, date_less_than=start + 600, date_greater_than=start)
    assert (
        verify_request(URL, cookies=cookies, public_keys=keys, now=start + offset).reason == reason
    )


@pytest.mark.parametrize(
    ("client_ip", "reason"),
    [
        pytest.param("192.0.2.200", "allowed", id="inside"),
        pytest.param("::ffff:192.0.2.7", "allowed", id="ipv4-mapped"),
        pytest.param("192.0.3.1", "ip_mismatch", id="outside"),
        pytest.param("2001:db8::1", "ip_mismatch", id="ipv6-never-matches"),
        pytest.param(None, "ip_mismatch", id="unknown-client"),
        pytest.param("testclient", "ip_mismatch", id="not-an-address"),
    ],
)
def test_ip_condition(
    signer: Signer, keys: dict[str, PublicKey], client_ip: str | None, reason: str
) -> None:
    """Only an IPv4 client inside AWS:SourceIp passes the IP condition."""
    cookies = signer.cookies_for(
        RESOURCE, date_less_than=timedelta(hours=1), ip_address="192.0.2.0/24"
    )
    decision = verify_request(
        URL, cookies=cookies, public_keys=keys, client_ip=client_ip, now=signer.clock()
    )
    assert decision.reason == reason


def test_naive_now_is_refused(keys: dict[str, PublicKey]) -> None:
    """A naive datetime for now is a programming error, not a guess."""
    with pytest.raises(exc.NaiveDatetimeError):
        verify_request(URL, public_keys=keys, now=datetime(2026, 1, 1))


# --- resource matching --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "path", "allowed"),
    [
        pytest.param(RESOURCE, "/videos/course-1/a.ts", True, id="folder"),
        pytest.param(RESOURCE, "/videos/course-10/a.ts", False, id="course-1-not-course-10"),
        pytest.param(RESOURCE, "/videos/course-1/a.ts?token=1", True, id="trailing-star-query"),
        pytest.param(
            f"{MEDIA_URL}/videos/course-1/a.ts",
            "/videos/course-1/a.ts?x=1",
            False,
            id="exact-no-query",
        ),
        pytest.param(
            f"{MEDIA_URL}/videos/*.ts", "/videos/course-1/a.ts", True, id="star-crosses-slash"
        ),
        pytest.param(
            f"{MEDIA_URL}/videos/a.ts?v=?", "/videos/a.ts?v=1", True, id="question-one-char"
        ),
        pytest.param(
            f"{MEDIA_URL}/videos/a.ts?v=?", "/videos/a.ts?v=10", False, id="question-not-two"
        ),
        pytest.param(
            f"{MEDIA_URL}/videos/seg-?.ts", "/videos/seg-1.ts", True, id="question-in-path-one-char"
        ),
        pytest.param(
            f"{MEDIA_URL}/videos/seg-?.ts",
            "/videos/seg-10.ts",
            False,
            id="question-not-two-in-path",
        ),
        pytest.param(
            f"{MEDIA_URL}/videos/a.ts\\?v=1", "/videos/a.ts?v=1", True, id="escaped-separator"
        ),
        pytest.param(
            f"{MEDIA_URL}/videos/a.ts\\?v=1", "/videos/a.tsXv=1", False, id="escaped-is-literal"
        ),
        pytest.param(
            f"{MEDIA_URL}/videos/a.ts\\?v=?", "/videos/a.ts?v=2", True, id="escaped-then-wildcard"
        ),
        pytest.param(f"{MEDIA_URL}/videos/a.ts\\?*", "/videos/a.ts", True, id="escaped-star-none"),
        pytest.param(
            f"{MEDIA_URL}/videos/a.ts?v=1", "/videos/a.tsXv=1", True, id="unescaped-is-one-char"
        ),
        pytest.param(
            f"{MEDIA_URL}/videos/*?v=1", "/videos/a.ts?x=1&v=1", False, id="path-star-stays-in-path"
        ),
        pytest.param(
            f"{MEDIA_URL}/videos/a.ts\\?*", "/videos/a.tsx?y=1", False, id="escaped-star-not-path"
        ),
        pytest.param("https://*.example.test/videos/*", "/videos/a.ts", True, id="host-wildcard"),
        pytest.param(
            "https://media.example.test*", "/videos/a.ts?x=1", True, id="host-trailing-star"
        ),
        pytest.param("https://media*/videos/a.ts", "/videos/a.ts", True, id="host-star-in-host"),
        pytest.param("https://media.example.test/vid*", "/videos/a.ts", True, id="path-star"),
        pytest.param("https://other.example.test/*", "/videos/a.ts", False, id="other-host"),
        pytest.param("http://media.example.test/*", "/videos/a.ts", False, id="other-scheme"),
        pytest.param("http*://media.example.test/*", "/videos/a.ts", True, id="http-star-scheme"),
        pytest.param(
            "https://media.example.test/videos/*?lang=en",
            "/videos/a.ts?lang=fr",
            False,
            id="query-section",
        ),
        pytest.param("*", "/anything", True, id="star"),
    ],
)
def test_resource_matching(
    signer: Signer,
    keys: dict[str, PublicKey],
    clock: FakeClock,
    resource: str,
    path: str,
    allowed: bool,
) -> None:
    """Wildcards match within their own section; a trailing path * also covers the query."""
    # Signed as raw JSON: a policy written by any signer, not only what cfcookies would write.
    condition = {"DateLessThan": {"AWS:EpochTime": clock.epoch + 3600}}
    policy = json.dumps({"Statement": [{"Resource": resource, "Condition": condition}]})
    cookies = signer.signed_cookies(policy.encode())
    decision = verify_request(MEDIA_URL + path, cookies=cookies, public_keys=keys, now=clock())
    assert decision.allowed is allowed


def test_missing_resource_matches_everything(
    signer: Signer, keys: dict[str, PublicKey], clock: FakeClock
) -> None:
    """A policy without Resource grants every URL (as CloudFront documents)."""
    policy = Policy(None, clock.epoch + 3600)
    decision = verify_request(
        "https://elsewhere.example.test/x",
        cookies=signer.signed_cookies(policy),
        public_keys=keys,
        now=clock(),
    )
    assert decision.allowed


# --- duplicated cookies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        pytest.param("course-1", "allowed", id="matching-first"),
        pytest.param("course-10", "resource_mismatch", id="other-first"),
    ],
)
def test_duplicated_cookies_first_wins(
    signer: Signer, keys: dict[str, PublicKey], first: str, reason: str
) -> None:
    """With a CloudFront cookie sent twice, the first one in the header is the one used."""
    pairs = {
        name: signer.cookies_for(f"{MEDIA_URL}/videos/{name}/*", date_less_than=timedelta(hours=1))
        for name in ("course-1", "course-10")
    }
    order = [first, "course-10" if first == "course-1" else "course-1"]
    header = "; ".join(
        f"{k}={v}" for course in order for k, v in pairs[course].items() if k != COOKIE_KEY_PAIR_ID
    )
    header += f"; {COOKIE_KEY_PAIR_ID}={RSA_KEY_ID}"
    decision = verify_request(URL, cookies=header, public_keys=keys, now=signer.clock())
    assert decision.reason == reason
    assert any("more than once" in note for note in decision.notes)


# --- never raises, never grants garbage ---------------------------------------------------------

_cookie_names = st.sampled_from(
    [
        COOKIE_POLICY,
        COOKIE_SIGNATURE,
        COOKIE_KEY_PAIR_ID,
        COOKIE_EXPIRES,
        COOKIE_HASH_ALGORITHM,
        "x",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.one_of(st.text(max_size=400), st.binary(max_size=400)), url=st.text(max_size=200))
def test_garbage_header_never_raises_or_grants(
    keys: dict[str, PublicKey], header: str | bytes, url: str
) -> None:
    """Arbitrary Cookie headers and URLs give a refusal, never an exception."""
    decision = verify_request(url, cookies=header, public_keys=keys, client_ip="192.0.2.1")
    assert not decision.allowed


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cookies=st.dictionaries(_cookie_names, st.text(max_size=300), max_size=5),
    query=st.lists(
        st.tuples(
            st.sampled_from(
                ["Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm", "a"]
            ),
            st.text(st.characters(codec="ascii"), max_size=60),
        ),
        max_size=5,
    ),
)
def test_garbage_values_never_raise_or_grant(
    keys: dict[str, PublicKey], cookies: dict[str, str], query: list[tuple[str, str]]
) -> None:
    """Arbitrary CloudFront cookie values and signed-URL parameters are refused, never raised."""
    cookies.setdefault(COOKIE_KEY_PAIR_ID, RSA_KEY_ID)
    url = URL + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    decision = verify_request(url, cookies=cookies, public_keys=keys)
    assert not decision.allowed


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=12), children, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_odd_json_policies_are_malformed_not_crashes(
    keys: dict[str, PublicKey], payload: object
) -> None:
    """Any JSON document sent as a policy is refused without an exception."""
    policy = cf_b64encode(json.dumps(payload).encode())
    cookies = {COOKIE_POLICY: policy, COOKIE_SIGNATURE: "AAAA", COOKIE_KEY_PAIR_ID: RSA_KEY_ID}
    decision = verify_request(URL, cookies=cookies, public_keys=keys)
    assert decision.reason in ("malformed_policy", "bad_signature")


def test_huge_header_is_refused(keys: dict[str, PublicKey]) -> None:
    """A megabyte of cookies is refused as missing, not parsed."""
    header = f"{COOKIE_SIGNATURE}=" + "A" * 1_000_000
    assert verify_request(URL, cookies=header, public_keys=keys).reason == "missing_key_pair_id"


def test_hash_algorithm_alone_is_not_a_signed_url(
    signer: Signer, keys: dict[str, PublicKey]
) -> None:
    """A URL with only Hash-Algorithm is judged on its cookies, the parameter staying in it."""
    cookies = signer.cookies_for(RESOURCE, date_less_than=timedelta(hours=1))
    decision = verify_request(
        URL + "?Hash-Algorithm=SHA1", cookies=cookies, public_keys=keys, now=signer.clock()
    )
    assert (decision.mode, decision.allowed) == ("cookie", True)
    assert decision.url == URL + "?Hash-Algorithm=SHA1"


def test_expired_signed_url(signer: Signer, keys: dict[str, PublicKey], clock: FakeClock) -> None:
    """A canned signed URL past its Expires is refused as expired."""
    url = signer.sign_url(URL, date_less_than=timedelta(seconds=30))
    decision = verify_request(url, public_keys=keys, now=clock.epoch + 30)
    assert (decision.mode, decision.reason) == ("url", "expired")
