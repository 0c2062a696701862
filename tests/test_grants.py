"""cfcookies.grants: what views call, recorded in the request's own mapping."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest

from cfcookies.exceptions import GrantLimitError, ResourceError
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


class _Starlette:
    def __init__(self) -> None:
        self.scope: dict[str, Any] = {"type": "http"}


class _Flask:
    def __init__(self) -> None:
        self.environ: dict[str, Any] = {"REQUEST_METHOD": "GET"}


class _Django:
    def __init__(self) -> None:
        self.META: dict[str, Any] = {"REQUEST_METHOD": "GET"}


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
    scope: dict[str, Any] = {"type": "http"}
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
