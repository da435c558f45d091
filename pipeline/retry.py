"""Waiting out transient outages inside DoFns: capped exponential backoff with jitter, no time limit.

A streaming job must survive Elasticsearch or Kafka being away for a minute or a day: a DoFn that
raised would fail its bundle, and a runner such as Prism then fails the whole job (ADR 0006). So
every call to an outside service that can fail *transiently* goes through :func:`retry_forever`,
which keeps trying with :class:`Backoff` delays and reports through an :class:`OutageLog`: one line
when the service becomes unavailable, a reminder every so often, one line when it is back. Errors
that are not transient are re-raised at once for the caller to dead-letter or to surface as a bug.

While a DoFn waits here its bundle does not finish, so the Kafka reader fused with it (or waiting
for its output) pulls nothing more: memory stays bounded by the records already in flight.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "Backoff",
    "OutageLog",
    "ShuttingDown",
    "is_transient_kafka_error",
    "quiet_client_loggers",
    "request_shutdown",
    "reset_shutdown",
    "retry_forever",
    "wait",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_SHUTDOWN = threading.Event()


class ShuttingDown(RuntimeError):
    """Raised from a retry wait once this process is stopping its job (cancel, Ctrl-C): the bundle
    is abandoned quietly; nothing was acknowledged, so the records are read again next time."""


def request_shutdown() -> None:
    """Tell every retry loop in this process to give up at its next wait (the job is being cancelled)."""
    _SHUTDOWN.set()


def reset_shutdown() -> None:
    """Allow retries again (a supervisor starting a new job in the same process)."""
    _SHUTDOWN.clear()


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``attempt`` (1-based): ``base * 2**(attempt-1)`` capped at ``cap``, with
    full jitter between half and all of it so many workers do not retry in step."""

    base_s: float = 0.5
    cap_s: float = 30.0

    def delay(self, attempt: int, rng: Callable[[float, float], float] = random.uniform) -> float:
        raw = min(self.cap_s, self.base_s * 2 ** max(0, min(attempt - 1, 30)))
        return float(raw * rng(0.5, 1.0))


class OutageLog:
    """One log line per change of a dependency's availability, plus a reminder while it lasts.

    Used by every retrying DoFn (one instance per dependency and DoFn instance): ``failed`` on each
    failed attempt, ``recovered`` after a success. Lines read like
    ``elasticsearch unavailable (ConnectionError: ...): retrying; check `newsmon services status```,
    ``elasticsearch still unavailable after 42 s, retrying`` and
    ``elasticsearch available again after 61 s``.
    """

    def __init__(
        self,
        what: str,
        hint: str = "",
        remind_every_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger | None = None,
    ) -> None:
        self.what = what
        self.hint = hint
        self.remind_every_s = remind_every_s
        self._clock = clock
        self._log = log or logger
        self.since: float | None = None
        self._last_line = 0.0
        self.outages = 0

    @property
    def unavailable(self) -> bool:
        return self.since is not None

    def failed(self, error: str) -> None:
        now = self._clock()
        if self.since is None:
            quiet_client_loggers()
            self.since = now
            self._last_line = now
            self.outages += 1
            hint = f"; {self.hint}" if self.hint else ""
            self._log.warning("%s unavailable (%s): retrying without time limit%s", self.what, error, hint)
        elif now - self._last_line >= self.remind_every_s:
            self._last_line = now
            self._log.warning(
                "%s still unavailable after %.0f s, retrying (%s)", self.what, now - self.since, error
            )

    def recovered(self) -> None:
        if self.since is not None:
            self._log.warning("%s available again after %.0f s", self.what, self._clock() - self.since)
            self.since = None


def quiet_client_loggers() -> None:
    """Silence the Kafka and Elasticsearch clients' own per-attempt warnings and tracebacks while a
    service is away: :class:`OutageLog` reports the outage in one line instead."""
    for name in ("kafka", "elastic_transport"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def is_transient_kafka_error(exc: Exception) -> bool:
    """Kafka errors worth waiting out: every ``KafkaError`` except a record too large for the broker
    (which no retry can fix). Authorisation errors count as transient: an operator fixes the ACL."""
    from kafka.errors import KafkaError, MessageSizeTooLargeError, RecordListTooLargeError

    if isinstance(exc, MessageSizeTooLargeError | RecordListTooLargeError):
        return False
    return isinstance(exc, KafkaError | ConnectionError | TimeoutError)


def retry_forever(
    operation: Callable[[], T],
    is_transient: Callable[[Exception], bool],
    outage: OutageLog,
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] | None = None,
    on_retry: Callable[[Exception], None] | None = None,
) -> T:
    """Run ``operation`` until it succeeds; wait out transient errors, re-raise the others.

    ``on_retry`` runs after each transient failure (e.g. to rebuild a client that may be broken).
    Raises :class:`ShuttingDown` if the process asked its retry loops to stop.
    """
    backoff = backoff or Backoff()
    attempt = 0
    while True:
        try:
            result = operation()
        except Exception as exc:
            if not is_transient(exc):
                raise
            attempt += 1
            outage.failed(f"{type(exc).__name__}: {str(exc)[:200]}")
            if on_retry is not None:
                on_retry(exc)
            wait(backoff.delay(attempt), sleep)
            continue
        outage.recovered()
        return result


def wait(seconds: float, sleep: Callable[[float], None] | None = None) -> None:
    """Wait ``seconds`` (or call an injected ``sleep``); raise :class:`ShuttingDown` if the process
    asked its retry loops to stop, immediately rather than at the end of a long wait."""
    if sleep is None:
        if _SHUTDOWN.wait(seconds):
            raise ShuttingDown("job is stopping")
        return
    sleep(seconds)
    if _SHUTDOWN.is_set():
        raise ShuttingDown("job is stopping")
