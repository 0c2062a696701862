"""Flask: log in, get CloudFront cookies for your folders; log out, lose them.

Run it (from the repository root, with cfcookies and flask installed)::

    python examples/flask_app.py         # 127.0.0.1:8000; browse http://localhost:8000

Users: alice / alice-password (reads /videos/course-1/), bob / bob-password (reads
/videos/course-2/ and /videos/course-3/).

This example uses the imperative style: the login view calls ``grant(request, ...)`` and the
logout view ``revoke(request)``; the extension then keeps the granted folders in its own signed
state cookie and renews their CloudFront cookies while the browser keeps coming back.

Configuration comes from ``CFCOOKIES_MEDIA_URL``, ``CFCOOKIES_COOKIE_DOMAIN``,
``CFCOOKIES_KEY_PAIR_ID``, ``CFCOOKIES_PRIVATE_KEY`` (a path, or the PEM itself) and
``CFCOOKIES_STATE_SECRET`` (any other option too, as ``CFCOOKIES_<OPTION>``), plus
``APP_SECRET_KEY`` for Flask's session. Without
``CFCOOKIES_PRIVATE_KEY`` it runs in a development mode: a throwaway key that no distribution
trusts, media at http://localhost:8001, and a message on stderr saying so.
"""

from __future__ import annotations

import os
import secrets
import sys
from html import escape
from typing import Any

from flask import Flask, redirect, request, session
from werkzeug.wrappers import Response

from cfcookies.contrib.flask import FlaskCloudFrontCookies, grant, revoke
from cfcookies.keys import generate_private_key

# user -> (password, folders). A real app checks hashed passwords and reads grants from its DB.
USERS: dict[str, tuple[str, list[str]]] = {
    "alice": ("alice-password", ["/videos/course-1"]),
    "bob": ("bob-password", ["/videos/course-2", "/videos/course-3"]),
}


def cloudfront_config() -> dict[str, Any]:
    """``CFCOOKIES_*`` settings from the environment, or a throwaway development set."""
    env = os.environ
    if env.get("CFCOOKIES_PRIVATE_KEY"):
        # Text, as in the environment: the extension reads it as each option needs.
        return {name: value for name, value in env.items() if name.startswith("CFCOOKIES_")}
    print(
        "cfcookies example: CFCOOKIES_PRIVATE_KEY is not set: generated a throwaway key "
        "(development only, no CloudFront distribution trusts it)",
        file=sys.stderr,
    )
    return {
        "CFCOOKIES_MEDIA_URL": "http://localhost:8001",
        "CFCOOKIES_KEY_PAIR_ID": "KDEVELOPMENTONLY",
        "CFCOOKIES_PRIVATE_KEY": generate_private_key("rsa"),
        "CFCOOKIES_STATE_SECRET": secrets.token_urlsafe(32),
        "CFCOOKIES_INSECURE_ALLOW_HTTP": True,  # plain-http media on localhost; never in production
    }


app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ.get("APP_SECRET_KEY") or secrets.token_urlsafe(32),
    SESSION_COOKIE_SECURE=True,
    SESSION_COOKIE_SAMESITE="Lax",
    **cloudfront_config(),
)
cloudfront = FlaskCloudFrontCookies(app)  # reads the CFCOOKIES_* keys of app.config


def held_prefixes() -> tuple[str, ...]:
    """The folders this browser holds CloudFront cookies for (read from cfcookies' state)."""
    core = cloudfront.cookies
    state = core.read_state(request.headers.get("Cookie"))[0] if core else None
    return state.prefixes if state else ()


@app.get("/")
def home() -> str:
    user = session.get("user")
    if user is None:
        error = "<p>Wrong user name or password.</p>" if "error" in request.args else ""
        return (
            f"<h1>Log in</h1>{error}<form method=post action=/login>"
            "<input name=username placeholder=alice> "
            "<input name=password type=password placeholder=alice-password> "
            "<button>Log in</button></form>"
        )
    media_url = app.config.get("CFCOOKIES_MEDIA_URL", "").rstrip("/")
    items = "".join(
        f'<li><a href="{escape(media_url + p)}">{escape(p)}</a></li>' for p in held_prefixes()
    )
    return (
        f"<h1>Hello {escape(user)}</h1><p>CloudFront cookies held for:</p><ul>{items}</ul>"
        "<form method=post action=/logout><button>Log out</button></form>"
    )


@app.post("/login")
def login() -> Response:
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    user = USERS.get(username)
    if user is None or not secrets.compare_digest(password.encode(), user[0].encode()):
        return redirect("/?error=login", code=303)
    session.clear()
    session["user"] = username
    revoke(request)  # drop what an earlier login on this browser was granted...
    grant(request, *user[1])  # ...and grant this user's folders, on this very response
    return redirect("/", code=303)


@app.post("/logout")
def logout() -> Response:
    session.clear()
    revoke(request)  # this response deletes every CloudFront cookie the session holds
    return redirect("/", code=303)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8000)
