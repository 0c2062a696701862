"""The Django middleware with Django's own tools: ``response.cookies``, other middleware reading
it, and the test ``Client`` keeping cookies from one request to the next.

Django holds a response's cookies in ``response.cookies``, a ``SimpleCookie`` keyed by name, and
writes one ``Set-Cookie`` header per entry; its test ``Client`` keeps them by the same keys (it
ignores ``Path`` and ``Max-Age``) and sends every one back. So each cookie cfcookies sets is an
entry under its own name; only the second and later cookies of one name (the same name on
another folder's ``Path``) go under ``"<name>; Path=<path>"``.

The in-process tests configure Django as ``tests/middleware_apps.py`` does (its views: ``/login``
grants the ``p`` folders, ``/logout`` revokes, ``/page`` does nothing); the last test runs the
example project's real settings module in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cfcookies.cookies import parse_set_cookie
from cfcookies.keys import PrivateKey, private_key_pem
from tests.browser_jar_support import STATE_SECRET, base_options
from tests.middleware_apps import django_app
from tests.support import RSA_KEY_ID, FakeClock

pytest.importorskip("django")

ROOT = Path(__file__).resolve().parent.parent
CFCOOKIES = "cfcookies.contrib.django.CloudFrontCookieMiddleware"
STATE = "__Host-cfcookies"
SEEN_KEY_PAIR_ID: list[str] = []


def read_key_pair_id(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A middleware outside cfcookies that reads ``response.cookies`` by cookie name."""

    def middleware(request: Any) -> Any:
        response = get_response(request)
        if "CloudFront-Key-Pair-Id" in response.cookies:
            SEEN_KEY_PAIR_ID.append(response.cookies["CloudFront-Key-Pair-Id"].value)
        return response

    return middleware


