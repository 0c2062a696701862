"""Edge revocation: the session cookie, the CloudFront Function, the deny-lists, the AWS calls."""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from cfcookies import _cli_revocation, aws, revocation
from cfcookies.aws import KeyValueStoreDenyList, kvs
from cfcookies.exceptions import (
    AWSError,
    ConfigurationError,
    NaiveDatetimeError,
    PolicyTimeError,
    VerificationError,
)
from cfcookies.revocation import (
    ForgedSessionError,
    LocalDenyList,
    MalformedSessionError,
    MissingSessionError,
    SessionCookieError,
    SessionExpiredError,
    SessionRevokedError,
    SessionSecrets,
    check_session_cookie,
    function_code,
    mint_session_cookie,
    verify_session_cookie,
)

SECRET = "s" * 10 + "e" * 10 + "c" * 10 + "r" * 13
OLD_SECRET = "o" * 43
OTHER_SECRET = "x" * 43
START = datetime(2030, 1, 1, tzinfo=timezone.utc)
NOW = int(START.timestamp())
#: A CloudFront-Policy cookie value the session cookies of these tests are bound to, and another.
POLICY = "eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly9tL2EvKiJ9XX0_"
OTHER_POLICY = "eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly9tL2IvKiJ9XX0_"
KVS_ARN = "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
FUNCTION_ARN = "arn:aws:cloudfront::123456789012:function/cfcookies-revocation"
NODE = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)
#: Debian's njs: the engine family of cloudfront-js-2.0 (ES5.1 plus later additions, not Node).
NJS = shutil.which("njs")
HARNESS = Path(__file__).parent / "node" / "cloudfront_function_harness.mjs"
NJS_HARNESS = Path(__file__).parent / "node" / "cloudfront_function_harness_njs.js"
NJS_MODULES = Path(__file__).parent / "node" / "njs_modules"
#: The engines the function's tests run under: Node, then njs, whose gaps are CloudFront's.
ENGINES = [
    pytest.param("node", marks=pytest.mark.node, id="node"),
    pytest.param("njs", id="njs"),
]
ACCESS_DENIED = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    "<Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>"
)


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


def mint(
    sid: str = "sess-1",
    uid: str | None = "user_1",
    *,
    lifetime: int = 600,
    at: int = NOW,
    secret: str = SECRET,
    policy: str = POLICY,
    issued_at: int | None = None,
) -> str:
    clock = FakeClock(datetime.fromtimestamp(at, timezone.utc))
    return mint_session_cookie(
        session_id=sid,
        user_id=uid,
        expires=timedelta(seconds=lifetime),
        secrets=SessionSecrets(secret),
        policy=policy,
        issued_at=issued_at,
        clock=clock,
    )


SECRETS = SessionSecrets(SECRET, previous=OLD_SECRET)


# --- the cookie in Python -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uid", "expected_uid"),
    [
        pytest.param("user_1", "user_1", id="with-user"),
        pytest.param(None, None, id="without-user"),
    ],
)
def test_minted_cookie_verifies_and_says_who_and_when(
    uid: str | None, expected_uid: str | None
) -> None:
    """A freshly minted cookie verifies and carries its session, user and times."""
    token = verify_session_cookie(mint(uid=uid), secrets=SECRETS, policy=POLICY, now=NOW + 1)
    assert (token.session_id, token.user_id) == ("sess-1", expected_uid)
    assert (token.issued_at, token.expires) == (NOW, NOW + 600)
    assert token.expires_datetime == START + timedelta(seconds=600)


def test_cookie_signed_with_previous_secret_still_verifies() -> None:
    """During a rotation, cookies signed with the previous secret are accepted."""
    token = verify_session_cookie(mint(secret=OLD_SECRET), secrets=SECRETS, policy=POLICY, now=NOW)
    assert token.session_id == "sess-1"


def test_cookie_signed_with_unknown_secret_is_forged() -> None:
    """A cookie signed with a secret the verifier does not hold is rejected as forged."""
    with pytest.raises(ForgedSessionError):
        verify_session_cookie(mint(secret=OTHER_SECRET), secrets=SECRETS, policy=POLICY, now=NOW)


def test_cookie_is_expired_from_its_expiry_second_on() -> None:
    """At the expiry second the cookie is refused and the error carries both times."""
    verify_session_cookie(mint(), secrets=SECRETS, policy=POLICY, now=NOW + 599)
    with pytest.raises(SessionExpiredError) as info:
        verify_session_cookie(mint(), secrets=SECRETS, policy=POLICY, now=NOW + 600)
    assert (info.value.expires, info.value.now) == (NOW + 600, NOW + 600)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda v: v.replace("sess-1", "sess-2", 1), id="session-id"),
        pytest.param(lambda v: v.replace("user_1", "user_2", 1), id="user-id"),
        pytest.param(lambda v: v.replace("user_1", "", 1), id="user-removed"),
        pytest.param(lambda v: v.replace(str(NOW + 600), str(NOW + 6000), 1), id="expiry"),
        pytest.param(lambda v: v.replace(str(NOW), str(NOW + 1), 1), id="issued-at"),
        pytest.param(lambda v: v[:-1] + ("A" if v[-1] != "A" else "B"), id="mac-last-character"),
    ],
)
def test_changed_cookie_is_forged(tamper: Any) -> None:
    """Changing any field of a cookie breaks its MAC."""
    with pytest.raises(ForgedSessionError):
        verify_session_cookie(tamper(mint()), secrets=SECRETS, policy=POLICY, now=NOW)


GOOD = mint()
GOOD_MAC = GOOD.rsplit(".", 1)[1]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param(None, MissingSessionError, id="absent"),
        pytest.param("", MissingSessionError, id="empty"),
        pytest.param(b"sess.u.1.2.mac", MalformedSessionError, id="bytes"),
        pytest.param("a.b.c", MalformedSessionError, id="three-parts"),
        pytest.param(GOOD + ".x", MalformedSessionError, id="six-parts"),
        pytest.param(f"s!d.u.{NOW}.{NOW + 9}.{GOOD_MAC}", MalformedSessionError, id="bad-sid"),
        pytest.param(f".u.{NOW}.{NOW + 9}.{GOOD_MAC}", MalformedSessionError, id="empty-sid"),
        pytest.param(
            f"{'a' * 65}.u.{NOW}.{NOW + 9}.{GOOD_MAC}", MalformedSessionError, id="long-sid"
        ),
        pytest.param(f"s.u.0{NOW}.{NOW + 9}.{GOOD_MAC}", MalformedSessionError, id="leading-zero"),
        pytest.param(f"s.u.{NOW}.-{NOW}.{GOOD_MAC}", MalformedSessionError, id="negative"),
        pytest.param(f"s.u.{NOW}.١٢٣.{GOOD_MAC}", MalformedSessionError, id="arabic-digits"),
        pytest.param(
            f"s.u.{NOW + 9}.{NOW}.{GOOD_MAC}", MalformedSessionError, id="issued-after-end"
        ),
        pytest.param(f"s.u.{NOW}.{NOW + 9}.{GOOD_MAC}=", MalformedSessionError, id="padded-mac"),
        pytest.param(f"s.u.{NOW}.{NOW + 9}.{GOOD_MAC[:-1]}+", MalformedSessionError, id="plus-mac"),
        pytest.param(f"s.u.1.99999999999.{GOOD_MAC}", MalformedSessionError, id="ms-expiry"),
        pytest.param("s." * 200, MalformedSessionError, id="too-long"),
    ],
)
def test_malformed_cookie_is_refused_as_malformed(value: object, error: type[Exception]) -> None:
    """Values that are not a session token are refused before any MAC is computed."""
    with pytest.raises(error):
        verify_session_cookie(value, secrets=SECRETS, policy=POLICY, now=NOW)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=50), st.integers(), st.none()))
def test_any_client_value_raises_only_session_errors(value: object) -> None:
    """Whatever the client sends, verification fails with a SessionCookieError, never a crash."""
    with pytest.raises(SessionCookieError):
        verify_session_cookie(value, secrets=SECRETS, policy=POLICY, now=NOW)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(GOOD) - 1), st.characters(codec="ascii"))
