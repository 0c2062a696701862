"""The app's playlist route: HLS playlists and DASH manifests served rewritten to players that
cannot send cookies, through capability links minted for a logged-in session.

Players that cannot send the CloudFront cookies (Chromecast receivers, AirPlay targets, native
players, cross-site embeds) cannot send the app's session cookie either, so the route cannot
ask "who is this?". Instead a logged-in page asks :meth:`PlaylistServer.link` for a link to a
playlist, and hands it to the player::

    /cfcookies/play/<token>/videos/course-1/master.m3u8

The token is the credential: it is signed with the cookies' state secrets (itsdangerous,
through :class:`~cfcookies.state.TokenCodec`, salt ``cfcookies.playlist-link`` and the media URL,
so that a link made for one distribution opens nothing on another) and carries the
folder the session holds that covers the playlist, an expiry, the viewer's IPv4 address when
the link is bound to one, and the session's revocation identity (session ID, user ID, start)
when edge revocation is on. Whoever holds the link may read the playlists under that folder
until it expires, as whoever holds the session's cookies may read the folder: hand it only to
that session's player. A link is path-safe (``A-Z a-z 0-9 - _ .``) and about 200 characters.
The token is signed, not encrypted: whoever holds it can read what it carries (the folder, the
expiry, the bound address, the opaque session and user IDs of edge revocation), none of which
opens anything without the signature.

:meth:`PlaylistServer.answer` verifies the token and the path, fetches the playlist from a
:class:`~cfcookies.streaming.sources.PlaylistSource` (S3 or the distribution itself) and
rewrites it: every URI in the folder gets the folder's signed query
(:meth:`~cfcookies.session.CloudFrontCookies.signed_query`, the cookies' policy and signature
cache), and a nested playlist (a variant, an audio or subtitle rendition, an I-frame playlist)
becomes a link to this same route with the same token, so the player fetches it rewritten
too. Segments, keys and init sections are fetched from the distribution with the query: they
never pass through the app.

What is refused (403, never rewritten into something else)
    A forged, tampered, foreign (another secret) or expired token; a path that is not a clean
    media path (``..`` or ``.`` segments, ``//``, ``%2F``, ``%5C``, a backslash, ``%2e`` spelled
    dot segments, a raw space, a query: exactly the checks of
    :func:`~cfcookies.policy.normalize_prefix`); a path not under the token's folder
    (``course-10`` beside ``course-1`` included); a path that is not a playlist or manifest
    (only ``.m3u8`` and ``.mpd``: a segment asked of the app is refused, never fetched); a
    request from another address than the link's IPv4 binding, when the route knows the
    viewer's address (the cookies' ``client_ip`` option); and, with ``cookies.deny_list``, a
    revoked session or user, or a deny-list that cannot be read (fail closed). The body says
    nothing of which check failed; the log does (``cfcookies.playlist.refused``, ``reason``).

The answers
    ``200`` with ``Content-Type: application/vnd.apple.mpegurl`` (HLS) or
    ``application/dash+xml`` (DASH), ``403`` as above, ``404`` when the source holds no such
    playlist, ``502`` when the source fails or the playlist cannot be rewritten safely. Every
    answer carries ``Cache-Control: private, no-store`` (it embeds a bearer query: no shared
    cache may keep it, and no browser cache either), ``X-Content-Type-Options: nosniff`` and
    ``Access-Control-Allow-Origin: *``. The wildcard is deliberate: the route reads no cookie
    and no ``Authorization`` header, so a cross-site page gains nothing by reading an answer
    it could not have asked for without the link, and players on other origins (a cast
    receiver's page, an embed) must be able to read it. It never comes with
    ``Access-Control-Allow-Credentials``: the link is the credential, not the browser's
    cookies.

Choosing the lifetimes
    ``query_lifetime`` is how long the signed query in a served playlist stays valid. A live
    or event media playlist is reloaded every target duration, and each reload carries a fresh
    query, so the default (the cookies' ``lifetime``, rounded up to ``granularity`` as the
    cookies are) is plenty. A VOD player fetches its media playlists once and then plays from
    them for as long as the viewing lasts, so ``query_lifetime`` must cover the longest video
    plus pauses and seeks (``timedelta(hours=3)`` for a two-hour film); shorter, and playback
    stops with 403s at the edge. ``link_lifetime`` (default: the cookies' ``lifetime``) is how
    long the link itself opens playlists. For VOD it need only outlive the player's first
    fetches (the master, then each rendition it switches to: keep some minutes of margin for
    renditions fetched late); for live it must last as long as playing may, since every reload
    goes through it. A link never outlives its session's last possible cookie (``max_session_age``
    + ``lifetime`` + ``granularity`` from the session's start), so a deny-list entry, which
    lasts that long, outlives every link of the session it denies. Both the link and the query
    are bearer tokens: keep them as short as playing allows, and bind them to the viewer's
    IPv4 address where the viewer's address is stable (``ip_address``; CloudFront checks
    IPv4 only).

Revocation
    With ``cookies.deny_list``, a logged-out (denied) session's links and its user's are
    refused from the next request, and no new query is handed out. With edge revocation on
    (``session_secrets``), every served query also carries the session's token beside its
    signature (``CloudFront-Session``, bound to the query's ``Policy``), so the edge's check
    (the CloudFront Function, or the local edge's ``SessionCheck``) refuses the queries already
    served too, once the logout reaches the deny-list; a query that would outlive the deny-list
    entry a logout writes is not handed out (``session_ending``). Without edge revocation, a
    served query stays valid until it expires: CloudFront cannot revoke a signature.
    ``revoke(request, "/videos/course-1")`` does not recall a link already given: links
    expire.

Where the route is
    :meth:`PlaylistServer.starlette_route` (Starlette and FastAPI), :meth:`~PlaylistServer.
    flask_route` and :meth:`~PlaylistServer.django_urls` are in
    :mod:`cfcookies.streaming.routes` (each imports its framework when called). ``route`` is
    the path the route answers on from the root of the app's origin; links are written with
    it, so register the route at the root (not inside a mounted sub-app or a blueprint with a
    ``url_prefix``). Links appear in the app's access log: treat those logs as holding bearer
    tokens until the links expire, or drop the path from them.

Logs (logger ``cfcookies``, fields as record attributes; never the token nor the query):
``cfcookies.playlist.refused`` (INFO; ``reason``, ``path``), ``cfcookies.playlist.not_found``
(INFO; ``path``), ``cfcookies.playlist.source_failed`` and ``cfcookies.playlist.unrewritable``
(ERROR; ``path``, ``error``), ``cfcookies.playlist.deny_list_unavailable`` (WARNING;
``session_id``, ``error``). Counters: ``playlist_links``, ``playlists_served``,
``playlists_refused``, ``playlist_failures`` (:mod:`cfcookies.metrics`).
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from ..checks import seconds
from ..config import Seconds
from ..exceptions import (
    ConfigurationError,
    PlaylistError,
    PlaylistLinkError,
    PlaylistNotFoundError,
    PlaylistSourceError,
    PolicyTimeError,
    ResourceError,
)
from ..grants import cookie_header_of, request_storage
from ..plan import bindable_ip, viewer_ip
from ..policy import normalize_prefix
from .dash import rewrite_mpd
from .hls import rewrite_playlist
from .sources import PlaylistSource

if TYPE_CHECKING:
    from flask import Blueprint, Flask
    from starlette.routing import Route

    from ..session import CloudFrontCookies
    from ..state import State

__all__ = ["LINK_SALT", "ROUTE", "PlaylistAnswer", "PlaylistServer", "link_salt", "playlist_kind"]

logger = logging.getLogger("cfcookies")

#: The route's default path.
ROUTE = "/cfcookies/play"
#: The itsdangerous salt of playlist links, before the media URL (:func:`link_salt`).
LINK_SALT = "cfcookies.playlist-link"

#: What each kind of file is served as, by its extension (compared in lower case).
_KINDS = {".m3u8": "application/vnd.apple.mpegurl", ".mpd": "application/dash+xml"}
_HEADERS = (
    ("Cache-Control", "private, no-store"),
    ("Access-Control-Allow-Origin", "*"),
    ("X-Content-Type-Options", "nosniff"),
)
_TEXT = ("Content-Type", "text/plain; charset=utf-8")
_SHOWN_PATH = 300  # characters of a requested path a log record keeps


class PlaylistAnswer(NamedTuple):
    """What the route answers: the status, the headers, the body. The framework glue sends it
    as it is (adding only ``Content-Length``)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def link_salt(media_url: str) -> str:
    """The salt of the links to ``media_url``'s playlists: a key of their own, derived from the
    state secrets, and another for each distribution."""
    return f"{LINK_SALT} {media_url}"


