"""cfcookies.config and cfcookies.checks: the options' names and types, and their start-up
checks."""

from __future__ import annotations

import inspect
import re
from datetime import timedelta
from typing import Any, get_type_hints

import pytest

import cfcookies.checks as checks
import cfcookies.config as config
from cfcookies.config import OPTION_NAMES, Options
from cfcookies.exceptions import ConfigurationError, SettingError, UnknownOptionError
from cfcookies.session import CloudFrontCookies


def test_options_name_every_keyword_option_of_the_core_with_its_type() -> None:
    """The typed options the adapters take are exactly CloudFrontCookies' keyword options,
    with the same annotations, so that a type checker sees what the core accepts."""
    parameters = {
        name: parameter
        for name, parameter in inspect.signature(CloudFrontCookies.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    assert set(OPTION_NAMES) == set(parameters)
    assert len(OPTION_NAMES) == len(set(OPTION_NAMES))
    hints = get_type_hints(Options)
    core_hints = get_type_hints(CloudFrontCookies.__init__)
    for name in OPTION_NAMES:
        assert hints[name] == core_hints[name], name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(90, 90, id="int"),
        pytest.param(timedelta(minutes=2), 120, id="timedelta"),
    ],
)
def test_seconds_accepts_whole_seconds(value: Any, expected: int) -> None:
    assert checks.seconds(value, "lifetime") == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(timedelta(seconds=1.5), id="fraction"),
        pytest.param("30m", id="text"),
        pytest.param(True, id="bool"),
        pytest.param(1.0, id="float"),
    ],
)
def test_seconds_refuses_anything_else_naming_the_option(value: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"^lifetime must be"):
        checks.seconds(value, "lifetime")


