"""``MetricsExporter`` served for real on loopback and scraped over HTTP."""

from __future__ import annotations

import math
from collections.abc import Iterator

import httpx
import pytest

from newsmon.core.prometheus import MetricsExporter


@pytest.fixture
def exporter() -> Iterator[MetricsExporter]:
    exp = MetricsExporter()
    yield exp
    exp.stop()


def _scrape(port: int) -> str:
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    response.raise_for_status()
    return response.text


def test_scrape_shows_counters_and_gauges_with_labels(exporter: MetricsExporter) -> None:
    port = exporter.start(port=0)
    assert port > 0 and exporter.port == port
    exporter.set_counter_total("records_read", 10, {"namespace": "kafka_source"}, "records read from Kafka")
    exporter.set_counter_total("records_read", 4, {"namespace": "dead_letter"})
    exporter.set_gauge("consumer_lag", 3, {"partition": "0", "topic": "articles"})

    text = _scrape(port)

    assert "# TYPE newsmon_records_read_total counter" in text
    assert "# HELP newsmon_records_read_total records read from Kafka" in text
    assert 'newsmon_records_read_total{namespace="kafka_source"} 10.0' in text
    assert 'newsmon_records_read_total{namespace="dead_letter"} 4.0' in text
    assert "# TYPE newsmon_consumer_lag gauge" in text
    assert 'newsmon_consumer_lag{partition="0",topic="articles"} 3.0' in text
    assert "python_gc" not in text  # own registry, not the process-wide default one


def test_totals_replace_previous_value_and_may_reset(exporter: MetricsExporter) -> None:
    port = exporter.start()
    exporter.set_counter_total("newsmon_documents_indexed_total", 12)
    exporter.set_counter_total("documents_indexed", 15)
    assert "newsmon_documents_indexed_total 15.0" in _scrape(port)
    exporter.set_counter_total("documents_indexed", 2)  # the job restarted: a counter reset
    assert "newsmon_documents_indexed_total 2.0" in _scrape(port)


def test_listens_on_loopback_only_by_default(exporter: MetricsExporter) -> None:
    exporter.start()
    assert exporter._server is not None
    assert exporter._server.server_address[0] == "127.0.0.1"


def test_stop_releases_the_port(exporter: MetricsExporter) -> None:
    port = exporter.start()
    exporter.stop()
    assert exporter.port is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
    again = MetricsExporter()
    try:
        assert again.start(port=port) == port
    finally:
        again.stop()


def test_busy_port_and_double_start(exporter: MetricsExporter) -> None:
    port = exporter.start()
    with pytest.raises(RuntimeError, match="already serving"):
        exporter.start()
    other = MetricsExporter()
    with pytest.raises(OSError):
        other.start(port=port)


@pytest.mark.parametrize("value", [-1.0, math.nan, math.inf])
def test_counter_totals_must_be_finite_and_non_negative(exporter: MetricsExporter, value: float) -> None:
    with pytest.raises(ValueError, match="finite number >= 0"):
        exporter.set_counter_total("x", value)


def test_inconsistent_metrics_are_refused(exporter: MetricsExporter) -> None:
    exporter.set_counter_total("records", 1, {"step": "a"})
    with pytest.raises(ValueError, match="has labels"):
        exporter.set_counter_total("records", 1, {"stage": "a"})
    with pytest.raises(ValueError, match="is a counter"):
        exporter.set_gauge("records", 1, {"step": "a"})
    with pytest.raises(ValueError, match="invalid metric name"):
        exporter.set_gauge("kafka_source.records_read", 1)
    with pytest.raises(ValueError, match="invalid label name"):
        exporter.set_gauge("lag", 1, {"bad-label": "x"})