def _refuse(reason: str, message: str) -> PlaylistLinkError:
    return PlaylistLinkError(message, reason=reason)


def playlist_kind(path: str) -> str:
    """The ``Content-Type`` of the playlist at the media path ``path``, or
    :class:`~cfcookies.exceptions.PlaylistLinkError`: ``unclean_path`` for a path that
    :func:`~cfcookies.policy.normalize_prefix` would refuse or rewrite (refuse, never
    rewrite), ``not_a_playlist`` for one not ending in ``.m3u8`` or ``.mpd``."""
    clean = isinstance(path, str) and path.startswith("/")
    if clean:
        try:
            clean = normalize_prefix(path) == (path if path.endswith("/") else path + "/")
        except ResourceError:
            clean = False
    if not clean:
        raise _refuse(
            "unclean_path",
            f"{str(path)[:_SHOWN_PATH]!r} is not a clean media path: it must start with '/' and "
            f"hold no '.' or '..' segment, '//', encoded separator, backslash, query or raw "
            f"space (percent-encode names as in the URL)",
        )
    dot = path.rfind(".")
    kind = _KINDS.get(path[dot:].lower()) if dot > path.rfind("/") else None
    if kind is None:
        raise _refuse(
            "not_a_playlist",
            f"{path[:_SHOWN_PATH]!r} is not an HLS playlist (.m3u8) or DASH manifest (.mpd); "
            f"segments are fetched from the distribution with the folder's query",
        )
    return kind


