"""Type checkers see the real options: ``mypy --strict`` run on small programs that configure
each adapter, once right and once with the mistakes people make (``cookie_domian=``,
``lifetime="30m"``, Starlette's ``same_site=``).

Each snippet marks the lines mypy must report with ``# error: <part of the message>``
(``keyword`` short for ``keyword argument``); every other line must pass. One mypy run checks
them all (a cold run takes a while).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parent.parent

HEADER = """\
from __future__ import annotations

from datetime import timedelta
from typing import Any

"""

SNIPPETS = {
    "asgi_snippet": """
        from fastapi import FastAPI
        from starlette.applications import Starlette
        from starlette.types import Receive, Scope, Send

        from cfcookies.asgi import CloudFrontCookieMiddleware as Middleware


        async def inner(scope: Scope, receive: Receive, send: Send) -> None: ...


        def grants(request: Any) -> list[str] | None: ...


        right = Middleware(
            inner,
            media_url="https://media.example.com",
            cookie_domain="example.com",
            key_pair_id="K2JCJMDEHXQW5F",
            private_key="/run/secrets/cloudfront.pem",
            state_secret="s" * 32,
            lifetime=timedelta(minutes=30),
            samesite="Strict",
            grants=grants,
        )
        Middleware(inner, cookie_domian="x")  # error: keyword "cookie_domian"
        Middleware(inner, lifetime="30m")  # error: Argument "lifetime"
        Middleware(inner, same_site="lax")  # error: keyword "same_site"
        Middleware(inner, samesite="lax")  # error: Argument "samesite"
        Middleware.from_env(inner, grants=grants, lifetime=600)
        Middleware.from_env(inner, lifetime="30m")  # error: Argument "lifetime"

        app = Starlette()
        app.add_middleware(Middleware, media_url="https://m.example.com")
        app.add_middleware(Middleware.from_env, grants=grants)
        app.add_middleware(Middleware, cookie_domian="x")  # error: keyword "cookie_domian"
        app.add_middleware(Middleware, lifetime="30m")  # error: Argument "lifetime"
        app.add_middleware(Middleware, https_only=True)  # error: keyword "https_only"
        app.add_middleware(Middleware.from_env, lifetime="1h")  # error: Argument "lifetime"

        api = FastAPI()
        api.add_middleware(Middleware, lifetime=1800)
        api.add_middleware(Middleware, cookie_domian="x")  # error: keyword "cookie_domian"
        api.add_middleware(Middleware, lifetime="30m")  # error: Argument "lifetime"
    """,
    "wsgi_snippet": """
        from collections.abc import Callable, Iterable

        from cfcookies.wsgi import CloudFrontCookieMiddleware as Middleware


        def inner(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            return [b""]


        right = Middleware(
            inner, media_url="https://media.example.com", lifetime=1800, secure=True
        )
        Middleware(inner, cookie_domian="x")  # error: keyword "cookie_domian"
        Middleware(inner, lifetime="30m")  # error: Argument "lifetime"
        Middleware(inner, https_only=True)  # error: keyword "https_only"
        Middleware.from_env(inner, max_prefixes=5)
        Middleware.from_env(inner, cookie_domian="x")  # error: keyword "cookie_domian"
    """,
    "flask_snippet": """
        from flask import Flask

        from cfcookies.contrib.flask import FlaskCloudFrontCookies

        app = Flask(__name__)
        extension = FlaskCloudFrontCookies(app, lifetime=timedelta(minutes=30), samesite="Lax")
        FlaskCloudFrontCookies(app, cookie_domian="x")  # error: keyword "cookie_domian"
        FlaskCloudFrontCookies(app, lifetime="30m")  # error: Argument "lifetime"
        FlaskCloudFrontCookies().init_app(app, max_prefixes=5)
        FlaskCloudFrontCookies().init_app(app, cookie_domian="x")  # error: keyword "cookie_domian"
        FlaskCloudFrontCookies().init_app(app, lifetime="30m")  # error: Argument "lifetime"
    """,
    "django_settings_snippet": """
        import os

        from cfcookies.config import Settings

        # settings.py: values may be text (read as from the environment) or dotted paths.
        CFCOOKIES: Settings = {
            "media_url": "https://media.example.com",
            "state_secret": os.environ["CFCOOKIES_STATE_SECRET"],
            "lifetime": "30m",
            "grants": "myapp.media.granted_prefixes",
            "secure": True,
        }
        TYPO: Settings = {"cookie_domian": "x"}  # error: Extra key "cookie_domian"
        WRONG: Settings = {"lifetime": ["30m"]}  # error: TypedDict item "lifetime" has type
        SPELLING: Settings = {"same_site": "Lax"}  # error: Extra key "same_site"
    """,
}

ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[int, str]]:
    """mypy --strict's errors by snippet and line, from one run over all the snippets."""
    folder = tmp_path_factory.mktemp("typing")
    paths = []
    for name, body in SNIPPETS.items():
        path = folder / f"{name}.py"
        path.write_text(HEADER + textwrap.dedent(body).lstrip())
        paths.append(str(path))
    stdout, stderr, _ = mypy_api.run(
        [
            "--strict",
            "--python-version=3.10",
            "--config-file=",
            "--show-error-codes",
            "--no-error-summary",
            "--hide-error-context",
            "--no-pretty",
            f"--cache-dir={folder / 'cache'}",
            *paths,
        ]
    )
    assert not stderr, stderr
    errors: dict[str, dict[int, str]] = {name: {} for name in SNIPPETS}
    for line in stdout.splitlines():
        match = ERROR.match(line)
        if match is None:
            assert ": note: " in line, line  # notes beside errors ("defined in ..."), nothing else
            continue
        name = Path(match["file"]).stem
        number = int(match["line"])
        errors[name][number] = errors[name].get(number, "") + match["message"]
    return errors


def expected(name: str) -> dict[int, str]:
    """The lines of snippet ``name`` marked ``# error: ...``, with what their message holds."""
    lines = (HEADER + textwrap.dedent(SNIPPETS[name]).lstrip()).splitlines()
    return {
        number: line.split("# error: ", 1)[1]
        for number, line in enumerate(lines, start=1)
        if "# error: " in line
    }


@pytest.mark.parametrize("name", list(SNIPPETS))
def test_mypy_strict_reports_the_wrong_options_and_passes_the_right_ones(
    name: str, reported: dict[str, dict[int, str]]
) -> None:
    """Every marked line is reported with its message; no other line is."""
    want = expected(name)
    got = reported[name]
    assert sorted(got) == sorted(want), got
    for number, part in want.items():
        part = part.replace('keyword "', 'keyword argument "')  # shortened in the snippets
        assert part in got[number], (number, got[number])