@pytest.mark.parametrize(
    ("times", "message"),
    [
        pytest.param((59, 10, 5), "lifetime must be between 60 seconds and 7 days", id="short"),
        pytest.param((8 * 86400, 10, 5), "lifetime must be between", id="long"),
        pytest.param((600, 600, 5), r"renew_before \(600 s\) must be", id="renew-all"),
        pytest.param((600, 0, 5), "renew_before", id="renew-never"),
        pytest.param((600, 300, 301), r"granularity \(301 s\)", id="coarse"),
        pytest.param((600, 300, 0), "granularity", id="zero-granularity"),
    ],
)
def test_times_that_cannot_work_are_refused(times: tuple[int, int, int], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        checks.check_times(*times)


def test_a_max_prefixes_beyond_the_cookie_budget_says_what_fits() -> None:
    """Browsers keep about 150 cookies per domain: the message names what fits."""
    checks.check_cookie_budget(20, 5)
    with pytest.raises(ConfigurationError, match="Set max_prefixes to 29 or less"):
        checks.check_cookie_budget(30, 5)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param(42, "must be a str", id="not-text"),
        pytest.param("http://media.example.com", "must start with https://", id="http"),
        pytest.param("https://media.example.com/videos", "origin only", id="path"),
        pytest.param("https://media.example.com/?a=1", "origin only", id="query"),
        pytest.param("https:///", "origin only", id="no-host"),
    ],
)
def test_a_media_url_that_is_not_an_origin_is_refused(url: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        checks.check_media_url(url, False)


@pytest.mark.parametrize(
    ("cookie_domain", "media_host", "expected"),
    [
        pytest.param(None, "media.example.com", None, id="host-only"),
        pytest.param("example.com", "media.example.com", "example.com", id="parent"),
        pytest.param(".Example.com", "media.example.com", "example.com", id="normalised"),
        pytest.param("media.example.com", "media.example.com", "media.example.com", id="itself"),
        pytest.param("example.co.uk", "media.example.co.uk", "example.co.uk", id="co-uk"),
        pytest.param("example.test", "media.example.test", "example.test", id="demo"),
        pytest.param(
            "mybucket.s3.us-east-1.amazonaws.com",
            "mybucket.s3.us-east-1.amazonaws.com",
            "mybucket.s3.us-east-1.amazonaws.com",
            id="own-name-under-a-private-suffix",
        ),
    ],
)
def test_a_cookie_domain_covering_the_media_host_is_kept(
    cookie_domain: str | None, media_host: str, expected: str | None
) -> None:
    assert checks.check_cookie_domain(cookie_domain, media_host) == expected


@pytest.mark.parametrize(
    ("cookie_domain", "media_host", "message"),
    [
        pytest.param("other.com", "media.example.com", "does not cover media host", id="elsewhere"),
        pytest.param(
            "cloudfront.net",
            "d111111abcdef8.cloudfront.net",
            "cookie_domain cloudfront.net is a public suffix",
            id="cloudfront",
        ),
        pytest.param(
            "amazonaws.com",
            "mybucket.s3.us-east-1.amazonaws.com",
            "cookie_domain amazonaws.com is above mybucket.s3.us-east-1.amazonaws.com, the "
            "registrable domain of media host mybucket.s3.us-east-1.amazonaws.com "
            r"\(under the public suffix s3.us-east-1.amazonaws.com\)",
            id="above-a-private-suffix",
        ),
        pytest.param(
            "us-east-1.amazonaws.com",
            "mybucket.s3.us-east-1.amazonaws.com",
            "cookie_domain us-east-1.amazonaws.com is a public suffix",
            id="a-listed-parent",
        ),
    ],
)
def test_a_cookie_domain_browsers_would_refuse_for_the_media_host_is_refused(
    cookie_domain: str, media_host: str, message: str
) -> None:
    """Browsers keep a cookie only when its ``Domain`` is inside the setting host's registrable
    domain: a parent above it (``amazonaws.com`` for a bucket's host) is refused at start-up."""
    with pytest.raises(ConfigurationError, match=message):
        checks.check_cookie_domain(cookie_domain, media_host)


def test_a_media_url_is_kept_without_its_slash_and_its_host_lower_case() -> None:
    assert checks.check_media_url(" https://Media.Example.com/ ", False) == (
        "https://Media.Example.com",
        "media.example.com",
    )
    assert checks.check_media_url("http://127.0.0.1:8443", True)[1] == "127.0.0.1"


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        pytest.param("a" * 32, [b"a" * 32], id="one"),
        pytest.param(["n" * 32, b"o" * 32], [b"n" * 32, b"o" * 32], id="newest-first"),
    ],
)
def test_state_secrets_are_bytes_newest_first(secret: Any, expected: list[bytes]) -> None:
    assert checks.check_secrets(secret) == expected


@pytest.mark.parametrize("secret", ["", [], "short", ["a" * 32, "b"]])
def test_a_missing_or_short_state_secret_is_refused(secret: Any) -> None:
    with pytest.raises(ConfigurationError, match="state_secret"):
        checks.check_secrets(secret)


@pytest.mark.parametrize(
    ("name", "secure", "expected"),
    [
        pytest.param(None, True, "__Host-cfcookies", id="default-secure"),
        pytest.param(None, False, "cfcookies", id="default-http"),
        pytest.param("state", True, "state", id="chosen"),
    ],
)
def test_the_state_cookie_name(name: str | None, secure: bool, expected: str) -> None:
    assert checks.check_state_cookie_name(name, secure) == expected


