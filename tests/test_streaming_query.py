"""CloudFrontCookies.signed_query: a folder's grant as URL query parameters, for players that
cannot send cookies; judged by cfcookies.verify as CloudFront would judge it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest

from cfcookies.exceptions import (
    ConfigurationError,
    IPAddressError,
    PolicyTimeError,
    ResourceError,
)
from cfcookies.keys import PrivateKey
from cfcookies.revocation import (
    SESSION_COOKIE,
    LocalDenyList,
    SessionRevokedError,
    check_session_request,
)
from cfcookies.session import CloudFrontCookies
from cfcookies.signing import COOKIE_POLICY, COOKIE_SIGNATURE
from cfcookies.verify import verify_request
from tests.browser_jar_support import base_options, make_browser
from tests.middleware_apps import MEDIA_URL
from tests.revocation_support import SECRETS
from tests.support import ECDSA_KEY_ID, RSA_KEY_ID, FakeClock

FOLDER = MEDIA_URL + "/videos/course-1/"


def make(key: PrivateKey, clock: FakeClock, **overrides: object) -> CloudFrontCookies:
    return CloudFrontCookies(**base_options(key, clock, **overrides))


def judged(
    url: str,
    query: str,
    key: PrivateKey,
    clock: FakeClock,
    *,
    key_id: str = RSA_KEY_ID,
    client_ip: str | None = None,
) -> str:
    decision = verify_request(
        f"{url}?{query}",
        public_keys={key_id: key.public_key()},
        now=clock.epoch,
        client_ip=client_ip,
    )
    return decision.reason or "allowed"


def test_the_query_opens_every_file_of_the_folder_and_nothing_beside_it(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    query = make(rsa_key, clock).signed_query("/videos/course-1")
    assert [name for name, _ in parse_qsl(query)] == ["Policy", "Signature", "Key-Pair-Id"]
    for path in ("index.m3u8", "seg-001.ts", "720p/seg-9.ts", "keys/k.bin"):
        assert judged(FOLDER + path, query, rsa_key, clock) == "allowed", path
    for url in (
        MEDIA_URL + "/videos/course-10/seg-001.ts",
        MEDIA_URL + "/videos/course-2/index.m3u8",
        MEDIA_URL + "/videos/course-1",
        "https://other.example.test/videos/course-1/seg-001.ts",
    ):
        assert judged(url, query, rsa_key, clock) == "resource_mismatch", url


def test_the_query_is_the_cookies_policy_and_signature_signed_once(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A session's cookies and the query for the same folder in the same window share one
    policy and one signature (the cache answers the second)."""
    browser = make_browser("wsgi", rsa_key, clock)
    assert browser.cookies is not None
    reply = browser.get("/login?user=ana")
    cookies = dict(v.split(";")[0].split("=", 1) for v in reply.set_cookie())
    query = dict(parse_qsl(browser.cookies.signed_query("/videos/course-1")))
    assert query["Policy"] == cookies[COOKIE_POLICY]
    assert query["Signature"] == cookies[COOKIE_SIGNATURE]
    snapshot = browser.cookies.metrics.snapshot()
    assert (snapshot["signatures"], snapshot["folder_queries"]) == (1, 1)


def test_an_ecdsa_key_adds_the_hash_algorithm_and_verifies(
    ecdsa_key: PrivateKey, clock: FakeClock
) -> None:
    cookies = make(ecdsa_key, clock, key_pair_id=ECDSA_KEY_ID)
    query = cookies.signed_query("/videos/course-1/")
    assert query.endswith(f"&Key-Pair-Id={ECDSA_KEY_ID}&Hash-Algorithm=SHA256")
    assert judged(FOLDER + "seg.ts", query, ecdsa_key, clock, key_id=ECDSA_KEY_ID) == "allowed"


def test_the_query_expires_with_the_cookies_window_or_a_lifetime_of_its_own(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    cookies = make(rsa_key, clock)
    query = cookies.signed_query("/videos/course-1")
    clock.advance(cookies.expiry_for(cookies.now()) - clock.epoch)
    assert judged(FOLDER + "seg.ts", query, rsa_key, clock) == "expired"

    vod = cookies.signed_query("/videos/course-1", lifetime=timedelta(hours=3))
    clock.advance(3 * 3600 - 1)
    assert judged(FOLDER + "seg.ts", vod, rsa_key, clock) == "allowed"
    clock.advance(cookies.granularity)
    assert judged(FOLDER + "seg.ts", vod, rsa_key, clock) == "expired"


def test_an_ipv4_viewer_is_bound_and_an_ipv6_one_is_not(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    cookies = make(rsa_key, clock)
    bound = cookies.signed_query("/videos/course-1", ip_address="203.0.113.5")
    url = FOLDER + "seg.ts"
    assert judged(url, bound, rsa_key, clock, client_ip="203.0.113.5") == "allowed"
    assert judged(url, bound, rsa_key, clock, client_ip="198.51.100.7") == "ip_mismatch"
    unbound = cookies.signed_query("/videos/course-1", ip_address="2001:db8::1")
    assert judged(url, unbound, rsa_key, clock, client_ip="198.51.100.7") == "allowed"


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("", id="empty"),
        pytest.param("not-an-ip", id="text"),
        pytest.param("10.0.0.0/8", id="range"),
        pytest.param(3405803781, id="an-int-ipaddress-would-take"),
        pytest.param(b"203.0.113.5", id="bytes"),
    ],
)
def test_an_address_that_is_not_one_is_refused(
    rsa_key: PrivateKey, clock: FakeClock, address: Any
) -> None:
    with pytest.raises(IPAddressError, match="ip_address must be the viewer's IP address"):
        make(rsa_key, clock).signed_query("/videos/course-1", ip_address=address)


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param("/videos/../private", id="dot-dot"),
        pytest.param(" /videos/course-1", id="padded"),
        pytest.param("/videos/%2e%2e/private", id="encoded-dots"),
        pytest.param("/videos/*", id="wildcard"),
        pytest.param("", id="empty"),
    ],
)
def test_a_prefix_that_would_change_the_grant_is_refused_not_rewritten(
    rsa_key: PrivateKey, clock: FakeClock, prefix: str
) -> None:
    with pytest.raises(ResourceError):
        make(rsa_key, clock).signed_query(prefix)


