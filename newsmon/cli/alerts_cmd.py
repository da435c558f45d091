"""``newsmon alerts list|check``: recent alerts with their delivery status; validate a subscriptions file."""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from typing import Any

from newsmon.cli.common import load, table

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("alerts", help="alerts raised by subscriptions")
    sub = parser.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a subscriptions YAML file (default: the configured one)")
    check.add_argument("file", nargs="?", type=Path)
    check.set_defaults(func=_check)
    listing = sub.add_parser("list", help="recent alerts and how their delivery went")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--subscription", help="only this subscription id")
    listing.set_defaults(func=_list)


def _check(args: argparse.Namespace) -> int:
    from alerts.yaml_io import load_subscription_file

    settings = load(args)
    path = args.file or settings.alerts.subscriptions_path
    subs = load_subscription_file(path).subscriptions
    print(f"{path}: {len(subs)} subscription(s) valid")
    for s in subs:
        channels = ", ".join(c.redacted for c in s.channels) or "alerts index only"
        print(f"  {s.id or s.name}{'' if s.enabled else ' (disabled)'} [{s.mode}]: {channels}")
    return 0


def _deliveries(es: Any, index: str, alert_ids: list[str]) -> dict[str, list[str]]:
    from elasticsearch import NotFoundError

    out: dict[str, list[str]] = defaultdict(list)
    if not alert_ids:
        return out
    try:
        hits = es.search(
            index=index,
            query={"terms": {"alert_ids": alert_ids}},
            size=1000,
            source=["alert_ids", "status", "channel", "kind", "attempts"],
        )["hits"]["hits"]
    except NotFoundError:
        return out
    for hit in hits:
        d = hit["_source"]
        scheme = str(d.get("channel", "")).split("://", 1)[0]
        label = f"{scheme}:{d.get('status')}" + (" (digest)" if d.get("kind") == "digest" else "")
        for alert in d.get("alert_ids", []):
            if alert in alert_ids:
                out[alert].append(label)
    return out


def _list(args: argparse.Namespace) -> int:
    from elasticsearch import Elasticsearch, NotFoundError

    settings = load(args)
    query: dict[str, Any] = (
        {"term": {"subscription_id": args.subscription}} if args.subscription else {"match_all": {}}
    )
    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        try:
            hits = es.search(
                index=settings.alerts.index, query=query, size=args.limit, sort=[{"matched_at": "desc"}]
            )["hits"]["hits"]
        except NotFoundError:
            print(f"no alerts index {settings.alerts.index!r} yet: run the pipeline first")
            return 1
        deliveries = _deliveries(es, settings.alerts.deliveries_index, [h["_id"] for h in hits])
    if not hits:
        print("no alerts yet")
        return 0
    rows = []
    for hit in hits:
        alert = hit["_source"]
        status = ", ".join(sorted(deliveries.get(hit["_id"], []))) or "-"
        rows.append(
            [str(alert.get("matched_at", ""))[:19], alert["subscription_id"], alert.get("title", ""), status]
        )
    print(table(["matched", "subscription", "title", "delivery"], rows))
    return 0
