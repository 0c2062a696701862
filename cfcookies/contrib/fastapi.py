"""FastAPI: grant and revoke from a route through a dependency.

::

    from fastapi import FastAPI

    from cfcookies.asgi import CloudFrontCookieMiddleware
    from cfcookies.contrib.fastapi import CloudFrontGrantsDep

    app = FastAPI()
    app.add_middleware(CloudFrontCookieMiddleware, ...)


    @app.post("/login")
    def login(grants: CloudFrontGrantsDep) -> dict[str, str]:
        # ... check the user's password, then:
        grants.grant("/videos/course-1", user_id="42")
        return {"status": "logged in"}  # this response carries the CloudFront cookies


    @app.post("/logout")
    def logout(grants: CloudFrontGrantsDep) -> dict[str, str]:
        grants.revoke()
        return {"status": "logged out"}  # this one deletes them

``grants: CloudFrontGrants = Depends(cloudfront_grants)`` is the same without ``Annotated``. The
calls are :func:`cfcookies.grant` / :func:`cfcookies.revoke` on the route's request, read by the
ASGI middleware when the response starts; the dependency raises
:class:`~cfcookies.exceptions.MiddlewareMissingError` before the route runs when that middleware
is not installed. FastAPI is imported here only: ``import cfcookies`` does not need it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..grants import MIDDLEWARE_KEY, grant, middleware_missing, revoke

__all__ = ["CloudFrontGrants", "CloudFrontGrantsDep", "cloudfront_grants"]


class CloudFrontGrants:
    """What one request's route may do to its session's CloudFront cookies."""

    __slots__ = ("request",)

    def __init__(self, request: Request) -> None:
        self.request = request

    def grant(self, *prefixes: str, user_id: str | None = None) -> None:
        """Let this session read every file under ``prefixes``: :func:`cfcookies.grant` (its
        errors too, :class:`~cfcookies.exceptions.GrantLimitError` among them)."""
        grant(self.request, *prefixes, user_id=user_id)

    def revoke(self, *prefixes: str) -> None:
        """Take ``prefixes`` away from this session, or everything with none (logout):
        :func:`cfcookies.revoke`."""
        revoke(self.request, *prefixes)

    def __repr__(self) -> str:
        return f"CloudFrontGrants(path={self.request.url.path!r})"


def cloudfront_grants(request: Request) -> CloudFrontGrants:
    """The dependency: the route's :class:`CloudFrontGrants`.

    Raises :class:`~cfcookies.exceptions.MiddlewareMissingError` when no
    :class:`cfcookies.asgi.CloudFrontCookieMiddleware` handles the request (nothing would set the
    cookies), before the route runs.
    """
    if MIDDLEWARE_KEY not in request.scope:
        raise middleware_missing("cloudfront_grants", request)
    return CloudFrontGrants(request)


#: ``grants: CloudFrontGrantsDep`` in a route's parameters: the ``Annotated`` spelling of
#: ``grants: CloudFrontGrants = Depends(cloudfront_grants)``.
CloudFrontGrantsDep = Annotated[CloudFrontGrants, Depends(cloudfront_grants)]
