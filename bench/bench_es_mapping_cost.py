"""Benchmark (issue 11): what the language sub-fields cost Elasticsearch at indexing time.

    .venv/bin/python bench/bench_es_mapping_cost.py --articles 3000 --rounds 2

Against the real local Elasticsearch of ``config/newsmon.yaml``: the same enriched documents
(real-world-200 articles, built as ``bench_pipeline`` builds them) bulk-loaded with
``parallel_bulk`` (2 threads, 500 per request) into fresh scratch indices, one per mapping variant,
rounds interleaved, each index deleted right after its load:

* ``all-languages``: the articles mapping as it is (title, summary and content each analysed by
  ``standard`` and by all six language sub-fields: 21 analysed text fields);
* ``standard-only``: the same mapping without the language sub-fields;
* ``own-language``: standard, plus one field per language (``content_ru``...) filled only with the
  text of the article's detected language: a sketch of indexing each article in its own language.

Only the load is timed; docs/s per round. This measures a design option (ADR 0013, proposed); the
pipeline does not use the last two variants.

``--search-check`` measures what the ``own-language`` layout would change for search instead: the
tagging dev set (416 short articles in six languages, their gold language) in both layouts, 1,500
words of five letters or more drawn from it (seed 7), each searched as a bare query over all text
fields of each layout; reported: the hits of the current layout that the other one does not find,
per article language, with examples.
"""

from __future__ import annotations

import argparse
import collections
import copy
import random
import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_alert_latency import _corpus_records  # noqa: E402
from bench_pipeline import _documents  # noqa: E402
from elasticsearch import Elasticsearch, helpers  # noqa: E402

from newsmon.core.es_schema import (  # noqa: E402
    ARTICLES_MAPPING,
    LANGUAGE_ANALYZERS,
    SEARCH_FIELDS,
    index_analysis,
)
from newsmon.core.settings import load_settings  # noqa: E402
from pipeline.tagging.evaluate import DEV_SET, load_items  # noqa: E402

TEXT_FIELDS = ("title", "summary", "content")
VARIANTS = ("all-languages", "standard-only", "own-language")


def _mapping(variant: str) -> dict[str, Any]:
    mapping = copy.deepcopy(ARTICLES_MAPPING)
    props = mapping["properties"]
    if variant == "all-languages":
        return mapping
    for field in TEXT_FIELDS:
        props[field]["fields"] = {k: v for k, v in props[field]["fields"].items() if k == "raw"}
        if variant == "own-language":
            for lang, analyzer in LANGUAGE_ANALYZERS.items():
                props[f"{field}_{lang}"] = {"type": "text", "analyzer": analyzer}
    return mapping


def _source(doc: dict[str, Any], variant: str) -> dict[str, Any]:
    lang = doc.get("language")
    if variant != "own-language" or lang not in LANGUAGE_ANALYZERS:
        return doc
    out = dict(doc)
    for field in TEXT_FIELDS:
        if doc.get(field):
            out[f"{field}_{lang}"] = doc[field]
    return out


def _load(es: Elasticsearch, docs: list[dict[str, Any]], variant: str) -> float:
    name = f"scratch-mapping-cost-{variant}-{uuid.uuid4().hex[:8]}"
    es.indices.create(
        index=name,
        settings={
            "number_of_shards": 1,
            "number_of_replicas": 0,
            "refresh_interval": "1s",
            "analysis": index_analysis(),
        },
        mappings=_mapping(variant),
    )
    try:

        def actions() -> Iterator[dict[str, Any]]:
            for doc in docs:
                yield {"_index": name, "_id": doc["id"], "_source": _source(doc, variant)}

        started = time.monotonic()
        indexed = sum(
            1 for ok, _ in helpers.parallel_bulk(es, actions(), thread_count=2, chunk_size=500) if ok
        )
        elapsed = time.monotonic() - started
        if indexed != len(docs):
            raise RuntimeError(f"{variant}: {indexed} of {len(docs)} documents indexed")
        return indexed / elapsed
    finally:
        es.indices.delete(index=name)


