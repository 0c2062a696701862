"""``cfcookies aws …`` (keys, key groups, status, rotation) end to end, against moto's server on
127.0.0.1 through real botocore clients."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.stub import Stubber

from cfcookies import aws
from cfcookies.cli.aws import register
from cfcookies.cli.main import run_command
from cfcookies.keys import PrivateKey, key_fingerprint
from tests.aws_support import (
    GROUP_ID,
    NEW_ID,
    OLD_ID,
    KeyGroupQuota,
    five_key_group,
    group_keys,
    json_secret,
    key_group_response,
    make_distribution,
    make_group,
    public_key_count,
    public_key_response,
    upload,
)
from tests.cli_support import Run
from tests.moto_server import MotoServer
from tests.support import PASSPHRASE, FakeClock


@pytest.fixture
def now_clock(clock: FakeClock) -> FakeClock:
    """The shared fake clock, set to the real time: moto stamps versions with the real time."""
    clock.now = datetime.now(timezone.utc).replace(microsecond=0)
    return clock


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run ``cfcookies aws …`` through a parser that only registers the aws subcommands."""

    def run(
        *argv: str,
        clients: Callable[[str, argparse.Namespace], Any] | None = None,
        clock: FakeClock | None = None,
    ) -> Run:
        parser = argparse.ArgumentParser(prog="cfcookies")
        register(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(["aws", *argv])
        if clients is not None:
            args.client_factory = clients
        if clock is not None:
            args.clock = clock
        capsys.readouterr()
        code = run_command(args)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def test_cli_uploads_a_key_into_a_new_group_and_prints_its_id(
    server: MotoServer, cli: Callable[..., Run], key_files: Any, rsa_key: PrivateKey
) -> None:
    """upload-key prints only the key pair ID on stdout, and the group holds that key."""
    result = cli(
        "upload-key",
        "--private-key",
        str(key_files.rsa_pem),
        "--create-key-group",
        "media-signers",
        "--endpoint-url",
        server.endpoint_url,
    )
    assert result.code == 0, result.err
    key_id = result.out.strip()
    cloudfront = server.client("cloudfront")
    groups = cloudfront.list_key_groups()["KeyGroupList"]["Items"]
    assert [g["KeyGroup"]["KeyGroupConfig"]["Items"] for g in groups] == [[key_id]]
    assert aws.get_public_key(cloudfront, key_id).fingerprint == key_fingerprint(rsa_key)
    assert f"key_pair_id={key_id}" in result.err
    assert "BEGIN" not in result.out + result.err


def test_cli_status_shows_keys_signing_key_and_behaviors(
    server: MotoServer, cli: Callable[..., Run], rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """status --json reports which group key the app signs with and which behaviors trust it."""
    old_id, new_id = upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")
    group_id = make_group(server, [old_id, new_id])
    distribution_id = make_distribution(server, [group_id], [group_id])
    server.client("secretsmanager").create_secret(
        Name="app/key", SecretString=json_secret(new_id, rsa_key)
    )
    common = ["--key-group-id", group_id, "--endpoint-url", server.endpoint_url]
    result = cli(
        "status",
        *common,
        "--distribution-id",
        distribution_id,
        "--private-key",
        "secretsmanager:app/key",
        "--json",
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [(k["id"], k["signing"]) for k in report["public_keys"]] == [
        (old_id, False),
        (new_id, True),
    ]
    assert [b["trusts_this_group"] for b in report["behaviors"]] == [True, True]
    text = cli("status", *common, "--private-key", "secretsmanager:app/key")
    assert (
        f"key group {group_id} (media-signers): 2 public keys (CloudFront's default quota: 5 "
        f"per group)\n" in text.out
    )
    assert f"{new_id}  new" in text.out
    assert "<- signing" in text.out
    assert "BEGIN" not in text.out + text.err


def test_main_cli_runs_the_aws_commands(
    server: MotoServer, key_files: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``cfcookies aws upload-key`` through cfcookies.cli.main uploads the key into a new group."""
    from cfcookies.cli import main

    code = main(
        [
            "aws", "upload-key", "--public-key", str(key_files.public_pem),
            "--create-key-group", "media-signers", "--endpoint-url", server.endpoint_url,
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    listed = server.client("cloudfront").list_public_keys()["PublicKeyList"]["Items"]
    assert [k["Id"] for k in listed] == [out.strip()]


def test_cli_status_exits_non_zero_when_the_app_key_is_not_trusted(
    server: MotoServer, cli: Callable[..., Run], key_files: Any, old_rsa_key: PrivateKey
) -> None:
    """status fails when the app's key has no public key in the group."""
    group_id = make_group(server, [upload(server, old_rsa_key, "old")])
    result = cli(
        "status",
        "--key-group-id",
        group_id,
        "--private-key",
        str(key_files.rsa_pem),
        "--endpoint-url",
        server.endpoint_url,
    )
    assert result.code == 1
    assert "problem: the private key matches no public key" in result.out


def test_cli_rotate_start_on_a_full_group_fails_with_the_quota(
    server: MotoServer,
    key_group_quota: KeyGroupQuota,
    cli: Callable[..., Run],
    key_files: Any,
) -> None:
    """rotate start on a group CloudFront finds full fails on stderr with the quota and its
    fix, prints no ID, and leaves no uploaded key behind."""
    group_id, ids = five_key_group(server)
    result = cli(
        "rotate",
        "start",
        "--key-group-id",
        group_id,
        "--new-private-key",
        str(key_files.rsa_pem),
        "--endpoint-url",
        server.endpoint_url,
    )
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith(
        "cfcookies aws rotate start: error: cloudfront:UpdateKeyGroup: CloudFront "
    )
    assert "(TooManyPublicKeysInKeyGroup); CloudFront's default quota is 5" in result.err
    assert "Traceback" not in result.err
    assert (group_keys(server, group_id), public_key_count(server)) == (ids, 5)


def test_cli_rotate_start_adds_the_new_key_beside_the_old(
    server: MotoServer,
    cli: Callable[..., Run],
    stubbed_cloudfront: tuple[Any, Stubber],
    key_files: Any,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
) -> None:
    """rotate start uploads the key and adds it to the group with the group's ETag (CloudFront
    stubbed: moto has no UpdateKeyGroup), then prints the new key pair ID."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_rsa_key), {"Id": OLD_ID})
    created = public_key_response(NEW_ID, rsa_key)
    created["Location"] = f"https://cloudfront.amazonaws.com/2020-05-31/public-key/{NEW_ID}"
    stubber.add_response("create_public_key", created)
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    stubber.add_response("update_key_group", key_group_response([OLD_ID, NEW_ID], etag="E2"))
    result = cli(
        "rotate",
        "start",
        "--key-group-id",
        GROUP_ID,
        "--new-private-key",
        str(key_files.rsa_pem),
        "--name",
        "media-2026-11",
        clients=lambda service, args: client,
    )
    assert result.code == 0, result.err
    assert result.out == f"{NEW_ID}\n"
    assert "rotate switch" in result.err


def test_cli_rotation_switch_then_finish_waits_for_the_window(
    server: MotoServer,
    cli: Callable[..., Run],
    key_files: Any,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    now_clock: FakeClock,
) -> None:
    """After switch, finish is refused until max lifetime has passed since the secret's new
    version (dated by moto), then completes (CloudFront stubbed for UpdateKeyGroup)."""
    old_id, new_id = upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")
    group_id = make_group(server, [old_id, new_id])
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=json_secret(old_id, old_rsa_key))
    moto_flags = ["--endpoint-url", server.endpoint_url]

    early = cli(
        "rotate",
        "finish",
        "--key-group-id",
        group_id,
        "--old-key-id",
        old_id,
        "--private-key",
        "secretsmanager:app/key",
        "--max-cookie-lifetime",
        "3600",
        *moto_flags,
        clock=now_clock,
    )
    assert early.code == 3
    assert "still the key the application signs with" in early.err

    switched = cli(
        "rotate",
        "switch",
        "--key-group-id",
        group_id,
        "--private-key",
        "secretsmanager:app/key",
        "--new-key-id",
        new_id,
        "--new-private-key",
        str(key_files.rsa_pem),
        *moto_flags,
    )
    assert switched.code == 0, switched.err
    assert aws.fetch_key_material("secretsmanager:app/key", client=secrets).key_pair_id == new_id

    finish = [
        "rotate",
        "finish",
        "--key-group-id",
        group_id,
        "--old-key-id",
        old_id,
        "--private-key",
        "secretsmanager:app/key",
        "--max-cookie-lifetime",
        "3600",
        "--refresh-interval",
        "60",
        *moto_flags,
    ]
    now_clock.advance(3600)
    inside = cli(*finish, clock=now_clock)
    assert inside.code == 3
    assert "run again after" in inside.err
    assert "Traceback" not in inside.err

    now_clock.advance(60 + 60)
    stubbed = server.client("cloudfront")
    moto_cloudfront = server.client("cloudfront")
    with Stubber(stubbed) as stubber:
        stubber.add_response(
            "get_key_group", key_group_response([old_id, new_id], group_id=group_id)
        )
        stubber.add_response("get_public_key", public_key_response(old_id, old_rsa_key))
        stubber.add_response("get_public_key", public_key_response(new_id, rsa_key))
        stubber.add_response(
            "get_key_group", key_group_response([old_id, new_id], group_id=group_id)
        )
        stubber.add_response(
            "update_key_group",
            key_group_response([new_id], etag="E2", group_id=group_id),
            {
                "Id": group_id,
                "IfMatch": "ETAGGROUP1",
                "KeyGroupConfig": {"Name": "media-signers", "Items": [new_id], "Comment": "media"},
            },
        )
        stubber.add_response("get_public_key", public_key_response(old_id, old_rsa_key))
        stubber.add_response("delete_public_key", {}, {"Id": old_id, "IfMatch": "ETAGKEY1"})
        done = cli(
            *finish,
            clients=lambda service, args: (
                stubbed if service == "cloudfront" else server.client(service)
            ),
            clock=now_clock,
        )
        assert done.code == 0, done.err
        stubber.assert_no_pending_responses()
    assert done.out == f"{new_id}\n"
    assert f"deleted public key {old_id}" in done.err
    assert moto_cloudfront.get_public_key(Id=new_id)["PublicKey"]["Id"] == new_id


def test_cli_switch_writes_an_encrypted_key_to_an_ssm_parameter(
    server: MotoServer,
    cli: Callable[..., Run],
    key_files: Any,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """switch reads an encrypted new key with its passphrase from the environment and stores it,
    still encrypted, with its ID in the SecureString parameter the app reads."""
    old_id, new_id = upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")
    group_id = make_group(server, [old_id, new_id])
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/app/key", Value=json_secret(old_id, old_rsa_key), Type="SecureString")
    monkeypatch.setenv("CFCOOKIES_TEST_PASSPHRASE", PASSPHRASE)
    result = cli(
        "rotate", "switch", "--key-group-id", group_id, "--private-key", "ssm:/app/key",
        "--passphrase-env", "CFCOOKIES_TEST_PASSPHRASE", "--new-key-id", new_id,
        "--new-private-key", str(key_files.encrypted_pem),
        "--new-passphrase-env", "CFCOOKIES_TEST_PASSPHRASE",
        "--endpoint-url", server.endpoint_url,
    )  # fmt: skip
    assert result.code == 0, result.err
    stored = ssm.get_parameter(Name="/app/key", WithDecryption=True)["Parameter"]
    assert "ENCRYPTED PRIVATE KEY" in json.loads(stored["Value"])["private_key"]
    found = aws.fetch_key_material("ssm:/app/key", passphrase=PASSPHRASE, client=ssm)
    assert (found.key_pair_id, found.fingerprint, found.version) == (
        new_id,
        key_fingerprint(rsa_key),
        "2",
    )
    assert "BEGIN" not in result.out + result.err


def test_cli_names_an_unset_passphrase_variable(
    cli: Callable[..., Run], key_files: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --passphrase-env naming an unset variable fails with that variable's name."""
    monkeypatch.delenv("CFCOOKIES_TEST_UNSET", raising=False)
    result = cli(
        "status", "--key-group-id", GROUP_ID, "--private-key", str(key_files.encrypted_pem),
        "--passphrase-env", "CFCOOKIES_TEST_UNSET", "--endpoint-url", "http://127.0.0.1:9",
    )  # fmt: skip
    assert result.code == 1
    assert "CFCOOKIES_TEST_UNSET is not set" in result.err


def test_cli_switch_of_a_file_key_explains_the_manual_steps(
    server: MotoServer, cli: Callable[..., Run], key_files: Any
) -> None:
    """switch on a file-based key fails with the steps to switch by hand."""
    result = cli(
        "rotate",
        "switch",
        "--key-group-id",
        GROUP_ID,
        "--private-key",
        str(key_files.rsa_pem),
        "--new-key-id",
        NEW_ID,
        "--new-private-key",
        str(key_files.ecdsa_pem),
        "--endpoint-url",
        server.endpoint_url,
    )
    assert result.code == 1
    assert "--switched-at" in result.err


def test_cli_finish_with_an_operator_switch_time_for_a_file_key(
    server: MotoServer,
    cli: Callable[..., Run],
    stubbed_cloudfront: tuple[Any, Stubber],
    key_files: Any,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
) -> None:
    """For a key in a file, --switched-at sets the window: refused at 59 s of 60, and the
    refusal says when it will be allowed."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID, NEW_ID]))
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_rsa_key))
    stubber.add_response("get_public_key", public_key_response(NEW_ID, rsa_key))
    result = cli(
        "rotate",
        "finish",
        "--key-group-id",
        GROUP_ID,
        "--old-key-id",
        OLD_ID,
        "--private-key",
        str(key_files.rsa_pem),
        "--max-cookie-lifetime",
        "60",
        "--switched-at",
        "2026-11-29T11:59:01Z",
        clients=lambda service, args: client,
        clock=clock,
    )
    assert result.code == 3
    assert "run again after 2026-11-29T12:00:01Z (in 2 s)" in result.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--max-cookie-lifetime", "0"], "positive", id="zero-lifetime"),
        pytest.param(
            ["--max-cookie-lifetime", "1", "--switched-at", "2026-01-01T00:00"],
            "no timezone",
            id="naive-switch-time",
        ),
    ],
)
def test_cli_rejects_unusable_finish_options(
    cli: Callable[..., Run],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    """Bad seconds or a switch time without a timezone are usage errors."""
    with pytest.raises(SystemExit) as exited:
        cli(
            "rotate",
            "finish",
            "--key-group-id",
            "G",
            "--old-key-id",
            "K",
            "--private-key",
            "env:X",
            *argv,
        )
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
