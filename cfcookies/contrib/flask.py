"""Flask extension: ``FlaskCloudFrontCookies(app)`` or ``ext.init_app(app)``.

Options come from ``app.config`` keys named ``CFCOOKIES_<OPTION>`` (``CFCOOKIES_MEDIA_URL``,
``CFCOOKIES_COOKIE_DOMAIN``, ``CFCOOKIES_KEY_PAIR_ID``, ``CFCOOKIES_PRIVATE_KEY``,
``CFCOOKIES_STATE_SECRET``, ...; read by :func:`cfcookies.config.load_options`, so text such as
``app.config.from_prefixed_env()`` leaves is read too), then from the constructor's keyword
arguments, then from ``init_app``'s, each winning over the one before. ``grants`` receives
``flask.request``; views call :func:`cfcookies.grant` / :func:`cfcookies.revoke` with
``flask.request``. The keep-alive endpoint is registered as a Flask route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, Response, request

from ..config import check_option_names, load_options
from ..cookies import TARGETED_CACHE_HEADERS, private_cache_control
from ..grants import MIDDLEWARE_KEY, grant, revoke
from ..request import RequestInfo
from ..session import CloudFrontCookies, Outcome

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..config import Options

__all__ = ["FlaskCloudFrontCookies", "grant", "revoke"]


class FlaskCloudFrontCookies:
    """Issue, renew and remove CloudFront signed cookies for a Flask app's sessions."""

    def __init__(self, app: Flask | None = None, **options: Unpack[Options]) -> None:
        check_option_names(options)
        self.options = options
        self.cookies: CloudFrontCookies | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, **options: Unpack[Options]) -> None:
        check_option_names(options)
        merged = load_options(app.config)
        merged.update(self.options)
        merged.update(options)
        self.cookies = cookies = CloudFrontCookies(**merged)
        app.extensions["cfcookies"] = self
        app.before_request(self._before_request)
        app.after_request(self._after_request)
        if cookies.keepalive_path is not None:
            app.add_url_rule(
                cookies.keepalive_path,
                endpoint="cfcookies_keepalive",
                view_func=self._keepalive,
                methods=["GET", "POST"],
            )

    def _core(self) -> CloudFrontCookies:
        if self.cookies is None:  # pragma: no cover - init_app always runs first
            raise RuntimeError("FlaskCloudFrontCookies.init_app(app) was not called")
        return self.cookies

    def _decide(self) -> tuple[RequestInfo, Outcome | None]:
        cookies = self._core()
        info = cookies.request_info(
            request.method, request.path, request.headers.get("Host"), request.headers.get("Cookie")
        )
        return info, cookies.respond(info, request.environ, request)

    def _before_request(self) -> None:
        request.environ[MIDDLEWARE_KEY] = self._core()  # grant() checks what the session holds

    def _after_request(self, response: Response) -> Response:
        if request.endpoint == "cfcookies_keepalive":
            return response
        _, outcome = self._decide()
        if outcome is not None and outcome.set_cookie:
            for value in outcome.set_cookie:
                response.headers.add("Set-Cookie", value)
            response.headers.set(
                "Cache-Control", private_cache_control(response.headers.getlist("Cache-Control"))
            )
            for name in TARGETED_CACHE_HEADERS:
                del response.headers[name]
        return response

    def _keepalive(self) -> Response:
        info, outcome = self._decide()
        status, headers = self._core().keepalive_response(info, outcome)
        response = Response(status=status)
        for name, value in headers:
            response.headers.add(name, value)
        return response
