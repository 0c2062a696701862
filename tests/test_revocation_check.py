"""cfcookies.revocation.check: SessionCheck, the revocation check of the local edge."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cfcookies.exceptions import ConfigurationError
from cfcookies.revocation import (
    SESSION_COOKIE,
    LocalDenyList,
    MissingSessionError,
    SessionCheck,
    SessionRevokedError,
)
from tests.revocation_support import NOW, POLICY, SECRET, SECRETS, FakeClock, mint


def _request(cookies: dict[str, str], query: str = "") -> SimpleNamespace:
    """What EdgeApp hands a check: a request with its URL and its cookies."""
    url = "https://media.example.test/videos/course-1/seg.ts" + (f"?{query}" if query else "")
    return SimpleNamespace(url=url, cookies=cookies)


def test_a_valid_session_cookie_is_let_through() -> None:
    """A genuine session cookie beside its policy cookie passes (check returns None)."""
    check = SessionCheck(SECRETS, deny_list=LocalDenyList(clock=FakeClock()), clock=FakeClock())
    assert check.check(_request({SESSION_COOKIE: mint(), "CloudFront-Policy": POLICY})) is None


def test_a_missing_or_revoked_session_is_refused() -> None:
    """No session cookie, or one the deny-list names, raises the session error to refuse."""
    deny = LocalDenyList(clock=FakeClock())
    check = SessionCheck(SECRETS, deny_list=deny, clock=FakeClock())
    with pytest.raises(MissingSessionError):
        check.check(_request({"CloudFront-Policy": POLICY}))
    deny.revoke_session("sess-1", until=NOW + 60)
    with pytest.raises(SessionRevokedError):
        check.check(_request({SESSION_COOKIE: mint(), "CloudFront-Policy": POLICY}))


def test_a_renamed_cookie_is_read_under_its_name() -> None:
    """``cookie_name`` names the cookie the check reads."""
    check = SessionCheck(SECRETS, cookie_name="Edge-Session", clock=FakeClock())
    assert check.check(_request({"Edge-Session": mint(), "CloudFront-Policy": POLICY})) is None
    with pytest.raises(MissingSessionError):
        check.check(_request({SESSION_COOKIE: mint(), "CloudFront-Policy": POLICY}))


def test_secrets_must_be_session_secrets_and_stay_out_of_the_repr() -> None:
    """A raw string is refused at construction; the repr shows no secret."""
    with pytest.raises(ConfigurationError, match="SessionSecrets"):
        SessionCheck(SECRET)  # type: ignore[arg-type]
    assert SECRET not in repr(SessionCheck(SECRETS))


def test_a_url_signed_by_query_is_judged_on_the_token_in_its_query() -> None:
    """A folder query carries its own token; the session cookie beside it does not stand in."""
    deny = LocalDenyList(clock=FakeClock())
    check = SessionCheck(SECRETS, deny_list=deny, clock=FakeClock())
    signed = f"Policy={POLICY}&Signature=c2ln&Key-Pair-Id=K2JCJMDEHXQW5F"
    cookies = {SESSION_COOKIE: mint(), "CloudFront-Policy": POLICY}
    assert check.check(_request({}, f"{signed}&{SESSION_COOKIE}={mint()}#t=10")) is None
    with pytest.raises(MissingSessionError):
        check.check(_request(cookies, signed))
    deny.revoke_session("sess-1", until=NOW + 60)
    with pytest.raises(SessionRevokedError):
        check.check(_request({}, f"{signed}&{SESSION_COOKIE}={mint()}"))
