"""cfcookies.aws.kvs: the KeyValueStore deny-list through botocore's Stubber, which checks every
request and response against the service model."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from cfcookies import aws, revocation
from cfcookies.aws import KeyValueStoreDenyList, kvs
from cfcookies.exceptions import AWSError, ConfigurationError, DenyListFullError
from tests.aws_support import expect_describe, expect_update
from tests.revocation_support import KVS_ARN, NOW, OLD_SECRET, SECRET, FakeClock


def test_kvs_revoke_session_writes_entry_with_etag(kvs_client: tuple[Any, Stubber]) -> None:
    """Revoking a session describes the store for its ETag, then puts the entry with it."""
    client, stubber = kvs_client
    expect_describe(stubber, "ETAG1")
    expect_update(
        stubber, "ETAG1", "ETAG2", Puts=[{"Key": "revoked:sess-1", "Value": str(NOW + 60)}]
    )
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock()).revoke_session(
        "sess-1", until=NOW + 60
    )


def test_kvs_revoke_user_stores_end_and_cutoff(kvs_client: tuple[Any, Stubber]) -> None:
    """Revoking a user stores `<until>.<issued before>` under the prefixed user key."""
    client, stubber = kvs_client
    expect_describe(stubber, "E1")
    expect_update(
        stubber, "E1", "E2", Puts=[{"Key": "app/revoked-user:user_1", "Value": f"{NOW + 60}.{NOW}"}]
    )
    deny = KeyValueStoreDenyList(
        kvs_arn=KVS_ARN, client=client, key_prefix="app/", clock=FakeClock()
    )
    deny.revoke_user("user_1", until=NOW + 60)


def test_kvs_writes_are_batched_by_fifty_with_chained_etags(
    kvs_client: tuple[Any, Stubber],
) -> None:
    """120 revocations go out as UpdateKeys calls of 50, 50 and 20, each with the last ETag."""
    client, stubber = kvs_client
    sids = [f"s{n:03d}" for n in range(120)]
    puts = [{"Key": f"revoked:{sid}", "Value": str(NOW + 60)} for sid in sids]
    expect_describe(stubber, "E0")
    expect_update(stubber, "E0", "E1", Puts=puts[:50])
    expect_update(stubber, "E1", "E2", Puts=puts[50:100])
    expect_update(stubber, "E2", "E3", Puts=puts[100:])
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock()).revoke_sessions(
        sids, until=NOW + 60
    )


def test_kvs_batches_respect_the_three_megabyte_limit() -> None:
    """A batch is cut before it would pass 3 MB, whatever the key count."""
    big = [(f"k{n}", "v" * 1_000_000) for n in range(7)]
    sizes = [len(batch) for batch in kvs._batches(big)]
    assert sizes == [3, 3, 1]


def test_kvs_conflict_is_retried_once_with_a_fresh_etag(kvs_client: tuple[Any, Stubber]) -> None:
    """An ETag conflict triggers one new DescribeKeyValueStore and one more UpdateKeys."""
    client, stubber = kvs_client
    puts = [{"Key": "revoked:sess-1", "Value": str(NOW + 60)}]
    expect_describe(stubber, "STALE")
    stubber.add_client_error(
        "update_keys", service_error_code="ConflictException", http_status_code=409
    )
    expect_describe(stubber, "FRESH")
    expect_update(stubber, "FRESH", "NEXT", Puts=puts)
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock()).revoke_session(
        "sess-1", until=NOW + 60
    )


def test_kvs_second_conflict_is_an_aws_error(kvs_client: tuple[Any, Stubber]) -> None:
    """Two conflicts in a row raise AWSError naming the call and the error code."""
    client, stubber = kvs_client
    for etag in ("E1", "E2"):
        expect_describe(stubber, etag)
        stubber.add_client_error(
            "update_keys", service_error_code="ConflictException", http_status_code=409
        )
    deny = KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock())
    with pytest.raises(AWSError, match="UpdateKeys failed: ConflictException"):
        deny.revoke_session("sess-1", until=NOW + 60)


def test_kvs_other_errors_are_not_retried(kvs_client: tuple[Any, Stubber]) -> None:
    """An access error is raised at once as AWSError."""
    client, stubber = kvs_client
    expect_describe(stubber, "E1")
    stubber.add_client_error(
        "update_keys", service_error_code="AccessDeniedException", http_status_code=403
    )
    deny = KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock())
    with pytest.raises(AWSError, match="AccessDeniedException"):
        deny.revoke_session("sess-1", until=NOW + 60)


def test_kvs_is_revoked_reads_session_then_user(kvs_client: tuple[Any, Stubber]) -> None:
    """is_revoked reads the session key (missing) then the user key (a live entry)."""
    client, stubber = kvs_client
    stubber.add_client_error(
        "get_key",
        service_error_code="ResourceNotFoundException",
        http_status_code=404,
        expected_params={"KvsARN": KVS_ARN, "Key": "revoked:sess-1"},
    )
    stubber.add_response(
        "get_key",
        {
            "Key": "revoked-user:user_1",
            "Value": f"{NOW + 60}.{NOW}",
            "ItemCount": 1,
            "TotalSizeInBytes": 1,
        },
        {"KvsARN": KVS_ARN, "Key": "revoked-user:user_1"},
    )
    deny = KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock())
    assert deny.is_revoked("sess-1", "user_1", issued_at=NOW - 1, now=NOW)


def test_kvs_rotation_keeps_old_secret_as_previous(kvs_client: tuple[Any, Stubber]) -> None:
    """rotate_secret puts the new secret as current and the old current one as previous."""
    client, stubber = kvs_client
    stubber.add_response(
        "get_key",
        {
            "Key": revocation.DEFAULT_SECRET_KEY,
            "Value": OLD_SECRET,
            "ItemCount": 1,
            "TotalSizeInBytes": 1,
        },
        {"KvsARN": KVS_ARN, "Key": revocation.DEFAULT_SECRET_KEY},
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
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client).rotate_secret(SECRET)


def test_kvs_set_secret_drops_a_leftover_previous(kvs_client: tuple[Any, Stubber]) -> None:
    """Setting only a current secret deletes a previous one left from an earlier rotation."""
    client, stubber = kvs_client
    stubber.add_response(
        "get_key",
        {
            "Key": revocation.DEFAULT_PREVIOUS_SECRET_KEY,
            "Value": OLD_SECRET,
            "ItemCount": 1,
            "TotalSizeInBytes": 1,
        },
        {"KvsARN": KVS_ARN, "Key": revocation.DEFAULT_PREVIOUS_SECRET_KEY},
    )
    expect_describe(stubber, "E1")
    expect_update(
        stubber,
        "E1",
        "E2",
        Puts=[{"Key": revocation.DEFAULT_SECRET_KEY, "Value": SECRET}],
        Deletes=[{"Key": revocation.DEFAULT_PREVIOUS_SECRET_KEY}],
    )
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client).set_secrets(SECRET)


def test_kvs_purge_deletes_stale_entries_across_pages(kvs_client: tuple[Any, Stubber]) -> None:
    """purge_expired lists every page and deletes only stale deny-list entries."""
    client, stubber = kvs_client
    stubber.add_response(
        "list_keys",
        {
            "NextToken": "page2",
            "Items": [
                {"Key": "revoked:old", "Value": str(NOW - 1)},
                {"Key": "revoked:live", "Value": str(NOW + 60)},
                {"Key": revocation.DEFAULT_SECRET_KEY, "Value": SECRET},
            ],
        },
        {"KvsARN": KVS_ARN},
    )
    stubber.add_response(
        "list_keys",
        {"Items": [{"Key": "revoked-user:u", "Value": f"{NOW}.{NOW - 100}"}]},
        {"KvsARN": KVS_ARN, "NextToken": "page2"},
    )
    expect_describe(stubber, "E1")
    expect_update(stubber, "E1", "E2", Deletes=[{"Key": "revoked:old"}, {"Key": "revoked-user:u"}])
    deny = KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock())
    assert deny.purge_expired() == 2


def test_kvs_needs_awscrt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without awscrt the KeyValueStore deny-list refuses to start and names the extra."""
    monkeypatch.setattr(kvs, "crt_available", lambda: False)
    with pytest.raises(ConfigurationError, match=r"pip install 'cfcookies\[crt\]'"):
        KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=object())


