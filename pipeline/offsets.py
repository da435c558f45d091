"""Commit Kafka offsets only for records that are durably processed.

Every record leaves the pipeline either indexed in Elasticsearch or written to the dead-letter
topic; only then does its ``KafkaMessage`` reach :class:`CommitOffsets`. Records of one partition
can finish out of order, so commits follow the *contiguous* prefix: each message covers the
offsets ``[covered_from, offset]`` and the committed position only advances over an unbroken run
of covered ranges (:class:`OffsetTiler`). A crash re-reads at most the uncommitted tail, and the
idempotent Elasticsearch writes make the replay harmless (at-least-once, no loss).

The finished messages of a bundle are first coalesced per partition into merged offset ranges
(:class:`FinishedRanges`), in the bundle that finished them: the keyed committer then sees one small
element per partition and bundle, not every message with its payload, and commits once for it. (Per
message, each drained article cost a synchronous commit and a trip of its whole record through the
runner; on Prism 2.73 a stateful stage with elements waiting for a key already in progress also
keeps its scheduler re-planning the stage in a loop, ADR 0012.)

Kafka being away (a broker restart, a coordinator move) is waited out with backoff and no time
limit (:mod:`pipeline.retry`); the committer client is rebuilt after each failure. A commit that
keeps failing holds this stage, never the job.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from newsmon.core.settings import KafkaSettings
from pipeline.kafka_source import KafkaMessage, in_global_window
from pipeline.retry import OutageLog, is_transient_kafka_error, retry_forever

__all__ = ["CommitOffsets", "FinishedRanges", "KafkaOffsetCommitter", "OffsetTiler", "merge_ranges"]

logger = logging.getLogger(__name__)


@dataclass
class OffsetTiler:
    """Tracks finished offset ranges of one partition and the next offset safe to commit."""

    next_offset: int
    pending: dict[int, int] = field(default_factory=dict)  # covered_from -> last offset

    def add(self, covered_from: int, offset: int) -> bool:
        """Record ``[covered_from, offset]`` as finished; return True if ``next_offset`` advanced."""
        if offset < self.next_offset:
            return False  # replayed record already committed
        self.pending[covered_from] = max(offset, self.pending.get(covered_from, offset))
        advanced = False
        while True:
            start = min((s for s in self.pending if s <= self.next_offset), default=None)
            if start is None:
                return advanced
            end = self.pending.pop(start)
            if end + 1 > self.next_offset:
                self.next_offset = end + 1
                advanced = True


def merge_ranges(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Inclusive ``(first, last)`` offset ranges merged where they overlap or touch (pure)."""
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple((first, last) for first, last in merged)


@dataclass(frozen=True)
class FinishedRanges:
    """Offsets of one partition that one bundle finished durably, as merged inclusive ranges;
    the element the keyed committer works on."""

    topic: str
    partition: int
    ranges: tuple[tuple[int, int], ...]

    @property
    def partition_key(self) -> str:
        return f"{self.topic}/{self.partition}"


class _CoalesceFinishedFn(beam.DoFn):  # type: ignore[misc]
    """Collects the offset ranges of a bundle's finished messages; emits one
    ``(partition key, FinishedRanges)`` per partition when the bundle finishes."""

    def __init__(self) -> None:
        self._ranges: dict[tuple[str, int], list[tuple[int, int]]] = {}
        self._messages = Metrics.counter("kafka_offsets", "messages_finished")

    def start_bundle(self) -> None:
        self._ranges = {}

    def process(self, message: KafkaMessage) -> Iterator[Any]:
        self._messages.inc()
        self._ranges.setdefault((message.topic, message.partition), []).append(
            (message.covered_from, message.offset)
        )
        return iter(())

    def finish_bundle(self) -> Iterator[Any]:
        ranges, self._ranges = self._ranges, {}
        for (topic, partition), pairs in sorted(ranges.items()):
            finished = FinishedRanges(topic, partition, merge_ranges(pairs))
            yield in_global_window((finished.partition_key, finished))


# The tiler of each (consumer group, partition) is also kept in this process, and updated under a
# per-partition lock. Runner state alone proved unreliable on Prism: bundles of the same key ran
# concurrently after an outage, each read the partition's state, and the last writer dropped the
# other's finished ranges, so commits stalled for good (every article indexed, lag never 0).
# Messages of one partition all go to one worker (the stage is keyed by partition), so this copy
# is complete where it exists; the runner state still carries it across worker restarts.
_TILERS: dict[tuple[str, str], OffsetTiler] = {}
_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(key: tuple[str, str]) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _merge(a: OffsetTiler | None, b: OffsetTiler | None) -> OffsetTiler | None:
    """The union of two views of one partition's finished ranges (either may be missing or older)."""
    if a is None or b is None:
        return copy.deepcopy(a or b)
    merged = OffsetTiler(next_offset=min(a.next_offset, b.next_offset))
    for tiler in (a, b):
        for start, end in tiler.pending.items():
            merged.add(start, end)
    for tiler in (a, b):
        if tiler.next_offset > merged.next_offset:
            merged.add(merged.next_offset, tiler.next_offset - 1)
    return merged


