"""Views of the example project: a login form, the page, and logout.

The views only log users in and out. The middleware learns what each session may read from
:func:`granted_prefixes` (named in ``settings.CFCOOKIES["grants"]``) after each view has run,
and issues, renews or deletes the CloudFront cookies to match.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.utils.html import format_html, format_html_join

from cfcookies.grants import merge_prefixes

# user -> (password, folders). A real app checks hashed passwords and reads grants from its DB.
USERS: dict[str, tuple[str, list[str]]] = {
    "alice": ("alice-password", ["/videos/course-1"]),
    "bob": ("bob-password", ["/videos/course-2", "/videos/course-3"]),
}


def granted_prefixes(request: HttpRequest) -> list[str] | None:
    """What this session may read: the logged-in user's folders, or nothing."""
    user = USERS.get(request.session.get("user", ""))
    return user[1] if user else None


def home(request: HttpRequest) -> HttpResponse:
    user = request.session.get("user")
    if user is None:
        return HttpResponse(
            format_html(
                "<h1>Log in</h1>{}<form method=post action=/login>"
                '<input type=hidden name=csrfmiddlewaretoken value="{}">'
                "<input name=username placeholder=alice> "
                "<input name=password type=password placeholder=alice-password> "
                "<button>Log in</button></form>",
                "Wrong user name or password." if "error" in request.GET else "",
                get_token(request),
            )
        )
    media_url = settings.CFCOOKIES["media_url"].rstrip("/")
    held = merge_prefixes(granted_prefixes(request) or ())  # as the middleware issues them
    items = format_html_join(
        "", '<li><a href="{}{}">{}</a></li>', ((media_url, p, p) for p in held)
    )
    return HttpResponse(
        format_html(
            "<h1>Hello {}</h1><p>CloudFront cookies held for:</p><ul>{}</ul>"
            "<form method=post action=/logout>"
            '<input type=hidden name=csrfmiddlewaretoken value="{}">'
            "<button>Log out</button></form>",
            user,
            items,
            get_token(request),
        )
    )


def login(request: HttpRequest) -> HttpResponse:
    username = request.POST.get("username", "")
    password = request.POST.get("password", "")
    user = USERS.get(username)
    if user is None or not secrets.compare_digest(password.encode(), user[0].encode()):
        return HttpResponseRedirect("/?error=login")
    request.session.cycle_key()
    request.session["user"] = username
    return HttpResponseRedirect("/")  # carries the CloudFront cookies


def logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return HttpResponseRedirect("/")  # carries their deletion
