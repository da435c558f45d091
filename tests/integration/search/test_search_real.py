"""Search against the real local Elasticsearch (with the newsmon analysis plugin): templates and
aliases, mapping upgrades, strict mapping, language analysis per sub-field, aggregations, the CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import BadRequestError, Elasticsearch

from newsmon.cli.main import main
from newsmon.core.es_index import setup_articles_index
from newsmon.core.es_schema import MAPPING_VERSION, concrete_index, write_alias
from newsmon.core.record import ArticleRecord, ArticleSource
from newsmon.core.settings import ElasticsearchSettings
from newsmon.core.urls import article_id
from pipeline.documents import build_document

pytestmark = pytest.mark.integration

SAMPLES = [
    (
        "en",
        "Court jails detainees",
        "Three detainees were sentenced in Minsk.",
        ["belarus", "arbitrary_detention"],
    ),
    ("ru", "Новые политзаключённые", "Правозащитники признали политзаключённых в Минске.", ["belarus"]),
    ("de", "Journalisten verhaftet", "Die Verhaftungen der Journalisten gehen weiter.", ["press_freedom"]),
    ("pl", "Dziennikarze zatrzymani", "Zatrzymano dziennikarzy w Grodnie.", ["press_freedom", "belarus"]),
    ("uk", "Правозахисників затримали", "Затримання правозахисників тривають.", ["belarus"]),
]


def _doc(lang: str, title: str, content: str, tags: list[str]) -> dict[str, Any]:
    url = f"https://search.example.org/{lang}/{abs(hash(title))}"
    record = ArticleRecord(
        id=article_id(url),
        url=url,
        title=title,
        content=content,
        published_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
        fetched_at=datetime(2026, 11, 20, 9, 5, tzinfo=UTC),
        sources=[ArticleSource(feed_id=f"feed-{lang}", name=f"Source {lang}", domain="search.example.org")],
    )
    enrichment = {
        "language": lang,
        "tags": tags,
        "tag_details": [],
        "entities": [{"id": "minsk", "name": "Minsk", "type": "place", "mentions": 1}]
        if lang == "en"
        else [],
        "relevance": 0.5,
    }
    return build_document(record, enrichment, kafka_position="t/0/1")


@pytest.fixture
def indexed(es_settings: ElasticsearchSettings) -> ElasticsearchSettings:
    setup_articles_index(es_settings)
    with Elasticsearch(**es_settings.client_kwargs()) as es:
        for sample in SAMPLES:
            doc = _doc(*sample)
            es.index(index=write_alias(es_settings.index), id=doc["id"], document=doc)
        es.indices.refresh(index=es_settings.index)
    return es_settings


def _ids(settings: ElasticsearchSettings, query: str) -> set[str]:
    from newsmon.search.query import build_request

    with Elasticsearch(**settings.client_kwargs()) as es:
        hits = es.search(index=settings.index, **build_request(query))["hits"]["hits"]
    return {h["_source"]["language"] for h in hits}


@pytest.mark.parametrize(
    ("query", "language"),
    [
        ("политзаключенный", "ru"),  # ё/е and case ending both differ from the text
        ("detainee", "en"),
        ("Verhaftung", "de"),
        ("dziennikarz", "pl"),
        ("правозахисник", "uk"),
    ],
)
def test_language_analysis_finds_other_word_forms(
    indexed: ElasticsearchSettings, query: str, language: str
) -> None:
    assert language in _ids(indexed, query)


def test_template_aliases_and_idempotent_setup(indexed: ElasticsearchSettings) -> None:
    with Elasticsearch(**indexed.client_kwargs()) as es:
        aliases = es.indices.get_alias(name=indexed.index)
        assert list(aliases) == [concrete_index(indexed.index)]
        writers = es.indices.get_alias(name=write_alias(indexed.index))
        assert writers[concrete_index(indexed.index)]["aliases"][write_alias(indexed.index)]["is_write_index"]
        template = es.indices.get_index_template(name=indexed.index)["index_templates"][0]
        assert template["index_template"]["version"] == MAPPING_VERSION
    assert setup_articles_index(indexed)["action"] == "up-to-date"


def test_setup_applies_the_refresh_interval_to_the_existing_index(indexed: ElasticsearchSettings) -> None:
    def current() -> str:
        with Elasticsearch(**indexed.client_kwargs()) as es:
            found = es.indices.get_settings(index=write_alias(indexed.index), name="index.refresh_interval")
        return str(next(iter(found.values()))["settings"]["index"]["refresh_interval"])

    assert current() == indexed.refresh_interval == "1s"
    try:
        setup_articles_index(indexed.model_copy(update={"refresh_interval": "2s"}))
        assert current() == "2s"
    finally:
        setup_articles_index(indexed)
    assert current() == "1s"


def test_strict_mapping_rejects_unknown_fields_with_a_clear_error(indexed: ElasticsearchSettings) -> None:
    doc = {**_doc(*SAMPLES[0]), "colour": "red"}
    with Elasticsearch(**indexed.client_kwargs()) as es, pytest.raises(BadRequestError) as caught:
        es.index(index=write_alias(indexed.index), id="x", document=doc)
    assert "strict_dynamic_mapping_exception" in str(caught.value)
    assert "colour" in str(caught.value)


def test_aggregations_by_tag_and_entity(indexed: ElasticsearchSettings) -> None:
    with Elasticsearch(**indexed.client_kwargs()) as es:
        aggs = es.search(
            index=indexed.index,
            size=0,
            aggs={"tags": {"terms": {"field": "tags"}}, "entities": {"terms": {"field": "entity_names"}}},
        )["aggregations"]
    tags = {b["key"]: b["doc_count"] for b in aggs["tags"]["buckets"]}
    assert tags["belarus"] == 4 and tags["press_freedom"] == 2
    assert {b["key"]: b["doc_count"] for b in aggs["entities"]["buckets"]} == {"Minsk": 1}


def test_legacy_index_is_migrated_and_keeps_its_documents(es_settings: ElasticsearchSettings) -> None:
    legacy = {**_doc(*SAMPLES[0])}
    for derived in ("@timestamp", "entity_ids", "entity_types", "source_names", "evidence"):
        legacy.pop(derived)
    with Elasticsearch(**es_settings.client_kwargs()) as es:
        es.indices.create(index=es_settings.index, mappings={"dynamic": "false", "properties": {}})
        es.index(index=es_settings.index, id=legacy["id"], document=legacy, refresh=True)
    report = setup_articles_index(es_settings)
    assert report["action"] == "migrated" and report["copied"] == 1
    assert "en" in _ids(es_settings, "detainee")


def test_cli_prints_highlights_and_refuses_malformed_queries(
    indexed: ElasticsearchSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSMON_ELASTICSEARCH__URL", indexed.url)
    monkeypatch.setenv("NEWSMON_ELASTICSEARCH__INDEX", indexed.index)
    assert main(["search", "detainee"]) == 0
    out = capsys.readouterr().out
    assert "Court jails detainees" in out and "»detainees«" in out
    assert main(["search", "--tag", "press_freedom", "--json", "journalist OR dziennikarz"]) == 0
    assert main(["search", "a AND (b"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "malformed query" in err[0] and "Traceback" not in err[0]


def test_mapping_version_change_copies_into_a_new_index_and_moves_the_aliases(
    indexed: ElasticsearchSettings,
) -> None:
    import copy

    from newsmon.core.es_index import IndexSpec, setup_index
    from newsmon.core.es_schema import ARTICLES_MAPPING, upgrade_stored_document

    next_mapping = copy.deepcopy(ARTICLES_MAPPING)
    next_mapping["_meta"]["mapping_version"] = MAPPING_VERSION + 1
    next_mapping["properties"]["sentiment"] = {"type": "float"}
    spec = IndexSpec(indexed.index, next_mapping, MAPPING_VERSION + 1, upgrade_stored_document)
    report = setup_index(indexed, spec)
    assert report["action"] == "upgraded" and report["copied"] == len(SAMPLES)
    new_index = concrete_index(indexed.index, MAPPING_VERSION + 1)
    with Elasticsearch(**indexed.client_kwargs()) as es:
        assert list(es.indices.get_alias(name=indexed.index)) == [new_index]
        assert list(es.indices.get_alias(name=write_alias(indexed.index))) == [new_index]
    assert "ru" in _ids(indexed, "политзаключенный")  # still found, now in the new index
    assert setup_index(indexed, spec)["action"] == "up-to-date"
