"""``cfcookies aws function …`` and ``cfcookies aws revoke …``: the revocation commands."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from cfcookies import cli, revocation
from cfcookies.aws import kvs
from cfcookies.cli import revocation as cli_revocation
from cfcookies.revocation import LocalDenyList, function_code
from tests.aws_support import (
    ASSOCIATED,
    distribution_config,
    expect_describe,
    expect_update,
    function_summary,
)
from tests.revocation_support import FUNCTION_ARN, KVS_ARN, OLD_SECRET, SECRET


def _cli(argv: list[str]) -> int:
    """``cfcookies aws ARGV`` through the whole command line, as a user runs it."""
    return cli.main(["aws", *argv])


def test_cli_function_code_prints_the_function(capsys: pytest.CaptureFixture[str]) -> None:
    """`function code` prints the same JavaScript function_code returns."""
    assert _cli(["function", "code", "--cookie-name", "Edge-Session"]) == 0
    assert capsys.readouterr().out == function_code(cookie_name="Edge-Session")


def test_cli_function_code_writes_a_file(tmp_path: Path) -> None:
    """`function code -o FILE` writes the function to FILE."""
    out = tmp_path / "f.js"
    assert _cli(["function", "code", "-o", str(out)]) == 0
    assert out.read_text() == function_code()


def test_cli_revokes_into_a_local_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`revoke session` and `revoke user --ban` write entries a LocalDenyList reads."""
    path = tmp_path / "deny.json"
    assert _cli(["revoke", "session", "sess-1", "--local-file", str(path), "--for", "1h"]) == 0
    assert _cli(["revoke", "user", "u1", "--local-file", str(path), "--ban", "--for", "2h"]) == 0
    entries = LocalDenyList(path=path).entries()
    until_user, cutoff = entries["revoked-user:u1"].split(".")
    assert until_user == cutoff
    assert int(entries["revoked:sess-1"]) < int(until_user)
    assert capsys.readouterr().out == "revoked\nrevoked\n"


def test_cli_purge_reports_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`revoke purge` deletes stale entries of a local file and says how many."""
    path = tmp_path / "deny.json"
    path.write_text(json.dumps({"entries": {"revoked:a": "1", "revoked:b": "9999999999"}}))
    assert _cli(["revoke", "purge", "--local-file", str(path)]) == 0
    assert capsys.readouterr().out == "purged 1 expired entries\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["revoke", "session", "bad id", "--local-file", "{tmp}/d.json"],
            "session_id must be",
            id="bad-session-id",
        ),
        pytest.param(
            ["function", "code", "--cookie-name", "bad name"],
            "--cookie-name must be",
            id="bad-cookie-name",
        ),
    ],
)
def test_cli_user_errors_go_to_stderr_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """A user error exits 1 with one line on stderr, in the one format, and no traceback."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert _cli(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"cfcookies aws {argv[0]} {argv[1]}: error: ")
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err


def test_cli_kvs_without_awscrt_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`revoke session --kvs-arn` without awscrt exits 1 and tells how to install it."""
    monkeypatch.setattr(kvs, "crt_available", lambda: False)
    assert _cli(["revoke", "session", "s1", "--kvs-arn", KVS_ARN]) == 1
    assert "pip install 'cfcookies[crt]'" in capsys.readouterr().err


def test_cli_secret_requires_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`function secret` without the secret in the environment exits 1 and says which variable."""
    monkeypatch.delenv("CFCOOKIES_SESSION_SECRET", raising=False)
    assert _cli(["function", "secret", "--kvs-arn", KVS_ARN]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cfcookies aws function secret: error: set $CFCOOKIES_SESSION_SECRET")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("90", 90, id="bare-seconds"),
        pytest.param("30m", 1800, id="minutes"),
        pytest.param("12h", 43200, id="hours"),
        pytest.param("7d", 604800, id="days"),
        pytest.param("12h35m", 45300, id="compound"),
        pytest.param("+1h", 3600, id="plus"),
    ],
)
def test_cli_durations_are_from_now(text: str, seconds: int) -> None:
    """Durations turn into an aware UTC time that far from now."""
    before = datetime.now(timezone.utc)
    when = cli_revocation.parse_duration(text)
    assert when.tzinfo is not None
    assert abs((when - before).total_seconds() - seconds) < 5


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("soon", id="word"),
        pytest.param("2031-01-01T00:00:00", id="naive-iso"),
        pytest.param("5w", id="weeks"),
        pytest.param("999999999d999999999d", id="beyond-the-calendar"),
    ],
)
def test_cli_bad_durations_are_argument_errors(text: str) -> None:
    """Unknown units and zone-less times are argparse errors."""
    with pytest.raises(argparse.ArgumentTypeError):
        cli_revocation.parse_duration(text)


