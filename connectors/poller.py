"""Polling one feed: fetch (HTTP or local file), skip unchanged documents, parse in a worker, full text.

``FeedPoller.poll`` never raises for feed problems: the returned ``FeedWork`` carries either the
records and what the feed told us, or the ``FetchError`` that stopped it. Scheduling, de-duplication
and publishing happen afterwards in the runner and the batcher.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from connectors.feedlist import FeedSpec
from connectors.fulltext import FullText
from connectors.http import Fetcher, FetchError, FetchResult
from connectors.registry import ParseJob, ParseOutput, run_parse_job
from connectors.scheduler import SchedulePolicy, conditional_headers
from connectors.state import FeedState
from newsmon.core.child_process import become_helper
from newsmon.core.record import ArticleRecord

__all__ = ["FeedPoller", "FeedWork", "ParsePool"]

logger = logging.getLogger(__name__)


class ParsePool:
    """Runs parse jobs in worker processes (``workers > 0``) or in a thread (``workers == 0``)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: Executor | None = None

    def _pool(self) -> Executor:
        if self._executor is None:
            context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
            # workers ignore Ctrl-C and exit with this process, even after SIGKILL (become_helper)
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=become_helper)
        return self._executor

    async def run(self, job: ParseJob) -> ParseOutput:
        if self.workers == 0:
            return await asyncio.to_thread(run_parse_job, job)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool(), run_parse_job, job)
        except BrokenProcessPool:
            logger.error("parse worker died feed_id=%s; restarting the pool", job.feed_id)
            self.shutdown()
            return ParseOutput(format="unknown", fatal="parser worker process crashed on this document")

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


@dataclass
class FeedWork:
    """The result of polling one feed, before de-duplication and publishing."""

    spec: FeedSpec
    state: FeedState  # updated copy: validators staged, committed only once records are safe
    previous: FeedState
    started: float
    fetched: FetchResult | None = None
    error: FetchError | None = None
    unchanged: bool = False
    revalidating: bool = False
    output: ParseOutput | None = None
    records: list[ArticleRecord] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # record id -> id of the feed link it replaced
    problems: list[str] = field(default_factory=list)
    allow_private: bool = False


class FeedPoller:
    """Fetches and parses feeds; shared by all feeds of a runner."""

    def __init__(
        self,
        fetcher: Fetcher,
        pool: ParsePool,
        policy: SchedulePolicy,
        *,
        max_items: int,
        reparse_after_s: float,
        fulltext_per_feed: int,
        published_from: Callable[[str, list[str]], set[str]] = lambda feed_id, ids: set(),
    ) -> None:
        self._fetcher = fetcher
        self._pool = pool
        self._policy = policy
        self._max_items = max_items
        self._reparse_after_s = reparse_after_s
        self._fulltext = FullText(fetcher)
        self._fulltext_per_feed = fulltext_per_feed
        self._published_from = published_from

    async def poll(self, spec: FeedSpec, state: FeedState, *, allow_private: bool) -> FeedWork:
        work = FeedWork(spec, copy.deepcopy(state), state, time.time(), allow_private=allow_private)
        try:
            work.fetched = await self._fetch(work, allow_private)
        except FetchError as exc:
            work.error = exc
            return work
        await self._handle(work)
        return work

    async def _fetch(self, work: FeedWork, allow_private: bool) -> FetchResult:
        path = work.spec.local_path
        if path is not None:
            return await asyncio.to_thread(_read_file, path, self._fetcher.limits.max_body_bytes)
        headers, work.revalidating = conditional_headers(work.state, self._policy)
        url = work.state.moved_to or work.spec.url
        return await self._fetcher.get(url, headers=headers, allow_private=allow_private)

    async def _handle(self, work: FeedWork) -> None:
        fetched, state = work.fetched, work.state
        assert fetched is not None
        state.polls += 1
        state.last_status = fetched.status
        state.polls_since_revalidation = 0 if work.revalidating else state.polls_since_revalidation + 1
        if fetched.moved_to and fetched.moved_to != state.moved_to:
            work.problems.append(f"moved permanently to {fetched.moved_to}")
            state.moved_to = fetched.moved_to
        if fetched.status == 304:
            work.unchanged = True
            return
        digest = hashlib.sha256(fetched.body).hexdigest()
        stale = (state.last_parsed_at or 0) < time.time() - self._reparse_after_s
        if digest == state.content_hash and not stale:
            work.unchanged = True
            return
        state.etag, state.last_modified = fetched.headers.get("etag"), fetched.headers.get("last-modified")
        state.content_hash, state.last_parsed_at = digest, time.time()
        work.output = await self._pool.run(self._job(work.spec, fetched))
        work.records = work.output.records
        if work.spec.fulltext and work.records:
            await self._full_text(work)

    def _job(self, spec: FeedSpec, fetched: FetchResult) -> ParseJob:
        return ParseJob(
            body=fetched.body,
            url=fetched.url,
            content_type=fetched.headers.get("content-type", ""),
            connector=spec.connector,
            max_items=spec.max_items or self._max_items,
            feed_id=spec.id,
            feed_name=spec.display_name,
            feed_url=spec.url,
            language=spec.language,
            fetched_at=datetime.now(UTC),
        )

    async def _full_text(self, work: FeedWork) -> None:
        """Replace up to ``fulltext_per_feed`` not yet published records by their full-text versions."""
        known = self._published_from(work.spec.id, [r.id for r in work.records])
        todo = [i for i, r in enumerate(work.records) if r.id not in known][: self._fulltext_per_feed]
        links = work.output.links if work.output else {}
        results = await asyncio.gather(
            *(
                self._fulltext.enrich(work.records[i], links.get(work.records[i].id), work.allow_private)
                for i in todo
            )
        )
        for index, result in zip(todo, results, strict=True):
            work.records[index] = result.record
            if result.alias:
                work.aliases[result.record.id] = result.alias
            if result.problem:
                work.problems.append(result.problem)


def _read_file(path: Path, limit: int) -> FetchResult:
    try:
        size = path.stat().st_size
        if size > limit:
            raise FetchError("too_large", f"{path} is {size} bytes, more than {limit}")
        body = path.read_bytes()
    except OSError as exc:
        raise FetchError("file", f"cannot read {path}: {exc.strerror or exc}") from exc
    return FetchResult(200, path.as_uri(), body, {})
