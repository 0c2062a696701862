"""Building a demo: throwaway keys, the media library, the app and the local edge, wired together.

:func:`build_demo` is what ``cfcookies demo`` serves (:mod:`cfcookies.demo.run`) and what tests,
or anyone who wants HTTPS or other host names, serve as they like. It writes a new key pair and
the media library into a folder, then builds the app (:mod:`cfcookies.demo.app`), whose
middleware signs with that key and whose player without cookies reads the playlists through the
edge, and :class:`~cfcookies.edge.EdgeApp`, which trusts its public key, answers CORS for the
app's origin and, with edge revocation, shares the app's session secrets and deny-list.
"""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp

from ..edge import EdgeApp
from ..exceptions import ConfigurationError
from ..keys import (
    KeyRing,
    PublicKey,
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
)
from ..policy import Clock, system_clock
from ..revocation import LocalDenyList, SessionCheck, SessionSecrets, generate_secret
from ..session import CloudFrontCookies
from .app import DemoViews, demo_app
from .catalog import COURSES, DEFAULT_USERS, DemoInfo, DemoUser
from .copies import Replayer
from .media import write_media_library
from .player import CookielessPlayer, read_hls_js

# --- keys ----------------------------------------------------------------------------------------


def _demo_key_pair_id() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "KDEMO" + "".join(secrets.choice(alphabet) for _ in range(9))


def _write_keys(key_dir: Path) -> tuple[Path, Path]:
    key_dir.mkdir(parents=True, exist_ok=True)
    key = generate_private_key("rsa")
    private_path = key_dir / "private_key.pem"
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, private_key_pem(key))
    finally:
        os.close(fd)
    public_path = key_dir / "public_key.pem"
    public_path.write_text(public_key_pem(key), encoding="ascii")
    return private_path, public_path


def _keys(key_dir: Path) -> tuple[str, KeyRing, dict[str, PublicKey]]:
    """A new key pair written to ``key_dir`` and loaded back from there: its key pair ID, the
    middleware's key ring and the edge's trusted public keys."""
    private_path, public_path = _write_keys(key_dir)
    key_pair_id = _demo_key_pair_id()
    keys = KeyRing.from_key(key_pair_id, load_private_key(private_path))
    return key_pair_id, keys, {key_pair_id: load_public_key(public_path)}


# --- the pieces ----------------------------------------------------------------------------------


def _origin(url: str, what: str) -> tuple[str, str, str]:
    """``scheme://host[:port]`` normalised, its scheme and its host:port."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigurationError(f"{what} must be scheme://host[:port], got {url!r}")
    netloc = parts.netloc.lower()
    return f"{parts.scheme}://{netloc}", parts.scheme, netloc


def _demo_users(
    users: Mapping[str, tuple[str, ...]] | None, passwords: Mapping[str, str] | None
) -> tuple[DemoUser, ...]:
    """The demo's users (by default :data:`DEFAULT_USERS`), with random passwords unless given."""
    chosen = dict(users if users is not None else DEFAULT_USERS)
    slugs = {c.slug for c in COURSES}
    for name, courses in chosen.items():
        unknown = sorted(set(courses) - slugs)
        if unknown:
            raise ConfigurationError(f"user {name!r} is given unknown courses {unknown}")
    return tuple(
        DemoUser(
            name,
            (passwords or {}).get(name) or secrets.token_urlsafe(9),
            tuple(courses),
        )
        for name, courses in chosen.items()
    )


def _views(
    info: DemoInfo,
    keys: KeyRing,
    public_keys: Mapping[str, PublicKey],
    *,
    app_netloc: str,
    lifetime: int,
    renew_before: int,
    insecure_allow_http: bool,
    clock: Clock,
    session_secrets: SessionSecrets | None,
    deny_list: LocalDenyList | None,
    hls_js: bytes | None,
) -> DemoViews:
    """The app's views, and the middleware settings they show: the middleware signs with
    ``keys`` and grants what the signed-in demo user may read; the player without cookies
    plays with ``hls_js`` when given."""
    views_ref: list[DemoViews] = []

    def grants(request: Request) -> list[str] | None:
        return views_ref[0].grants(request)

    cookies = CloudFrontCookies(
        media_url=info.media_url,
        keys=keys,
        state_secret=secrets.token_bytes(32),
        cookie_domain=info.cookie_domain,
        grants=grants,
        lifetime=lifetime,
        renew_before=renew_before,
        granularity=60,
        secure=info.secure,
        samesite="Lax",
        insecure_allow_http=insecure_allow_http,
        clock=clock,
        session_secrets=session_secrets,
        deny_list=deny_list,
    )
    views = DemoViews(
        cookies,
        info,
        app_netloc=app_netloc,
        relaxed=not info.secure,
        replayer=Replayer(info.media_url, public_keys, clock),
        player=CookielessPlayer(cookies, hls_js=hls_js),
    )
    views_ref.append(views)
    return views