@pytest.mark.parametrize(
    ("name", "secure", "message"),
    [
        pytest.param("CloudFront-State", True, "not starting with CloudFront-", id="theirs"),
        pytest.param("__Host-x", False, "needs secure=True", id="host-prefix-over-http"),
        pytest.param("__Secure-x", False, "needs secure=True", id="secure-prefix-over-http"),
    ],
)
def test_a_state_cookie_name_browsers_would_refuse_is_refused(
    name: str, secure: bool, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        checks.check_state_cookie_name(name, secure)


@pytest.mark.parametrize("value", [0, 51, True, "20"])
def test_max_prefixes_is_one_to_fifty(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_prefixes must be 1 to 50"):
        checks.check_max_prefixes(value)


@pytest.mark.parametrize("value", [-1, 31, True, "1"])
def test_deny_wait_is_zero_to_thirty_seconds(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="deny_wait must be 0 to 30 seconds"):
        checks.check_deny_wait(value)


@pytest.mark.parametrize("value", ["keepalive", 5])
def test_the_keepalive_path_starts_with_a_slash(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="keepalive_path must start with /"):
        checks.check_keepalive_path(value)


# --- reading options from settings: load_options -------------------------------------------------


def test_load_options_reads_the_prefixed_names_and_leaves_the_rest() -> None:
    """``CFCOOKIES_<NAME>`` becomes the option ``name``; the app's other settings are left."""
    source = {
        "CFCOOKIES_MEDIA_URL": "https://media.example.com",
        "CFCOOKIES_LIFETIME": "3600",
        "CFCOOKIES_MAX_PREFIXES": 5,  # not text (Flask's config): taken as it is
        "SECRET_KEY": "the app's own",
        "HOME": "/root",
    }
    assert config.load_options(source) == {
        "media_url": "https://media.example.com",
        "lifetime": 3600,
        "max_prefixes": 5,
    }


def test_every_option_is_read_from_text_as_its_type_says() -> None:
    """How each option's text is read, derived from its type in Options (a new option gets
    a kind without anyone remembering to add one)."""
    kinds = {name: kind for name, (kind, _, _) in config.text_kinds().items()}
    assert kinds == {
        "media_url": "text",
        "state_secret": "secrets",
        "keys": "import",
        "key_pair_id": "text",
        "private_key": "text",
        "passphrase": "text",
        "cookie_domain": "text",
        "grants": "import",
        "lifetime": "duration",
        "renew_before": "duration",
        "granularity": "duration",
        "max_session_age": "duration",
        "max_prefixes": "int",
        "secure": "bool",
        "httponly": "bool",
        "samesite": "choice",
        "persistent": "bool",
        "hash_algorithm": "choice",
        "state_cookie_name": "text",
        "keepalive_path": "text",
        "signature_cache_size": "int",
        "clock": "import",
        "insecure_allow_http": "bool",
        "session_secrets": "import",
        "deny_list": "import",
        "deny_outbox": "text",
        "on_deny_failure": "import",
        "deny_timeout": "float",
        "deny_wait": "float",
        "session_cookie_name": "text",
        "client_ip": "import",
        "session_binding": "import",
        "on_metric": "import",
    }


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        pytest.param("LIFETIME", "3600", 3600, id="seconds"),
        pytest.param("LIFETIME", "30m", 1800, id="minutes"),
        pytest.param("RENEW_BEFORE", "90s", 90, id="seconds-unit"),
        pytest.param("MAX_SESSION_AGE", "12h", 12 * 3600, id="hours"),
        pytest.param("MAX_SESSION_AGE", " 7D ", 7 * 86400, id="days-upper-case"),
        pytest.param("MAX_SESSION_AGE", "", None, id="empty-is-none"),
        pytest.param("MAX_SESSION_AGE", "none", None, id="none"),
        pytest.param("SECURE", "false", False, id="false"),
        pytest.param("SECURE", "True", True, id="true"),
        pytest.param("PERSISTENT", "1", True, id="one"),
        pytest.param("HTTPONLY", "off", False, id="off"),
        pytest.param("INSECURE_ALLOW_HTTP", "yes", True, id="yes"),
        pytest.param("MAX_PREFIXES", "5", 5, id="int"),
        pytest.param("DENY_WAIT", "0.5", 0.5, id="float"),
        pytest.param("SAMESITE", "strict", "Strict", id="choice"),
        pytest.param("SAMESITE", "None", "None", id="samesite-none-is-a-value"),
        pytest.param("SAMESITE", "", None, id="samesite-empty-is-no-attribute"),
        pytest.param("HASH_ALGORITHM", "sha256", "SHA256", id="hash"),
        pytest.param("COOKIE_DOMAIN", "", None, id="no-domain"),
        pytest.param("COOKIE_DOMAIN", "example.com", "example.com", id="domain"),
        pytest.param("KEEPALIVE_PATH", "", None, id="no-keepalive"),
        pytest.param("PASSPHRASE", "none", "none", id="text-none-is-text"),
        pytest.param("STATE_SECRET", "s" * 40, "s" * 40, id="one-secret"),
        pytest.param("STATE_SECRET", '["n", "o"]', ["n", "o"], id="secrets-json-list"),
        pytest.param("DENY_OUTBOX", "/var/lib/outbox", "/var/lib/outbox", id="path"),
        pytest.param("GRANTS", "tests.middleware_apps.django_grants", "GRANTS", id="dotted"),
        pytest.param("CLOCK", "cfcookies.policy.system_clock", "CLOCK", id="clock"),
    ],
)
def test_text_is_read_as_the_options_type(name: str, text: str, expected: object) -> None:
    from cfcookies.policy import system_clock
    from tests import middleware_apps

    imported = {"GRANTS": middleware_apps.django_grants, "CLOCK": system_clock}
    options: dict[str, Any] = dict(config.load_options({f"CFCOOKIES_{name}": text}))
    assert options == {name.lower(): imported.get(str(expected), expected)}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        pytest.param("LIFETIME", "30 minutes", "whole seconds or a duration like", id="words"),
        pytest.param("LIFETIME", "1.5h", "whole seconds or a duration like", id="fraction"),
        pytest.param("LIFETIME", "", "whole seconds or a duration like", id="empty"),
        pytest.param("SECURE", "maybe", "true or false", id="bool"),
        pytest.param("MAX_PREFIXES", "many", "a whole number", id="int"),
        pytest.param("DENY_WAIT", "nan", "a number of seconds", id="nan"),
        pytest.param("SAMESITE", "lax-ish", "one of Lax, Strict, None", id="choice"),
        pytest.param("GRANTS", "granted_prefixes", "a dotted path to the object", id="no-dot"),
        pytest.param("GRANTS", "tests.no_such_module.grants", "cannot import", id="no-module"),
    ],
)
def test_text_that_cannot_be_read_names_the_setting(name: str, text: str, expected: str) -> None:
    """A SettingError names the variable, says what it must be and shows what it got."""
    with pytest.raises(SettingError, match=rf"^CFCOOKIES_{name}:? .*{expected}") as caught:
        config.load_options({f"CFCOOKIES_{name}": text})
    assert caught.value.setting == f"CFCOOKIES_{name}"
    assert caught.value.option == name.lower()
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("STATE_SECRET", '["a-secret-that-is-not-json', id="state-secret"),
        pytest.param("STATE_SECRET", '["one", 2]', id="state-secret-list"),
        pytest.param("KEYS", "-----BEGIN PRIVATE KEY----- MIIEvQ", id="keys"),
        pytest.param("KEYS", "secretpackage.secret_name", id="keys-dotted"),
        pytest.param("SESSION_SECRETS", "hunter2hunter2hunter2", id="session-secrets"),
    ],
)
def test_a_secret_settings_value_never_appears_in_the_error(name: str, text: str) -> None:
    with pytest.raises(SettingError, match=rf"^CFCOOKIES_{name}") as caught:
        config.load_options({f"CFCOOKIES_{name}": text})
    message = str(caught.value)
    assert "(value not shown)" in message
    for part in ("a-secret", "MIIEvQ", "secret_name", "secretpackage", "hunter2"):
        assert part not in message


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        pytest.param(
            "CFCOOKIES_SAME_SITE",
            "unknown setting CFCOOKIES_SAME_SITE: cfcookies calls it CFCOOKIES_SAMESITE",
            id="starlette-same-site",
        ),
        pytest.param(
            "CFCOOKIES_HTTPS_ONLY",
            "unknown setting CFCOOKIES_HTTPS_ONLY: cfcookies calls it CFCOOKIES_SECURE",
            id="starlette-https-only",
        ),
        pytest.param(
            "CFCOOKIES_COOKIE_DOMIAN",
            "unknown setting CFCOOKIES_COOKIE_DOMIAN; did you mean CFCOOKIES_COOKIE_DOMAIN?",
            id="typo",
        ),
        pytest.param(
            "CFCOOKIES_MEDIA_URLS",
            "unknown setting CFCOOKIES_MEDIA_URLS; did you mean CFCOOKIES_MEDIA_URL?",
            id="plural",
        ),
    ],
)
def test_an_unknown_setting_names_the_one_meant(setting: str, message: str) -> None:
    with pytest.raises(UnknownOptionError, match=f"^{re.escape(message)}") as caught:
        config.load_options({setting: "x"})
    assert isinstance(caught.value, TypeError)  # as Python's own unexpected keyword argument
    assert caught.value.name == setting.removeprefix("CFCOOKIES_")


