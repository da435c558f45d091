"""The newsmon streaming pipeline: Kafka -> validate -> enrich -> Elasticsearch, with dead letters.

::

    Kafka articles topic
      -> ReadFromKafkaSDF -> ValidateRecords --invalid--------------+
                               -> EnrichArticles --failed-----------+-> WriteDeadLetters --+
                                    -> WriteToElasticsearch --rejected-+                   |
                                         -> indexed -> MatchSubscriptions -> Flatten -> CommitOffsets
                                                             (alerts topic + alerts index)

Run it with ``newsmon pipeline run`` (or ``python -m pipeline.app``); ``build_pipeline`` is the
testable part.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import apache_beam as beam

from newsmon.core.settings import Settings, load_settings
from pipeline.alerts.transform import MatchSubscriptions
from pipeline.dead_letter import WriteDeadLetters
from pipeline.enrich import EnrichArticles
from pipeline.enrich_pool import enrich_processes
from pipeline.es_sink import WriteToElasticsearch
from pipeline.kafka_source import KafkaMessage, ReadFromKafkaSDF
from pipeline.offsets import CommitOffsets
from pipeline.validate import ValidateRecords

__all__ = ["ProcessArticles", "build_pipeline", "run"]

logger = logging.getLogger(__name__)


class ProcessArticles(beam.PTransform):  # type: ignore[misc]
    """Validate, enrich and index Kafka messages; dead-letter failures; return durable messages.

    The input is any PCollection of ``KafkaMessage`` (the Kafka SDF in production, ``Create`` or
    ``TestStream`` in tests). The output holds every message that is now durable in Elasticsearch
    or in the dead-letter topic: exactly the ones whose offsets may be committed.
    """

    def __init__(
        self,
        settings: Settings,
        es_client_factory: Any = None,
        dlq_producer_factory: Any = None,
        enricher_factory: Any = None,
        alerts_producer_factory: Any = None,
        enrich_processes: int = 0,
    ) -> None:
        super().__init__()
        self._alerts_producer_factory = alerts_producer_factory
        self._enrich_processes = enrich_processes
        self._enricher_factory = enricher_factory
        self._settings = settings
        self._es_client_factory = es_client_factory
        self._dlq_producer_factory = dlq_producer_factory

    def expand(self, messages: beam.PCollection[KafkaMessage]) -> beam.PCollection[KafkaMessage]:
        valid, invalid = messages | "Validate" >> ValidateRecords()
        documents, enrich_failed = valid | "Enrich" >> EnrichArticles(
            self._enricher_factory, processes=self._enrich_processes
        )
        indexed, rejected = documents | "Index" >> WriteToElasticsearch(
            self._settings.elasticsearch, client_factory=self._es_client_factory
        )
        dead_lettered = (
            (invalid, enrich_failed, rejected)
            | "CollectDeadLetters" >> beam.Flatten()
            | "DeadLetter" >> WriteDeadLetters(self._settings.kafka, self._dlq_producer_factory)
        )
        if self._settings.alerts.enabled:
            # offsets advance only once the articles' alerts are on the alerts topic
            indexed_messages = indexed | "Alerts" >> MatchSubscriptions(
                self._settings.alerts,
                self._settings.elasticsearch,
                self._settings.kafka,
                es_factory=self._es_client_factory,
                producer_factory=self._alerts_producer_factory,
            )
        else:
            indexed_messages = indexed | "IndexedMessages" >> beam.Map(lambda pair: pair[0])
        return (indexed_messages, dead_lettered) | "Durable" >> beam.Flatten()


def build_pipeline(pipeline: beam.Pipeline, settings: Settings) -> beam.PCollection[tuple[str, int]]:
    """Attach the full streaming graph to ``pipeline``; returns the committed-offsets stream."""
    return (
        pipeline
        | "ReadArticles"
        >> ReadFromKafkaSDF(
            settings.kafka,
            poll_timeout_ms=settings.pipeline.poll_timeout_ms,
            max_records_per_poll=settings.pipeline.max_records_per_poll,
        )
        | "ProcessArticles" >> ProcessArticles(settings, enrich_processes=enrich_processes(settings.pipeline))
        | "CommitOffsets" >> CommitOffsets(settings.kafka)
    )


def run(argv: Sequence[str] | None = None, settings: Settings | None = None) -> None:
    """Entry point for ``python -m pipeline.app [beam options]``: runs until cancelled."""
    from pipeline.options import pipeline_options

    settings = settings or load_settings()
    options = pipeline_options(settings, list(argv or []))
    with beam.Pipeline(options=options) as pipeline:
        build_pipeline(pipeline, settings)


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO)
    run(sys.argv[1:])
