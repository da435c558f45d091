"""Subscription model: filters, channel URLs, redaction, ids (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from alerts.model import AlertArticle, Channel, Filters, Subscription, SubscriptionSpec, alert_id, redact_url
from alerts.store import new_subscription_id
from alerts.validation import InvalidSubscription, check_spec

DOC = {
    "id": "a1",
    "title": "Court sentences Bialiatski",
    "summary": "  The   Viasna founder was sentenced. " * 20,
    "tags": ["belarus", "political_prisoners"],
    "language": "en",
    "source_names": ["Example News"],
    "source_domains": ["news.example"],
    "feed_ids": ["example-feed"],
    "relevance": 0.8,
    "entities": [{"name": "Ales Bialiatski"}, {"id": "x"}],
}


def test_filters_all_conditions() -> None:
    assert Filters().accepts(DOC)
    assert Filters(tags_all=["belarus", "political_prisoners"]).accepts(DOC)
    assert not Filters(tags_all=["belarus", "torture"]).accepts(DOC)
    assert Filters(tags_any=["torture", "belarus"]).accepts(DOC)
    assert not Filters(tags_any=["torture"]).accepts(DOC)
    assert Filters(languages=["ru", "en"]).accepts(DOC)
    assert not Filters(languages=["ru"]).accepts(DOC)
    assert Filters(sources=["news.example"]).accepts(DOC)
    assert Filters(sources=["example-feed"]).accepts(DOC)
    assert not Filters(sources=["other.example"]).accepts(DOC)
    assert Filters(min_relevance=0.8).accepts(DOC)
    assert not Filters(min_relevance=0.81).accepts(DOC)


def test_filters_refuse_nonsense() -> None:
    with pytest.raises(ValidationError):
        Filters(min_relevance=2)
    with pytest.raises(ValidationError):
        Filters(languages=["english"])


def test_redaction_hides_passwords_and_query() -> None:
    assert (
        redact_url("mailtos://me:s3cret@smtp.example.org?to=a@b.org")
        == "mailtos://me:***@smtp.example.org?***"
    )
    assert redact_url("https://hooks.example/x") == "https://hooks.example/***"
    assert redact_url("tgram://123:secrettoken/456") == "tgram://***"
    assert "pw" not in Channel(url="matrix://user:pw@matrix.example/!room").redacted
    assert Channel(url="https://h.example/x").is_webhook
    assert not Channel(url="mailto://u:p@h.example").is_webhook


def test_channel_needs_a_scheme() -> None:
    with pytest.raises(ValidationError):
        Channel(url="hooks.example/x")


def test_check_spec_names_field_and_position() -> None:
    with pytest.raises(InvalidSubscription) as err:
        check_spec(SubscriptionSpec(name="n", query="a AND (b"))
    assert err.value.field == "query"
    with pytest.raises(InvalidSubscription) as err:
        check_spec(SubscriptionSpec(name="n", query="ok", channels=[Channel(url="nosuchscheme://x")]))
    assert err.value.field == "channels[0]"
    check_spec(
        SubscriptionSpec(name="n", query="ok", channels=[Channel(url="mailto://u:p@smtp.example.org")])
    )


def test_ids() -> None:
    assert alert_id("s", "a") == alert_id("s", "a") != alert_id("s", "b")
    assert new_subscription_id("Bialiatski & Viasna!").startswith("bialiatski-viasna-")
    assert new_subscription_id("Беларусь").startswith("sub-")
    assert new_subscription_id("x") != new_subscription_id("x")


def test_subscription_spec_round_trip() -> None:
    now = datetime.now(UTC)
    spec = SubscriptionSpec(name="n", query="q", mode="daily")
    sub = Subscription(**spec.model_dump(), id="n-1", owner="o", created_at=now, updated_at=now)
    assert sub.spec() == spec


def test_alert_article_snippet() -> None:
    article = AlertArticle.from_document(DOC, snippet_chars=60)
    assert article.source == "Example News"
    assert article.entities == ["Ales Bialiatski"]
    assert len(article.snippet) <= 60 and article.snippet.endswith("…")
    assert "  " not in article.snippet
