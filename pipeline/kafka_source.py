"""Unbounded Kafka read for Beam as a kafka-python splittable DoFn.

Usage::

    messages = (
        pipeline
        | "ReadArticles" >> ReadFromKafkaSDF(kafka_settings, topic="newsmon.articles.v1")
    )

Each Kafka partition is one element; its restriction is the offset range ``[start, +inf)``. The
DoFn polls, claims each record's offset, emits a :class:`KafkaMessage`, and checkpoints
(``defer_remainder``) when the partition is idle so the runner can resume it later.

The partitions come from a second, small unbounded SDF (:class:`_DiscoverPartitionsFn`): its element
is the topic, its restriction the range of partition numbers ``[first not yet emitted, +inf)``.
Kafka numbers a topic's partitions 0..N-1 and only ever adds to them, so each poll of the topic's
metadata claims and emits the partitions it has not emitted yet, then defers for
``discovery_interval_s``: partitions added while the job runs are read without a restart. (Prism
2.73 ignores the delay a deferred remainder asks for and resumes it at once, so the discovery DoFn
paces itself: a resumption before the interval has passed pauses up to a second and asks Kafka
nothing; the partition readers are paced by their blocking poll.) A
reshuffle between the two gives every partition its own key, so each runner can spread the
partitions over its workers (Flink runs one instance per partition: ``--parallelism``). ``start`` is the
consumer group's committed offset, so a restarted pipeline resumes where durable processing stopped
(offsets are committed downstream by :class:`pipeline.offsets.CommitOffsets`, only after the record
was indexed or dead-lettered).

Each message carries ``covered_from``: the first offset it accounts for. Consecutive messages of a
partition tile the offset space without gaps, even across transaction markers or compacted-away
offsets, which is what lets the committer advance safely.

Element timestamps and the watermark follow the *processing-time* policy (Beam KafkaIO's default
``ProcessingTimePolicy``): an element is stamped with the time it was read, and the watermark is
the time of the last read (or just under "now" when idle). Kafka's own record timestamps cannot be
used: after an outage the backlog holds records older than a watermark already advanced while idle,
and a runner may drop such late elements at the stateful offset committer (seen on Prism: the
articles were indexed but their offsets never committed). The Kafka time stays in
``KafkaMessage.timestamp_ms`` for the documents.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.metrics import Metrics
from apache_beam.transforms.core import RestrictionProvider
from apache_beam.utils.timestamp import Duration, Timestamp

from newsmon.core.settings import KafkaSettings
from pipeline.retry import Backoff, OutageLog, is_transient_kafka_error, retry_forever

__all__ = [
    "DISCOVERY_INTERVAL_S",
    "KafkaMessage",
    "KafkaPartition",
    "ReadFromKafkaSDF",
    "in_global_window",
    "list_partitions",
]

logger = logging.getLogger(__name__)

_UNBOUNDED_END = sys.maxsize
_IDLE_RESUME_DELAY = Duration(seconds=1)
_WATERMARKS = ManualWatermarkEstimator.default_provider()
#: How often the read looks for partitions added to the topic.
DISCOVERY_INTERVAL_S = 10.0


@dataclass(frozen=True)
class KafkaPartition:
    """One topic partition to read; the element type of the SDF."""

    topic: str
    partition: int

    @property
    def key(self) -> str:
        return f"{self.topic}/{self.partition}"


@dataclass(frozen=True)
class KafkaMessage:
    """A record read from Kafka, with enough position data to commit it later."""

    topic: str
    partition: int
    offset: int
    covered_from: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int

    @property
    def partition_key(self) -> str:
        return f"{self.topic}/{self.partition}"


def in_global_window(value: Any, message: KafkaMessage | None = None) -> Any:
    """Wrap ``value`` for output from ``finish_bundle``: global window, stamped now (processing time,
    like every element read from Kafka, so it is never behind the watermark, even when the message
    it stands for finished long after it was read)."""
    from apache_beam.transforms.window import GlobalWindow
    from apache_beam.utils.windowed_value import WindowedValue

    del message  # kept in the signature: callers name the message the value stands for
    return WindowedValue(value, time.time(), [GlobalWindow()])


def list_partitions(settings: KafkaSettings, topic: str, timeout_s: float = 30.0) -> list[KafkaPartition]:
    """Partitions of ``topic`` (which must exist), looked up once at pipeline construction."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(**settings.client_kwargs(), enable_auto_commit=False)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            partitions = consumer.partitions_for_topic(topic)
            if partitions:
                return [KafkaPartition(topic, p) for p in sorted(partitions)]
            if time.monotonic() > deadline:
                raise ValueError(
                    f"Kafka topic {topic!r} not found on {settings.bootstrap_servers}: "
                    "create it with `newsmon pipeline init`"
                )
            time.sleep(0.5)
    finally:
        consumer.close()


