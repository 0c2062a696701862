"""The edge's side of revocation for the local edge: :class:`SessionCheck`.

It plugs :func:`~cfcookies.revocation.token.check_session_request` into
:class:`cfcookies.edge.EdgeApp`, which then refuses what the generated CloudFront Function
refuses in production: a signed URL is judged on the session token in its query, a request
signed by cookies on the session cookie.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import ConfigurationError
from ..policy import Clock, system_clock
from .deny_list import DenyList
from .token import SESSION_COOKIE, SessionSecrets, check_session_request

__all__ = [
    "SessionCheck",
]


class SessionCheck:
    """The edge's side of revocation: an :class:`cfcookies.edge.EdgeCheck` for ``EdgeApp``.

    ``EdgeApp(..., deny_list=SessionCheck(secrets, deny_list=LocalDenyList(...)))`` refuses, after
    CloudFront's own signature check, every request whose session token (in the query of a
    signed URL, else in the cookie) is missing, forged, expired or revoked — what the generated
    CloudFront Function does in production.
    """

    def __init__(
        self,
        secrets: SessionSecrets,
        *,
        deny_list: DenyList | None = None,
        cookie_name: str = SESSION_COOKIE,
        clock: Clock = system_clock,
    ) -> None:
        if not isinstance(secrets, SessionSecrets):
            raise ConfigurationError("secrets must be a SessionSecrets(current, previous=...)")
        self.secrets = secrets
        self.deny_list = deny_list
        self.cookie_name = cookie_name
        self.clock = clock

    def __repr__(self) -> str:
        return f"SessionCheck(cookie_name={self.cookie_name!r}, deny_list={self.deny_list!r})"

    def check(self, request: Any) -> str | None:
        """None to let the request through; raises :class:`SessionCookieError` to refuse it.

        ``request`` has the ``url`` the viewer asked for (its query as sent) and its parsed
        ``cookies``, as :class:`cfcookies.edge.EdgeRequest` has.
        """
        url: str = request.url
        _, sep, query = url.split("#", 1)[0].partition("?")
        check_session_request(
            query if sep else None,
            request.cookies,
            secrets=self.secrets,
            deny_list=self.deny_list,
            cookie_name=self.cookie_name,
            clock=self.clock,
        )
        return None
