"""Scheduling rules and the persistent state store (seen-set bounded, outbox, feed state)."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

from connectors.feedlist import FeedSpec
from connectors.http import FetchError
from connectors.scheduler import SchedulePolicy, conditional_headers, record_failure, record_success
from connectors.state import FeedState, StateStore, state_file
from newsmon.core.record import ArticleRecord, ArticleSource
from newsmon.core.urls import article_id

POLICY = SchedulePolicy(park_after_failures=3, park_retry_s=86400, revalidate_every=4, jitter=0.0)
SPEC = FeedSpec(id="f", url="https://x.example/rss", min_interval=600, max_interval=6 * 3600)
NOW = 1_760_000_000.0


def _success(
    state: FeedState, *, new: int = 0, dates: list[float] | None = None, headers: dict[str, str] | None = None
) -> None:
    record_success(
        state,
        SPEC,
        NOW,
        new_items=new,
        dates=dates or [],
        headers=headers or {},
        policy=POLICY,
        rng=random.Random(1),
    )


def test_busy_feed_is_polled_at_min_interval_and_quiet_feed_at_max() -> None:
    busy, quiet, hinted = FeedState("busy"), FeedState("quiet"), FeedState("hinted", feed_hint_s=3 * 3600)

    _success(busy, dates=[NOW - n * 300 for n in range(20)])  # 20 items in the last 100 minutes
    _success(quiet, dates=[NOW - 40 * 86400])  # newest item is 40 days old
    _success(hinted, dates=[NOW - n * 300 for n in range(20)], headers={"cache-control": "max-age=60"})

    assert busy.interval_s == 600 and busy.items_per_day and busy.items_per_day > 100
    assert quiet.interval_s == 6 * 3600 and quiet.items_per_day == 0
    assert hinted.interval_s == 3 * 3600  # <ttl>/sy:updatePeriod respected within max_interval
    assert busy.next_poll_at == NOW + 600


def test_failures_back_off_then_park_and_retry_after_wins() -> None:
    state = FeedState("f")
    rng = random.Random(7)
    delays = []
    for _ in range(2):
        record_failure(state, SPEC, NOW, FetchError("network", "down"), policy=POLICY, rng=rng)
        delays.append(state.next_poll_at - NOW)
    record_failure(state, SPEC, NOW, FetchError("network", "down"), policy=POLICY, rng=rng)

    assert 300 <= delays[0] <= 600 and 600 <= delays[1] <= 1200
    assert state.parked_reason == "3 consecutive failures: down" and state.next_poll_at == NOW + 86400
    limited = FeedState("g")
    record_failure(
        limited,
        SPEC,
        NOW,
        FetchError("http", "HTTP 429", status=429, retry_after_s=5000),
        policy=POLICY,
        rng=rng,
    )
    assert limited.next_poll_at == NOW + 5000 and limited.parked_reason is None
    _success(state)
    assert state.parked_reason is None and state.failures == 0


def test_conditional_headers_and_periodic_revalidation() -> None:
    state = FeedState("f", etag='"e"', last_modified="Wed, 15 Oct 2025 10:00:00 GMT")
    assert conditional_headers(state, POLICY) == (
        {"If-None-Match": '"e"', "If-Modified-Since": "Wed, 15 Oct 2025 10:00:00 GMT"},
        False,
    )
    state.polls_since_revalidation = 3
    assert conditional_headers(state, POLICY) == ({}, True)
    state.validators_unreliable = True
    assert conditional_headers(state, POLICY) == ({}, False)


def _record(n: int, feed: str = "f") -> ArticleRecord:
    url = f"https://x.example/{n}"
    now = datetime.now(UTC)
    return ArticleRecord(
        id=article_id(url),
        url=url,
        title=f"T{n}",
        published_at=now,
        fetched_at=now,
        sources=[ArticleSource(feed_id=feed)],
    )


def test_state_store_seen_set_is_bounded_and_outbox_survives_restarts(tmp_path: Path) -> None:
    path = state_file(tmp_path, "newsmon.articles.v1")
    store = StateStore(path)
    store.mark_published([_record(n) for n in range(10)], now=NOW - 100 * 86400)
    store.mark_published([_record(n) for n in range(10, 15)], now=NOW)
    store.touch([_record(0).id], now=NOW)
    store.outbox_add([_record(99)], now=NOW)
    store.save_feeds([FeedState("f", etag='"x"', recent_dates=[1.0])])
    store.close()

    reopened = StateStore(path)
    removed = reopened.prune(older_than=NOW - 90 * 86400)
    capped = reopened.prune(older_than=0, max_rows=3)

    assert removed == 9 and capped == 3 and reopened.seen_count() == 3
    assert [r.title for r in reopened.outbox_records(10)] == ["T99"]
    reopened.mark_published([_record(99)], now=NOW)
    assert reopened.outbox_count() == 0
    assert reopened.load_feeds()["f"].etag == '"x"'
    assert reopened.seen_sources([_record(99).id])[_record(99).id][0].feed_id == "f"
    reopened.close()
    assert path.name == "newsmon.articles.v1.sqlite3" and time.time() > 0
