"""cfcookies.config: the options' names and types, and their start-up checks."""

from __future__ import annotations

import inspect
from datetime import timedelta
from typing import Any, get_type_hints

import pytest

import cfcookies.config as config
from cfcookies.config import OPTION_NAMES, Options
from cfcookies.exceptions import ConfigurationError
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
    assert config.seconds(value, "lifetime") == expected


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
        config.seconds(value, "lifetime")


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
        config.check_times(*times)


def test_a_max_prefixes_beyond_the_cookie_budget_says_what_fits() -> None:
    """Browsers keep about 150 cookies per domain: the message names what fits."""
    config.check_cookie_budget(20, 5)
    with pytest.raises(ConfigurationError, match="Set max_prefixes to 29 or less"):
        config.check_cookie_budget(30, 5)


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
        config.check_media_url(url, False)


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
    assert config.check_cookie_domain(cookie_domain, media_host) == expected


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
        config.check_cookie_domain(cookie_domain, media_host)


def test_a_media_url_is_kept_without_its_slash_and_its_host_lower_case() -> None:
    assert config.check_media_url(" https://Media.Example.com/ ", False) == (
        "https://Media.Example.com",
        "media.example.com",
    )
    assert config.check_media_url("http://127.0.0.1:8443", True)[1] == "127.0.0.1"


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        pytest.param("a" * 32, [b"a" * 32], id="one"),
        pytest.param(["n" * 32, b"o" * 32], [b"n" * 32, b"o" * 32], id="newest-first"),
    ],
)
def test_state_secrets_are_bytes_newest_first(secret: Any, expected: list[bytes]) -> None:
    assert config.check_secrets(secret) == expected


@pytest.mark.parametrize("secret", ["", [], "short", ["a" * 32, "b"]])
def test_a_missing_or_short_state_secret_is_refused(secret: Any) -> None:
    with pytest.raises(ConfigurationError, match="state_secret"):
        config.check_secrets(secret)


@pytest.mark.parametrize(
    ("name", "secure", "expected"),
    [
        pytest.param(None, True, "__Host-cfcookies", id="default-secure"),
        pytest.param(None, False, "cfcookies", id="default-http"),
        pytest.param("state", True, "state", id="chosen"),
    ],
)
def test_the_state_cookie_name(name: str | None, secure: bool, expected: str) -> None:
    assert config.check_state_cookie_name(name, secure) == expected


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
        config.check_state_cookie_name(name, secure)


@pytest.mark.parametrize("value", [0, 51, True, "20"])
def test_max_prefixes_is_one_to_fifty(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_prefixes must be 1 to 50"):
        config.check_max_prefixes(value)


@pytest.mark.parametrize("value", [-1, 31, True, "1"])
def test_deny_wait_is_zero_to_thirty_seconds(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="deny_wait must be 0 to 30 seconds"):
        config.check_deny_wait(value)


@pytest.mark.parametrize("value", ["keepalive", 5])
def test_the_keepalive_path_starts_with_a_slash(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="keepalive_path must start with /"):
        config.check_keepalive_path(value)
