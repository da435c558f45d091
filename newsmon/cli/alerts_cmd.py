"""``newsmon alerts check|list``: validate subscriptions; show recent alerts and their delivery."""

from __future__ import annotations

import argparse
from typing import Any

from newsmon.cli.common import load, table

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("alerts", help="alert subscriptions")
    sub = parser.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate the subscriptions file")
    check.set_defaults(func=_check)
    listing = sub.add_parser("list", help="recent alerts from Elasticsearch")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--subscription", help="only this subscription id")
    listing.set_defaults(func=_list)


def _check(args: argparse.Namespace) -> int:
    from pipeline.alerts.subscriptions import load_subscriptions

    settings = load(args)
    subs = load_subscriptions(settings.alerts.subscriptions_path).subscriptions
    print(f"{settings.alerts.subscriptions_path}: {len(subs)} subscription(s) valid")
    for s in subs:
        kinds = ", ".join(n.type for n in s.notify)
        print(f"  {s.id}{'' if s.enabled else ' (disabled)'}: notify via {kinds}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from elasticsearch import Elasticsearch, NotFoundError

    settings = load(args)
    query: dict[str, Any] = (
        {"term": {"subscription_id": args.subscription}} if args.subscription else {"match_all": {}}
    )
    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        try:
            hits = es.search(
                index=settings.alerts.index, query=query, size=args.limit, sort=[{"created_at": "desc"}]
            )["hits"]["hits"]
        except NotFoundError:
            print(f"no alerts index {settings.alerts.index!r} yet: run the pipeline first")
            return 1
    rows = []
    for hit in hits:
        alert = hit["_source"]
        deliveries = alert.get("deliveries", [])
        status = ", ".join(f"{d['type']}:{'ok' if d['ok'] else 'FAILED'}" for d in deliveries) or "pending"
        rows.append([alert["created_at"][:19], alert["subscription_id"], alert.get("title", ""), status])
    print(table(["created", "subscription", "title", "delivery"], rows))
    return 0
