"""Benchmark (issue 11, ADR 0013): what the language analysis costs Elasticsearch at indexing time.

    .venv/bin/python bench/bench_es_mapping_cost.py --articles 3000 --rounds 2

Against the real local Elasticsearch of ``config/newsmon.yaml``: the same enriched documents
(real-world-200 articles, built as ``bench_pipeline`` builds them) bulk-loaded with
``parallel_bulk`` (2 threads, 500 per request) into fresh scratch indices, one per mapping variant,
rounds interleaved, each index deleted right after its load:

* ``v3-all-languages``: the layout before mapping v4 (title, summary and content each analysed by
  ``standard`` and by six language sub-fields ``content.ru``...: 21 analysed text fields), rebuilt
  here as the baseline;
* ``standard-only``: no language analysis at all (a floor);
* ``v4-own-language``: the articles mapping as it is (ADR 0013): ``standard`` plus the language
  fields (``content_ru``...) of the article's own language, as the pipeline builds the document.

Only the load is timed; docs/s per round.

``--search-check`` measures what the v4 layout changes for search: the tagging dev set (416 short
articles in six languages, their gold language) indexed in the v3 layout and in v4 variants that
differ in the languages a Belarusian article is analysed in (as shipped: Belarusian + Russian;
Belarusian only; Belarusian + Russian + Ukrainian); 1,500 words of five letters or more drawn from
the set (seed 7), each searched as a bare query over the title and content fields of each layout;
reported: the hits of v3 that each variant does not find, per article language, with examples.

``--alert-check`` does the same for alert subscriptions: the 999 subscriptions ``bench_alert_latency``
generates (``realistic_queries``, seed 7) run as Elasticsearch ``query_string`` queries (the matcher
equals it, ADR 0007) over the real-world documents it publishes, in the v3 and v4 layouts; reported:
(subscription, article) matches in each, the subscriptions whose matches differ, and for the first
lost matches of the largest differences the v3 fields that made them (``_explain``).
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_alert_latency import _corpus_records  # noqa: E402
from bench_alert_matching import realistic_queries  # noqa: E402
from bench_pipeline import _documents  # noqa: E402
from elasticsearch import Elasticsearch, helpers  # noqa: E402

from newsmon.core.es_schema import (  # noqa: E402
    ANALYSED_AS,
    ARTICLES_MAPPING,
    LANGUAGE_ANALYZERS,
    LANGUAGE_FIELDS,
    SEARCH_FIELDS,
    TEXT_FIELDS,
    index_analysis,
    language_field,
    upgrade_document,
)
from newsmon.core.query_syntax import rewrite_query  # noqa: E402
from newsmon.core.settings import load_settings  # noqa: E402
from pipeline.tagging.evaluate import DEV_SET, load_items  # noqa: E402

VARIANTS = ("v3-all-languages", "standard-only", "v4-own-language")

#: v4 search-check variants: the languages a Belarusian article is analysed in
BELARUSIAN_AS = {
    "v4-own-language": ANALYSED_AS["be"],
    "v4-be-only": ("be",),
    "v4-be-ru-uk": ("be", "ru", "uk"),
}


def _mapping(variant: str) -> dict[str, Any]:
    mapping = copy.deepcopy(ARTICLES_MAPPING)
    props = mapping["properties"]
    if variant.startswith("v4"):
        return mapping
    for name in LANGUAGE_FIELDS:
        del props[name]
    if variant == "v3-all-languages":
        for field in TEXT_FIELDS:
            subfields = props[field].setdefault("fields", {})
            for lang, analyzer in LANGUAGE_ANALYZERS.items():
                subfields[lang] = {"type": "text", "analyzer": analyzer}
    return mapping


def _source(doc: dict[str, Any], variant: str) -> dict[str, Any]:
    """The document as ``variant`` stores it (``doc`` is built by the pipeline: the v4 shape)."""
    base = {k: v for k, v in doc.items() if k not in LANGUAGE_FIELDS}
    if not variant.startswith("v4"):
        return base
    if base.get("language") != "be":
        return upgrade_document(base)
    out = dict(base)
    for lang in BELARUSIAN_AS[variant]:
        out.update({language_field(f, lang): base[f] for f in TEXT_FIELDS if base.get(f)})
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
        for variant in ("v3-all-languages", *BELARUSIAN_AS):
            name = indices[variant] = f"scratch-mapping-search-{variant}-{uuid.uuid4().hex[:8]}"
            es.indices.create(index=name, settings={"analysis": index_analysis()}, mappings=_mapping(variant))
            helpers.bulk(es, ({"_index": name, "_id": d["id"], "_source": _source(d, variant)} for d in docs))
            es.indices.refresh(index=name)
        v3_fields = [
            f"{b}{s}" for b in ("title", "content") for s in ("", *(f".{x}" for x in LANGUAGE_ANALYZERS))
        ]
        v4_fields = [
            f"{b}{s}" for b in ("title", "content") for s in ("", *(f"_{x}" for x in LANGUAGE_ANALYZERS))
        ]
        fields = {variant: v4_fields if variant.startswith("v4") else v3_fields for variant in indices}
        words = sorted(
            {
                w.lower()
                for d in docs
                for w in re.findall(r"\w{5,}", f"{d['title']} {d['content']}")
                if not w.isdigit()
            }
        )
        sample = random.Random(7).sample(words, min(1500, len(words)))
        found = dict.fromkeys(indices, 0)
        lost: dict[str, collections.Counter[str]] = {v: collections.Counter() for v in BELARUSIAN_AS}
        examples: dict[str, list[str]] = {v: [] for v in BELARUSIAN_AS}
        for word in sample:
            hits = {}
            for variant, name in indices.items():
                query = {"query_string": {"query": word, "fields": fields[variant]}}
                answer = es.search(index=name, query=query, size=500, source=False)
                hits[variant] = {h["_id"] for h in answer["hits"]["hits"]}
                found[variant] += len(hits[variant])
            for variant in BELARUSIAN_AS:
                missing = hits["v3-all-languages"] - hits[variant]
                lost[variant].update(language[i] for i in missing)
                if missing and len(examples[variant]) < 12:
                    examples[variant].append(f"{word}: {', '.join(sorted(missing)[:3])}")
        print(f"{len(docs)} dev-set articles; {len(sample)} one-word queries")
        print("hits: " + ", ".join(f"{v} {n:,}" for v, n in found.items()))
        for variant in BELARUSIAN_AS:
            total = sum(lost[variant].values())
            share = 100 * total / max(found["v3-all-languages"], 1)
            belarusian = "+".join(BELARUSIAN_AS[variant])
            print(f"{variant} (Belarusian as {belarusian}): v3 hits not found {total} ({share:.1f} %)")
            print(f"  by article language: {dict(lost[variant].most_common())}")
            for line in examples[variant]:
                print(f"  {line}")
    finally:
        for name in indices.values():
            es.indices.delete(index=name)


def _v3_fields() -> list[str]:
    """``SEARCH_FIELDS`` under their v3 names (``content.ru`` for ``content_ru``)."""
    out = []
    for field in SEARCH_FIELDS:
        name, _, boost = field.partition("^")
        base, _, lang = name.rpartition("_")
        name = f"{base}.{lang}" if base in TEXT_FIELDS and lang in LANGUAGE_ANALYZERS else name
        out.append(f"{name}^{boost}" if boost else name)
    return out


def _v3_query(query: str) -> str:
    """A rewritten query under v3's names (``title*`` was ``title.*``; ``title_ru`` was ``title.ru``)."""
    for base in TEXT_FIELDS:
        query = query.replace(f"{base}\\*:", f"{base}.\\*:")
        for lang in LANGUAGE_ANALYZERS:
            query = query.replace(f"{base}_{lang}:", f"{base}.{lang}:")
    return query


