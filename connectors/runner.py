"""Polling passes over a feed list: the public entry points ``poll_once`` and ``ConnectorRunner``.

Usage from ordinary (non-async) code::

    from connectors.runner import poll_once
    report = poll_once(settings, "config/feeds.demo.yaml", state_dir=tmp_path)
    report.published      # article ids acknowledged by Kafka in this pass
    report.feeds          # one FeedOutcome per polled feed (ok, http_status, new_items, error)

A pass polls every enabled feed that is due (new feeds, feeds whose next poll time has come, local
files modified since their last poll; ``force=True`` polls all), publishes new records, waits for
Kafka's acknowledgements and saves state. State lives in ``state_dir`` (default
``connectors.state_dir`` or ``services.state_dir/connectors``), one database per articles topic.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from connectors.batcher import PublishBatcher
from connectors.feedlist import FeedList, FeedSpec, load_feed_list
from connectors.finish import finish
from connectors.http import Fetcher, FetchError, FetchLimits
from connectors.poller import FeedPoller, FeedWork, ParsePool
from connectors.publisher import Publisher
from connectors.records import host_of
from connectors.report import FeedOutcome, PollReport
from connectors.safety import AddressGuard
from connectors.scheduler import SchedulePolicy
from connectors.state import FeedState, StateStore, state_file
from newsmon.core.settings import Settings

__all__ = ["ConnectorRunner", "FeedOutcome", "PollReport", "poll_once"]

logger = logging.getLogger(__name__)
_AUTO_PROCESSES_FROM = 32  # due feeds from which parsing moves to worker processes


def poll_once(
    settings: Settings,
    feeds_path: Path | str,
    *,
    state_dir: Path | None = None,
    on_feed_done: Callable[[FeedOutcome], None] | None = None,
    allow_private_networks: bool | None = None,
    force: bool = False,
    max_feeds: int | None = None,
) -> PollReport:
    """One polling pass over the feed list (runs its own event loop; call from a non-async thread).

    ``allow_private_networks``: ``None`` follows each feed's setting, ``True``/``False`` overrides all.
    Raises ``FeedListError`` for an invalid feed list; feed and Kafka problems are in the report.
    """
    feeds = load_feed_list(feeds_path)

    async def run() -> PollReport:
        async with ConnectorRunner(
            settings,
            feeds,
            state_dir=state_dir,
            on_feed_done=on_feed_done,
            allow_private_networks=allow_private_networks,
        ) as runner:
            return await runner.run_pass(force=force, max_feeds=max_feeds)

    return asyncio.run(run())


class ConnectorRunner:
    """Owns the fetcher, parse pool, Kafka publisher and state for one feed list; runs passes."""

    def __init__(
        self,
        settings: Settings,
        feeds: FeedList,
        *,
        state_dir: Path | None = None,
        on_feed_done: Callable[[FeedOutcome], None] | None = None,
        allow_private_networks: bool | None = None,
    ) -> None:
        self.settings = settings
        self.feeds = feeds
        self._opts = settings.connectors
        self.state_dir = state_dir or self._opts.state_dir or settings.services.state_dir / "connectors"
        self._on_feed_done = on_feed_done
        self._allow_override = allow_private_networks
        self._policy = SchedulePolicy(
            park_after_failures=self._opts.park_after_failures,
            park_retry_s=self._opts.park_retry_s,
            revalidate_every=self._opts.revalidate_every,
        )
        self._rng = random.Random()
        self._states: dict[str, FeedState] = {}

    async def __aenter__(self) -> ConnectorRunner:
        opts = self._opts
        self._store = StateStore(state_file(self.state_dir, self.settings.kafka.articles_topic))
        self._states = self._store.load_feeds()
        limits = FetchLimits(
            user_agent=opts.user_agent,
            max_concurrency=opts.max_concurrency,
            per_host_concurrency=opts.per_host_concurrency,
            connect_timeout_s=opts.connect_timeout_s,
            read_timeout_s=opts.read_timeout_s,
            deadline_s=opts.fetch_deadline_s,
            max_body_bytes=opts.max_body_bytes,
            max_redirects=opts.max_redirects,
        )
        guard = AddressGuard(
            allow_private_default=self._allow_override is True, trusted_hosts=opts.trusted_private_hosts
        )
        self._fetcher = Fetcher(limits, guard)
        self._publisher = Publisher(self.settings.kafka, opts)
        self._batcher = PublishBatcher(
            self._store, self._publisher, batch_size=opts.publish_batch, outbox_max=opts.outbox_max
        )
        self._pool = ParsePool(opts.parse_workers)
        self._poller = FeedPoller(
            self._fetcher,
            self._pool,
            self._policy,
            max_items=opts.max_items_per_feed,
            reparse_after_s=opts.seen_retention_days * 86400 / 3,
            fulltext_per_feed=opts.fulltext_per_feed,
            published_from=self._batcher.published_from,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._batcher.flush()  # flush on shutdown: nothing polled is left unpublished
        finally:
            await asyncio.to_thread(self._publisher.close)
            await self._fetcher.__aexit__()
            self._pool.shutdown()
            self._store.close()

    def _state_for(self, spec: FeedSpec) -> FeedState:
        state = self._states.get(spec.id)
        if state is None or state.url != spec.url:  # new feed, or its URL was edited: start afresh
            state = self._states[spec.id] = FeedState(feed_id=spec.id, url=spec.url)
        return state

    def _allow_private(self, spec: FeedSpec) -> bool:
        if self._allow_override is not None:
            return self._allow_override
        return spec.allow_private_networks or self._opts.allow_private_networks

    def _is_due(self, spec: FeedSpec, now: float, force: bool) -> bool:
        state = self._state_for(spec)
        path = spec.local_path
        if path is not None and path.exists() and path.stat().st_mtime > (state.last_success_at or 0):
            return True
        return force or state.next_poll_at <= now

    def due_feeds(self, now: float, *, force: bool = False) -> list[FeedSpec]:
        """Enabled feeds due at ``now``, most overdue first, hosts interleaved."""
        due = [s for s in self.feeds.enabled() if self._is_due(s, now, force)]
        due.sort(key=lambda s: self._state_for(s).next_poll_at)
        return _interleave_hosts(due)

    def seconds_until_next_due(self, now: float) -> float:
        times = [self._state_for(s).next_poll_at for s in self.feeds.enabled()]
        return max(0.0, min(times, default=now + 60.0) - now)

    async def run_pass(self, *, force: bool = False, max_feeds: int | None = None) -> PollReport:
        """Poll the due feeds once, publish, wait for acknowledgements, save state; never raises for feeds."""
        started, now = time.monotonic(), time.time()
        self._batcher.published, self._batcher.error = [], None
        await self._batcher.drain_outbox(limit=self._opts.publish_batch * 5)
        due = self.due_feeds(now, force=force)
        selected = due[:max_feeds] if max_feeds is not None else due
        if (
            self._pool.workers == 0
            and self._opts.parse_workers == 0
            and len(selected) >= _AUTO_PROCESSES_FROM
        ):
            self._pool.workers = max(1, min(4, os.cpu_count() or 1))
        report = PollReport(not_due=len(self.feeds.enabled()) - len(selected))
        slots = asyncio.Semaphore(self._opts.max_concurrency * 2)  # bounds bodies held in memory
        async with asyncio.TaskGroup() as group:
            for spec in selected:
                group.create_task(self._poll_one(spec, slots, report))
        await self._batcher.flush()
        self._store.prune(time.time() - self._opts.seen_retention_days * 86400)
        report.published = list(self._batcher.published)
        report.kafka_error = self._batcher.error
        report.outbox_pending = self._store.outbox_count()
        report.duration_s = time.monotonic() - started
        return report

    async def _poll_one(self, spec: FeedSpec, slots: asyncio.Semaphore, report: PollReport) -> None:
        async with slots:
            try:
                work = await self._poller.poll(
                    spec, self._state_for(spec), allow_private=self._allow_private(spec)
                )
            except Exception as exc:
                logger.exception("internal error polling feed_id=%s", spec.id)
                work = FeedWork(spec, self._state_for(spec), self._state_for(spec), time.time())
                work.error = FetchError("internal", f"internal error: {type(exc).__name__}: {exc}")
        outcome = finish(work, self._batcher, self._policy, self._rng)
        self._states[spec.id] = work.state
        report.feeds.append(outcome)
        if self._on_feed_done is not None:
            self._on_feed_done(outcome)
        await self._batcher.maybe_flush()


def _interleave_hosts(feeds: list[FeedSpec]) -> list[FeedSpec]:
    """Round-robin over hosts so one slow host does not hold every concurrency slot."""
    by_host: dict[str, list[FeedSpec]] = {}
    for spec in feeds:
        by_host.setdefault(host_of(spec.url), []).append(spec)
    queues = list(by_host.values())
    ordered: list[FeedSpec] = []
    for index in range(max((len(q) for q in queues), default=0)):
        ordered.extend(q[index] for q in queues if index < len(q))
    return ordered
