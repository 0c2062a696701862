"""Add CloudFront cookies to an app you already have: a few lines for ASGI, a few for WSGI.

Both read their settings from ``CFCOOKIES_*`` environment variables (``from_env``: any option
may be set so, ``CFCOOKIES_LIFETIME=30m`` say, and a required one that is missing is named at
start-up)::

    CFCOOKIES_MEDIA_URL=https://media.example.com     # the distribution's own origin
    CFCOOKIES_COOKIE_DOMAIN=example.com               # covers the app and the media host
    CFCOOKIES_KEY_PAIR_ID=K2JCJMDEHXQW5F              # the CloudFront public key ID
    CFCOOKIES_PRIVATE_KEY=/run/secrets/cloudfront.pem # a path, or the PEM itself
    CFCOOKIES_STATE_SECRET=...                        # 32+ random bytes

ASGI (Starlette, FastAPI, any ASGI app), declarative: the app keeps the list of folders the
user may read in ``request.session["media"]``, and the middleware makes the cookies match::

    app = SessionMiddleware(wrap_asgi(app), secret_key=...)  # the session outside, see below
    # or, on a FastAPI/Starlette app, in this order (the one added last runs first):
    app.add_middleware(CloudFrontCookieMiddleware.from_env, grants=media_of_session)
    app.add_middleware(SessionMiddleware, secret_key=...)

WSGI (Flask, Django, any WSGI app), imperative: views call ``grant(request, "/videos/a")``
at login and ``revoke(request)`` at logout, with the framework's request or the environ::

    app.wsgi_app = wrap_wsgi(app.wsgi_app)                   # Flask
    application = wrap_wsgi(get_wsgi_application())          # Django's wsgi.py
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from cfcookies.asgi import CloudFrontCookieMiddleware
from cfcookies.wsgi import CloudFrontCookieMiddleware as WSGICloudFrontCookieMiddleware
from cfcookies.wsgi import grant, revoke

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from starlette.types import ASGIApp

__all__ = ["grant", "media_of_session", "revoke", "wrap_asgi", "wrap_wsgi"]


# --- ASGI ------------------------------------------------------------------------------------


def media_of_session(request: Request) -> list[str] | None:
    """The folders this session may read, as the app's own login view stored them."""
    media: list[str] | None = request.session.get("media")
    return media


def wrap_asgi(app: ASGIApp) -> ASGIApp:
    """``app`` with CloudFront cookies for the folders in ``request.session["media"]``.

    The session middleware must run outside this one, so that ``request.session`` exists when
    ``media_of_session`` reads it, after the app has handled the request.
    """
    return CloudFrontCookieMiddleware.from_env(app, grants=media_of_session)


# --- WSGI ------------------------------------------------------------------------------------


def wrap_wsgi(app: WSGIApplication) -> WSGIApplication:
    """``app`` with CloudFront cookies for the folders its views ``grant()`` and ``revoke()``."""
    return WSGICloudFrontCookieMiddleware.from_env(app)
