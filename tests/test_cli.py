"""The command line: keygen, cookies, sign-url, verify, key sources and plugin registration."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cfcookies import cli
from cfcookies.exceptions import ConfigurationError, EncryptedKeyError, KeyLoadError
from cfcookies.keys import (
    KeyRing,
    PrivateKey,
    SigningKey,
    key_fingerprint,
    load_private_key,
    private_key_pem,
    public_key_pem,
)
from cfcookies.policy import canned_policy_json
from cfcookies.signing import HashAlgorithm, Signer, cf_b64decode, cf_b64encode, verify_bytes
from tests.conftest import ECDSA_KEY_ID, OLD_KEY_ID, PASSPHRASE, RSA_KEY_ID, KeyFiles

RESOURCE = "https://media.example.com/videos/course-1/*"
URL = "https://media.example.com/videos/course-1/seg-0001.ts"
EXPIRES = 2_000_000_000
AT = 1_900_000_000


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Any:
    def call(*argv: str) -> Run:
        capsys.readouterr()
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return call


def _signing_args(key_files: KeyFiles, *extra: str) -> list[str]:
    return [
        "--private-key",
        str(key_files.rsa_pem),
        "--key-pair-id",
        RSA_KEY_ID,
        "--expires",
        str(EXPIRES),
        *extra,
    ]


# --- keygen ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "kind", "size"),
    [
        pytest.param([], "RSA", 2048, id="rsa"),
        pytest.param(["--ecdsa"], "EC", 256, id="ecdsa"),
    ],
)
def test_keygen_writes_private_0600_and_public_pem(
    run: Any, tmp_path: Path, flags: list[str], kind: str, size: int
) -> None:
    """keygen writes private_key.pem with mode 0600 and the matching public_key.pem."""
    out = tmp_path / "keys"
    result = run("keygen", "--out", str(out), *flags)
    assert result.code == 0, result.err
    private = out / "private_key.pem"
    public = out / "public_key.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    key = load_private_key(private)
    assert key.key_size == size
    assert kind in type(key).__name__.upper()
    assert public.read_text() == public_key_pem(key)
    assert "next:" in result.out
    assert "upload" in result.out
    assert "BEGIN" not in result.out


def test_keygen_refuses_to_overwrite_without_force(run: Any, tmp_path: Path) -> None:
    """A second keygen into the same folder fails and keeps the key, unless --force."""
    assert run("keygen", "--out", str(tmp_path)).code == 0
    before = (tmp_path / "private_key.pem").read_bytes()
    refused = run("keygen", "--out", str(tmp_path))
    assert refused.code == 1
    assert "--force" in refused.err
    assert "Traceback" not in refused.err
    assert (tmp_path / "private_key.pem").read_bytes() == before
    forced = run("keygen", "--out", str(tmp_path), "--force")
    assert forced.code == 0
    assert (tmp_path / "private_key.pem").read_bytes() != before
    assert stat.S_IMODE((tmp_path / "private_key.pem").stat().st_mode) == 0o600


def test_keygen_refuses_when_only_the_public_key_exists(run: Any, tmp_path: Path) -> None:
    """An existing public_key.pem alone is enough to refuse without --force."""
    (tmp_path / "public_key.pem").write_text("keep me")
    assert run("keygen", "--out", str(tmp_path)).code == 1
    assert not (tmp_path / "private_key.pem").exists()


def test_keygen_encrypts_with_passphrase_env(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--passphrase-env encrypts the private key with that variable's value."""
    monkeypatch.setenv("CF_PASS", PASSPHRASE)
    assert run("keygen", "--out", str(tmp_path), "--passphrase-env", "CF_PASS").code == 0
    private = tmp_path / "private_key.pem"
    assert b"ENCRYPTED" in private.read_bytes()
    with pytest.raises(EncryptedKeyError):
        load_private_key(private)
    assert load_private_key(private, passphrase=PASSPHRASE).key_size == 2048


