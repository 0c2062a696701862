"""One small app per integration, all with the same routes, and a driver for each.

Routes (every app):

- ``GET /login?user=NAME&p=/prefix&p=...``: logs in (a ``user`` cookie) and, in imperative
  mode, calls ``grant(request, *prefixes)``.
- ``GET /logout``: logs out and, in imperative mode, calls ``revoke(request)``.
- ``GET /drop?p=/prefix``: ``revoke(request, prefix)``.
- ``GET /page``: sets the app's own ``app=1`` cookie and an ``X-App`` header.
- ``GET /stream`` (ASGI and raw WSGI): a streamed body in several chunks.

In declarative mode the ``grants`` callable maps the ``user`` cookie (or the user that the
login view just logged in) to that user's prefixes in ``USERS``.

A driver sends one request with a given ``Cookie`` header to the app as
``https://app.example.test`` and returns the status, the headers in order, and the body.
"""

from __future__ import annotations

import wsgiref.validate
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from cfcookies import session as core
from cfcookies.session import CloudFrontCookies

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

APP_ORIGIN = "https://app.example.test"
MEDIA_URL = "https://media.example.test"
USERS: dict[str, list[str]] = {
    "ana": ["/videos/course-1"],
    "ben": ["/videos/course-2", "/docs/handbook"],
    "cy": ["/videos", "/videos/course-1"],
}
LOGIN_KEY = "tests.logged_in"


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def set_cookie(self) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def _user_from_cookie_header(header: str | None) -> str | None:
    from cfcookies.cookies import parse_cookie_header

    user = parse_cookie_header(header).get("user")
    return user if user in USERS else None


def declarative_prefixes(user: str | None) -> list[str] | None:
    return USERS.get(user) if user else None


def grant_or_refuse(request: Any, prefixes: list[str], user_id: str | None = None) -> bool:
    """What a careful login view does: grant, or learn that the session cannot hold more (the
    view answers 409 then, and the session keeps what it held). ``user_id`` comes from the
    ``uid`` query parameter, for the tests of revocation by user."""
    from cfcookies.exceptions import GrantLimitError

    try:
        core.grant(request, *prefixes, user_id=user_id or None)
    except GrantLimitError:
        return False
    return True


def _query(qs: str) -> dict[str, list[str]]:
    return parse_qs(qs, keep_blank_values=True)


# --- ASGI (Starlette) ---------------------------------------------------------------------------


def starlette_app(cookies: CloudFrontCookies | None, *, declarative: bool) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response, StreamingResponse
    from starlette.routing import Route

    from cfcookies.asgi import CloudFrontCookieMiddleware

    def login(request: Request) -> Response:
        user = request.query_params.get("user", "ana")
        response = PlainTextResponse("logged in")
        response.set_cookie("user", user, secure=True, httponly=True)
        request.scope[LOGIN_KEY] = user
        prefixes = request.query_params.getlist("p") or USERS.get(user, [])
        uid = request.query_params.get("uid")
        if not declarative and prefixes and not grant_or_refuse(request, prefixes, uid):
            response.status_code = 409
        return response

    def logout(request: Request) -> Response:
        response = PlainTextResponse("logged out")
        response.delete_cookie("user", secure=True, httponly=True)
        request.scope[LOGIN_KEY] = ""
        if not declarative:
            core.revoke(request)
        return response

    def drop(request: Request) -> Response:
        core.revoke(request, *request.query_params.getlist("p"))
        return PlainTextResponse("dropped")

    def page(request: Request) -> Response:
        response = PlainTextResponse("page", headers={"X-App": "kept"})
        response.set_cookie("app", "1")
        return response

    async def chunks() -> Any:
        for i in range(3):
            yield f"chunk{i};".encode()

    def stream(request: Request) -> Response:
        return StreamingResponse(chunks(), media_type="text/plain")

    def grants(request: Request) -> list[str] | None:
        user = request.scope.get(LOGIN_KEY)
        if user is None:
            user = request.cookies.get("user")
        return declarative_prefixes(user or None)

    app = Starlette(
        routes=[
            Route("/login", login),
            Route("/logout", logout),
            Route("/drop", drop),
            Route("/page", page),
            Route("/stream", stream),
        ]
    )
    if cookies is not None:
        if declarative:
            cookies.grants = grants
        app.add_middleware(CloudFrontCookieMiddleware, cookies=cookies)
    return app