def _query_string(query: str, fields: list[str]) -> dict[str, Any]:
    return {"query_string": {"query": query, "fields": fields, "analyze_wildcard": True}}


def _alert_check(es: Elasticsearch, articles: int) -> None:
    corpus = _corpus_records(articles)
    texts = [f"{r.title}\n{r.text}" for r in corpus]
    half = len(texts) // 2  # as bench_alert_latency: one half shapes the vocabulary only
    queries = realistic_queries(texts[:half], texts[half:], 999, random.Random(7))
    docs, _ = _documents(corpus[:half])
    variants: dict[str, tuple[list[str], Callable[[str], str]]] = {
        "v3-all-languages": (_v3_fields(), _v3_query),
        "v4-own-language": (SEARCH_FIELDS, str),
    }
    indices: dict[str, str] = {}
    try:
        for variant in variants:
            name = indices[variant] = f"scratch-mapping-alerts-{variant}-{uuid.uuid4().hex[:8]}"
            es.indices.create(index=name, settings={"analysis": index_analysis()}, mappings=_mapping(variant))
            helpers.bulk(es, ({"_index": name, "_id": d["id"], "_source": _source(d, variant)} for d in docs))
            es.indices.refresh(index=name)
        found = dict.fromkeys(variants, 0)
        changed: list[tuple[int, int, str, list[str]]] = []
        for query in queries:
            hits: dict[str, set[str]] = {}
            for variant, (fields, adapt) in variants.items():
                body = _query_string(adapt(rewrite_query(query)), fields)
                answer = es.search(index=indices[variant], query=body, size=len(docs), source=False)
                hits[variant] = {h["_id"] for h in answer["hits"]["hits"]}
                found[variant] += len(hits[variant])
            lost = sorted(hits["v3-all-languages"] - hits["v4-own-language"])
            gained = hits["v4-own-language"] - hits["v3-all-languages"]
            if lost or gained:
                changed.append((len(lost), len(gained), query, lost))
        changed.sort(key=lambda row: (-row[0], -row[1], row[2]))
        print(f"{len(docs)} real-world documents; {len(queries)} subscriptions of bench_alert_latency")
        print("matches: " + ", ".join(f"{v} {n:,}" for v, n in found.items()))
        print(f"subscriptions whose matches differ: {len(changed)}")
        fields, adapt = variants["v3-all-languages"]
        for lost_n, gained_n, query, lost in changed[:25]:
            why = ""
            if lost:
                body = _query_string(adapt(rewrite_query(query)), fields)
                explained = es.explain(index=indices["v3-all-languages"], id=lost[0], query=body)
                terms = sorted(set(re.findall(r"weight[(]([^ ]+:[^ )]+)", str(explained))))
                why = f"; first lost match made by {', '.join(terms[:4])}"
            print(f"  {query!r}: -{lost_n} +{gained_n}{why}")
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
    parser.add_argument(
        "--alert-check", action="store_true", help="compare alert matches instead (see above)"
    )
    args = parser.parse_args()
    settings = load_settings().elasticsearch
    if args.alert_check:
        with Elasticsearch(**{**settings.client_kwargs(), "request_timeout": 120}) as es:
            _alert_check(es, args.articles)
        return 0
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
        print(f"{variant:16s} docs/s per round: {', '.join(f'{r:,}' for r in rates[variant])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
