"""Benchmark: subscription matching throughput (articles/s, one core) with N subscriptions.

    .venv/bin/python bench/bench_alert_matching.py --subscriptions 100 1000 10000 --baseline <git ref>

Against the real local Elasticsearch from ``config/newsmon.yaml``: indexes real articles (the
``real-world-200`` feed corpus when present, else the bundled fixture feeds) into a fresh articles
index (deleted afterwards), analyses them with one ``_mtermvectors`` call per batch of 100 (timed
separately), compiles subscriptions (query terms analysed through ``_analyze``, cached) and times
candidate lookup + evaluation (:meth:`SubscriptionIndex.match`, including the per-article term masks)
per article: CPU time of the process pinned to one core, best pass of ``--rounds``.

Two subscription mixes, same articles:

* ``broad``: words drawn from the articles' own vocabulary (terms, AND/OR/NOT, phrases, 5-letter
  prefixes, tags/entities/language combinations), the mix of the first measurements: ~3 % of all
  subscriptions match each article.
* ``realistic``: what monitors write - names of people and organisations (the entity catalogue and
  capitalised names from article text), 2-4 specific words AND/OR'ed, often with a tag or language
  filter, phrases, a few exclusions and name prefixes. Each query is built from one text: an indexed
  article (so some match), an article of the corpus that is not indexed (the news of another day:
  they mostly do not) or an entity of the catalogue.

``--baseline REF`` loads the ``alerts`` package of that git revision beside the working one (as
``alerts_baseline``), checks that it selects exactly the same subscriptions for every article and
times it in the same run, passes interleaved with the current code's.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from elasticsearch import Elasticsearch

from alerts import AnalyzedDocument, ElasticsearchAnalyzer, QueryCompiler, SubscriptionIndex, fetch_documents
from connectors.records import build_records
from connectors.registry import choose_connector
from newsmon.core.es_index import setup_articles_index
from newsmon.core.es_schema import LANGUAGE_ANALYZERS, write_alias
from newsmon.core.record import ArticleRecord, ArticleSource
from newsmon.core.settings import ElasticsearchSettings, load_settings
from pipeline.documents import build_document
from pipeline.tagging import Enricher

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "feeds" / "real-world-200"


def _feed_paths() -> list[Path]:
    paths = sorted(p for p in CORPUS.iterdir() if p.name != "LICENSE") if CORPUS.is_dir() else []
    return paths + sorted((ROOT / "config" / "fixtures" / "feeds").iterdir())


def _records(path: Path, n: int, max_items: int) -> list[ArticleRecord]:
    body = path.read_bytes()
    try:
        parsed = choose_connector(body, "").parse(
            body, url="https://c.example/f", content_type="", max_items=max_items
        )
    except Exception:  # unparseable corpus file: skip
        return []
    source = ArticleSource(feed_id=f"corpus-{n}", name=f"Corpus {n}", domain=f"corpus-{n}.example")
    records, _, _ = build_records(parsed.entries, source, fetched_at=datetime.now(UTC), language=None)
    return records


def _documents(limit: int) -> dict[str, dict[str, Any]]:
    enricher = Enricher.load()
    docs: dict[str, dict[str, Any]] = {}
    for n, path in enumerate(_feed_paths()):
        for r in _records(path, n, 10):
            result = enricher.enrich(title=r.title, text=r.text, language_hint=r.language_hint)
            docs[r.id] = build_document(r, result.to_document(), kafka_position="b/0/0")
        if len(docs) >= limit:
            break
    return docs


def fresh_articles_index(prefix: str) -> tuple[ElasticsearchSettings, Elasticsearch]:
    """Settings and a client for a new articles index ``<prefix>-<random>`` (remove with
    :func:`drop_articles_index`)."""
    settings = load_settings().elasticsearch.model_copy(update={"index": f"{prefix}-{uuid.uuid4().hex[:8]}"})
    setup_articles_index(settings)
    return settings, Elasticsearch(**settings.client_kwargs())


def index_documents(
    client: Elasticsearch, settings: ElasticsearchSettings, docs: dict[str, dict[str, Any]]
) -> None:
    for doc_id, doc in docs.items():
        client.index(index=write_alias(settings.index), id=doc_id, document=doc)


def drop_articles_index(client: Elasticsearch, settings: ElasticsearchSettings) -> None:
    quiet = client.options(ignore_status=(400, 404))
    quiet.indices.delete(index=f"{settings.index}-v*", expand_wildcards="all")
    quiet.indices.delete_index_template(name=settings.index)
    client.close()


def _held_out(indexed: Iterable[str], limit: int) -> list[str]:
    """Texts (title + body) of corpus articles that are not indexed."""
    skip = set(indexed)
    out: list[str] = []
    for n, path in enumerate(_feed_paths()):
        out += [f"{r.title}\n{r.text}" for r in _records(path, n, 40) if r.id not in skip]
        if len(out) >= limit:
            break
    return out[:limit]


# --- subscription mixes ------------------------------------------------------------------------------


def broad_queries(docs: list[AnalyzedDocument], count: int, rng: random.Random) -> list[str]:
    """The first benchmark's mix (unchanged): broad words of the indexed articles themselves."""
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


