"""``cfcookies cookies`` and ``sign-url`` (cfcookies/cli/sign.py): Signer's output, mistakes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cfcookies.keys import PrivateKey, SigningKey
from cfcookies.policy import canned_policy_json
from cfcookies.signing import HashAlgorithm, Signer, cf_b64decode, verify_bytes
from tests.cli_support import AT, EXPIRES, RESOURCE, URL, signing_args
from tests.support import RSA_KEY_ID, KeyFiles


def test_cookies_json_equals_signer(run: Any, key_files: KeyFiles, rsa_key: PrivateKey) -> None:
    """The json output is one object whose values equal Signer.cookies_for's."""
    result = run("cookies", *signing_args(key_files, "--resource", RESOURCE))
    assert result.code == 0, result.err
    assert result.out.count("\n") == 1
    printed = json.loads(result.out)
    expected = Signer(SigningKey(RSA_KEY_ID, rsa_key)).cookies_for(RESOURCE, date_less_than=EXPIRES)
    assert printed == expected


@pytest.mark.parametrize(
    ("flags", "kwargs"),
    [
        pytest.param(["--not-before", str(AT)], {"date_greater_than": AT}, id="not-before"),
        pytest.param(["--ip-address", "192.0.2.7"], {"ip_address": "192.0.2.7"}, id="ip"),
        pytest.param(["--hash-algorithm", "SHA256"], {}, id="sha256"),
    ],
)
def test_cookies_options(
    run: Any,
    key_files: KeyFiles,
    rsa_key: PrivateKey,
    flags: list[str],
    kwargs: dict[str, Any],
) -> None:
    """--not-before, --ip-address and --hash-algorithm reach the policy and signature."""
    result = run("cookies", *signing_args(key_files, "--resource", RESOURCE, *flags))
    assert result.code == 0, result.err
    hash_algorithm: HashAlgorithm = "SHA256" if "SHA256" in flags else "SHA1"
    signer = Signer(SigningKey(RSA_KEY_ID, rsa_key), hash_algorithm=hash_algorithm)
    assert json.loads(result.out) == signer.cookies_for(RESOURCE, date_less_than=EXPIRES, **kwargs)


def test_cookies_header_format_for_curl(run: Any, key_files: KeyFiles) -> None:
    """--format header prints one Cookie: line with every cookie."""
    result = run("cookies", *signing_args(key_files, "--resource", RESOURCE, "--format", "header"))
    assert result.code == 0
    line = result.out.strip()
    assert line.startswith("Cookie: CloudFront-Policy=")
    names = [part.split("=", 1)[0] for part in line[len("Cookie: ") :].split("; ")]
    assert names == ["CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"]


def test_cookies_canned(run: Any, key_files: KeyFiles, rsa_key: PrivateKey) -> None:
    """--canned prints CloudFront-Expires cookies for one exact URL."""
    result = run("cookies", *signing_args(key_files, "--resource", URL, "--canned"))
    assert result.code == 0, result.err
    cookies = json.loads(result.out)
    assert cookies["CloudFront-Expires"] == str(EXPIRES)
    assert "CloudFront-Policy" not in cookies
    assert verify_bytes(
        canned_policy_json(URL, EXPIRES),
        cf_b64decode(cookies["CloudFront-Signature"]),
        rsa_key.public_key(),
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--resource", RESOURCE, "--canned"], "wildcard", id="canned-wildcard"),
        pytest.param(
            ["--resource", URL, "--canned", "--ip-address", "10.0.0.0/8"],
            "drop --canned",
            id="canned-with-ip",
        ),
        pytest.param(["--resource", URL, "--ip-address", "2001:db8::1"], "IPv6", id="ipv6"),
        pytest.param(["--resource", "https://a.example/a b"], "percent-encode", id="space"),
        pytest.param(
            ["--resource", RESOURCE, "--not-before", str(EXPIRES)], "before", id="start-after-end"
        ),
    ],
)
def test_cookies_user_mistakes(
    run: Any, key_files: KeyFiles, argv: list[str], message: str
) -> None:
    """User mistakes print one error line on stderr and exit 1 without a traceback."""
    result = run("cookies", *signing_args(key_files, *argv))
    assert result.code == 1
    assert message in result.err
    assert result.err.startswith("cfcookies cookies: error:")
    assert "Traceback" not in result.err
    assert result.out == ""


