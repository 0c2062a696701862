"""``cfcookies cookies`` and ``sign-url`` (cfcookies/cli/sign.py): Signer's output, mistakes."""

from __future__ import annotations

import json
import time
from pathlib import Path
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


# --- expiry from now, and expiry in the past ---------------------------------------------------


def _policy_times(cookies: dict[str, str]) -> dict[str, int]:
    """DateLessThan / DateGreaterThan of the printed policy, by name."""
    condition = json.loads(cf_b64decode(cookies["CloudFront-Policy"]))["Statement"][0]["Condition"]
    return {name: value["AWS:EpochTime"] for name, value in condition.items() if "Date" in name}


def _with_expires(key_files: KeyFiles, value: str, *extra: str) -> list[str]:
    args = signing_args(key_files, *extra)
    args[args.index("--expires") + 1] = value
    return args


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param("+1h", 3600, id="plus-hours"),
        pytest.param("30m", 1800, id="minutes"),
        pytest.param("1h30m", 5400, id="compound"),
        pytest.param("7d", 7 * 86400, id="days"),
        pytest.param("+90", 90, id="plus-seconds"),
    ],
)
def test_cookies_expires_from_now(run: Any, key_files: KeyFiles, value: str, seconds: int) -> None:
    """--expires +1h, 30m, 1h30m, 7d or +90 signs an expiry that long from now."""
    before = int(time.time())
    result = run("cookies", *_with_expires(key_files, value, "--resource", RESOURCE))
    after = int(time.time())
    assert result.code == 0, result.err
    expires = _policy_times(json.loads(result.out))["DateLessThan"]
    assert before + seconds <= expires <= after + seconds


def test_cookies_not_before_from_now(run: Any, key_files: KeyFiles) -> None:
    """--not-before takes the same forms: +10m is ten minutes from now."""
    before = int(time.time())
    result = run(
        "cookies", *_with_expires(key_files, "+1h", "--resource", RESOURCE, "--not-before", "+10m")
    )
    assert result.code == 0, result.err
    times = _policy_times(json.loads(result.out))
    assert before + 600 <= times["DateGreaterThan"] <= int(time.time()) + 600


def test_cookies_expires_iso_time(run: Any, key_files: KeyFiles) -> None:
    """An ISO 8601 time with a zone is an absolute expiry, like its epoch seconds."""
    result = run(
        "cookies", *_with_expires(key_files, "2033-05-18T03:33:20Z", "--resource", RESOURCE)
    )
    assert result.code == 0, result.err
    assert _policy_times(json.loads(result.out))["DateLessThan"] == EXPIRES


def test_sign_url_expires_from_now(run: Any, key_files: KeyFiles) -> None:
    """sign-url --expires +5m signs a canned URL expiring five minutes from now."""
    before = int(time.time())
    result = run("sign-url", URL, *_with_expires(key_files, "+5m"))
    assert result.code == 0, result.err
    expires = int(result.out.split("Expires=")[1].split("&")[0])
    assert before + 300 <= expires <= int(time.time()) + 300


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("+1y", id="unknown-unit"),
        pytest.param("-1h", id="negative"),
        pytest.param("2026-05-01T12:00:00", id="iso-without-zone"),
        pytest.param("soon", id="word"),
        pytest.param("999999999d999999999d", id="beyond-the-calendar"),
    ],
)
def test_cookies_bad_expires_is_a_usage_error(run: Any, key_files: KeyFiles, value: str) -> None:
    """An --expires in no accepted form is a usage error (exit 2) that shows the forms."""
    args = _with_expires(key_files, value, "--resource", RESOURCE)
    at = args.index("--expires")
    args[at : at + 2] = [f"--expires={value}"]  # as -1h must be given, or it reads as a flag
    result = run("cookies", *args)
    assert result.code == 2
    assert "argument --expires" in result.err
    assert any(hint in result.err for hint in ("+1h", "zone", "100 years"))
    assert result.out == ""


@pytest.mark.parametrize("command", ["cookies", "sign-url"])
def test_expires_in_the_past_is_refused(run: Any, key_files: KeyFiles, command: str) -> None:
    """An --expires already past is refused (exit 1, nothing printed), naming the flag and the
    way to sign it anyway."""
    target = ["--resource", RESOURCE] if command == "cookies" else []
    argv = [URL] if command == "sign-url" else []
    result = run(command, *argv, *_with_expires(key_files, "1000", *target))
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith(f"cfcookies {command}: error: --expires 1000 (1970-01-01")
    assert "already past" in result.err
    assert "--allow-expired" in result.err


