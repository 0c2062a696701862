"""One configuration story through every adapter: the same option names (another library's
spelling is refused naming the cfcookies one), the same ``CFCOOKIES_*`` settings read by
:func:`cfcookies.config.load_options` from the environment (ASGI and WSGI ``from_env``),
Flask's ``app.config`` and Django's ``settings.CFCOOKIES`` (plus django-storages' CloudFront key).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from cfcookies.exceptions import UnknownOptionError
from cfcookies.keys import PrivateKey, private_key_pem
from tests.browser_jar_support import STATE_SECRET, base_options
from tests.middleware_apps import MEDIA_URL, django_app
from tests.support import RSA_KEY_ID, FakeClock

SAME_SITE = "unknown option 'same_site': cfcookies calls it 'samesite'"
HTTPS_ONLY = "unknown option 'https_only': cfcookies calls it 'secure'"


async def asgi_app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never run
    raise AssertionError("not called")


def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:  # pragma: no cover
    raise AssertionError("not called")


@pytest.fixture
def environ(rsa_key: PrivateKey) -> dict[str, str]:
    """What a deployment puts in the environment: all text."""
    return {
        "CFCOOKIES_MEDIA_URL": MEDIA_URL,
        "CFCOOKIES_COOKIE_DOMAIN": "example.test",
        "CFCOOKIES_KEY_PAIR_ID": RSA_KEY_ID,
        "CFCOOKIES_PRIVATE_KEY": private_key_pem(rsa_key).decode(),
        "CFCOOKIES_STATE_SECRET": STATE_SECRET,
        "CFCOOKIES_LIFETIME": "45m",
        "CFCOOKIES_SAMESITE": "strict",
        "CFCOOKIES_MAX_PREFIXES": "7",
        "PATH": "/usr/bin",
    }


# --- another library's spelling, through each adapter ------------------------------------------


def test_asgi_refuses_starlettes_spelling_naming_the_cfcookies_option(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from cfcookies.asgi import CloudFrontCookieMiddleware

    options: dict[str, Any] = base_options(rsa_key, clock, same_site="Lax")
    with pytest.raises(UnknownOptionError, match=f"^{re.escape(SAME_SITE)}"):
        CloudFrontCookieMiddleware(asgi_app, **options)


def test_starlette_add_middleware_refuses_it_when_the_stack_is_built(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Starlette builds its middleware when the app starts: the error comes then (a type
    checker reports it at the add_middleware line, see tests/test_typing.py)."""
    from starlette.applications import Starlette

    from cfcookies.asgi import CloudFrontCookieMiddleware

    app = Starlette()
    options: dict[str, Any] = base_options(rsa_key, clock, https_only=True)
    app.add_middleware(CloudFrontCookieMiddleware, **options)
    with pytest.raises(UnknownOptionError, match=f"^{re.escape(HTTPS_ONLY)}"):
        app.build_middleware_stack()


