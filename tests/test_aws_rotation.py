"""cfcookies.aws.rotation: start, switch and finish against moto's server on 127.0.0.1, with
botocore's Stubber for the calls moto lacks and the ``key_group_quota`` fixture for CloudFront's
quota of public keys per key group."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from cfcookies import aws
from cfcookies.keys import PrivateKey, generate_private_key, key_fingerprint
from tests.aws_support import (
    GROUP_ID,
    NEW_ID,
    OLD_ID,
    KeyGroupQuota,
    five_key_group,
    group_keys,
    json_secret,
    key_group_response,
    make_group,
    material,
    pem,
    public_key_count,
    public_key_response,
    upload,
)
from tests.moto_server import MotoServer
from tests.support import FakeClock

# --- Start ----------------------------------------------------------------------------------------


def test_rotation_start_adds_a_sixth_key_when_the_quota_allows_it(
    server: MotoServer, key_group_quota: KeyGroupQuota, rsa_key: PrivateKey
) -> None:
    """A group holding five keys takes a sixth when the account's quota is higher: the client
    sends it and CloudFront decides."""
    key_group_quota.limit = 6
    group_id, ids = five_key_group(server)
    info = aws.rotate_start(server.client("cloudfront"), key_group_id=group_id, new_key=rsa_key)
    assert group_keys(server, group_id) == [*ids, info.id]
    assert aws.get_public_key(server.client("cloudfront"), info.id).fingerprint == (
        key_fingerprint(rsa_key)
    )


def test_rotation_start_refused_by_cloudfront_leaves_nothing_behind(
    server: MotoServer, key_group_quota: KeyGroupQuota, rsa_key: PrivateKey
) -> None:
    """When CloudFront refuses a sixth key (default quota), rotate_start raises
    KeyGroupQuotaError naming the group's keys and the fix, and deletes the key it uploaded."""
    group_id, ids = five_key_group(server)
    with pytest.raises(aws.KeyGroupQuotaError) as caught:
        aws.rotate_start(server.client("cloudfront"), key_group_id=group_id, new_key=rsa_key)
    message = str(caught.value)
    assert f"in key group {group_id}, which holds {', '.join(ids)}" in message
    assert "(TooManyPublicKeysInKeyGroup); CloudFront's default quota is 5" in message
    assert "remove a retired key first (cfcookies aws rotate finish)" in message
    assert "'Public keys in a single key group'" in message
    assert "uploaded for it was deleted again" in message
    assert (group_keys(server, group_id), public_key_count(server)) == (ids, 5)


def test_rotation_start_reuses_a_key_already_in_the_group(
    server: MotoServer, rsa_key: PrivateKey
) -> None:
    """Starting again with a key the group already holds returns it without a new upload."""
    cloudfront = server.client("cloudfront")
    key_id = upload(server, rsa_key, "new")
    group_id = make_group(server, [key_id])
    assert aws.rotate_start(cloudfront, key_group_id=group_id, new_key=rsa_key).id == key_id
    assert cloudfront.list_public_keys()["PublicKeyList"]["Quantity"] == 1


