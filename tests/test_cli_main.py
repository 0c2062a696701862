"""The parser (cfcookies/cli/main.py): every group registered, help, python -m, round trips."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cfcookies import cli
from cfcookies.keys import KeyRing
from cfcookies.signing import Signer
from tests.cli_support import AT, EXPIRES, RESOURCE, URL, cookie_header, signing_args
from tests.support import ECDSA_KEY_ID, RSA_KEY_ID, KeyFiles


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
        "cookies": ["cookies", *signing_args(key_files, "--resource", RESOURCE)],
        "sign-url": ["sign-url", URL, *signing_args(key_files)],
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


def test_help_imports_neither_botocore_nor_uvicorn() -> None:
    """Building the parser for ``cfcookies --help`` imports neither botocore nor uvicorn."""
    code = (
        "import sys; from cfcookies.cli import main; main(['--help']); "
        "print(sorted(m for m in ('botocore', 'uvicorn') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


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
    assert run(*verify, "--cookie", cookie_header(cookies)).code == 0
    signature = cookies["CloudFront-Signature"]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    tampered = dict(cookies, **{"CloudFront-Signature": flipped})
    refused = run(*verify, "--cookie", cookie_header(tampered))
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


# --- one error format, documented exit statuses ---------------------------------------------------


def _failing_commands(key_files: KeyFiles, tmp_path: Path) -> dict[str, list[str]]:
    """A command line per group that parses but fails when it runs, by its command path."""
    edge_key = f"{RSA_KEY_ID}={key_files.public_pem}"
    canned = signing_args(key_files, "--resource", RESOURCE, "--canned", "--not-before", str(AT))
    deny_list = str(tmp_path / "deny.json")
    return {
        "keygen": ["keygen", "--out", str(tmp_path), "--passphrase-env", "CF_UNSET_VARIABLE"],
        "cookies": ["cookies", *canned],
        "sign-url": ["sign-url", URL + "?Signature=x", *signing_args(key_files)],
        "verify": ["verify", "--public-key", str(key_files.public_pem)],
        "edge": ["edge", "--root", str(tmp_path), *("--public-key", edge_key) * 2],
        "demo": ["demo", "--app-port", "8999", "--edge-port", "8999"],
        "aws function code": ["aws", "function", "code", "--cookie-name", "bad name"],
        "aws revoke session": ["aws", "revoke", "session", "bad id", "--local-file", deny_list],
    }


@pytest.mark.parametrize(
    "name",
    [
        "keygen",
        "cookies",
        "sign-url",
        "verify",
        "edge",
        "demo",
        "aws function code",
        "aws revoke session",
    ],
)
def test_every_command_reports_errors_in_one_format(
    run: Any, key_files: KeyFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Whatever the command, a failure is exit 1 and one line: cfcookies COMMAND: error: …"""
    pytest.importorskip("uvicorn")
    monkeypatch.delenv("CF_UNSET_VARIABLE", raising=False)
    result = run(*_failing_commands(key_files, tmp_path)[name])
    assert result.code == 1, result.err
    assert result.err.startswith(f"cfcookies {name}: error: ")
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err


def test_usage_errors_name_the_same_command(run: Any) -> None:
    """argparse's usage errors (exit 2) name the command as runtime errors do."""
    result = run("aws", "revoke", "session")
    assert result.code == 2
    assert "cfcookies aws revoke session: error: " in result.err


def test_help_documents_the_exit_statuses(run: Any) -> None:
    """cfcookies --help ends with the exit statuses every command shares."""
    result = run("--help")
    assert result.code == 0
    help_text = result.out[result.out.index("exit status") :]
    for status in ("0 ", "1 ", "2 ", "3 ", "130 "):
        assert f"\n  {status}" in help_text
