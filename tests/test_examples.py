"""The examples under ``examples/`` do what their docstrings say, through their frameworks.

Each example is loaded from its file with the ``CFCOOKIES_*`` variables set (as a user would
run it), driven through its framework's test client as ``https://app.example.test``, and every
response is applied to a browser-like jar (``tests/jar.py``). What the jar would send to the
media host is judged by :func:`cfcookies.verify.verify_request`. The Django project runs in a
subprocess, because ``tests/middleware_apps.py`` configures Django settings for this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cfcookies.cookies import parse_cookie_header
from cfcookies.keys import PrivateKey, private_key_pem
from cfcookies.verify import verify_request
from tests.example_support import EXAMPLES, ROOT, example_environment, load_example
from tests.jar import Jar
from tests.support import RSA_KEY_ID

APP = "https://app.example.test"
MEDIA = "https://media.example.test"
STATE_SECRET = "examples-state-secret-" + "e" * 32

#: (status, headers in order, body) for (method, path, form, Cookie header).
Send = Callable[
    [str, str, "dict[str, str] | None", "str | None"], tuple[int, list[tuple[str, str]], bytes]
]


@pytest.fixture(params=["path", "pem"], ids=["key-path", "key-pem"])
def env(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    rsa_key: PrivateKey,
) -> dict[str, str]:
    """The five ``CFCOOKIES_*`` variables, with the private key as a file path or as PEM text."""
    pem = private_key_pem(rsa_key)
    key_file = tmp_path / "cloudfront.pem"
    key_file.write_bytes(pem)
    values = example_environment(
        str(key_file) if request.param == "path" else pem.decode(), STATE_SECRET
    )
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@dataclass
class Browser:
    """A test client plus a cookie jar; redirects are followed by hand so no cookie is lost."""

    send: Send
    public_keys: dict[str, Any]
    jar: Jar = field(default_factory=Jar)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> bytes:
        for _ in range(5):
            url = APP + path
            status, headers, body = self.send(method, path, form, self.jar.header(url))
            assert status < 500, body
            self.jar.store(url, [v for k, v in headers if k.lower() == "set-cookie"])
            location = next((v for k, v in headers if k.lower() == "location"), None)
            if status not in (301, 302, 303) or location is None:
                return body
            method, path, form = "GET", location.removeprefix(APP), None
        raise AssertionError("too many redirects")

    def opens(self, path: str) -> bool:
        url = MEDIA + path
        return verify_request(
            url, cookies=self.jar.header(url), public_keys=self.public_keys
        ).allowed

    def login(self, user: str, password: str | None = None) -> bytes:
        form = {"username": user, "password": password or f"{user}-password"}
        return self.request("POST", "/login", form)


def fastapi_send(app: Any, base_url: str = APP) -> Send:
    from starlette.testclient import TestClient

    client = TestClient(app, base_url=base_url, follow_redirects=False)

    def send(
        method: str, path: str, form: dict[str, str] | None, cookie: str | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        client.cookies.clear()
        headers = {"cookie": cookie} if cookie else {}
        response = client.request(method, path, data=form, headers=headers)
        return response.status_code, list(response.headers.multi_items()), response.content

    return send


def flask_send(app: Any, base_url: str = APP) -> Send:
    client = app.test_client(use_cookies=False)

    def send(
        method: str, path: str, form: dict[str, str] | None, cookie: str | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = {"Cookie": cookie} if cookie else {}
        response = client.open(path, method=method, data=form, headers=headers, base_url=base_url)
        return response.status_code, list(response.headers.items()), response.get_data()

    return send


@pytest.fixture(params=["fastapi_app.py", "flask_app.py"], ids=["fastapi", "flask"])
def browser(request: pytest.FixtureRequest, env: dict[str, str], rsa_key: PrivateKey) -> Browser:
    module = load_example(str(request.param))
    send = fastapi_send(module.app) if request.param == "fastapi_app.py" else flask_send(module.app)
    return Browser(send, {RSA_KEY_ID: rsa_key.public_key()})


# --- FastAPI and Flask ---------------------------------------------------------------------------


def test_alice_reads_her_course_and_nothing_else_until_she_logs_out(browser: Browser) -> None:
    page = browser.login("alice")
    assert b"Hello alice" in page
    assert b"/videos/course-1/" in page  # the page lists the folders the session holds
    assert browser.opens("/videos/course-1/index.m3u8")
    assert not browser.opens("/videos/course-2/index.m3u8")
    assert not browser.opens("/videos/course-10/index.m3u8")
    assert browser.jar.cloudfront()
    page = browser.request("POST", "/logout")
    assert b"Log in" in page
    assert browser.jar.cloudfront() == []
    assert not browser.opens("/videos/course-1/index.m3u8")


def test_bob_reads_both_of_his_courses_with_one_cookie_set_each(browser: Browser) -> None:
    page = browser.login("bob")
    assert b"/videos/course-2/" in page
    assert b"/videos/course-3/" in page
    assert browser.opens("/videos/course-2/a.ts")
    assert browser.opens("/videos/course-3/a.ts")
    assert not browser.opens("/videos/course-1/a.ts")
    assert sorted({c.path for c in browser.jar.cloudfront()}) == [
        "/videos/course-2/",
        "/videos/course-3/",
    ]


def test_a_wrong_password_issues_no_cloudfront_cookie(browser: Browser) -> None:
    page = browser.login("alice", "bob-password")
    assert b"Wrong user name or password" in page
    assert browser.jar.cloudfront() == []


def test_logging_in_as_someone_else_replaces_the_first_users_folders(browser: Browser) -> None:
    browser.login("alice")
    browser.login("bob")
    assert browser.opens("/videos/course-2/a.ts")
    assert not browser.opens("/videos/course-1/a.ts")


@pytest.mark.parametrize(
    ("name", "core_of"),
    [
        pytest.param("fastapi_app.py", lambda m: m.cookies, id="fastapi"),
        pytest.param("flask_app.py", lambda m: m.cloudfront.cookies, id="flask"),
    ],
)
def test_without_a_key_the_example_says_it_made_a_throwaway_one_and_still_works(
    name: str,
    core_of: Callable[[ModuleType], Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CFCOOKIES_PRIVATE_KEY", raising=False)
    module = load_example(name)
    assert "generated a throwaway key" in capsys.readouterr().err
    # Development mode: the app on http://localhost:8000, the media on http://localhost:8001.
    dev = "http://localhost:8000"
    make = fastapi_send if name == "fastapi_app.py" else flask_send
    send = make(module.app, dev)
    status, headers, _ = send(
        "POST", "/login", {"username": "alice", "password": "alice-password"}, None
    )
    assert status == 303
    issued = parse_cookie_header(
        "; ".join(v.split(";")[0] for k, v in headers if k.lower() == "set-cookie")
    )
    keys = core_of(module).keys
    url = "http://localhost:8001/videos/course-1/index.m3u8"
    assert verify_request(url, cookies=issued, public_keys=keys).allowed


# --- wrap_existing_app.py ------------------------------------------------------------------------


def test_wrap_asgi_issues_cookies_for_the_folders_the_session_names(
    env: dict[str, str], rsa_key: PrivateKey
) -> None:
    from starlette.applications import Starlette
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    wrap = load_example("wrap_existing_app.py")

    def login(request: Request) -> PlainTextResponse:
        request.session["media"] = ["/videos/course-1"]
        return PlainTextResponse("in")

    def logout(request: Request) -> PlainTextResponse:
        request.session.clear()
        return PlainTextResponse("out")

    existing = Starlette(
        routes=[
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
        ]
    )
    app = SessionMiddleware(wrap.wrap_asgi(existing), secret_key="s" * 32, https_only=True)
    browser = Browser(fastapi_send(app), {RSA_KEY_ID: rsa_key.public_key()})
    browser.request("POST", "/login")
    assert browser.opens("/videos/course-1/a.ts")
    assert not browser.opens("/videos/course-2/a.ts")
    browser.request("POST", "/logout")
    assert browser.jar.cloudfront() == []


def test_wrap_wsgi_issues_cookies_for_what_flask_views_grant(
    env: dict[str, str], rsa_key: PrivateKey
) -> None:
    from flask import Flask, request

    wrap = load_example("wrap_existing_app.py")
    existing = Flask("existing")

    @existing.post("/login")
    def login() -> str:
        wrap.grant(request, "/videos/course-2", "/videos/course-3")
        return "in"

    @existing.post("/logout")
    def logout() -> str:
        wrap.revoke(request)
        return "out"

    existing.wsgi_app = wrap.wrap_wsgi(existing.wsgi_app)  # type: ignore[method-assign]
    browser = Browser(flask_send(existing), {RSA_KEY_ID: rsa_key.public_key()})
    browser.request("POST", "/login")
    assert browser.opens("/videos/course-2/a.ts")
    assert browser.opens("/videos/course-3/a.ts")
    assert not browser.opens("/videos/course-1/a.ts")
    browser.request("POST", "/logout")
    assert browser.jar.cloudfront() == []


def test_wrap_existing_app_names_a_missing_variable(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cfcookies.exceptions import SettingError

    monkeypatch.delenv("CFCOOKIES_MEDIA_URL", raising=False)
    wrap = load_example("wrap_existing_app.py")
    with pytest.raises(SettingError, match=r"^CFCOOKIES_MEDIA_URL is not set"):
        wrap.wrap_wsgi(lambda environ, start_response: [b""])


# --- the Django project (in a subprocess) --------------------------------------------------------

DJANGO_SCRIPT = r"""
import json, sys
sys.path.insert(0, "examples")
import django
django.setup()
from django.test import Client
from cfcookies.keys import load_private_key
from cfcookies.verify import verify_request
from tests.example_support import EXAMPLES, ROOT, example_environment, load_example
from tests.jar import Jar