def test_with_revocation_the_query_carries_a_token_for_its_own_policy(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """The token names the session and user, began when the session did, expires with the
    policy and vouches for the query's own Policy: the edge's check accepts the query alone."""
    cookies = make(rsa_key, clock, session_secrets=SECRETS)
    began = clock.epoch - 100
    query = cookies.signed_query(
        "/videos/course-1", session_id="sess-1", user_id="user_1", issued_at=began
    )
    params = dict(parse_qsl(query))
    assert list(params)[-1] == SESSION_COOKIE
    assert judged(FOLDER + "seg.ts", query, rsa_key, clock) == "allowed"
    token = check_session_request(query, {}, secrets=SECRETS, now=clock.epoch)
    assert (token.session_id, token.user_id, token.issued_at) == ("sess-1", "user_1", began)
    assert token.expires == cookies.expiry_for(clock.epoch)
    vod = cookies.signed_query("/videos/course-1", session_id="sess-1", lifetime=timedelta(hours=3))
    expires = check_session_request(vod, {}, secrets=SECRETS, now=clock.epoch).expires
    assert expires >= clock.epoch + 3 * 3600


def test_the_query_token_is_revoked_with_its_session(rsa_key: PrivateKey, clock: FakeClock) -> None:
    """Revoking the session at logout refuses the folder query handed to a player."""
    deny = LocalDenyList(clock=clock)
    cookies = make(rsa_key, clock, session_secrets=SECRETS, deny_list=deny)
    query = cookies.signed_query("/videos/course-1", session_id="sess-1")
    check_session_request(query, {}, secrets=SECRETS, deny_list=deny, now=clock.epoch)
    cookies.revoke_session("sess-1")
    with pytest.raises(SessionRevokedError):
        check_session_request(query, {}, secrets=SECRETS, deny_list=deny, now=clock.epoch)
    cookies.close()


def test_with_revocation_a_query_without_a_session_is_refused_before_it_is_signed(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Fail closed: a query the edge would refuse is never handed out."""
    cookies = make(rsa_key, clock, session_secrets=SECRETS)
    with pytest.raises(ConfigurationError, match="the edge would refuse"):
        cookies.signed_query("/videos/course-1")
    assert cookies.metrics.snapshot()["folder_queries"] == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"session_id": "sess-1"}, id="session-id"),
        pytest.param({"user_id": "user_1"}, id="user-id"),
        pytest.param({"issued_at": 1}, id="issued-at"),
    ],
)
def test_without_revocation_session_arguments_are_refused(
    rsa_key: PrivateKey, clock: FakeClock, kwargs: dict[str, object]
) -> None:
    """A session argument without session_secrets would be silently dropped: it is refused."""
    with pytest.raises(ConfigurationError, match="session_secrets"):
        make(rsa_key, clock).signed_query("/videos/course-1", **kwargs)  # type: ignore[arg-type]


def test_a_session_cookie_name_unfit_for_a_query_is_refused(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """The token's parameter is named like the session cookie: a cookie name that a URL would
    not carry unchanged cannot name it."""
    for name in ("a&b", "Policy"):
        cookies = make(rsa_key, clock, session_secrets=SECRETS, session_cookie_name=name)
        with pytest.raises(ConfigurationError, match="query parameter"):
            cookies.signed_query("/videos/course-1", session_id="sess-1")
    renamed = make(rsa_key, clock, session_secrets=SECRETS, session_cookie_name="Edge-Session")
    query = renamed.signed_query("/videos/course-1", session_id="sess-1")
    assert "&Edge-Session=" in query


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"session_id": "a.b"}, id="session-id-with-a-dot"),
        pytest.param({"session_id": "sess-1", "user_id": "ana@example.test"}, id="raw-e-mail"),
    ],
)
def test_an_identifier_the_token_cannot_hold_is_refused_and_nothing_is_counted(
    rsa_key: PrivateKey, clock: FakeClock, kwargs: dict[str, str]
) -> None:
    cookies = make(rsa_key, clock, session_secrets=SECRETS)
    with pytest.raises(ConfigurationError, match="1 to 64 characters"):
        cookies.signed_query("/videos/course-1", **kwargs)  # type: ignore[arg-type]
    assert cookies.metrics.snapshot()["folder_queries"] == 0


def test_with_a_deny_list_the_query_never_outlives_the_logouts_entry(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A logout denies the session until its start + revocation_horizon: a query that would
    still be valid after that is refused, however it was asked for."""
    cookies = make(rsa_key, clock, session_secrets=SECRETS, deny_list=LocalDenyList(clock=clock))
    late = clock.epoch - 12 * 3600  # a session begun 12 hours ago, at max_session_age
    assert cookies.signed_query("/videos/course-1", session_id="s", issued_at=late)
    with pytest.raises(PolicyTimeError, match="lapses"):
        cookies.signed_query(
            "/videos/course-1", session_id="s", issued_at=late, lifetime=timedelta(hours=1)
        )
    with pytest.raises(PolicyTimeError, match="shorter lifetime"):
        cookies.signed_query("/videos/course-1", session_id="s", lifetime=timedelta(hours=13))
    cookies.close()
