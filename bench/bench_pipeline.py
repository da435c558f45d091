"""Benchmark (issue 11): pipeline throughput and latency against a raw bulk baseline, in one run.

    .venv/bin/python bench/bench_pipeline.py --runner prism --articles 10000 --rate 200 --seconds 30

Against the real local services of ``config/newsmon.yaml`` (Kafka, Elasticsearch; Prism, or the
Flink job server of ``newsmon services up --only flink`` when it is already running: it is not
started here, ``--runner flink`` without it prints a SKIPPED line and exits; the runner is chosen with
``NEWSMON_PIPELINE__RUNNER``). Everything it creates is fresh and deleted afterwards: the articles topic (3
partitions), its dead-letter topic, the consumer group, the articles index (template, aliases, ILM
policy) and the baseline indices. Alerts are off in the pipeline (``NEWSMON_ALERTS__ENABLED=false``):
matching is measured by ``bench_alert_latency.py``, not here.

Articles are real: the real-world-200 feed corpus (``../shared/corpora/feeds/real-world-200``, parsed as
``bench_alert_latency`` does; the bundled ``config/fixtures/feeds`` when it is absent), re-published
under fresh URLs and ids (the corpus is cycled when ``--articles`` exceeds it). Measured:

1. **enrichment**: ``Enricher.enrich`` + ``build_document`` for the ``--articles`` records in this
   process, articles/s (wall and CPU; loading the enricher is reported separately);
2. **raw bulk baseline**: those documents bulk-loaded with ``elasticsearch.helpers`` in batches of 500
   into a fresh index with the articles mapping (``setup_articles_index``), once with
   ``streaming_bulk`` (one connection), once with ``parallel_bulk`` (``--bulk-threads``), and once
   more with ``parallel_bulk`` through a client that serialises the bodies with orjson, as the
   pipeline does; only the bulk load is timed; docs/s. The fastest is the baseline the pipeline is
   compared with;
3. **backlog drain**: the same records produced to the fresh topic *before* the job starts, then
   ``python -m newsmon.cli.main pipeline run`` started as a subprocess (NEWSMON_* environment
   overrides); the index's ``indexing.index_total`` (real time, no refresh forced) is polled every
   100 ms: articles/s from the first to the last indexed article, the 10 % -> 90 % rate, and the wall
   time from launching the subprocess (start-up included). Then a refresh + count checks every
   article is there;
4. **live latency**: after the drain, ``--rate`` articles/s for ``--seconds``; produce -> searchable
   latency p50 / p95 / max, where searchable means an ``ids`` search through the read alias returns it.
   The probe batches every outstanding id into one search every 100 ms and never forces a refresh, so
   the index's own 1 s refresh interval is part of the latency, as it is for a user (resolution: one
   probe interval, rounded up). From the documents' ``indexed_at`` the latency is split into produce ->
   document built (read, validate, enrich) and built -> searchable (bulk write, refresh).

Also reported: CPU (cores busy) of the pipeline process tree, Elasticsearch, Kafka, this process and the
rest of the machine during the drain and the live phase, and the pipeline's bulk metrics (Prometheus).
One summary table and one JSON line at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import orjson  # noqa: E402
import psutil  # noqa: E402
from bench_alert_latency import _corpus_records, _env, _free_port, _fresh, _percentile  # noqa: E402
from bench_runners import _settings  # noqa: E402
from elasticsearch import Elasticsearch, helpers  # noqa: E402
from elasticsearch.serializer import NdjsonSerializer  # noqa: E402
from kafka import KafkaProducer  # noqa: E402
from kafka.admin import KafkaAdminClient  # noqa: E402

from newsmon.core.es_index import setup_articles_index  # noqa: E402
from newsmon.core.es_schema import write_alias  # noqa: E402
from newsmon.core.record import ArticleRecord, encode_record  # noqa: E402
from newsmon.core.settings import ElasticsearchSettings, Settings, load_settings  # noqa: E402

PROBE_INTERVAL_S = 0.1
BULK_CHUNK = 500


# --- 1. enrichment -----------------------------------------------------------------------------------


def _documents(records: list[ArticleRecord]) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """The index documents of ``records`` as the pipeline builds them, and the time it took."""
    from pipeline.documents import build_document
    from pipeline.tagging import Enricher

    t0 = time.perf_counter()
    enricher = Enricher.load()
    load_s = time.perf_counter() - t0
    cpu0, t0 = time.process_time(), time.perf_counter()
    docs = []
    for n, r in enumerate(records):
        result = enricher.enrich(title=r.title, text=r.text, language_hint=r.language_hint)
        docs.append(build_document(r, result.to_document(), kafka_position=f"bench/{n % 3}/{n}"))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return docs, {
        "enricher_load_s": round(load_s, 2),
        "enrich_s": round(wall, 2),
        "enrich_articles_per_s": round(len(records) / wall),
        "enrich_articles_per_cpu_s": round(len(records) / cpu) if cpu else 0,
    }


# --- 2. raw bulk baseline ----------------------------------------------------------------------------


def _drop_index(es: Elasticsearch, base: str) -> None:
    quiet = es.options(ignore_status=(400, 404))
    quiet.indices.delete(index=f"{base}-v*", expand_wildcards="all")
    quiet.indices.delete_index_template(name=base)
    quiet.ilm.delete_lifecycle(name=f"{base}-policy")


class _OrjsonNdjson(NdjsonSerializer):
    """The client's NDJSON serializer with orjson (the pipeline writes its bulk bodies with orjson)."""

    def json_dumps(self, data: Any) -> bytes:
        return orjson.dumps(data)


