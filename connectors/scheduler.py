"""When to poll each feed next: adaptive within per-feed bounds, polite to publisher hints, patient on errors.

* **Adaptive**: the interval aims at about one new item per poll, estimated from the publication
  dates of the feed's recent items (so a 20-item feed covering three hours is polled often, a feed
  whose newest item is a month old rarely), else from the observed rate of new items. It is clamped
  to ``[min_interval, max_interval]``.
* **Hints**: RSS ``<ttl>``, ``sy:updatePeriod``/``sy:updateFrequency`` and ``Cache-Control: max-age``
  may lengthen the interval up to ``max_interval``; ``Retry-After`` (429/503) is obeyed up to a week.
* **Errors**: exponential backoff with jitter from ``min_interval``; after ``park_after_failures``
  consecutive failures, or at once on 410 Gone or a refused URL, the feed is *parked*: retried every
  ``park_retry_s`` with the reason kept in its state until it succeeds again.
* **Lying validators**: every ``revalidate_every`` polls the request is unconditional; if it brings new
  items although ETag/Last-Modified did not change, the feed's validators are marked unreliable and
  conditional GET is no longer used for it (the content hash still avoids re-parsing).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.base import FeedHints
from connectors.feedlist import FeedSpec
from connectors.http import FetchError
from connectors.state import FeedState

__all__ = [
    "SchedulePolicy",
    "conditional_headers",
    "feed_hint_s",
    "items_per_day",
    "record_failure",
    "record_success",
]

DAY = 86400.0
_RATE_WINDOW = 7 * DAY
_MAX_DATES = 100
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class SchedulePolicy:
    """Failure and revalidation rules shared by all feeds (from ``connectors`` settings)."""

    park_after_failures: int = 10
    park_retry_s: float = DAY
    revalidate_every: int = 12
    max_retry_after_s: float = 7 * DAY
    jitter: float = 0.1


def conditional_headers(state: FeedState, policy: SchedulePolicy) -> tuple[dict[str, str], bool]:
    """Request headers for the next poll and whether this poll is an unconditional revalidation."""
    has_validators = bool(state.etag or state.last_modified)
    if not has_validators or state.validators_unreliable:
        return {}, False
    if state.polls_since_revalidation + 1 >= policy.revalidate_every:
        return {}, True
    headers = {"If-None-Match": state.etag} if state.etag else {}
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers, False


def items_per_day(state: FeedState, now: float) -> float | None:
    """Rate of new items: from recent publication dates when the feed has them, else the observed rate."""
    if not state.recent_dates:
        return state.observed_per_day
    recent = [t for t in state.recent_dates if now - _RATE_WINDOW <= t <= now]
    if not recent:
        return 0.0
    return len(recent) * DAY / max(now - min(recent), 3600.0)


def feed_hint_s(hints: FeedHints) -> float | None:
    """The publisher's own refresh hint from the document (``<ttl>``, ``sy:updatePeriod``)."""
    return max((h for h in (hints.ttl_s, hints.update_period_s) if h), default=None)


def _hint_s(state: FeedState, headers: Mapping[str, str]) -> float:
    match = _MAX_AGE.search(headers.get("cache-control", ""))
    candidates = [state.feed_hint_s, float(match.group(1)) if match else None]
    return max((c for c in candidates if c), default=0.0)


def _next_interval(spec: FeedSpec, rate: float | None, hint_s: float) -> float:
    interval = spec.max_interval if not rate else DAY / rate
    interval = min(max(interval, spec.min_interval), spec.max_interval)
    return max(interval, min(hint_s, spec.max_interval))


def _jittered(seconds: float, policy: SchedulePolicy, rng: random.Random) -> float:
    return seconds * (1.0 + rng.uniform(-policy.jitter, policy.jitter))


def record_success(
    state: FeedState,
    spec: FeedSpec,
    now: float,
    *,
    new_items: int,
    dates: list[float],
    headers: Mapping[str, str],
    policy: SchedulePolicy,
    rng: random.Random,
) -> None:
    """Update ``state`` after a successful poll (200 or 304) and schedule the next one."""
    if state.last_success_at is not None:
        observed = new_items * DAY / max(now - state.last_success_at, 60.0)
        previous = state.observed_per_day
        state.observed_per_day = observed if previous is None else 0.5 * previous + 0.5 * observed
    if dates:
        state.recent_dates = sorted(set(state.recent_dates) | set(dates))[-_MAX_DATES:]
    state.failures, state.parked_reason = 0, None
    state.last_success_at = now
    state.new_items_total += new_items
    state.items_per_day = items_per_day(state, now)
    state.interval_s = _next_interval(spec, state.items_per_day, _hint_s(state, headers))
    state.next_poll_at = now + _jittered(state.interval_s, policy, rng)


def record_failure(
    state: FeedState,
    spec: FeedSpec,
    now: float,
    error: FetchError,
    *,
    policy: SchedulePolicy,
    rng: random.Random,
) -> None:
    """Update ``state`` after a failed poll: back off exponentially, or park the feed."""
    state.failures += 1
    state.last_error, state.last_error_at, state.last_status = str(error), now, error.status
    if error.permanent or state.failures >= policy.park_after_failures:
        why = "permanent error" if error.permanent else f"{state.failures} consecutive failures"
        state.parked_reason = f"{why}: {error}"
        state.next_poll_at = now + _jittered(policy.park_retry_s, policy, rng)
        return
    base = max(spec.min_interval, 60.0) * 2 ** (state.failures - 1)
    delay = min(base, max(spec.max_interval, spec.min_interval)) * rng.uniform(0.5, 1.0)
    if error.retry_after_s is not None:
        delay = max(delay, min(error.retry_after_s, policy.max_retry_after_s))
    state.next_poll_at = now + delay
