"""Robustness over the shared real-world corpora (skipped when ../shared is absent): the parsers never
raise, and what they flag is summarised."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.records import build_records
from connectors.registry import CONNECTORS, choose_connector
from newsmon.core.record import ArticleSource

SKIP_NAMES = {"LICENSE", "LICENSE-MIT"}


def _corpus(shared_dir: Path) -> list[Path]:
    root = shared_dir / "corpora" / "feeds"
    if not root.is_dir():
        pytest.skip("../shared/corpora/feeds is not present")
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.name not in SKIP_NAMES and ".serde." not in p.name
    )


def test_every_corpus_file_parses_without_exception(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _corpus(shared_dir)
    flagged: Counter[str] = Counter()
    fatal: list[str] = []
    records = 0
    source = ArticleSource(feed_id="corpus")
    for path in files:
        body = path.read_bytes()
        connector = choose_connector(body, "")
        parsed = connector.parse(body, url=path.as_uri(), content_type="", max_items=200)  # must not raise
        built, _, _ = build_records(parsed.entries, source, fetched_at=datetime.now(UTC), language=None)
        records += len(built)
        for problem in parsed.problems:
            flagged[problem.split(";")[0].split(" (")[0].split(":")[0]] += 1
        if parsed.fatal:
            fatal.append(f"{path.relative_to(shared_dir)}: {parsed.fatal[:80]}")

    illformed = [p for p in files if "/illformed/" in str(p)]
    with capsys.disabled():
        print(f"\ncorpus: {len(files)} files, {records} records, {len(fatal)} unusable documents")
        for kind, count in flagged.most_common():
            print(f"  flagged {count:5d}  {kind}")
    assert len(files) > 2000 and records > 4000
    assert len(fatal) < 0.05 * len(files), fatal[:10]
    assert illformed, "feedparser's ill-formed cases are part of the corpus"


def test_tutby_capture_keeps_cyrillic_and_drops_tracking_parameters(shared_dir: Path) -> None:
    path = shared_dir / "corpora" / "feeds" / "tutby-all-2019-12-30.rss"
    if not path.is_file():
        pytest.skip("tut.by capture not present")
    body = path.read_bytes()

    parsed = choose_connector(body, "").parse(
        body, url="https://news.tut.by/rss/all.rss", content_type="", max_items=500
    )
    records, _, _ = build_records(
        parsed.entries, ArticleSource(feed_id="tutby"), fetched_at=datetime.now(UTC), language="ru"
    )

    assert len(records) == 100
    assert all("utm_" not in r.url for r in records)
    assert sum(any("а" <= ch <= "я" for ch in r.title.lower()) for r in records) > 90
    assert not any("<" in r.summary and ">" in r.summary for r in records)


def test_fast_path_matches_feedparser_on_real_world_feeds(shared_dir: Path) -> None:
    """The lxml fast path and feedparser agree on the fields that identify and date an article."""
    root = shared_dir / "corpora" / "feeds" / "real-world-200"
    if not root.is_dir():
        pytest.skip("real-world-200 corpus not present")
    fast, reference = CONNECTORS["fastxml"], CONNECTORS["rss"]
    compared = agreed = 0
    for path in sorted(p for p in root.iterdir() if p.name != "LICENSE"):
        body = path.read_bytes()
        if fast.sniff(body[:4096], "") < 0.9:
            continue
        a = fast.parse(body, url="https://corpus.example/feed", content_type="", max_items=200)
        b = reference.parse(body, url="https://corpus.example/feed", content_type="", max_items=200)
        for x, y in zip(a.entries, b.entries, strict=False):
            compared += 1
            agreed += (x.url, x.title, x.published) == (y.url, y.title, y.published)
    assert compared > 4000 and agreed / compared > 0.995, (agreed, compared)
