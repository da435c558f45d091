"""Differential test: the stream matcher selects exactly the articles Elasticsearch's query_string
returns (``newsmon search``'s request) for the same queries on the same documents, real node."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from alerts import ElasticsearchAnalyzer, QueryCompiler, SubscriptionIndex, fetch_documents
from connectors.records import build_records
from connectors.registry import choose_connector
from newsmon.core.es_index import setup_articles_index
from newsmon.core.es_schema import write_alias
from newsmon.core.record import ArticleRecord, ArticleSource
from newsmon.core.settings import ElasticsearchSettings
from newsmon.core.urls import article_id
from newsmon.search.query import build_request
from pipeline.documents import build_document
from pipeline.tagging import Enricher

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = [
    ("en", "Court jails detainees in Minsk", "Three detainees were sentenced. State of the art repression."),
    ("ru", "Новые политзаключённые", "Правозащитники признали политзаключённых в Минске."),
    ("de", "Journalisten verhaftet", "Die Verhaftungen der Journalisten gehen weiter."),
    ("pl", "Dziennikarze zatrzymani", "Zatrzymano dziennikarzy w Grodnie."),
    ("uk", "Правозахисників затримали", "Затримання правозахисників тривають у Мінську."),
    ("be", "Новыя палітвязні", "Праваабаронцы прызналі палітвязняў у Мінску."),
    ("en", "Donald Trump visits New York", "The former president spoke about covid-19 and the U.S. economy."),
    ("ru", "Выборы в Беларуси", "Лукашенко и оппозиция: журналисты задержаны, Минск."),
]
QUERIES = [
    "minsk",
    "Minsk",
    "belarus OR ukraine",
    "rust AND python",
    "release AND NOT beta",
    "release AND NOT beta OR stable",
    "open source",
    '"open source"',
    '"state of the art"',
    '"New York"',
    "Donald Trump",
    "NOT minsk",
    "minsk AND (NOT court)",
    "(NOT minsk) OR release",
    "(election OR vote) AND president",
    "-release +rust",
    "title:release",
    "content:court",
    "summary:update",
    "title:(rust OR python) AND NOT content:web",
    "tags:belarus",
    "tag:press_freedom OR tags:arbitrary_detention",
    "entities:Minsk",
    'entities:"Donald Trump"',
    "lang:ru",
    "lang:en AND linux",
    'source:"Corpus 3"',
    "domain:corpus-5.example",
    "polit*",
    "Polit*",
    "title:rele*",
    "журналист*",
    "политзаключённый",
    "Минске",
    "затримали",
    "dziennikarzy",
    "Verhaftungen",
    "палітвязняў",
    "covid-19",
    "U.S.",
    "the",
    "title:the AND linux",
    "Минск OR Minsk OR Мінск",
    "lang:be OR lang:uk",
    "web AND (javascript OR css OR html) -react",
    '"open source" -linux',
    '(politi* OR "New York") AND lang:en',
    "release AND (python OR rus*) AND NOT beta",
    "lang:en AND NOT (linux OR windows OR apple)",
    'title:"open source" OR content:"state of the art" OR entities:Minsk',
]


def _records(shared: Path, limit: int) -> list[tuple[ArticleRecord, str | None]]:
    root = shared / "corpora" / "feeds" / "real-world-200"
    paths = sorted(p for p in root.iterdir() if p.name != "LICENSE") if root.is_dir() else []
    paths += sorted((ROOT / "config" / "fixtures" / "feeds").iterdir())
    out: list[tuple[ArticleRecord, str | None]] = []
    for n, path in enumerate(paths):
        body = path.read_bytes()
        try:
            parsed = choose_connector(body, "").parse(
                body, url="https://c.example/f", content_type="", max_items=4
            )
        except Exception:  # an unparseable corpus file is not this test's subject
            continue
        source = ArticleSource(feed_id=f"corpus-{n}", name=f"Corpus {n}", domain=f"corpus-{n}.example")
        records, _, _ = build_records(parsed.entries, source, fetched_at=datetime.now(UTC), language=None)
        out.extend((r, None) for r in records)
        if len(out) >= limit:
            break
    for lang, title, text in SAMPLES:
        url = f"https://samples.example/{lang}/{abs(hash(title))}"
        record = ArticleRecord(
            id=article_id(url), url=url, title=title, summary=text, content=text,
            published_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
            sources=[ArticleSource(feed_id="samples", name="Samples", domain="samples.example")],
            fetched_at=datetime.now(UTC), language_hint=lang,
        )  # fmt: skip
        out.append((record, lang))
    return out


def test_matcher_agrees_with_query_string(es_settings: ElasticsearchSettings, shared_dir: Path) -> None:
    setup_articles_index(es_settings)
    client = Elasticsearch(**es_settings.client_kwargs())
    enricher = Enricher.load()
    docs: dict[str, dict[str, Any]] = {}
    for record, _ in _records(shared_dir, 300):
        result = enricher.enrich(title=record.title, text=record.text, language_hint=record.language_hint)
        docs[record.id] = build_document(record, result.to_document(), kafka_position="t/0/0")
    for doc_id, doc in docs.items():
        client.index(index=write_alias(es_settings.index), id=doc_id, document=doc)
    # analysed before any refresh: mtermvectors and mget are real time
    analysed = []
    ids = list(docs)
    for start in range(0, len(ids), 100):
        analysed += fetch_documents(client, es_settings.index, ids[start : start + 100], docs)
    assert len(analysed) == len(docs) > 200
    client.indices.refresh(index=es_settings.index)
    compiler = QueryCompiler(ElasticsearchAnalyzer(client, es_settings.index))
    disagreements, nonempty = [], 0
    selected: dict[str, set[str]] = {d.id: set() for d in analysed}  # article -> queries ES returns it for
    for query in QUERIES:
        body = build_request(query, limit=10_000)
        expected = {
            h["_id"]
            for h in client.search(index=es_settings.index, query=body["query"], size=10_000, source=False)[
                "hits"
            ]["hits"]
        }
        for doc_id in expected:
            selected[doc_id].add(query)
        matcher = compiler.compile(query).matcher
        got = {d.id for d in analysed if matcher is not None and matcher.matches(d)}
        nonempty += bool(expected)
        if got != expected:
            disagreements.append(
                f"{query!r}: extra {sorted(got - expected)[:3]} missing {sorted(expected - got)[:3]}"
            )
    # the subscription index (anchors -> candidates -> evaluation) selects the same per article
    index = SubscriptionIndex((query, compiler.compile(query)) for query in QUERIES)
    for doc in analysed:
        got_queries = set(index.match(doc))
        if got_queries != selected[doc.id]:
            disagreements.append(
                f"index, article {doc.id}: extra {sorted(got_queries - selected[doc.id])[:3]} "
                f"missing {sorted(selected[doc.id] - got_queries)[:3]}"
            )
    print(f"differential: {len(docs)} articles x {len(QUERIES)} queries, {nonempty} non-empty")
    assert not disagreements, "\n".join(disagreements)
    assert nonempty > len(QUERIES) * 2 // 3