def test_any_single_character_change_is_refused(position: int, char: str) -> None:
    """Replacing any one character of a valid cookie by another makes it fail verification."""
    if GOOD[position] == char:
        return
    tampered = GOOD[:position] + char + GOOD[position + 1 :]
    with pytest.raises(SessionCookieError):
        verify_session_cookie(tampered, secrets=SECRETS, policy=POLICY, now=NOW)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"session_id": "has space"}, ConfigurationError, id="bad-session-id"),
        pytest.param({"session_id": "x" * 65}, ConfigurationError, id="long-session-id"),
        pytest.param({"user_id": "a.b"}, ConfigurationError, id="dot-in-user-id"),
        pytest.param({"user_id": ""}, ConfigurationError, id="empty-user-id"),
        pytest.param({"expires": datetime(2030, 1, 2)}, NaiveDatetimeError, id="naive-expiry"),
        pytest.param({"expires": NOW}, PolicyTimeError, id="expiry-now"),
        pytest.param({"expires": NOW * 1000}, PolicyTimeError, id="milliseconds"),
        pytest.param({"secrets": SECRET}, ConfigurationError, id="secret-not-wrapped"),
    ],
)
def test_minting_rejects_bad_arguments(kwargs: dict[str, Any], error: type[Exception]) -> None:
    """Minting refuses ids outside the safe charset, naive or past expiries, raw secrets."""
    arguments: dict[str, Any] = {
        "session_id": "sess-1",
        "user_id": "user_1",
        "expires": NOW + 60,
        "secrets": SECRETS,
        "policy": POLICY,
        "clock": FakeClock(),
    }
    arguments.update(kwargs)
    with pytest.raises(error):
        mint_session_cookie(**arguments)


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("short", id="too-short"),
        pytest.param("a" * 31, id="31-characters"),
        pytest.param("a b" * 20, id="space"),
        pytest.param("é" * 40, id="non-ascii"),
    ],
)
def test_weak_secret_is_refused_without_showing_it(secret: str) -> None:
    """A secret that is too short or not printable ASCII is refused and not echoed."""
    with pytest.raises(ConfigurationError) as info:
        SessionSecrets(secret)
    assert secret not in str(info.value)


def test_secrets_never_appear_in_repr() -> None:
    """The repr of SessionSecrets hides both secrets."""
    text = repr(SECRETS)
    assert SECRET not in text
    assert OLD_SECRET not in text
    assert "<hidden>" in text


def test_generated_secret_and_session_id_are_accepted() -> None:
    """generate_secret and new_session_id produce values mint and verify accept."""
    secrets = SessionSecrets(revocation.generate_secret())
    sid = revocation.new_session_id()
    value = mint_session_cookie(
        session_id=sid, expires=NOW + 60, secrets=secrets, policy=POLICY, clock=FakeClock()
    )
    assert verify_session_cookie(value, secrets=secrets, policy=POLICY, now=NOW).session_id == sid


def test_session_errors_are_verification_errors_with_access_denied_code() -> None:
    """Session cookie failures are VerificationErrors that map to CloudFront's AccessDenied."""
    with pytest.raises(VerificationError) as info:
        verify_session_cookie("", secrets=SECRETS, policy=POLICY, now=NOW)
    assert info.value.code == "AccessDenied"
    assert info.value.reason == "session_missing"


# --- the CloudFront Function --------------------------------------------------------------------


def test_function_fits_cloudfront_size_quota() -> None:
    """The generated function stays under CloudFront's 10 KB function size quota."""
    code = function_code(
        cookie_name="C" * 128,
        kvs_secret_key="k" * 200,
        kvs_previous_secret_key="p" * 200,
        key_prefix="x" * 64,
    )
    assert len(code.encode("utf-8")) < revocation.MAX_FUNCTION_SIZE


@pytest.mark.parametrize(
    "forbidden",
    [
        pytest.param("eval(", id="eval"),
        pytest.param("Function(", id="function-constructor"),
        pytest.param("setTimeout", id="timers"),
        pytest.param("fetch(", id="network"),
        pytest.param("require(", id="require"),
        pytest.param("Promise.all", id="promise-combinators"),
        pytest.param(".then(", id="promise-chains"),
        pytest.param("timingSafeEqual", id="undocumented-crypto"),
    ],
)
def test_function_uses_only_documented_runtime_features(forbidden: str) -> None:
    """The function avoids what CloudFront Functions lack or warn against."""
    assert forbidden not in function_code()


def test_function_imports_cloudfront_and_crypto_modules() -> None:
    """The function reads the store through cf.kvs() and hashes through crypto.createHmac."""
    code = function_code()
    assert "import cf from 'cloudfront';" in code
    assert "import crypto from 'crypto';" in code
    assert "crypto.createHmac('sha256'" in code
    assert "async function handler(event)" in code


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"cookie_name": "bad name"}, id="cookie-name-space"),
        pytest.param({"cookie_name": "x';alert(1);'"}, id="cookie-name-quote"),
        pytest.param({"kvs_secret_key": ""}, id="empty-secret-key"),
        pytest.param({"kvs_secret_key": "k\n"}, id="newline-secret-key"),
        pytest.param({"kvs_previous_secret_key": revocation.DEFAULT_SECRET_KEY}, id="same-keys"),
        pytest.param({"key_prefix": "x" * 65}, id="long-prefix"),
        pytest.param({"key_prefix": "a'b"}, id="quote-prefix"),
    ],
)
def test_function_options_are_validated(kwargs: dict[str, str]) -> None:
    """Options that could break or inject into the JavaScript are refused."""
    with pytest.raises(ConfigurationError):
        function_code(**kwargs)


def _event(cookies: dict[str, str]) -> dict[str, Any]:
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request", "distributionId": "EDFDVBD6EXAMPLE"},
        "viewer": {"ip": "198.51.100.7"},
        "request": {
            "method": "GET",
            "uri": "/videos/course-1/seg-0001.ts",
            "querystring": {"quality": {"value": "hd"}},
            "headers": {"host": {"value": "media.example.test"}},
            "cookies": {name: {"value": value} for name, value in cookies.items()},
        },
    }


def _engine_or_skip(engine: str) -> str:
    """The engine's executable, or skip (fail when CFCOOKIES_REQUIRE_<ENGINE>=1) with the reason."""
    executable = NODE if engine == "node" else NJS
    if executable is None:
        variable = f"CFCOOKIES_REQUIRE_{engine.upper()}"
        reason = f"{engine} is not installed: the CloudFront Function cannot be run under it"
        if engine == "njs":
            reason += " (apt-get install njs; .ci/run does)"
        if os.environ.get(variable) == "1":
            pytest.fail(f"{variable}=1 but {reason}")
        pytest.skip(reason)
    return executable


