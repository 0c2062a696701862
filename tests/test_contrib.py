"""The framework adapters (:mod:`cfcookies.contrib`): what only they do.

Options read from a framework's settings under ``CFCOOKIES_*`` names
(:func:`cfcookies.config.load_options`), Django's start-up errors naming
``settings.CFCOOKIES``, and Flask's ``init_app``. The behaviour table runs through Flask and
Django in ``tests/test_session.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from cfcookies.config import OPTION_NAMES, load_options
from cfcookies.exceptions import ConfigurationError
from cfcookies.keys import PrivateKey
from tests import middleware_apps
from tests.browser_jar_support import STATE_SECRET, base_options
from tests.middleware_apps import MEDIA_URL, django_app
from tests.support import FakeClock

# --- options from settings: CFCOOKIES_<NAME> (the loader itself: tests/test_config.py) ----------


def test_every_option_has_a_setting_name() -> None:
    """Each option of CloudFrontCookies can be set as ``CFCOOKIES_<NAME>``."""
    settings = {"CFCOOKIES_" + name.upper(): index for index, name in enumerate(OPTION_NAMES)}
    assert load_options(settings) == {name: index for index, name in enumerate(OPTION_NAMES)}


def test_grants_given_as_a_dotted_path_is_imported() -> None:
    """``CFCOOKIES_GRANTS`` may name the callable (``package.module.name``) or be it."""
    dotted = load_options({"CFCOOKIES_GRANTS": "tests.middleware_apps.django_grants"})
    assert dotted.get("grants") is middleware_apps.django_grants
    given = load_options({"CFCOOKIES_GRANTS": middleware_apps.django_grants})
    assert given.get("grants") is middleware_apps.django_grants


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param("django_grants", "must be a dotted path", id="no-module"),
        pytest.param("tests.middleware_apps.no_such_name", ": cannot import", id="no-attribute"),
        pytest.param("tests.no_such_module.grants", ": cannot import", id="no-such-module"),
    ],
)
def test_a_bad_dotted_path_is_a_configuration_error(path: str, message: str) -> None:
    """A dotted path that imports nothing fails at start-up, naming the setting and the path."""
    with pytest.raises(ConfigurationError, match=rf"^CFCOOKIES_GRANTS:? ?{message}.*'{path}'"):
        load_options({"CFCOOKIES_GRANTS": path})


# --- Django ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param(None, "missing 2 required keyword-only arguments", id="no-settings"),
        pytest.param({"state_secret": "short"}, "at least 32 bytes", id="bad-option"),
        pytest.param({"lifetimes": 600}, "did you mean 'lifetime'", id="typo"),
    ],
)
def test_django_names_settings_cfcookies_in_a_misconfiguration(
    settings: dict[str, Any] | None, message: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A missing, misspelt or invalid option is Django's ImproperlyConfigured at start-up,
    saying it comes from ``settings.CFCOOKIES``."""
    from django.core.exceptions import ImproperlyConfigured
    from django.http import HttpResponse
    from django.test import override_settings

    from cfcookies.contrib.django import CloudFrontCookieMiddleware

    django_app(None, declarative=False)  # settings configured (once per process)
    options = None if settings is None else base_options(rsa_key, clock, **settings)
    with (
        override_settings(CFCOOKIES=options),
        pytest.raises(ImproperlyConfigured, match=rf"^settings\.CFCOOKIES: .*{message}"),
    ):
        CloudFrontCookieMiddleware(lambda request: HttpResponse())


def test_django_imports_grants_given_as_a_dotted_path(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """``CFCOOKIES["grants"]`` may be a dotted path; one that imports nothing fails at start-up
    naming ``settings.CFCOOKIES`` and ``'grants'``."""
    from django.core.exceptions import ImproperlyConfigured
    from django.http import HttpResponse
    from django.test import override_settings

    from cfcookies.contrib.django import CloudFrontCookieMiddleware

    django_app(None, declarative=False)
    good = base_options(rsa_key, clock, grants="tests.middleware_apps.django_grants")
    with override_settings(CFCOOKIES=good):
        middleware = CloudFrontCookieMiddleware(lambda request: HttpResponse())
    assert middleware.cookies.grants is middleware_apps.django_grants
    bad = base_options(rsa_key, clock, grants="tests.middleware_apps.no_such_name")
    with (
        override_settings(CFCOOKIES=bad),
        pytest.raises(ImproperlyConfigured, match=r"^settings\.CFCOOKIES: 'grants': cannot import"),
    ):
        CloudFrontCookieMiddleware(lambda request: HttpResponse())


# --- Flask -------------------------------------------------------------------------------------


def test_flask_init_app_registers_the_keepalive_route_and_the_extension(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """init_app() puts the extension in ``app.extensions["cfcookies"]`` and serves the
    keep-alive path as a Flask route (GET and POST); ``keepalive_path=None`` serves none."""
    from flask import Flask

    from cfcookies.contrib.flask import FlaskCloudFrontCookies

    extension = FlaskCloudFrontCookies(**base_options(rsa_key, clock))
    app = Flask("init_app")
    extension.init_app(app)
    assert app.extensions["cfcookies"] is extension
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "cfcookies_keepalive")
    assert rule.rule == "/cfcookies/keepalive"
    assert {"GET", "POST"} <= set(rule.methods or ())
    reply = app.test_client().get("/cfcookies/keepalive", base_url="https://app.example.test")
    assert reply.status_code == 401  # no session yet
    assert reply.headers["Cache-Control"] == "no-store"

    quiet = Flask("no_keepalive")
    FlaskCloudFrontCookies(quiet, **base_options(rsa_key, clock, keepalive_path=None))
    assert all(r.endpoint != "cfcookies_keepalive" for r in quiet.url_map.iter_rules())


def test_flask_reads_cfcookies_settings_from_app_config_and_arguments_win(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Options come from ``app.config``'s ``CFCOOKIES_*`` keys, then from the constructor, then
    from init_app's own arguments, each overriding the one before."""
    from flask import Flask

    from cfcookies.contrib.flask import FlaskCloudFrontCookies

    app = Flask("from_config")
    app.config.update(
        CFCOOKIES_MEDIA_URL=MEDIA_URL,
        CFCOOKIES_STATE_SECRET=STATE_SECRET,
        CFCOOKIES_LIFETIME=3600,
        CFCOOKIES_MAX_PREFIXES=7,
        CFCOOKIES_KEEPALIVE_PATH="/from-config",
    )
    options = base_options(rsa_key, clock, lifetime=1800)
    del options["media_url"], options["state_secret"]
    extension = FlaskCloudFrontCookies(**options)
    extension.init_app(app, keepalive_path="/from-init-app")
    assert extension.cookies is not None
    assert extension.cookies.media_url == MEDIA_URL
    assert extension.cookies.max_prefixes == 7  # from app.config
    assert extension.cookies.lifetime == 1800  # the constructor's over app.config's
    assert extension.cookies.keepalive_path == "/from-init-app"  # init_app's over both

    typo = Flask("typo")
    typo.config.update(CFCOOKIES_LIFETIMES=60)
    refused = "unknown setting CFCOOKIES_LIFETIMES; did you mean CFCOOKIES_LIFETIME?"
    with pytest.raises(ConfigurationError, match=refused):
        FlaskCloudFrontCookies(typo, **options)
