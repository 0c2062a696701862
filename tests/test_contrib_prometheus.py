"""cfcookies.contrib.prometheus: the on_metric hook that feeds prometheus_client, read back
through prometheus_client's own registry and text exposition."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from cfcookies.contrib.prometheus import SIGNING_BUCKETS, PrometheusMetrics
from cfcookies.keys import PrivateKey
from cfcookies.metrics import METRICS
from tests.browser_jar_support import make_browser
from tests.support import FakeClock


def test_every_counter_and_the_signing_histogram_match_the_snapshot(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    registry = CollectorRegistry()
    browser = make_browser("asgi", rsa_key, clock, on_metric=PrometheusMetrics(registry=registry))
    browser.get("/login?user=ben")
    clock.advance(25 * 60)
    browser.get("/page")
    browser.get("/logout")
    assert browser.cookies is not None
    snapshot = browser.cookies.metrics.snapshot()
    for name, (kind, _) in METRICS.items():
        if kind == "counter":
            assert registry.get_sample_value(f"cfcookies_{name}_total") == snapshot[name], name
    assert registry.get_sample_value("cfcookies_grants_total") == 1
    assert registry.get_sample_value("cfcookies_renewals_total") == 1
    assert registry.get_sample_value("cfcookies_logouts_total") == 1
    assert registry.get_sample_value("cfcookies_signatures_total") == 4
    assert registry.get_sample_value("cfcookies_signing_seconds_count") == 4
    assert registry.get_sample_value("cfcookies_signing_seconds_sum") == pytest.approx(
        snapshot["signing_seconds_sum"]
    )
    assert registry.get_sample_value("cfcookies_signing_seconds_bucket", {"le": "+Inf"}) == 4


def test_the_exposition_names_and_describes_each_metric(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    registry = CollectorRegistry()
    PrometheusMetrics(registry=registry, namespace="media")
    families = {
        family.name: family
        for family in text_string_to_metric_families(generate_latest(registry).decode())
    }
    for name, (kind, meaning) in METRICS.items():
        family = families[f"media_{name}"]
        assert family.type == ("counter" if kind == "counter" else "histogram")
        assert family.documentation == meaning
    buckets = [
        float(s.labels["le"]) for s in families["media_signing_seconds"].samples if "le" in s.labels
    ]
    assert buckets[:-1] == list(SIGNING_BUCKETS)


def test_registering_twice_in_one_registry_is_prometheus_clients_error() -> None:
    registry = CollectorRegistry()
    PrometheusMetrics(registry=registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        PrometheusMetrics(registry=registry)


def test_two_middlewares_may_share_one_instance(rsa_key: PrivateKey, clock: FakeClock) -> None:
    registry = CollectorRegistry()
    hook = PrometheusMetrics(registry=registry)
    for _ in range(2):
        make_browser("wsgi", rsa_key, clock, on_metric=hook).get("/login?user=ana")
    assert registry.get_sample_value("cfcookies_grants_total") == 2


def test_the_repr_counts_what_it_feeds() -> None:
    hook = PrometheusMetrics(registry=CollectorRegistry())
    assert repr(hook) == "PrometheusMetrics(19 counters, 1 timings)"
