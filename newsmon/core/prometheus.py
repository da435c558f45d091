"""Expose newsmon numbers to Prometheus on ``http://HOST:PORT/metrics``.

    exporter = MetricsExporter()
    port = exporter.start(port=9464)          # loopback only unless host= says otherwise
    exporter.set_counter_total("records_read", 10, {"step": "kafka_source"})
    exporter.set_gauge("consumer_lag", 3, {"partition": "0"})
    ...
    exporter.stop()

Names get the ``newsmon_`` prefix; counters are exposed with the ``_total`` suffix.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["PREFIX", "MetricsExporter"]

logger = logging.getLogger(__name__)

PREFIX = "newsmon_"
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_Kind = Literal["counter", "gauge"]


@dataclass
class _Family:
    kind: _Kind
    documentation: str
    labelnames: tuple[str, ...]
    samples: dict[tuple[str, ...], float] = field(default_factory=dict)


class _LatestValues(Collector):
    """Yields the last value set for every (metric, labels) at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._families: dict[str, _Family] = {}

    def set(
        self, kind: _Kind, name: str, value: float, labels: Mapping[str, str], documentation: str
    ) -> None:
        labelnames = tuple(sorted(labels))
        bad = [n for n in labelnames if not _LABEL.match(n) or n.startswith("__")]
        if bad:
            raise ValueError(f"metric {name}: invalid label name(s) {', '.join(bad)}")
        with self._lock:
            family = self._families.setdefault(name, _Family(kind, documentation or name, labelnames))
            if family.kind != kind:
                raise ValueError(f"metric {name} is a {family.kind}, not a {kind}")
            if family.labelnames != labelnames:
                raise ValueError(
                    f"metric {name} has labels {list(family.labelnames)}, not {list(labelnames)}"
                )
            family.samples[tuple(str(labels[n]) for n in labelnames)] = float(value)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            snapshot = [
                (n, f.kind, f.documentation, f.labelnames, dict(f.samples)) for n, f in self._families.items()
            ]
        for name, kind, documentation, labelnames, samples in snapshot:
            metric: CounterMetricFamily | GaugeMetricFamily
            if kind == "counter":
                metric = CounterMetricFamily(name, documentation, labels=labelnames)
            else:
                metric = GaugeMetricFamily(name, documentation, labels=labelnames)
            for values, value in samples.items():
                metric.add_metric(list(values), value)
            yield metric


class MetricsExporter:
    """A ``/metrics`` endpoint with its own registry, for long-running newsmon processes.

    Used where a process has numbers worth scraping, chiefly the pipeline supervisor (Beam metric
    totals of the running job, consumer lag). Its private ``CollectorRegistry`` keeps it free of the
    process-wide default collectors and lets several exporters live in one process (tests).

    **Counters.** Beam reports metrics as cumulative totals per job, not as increments, and a
    ``prometheus_client.Counter`` can only be incremented. Subtracting the previous total to feed
    ``inc()`` would break when a restarted job reports from zero again, and a ``Gauge`` would expose
    a total with the wrong type (no ``_total`` suffix; ``rate()`` and ``increase()`` are meant for
    counters). So :meth:`set_counter_total` stores the latest total and a custom collector exposes it
    at scrape time as a true counter (``# TYPE ..._total counter``). A job restart then shows as a
    counter reset, which ``rate()`` and ``increase()`` handle by design.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._values = _LatestValues()
        self.registry.register(self._values)
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int | None:
        """The bound port while serving, else None."""
        return int(self._server.server_port) if self._server else None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve ``/metrics`` on ``host:port`` in a daemon thread; ``port=0`` picks a free port.

        Returns the bound port. Raises ``OSError`` if the address is taken, ``RuntimeError`` if
        already started.
        """
        if self._server is not None:
            raise RuntimeError(f"metrics exporter already serving on port {self.port}")
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        logger.info("metrics exporter listening host=%s port=%s", host, self.port)
        return int(self._server.server_port)

    def stop(self) -> None:
        """Stop serving and release the port (no-op when not started)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def set_counter_total(
        self, name: str, value: float, labels: Mapping[str, str] | None = None, documentation: str = ""
    ) -> None:
        """Report the current cumulative total of a counter (exposed as ``newsmon_<name>_total``).

        ``value`` must be finite and non-negative; a smaller value than before means the counted
        thing started again (a job restart) and is seen by Prometheus as a counter reset.
        """
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"counter {name}: total must be a finite number >= 0, got {value!r}")
        base = _metric_name(name)
        base = base.removesuffix("_total")
        self._values.set("counter", base, value, labels or {}, documentation)

    def set_gauge(
        self, name: str, value: float, labels: Mapping[str, str] | None = None, documentation: str = ""
    ) -> None:
        """Report the current value of a gauge (exposed as ``newsmon_<name>``)."""
        self._values.set("gauge", _metric_name(name), value, labels or {}, documentation)


def _metric_name(name: str) -> str:
    full = name if name.startswith(PREFIX) else PREFIX + name
    if not _NAME.match(full):
        raise ValueError(f"invalid metric name {name!r}: use letters, digits and underscores")
    return full