def test_an_unknown_setting_like_no_option_lists_them_all() -> None:
    with pytest.raises(UnknownOptionError, match=r"^unknown setting CFCOOKIES_XYZZY; the ") as e:
        config.load_options({"CFCOOKIES_XYZZY": "x"})
    for name in OPTION_NAMES:
        assert "CFCOOKIES_" + name.upper() in str(e.value)


def test_what_other_cfcookies_tools_read_from_the_environment_is_left_alone() -> None:
    """The CLI's revocation commands read CFCOOKIES_SESSION_SECRET: not an option, not an
    error."""
    assert config.load_options({"CFCOOKIES_SESSION_SECRET": "x" * 40}) == {}


@pytest.mark.parametrize(
    "name",
    [
        "CFCOOKIES_REQUIRE_BROWSER",
        "CFCOOKIES_REQUIRE_NODE",
        "CFCOOKIES_REQUIRE_NJS",
        "CFCOOKIES_VENV",
        "CFCOOKIES_CHROMIUM",
        "CFCOOKIES_FUZZ_RUNS",
    ],
)
def test_the_project_tools_variables_are_left_alone(name: str) -> None:
    """`.ci/run` exports CFCOOKIES_REQUIRE_*, scripts/ reads CFCOOKIES_VENV: an environment
    that runs those tools (CI, a developer's shell) still configures the middleware."""
    assert config.load_options({name: "1", "CFCOOKIES_LIFETIME": "30m"}) == {"lifetime": 1800}


