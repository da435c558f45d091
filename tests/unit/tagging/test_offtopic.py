"""Theme tags on text about other things (feed entries): counting, rendering and the 1 % target."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pipeline.tagging import Enricher
from pipeline.tagging.offtopic import (
    MAX_RATE,
    OffTopicResult,
    check_offtopic,
    feed_entries,
    load_offtopic,
    render_offtopic,
    score_offtopic,
)

RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>New phone released</title>"
    "<description>&lt;p&gt;It has a &lt;b&gt;big&lt;/b&gt; screen.&lt;/p&gt;</description></item>"
    "<item><title>Journalist detained</title>"
    "<description>Police detained a journalist in Minsk.</description></item>"
    "</channel></rss>"
)


def test_feed_entries_strip_html(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(RSS, encoding="utf-8")
    assert list(feed_entries([tmp_path / "feed.xml"])) == [
        ("New phone released", "It has a big screen."),
        ("Journalist detained", "Police detained a journalist in Minsk."),
    ]


def test_score_counts_tags_per_source_and_checks_the_rate(enricher: Enricher, tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(RSS, encoding="utf-8")
    result = score_offtopic(enricher, {"sample": list(feed_entries([tmp_path / "feed.xml"]))})
    assert result.entries == {"sample": 2}
    assert result.tagged["sample"]["press_freedom"] == 1
    assert "press_freedom" in result.themes and "human_rights" not in result.themes
    assert any(m.startswith("sample press_freedom 50.00 %") for m in check_offtopic(result))
    assert "MISSED" in render_offtopic(result)


def test_missing_corpus_is_reported_not_measured(tmp_path: Path) -> None:
    assert load_offtopic(tmp_path) == {}
    assert "not present" in render_offtopic(OffTopicResult())
    quiet = OffTopicResult(entries={"x": 10}, tagged={"x": Counter()}, themes=("torture",))
    assert check_offtopic(quiet) == []


def test_theme_rate_on_the_real_world_feeds_stays_below_one_percent(enricher: Enricher, shared: Path) -> None:
    sources = load_offtopic(shared)
    if not sources:
        pytest.skip("../shared/corpora/feeds is not present")
    result = score_offtopic(enricher, sources)
    assert result.entries.get("real-world-200", 0) > 6000
    assert check_offtopic(result, MAX_RATE) == []