class KafkaOffsetCommitter:
    """Reads and commits the consumer group's offsets with kafka-python (no group membership)."""

    def __init__(self, settings: KafkaSettings) -> None:
        from kafka import KafkaConsumer

        self._consumer = KafkaConsumer(
            **settings.client_kwargs(), group_id=settings.consumer_group, enable_auto_commit=False
        )

    def committed(self, topic: str, partition: int) -> int | None:
        from kafka import TopicPartition

        value = self._consumer.committed(TopicPartition(topic, partition))
        return None if value is None else int(value)

    def commit(self, topic: str, partition: int, offset: int) -> None:
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata

        self._consumer.commit({TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)})

    def close(self) -> None:
        self._consumer.close()


class _CommitFn(beam.DoFn):  # type: ignore[misc]
    """Stateful per partition: advances the tiler and commits the consumer group's offset."""

    TILER = ReadModifyWriteStateSpec("tiler", PickleCoder())

    def __init__(self, settings: KafkaSettings, committer_factory: Callable[[], Any] | None = None) -> None:
        self._settings = settings
        self._committer_factory = committer_factory
        self._committer: Any = None
        self._commits = Metrics.counter("kafka_offsets", "commits")
        self._commit_failures = Metrics.counter("kafka_offsets", "commit_failures")
        self._initialised = Metrics.counter("kafka_offsets", "tilers_initialised")
        self._pending = Metrics.distribution("kafka_offsets", "pending_ranges")
        self._outage = OutageLog(
            f"kafka at {settings.bootstrap_servers} (offset commits for {settings.consumer_group})",
            hint="records stay uncommitted until it is back; check `newsmon status`",
        )

    def _client(self) -> Any:
        if self._committer is None:
            factory = self._committer_factory or (lambda: KafkaOffsetCommitter(self._settings))
            self._committer = factory()
        return self._committer

    def _reset(self, _exc: Exception) -> None:
        self._commit_failures.inc()
        committer, self._committer = self._committer, None
        if committer is not None:
            try:
                committer.close()
            except Exception as exc:  # a broken client may fail to close; the outage is what matters
                logger.debug("closing offset committer: %s", exc)

    def _with_retries(self, operation: Any) -> Any:
        return retry_forever(operation, is_transient_kafka_error, self._outage, on_retry=self._reset)

    def process(
        self,
        element: tuple[str, FinishedRanges],
        tiler_state: Any = beam.DoFn.StateParam(TILER),  # noqa: B008
    ) -> Iterator[tuple[str, int]]:
        key, finished = element
        memory_key = (self._settings.consumer_group, key)
        with _lock_for(memory_key):  # read-modify-write of one partition's tiler, never concurrent
            tiler = _merge(tiler_state.read(), _TILERS.get(memory_key))
            if tiler is None:
                self._initialised.inc()
                committed = self._with_retries(
                    lambda: self._client().committed(finished.topic, finished.partition)
                )
                start = finished.ranges[0][0]
                tiler = OffsetTiler(next_offset=committed if committed is not None else start)
            advanced = False
            for first, last in finished.ranges:
                advanced = tiler.add(first, last) or advanced
            if advanced:
                offset = tiler.next_offset
                self._with_retries(lambda: self._client().commit(finished.topic, finished.partition, offset))
                self._commits.inc()
                logger.debug("committed %s offset=%d", key, offset)
            self._pending.update(len(tiler.pending))
            tiler_state.write(tiler)
            _TILERS[memory_key] = tiler
        if advanced:
            yield (key, tiler.next_offset)

    def teardown(self) -> None:
        if self._committer is not None:
            try:
                self._committer.close()
            except Exception as exc:
                logger.debug("closing offset committer: %s", exc)


class CommitOffsets(beam.PTransform):  # type: ignore[misc]
    """Commits offsets of durably processed messages; outputs ``(partition, committed offset)``.

    The input is every finished ``KafkaMessage``; each bundle's are coalesced per partition before
    the keyed, stateful commit.
    """

    def __init__(self, settings: KafkaSettings, committer_factory: Callable[[], Any] | None = None) -> None:
        super().__init__()
        self._settings = settings
        self._committer_factory = committer_factory

    def expand(self, done: beam.PCollection[KafkaMessage]) -> beam.PCollection[tuple[str, int]]:
        return (
            done
            | "CoalescePerBundle"
            >> beam.ParDo(_CoalesceFinishedFn()).with_output_types(tuple[str, FinishedRanges])
            | "CommitContiguous" >> beam.ParDo(_CommitFn(self._settings, self._committer_factory))
        )
