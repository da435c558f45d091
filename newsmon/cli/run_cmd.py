"""``newsmon run``: the whole system on one machine, end to end.

Starts local Kafka + Elasticsearch (+ builds Prism), prepares topics and index, starts the
streaming pipeline, polls the feed list, waits until every newly published article is indexed,
prints the indexed articles with their tags and entities, and says how to search them.
With ``--follow`` it keeps polling and streaming until interrupted (continuous monitoring).
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import Any

from newsmon.cli.common import PROJECT_ROOT, load, progress, table
from newsmon.core.settings import Settings

__all__ = ["register"]

DEMO_FEEDS = PROJECT_ROOT / "config" / "feeds.demo.yaml"
REAL_FEEDS = PROJECT_ROOT / "config" / "feeds.yaml"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run everything locally: services, pipeline, connectors")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--feeds", type=Path, help=f"feed list YAML (default: {DEMO_FEEDS.relative_to(PROJECT_ROOT)})"
    )
    group.add_argument(
        "--real-feeds", action="store_true", help=f"use {REAL_FEEDS.relative_to(PROJECT_ROOT)}"
    )
    parser.add_argument("--follow", action="store_true", help="keep polling and streaming until Ctrl-C")
    parser.add_argument("--interval", type=float, default=300.0, help="seconds between polls with --follow")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for indexing")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from connectors.feedlist import load_feed_list
    from newsmon.cli.pipeline_cmd import make_supervisor
    from newsmon.services import LocalServices
    from pipeline.init import initialise

    settings = load(args)
    feeds = REAL_FEEDS if args.real_feeds else (args.feeds or DEMO_FEEDS)
    load_feed_list(feeds)  # a bad feed list fails now, before anything is started
    services = LocalServices(settings.services)
    progress("starting local Kafka and Elasticsearch (first run downloads them; later runs reuse the cache)")
    services.up(components=("kafka", "elasticsearch"))
    settings = settings.pointed_at(services.kafka_bootstrap, services.elasticsearch_url)
    progress(f"kafka {services.kafka_bootstrap} and elasticsearch {services.elasticsearch_url} are healthy")
    initialise(settings, progress=progress)
    _import_subscriptions(settings)
    progress(f"preparing the Beam runner ({settings.pipeline.runner})")
    supervisor = make_supervisor(settings, report_every_s=60.0 if args.follow else 0.0)
    supervisor.step()  # starts the job; later steps restart it if it ever ends
    progress(f"pipeline running: {settings.kafka.articles_topic} -> {settings.elasticsearch.index}")
    notifier = _start_notifier(settings)
    try:
        while True:
            feed_ids = _poll_and_wait(settings, feeds, args.timeout, supervisor)
            if not args.follow:
                _drain_alerts(settings, supervisor)
                break
            progress(f"next poll in {args.interval:.0f}s (Ctrl-C to stop)")
            _supervise_for(supervisor, args.interval)
    except KeyboardInterrupt:
        progress("interrupted")
        feed_ids = []
    finally:
        if notifier is not None:
            notifier[0].stop()
            notifier[1].join(timeout=30)
        supervisor.close()
    _print_results(settings, feed_ids)
    return 0


def _start_notifier(settings: Settings) -> tuple[Any, threading.Thread] | None:
    """``newsmon notify`` in a thread of this process, so alerts reach their channels while it runs."""
    if not settings.alerts.enabled:
        return None
    from alerts.delivery.service import NotifyService

    service = NotifyService(settings)
    thread = threading.Thread(target=service.run, name="newsmon-notify", daemon=True)
    thread.start()
    progress(f"delivering alerts: {settings.alerts.topic} -> subscription channels")
    return service, thread


def _drain_alerts(settings: Settings, supervisor: Any, timeout_s: float = 30.0) -> None:
    """Wait until the articles' alerts are published and taken by the notifier (best effort)."""
    from newsmon.core.kafka_lag import consumer_lag

    if not settings.alerts.enabled:
        return
    k, a = settings.kafka, settings.alerts
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            articles = sum(p.lag for p in consumer_lag(k, k.articles_topic, k.consumer_group, timeout_s=5))
            alerts = sum(p.lag for p in consumer_lag(k, a.topic, a.notify_consumer_group, timeout_s=5))
        except Exception:  # lag unknown for now (e.g. the notifier has not joined yet): keep waiting
            articles = alerts = 1
        if articles == 0 and alerts == 0:
            time.sleep(2.0)  # deliveries taken just now are being sent
            return
        supervisor.step()
        time.sleep(1.0)


def _import_subscriptions(settings: Settings) -> None:
    """Load the subscriptions file into the store once (ids already stored are left as they are)."""
    from elasticsearch import Elasticsearch

    from alerts.store import SubscriptionStore
    from alerts.yaml_io import import_subscriptions, load_subscription_file

    path = settings.alerts.subscriptions_path
    if not settings.alerts.enabled or not path.exists():
        return
    parsed = load_subscription_file(path)
    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        store = SubscriptionStore(es, settings.alerts.subscriptions_index)
        report = import_subscriptions(store, parsed, owner="local")
        total = len(store.versions())
    if report.created:
        progress(f"imported {len(report.created)} subscription(s) from {path}")
    progress(f"{total} alert subscription(s) stored (newsmon subscriptions list)")