APP, MEDIA = "https://app.example.test", "https://media.example.test"
public_keys = {sys.argv[1]: load_private_key(sys.argv[2]).public_key()}
client = Client(HTTP_HOST="app.example.test")
jar = Jar()
seen = {}

def send(method, path, data=None):
    for _ in range(5):
        client.cookies.clear()
        extra = {"secure": True}
        header = jar.header(APP + path)
        if header:
            extra["HTTP_COOKIE"] = header
        if method == "POST":
            response = client.post(path, data or {}, **extra)
        else:
            response = client.get(path, **extra)
        assert response.status_code < 500, response.content
        jar.store(APP + path, [m.output(header="").strip() for m in response.cookies.values()])
        if response.status_code not in (301, 302, 303):
            return response.content.decode()
        method, path, data = "GET", response["Location"], None
    raise AssertionError("too many redirects")

def opens(path):
    url = MEDIA + path
    return verify_request(url, cookies=jar.header(url), public_keys=public_keys).allowed

seen["login_page"] = send("GET", "/")
seen["wrong_password"] = send("POST", "/login", {"username": "alice", "password": "x"})
seen["cloudfront_after_wrong_password"] = len(jar.cloudfront())
seen["alice_page"] = send("POST", "/login", {"username": "alice", "password": "alice-password"})
alice_paths = ["/videos/course-1/a.ts", "/videos/course-2/a.ts", "/videos/course-10/a.ts"]
seen["opens"] = {p: opens(p) for p in alice_paths}
seen["cloudfront_after_login"] = len(jar.cloudfront())
send("POST", "/logout")
seen["cloudfront_after_logout"] = len(jar.cloudfront())
seen["bob_page"] = send("POST", "/login", {"username": "bob", "password": "bob-password"})
bob_paths = ["/videos/course-1/a.ts", "/videos/course-2/a.ts", "/videos/course-3/a.ts"]
seen["bob_opens"] = {p: opens(p) for p in bob_paths}
print(json.dumps(seen))
"""


def django_env(env: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        **env,
        "DJANGO_SETTINGS_MODULE": "django_project.settings",
        "DJANGO_ALLOWED_HOSTS": "app.example.test",
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def key_file(tmp_path: Path, rsa_key: PrivateKey) -> str:
    path = tmp_path / "cloudfront.pem"
    path.write_bytes(private_key_pem(rsa_key))
    return str(path)


def test_the_django_project_grants_at_login_and_removes_everything_at_logout(
    key_file: str,
) -> None:
    env = example_environment(key_file, STATE_SECRET)
    result = subprocess.run(
        [sys.executable, "-c", DJANGO_SCRIPT, RSA_KEY_ID, key_file],
        cwd=ROOT,
        env=django_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert "Log in" in seen["login_page"]
    assert "Wrong user name or password" in seen["wrong_password"]
    assert seen["cloudfront_after_wrong_password"] == 0
    assert "Hello alice" in seen["alice_page"]
    assert "/videos/course-1/" in seen["alice_page"]
    assert seen["opens"] == {
        "/videos/course-1/a.ts": True,
        "/videos/course-2/a.ts": False,
        "/videos/course-10/a.ts": False,
    }
    assert seen["cloudfront_after_login"] == 3
    assert seen["cloudfront_after_logout"] == 0
    assert seen["bob_opens"] == {
        "/videos/course-1/a.ts": False,
        "/videos/course-2/a.ts": True,
        "/videos/course-3/a.ts": True,
    }


def test_the_django_projects_manage_py_runs_in_development_mode() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CFCOOKIES_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "django_project" / "manage.py"), "check"],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "generated a throwaway key" in result.stderr
    assert "no issues" in result.stdout