def strict_samesite(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A middleware that changes an attribute of every cookie of the response."""

    def middleware(request: Any) -> Any:
        response = get_response(request)
        for morsel in response.cookies.values():
            morsel["samesite"] = "Strict"
        return response

    return middleware


@pytest.fixture
def client(rsa_key: PrivateKey, clock: FakeClock) -> Iterator[Any]:
    """Django's test Client over the test views, with a middleware reading response.cookies
    outside cfcookies."""
    from django.test import Client, override_settings

    options = django_app(base_options(rsa_key, clock), declarative=False)
    SEEN_KEY_PAIR_ID.clear()
    middleware = [f"{__name__}.read_key_pair_id", CFCOOKIES]
    with override_settings(CFCOOKIES=options, MIDDLEWARE=middleware):
        yield Client(HTTP_HOST="app.example.test")


def get(client: Any, path: str) -> Any:
    return client.get(path, secure=True)


def written(response: Any) -> list[str]:
    """The ``Set-Cookie`` values Django writes for the response's cookies, as its handlers do."""
    return [morsel.output(header="").strip() for morsel in response.cookies.values()]


def sent(response: Any, name: str) -> int:
    """How many cookies named ``name`` the request of ``response`` carried."""
    header: str = response.wsgi_request.META.get("HTTP_COOKIE", "")
    return sum(1 for pair in header.split("; ") if pair.split("=", 1)[0] == name)


def test_one_folders_cookies_are_under_their_own_names_with_their_attributes(
    client: Any,
) -> None:
    """``response.cookies["CloudFront-Policy"]`` is the cookie, its path and domain readable."""
    response = get(client, "/login?p=/videos/course-1")
    for name in ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"):
        morsel = response.cookies[name]
        assert morsel.key == name
        assert morsel.value
        assert morsel["path"] == "/videos/course-1/"
        assert morsel["domain"] == "example.test"
        assert morsel["secure"] is True
        assert morsel["httponly"] is True
        assert morsel["samesite"] == "Lax"
    assert response.cookies[STATE]["path"] == "/"
    assert response.cookies["CloudFront-Key-Pair-Id"].value == RSA_KEY_ID
    lines = written(response)
    assert len(lines) == len(response.cookies)  # one Set-Cookie each, the app's "user" too
    policy = parse_set_cookie(next(x for x in lines if x.startswith("CloudFront-Policy=")))
    assert policy is not None
    assert policy.value == response.cookies["CloudFront-Policy"].value
    assert policy.attributes["path"] == "/videos/course-1/"


def test_another_middleware_reads_the_key_pair_id_from_response_cookies(client: Any) -> None:
    get(client, "/login?p=/videos/course-1")
    assert SEEN_KEY_PAIR_ID == [RSA_KEY_ID]


def test_several_folders_put_the_first_under_the_name_and_write_every_cookie(
    client: Any,
) -> None:
    """Same name, several paths: the first folder's cookie under the name, the others under
    ``"<name>; Path=<path>"``, and every one written as its own ``Set-Cookie``."""
    response = get(client, "/login?p=/videos/course-1&p=/videos/course-2")
    assert response.cookies["CloudFront-Policy"]["path"] == "/videos/course-1/"
    other = response.cookies["CloudFront-Policy; Path=/videos/course-2/"]
    assert other.key == "CloudFront-Policy"
    assert other["path"] == "/videos/course-2/"
    cookies = [parse_set_cookie(line) for line in written(response)]
    pairs = {(c.name, c.attributes.get("path")) for c in cookies if c is not None}
    for folder in ("/videos/course-1/", "/videos/course-2/"):
        for name in ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"):
            assert (name, folder) in pairs
    assert (STATE, "/") in pairs
    assert len(cookies) == 2 * 3 + 2  # two folders, the state cookie, the app's own


def test_the_test_client_sends_one_state_cookie_and_nothing_is_issued_again(
    client: Any,
) -> None:
    """Log in, then request again: the Client sends the one state cookie it holds, and the
    response issues nothing."""
    get(client, "/login?p=/videos/course-1&p=/videos/course-2")
    for _ in range(3):
        response = get(client, "/page")
        assert sent(response, STATE) == 1
        assert set(response.cookies) == {"app"}


def test_the_test_client_replaces_renewed_cookies_in_place(client: Any, clock: FakeClock) -> None:
    """A renewal writes the same keys again: the Client still holds one of each."""
    get(client, "/login?p=/videos/course-1&p=/videos/course-2")
    before = client.cookies["CloudFront-Policy"].value
    clock.advance(25 * 60)  # within renew_before of the 30-minute lifetime
    renewed = get(client, "/page")
    assert "CloudFront-Policy" in renewed.cookies
    assert client.cookies["CloudFront-Policy"].value != before
    assert sent(get(client, "/page"), STATE) == 1
    keys = [k for k, m in client.cookies.items() if m.key == "CloudFront-Policy"]
    assert sorted(keys) == ["CloudFront-Policy", "CloudFront-Policy; Path=/videos/course-2/"]


def test_logging_out_deletes_every_cookie_in_the_test_client(client: Any) -> None:
    """After logout the Client holds every CloudFront cookie and the state cookie deleted
    (empty, ``Max-Age=0``), and later requests issue nothing."""
    get(client, "/login?p=/videos/course-1&p=/videos/course-2")
    get(client, "/logout")
    for key, morsel in client.cookies.items():
        if morsel.key.startswith("CloudFront-") or morsel.key == STATE:
            assert morsel.value == "", key
            assert str(morsel["max-age"]) == "0", key
    for _ in range(2):
        assert set(get(client, "/page").cookies) == {"app"}


def test_a_middleware_that_changes_a_cookie_is_written_as_changed(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A morsel another middleware changes is written as Django writes its own cookies."""
    from django.test import Client, override_settings

    options = django_app(base_options(rsa_key, clock), declarative=False)
    middleware = [f"{__name__}.strict_samesite", CFCOOKIES]
    with override_settings(CFCOOKIES=options, MIDDLEWARE=middleware):
        response = Client(HTTP_HOST="app.example.test").get("/login", secure=True)
    policy = next(x for x in written(response) if x.startswith("CloudFront-Policy="))
    assert "SameSite=Strict" in policy
    assert "Path=/videos/course-1/" in policy


# --- the example project's settings module, in a subprocess ---------------------------------

CLIENT_SCRIPT = r"""
import json, sys
sys.path.insert(0, "examples")
import django
django.setup()
from django.test import Client

client = Client(HTTP_HOST="app.example.test")
seen = {}
client.get("/", secure=True)
client.post("/login", {"username": "bob", "password": "bob-password"}, secure=True)
seen["page"] = client.get("/", secure=True).content.decode()
seen["held"] = sorted(k for k, m in client.cookies.items() if m.key.startswith("CloudFront-"))
again = client.get("/", secure=True)
seen["again"] = sorted(k for k, m in again.cookies.items() if m.key.startswith("CloudFront-"))
seen["states_sent"] = again.wsgi_request.META["HTTP_COOKIE"].count("__Host-cfcookies=")
client.post("/logout", secure=True)
seen["left"] = sorted(
    k for k, m in client.cookies.items() if m.key.startswith("CloudFront-") and m.value
)
print(json.dumps(seen))
"""


def test_the_example_projects_settings_work_with_the_test_client(
    tmp_path: Path, rsa_key: PrivateKey
) -> None:
    """With a real settings module: log in, request again (nothing issued), log out (every
    CloudFront cookie the Client holds is deleted)."""
    key_file = tmp_path / "cloudfront.pem"
    key_file.write_bytes(private_key_pem(rsa_key))
    env = {
        **os.environ,
        "CFCOOKIES_MEDIA_URL": "https://media.example.test",
        "CFCOOKIES_COOKIE_DOMAIN": "example.test",
        "CFCOOKIES_KEY_PAIR_ID": RSA_KEY_ID,
        "CFCOOKIES_PRIVATE_KEY": str(key_file),
        "CFCOOKIES_STATE_SECRET": STATE_SECRET,
        "DJANGO_SETTINGS_MODULE": "django_project.settings",
        "DJANGO_ALLOWED_HOSTS": "app.example.test",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", CLIENT_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert "Hello bob" in seen["page"]
    assert seen["held"] == sorted(
        [
            "CloudFront-Key-Pair-Id",
            "CloudFront-Key-Pair-Id; Path=/videos/course-3/",
            "CloudFront-Policy",
            "CloudFront-Policy; Path=/videos/course-3/",
            "CloudFront-Signature",
            "CloudFront-Signature; Path=/videos/course-3/",
        ]
    )
    assert seen["again"] == []
    assert seen["states_sent"] == 1
    assert seen["left"] == []
