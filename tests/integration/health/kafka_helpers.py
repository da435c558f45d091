"""Produce records to and commit offsets on the real broker (for lag and dead-letter tests)."""

from __future__ import annotations

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from newsmon.core.settings import KafkaSettings


def produce(settings: KafkaSettings, topic: str, per_partition: dict[int, int]) -> None:
    """Write ``count`` small records to each ``partition`` and wait for the acknowledgements."""
    producer = KafkaProducer(**settings.client_kwargs(), acks="all")
    try:
        for partition, count in per_partition.items():
            for i in range(count):
                producer.send(topic, value=f"record-{partition}-{i}".encode(), partition=partition)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)


def commit(settings: KafkaSettings, group: str, topic: str, offsets: dict[int, int]) -> None:
    """Commit ``offsets`` (partition -> next offset) for ``group``, as the pipeline's committer does."""
    consumer = KafkaConsumer(**settings.client_kwargs(), group_id=group, enable_auto_commit=False)
    try:
        consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in offsets.items()})
    finally:
        consumer.close(autocommit=False)