def test_wsgi_refuses_another_spelling_and_suggests_for_a_typo(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from cfcookies.wsgi import CloudFrontCookieMiddleware

    options: dict[str, Any] = base_options(rsa_key, clock, same_site="Lax")
    with pytest.raises(UnknownOptionError, match=f"^{re.escape(SAME_SITE)}"):
        CloudFrontCookieMiddleware(wsgi_app, **options)
    typo: dict[str, Any] = base_options(rsa_key, clock, cookie_domian="example.test")
    with pytest.raises(UnknownOptionError, match="did you mean 'cookie_domain'"):
        CloudFrontCookieMiddleware(wsgi_app, **typo)


def test_flask_refuses_another_spelling_in_arguments_and_in_app_config(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from flask import Flask

    from cfcookies.contrib.flask import FlaskCloudFrontCookies

    options: dict[str, Any] = base_options(rsa_key, clock, same_site="Lax")
    with pytest.raises(UnknownOptionError, match=f"^{re.escape(SAME_SITE)}"):
        FlaskCloudFrontCookies(Flask("arguments"), **options)
    app = Flask("config")
    app.config["CFCOOKIES_HTTPS_ONLY"] = True
    refused = "^unknown setting CFCOOKIES_HTTPS_ONLY: cfcookies calls it CFCOOKIES_SECURE"
    with pytest.raises(UnknownOptionError, match=refused):
        FlaskCloudFrontCookies(app, **base_options(rsa_key, clock))


@pytest.fixture
def django_settings() -> None:
    django_app(None, declarative=False)  # settings configured (once per process)


def build_django(**settings: Any) -> Any:
    from django.http import HttpResponse
    from django.test import override_settings

    from cfcookies.contrib.django import CloudFrontCookieMiddleware

    with override_settings(**settings):
        return CloudFrontCookieMiddleware(lambda request: HttpResponse())


def test_django_refuses_another_spelling_as_improperly_configured(
    django_settings: None, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    options = base_options(rsa_key, clock, same_site="Lax")
    with pytest.raises(ImproperlyConfigured, match=rf"^settings\.CFCOOKIES: {SAME_SITE}"):
        build_django(CFCOOKIES=options)


# --- from the environment: ASGI and WSGI ---------------------------------------------------------


def test_asgi_from_env_reads_the_cfcookies_variables(environ: dict[str, str]) -> None:
    from cfcookies.asgi import CloudFrontCookieMiddleware

    middleware = CloudFrontCookieMiddleware.from_env(asgi_app, environ=environ)
    assert middleware.app is asgi_app
    cookies = middleware.cookies
    assert cookies.media_url == MEDIA_URL
    assert cookies.cookie_domain == "example.test"
    assert cookies.keys.active().key_pair_id == RSA_KEY_ID
    assert cookies.lifetime == 45 * 60
    assert cookies.max_prefixes == 7
    assert cookies.cloudfront_attributes.samesite == "Strict"


def test_from_env_reads_os_environ_by_default_and_arguments_win(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cfcookies.wsgi import CloudFrontCookieMiddleware

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    middleware = CloudFrontCookieMiddleware.from_env(wsgi_app, lifetime=3600, max_prefixes=3)
    assert middleware.cookies.lifetime == 3600  # the argument's, over CFCOOKIES_LIFETIME
    assert middleware.cookies.max_prefixes == 3
    assert middleware.cookies.media_url == MEDIA_URL  # from the environment


def test_from_env_with_another_prefix(environ: dict[str, str]) -> None:
    from cfcookies.wsgi import CloudFrontCookieMiddleware

    renamed = {k.replace("CFCOOKIES_", "MEDIA_COOKIES_"): v for k, v in environ.items()}
    middleware = CloudFrontCookieMiddleware.from_env(
        wsgi_app, environ=renamed, prefix="MEDIA_COOKIES_"
    )
    assert middleware.cookies.lifetime == 45 * 60


def test_starlette_add_middleware_takes_from_env_with_grants(environ: dict[str, str]) -> None:
    """``app.add_middleware(CloudFrontCookieMiddleware.from_env, grants=...)``: the settings
    from the environment, the callable from the code."""
    from starlette.applications import Starlette

    from cfcookies.asgi import CloudFrontCookieMiddleware

    def grants(request: Any) -> list[str] | None:
        return None

    app = Starlette()
    app.add_middleware(CloudFrontCookieMiddleware.from_env, environ=environ, grants=grants)
    found: Any = app.build_middleware_stack()
    while not isinstance(found, CloudFrontCookieMiddleware):
        found = found.app
    assert found.cookies.grants is grants
    assert found.cookies.lifetime == 45 * 60


def test_from_env_names_the_variable_that_cannot_be_read(environ: dict[str, str]) -> None:
    from cfcookies.asgi import CloudFrontCookieMiddleware
    from cfcookies.exceptions import SettingError

    environ["CFCOOKIES_SECURE"] = "nope"
    with pytest.raises(SettingError, match=r"^CFCOOKIES_SECURE must be true or false"):
        CloudFrontCookieMiddleware.from_env(asgi_app, environ=environ)
    environ["CFCOOKIES_SECURE"] = "true"
    environ["CFCOOKIES_SAME_SITE"] = "lax"
    with pytest.raises(UnknownOptionError, match="cfcookies calls it CFCOOKIES_SAMESITE"):
        CloudFrontCookieMiddleware.from_env(asgi_app, environ=environ)


def test_from_env_never_shows_the_private_key_or_the_secret(environ: dict[str, str]) -> None:
    """A key that cannot be loaded, or a short state secret, read from the environment: the
    errors do not carry the values."""
    from cfcookies.exceptions import ConfigurationError, KeyLoadError
    from cfcookies.wsgi import CloudFrontCookieMiddleware

    broken = dict(environ, CFCOOKIES_PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\nTOPSECRETBYTES\n")
    with pytest.raises(KeyLoadError) as caught:
        CloudFrontCookieMiddleware.from_env(wsgi_app, environ=broken)
    assert "TOPSECRETBYTES" not in str(caught.value)
    environ["CFCOOKIES_STATE_SECRET"] = "short-secret-value"
    with pytest.raises(ConfigurationError) as short:
        CloudFrontCookieMiddleware.from_env(wsgi_app, environ=environ)
    assert "short-secret-value" not in str(short.value)


# --- Flask and Django read the same settings -----------------------------------------------------


def test_flask_reads_text_settings_from_app_config(
    environ: dict[str, str], rsa_key: PrivateKey
) -> None:
    """``app.config.from_prefixed_env()`` or a config file may hold text: read as from the
    environment."""
    from flask import Flask

    from cfcookies.contrib.flask import FlaskCloudFrontCookies

    app = Flask("text")
    app.config.update(environ)
    app.config["CFCOOKIES_KEEPALIVE_PATH"] = ""  # no keep-alive route
    extension = FlaskCloudFrontCookies(app)
    assert extension.cookies is not None
    assert extension.cookies.lifetime == 45 * 60
    assert extension.cookies.keepalive_path is None


def test_django_reads_text_in_settings_cfcookies(
    django_settings: None, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    middleware = build_django(
        CFCOOKIES=base_options(rsa_key, clock, lifetime="45m", samesite="strict")
    )
    assert middleware.cookies.lifetime == 45 * 60
    assert middleware.cookies.cloudfront_attributes.samesite == "Strict"


def test_django_reads_django_storages_cloudfront_key(
    django_settings: None, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A project that configured django-storages' signed URLs (``AWS_CLOUDFRONT_KEY``, the
    PEM, and ``AWS_CLOUDFRONT_KEY_ID``) does not repeat them in CFCOOKIES."""
    options = base_options(rsa_key, clock)
    del options["key_pair_id"], options["private_key"]
    middleware = build_django(
        CFCOOKIES=options,
        AWS_CLOUDFRONT_KEY=private_key_pem(rsa_key),  # bytes, as django-storages accepts
        AWS_CLOUDFRONT_KEY_ID=RSA_KEY_ID,
    )
    assert middleware.cookies.keys.active().key_pair_id == RSA_KEY_ID


def test_django_cfcookies_key_settings_win_over_django_storages(
    django_settings: None, rsa_key: PrivateKey, ecdsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Both given: CFCOOKIES's key pair is used, and django-storages' is not mixed in."""
    options = base_options(rsa_key, clock)  # key_pair_id and private_key: RSA
    middleware = build_django(
        CFCOOKIES=options,
        AWS_CLOUDFRONT_KEY=private_key_pem(ecdsa_key).decode(),
        AWS_CLOUDFRONT_KEY_ID="KSTORAGESKEYID",
    )
    active = middleware.cookies.keys.active()
    assert active.key_pair_id == RSA_KEY_ID
    assert active.private_key.public_key().public_numbers() == rsa_key.public_key().public_numbers()


def test_django_storages_half_a_key_pair_says_what_is_missing(
    django_settings: None, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    options = base_options(rsa_key, clock)
    del options["key_pair_id"], options["private_key"]
    with pytest.raises(ImproperlyConfigured, match="AWS_CLOUDFRONT_KEY_ID is not") as caught:
        build_django(CFCOOKIES=options, AWS_CLOUDFRONT_KEY=private_key_pem(rsa_key).decode())
    assert "BEGIN" not in str(caught.value)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        pytest.param(
            ["CFCOOKIES_MEDIA_URL"], "^CFCOOKIES_MEDIA_URL is not set: the distribution", id="url"
        ),
        pytest.param(["CFCOOKIES_STATE_SECRET"], "^CFCOOKIES_STATE_SECRET is not set", id="secret"),
        pytest.param(
            ["CFCOOKIES_PRIVATE_KEY"],
            "^CFCOOKIES_PRIVATE_KEY is not set: the private key",
            id="private-key",
        ),
        pytest.param(
            ["CFCOOKIES_KEY_PAIR_ID", "CFCOOKIES_PRIVATE_KEY"],
            "^CFCOOKIES_KEY_PAIR_ID is not set",
            id="no-key",
        ),
    ],
)
def test_from_env_names_a_missing_variable(
    environ: dict[str, str], missing: list[str], message: str
) -> None:
    """A required setting in neither the environment nor the arguments is named as the
    variable to set."""
    from cfcookies.exceptions import SettingError
    from cfcookies.wsgi import CloudFrontCookieMiddleware

    for name in missing:
        del environ[name]
    with pytest.raises(SettingError, match=message):
        CloudFrontCookieMiddleware.from_env(wsgi_app, environ=environ)


def test_from_env_takes_what_the_arguments_give_instead(
    environ: dict[str, str], rsa_key: PrivateKey
) -> None:
    from cfcookies.asgi import CloudFrontCookieMiddleware
    from cfcookies.keys import KeyRing

    del environ["CFCOOKIES_KEY_PAIR_ID"], environ["CFCOOKIES_PRIVATE_KEY"]
    del environ["CFCOOKIES_MEDIA_URL"]
    ring = KeyRing.from_key(RSA_KEY_ID, rsa_key)
    middleware = CloudFrontCookieMiddleware.from_env(
        asgi_app, environ=environ, keys=ring, media_url=MEDIA_URL
    )
    assert middleware.cookies.keys is ring