def test_keygen_missing_passphrase_variable(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --passphrase-env naming an unset variable fails before writing anything."""
    monkeypatch.delenv("CF_PASS", raising=False)
    result = run("keygen", "--out", str(tmp_path), "--passphrase-env", "CF_PASS")
    assert result.code == 1
    assert "CF_PASS" in result.err
    assert not (tmp_path / "private_key.pem").exists()


def test_keygen_into_a_file_path_is_a_clean_error(run: Any, tmp_path: Path) -> None:
    """An --out that is a file gives an error line, not a traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("keygen", "--out", str(blocker))
    assert result.code == 1
    assert result.err.startswith("cfcookies keygen: error:")
    assert "Traceback" not in result.err


# --- cookies -----------------------------------------------------------------------------------


def test_cookies_json_equals_signer(run: Any, key_files: KeyFiles, rsa_key: PrivateKey) -> None:
    """The json output is one object whose values equal Signer.cookies_for's."""
    result = run("cookies", *_signing_args(key_files, "--resource", RESOURCE))
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
    result = run("cookies", *_signing_args(key_files, "--resource", RESOURCE, *flags))
    assert result.code == 0, result.err
    hash_algorithm: HashAlgorithm = "SHA256" if "SHA256" in flags else "SHA1"
    signer = Signer(SigningKey(RSA_KEY_ID, rsa_key), hash_algorithm=hash_algorithm)
    assert json.loads(result.out) == signer.cookies_for(RESOURCE, date_less_than=EXPIRES, **kwargs)


def test_cookies_header_format_for_curl(run: Any, key_files: KeyFiles) -> None:
    """--format header prints one Cookie: line with every cookie."""
    result = run("cookies", *_signing_args(key_files, "--resource", RESOURCE, "--format", "header"))
    assert result.code == 0
    line = result.out.strip()
    assert line.startswith("Cookie: CloudFront-Policy=")
    names = [part.split("=", 1)[0] for part in line[len("Cookie: ") :].split("; ")]
    assert names == ["CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"]


def test_cookies_canned(run: Any, key_files: KeyFiles, rsa_key: PrivateKey) -> None:
    """--canned prints CloudFront-Expires cookies for one exact URL."""
    result = run("cookies", *_signing_args(key_files, "--resource", URL, "--canned"))
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
    result = run("cookies", *_signing_args(key_files, *argv))
    assert result.code == 1
    assert message in result.err
    assert result.err.startswith("cfcookies cookies: error:")
    assert "Traceback" not in result.err
    assert result.out == ""


def test_cookies_milliseconds_expiry(run: Any, key_files: KeyFiles) -> None:
    """A millisecond --expires is refused with a hint to divide by 1000."""
    args = _signing_args(key_files, "--resource", RESOURCE)
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
        "cookies", *_signing_args(key_files, "--resource", RESOURCE, "--hash-algorithm", "sha-256")
    )
    assert json.loads(result.out)["CloudFront-Hash-Algorithm"] == "SHA256"


def test_cookies_bad_key_pair_id(run: Any, key_files: KeyFiles) -> None:
    """A malformed --key-pair-id is an error naming the expected form."""
    args = _signing_args(key_files, "--resource", RESOURCE)
    args[args.index("--key-pair-id") + 1] = "not an id"
    result = run("cookies", *args)
    assert result.code == 1
    assert "CloudFront public key ID" in result.err


# --- key sources -------------------------------------------------------------------------------


def test_private_key_from_env_var(
    run: Any, monkeypatch: pytest.MonkeyPatch, rsa_key: PrivateKey
) -> None:
    """--private-key env:VAR reads PEM (even with literal \\n) from the environment."""
    monkeypatch.setenv("CF_KEY", private_key_pem(rsa_key).decode().replace("\n", "\\n"))
    result = run(
        "cookies",
        "--private-key",
        "env:CF_KEY",
        "--key-pair-id",
        RSA_KEY_ID,
        "--resource",
        RESOURCE,
        "--expires",
        str(EXPIRES),
    )
    assert result.code == 0, result.err
    expected = Signer(SigningKey(RSA_KEY_ID, rsa_key)).cookies_for(RESOURCE, date_less_than=EXPIRES)
    assert json.loads(result.out) == expected


