"""HTTP behaviour of the feed connectors against a real local server (and the real broker for publishing)."""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Callable
from pathlib import Path

import brotli
import psutil
import pytest

from newsmon.core.settings import Settings
from tests.integration.connectors.feedtest import (
    FeedServer,
    Reply,
    Seen,
    feed_state,
    item,
    read_topic,
    rss,
    run,
    write_feeds,
)

pytestmark = pytest.mark.integration

MakeSettings = Callable[..., Settings]
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


def test_not_modified_answer_is_not_parsed_or_published(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    validators = {"ETag": '"v1"', "Last-Modified": "Wed, 15 Oct 2025 10:00:00 GMT"}

    def answer(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, rss(item(1), item(2)), {**RSS_TYPE, **validators})

    feed_server.routes["/feed"] = answer
    settings = make_settings()
    feeds = write_feeds(tmp_path / "feeds.yaml", {"id": "cond", "url": feed_server.url("/feed")})

    first = run(settings, feeds, tmp_path / "state")
    second = run(settings, feeds, tmp_path / "state")

    assert first.feeds[0].new_items == 2 and len(first.published) == 2
    outcome = second.feeds[0]
    assert outcome.ok and outcome.not_modified and outcome.http_status == 304
    assert second.published == []
    conditional = feed_server.hits("/feed")[-1].headers
    assert conditional["if-none-match"] == '"v1"'
    assert conditional["if-modified-since"] == validators["Last-Modified"]
    assert len(read_topic(settings, expect=2)) == 2


def test_lying_etag_is_detected_and_conditional_get_turned_off(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    document = {"body": rss(item(1))}

    def answer(seen: Seen) -> Reply:  # same ETag whatever the content: a lying validator
        if seen.headers.get("if-none-match") == '"same"':
            return Reply(304)
        return Reply(200, document["body"], {**RSS_TYPE, "ETag": '"same"'})

    feed_server.routes["/feed"] = answer
    settings = make_settings(revalidate_every=3)
    feeds = write_feeds(tmp_path / "feeds.yaml", {"id": "liar", "url": feed_server.url("/feed")})
    state = tmp_path / "state"

    assert len(run(settings, feeds, state).published) == 1
    document["body"] = rss(item(1), item(2))
    hidden = run(settings, feeds, state)  # conditional: the server wrongly says 304
    revalidated = run(settings, feeds, state)  # every 3rd poll is unconditional
    after = run(settings, feeds, state)

    assert hidden.feeds[0].not_modified and hidden.published == []
    assert revalidated.feeds[0].new_items == 1 and len(revalidated.published) == 1
    assert any("conditional GET disabled" in p for p in revalidated.feeds[0].problems)
    assert feed_state(settings, state, "liar").validators_unreliable
    assert "if-none-match" not in feed_server.hits("/feed")[-1].headers
    assert after.feeds[0].not_modified  # the content hash still avoids re-parsing


def test_permanent_redirect_is_remembered_and_temporary_is_not(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    feed_server.routes["/old"] = Reply(301, headers={"Location": "/new"})
    feed_server.routes["/temp"] = Reply(302, headers={"Location": "/new"})
    feed_server.routes["/new"] = Reply(200, rss(item(1)), RSS_TYPE)
    settings = make_settings()
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        {"id": "moved", "url": feed_server.url("/old")},
        {"id": "temp", "url": feed_server.url("/temp")},
    )
    state = tmp_path / "state"

    first = run(settings, feeds, state)
    run(settings, feeds, state)

    assert all(f.ok for f in first.feeds)
    assert feed_state(settings, state, "moved").moved_to == feed_server.url("/new")
    assert feed_state(settings, state, "temp").moved_to is None
    assert len(feed_server.hits("/old")) == 1  # the second poll went straight to the new URL
    assert len(feed_server.hits("/temp")) == 2


def test_redirect_loops_and_long_chains_fail_cleanly(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    feed_server.routes["/a"] = Reply(302, headers={"Location": "/b"})
    feed_server.routes["/b"] = Reply(302, headers={"Location": "/a"})
    for n in range(8):
        feed_server.routes[f"/r{n}"] = Reply(301, headers={"Location": f"/r{n + 1}"})
    feed_server.routes["/r8"] = Reply(200, rss(item(1)), RSS_TYPE)
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        {"id": "loop", "url": feed_server.url("/a")},
        {"id": "chain", "url": feed_server.url("/r0")},
    )

    report = run(make_settings(), feeds, tmp_path / "state")

    errors = {f.feed_id: f.error or "" for f in report.feeds}
    assert "redirect loop" in errors["loop"]
    assert "more than 5 redirects" in errors["chain"]
    assert not feed_server.hits("/r8")


def test_404_backs_off_and_410_parks_the_feed(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    feed_server.routes["/missing"] = Reply(404, b"no such feed")
    feed_server.routes["/gone"] = Reply(410, b"gone for good")
    settings = make_settings(park_retry_s=86400.0)
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        {"id": "missing", "url": feed_server.url("/missing")},
        {"id": "gone", "url": feed_server.url("/gone")},
        min_interval=600,
        max_interval=3600,
    )
    state, before = tmp_path / "state", time.time()

    report = run(settings, feeds, state)

    statuses = {f.feed_id: f.http_status for f in report.feeds}
    assert statuses == {"missing": 404, "gone": 410} and not any(f.ok for f in report.feeds)
    missing, gone = feed_state(settings, state, "missing"), feed_state(settings, state, "gone")
    assert missing.failures == 1 and missing.parked_reason is None
    assert before + 300 <= missing.next_poll_at <= time.time() + 600  # backoff with jitter
    assert gone.parked_reason and "410" in gone.parked_reason
    assert gone.next_poll_at >= before + 0.9 * 86400


def test_429_retry_after_is_respected(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    feed_server.routes["/busy"] = Reply(429, b"slow down", {"Retry-After": "7200"})
    settings = make_settings()
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        {"id": "busy", "url": feed_server.url("/busy")},
        min_interval=60,
        max_interval=600,
    )
    state, before = tmp_path / "state", time.time()

    report = run(settings, feeds, state)
    again = run(settings, feeds, state, force=False)

    assert report.feeds[0].http_status == 429 and "429" in (report.feeds[0].error or "")
    assert feed_state(settings, state, "busy").next_poll_at >= before + 7200
    assert again.feeds == [] and again.not_due == 1
    assert len(feed_server.hits("/busy")) == 1


def test_slow_servers_time_out(feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path) -> None:
    feed_server.routes["/silent"] = Reply(200, rss(item(1)), RSS_TYPE, delay_s=5.0)
    feed_server.routes["/drip"] = Reply(200, rss(item(1), item(2)), RSS_TYPE, drip_s=0.02)
    settings = make_settings(read_timeout_s=0.5, fetch_deadline_s=2.0)
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        {"id": "silent", "url": feed_server.url("/silent")},
        {"id": "drip", "url": feed_server.url("/drip")},
    )
    started = time.monotonic()

    report = run(settings, feeds, tmp_path / "state")

    assert time.monotonic() - started < 10
    errors = {f.feed_id: f.error or "" for f in report.feeds}
    assert "ReadTimeout" in errors["silent"]
    assert "within 2s" in errors["drip"]  # each byte arrives in time, the whole answer does not


def test_gzip_and_brotli_bombs_are_refused_without_inflating(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    payload = bytes(200 * 1024 * 1024)  # 200 MB of zeros
    feed_server.routes["/gz"] = Reply(
        200, gzip.compress(payload, 9), {**RSS_TYPE, "Content-Encoding": "gzip"}
    )
    feed_server.routes["/br"] = Reply(
        200, brotli.compress(payload, quality=5), {**RSS_TYPE, "Content-Encoding": "br"}
    )
    del payload
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        {"id": "gz", "url": feed_server.url("/gz")},
        {"id": "br", "url": feed_server.url("/br")},
    )
    process = psutil.Process(os.getpid())
    before = process.memory_info().rss

    report = run(make_settings(), feeds, tmp_path / "state")

    for outcome in report.feeds:
        assert not outcome.ok and "decompression bomb" in (outcome.error or ""), outcome
    assert process.memory_info().rss - before < 80 * 1024 * 1024


def test_oversized_feeds_are_refused(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    big = rss(item(1)) + b"<!--" + b"x" * (11 * 1024 * 1024) + b"-->"
    feed_server.routes["/declared"] = Reply(200, big, RSS_TYPE)
    feed_server.routes["/streamed"] = Reply(200, big, RSS_TYPE, chunked=True)
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        {"id": "declared", "url": feed_server.url("/declared")},
        {"id": "streamed", "url": feed_server.url("/streamed")},
    )

    report = run(make_settings(), feeds, tmp_path / "state")

    errors = {f.feed_id: f.error or "" for f in report.feeds}
    assert "Content-Length" in errors["declared"] and "exceeds" in errors["declared"]
    assert "body exceeds 10485760 bytes" in errors["streamed"]