def run_engine(
    code: str, cases: list[dict[str, Any]], engine: str
) -> subprocess.CompletedProcess[str]:
    """Run the function on the cases under Node (stand-ins spliced in through data: URLs) or njs
    (which imports only files: the function is written to a folder on its module path)."""
    executable = _engine_or_skip(engine)
    payload = json.dumps({"code": code, "cases": cases})
    if engine == "node":
        return subprocess.run(
            [executable, str(HARNESS)],
            input=payload,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    with tempfile.TemporaryDirectory(prefix="cfcookies-njs-") as folder:
        module = Path(folder) / "cfcookies_function.js"
        module.write_text(code + "\nexport default handler;\n", encoding="utf-8")
        cases_file = Path(folder) / "cases.json"
        cases_file.write_text(payload, encoding="utf-8")
        command = [executable, "-p", str(NJS_MODULES), "-p", folder, str(NJS_HARNESS)]
        return subprocess.run(
            [*command, str(cases_file)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def run_function(
    code: str,
    cases: list[tuple[dict[str, Any], dict[str, str], int]]
    | list[tuple[dict[str, Any], dict[str, str], int, tuple[str, ...]]],
    engine: str = "node",
) -> list[dict[str, Any]]:
    completed = run_engine(
        code,
        [
            {"event": c[0], "kvs": c[1], "now": c[2], "fail": list(c[3]) if len(c) > 3 else []}
            for c in cases
        ],
        engine,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    return results


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Node, then njs: a feature only Node has fails the njs run before it fails a deployment."""
    return str(request.param)


def _secret_store(**extra: str) -> dict[str, str]:
    return {revocation.DEFAULT_SECRET_KEY: SECRET, **extra}


@dataclass
class EdgeCase:
    cookie: str | None
    kvs: dict[str, str]
    now: int = NOW + 10
    allowed: bool = False
    extra_cookies: dict[str, str] = field(default_factory=dict)
    policy: str | None = POLICY  # the CloudFront-Policy cookie sent beside it
    failing: tuple[str, ...] = ()  # store keys whose reads fail (not absent: an error)


EDGE_CASES = [
    pytest.param(EdgeCase(mint(), _secret_store(), allowed=True), id="valid"),
    pytest.param(EdgeCase(mint(uid=None), _secret_store(), allowed=True), id="valid-no-user"),
    pytest.param(
        EdgeCase(
            mint(),
            _secret_store(),
            allowed=True,
            extra_cookies={"CloudFront-Signature": "x~y", "CloudFront-Key-Pair-Id": "K1"},
        ),
        id="valid-among-cloudfront-cookies",
    ),
    pytest.param(EdgeCase(None, _secret_store()), id="missing-cookie"),
    pytest.param(EdgeCase(mint(), _secret_store(), policy=None), id="no-policy-cookie"),
    pytest.param(
        EdgeCase(mint(), _secret_store(), policy=OTHER_POLICY),
        id="borrowed-beside-another-sessions-policy",
    ),
    pytest.param(
        EdgeCase(mint(policy=OTHER_POLICY), _secret_store()),
        id="own-session-cookie-beside-a-victims-policy",
    ),
    pytest.param(EdgeCase(mint(), _secret_store(), policy="a b"), id="policy-not-base64"),
    pytest.param(
        EdgeCase(mint(), _secret_store(), failing=("revoked:sess-1",)),
        id="store-error-on-session-entry-denies",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(), failing=("revoked-user:user_1",)),
        id="store-error-on-user-entry-denies",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(), failing=(revocation.DEFAULT_SECRET_KEY,)),
        id="store-error-on-secret-denies",
    ),
    pytest.param(
        EdgeCase(
            mint(at=NOW + 7200, issued_at=NOW),
            _secret_store(**{"revoked-user:user_1": f"{NOW + 9000}.{NOW + 5}"}),
            now=NOW + 7210,
        ),
        id="renewed-cookie-keeps-its-session-start-and-meets-the-user-cut-off",
    ),
    pytest.param(EdgeCase(None, _secret_store(), extra_cookies={"other": "1"}), id="other-cookie"),
    pytest.param(EdgeCase(mint(secret=OTHER_SECRET), _secret_store()), id="forged-mac"),
    pytest.param(EdgeCase(GOOD[:-1] + "A", _secret_store()), id="tampered-mac"),
    pytest.param(EdgeCase("not-a-token", _secret_store()), id="garbage"),
    pytest.param(EdgeCase(mint(), _secret_store(), now=NOW + 600), id="expired"),
    pytest.param(EdgeCase(mint(), {}), id="store-missing-secret"),
    pytest.param(
        EdgeCase(mint(), {revocation.DEFAULT_SECRET_KEY: "short"}), id="store-secret-too-short"
    ),
    pytest.param(
        EdgeCase(
            mint(secret=OLD_SECRET),
            _secret_store(**{revocation.DEFAULT_PREVIOUS_SECRET_KEY: OLD_SECRET}),
            allowed=True,
        ),
        id="rotation-previous-secret",
    ),
    pytest.param(
        EdgeCase(mint(secret=OLD_SECRET), _secret_store()), id="rotation-finished-old-refused"
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(**{"revoked:sess-1": str(NOW + 3600)})),
        id="revoked-session",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(**{"revoked:sess-1": str(NOW + 5)}), allowed=True),
        id="stale-session-entry-ignored",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(**{"revoked:sess-2": str(NOW + 3600)}), allowed=True),
        id="other-session-revoked",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(**{"revoked:sess-1": "garbage"})),
        id="unreadable-entry-denies",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(**{"revoked-user:user_1": f"{NOW + 3600}.{NOW + 5}"})),
        id="revoked-user",
    ),
    pytest.param(
        EdgeCase(
            mint(at=NOW + 6, lifetime=300),
            _secret_store(**{"revoked-user:user_1": f"{NOW + 3600}.{NOW + 5}"}),
            allowed=True,
        ),
        id="user-signed-in-again-after-revocation",
    ),
    pytest.param(
        EdgeCase(
            mint(at=NOW + 6, lifetime=300),
            _secret_store(**{"revoked-user:user_1": f"{NOW + 3600}.{NOW + 3600}"}),
        ),
        id="banned-user",
    ),
    pytest.param(
        EdgeCase(
            mint(uid=None),
            _secret_store(**{"revoked-user:user_1": f"{NOW + 3600}.{NOW + 3600}"}),
            allowed=True,
        ),
        id="cookie-without-user-ignores-user-entries",
    ),
]


@pytest.mark.parametrize("case", EDGE_CASES)
def test_function_decides_like_python_check(case: EdgeCase, engine: str) -> None:
    """The function lets the request through unchanged or answers 403 AccessDenied XML, under
    Node and under njs, and the Python check with the same store decides the same."""
    cookies = dict(case.extra_cookies)
    if case.policy is not None:
        cookies["CloudFront-Policy"] = case.policy
    if case.cookie is not None:
        cookies[revocation.SESSION_COOKIE] = case.cookie
    event = _event(cookies)
    [outcome] = run_function(function_code(), [(event, case.kvs, case.now, case.failing)], engine)
    assert "error" not in outcome, outcome
    if case.allowed:
        assert outcome["result"] == event["request"]
    else:
        assert outcome["result"] == {
            "statusCode": 403,
            "statusDescription": "Forbidden",
            "headers": {
                "content-type": {"value": "text/xml"},
                "cache-control": {"value": "no-store"},
            },
            "body": {"encoding": "text", "data": ACCESS_DENIED},
        }
    python_allowed = _python_decision(cookies, case.kvs, case.now, case.failing)
    assert python_allowed == case.allowed


class _FailingDenyList(LocalDenyList):
    """A deny-list whose reads of some keys fail, as a store in trouble does."""

    def __init__(self, entries: dict[str, str], failing: tuple[str, ...]) -> None:
        super().__init__()
        self._entries.update(entries)
        self.failing = failing

    def is_revoked(self, session_id: str, user_id: str | None, *, issued_at: int, now: int) -> bool:
        if any(key in self.failing for key in self._keys_for(session_id, user_id)):
            raise OSError("the store could not be read")
        return super().is_revoked(session_id, user_id, issued_at=issued_at, now=now)


def _python_decision(
    cookies: dict[str, str], kvs: dict[str, str], now: int, failing: tuple[str, ...] = ()
) -> bool:
    current = kvs.get(revocation.DEFAULT_SECRET_KEY)
    previous = kvs.get(revocation.DEFAULT_PREVIOUS_SECRET_KEY)
    if current is None or len(current) < 32 or revocation.DEFAULT_SECRET_KEY in failing:
        return False
    deny_list = _FailingDenyList(kvs, failing)
    try:
        check_session_cookie(
            cookies,
            secrets=SessionSecrets(current, previous=previous),
            deny_list=deny_list,
            now=now,
        )
    except SessionCookieError:
        return False
    return True


def test_function_reads_nothing_for_a_request_without_cookie(engine: str) -> None:
    """A request without the session cookie is refused before any KeyValueStore read."""
    [outcome] = run_function(function_code(), [(_event({}), _secret_store(), NOW)], engine)
    assert outcome["reads"] == []
    assert outcome["result"]["statusCode"] == 403


def test_function_honours_custom_names_and_prefix(engine: str) -> None:
    """A renamed cookie, renamed secret keys and a key prefix are all used by the function."""
    code = function_code(
        cookie_name="Edge-Session",
        kvs_secret_key="app1/secret",
        kvs_previous_secret_key="app1/secret-old",
        key_prefix="app1/",
    )
    kvs = {"app1/secret": SECRET, "app1/revoked:sess-2": str(NOW + 3600)}
    outcomes = run_function(
        code,
        [
            (_event({"Edge-Session": mint(), "CloudFront-Policy": POLICY}), kvs, NOW),
            (_event({"Edge-Session": mint("sess-2"), "CloudFront-Policy": POLICY}), kvs, NOW),
            (_event({revocation.SESSION_COOKIE: mint(), "CloudFront-Policy": POLICY}), kvs, NOW),
        ],
        engine,
    )
    assert [o["result"].get("statusCode") for o in outcomes] == [None, 403, 403]
    assert outcomes[0]["reads"] == [
        "app1/secret",
        "app1/revoked:sess-1",
        "app1/revoked-user:user_1",
    ]


#: Edits that make the function use what Node has and cloudfront-js-2.0 lacks, with what njs says
#: when it refuses to load the result (None: it loads, throws inside the handler, and denies).
NODE_ONLY_VARIANTS = [
    pytest.param(
        "return same(crypto.createHmac('sha256', secret).update(payload)"
        ".digest('base64url'), mac);",
        "return crypto.timingSafeEqual(Buffer.from(crypto.createHmac('sha256', secret)"
        ".update(payload).digest('base64url')), Buffer.from(mac));",
        None,
        id="node-crypto-timingSafeEqual",
    ),
    pytest.param(
        "return event.request;",
        "return structuredClone(event.request);",
        None,
        id="node-global-structuredClone",
    ),
    pytest.param(
        "import crypto from 'crypto';",
        "import crypto from 'node:crypto';",
        'Cannot find module "node:crypto"',
        id="node-prefixed-module",
    ),
    pytest.param(
        "var secret = await kvs.get(SECRET_KEY, { format: 'string' });\n"
        "    if (!valid(secret, payload, p[4])) {",
        "var secret = null;\n"
        "    if (!valid(await kvs.get(SECRET_KEY, { format: 'string' }), payload, p[4])) {",
        "await in arguments not supported",
        id="await-in-call-arguments",
    ),
]


@pytest.mark.node
@pytest.mark.parametrize(("original", "variant", "load_error"), NODE_ONLY_VARIANTS)
def test_njs_fails_a_function_only_node_can_run(
    original: str, variant: str, load_error: str | None
) -> None:
    """A function using a Node-only feature lets a valid request through under Node, and under
    njs either does not load (with njs's own message) or denies: the two engines differ."""
    code = function_code()
    assert code.count(original) == 1, "the function changed: update this variant"
    code = code.replace(original, variant)
    event = _event({revocation.SESSION_COOKIE: mint(), "CloudFront-Policy": POLICY})
    cases = [{"event": event, "kvs": _secret_store(), "now": NOW + 10, "fail": []}]
    under_node = run_engine(code, cases, "node")
    assert under_node.returncode == 0, under_node.stderr
    assert json.loads(under_node.stdout)[0]["result"] == event["request"]
    under_njs = run_engine(code, cases, "njs")
    output = under_njs.stdout + under_njs.stderr
    if load_error is None:
        assert under_njs.returncode == 0, output
        assert json.loads(under_njs.stdout)[0]["result"]["statusCode"] == 403
    else:
        assert under_njs.returncode != 0
        assert load_error in output


@pytest.mark.parametrize("name", ["node", "njs"])
@pytest.mark.parametrize(
    ("require", "outcome"),
    [
        pytest.param("1", pytest.fail.Exception, id="required-fails"),
        pytest.param("", pytest.skip.Exception, id="optional-skips"),
    ],
)
def test_missing_engine_skips_or_fails(
    monkeypatch: pytest.MonkeyPatch, name: str, require: str, outcome: type[BaseException]
) -> None:
    """Without the engine its runs skip, or fail when CFCOOKIES_REQUIRE_NODE / _NJS is 1."""
    monkeypatch.setattr(f"{__name__}.{name.upper()}", None)
    monkeypatch.setenv(f"CFCOOKIES_REQUIRE_{name.upper()}", require)
    with pytest.raises(outcome, match=f"{name} is not installed"):
        _engine_or_skip(name)


# --- LocalDenyList ------------------------------------------------------------------------------


def test_local_revoked_session_is_denied_until_its_end() -> None:
    """A revoked session is denied until `until`, then the entry no longer applies."""
    clock = FakeClock()
    deny = LocalDenyList(clock=clock)
    deny.revoke_session("sess-1", until=timedelta(minutes=10))
    assert deny.is_revoked("sess-1", None, issued_at=NOW - 5, now=NOW)
    assert not deny.is_revoked("sess-2", None, issued_at=NOW - 5, now=NOW)
    assert not deny.is_revoked("sess-1", None, issued_at=NOW - 5, now=NOW + 600)


def test_local_revoked_user_allows_sessions_issued_later() -> None:
    """Revoking a user denies sessions issued until now, and not the ones issued after."""
    clock = FakeClock()
    deny = LocalDenyList(clock=clock)
    deny.revoke_user("user_1", until=timedelta(hours=1))
    assert deny.is_revoked("any", "user_1", issued_at=NOW, now=NOW + 1)
    assert not deny.is_revoked("any", "user_1", issued_at=NOW + 1, now=NOW + 2)
    assert not deny.is_revoked("any", None, issued_at=NOW, now=NOW + 1)


def test_local_banned_user_is_denied_even_for_new_sessions() -> None:
    """With issued_before=until, even sessions issued later are denied until the end."""
    clock = FakeClock()
    deny = LocalDenyList(clock=clock)
    deny.revoke_user("user_1", until=NOW + 3600, issued_before=NOW + 3600)
    assert deny.is_revoked("s", "user_1", issued_at=NOW + 100, now=NOW + 100)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(
            lambda d: d.revoke_session("sess-1", until=NOW), PolicyTimeError, id="until-now"
        ),
        pytest.param(
            lambda d: d.revoke_session("sess-1", until=datetime(2031, 1, 1)),
            NaiveDatetimeError,
            id="naive-until",
        ),
        pytest.param(
            lambda d: d.revoke_user("u", until=NOW + 9, issued_before=NOW + 10),
            PolicyTimeError,
            id="cutoff-after-end",
        ),
        pytest.param(
            lambda d: d.revoke_session("a/b", until=NOW + 9), ConfigurationError, id="bad-id"
        ),
    ],
)
def test_local_revocation_rejects_bad_arguments(call: Any, error: type[Exception]) -> None:
    """Revocation refuses past or naive ends, a cutoff after the end and unsafe ids."""
    with pytest.raises(error):
        call(LocalDenyList(clock=FakeClock()))


def test_local_file_is_shared_between_instances(tmp_path: Path) -> None:
    """An entry written by one LocalDenyList is seen by another over the same file."""
    path = tmp_path / "deny.json"
    app = LocalDenyList(path=path, clock=FakeClock())
    edge = LocalDenyList(path=path, clock=FakeClock())
    assert not edge.is_revoked("sess-1", "user_1", issued_at=NOW, now=NOW)
    app.revoke_session("sess-1", until=NOW + 60)
    assert edge.is_revoked("sess-1", "user_1", issued_at=NOW, now=NOW)
    edge.revoke_user("user_9", until=NOW + 60)
    assert set(app.entries()) == {"revoked:sess-1", "revoked-user:user_9"}


def test_local_file_keeps_every_concurrent_write(tmp_path: Path) -> None:
    """Writers in several threads and instances never lose each other's entries."""
    path = tmp_path / "deny.json"
    lists = [LocalDenyList(path=path, clock=FakeClock()) for _ in range(4)]

    def work(index: int) -> None:
        for n in range(25):
            lists[index].revoke_session(f"s{index}-{n}", until=NOW + 60)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(LocalDenyList(path=path).entries()) == 100


def test_local_purge_deletes_only_stale_entries(tmp_path: Path) -> None:
    """purge_expired removes entries whose end has passed and keeps the others."""
    clock = FakeClock()
    deny = LocalDenyList(path=tmp_path / "d.json", clock=clock)
    deny.revoke_session("old", until=NOW + 10)
    deny.revoke_session("new", until=NOW + 100)
    clock.advance(10)
    assert deny.purge_expired() == 1
    assert list(deny.entries()) == ["revoked:new"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("not json", id="not-json"),
        pytest.param('{"entries": [1]}', id="entries-not-object"),
        pytest.param('{"entries": {"k": 1}}', id="value-not-string"),
        pytest.param("[]", id="array"),
    ],
)
def test_local_corrupt_file_is_a_configuration_error(tmp_path: Path, content: str) -> None:
    """A deny-list file that is not one raises ConfigurationError naming the file."""
    path = tmp_path / "deny.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=r"deny\.json"):
        LocalDenyList(path=path).is_revoked("s", None, issued_at=NOW, now=NOW)


def test_local_deny_list_is_a_deny_list() -> None:
    """LocalDenyList satisfies the DenyList protocol."""
    assert isinstance(LocalDenyList(), revocation.DenyList)


def test_check_session_cookie_reports_revocation() -> None:
    """The Python edge check raises SessionRevokedError naming the session and the user."""
    deny = LocalDenyList(clock=FakeClock())
    deny.revoke_session("sess-1", until=NOW + 60)
    with pytest.raises(SessionRevokedError) as info:
        check_session_cookie(
            {revocation.SESSION_COOKIE: mint(), "CloudFront-Policy": POLICY},
            secrets=SECRETS,
            deny_list=deny,
            now=NOW,
        )
    assert (info.value.session_id, info.value.user_id) == ("sess-1", "user_1")


# --- KeyValueStoreDenyList through botocore's Stubber -------------------------------------------


@pytest.fixture
def kvs_client() -> Iterator[tuple[Any, Stubber]]:
    session = botocore.session.get_session()
    client = session.create_client(
        "cloudfront-keyvaluestore",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-real-secret",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _describe(stubber: Stubber, etag: str) -> None:
    stubber.add_response(
        "describe_key_value_store",
        {
            "ItemCount": 1,
            "TotalSizeInBytes": 10,
            "KvsARN": KVS_ARN,
            "Created": START,
            "ETag": etag,
        },
        {"KvsARN": KVS_ARN},
    )


def _updated(stubber: Stubber, if_match: str, etag: str, **params: Any) -> None:
    stubber.add_response(
        "update_keys",
        {"ItemCount": 1, "TotalSizeInBytes": 10, "ETag": etag},
        {"KvsARN": KVS_ARN, "IfMatch": if_match, **params},
    )


def test_kvs_revoke_session_writes_entry_with_etag(kvs_client: tuple[Any, Stubber]) -> None:
    """Revoking a session describes the store for its ETag, then puts the entry with it."""
    client, stubber = kvs_client
    _describe(stubber, "ETAG1")
    _updated(stubber, "ETAG1", "ETAG2", Puts=[{"Key": "revoked:sess-1", "Value": str(NOW + 60)}])
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock()).revoke_session(
        "sess-1", until=NOW + 60
    )


def test_kvs_revoke_user_stores_end_and_cutoff(kvs_client: tuple[Any, Stubber]) -> None:
    """Revoking a user stores `<until>.<issued before>` under the prefixed user key."""
    client, stubber = kvs_client
    _describe(stubber, "E1")
    _updated(
        stubber, "E1", "E2", Puts=[{"Key": "app/revoked-user:user_1", "Value": f"{NOW + 60}.{NOW}"}]
    )
    deny = KeyValueStoreDenyList(
        kvs_arn=KVS_ARN, client=client, key_prefix="app/", clock=FakeClock()
    )
    deny.revoke_user("user_1", until=NOW + 60)


def test_kvs_writes_are_batched_by_fifty_with_chained_etags(
    kvs_client: tuple[Any, Stubber],
) -> None:
    """120 revocations go out as UpdateKeys calls of 50, 50 and 20, each with the last ETag."""
    client, stubber = kvs_client
    sids = [f"s{n:03d}" for n in range(120)]
    puts = [{"Key": f"revoked:{sid}", "Value": str(NOW + 60)} for sid in sids]
    _describe(stubber, "E0")
    _updated(stubber, "E0", "E1", Puts=puts[:50])
    _updated(stubber, "E1", "E2", Puts=puts[50:100])
    _updated(stubber, "E2", "E3", Puts=puts[100:])
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock()).revoke_sessions(
        sids, until=NOW + 60
    )


def test_kvs_batches_respect_the_three_megabyte_limit() -> None:
    """A batch is cut before it would pass 3 MB, whatever the key count."""
    big = [(f"k{n}", "v" * 1_000_000) for n in range(7)]
    sizes = [len(batch) for batch in kvs._batches(big)]
    assert sizes == [3, 3, 1]


def test_kvs_conflict_is_retried_once_with_a_fresh_etag(kvs_client: tuple[Any, Stubber]) -> None:
    """An ETag conflict triggers one new DescribeKeyValueStore and one more UpdateKeys."""
    client, stubber = kvs_client
    puts = [{"Key": "revoked:sess-1", "Value": str(NOW + 60)}]
    _describe(stubber, "STALE")
    stubber.add_client_error(
        "update_keys", service_error_code="ConflictException", http_status_code=409
    )
    _describe(stubber, "FRESH")
    _updated(stubber, "FRESH", "NEXT", Puts=puts)
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock()).revoke_session(
        "sess-1", until=NOW + 60
    )