def test_encrypted_key_with_passphrase_env(
    run: Any, key_files: KeyFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An encrypted key signs with --passphrase-env, and says it is encrypted without it."""
    args = [
        "cookies",
        "--private-key",
        str(key_files.encrypted_pem),
        "--key-pair-id",
        RSA_KEY_ID,
        "--resource",
        RESOURCE,
        "--expires",
        str(EXPIRES),
    ]
    without = run(*args)
    assert without.code == 1
    assert "encrypted" in without.err
    monkeypatch.setenv("CF_PASS", PASSPHRASE)
    assert run(*args, "--passphrase-env", "CF_PASS").code == 0
    monkeypatch.setenv("CF_PASS", "wrong")
    wrong = run(*args, "--passphrase-env", "CF_PASS")
    assert wrong.code == 1
    assert "wrong passphrase" in wrong.err
    assert "wrong\n" not in wrong.err


def test_load_key_spec_paths(key_files: KeyFiles, rsa_key: PrivateKey) -> None:
    """load_key_spec reads a plain path and a file:// path."""
    assert key_fingerprint(cli.load_key_spec(str(key_files.rsa_pem))) == key_fingerprint(rsa_key)
    assert key_fingerprint(cli.load_key_spec(f"file://{key_files.rsa_pem}")) == (
        key_fingerprint(rsa_key)
    )


@pytest.mark.parametrize("spec", [pytest.param("", id="empty"), pytest.param("  ", id="blank")])
def test_load_key_spec_empty(spec: str) -> None:
    """An empty key spec says what is expected."""
    with pytest.raises(ConfigurationError, match="path, env:VAR"):
        cli.load_key_spec(spec)


def test_verify_public_key_given_as_pem_text(
    run: Any, rsa_key: PrivateKey, rsa_cookies: dict[str, str]
) -> None:
    """--public-key also accepts the public key PEM itself (it is not secret)."""
    result = run(
        "verify",
        "--public-key",
        public_key_pem(rsa_key),
        "--key-pair-id",
        RSA_KEY_ID,
        "--url",
        URL,
        "--cookie",
        _cookie_header(rsa_cookies),
        "--client-ip",
        "192.0.2.1",
        "--at",
        str(AT),
    )
    assert result.code == 0, result.out + result.err


def test_load_key_spec_missing_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """env:VAR with the variable unset names the variable."""
    monkeypatch.delenv("CF_NOPE", raising=False)
    with pytest.raises(ConfigurationError, match="CF_NOPE"):
        cli.load_key_spec("env:CF_NOPE")


def test_load_key_spec_missing_file(tmp_path: Path) -> None:
    """A missing key file is a KeyLoadError."""
    with pytest.raises(KeyLoadError, match="no key file"):
        cli.load_key_spec(str(tmp_path / "missing.pem"))


def test_load_key_spec_never_echoes_pem(rsa_key: PrivateKey, run: Any) -> None:
    """PEM text passed where a path belongs is refused without echoing it."""
    pem = private_key_pem(rsa_key).decode()
    with pytest.raises(ConfigurationError, match="not the key itself") as info:
        cli.load_key_spec(pem)
    body_line = pem.splitlines()[3]
    assert body_line not in str(info.value)
    result = run(
        "cookies",
        "--private-key",
        pem,
        "--key-pair-id",
        RSA_KEY_ID,
        "--resource",
        RESOURCE,
        "--expires",
        str(EXPIRES),
    )
    assert result.code == 1
    assert body_line not in result.err


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("secretsmanager:app/cloudfront-key", id="secretsmanager"),
        pytest.param("ssm:/app/cloudfront-key", id="ssm"),
    ],
)
def test_load_key_spec_delegates_aws_specs(
    spec: str, monkeypatch: pytest.MonkeyPatch, rsa_key: PrivateKey
) -> None:
    """secretsmanager: and ssm: specs go to cfcookies.aws.resolve_private_key, with passphrase."""
    import cfcookies.aws

    calls: list[tuple[str, object]] = []

    def fake_resolve(spec: str, *, passphrase: object = None) -> PrivateKey:
        calls.append((spec, passphrase))
        return rsa_key

    monkeypatch.setattr(cfcookies.aws, "resolve_private_key", fake_resolve)
    assert cli.load_key_spec(spec, "pw") is rsa_key
    assert calls == [(spec, "pw")]