def test_rotation_start_names_an_upload_it_could_not_delete_again(
    stubbed_cloudfront: tuple[Any, Stubber], rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """If the key uploaded for a refused start cannot be deleted again, the error says which
    key is left behind."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_rsa_key), {"Id": OLD_ID})
    stubber.add_response("create_public_key", public_key_response(NEW_ID, rsa_key))
    stubber.add_response("get_key_group", key_group_response([OLD_ID]), {"Id": GROUP_ID})
    stubber.add_client_error(
        "update_key_group", "TooManyPublicKeysInKeyGroup", http_status_code=400
    )
    stubber.add_client_error("get_public_key", "AccessDenied", http_status_code=403)
    with pytest.raises(aws.KeyGroupQuotaError) as caught:
        aws.rotate_start(client, key_group_id=GROUP_ID, new_key=rsa_key)
    assert f"The public key {NEW_ID} uploaded for it could not be deleted again" in str(
        caught.value
    )
    assert "delete it by hand" in str(caught.value)


# --- Finish (Stubber on a real client) ------------------------------------------------------------


def stub_finish(
    stubber: Stubber, old_key: PrivateKey, new_key: PrivateKey, *, delete: bool = True
) -> None:
    """The calls of a completed rotate finish, in order."""
    stubber.add_response("get_key_group", key_group_response([OLD_ID, NEW_ID]), {"Id": GROUP_ID})
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_key), {"Id": OLD_ID})
    stubber.add_response("get_public_key", public_key_response(NEW_ID, new_key), {"Id": NEW_ID})
    stubber.add_response("get_key_group", key_group_response([OLD_ID, NEW_ID]), {"Id": GROUP_ID})
    stubber.add_response(
        "update_key_group",
        key_group_response([NEW_ID], etag="ETAGGROUP2"),
        {
            "Id": GROUP_ID,
            "IfMatch": "ETAGGROUP1",
            "KeyGroupConfig": {"Name": "media-signers", "Items": [NEW_ID], "Comment": "media"},
        },
    )
    if delete:
        stubber.add_response(
            "get_public_key", public_key_response(OLD_ID, old_key, etag="E7"), {"Id": OLD_ID}
        )
        stubber.add_response("delete_public_key", {}, {"Id": OLD_ID, "IfMatch": "E7"})


def test_rotation_finish_removes_and_deletes_the_old_key_after_the_window(
    stubbed_cloudfront: tuple[Any, Stubber],
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
) -> None:
    """Once max lifetime plus refresh interval have passed since the switch, the old key is
    removed from the group and deleted."""
    client, stubber = stubbed_cloudfront
    stub_finish(stubber, old_rsa_key, rsa_key)
    switched = clock.now - timedelta(seconds=3600 + 300)
    group = aws.rotate_finish(
        client,
        key_group_id=GROUP_ID,
        old_key_id=OLD_ID,
        signing=material(rsa_key, NEW_ID, changed_at=switched),
        max_cookie_lifetime=3600,
        refresh_interval=300,
        clock=clock,
    )
    assert group.public_key_ids == (NEW_ID,)


def test_rotation_finish_is_refused_inside_the_window(
    stubbed_cloudfront: tuple[Any, Stubber],
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
) -> None:
    """One second before the window closes, finish refuses and says when it will be allowed."""
    client, stubber = stubbed_cloudfront
    stubber.add_response("get_key_group", key_group_response([OLD_ID, NEW_ID]), {"Id": GROUP_ID})
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_rsa_key), {"Id": OLD_ID})
    stubber.add_response("get_public_key", public_key_response(NEW_ID, rsa_key), {"Id": NEW_ID})
    switched = clock.now - timedelta(seconds=3599)
    with pytest.raises(aws.RotationRefusedError, match="run again after 2026-11-29T12:00:01Z"):
        aws.rotate_finish(
            client,
            key_group_id=GROUP_ID,
            old_key_id=OLD_ID,
            signing=material(rsa_key, NEW_ID, changed_at=switched),
            max_cookie_lifetime=3600,
            clock=clock,
        )


@pytest.mark.parametrize(
    ("signing_key_name", "stored_id", "message"),
    [
        pytest.param("old", None, "still the key the application signs with", id="same-key"),
        pytest.param("new", OLD_ID, "still the key the application signs with", id="stored-id"),
        pytest.param("stray", NEW_ID, "not in key group", id="signing-key-not-in-group"),
    ],
)
def test_rotation_finish_never_removes_a_key_in_use(
    stubbed_cloudfront: tuple[Any, Stubber],
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
    signing_key_name: str,
    stored_id: str | None,
    message: str,
) -> None:
    """Finish refuses while the old key signs, or while the signing key is not in the group,
    however long ago the secret changed."""
    client, stubber = stubbed_cloudfront
    signing_key = {"old": old_rsa_key, "new": rsa_key, "stray": generate_private_key("ecdsa")}[
        signing_key_name
    ]
    stubber.add_response("get_key_group", key_group_response([OLD_ID, NEW_ID]), {"Id": GROUP_ID})
    stubber.add_response("get_public_key", public_key_response(OLD_ID, old_rsa_key), {"Id": OLD_ID})
    if signing_key_name == "stray":
        stubber.add_response("get_public_key", public_key_response(NEW_ID, rsa_key), {"Id": NEW_ID})
    long_ago = clock.now - timedelta(days=30)
    with pytest.raises(aws.RotationRefusedError, match=message) as caught:
        aws.rotate_finish(
            client,
            key_group_id=GROUP_ID,
            old_key_id=OLD_ID,
            signing=material(signing_key, stored_id, changed_at=long_ago),
            max_cookie_lifetime=60,
            clock=clock,
        )
    assert caught.value.allowed_at is None


def test_rotation_finish_needs_a_switch_time_for_keys_outside_aws(
    rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock, server: MotoServer
) -> None:
    """A key with no AWS version date needs the operator's switched_at."""
    client = server.client("cloudfront")
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_key_group", key_group_response([OLD_ID, NEW_ID]), {"Id": GROUP_ID}
        )
        stubber.add_response(
            "get_public_key", public_key_response(OLD_ID, old_rsa_key), {"Id": OLD_ID}
        )
        stubber.add_response("get_public_key", public_key_response(NEW_ID, rsa_key), {"Id": NEW_ID})
        with pytest.raises(aws.RotationRefusedError, match="--switched-at"):
            aws.rotate_finish(
                client,
                key_group_id=GROUP_ID,
                old_key_id=OLD_ID,
                signing=material(rsa_key, NEW_ID, changed_at=None),
                max_cookie_lifetime=60,
                clock=clock,
            )