def _raw_bulk(
    es: Elasticsearch,
    es_settings: ElasticsearchSettings,
    base: str,
    docs: list[dict[str, Any]],
    threads: int,
    label: str = "",
) -> dict[str, Any]:
    """Bulk-load ``docs`` into a fresh articles index ``base``; time the load only; drop the index."""
    settings = es_settings.model_copy(update={"index": base})
    try:
        setup_articles_index(settings, client=es, progress=lambda _m: None)
        target = write_alias(base)

        def actions() -> Iterator[dict[str, Any]]:
            for doc in docs:
                yield {"_index": target, "_id": doc["id"], "_source": doc}

        failed = 0
        results: Iterable[tuple[bool, Any]]
        t0 = time.perf_counter()
        if threads <= 1:
            results = helpers.streaming_bulk(es, actions(), chunk_size=BULK_CHUNK, raise_on_error=False)
        else:
            results = helpers.parallel_bulk(
                es, actions(), thread_count=threads, chunk_size=BULK_CHUNK, raise_on_error=False
            )
        for ok, _item in results:
            failed += 0 if ok else 1
        elapsed = time.perf_counter() - t0
        es.indices.refresh(index=base)
        count = int(es.count(index=base)["count"])
        return {
            "helper": ("streaming_bulk" if threads <= 1 else f"parallel_bulk({threads} threads)") + label,
            "seconds": round(elapsed, 2),
            "docs_per_s": round(len(docs) / elapsed),
            "failed": failed,
            "count": count,
        }
    finally:
        _drop_index(es, base)


# --- 3. drain ----------------------------------------------------------------------------------------


def _index_total(es: Elasticsearch, index: str) -> int:
    """Index operations done on the primaries so far (real time: needs no refresh)."""
    stats = es.indices.stats(index=index, metric="indexing")
    return int(stats["_all"]["primaries"].get("indexing", {}).get("index_total", 0))


def _refresh_totals(es: Elasticsearch, index: str) -> tuple[int, int]:
    """(refreshes, milliseconds spent refreshing) on the primaries so far, scheduled ones included."""
    refresh = es.indices.stats(index=index, metric="refresh")["_all"]["primaries"].get("refresh", {})
    return int(refresh.get("total", 0)), int(refresh.get("total_time_in_millis", 0))


