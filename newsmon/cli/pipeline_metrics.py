"""Prometheus export for the supervised pipeline: the job's Beam metrics and the consumer lag."""

from __future__ import annotations

import logging
import time
from typing import Any

from newsmon.core.prometheus import MetricsExporter
from newsmon.core.settings import Settings

__all__ = ["PipelineMetrics"]

logger = logging.getLogger(__name__)

# Beam distributions are exported as gauges of their running count/sum/max; counters as counters.
_DISTRIBUTION_SUFFIXES = (".count", ".sum", ".max")


class PipelineMetrics:
    """Used by ``newsmon pipeline run`` / ``newsmon run``: serves ``/metrics`` on loopback and
    updates it from each supervisor tick (job metrics) and every ``lag_every_s`` (consumer lag)."""

    def __init__(self, settings: Settings, port: int, host: str = "127.0.0.1", lag_every_s: float = 15.0):
        self._settings = settings
        self._exporter = MetricsExporter()
        self.port = self._exporter.start(host=host, port=port)
        self._lag_every_s = lag_every_s
        self._last_lag = 0.0

    def on_metrics(self, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            metric = name.replace(".", "_")
            if name.endswith(_DISTRIBUTION_SUFFIXES):
                self._exporter.set_gauge(f"pipeline_{metric}", value)
            else:
                self._exporter.set_counter_total(f"pipeline_{metric}", max(0.0, value))

    def on_tick(self, job: Any) -> None:
        self._exporter.set_gauge("pipeline_job_running", 1.0 if job.is_running() else 0.0)
        if time.monotonic() - self._last_lag < self._lag_every_s:
            return
        self._last_lag = time.monotonic()
        from newsmon.core.kafka_lag import KafkaUnavailable, TopicNotFound, consumer_lag

        kafka = self._settings.kafka
        try:
            lags = consumer_lag(kafka, kafka.articles_topic, kafka.consumer_group, timeout_s=5)
        except (KafkaUnavailable, TopicNotFound) as exc:
            logger.debug("consumer lag unavailable: %s", exc)
            return
        for lag in lags:
            self._exporter.set_gauge(
                "consumer_lag",
                float(lag.lag),
                {"topic": kafka.articles_topic, "partition": str(lag.partition)},
            )

    def stop(self) -> None:
        self._exporter.stop()