def _supervise_for(supervisor: Any, seconds: float) -> None:
    """Sleep ``seconds`` while the supervisor keeps the pipeline job running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        supervisor.step()
        time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))


def _poll_and_wait(settings: Settings, feeds: Path, timeout_s: float, supervisor: Any) -> list[str]:
    from connectors.runner import poll_once

    progress(f"polling feeds from {feeds}")

    def on_feed_done(outcome: Any) -> None:
        if outcome.ok:
            progress(f"  feed {outcome.feed_id}: ok, {outcome.new_items} new item(s)")
        else:
            progress(f"  feed {outcome.feed_id}: FAILED: {outcome.error}")

    # force: poll every feed now; articles already published are still not published again.
    report = poll_once(settings, feeds, on_feed_done=on_feed_done, force=True)
    failed = sum(1 for f in report.feeds if not f.ok)
    progress(
        f"published {len(report.published)} new article(s) from {len(report.feeds)} feed(s), {failed} failed"
    )
    _wait_indexed(settings, report.published, timeout_s, supervisor)
    return [f.feed_id for f in report.feeds]


def _wait_indexed(settings: Settings, ids: list[str], timeout_s: float, supervisor: Any) -> None:
    from elasticsearch import Elasticsearch, TransportError

    if not ids:
        return
    deadline = time.monotonic() + timeout_s
    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        last = -1
        while True:
            try:
                es.indices.refresh(index=settings.elasticsearch.index)
                found = es.mget(index=settings.elasticsearch.index, ids=ids, source=False)["docs"]
            except TransportError as exc:
                progress(f"elasticsearch unavailable ({type(exc).__name__}); still waiting")
                found = []
                done = last
            else:
                done = sum(1 for d in found if d.get("found"))
            if done != last:
                progress(f"indexed {done}/{len(ids)}")
                last = done
            if done >= len(ids):
                return
            supervisor.step()
            if time.monotonic() > deadline:
                progress(
                    f"timed out after {timeout_s:.0f}s with {done}/{len(ids)} indexed; "
                    "missing ones stay in Kafka and are indexed on the next run"
                )
                return
            time.sleep(1.0)


def _print_results(settings: Settings, feed_ids: list[str]) -> None:
    from elasticsearch import Elasticsearch

    cfg = settings.elasticsearch
    query: dict[str, Any] = {"terms": {"feed_ids": feed_ids}} if feed_ids else {"match_all": {}}
    with Elasticsearch(**cfg.client_kwargs()) as es:
        es.indices.refresh(index=cfg.index)
        hits = es.search(
            index=cfg.index, query=query, size=50, sort=[{"relevance": "desc"}, {"published_at": "desc"}]
        )["hits"]
    print(f"\n{hits['total']['value']} article(s) from these feeds in {cfg.url}/{cfg.index}:")
    for hit in hits["hits"]:
        doc = hit["_source"]
        entities = ", ".join(e["name"] for e in doc.get("entities", [])[:8])
        print(f"\n* {doc.get('title', '')}")
        print(f"  tags: {', '.join(doc.get('tags', [])) or '-'}")
        print(f"  entities: {entities or '-'}")
        relevance = float(doc.get("relevance", 0.0))
        print(f"  language: {doc.get('language', '?')}  relevance: {relevance:.2f}  {doc.get('url', '')}")
    _print_alerts(settings, [hit["_id"] for hit in hits["hits"]])
    print(
        "\nSearch them:\n"
        "  newsmon search 'политзаключенный'          (every language stemmed, highlights)\n"
        "  newsmon search 'Bialiatski AND tags:belarus' --since 30d\n"
        f"  curl -s '{cfg.url}/{cfg.index}/_search?q=tags:political_prisoners&pretty'\n"
        f"  Kibana: data view '{cfg.index}' with time field @timestamp (docker compose imports it with "
        "the saved searches and dashboard from config/kibana/)\n"
        "Alerts: newsmon alerts list; subscriptions: newsmon subscriptions list|add|test (or newsmon api)\n"
        "Stop the local services with: newsmon services down"
    )


def _print_alerts(settings: Settings, article_ids: list[str]) -> None:
    from elasticsearch import Elasticsearch, NotFoundError

    if not settings.alerts.enabled or not article_ids:
        return
    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        try:
            es.indices.refresh(index=settings.alerts.index)
            hits = es.search(
                index=settings.alerts.index, query={"terms": {"article_id": article_ids}}, size=100
            )["hits"]["hits"]
        except NotFoundError:
            return
    rows = [[h["_source"]["subscription_id"], h["_source"].get("title", "")] for h in hits]
    print(f"\n{len(rows)} alert(s) raised for these articles:\n")
    if rows:
        print(table(["subscription", "article"], sorted(rows), max_width=70))