@dataclass(frozen=True)
class _Claims:
    """What a link vouches for."""

    folder: str  # normalised prefix, ending in '/'
    expires: int  # epoch seconds: refused from then on
    ip_address: str = ""  # the viewer's IPv4 the query is bound to ("" unbound)
    session_id: str = ""  # revocation identity ("" when revocation is off)
    user_id: str = ""
    granted_at: int = 0

    def payload(self) -> dict[str, object]:
        payload: dict[str, object] = {"f": self.folder, "e": self.expires}
        if self.ip_address:
            payload["i"] = self.ip_address
        if self.session_id:
            payload.update(s=self.session_id, u=self.user_id, g=self.granted_at)
        return payload

    @classmethod
    def from_payload(cls, payload: object) -> _Claims | None:
        """The claims of a verified payload, or None if it is not one :meth:`payload` wrote."""
        if not isinstance(payload, dict):
            return None
        folder, expires = payload.get("f"), payload.get("e")
        ip, sid = payload.get("i", ""), payload.get("s", "")
        uid, granted = payload.get("u", ""), payload.get("g", 0)
        if not (
            isinstance(folder, str)
            and type(expires) is int
            and isinstance(ip, str)
            and isinstance(sid, str)
            and isinstance(uid, str)
            and type(granted) is int
            and (not ip or bindable_ip(ip) == ip + "/32")
        ):
            return None
        try:
            if normalize_prefix(folder) != folder:
                return None
        except ResourceError:
            return None
        return cls(folder, expires, ip, sid, uid, granted)


def _lifetime(value: Seconds | None, name: str) -> int | None:
    if value is None:
        return None
    total = seconds(value, name)
    if total < 1:
        raise ConfigurationError(f"{name} must be at least one second, got {value!r}")
    return total


def _check_route(route: object) -> str:
    if isinstance(route, str) and route.startswith("/") and not route.endswith("/"):
        try:
            if normalize_prefix(route) == f"{route}/":
                return route
        except ResourceError:
            pass
    raise ConfigurationError(
        f"route must be a clean path starting with '/' and not ending with it, like {ROUTE}, "
        f"got {route!r}"
    )


def _answer(status: int, text: str) -> PlaylistAnswer:
    return PlaylistAnswer(status, [_TEXT, *_HEADERS], text.encode())


_FORBIDDEN = _answer(403, "403 Forbidden: this link does not open this playlist.\n")
_NOT_FOUND = _answer(404, "404 Not Found: no such playlist.\n")
_BAD_GATEWAY = _answer(502, "502 Bad Gateway: the playlist could not be served.\n")


