"""Tag and extract entities for each article and build its index document.

Runs the same ``pipeline.tagging.Enricher`` code path as ``newsmon tag``. The enricher is built
once per worker in ``setup``. A failure on one article sends it to the dead-letter output.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsmon.core.record import ArticleRecord
from pipeline.dead_letter import DeadLetter
from pipeline.documents import build_document
from pipeline.kafka_source import KafkaMessage

__all__ = ["ENRICH_FAILED_TAG", "EnrichArticles"]

logger = logging.getLogger(__name__)

ENRICH_FAILED_TAG = "enrich_failed"


class _EnrichFn(beam.DoFn):  # type: ignore[misc]
    """Runs the enricher on title + body text and merges the result into the document."""

    def __init__(self, enricher_factory: Callable[[], Any] | None = None) -> None:
        self._enricher_factory = enricher_factory
        self._enricher: Any = None
        self._tagged = Metrics.counter("enrich", "articles")
        self._relevant = Metrics.counter("enrich", "articles_with_tags")
        self._failed = Metrics.counter("enrich", "failed")

    def setup(self) -> None:
        if self._enricher_factory is not None:
            self._enricher = self._enricher_factory()
            return
        from pipeline.tagging import Enricher

        self._enricher = Enricher.load()

    def process(self, element: tuple[KafkaMessage, ArticleRecord]) -> Iterator[Any]:
        message, record = element
        try:
            result = self._enricher.enrich(
                title=record.title, text=record.text, language_hint=record.language_hint
            )
            document = build_document(
                record,
                result.to_document(),
                kafka_position=f"{message.topic}/{message.partition}/{message.offset}",
            )
        except Exception as exc:
            self._failed.inc()
            logger.exception("enrichment failed id=%s", record.id)
            yield beam.pvalue.TaggedOutput(
                ENRICH_FAILED_TAG, DeadLetter(message, "enrich", f"{type(exc).__name__}: {exc}")
            )
            return
        self._tagged.inc()
        if document["tags"]:
            self._relevant.inc()
        yield message, document


class EnrichArticles(beam.PTransform):  # type: ignore[misc]
    """``(message, record)`` -> ``(message, document)``; returns ``(documents, failed)``.

    ``enricher_factory`` builds the enricher on each worker (default: ``Enricher.load()``).
    """

    def __init__(self, enricher_factory: Callable[[], Any] | None = None) -> None:
        super().__init__()
        self._enricher_factory = enricher_factory

    def expand(self, records: Any) -> Any:
        results = records | "Enrich" >> beam.ParDo(_EnrichFn(self._enricher_factory)).with_outputs(
            ENRICH_FAILED_TAG, main="docs"
        )
        return results.docs, results[ENRICH_FAILED_TAG]
