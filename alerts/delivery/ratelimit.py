"""Per-subscription rate limit of instant messages over any rolling hour (pure, in memory).

The delivery service consumes one subscription's alerts on one partition (the Kafka key is the
subscription id), so one process decides for a subscription at a time; after a restart or a
rebalance it seeds the window from the deliveries index (:meth:`RateLimiter.seed`)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta

__all__ = ["WINDOW", "RateLimiter"]

WINDOW = timedelta(hours=1)


class RateLimiter:
    """Counts instant messages per subscription in the last hour; used by the consumer before it
    records an instant delivery (over the limit, the alert goes to the hourly digest)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[tuple[datetime, int]]] = {}

    def knows(self, sub_id: str) -> bool:
        with self._lock:
            return sub_id in self._windows

    def seed(self, sub_id: str, entries: Iterable[tuple[datetime, int]]) -> None:
        """Start ``sub_id``'s window from (time, count) entries (what the deliveries index says)."""
        with self._lock:
            self._windows[sub_id] = deque(sorted(entries))

    def _expire(self, window: deque[tuple[datetime, int]], now: datetime) -> int:
        while window and window[0][0] <= now - WINDOW:
            window.popleft()
        return sum(count for _, count in window)

    def take(self, sub_id: str, limit: int, now: datetime) -> bool:
        """Count one message for ``sub_id`` at ``now`` if that stays within ``limit``; False if not."""
        with self._lock:
            window = self._windows.setdefault(sub_id, deque())
            if self._expire(window, now) >= limit:
                return False
            window.append((now, 1))
            return True

    def give_back(self, sub_id: str, at: datetime) -> None:
        """Undo a :meth:`take` at ``at`` (the alert turned out to be a replay)."""
        with self._lock:
            window = self._windows.get(sub_id)
            if window and (at, 1) in window:
                window.remove((at, 1))
