"""Settings of the example project: sessions in signed cookies, no database, cfcookies.

Environment variables: ``CFCOOKIES_MEDIA_URL``, ``CFCOOKIES_COOKIE_DOMAIN``,
``CFCOOKIES_KEY_PAIR_ID``, ``CFCOOKIES_PRIVATE_KEY`` (a path, or the PEM itself),
``CFCOOKIES_STATE_SECRET`` (any other option too, as ``CFCOOKIES_<OPTION>``);
``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` (comma-separated) and ``DJANGO_DEBUG``. Without
``CFCOOKIES_PRIVATE_KEY`` the project runs in a development mode: a throwaway key that no
distribution trusts, media at http://localhost:8001, and a message on stderr saying so.
"""

from __future__ import annotations

import os
import secrets
import sys
from typing import Any

from cfcookies.config import load_options
from cfcookies.keys import generate_private_key

env = os.environ

DEBUG = env.get("DJANGO_DEBUG") == "1"
SECRET_KEY = env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
ALLOWED_HOSTS = env.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
ROOT_URLCONF = "django_project.urls"
USE_TZ = True

INSTALLED_APPS = ["django.contrib.sessions"]
DATABASES: dict[str, Any] = {}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # After SessionMiddleware: the grants function below reads request.session, and sees
    # what the login and logout views have just written to it.
    "cfcookies.contrib.django.CloudFrontCookieMiddleware",
]

if env.get("CFCOOKIES_PRIVATE_KEY"):
    # Every CFCOOKIES_<OPTION> variable, read as cfcookies reads the environment. A project
    # that signs URLs with django-storages need not set the key: AWS_CLOUDFRONT_KEY and
    # AWS_CLOUDFRONT_KEY_ID are used when CFCOOKIES names none.
    CFCOOKIES: dict[str, Any] = dict(load_options(env))
else:
    print(
        "cfcookies example: CFCOOKIES_PRIVATE_KEY is not set: generated a throwaway key "
        "(development only, no CloudFront distribution trusts it)",
        file=sys.stderr,
    )
    CFCOOKIES = {
        "media_url": "http://localhost:8001",
        "key_pair_id": "KDEVELOPMENTONLY",
        "private_key": generate_private_key("rsa"),
        "state_secret": secrets.token_urlsafe(32),
        "insecure_allow_http": True,  # plain-http media on localhost; never in production
    }
# The declarative style: a function from the request to the folders the session may read.
CFCOOKIES["grants"] = "django_project.views.granted_prefixes"
