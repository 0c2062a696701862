"""cfcookies.contrib.fastapi: granting and revoking from a route through ``Depends(...)``.

A real FastAPI app behind :class:`cfcookies.asgi.CloudFrontCookieMiddleware`, driven through its
test client; what the browser-like jar (``tests/jar.py``) would send to the media host is judged
by :func:`cfcookies.verify.verify_request`. Without the middleware the dependency, and
``cfcookies.grant()`` itself, fail loudly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.testclient import TestClient

import cfcookies
from cfcookies.asgi import CloudFrontCookieMiddleware
from cfcookies.contrib.fastapi import CloudFrontGrants, CloudFrontGrantsDep, cloudfront_grants
from cfcookies.exceptions import GrantLimitError, MiddlewareMissingError
from cfcookies.grants import recorded_actions
from cfcookies.keys import PrivateKey
from cfcookies.session import CloudFrontCookies
from tests.browser_jar_support import Browser, base_options, cloudfront_headers
from tests.middleware_apps import APP_ORIGIN, Reply
from tests.support import RSA_KEY_ID, FakeClock

ROOT = Path(__file__).resolve().parent.parent
SEGMENT = "/videos/course-1/seg-0001.ts"


def fastapi_app(cookies: CloudFrontCookies | None) -> FastAPI:
    """Routes granting and revoking through the dependency, in both spellings; with the
    middleware unless ``cookies`` is None."""
    app = FastAPI()

    @app.get("/login")
    def login(
        grants: CloudFrontGrantsDep, p: Annotated[list[str] | None, Query()] = None
    ) -> Response:
        try:
            grants.grant(*(p or ["/videos/course-1"]), user_id="42")
        except GrantLimitError:
            return PlainTextResponse("too many", status_code=409)
        actions = recorded_actions(grants.request.scope)
        return PlainTextResponse(f"user {actions.user_id if actions else None}")

    @app.get("/logout")
    async def logout(grants: CloudFrontGrants = Depends(cloudfront_grants)) -> Response:  # noqa: B008
        grants.revoke()
        return PlainTextResponse("logged out")

    @app.get("/drop")
    def drop(grants: CloudFrontGrantsDep, p: str) -> Response:
        grants.revoke(p)
        return PlainTextResponse("dropped")

    @app.get("/plain-grant")
    def plain_grant(request: Request) -> Response:
        cfcookies.grant(request, "/videos/course-1")
        return PlainTextResponse("granted")

    @app.get("/plain-revoke")
    def plain_revoke(request: Request) -> Response:
        cfcookies.revoke(request)
        return PlainTextResponse("revoked")

    if cookies is not None:
        app.add_middleware(CloudFrontCookieMiddleware, cookies=cookies)
    return app


def fastapi_browser(rsa_key: PrivateKey, clock: FakeClock, **overrides: Any) -> Browser:
    cookies = CloudFrontCookies(**base_options(rsa_key, clock, **overrides))
    client = TestClient(fastapi_app(cookies), base_url=APP_ORIGIN)

    def send(method: str, path: str, cookie: str | None) -> Reply:
        client.cookies.clear()
        response = client.request(method, path, headers={"cookie": cookie} if cookie else {})
        return Reply(response.status_code, list(response.headers.multi_items()), response.content)

    return Browser(send, clock, {RSA_KEY_ID: rsa_key.public_key()}, cookies)


def test_a_route_grants_through_the_dependency_and_the_folder_opens(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """``grants: CloudFrontGrantsDep`` then ``grants.grant(prefix)``: the response carries the
    folder's cookies, which open it at the media host and nothing beside it."""
    browser = fastapi_browser(rsa_key, clock)
    reply = browser.get("/login")
    assert reply.body == b"user 42"  # user_id reaches the recorded calls
    assert cloudfront_headers(reply)
    assert browser.opens(SEGMENT)
    assert not browser.opens("/videos/course-10/seg-0001.ts")


def test_a_route_revokes_through_the_dependency_and_the_cookies_are_deleted(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """``Depends(cloudfront_grants)`` in an async route, then ``grants.revoke()``: every
    CloudFront cookie the session held is deleted."""
    browser = fastapi_browser(rsa_key, clock)
    browser.get("/login?p=/videos/course-1&p=/videos/course-2")
    assert browser.opens(SEGMENT)
    reply = browser.get("/logout")
    assert cloudfront_headers(reply)
    assert all("Max-Age=0" in value for value in cloudfront_headers(reply))
    assert browser.jar.cloudfront() == []
    assert not browser.opens(SEGMENT)


def test_revoking_one_folder_keeps_the_others(rsa_key: PrivateKey, clock: FakeClock) -> None:
    browser = fastapi_browser(rsa_key, clock)
    browser.get("/login?p=/videos/course-1&p=/videos/course-2")
    browser.get("/drop?p=/videos/course-1")
    assert not browser.opens(SEGMENT)
    assert browser.opens("/videos/course-2/seg-0001.ts")


def test_a_grant_beyond_what_the_session_holds_raises_in_the_route(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """The dependency's grant() checks the limits as cfcookies.grant() does: the route gets
    GrantLimitError and the session keeps what it held."""
    browser = fastapi_browser(rsa_key, clock, max_prefixes=1)
    browser.get("/login?p=/videos/course-1")
    reply = browser.get("/login?p=/videos/course-2")
    assert reply.status == 409
    assert browser.opens(SEGMENT)
    assert not browser.opens("/videos/course-2/seg-0001.ts")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/login", id="annotated-dependency"),
        pytest.param("/logout", id="depends-dependency"),
        pytest.param("/drop?p=/videos", id="revoke-one"),
        pytest.param("/plain-grant", id="cfcookies-grant"),
        pytest.param("/plain-revoke", id="cfcookies-revoke"),
    ],
)
def test_without_the_middleware_a_route_fails_naming_the_middleware_to_add(path: str) -> None:
    """No CloudFrontCookieMiddleware on the app: the dependency (before the route runs) and
    ``cfcookies.grant()``/``revoke()`` raise MiddlewareMissingError saying to add it, rather
    than answering without cookies."""
    client = TestClient(fastapi_app(None), base_url=APP_ORIGIN)
    with pytest.raises(MiddlewareMissingError) as raised:
        client.get(path)
    message = str(raised.value)
    assert "no cfcookies middleware handles this request" in message
    assert "app.add_middleware(CloudFrontCookieMiddleware" in message
    assert "cfcookies.asgi.CloudFrontCookieMiddleware" in message


def test_importing_cfcookies_imports_no_fastapi() -> None:
    """FastAPI is imported by cfcookies.contrib.fastapi only: ``import cfcookies`` (and the ASGI
    middleware) work without it."""
    code = (
        "import sys, cfcookies, cfcookies.asgi, cfcookies.contrib; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'fastapi'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
