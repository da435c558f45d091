"""Commit Kafka offsets only for records that are durably processed.

Every record leaves the pipeline either indexed in Elasticsearch or written to the dead-letter
topic; only then does its ``KafkaMessage`` reach :class:`CommitOffsets`. Records of one partition
can finish out of order, so commits follow the *contiguous* prefix: each message covers the
offsets ``[covered_from, offset]`` and the committed position only advances over an unbroken run
of covered ranges (:class:`OffsetTiler`). A crash re-reads at most the uncommitted tail, and the
idempotent Elasticsearch writes make the replay harmless (at-least-once, no loss).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from newsmon.core.settings import KafkaSettings
from pipeline.kafka_source import KafkaMessage

__all__ = ["CommitOffsets", "KafkaOffsetCommitter", "OffsetTiler"]

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
        self._pending = Metrics.distribution("kafka_offsets", "pending_ranges")

    def setup(self) -> None:
        factory = self._committer_factory or (lambda: KafkaOffsetCommitter(self._settings))
        self._committer = factory()

    def process(
        self,
        element: tuple[str, KafkaMessage],
        tiler_state: Any = beam.DoFn.StateParam(TILER),  # noqa: B008
    ) -> Iterator[tuple[str, int]]:
        key, message = element
        tiler: OffsetTiler | None = tiler_state.read()
        if tiler is None:
            committed = self._committer.committed(message.topic, message.partition)
            tiler = OffsetTiler(next_offset=committed if committed is not None else message.covered_from)
        if tiler.add(message.covered_from, message.offset):
            self._committer.commit(message.topic, message.partition, tiler.next_offset)
            self._commits.inc()
            logger.debug("committed %s offset=%d", key, tiler.next_offset)
            yield (key, tiler.next_offset)
        self._pending.update(len(tiler.pending))
        tiler_state.write(tiler)

    def teardown(self) -> None:
        if self._committer is not None:
            self._committer.close()


class CommitOffsets(beam.PTransform):  # type: ignore[misc]
    """Commits offsets of durably processed messages; outputs ``(partition, committed offset)``."""

    def __init__(self, settings: KafkaSettings, committer_factory: Callable[[], Any] | None = None) -> None:
        super().__init__()
        self._settings = settings
        self._committer_factory = committer_factory

    def expand(self, done: beam.PCollection[KafkaMessage]) -> beam.PCollection[tuple[str, int]]:
        return (
            done
            | "KeyByPartition"
            >> beam.Map(lambda m: (m.partition_key, m)).with_output_types(tuple[str, KafkaMessage])
            | "CommitContiguous" >> beam.ParDo(_CommitFn(self._settings, self._committer_factory))
        )