# --- raw WSGI ------------------------------------------------------------------------------------


def raw_wsgi_app(cookies: CloudFrontCookies | None, *, declarative: bool) -> Any:
    from cfcookies.wsgi import CloudFrontCookieMiddleware

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        query = _query(environ.get("QUERY_STRING", ""))
        headers = [("Content-Type", "text/plain")]
        body: Iterable[bytes] = [b"ok"]
        if path == "/login":
            user = query.get("user", ["ana"])[0]
            headers.append(("Set-Cookie", f"user={user}; Path=/; Secure; HttpOnly"))
            environ[LOGIN_KEY] = user
            prefixes = query.get("p") or USERS.get(user, [])
            uid = query.get("uid", [""])[0]
            if not declarative and prefixes and not grant_or_refuse(environ, prefixes, uid):
                start_response("409 Conflict", headers)
                return [b"refused"]
        elif path == "/logout":
            headers.append(("Set-Cookie", "user=; Path=/; Max-Age=0; Secure; HttpOnly"))
            environ[LOGIN_KEY] = ""
            if not declarative:
                core.revoke(environ)
        elif path == "/drop":
            core.revoke(environ, *query.get("p", []))
        elif path == "/page":
            headers.extend([("Set-Cookie", "app=1; Path=/"), ("X-App", "kept")])
        elif path == "/stream":
            body = (f"chunk{i};".encode() for i in range(3))
        else:
            start_response("404 Not Found", headers)
            return [b"not found"]
        start_response("200 OK", headers)
        return body

    def grants(environ: WSGIEnvironment) -> list[str] | None:
        user = environ.get(LOGIN_KEY)
        if user is None:
            user = _user_from_cookie_header(environ.get("HTTP_COOKIE"))
        return declarative_prefixes(user or None)

    if cookies is None:
        return app
    if declarative:
        cookies.grants = grants
    return wsgiref.validate.validator(CloudFrontCookieMiddleware(app, cookies=cookies))


def call_wsgi(
    app: Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]],
    method: str,
    path: str,
    cookie_header: str | None,
    host: str = "app.example.test",
    extra: dict[str, Any] | None = None,
) -> Reply:
    """Call a WSGI app directly, as a server would (close() included)."""
    import io
    import sys

    target, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": target,
        "QUERY_STRING": query,
        "SERVER_NAME": "app.example.test",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if cookie_header:
        environ["HTTP_COOKIE"] = cookie_header
    environ.update(extra or {})
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = int(status.split()[0])
        captured["headers"] = headers
        return lambda data: None

    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return Reply(captured["status"], list(captured["headers"]), body)


# --- Flask ---------------------------------------------------------------------------------


def flask_app(cookies_options: dict[str, Any] | None, *, declarative: bool) -> Any:
    from flask import Flask, g, make_response, request

    from cfcookies.contrib.flask import FlaskCloudFrontCookies

    app = Flask("flask_table")

    @app.get("/login")
    def login() -> Any:
        user = request.args.get("user", "ana")
        response = make_response("logged in")
        response.set_cookie("user", user, secure=True, httponly=True)
        g.logged_in = user
        prefixes = request.args.getlist("p") or USERS.get(user, [])
        uid = request.args.get("uid")
        if not declarative and prefixes and not grant_or_refuse(request, prefixes, uid):
            response.status_code = 409
        return response

    @app.get("/logout")
    def logout() -> Any:
        response = make_response("logged out")
        response.delete_cookie("user", secure=True, httponly=True)
        g.logged_in = ""
        if not declarative:
            core.revoke(request)
        return response

    @app.get("/drop")
    def drop() -> Any:
        core.revoke(request, *request.args.getlist("p"))
        return "dropped"

    @app.get("/page")
    def page() -> Any:
        response = make_response("page")
        response.headers["X-App"] = "kept"
        response.set_cookie("app", "1")
        return response

    def grants(req: Any) -> list[str] | None:
        user = g.get("logged_in")
        if user is None:
            user = req.cookies.get("user")
        return declarative_prefixes(user or None)

    if cookies_options is not None:
        options = dict(cookies_options)
        if declarative:
            options["grants"] = grants
        FlaskCloudFrontCookies(app, **options)
    return app


