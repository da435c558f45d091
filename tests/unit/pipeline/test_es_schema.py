"""The strict articles mapping covers every field the pipeline writes (else good articles would be
dead-lettered as strict_dynamic_mapping_exception), and upgrade_document is idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsmon.core.es_schema import ARTICLES_MAPPING, upgrade_document
from newsmon.core.record import ArticleRecord, ArticleSource
from newsmon.core.urls import article_id
from pipeline.documents import build_document
from pipeline.tagging import Enricher

FIXTURES = Path(__file__).resolve().parents[3] / "config" / "fixtures"


def _paths(value: Any, prefix: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            found.add(prefix + key)
            found |= _paths(child, f"{prefix}{key}.")
    elif isinstance(value, list):
        for child in value:
            found |= _paths(child, prefix)
    return found


def _mapped(mapping: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, spec in mapping.get("properties", {}).items():
        found.add(prefix + key)
        found |= _mapped(spec, f"{prefix}{key}.")
    return found


SAMPLES = [
    ("Belarus' prisoner release a political diversion, say human rights activists",
     "Ales Bialiatski of Viasna and journalists of BAJ remain behind bars in Minsk; torture was reported."),
    ("В Гродно задержали журналистов", "Правозащитники «Вясны» сообщают о задержаниях в Гродно и Минске."),
    ("Local weather", "Sunny and warm across the region this weekend."),
]  # fmt: skip


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.load()


@pytest.mark.parametrize(("title", "text"), SAMPLES)
def test_every_field_of_a_real_document_is_mapped(enricher: Enricher, title: str, text: str) -> None:
    url = f"https://example.org/{abs(hash(title))}"
    record = ArticleRecord(
        id=article_id(url),
        url=url,
        title=title,
        content=text,
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
        sources=[ArticleSource(feed_id="f", name="F", domain="example.org")],
    )
    result = enricher.enrich(title=record.title, text=record.text, language_hint=None)
    doc = build_document(record, result.to_document(), kafka_position="t/0/1")
    assert not _paths(doc) - _mapped(ARTICLES_MAPPING), "fields the strict mapping would reject"
    assert doc["@timestamp"] == doc["published_at"]


def test_upgrade_is_idempotent_and_derives_fields() -> None:
    doc = {
        "published_at": "2026-11-01T00:00:00+00:00",
        "entities": [{"id": "viasna", "name": "Viasna", "type": "organization"}],
        "sources": [{"name": "BAJ"}],
        "tag_details": [{"evidence": [{"text": "political prisoners"}, {"text": "political prisoners"}]}],
    }
    once = upgrade_document(doc)
    assert upgrade_document(once) == once
    assert once["entity_types"] == ["organization"] and once["source_names"] == ["BAJ"]
    assert once["evidence"] == ["political prisoners"] and once["@timestamp"] == doc["published_at"]