def test_load_key_spec_without_aws_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without cfcookies.aws, an AWS spec gives a clear error instead of an ImportError."""
    monkeypatch.setitem(sys.modules, "cfcookies.aws", None)  # import cfcookies.aws now fails
    with pytest.raises(ConfigurationError, match=r"cfcookies\.aws"):
        cli.load_key_spec("secretsmanager:app/key")


# --- sign-url ----------------------------------------------------------------------------------


def test_sign_url_canned(run: Any, key_files: KeyFiles, rsa_key: PrivateKey) -> None:
    """Only a URL and --expires print a canned URL equal to Signer.sign_url's."""
    result = run("sign-url", URL, *_signing_args(key_files))
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
    result = run("sign-url", URL, *_signing_args(key_files, *flags))
    assert result.code == 0, result.err
    signer = Signer(SigningKey(RSA_KEY_ID, rsa_key))
    assert result.out.strip() == signer.sign_url(URL, date_less_than=EXPIRES, **kwargs)
    assert "Policy=" in result.out


def test_sign_url_sha256(run: Any, key_files: KeyFiles) -> None:
    """--hash-algorithm SHA256 appends Hash-Algorithm=SHA256."""
    result = run("sign-url", URL, *_signing_args(key_files, "--hash-algorithm", "SHA256"))
    assert result.out.strip().endswith("&Hash-Algorithm=SHA256")


def test_sign_url_refuses_already_signed(run: Any, key_files: KeyFiles) -> None:
    """A URL already carrying Signature= is refused with a clear error."""
    result = run("sign-url", URL + "?Signature=x", *_signing_args(key_files))
    assert result.code == 1
    assert "Signature" in result.err
    assert "Traceback" not in result.err


# --- verify ------------------------------------------------------------------------------------


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


@pytest.fixture
def rsa_cookies(rsa_key: PrivateKey) -> dict[str, str]:
    return Signer(SigningKey(RSA_KEY_ID, rsa_key)).cookies_for(
        RESOURCE, date_less_than=EXPIRES, ip_address="192.0.2.0/24"
    )


def _verify_args(key_files: KeyFiles, *extra: str) -> list[str]:
    return [
        "verify",
        "--public-key",
        str(key_files.public_pem),
        "--key-pair-id",
        RSA_KEY_ID,
        "--at",
        str(AT),
        "--client-ip",
        "192.0.2.10",
        *extra,
    ]


def test_verify_allowed(run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]) -> None:
    """Valid cookies for a matching URL exit 0 and say why."""
    result = run(*_verify_args(key_files, "--url", URL, "--cookie", _cookie_header(rsa_cookies)))
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("allowed:")
    assert "ALLOWED" in result.out


@pytest.mark.parametrize(
    ("change", "check"),
    [
        pytest.param(
            {"--url": "https://media.example.com/videos/course-10/a.ts"}, "resource", id="resource"
        ),
        pytest.param({"--at": str(EXPIRES)}, "date_less_than", id="expired"),
        pytest.param({"--client-ip": "198.51.100.1"}, "ip_address", id="ip"),
        pytest.param({"--key-pair-id": OLD_KEY_ID}, "trusted_key", id="unknown-key"),
    ],
)
def test_verify_denied_names_the_failed_check(
    run: Any,
    key_files: KeyFiles,
    rsa_cookies: dict[str, str],
    change: dict[str, str],
    check: str,
) -> None:
    """A refused request exits 1 and names the check CloudFront would fail."""
    args = _verify_args(key_files, "--url", URL, "--cookie", _cookie_header(rsa_cookies))
    for flag, value in change.items():
        args[args.index(flag) + 1] = value
    result = run(*args)
    assert result.code == 1
    assert result.out.startswith("denied: 403")
    assert f"({check})" in result.out.splitlines()[0]
    assert "[FAIL]" in result.out


