"""cfcookies.grants: what views call, recorded in the request's own mapping.

A call on a request that no cfcookies middleware handles fails loudly, naming the middleware to
install, through every adapter (FastAPI's in ``tests/test_contrib_fastapi.py``)."""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from typing import Any

import pytest

from cfcookies.exceptions import GrantLimitError, MiddlewareMissingError, ResourceError
from cfcookies.grants import (
    ACTIONS_KEY,
    MIDDLEWARE_KEY,
    Actions,
    desired_prefixes,
    grant,
    merge_prefixes,
    recorded_actions,
    request_storage,
    revoke,
)
from cfcookies.keys import PrivateKey
from tests.browser_jar_support import cloudfront_headers, make_browser
from tests.middleware_apps import (
    APP_ORIGIN,
    call_wsgi,
    django_app,
    flask_app,
    raw_wsgi_app,
    starlette_app,
)
from tests.support import FakeClock


class _Middleware:
    """What an adapter leaves under MIDDLEWARE_KEY: here one that lets every grant through."""

    def check_grant(
        self, actions: Actions, storage: MutableMapping[str, Any], user_id: str | None
    ) -> None:
        return None


class _Starlette:
    def __init__(self, middleware: bool = True) -> None:
        self.scope: dict[str, Any] = {"type": "http"}
        if middleware:
            self.scope[MIDDLEWARE_KEY] = _Middleware()


class _Flask:
    def __init__(self, middleware: bool = True) -> None:
        self.environ: dict[str, Any] = {"REQUEST_METHOD": "GET"}
        if middleware:
            self.environ[MIDDLEWARE_KEY] = _Middleware()


class _Django:
    def __init__(self, middleware: bool = True) -> None:
        self.META: dict[str, Any] = {"REQUEST_METHOD": "GET"}
        if middleware:
            self.META[MIDDLEWARE_KEY] = _Middleware()


@pytest.mark.parametrize(
    ("request_object", "where"),
    [
        pytest.param(_Starlette(), "scope", id="starlette-request"),
        pytest.param(_Flask(), "environ", id="flask-request"),
        pytest.param(_Django(), "META", id="django-request"),
    ],
)
def test_calls_are_kept_in_the_request_mapping_of_every_framework(
    request_object: Any, where: str
) -> None:
    """grant() and revoke() find the per-request mapping of each supported request type."""
    grant(request_object, "/videos/a")
    revoke(request_object, "/videos/a")
    actions = getattr(request_object, where)[ACTIONS_KEY]
    assert actions.steps == [("grant", ("/videos/a/",)), ("revoke", ("/videos/a/",))]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({"type": "http"}, id="asgi-scope"),
        pytest.param({"REQUEST_METHOD": "GET"}, id="wsgi-environ"),
    ],
)
def test_a_raw_scope_or_environ_is_its_own_mapping(raw: dict[str, Any]) -> None:
    assert request_storage(raw) is raw


@pytest.mark.parametrize("other", [None, "request", {"no": "marker"}, 42])
def test_anything_else_is_a_type_error_naming_what_is_accepted(other: Any) -> None:
    with pytest.raises(TypeError, match="Starlette, FastAPI, Flask or Django request"):
        grant(other, "/videos/a")


def test_a_grant_needs_a_prefix_and_refuses_a_blank_name() -> None:
    scope: dict[str, Any] = {"type": "http", MIDDLEWARE_KEY: _Middleware()}
    with pytest.raises(ResourceError, match="at least one prefix"):
        grant(scope)
    with pytest.raises(ResourceError):
        grant(scope, "/users/ ")
    assert recorded_actions(scope) is None


@pytest.mark.parametrize(
    ("steps", "current", "expected"),
    [
        pytest.param([("grant", ("/a/",))], (), ("/a/",), id="grant-adds"),
        pytest.param([("grant", ("/a/b/",))], ("/a/",), ("/a/",), id="inside-a-held-folder"),
        pytest.param([("revoke", ("/a/",))], ("/a/", "/b/"), ("/b/",), id="revoke-one"),
        pytest.param([("revoke", None)], ("/a/", "/b/"), (), id="revoke-all"),
        pytest.param([("revoke", None), ("grant", ("/c/",))], ("/a/",), ("/c/",), id="in-order"),
    ],
)
def test_actions_apply_in_the_order_the_view_called(
    steps: list[Any], current: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert Actions(steps).apply(current) == expected


def test_revocations_only_leave_out_the_grants() -> None:
    actions = Actions([("grant", ("/c/",)), ("revoke", ("/a/",))])
    assert actions.apply(("/a/", "/b/"), grants=False) == ("/b/",)
    assert actions.granted
    assert not Actions([("revoke", None)]).granted


class _Refusing:
    def check_grant(
        self, actions: Actions, storage: MutableMapping[str, Any], user_id: str | None
    ) -> None:
        raise GrantLimitError("too many folders")


def test_a_grant_the_middleware_refuses_is_not_recorded() -> None:
    """A refused grant() raises and leaves the request as it was: no step, no user ID."""
    scope: dict[str, Any] = {"type": "http", MIDDLEWARE_KEY: _Refusing()}
    with pytest.raises(GrantLimitError):
        grant(scope, "/videos/a", user_id="u1")
    actions = scope[ACTIONS_KEY]
    assert actions.steps == []
    assert actions.user_id is None
    assert recorded_actions(scope) is None


@pytest.mark.parametrize(
    ("prefixes", "expected"),
    [
        pytest.param(["/b", "/a"], ("/a/", "/b/"), id="sorted-and-normalised"),
        pytest.param(["/videos/a/", "/videos/"], ("/videos/",), id="nested-merged"),
        pytest.param(["/videos/a", "/videos/a/"], ("/videos/a/",), id="duplicates"),
        pytest.param(["/videos/course-1", "/videos/course-10"], None, id="siblings-kept"),
    ],
)
def test_merge_prefixes(prefixes: list[str], expected: tuple[str, ...] | None) -> None:
    if expected is None:
        expected = ("/videos/course-1/", "/videos/course-10/")
    assert merge_prefixes(prefixes) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param("/videos/a", ("/videos/a",), id="a-lone-string-is-one-prefix"),
        pytest.param(["/a", "/b"], ("/a", "/b"), id="list"),
        pytest.param((p for p in ["/a"]), ("/a",), id="generator-read-once"),
        pytest.param(None, None, id="none"),
    ],
)
def test_a_grants_answer_is_read_once_as_a_tuple(answer: Any, expected: Any) -> None:
    assert desired_prefixes(answer) == expected


