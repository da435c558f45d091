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

Only the load is timed; docs/s per round. This measures a design option; the pipeline does not
use the last two variants.
"""

from __future__ import annotations

import argparse
import copy
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

from newsmon.core.es_schema import ARTICLES_MAPPING, LANGUAGE_ANALYZERS, index_analysis  # noqa: E402
from newsmon.core.settings import load_settings  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=3000, help="corpus articles to load (at most)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    settings = load_settings().elasticsearch
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
