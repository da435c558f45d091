"""Message rendering: everything from articles and subscriptions is escaped in HTML, only http(s)
links become links, titles are one line, digests list and count, and Apprise's text part (derived
from our HTML for e-mail) keeps titles and URLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apprise import NotifyFormat
from apprise.conversion import convert_between

from alerts.delivery.render import (
    DIGEST_MAX_ITEMS,
    DigestContent,
    digest_payload,
    instant_payload,
    render_digest,
    render_instant,
)
from alerts.model import AlertArticle, AlertMessage

EVIL = '<script>alert("x")</script> & co'


def message(
    n: int = 1, title: str = EVIL, url: str | None = "https://news.example/a?x=1&y=2", **article: object
) -> AlertMessage:
    return AlertMessage(
        alert_id=f"alert-{n}",
        subscription_id="sub-1",
        subscription_version=3,
        owner="alice",
        subscription_name="Courts <Minsk>",
        mode="instant",
        query='minsk AND "court" <b>',
        article=AlertArticle(
            id=f"article-{n}",
            title=title,
            url=url,
            published_at="2026-11-30T12:34:56Z",
            source="Example & Sons",
            language="en",
            tags=["belarus", "<tag>"],
            snippet="Snippet with <img src=x onerror=alert(1)> and & signs",
            **article,  # type: ignore[arg-type]
        ),
        matched_at=datetime(2026, 11, 30, 12, 35, tzinfo=UTC) + timedelta(seconds=n),
    )


def test_instant_html_escapes_titles_snippets_names_and_queries() -> None:
    rendered = render_instant(message())
    html = rendered.html
    assert "<script>" not in html and "<img" not in html and "<b>" not in html.replace("<b>Courts", "")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    assert "&lt;img src=x onerror=alert(1)&gt; and &amp; signs" in html
    assert "Courts &lt;Minsk&gt;" in html and "&lt;tag&gt;" in html and "Example &amp; Sons" in html
    assert 'href="https://news.example/a?x=1&amp;y=2"' in html


def test_instant_title_and_text_are_plain() -> None:
    rendered = render_instant(message())
    assert rendered.title == f"Courts <Minsk>: {EVIL}"
    assert EVIL in rendered.text and "https://news.example/a?x=1&y=2" in rendered.text
    assert "Example & Sons · 2026-11-30 12:34 · en" in rendered.text


def test_titles_are_one_line_and_bounded() -> None:
    rendered = render_instant(message(title="Line one\r\nBcc: victim@example.org\n" + "x" * 1000))
    assert "\n" not in rendered.title and "\r" not in rendered.title
    assert len(rendered.title) <= 250 and rendered.title.endswith("…")


def test_only_http_urls_become_links() -> None:
    html = render_instant(message(url="javascript:alert(1)")).html
    assert "href" not in html and "javascript:alert(1)" in html
    assert "href" not in render_instant(message(url=None)).html


def test_the_text_part_apprise_derives_from_our_html_keeps_title_url_and_snippet() -> None:
    text = convert_between(NotifyFormat.HTML, NotifyFormat.TEXT, render_instant(message()).html)
    assert EVIL in text
    assert "https://news.example/a?x=1&y=2" in text
    assert "Snippet with <img src=x onerror=alert(1)> and & signs" in text


def test_a_digest_lists_its_articles_and_counts_the_rest() -> None:
    alerts = [message(n, title=f"Story {n} <i>") for n in range(1, DIGEST_MAX_ITEMS + 3)]
    content = DigestContent(
        "sub-1", "Courts <Minsk>", "minsk", "2026-11-30T14", "digest-1", alerts, len(alerts) + 1
    )
    rendered = render_digest(content)
    assert rendered.title == f"Courts <Minsk>: {DIGEST_MAX_ITEMS + 3} new articles (2026-11-30T14)"
    assert rendered.html.count("<li>") == DIGEST_MAX_ITEMS and "… and 3 more." in rendered.html
    assert "Story 1 &lt;i&gt;" in rendered.html and "<i>" not in rendered.html
    assert "1. Story 1 <i>" in rendered.text and "... and 3 more." in rendered.text
    single = render_digest(DigestContent("s", "S", "q", "2026-11-30", "d", alerts[:1], 1))
    assert single.title == "S: 1 new article (2026-11-30)"


def test_webhook_payloads_carry_ids_and_every_digest_alert() -> None:
    body = instant_payload(message(), "delivery-1")
    assert body["type"] == "alert" and body["delivery_id"] == "delivery-1" and body["alert_id"] == "alert-1"
    assert body["subscription"] == {"id": "sub-1", "name": "Courts <Minsk>", "version": 3}
    assert body["article"]["title"] == EVIL and body["matched_at"] == "2026-11-30T12:35:01+00:00"
    alerts = [message(n) for n in range(1, DIGEST_MAX_ITEMS + 5)]
    digest = digest_payload(
        DigestContent("sub-1", "S", "q", "p", "digest-1", alerts, len(alerts)), "delivery-2"
    )
    assert digest["type"] == "digest" and digest["digest_id"] == "digest-1" and digest["period"] == "p"
    assert len(digest["alerts"]) == digest["total"] == DIGEST_MAX_ITEMS + 4
