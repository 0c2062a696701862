"""The edge's side of revocation for the local edge: :class:`SessionCheck`.

It plugs :func:`~cfcookies.revocation.token.check_session_cookie` into
:class:`cfcookies.edge.EdgeApp`, which then refuses what the generated CloudFront Function
refuses in production.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import ConfigurationError
from ..policy import Clock, system_clock
from .deny_list import DenyList
from .token import SESSION_COOKIE, SessionSecrets, check_session_cookie

__all__ = [
    "SessionCheck",
]


class SessionCheck:
    """The edge's side of revocation: an :class:`cfcookies.edge.EdgeCheck` for ``EdgeApp``.

    ``EdgeApp(..., deny_list=SessionCheck(secrets, deny_list=LocalDenyList(...)))`` refuses, after
    CloudFront's own signature check, every request whose session cookie is missing, forged,
    expired or revoked — what the generated CloudFront Function does in production.
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
        """None to let the request through; raises :class:`SessionCookieError` to refuse it."""
        check_session_cookie(
            request.cookies,
            secrets=self.secrets,
            deny_list=self.deny_list,
            cookie_name=self.cookie_name,
            clock=self.clock,
        )
        return None