def test_without_a_prefix_every_key_is_an_option_name() -> None:
    """``prefix=""`` reads a dict of option names (Django's ``settings.CFCOOKIES``), text
    read as from the environment, and names an unknown key as an option."""
    assert config.load_options({"lifetime": "30m", "secure": False}, prefix="") == {
        "lifetime": 1800,
        "secure": False,
    }
    refused = "^unknown option 'same_site': cfcookies calls it 'samesite'"
    with pytest.raises(UnknownOptionError, match=refused):
        config.load_options({"same_site": "Lax"}, prefix="")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("same_site", "cfcookies calls it 'samesite'", id="same-site"),
        pytest.param("https_only", "cfcookies calls it 'secure'", id="https-only"),
        pytest.param("domain", "cfcookies calls it 'cookie_domain'", id="domain"),
        pytest.param("secret_key", "cfcookies calls it 'state_secret'", id="secret-key"),
        pytest.param("max_age", "cfcookies calls it 'lifetime'", id="max-age"),
        pytest.param("cookie_domian", "did you mean 'cookie_domain'?", id="typo"),
    ],
)
def test_check_option_names_names_the_option_meant(name: str, message: str) -> None:
    with pytest.raises(UnknownOptionError, match=f"^unknown option '{name}'[:;] {message}"):
        config.check_option_names({"media_url": "https://m.example.com", name: "x"})
    config.check_option_names(dict.fromkeys(OPTION_NAMES))


def test_every_other_spelling_points_at_an_option() -> None:
    for other, (option, _) in config.OTHER_SPELLINGS.items():
        assert other not in OPTION_NAMES
        assert option in OPTION_NAMES


def test_settings_are_the_options_each_also_as_text() -> None:
    """``Settings`` (a typed ``settings.CFCOOKIES``) has every option, with its type or text."""
    options = get_type_hints(Options)
    settings = get_type_hints(config.Settings)
    assert list(settings) == list(options)
    for name, hint in options.items():
        assert settings[name] == hint | str, name
