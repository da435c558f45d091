"""De-duplication across feeds and restarts, and acknowledged publishing in batches.

For every polled feed the batcher decides which records are new *for that feed*: an article already
published from this feed is skipped; one published (or about to be) from another feed is sent again
with the union of sources, same key, so downstream keeps one article listing every feed. Within a
batch the same article from several feeds becomes one message.

A batch is committed only after Kafka answered: acknowledged ids go to the seen-set, failed records
to the outbox, and only then are the feeds' new validators (ETag, content hash) saved. If the outbox
is full, the feeds' old validators are kept, so their documents are fetched and parsed again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from connectors.poller import FeedWork
from connectors.publisher import Publisher, PublishResult
from connectors.state import FeedState, StateStore
from newsmon.core.record import ArticleRecord, ArticleSource

__all__ = ["PublishBatcher"]

logger = logging.getLogger(__name__)
_VALIDATORS = ("etag", "last_modified", "content_hash", "last_parsed_at")


@dataclass
class _Batch:
    records: dict[str, ArticleRecord] = field(default_factory=dict)
    contributors: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    aliases: dict[str, str] = field(default_factory=dict)
    works: list[FeedWork] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)


class PublishBatcher:
    """Collects records from finished feeds and publishes them in acknowledged batches."""

    def __init__(self, store: StateStore, publisher: Publisher, *, batch_size: int, outbox_max: int) -> None:
        self._store = store
        self._publisher = publisher
        self._batch_size = batch_size
        self._outbox_max = outbox_max
        self._batch = _Batch()
        self._pending: dict[str, ArticleRecord] = {}  # queued or being published, not yet committed
        self._lock = asyncio.Lock()
        self.published: list[str] = []
        self.error: str | None = None

    def _known_sources(self, ids: list[str]) -> dict[str, list[ArticleSource]]:
        known = self._store.seen_sources(ids)
        for ident in ids:
            if ident in self._pending:
                known[ident] = list(self._pending[ident].sources)
        return known

    def published_from(self, feed_id: str, ids: list[str]) -> set[str]:
        """Ids among ``ids`` already published (or queued) with ``feed_id`` among their sources."""
        known = self._known_sources(ids)
        return {i for i, sources in known.items() if any(s.feed_id == feed_id for s in sources)}

    def add(self, work: FeedWork) -> int:
        """Queue what is new in ``work``; return the number of records new for this feed."""
        known = self._known_sources([r.id for r in work.records])
        new = 0
        for record in work.records:
            sources = known.get(record.id, [])
            if any(s.feed_id == work.spec.id for s in sources):
                self._batch.touched.append(record.id)
                continue
            merged = record.model_copy(update={"sources": [*sources, *record.sources]})
            self._batch.records[record.id] = self._pending[record.id] = merged
            self._batch.contributors[record.id].add(work.spec.id)
            if record.id in work.aliases:
                self._batch.aliases[record.id] = work.aliases[record.id]
            new += 1
        self._batch.works.append(work)
        return new

    async def maybe_flush(self) -> None:
        if len(self._batch.records) >= self._batch_size:
            await self.flush()

    async def flush(self) -> None:
        """Publish the open batch, wait for Kafka, then commit seen-set, outbox and feed states."""
        async with self._lock:
            batch, self._batch = self._batch, _Batch()
            records = list(batch.records.values())
            result = await asyncio.to_thread(self._publisher.publish, records) if records else PublishResult()
            self._commit(batch, result)
            for record in records:
                if self._pending.get(record.id) is record:
                    del self._pending[record.id]

    def _commit(self, batch: _Batch, result: PublishResult) -> None:
        now = time.time()
        self._store.mark_published(result.acked, now)
        aliased = [
            r.model_copy(update={"id": batch.aliases[r.id]}) for r in result.acked if r.id in batch.aliases
        ]
        self._store.mark_published(aliased, now)
        self.published.extend(r.id for r in result.acked)
        if result.failed:
            self._keep_failed(batch, result, now)
        if result.rejected:  # not retried: the same record would be refused again; logged by the publisher
            self.error = f"{len(result.rejected)} record(s) refused by Kafka: {result.error}"
        self._store.touch(batch.touched, now)
        self._store.save_feeds(w.state for w in batch.works)

    def _keep_failed(self, batch: _Batch, result: PublishResult, now: float) -> None:
        self.error = result.error
        if self._store.outbox_count() + len(result.failed) <= self._outbox_max:
            self._store.outbox_add(result.failed, now)
            logger.warning(
                "kafka unavailable: %d record(s) kept in the outbox error=%s", len(result.failed), self.error
            )
            return
        feeds = set().union(*(batch.contributors[r.id] for r in result.failed))
        logger.error(
            "outbox full: %d record(s) not kept; %d feed(s) will be re-read", len(result.failed), len(feeds)
        )
        for work in batch.works:
            if work.spec.id in feeds:
                _restore_validators(work.state, work.previous)

    async def drain_outbox(self, limit: int) -> None:
        """Re-send records a previous pass could not publish."""
        records = self._store.outbox_records(limit)
        if not records:
            return
        async with self._lock:
            result = await asyncio.to_thread(self._publisher.publish, records)
            self._store.mark_published(result.acked, time.time())
            self._store.outbox_remove(r.id for r in result.rejected)  # would be refused forever
            self.published.extend(r.id for r in result.acked)
            self.error = result.error if result.failed or result.rejected else self.error


def _restore_validators(state: FeedState, previous: FeedState) -> None:
    for name in _VALIDATORS:
        setattr(state, name, getattr(previous, name))