_WORD = re.compile(r"[^\W\d_]+")
# fmt: off
#: capitalised words that start sentences or are too common to name anything
_NOT_NAMES = frozenset({
    "The", "A", "An", "And", "But", "Or", "If", "In", "On", "At", "To", "Of", "For", "From", "By",
    "With", "As", "Is", "It", "Its", "This", "That", "These", "Those", "We", "I", "You", "He", "She",
    "They", "Our", "My", "Your", "Their", "His", "Her", "What", "Why", "How", "When", "Where", "Who",
    "Which", "There", "Here", "Today", "Now", "Then", "So", "Not", "No", "Yes", "All", "Some", "Any",
    "One", "Two", "New", "More", "Most", "Also", "Just", "After", "Before", "While", "During", "Since",
    "About", "Read", "Share", "Click", "Image", "Photo", "Video", "Update", "Posted", "January",
    "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
})
# fmt: on
_SPECIAL = re.compile(r'[+\-!(){}\[\]^"~*?:\\/&|<>=]')


@dataclass
class _Topic:
    """What one monitor's subscription is about: names and specific words of one text."""

    names: list[str]  # multi-word names, "First Last"
    proper: list[str]  # single capitalised words
    words: list[str]  # specific lower-case words
    phrases: list[str]  # two adjacent lower-case words, the first one specific


