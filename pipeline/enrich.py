"""Tag and extract entities for each article and build its index document.

Runs the same ``pipeline.tagging.Enricher`` code path as ``newsmon tag``. The enricher is built
once per worker in ``setup``, or, with ``processes`` > 0, once in each of that many helper processes
(:mod:`pipeline.enrich_pool`: for Prism, which runs all of the pipeline's Python in one process). Then
a bundle's articles go to the helpers in chunks while the bundle goes on reading, and their documents
are emitted as the chunks come back, the rest when the bundle finishes. A failure on one article
sends it to the dead-letter output.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsmon.core.record import ArticleRecord
from pipeline.dead_letter import DeadLetter
from pipeline.documents import build_document
from pipeline.enrich_pool import EnrichInput, EnrichOutcome, EnrichPool
from pipeline.kafka_source import KafkaMessage, in_global_window

__all__ = ["ENRICH_FAILED_TAG", "EnrichArticles"]

logger = logging.getLogger(__name__)

ENRICH_FAILED_TAG = "enrich_failed"


#: articles per chunk sent to a helper process: small enough that a live bundle of a few articles is
#: sent at once, large enough that the pickling round trip is a small part of the work
CHUNK_ARTICLES = 16

_Element = tuple[KafkaMessage, ArticleRecord]
#: a chunk sent to a helper process: its future, its elements and what was sent of them
_Sent = tuple[Future[list[EnrichOutcome]], list[_Element], list[EnrichInput]]


class _EnrichFn(beam.DoFn):  # type: ignore[misc]
    """Runs the enricher on title + body text and merges the result into the document."""

    def __init__(self, enricher_factory: Callable[[], Any] | None = None, processes: int = 0) -> None:
        self._enricher_factory = enricher_factory
        self._processes = processes
        self._enricher: Any = None
        self._pool: EnrichPool | None = None
        self._chunk: list[_Element] = []
        self._sent: deque[_Sent] = deque()
        self._tagged = Metrics.counter("enrich", "articles")
        self._relevant = Metrics.counter("enrich", "articles_with_tags")
        self._failed = Metrics.counter("enrich", "failed")

    def setup(self) -> None:
        if self._processes > 0:
            self._pool = EnrichPool.shared(self._processes, self._enricher_factory)
            self._pool.start()
            return
        if self._enricher_factory is not None:
            self._enricher = self._enricher_factory()
            return
        from pipeline.tagging import Enricher

        self._enricher = Enricher.load()

    def start_bundle(self) -> None:
        self._chunk, self._sent = [], deque()

    def process(self, element: tuple[KafkaMessage, ArticleRecord]) -> Iterator[Any]:
        if self._pool is not None:
            self._chunk.append(element)
            if len(self._chunk) >= CHUNK_ARTICLES:
                self._send()
            while self._sent and self._sent[0][0].done():  # emit what has come back, in order
                yield from self._receive(wrap=True)
            return
        message, record = element
        try:
            result = self._enricher.enrich(
                title=record.title, text=record.text, language_hint=record.language_hint
            )
            outcome = EnrichOutcome(result.to_document())
        except Exception as exc:
            logger.debug("enrichment failed id=%s", record.id, exc_info=True)
            outcome = EnrichOutcome(None, f"{type(exc).__name__}: {exc}")
        yield from self._outputs(message, record, outcome, wrap=False)

    def finish_bundle(self) -> Iterator[Any]:
        if self._pool is None:
            return
        if self._chunk:
            self._send()
        while self._sent:
            yield from self._receive(wrap=True)

    def _send(self) -> None:
        assert self._pool is not None
        items: list[EnrichInput] = [(r.title, r.text, r.language_hint) for _, r in self._chunk]
        self._sent.append((self._pool.submit(items), self._chunk, items))
        self._chunk = []

    def _receive(self, *, wrap: bool) -> Iterator[Any]:
        assert self._pool is not None
        future, chunk, items = self._sent.popleft()
        for (message, record), outcome in zip(chunk, self._pool.result(future, items), strict=True):
            yield from self._outputs(message, record, outcome, wrap=wrap)

    def _outputs(
        self, message: KafkaMessage, record: ArticleRecord, outcome: EnrichOutcome, *, wrap: bool
    ) -> Iterator[Any]:
        """The document of one article, or its dead letter; ``wrap``: as a windowed value (emitted
        for another element than the one being processed, or from ``finish_bundle``)."""
        document = None
        error = outcome.error
        if outcome.document is not None:
            try:
                document = build_document(
                    record,
                    outcome.document,
                    kafka_position=f"{message.topic}/{message.partition}/{message.offset}",
                )
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
        if document is None:
            self._failed.inc()
            logger.error("enrichment failed id=%s: %s", record.id, error)
            letter = DeadLetter(message, "enrich", error or "no enrichment")
            yield beam.pvalue.TaggedOutput(ENRICH_FAILED_TAG, in_global_window(letter) if wrap else letter)
            return
        self._tagged.inc()
        if document["tags"]:
            self._relevant.inc()
        yield in_global_window((message, document)) if wrap else (message, document)


class EnrichArticles(beam.PTransform):  # type: ignore[misc]
    """``(message, record)`` -> ``(message, document)``; returns ``(documents, failed)``.

    ``enricher_factory`` builds the enricher on each worker (default: ``Enricher.load()``);
    ``processes`` > 0 runs it in that many helper processes per worker (module docstring), and then
    the factory must be picklable (a module-level function or class).
    """

    def __init__(self, enricher_factory: Callable[[], Any] | None = None, processes: int = 0) -> None:
        super().__init__()
        self._enricher_factory = enricher_factory
        self._processes = processes

    def expand(self, records: Any) -> Any:
        enrich = _EnrichFn(self._enricher_factory, self._processes)
        results = records | "Enrich" >> beam.ParDo(enrich).with_outputs(ENRICH_FAILED_TAG, main="docs")
        return results.docs, results[ENRICH_FAILED_TAG]
