"""The local edge judges a URL signed by query parameters as CloudFront does: on the query alone,
whatever cookies come with it; with revocation on, on the session token in that query, as the
CloudFront Function does (run here under Node and njs on the same request)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from starlette.testclient import TestClient

from cfcookies import revocation
from cfcookies.cookies import parse_cookie_header
from cfcookies.edge import EdgeApp
from cfcookies.keys import PrivateKey, PublicKey
from cfcookies.revocation import LocalDenyList, SessionCheck, function_code
from cfcookies.session import CloudFrontCookies
from tests.browser_jar_support import base_options
from tests.function_engines import ENGINES, run_function, viewer_event
from tests.revocation_support import SECRET, SECRETS
from tests.support import FakeClock

from .edge_support import SEGMENT_BYTES, make_edge
from .verification_cases import MEDIA_URL, SEGMENT


def cookie_header(query: str) -> str:
    """The ``Cookie`` header of a browser granted the folder of ``query``: the same values as
    the CloudFront cookies, and as the session cookie when the query has a token."""
    params = dict(parse_qsl(query))
    cookies = [f"CloudFront-{n}={params[n]}" for n in ("Policy", "Signature", "Key-Pair-Id")]
    if revocation.SESSION_COOKIE in params:
        cookies.append(f"{revocation.SESSION_COOKIE}={params[revocation.SESSION_COOKIE]}")
    return "; ".join(cookies)


@pytest.fixture
def app_cookies(rsa_key: PrivateKey, clock: FakeClock) -> CloudFrontCookies:
    return CloudFrontCookies(**base_options(rsa_key, clock))


def test_an_invalid_query_is_refused_beside_valid_cookies(
    client: TestClient, app_cookies: CloudFrontCookies
) -> None:
    """A tampered query signature is refused although the cookies alone would pass."""
    folder = "/videos/course-1"
    query = app_cookies.signed_query(folder)
    cookies = cookie_header(query)
    query = query.replace("Signature=", "Signature=A", 1)
    assert client.get(SEGMENT, headers={"cookie": cookies}).status_code == 200
    refused = client.get(f"{SEGMENT}?{query}", headers={"cookie": cookies})
    assert refused.status_code == 403
    assert refused.headers["x-cfcookies-decision"] != "allowed"


def test_a_query_for_the_folder_opens_it_whatever_the_cookies_grant(
    client: TestClient, app_cookies: CloudFrontCookies
) -> None:
    """A valid query for folder A opens a file of A beside cookies for folder B; a query for B
    does not open A's file beside cookies for A."""
    query_a = app_cookies.signed_query("/videos/course-1")
    query_b = app_cookies.signed_query("/videos/course-2")
    cookies_a, cookies_b = cookie_header(query_a), cookie_header(query_b)
    served = client.get(f"{SEGMENT}?{query_a}", headers={"cookie": cookies_b})
    assert (served.status_code, served.content) == (200, SEGMENT_BYTES)
    refused = client.get(f"{SEGMENT}?{query_b}", headers={"cookie": cookies_a})
    assert (refused.status_code, refused.headers["x-cfcookies-decision"]) == (
        403,
        "resource_mismatch",
    )


@pytest.fixture
def deny(clock: FakeClock) -> LocalDenyList:
    return LocalDenyList(clock=clock)


@pytest.fixture
def revocable(
    rsa_key: PrivateKey, clock: FakeClock, deny: LocalDenyList
) -> Iterator[CloudFrontCookies]:
    cookies = CloudFrontCookies(
        **base_options(rsa_key, clock, session_secrets=SECRETS, deny_list=deny)
    )
    yield cookies
    cookies.close()


@pytest.fixture
def guarded(
    root: Path, keys: dict[str, PublicKey], clock: FakeClock, deny: LocalDenyList
) -> Iterator[TestClient]:
    """The edge with the revocation check, reading the same deny-list as the app."""
    edge: EdgeApp = make_edge(
        root, keys, clock, deny_list=SessionCheck(SECRETS, deny_list=deny, clock=clock)
    )
    with TestClient(edge, base_url=MEDIA_URL) as client:
        yield client


def function_allows(
    engine: str, query: str, cookies: str, deny: LocalDenyList, clock: FakeClock
) -> bool:
    """What the CloudFront Function decides for the request, with the app's deny-list in its
    KeyValueStore."""
    kvs = {revocation.DEFAULT_SECRET_KEY: SECRET, **deny.entries()}
    event = viewer_event(parse_cookie_header(cookies), query)
    [outcome] = run_function(function_code(), [(event, kvs, clock.epoch)], engine)
    assert "error" not in outcome, outcome
    if outcome["result"] == event["request"]:
        return True
    assert outcome["result"]["statusCode"] == 403
    return False


@pytest.mark.parametrize("engine", ENGINES)
def test_a_folder_query_passes_with_its_token_until_the_session_is_revoked(
    guarded: TestClient,
    revocable: CloudFrontCookies,
    deny: LocalDenyList,
    clock: FakeClock,
    engine: str,
) -> None:
    """The local edge and the Function let a folder query with its session token through,
    and both refuse it once the session is in the deny-list; cookies of the same session
    beside it change nothing."""
    folder = "/videos/course-1"
    query = revocable.signed_query(folder, session_id="sess-q", user_id="user_9")
    bare = "&".join(p for p in query.split("&") if not p.startswith("CloudFront-Session="))
    cookies = cookie_header(query)
    url = f"{SEGMENT}?quality=hd&{query}"

    assert guarded.get(url).status_code == 200
    assert function_allows(engine, f"quality=hd&{query}", "", deny, clock)
    # the query's token is what counts: the same session's cookies do not stand in for it
    no_token = guarded.get(f"{SEGMENT}?quality=hd&{bare}", headers={"cookie": cookies})
    assert (no_token.status_code, no_token.headers["x-cfcookies-decision"]) == (
        403,
        "session_missing",
    )
    assert not function_allows(engine, f"quality=hd&{bare}", cookies, deny, clock)

    clock.advance(1)
    revocable.revoke_session("sess-q")
    refused = guarded.get(url, headers={"cookie": cookies})
    assert (refused.status_code, refused.headers["x-cfcookies-decision"]) == (
        403,
        "session_revoked",
    )
    assert not function_allows(engine, f"quality=hd&{query}", cookies, deny, clock)
