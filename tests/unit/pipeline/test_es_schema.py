"""The strict articles mapping covers every field the pipeline writes (else good articles would be
dead-lettered as strict_dynamic_mapping_exception), upgrade_document is idempotent, and the index
analysis settings (``belarusian``, ``polish_newsmon``) only name components every node has."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsmon.core.es_schema import (
    ARTICLES_MAPPING,
    LANGUAGE_ANALYZERS,
    LANGUAGE_FIELDS,
    MAPPING_VERSION,
    POLISH_MIN_TERM_LENGTH,
    analysed_languages,
    index_analysis,
    upgrade_document,
)
from newsmon.core.record import ArticleRecord, ArticleSource
from newsmon.core.urls import article_id
from newsmon.services.es_plugin import TOKEN_FILTERS
from pipeline.documents import build_document
from pipeline.tagging import Enricher

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "config" / "fixtures"


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


def test_text_is_indexed_in_the_articles_own_language_only() -> None:
    """ADR 0013: a Russian article fills the ``*_ru`` fields only; Belarusian also the Russian ones; an
    article in a language without an analyzer has ``standard`` only; a language change (re-enrichment,
    copy-upgrade) drops the old language's fields."""
    ru = upgrade_document(
        {"title": "Задержаны", "content": "Правозащитники", "summary": "", "language": "ru"}
    )
    assert {k for k in ru if k.endswith("_ru")} == {"title_ru", "content_ru"}  # empty summary: none
    assert ru["content_ru"] == "Правозащитники" and not any(k.endswith("_en") for k in ru)
    be = upgrade_document({"title": "Затрыманы", "language": "be"})
    assert be["title_be"] == be["title_ru"] == "Затрыманы"
    assert set(analysed_languages("be")) == {"be", "ru"} and analysed_languages("fr") == ()
    fr = upgrade_document({"title": "Arrêtés", "language": "fr"})
    assert not set(fr) & set(LANGUAGE_FIELDS)
    moved = upgrade_document({**ru, "language": "uk"})
    assert moved["title_uk"] == "Задержаны" and "title_ru" not in moved
    assert upgrade_document(moved) == moved


# -- index analysis (ADR 0008) --------------------------------------------------------------------

#: components every Elasticsearch has, the local integ-test node included (no plugin needed)
BUILT_IN_FILTERS = {"lowercase", "stop"}


def test_polish_sub_fields_use_the_index_defined_polish_newsmon_analyzer() -> None:
    assert LANGUAGE_ANALYZERS["pl"] == "polish_newsmon"
    analysis = index_analysis()
    assert set(analysis["analyzer"]) == {"belarusian", "polish_newsmon"}
    polish = analysis["analyzer"]["polish_newsmon"]
    assert polish["type"] == "custom" and polish["tokenizer"] == "standard"
    # the `polish` analyzer's chain (analysis-stempel's PolishAnalyzer), then the one-letter terms out
    *stempel, last = polish["filter"]
    assert stempel == ["lowercase", "polish_stop", "polish_stem"]
    assert analysis["filter"][last] == {"type": "length", "min": POLISH_MIN_TERM_LENGTH}
    assert POLISH_MIN_TERM_LENGTH == 2  # "UE", "PiS"-like two-letter terms stay searchable
    for field in ("title", "summary", "content"):
        assert ARTICLES_MAPPING["properties"][f"{field}_pl"]["analyzer"] == "polish_newsmon"


def test_every_analysis_component_exists_locally_and_in_production() -> None:
    """Each filter an index analyzer names is built in, defined in the index settings, or a token
    filter the local plugin provides under analysis-stempel's / analysis-common's name."""
    analysis = index_analysis()
    defined = analysis["filter"]
    for name, analyzer in analysis["analyzer"].items():
        assert analyzer["tokenizer"] == "standard", name
        for used in analyzer["filter"]:
            kind = defined[used]["type"] if used in defined else used
            assert kind in BUILT_IN_FILTERS or kind in TOKEN_FILTERS, (name, used)
    dockerfile = (ROOT / "config" / "elasticsearch" / "Dockerfile").read_text(encoding="utf-8")
    assert "analysis-stempel" in dockerfile  # polish_stem, polish_stop (length: analysis-common, built in)


def test_alert_fields_analyse_polish_like_the_index() -> None:
    from alerts.fields import TEXT_FIELD_ANALYZERS

    analyzers = {TEXT_FIELD_ANALYZERS[f"{base}_pl"] for base in ("title", "summary", "content")}
    assert analyzers == {"polish_newsmon"}


def test_mapping_version_4_for_own_language_fields() -> None:
    assert MAPPING_VERSION == 4
    assert ARTICLES_MAPPING["_meta"]["mapping_version"] == MAPPING_VERSION


def test_templates_carry_the_analysis_settings_when_their_mapping_names_those_analyzers() -> None:
    import copy

    from alerts.records import ALERTS_MAPPING
    from newsmon.core.es_index import IndexSpec, _template
    from newsmon.core.settings import ElasticsearchSettings

    settings = ElasticsearchSettings()
    edited = copy.deepcopy(ARTICLES_MAPPING)  # e.g. the next mapping version: not the same object
    for mapping, expected in ((ARTICLES_MAPPING, True), (edited, True), (ALERTS_MAPPING, False)):
        template = _template(settings, IndexSpec("x", mapping, 1), ilm=False)
        assert ("analysis" in template["template"]["settings"]) is expected


def test_a_node_without_the_analysis_components_gets_the_restart_hint() -> None:
    from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
    from elasticsearch import BadRequestError

    from newsmon.core.es_index import IndexSetupError, _put_template

    meta = ApiResponseMeta(400, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "127.0.0.1", 9200))
    refusal = "Unknown filter type [length] for [polish_newsmon_min_length]"

    class Indices:
        def put_index_template(self, name: str, **template: Any) -> None:
            raise BadRequestError("illegal_argument_exception", meta, {"error": refusal})

    class Client:
        indices = Indices()

    with pytest.raises(IndexSetupError, match="newsmon services down --only elasticsearch") as failure:
        _put_template(Client(), "articles", {})
    assert refusal in str(failure.value) and "analysis-stempel" in str(failure.value)