def test_verify_tampered_cookie_fails_signature(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """A cookie whose policy was edited fails the signature check."""
    other = Signer(SigningKey(RSA_KEY_ID, load_private_key(key_files.ecdsa_pem))).cookies_for(
        "https://media.example.com/*", date_less_than=EXPIRES
    )
    tampered = dict(rsa_cookies, **{"CloudFront-Policy": other["CloudFront-Policy"]})
    result = run(*_verify_args(key_files, "--url", URL, "--cookie", _cookie_header(tampered)))
    assert result.code == 1
    assert "(signature)" in result.out.splitlines()[0]


def test_verify_signed_url_without_cookie(
    run: Any, key_files: KeyFiles, rsa_key: PrivateKey
) -> None:
    """A signed URL verifies without any --cookie."""
    signed = Signer(SigningKey(RSA_KEY_ID, rsa_key)).sign_url(URL, date_less_than=EXPIRES)
    result = run(*_verify_args(key_files, "--url", signed))
    assert result.code == 0, result.out
    assert "signed URL" in result.out


def test_verify_several_trusted_keys(
    run: Any, key_files: KeyFiles, ecdsa_key: PrivateKey, tmp_path: Path
) -> None:
    """Repeated --public-key/--key-pair-id pairs trust several keys."""
    ec_public = tmp_path / "ec.pem"
    ec_public.write_text(public_key_pem(ecdsa_key))
    cookies = Signer(SigningKey(ECDSA_KEY_ID, ecdsa_key)).cookies_for(
        RESOURCE, date_less_than=EXPIRES
    )
    args = _verify_args(key_files, "--url", URL, "--cookie", _cookie_header(cookies))
    assert run(*args).code == 1
    both = run(*args, "--public-key", str(ec_public), "--key-pair-id", ECDSA_KEY_ID)
    assert both.code == 0, both.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["verify", "--public-key", "x.pem", "--url", URL], "one --key-pair-id", id="unpaired"
        ),
        pytest.param(["verify", "--url", URL], "one --key-pair-id", id="no-keys"),
    ],
)
def test_verify_key_pairs_must_match(run: Any, argv: list[str], message: str) -> None:
    """Every --public-key needs its --key-pair-id."""
    result = run(*argv)
    assert result.code == 1
    assert message in result.err


def test_verify_needs_url_or_har(run: Any, key_files: KeyFiles) -> None:
    """verify without --url or --har is an error."""
    result = run(*_verify_args(key_files))
    assert result.code == 1
    assert "--url" in result.err


def test_verify_missing_public_key_file(run: Any, tmp_path: Path) -> None:
    """A missing public key file is an error line, not a traceback."""
    result = run(
        "verify",
        "--public-key",
        str(tmp_path / "nope.pem"),
        "--key-pair-id",
        RSA_KEY_ID,
        "--url",
        URL,
    )
    assert result.code == 1
    assert "no key file" in result.err


def test_verify_public_key_from_env(
    run: Any, monkeypatch: pytest.MonkeyPatch, rsa_key: PrivateKey, rsa_cookies: dict[str, str]
) -> None:
    """--public-key env:VAR reads the public key PEM from the environment."""
    monkeypatch.setenv("CF_PUBLIC", public_key_pem(rsa_key))
    result = run(
        "verify",
        "--public-key",
        "env:CF_PUBLIC",
        "--key-pair-id",
        RSA_KEY_ID,
        "--url",
        URL,
        "--cookie",
        _cookie_header(rsa_cookies),
        "--client-ip",
        "192.0.2.1",
        "--at",
        str(AT),
    )
    assert result.code == 0, result.out + result.err


def _har(url: str, cookie: str) -> dict[str, Any]:
    return {
        "log": {
            "entries": [
                {
                    "request": {
                        "url": url,
                        "headers": [{"name": "Cookie", "value": cookie}],
                    },
                    "response": {"status": 403, "headers": []},
                }
            ]
        }
    }


@pytest.mark.parametrize(
    ("at", "code", "verdict"),
    [
        pytest.param(AT, 0, "ALLOWED", id="allowed"),
        pytest.param(EXPIRES + 1, 1, "DENIED", id="denied"),
    ],
)
def test_verify_har(
    run: Any,
    key_files: KeyFiles,
    rsa_cookies: dict[str, str],
    tmp_path: Path,
    at: int,
    code: int,
    verdict: str,
) -> None:
    """--har explains the media requests of a browser export; exit 1 when one is denied."""
    har = tmp_path / "session.har"
    har.write_text(json.dumps(_har(URL, _cookie_header(rsa_cookies))))
    args = _verify_args(key_files, "--har", str(har))
    args[args.index("--at") + 1] = str(at)
    result = run(*args)
    assert result.code == code, result.out + result.err
    assert verdict in result.out


