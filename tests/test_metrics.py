"""cfcookies.metrics: the counters, the on_metric hook, and what moves them, through every
adapter (the deny-list writer's and the key ring's counts are tested with them, in
test_revocation_writer.py and test_aws_refresh.py)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections import Counter
from typing import Any

import pytest

from cfcookies.exceptions import ConfigurationError
from cfcookies.keys import PrivateKey
from cfcookies.metrics import METRICS, Metrics
from cfcookies.policy import Policy
from cfcookies.session import CloudFrontCookies
from cfcookies.signing import Signer
from tests.browser_jar_support import Browser, base_options, make_browser
from tests.support import FakeClock


class Recorder:
    """An on_metric hook that adds up what it is told, per metric."""

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()
        self.calls: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def __call__(self, name: str, value: float) -> None:
        with self._lock:
            self.calls.append((name, value))
            if METRICS[name][0] == "counter":
                self.totals[name] += int(value)
            else:
                self.totals[name + "_count"] += 1

    def counts(self, *names: str) -> tuple[int, ...]:
        return tuple(self.totals[name] for name in names)


# --- the counters themselves ------------------------------------------------------------------


def test_counts_and_timings_add_up_and_the_snapshot_gives_the_hit_ratio() -> None:
    metrics = Metrics()
    assert metrics.snapshot()["signature_cache_hit_ratio"] == 0.0
    metrics.count("signatures")
    metrics.count("signature_cache_hits", 3)
    metrics.observe("signing_seconds", 0.001)
    metrics.observe("signing_seconds", 0.003)
    snapshot = metrics.snapshot()
    assert snapshot["signatures"] == 1
    assert snapshot["signature_cache_hits"] == 3
    assert snapshot["signature_cache_hit_ratio"] == 0.75
    assert snapshot["signing_seconds_count"] == 2
    assert snapshot["signing_seconds_sum"] == pytest.approx(0.004)
    assert set(snapshot) == (
        {name for name, (kind, _) in METRICS.items() if kind == "counter"}
        | {"signing_seconds_count", "signing_seconds_sum", "signature_cache_hit_ratio"}
    )


def test_the_hook_receives_each_change_as_it_happens() -> None:
    recorder = Recorder()
    metrics = Metrics(recorder)
    metrics.count("grants")
    metrics.count("folders_issued", 2)
    metrics.observe("signing_seconds", 0.25)
    assert recorder.calls == [("grants", 1), ("folders_issued", 2), ("signing_seconds", 0.25)]


def test_a_hook_that_raises_is_logged_once_per_metric_and_never_fails_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(name: str, value: float) -> None:
        raise RuntimeError("statsd is down")

    metrics = Metrics(broken)
    with caplog.at_level(logging.ERROR, logger="cfcookies"):
        for _ in range(3):
            metrics.count("grants")
        metrics.count("renewals")
    assert metrics.value("grants") == 3
    records = [
        r for r in caplog.records if r.__dict__.get("event") == "cfcookies.metrics.hook_failed"
    ]
    assert [r.__dict__["metric"] for r in records] == ["grants", "renewals"]


@pytest.mark.parametrize("hook", [pytest.param(5, id="number"), pytest.param("x", id="text")])
def test_a_hook_that_is_not_callable_is_refused_at_start_up(
    rsa_key: PrivateKey, clock: FakeClock, hook: Any
) -> None:
    with pytest.raises(ConfigurationError, match="on_metric must be a callable"):
        CloudFrontCookies(**base_options(rsa_key, clock), on_metric=hook)


def test_counts_from_many_threads_are_not_lost() -> None:
    recorder = Recorder()
    metrics = Metrics(recorder)

    def work() -> None:
        for _ in range(2000):
            metrics.count("renewals")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert metrics.value("renewals") == 16000
    assert recorder.counts("renewals") == (16000,)


def test_importing_cfcookies_imports_no_metrics_client() -> None:
    """The Prometheus adapter is an extra: ``import cfcookies`` (and its metrics) never
    imports prometheus_client, a framework or botocore."""
    code = (
        "import sys, cfcookies, cfcookies.metrics, cfcookies.session; "
        "print(sorted(m for m in ('prometheus_client', 'starlette', 'flask', 'django', "
        "'botocore') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


# --- the signer ----------------------------------------------------------------------------


def test_a_signature_is_counted_with_its_time_and_a_cached_one_as_a_hit(
    signer: Signer, clock: FakeClock
) -> None:
    policy = Policy.custom(
        "https://media.example.test/videos/course-1/*", date_less_than=clock.epoch + 600
    )
    signer.sign_policy(policy)
    signer.sign_policy(policy)
    signer.sign_policy(policy.to_json())
    snapshot = signer.metrics.snapshot()
    assert (snapshot["signatures"], snapshot["signature_cache_hits"]) == (1, 2)
    assert (signer.misses, signer.hits) == (1, 2)
    assert snapshot["signing_seconds_count"] == 1
    assert 0 < snapshot["signing_seconds_sum"] < 5


def test_threads_waiting_for_one_signature_count_hits_not_signatures(signer: Signer) -> None:
    """Single-flight: one signature computed, the others answered from it."""
    barrier = threading.Barrier(6)
    policy = b'{"Statement":[{"Resource":"https://m.example.test/a/*"}]}'

    def sign() -> None:
        barrier.wait()
        signer.signature(policy)

    threads = [threading.Thread(target=sign) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (signer.metrics.value("signatures"), signer.metrics.value("signature_cache_hits")) == (
        1,
        5,
    )


# --- through every adapter --------------------------------------------------------------------


def test_a_sessions_life_is_counted_once_through_every_adapter(
    driver: str, declarative: bool, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """A login signs; a second session's login into the same folder hits the cache; a
    steady request counts nothing; a renewal signs again; a logout revokes. The hook and the
    snapshot agree, and every response is counted once (the ASGI adapter included)."""
    recorder = Recorder()
    browser = make_browser(driver, rsa_key, clock, declarative=declarative, on_metric=recorder)
    other = Browser(browser.send, clock, browser.public_keys, browser.cookies)
    # (the Django driver builds its middleware, so its caches, anew for every request)
    shared_cache = driver != "django"

    browser.get("/login?user=ana")
    assert recorder.counts("grants", "folders_issued", "signatures") == (1, 1, 1)
    assert recorder.counts("signing_seconds_count") == (1,)
    other.get("/login?user=ana")
    assert recorder.counts("grants", "folders_issued") == (2, 2)
    if shared_cache:
        assert recorder.counts("signatures", "signature_cache_hits") == (1, 1)
    browser.get("/page")
    assert recorder.counts("grants", "renewals", "folders_issued") == (2, 0, 2)
    clock.advance(25 * 60)
    browser.get("/page")
    assert recorder.counts("renewals", "folders_issued") == (1, 3)
    if shared_cache:
        assert recorder.counts("signatures", "signature_cache_hits") == (2, 1)
    browser.get("/logout")
    assert recorder.counts("revocations", "logouts", "renewals", "grants") == (1, 1, 1, 2)
    assert recorder.totals["signatures"] == recorder.totals["signing_seconds_count"]
    if browser.cookies is not None:
        snapshot = browser.cookies.metrics.snapshot()
        for name, total in recorder.totals.items():
            assert snapshot[name] == total, name


def test_a_revoked_folder_counts_a_revocation_not_a_logout(
    driver: str, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    recorder = Recorder()
    browser = make_browser(driver, rsa_key, clock, on_metric=recorder)
    browser.get("/login?user=ben")
    browser.get("/drop?p=/videos/course-2")
    assert recorder.counts("grants", "revocations", "logouts", "folders_issued") == (1, 1, 0, 3)
    assert browser.opens("/docs/handbook/a.pdf")
    assert not browser.opens("/videos/course-2/a.ts")


def test_a_grants_callable_answering_beyond_the_limits_counts_a_refusal(
    rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    browser = make_browser(
        "wsgi", rsa_key, clock, declarative=True, max_prefixes=1, on_metric=recorder
    )
    with caplog.at_level(logging.ERROR, logger="cfcookies"):
        browser.get("/login?user=ben")  # two folders, one allowed
    assert recorder.counts("grants_refused", "grants", "signatures") == (1, 0, 0)


def test_the_repr_names_the_hook_only() -> None:
    assert repr(Metrics()) == "Metrics(hook=None)"