def test_kvs_second_conflict_is_an_aws_error(kvs_client: tuple[Any, Stubber]) -> None:
    """Two conflicts in a row raise AWSError naming the call and the error code."""
    client, stubber = kvs_client
    for etag in ("E1", "E2"):
        _describe(stubber, etag)
        stubber.add_client_error(
            "update_keys", service_error_code="ConflictException", http_status_code=409
        )
    deny = KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock())
    with pytest.raises(AWSError, match="UpdateKeys failed: ConflictException"):
        deny.revoke_session("sess-1", until=NOW + 60)


def test_kvs_other_errors_are_not_retried(kvs_client: tuple[Any, Stubber]) -> None:
    """An access error is raised at once as AWSError."""
    client, stubber = kvs_client
    _describe(stubber, "E1")
    stubber.add_client_error(
        "update_keys", service_error_code="AccessDeniedException", http_status_code=403
    )
    deny = KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock())
    with pytest.raises(AWSError, match="AccessDeniedException"):
        deny.revoke_session("sess-1", until=NOW + 60)


def test_kvs_is_revoked_reads_session_then_user(kvs_client: tuple[Any, Stubber]) -> None:
    """is_revoked reads the session key (missing) then the user key (a live entry)."""
    client, stubber = kvs_client
    stubber.add_client_error(
        "get_key",
        service_error_code="ResourceNotFoundException",
        http_status_code=404,
        expected_params={"KvsARN": KVS_ARN, "Key": "revoked:sess-1"},
    )
    stubber.add_response(
        "get_key",
        {
            "Key": "revoked-user:user_1",
            "Value": f"{NOW + 60}.{NOW}",
            "ItemCount": 1,
            "TotalSizeInBytes": 1,
        },
        {"KvsARN": KVS_ARN, "Key": "revoked-user:user_1"},
    )
    deny = KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock())
    assert deny.is_revoked("sess-1", "user_1", issued_at=NOW - 1, now=NOW)


