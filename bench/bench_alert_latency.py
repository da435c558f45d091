"""Benchmark: alert latency from produce to webhook received, with N active subscriptions.

    .venv/bin/python bench/bench_alert_latency.py --rate 50 --seconds 60 --subscriptions 1000

Real everything on this machine: the local Kafka and Elasticsearch from ``config/newsmon.yaml`` (fresh
topics and indices, deleted afterwards), the streaming pipeline (``newsmon pipeline run`` on Prism) and
the delivery service (``newsmon notify``) as subprocesses, and a webhook receiver (HTTP server on
loopback) that notes when each alert arrives. Articles are real (the real-world-200 feed corpus, else
the bundled fixture feeds) re-published under fresh URLs at ``--rate`` per second; subscriptions are
``bench_alert_matching``'s realistic mix (names, specific words with tag/language filters, phrases) or,
with ``--mix broad``, generated from title words (10 % single words), every one with the receiver as
its webhook channel.

Reported: alerts delivered, latency produce -> webhook received p50 / p95 / p99 / max, and the pipeline's
and notifier's start-up time (excluded from the latencies: articles are produced once both are warm).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_alert_matching import realistic_queries  # noqa: E402

from connectors.records import build_records  # noqa: E402
from connectors.registry import choose_connector  # noqa: E402
from newsmon.core.record import ArticleRecord, ArticleSource, encode_record  # noqa: E402
from newsmon.core.settings import Settings, load_settings  # noqa: E402
from newsmon.core.urls import article_id  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "feeds" / "real-world-200"


class _Receiver(BaseHTTPRequestHandler):
    arrivals: ClassVar[list[tuple[float, dict[str, Any], str]]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = time.time()
        with self.lock:
            self.arrivals.append((now, json.loads(body), self.headers.get("Idempotency-Key", "")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


def _corpus_records(limit: int) -> list[ArticleRecord]:
    paths = sorted(p for p in CORPUS.iterdir() if p.name != "LICENSE") if CORPUS.is_dir() else []
    paths += sorted((ROOT / "config" / "fixtures" / "feeds").iterdir())
    out: list[ArticleRecord] = []
    for n, path in enumerate(paths):
        body = path.read_bytes()
        try:
            parsed = choose_connector(body, "").parse(
                body, url="https://c.example/f", content_type="", max_items=20
            )
        except Exception:  # an unparseable corpus file: skip it
            continue
        source = ArticleSource(feed_id=f"corpus-{n}", name=f"Corpus {n}", domain=f"corpus-{n}.example")
        records, _, _ = build_records(parsed.entries, source, fetched_at=datetime.now(UTC), language=None)
        out.extend(r for r in records if r.title)
        if len(out) >= limit:
            break
    return out[:limit]


def _fresh(record: ArticleRecord, run: str, n: int) -> ArticleRecord:
    url = f"https://bench.example/{run}/{n}"
    now = datetime.now(UTC)
    return record.model_copy(
        update={"url": url, "id": article_id(url), "fetched_at": now, "published_at": now}
    )


def _queries(records: list[ArticleRecord], count: int, rng: random.Random) -> list[str]:
    words = sorted(
        {
            w.strip(".,:;!?«»\"'()").lower()
            for r in records
            for w in r.title.split()
            if len(w) > 4 and w.isalpha()
        }
    )
    pairs = [r.title.split() for r in records if len(r.title.split()) >= 4]
    out = []
    for i in range(count):
        kind = i % 10
        if kind == 0:
            out.append(rng.choice(words))  # broad
        elif kind in (1, 2):
            title = rng.choice(pairs)
            start = rng.randrange(len(title) - 1)
            phrase = " ".join(w.strip('.,:;!?«»"()') for w in title[start : start + 2])
            out.append(f'"{phrase}"')
        elif kind == 3:
            out.append(f"tags:belarus AND {rng.choice(words)}")
        else:
            out.append(f"{rng.choice(words)} AND {rng.choice(words)}")
    return out


def _env(settings: Settings) -> dict[str, str]:
    k, es, a = settings.kafka, settings.elasticsearch, settings.alerts
    # the caller's NEWSMON_PIPELINE__* pass through (to compare pipeline settings), and its bulk size
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEWSMON_") or key.startswith("NEWSMON_PIPELINE__")
    }
    env.update(
        {
            "NEWSMON_KAFKA__BOOTSTRAP_SERVERS": k.bootstrap_servers,
            "NEWSMON_KAFKA__ARTICLES_TOPIC": k.articles_topic,
            "NEWSMON_KAFKA__DEAD_LETTER_TOPIC": k.dead_letter_topic,
            "NEWSMON_KAFKA__CONSUMER_GROUP": k.consumer_group,
            "NEWSMON_ELASTICSEARCH__URL": es.url,
            "NEWSMON_ELASTICSEARCH__INDEX": es.index,
            "NEWSMON_ELASTICSEARCH__BULK_SIZE": str(es.bulk_size),
            "NEWSMON_ALERTS__INDEX": a.index,
            "NEWSMON_ALERTS__SUBSCRIPTIONS_INDEX": a.subscriptions_index,
            "NEWSMON_ALERTS__DELIVERIES_INDEX": a.deliveries_index,
            "NEWSMON_ALERTS__TOPIC": a.topic,
            "NEWSMON_ALERTS__DEAD_LETTER_TOPIC": a.dead_letter_topic,
            "NEWSMON_ALERTS__NOTIFY_CONSUMER_GROUP": a.notify_consumer_group,
            "NEWSMON_WEBHOOK_SECRET": "bench-secret",
        }
    )
    return env


def _alert_article_ids(body: dict[str, Any]) -> list[str]:
    """Article ids in a webhook body (one alert, or a digest's list)."""
    if "article" in body:
        return [str(body["article"]["id"])]
    return [str(a["article"]["id"]) for a in body.get("alerts", []) if "article" in a]


_TOPIC_ARTICLE: dict[str, str] = {}


def _alert_times(settings: Settings) -> dict[str, float]:
    """alert id -> when the pipeline produced it (the record timestamp), from the alerts topic."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        settings.alerts.topic,
        **settings.kafka.client_kwargs(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    out: dict[str, float] = {}
    try:
        for record in consumer:
            body = json.loads(record.value)
            out.setdefault(body["alert_id"], record.timestamp / 1000)
            _TOPIC_ARTICLE[body["alert_id"]] = body["article"]["id"]
    finally:
        consumer.close()
    return out


def _alert_keys(on_topic: dict[str, float], produced: dict[str, float]) -> list[tuple[str, str]]:
    return [(a, _TOPIC_ARTICLE[a]) for a in on_topic if _TOPIC_ARTICLE.get(a) in produced]


def _enriched_times(es: Any, index: str) -> dict[str, float]:
    """article id -> when the pipeline built its document (``indexed_at``, set after enrichment)."""
    from elasticsearch.helpers import scan

    es.indices.refresh(index=index)
    out = {}
    for hit in scan(es, index=index, query={"query": {"match_all": {}}}, _source=["indexed_at"]):
        out[hit["_id"]] = datetime.fromisoformat(hit["_source"]["indexed_at"]).timestamp()
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _print_stage_metrics(port: int) -> None:
    """Per-batch cost of the matching step and the bulk sink, from the pipeline's Prometheus metrics."""
    import urllib.request

    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    except OSError as exc:
        print(f"  (pipeline metrics unavailable: {exc})")
        return
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and any(k in line for k in ("alerts_match", "bulk_", "polls")):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    stages = (
        "alerts_match_batch_ms",
        "alerts_match_read_ms",
        "alerts_match_eval_ms",
        "alerts_match_publish_ms",
        "alerts_match_batch_size",
        "bulk_latency_ms",
        "bulk_batch_size",
    )
    polls = sum(v for k, v in values.items() if "kafka_source_polls" in k)
    if polls:
        print(f"  kafka polls (one per partition per bundle): {polls:.0f}")
    for stage in stages:
        found = {k: v for k, v in values.items() if stage in k}
        count = next((v for k, v in found.items() if k.endswith("_count")), 0.0)
        total = next((v for k, v in found.items() if k.endswith("_sum")), 0.0)
        peak = next((v for k, v in found.items() if k.endswith("_max")), 0.0)
        if count:
            print(f"  {stage}: batches={count:.0f} mean={total / count:.1f} max={peak:.0f}")


def _cpu_seconds(procs: list[subprocess.Popen[bytes]]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each part of the system on this machine: the
    pipeline (with the runner and its workers), the notifier, Elasticsearch, Kafka, this process."""
    import psutil

    def tree(pid: int) -> float:
        try:
            root = psutil.Process(pid)
            total = 0.0
            for proc in (root, *root.children(recursive=True)):
                with contextlib.suppress(psutil.Error):
                    t = proc.cpu_times()
                    total += t.user + t.system
            return total
        except psutil.Error:
            return 0.0

    own = psutil.Process().cpu_times()
    out = {"pipeline": tree(procs[0].pid), "notifier": tree(procs[1].pid), "bench": own.user + own.system}
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        for name, marker in (("elasticsearch", "org.elasticsearch.bootstrap"), ("kafka", "kafka.Kafka")):
            if marker in line:
                with contextlib.suppress(psutil.Error):
                    t = proc.cpu_times()
                    out[name] = out.get(name, 0.0) + t.user + t.system
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="articles per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--settle", type=float, default=30.0, help="seconds to wait for late alerts")
    parser.add_argument(
        "--mix",
        choices=("realistic", "broad"),
        default="realistic",
        help="subscriptions as monitors write them (bench_alert_matching's realistic mix) or broad ones",
    )
    args = parser.parse_args()

    from elasticsearch import Elasticsearch
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient

    from alerts.model import Channel, SubscriptionSpec
    from alerts.store import SubscriptionStore
    from pipeline.init import initialise

    run = uuid.uuid4().hex[:8]
    base = load_settings()
    settings = base.model_copy(
        update={
            "kafka": base.kafka.model_copy(
                update={
                    "articles_topic": f"bench.articles.{run}",
                    "dead_letter_topic": f"bench.dlq.{run}",
                    "consumer_group": f"bench-{run}",
                }
            ),
            "elasticsearch": base.elasticsearch.model_copy(update={"index": f"bench-articles-{run}"}),
            "alerts": base.alerts.model_copy(
                update={
                    "index": f"bench-alerts-{run}",
                    "subscriptions_index": f"bench-subs-{run}",
                    "deliveries_index": f"bench-deliveries-{run}",
                    "topic": f"bench.alerts.{run}",
                    "dead_letter_topic": f"bench.alerts.dlq.{run}",
                    "notify_consumer_group": f"bench-notify-{run}",
                }
            ),
        }
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    total = int(args.rate * args.seconds)
    corpus = _corpus_records(max(300, min(total, 3000)))
    es = Elasticsearch(**settings.elasticsearch.client_kwargs())
    procs: list[subprocess.Popen[bytes]] = []
    logs = Path(f"/tmp/bench-alert-latency-{run}")
    logs.mkdir()
    try:
        initialise(settings, progress=lambda _m: None)
        store = SubscriptionStore(es, settings.alerts.subscriptions_index)
        rng = random.Random(7)
        t0 = time.monotonic()
        if args.mix == "broad":
            queries = _queries(corpus, args.subscriptions - 1, rng)
        else:
            texts = [f"{r.title}\n{r.text}" for r in corpus]
            half = len(texts) // 2  # one half published and seen, the other only shapes the vocabulary
            queries = realistic_queries(texts[:half], texts[half:], args.subscriptions - 1, rng)
        specs = [
            (SubscriptionSpec(name=f"bench {n}", query=q, channels=[Channel(url=hook)]), "bench")
            for n, q in enumerate(queries)
        ]
        store.create_many(specs)
        probe = store.create(
            SubscriptionSpec(name="warm-up probe", query="title:warmupprobe", channels=[Channel(url=hook)]),
            "bench",
        )
        print(f"subscriptions={len(store.versions())} created in {time.monotonic() - t0:.0f}s")
        env = _env(settings)
        newsmon = [sys.executable, "-m", "newsmon.cli.main"]
        started = time.monotonic()
        metrics_port = _free_port()
        for name, extra in (
            ("pipeline", ["pipeline", "run", "--metrics-port", str(metrics_port), "--report-every", "0"]),
            ("notify", ["notify"]),
        ):
            log = (logs / f"{name}.log").open("wb")
            procs.append(
                subprocess.Popen([*newsmon, *extra], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            )
        producer = KafkaProducer(
            **settings.kafka.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=2
        )
        # warm-up: one probe article every 2 s until its alert arrives
        warm = 0
        while True:
            warm += 1
            record = _fresh(corpus[0], run, -warm).model_copy(update={"title": "warmupprobe"})
            producer.send(settings.kafka.articles_topic, key=record.id.encode(), value=encode_record(record))
            producer.flush()
            time.sleep(2)
            if any(record.id in _alert_article_ids(b) for _, b, _ in _Receiver.arrivals):
                break
            if time.monotonic() - started > 300:
                raise SystemExit(f"no warm-up alert after 300 s: see {logs}")
        print(f"pipeline + notifier warm after {time.monotonic() - started:.0f}s")
        store.delete(probe.id)
        with _Receiver.lock:
            _Receiver.arrivals.clear()
        produced: dict[str, float] = {}
        interval = 1.0 / args.rate
        cpu_before = _cpu_seconds(procs)
        begin = time.monotonic()
        for n in range(total):
            due = begin + n * interval
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            record = _fresh(corpus[n % len(corpus)], run, n)
            produced[record.id] = time.time()
            producer.send(settings.kafka.articles_topic, key=record.id.encode(), value=encode_record(record))
        producer.flush()
        achieved = total / (time.monotonic() - begin)
        time.sleep(args.settle)
        cpu_after = _cpu_seconds(procs)
        busy = time.monotonic() - begin
        print(
            f"  CPU over the {busy:.0f} s of produce + settle (cores busy): "
            + ", ".join(f"{k}={(cpu_after[k] - cpu_before.get(k, 0.0)) / busy:.2f}" for k in cpu_after)
        )
        latencies = []
        keys = set()
        digests = 0
        for arrived, body, key in list(_Receiver.arrivals):
            if body.get("type") == "digest":  # waits for the end of its period by design: not timed
                digests += 1
                continue
            keys.add(key)
            for art in _alert_article_ids(body):
                if art in produced:
                    latencies.append(arrived - produced[art])
        if not latencies:
            raise SystemExit(f"no alerts received: see {logs}")
        _print_stage_metrics(metrics_port)
        # where the time goes: produce -> on the alerts topic (pipeline), topic -> webhook (notifier)
        on_topic = _alert_times(settings)
        stage1 = [on_topic[a] - produced[art] for a, art in _alert_keys(on_topic, produced)]
        arrivals = {}
        for arrived, body, _ in list(_Receiver.arrivals):
            if "alert_id" in body:
                arrivals[body["alert_id"]] = arrived
        stage2 = [arrivals[a] - on_topic[a] for a in arrivals if a in on_topic]
        if stage1 and stage2:
            p1, p2 = (
                f"p50={_percentile(x, 0.5):.2f}s p95={_percentile(x, 0.95):.2f}s" for x in (stage1, stage2)
            )
            print(f"  produce->alerts topic {p1}; alerts topic->webhook {p2}")
        print(
            f"  alerts on the alerts topic: {len(on_topic)}, delivered in time: {len(arrivals)} "
            f"(+ {digests} digests of rate-limited alerts, not timed)"
        )
        built = _enriched_times(es, settings.elasticsearch.index)
        stage0 = [built[a] - t for a, t in produced.items() if a in built]
        if stage0:
            print(
                f"  produce->document built (read, validate, enrich) p50={_percentile(stage0, 0.5):.2f}s "
                f"p95={_percentile(stage0, 0.95):.2f}s ({len(stage0)} articles)"
            )
        print(
            f"rate={achieved:.1f}/s articles={total} subscriptions={args.subscriptions} "
            f"alerts_received={len(latencies)} distinct_keys={len(keys)} "
            f"latency_p50={_percentile(latencies, 0.5):.2f}s p95={_percentile(latencies, 0.95):.2f}s "
            f"p99={_percentile(latencies, 0.99):.2f}s max={max(latencies):.2f}s"
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        server.shutdown()
        quiet = es.options(ignore_status=(400, 404))
        for name in (
            settings.elasticsearch.index,
            settings.alerts.index,
            settings.alerts.subscriptions_index,
            settings.alerts.deliveries_index,
        ):
            quiet.indices.delete(index=f"{name}*", expand_wildcards="all")
            quiet.indices.delete_index_template(name=name)
        es.close()
        admin = KafkaAdminClient(**settings.kafka.client_kwargs())
        topics = [t for t in admin.list_topics() if run in t]
        if topics:
            admin.delete_topics(topics)
        admin.close()


if __name__ == "__main__":
    main()