def test_allow_expired_signs_a_past_expiry(run: Any, key_files: KeyFiles) -> None:
    """--allow-expired signs an expiry already past, as asked (to see how CloudFront refuses)."""
    args = _with_expires(key_files, "1000", "--resource", RESOURCE, "--allow-expired")
    result = run("cookies", *args)
    assert result.code == 0, result.err
    assert _policy_times(json.loads(result.out))["DateLessThan"] == 1000


# --- messages in the CLI's words ---------------------------------------------------------------


def test_time_errors_name_the_flags(run: Any, key_files: KeyFiles) -> None:
    """A start after the end names --not-before and --expires, not the Python arguments."""
    args = signing_args(key_files, "--resource", RESOURCE, "--not-before", str(EXPIRES + 1))
    result = run("cookies", *args)
    assert result.code == 1
    assert "--not-before (2000000001) must be before --expires (2000000000)" in result.err
    assert "date_" not in result.err


def test_milliseconds_error_names_the_flag(run: Any, key_files: KeyFiles) -> None:
    """The milliseconds hint names --expires, not date_less_than=."""
    result = run("cookies", *_with_expires(key_files, str(EXPIRES * 1000), "--resource", RESOURCE))
    assert result.code == 1
    assert f"--expires {EXPIRES * 1000} looks like milliseconds" in result.err
    assert "date_less_than" not in result.err


def test_encrypted_key_error_names_the_flag(run: Any, key_files: KeyFiles) -> None:
    """An encrypted key without a passphrase asks for --passphrase-env, not passphrase=."""
    args = signing_args(key_files, "--resource", RESOURCE)
    args[args.index("--private-key") + 1] = str(key_files.encrypted_pem)
    result = run("cookies", *args)
    assert result.code == 1
    assert "--passphrase-env" in result.err
    assert "passphrase=" not in result.err


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"garbage\n", id="text"),
        pytest.param(b"\x00\x01\x02binary", id="binary"),
    ],
)
def test_garbage_key_file_names_the_file(
    run: Any, key_files: KeyFiles, tmp_path: Path, content: bytes
) -> None:
    """A key file holding neither PEM nor DER says which file, and that it is neither."""
    bad = tmp_path / "bad.pem"
    bad.write_bytes(content)
    args = signing_args(key_files, "--resource", RESOURCE)
    args[args.index("--private-key") + 1] = str(bad)
    result = run("cookies", *args)
    assert result.code == 1
    assert result.err.startswith("cfcookies cookies: error: could not read a private key from")
    assert repr(str(bad)) in result.err
    assert "it is neither PEM (no -----BEGIN line) nor DER" in result.err
    assert "this DER data" not in result.err


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        pytest.param(lambda p: p / "missing.pem", "no key file at", id="missing"),
        pytest.param(lambda p: p, "cannot read the key file", id="folder"),
    ],
)
def test_unreadable_key_file_says_so(
    run: Any, key_files: KeyFiles, tmp_path: Path, make: Any, fragment: str
) -> None:
    """A missing key file, or a folder given as one, is one line naming it."""
    path = make(tmp_path)
    args = signing_args(key_files, "--resource", RESOURCE)
    args[args.index("--private-key") + 1] = str(path)
    result = run("cookies", *args)
    assert result.code == 1
    assert fragment in result.err
    assert repr(str(path)) in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("command", ["cookies", "sign-url"])
def test_lowercase_key_pair_id_is_refused(run: Any, key_files: KeyFiles, command: str) -> None:
    """A lowercase --key-pair-id, which CloudFront never issues, is refused and the uppercase
    one suggested; nothing is signed."""
    args = signing_args(key_files)
    args[args.index("--key-pair-id") + 1] = "k2jcjmqedz6jkq"
    target = [URL] if command == "sign-url" else ["--resource", RESOURCE]
    result = run(command, *target, *args)
    assert result.code == 1
    assert result.out == ""
    assert "--key-pair-id must be the CloudFront public key ID, uppercase" in result.err
    assert "'K2JCJMQEDZ6JKQ'?" in result.err