def call_flask(app: Any, method: str, path: str, cookie_header: str | None) -> Reply:
    client = app.test_client(use_cookies=False)
    headers = {"Host": "app.example.test"}
    if cookie_header:
        headers["Cookie"] = cookie_header
    response = client.open(path, method=method, headers=headers, base_url=APP_ORIGIN)
    return Reply(response.status_code, list(response.headers.items()), response.get_data())


# --- Django --------------------------------------------------------------------------------

_django_options: dict[str, Any] = {}


def django_grants(request: Any) -> list[str] | None:
    user = getattr(request, "logged_in", None)
    if user is None:
        user = request.COOKIES.get("user")
    return declarative_prefixes(user or None)


def _django_views() -> list[Any]:
    from django.http import HttpRequest, HttpResponse
    from django.urls import path

    def login(request: HttpRequest) -> HttpResponse:
        user = request.GET.get("user", "ana")
        response = HttpResponse("logged in")
        response.set_cookie("user", user, secure=True, httponly=True)
        request.logged_in = user
        prefixes = request.GET.getlist("p") or USERS.get(user, [])
        declarative = _django_options.get("declarative")
        uid = request.GET.get("uid")
        if not declarative and prefixes and not grant_or_refuse(request, prefixes, uid):
            response.status_code = 409
        return response

    def logout(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("logged out")
        response.delete_cookie("user")
        request.logged_in = ""
        if not _django_options.get("declarative"):
            core.revoke(request)
        return response

    def drop(request: HttpRequest) -> HttpResponse:
        core.revoke(request, *request.GET.getlist("p"))
        return HttpResponse("dropped")

    def page(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("page")
        response["X-App"] = "kept"
        response.set_cookie("app", "1")
        return response

    return [path("login", login), path("logout", logout), path("drop", drop), path("page", page)]


urlpatterns: list[Any] = []


def django_app(cookies_options: dict[str, Any] | None, *, declarative: bool) -> Any:
    """Configure Django (once per process) and return a middleware-wrapped handler maker."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="tests-" + "x" * 40,
            ALLOWED_HOSTS=["app.example.test", "testserver", "127.0.0.1"],
            ROOT_URLCONF="tests.middleware_apps",
            MIDDLEWARE=["cfcookies.contrib.django.CloudFrontCookieMiddleware"],
            INSTALLED_APPS=[],
            USE_TZ=True,
        )
        django.setup()
    if not urlpatterns:
        urlpatterns.extend(_django_views())
    _django_options.clear()
    _django_options["declarative"] = declarative
    options = dict(cookies_options or {})
    if declarative:
        options["grants"] = "tests.middleware_apps.django_grants"
    return options


def call_django(
    options: dict[str, Any], method: str, path: str, cookie_header: str | None
) -> Reply:
    from django.test import Client, override_settings

    with override_settings(CFCOOKIES=options):
        client = Client(HTTP_HOST="app.example.test")
        extra: dict[str, Any] = {"secure": True}
        if cookie_header:
            extra["HTTP_COOKIE"] = cookie_header
        response = client.generic(method, path, **extra)
    headers = list(response.items())
    headers.extend(("Set-Cookie", c.output(header="").strip()) for c in response.cookies.values())
    return Reply(response.status_code, headers, response.content)


def iter_chunks(reply: Reply) -> Iterator[bytes]:
    yield reply.body
