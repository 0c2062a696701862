"""cfcookies.aws.refresh: RefreshingKeyRing against moto's server on 127.0.0.1 (its faults are in
test_key_refresh_faults.py)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest

from cfcookies import aws
from cfcookies.exceptions import ConfigurationError, KeyLoadError, NaiveDatetimeError
from cfcookies.keys import PrivateKey, generate_private_key, key_fingerprint
from cfcookies.metrics import Metrics
from tests.aws_support import NEW_ID, OLD_ID, json_secret, pem
from tests.moto_server import MotoServer
from tests.support import FakeClock


def test_ring_picks_up_a_rotated_secret_once_the_interval_has_passed(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """After the secret is rotated, the ring reads it in the background once the interval has
    passed, signs with the new key, and still trusts the old key for verification; the
    metrics it is attached to count the read and the change."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=json_secret(OLD_ID, old_rsa_key))
    ring = aws.RefreshingKeyRing(
        "secretsmanager:app/key",
        refresh_interval=timedelta(minutes=5),
        endpoint_url=server.endpoint_url,
        clock=clock,
    )
    metrics = Metrics()
    ring.attach_metrics(metrics)
    ring.attach_metrics(metrics)  # (attached twice, as two middlewares on one ring: counted once)
    assert ring.active().key_pair_id == OLD_ID
    secrets.put_secret_value(SecretId="app/key", SecretString=json_secret(NEW_ID, rsa_key))
    clock.advance(299)
    assert ring.active().key_pair_id == OLD_ID
    assert not ring.refreshing
    clock.advance(1)
    assert ring.active().key_pair_id == OLD_ID  # the read runs in the background
    assert ring.wait_for_refresh(10)
    assert ring.active().key_pair_id == NEW_ID
    assert ring.active().fingerprint == key_fingerprint(rsa_key)
    assert set(ring.public_keys) == {OLD_ID, NEW_ID}
    counts = metrics.snapshot()
    assert (counts["key_refreshes"], counts["key_changes"], counts["key_refresh_failures"]) == (
        1,
        1,
        0,
    )