class _UnboundedOffsetTracker(OffsetRestrictionTracker):  # type: ignore[misc]
    """Offset tracker for an endless range: only checkpoint splits, never fractional ones."""

    def try_split(self, fraction_of_remainder: float) -> Any:
        if fraction_of_remainder != 0:
            return None
        return super().try_split(0)

    def is_bounded(self) -> bool:
        return False


def _starting_offset(settings: KafkaSettings, element: KafkaPartition) -> int:
    """Committed offset of the consumer group, else the earliest available offset.

    When the group has no committed offset yet, the earliest offset is committed right away so
    the downstream committer and a restarted pipeline agree on where reading began.
    """
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    tp = TopicPartition(element.topic, element.partition)

    def look_up() -> int:
        consumer = KafkaConsumer(
            **settings.client_kwargs(), group_id=settings.consumer_group, enable_auto_commit=False
        )
        try:
            committed = consumer.committed(tp)
            if committed is not None:
                return int(committed)
            earliest = int(consumer.beginning_offsets([tp])[tp])
            consumer.commit({tp: OffsetAndMetadata(earliest, "", -1)})
            return earliest
        finally:
            consumer.close()

    outage = OutageLog(f"kafka at {settings.bootstrap_servers} (start offset of {element.key})")
    return int(retry_forever(look_up, is_transient_kafka_error, outage))


def _advance_watermark(watermark: ManualWatermarkEstimator, to: Timestamp) -> None:
    current = watermark.current_watermark()
    if current is None or to > current:
        watermark.set_watermark(to)


#: (bootstrap servers, topic) -> when its partitions were last listed (monotonic seconds, this process)
_DISCOVERED_AT: dict[tuple[str, str], float] = {}

#: longest pause of one partition-discovery bundle that is not due yet (see ``process``)
_NOT_DUE_PAUSE_S = 1.0


class _DiscoverPartitionsFn(beam.DoFn, RestrictionProvider):  # type: ignore[misc]
    """Emits each partition of the topic (the element) once: those that exist at start, then every
    ``interval_s`` the ones added since. Its restriction counts the partitions already emitted."""

    def __init__(self, settings: KafkaSettings, interval_s: float) -> None:
        self._settings = settings
        self._interval = Duration(seconds=interval_s)
        self._consumer: Any = None
        self._outage: OutageLog | None = None
        self._failures = 0
        self._found = Metrics.counter("kafka_source", "partitions_discovered")

    def initial_restriction(self, element: str) -> OffsetRange:
        return OffsetRange(0, _UNBOUNDED_END)

    def create_tracker(self, restriction: OffsetRange) -> _UnboundedOffsetTracker:
        return _UnboundedOffsetTracker(restriction)

    def restriction_size(self, element: str, restriction: OffsetRange) -> int:
        return 1

    def split(self, element: str, restriction: OffsetRange) -> Iterator[OffsetRange]:
        yield restriction

    def truncate(self, element: str, restriction: OffsetRange) -> None:
        return None

    def _partitions(self, topic: str) -> list[int]:
        if self._consumer is None:
            from kafka import KafkaConsumer

            self._consumer = KafkaConsumer(**self._settings.client_kwargs(), enable_auto_commit=False)
        self._consumer.topics()  # refreshes the cached metadata: partitions_for_topic alone does not
        return sorted(self._consumer.partitions_for_topic(topic) or ())

    @beam.DoFn.unbounded_per_element()  # type: ignore[untyped-decorator]
    def process(
        self,
        element: str,
        tracker: _UnboundedOffsetTracker = beam.DoFn.RestrictionParam(),  # noqa: B008
        watermark: ManualWatermarkEstimator = beam.DoFn.WatermarkEstimatorParam(_WATERMARKS),  # noqa: B008
    ) -> Iterator[Any]:
        first = int(tracker.current_restriction().start)
        # Prism (2.73) resumes a residual at once, whatever delay it asks for ("TODO actually
        # reschedule based on the residuals delay" in its element manager): this loop ran ~10 times
        # a second, each time an all-topics metadata request. So the wait happens here: at most
        # _NOT_DUE_PAUSE_S per bundle, and Kafka is asked only once the interval has passed.
        key = (self._settings.bootstrap_servers, element)
        wait = _DISCOVERED_AT.get(key, float("-inf")) + self._interval.micros / 1e6 - time.monotonic()
        if first and wait > 0:
            time.sleep(min(wait, _NOT_DUE_PAUSE_S))
            _advance_watermark(watermark, Timestamp.now() - Duration(seconds=1))
            tracker.defer_remainder(Duration(seconds=max(wait - _NOT_DUE_PAUSE_S, 0.0)))
            return
        try:
            partitions = self._partitions(element)
        except Exception as exc:
            if not is_transient_kafka_error(exc):
                raise
            self._failures += 1
            if self._outage is None:
                self._outage = OutageLog(
                    f"kafka at {self._settings.bootstrap_servers} (partitions of {element})"
                )
            self._outage.failed(f"{type(exc).__name__}: {str(exc)[:200]}")
            self._close()
            tracker.defer_remainder(Duration(seconds=Backoff().delay(self._failures)))
            return
        if self._failures and self._outage is not None:
            self._outage.recovered()
        self._failures = 0
        _DISCOVERED_AT[key] = time.monotonic()
        now = Timestamp.now()
        for partition in partitions:
            if partition < first:
                continue
            if not tracker.try_claim(partition):
                return
            self._found.inc()
            if first:
                logger.info("kafka partition %s/%d added: reading it", element, partition)
            yield beam.window.TimestampedValue(KafkaPartition(element, partition), now)
        _advance_watermark(watermark, now - Duration(seconds=1))
        tracker.defer_remainder(self._interval)

    def _close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                consumer.close()
            except Exception as exc:
                logger.debug("closing partition discovery consumer: %s", exc)

    def teardown(self) -> None:
        self._close()


