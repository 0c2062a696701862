"""cfcookies' metrics as Prometheus metrics, through ``prometheus_client``.

``pip install "cfcookies[prometheus]"``, then pass an instance as ``on_metric=``::

    from cfcookies.contrib.prometheus import PrometheusMetrics

    app.add_middleware(CloudFrontCookiesMiddleware, ..., on_metric=PrometheusMetrics())

Each counter of :data:`cfcookies.metrics.METRICS` becomes a Prometheus counter
``cfcookies_<name>_total``; ``signing_seconds`` a histogram ``cfcookies_signing_seconds``.
They are ``prometheus_client``'s own metric objects, incremented as things happen, so its
multiprocess mode (gunicorn workers, ``PROMETHEUS_MULTIPROC_DIR``) adds them up across
processes. Expose them as you expose the app's other metrics (``make_asgi_app()``,
``make_wsgi_app()``, ``start_http_server()``). The signature cache's hit ratio is a query::

    rate(cfcookies_signature_cache_hits_total[5m])
      / (rate(cfcookies_signature_cache_hits_total[5m]) + rate(cfcookies_signatures_total[5m]))
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

from ..metrics import METRICS

__all__ = ["SIGNING_BUCKETS", "PrometheusMetrics"]

#: The histogram buckets of ``signing_seconds``: an ECDSA P-256 signature takes tens of
#: microseconds, an RSA-2048 one about a millisecond, more on a loaded machine.
SIGNING_BUCKETS: tuple[float, ...] = (
    0.000025,
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.1,
)


class PrometheusMetrics:
    """An ``on_metric`` hook that feeds ``prometheus_client`` counters and a histogram.

    ``registry`` is where the metrics are registered (the default registry unless given);
    ``namespace`` prefixes their names. One instance per registry: registering the same names
    twice is an error of ``prometheus_client``'s. Two middlewares in one process can share an
    instance (their counts add up).
    """

    def __init__(
        self,
        *,
        registry: CollectorRegistry = REGISTRY,
        namespace: str = "cfcookies",
        buckets: Sequence[float] = SIGNING_BUCKETS,
    ) -> None:
        self.counters: dict[str, Counter] = {}
        self.histograms: dict[str, Histogram] = {}
        for name, (kind, meaning) in METRICS.items():
            if kind == "counter":
                self.counters[name] = Counter(name, meaning, namespace=namespace, registry=registry)
            else:
                self.histograms[name] = Histogram(
                    name, meaning, namespace=namespace, registry=registry, buckets=buckets
                )

    def __call__(self, name: str, value: float) -> None:
        counter = self.counters.get(name)
        if counter is not None:
            counter.inc(value)
        else:
            self.histograms[name].observe(value)

    def __repr__(self) -> str:
        return f"PrometheusMetrics({len(self.counters)} counters, {len(self.histograms)} timings)"