def test_verify_har_and_cookie_conflict(run: Any, key_files: KeyFiles, tmp_path: Path) -> None:
    """--cookie together with --har is refused (the HAR holds the cookies)."""
    har = tmp_path / "s.har"
    har.write_text(json.dumps(_har(URL, "a=b")))
    result = run(*_verify_args(key_files, "--har", str(har), "--cookie", "a=b"))
    assert result.code == 1
    assert "--cookie" in result.err


# --- verify never writes a client's control characters to the terminal -------------------------

#: A URL as an attacker would hand it over: colours, a carriage return hiding the start of the
#: line, a backspace, a title-setting OSC, C1 CSI, and a right-to-left override.
HOSTILE_URL = (
    "https://media.example.com/videos/course-1/"
    "\x1b[31mred\rallowed\b\x1b]0;owned\x07\x9b2J\u202eevil\u2066.ts"
)
#: Terminal controls and bidi overrides: none may reach the output raw (newlines aside).
TERMINAL_CONTROLS = [
    *(chr(c) for c in range(0x20) if c != 0x0A),
    "\x7f",
    *(chr(c) for c in range(0x80, 0xA0)),
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
]


def _raw_controls(text: str) -> list[str]:
    return sorted({c for c in text if c in TERMINAL_CONTROLS})


def _forged_policy_cookies(rsa_cookies: dict[str, str]) -> str:
    """Cookies whose (unsigned) policy names a condition full of terminal escapes."""
    policy = {
        "Statement": [
            {
                "Resource": RESOURCE,
                "Condition": {
                    "DateLessThan": {"AWS:EpochTime": EXPIRES},
                    "\x1b[2J\x1b[32mAllowed\u202e": {"x": 1},
                },
            }
        ]
    }
    forged = cf_b64encode(json.dumps(policy, ensure_ascii=False).encode())
    return _cookie_header(dict(rsa_cookies, **{"CloudFront-Policy": forged}))


