"""The playlist route in each framework's idiom: Starlette/FastAPI, Flask and Django.

Each is a few lines around :meth:`PlaylistServer.answer
<cfcookies.streaming.serve.PlaylistServer.answer>`, reached through the server's own methods::

    server = PlaylistServer(cookies, S3PlaylistSource("my-media-bucket"))

    app.router.routes.append(server.starlette_route())      # Starlette, FastAPI
    server.flask_route(app)                                 # Flask
    urlpatterns += server.django_urls()                     # Django

Django's middleware builds its own :class:`~cfcookies.session.CloudFrontCookies` from
``settings.CFCOOKIES``; build the server's from the same settings, so that it reads the same
state cookies and signs with the same key::

    from cfcookies.config import load_options

    cookies = CloudFrontCookies(**load_options(settings.CFCOOKIES, prefix=""))

Each function imports its framework when called, so this module imports none. What each one
reads of the request:

* the token, and the media path *as the client wrote it*: the raw request path where the
  server keeps it (ASGI ``raw_path``; ``RAW_URI`` or ``REQUEST_URI`` under gunicorn, uWSGI
  and werkzeug), so that ``%2F`` or ``%2e%2e`` are refused as written rather than decoded
  into something else first; otherwise the decoded path, percent-encoded again. Either way
  the server's path checks then refuse what is not a clean path;
* the viewer's address, when the cookies have a ``client_ip`` option (the same callable the
  middleware asks, given the framework's request; async ones only under Starlette): a link
  bound to an IPv4 address is then refused to others. Without it the app does not check the
  address (behind a proxy it would see the proxy's), and CloudFront still does, on every
  segment.

Only ``GET`` (and ``HEAD``) are routed. Starlette runs the answer, whose source does blocking
I/O, in a worker thread (``run_in_threadpool``); Flask and Django views are synchronous.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from flask import Blueprint, Flask
    from starlette.routing import Route

    from .serve import PlaylistServer

__all__ = [
    "client_path",
    "django_urls",
    "flask_route",
    "starlette_route",
    "viewer_ip",
    "viewer_ip_async",
]

#: What stays unencoded when a decoded path is encoded again: RFC 3986 path characters but
#: ``,`` and ``;`` (a cookie path's separators, kept encoded by normalize_prefix) and ``%``.
_PATH_SAFE = "/:@!$&'()*+="


def client_path(token: str, decoded: str, raw: object) -> str:
    """The media path of a request for ``<route>/<token><path>``, as the client wrote it.

    ``decoded`` is the path after the token as the framework decoded it, with its leading
    ``/``; ``raw`` the raw request path (bytes or text, a query allowed), or None. The raw
    tail after ``/<token>`` is taken when it decodes to ``decoded`` (the same request);
    otherwise ``decoded`` is percent-encoded again.
    """
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    if isinstance(raw, str) and raw.startswith("/"):
        raw = raw.partition("?")[0]
        marker = f"/{token}/"
        at = raw.find(marker)
        if at >= 0:
            tail = raw[at + len(marker) - 1 :]
            if unquote(tail) == decoded:
                return tail
    return quote(decoded, safe=_PATH_SAFE)


def _address(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def viewer_ip(server: PlaylistServer, request: Any) -> str | None:
    """The viewer's address by the cookies' ``client_ip`` option (None without one)."""
    ask = server.cookies.client_ip
    if ask is None:
        return None
    value = ask(request)
    if inspect.isawaitable(value):
        getattr(value, "close", lambda: None)()  # (a coroutine never awaited warns)
        raise ConfigurationError(
            "the client_ip option is async: a synchronous framework's playlist route cannot "
            "await it; give a plain function"
        )
    return _address(value)


async def viewer_ip_async(server: PlaylistServer, request: Any) -> str | None:
    """:func:`viewer_ip`, awaiting an async ``client_ip`` option."""
    ask = server.cookies.client_ip
    if ask is None:
        return None
    value = ask(request)
    if inspect.isawaitable(value):
        value = await value
    return _address(value)


def starlette_route(server: PlaylistServer) -> Route:
    """A Starlette ``Route`` for ``GET <route>/{token}/{path:path}`` (HEAD too)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def playlist(request: Request) -> Response:
        token = request.path_params["token"]
        path = client_path(token, "/" + request.path_params["path"], request.scope.get("raw_path"))
        client_ip = await viewer_ip_async(server, request)
        answer = await run_in_threadpool(server.answer, token, path, client_ip=client_ip)
        return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))

    return Route(
        server.route + "/{token}/{path:path}",
        playlist,
        methods=["GET"],
        name="cfcookies_playlist",
    )


def flask_route(
    server: PlaylistServer, app: Flask | Blueprint, *, endpoint: str = "cfcookies_playlist"
) -> None:
    """Register ``GET <route>/<token>/<path:path>`` on ``app`` (slashes not merged: a ``//``
    reaches the server's checks, and is refused there, instead of being redirected)."""
    from flask import Response, request

    def playlist(token: str, path: str) -> Response:
        environ = request.environ
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        media_path = client_path(token, "/" + path, raw)
        answer = server.answer(token, media_path, client_ip=viewer_ip(server, request))
        return Response(answer.body, status=answer.status, headers=answer.headers)

    app.add_url_rule(
        server.route + "/<token>/<path:path>",
        endpoint=endpoint,
        view_func=playlist,
        methods=["GET"],
        merge_slashes=False,
    )


def django_urls(server: PlaylistServer, *, name: str = "cfcookies-playlist") -> list[Any]:
    """``[path("<route>/<str:token>/<path:media_path>", view)]`` for ``urlpatterns``."""
    from django.http import HttpRequest, HttpResponse
    from django.urls import path as url_path
    from django.views.decorators.http import require_safe

    @require_safe  # type: ignore[untyped-decorator]
    def playlist(request: HttpRequest, token: str, media_path: str) -> HttpResponse:
        raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
        path = client_path(token, "/" + media_path, raw)
        answer = server.answer(token, path, client_ip=viewer_ip(server, request))
        return HttpResponse(answer.body, status=answer.status, headers=dict(answer.headers))

    return [url_path(server.route[1:] + "/<str:token>/<path:media_path>", playlist, name=name)]