def test_a_grants_answer_that_is_not_prefixes_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="must return prefixes"):
        desired_prefixes(42)


# --- without the middleware: a clear error, never a silent no-op ------------------------------


@pytest.mark.parametrize(
    ("request_object", "install"),
    [
        pytest.param(_Starlette(False), r"cfcookies\.asgi\.CloudFrontCookieMiddleware", id="asgi"),
        pytest.param({"type": "http"}, r"cfcookies\.asgi\.CloudFrontCookieMiddleware", id="scope"),
        pytest.param(
            _Flask(False), r"cfcookies\.contrib\.flask\.FlaskCloudFrontCookies", id="flask"
        ),
        pytest.param(
            {"REQUEST_METHOD": "GET"}, r"cfcookies\.wsgi\.CloudFrontCookieMiddleware", id="environ"
        ),
        pytest.param(
            _Django(False), r"'cfcookies\.contrib\.django\.CloudFrontCookieMiddleware'", id="django"
        ),
    ],
)
def test_a_call_without_the_middleware_raises_naming_the_one_to_install(
    request_object: Any, install: str
) -> None:
    """grant() and revoke() on a request no cfcookies middleware handles would set no cookie:
    they raise (as Starlette's ``request.session`` does), say which middleware to install for
    that framework, and record nothing."""
    calls: list[Callable[[], None]] = [
        lambda: grant(request_object, "/videos/a"),
        lambda: revoke(request_object, "/videos/a"),
        lambda: revoke(request_object),
    ]
    for call in calls:
        with pytest.raises(MiddlewareMissingError, match=install) as raised:
            call()
        assert "no cfcookies middleware handles this request" in str(raised.value)
        assert isinstance(raised.value, RuntimeError)
    assert recorded_actions(request_storage(request_object)) is None


def _without_middleware(driver: str) -> Any:
    """A callable sending ``GET path`` to ``driver``'s test app built without cfcookies."""
    if driver == "asgi":
        from starlette.testclient import TestClient

        client = TestClient(starlette_app(None, declarative=False), base_url=APP_ORIGIN)
        return lambda path: client.get(path)
    if driver == "wsgi":
        app = raw_wsgi_app(None, declarative=False)
        return lambda path: call_wsgi(app, "GET", path, None)
    if driver == "flask":
        flask = flask_app(None, declarative=False)
        flask.testing = True  # the view's exception reaches the test, as in a debugger
        client = flask.test_client()
        return lambda path: client.get(path, base_url=APP_ORIGIN)
    if driver == "django":
        from django.test import Client, override_settings

        django_app(None, declarative=False)

        def send(path: str) -> Any:
            with override_settings(MIDDLEWARE=[]):
                return Client(HTTP_HOST="app.example.test").get(path, secure=True)

        return send
    raise AssertionError(driver)


@pytest.mark.parametrize(
    ("driver", "install"),
    [
        pytest.param("asgi", "app.add_middleware(CloudFrontCookieMiddleware", id="starlette"),
        pytest.param("wsgi", "cfcookies.wsgi.CloudFrontCookieMiddleware(app", id="wsgi"),
        pytest.param("flask", "FlaskCloudFrontCookies(app", id="flask"),
        pytest.param("django", "settings.MIDDLEWARE", id="django"),
    ],
)
@pytest.mark.parametrize("path", ["/login?p=/videos/course-1", "/logout", "/drop?p=/videos"])
def test_a_view_calling_grant_or_revoke_without_the_middleware_fails_loudly(
    driver: str, install: str, path: str
) -> None:
    """Through each framework's own test client: the view's grant() or revoke() raises
    MiddlewareMissingError naming the middleware to add, instead of answering without cookies."""
    send = _without_middleware(driver)
    with pytest.raises(MiddlewareMissingError, match=re.escape(install)):
        send(path)


def test_with_the_middleware_grant_and_revoke_still_set_and_delete_the_cookies(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """The same views through each adapter with its middleware: the grant issues cookies that
    open the folder, the logout's revoke deletes them."""
    browser = make_browser(driver, rsa_key, clock)
    login = browser.get("/login?p=/videos/course-1")
    assert cloudfront_headers(login)
    assert browser.opens("/videos/course-1/seg-0001.ts")
    logout = browser.get("/logout")
    assert all("Max-Age=0" in value for value in cloudfront_headers(logout))
    assert not browser.opens("/videos/course-1/seg-0001.ts")
