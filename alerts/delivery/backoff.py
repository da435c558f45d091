"""Retry timing and outage reporting of the delivery service (pure, thread-safe where it matters).

The idea is the pipeline's (``pipeline.retry``, which ``alerts`` may not import): capped exponential
backoff with jitter, and one calm log line per change of a dependency's availability.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Backoff", "OutageLog", "Retrier", "Stopping", "describe", "quiet_client_loggers"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``attempt`` (1-based): ``initial_s * 2**(attempt-1)`` capped at ``max_s``,
    times a random factor between 0.5 and 1 (jitter: many failing deliveries do not retry in step).
    Used for failed deliveries (delays persisted as ``next_attempt_at``) and for waiting out
    Elasticsearch and Kafka."""

    initial_s: float = 1.0
    max_s: float = 300.0

    def delay(self, attempt: int, rng: Callable[[float, float], float] = random.uniform) -> float:
        raw = min(self.max_s, self.initial_s * 2 ** max(0, min(attempt - 1, 40)))
        return float(raw * rng(0.5, 1.0))


def quiet_client_loggers() -> None:
    """Silence the Kafka and Elasticsearch clients' per-attempt warnings while a service is away:
    :class:`OutageLog` reports the outage in one line instead."""
    for name in ("kafka", "elastic_transport"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


class OutageLog:
    """One log line when ``what`` becomes unavailable, a reminder every ``remind_every_s``, one line
    when it is back. Used by the delivery service for Elasticsearch, Kafka and each receiver; safe
    to call from several threads."""

    def __init__(
        self,
        what: str,
        hint: str = "",
        remind_every_s: float = 60.0,
        log: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.hint = hint
        self.remind_every_s = remind_every_s
        self._log = log or logger
        self._clock = clock
        self._lock = threading.Lock()
        self.since: float | None = None
        self._last_line = 0.0

    @property
    def unavailable(self) -> bool:
        return self.since is not None

    def failed(self, error: str) -> None:
        with self._lock:
            now = self._clock()
            if self.since is None:
                quiet_client_loggers()
                self.since = self._last_line = now
                hint = f"; {self.hint}" if self.hint else ""
                self._log.warning("%s unavailable (%s): retrying with backoff%s", self.what, error, hint)
            elif now - self._last_line >= self.remind_every_s:
                self._last_line = now
                self._log.warning(
                    "%s still unavailable after %.0f s, retrying (%s)", self.what, now - self.since, error
                )

    def recovered(self) -> None:
        with self._lock:
            if self.since is not None:
                self._log.warning("%s available again after %.0f s", self.what, self._clock() - self.since)
                self.since = None


class Stopping(Exception):
    """Raised from a retry wait once the service is stopping: the work in hand is abandoned
    (nothing was recorded or committed for it, so it is picked up again after a restart)."""


T = TypeVar("T")


def describe(exc: BaseException) -> str:
    """``Type: message`` on one line, at most 200 characters (for outage lines)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= 200 else text[:199] + "…"


class Retrier:
    """Runs an operation until it succeeds, waiting out failures with :class:`Backoff` and reporting
    them through one :class:`OutageLog`; raises :class:`Stopping` when ``stop`` is set. Exceptions
    of ``passthrough`` types are the operation's answers, not failures: they are re-raised at once.
    Used by the delivery service around every Elasticsearch and Kafka call."""

    def __init__(
        self,
        outage: OutageLog,
        stop: threading.Event,
        backoff: Backoff | None = None,
        passthrough: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.outage = outage
        self.stop = stop
        self.backoff = backoff or Backoff(0.5, 30.0)
        self.passthrough = passthrough
        self._answers: tuple[type[BaseException], ...] = (Stopping, *passthrough)

    def call(self, operation: Callable[[], T]) -> T:
        attempt = 0
        while True:
            if self.stop.is_set():
                raise Stopping
            try:
                result = operation()
            except Exception as exc:
                if isinstance(exc, self._answers):
                    raise
                attempt += 1
                self.outage.failed(describe(exc))
                logger.debug("%s: attempt %d failed", self.outage.what, attempt, exc_info=True)
                if self.stop.wait(self.backoff.delay(attempt)):
                    raise Stopping from exc
                continue
            self.outage.recovered()
            return result