def test_awscrt_is_detected_when_installed() -> None:
    """crt_available reports the awscrt that the test environment installs."""
    assert aws.crt_available()


@pytest.mark.parametrize(
    "arn",
    [
        pytest.param("", id="empty"),
        pytest.param("arn:aws:s3:::bucket", id="s3-arn"),
        pytest.param("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", id="bare-id"),
    ],
)
def test_kvs_arn_is_validated(arn: str) -> None:
    """Anything but a KeyValueStore ARN is refused at construction."""
    with pytest.raises(ConfigurationError, match="KeyValueStore ARN"):
        KeyValueStoreDenyList(kvs_arn=arn, client=object())


def test_kvs_full_store_is_a_typed_error_with_the_remedy(kvs_client: tuple[Any, Stubber]) -> None:
    """A store past its 5 MB (ServiceQuotaExceededException) raises DenyListFullError, which
    says the revocation was not recorded and what to do."""

    client, stubber = kvs_client
    expect_describe(stubber, "E1")
    stubber.add_client_error(
        "update_keys", service_error_code="ServiceQuotaExceededException", http_status_code=402
    )
    deny = KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock())
    with pytest.raises(DenyListFullError, match=r"not recorded.*revoke purge"):
        deny.revoke_session("sess-1", until=NOW + 60)


def test_kvs_nearly_full_store_is_warned_about(
    kvs_client: tuple[Any, Stubber], caplog: pytest.LogCaptureFixture
) -> None:
    """A write that leaves the store past 80 % of 5 MB logs a warning with the size."""
    client, stubber = kvs_client
    expect_describe(stubber, "E1")
    stubber.add_response(
        "update_keys",
        {"ItemCount": 100_000, "TotalSizeInBytes": 4_500_000, "ETag": "E2"},
        {
            "KvsARN": KVS_ARN,
            "IfMatch": "E1",
            "Puts": [{"Key": "revoked:s", "Value": str(NOW + 60)}],
        },
    )
    KeyValueStoreDenyList(kvs_arn=KVS_ARN, client=client, clock=FakeClock()).revoke_session(
        "s", until=NOW + 60
    )
    [record] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert record.event == "cfcookies.deny_list.nearly_full"  # type: ignore[attr-defined]
    assert "4500000" in record.getMessage()
