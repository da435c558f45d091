"""Benchmark: reading just-indexed articles for alert matching, fetched vs derived.

    .venv/bin/python bench/bench_article_analysis.py --articles 600 --rounds 5

Against the real local Elasticsearch from ``config/newsmon.yaml``: indexes real articles
(``bench_alert_matching``'s: the ``real-world-200`` feed corpus when present, else the bundled
fixture feeds) into a fresh articles index (deleted afterwards), then times, per batch of 100
articles, wall clock:

* ``fetched``: :func:`alerts.document.fetch_documents`, every text field's term vectors with
  positions from ``_mtermvectors`` (21 fields: what the matching step did before);
* ``derived, cold``: :class:`alerts.derived.DocumentReader` with an empty token cache (the first
  batches after a start: every token is analysed);
* ``derived, warm``: the same reader on articles it has not read, after the cache holds the tokens of
  the others (steady state: only new tokens are analysed).

Both methods run interleaved in the same process; the derived documents are checked equal to the
fetched ones.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_alert_matching import (  # noqa: E402
    _documents,
    _machine,
    drop_articles_index,
    fresh_articles_index,
    index_documents,
)

from alerts.derived import DocumentReader  # noqa: E402
from alerts.document import fetch_documents  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(_machine())
    settings, client = fresh_articles_index("bench-read")
    try:
        docs = _documents(args.articles)
        index_documents(client, settings, docs)
        ids = list(docs)
        batches = [ids[i : i + 100] for i in range(0, len(ids) - 99, 100)]
        half = len(batches) // 2
        fetched_ms: list[float] = []
        cold_ms: list[float] = []
        warm_ms: list[float] = []
        analyse_calls = []
        for _ in range(args.rounds):
            reader = DocumentReader(client, settings.index)
            for n, batch in enumerate(batches):
                t0 = time.perf_counter()
                exact = fetch_documents(client, settings.index, batch, docs)
                t1 = time.perf_counter()
                calls = reader.requests
                derived = reader.fetch(batch, docs)
                t2 = time.perf_counter()
                fetched_ms.append(1000 * (t1 - t0))
                (cold_ms if n < half else warm_ms).append(1000 * (t2 - t1))
                if n >= half:
                    analyse_calls.append(reader.requests - calls)
                if {d.id: d.fields for d in exact} != {d.id: d.fields for d in derived}:
                    raise SystemExit("derived documents differ from the fetched ones")
            if not warm_ms:
                raise SystemExit("need at least 200 articles")
        tokens = len(reader.analyses)
        print(f"articles={len(ids)} batches of 100: {len(batches)} per round x {args.rounds} rounds")
        print(f"{'method':<16} {'ms per 100 (median)':>20} {'p90':>8} {'ms/article':>11}")
        for name, values in (
            ("fetched (21)", fetched_ms),
            ("derived, cold", cold_ms),
            ("derived, warm", warm_ms),
        ):
            median = statistics.median(values)
            p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
            print(f"{name:<16} {median:>20.0f} {p90:>8.0f} {median / 100:>11.2f}")
        print(
            f"warm batches: {statistics.mean(analyse_calls):.2f} requests per batch; "
            f"cache {tokens} tokens after one round"
        )
    finally:
        drop_articles_index(client, settings)


if __name__ == "__main__":
    main()