def test_kvs_rotation_keeps_old_secret_as_previous(kvs_client: tuple[Any, Stubber]) -> None:
    """rotate_secret puts the new secret as current and the old current one as previous."""
    client, stubber = kvs_client
    stubber.add_response(
        "get_key",
        {
            "Key": revocation.DEFAULT_SECRET_KEY,
            "Value": OLD_SECRET,
            "ItemCount": 1,
            "TotalSizeInBytes": 1,
        },
        {"KvsARN": KVS_ARN, "Key": revocation.DEFAULT_SECRET_KEY},
    )
    _describe(stubber, "E1")
    _updated(
        stubber,
        "E1",
        "E2",
        Puts=[
            {"Key": revocation.DEFAULT_SECRET_KEY, "Value": SECRET},
            {"Key": revocation.DEFAULT_PREVIOUS_SECRET_KEY, "Value": OLD_SECRET},
        ],
    )
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client).rotate_secret(SECRET)


def test_kvs_set_secret_drops_a_leftover_previous(kvs_client: tuple[Any, Stubber]) -> None:
    """Setting only a current secret deletes a previous one left from an earlier rotation."""
    client, stubber = kvs_client
    stubber.add_response(
        "get_key",
        {
            "Key": revocation.DEFAULT_PREVIOUS_SECRET_KEY,
            "Value": OLD_SECRET,
            "ItemCount": 1,
            "TotalSizeInBytes": 1,
        },
        {"KvsARN": KVS_ARN, "Key": revocation.DEFAULT_PREVIOUS_SECRET_KEY},
    )
    _describe(stubber, "E1")
    _updated(
        stubber,
        "E1",
        "E2",
        Puts=[{"Key": revocation.DEFAULT_SECRET_KEY, "Value": SECRET}],
        Deletes=[{"Key": revocation.DEFAULT_PREVIOUS_SECRET_KEY}],
    )
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client).set_secrets(SECRET)


