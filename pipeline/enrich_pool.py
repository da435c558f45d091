"""Enrichment in helper processes, for a runner that runs all of a pipeline's Python in one process.

Prism (the local runner) starts one SDK worker per environment, so every Python step of the pipeline
shares one interpreter and its GIL: enrichment, about three quarters of the pipeline's Python time,
then caps a backlog drain at about one core (``docs/BENCHMARKS.md``). :class:`EnrichPool` runs the
enricher in ``processes`` spawned processes, each loading its own :class:`~pipeline.tagging.Enricher`
once; the worker sends chunks of ``(title, text, language hint)`` and gets back the enrichment or the
error of each article. The same holds for Flink with the LOOPBACK environment (the local default: the
SDK worker is the submitting process). Distributed set-ups (Flink with EXTERNAL/PROCESS/DOCKER
workers, Dataflow) get their parallelism from several SDK workers instead, and run with none
(``pipeline.enrich_processes``).

A helper process that dies (killed, out of memory, a crash in native code) breaks the pool: it is
started again, and the chunk it held is enriched again one article at a time, so an article that
kills the process each time is reported as failed on its own and the others go on.

Pure of Beam: ``pipeline.enrich`` uses it from its DoFn; tests use it directly.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, ClassVar

from newsmon.core.child_process import become_helper
from newsmon.core.settings import PipelineSettings

__all__ = ["AUTO_MAX_PROCESSES", "EnrichInput", "EnrichOutcome", "EnrichPool", "enrich_processes"]

logger = logging.getLogger(__name__)

#: what a helper process needs of one article: title, text, language hint
EnrichInput = tuple[str, str, str | None]

#: times an article is sent alone after its chunk's helper process died, before it counts as failed
_RESENDS = 2

_ENRICHER: Any = None  # the enricher of this helper process

#: ``enrich_processes: auto`` where all of the pipeline's Python runs in one process (Prism; Flink with
#: the LOOPBACK environment) uses one helper per core beyond the first, up to this many
AUTO_MAX_PROCESSES = 4


def enrich_processes(settings: PipelineSettings, cpus: int | None = None) -> int:
    """How many helper processes ``pipeline.enrich_processes`` asks for on this machine (0: none,
    the enricher runs in the SDK worker)."""
    if settings.enrich_processes != "auto":
        return int(settings.enrich_processes)
    one_process = settings.runner == "prism" or (
        settings.runner == "flink" and settings.flink_environment_type == "LOOPBACK"
    )
    if not one_process:
        return 0
    return max(0, min(AUTO_MAX_PROCESSES, (cpus or os.cpu_count() or 1) - 1))


@dataclass(frozen=True)
class EnrichOutcome:
    """The enrichment of one article (``document``: ``EnrichmentResult.to_document()``), or why it
    failed (``error``: ``Type: message``)."""

    document: dict[str, Any] | None
    error: str | None = None


def _start(factory: Callable[[], Any] | None) -> None:
    """Helper process initializer: a quiet helper of its worker (``become_helper``: ignores Ctrl-C,
    exits with the worker), then this process's enricher, built once."""
    global _ENRICHER
    become_helper()
    if factory is not None:
        _ENRICHER = factory()
        return
    from pipeline.tagging import Enricher

    _ENRICHER = Enricher.load()


def _ready() -> bool:
    """Runs in a helper once its initializer has loaded the enricher."""
    return _ENRICHER is not None


def _enrich_chunk(items: Sequence[EnrichInput]) -> list[EnrichOutcome]:
    out = []
    for title, text, hint in items:
        try:
            result = _ENRICHER.enrich(title=title, text=text, language_hint=hint)
            out.append(EnrichOutcome(result.to_document()))
        except Exception as exc:  # one article's problem: reported, the others go on
            out.append(EnrichOutcome(None, f"{type(exc).__name__}: {exc}"))
    return out


class EnrichPool:
    """``processes`` helper processes that enrich articles (module docstring: when it is used).
    One per worker process and configuration (:meth:`shared`), used by every enrich DoFn instance
    of the worker from several bundle threads; thread-safe."""

    _shared: ClassVar[dict[tuple[int, Any], EnrichPool]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, processes: int, enricher_factory: Callable[[], Any] | None = None) -> None:
        if processes < 1:
            raise ValueError("EnrichPool needs at least one process")
        self.processes = processes
        self._factory = enricher_factory
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._started = False
        self.restarts = 0

    @classmethod
    def shared(cls, processes: int, enricher_factory: Callable[[], Any] | None = None) -> EnrichPool:
        """The pool of this worker process for this configuration (created on first use)."""
        key = (processes, enricher_factory)
        with cls._shared_lock:
            pool = cls._shared.get(key)
            if pool is None:
                pool = cls._shared[key] = cls(processes, enricher_factory)
            return pool

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # spawn: the SDK worker has gRPC threads running, which a fork would copy mid-call
                self._executor = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start,
                    initargs=(self._factory,),
                )
            return self._executor

    def start(self) -> None:
        """Start the helpers and wait until they have loaded their enricher (the worker's ``setup``
        calls it, so a helper that cannot start fails the worker as an enricher that cannot load
        would, instead of every article being dead-lettered as if it had killed its helper)."""
        with self._lock:
            if self._started:
                return
        executor = self._pool()
        try:
            for future in [executor.submit(_ready) for _ in range(self.processes)]:
                future.result()
        except BrokenProcessPool as exc:
            self._restart(executor)
            raise RuntimeError(
                "the enrichment helper processes could not load the enricher (their error is logged "
                "above); fix it, or set pipeline.enrich_processes: 0 to load it in the worker"
            ) from exc
        with self._lock:
            self._started = True

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:  # another thread may have restarted it already
                self._executor = None
                self.restarts += 1
                broken.shutdown(wait=False, cancel_futures=True)
                logger.warning("an enrichment process died; starting the pool again")

    def _send(self, items: Sequence[EnrichInput]) -> tuple[ProcessPoolExecutor, Future[list[EnrichOutcome]]]:
        while True:
            executor = self._pool()
            try:
                return executor, executor.submit(_enrich_chunk, list(items))
            except (BrokenProcessPool, RuntimeError):  # broken or shut down before this was sent
                self._restart(executor)

    def submit(self, items: Sequence[EnrichInput]) -> Future[list[EnrichOutcome]]:
        """Start enriching ``items``; pass the future to :meth:`result`."""
        return self._send(items)[1]

    def result(
        self, future: Future[list[EnrichOutcome]], items: Sequence[EnrichInput]
    ) -> list[EnrichOutcome]:
        """The outcomes of ``items`` (submitted as ``future``), one per article, in order. A helper
        process that died is survived: the pool is started again and the articles are sent again one
        by one; an article whose process dies each time it is sent is a failed outcome."""
        try:
            return future.result()
        except BrokenProcessPool:  # the broken pool is replaced by the first resend (_send)
            return [self._alone(item) for item in items]

    def _alone(self, item: EnrichInput) -> EnrichOutcome:
        for _ in range(_RESENDS):
            executor, future = self._send([item])
            try:
                return future.result()[0]
            except BrokenProcessPool:
                self._restart(executor)
        return EnrichOutcome(None, f"the enrichment process died each time ({_RESENDS}) it had this article")

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> EnrichPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
