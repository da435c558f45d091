"""Crashes (the runner, the pipeline process, a connector killed with SIGKILL), Elasticsearch
answering 429, and poison records: nothing is lost, nothing is indexed twice, the dead-letter
topic holds only the poison, the lag returns to 0 and no alert is raised twice."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
import pytest
from elasticsearch import ApiError, Elasticsearch

from newsmon.core.record import encode_record
from newsmon.core.settings import Settings
from newsmon.core.urls import article_id
from pipeline.init import initialise
from pipeline.job import StreamingJob
from pipeline.supervisor import JobSupervisor, read_status, status_file
from tests.fault.harness import (
    FaultServices,
    PacedProducer,
    StateWatch,
    articles,
    belarus_ids,
    committed_lag,
    dead_letters,
    eventually,
    indexed_count,
    lag_report,
    published_alerts,
    raised_alerts,
    total_documents,
)

pytestmark = [pytest.mark.integration, pytest.mark.fault]

PROJECT = Path(__file__).resolve().parents[2]


def _settled(settings: Settings, ids: list[str]) -> None:
    eventually(lambda: indexed_count(settings, ids) == len(ids), 240, f"all {len(ids)} articles indexed")
    assert total_documents(settings) == len(ids), "documents that were not produced are in the index"
    try:
        eventually(lambda: committed_lag(settings) == 0, 90, "the consumer lag to return to 0")
    except AssertionError:
        print("LAG-REPORT", lag_report(settings))
        raise


def _alerts_once(settings: Settings, records: list[Any], alerts_file: Path) -> tuple[int, int]:
    """Every due alert raised exactly once; none delivered twice. Returns (due, delivered)."""
    due = belarus_ids(records)
    eventually(lambda: Counter(raised_alerts(settings)) == Counter(due), 60, "each due alert raised once")
    eventually(lambda: set(published_alerts(settings)) >= due, 60, "every due alert published")
    published = published_alerts(settings)
    assert set(published) == due, "alerts published that were not due"
    return len(due), len(published)


def test_poison_records_are_dead_lettered_alongside_good_ones(
    fault_services: FaultServices, fault_settings: Settings, tmp_path: Path
) -> None:
    records = articles(300, uuid.uuid4().hex[:6])
    big = records[0].model_copy(update={"content": "x" * (5 * 1024 * 1024)})
    poison = {
        10: (b"poison-json", b'{"schema_version": 1, "id": '),
        60: (b"poison-fields", json.dumps({"schema_version": 1, "url": "https://x.example/a"}).encode()),
        110: (b"poison-5mb", encode_record(big)),
        160: (b"poison-utf8", b'{"title": "\xff\xfe\xfd broken"}'),
    }
    initialise(fault_settings)
    job = StreamingJob(fault_settings, prism_binary=fault_services.prism).start()
    try:
        producer = PacedProducer(fault_settings.kafka, records, rate=300, extra=poison)
        with StateWatch(job) as watch:
            producer.start()
            producer.join(60)
            assert producer.error is None, producer.error
            _settled(fault_settings, [r.id for r in records])
        assert watch.seen == {"RUNNING"}, watch.seen
    finally:
        job.cancel()
    letters = dead_letters(fault_settings)
    assert {letter["source"]["key"] for letter in letters} == {k.decode() for k, _ in poison.values()}
    by_key = {letter["source"]["key"]: letter for letter in letters}
    assert by_key["poison-5mb"]["payload_truncated"] is True
    assert by_key["poison-5mb"]["payload_bytes"] > 5 * 1024 * 1024
    assert "payload_base64" in by_key["poison-utf8"]
    assert all(letter["stage"] == "validate" and letter["error"] for letter in letters)
    _alerts_once(fault_settings, records, tmp_path / "alerts.jsonl")


def test_runner_killed_and_job_restarted_by_the_supervisor(
    fault_services: FaultServices, fault_settings: Settings, tmp_path: Path
) -> None:
    records = articles(1500, uuid.uuid4().hex[:6])
    ids = [r.id for r in records]
    initialise(fault_settings)
    messages: list[str] = []
    supervisor = JobSupervisor(
        lambda: StreamingJob(fault_settings, prism_binary=fault_services.prism).start(),
        runner="prism",
        status_path=status_file(fault_settings.services.state_dir),
        progress=messages.append,
        poll_s=0.5,
    )
    producer = PacedProducer(fault_settings.kafka, records, rate=150)
    try:
        supervisor.step()
        producer.start()
        killed_at = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            supervisor.step()
            if killed_at is None and indexed_count(fault_settings, ids) >= 300:
                supervisor.job.kill_runner_for_test()  # type: ignore[union-attr]
                killed_at = time.monotonic()
            if killed_at and supervisor.status.restarts and indexed_count(fault_settings, ids) == len(ids):
                break
            time.sleep(0.5)
        restarted_in = time.monotonic() - killed_at if killed_at else None
        producer.join(60)
        _settled(fault_settings, ids)
        assert supervisor.status.restarts >= 1, messages
        assert any("pipeline job ended" in m for m in messages), messages
        status = read_status(status_file(fault_settings.services.state_dir))
        assert status is not None and status["restarts"] >= 1 and status["last_exit"]["reason"]
    finally:
        supervisor.close()
    due, delivered = _alerts_once(fault_settings, records, tmp_path / "alerts.jsonl")
    print(
        f"\nFAULT-RESULT runner-killed: restarted by supervision ({messages[0]}); all {len(ids)} indexed "
        f"{restarted_in:.0f}s after the kill; alerts due {due}, delivered {delivered}"
    )


def _pipeline_env(settings: Settings, prism: Path) -> dict[str, str]:
    k, es, alerts = settings.kafka, settings.elasticsearch, settings.alerts
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSMON_")}
    env.update(
        {
            "NEWSMON_KAFKA__BOOTSTRAP_SERVERS": k.bootstrap_servers,
            "NEWSMON_KAFKA__ARTICLES_TOPIC": k.articles_topic,
            "NEWSMON_KAFKA__DEAD_LETTER_TOPIC": k.dead_letter_topic,
            "NEWSMON_KAFKA__CONSUMER_GROUP": k.consumer_group,
            "NEWSMON_KAFKA__PARTITIONS": str(k.partitions),
            "NEWSMON_ELASTICSEARCH__URL": es.url,
            "NEWSMON_ELASTICSEARCH__INDEX": es.index,
            "NEWSMON_ELASTICSEARCH__BULK_SIZE": str(es.bulk_size),
            "NEWSMON_ALERTS__INDEX": alerts.index,
            "NEWSMON_ALERTS__SUBSCRIPTIONS_INDEX": alerts.subscriptions_index,
            "NEWSMON_ALERTS__TOPIC": alerts.topic,
            "NEWSMON_ALERTS__DEAD_LETTER_TOPIC": alerts.dead_letter_topic,
            "NEWSMON_SERVICES__STATE_DIR": str(settings.services.state_dir),
            "NEWSMON_PIPELINE__PRISM_LOCATION": str(prism),
        }
    )
    return env


def _start_pipeline_process(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "newsmon.cli.main", "pipeline", "run", "--metrics-port", "-1"]
    return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _still_running(pids: list[int], settle_s: float) -> list[int]:
    """The processes of ``pids`` still running (not zombies) after ``settle_s`` seconds."""
    time.sleep(settle_s)
    running = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                running.append(pid)
        except psutil.Error:
            continue
    return running


def test_pipeline_process_killed_and_started_again(
    fault_services: FaultServices, fault_settings: Settings, tmp_path: Path
) -> None:
    records = articles(2000, uuid.uuid4().hex[:6])
    ids = [r.id for r in records]
    env = _pipeline_env(fault_settings, fault_services.prism)
    log = tmp_path / "pipeline.log"
    process = _start_pipeline_process(env, log)
    producer = PacedProducer(fault_settings.kafka, records, rate=200)
    try:
        producer.start()
        eventually(lambda: indexed_count(fault_settings, ids) >= 300, 180, "300 articles indexed")
        status = read_status(status_file(fault_settings.services.state_dir))
        orphans = list(status["runner_pids"]) if status else []
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        killed = time.monotonic()
        # Prism may outlive its SIGKILLed parent, or end on its own within a second or so (its log pipe
        # closes): what is still running after a few seconds is what the next run must stop
        orphaned = _still_running(orphans, settle_s=3.0)
        process = _start_pipeline_process(env, log)
        producer.join(120)
        assert producer.error is None
        _settled(fault_settings, ids)
        recovered_s = time.monotonic() - killed
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    output = log.read_text(encoding="utf-8", errors="replace")
    if orphaned:
        assert "left by a supervisor that was killed" in output, output[-3000:]
    second_run = output.split("pipeline on prism:")[-1]
    assert "Traceback" not in second_run, output[-3000:]
    assert not [p for p in orphans if psutil.pid_exists(p)], "the killed supervisor's Prism is still running"
    due, delivered = _alerts_once(fault_settings, records, tmp_path / "alerts.jsonl")
    print(
        f"\nFAULT-RESULT pipeline-kill-9: all {len(ids)} indexed once, lag 0, {recovered_s:.0f}s after the "
        f"kill (restart included); alerts due {due}, delivered {delivered}; clean Ctrl-C exit"
    )


def test_connector_killed_mid_poll_and_run_again(
    fault_services: FaultServices, fault_settings: Settings, tmp_path: Path
) -> None:
    from tests.integration.connectors.feedtest import FeedServer, Reply, rss, write_feeds

    tag = uuid.uuid4().hex[:6]
    server = FeedServer().start()
    feeds, links = [], []
    for f in range(40):
        items = [
            {"title": f"Feed {f} story {n}", "link": f"https://fault-{tag}.example/{f}/{n}"}
            for n in range(25)
        ]
        links += [i["link"] for i in items]
        server.routes[f"/feed{f}.xml"] = Reply(body=rss(*items), delay_s=0.3)
        feeds.append({"id": f"fault-{tag}-{f}", "url": server.url(f"/feed{f}.xml")})
    feed_list = write_feeds(tmp_path / "feeds.yaml", *feeds)
    expected = {article_id(link) for link in links}
    env = _pipeline_env(fault_settings, fault_services.prism)
    env.update(NEWSMON_CONNECTORS__FULLTEXT_PER_FEED="0", NEWSMON_CONNECTORS__PUBLISH_BATCH="50")
    command = [
        *(sys.executable, "-m", "newsmon.cli.main", "connectors", "run"),
        *("--feeds", str(feed_list), "--once", "--force", "--state-dir", str(tmp_path / "connectors")),
    ]
    initialise(fault_settings)
    job = StreamingJob(fault_settings, prism_binary=fault_services.prism).start()
    try:
        first = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        eventually(lambda: _topic_size(fault_settings) >= 100, 120, "100 articles published")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        published_before = _topic_size(fault_settings)
        second = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, timeout=300)
        assert second.returncode == 0, second.stderr.decode(errors="replace")[-2000:]
        keys = _topic_keys(fault_settings)
        assert set(keys) == expected, (
            f"missing {len(expected - set(keys))}, unexpected {len(set(keys) - expected)}"
        )
        _settled(fault_settings, sorted(expected))
    finally:
        job.cancel()
        server.stop()
    duplicates = len(keys) - len(set(keys))
    print(
        f"\nFAULT-RESULT connector-kill-9: killed after {published_before} of {len(expected)} published; "
        f"second run completed the rest; {duplicates} republished (deduplicated by id in the index)"
    )


def _topic_size(settings: Settings) -> int:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**settings.kafka.client_kwargs())
    try:
        topic = settings.kafka.articles_topic
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        return sum(consumer.end_offsets(parts).values()) if parts else 0
    finally:
        consumer.close()


def _topic_keys(settings: Settings) -> list[str]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        settings.kafka.articles_topic,
        **settings.kafka.client_kwargs(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    try:
        return [r.key.decode() for r in consumer if r.key]
    finally:
        consumer.close()


def test_elasticsearch_answering_429(
    fault_services: FaultServices, fault_settings: Settings, tmp_path: Path
) -> None:
    """The suite's node has one write thread and a queue of 2: concurrent bulk loads from other
    clients make it reject writes with 429, for our pipeline too. Nothing may be lost.

    The load runs until our pipeline has been refused at least once, then stops (a constant load
    would starve a 1-thread node for everyone)."""
    tag = uuid.uuid4().hex[:6]
    url = fault_settings.elasticsearch.url
    stop = threading.Event()
    rejected_by_load = Counter[str]()

    def load(n: int) -> None:
        es = Elasticsearch(url, request_timeout=30, max_retries=0)
        body: list[dict[str, Any]] = []
        for i in range(300):
            body += [{"index": {"_index": f"fault-load-{n}", "_id": str(i)}}, {"text": "load " * 200}]
        while not stop.is_set():
            try:
                answer = es.bulk(operations=body)
                statuses = [item["index"]["status"] for item in answer["items"]]
                rejected_by_load["429"] += statuses.count(429)
            except ApiError as exc:
                rejected_by_load[str(exc.meta.status)] += 1
        es.close()

    refusals: list[str] = []

    class _Refusals(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message.startswith("elasticsearch") and "429" in message:
                refusals.append(message)

    handler = _Refusals()
    logging.getLogger("pipeline.retry").addHandler(handler)
    initialise(fault_settings)
    job = StreamingJob(fault_settings, prism_binary=fault_services.prism).start()
    loaders = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(6)]
    records = articles(1000, tag)
    ids = [r.id for r in records]
    try:
        with StateWatch(job) as watch:
            for thread in loaders:
                thread.start()
            producer = PacedProducer(fault_settings.kafka, records, rate=500)
            producer.start()
            # Load until our own bulk writes have been refused with 429 (logged by the sink), then
            # let the node breathe: every article must still arrive, once.
            eventually(lambda: refusals, 120, "a 429 for our pipeline")
            stop.set()
            producer.join(60)
            _settled(fault_settings, ids)
        assert watch.seen == {"RUNNING"}, watch.seen
        metrics = job.metrics()
    finally:
        stop.set()
        job.cancel()
        logging.getLogger("pipeline.retry").removeHandler(handler)
    assert refusals, "our pipeline was never refused with 429"  # the bulk sink's or the alerts' writes
    assert dead_letters(fault_settings, timeout_s=5) == []
    with Elasticsearch(url) as es:
        pools = es.nodes.stats(metric="thread_pool")["nodes"]
        rejected = sum(node["thread_pool"]["write"]["rejected"] for node in pools.values())
    assert rejected > 0
    print(
        f"\nFAULT-RESULT es-429: node rejected {rejected} write requests; our pipeline was refused "
        f"({len(refusals)} outage line(s)) and retried "
        f"{metrics.get('elasticsearch.items_retried', 0):.0f} bulk items; all {len(ids)} indexed once, "
        "nothing dead-lettered"
    )
