"""Benchmark: subscription matching throughput (articles/s, one core) with N subscriptions.

    .venv/bin/python bench/bench_alert_matching.py --subscriptions 100 1000 10000

Against the real local Elasticsearch from ``config/newsmon.yaml``: indexes real articles (the
``real-world-200`` feed corpus when present, else the bundled fixture feeds) into a fresh articles
index (deleted afterwards), analyses them with one ``_mtermvectors`` call per batch of 100 (timed
separately), compiles synthetic-but-realistic subscriptions whose words come from those articles'
vocabulary (terms, AND/OR/NOT, phrases, prefixes, tags/entities/language filters; query terms analysed
once through ``_analyze``, cached) and times candidate lookup + evaluation per article.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from alerts import AnalyzedDocument, ElasticsearchAnalyzer, QueryCompiler, SubscriptionIndex, fetch_documents
from connectors.records import build_records
from connectors.registry import choose_connector
from newsmon.core.es_index import setup_articles_index
from newsmon.core.es_schema import write_alias
from newsmon.core.record import ArticleSource
from newsmon.core.settings import load_settings
from pipeline.documents import build_document
from pipeline.tagging import Enricher

ROOT = Path(__file__).resolve().parents[1]


def _documents(limit: int) -> dict[str, dict[str, Any]]:
    root = ROOT.parent / "shared" / "corpora" / "feeds" / "real-world-200"
    paths = sorted(p for p in root.iterdir() if p.name != "LICENSE") if root.is_dir() else []
    paths += sorted((ROOT / "config" / "fixtures" / "feeds").iterdir())
    enricher = Enricher.load()
    docs: dict[str, dict[str, Any]] = {}
    for n, path in enumerate(paths):
        body = path.read_bytes()
        try:
            parsed = choose_connector(body, "").parse(
                body, url="https://c.example/f", content_type="", max_items=10
            )
        except Exception:  # unparseable corpus file: skip
            continue
        source = ArticleSource(feed_id=f"corpus-{n}", name=f"Corpus {n}", domain=f"corpus-{n}.example")
        records, _, _ = build_records(parsed.entries, source, fetched_at=datetime.now(UTC), language=None)
        for r in records:
            result = enricher.enrich(title=r.title, text=r.text, language_hint=r.language_hint)
            docs[r.id] = build_document(r, result.to_document(), kafka_position="b/0/0")
        if len(docs) >= limit:
            break
    return docs


def _queries(docs: list[AnalyzedDocument], count: int, rng: random.Random) -> list[str]:
    words = sorted({t for d in docs for t in d.terms("title") if t.isalpha() and len(t) > 3})
    content = sorted({t for d in docs for t in d.terms("content") if t.isalpha() and len(t) > 4})
    tags = sorted({t for d in docs for t in d.terms("tags")}) or ["belarus"]
    entities = sorted({t for d in docs for t in d.terms("entity_names")}) or ["Minsk"]
    vocab = words[:1500] + content[:1500]

    def w() -> str:
        return rng.choice(vocab)

    templates = [
        lambda: w(),
        lambda: f"{w()} AND {w()}",
        lambda: f"({w()} OR {w()}) AND NOT {w()}",
        lambda: f'"{w()} {w()}"',
        lambda: f"{w()[:5]}*",
        lambda: f"tags:{rng.choice(tags)} AND {w()}",
        lambda: f'entities:"{rng.choice(entities)}" OR {w()}',
        lambda: f"lang:{rng.choice(['en', 'ru', 'de'])} AND ({w()} OR {w()})",
        lambda: f"title:{w()} {w()}",
    ]
    return [rng.choice(templates)() for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the articles per measurement")
    args = parser.parse_args()
    settings = load_settings().elasticsearch.model_copy(
        update={"index": f"bench-alerts-{uuid.uuid4().hex[:8]}"}
    )
    setup_articles_index(settings)
    client = Elasticsearch(**settings.client_kwargs())
    try:
        docs = _documents(args.articles)
        for doc_id, doc in docs.items():
            client.index(index=write_alias(settings.index), id=doc_id, document=doc)
        ids = list(docs)
        analysed: list[AnalyzedDocument] = []
        batch_times = []
        for start in range(0, len(ids), 100):
            t0 = time.perf_counter()
            analysed += fetch_documents(client, settings.index, ids[start : start + 100], docs)
            batch_times.append(time.perf_counter() - t0)
        full = [t for t in batch_times if t > 0][: len(ids) // 100] or batch_times
        print(
            f"articles={len(analysed)} mtermvectors per batch of 100: "
            f"{1000 * min(full):.0f}-{1000 * max(full):.0f} ms"
        )
        rng = random.Random(42)
        analyzer = ElasticsearchAnalyzer(client, settings.index)
        compiler = QueryCompiler(analyzer)
        for n in args.subscriptions:
            t0 = time.perf_counter()
            index = SubscriptionIndex(
                (f"s{i}", compiler.compile(q)) for i, q in enumerate(_queries(analysed, n, rng))
            )
            compile_s = time.perf_counter() - t0
            fresh = [AnalyzedDocument(d.id, d.fields) for d in analysed]
            matches = candidates = 0
            t0 = time.process_time()
            for _ in range(args.rounds):
                for doc in fresh:
                    candidates += len(index.candidates(doc))
                    matches += len(index.match(doc))
                fresh = [AnalyzedDocument(d.id, d.fields) for d in analysed]
            cpu = time.process_time() - t0
            per = len(analysed) * args.rounds
            print(
                f"subscriptions={n} articles/s={per / cpu:,.0f} candidates/article={candidates / per:.1f} "
                f"matches/article={matches / per:.2f} compile={compile_s:.1f}s analyze_calls={analyzer.calls}"
            )
    finally:
        quiet = client.options(ignore_status=(400, 404))
        quiet.indices.delete(index=f"{settings.index}-v*", expand_wildcards="all")
        quiet.indices.delete_index_template(name=settings.index)
        client.close()


if __name__ == "__main__":
    main()
