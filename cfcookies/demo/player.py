"""The demo's player without cookies: what a Chromecast receiver, a TV app or VLC would get.

Such players share no cookie jar with the browser that signed in, so the signed-in page hands
them a link instead: :class:`~cfcookies.streaming.serve.PlaylistServer` mints, for each of the
user's courses, a link to the course's ``index.m3u8`` on the app's playlist route
(``/cfcookies/play/<token>/videos/<course>/index.m3u8``). The route fetches the playlist
through the edge, as an app fetches it through CloudFront
(:class:`~cfcookies.streaming.sources.DistributionPlaylistSource`, with a short-lived signed
URL), and serves it rewritten: every segment's URL carries the folder's signed query, and the
player fetches the segments from the edge with nothing else.

``GET /receiver#<link>`` plays such a link as a receiver would: the page reads no session and
reads the link from its fragment (which browsers never send to a server). It plays with
hls.js, which sends the edge no credentials, when the demo was given hls.js's browser build
(``build_demo(hls_js=...)``, ``cfcookies demo --hls-js FILE``: served as ``/hls.min.js``); the
package ships no copy of it and the demo loads nothing from the network. Without it the page
falls back on the browser's own HLS player, asked with ``crossorigin="anonymous"``, and says
so.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..exceptions import ConfigurationError, PlaylistLinkError
from ..session import CloudFrontCookies
from ..streaming import DistributionPlaylistSource, PlaylistServer
from .catalog import DemoCourse

__all__ = ["HLS_JS_PATH", "RECEIVER_PATH", "CookielessPlayer", "read_hls_js"]

#: The receiver page's path; the link follows it after ``#``.
RECEIVER_PATH = "/receiver"
#: Where the app serves hls.js, when it has it.
HLS_JS_PATH = "/hls.min.js"
#: The playlist each link opens, in the course's folder.
PLAYLIST = "index.m3u8"

_MAX_HLS_JS = 8 * 1024 * 1024


def read_hls_js(path: str | os.PathLike[str]) -> bytes:
    """The bytes of hls.js's browser build at ``path``, or a ConfigurationError saying what
    to give instead."""
    file = Path(path)
    hint = "give hls.js's browser build, like node_modules/hls.js/dist/hls.min.js"
    try:
        if not file.is_file():
            raise ConfigurationError(f"hls_js must be a file ({hint}), got {str(path)!r}")
        if file.stat().st_size > _MAX_HLS_JS:
            raise ConfigurationError(f"hls_js {str(path)!r} is over 8 MiB: {hint}")
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"hls_js {str(path)!r} cannot be read ({exc.strerror or exc}): {hint}"
        ) from None
    if b"Hls" not in data:
        raise ConfigurationError(f"hls_js {str(path)!r} does not look like hls.js: {hint}")
    return data


class CookielessPlayer:
    """The links, the playlist route and hls.js of the demo's player without cookies.

    ``cookies`` are the middleware's: the links are minted from a request's session state,
    and the served playlists signed with the same key and (with edge revocation) secrets.
    """

    def __init__(self, cookies: CloudFrontCookies, *, hls_js: bytes | None = None) -> None:
        self.playlists = PlaylistServer(cookies, DistributionPlaylistSource(cookies))
        self.hls_js = hls_js

    @property
    def engine(self) -> str:
        """What plays on the receiver page: ``hls.js``, or ``native`` (the browser's own)."""
        return "hls.js" if self.hls_js is not None else "native"

    @staticmethod
    def playlist_path(course: DemoCourse) -> str:
        """The media path of the playlist a course's link opens."""
        return course.prefix + PLAYLIST

    async def links(
        self, request: Request, courses: list[DemoCourse]
    ) -> dict[str, str | PlaylistLinkError]:
        """Per course slug, a link to its playlist for ``request``'s session, or the refusal
        (the session holds no such folder, has expired, or was revoked)."""
        links: dict[str, str | PlaylistLinkError] = {}
        for course in courses:
            try:
                links[course.slug] = await self.playlists.link_async(
                    request, self.playlist_path(course)
                )
            except PlaylistLinkError as exc:
                links[course.slug] = exc
        return links

    async def script(self, request: Request) -> Response:
        """hls.js, as given to the demo."""
        return Response(
            self.hls_js or b"",
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    def routes(self) -> list[BaseRoute]:
        """The playlist route, and hls.js's when the demo has it (the receiver page is the
        app's, :meth:`cfcookies.demo.app.DemoViews.receiver`)."""
        routes: list[BaseRoute] = [self.playlists.starlette_route()]
        if self.hls_js is not None:
            routes.append(Route(HLS_JS_PATH, self.script, methods=["GET"]))
        return routes
