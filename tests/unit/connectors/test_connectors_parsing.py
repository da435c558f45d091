"""Parsers and record building: RSS/Atom via feedparser, JSON Feed, HTML to text, charsets, hostile XML."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.base import ParsedEntry
from connectors.charset import to_utf8
from connectors.html_text import html_to_text
from connectors.records import build_records
from connectors.registry import CONNECTORS, ParseJob, choose_connector, run_parse_job
from connectors.xmlsafe import strip_internal_subset
from newsmon.core.record import ArticleSource
from newsmon.core.urls import article_id

NOW = datetime(2025, 10, 16, 12, 0, tzinfo=UTC)


def _parse(
    body: bytes, url: str = "https://news.example/feed", content_type: str = "", **kw: object
) -> object:
    job = ParseJob(body, url, content_type, "auto", 50, "feed", "Feed", url, kw.get("language"), NOW)  # type: ignore[arg-type]
    return run_parse_job(job)


RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>
<title>News</title><link>https://news.example/</link><language>ru-RU</language><ttl>45</ttl>
<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>
<item><title>First &amp; foremost</title><link>/a/1?utm_source=rss</link>
<description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;&lt;script&gt;bad()&lt;/script&gt;</description>
<content:encoded><![CDATA[<p>Para one.</p><p>Para two &amp; more.</p>]]></content:encoded>
<author>desk@news.example (Desk)</author><category>Politics</category>
<pubDate>Wed, 15 Oct 2025 14:45:00 +0300</pubDate></item>
<item><title>No date</title><link>https://news.example/a/2</link></item>
<item><title>From the future</title><link>https://news.example/a/3</link>
<pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>
<item><title>No link at all</title></item>
</channel></rss>"""


def test_rss_items_become_clean_validated_records() -> None:
    out = _parse(RSS)

    first, undated, future = out.records  # type: ignore[attr-defined]
    assert first.url == "https://news.example/a/1" and first.id == article_id("https://news.example/a/1")
    assert first.title == "First & foremost"
    assert first.summary == "Hello world" and first.content == "Para one.\n\nPara two & more."
    assert (
        first.published_at == datetime(2025, 10, 15, 11, 45, tzinfo=UTC) and not first.published_at_estimated
    )
    assert first.language_hint == "ru" and first.categories == ["Politics"]
    assert first.sources[0].domain == "news.example"
    assert undated.published_at == NOW and undated.published_at_estimated
    assert future.published_at == NOW and future.published_at_estimated
    assert out.skipped == {"no link": 1}  # type: ignore[attr-defined]
    assert out.hints.ttl_s == 2700 and out.hints.update_period_s == 900  # type: ignore[attr-defined]