def test_kvs_purge_deletes_stale_entries_across_pages(kvs_client: tuple[Any, Stubber]) -> None:
    """purge_expired lists every page and deletes only stale deny-list entries."""
    client, stubber = kvs_client
    stubber.add_response(
        "list_keys",
        {
            "NextToken": "page2",
            "Items": [
                {"Key": "revoked:old", "Value": str(NOW - 1)},
                {"Key": "revoked:live", "Value": str(NOW + 60)},
                {"Key": revocation.DEFAULT_SECRET_KEY, "Value": SECRET},
            ],
        },
        {"KvsARN": KVS_ARN},
    )
    stubber.add_response(
        "list_keys",
        {"Items": [{"Key": "revoked-user:u", "Value": f"{NOW}.{NOW - 100}"}]},
        {"KvsARN": KVS_ARN, "NextToken": "page2"},
    )
    _describe(stubber, "E1")
    _updated(stubber, "E1", "E2", Deletes=[{"Key": "revoked:old"}, {"Key": "revoked-user:u"}])
    deny = KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock())
    assert deny.purge_expired() == 2


def test_kvs_needs_awscrt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without awscrt the KeyValueStore deny-list refuses to start and names the extra."""
    monkeypatch.setattr(kvs, "crt_available", lambda: False)
    with pytest.raises(ConfigurationError, match=r"pip install 'cfcookies\[crt\]'"):
        KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=object())


def test_awscrt_is_detected_when_installed() -> None:
    """crt_available reports the awscrt that the test environment installs."""
    assert aws.crt_available()


@pytest.mark.parametrize(
    "arn",
    [
        pytest.param("", id="empty"),
        pytest.param("arn:aws:s3:::bucket", id="s3-arn"),
        pytest.param("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", id="bare-id"),
    ],
)
def test_kvs_arn_is_validated(arn: str) -> None:
    """Anything but a KeyValueStore ARN is refused at construction."""
    with pytest.raises(ConfigurationError, match="KeyValueStore ARN"):
        KeyValueStoreDenyList(kvs_arn=arn, client=object())


# --- publishing and associating the function ----------------------------------------------------


@pytest.fixture
def cf_client() -> Iterator[tuple[Any, Stubber]]:
    session = botocore.session.get_session()
    client = session.create_client(
        "cloudfront",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-real-secret",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


FUNCTION_CONFIG = {
    "Comment": "cfcookies revocation check",
    "Runtime": "cloudfront-js-2.0",
    "KeyValueStoreAssociations": {"Quantity": 1, "Items": [{"KeyValueStoreARN": KVS_ARN}]},
}


def _summary(stage: str) -> dict[str, Any]:
    return {
        "Name": "cfcookies-revocation",
        "FunctionConfig": FUNCTION_CONFIG,
        "FunctionMetadata": {
            "FunctionARN": FUNCTION_ARN,
            "Stage": stage,
            "LastModifiedTime": START,
        },
    }


def test_publish_creates_a_new_function_and_publishes_it(cf_client: tuple[Any, Stubber]) -> None:
    """A function that does not exist yet is created with the KVS association, then published."""
    client, stubber = cf_client
    code = function_code()
    stubber.add_client_error(
        "describe_function",
        service_error_code="NoSuchFunctionExists",
        http_status_code=404,
        expected_params={"Name": "cfcookies-revocation", "Stage": "DEVELOPMENT"},
    )
    stubber.add_response(
        "create_function",
        {"FunctionSummary": _summary("DEVELOPMENT"), "ETag": "E1", "Location": "https://x"},
        {
            "Name": "cfcookies-revocation",
            "FunctionConfig": FUNCTION_CONFIG,
            "FunctionCode": code.encode(),
        },
    )
    stubber.add_response(
        "publish_function",
        {"FunctionSummary": _summary("LIVE")},
        {"Name": "cfcookies-revocation", "IfMatch": "E1"},
    )
    arn = aws.publish_function(client, name="cfcookies-revocation", code=code, kvs_arn=KVS_ARN)
    assert arn == FUNCTION_ARN


def test_publish_updates_an_existing_function_with_its_etag(cf_client: tuple[Any, Stubber]) -> None:
    """An existing function is updated with the ETag DescribeFunction gave, then published."""
    client, stubber = cf_client
    code = function_code()
    stubber.add_response(
        "describe_function",
        {"FunctionSummary": _summary("DEVELOPMENT"), "ETag": "E7"},
        {"Name": "cfcookies-revocation", "Stage": "DEVELOPMENT"},
    )
    stubber.add_response(
        "update_function",
        {"FunctionSummary": _summary("DEVELOPMENT"), "ETag": "E8"},
        {
            "Name": "cfcookies-revocation",
            "IfMatch": "E7",
            "FunctionConfig": FUNCTION_CONFIG,
            "FunctionCode": code.encode(),
        },
    )
    stubber.add_response(
        "publish_function",
        {"FunctionSummary": _summary("LIVE")},
        {"Name": "cfcookies-revocation", "IfMatch": "E8"},
    )
    assert (
        aws.publish_function(client, name="cfcookies-revocation", code=code, kvs_arn=KVS_ARN)
        == FUNCTION_ARN
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"name": "has space"}, "name must be", id="bad-name"),
        pytest.param({"code": "x" * 10241}, "10240", id="too-big"),
    ],
)
def test_publish_refuses_what_cloudfront_would(kwargs: dict[str, str], match: str) -> None:
    """A bad function name or code over 10 KB is refused before any call."""
    arguments = {"name": "ok", "code": "x", "kvs_arn": KVS_ARN, **kwargs}
    with pytest.raises(ConfigurationError, match=match):
        aws.publish_function(object(), **arguments)


def test_publish_failure_is_an_aws_error(cf_client: tuple[Any, Stubber]) -> None:
    """A failing DescribeFunction other than not-found raises AWSError."""
    client, stubber = cf_client
    stubber.add_client_error(
        "describe_function", service_error_code="AccessDenied", http_status_code=403
    )
    with pytest.raises(AWSError, match="DescribeFunction failed: AccessDenied"):
        aws.publish_function(client, name="f", code="x", kvs_arn=KVS_ARN)


def _distribution_config(**behaviour_extra: Any) -> dict[str, Any]:
    return {
        "CallerReference": "ref-1",
        "Comment": "media",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.amazonaws.com"}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "s3",
            "ViewerProtocolPolicy": "redirect-to-https",
            **behaviour_extra,
        },
        "CacheBehaviors": {
            "Quantity": 1,
            "Items": [
                {
                    "PathPattern": "/videos/*",
                    "TargetOriginId": "s3",
                    "ViewerProtocolPolicy": "https-only",
                    **behaviour_extra,
                }
            ],
        },
    }


def _distribution(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": "EDFDVBD6EXAMPLE",
        "ARN": "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE",
        "Status": "InProgress",
        "LastModifiedTime": START,
        "InProgressInvalidationBatches": 0,
        "DomainName": "d111111abcdef8.cloudfront.net",
        "DistributionConfig": config,
    }


ASSOCIATED = {
    "Quantity": 1,
    "Items": [{"FunctionARN": FUNCTION_ARN, "EventType": "viewer-request"}],
}


@pytest.mark.parametrize(
    ("path_pattern", "where"),
    [
        pytest.param(None, "default", id="default-behaviour"),
        pytest.param("/videos/*", "videos", id="path-pattern"),
    ],
)
def test_associate_sets_viewer_request_function_on_chosen_behaviour(
    cf_client: tuple[Any, Stubber], path_pattern: str | None, where: str
) -> None:
    """The function is added on viewer-request of the chosen behaviour, sent with IfMatch."""
    client, stubber = cf_client
    config = _distribution_config()
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": copy.deepcopy(config), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    expected = copy.deepcopy(config)
    target = (
        expected["DefaultCacheBehavior"]
        if where == "default"
        else expected["CacheBehaviors"]["Items"][0]
    )
    target["FunctionAssociations"] = ASSOCIATED
    stubber.add_response(
        "update_distribution",
        {"Distribution": _distribution(expected), "ETag": "D2"},
        {"Id": "EDFDVBD6EXAMPLE", "IfMatch": "D1", "DistributionConfig": expected},
    )
    assert aws.associate_function(
        client,
        distribution_id="EDFDVBD6EXAMPLE",
        function_arn=FUNCTION_ARN,
        path_pattern=path_pattern,
    )


def test_associate_keeps_viewer_response_functions(cf_client: tuple[Any, Stubber]) -> None:
    """An existing viewer-response function stays when the viewer-request one is added."""
    client, stubber = cf_client
    other = {"FunctionARN": FUNCTION_ARN + "-headers", "EventType": "viewer-response"}
    config = _distribution_config(FunctionAssociations={"Quantity": 1, "Items": [other]})
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": copy.deepcopy(config), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    expected = copy.deepcopy(config)
    expected["DefaultCacheBehavior"]["FunctionAssociations"] = {
        "Quantity": 2,
        "Items": [other, {"FunctionARN": FUNCTION_ARN, "EventType": "viewer-request"}],
    }
    stubber.add_response(
        "update_distribution",
        {"Distribution": _distribution(expected), "ETag": "D2"},
        {"Id": "EDFDVBD6EXAMPLE", "IfMatch": "D1", "DistributionConfig": expected},
    )
    aws.associate_function(client, distribution_id="EDFDVBD6EXAMPLE", function_arn=FUNCTION_ARN)


def test_associate_is_a_no_op_when_already_associated(cf_client: tuple[Any, Stubber]) -> None:
    """When the behaviour already runs the function, no UpdateDistribution is sent."""
    client, stubber = cf_client
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": _distribution_config(FunctionAssociations=ASSOCIATED), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    assert not aws.associate_function(
        client, distribution_id="EDFDVBD6EXAMPLE", function_arn=FUNCTION_ARN
    )


def test_associate_retries_once_on_precondition_failed(cf_client: tuple[Any, Stubber]) -> None:
    """A concurrent change (PreconditionFailed) makes it re-read the config once and retry."""
    client, stubber = cf_client
    config = _distribution_config()
    expected = copy.deepcopy(config)
    expected["DefaultCacheBehavior"]["FunctionAssociations"] = ASSOCIATED
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": copy.deepcopy(config), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    stubber.add_client_error(
        "update_distribution", service_error_code="PreconditionFailed", http_status_code=412
    )
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": copy.deepcopy(config), "ETag": "D3"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    stubber.add_response(
        "update_distribution",
        {"Distribution": _distribution(expected), "ETag": "D4"},
        {"Id": "EDFDVBD6EXAMPLE", "IfMatch": "D3", "DistributionConfig": expected},
    )
    assert aws.associate_function(
        client, distribution_id="EDFDVBD6EXAMPLE", function_arn=FUNCTION_ARN
    )


@pytest.mark.parametrize(
    ("behaviour_extra", "kwargs", "match"),
    [
        pytest.param({}, {"path_pattern": "/nope/*"}, "'/videos/\\*'", id="unknown-pattern"),
        pytest.param(
            {
                "FunctionAssociations": {
                    "Quantity": 1,
                    "Items": [
                        {"FunctionARN": FUNCTION_ARN + "-other", "EventType": "viewer-request"}
                    ],
                }
            },
            {},
            "replace=True",
            id="other-function-present",
        ),
        pytest.param(
            {
                "LambdaFunctionAssociations": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:f:1",
                            "EventType": "viewer-request",
                        }
                    ],
                }
            },
            {"replace": True},
            "Lambda@Edge",
            id="lambda-at-edge-present",
        ),
    ],
)
def test_associate_refuses_unsafe_changes(
    cf_client: tuple[Any, Stubber],
    behaviour_extra: dict[str, Any],
    kwargs: dict[str, Any],
    match: str,
) -> None:
    """An unknown behaviour, another viewer-request function or Lambda@Edge stop the change."""
    client, stubber = cf_client
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": _distribution_config(**behaviour_extra), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    with pytest.raises(ConfigurationError, match=match):
        aws.associate_function(
            client, distribution_id="EDFDVBD6EXAMPLE", function_arn=FUNCTION_ARN, **kwargs
        )


def test_associate_replace_swaps_the_other_function(cf_client: tuple[Any, Stubber]) -> None:
    """With replace=True another viewer-request function is swapped for this one."""
    client, stubber = cf_client
    other = {"FunctionARN": FUNCTION_ARN + "-other", "EventType": "viewer-request"}
    config = _distribution_config(FunctionAssociations={"Quantity": 1, "Items": [other]})
    expected = copy.deepcopy(config)
    expected["DefaultCacheBehavior"]["FunctionAssociations"] = ASSOCIATED
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": copy.deepcopy(config), "ETag": "D1"},
        {"Id": "EDFDVBD6EXAMPLE"},
    )
    stubber.add_response(
        "update_distribution",
        {"Distribution": _distribution(expected), "ETag": "D2"},
        {"Id": "EDFDVBD6EXAMPLE", "IfMatch": "D1", "DistributionConfig": expected},
    )
    assert aws.associate_function(
        client, distribution_id="EDFDVBD6EXAMPLE", function_arn=FUNCTION_ARN, replace=True
    )


# --- CLI ----------------------------------------------------------------------------------------


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cfcookies aws")
    _cli_revocation.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_cli_function_code_prints_the_function(capsys: pytest.CaptureFixture[str]) -> None:
    """`function code` prints the same JavaScript function_code returns."""
    assert _cli(["function", "code", "--cookie-name", "Edge-Session"]) == 0
    assert capsys.readouterr().out == function_code(cookie_name="Edge-Session")


def test_cli_function_code_writes_a_file(tmp_path: Path) -> None:
    """`function code -o FILE` writes the function to FILE."""
    out = tmp_path / "f.js"
    assert _cli(["function", "code", "-o", str(out)]) == 0
    assert out.read_text() == function_code()


def test_cli_revokes_into_a_local_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`revoke session` and `revoke user --ban` write entries a LocalDenyList reads."""
    path = tmp_path / "deny.json"
    assert _cli(["revoke", "session", "sess-1", "--local-file", str(path), "--for", "1h"]) == 0
    assert _cli(["revoke", "user", "u1", "--local-file", str(path), "--ban", "--for", "2h"]) == 0
    entries = LocalDenyList(path=path).entries()
    until_user, cutoff = entries["revoked-user:u1"].split(".")
    assert until_user == cutoff
    assert int(entries["revoked:sess-1"]) < int(until_user)
    assert capsys.readouterr().out == "revoked\nrevoked\n"