def _edge(
    info: DemoInfo,
    public_keys: Mapping[str, PublicKey],
    *,
    clock: Clock,
    session_secrets: SessionSecrets | None,
    deny_list: LocalDenyList | None,
) -> EdgeApp:
    return EdgeApp(
        info.media_root,
        public_keys=public_keys,
        public_url=info.media_url,
        cors_origins=[info.app_url],
        clock=clock,
        deny_list=(
            SessionCheck(session_secrets, deny_list=deny_list, clock=clock)
            if session_secrets is not None
            else None
        ),
    )


def build_demo(
    workdir: str | os.PathLike[str],
    *,
    app_origin: str,
    media_origin: str,
    secure: bool = True,
    cookie_domain: str | None = None,
    insecure_allow_http: bool = False,
    users: Mapping[str, tuple[str, ...]] | None = None,
    passwords: Mapping[str, str] | None = None,
    media_dir: str | os.PathLike[str] | None = None,
    lifetime: int = 30 * 60,
    renew_before: int = 10 * 60,
    revocation: bool = True,
    hls_js: str | os.PathLike[str] | None = None,
    clock: Clock = system_clock,
) -> tuple[ASGIApp, EdgeApp, DemoInfo]:
    """The demo's app and edge, ready to be served at ``app_origin`` and ``media_origin``.

    A new key pair is written to ``workdir/keys`` (the private key with mode 0600) and loaded
    from there; the media library goes to ``media_dir`` or ``workdir/media``. Passwords are
    random unless given. ``secure=False`` (plain HTTP) also needs ``insecure_allow_http=True``.

    With ``revocation`` (the default) the app's middleware and the edge share one
    :class:`~cfcookies.revocation.SessionSecrets` and one in-memory
    :class:`~cfcookies.revocation.LocalDenyList`, on ``clock`` like everything else: a session
    logged out is refused by the edge (``403 session_revoked``) even with valid CloudFront
    cookies. ``revocation=False`` shows CloudFront's own behaviour: such a copy keeps working.

    The player without cookies (:mod:`cfcookies.demo.player`) plays with hls.js when
    ``hls_js`` names its browser build (``node_modules/hls.js/dist/hls.min.js``; read now,
    served as ``/hls.min.js``), else with the browser's own HLS player. Its playlists are
    fetched by the app through ``media_origin``, as an app fetches them through CloudFront:
    that name must resolve, and its certificate be trusted, in the app's process too.
    """
    root = Path(workdir)
    app_url, app_scheme, app_netloc = _origin(app_origin, "app_origin")
    media_url, _, _ = _origin(media_origin, "media_origin")
    if app_scheme == "http" and not insecure_allow_http:
        raise ConfigurationError(
            "an http:// app_origin needs insecure_allow_http=True (local development only)"
        )
    demo_users = _demo_users(users, passwords)
    hls_js_bytes = read_hls_js(hls_js) if hls_js is not None else None

    key_dir = root / "keys"
    key_pair_id, keys, public_keys = _keys(key_dir)
    media_root = Path(media_dir) if media_dir is not None else root / "media"
    write_media_library(media_root)

    info = DemoInfo(
        app_url=app_url,
        media_url=media_url,
        key_pair_id=key_pair_id,
        users=demo_users,
        courses=COURSES,
        media_root=media_root,
        key_dir=key_dir,
        cookie_domain=cookie_domain,
        secure=secure,
        revocation=revocation,
        hls_js=Path(hls_js) if hls_js is not None else None,
    )
    session_secrets = SessionSecrets(generate_secret()) if revocation else None
    deny_list = LocalDenyList(clock=clock) if revocation else None
    views = _views(
        info,
        keys,
        public_keys,
        app_netloc=app_netloc,
        lifetime=lifetime,
        renew_before=renew_before,
        insecure_allow_http=insecure_allow_http,
        clock=clock,
        session_secrets=session_secrets,
        deny_list=deny_list,
        hls_js=hls_js_bytes,
    )
    edge = _edge(
        info, public_keys, clock=clock, session_secrets=session_secrets, deny_list=deny_list
    )
    views.edge = edge
    return demo_app(views), edge, info
