"""cfcookies.revocation.token: minting the session cookie and checking it as the edge does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfcookies import revocation
from cfcookies.exceptions import (
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
    check_session_request,
    mint_session_cookie,
    verify_session_cookie,
)
from tests.revocation_support import (
    GOOD,
    NOW,
    OLD_SECRET,
    OTHER_SECRET,
    POLICY,
    SECRET,
    SECRETS,
    START,
    FakeClock,
    mint,
)


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


SIGNED_BY = "Signature=c2ln&Key-Pair-Id=K2JCJMDEHXQW5F"
BOTH = {revocation.SESSION_COOKIE: GOOD, "CloudFront-Policy": POLICY}


def test_a_query_signed_request_is_judged_on_its_query_token() -> None:
    """With Policy in the query, the token comes from the query parameter named like the
    cookie and is bound to the query's Policy; the cookies are not read."""
    query = f"Policy={POLICY}&{SIGNED_BY}&{revocation.SESSION_COOKIE}={GOOD}"
    token = check_session_request(query, {}, secrets=SECRETS, now=NOW)
    assert (token.session_id, token.user_id) == ("sess-1", "user_1")
    with pytest.raises(MissingSessionError, match="query parameter"):
        check_session_request(f"Policy={POLICY}&{SIGNED_BY}", BOTH, secrets=SECRETS, now=NOW)


def test_a_cookie_request_is_judged_on_its_cookies_only() -> None:
    """Without signing parameters in the query, a token in the query vouches for nothing."""
    assert check_session_request(None, BOTH, secrets=SECRETS, now=NOW).session_id == "sess-1"
    query = f"{revocation.SESSION_COOKIE}={GOOD}"
    with pytest.raises(MissingSessionError, match="no session cookie"):
        check_session_request(query, {"CloudFront-Policy": POLICY}, secrets=SECRETS, now=NOW)


def test_a_canned_query_is_refused_for_want_of_a_policy() -> None:
    """A canned signed URL (Expires, no Policy) has no policy for the token to vouch for."""
    query = f"Expires={NOW + 60}&{SIGNED_BY}&{revocation.SESSION_COOKIE}={GOOD}"
    with pytest.raises(MissingSessionError, match="canned"):
        check_session_request(query, BOTH, secrets=SECRETS, now=NOW)


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(f"&{revocation.SESSION_COOKIE}={GOOD}", id="token"),
        pytest.param(f"&Policy={POLICY}", id="policy"),
    ],
)
def test_a_parameter_sent_twice_is_refused(extra: str) -> None:
    """A repeated token or Policy parameter is ambiguous, so refused whatever its values."""
    query = f"Policy={POLICY}&{SIGNED_BY}&{revocation.SESSION_COOKIE}={GOOD}{extra}"
    with pytest.raises(MalformedSessionError, match="more than once"):
        check_session_request(query, {}, secrets=SECRETS, now=NOW)


def test_a_revoked_session_is_refused_in_the_query_too() -> None:
    """The deny-list applies to a query token as to a cookie."""
    deny = LocalDenyList(clock=FakeClock())
    deny.revoke_session("sess-1", until=NOW + 60)
    query = f"Policy={POLICY}&{SIGNED_BY}&{revocation.SESSION_COOKIE}={GOOD}"
    with pytest.raises(SessionRevokedError):
        check_session_request(query, {}, secrets=SECRETS, deny_list=deny, now=NOW)
