"""The demo app: its routes, and the middleware stack around them.

``GET /`` is the sign-in page, or for a signed-in user the page that shows which CloudFront
cookies the middleware issued, loads the user's courses from the edge, gives each a link for a
player without cookies, and offers the other courses to try; ``POST /login`` and
``POST /logout`` sign in and out (the cfcookies middleware issues and deletes the cookies);
``POST /replay`` replays the copy of the cookies kept at logout (:mod:`cfcookies.demo.copies`).
``GET /receiver`` plays such a link as a Chromecast receiver would, through the playlist route
``GET /cfcookies/play/...`` (and ``GET /hls.min.js`` when the demo has hls.js:
:mod:`cfcookies.demo.player`). The views read the request and answer; the markup comes from
:mod:`cfcookies.demo.pages` and the CSRF checks from :mod:`cfcookies.demo.csrf`.
:func:`~cfcookies.demo.build.build_demo` builds the views and the edge they talk to.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ..asgi import CloudFrontCookieMiddleware
from ..session import CloudFrontCookies
from .catalog import DemoInfo, DemoUser
from .copies import CaptureCookies, CookieCopies, Replayer
from .csrf import Csrf, CsrfGuard, SameOriginOnly, serialized_origin
from .pages import Pages
from .player import RECEIVER_PATH, CookielessPlayer


class DemoViews:
    """The demo app's views; :func:`demo_app` wires them into Starlette and the middleware."""

    def __init__(
        self,
        cookies: CloudFrontCookies,
        info: DemoInfo,
        *,
        app_netloc: str,
        relaxed: bool,
        replayer: Replayer,
        player: CookielessPlayer,
    ) -> None:
        self.cookies = cookies
        self.info = info
        self.app_netloc = app_netloc
        self.replayer = replayer
        self.player = player
        self.users = {u.name: u for u in info.users}
        self.by_slug = {c.slug: c for c in info.courses}
        self.copies = CookieCopies()
        self.edge: ASGIApp | None = None  # set by build_demo once the edge is built
        self.csrf = CsrfGuard(secure=info.secure and info.app_url.startswith("https://"))
        self.pages = Pages(info, cookies, relaxed=relaxed, player=player)

    # -- helpers -------------------------------------------------------------------------------

    def grants(self, request: Request) -> list[str] | None:
        user = self._user(request)
        if user is None:
            return None
        return [self.by_slug[slug].prefix for slug in user.courses]

    def _user(self, request: Request) -> DemoUser | None:
        return self.users.get(str(request.session.get("user", "")))

    @staticmethod
    async def _form(request: Request) -> dict[str, list[str]]:
        return parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)

    @staticmethod
    def _copy_id(request: Request) -> str | None:
        """The demo session whose cookies this browser kept a copy of at logout."""
        value = request.session.get("copy_of")
        return value if isinstance(value, str) and value else None

    def _forget(self, request: Request) -> None:
        for key in ("demo_id", "copy_of"):
            value = request.session.get(key)
            if isinstance(value, str):
                self.copies.forget(value)

    def _edge(self) -> ASGIApp:
        if self.edge is None:  # pragma: no cover - build_demo always sets it
            raise RuntimeError("the demo's edge is not set")
        return self.edge

    def _page(
        self, title: str, body: str, *, user: DemoUser | None, csrf: Csrf, status: int = 200
    ) -> Response:
        document = self.pages.document(title, body, user=user, csrf=csrf)
        response = HTMLResponse(document, status_code=status, headers={"Cache-Control": "no-store"})
        self.csrf.set_cookie(response, csrf)
        return response

    def _login_page(
        self, csrf: Csrf, *, error: str | None, status: int = 200, copy_of: str | None = None
    ) -> Response:
        copied = ""
        if copy_of is not None:
            held = self.replayer.copied(self.copies.get(copy_of))
            copied = self.pages.copied(held, csrf)
        body = self.pages.login(csrf, error=error, copied=copied)
        return self._page("sign in", body, user=None, csrf=csrf, status=status)

    # -- views ---------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        if request.headers.get("host", "").lower() != self.app_netloc:
            return RedirectResponse(self.info.app_url + request.url.path, status_code=307)
        user = self._user(request)
        csrf = self.csrf.pair(request)
        if user is None:
            return self._login_page(csrf, error=None, copy_of=self._copy_id(request))
        state, _ = self.cookies.read_state(request.headers.get("cookie"))
        links = await self.player.links(request, [self.by_slug[s] for s in user.courses])
        body = self.pages.dashboard(user, state, csrf, links)
        return self._page(f"{user.name}'s courses", body, user=user, csrf=csrf)

    async def receiver(self, request: Request) -> Response:
        """The player without cookies: no session read, the link in the page's fragment."""
        return HTMLResponse(self.pages.receiver(), headers={"Cache-Control": "no-store"})

    async def login(self, request: Request) -> Response:
        form = await self._form(request)
        refused = self.csrf.refusal(request, form)
        if refused is not None:
            return refused
        name = (form.get("username") or [""])[0].strip().lower()
        password = (form.get("password") or [""])[0]
        user = self.users.get(name)
        if user is None or not secrets.compare_digest(
            password.encode("utf-8"), user.password.encode("utf-8")
        ):
            self._forget(request)
            request.session.clear()
            return self._login_page(
                self.csrf.pair(request), error="Unknown user or wrong password.", status=401
            )
        self._forget(request)
        request.session.clear()
        request.session["user"] = user.name
        request.session["demo_id"] = secrets.token_urlsafe(12)
        return RedirectResponse("/", status_code=303)

    async def logout(self, request: Request) -> Response:
        form = await self._form(request)
        refused = self.csrf.refusal(request, form)
        if refused is not None:
            return refused
        keep = (form.get("keep") or [""])[0] == "1"
        demo_id = request.session.get("demo_id")
        if keep and isinstance(demo_id, str):
            old = self._copy_id(request)
            if old is not None:
                self.copies.forget(old)
            request.session.clear()  # the middleware deletes the cookies, and denies the session
            request.session["copy_of"] = demo_id  # the demo's copy stays, in memory
        else:
            self._forget(request)
            request.session.clear()
        return RedirectResponse("/", status_code=303)

    async def replay(self, request: Request) -> Response:
        """Replay the copy of this browser's cookies against the edge (demo only)."""
        refused = self.csrf.refusal(request, await self._form(request))
        if refused is not None:
            return refused
        user = self._user(request)
        source = request.session.get("demo_id") if user is not None else self._copy_id(request)
        jar = self.copies.get(source) if isinstance(source, str) and source else {}
        results = await self.replayer.replay(jar, self._edge()) if jar else []
        body = self.pages.replay(results, signed_in=user is not None)
        return self._page("replay", body, user=user, csrf=self.csrf.pair(request))


def demo_app(views: DemoViews) -> ASGIApp:
    """The demo's ASGI app: ``views``' routes inside the middleware stack."""
    starlette = Starlette(
        routes=[
            Route("/", views.home, methods=["GET"]),
            Route("/login", views.login, methods=["POST"]),
            Route("/logout", views.logout, methods=["POST"]),
            Route("/replay", views.replay, methods=["POST"]),
            Route(RECEIVER_PATH, views.receiver, methods=["GET"]),
            *views.player.routes(),
        ]
    )
    # The session middleware wraps the cfcookies middleware, so that the grants callable can
    # read the session on every request the cfcookies middleware answers, its keep-alive
    # endpoint included; between the two, the demo copies the cookies issued to each demo
    # session. Outermost, a POST from another origin is refused before anything runs (the
    # keep-alive included); the demo's forms also check their CSRF token.
    return SameOriginOnly(
        SessionMiddleware(
            CaptureCookies(
                CloudFrontCookieMiddleware(starlette, cookies=views.cookies), views.copies
            ),
            secret_key=secrets.token_urlsafe(32),
            session_cookie="demo_session",
            max_age=None,
            same_site="lax",
            https_only=views.info.secure,
        ),
        serialized_origin(views.info.app_url),
    )