def test_cli_iso_time_with_zone_is_accepted() -> None:
    """An ISO time with a zone is converted to UTC."""
    assert cli_revocation.parse_duration("2031-01-01T01:00:00+01:00") == datetime(
        2031, 1, 1, tzinfo=timezone.utc
    )


def test_cli_publish_prints_the_live_function_arn(
    monkeypatch: pytest.MonkeyPatch,
    cf_client: tuple[Any, Stubber],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`function publish` creates and publishes the function and prints its ARN."""
    client, stubber = cf_client
    monkeypatch.setattr(cli_revocation, "_botocore_client", lambda service: client)
    stubber.add_client_error(
        "describe_function", service_error_code="NoSuchFunctionExists", http_status_code=404
    )
    stubber.add_response(
        "create_function",
        {"FunctionSummary": function_summary("DEVELOPMENT"), "ETag": "E1", "Location": "https://x"},
    )
    stubber.add_response("publish_function", {"FunctionSummary": function_summary("LIVE")})
    argv = ["function", "publish", "--name", "cfcookies-revocation", "--kvs-arn", KVS_ARN]
    assert _cli(argv) == 0
    assert capsys.readouterr().out == FUNCTION_ARN + "\n"


def test_cli_associate_reports_an_existing_association(
    monkeypatch: pytest.MonkeyPatch,
    cf_client: tuple[Any, Stubber],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`function associate` says so when the behaviour already runs the function."""
    client, stubber = cf_client
    monkeypatch.setattr(cli_revocation, "_botocore_client", lambda service: client)
    stubber.add_response(
        "get_distribution_config",
        {"DistributionConfig": distribution_config(FunctionAssociations=ASSOCIATED), "ETag": "D1"},
    )
    argv = ["function", "associate", "--distribution-id", "EDFDVBD6EXAMPLE"]
    assert _cli([*argv, "--function-arn", FUNCTION_ARN]) == 0
    assert capsys.readouterr().out == "already associated\n"


def test_cli_revoke_session_writes_to_the_key_value_store(
    monkeypatch: pytest.MonkeyPatch, kvs_client: tuple[Any, Stubber]
) -> None:
    """`revoke session --kvs-arn` puts the prefixed entry into the KeyValueStore."""
    client, stubber = kvs_client
    monkeypatch.setattr(cli_revocation, "_botocore_client", lambda service: client)
    expect_describe(stubber, "E1")
    stubber.add_response("update_keys", {"ItemCount": 1, "TotalSizeInBytes": 1, "ETag": "E2"})
    argv = ["revoke", "session", "sess-1", "--kvs-arn", KVS_ARN, "--key-prefix", "app/"]
    assert _cli(argv) == 0


def test_cli_secret_rotation_stores_both_secrets(
    monkeypatch: pytest.MonkeyPatch, kvs_client: tuple[Any, Stubber]
) -> None:
    """`function secret --rotate` stores the new secret and keeps the old as previous."""
    client, stubber = kvs_client
    monkeypatch.setattr(cli_revocation, "_botocore_client", lambda service: client)
    monkeypatch.setenv("CFCOOKIES_SESSION_SECRET", SECRET)
    stubber.add_response(
        "get_key",
        {
            "Key": revocation.DEFAULT_SECRET_KEY,
            "Value": OLD_SECRET,
            "ItemCount": 1,
            "TotalSizeInBytes": 1,
        },
    )
    expect_describe(stubber, "E1")
    expect_update(
        stubber,
        "E1",
        "E2",
        Puts=[
            {"Key": revocation.DEFAULT_SECRET_KEY, "Value": SECRET},
            {"Key": revocation.DEFAULT_PREVIOUS_SECRET_KEY, "Value": OLD_SECRET},
        ],
    )
    assert _cli(["function", "secret", "--kvs-arn", KVS_ARN, "--rotate"]) == 0