def test_atom_and_json_feed_are_detected_and_parsed() -> None:
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <entry><title type="html">&lt;i&gt;Hi&lt;/i&gt;</title><link href="https://a.example/x"/><id>x</id>
    <updated>2025-10-15T10:00:00Z</updated><summary>S</summary></entry></feed>"""
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": "1", '
        b'"url": "https://j.example/1", "title": "T", "content_html": "<p>C</p>", '
        b'"date_published": "2025-10-15T10:00:00Z", "authors": [{"name": "Ann"}], "tags": ["x"]}]}'
    )

    atom_out, json_out = _parse(atom), _parse(json_feed, content_type="application/feed+json")

    assert choose_connector(json_feed, "application/json").name == "jsonfeed"
    assert choose_connector(atom, "").name == "fastxml"
    assert atom_out.format == "atom10" and atom_out.records[0].title == "Hi"  # type: ignore[attr-defined]
    record = json_out.records[0]  # type: ignore[attr-defined]
    assert json_out.format == "json1.1" and (record.content, record.authors, record.categories) == (
        "C",
        ["Ann"],
        ["x"],
    )
    assert record.published_at == datetime(2025, 10, 15, 10, 0, tzinfo=UTC)


def test_ill_formed_feeds_keep_what_is_recoverable_and_say_what_is_wrong() -> None:
    broken = (
        b'<rss version="2.0"><channel><title>B</title><item><title>Kept & unescaped</title>'
        b"<link>https://b.example/1</link></item><item><title>Unclosed"
    )

    out = _parse(broken)
    not_a_feed = _parse(b"<html><body>Just a web page</body></html>")
    bad_json = _parse(
        b'{"version": "https://jsonfeed.org/version/1", "items": [', content_type="application/json"
    )

    assert [r.title for r in out.records] == ["Kept & unescaped"]  # type: ignore[attr-defined]
    assert any("ill-formed" in p for p in out.problems)  # type: ignore[attr-defined]
    assert not_a_feed.fatal and "not a feed" in not_a_feed.fatal  # type: ignore[attr-defined]
    assert bad_json.fatal and "not valid JSON" in bad_json.fatal  # type: ignore[attr-defined]


def test_entity_expansion_is_neutralised_quickly() -> None:
    entities = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 12))
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "ha">{entities}]>'
        '<rss version="2.0"><channel><title>&l11;</title><item><title>Fine</title>'
        "<link>https://x.example/1</link></item></channel></rss>"
    ).encode()
    started = time.monotonic()

    out = _parse(doc)

    assert time.monotonic() - started < 2
    assert [r.title for r in out.records] == ["Fine"]  # type: ignore[attr-defined]
    assert strip_internal_subset(doc)[0].count(b"ENTITY") == 0


def test_charset_repair_for_cyrillic_feeds() -> None:
    text = "Задержан журналист независимого издания в Гомеле; правозащитники требуют освобождения. " * 5
    doc = f'<?xml version="1.0" encoding="windows-1252"?><rss><channel><title>{text}</title></channel></rss>'

    for codec in ("cp1251", "koi8_r"):
        repaired, used, problem = to_utf8(doc.encode(codec))
        assert used == codec and problem and "wrong" in problem
        assert text in repaired.decode("utf-8") and b'encoding="utf-8"' in repaired
    assert to_utf8(doc.replace("windows-1252", "utf-8").encode("utf-8"))[2] is None


def test_html_to_text_keeps_words_and_paragraphs() -> None:
    html = (
        '<div><h2>Title</h2><p>One&nbsp;<a href="#">link</a></p><ul><li>a</li><li>b</li></ul>'
        "<style>x{}</style>tail<br>next</div>"
    )
    assert html_to_text(html) == "Title\n\nOne link\n\na\n\nb\n\ntail\nnext"
    assert html_to_text("AT&amp;T <3 plain") == "AT&T <3 plain"
    assert html_to_text("<p unclosed <b>bold") == "bold"


def test_same_link_twice_in_one_feed_is_one_record() -> None:
    source = ArticleSource(feed_id="f")
    entries = [
        ParsedEntry(url="https://x.example/a?utm_medium=rss", title="A"),
        ParsedEntry(url="https://www.x.example/a/", title="A again"),
        ParsedEntry(url="mailto:someone@x.example", title="Mail"),
    ]

    records, links, skipped = build_records(entries, source, fetched_at=NOW, language=None)

    assert [r.title for r in records] == ["A"] and links[
        records[0].id
    ] == "https://x.example/a?utm_medium=rss"
    assert skipped == {"duplicate in feed": 1, "not an http(s) link": 1}
    assert NOW - records[0].published_at < timedelta(seconds=1)


def test_fast_path_agrees_with_feedparser_and_falls_back_on_broken_xml(project_root: Path) -> None:
    fast, reference = CONNECTORS["fastxml"], CONNECTORS["rss"]
    fixtures = project_root / "config/fixtures/feeds"
    for name in ("belarus-rights-monitor.rss.xml", "minsk-news-ru.atom.xml"):
        body = (fixtures / name).read_bytes()
        a = fast.parse(body, url="https://f.example/feed", content_type="", max_items=50)
        b = reference.parse(body, url="https://f.example/feed", content_type="", max_items=50)
        assert a.entries == b.entries and (a.title, a.language) == (b.title, b.language)
    broken = b'<rss version="2.0"><channel><title>x</title><item><title>A & B</title><link>https://b.example/1</link>'
    parsed = fast.parse(broken, url="https://b.example/feed", content_type="", max_items=5)
    assert [e.title for e in parsed.entries] == ["A & B"] and any("ill-formed" in p for p in parsed.problems)