def _cpu(pipeline_pid: int) -> dict[str, float]:
    """CPU seconds so far: the pipeline's process tree (supervisor, runner, SDK workers),
    Elasticsearch, Kafka, this process, and the whole machine."""

    def seconds(proc: psutil.Process) -> float:
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            return float(t.user + t.system + t.children_user + t.children_system)
        return 0.0

    out = {"pipeline": 0.0, "elasticsearch": 0.0, "kafka": 0.0}
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pipeline_pid)
        out["pipeline"] = sum(seconds(p) for p in (root, *root.children(recursive=True)))
    own = psutil.Process().cpu_times()
    out["bench"] = own.user + own.system
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        for name, marker in (("elasticsearch", "org.elasticsearch.bootstrap"), ("kafka", "kafka.Kafka")):
            if marker in line:
                out[name] += seconds(proc)
    machine = psutil.cpu_times()
    out["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    return out


def _cores_busy(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    busy = {k: (after[k] - before[k]) / seconds for k in after}
    busy["other"] = busy["machine"] - sum(busy[k] for k in ("pipeline", "elasticsearch", "kafka", "bench"))
    return {k: round(v, 2) for k, v in busy.items()}


def _pipeline_metrics(port: int) -> dict[str, float]:
    """The pipeline's Prometheus metrics (``newsmon_pipeline_*``), name -> value, labels dropped."""
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    except OSError:
        return {}
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("newsmon_pipeline_"):
            name, _, value = line.rpartition(" ")
            key = name.split("{")[0].removeprefix("newsmon_pipeline_")
            out[key] = out.get(key, 0.0) + float(value)
    return out


def _bulk_stats(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, Any]:
    def delta(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    batches = delta("elasticsearch_bulk_latency_ms_count")
    if not batches:
        return {}
    return {
        "bulk_requests": int(batches),
        "mean_batch": round(delta("elasticsearch_bulk_batch_size_sum") / batches, 1),
        "mean_bulk_ms": round(delta("elasticsearch_bulk_latency_ms_sum") / batches),
        # summed over the partitions' concurrent writers: > 1 means requests overlapped
        "bulk_ms_per_wall_s": round(delta("elasticsearch_bulk_latency_ms_sum") / 1000 / seconds, 2),
        "max_bulk_ms_so_far": int(after.get("elasticsearch_bulk_latency_ms_max", 0.0)),
    }


# --- 4. live latency ---------------------------------------------------------------------------------


class _Probe(threading.Thread):
    """Finds produced articles in the index: one ``ids`` search for all outstanding ids every 100 ms."""

    def __init__(self, es: Elasticsearch, index: str) -> None:
        super().__init__(daemon=True)
        self._es = es
        self._index = index
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self.produced: dict[str, float] = {}
        self.pending: set[str] = set()
        self.searchable: dict[str, float] = {}
        self.built: dict[str, float] = {}
        self.searches = 0
        self.errors = 0

    def add(self, article: str, at: float) -> None:
        with self._lock:
            self.produced[article] = at
            self.pending.add(article)

    def outstanding(self) -> int:
        with self._lock:
            return len(self.pending)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(30)

    def run(self) -> None:
        from datetime import datetime

        while not self._stop_event.wait(PROBE_INTERVAL_S):
            with self._lock:
                ids = list(self.pending)[:5000]
            if not ids:
                continue
            try:
                response = self._es.search(
                    index=self._index,
                    query={"ids": {"values": ids}},
                    size=len(ids),
                    source_includes=["indexed_at"],
                    track_total_hits=False,
                )
            except Exception:  # counted; the next probe asks again
                self.errors += 1
                continue
            found_at = time.time()  # searchable no later than the answer (conservative)
            self.searches += 1
            with self._lock:
                for hit in response["hits"]["hits"]:
                    if hit["_id"] in self.pending:
                        self.pending.discard(hit["_id"])
                        self.searchable[hit["_id"]] = found_at
                        built = datetime.fromisoformat(hit["_source"]["indexed_at"]).timestamp()
                        self.built[hit["_id"]] = built


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(_percentile(values, 0.5), 3),
        "p95": round(_percentile(values, 0.95), 3),
        "max": round(max(values), 3),
    }


# --- the run -----------------------------------------------------------------------------------------


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the supervisor cancels the job and stops its runner), then kill what it left."""
    children: list[psutil.Process] = []
    with contextlib.suppress(psutil.Error):
        children = psutil.Process(proc.pid).children(recursive=True)
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    for child in children:
        with contextlib.suppress(psutil.Error):
            if child.is_running():
                child.kill()


def _cleanup(es: Elasticsearch, settings: Settings) -> list[str]:
    problems = []
    _drop_index(es, settings.elasticsearch.index)
    admin = KafkaAdminClient(**settings.kafka.client_kwargs())
    group = settings.kafka.consumer_group
    try:
        topics = [settings.kafka.articles_topic, settings.kafka.dead_letter_topic]
        existing = [t for t in topics if t in set(admin.list_topics())]
        if existing:
            admin.delete_topics(existing)
        answer: object = None
        for _ in range(10):  # the group can be deleted once its last consumer has left
            if group not in {g["group_id"] for g in admin.list_groups()}:
                break
            answer = admin.delete_groups([group]).get(group)
            if str(answer) == "OK":
                break
            time.sleep(2)
        else:
            problems.append(f"consumer group {group} not deleted: {answer}")
    finally:
        admin.close()
    return problems


def run(args: argparse.Namespace) -> dict[str, Any]:
    from pipeline.init import initialise

    base = load_settings()
    run_id = uuid.uuid4().hex[:8]
    settings = _settings(base, args.runner, args.partitions, f"pipeline-{run_id}", [])
    index = settings.elasticsearch.index
    work = Path(f"/tmp/bench-pipeline-{run_id}")
    work.mkdir()
    result: dict[str, Any] = {
        "runner": args.runner,
        "articles": args.articles,
        "partitions": args.partitions,
        "rate": args.rate,
        "seconds": args.seconds,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }

    total_live = int(args.rate * args.seconds)
    corpus = _corpus_records(max(args.articles, total_live))
    result["corpus_articles"] = len(corpus)
    records = [_fresh(corpus[n % len(corpus)], run_id, n) for n in range(args.articles)]
    print(f"[{run_id}] {len(records)} articles from {len(corpus)} distinct corpus articles", flush=True)

    docs, enrichment = _documents(records)
    result["enrichment"] = enrichment
    print(f"[{run_id}] enrichment: {enrichment['enrich_articles_per_s']} articles/s", flush=True)

    es = Elasticsearch(**settings.elasticsearch.client_kwargs())
    producer: KafkaProducer | None = None
    proc: subprocess.Popen[bytes] | None = None
    try:
        baseline = []
        fast = Elasticsearch(
            **settings.elasticsearch.client_kwargs(), serializers={"application/x-ndjson": _OrjsonNdjson()}
        )
        for n, (client, threads, label) in enumerate(
            [(es, 1, ""), (es, args.bulk_threads, ""), (fast, args.bulk_threads, ", orjson")]
        ):
            raw = _raw_bulk(
                client, settings.elasticsearch, f"bench-pipeline-raw{n}-{run_id}", docs, threads, label
            )
            baseline.append(raw)
            print(f"[{run_id}] raw bulk {raw['helper']}: {raw['docs_per_s']} docs/s", flush=True)
        fast.close()
        del docs
        result["raw_bulk"] = baseline
        raw_rate = max(b["docs_per_s"] for b in baseline)
        time.sleep(args.pause)  # let Elasticsearch settle after the deletes

        initialise(settings, progress=lambda _m: None)
        producer = KafkaProducer(
            **settings.kafka.client_kwargs(),
            acks="all",
            enable_idempotence=True,
            compression_type="zstd",  # as the connectors publish
            linger_ms=5,
            batch_size=256 * 1024,
            max_request_size=2 * 1024 * 1024,
        )
        for record in records:
            producer.send(settings.kafka.articles_topic, key=record.id.encode(), value=encode_record(record))
        producer.flush()
        print(f"[{run_id}] {len(records)} articles on {settings.kafka.articles_topic}", flush=True)

        env = _env(settings)
        env.update(
            {
                "NEWSMON_ALERTS__ENABLED": "false",
                "NEWSMON_PIPELINE__RUNNER": args.runner,
                "NEWSMON_KAFKA__PARTITIONS": str(args.partitions),
                "NEWSMON_SERVICES__STATE_DIR": str(work / "state"),  # its own status file
            }
        )
        port = _free_port()
        log = work / "pipeline.log"
        command = [sys.executable, "-m", "newsmon.cli.main", "pipeline", "run"]
        command += ["--metrics-port", str(port), "--report-every", "0"]
        launched = time.monotonic()
        with log.open("wb") as out:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        cpu_start = _cpu(proc.pid)

        # --- drain
        first = last = None
        at10 = at90 = None
        cpu_first: dict[str, float] = {}
        deadline = launched + args.timeout
        done = 0
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the pipeline exited ({proc.returncode}) during the drain: see {log}")
            done = _index_total(es, index)
            now = time.monotonic()
            if done and first is None:
                first, cpu_first = now, _cpu(proc.pid)
            if at10 is None and done >= 0.1 * args.articles:
                at10 = (now, done)
            if at90 is None and done >= 0.9 * args.articles:
                at90 = (now, done)
            if done >= args.articles:
                last = now
                break
            time.sleep(PROBE_INTERVAL_S)
        if first is None or last is None:
            raise RuntimeError(f"{done}/{args.articles} indexed after {args.timeout:.0f} s: see {log}")
        cpu_last = _cpu(proc.pid)
        es.indices.refresh(index=index)
        count = int(es.count(index=index)["count"])
        drain_s = last - first
        drain_rate = args.articles / drain_s if drain_s > 0 else float("inf")
        steady = (at90[1] - at10[1]) / (at90[0] - at10[0]) if at10 and at90 and at90[0] > at10[0] else None
        result["drain"] = {
            "first_indexed_after_launch_s": round(first - launched, 2),
            "first_to_last_s": round(drain_s, 2),
            "articles_per_s": round(drain_rate),
            "articles_per_s_10_to_90pct": round(steady) if steady else None,
            "wall_incl_startup_s": round(last - launched, 2),
            "articles_per_s_incl_startup": round(args.articles / (last - launched)),
            "count_after_refresh": count,
            "complete": count == args.articles,
            "vs_raw_bulk_pct": round(100 * drain_rate / raw_rate, 1),
            "cores_busy_during_drain": _cores_busy(cpu_first, cpu_last, max(drain_s, 1e-3)),
            "cores_busy_during_startup": _cores_busy(cpu_start, cpu_first, max(first - launched, 1e-3)),
        }
        print(f"[{run_id}] drain: {json.dumps(result['drain'])}", flush=True)

        # the exporter is updated every 5 s: wait for it to show the whole drain (and let merges settle)
        metrics: dict[str, float] = {}
        settle_until = time.monotonic() + max(args.pause, 15.0)
        while time.monotonic() < settle_until:
            metrics = _pipeline_metrics(port)
            if metrics.get("elasticsearch_documents_indexed_total", 0.0) >= args.articles:
                break
            time.sleep(1.0)
        result["drain"]["bulk"] = _bulk_stats({}, metrics, drain_s)
        time.sleep(args.pause)

        # --- live
        live = [_fresh(corpus[n % len(corpus)], run_id, args.articles + n) for n in range(total_live)]
        encoded = [(r.id, r.id.encode(), encode_record(r)) for r in live]
        probe = _Probe(es, index)
        probe.start()
        metrics_before = _pipeline_metrics(port)
        cpu_before = _cpu(proc.pid)
        refresh_before = _refresh_totals(es, index)
        interval = 1.0 / args.rate
        begin = time.monotonic()
        for n, (article, key, value) in enumerate(encoded):
            pause = begin + n * interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            probe.add(article, time.time())
            producer.send(settings.kafka.articles_topic, key=key, value=value)
        producer.flush()
        produced_s = time.monotonic() - begin
        wait_until = time.monotonic() + args.settle
        while probe.outstanding() and time.monotonic() < wait_until:
            time.sleep(0.2)
        probe.stop()
        live_s = time.monotonic() - begin
        cpu_after = _cpu(proc.pid)
        refresh_after = _refresh_totals(es, index)
        refreshes = refresh_after[0] - refresh_before[0]
        refresh_ms = refresh_after[1] - refresh_before[1]
        time.sleep(6)  # one exporter update
        metrics_after = _pipeline_metrics(port)
        latencies = [probe.searchable[a] - t for a, t in probe.produced.items() if a in probe.searchable]
        built = [probe.built[a] - t for a, t in probe.produced.items() if a in probe.built]
        to_search = [probe.searchable[a] - probe.built[a] for a in probe.built]
        result["live"] = {
            "articles": total_live,
            "achieved_rate": round(total_live / produced_s, 1),
            "found": len(latencies),
            "missing_after_settle": probe.outstanding(),
            "probe_searches": probe.searches,
            "probe_errors": probe.errors,
            "produce_to_searchable_s": _summary(latencies),
            "produce_to_document_built_s": _summary(built),
            "document_built_to_searchable_s": _summary(to_search),
            "cores_busy": _cores_busy(cpu_before, cpu_after, live_s),
            "bulk": _bulk_stats(metrics_before, metrics_after, live_s),
            "index_refreshes": refreshes,
            "mean_refresh_ms": round(refresh_ms / refreshes) if refreshes else None,
        }
        result["log"] = str(log)
        return result
    finally:
        if producer is not None:
            producer.close()
        if proc is not None:
            _stop(proc)
        problems = _cleanup(es, settings)
        es.close()
        if problems:
            result["cleanup_problems"] = problems


def _table(result: dict[str, Any]) -> str:
    drain, live, enrich = result["drain"], result["live"], result["enrichment"]
    lat = live["produce_to_searchable_s"]
    built = live["produce_to_document_built_s"]
    rows = [
        ("enrichment (this process, one thread)", f"{enrich['enrich_articles_per_s']:,} articles/s"),
    ]
    rows += [(f"raw bulk, {b['helper']}", f"{b['docs_per_s']:,} docs/s") for b in result["raw_bulk"]]
    rows += [
        (
            f"backlog drain, {result['runner']}, first -> last indexed",
            f"{drain['articles_per_s']:,} articles/s ({drain['first_to_last_s']} s)",
        ),
        ("  drain, 10 % -> 90 % indexed", f"{drain['articles_per_s_10_to_90pct'] or '-'} articles/s"),
        ("  drain / fastest raw bulk", f"{drain['vs_raw_bulk_pct']} %"),
        (
            "  wall time from launch (start-up included)",
            f"{drain['wall_incl_startup_s']} s ({drain['articles_per_s_incl_startup']:,} articles/s; "
            f"first indexed after {drain['first_indexed_after_launch_s']} s)",
        ),
        (
            f"live {live['achieved_rate']}/s, produce -> searchable",
            f"p50 {lat.get('p50')} s, p95 {lat.get('p95')} s, max {lat.get('max')} s "
            f"({live['found']}/{live['articles']} found)",
        ),
        ("  produce -> document built", f"p50 {built.get('p50')} s, p95 {built.get('p95')} s"),
        (
            "  index refreshes during the live phase",
            f"{live.get('index_refreshes')}, mean {live.get('mean_refresh_ms')} ms each",
        ),
    ]
    for phase, busy in (("drain", drain["cores_busy_during_drain"]), ("live", live["cores_busy"])):
        rows.append(
            (
                f"  cores busy during the {phase} (of {os.cpu_count()})",
                ", ".join(f"{k} {v}" for k, v in busy.items() if k != "machine")
                + f"; machine {busy['machine']}",
            )
        )
    width = max(len(r[0]) for r in rows)
    lines = [f"| {'measure'.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {name.ljust(width)} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runner", choices=["prism", "flink"], default="prism")
    parser.add_argument("--articles", type=int, default=10_000, help="backlog size (default 10,000)")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--rate", type=float, default=200.0, help="live articles per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the live phase")
    parser.add_argument("--bulk-threads", type=int, default=2, help="parallel_bulk threads (baseline)")
    parser.add_argument("--settle", type=float, default=60.0, help="max wait for the last live articles")
    parser.add_argument("--pause", type=float, default=3.0, help="quiet seconds between phases")
    parser.add_argument("--timeout", type=float, default=900.0, help="max seconds for the drain")
    args = parser.parse_args()

    if args.runner == "flink":
        from newsmon.services.flink import job_service_healthy

        port = load_settings().services.flink_job_port
        if not job_service_healthy(port):
            reason = f"no Flink job server on 127.0.0.1:{port} (start it: newsmon services up --only flink)"
            print(f"SKIPPED flink: {reason}", flush=True)
            print(json.dumps({"runner": "flink", "skipped": reason}))
            return 0

    result = run(args)
    print()
    print(_table(result))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