def _topic(text: str, common: Counter[str], texts: int) -> _Topic:
    """Names (capitalised words that never occur in lower case in the corpus, from the body: titles
    are often in title case) and specific words (in at most 1 % of the texts) of one text."""
    words = [m.group(0) for m in _WORD.finditer(text)]
    body = [m.group(0) for m in _WORD.finditer(text.partition("\n")[2])]

    def name_like(word: str) -> bool:
        return word[0].isupper() and len(word) > 2 and not word.isupper() and word.lower() not in common

    names: list[str] = []
    run: list[str] = []
    for word in [*body, "."]:
        if name_like(word) and word not in _NOT_NAMES:
            run.append(word)
            continue
        if 2 <= len(run) <= 3:
            names.append(" ".join(run))
        run = []
    proper = sorted({w for w in body if len(w) >= 5 and name_like(w) and w not in _NOT_NAMES})
    specific = {w for w in words if w.islower() and len(w) >= 6 and common[w] <= max(2, texts // 100)}
    phrases = {f"{a} {b}" for a, b in pairwise(words) if a in specific and b.islower()}
    return _Topic(sorted(set(names)), proper, sorted(specific), sorted(phrases))


def _entity_topics() -> list[_Topic]:
    catalogue = yaml.safe_load((ROOT / "config" / "entities.yaml").read_text(encoding="utf-8"))
    out = []
    for entity in catalogue["entities"]:
        names = [entity["name"], *entity.get("aliases", [])]
        multi = [n for n in names if " " in n and not _SPECIAL.search(n)]
        single = [n for n in names if " " not in n and not _SPECIAL.search(n)]
        out.append(_Topic(multi, single, [], []))
    return out


def realistic_queries(indexed: list[str], held_out: list[str], count: int, rng: random.Random) -> list[str]:
    """Specific subscriptions as monitors write them (see the module docstring)."""
    common = Counter(w for text in [*indexed, *held_out] for w in {m.group(0) for m in _WORD.finditer(text)})
    texts = len(indexed) + len(held_out)
    pools = [
        (0.25, [_topic(t, common, texts) for t in indexed]),
        (0.60, [_topic(t, common, texts) for t in held_out]),
        (0.15, _entity_topics()),
    ]
    tags = [
        "belarus", "human_rights", "political_prisoners", "arbitrary_detention", "torture",
        "press_freedom", "freedom_of_expression", "freedom_of_assembly", "civil_society",
    ]  # fmt: skip
    langs = sorted(LANGUAGE_ANALYZERS)

    def quoted(name: str) -> str:
        return f'"{name}"'

    def templates(t: _Topic) -> list[Callable[[], str]]:
        name = (lambda: quoted(rng.choice(t.names))) if t.names else None
        proper = (lambda: rng.choice(t.proper)) if t.proper else None
        subject = name or proper
        words = t.words

        def some(k: int) -> list[str]:
            return rng.sample(words, min(k, len(words)))

        out: list[Callable[[], str]] = []
        if name:
            out += [name, name, lambda: f"entities:{name()}", lambda: f"title:{name()}"]
            if len(t.names) > 1:
                out.append(lambda: " OR ".join(quoted(n) for n in rng.sample(t.names, 2)))
        if proper:
            out.append(proper)
            long = [p for p in t.proper if len(p) >= 7]
            if long:
                out.append(lambda: f"{rng.choice(long)[:-2]}*")
        if subject and words:
            out += [
                lambda: f"{subject()} AND ({' OR '.join(some(2))})",
                lambda: f"{subject()} -{rng.choice(words)}",
                lambda: f"tags:{rng.choice(tags)} AND ({subject()} OR {rng.choice(words)})",
            ]
        if len(words) >= 2:
            out += [
                lambda: " AND ".join(some(2)),
                lambda: f"({' OR '.join(some(rng.randint(2, 4)))}) AND lang:{rng.choice(langs)}",
                lambda: f"tags:{rng.choice(tags)} AND ({' OR '.join(some(3))})",
            ]
        if t.phrases:
            out.append(lambda: quoted(rng.choice(t.phrases)))
            if words:
                out.append(lambda: f"{quoted(rng.choice(t.phrases))} AND NOT {rng.choice(words)}")
        return out

    queries: list[str] = []
    weights = [w for w, _ in pools]
    while len(queries) < count:
        (_, topics) = rng.choices(pools, weights)[0]
        options = templates(rng.choice(topics))
        if options:
            queries.append(rng.choice(options)())
    return queries


# --- measurement -------------------------------------------------------------------------------------


def load_baseline(ref: str, into: Path) -> ModuleType:
    """The ``alerts`` package of git revision ``ref``, importable as ``alerts_baseline``."""
    name = "alerts_baseline"

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
        ).stdout

    for path in git("ls-tree", "-r", "--name-only", ref, "alerts/").split():
        if path.endswith(".py"):
            target = into / name / Path(path).relative_to("alerts")
            target.parent.mkdir(parents=True, exist_ok=True)
            text = re.sub(
                r"^(\s*)(from|import) alerts\b", rf"\1\2 {name}", git("show", f"{ref}:{path}"), flags=re.M
            )
            target.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module(name)


@dataclass
class _Engine:
    """One implementation under test: its index and how to wrap an analysed article for it."""

    label: str
    index: Any
    wrap: Callable[[AnalyzedDocument], Any]
    build_s: float
    best_cpu: float = float("inf")

    def run(self, analysed: list[AnalyzedDocument]) -> float:
        docs = [self.wrap(d) for d in analysed]  # fresh: per-article caches are part of the cost
        match = self.index.match
        t0 = time.process_time()
        for doc in docs:
            match(doc)
        cpu = time.process_time() - t0
        self.best_cpu = min(self.best_cpu, cpu)
        return cpu


def _hot_reload(index: SubscriptionIndex, queries: list[str], compiler: QueryCompiler) -> float:
    """µs per subscription to compile again, remove and add 1 % of them (what a hot reload does for
    each changed subscription; query analysis cached)."""
    some = list(enumerate(queries))[:: max(1, len(queries) // 100)]
    t0 = time.process_time()
    for i, query in some:
        index.remove(f"s{i}")
        index.add(f"s{i}", compiler.compile(query))
    return (time.process_time() - t0) / len(some) * 1e6


def _machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    return (
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {load:.2f} at start, code {rev}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscriptions", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the articles per measurement")
    parser.add_argument("--mix", nargs="+", choices=["broad", "realistic"], default=["broad", "realistic"])
    parser.add_argument("--baseline", metavar="REF", help="git revision whose alerts package to compare")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    print(_machine())
    copy = tempfile.TemporaryDirectory(prefix="bench-alerts-")  # the baseline's sources
    base = load_baseline(args.baseline, Path(copy.name)) if args.baseline else None
    settings, client = fresh_articles_index("bench-alerts")
    try:
        docs = _documents(args.articles)
        index_documents(client, settings, docs)
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
        indexed_texts = [
            f"{d.get('title', '')}\n{d.get('content') or d.get('summary', '')}" for d in docs.values()
        ]
        held_out = _held_out(docs, 2000) if "realistic" in args.mix else []
        analyzer = ElasticsearchAnalyzer(client, settings.index)
        compiler = QueryCompiler(analyzer)
        rows = []
        for mix in args.mix:
            rng = random.Random(42)
            for n in args.subscriptions:
                if mix == "broad":
                    queries = broad_queries(analysed, n, rng)
                else:
                    queries = realistic_queries(indexed_texts, held_out, n, rng)
                t0 = time.perf_counter()
                for q in queries:  # fills the _analyze cache: the builds below are timed warm
                    compiler.compile(q)
                analyze_s = time.perf_counter() - t0
                rows.append(_measure(mix, queries, analysed, analyzer, base, args.rounds, analyze_s))
        _report(rows, base is not None, args)
    finally:
        drop_articles_index(client, settings)
        copy.cleanup()


def _measure(
    mix: str,
    queries: list[str],
    analysed: list[AnalyzedDocument],
    analyzer: ElasticsearchAnalyzer,
    base: ModuleType | None,
    rounds: int,
    analyze_s: float,
) -> dict[str, Any]:
    n = len(queries)
    t0 = time.process_time()
    compiler = QueryCompiler(analyzer)
    index = SubscriptionIndex((f"s{i}", compiler.compile(q)) for i, q in enumerate(queries))
    engines = [_Engine("new", index, lambda d: AnalyzedDocument(d.id, d.fields), time.process_time() - t0)]
    old: Any = None
    wrap: Any = None
    if base is not None:
        t0 = time.process_time()
        old_compiler = base.QueryCompiler(analyzer)
        old = base.SubscriptionIndex((f"s{i}", old_compiler.compile(q)) for i, q in enumerate(queries))
        wrap = base.AnalyzedDocument
        engines.insert(0, _Engine("baseline", old, lambda d: wrap(d.id, d.fields), time.process_time() - t0))
    candidates = old_candidates = matches = 0
    for doc in analysed:
        found = index.match(AnalyzedDocument(doc.id, doc.fields))
        candidates += len(index.candidates(AnalyzedDocument(doc.id, doc.fields)))
        matches += len(found)
        if old is not None:
            old_doc = wrap(doc.id, doc.fields)
            expected = old.match(old_doc)
            assert found == expected, f"{mix} {n}: {doc.id} selects {found[:5]}, baseline {expected[:5]}"
            old_candidates += len(old.candidates(old_doc))
    for _ in range(rounds):
        for engine in engines:
            engine.run(analysed)
    reload_us = _hot_reload(index, queries, compiler)
    row = {
        "mix": mix,
        "n": n,
        "candidates": candidates / len(analysed),
        "baseline_candidates": old_candidates / len(analysed),
        "matches": matches / len(analysed),
        "reload_us": reload_us,
        **{f"{e.label}_rate": len(analysed) / e.best_cpu for e in engines},
        **{f"{e.label}_build": e.build_s for e in engines},
    }
    print(
        f"mix={mix} subscriptions={n} "
        + " ".join(
            f"{e.label}: {len(analysed) / e.best_cpu:,.0f} articles/s (build {e.build_s:.1f}s)"
            for e in engines
        )
        + f" candidates/article={row['candidates']:.1f} matches/article={row['matches']:.2f} "
        f"reload={reload_us:.0f}us/subscription (first compile, _analyze calls included: {analyze_s:.1f}s)",
        flush=True,
    )
    return row


def _report(rows: list[dict[str, Any]], with_baseline: bool, args: argparse.Namespace) -> None:
    print()
    head = "| mix | subscriptions | articles/s |"
    rule = "|---|---:|---:|"
    if with_baseline:
        head += f" baseline ({args.baseline}) | speed-up |"
        rule += "---:|---:|"
    head += " candidates / article | matches / article (% of subscriptions) | build | hot reload |"
    rule += "---:|---:|---:|---:|"
    print(head)
    print(rule)
    for r in rows:
        line = f"| {r['mix']} | {r['n']:,} | **{r['new_rate']:,.0f}** |"
        if with_baseline:
            line += f" {r['baseline_rate']:,.0f} | {r['new_rate'] / r['baseline_rate']:.1f}x |"
        share = 100 * r["matches"] / r["n"]
        build = f"{r['new_build']:.1f} s" + (
            f" (baseline {r['baseline_build']:.1f} s)" if with_baseline else ""
        )
        candidates = f"{r['candidates']:,.1f}" + (
            f" (baseline {r['baseline_candidates']:,.1f})" if with_baseline else ""
        )
        line += f" {candidates} | {r['matches']:,.1f} ({share:.2g} %) | {build} |"
        line += f" {r['reload_us']:.0f} µs |"
        print(line)


if __name__ == "__main__":
    main()
