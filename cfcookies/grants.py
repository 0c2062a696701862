"""What views call: :func:`grant` and :func:`revoke`, recorded as :class:`Actions`.

A view calls ``grant(request, "/videos/course-1")`` at login and ``revoke(request)`` at logout;
the middleware reads the calls when the response starts and sets the cookies. The calls are
kept in the request's own mapping (the ASGI scope, the WSGI environ, Django's ``META``) under
:data:`ACTIONS_KEY`, so any framework's request object works.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from .exceptions import GrantLimitError, MiddlewareMissingError, ResourceError
from .policy import normalize_prefix

__all__ = [
    "ACTIONS_KEY",
    "MIDDLEWARE_KEY",
    "Actions",
    "desired_prefixes",
    "grant",
    "merge_prefixes",
    "revoke",
]

#: Where ``grant()``/``revoke()`` leave their calls: a key of the ASGI scope or WSGI environ.
ACTIONS_KEY = "cfcookies.actions"
#: Where grant()/revoke() find the middleware that handles the request (its CloudFrontCookies).
MIDDLEWARE_KEY = "cfcookies.middleware"


def merge_prefixes(prefixes: Iterable[str]) -> tuple[str, ...]:
    """Normalise prefixes and drop those inside another (``/videos/`` covers ``/videos/a/``)."""
    return _merge_normalized({normalize_prefix(p) for p in prefixes})


def _merge_normalized(normalized: set[str]) -> tuple[str, ...]:
    """:func:`merge_prefixes` of prefixes already normalised (what grant() and revoke() keep)."""
    if len(normalized) < 2:  # (one folder: a login's usual grant)
        return tuple(normalized)
    merged: list[str] = []
    for prefix in sorted(normalized):  # sorted, so a folder comes before anything inside it
        if not any(prefix.startswith(kept) for kept in merged):
            merged.append(prefix)
    return tuple(merged)


def desired_prefixes(answer: Any) -> tuple[str, ...] | None:
    """What a ``grants`` callable answered, as a tuple (a lone string is one prefix), or None
    when it granted nothing."""
    if answer is None:
        return None
    if isinstance(answer, str):
        return (answer,)
    if not isinstance(answer, Iterable):
        raise TypeError(
            f"the grants callable must return prefixes (an iterable of str) or None, got "
            f"{type(answer).__name__}"
        )
    return tuple(answer)


@dataclass
class Actions:
    """The ``grant``/``revoke`` calls a view made during one request, in order."""

    steps: list[tuple[Literal["grant", "revoke"], tuple[str, ...] | None]] = field(
        default_factory=list
    )
    user_id: str | None = None
    #: What the middleware's :meth:`check_grant` last found the session can hold: (the prefixes
    #: these calls leave it, the user ID), so that its decision does not check them again.
    checked: tuple[tuple[str, ...], str] | None = field(default=None, repr=False, compare=False)

    def apply(self, current: Iterable[str], *, grants: bool = True) -> tuple[str, ...]:
        """``current`` (normalised prefixes: a state's, a merged answer's) after these calls
        (``grants=False``: after the revocations only)."""
        result = set(current)
        for kind, prefixes in self.steps:
            if kind == "grant" and prefixes and grants:
                result.update(prefixes)
            elif kind == "revoke":
                if prefixes is None:
                    result.clear()
                else:
                    result.difference_update(prefixes)
        return _merge_normalized(result)

    @property
    def granted(self) -> bool:
        """Whether the view granted anything in this request (it then vouches for the
        session, as a ``grants`` callable's answer does)."""
        return any(kind == "grant" for kind, _ in self.steps)


class GrantChecker(Protocol):
    """What :func:`grant` asks the middleware: can the session hold this?"""

    def check_grant(
        self, actions: Actions, storage: MutableMapping[str, Any], user_id: str | None
    ) -> None: ...


def request_storage(request: object) -> MutableMapping[str, Any]:
    """The per-request mapping behind any supported request object."""
    if type(request) is dict and ("type" in request or "REQUEST_METHOD" in request):
        return request  # a raw ASGI scope or WSGI environ (asked first: the cheapest test)
    scope = getattr(request, "scope", None)  # Starlette / FastAPI Request
    if type(scope) is dict or isinstance(scope, MutableMapping):
        return scope
    environ = getattr(request, "environ", None)  # Flask / werkzeug Request
    if isinstance(environ, MutableMapping):
        return environ
    meta = getattr(request, "META", None)  # Django HttpRequest
    if isinstance(meta, MutableMapping):
        return meta
    if isinstance(request, MutableMapping) and ("type" in request or "REQUEST_METHOD" in request):
        return request  # a raw ASGI scope or WSGI environ
    raise TypeError(
        "grant()/revoke() take a Starlette, FastAPI, Flask or Django request, an ASGI scope or "
        f"a WSGI environ; got {type(request).__name__}"
    )


def cookie_header_of(storage: MutableMapping[str, Any]) -> str | None:
    """The ``Cookie`` header of an ASGI scope, a WSGI environ or Django's ``META``."""
    cookie = storage.get("HTTP_COOKIE")
    if isinstance(cookie, str):
        return cookie
    for name, value in storage.get("headers") or ():
        if name == b"cookie":
            return bytes(value).decode("latin-1")
    return None


def actions_of(storage: MutableMapping[str, Any]) -> Actions:
    """The calls recorded in ``storage``, created on first use."""
    actions = storage.get(ACTIONS_KEY)
    if not isinstance(actions, Actions):
        actions = Actions()
        storage[ACTIONS_KEY] = actions
    return actions


def recorded_actions(storage: MutableMapping[str, Any]) -> Actions | None:
    """The calls the view made, or None when it made none."""
    actions = storage.get(ACTIONS_KEY)
    return actions if isinstance(actions, Actions) and actions.steps else None


def grant(request: object, *prefixes: str, user_id: str | None = None) -> None:
    """Let this session read every file under ``prefixes`` (e.g. in the login view).

    Prefixes add to what the session already holds. The cookies are set on this response.
    ``user_id`` (with the edge deny-list enabled) lets "revoke this user" reach this session.

    Raises :class:`~cfcookies.exceptions.GrantLimitError`, and grants nothing, when the session
    could not hold the result: more folders than ``max_prefixes``, or cookies over the 4,096
    bytes a browser keeps; :class:`~cfcookies.exceptions.MiddlewareMissingError` when no
    cfcookies middleware handles the request (nothing would set the cookies).
    """
    if not prefixes:
        raise ResourceError("grant() needs at least one prefix, such as '/videos/course-1'")
    normalized = tuple(map(normalize_prefix, prefixes))
    storage = request_storage(request)
    middleware = storage.get(MIDDLEWARE_KEY)
    if middleware is None:
        raise middleware_missing("grant", request)
    actions = actions_of(storage)
    actions.steps.append(("grant", normalized))
    checker: GrantChecker = middleware
    try:
        checker.check_grant(actions, storage, user_id)
    except GrantLimitError:
        actions.steps.pop()
        raise
    if user_id is not None:
        actions.user_id = user_id


def revoke(request: object, *prefixes: str) -> None:
    """Take ``prefixes`` away from this session; with none, take everything (logout).

    Raises :class:`~cfcookies.exceptions.MiddlewareMissingError` when no cfcookies middleware
    handles the request (nothing would delete the cookies)."""
    normalized = tuple(normalize_prefix(p) for p in prefixes) if prefixes else None
    storage = request_storage(request)
    if MIDDLEWARE_KEY not in storage:
        raise middleware_missing("revoke", request)
    actions_of(storage).steps.append(("revoke", normalized))


def middleware_missing(call: str, request: object) -> MiddlewareMissingError:
    """The error of a ``grant()``/``revoke()`` call on a request that no adapter marked with
    :data:`MIDDLEWARE_KEY`, naming the middleware to install for the request's framework."""
    if hasattr(request, "META"):  # Django (its request has an environ too: asked first)
        install = "add 'cfcookies.contrib.django.CloudFrontCookieMiddleware' to settings.MIDDLEWARE"
    elif hasattr(request, "environ"):  # Flask
        install = (
            "install the Flask extension, FlaskCloudFrontCookies(app, ...) from "
            "cfcookies.contrib.flask.FlaskCloudFrontCookies (or wrap app.wsgi_app in "
            "cfcookies.wsgi.CloudFrontCookieMiddleware)"
        )
    elif isinstance(request, MutableMapping) and "REQUEST_METHOD" in request:  # a WSGI environ
        install = "wrap the WSGI app: app = cfcookies.wsgi.CloudFrontCookieMiddleware(app, ...)"
    else:  # Starlette, FastAPI, a raw ASGI scope
        install = (
            "add cfcookies.asgi.CloudFrontCookieMiddleware to the app (Starlette, FastAPI): "
            "app.add_middleware(CloudFrontCookieMiddleware, ...)"
        )
    return MiddlewareMissingError(
        f"{call}(): no cfcookies middleware handles this request, so no cookie would be set or "
        f"deleted; {install}"
    )
