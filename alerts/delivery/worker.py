"""Delivering due deliveries: claim, render, send, record; retries with backoff; dead letters.

A :class:`Dispatcher` runs a few worker threads over a queue fed by the consumer (new instant
deliveries, at once: the fast path) and by a poller (deliveries whose ``next_attempt_at`` has come:
retries, digests at the end of their period, and whatever a stopped service left behind).

Each attempt is *claimed* first: ``attempts`` + 1 and ``next_attempt_at`` = now + a lease, written
conditionally, so one worker of one process sends it. Then it is sent, then the outcome recorded. A
service that dies between sending and recording leaves the claim; when the lease has run out the
delivery is due again and is sent again with the same ``Idempotency-Key``: at least once, and a
receiver that keeps the keys it has seen drops the repeat. A new instant delivery is created
claimed for its first attempt by the intake (one write less on the fast path; ``Job.claimed``).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from alerts.delivery.backoff import Backoff, Retrier, Stopping
from alerts.delivery.channels import ChannelFactory, Outgoing, SendResult
from alerts.delivery.dead_letters import DeadLetters, delivery_dead_letter
from alerts.delivery.ids import delivery_id, digest_id
from alerts.delivery.metrics import Counters
from alerts.delivery.records import DeliveryRecord
from alerts.delivery.render import (
    DigestContent,
    digest_payload,
    instant_payload,
    render_digest,
    render_instant,
)
from alerts.delivery.store import Conflict, DeliveryStore, Stored
from alerts.delivery.subscriptions import SubscriptionCache
from alerts.model import AlertMessage, Channel, Subscription

__all__ = ["Deliverer", "Dispatcher", "Job", "channel_of"]

logger = logging.getLogger(__name__)


@dataclass
class Job:
    """A delivery to attempt, queued by the consumer (fast path: with the subscription, channel and
    message it already has) or by the poller (the stored record only)."""

    stored: Stored
    subscription: Subscription | None = None
    channel: Channel | None = None
    messages: dict[str, AlertMessage] = field(default_factory=dict)
    claimed: bool = False  # created claimed by the intake: this attempt is ours already


def channel_of(subscription: Subscription, record: DeliveryRecord) -> Channel | None:
    """The channel of ``subscription`` that ``record`` goes to: the one whose URL gives its delivery
    id, else None (removed or changed: a pending delivery is never redirected to another URL, since
    a redacted URL cannot tell a fixed password from a different destination)."""
    source = (
        record.alert_ids[0] if record.kind == "instant" else digest_id(subscription.id, record.period or "")
    )
    for channel in subscription.channels:
        if delivery_id(source, channel.url) == record.delivery_id:
            return channel
    return None


class Deliverer:
    """Attempts one delivery (see the module docstring) and records what happened; used by the
    dispatcher's worker threads. Elasticsearch and Kafka calls wait out outages (``es``,
    ``kafka``); a stopping service abandons the attempt (:class:`Stopping`)."""

    def __init__(
        self,
        store: DeliveryStore,
        subscriptions: SubscriptionCache,
        channels: ChannelFactory,
        dead_letters: DeadLetters,
        counters: Counters,
        es: Retrier,
        kafka: Retrier,
        backoff: Backoff,
        max_attempts: int,
        lease_s: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.subscriptions = subscriptions
        self.channels = channels
        self.dead_letters = dead_letters
        self.counters = counters
        self.es = es
        self.kafka = kafka
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.lease_s = lease_s
        self.clock = clock
        self._failing: set[str] = set()
        self._lock = threading.Lock()

    # --- one attempt

    def attempt(self, job: Job) -> None:
        stored = job.stored
        record = stored.record
        if record.final:
            return
        subscription = job.subscription or self.es.call(
            lambda: self.subscriptions.get(record.subscription_id)
        )
        channel = job.channel
        if subscription is None or not subscription.enabled:
            self._skip(stored, "subscription deleted" if subscription is None else "subscription disabled")
            return
        if channel is None:
            channel = channel_of(subscription, record)
            if channel is None:
                self._skip(stored, "channel removed from the subscription")
                return
        if job.claimed:
            result = self._send(record, subscription, channel, job.messages)
            self._record(stored, channel, result)
            return
        if record.attempts >= self.max_attempts:
            reason = (
                record.last_error or "the last attempt's outcome is unknown (the service stopped during it)"
            )
            self._dead(stored, reason)
            return
        now = self.clock()
        claim = record.but(
            attempts=record.attempts + 1,
            updated_at=now,
            next_attempt_at=now + timedelta(seconds=self.lease_s),
        )
        try:
            claimed = self.es.call(lambda: self.store.replace(stored, claim))
        except Conflict:
            return  # another worker has it
        result = self._send(claimed.record, subscription, channel, job.messages)
        self._record(claimed, channel, result)

    def _send(
        self,
        record: DeliveryRecord,
        subscription: Subscription,
        channel: Channel,
        known: dict[str, AlertMessage],
    ) -> SendResult:
        missing = [a for a in record.alert_ids if a not in known]
        messages = dict(known)
        if missing:
            messages.update(self.es.call(lambda: self.store.messages(missing)))
        outgoing = self._outgoing(record, subscription, messages)
        if outgoing is None:
            return SendResult(False, False, "alert message not found in the messages index")
        try:
            return self.channels.sender(channel).send(outgoing)
        except Exception as exc:  # a bug in a channel must not stop the worker
            logger.debug("sending %s failed", record.delivery_id, exc_info=True)
            return SendResult(False, False, f"{type(exc).__name__}: error while sending")

    def _outgoing(
        self, record: DeliveryRecord, subscription: Subscription, messages: dict[str, AlertMessage]
    ) -> Outgoing | None:
        if record.kind == "instant":
            message = messages.get(record.alert_ids[0])
            if message is None:
                return None
            return Outgoing(
                render_instant(message), instant_payload(message, record.delivery_id), record.delivery_id
            )
        listed = sorted((messages[a] for a in record.alert_ids if a in messages), key=lambda m: m.matched_at)
        if not listed:
            return None
        period = record.period or ""
        content = DigestContent(
            subscription_id=subscription.id,
            subscription_name=subscription.name,
            query=subscription.query,
            period=period,
            digest_id=digest_id(subscription.id, period),
            alerts=listed,
            total=len(record.alert_ids),
        )
        return Outgoing(
            render_digest(content), digest_payload(content, record.delivery_id), record.delivery_id
        )

    # --- outcomes

    def _save(self, stored: Stored, record: DeliveryRecord) -> None:
        try:
            self.es.call(lambda: self.store.replace(stored, record))
        except Conflict:
            # our lease ran out and another worker claimed it: it sends again under the same key
            logger.debug(
                "delivery %s changed while we sent it: leaving it to its new owner", record.delivery_id
            )

    def _record(self, stored: Stored, channel: Channel, result: SendResult) -> None:
        record = stored.record
        now = self.clock()
        if result.ok:
            self._save(
                stored,
                record.but(
                    status="delivered",
                    delivered_at=now,
                    updated_at=now,
                    next_attempt_at=None,
                    last_error=None,
                ),
            )
            self.counters.add("delivered")
            self._channel_ok(channel)
            logger.debug(
                "delivered %s %s to %s (attempt %d)",
                record.kind,
                record.delivery_id,
                record.channel,
                record.attempts,
            )
            return
        self.counters.add("failed")
        if result.permanent or record.attempts >= self.max_attempts:
            why = "refused" if result.permanent else f"failed {record.attempts} times"
            self._dead(stored, f"{why}: {result.error}")
            return
        delay = self.backoff.delay(record.attempts)
        self._save(
            stored,
            record.but(
                status="failed",
                last_error=result.error,
                updated_at=now,
                next_attempt_at=now + timedelta(seconds=delay),
            ),
        )
        self.counters.add("retried")
        self._channel_failing(channel, result.error)

    def _skip(self, stored: Stored, reason: str) -> None:
        now = self.clock()
        self._save(
            stored,
            stored.record.but(status="skipped", last_error=reason, updated_at=now, next_attempt_at=None),
        )
        self.counters.add("skipped")
        logger.debug("skipped %s: %s", stored.record.delivery_id, reason)

    def _dead(self, stored: Stored, reason: str) -> None:
        record = stored.record
        now = self.clock()
        letter = delivery_dead_letter(record, reason, now)
        self.kafka.call(lambda: self.dead_letters.publish(record.delivery_id, letter))
        self._save(stored, record.but(status="dead", last_error=reason, updated_at=now, next_attempt_at=None))
        self.counters.add("dead")
        logger.warning(
            "gave up %s delivery %s to %s after %d attempt(s): %s (dead letter on %s)",
            record.kind,
            record.delivery_id,
            record.channel,
            record.attempts,
            reason,
            self.dead_letters.topic,
        )

    def _channel_failing(self, channel: Channel, error: str) -> None:
        with self._lock:
            if channel.redacted in self._failing:
                return
            self._failing.add(channel.redacted)
        logger.warning("delivery to %s failing (%s): retrying with backoff", channel.redacted, error)

    def _channel_ok(self, channel: Channel) -> None:
        with self._lock:
            if channel.redacted not in self._failing:
                return
            self._failing.discard(channel.redacted)
        logger.warning("delivery to %s works again", channel.redacted)


class Dispatcher:
    """A queue of :class:`Job` and ``workers`` threads attempting them; a delivery is queued at most
    once at a time (``in_flight``)."""

    def __init__(self, deliverer: Deliverer, workers: int, stop: threading.Event) -> None:
        self.deliverer = deliverer
        self.workers = workers
        self.stop = stop
        self._queue: queue.Queue[Job] = queue.Queue()
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for number in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"notify-worker-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, job: Job) -> bool:
        ident = job.stored.record.delivery_id
        with self._lock:
            if ident in self._in_flight:
                return False
            self._in_flight.add(ident)
        self._queue.put(job)
        return True

    def in_flight(self) -> list[str]:
        with self._lock:
            return list(self._in_flight)

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._in_flight)

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def _work(self) -> None:
        while not self.stop.is_set():
            try:
                job = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self.deliverer.attempt(job)
            except Stopping:
                return
            except Exception as exc:  # a bug: keep the worker alive, the delivery is retried later
                logger.warning(
                    "delivery %s: unexpected %s: %s", job.stored.record.delivery_id, type(exc).__name__, exc
                )
                logger.debug("traceback", exc_info=True)
            finally:
                with self._lock:
                    self._in_flight.discard(job.stored.record.delivery_id)

    def join(self, timeout_s: float) -> None:
        for thread in self._threads:
            thread.join(timeout=timeout_s)
