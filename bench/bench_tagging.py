#!/usr/bin/env python3
"""Throughput of the tagging engine vs a naive regex baseline, on one core.

Articles: every entry of the real-world feed corpus (../shared/corpora/feeds/real-world-200/, parsed
with feedparser, HTML stripped, title + summary/content) plus the seed article. Both engines see the
same texts in the same run:

* ``enricher``: the full enrichment (language detection, tags with rules and evidence, entities,
  person detection on articles tagged ``human_rights``); ``enricher_corpus_persons_off`` is the
  same enricher without person detection, timed in the same run on the same articles;
* ``naive``: one compiled regular expression per pattern of the same taxonomy and entity list, each
  searched over every article (matching only: no rules, no entities) - the "loop of regexes" design.
  It is slow, so it runs on an evenly spaced sample of the corpus; the enricher is timed on the same
  sample too. Times are CPU time (``time.process_time``), best of ``--repeat`` runs.

``--baseline-taxonomy PATH`` also times the enricher with another taxonomy (e.g. main's, from
``git show main:config/taxonomy.yaml``) on the whole corpus, runs interleaved with the current one, so
that a taxonomy change is compared with its baseline in the same run on the same machine.

Usage: .venv/bin/python bench/bench_tagging.py [--repeat N] [--limit N] [--baseline-taxonomy PATH] [--json]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.tagging import Enricher  # noqa: E402
from pipeline.tagging.normalize import normalize  # noqa: E402
from pipeline.tagging.patterns import ENDINGS, Mode, PatternSpec  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpora" / "feeds" / "real-world-200"
SEED = SHARED / "seed" / "seed-article.txt"
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def _clean(raw: str) -> str:
    return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", raw))).strip()


def load_articles(limit: int | None) -> list[tuple[str, str]]:
    """(title, text) for every entry of the corpus, then the seed article."""
    import feedparser

    articles: list[tuple[str, str]] = []
    for path in sorted(CORPUS.iterdir()) if CORPUS.exists() else []:
        parsed = feedparser.parse(path.read_bytes())
        for entry in parsed.entries:
            body = ""
            if entry.get("content"):
                body = " ".join(c.get("value", "") for c in entry["content"])
            body = body or entry.get("summary", "")
            title, text = _clean(entry.get("title", "")), _clean(body)
            if title or text:
                articles.append((title, text))
    if limit:
        articles = articles[:limit]
    if SEED.exists():
        title, _, text = SEED.read_text(encoding="utf-8").partition("\n")
        articles.append((title.strip(), text.strip()))
    return articles


def naive_regexes(enricher: Enricher) -> list[re.Pattern[str]]:
    """The same patterns as the automaton, one regex each."""
    endings = "|".join(sorted((re.escape(e) for e in ENDINGS if e), key=len, reverse=True))
    out = []
    for source_spec in enricher.compiled.matcher.specs():
        out.append(re.compile(_regex(source_spec, endings)))
    return out


def _regex(spec: PatternSpec, endings: str) -> str:
    parts = []
    for element in spec.elements:
        key = re.escape(element.key.lower() if element.case_sensitive else element.key)
        left = r"\w*" if element.infix else r"\b"
        right = {Mode.EXACT: r"\b", Mode.PREFIX: r"\w*", Mode.INFLECT: rf"(?:{endings})?\b"}[element.mode]
        parts.append(left + key + right)
    return r"\W+(?:\w+\W+){0,3}?".join(parts)


def run(articles: list[tuple[str, str]], repeat: int, naive_sample: int) -> dict[str, object]:
    t0 = time.perf_counter()
    enricher = Enricher.load()
    load_s = time.perf_counter() - t0
    plain = Enricher.load(persons=False)
    regexes = naive_regexes(enricher)
    seed = articles[-1:]
    results: dict[str, object] = {
        "articles": len(articles),
        "chars_mean": round(statistics.mean(len(t) + len(x) for t, x in articles)),
        "patterns": len(regexes),
        "load_seconds": round(load_s, 3),
    }

    def enrich_all(batch: list[tuple[str, str]]) -> int:
        tagged = 0
        for title, text in batch:
            tagged += bool(enricher.enrich(title, text).tags)
        return tagged

    def enrich_plain(batch: list[tuple[str, str]]) -> int:
        tagged = 0
        for title, text in batch:
            tagged += bool(plain.enrich(title, text).tags)
        return tagged

    def naive_all(batch: list[tuple[str, str]]) -> int:
        found = 0
        for title, text in batch:
            norm = normalize(title + "\n\n" + text)
            found += sum(1 for rx in regexes if rx.search(norm))
        return found

    sample = articles[: -1 : max(1, len(articles) // naive_sample)] + seed  # same texts for both engines
    results["naive_sample_articles"] = len(sample)
    for name, func, batch, reps in (
        ("enricher_corpus", enrich_all, articles, repeat),
        ("enricher_corpus_persons_off", enrich_plain, articles, repeat),
        ("enricher_seed", enrich_all, seed * 200, repeat),
        ("enricher_sample", enrich_all, sample, repeat),
        ("naive_sample", naive_all, sample, 1),
        ("naive_seed", naive_all, seed * 10, 1),
    ):
        best = float("inf")
        for _ in range(reps):
            start = time.process_time()
            func(batch)
            best = min(best, time.process_time() - start)
        results[f"{name}_per_s"] = round(len(batch) / best, 1)
    results["tagged_articles"] = enrich_all(articles)
    people = [e for title, text in articles for e in enricher.enrich(title, text).entities if e.detected]
    results["detected_persons"] = len(people)
    results["articles_with_detected_persons"] = sum(
        any(e.detected for e in enricher.enrich(title, text).entities) for title, text in articles
    )
    return results


def compare(articles: list[tuple[str, str]], baseline: Path, repeat: int) -> dict[str, object]:
    """Corpus throughput of the current taxonomy and of ``baseline``, runs interleaved, best of ``repeat``."""
    engines = {"current": Enricher.load(), "baseline": Enricher.load(baseline)}
    best = dict.fromkeys(engines, float("inf"))
    for _ in range(repeat):
        for name, engine in engines.items():
            start = time.process_time()
            for title, text in articles:
                engine.enrich(title, text)
            best[name] = min(best[name], time.process_time() - start)
    out: dict[str, object] = {
        f"{name}_corpus_per_s": round(len(articles) / seconds, 1) for name, seconds in best.items()
    }
    out["baseline_patterns"] = len(list(engines["baseline"].compiled.matcher.specs()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="tagging throughput vs naive regex baseline")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N corpus entries")
    parser.add_argument("--naive-sample", type=int, default=400, help="articles for the slow baseline")
    parser.add_argument(
        "--baseline-taxonomy", type=Path, default=None, help="also time this taxonomy, interleaved"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    articles = load_articles(args.limit)
    if len(articles) < 2:
        print("bench_tagging: corpus not found under ../shared; nothing to measure", file=sys.stderr)
        return 1
    results = run(articles, args.repeat, args.naive_sample)
    if args.baseline_taxonomy is not None:
        results.update(compare(articles, args.baseline_taxonomy, args.repeat))
    results["python"] = platform.python_version()
    results["machine"] = f"{platform.machine()} {os.cpu_count()} cpu"
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for key, value in results.items():
            print(f"{key:24s} {value}")
        for what in ("sample", "seed"):
            fast, slow = results[f"enricher_{what}_per_s"], results[f"naive_{what}_per_s"]
            print(f"{'speedup_' + what:24s} {float(fast) / float(slow):.1f}x")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
