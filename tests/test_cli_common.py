"""Key sources (cfcookies/cli/common.py): paths, env:VAR, passphrases, AWS specs, no echo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from cfcookies import cli
from cfcookies.exceptions import ConfigurationError, KeyLoadError
from cfcookies.keys import PrivateKey, SigningKey, key_fingerprint, private_key_pem
from cfcookies.signing import Signer
from tests.cli_support import EXPIRES, RESOURCE
from tests.support import PASSPHRASE, RSA_KEY_ID, KeyFiles


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