def _dev_set() -> list[dict[str, Any]]:
    return [
        {"id": item["id"], "title": item["title"], "content": item["text"], "language": item["language"]}
        for item in load_items([DEV_SET])
    ]


def _search_check(es: Elasticsearch) -> None:
    docs = _dev_set()
    language = {d["id"]: d["language"] for d in docs}
    indices: dict[str, str] = {}
    try:
        for variant in ("all-languages", "own-language"):
            name = indices[variant] = f"scratch-mapping-search-{variant}-{uuid.uuid4().hex[:8]}"
            es.indices.create(index=name, settings={"analysis": index_analysis()}, mappings=_mapping(variant))
            helpers.bulk(es, ({"_index": name, "_id": d["id"], "_source": _source(d, variant)} for d in docs))
            es.indices.refresh(index=name)
        unboosted = [f.split("^")[0] for f in SEARCH_FIELDS]
        fields = {
            "all-languages": [f for f in unboosted if f.split(".")[0] in ("title", "content")],
            "own-language": [
                "title",
                "content",
                *(f"{b}_{lang}" for b in ("title", "content") for lang in LANGUAGE_ANALYZERS),
            ],
        }
        words = sorted(
            {
                w.lower()
                for d in docs
                for w in re.findall(r"\w{5,}", f"{d['title']} {d['content']}")
                if not w.isdigit()
            }
        )
        sample = random.Random(7).sample(words, min(1500, len(words)))
        found = {"all-languages": 0, "own-language": 0}
        lost: collections.Counter[str] = collections.Counter()
        examples: list[str] = []
        for word in sample:
            hits = {}
            for variant, name in indices.items():
                query = {"query_string": {"query": word, "fields": fields[variant]}}
                answer = es.search(index=name, query=query, size=500, source=False)
                hits[variant] = {h["_id"] for h in answer["hits"]["hits"]}
                found[variant] += len(hits[variant])
            missing = hits["all-languages"] - hits["own-language"]
            lost.update(language[i] for i in missing)
            if missing and len(examples) < 20:
                examples.append(f"{word}: {', '.join(sorted(missing)[:3])}")
        total = sum(lost.values())
        print(f"{len(docs)} dev-set articles; {len(sample)} one-word queries")
        print(f"hits: current layout {found['all-languages']:,}, own-language {found['own-language']:,}")
        share = 100 * total / max(found["all-languages"], 1)
        print(f"hits of the current layout not found: {total} ({share:.1f} %)")
        print(f"  by article language: {dict(lost.most_common())}")
        for line in examples:
            print(f"  {line}")
    finally:
        for name in indices.values():
            es.indices.delete(index=name)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=3000, help="corpus articles to load (at most)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--search-check", action="store_true", help="compare search hits instead (see above)")
    args = parser.parse_args()
    settings = load_settings().elasticsearch
    if args.search_check:
        with Elasticsearch(**settings.client_kwargs()) as es:
            _search_check(es)
        return 0
    docs, _ = _documents(_corpus_records(args.articles))
    languages: dict[str, int] = {}
    for doc in docs:
        languages[str(doc.get("language"))] = languages.get(str(doc.get("language")), 0) + 1
    print(f"{len(docs)} documents; languages {dict(sorted(languages.items(), key=lambda kv: -kv[1]))}")
    rates: dict[str, list[int]] = {v: [] for v in VARIANTS}
    with Elasticsearch(**{**settings.client_kwargs(), "request_timeout": 120}) as es:
        for _ in range(args.rounds):
            for variant in VARIANTS:
                rates[variant].append(round(_load(es, docs, variant)))
    for variant in VARIANTS:
        print(f"{variant:14s} docs/s per round: {', '.join(f'{r:,}' for r in rates[variant])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
