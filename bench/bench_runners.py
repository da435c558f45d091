"""Benchmark: the whole pipeline (Kafka -> validate -> enrich -> Elasticsearch -> commit) on Prism and
on Flink, against the local services, for docs/SCALING.md.

    .venv/bin/python bench/bench_runners.py --runner flink --records 2000 --partitions 3

Per run, on a fresh topic, consumer group and index (deleted afterwards), with alerts off:

1. **backlog**: ``--records`` articles are produced before the job starts; measured: job submission,
   time to the first and to the last indexed article, and the backlog rate (records / (last - first));
2. **live**: ``--live`` articles, one every 200 ms, while the job runs; measured: produce -> searchable
   latency (Elasticsearch refreshed by the probe), p50 / p95 / max.

Flink uses the local job server (``newsmon services up --only flink``: embedded Flink, SDK workers in
this process). One JSON line per run on stdout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient

from newsmon.core.record import ArticleRecord, ArticleSource, encode_record
from newsmon.core.settings import Settings, load_settings
from newsmon.core.urls import article_id

TEXT = (
    "A court in Minsk, Belarus, sentenced two journalists to prison on Tuesday after a closed trial. "
    "Human rights defenders from Viasna said the charges were politically motivated. "
)


def _record(i: int, tag: str) -> ArticleRecord:
    url = f"https://bench.example.org/{tag}/{i}"
    return ArticleRecord(
        id=article_id(url),
        url=url,
        title=f"Bench article {i}",
        content=TEXT * 3,
        published_at=datetime(2025, 10, 15, 8, tzinfo=UTC),
        fetched_at=datetime.now(UTC),
        sources=[ArticleSource(feed_id=f"bench-{i % 50}", name="Bench", domain="bench.example.org")],
    )


def _settings(base: Settings, runner: str, partitions: int, tag: str, extra: list[str]) -> Settings:
    return base.model_copy(
        update={
            "kafka": base.kafka.model_copy(
                update={
                    "articles_topic": f"bench.articles.{tag}",
                    "dead_letter_topic": f"bench.dlq.{tag}",
                    "consumer_group": f"bench-{tag}",
                    "partitions": partitions,
                }
            ),
            "elasticsearch": base.elasticsearch.model_copy(update={"index": f"bench-articles-{tag}"}),
            "alerts": base.alerts.model_copy(update={"enabled": False}),
            "pipeline": base.pipeline.model_copy(update={"runner": runner, "extra_pipeline_args": extra}),
        }
    )


def run(runner: str, records: int, partitions: int, live: int, extra: list[str]) -> dict[str, Any]:
    from newsmon.services import LocalServices
    from pipeline.init import initialise
    from pipeline.job import StreamingJob
    from pipeline.options import FlinkTarget

    base = load_settings()
    tag = uuid.uuid4().hex[:8]
    settings = _settings(base, runner, partitions, tag, extra)
    services = LocalServices(base.services, progress=lambda _m: None)
    prism = services.prism_binary() if runner == "prism" else None
    flink = None
    if runner == "flink":
        services.up(["flink"])
        flink = FlinkTarget(job_endpoint=services.flink.endpoint, rest_urls=tuple(services.flink.rest_urls))
    initialise(settings)
    producer = KafkaProducer(**settings.kafka.client_kwargs(), acks="all", linger_ms=20)
    es = Elasticsearch(**settings.elasticsearch.client_kwargs())
    index = settings.elasticsearch.index

    def count() -> int:
        es.indices.refresh(index=index)
        return int(es.count(index=index)["count"])

    job = None
    try:
        for i in range(records):
            producer.send(settings.kafka.articles_topic, value=encode_record(_record(i, tag)))
        producer.flush()
        started = time.monotonic()
        job = StreamingJob(settings, prism_binary=prism, flink=flink).start()
        submitted = time.monotonic() - started
        first = last = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            n = count()
            now = time.monotonic() - started
            if n and first is None:
                first = now
            if n >= records:
                last = now
                break
            time.sleep(0.2)
        latencies = []
        for i in range(live):
            sent = time.monotonic()
            article = encode_record(_record(records + i, tag))
            producer.send(settings.kafka.articles_topic, value=article).get(30)
            while count() < records + i + 1 and time.monotonic() - sent < 60:
                time.sleep(0.02)
            latencies.append(time.monotonic() - sent)
            time.sleep(max(0.0, 0.2 - (time.monotonic() - sent)))
        rate = records / (last - first) if first is not None and last and last > first else None
        result: dict[str, Any] = {
            "runner": runner,
            "records": records,
            "extra_args": extra,
            "partitions": partitions,
            "parallelism": job.parallelism,
            "submit_s": round(submitted, 2),
            "first_indexed_s": round(first, 2) if first is not None else None,
            "all_indexed_s": round(last, 2) if last is not None else None,
            "backlog_records_per_s": round(rate) if rate else None,
        }
        if latencies:
            ordered = sorted(latencies)
            result["live_latency_s"] = {
                "p50": round(statistics.median(ordered), 3),
                "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
                "max": round(ordered[-1], 3),
            }
        return result
    finally:
        if job is not None:
            job.cancel()
        producer.close()
        admin = KafkaAdminClient(**settings.kafka.client_kwargs())
        try:
            admin.delete_topics([settings.kafka.articles_topic, settings.kafka.dead_letter_topic])
        finally:
            admin.close()
        quiet = es.options(ignore_status=(400, 404))
        quiet.indices.delete(index=f"{index}-v*", expand_wildcards="all")
        quiet.indices.delete_index_template(name=index)
        es.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runner", choices=["prism", "flink"], default="flink")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--live", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("beam_args", nargs="*", help="extra Beam options after --")
    args = parser.parse_args()
    for _ in range(args.repeat):
        result = run(args.runner, args.records, args.partitions, args.live, args.beam_args)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