def test_cli_purge_reports_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`revoke purge` deletes stale entries of a local file and says how many."""
    path = tmp_path / "deny.json"
    path.write_text(json.dumps({"entries": {"revoked:a": "1", "revoked:b": "9999999999"}}))
    assert _cli(["revoke", "purge", "--local-file", str(path)]) == 0
    assert capsys.readouterr().out == "purged 1 expired entries\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["revoke", "session", "bad id", "--local-file", "{tmp}/d.json"],
            "session_id must be",
            id="bad-session-id",
        ),
        pytest.param(
            ["function", "code", "--cookie-name", "bad name"], "cookie_name", id="bad-cookie-name"
        ),
    ],
)
def test_cli_user_errors_go_to_stderr_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """A user error exits 2 with one line on stderr and no traceback."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert _cli(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cfcookies: error: ")
    assert message in err
    assert "Traceback" not in err


def test_cli_kvs_without_awscrt_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`revoke session --kvs-arn` without awscrt exits 2 and tells how to install it."""
    monkeypatch.setattr(kvs, "crt_available", lambda: False)
    assert _cli(["revoke", "session", "s1", "--kvs-arn", KVS_ARN]) == 2
    assert "pip install 'cfcookies[crt]'" in capsys.readouterr().err


def test_cli_secret_requires_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`function secret` without the secret in the environment exits 2 and says which variable."""
    monkeypatch.delenv("CFCOOKIES_SESSION_SECRET", raising=False)
    assert _cli(["function", "secret", "--kvs-arn", KVS_ARN]) == 2
    assert "CFCOOKIES_SESSION_SECRET" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("90", 90, id="bare-seconds"),
        pytest.param("30m", 1800, id="minutes"),
        pytest.param("12h", 43200, id="hours"),
        pytest.param("7d", 604800, id="days"),
    ],
)
def test_cli_durations_are_from_now(text: str, seconds: int) -> None:
    """Durations turn into an aware UTC time that far from now."""
    before = datetime.now(timezone.utc)
    when = _cli_revocation.parse_duration(text)
    assert when.tzinfo is not None
    assert abs((when - before).total_seconds() - seconds) < 5


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("soon", id="word"),
        pytest.param("2031-01-01T00:00:00", id="naive-iso"),
        pytest.param("5w", id="weeks"),
    ],
)
def test_cli_bad_durations_are_argument_errors(text: str) -> None:
    """Unknown units and zone-less times are argparse errors."""
    with pytest.raises(argparse.ArgumentTypeError):
        _cli_revocation.parse_duration(text)


