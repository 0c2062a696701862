"""FastAPI: log in, get CloudFront cookies for your folders; log out, lose them.

Run it (from the repository root, with cfcookies, fastapi, uvicorn and python-multipart
installed)::

    python examples/fastapi_app.py       # uvicorn on 127.0.0.1:8000; browse http://localhost:8000

Users: alice / alice-password (reads /videos/course-1/), bob / bob-password (reads
/videos/course-2/ and /videos/course-3/).

This example grants from the routes, through the FastAPI dependency
:data:`cfcookies.contrib.fastapi.CloudFrontGrantsDep`: the login route calls
``grants.grant(...)`` and the logout route ``grants.revoke()``; the middleware then keeps the
granted folders in its own signed state cookie and renews their CloudFront cookies while the
browser keeps coming back.

Configuration comes from ``CFCOOKIES_MEDIA_URL``, ``CFCOOKIES_COOKIE_DOMAIN``,
``CFCOOKIES_KEY_PAIR_ID``, ``CFCOOKIES_PRIVATE_KEY`` (a path, or the PEM itself) and
``CFCOOKIES_STATE_SECRET`` (any other option too, as ``CFCOOKIES_<OPTION>``: read by
``cfcookies.config.load_options``), plus ``APP_SECRET_KEY`` for the session cookie. Without
``CFCOOKIES_PRIVATE_KEY`` it runs in a development mode: a throwaway key that no distribution
trusts, media at http://localhost:8001, and a message on stderr saying so.
"""

from __future__ import annotations

import os
import secrets
import sys
from html import escape
from typing import Annotated

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.middleware.sessions import SessionMiddleware

from cfcookies.asgi import CloudFrontCookieMiddleware
from cfcookies.config import Options, load_options, require_settings
from cfcookies.contrib.fastapi import CloudFrontGrantsDep
from cfcookies.keys import generate_private_key
from cfcookies.session import CloudFrontCookies

# user -> (password, folders). A real app checks hashed passwords and reads grants from its DB.
USERS: dict[str, tuple[str, list[str]]] = {
    "alice": ("alice-password", ["/videos/course-1"]),
    "bob": ("bob-password", ["/videos/course-2", "/videos/course-3"]),
}


def cloudfront_options() -> Options:
    """The middleware's settings from CFCOOKIES_* variables, or a throwaway development set."""
    if os.environ.get("CFCOOKIES_PRIVATE_KEY"):
        options = load_options(os.environ)  # every CFCOOKIES_* variable (LIFETIME=30m too)
        require_settings(options)  # a missing CFCOOKIES_MEDIA_URL, say, is named
        return options
    print(
        "cfcookies example: CFCOOKIES_PRIVATE_KEY is not set: generated a throwaway key "
        "(development only, no CloudFront distribution trusts it)",
        file=sys.stderr,
    )
    return {
        "media_url": "http://localhost:8001",
        "key_pair_id": "KDEVELOPMENTONLY",
        "private_key": generate_private_key("rsa"),
        "state_secret": secrets.token_urlsafe(32),
        "insecure_allow_http": True,  # plain-http media on localhost; never in production
    }


cookies = CloudFrontCookies(**cloudfront_options())

app = FastAPI()
# The CloudFront middleware must wrap the routes that grant: without it, CloudFrontGrantsDep
# raises MiddlewareMissingError instead of answering without cookies.
app.add_middleware(CloudFrontCookieMiddleware, cookies=cookies)
app.add_middleware(
    SessionMiddleware,
    secret_key=os.environ.get("APP_SECRET_KEY") or secrets.token_urlsafe(32),
    https_only=True,
    same_site="lax",
)


@app.get("/", response_class=HTMLResponse)
def home(request: Request) -> str:
    user = request.session.get("user")
    if user is None:
        error = "<p>Wrong user name or password.</p>" if "error" in request.query_params else ""
        return (
            f"<h1>Log in</h1>{error}<form method=post action=/login>"
            "<input name=username placeholder=alice> "
            "<input name=password type=password placeholder=alice-password> "
            "<button>Log in</button></form>"
        )
    state, _ = cookies.read_state(request.headers.get("cookie"))
    held = state.prefixes if state else ()
    items = "".join(
        f'<li><a href="{escape(cookies.media_url + p)}">{escape(p)}</a></li>' for p in held
    )
    return (
        f"<h1>Hello {escape(user)}</h1><p>CloudFront cookies held for:</p><ul>{items}</ul>"
        "<form method=post action=/logout><button>Log out</button></form>"
    )


@app.post("/login")
def login(
    request: Request,
    grants: CloudFrontGrantsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> RedirectResponse:
    user = USERS.get(username)
    if user is None or not secrets.compare_digest(password.encode(), user[0].encode()):
        return RedirectResponse("/?error=login", status_code=303)
    request.session.clear()
    request.session["user"] = username
    grants.revoke()  # drop what an earlier login on this browser was granted...
    grants.grant(*user[1])  # ...and grant this user's folders, on this very response
    return RedirectResponse("/", status_code=303)  # carries the CloudFront cookies


@app.post("/logout")
def logout(request: Request, grants: CloudFrontGrantsDep) -> RedirectResponse:
    request.session.clear()
    grants.revoke()  # every CloudFront cookie the session holds is deleted
    return RedirectResponse("/", status_code=303)  # carries their deletion


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