def test_verify_escapes_control_characters_in_the_url(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """ESC sequences, CR, BS, BEL, C1 and bidi overrides in --url are printed escaped."""
    args = _verify_args(key_files, "--url", HOSTILE_URL, "--cookie", _cookie_header(rsa_cookies))
    result = run(*args)
    assert result.code == 1  # a raw control character never matches a Resource
    assert result.out.startswith("denied: 403")
    assert _raw_controls(result.out + result.err) == []
    escaped = "\\x1b[31mred\\rallowed\\x08\\x1b]0;owned\\x07\\x9b2J\\u202eevil\\u2066.ts"
    assert escaped in result.out.splitlines()[1]  # the GET line of the report


def test_verify_escapes_bidi_overrides_in_an_allowed_url(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """Bidi overrides are valid in a matching URL, and still printed escaped when allowed."""
    url = URL.replace("seg-0001", "seg\u202e1000-ges\u2066\u2069")
    result = run(*_verify_args(key_files, "--url", url, "--cookie", _cookie_header(rsa_cookies)))
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("allowed:")
    assert _raw_controls(result.out + result.err) == []
    assert "seg\\u202e1000-ges\\u2066\\u2069.ts" in result.out


def test_verify_escapes_control_characters_from_a_forged_cookie(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """A --cookie whose policy smuggles escapes into an error message is printed escaped."""
    args = _verify_args(key_files, "--url", URL, "--cookie", _forged_policy_cookies(rsa_cookies))
    result = run(*args)
    assert result.code == 1
    assert "(policy)" in result.out.splitlines()[0]
    assert _raw_controls(result.out + result.err) == []
    assert "\\x1b[2J\\x1b[32mAllowed\\u202e" in result.out


def test_verify_har_escapes_control_characters(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str], tmp_path: Path
) -> None:
    """A HAR's hostile URLs, cookies and Set-Cookie attributes are printed escaped."""
    doc = _har(HOSTILE_URL, _cookie_header(rsa_cookies))
    forged = _har(URL.replace(".ts", "-2.ts"), _forged_policy_cookies(rsa_cookies))
    doc["log"]["entries"] += forged["log"]["entries"]
    doc["log"]["entries"].append(
        {
            "request": {"url": "https://app.example.com/login", "headers": []},
            "response": {
                "status": 200,
                "headers": [
                    {
                        "name": "Set-Cookie",
                        "value": "CloudFront-Policy=x; Path=/\x1b[8mhid\rden; "
                        "Domain=\u202emoc.elpmaxe",
                    },
                    {"name": "Set-Cookie", "value": "CloudFront-\x1b[5mX\u2067=y; Path=/"},
                ],
            },
        }
    )
    har = tmp_path / "hostile.har"
    har.write_text(json.dumps(doc))
    result = run(*_verify_args(key_files, "--har", str(har)))
    assert result.code == 1  # the forged policy is denied
    assert _raw_controls(result.out + result.err) == []
    assert "\\x1b[31mred\\rallowed" in result.out
    assert "\\x1b[2J\\x1b[32mAllowed\\u202e" in result.out
    assert "Path=/\\x1b[8mhid\\rden" in result.out
    assert "\\u202emoc.elpmaxe" in result.out
    assert "CloudFront-\\x1b[5mX\\u2067" in result.out
    # --url picks that one entry; a --url the HAR lacks is echoed escaped too.
    one = run(*_verify_args(key_files, "--har", str(har), "--url", HOSTILE_URL))
    assert _raw_controls(one.out + one.err) == []
    assert "\\x1b[31mred" in one.out
    missing = run(*_verify_args(key_files, "--har", str(har), "--url", URL + "\x1b[0m"))
    assert _raw_controls(missing.out + missing.err) == []
    assert "has no request for" in missing.out


def test_verify_har_with_lone_surrogates_is_printed(
    key_files: KeyFiles, rsa_cookies: dict[str, str], tmp_path: Path
) -> None:
    """JSON may hold lone surrogates ("\\ud800"): printed escaped, not a UnicodeEncodeError."""
    har = tmp_path / "surrogate.har"
    har.write_text(json.dumps(_har(URL.replace(".ts", "\ud800.ts"), "a=b")))
    done = subprocess.run(
        [sys.executable, "-m", "cfcookies", *_verify_args(key_files, "--har", str(har))],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"\\ud800.ts" in done.stdout


def test_verify_subprocess_stdout_has_no_escape_bytes(
    key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """Through ``python -m cfcookies``, the bytes written to stdout hold no ESC, CR or bidi."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cfcookies",
            *_verify_args(key_files, "--url", HOSTILE_URL, "--cookie", _cookie_header(rsa_cookies)),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    for raw in (b"\x1b", b"\r", b"\x08", b"\x07", "\u202e".encode(), "\x9b".encode()):
        assert raw not in done.stdout
    assert b"\\x1b[31m" in done.stdout


# --- plugins, help, python -m --------------------------------------------------------------------


def test_help_lists_every_command(run: Any) -> None:
    """--help lists the core commands and the installed plugin commands and exits 0."""
    result = run("--help")
    assert result.code == 0
    for command in ("keygen", "cookies", "sign-url", "verify", "aws"):
        assert command in result.out


def test_revocation_commands_hang_under_aws(run: Any) -> None:
    """The revocation module's commands are mounted under ``aws``."""
    result = run("aws", "--help")
    assert result.code == 0
    assert "revoke" in result.out
    assert "function" in result.out


def test_no_command_is_a_usage_error(run: Any) -> None:
    """Running without a command prints usage and exits 2."""
    result = run()
    assert result.code == 2
    assert "usage:" in result.err


def test_every_command_group_is_registered(key_files: KeyFiles) -> None:
    """build_parser registers every command group: each parses to its handler."""
    edge_key = f"{RSA_KEY_ID}={key_files.public_pem}"
    commands = {
        "keygen": ["keygen", "--out", "x"],
        "cookies": ["cookies", *_signing_args(key_files, "--resource", RESOURCE)],
        "sign-url": ["sign-url", URL, *_signing_args(key_files)],
        "verify": ["verify", "--url", URL],
        "aws": ["aws", "status", "--key-group-id", "KG"],
        "aws revoke": ["aws", "revoke", "purge", "--local-file", "deny.json"],
        "edge": ["edge", "--root", ".", "--public-key", edge_key],
        "demo": ["demo"],
    }
    parser = cli.build_parser()
    for name, argv in commands.items():
        args = parser.parse_args(argv)
        assert args.command == name.split()[0]
        assert callable(args.func), name


def test_a_group_register_adds_top_level_commands_that_main_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command group's register(subparsers) can add a top-level command that main runs."""
    from cfcookies.cli import demo

    def register(subparsers: Any) -> None:
        fake = subparsers.add_parser("fake")
        fake.set_defaults(func=lambda args: 7)

    monkeypatch.setattr(demo, "register", register)
    assert cli.main(["fake"]) == 7


def test_revocation_commands_are_not_top_level(run: Any) -> None:
    """The revocation commands exist only under ``aws``: at the top level they are unknown."""
    for command in ("revoke", "function"):
        result = run(command, "--help")
        assert result.code == 2
        assert "invalid choice" in result.err


def test_python_dash_m_help() -> None:
    """``python -m cfcookies --help`` runs as a subprocess and lists the commands."""
    done = subprocess.run(
        [sys.executable, "-m", "cfcookies", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "keygen" in done.stdout
    assert "sign-url" in done.stdout


def test_round_trip_keygen_cookies_verify(run: Any, tmp_path: Path) -> None:
    """keygen → cookies → verify is allowed (exit 0); a tampered cookie is refused (exit 1)."""
    keys = tmp_path / "keys"
    assert run("keygen", "--out", str(keys)).code == 0
    issued = run(
        "cookies",
        "--private-key",
        str(keys / "private_key.pem"),
        "--key-pair-id",
        RSA_KEY_ID,
        "--resource",
        RESOURCE,
        "--expires",
        str(EXPIRES),
    )
    assert issued.code == 0, issued.err
    cookies = json.loads(issued.out)
    ring = KeyRing.from_key(RSA_KEY_ID, keys / "private_key.pem")
    assert cookies == Signer(ring).cookies_for(RESOURCE, date_less_than=EXPIRES)
    verify = [
        "verify",
        "--public-key",
        str(keys / "public_key.pem"),
        "--key-pair-id",
        RSA_KEY_ID,
        "--url",
        URL,
        "--at",
        str(AT),
    ]
    assert run(*verify, "--cookie", _cookie_header(cookies)).code == 0
    signature = cookies["CloudFront-Signature"]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    tampered = dict(cookies, **{"CloudFront-Signature": flipped})
    refused = run(*verify, "--cookie", _cookie_header(tampered))
    assert refused.code == 1
    assert "(signature)" in refused.out.splitlines()[0]


def test_round_trip_as_subprocess(tmp_path: Path) -> None:
    """The same round trip through ``python -m cfcookies`` subprocesses."""

    def cfcookies(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cfcookies", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert cfcookies("keygen", "--out", str(tmp_path), "--ecdsa").returncode == 0
    header = cfcookies(
        "cookies",
        "--private-key",
        str(tmp_path / "private_key.pem"),
        "--key-pair-id",
        ECDSA_KEY_ID,
        "--resource",
        RESOURCE,
        "--expires",
        str(EXPIRES),
        "--hash-algorithm",
        "SHA256",
        "--format",
        "header",
    )
    assert header.returncode == 0, header.stderr
    cookie = header.stdout.strip().removeprefix("Cookie: ")
    verify = [
        "verify",
        "--public-key",
        str(tmp_path / "public_key.pem"),
        "--key-pair-id",
        ECDSA_KEY_ID,
        "--url",
        URL,
        "--at",
        str(AT),
        "--cookie",
    ]
    allowed = cfcookies(*verify, cookie)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    denied = cfcookies(*verify, cookie.replace("CloudFront-Hash-Algorithm=SHA256", ""))
    assert denied.returncode == 1
    assert "Traceback" not in denied.stderr