class PlaylistServer:
    """Links to playlists for a logged-in session, and the route's answers to them.

    ``cookies`` is the app's :class:`~cfcookies.session.CloudFrontCookies` (or one built with
    the same ``state_secret`` and ``media_url``); ``source`` gives the playlists' bytes.
    ``route`` is the path the route answers on; ``link_lifetime`` and ``query_lifetime``
    are explained in this module's documentation (``None``: the cookies' ``lifetime``).
    """

    def __init__(
        self,
        cookies: CloudFrontCookies,
        source: PlaylistSource,
        *,
        route: str = ROUTE,
        link_lifetime: Seconds | None = None,
        query_lifetime: Seconds | None = None,
    ) -> None:
        if not isinstance(source, PlaylistSource):
            raise ConfigurationError(
                f"source must be a PlaylistSource (an object with fetch(path) -> bytes), got "
                f"{type(source).__name__}"
            )
        authority = urlsplit(cookies.media_url).netloc
        if authority != authority.lower() or "@" in authority:
            raise ConfigurationError(
                f"media_url must spell its host in lower case, without a user name, to serve "
                f"rewritten playlists (URIs are compared as written), got {cookies.media_url!r}"
            )
        self.cookies, self.source = cookies, source
        self.route = _check_route(route)
        self.link_lifetime = _lifetime(link_lifetime, "link_lifetime") or cookies.lifetime
        self.query_lifetime = _lifetime(query_lifetime, "query_lifetime")
        self._tokens = cookies.codec.token_codec(link_salt(cookies.media_url))

    def __repr__(self) -> str:
        return (
            f"PlaylistServer(route={self.route!r}, source={self.source!r}, "
            f"link_lifetime={self.link_lifetime}, query_lifetime={self.query_lifetime})"
        )

    # -- minting links ---------------------------------------------------------------------------

    def link(self, request: Any, path: str, *, ip_address: str | None = None) -> str:
        """The app path (``route/<token>/videos/course-1/master.m3u8``) that serves the playlist
        at the media path ``path`` rewritten, to whoever holds it, for the logged-in session
        of ``request`` (a Starlette, FastAPI, Flask or Django request, an ASGI scope or a WSGI
        environ).

        The link opens the playlists under the session's folder that covers ``path``. It is
        bound to ``ip_address`` (an IPv4 address; an IPv6 one leaves it unbound, as CloudFront
        checks IPv4 only), or by default to the address the session's cookies are bound to,
        if any. With the cookies' ``session_binding`` option, the state must belong to the
        app's current session (an async ``session_binding`` needs :meth:`link_async`).

        With ``cookies.deny_list`` the session is looked up in it, which may be I/O: in an
        async view, await :meth:`link_async` instead.

        Raises :class:`~cfcookies.exceptions.PlaylistLinkError` (``reason``: ``no_session``,
        ``session_expired``, ``not_granted``, ``unclean_path``, ``not_a_playlist``,
        ``revoked``, ``deny_list_unavailable``) and
        :class:`~cfcookies.exceptions.IPAddressError` for an ``ip_address`` that is none.
        """
        binding = None
        if self.cookies.session_binding is not None:
            binding = self.cookies.session_binding(request)
            if inspect.isawaitable(binding):
                getattr(binding, "close", lambda: None)()  # (a coroutine never awaited warns)
                raise ConfigurationError(
                    "the session_binding option is async: call await server.link_async(...)"
                )
        return self._link(request, path, ip_address, binding)

    async def link_async(self, request: Any, path: str, *, ip_address: str | None = None) -> str:
        """:meth:`link` for async views: an async ``session_binding`` option is awaited, and
        the deny-list (when there is one: a network read for a KeyValueStore) is read in a
        worker thread, never on the event loop."""
        import anyio.to_thread

        binding = None
        if self.cookies.session_binding is not None:
            binding = self.cookies.session_binding(request)
            if inspect.isawaitable(binding):
                binding = await binding
        if self.cookies.deny_list is not None:
            return await anyio.to_thread.run_sync(self._link, request, path, ip_address, binding)
        return self._link(request, path, ip_address, binding)

    def _link(self, request: Any, path: str, ip_address: str | None, binding: Any) -> str:
        cookies = self.cookies
        playlist_kind(path)
        state = self._session(request, binding)
        now = cookies.now()
        if state.expires <= now or (
            cookies.max_session_age is not None and now - state.granted_at > cookies.max_session_age
        ):
            raise _refuse("session_expired", "the session's cookies have expired: log in again")
        folder = next((prefix for prefix in state.prefixes if path.startswith(prefix)), None)
        if folder is None:
            raise _refuse("not_granted", "the session holds no folder covering this playlist")
        if cookies.deny_list is not None:
            if not state.session_id:
                raise _refuse(
                    "no_session",
                    "the session predates edge revocation and cannot be checked against the "
                    "deny-list; it gets a session ID at its next renewal",
                )
            self._check_revocation(state.session_id, state.user_id, state.granted_at, now)
        expires = now + self.link_lifetime
        if cookies.max_session_age is not None:
            expires = min(expires, state.granted_at + cookies.revocation_horizon)
        claims = _Claims(
            folder,
            expires,
            _link_ip(ip_address, state),
            state.session_id,
            state.user_id,
            state.granted_at,
        )
        token = self._tokens.dumps(claims.payload())
        cookies.metrics.count("playlist_links")
        return f"{self.route}/{token}{path}"

    def _session(self, request: Any, binding: Any) -> State:
        """The state of the request's session, checked against the app's session binding."""
        cookies = self.cookies
        state, _ = cookies.read_state(cookie_header_of(request_storage(request)))
        if (
            state is not None
            and cookies.session_binding is not None
            and (binding is None or state.binding != cookies.codec.binding_digest(binding))
        ):
            state = None  # issued to another of the app's sessions, or to none
        if state is None:
            raise _refuse("no_session", "the request carries no cfcookies session: log in first")
        return state

    def _check_revocation(self, session_id: str, user_id: str, issued_at: int, now: int) -> None:
        deny_list = self.cookies.deny_list
        if deny_list is None:
            return
        try:
            revoked = deny_list.is_revoked(
                session_id, user_id or None, issued_at=issued_at, now=now
            )
        except Exception as exc:  # fail closed: an unreadable deny-list denies
            logger.warning(
                "cfcookies: the deny-list could not be read (%s); playlist link refused",
                type(exc).__name__,
                extra={
                    "event": "cfcookies.playlist.deny_list_unavailable",
                    "session_id": session_id,
                    "error": type(exc).__name__,
                },
            )
            raise _refuse(
                "deny_list_unavailable", "the deny-list could not be read (fail closed)"
            ) from None
        if revoked:
            raise _refuse("revoked", "the session or its user was revoked")

    # -- answering -------------------------------------------------------------------------------

    def _check(self, token: str, path: str, client_ip: str | None) -> tuple[_Claims, str]:
        """The claims of ``token`` if it opens the media path ``path`` now (for a viewer at
        ``client_ip``, when known), and the file's ``Content-Type``; else
        :class:`~cfcookies.exceptions.PlaylistLinkError`."""
        kind = playlist_kind(path)
        claims = _Claims.from_payload(self._tokens.loads(token))
        if claims is None or (self.cookies.deny_list is not None and not claims.session_id):
            raise _refuse("bad_token", "the link's token is not one this app signed")
        now = self.cookies.now()
        if now >= claims.expires:
            raise _refuse("link_expired", "the link has expired: ask the app for a new one")
        if not path.startswith(claims.folder):
            raise _refuse("not_granted", "the path is not under the link's folder")
        if (
            claims.ip_address
            and client_ip is not None
            and bindable_ip(client_ip) != claims.ip_address + "/32"
        ):
            raise _refuse("ip_mismatch", "the link is bound to another viewer address")
        if claims.session_id:
            self._check_revocation(claims.session_id, claims.user_id, claims.granted_at, now)
        return claims, kind

    def answer(self, token: str, path: str, *, client_ip: str | None = None) -> PlaylistAnswer:
        """The route's answer to ``GET <route>/<token><path>``: the playlist at the media path
        ``path`` (as the client wrote it, percent-encoded), rewritten, or a refusal (see this
        module's documentation). ``client_ip`` is the viewer's address when the app knows it
        (the cookies' ``client_ip`` option): a link bound to another address is refused.
        Blocking (the source's I/O): run it in a worker thread under an event loop."""
        metrics = self.cookies.metrics
        shown = path[:_SHOWN_PATH] if isinstance(path, str) else repr(path)
        try:
            claims, kind = self._check(token, path, client_ip)
        except PlaylistLinkError as exc:
            return self._refused(exc, shown)
        try:
            data = self.source.fetch(path)
        except PlaylistNotFoundError:
            logger.info(
                "cfcookies: no playlist at %s",
                shown,
                extra={"event": "cfcookies.playlist.not_found", "path": shown},
            )
            return _copy(_NOT_FOUND)
        except PlaylistSourceError as exc:
            return self._failed("source_failed", shown, exc)
        try:
            body = self._rewrite(token, claims, path, kind, data)
        except PolicyTimeError:
            # (the query would outlive the deny-list entry a logout writes: refused, as a link
            # past its session's end is)
            return self._refused(
                _refuse("session_ending", "the query would outlive the session's revocation"),
                shown,
            )
        except (PlaylistError, UnicodeDecodeError) as exc:
            return self._failed("unrewritable", shown, exc)
        metrics.count("playlists_served")
        return PlaylistAnswer(200, [("Content-Type", kind), *_HEADERS], body)

    def _refused(self, exc: PlaylistLinkError, shown: str) -> PlaylistAnswer:
        self.cookies.metrics.count("playlists_refused")
        logger.info(
            "cfcookies: playlist refused (%s)",
            exc.reason,
            extra={"event": "cfcookies.playlist.refused", "reason": exc.reason, "path": shown},
        )
        return _copy(_FORBIDDEN)

    def _failed(self, what: str, shown: str, exc: Exception) -> PlaylistAnswer:
        self.cookies.metrics.count("playlist_failures")
        logger.error(
            "cfcookies: playlist %s not served: %s",
            shown,
            exc,
            extra={"event": f"cfcookies.playlist.{what}", "path": shown, "error": str(exc)},
        )
        return _copy(_BAD_GATEWAY)

    def _rewrite(self, token: str, claims: _Claims, path: str, kind: str, data: bytes) -> bytes:
        media_url = self.cookies.media_url
        revocable = self.cookies.session_secrets is not None
        # With revocation at the edge, the query carries the session's token (the Function
        # refuses a query without one), so that a logout reaches a player's query too.
        query = self.cookies.signed_query(
            claims.folder,
            ip_address=claims.ip_address or None,
            lifetime=self.query_lifetime,
            session_id=claims.session_id or None if revocable else None,
            user_id=claims.user_id or None if revocable else None,
            issued_at=claims.granted_at or None if revocable else None,
        )
        if kind == _KINDS[".mpd"]:
            text = rewrite_mpd(
                data,
                manifest_url=media_url + path,
                query=query,
                folder_url=media_url + claims.folder,
            )
        else:
            text = rewrite_playlist(
                data.decode("utf-8"),
                playlist_url=media_url + path,
                query=query,
                folder_url=media_url + claims.folder,
                playlist_link=partial(self._nested_link, token, claims.folder),
            )
        return text.encode("utf-8")

    def _nested_link(self, token: str, folder: str, url: str) -> str:
        """The route's link, with the same token, for the nested playlist at the media URL
        ``url`` (in the folder: the rewriter vouches for it)."""
        after = url.partition("://")[2]
        rest = after[after.find("/") :].partition("#")[0] if "/" in after else ""
        path, mark, query = rest.partition("?")
        try:
            playlist_kind(path)
        except PlaylistLinkError as exc:
            raise PlaylistError(
                f"a nested playlist cannot be linked through the route: {exc}; name nested "
                f"playlists with clean paths ending in .m3u8"
            ) from None
        if not path.startswith(folder):  # pragma: no cover - the rewriter links in-folder URIs only
            raise PlaylistError("a nested playlist outside the folder cannot be linked")
        return f"{self.route}/{token}{path}{mark}{query}"

    # -- the framework glue (cfcookies.streaming.routes) -----------------------------------------

    def starlette_route(self) -> Route:
        """A Starlette route (FastAPI too: ``app.router.routes.append(...)``) answering
        ``GET route/{token}/{path:path}``; the source's I/O runs in a worker thread."""
        from .routes import starlette_route

        return starlette_route(self)

    def flask_route(self, app: Flask | Blueprint, *, endpoint: str = "cfcookies_playlist") -> None:
        """Register the route's view on a Flask app (or a blueprint without ``url_prefix``)."""
        from .routes import flask_route

        flask_route(self, app, endpoint=endpoint)

    def django_urls(self, *, name: str = "cfcookies-playlist") -> list[Any]:
        """The route as Django URL patterns, to add to ``urlpatterns`` at the root."""
        from .routes import django_urls

        return django_urls(self, name=name)


def _copy(answer: PlaylistAnswer) -> PlaylistAnswer:
    return PlaylistAnswer(answer.status, list(answer.headers), answer.body)


def _link_ip(ip_address: str | None, state: State) -> str:
    """The IPv4 address a link is bound to (``""``: unbound)."""
    if ip_address is None:
        return state.ip_address.removesuffix("/32")
    bound = viewer_ip(ip_address)
    return bound.removesuffix("/32") if bound is not None else ""