class _ReadPartitionFn(beam.DoFn, RestrictionProvider):  # type: ignore[misc]
    """Polls one partition per element, claiming offsets; checkpoints when idle.

    It is its own restriction provider: the initial restriction of a partition is
    ``[committed offset of the group, +inf)``.
    """

    def __init__(self, settings: KafkaSettings, poll_timeout_ms: int, max_records: int) -> None:
        self._settings = settings
        self._poll_timeout_ms = poll_timeout_ms
        self._max_records = max_records
        self._consumers: dict[str, Any] = {}
        self._next_offsets: dict[str, int] = {}  # where each consumer will read next
        self._read = Metrics.counter("kafka_source", "records_read")
        self._polls = Metrics.counter("kafka_source", "polls")
        self._poll_failures = Metrics.counter("kafka_source", "poll_failures")
        self._outages: dict[str, OutageLog] = {}
        self._failures: dict[str, int] = {}

    def initial_restriction(self, element: KafkaPartition) -> OffsetRange:
        return OffsetRange(_starting_offset(self._settings, element), _UNBOUNDED_END)

    def create_tracker(self, restriction: OffsetRange) -> _UnboundedOffsetTracker:
        return _UnboundedOffsetTracker(restriction)

    def restriction_size(self, element: KafkaPartition, restriction: OffsetRange) -> int:
        return 1

    def split(self, element: KafkaPartition, restriction: OffsetRange) -> Iterator[OffsetRange]:
        yield restriction

    def truncate(self, element: KafkaPartition, restriction: OffsetRange) -> None:
        return None  # on drain, stop reading: unread offsets stay uncommitted for the next run

    def _consumer(self, element: KafkaPartition) -> Any:
        consumer = self._consumers.get(element.key)
        if consumer is None:
            from kafka import KafkaConsumer, TopicPartition

            consumer = KafkaConsumer(
                **self._settings.client_kwargs(),
                enable_auto_commit=False,
                max_poll_records=self._max_records,
                auto_offset_reset="earliest",
                max_partition_fetch_bytes=self._settings.max_message_bytes + 64 * 1024,
            )
            consumer.assign([TopicPartition(element.topic, element.partition)])
            self._consumers[element.key] = consumer
        return consumer

    @beam.DoFn.unbounded_per_element()  # type: ignore[untyped-decorator]
    def process(
        self,
        element: KafkaPartition,
        tracker: _UnboundedOffsetTracker = beam.DoFn.RestrictionParam(),  # noqa: B008
        watermark: ManualWatermarkEstimator = beam.DoFn.WatermarkEstimatorParam(_WATERMARKS),  # noqa: B008
    ) -> Iterator[Any]:
        from kafka import TopicPartition

        tp = TopicPartition(element.topic, element.partition)
        position = int(tracker.current_restriction().start)
        try:
            consumer = self._consumer(element)
            if self._next_offsets.get(element.key) != position:
                consumer.seek(tp, position)  # a seek drops prefetched records: only when resuming elsewhere
            self._polls.inc()
            batch = consumer.poll(timeout_ms=self._poll_timeout_ms, max_records=self._max_records).get(tp, [])
        except Exception as exc:
            if not is_transient_kafka_error(exc):
                raise
            tracker.defer_remainder(self._poll_failed(element, exc))
            return
        self._poll_ok(element)
        covered_from = position
        for record in batch:
            if record.offset < position:
                continue
            if not tracker.try_claim(record.offset):
                # The runner split the restriction here: the rest of this batch belongs to the
                # remainder, so the consumer (already past it) must seek back when that resumes.
                self._next_offsets.pop(element.key, None)
                return
            self._read.inc()
            event_time = Timestamp.now()  # processing-time policy: see the module docstring
            yield beam.window.TimestampedValue(
                KafkaMessage(
                    topic=element.topic,
                    partition=element.partition,
                    offset=record.offset,
                    covered_from=covered_from,
                    key=record.key,
                    value=record.value,
                    timestamp_ms=record.timestamp,
                ),
                event_time,
            )
            covered_from = record.offset + 1
            self._next_offsets[element.key] = covered_from
            current = watermark.current_watermark()
            if current is None or event_time > current:
                watermark.set_watermark(event_time)
        if not batch:
            idle_watermark = Timestamp.now() - Duration(seconds=1)
            current = watermark.current_watermark()
            if current is None or idle_watermark > current:
                watermark.set_watermark(idle_watermark)
            tracker.defer_remainder(_IDLE_RESUME_DELAY)
        else:
            tracker.defer_remainder()

    def _poll_failed(self, element: KafkaPartition, exc: Exception) -> Duration:
        """Log the outage (once per state change), drop the consumer, and say when to try again."""
        self._poll_failures.inc()
        outage = self._outages.setdefault(
            element.key, OutageLog(f"kafka at {self._settings.bootstrap_servers} (reading {element.key})")
        )
        outage.failed(f"{type(exc).__name__}: {str(exc)[:200]}")
        consumer = self._consumers.pop(element.key, None)
        self._next_offsets.pop(element.key, None)
        if consumer is not None:
            try:
                consumer.close()
            except Exception as close_exc:
                logger.debug("closing consumer of %s: %s", element.key, close_exc)
        self._failures[element.key] = self._failures.get(element.key, 0) + 1
        return Duration(seconds=Backoff().delay(self._failures[element.key]))

    def _poll_ok(self, element: KafkaPartition) -> None:
        if self._failures.pop(element.key, None) is not None:
            self._outages[element.key].recovered()

    def teardown(self) -> None:
        # On shutdown Beam may tear down while a poll of this instance is still running in another
        # thread: close a snapshot, never iterate the live dict.
        consumers, self._consumers = list(self._consumers.values()), {}
        self._next_offsets = {}
        for consumer in consumers:
            try:
                consumer.close()
            except Exception as exc:
                logger.debug("closing consumer: %s", exc)


