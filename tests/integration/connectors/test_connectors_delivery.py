"""No duplicates, no losses: restarts, the same article in several feeds, Kafka outages, full text, demo."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.publisher import Publisher
from connectors.runner import FeedOutcome, poll_once
from newsmon.core.record import ArticleRecord, ArticleSource
from newsmon.core.settings import Settings
from newsmon.core.urls import article_id
from tests.integration.connectors.feedtest import FeedServer, Reply, item, read_topic, rss, run, write_feeds

pytestmark = pytest.mark.integration

MakeSettings = Callable[..., Settings]
RSS_TYPE = {"Content-Type": "application/rss+xml"}
SEED_TITLE = "Belarus’ Prisoner Release a Political Diversion, Say Human Rights Activists"


def test_restart_does_not_republish(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    feed_server.routes["/feed"] = Reply(200, rss(item(1), item(2), item(3)), RSS_TYPE)
    settings = make_settings()
    feeds = write_feeds(tmp_path / "feeds.yaml", {"id": "news", "url": feed_server.url("/feed")})
    state = tmp_path / "state"

    first = run(settings, feeds, state)  # each run is a fresh runner: a restart
    feed_server.routes["/feed"] = Reply(200, rss(item(4), item(1), item(2), item(3)), RSS_TYPE)
    second = run(settings, feeds, state)
    third = run(settings, feeds, state)

    assert len(first.published) == 3
    assert second.published == [article_id("https://news.example/articles/4")]
    assert third.published == [] and third.feeds[0].not_modified
    assert len(read_topic(settings, expect=4)) == 4


def test_same_article_in_two_feeds_is_one_record_listing_both(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    shared = {"title": "Shared story", "description": "Same article, two feeds"}
    feed_server.routes["/a"] = Reply(
        200, rss({**shared, "link": "https://news.example/story/7?utm_source=a"}), RSS_TYPE
    )
    feed_server.routes["/b"] = Reply(
        200, rss({**shared, "link": "http://www.news.example/story/7/?fbclid=b"}), RSS_TYPE
    )
    feed_server.routes["/c"] = Reply(200, rss({**shared, "link": "https://news.example/story/7"}), RSS_TYPE)
    settings = make_settings()
    two = write_feeds(
        tmp_path / "two.yaml",
        {"id": "feed-a", "url": feed_server.url("/a")},
        {"id": "feed-b", "url": feed_server.url("/b")},
    )
    three = write_feeds(tmp_path / "three.yaml", {"id": "feed-c", "url": feed_server.url("/c")})
    state = tmp_path / "state"

    together = run(settings, two, state)
    later = run(settings, three, state)

    story = article_id("https://news.example/story/7")
    assert together.published == [story] and later.published == [story]
    first, update = read_topic(settings, expect=2)
    assert first.id == update.id == story
    assert sorted(s.feed_id for s in first.sources) == ["feed-a", "feed-b"]
    assert sorted(s.feed_id for s in update.sources) == ["feed-a", "feed-b", "feed-c"]
    assert run(settings, two, state).published == []  # nothing new for a or b


def test_kafka_outage_loses_nothing(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    feed_server.routes["/feed"] = Reply(200, rss(item(1), item(2)), RSS_TYPE)
    settings = make_settings(kafka_timeout_s=3.0)
    down = settings.model_copy(
        update={"kafka": settings.kafka.model_copy(update={"bootstrap_servers": "127.0.0.1:1"})}
    )
    feeds = write_feeds(tmp_path / "feeds.yaml", {"id": "news", "url": feed_server.url("/feed")})
    state = tmp_path / "state"

    outage = run(down, feeds, state)
    recovered = run(settings, feeds, state, force=False)

    assert outage.published == [] and outage.kafka_error and outage.outbox_pending == 2
    assert outage.feeds[0].ok and outage.feeds[0].new_items == 2
    assert sorted(recovered.published) == sorted(
        article_id(f"https://news.example/articles/{n}") for n in (1, 2)
    )
    assert recovered.outbox_pending == 0 and recovered.kafka_error is None
    assert len(read_topic(settings, expect=2)) == 2


def test_full_text_respects_robots_and_prefers_the_canonical_url(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    paragraph = (
        "The Viasna Human Rights Centre said on Monday that the number of political prisoners in Belarus "
        "remained above one thousand despite recent pardons, and documented new arrests in Hrodna. "
    )
    page = (
        "<html><head><title>Story</title>"
        f'<link rel="canonical" href="{feed_server.url("/articles/open-canonical")}"></head>'
        f"<body><nav>Home | World</nav><article><h1>Story</h1>{'<p>' + paragraph * 3 + '</p>' * 1}"
        f"<p>{paragraph}</p><p>{paragraph}</p></article><footer>© Example</footer></body></html>"
    )
    feed_server.routes["/robots.txt"] = Reply(
        200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}
    )
    feed_server.routes["/articles/open"] = Reply(
        200, page.encode(), {"Content-Type": "text/html; charset=utf-8"}
    )
    feed_server.routes["/private/secret"] = Reply(200, page.encode(), {"Content-Type": "text/html"})
    items = (
        {"title": "Open", "link": feed_server.url("/articles/open"), "description": "Feed summary one"},
        {"title": "Private", "link": feed_server.url("/private/secret"), "description": "Feed summary two"},
    )
    feed_server.routes["/feed"] = Reply(200, rss(*items), RSS_TYPE)
    settings = make_settings()
    feeds = write_feeds(
        tmp_path / "feeds.yaml", {"id": "full", "url": feed_server.url("/feed"), "fulltext": True}
    )

    report = run(settings, feeds, tmp_path / "state")

    assert report.feeds[0].ok and report.feeds[0].new_items == 2
    assert any("robots.txt disallows" in p for p in report.feeds[0].problems)
    records = {r.title: r for r in read_topic(settings, expect=2)}
    assert "political prisoners in Belarus" in records["Open"].content
    assert records["Open"].url.endswith("/articles/open-canonical")
    assert records["Open"].summary == "Feed summary one"
    assert records["Private"].content == "" and records["Private"].summary == "Feed summary two"
    assert not feed_server.hits("/private/secret")


def test_demo_feed_list_publishes_the_seed_article(
    make_settings: MakeSettings, tmp_path: Path, project_root: Path
) -> None:
    settings = make_settings()
    done: list[FeedOutcome] = []

    report = poll_once(
        settings, project_root / "config/feeds.demo.yaml", state_dir=tmp_path, on_feed_done=done.append
    )

    assert not report.failed and len(done) == 3
    assert len(report.published) == 12
    records = read_topic(settings, expect=12)
    seed = next(r for r in records if r.title == SEED_TITLE)
    assert seed.published_at.isoformat().startswith("2025-10-15")
    assert "Ales Bialiatski" in seed.content and seed.language_hint == "en"
    assert {r.language_hint for r in records} == {"en", "ru"}


def test_poll_once_reads_a_local_http_feed_when_private_networks_are_allowed(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path, project_root: Path
) -> None:
    fixture = project_root / "config/fixtures/feeds/belarus-rights-monitor.rss.xml"
    feed_server.routes["/seed.xml"] = Reply(200, fixture.read_bytes(), RSS_TYPE)
    feeds = write_feeds(tmp_path / "feeds.yaml", {"id": "seed", "url": feed_server.url("/seed.xml")})
    feeds.write_text(
        feeds.read_text().replace("allow_private_networks: true", "allow_private_networks: false")
    )
    settings = make_settings()

    refused = poll_once(settings, feeds, state_dir=tmp_path / "refused")
    report = poll_once(settings, feeds, state_dir=tmp_path / "state", allow_private_networks=True)

    assert refused.failed and "refused" in (refused.failed[0].error or "")
    assert report.feeds[0].ok and len(report.published) == 4
    assert SEED_TITLE in {r.title for r in read_topic(settings, expect=4)}


def test_a_record_kafka_refuses_does_not_block_the_others(make_settings: MakeSettings) -> None:
    settings = make_settings()
    now = datetime.now(UTC)

    def record(n: int, text: str) -> ArticleRecord:
        url = f"https://news.example/big/{n}"
        source = ArticleSource(feed_id="f")
        return ArticleRecord(
            id=article_id(url),
            url=url,
            title=f"R{n}",
            content=text,
            summary=text,
            published_at=now,
            fetched_at=now,
            sources=[source],
        )

    huge, small = record(1, "ж" * 1_000_000), record(2, "ok")  # ~4 MB of JSON: over the request limit
    publisher = Publisher(settings.kafka, settings.connectors)
    try:
        result = publisher.publish([huge, small])
    finally:
        publisher.close()

    assert [r.id for r in result.acked] == [small.id]
    assert [r.id for r in result.rejected] == [huge.id] and result.failed == []
    assert "MessageSizeTooLarge" in (result.error or "")