def test_cli_iso_time_with_zone_is_accepted() -> None:
    """An ISO time with a zone is converted to UTC."""
    assert _cli_revocation.parse_duration("2031-01-01T01:00:00+01:00") == datetime(
        2031, 1, 1, tzinfo=timezone.utc
    )


def test_cli_publish_prints_the_live_function_arn(
    monkeypatch: pytest.MonkeyPatch,
    cf_client: tuple[Any, Stubber],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`function publish` creates and publishes the function and prints its ARN."""
    client, stubber = cf_client
    monkeypatch.setattr(_cli_revocation, "_botocore_client", lambda service: client)
    stubber.add_client_error(
        "describe_function", service_error_code="NoSuchFunctionExists", http_status_code=404
    )
    stubber.add_response(
        "create_function",
        {"FunctionSummary": _summary("DEVELOPMENT"), "ETag": "E1", "Location": "https://x"},
    )
    stubber.add_response("publish_function", {"FunctionSummary": _summary("LIVE")})
    argv = ["function", "publish", "--name", "cfcookies-revocation", "--kvs-arn", KVS_ARN]
    assert _cli(argv) == 0
    assert capsys.readouterr().out == FUNCTION_ARN + "\n"


def test_cli_associate_reports_an_existing_association(
    monkeypatch: pytest.MonkeyPatch,
    cf_client: tuple[Any, Stubber],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`function associate` says so when the behaviour already runs the function."""
    client, stubber = cf_client
    monkeypatch.setattr(_cli_revocation, "_botocore_client", lambda service: client)
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": _distribution_config(FunctionAssociations=ASSOCIATED), "ETag": "D1"},
    )
    argv = ["function", "associate", "--distribution-id", "EDFDVBD6EXAMPLE"]
    assert _cli([*argv, "--function-arn", FUNCTION_ARN]) == 0
    assert capsys.readouterr().out == "already associated\n"


def test_cli_revoke_session_writes_to_the_key_value_store(
    monkeypatch: pytest.MonkeyPatch, kvs_client: tuple[Any, Stubber]
) -> None:
    """`revoke session --kvs-arn` puts the prefixed entry into the KeyValueStore."""
    client, stubber = kvs_client
    monkeypatch.setattr(_cli_revocation, "_botocore_client", lambda service: client)
    _describe(stubber, "E1")
    stubber.add_response("update_keys", {"ItemCount": 1, "TotalSizeInBytes": 1, "ETag": "E2"})
    argv = ["revoke", "session", "sess-1", "--kvs-arn", KVS_ARN, "--key-prefix", "app/"]
    assert _cli(argv) == 0


def test_cli_secret_rotation_stores_both_secrets(
    monkeypatch: pytest.MonkeyPatch, kvs_client: tuple[Any, Stubber]
) -> None:
    """`function secret --rotate` stores the new secret and keeps the old as previous."""
    client, stubber = kvs_client
    monkeypatch.setattr(_cli_revocation, "_botocore_client", lambda service: client)
    monkeypatch.setenv("CFCOOKIES_SESSION_SECRET", SECRET)
    stubber.add_response(
        "get_key",
        {
            "Key": revocation.DEFAULT_SECRET_KEY,
            "Value": OLD_SECRET,
            "ItemCount": 1,
            "TotalSizeInBytes": 1,
        },
    )
    _describe(stubber, "E1")
    _updated(
        stubber,
        "E1",
        "E2",
        Puts=[
            {"Key": revocation.DEFAULT_SECRET_KEY, "Value": SECRET},
            {"Key": revocation.DEFAULT_PREVIOUS_SECRET_KEY, "Value": OLD_SECRET},
        ],
    )
    assert _cli(["function", "secret", "--kvs-arn", KVS_ARN, "--rotate"]) == 0


def test_kvs_full_store_is_a_typed_error_with_the_remedy(kvs_client: tuple[Any, Stubber]) -> None:
    """A store past its 5 MB (ServiceQuotaExceededException) raises DenyListFullError, which
    says the revocation was not recorded and what to do."""
    from cfcookies.exceptions import DenyListFullError

    client, stubber = kvs_client
    _describe(stubber, "E1")
    stubber.add_client_error(
        "update_keys", service_error_code="ServiceQuotaExceededException", http_status_code=402
    )
    deny = KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock())
    with pytest.raises(DenyListFullError, match=r"not recorded.*revoke purge"):
        deny.revoke_session("sess-1", until=NOW + 60)


def test_kvs_nearly_full_store_is_warned_about(
    kvs_client: tuple[Any, Stubber], caplog: pytest.LogCaptureFixture
) -> None:
    """A write that leaves the store past 80 % of 5 MB logs a warning with the size."""
    client, stubber = kvs_client
    _describe(stubber, "E1")
    stubber.add_response(
        "update_keys",
        {"ItemCount": 100_000, "TotalSizeInBytes": 4_500_000, "ETag": "E2"},
        {
            "KvsARN": KVS_ARN,
            "IfMatch": "E1",
            "Puts": [{"Key": "revoked:s", "Value": str(NOW + 60)}],
        },
    )
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock()).revoke_session(
        "s", until=NOW + 60
    )
    [record] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert record.event == "cfcookies.deny_list.nearly_full"  # type: ignore[attr-defined]
    assert "4500000" in record.getMessage()