class ReadFromKafkaSDF(beam.PTransform):  # type: ignore[misc]
    """Streaming read of a Kafka topic with kafka-python; emits :class:`KafkaMessage`.

    Used by the newsmon pipeline on Prism and Flink (and portable to Dataflow: it needs no
    cross-language expansion service, ADR 0003). The topic must exist at construction; its
    partitions are discovered while the job runs (``discovery_interval_s``), unless ``partitions``
    fixes them (tests).
    """

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str | None = None,
        poll_timeout_ms: int = 500,
        max_records_per_poll: int = 2000,
        partitions: list[KafkaPartition] | None = None,
        discovery_interval_s: float = DISCOVERY_INTERVAL_S,
    ) -> None:
        super().__init__()
        if poll_timeout_ms <= 0 or max_records_per_poll <= 0 or discovery_interval_s <= 0:
            raise ValueError(
                "poll_timeout_ms, max_records_per_poll and discovery_interval_s must be positive"
            )
        self._discovery_interval_s = discovery_interval_s
        self._settings = settings
        self._topic = topic or settings.articles_topic
        self._poll_timeout_ms = poll_timeout_ms
        self._max_records = max_records_per_poll
        self._partitions = partitions

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[KafkaMessage]:
        read_fn = _ReadPartitionFn(self._settings, self._poll_timeout_ms, self._max_records)
        if self._partitions:
            partitions = pbegin | "ListPartitions" >> beam.Create(self._partitions, reshuffle=False)
        else:
            list_partitions(self._settings, self._topic)  # fail at construction if the topic is missing
            discover = _DiscoverPartitionsFn(self._settings, self._discovery_interval_s)
            partitions = (
                pbegin
                | "Topic" >> beam.Create([self._topic], reshuffle=False)
                | "DiscoverPartitions"
                >> beam.ParDo(discover).with_input_types(str).with_output_types(KafkaPartition)
            )
        return (
            partitions
            | "SpreadPartitions" >> beam.Reshuffle()
            | "ReadPartitions"
            >> beam.ParDo(read_fn).with_input_types(KafkaPartition).with_output_types(KafkaMessage)
        )
