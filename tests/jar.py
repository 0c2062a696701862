"""A browser-like cookie jar for tests: stdlib ``http.cookiejar`` applies RFC 6265 rules.

Responses from any driver (a framework's test client, a real server) are fed in with the URL
the browser would have used; the jar then says which cookies a browser sends to any URL, media
host included, so that ``Domain``, ``Path``, ``Secure`` and deletions are exercised for real.
"""

from __future__ import annotations

import email.message
import http.cookiejar
import urllib.request
from collections.abc import Iterable


class _Response:
    def __init__(self, set_cookie: Iterable[str]) -> None:
        self._message = email.message.Message()
        for value in set_cookie:
            self._message["Set-Cookie"] = value

    def info(self) -> email.message.Message:
        return self._message


class Jar:
    """Cookies as a browser keeps them."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()

    def store(self, url: str, set_cookie: Iterable[str]) -> None:
        """Apply the ``Set-Cookie`` values of a response to a request for ``url``."""
        self.jar.extract_cookies(_Response(set_cookie), urllib.request.Request(url))  # type: ignore[arg-type]

    def header(self, url: str) -> str | None:
        """The ``Cookie`` header a browser sends to ``url`` (None when it sends none)."""
        request = urllib.request.Request(url)
        self.jar.add_cookie_header(request)
        return request.get_header("Cookie")

    def names(self) -> list[str]:
        return sorted(cookie.name for cookie in self.jar)

    def cloudfront(self) -> list[http.cookiejar.Cookie]:
        return [cookie for cookie in self.jar if cookie.name.startswith("CloudFront-")]

    def set(self, name: str, value: str, *, domain: str, path: str = "/") -> None:
        """Plant a cookie by hand (a forged or replayed one)."""
        self.jar.set_cookie(
            http.cookiejar.Cookie(
                0,
                name,
                value,
                None,
                False,
                domain,
                False,
                False,
                path,
                True,
                False,
                None,
                False,
                None,
                None,
                {},
            )
        )
