"""Counters of the delivery service, shown in its progress lines and exported to Prometheus as
``newsmon_notify_deliveries_total{outcome=...}`` and ``newsmon_notify_alerts_consumed_total``."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["OUTCOMES", "Counters"]

OUTCOMES = ("delivered", "failed", "retried", "dead", "skipped")


class Counters:
    """Running totals since the service started (thread-safe): deliveries by outcome (``failed``
    counts failed attempts, ``retried`` the retries scheduled after them) and alerts consumed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, int] = dict.fromkeys((*OUTCOMES, "consumed"), 0)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] += amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)

    def export(self, exporter: Any) -> None:
        """Hand the totals to a :class:`newsmon.core.prometheus.MetricsExporter`."""
        values = self.snapshot()
        for outcome in OUTCOMES:
            exporter.set_counter_total(
                "notify_deliveries",
                values[outcome],
                {"outcome": outcome},
                "Alert deliveries by outcome (failed: failed attempts; retried: retries scheduled)",
            )
        exporter.set_counter_total(
            "notify_alerts_consumed",
            values["consumed"],
            documentation="Alert messages read from the alerts topic",
        )