def test_ring_keeps_the_last_good_key_when_the_secret_breaks(
    server: MotoServer,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A secret that no longer holds a key leaves the ring signing with the last good key and
    logs a warning that does not quote the secret."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=json_secret(OLD_ID, old_rsa_key))
    ring = aws.RefreshingKeyRing(
        "secretsmanager:app/key",
        refresh_interval=60,
        endpoint_url=server.endpoint_url,
        clock=clock,
    )
    metrics = Metrics()
    ring.attach_metrics(metrics)
    secrets.put_secret_value(SecretId="app/key", SecretString="hunter2-broken-value")
    clock.advance(60)
    with caplog.at_level(logging.WARNING, logger="cfcookies.aws"):
        assert ring.active().key_pair_id == OLD_ID
        assert ring.wait_for_refresh(10)
        assert ring.active().key_pair_id == OLD_ID
    assert "could not refresh the signing key from secretsmanager:app/key" in caplog.text
    events = [r.__dict__.get("event") for r in caplog.records if r.name == "cfcookies.aws"]
    assert events == ["cfcookies.keys.refresh_failed"]
    assert "hunter2" not in caplog.text
    assert ring.last_error is not None
    assert ring.last_refreshed_at < ring.last_refresh_attempt
    assert (metrics.value("key_refresh_failures"), metrics.value("key_refreshes")) == (1, 0)


def test_ring_refuses_a_new_key_under_the_old_key_pair_id(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A bare key replaced in place (same key pair ID, other key) is not adopted: CloudFront
    would reject its signatures."""
    secrets = server.client("secretsmanager")
    secrets.create_secret(Name="app/key", SecretString=pem(old_rsa_key))
    ring = aws.RefreshingKeyRing(
        "secretsmanager:app/key",
        key_pair_id=OLD_ID,
        endpoint_url=server.endpoint_url,
        clock=clock,
    )
    secrets.put_secret_value(SecretId="app/key", SecretString=pem(rsa_key))
    with pytest.raises(KeyLoadError, match="same key pair ID"):
        ring.refresh(raise_errors=True)
    assert ring.active().fingerprint == key_fingerprint(old_rsa_key)


def test_ring_reads_a_parameter_and_refresh_reports_a_change(
    server: MotoServer,
    rsa_key: PrivateKey,
    old_rsa_key: PrivateKey,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """refresh() re-reads at once and tells whether the signing key changed; a read that
    finds the same key is logged at DEBUG (``cfcookies.keys.refreshed``)."""
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/k", Value=json_secret(OLD_ID, old_rsa_key), Type="SecureString")
    ring = aws.RefreshingKeyRing("ssm:/k", endpoint_url=server.endpoint_url, clock=clock)
    with caplog.at_level(logging.DEBUG, logger="cfcookies.aws"):
        assert ring.refresh() is False
    [refreshed] = [
        r for r in caplog.records if r.__dict__.get("event") == "cfcookies.keys.refreshed"
    ]
    assert (refreshed.levelname, refreshed.__dict__["key_pair_id"]) == ("DEBUG", OLD_ID)
    ssm.put_parameter(
        Name="/k", Value=json_secret(NEW_ID, rsa_key), Type="SecureString", Overwrite=True
    )
    assert ring.refresh() is True
    assert ring.active().key_pair_id == NEW_ID


@pytest.mark.parametrize(
    ("limit", "trusted"),
    [
        pytest.param(None, 4, id="default-four"),
        pytest.param(1, 1, id="one"),
        pytest.param(6, 5, id="raised-quota"),
    ],
)
def test_ring_trusts_the_newest_replaced_keys_up_to_max_previous_keys(
    server: MotoServer, clock: FakeClock, limit: int | None, trusted: int
) -> None:
    """After five rotations the ring still verifies with the newest ``max_previous_keys``
    replaced keys (default 4: the default quota of five keys per group, less the signing key)."""
    ssm = server.client("ssm")
    ids = [f"K{i}ROTATED" for i in range(6)]
    keys = [generate_private_key("ecdsa") for _ in ids]
    ssm.put_parameter(Name="/k", Value=json_secret(ids[0], keys[0]), Type="SecureString")
    ring = (
        aws.RefreshingKeyRing("ssm:/k", endpoint_url=server.endpoint_url, clock=clock)
        if limit is None
        else aws.RefreshingKeyRing(
            "ssm:/k", endpoint_url=server.endpoint_url, clock=clock, max_previous_keys=limit
        )
    )
    for key_id, key in zip(ids[1:], keys[1:], strict=True):
        ssm.put_parameter(
            Name="/k", Value=json_secret(key_id, key), Type="SecureString", Overwrite=True
        )
        assert ring.refresh() is True
    assert set(ring.public_keys) == set(ids[-1 - trusted :])


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(-1, id="negative"),
        pytest.param(True, id="bool"),
        pytest.param(1.5, id="float"),
        pytest.param("4", id="text"),
    ],
)
def test_ring_refuses_a_bad_max_previous_keys_before_reading_anything(value: object) -> None:
    """max_previous_keys must be a whole number, 0 or more; checked before any AWS call."""
    with pytest.raises(ConfigurationError, match="max_previous_keys must be a whole number"):
        aws.RefreshingKeyRing("secretsmanager:app/key", max_previous_keys=value)  # type: ignore[arg-type]


def test_ring_without_a_key_pair_id_anywhere_fails_at_start(
    server: MotoServer, rsa_key: PrivateKey
) -> None:
    """A bare key with no key_pair_id= is a configuration error at start-up."""
    server.client("secretsmanager").create_secret(Name="bare", SecretString=pem(rsa_key))
    with pytest.raises(ConfigurationError, match="pass key_pair_id="):
        aws.RefreshingKeyRing("secretsmanager:bare", endpoint_url=server.endpoint_url)


def test_ring_with_a_naive_clock_fails_at_start(server: MotoServer, rsa_key: PrivateKey) -> None:
    """A clock that returns naive datetimes is refused."""
    server.client("secretsmanager").create_secret(
        Name="k", SecretString=json_secret(OLD_ID, rsa_key)
    )
    with pytest.raises(NaiveDatetimeError):
        aws.RefreshingKeyRing(
            "secretsmanager:k",
            endpoint_url=server.endpoint_url,
            clock=lambda: datetime(2026, 1, 1),
        )


def test_a_due_refresh_runs_in_one_background_thread_while_active_returns_at_once(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """While the background read waits on AWS for the new key, every call gets the current key
    at once and no second read starts; the new key is used once the read ends."""
    real = server.client("secretsmanager")
    real.create_secret(Name="k", SecretString=json_secret(OLD_ID, old_rsa_key))
    entered, release = threading.Event(), threading.Event()
    reader_threads: list[str] = []

    class SlowSecrets:
        def get_secret_value(self, **params: Any) -> Any:
            if ring_ready.is_set():
                reader_threads.append(threading.current_thread().name)
                entered.set()
                release.wait(10)
            return real.get_secret_value(**params)

    ring_ready = threading.Event()
    ring = aws.RefreshingKeyRing(
        "secretsmanager:k", refresh_interval=1, client=SlowSecrets(), clock=clock
    )
    ring_ready.set()
    real.put_secret_value(SecretId="k", SecretString=json_secret(NEW_ID, rsa_key))
    clock.advance(1)
    assert ring.active().key_pair_id == OLD_ID
    assert entered.wait(10)
    for _ in range(5):
        clock.advance(1)  # due again, but the first read is still running
        assert ring.active().key_pair_id == OLD_ID
    release.set()
    assert ring.wait_for_refresh(10)
    assert reader_threads == ["cfcookies-key-refresh secretsmanager:k"]
    ring.close()  # due again: closed, it starts no other read
    assert ring.active().key_pair_id == NEW_ID
    assert not ring.refreshing
    assert reader_threads == ["cfcookies-key-refresh secretsmanager:k"]