# --- Switch (moto server) -------------------------------------------------------------------------


def test_switch_writes_the_new_key_and_its_id_as_a_new_secret_version(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """Switch stores {key_pair_id, private_key} as a new version, dated by AWS."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=pem(old_rsa_key))
    old_id, new_id = upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")
    group_id = make_group(server, [old_id, new_id])
    written = aws.rotate_switch(
        server.client("cloudfront"),
        key_group_id=group_id,
        target="secretsmanager:app/key",
        new_key_pair_id=new_id,
        new_private_key=rsa_key,
        client=secrets,
    )
    assert (written.key_pair_id, written.fingerprint) == (new_id, key_fingerprint(rsa_key))
    versions = secrets.list_secret_version_ids(SecretId="app/key")["Versions"]
    current = next(v for v in versions if "AWSCURRENT" in v["VersionStages"])
    assert current["VersionId"] == written.version


@pytest.mark.parametrize(
    ("new_id_kind", "message"),
    [
        pytest.param("absent", "is not in key group", id="key-not-in-group"),
        pytest.param("other-key", "not the public half", id="id-of-another-key"),
    ],
)
def test_switch_refuses_a_key_cloudfront_would_not_trust(
    server: MotoServer,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    new_id_kind: str,
    message: str,
) -> None:
    """Switch refuses an ID outside the group, or one whose public key is another key's, and
    leaves the secret alone."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=json_secret(OLD_ID, old_rsa_key))
    old_id = upload(server, old_rsa_key, "old")
    group_id = make_group(server, [old_id])
    with pytest.raises(aws.RotationRefusedError, match=message):
        aws.rotate_switch(
            server.client("cloudfront"),
            key_group_id=group_id,
            target="secretsmanager:app/key",
            new_key_pair_id="KABSENT" if new_id_kind == "absent" else old_id,
            new_private_key=rsa_key,
            client=secrets,
        )
    assert len(secrets.list_secret_version_ids(SecretId="app/key")["Versions"]) == 1
