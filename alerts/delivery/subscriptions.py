"""The delivery service's view of subscriptions: a cache over :class:`alerts.store.SubscriptionStore`,
refreshed every few seconds by comparing versions (cheap), with a real-time lookup for ids it has
not seen yet (a subscription created a moment ago)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from alerts.model import Subscription

__all__ = ["SubscriptionCache"]


class SubscriptionCache:
    """Subscriptions by id (None: deleted or never existed), at most ``max_age_s`` old; shared by the
    consumer and the delivery workers. Store errors propagate (the caller waits them out)."""

    def __init__(
        self, store: Any, max_age_s: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self.max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._subs: dict[str, Subscription | None] = {}
        self._versions: dict[str, int] = {}
        self._refreshed = float("-inf")

    def get(self, sub_id: str) -> Subscription | None:
        with self._lock:
            if self._clock() - self._refreshed >= self.max_age_s:
                self._refresh()
            if sub_id not in self._subs:
                self._subs[sub_id] = self._lookup(sub_id)
            return self._subs[sub_id]

    def invalidate(self) -> None:
        with self._lock:
            self._refreshed = float("-inf")

    def _lookup(self, sub_id: str) -> Subscription | None:
        from alerts.store import SubscriptionNotFound

        try:
            sub: Subscription = self._store.get(sub_id)
        except SubscriptionNotFound:
            return None
        return sub

    def _refresh(self) -> None:
        versions: dict[str, int] = self._store.versions()
        changed = [
            i
            for i, v in versions.items()
            if i in self._subs and self._subs[i] is not None and self._versions.get(i) != v
        ]
        changed += [i for i in self._subs if self._subs[i] is None and i in versions]
        fresh = {s.id: s for s in self._store.get_many(changed)} if changed else {}
        for sub_id in list(self._subs):
            if sub_id not in versions:
                self._subs[sub_id] = None
            elif sub_id in fresh:
                self._subs[sub_id] = fresh[sub_id]
        self._versions = versions
        self._refreshed = self._clock()
