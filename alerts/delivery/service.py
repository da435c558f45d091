"""``newsmon notify``: the alert delivery service (plain Python threads, not Beam).

* The **consumer** (the thread calling :meth:`NotifyService.run`) reads the alerts topic with
  ``alerts.notify_consumer_group`` and auto-commit off; for each poll batch it records what every
  alert needs (:mod:`alerts.delivery.intake`) and commits the batch's offsets only after that is
  stored in Elasticsearch. Records that are not alert messages go to the dead-letter topic.
* **Workers** (:mod:`alerts.delivery.worker`) send new instant deliveries at once and whatever the
  **poller** finds due in the deliveries index every second: retries, digests at the end of their
  period, and deliveries a stopped service left pending. Everything they need is in Elasticsearch,
  so a restarted service resumes where the last one stopped.
* Elasticsearch and Kafka outages are waited out with backoff, one calm line per change of state.
  :meth:`NotifyService.stop` (SIGTERM, Ctrl-C) ends every thread at its next wait; work in hand is
  left recorded as it was, to be resumed.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.delivery.backoff import Backoff, OutageLog, Retrier, Stopping, quiet_client_loggers
from alerts.delivery.channels import ChannelFactory
from alerts.delivery.dead_letters import DeadLetters
from alerts.delivery.intake import Intake
from alerts.delivery.metrics import Counters
from alerts.delivery.periods import DigestCalendar
from alerts.delivery.ratelimit import RateLimiter
from alerts.delivery.store import Conflict, DeliveryStore
from alerts.delivery.subscriptions import SubscriptionCache
from alerts.delivery.worker import Deliverer, Dispatcher, Job
from alerts.model import AlertMessage, Subscription
from newsmon.core.kafka_topics import ensure_topics
from newsmon.core.settings import Settings

__all__ = ["NotifyService", "ServiceOptions"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceOptions:
    """How one ``newsmon notify`` process runs (settings say what and where; these say how).

    ``idle_exit_s``: return once nothing was consumed, due or in flight for that long (tests, cron).
    ``digest_period_override_s``: fixed digest periods of that many seconds instead of hours and days
    (tests and demos; the delivery path is the real one). ``lease_s``: how long a claimed attempt
    may take before another may start (default ``3 x alerts.delivery_timeout_s + 5``)."""

    workers: int = 16
    poll_interval_s: float = 1.0
    batch_size: int = 200
    idle_exit_s: float | None = None
    digest_period_override_s: float | None = None
    lease_s: float | None = None
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    summary_every_s: float = 60.0
    retention_every_s: float = 3600.0


class NotifyService:
    """The delivery service (see the module docstring). Build it, call :meth:`run` (blocks), call
    :meth:`stop` from a signal handler or another thread. Used by ``newsmon notify`` and by tests,
    which run it in a thread."""

    def __init__(
        self,
        settings: Settings,
        options: ServiceOptions | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.options = options or ServiceOptions()
        self.environ = environ
        self.clock = clock
        self.counters = Counters()
        self.ready = threading.Event()  # set once the consumer has partitions
        self._stop = threading.Event()
        self._last_activity = time.monotonic()
        self.metrics_port: int | None = None

    def stop(self) -> None:
        """Ask every thread to finish (returns at once; :meth:`run` returns when they have)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    # --- main loop

    def run(self) -> None:
        """Consume, record, deliver until :meth:`stop` (or ``idle_exit_s`` of idleness)."""
        from elasticsearch import Elasticsearch

        from alerts.store import SubscriptionStore

        alerts = self.settings.alerts
        quiet_client_loggers()
        es_client = Elasticsearch(**self.settings.elasticsearch.client_kwargs())
        es = Retrier(
            OutageLog("elasticsearch", "check `newsmon services status`", log=logger),
            self._stop,
            Backoff(0.5, 30.0),
            passthrough=(Conflict,),
        )
        kafka = Retrier(
            OutageLog("kafka", "check `newsmon services status`", log=logger), self._stop, Backoff(0.5, 30.0)
        )
        store = DeliveryStore(es_client, alerts.deliveries_index)
        subscription_store = SubscriptionStore(es_client, alerts.subscriptions_index)
        subscriptions = SubscriptionCache(subscription_store, alerts.reload_interval_s)
        calendar = DigestCalendar(
            alerts.digest_timezone, alerts.daily_digest_hour, self.options.digest_period_override_s
        )
        channels = ChannelFactory(alerts.delivery_timeout_s, alerts.webhook_secret_env, self.environ)
        dead_letters = DeadLetters(self.settings.kafka, alerts.dead_letter_topic)
        deliverer = Deliverer(
            store,
            subscriptions,
            channels,
            dead_letters,
            self.counters,
            es,
            kafka,
            Backoff(alerts.delivery_backoff_initial_s, alerts.delivery_backoff_max_s),
            alerts.delivery_max_attempts,
            self.options.lease_s or 3 * alerts.delivery_timeout_s + 5,
            self.clock,
        )
        dispatcher = Dispatcher(deliverer, self.options.workers, self._stop)
        intake = Intake(store, subscriptions, RateLimiter(), calendar, self.clock, deliverer.lease_s)
        exporter: Any = None
        consumer: Any = None
        poller: threading.Thread | None = None
        retention: threading.Thread | None = None
        try:
            import apprise  # noqa: F401  (imported now rather than on the first e-mail: keeps that one fast)

            es.call(lambda: store.setup(self.settings.elasticsearch, progress=logger.info))
            es.call(lambda: subscription_store.setup(self.settings.elasticsearch, progress=logger.info))
            kafka.call(lambda: ensure_topics(self.settings.kafka, [alerts.topic, alerts.dead_letter_topic]))
            if self.options.metrics_port is not None:
                from newsmon.core.prometheus import MetricsExporter

                exporter = MetricsExporter()
                self.metrics_port = exporter.start(self.options.metrics_host, self.options.metrics_port)
                logger.info(
                    "notify: metrics for Prometheus on http://%s:%d/metrics",
                    self.options.metrics_host,
                    self.metrics_port,
                )
                self.counters.export(exporter)
            poller = threading.Thread(
                target=self._poll_due,
                args=(store, es, dispatcher, exporter),
                name="notify-poller",
                daemon=True,
            )
            retention = threading.Thread(
                target=self._keep_expiring, args=(store, es), name="notify-retention", daemon=True
            )
            dispatcher.start()
            poller.start()
            retention.start()
            consumer = kafka.call(self._consumer)
            logger.info(
                "notify: delivering alerts from %s (group %s); deliveries recorded in %s",
                alerts.topic,
                alerts.notify_consumer_group,
                alerts.deliveries_index,
            )
            self._consume(consumer, intake, subscriptions, dispatcher, dead_letters, es, kafka)
        except Stopping:
            pass
        finally:
            self._stop.set()
            dispatcher.join(timeout_s=alerts.delivery_timeout_s + 5)
            if poller is not None:
                poller.join(timeout=5)
            if retention is not None:
                retention.join(timeout=5)
            if consumer is not None:
                try:
                    consumer.close(autocommit=False, timeout_ms=5000)
                except Exception as exc:  # closing is best effort
                    logger.debug("closing the consumer: %s", exc)
            try:
                dead_letters.close()
            except Exception as exc:
                logger.debug("closing the dead-letter producer: %s", exc)
            channels.close()
            es_client.close()
            if exporter is not None:
                self.counters.export(exporter)
                exporter.stop()
            logger.info("notify: stopped (%s)", self._summary())

    def _consumer(self) -> Any:
        from kafka import KafkaConsumer

        return KafkaConsumer(
            self.settings.alerts.topic,
            group_id=self.settings.alerts.notify_consumer_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.options.batch_size,
            **self.settings.kafka.client_kwargs(),
        )

    def _idle(self, dispatcher: Dispatcher) -> bool:
        limit = self.options.idle_exit_s
        if limit is None or not self.ready.is_set() or dispatcher.busy or dispatcher.backlog:
            return False  # idle counts once the consumer has its partitions
        return time.monotonic() - self._last_activity >= limit

    def _consume(
        self,
        consumer: Any,
        intake: Intake,
        subscriptions: SubscriptionCache,
        dispatcher: Dispatcher,
        dead_letters: DeadLetters,
        es: Retrier,
        kafka: Retrier,
    ) -> None:
        from kafka.errors import CommitFailedError

        # a commit refused after a rebalance is an answer, not an outage: the batch is read again
        commit = Retrier(kafka.outage, self._stop, kafka.backoff, passthrough=(CommitFailedError,))
        while not self._stop.is_set():
            batch = kafka.call(lambda: consumer.poll(timeout_ms=500, max_records=self.options.batch_size))
            if not self.ready.is_set() and consumer.assignment():
                self.ready.set()
                self._touch()
            if not batch:
                if dispatcher.busy:
                    self._touch()
                if self._idle(dispatcher):
                    logger.info("notify: idle for %.0f s, stopping", self.options.idle_exit_s or 0)
                    return
                continue
            self._touch()
            messages: list[AlertMessage] = []
            for records in batch.values():
                for record in records:
                    self.counters.add("consumed")
                    try:
                        messages.append(AlertMessage.model_validate_json(record.value or b""))
                    except ValueError as exc:
                        error = " ".join(str(exc).split())[:500]
                        logger.warning(
                            "alerts topic %s[%d]@%d is not an alert message: dead-lettered (%s)",
                            record.topic,
                            record.partition,
                            record.offset,
                            error[:200],
                        )
                        self._dead_letter_invalid(kafka, dead_letters, record, error)
            self._record(messages, intake, subscriptions, dispatcher, es)
            try:
                commit.call(lambda: consumer.commit(timeout_ms=10_000))
            except CommitFailedError:
                logger.info(
                    "notify: partitions were reassigned while recording a batch; "
                    "its alerts are read again and recognised as recorded"
                )

    @staticmethod
    def _dead_letter_invalid(kafka: Retrier, dead_letters: DeadLetters, record: Any, error: str) -> None:
        kafka.call(
            lambda: dead_letters.invalid_record(
                record.topic, record.partition, record.offset, error, record.value
            )
        )

    @staticmethod
    def _subscription(es: Retrier, subscriptions: SubscriptionCache, sub_id: str) -> Subscription | None:
        return es.call(lambda: subscriptions.get(sub_id))

    def _record(
        self,
        messages: list[AlertMessage],
        intake: Intake,
        subscriptions: SubscriptionCache,
        dispatcher: Dispatcher,
        es: Retrier,
    ) -> None:
        if not messages:
            return
        subs: dict[str, Subscription | None] = {}
        for sub_id in dict.fromkeys(m.subscription_id for m in messages):
            subs[sub_id] = self._subscription(es, subscriptions, sub_id)
        known = [s for s in subs.values() if s is not None]
        es.call(lambda: intake.seed_limits(known))
        plans = [intake.plan(m, subs[m.subscription_id]) for m in messages]
        progress = intake.new_progress()
        recorded = es.call(lambda: intake.record(plans, progress))
        if recorded.skipped:
            self.counters.add("skipped", recorded.skipped)
        for job in recorded.jobs:
            dispatcher.submit(job)

    # --- poller

    def _poll_due(self, store: DeliveryStore, es: Retrier, dispatcher: Dispatcher, exporter: Any) -> None:
        last_summary = time.monotonic()
        summarised = self.counters.snapshot()
        while not self._stop.is_set():
            try:
                if dispatcher.backlog < 10 * dispatcher.workers:
                    due = es.call(lambda: store.due(self.clock(), 100, dispatcher.in_flight()))
                    for stored in due:
                        if dispatcher.submit(Job(stored)):
                            self._touch()
            except Stopping:
                return
            except Exception as exc:  # a bug: report, keep polling
                logger.warning("looking for due deliveries failed: %s: %s", type(exc).__name__, exc)
            if exporter is not None:
                self.counters.export(exporter)
            if time.monotonic() - last_summary >= self.options.summary_every_s:
                last_summary = time.monotonic()
                now = self.counters.snapshot()
                if now != summarised:
                    summarised = now
                    logger.info("notify: %s", self._summary())
            self._stop.wait(self.options.poll_interval_s)

    # --- retention

    def _keep_expiring(self, store: DeliveryStore, es: Retrier) -> None:
        """A retention sweep at start, then every ``retention_every_s`` (its own thread: a long first
        sweep must not hold up due deliveries). ``alerts.retention_days`` 0 keeps everything."""
        days = self.settings.alerts.retention_days
        if not days:
            return
        alerts = self.settings.alerts
        while not self._stop.is_set():
            before = self.clock() - timedelta(days=days)
            try:
                expired = es.call(functools.partial(store.expire, alerts.index, before))
            except Stopping:
                return
            except Exception as exc:  # a bug or a refused request: report, try again next time
                logger.warning("notify: retention sweep failed: %s: %s", type(exc).__name__, exc)
            else:
                if expired.total:
                    logger.info(
                        "notify: retention: deleted %d delivery record(s), %d kept message(s) and "
                        "%d alert(s) older than %d days",
                        expired.deliveries,
                        expired.messages,
                        expired.alerts,
                        days,
                    )
            self._stop.wait(self.options.retention_every_s)

    def _summary(self) -> str:
        c = self.counters.snapshot()
        return (
            f"{c['consumed']} alert(s) consumed; delivered {c['delivered']}, failed attempts {c['failed']}, "
            f"retries {c['retried']}, dead {c['dead']}, skipped {c['skipped']}"
        )