def test_cookies_milliseconds_expiry(run: Any, key_files: KeyFiles) -> None:
    """A millisecond --expires is refused with a hint to divide by 1000."""
    args = signing_args(key_files, "--resource", RESOURCE)
    args[args.index("--expires") + 1] = str(EXPIRES * 1000)
    result = run("cookies", *args)
    assert result.code == 1
    assert "milliseconds" in result.err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        pytest.param(["--expires", "tomorrow"], "epoch", id="bad-epoch"),
        pytest.param(["--hash-algorithm", "MD5"], "SHA1 or SHA256", id="bad-hash"),
        pytest.param(["--format", "xml"], "invalid choice", id="bad-format"),
    ],
)
def test_cookies_usage_errors_exit_2(
    run: Any, key_files: KeyFiles, argv: list[str], fragment: str
) -> None:
    """Malformed flag values are argparse usage errors (exit 2)."""
    base = [
        "cookies",
        "--private-key",
        str(key_files.rsa_pem),
        "--key-pair-id",
        RSA_KEY_ID,
        "--resource",
        RESOURCE,
    ]
    if "--expires" not in argv:
        base += ["--expires", str(EXPIRES)]
    result = run(*base, *argv)
    assert result.code == 2
    assert fragment in result.err


def test_cookies_hash_algorithm_is_case_insensitive(run: Any, key_files: KeyFiles) -> None:
    """--hash-algorithm sha-256 is read as SHA256."""
    result = run(
        "cookies", *signing_args(key_files, "--resource", RESOURCE, "--hash-algorithm", "sha-256")
    )
    assert json.loads(result.out)["CloudFront-Hash-Algorithm"] == "SHA256"


def test_cookies_bad_key_pair_id(run: Any, key_files: KeyFiles) -> None:
    """A malformed --key-pair-id is an error naming the expected form."""
    args = signing_args(key_files, "--resource", RESOURCE)
    args[args.index("--key-pair-id") + 1] = "not an id"
    result = run("cookies", *args)
    assert result.code == 1
    assert "CloudFront public key ID" in result.err


def test_sign_url_canned(run: Any, key_files: KeyFiles, rsa_key: PrivateKey) -> None:
    """Only a URL and --expires print a canned URL equal to Signer.sign_url's."""
    result = run("sign-url", URL, *signing_args(key_files))
    assert result.code == 0, result.err
    signed = result.out.strip()
    assert signed == Signer(SigningKey(RSA_KEY_ID, rsa_key)).sign_url(URL, date_less_than=EXPIRES)
    assert "Expires=2000000000" in signed
    assert "Policy=" not in signed


@pytest.mark.parametrize(
    ("flags", "kwargs"),
    [
        pytest.param(["--resource", RESOURCE], {"resource": RESOURCE}, id="resource"),
        pytest.param(["--not-before", str(AT)], {"date_greater_than": AT}, id="not-before"),
        pytest.param(
            ["--ip-address", "198.51.100.0/24"], {"ip_address": "198.51.100.0/24"}, id="ip"
        ),
    ],
)
def test_sign_url_custom(
    run: Any, key_files: KeyFiles, rsa_key: PrivateKey, flags: list[str], kwargs: dict[str, Any]
) -> None:
    """--resource, --not-before or --ip-address make a custom-policy URL equal to Signer's."""
    result = run("sign-url", URL, *signing_args(key_files, *flags))
    assert result.code == 0, result.err
    signer = Signer(SigningKey(RSA_KEY_ID, rsa_key))
    assert result.out.strip() == signer.sign_url(URL, date_less_than=EXPIRES, **kwargs)
    assert "Policy=" in result.out


def test_sign_url_sha256(run: Any, key_files: KeyFiles) -> None:
    """--hash-algorithm SHA256 appends Hash-Algorithm=SHA256."""
    result = run("sign-url", URL, *signing_args(key_files, "--hash-algorithm", "SHA256"))
    assert result.out.strip().endswith("&Hash-Algorithm=SHA256")


def test_sign_url_refuses_already_signed(run: Any, key_files: KeyFiles) -> None:
    """A URL already carrying Signature= is refused with a clear error."""
    result = run("sign-url", URL + "?Signature=x", *signing_args(key_files))
    assert result.code == 1
    assert "Signature" in result.err
    assert "Traceback" not in result.err
