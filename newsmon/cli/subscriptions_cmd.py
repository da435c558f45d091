"""``newsmon subscriptions add|list|show|rm|enable|disable|test|import|export``: alert subscriptions
in the store (Elasticsearch), for the operator at the console (acting for any owner; the REST API is
the owner-scoped interface)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from newsmon.cli.common import load, progress, table
from newsmon.core.settings import Settings

__all__ = ["register"]

DEFAULT_OWNER = "local"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("subscriptions", help="alert subscriptions: add, list, test, import...")
    sub = parser.add_subparsers(dest="subscriptions_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="create a subscription")
    add.add_argument("--name", required=True)
    add.add_argument("--query", required=True, help="Lucene query, e.g. 'Bialiatski AND tags:belarus'")
    add.add_argument(
        "--channel", action="append", default=[], metavar="URL", help="https://... or Apprise URL"
    )
    add.add_argument("--mode", choices=("instant", "hourly", "daily"), default="instant")
    add.add_argument("--tag", dest="tags_all", action="append", default=[], help="require this tag")
    add.add_argument("--any-tag", dest="tags_any", action="append", default=[], help="one of these tags")
    add.add_argument("--lang", dest="languages", action="append", default=[], help="one of these languages")
    add.add_argument("--source", dest="sources", action="append", default=[], help="source name/domain/feed")
    add.add_argument("--min-relevance", type=float, default=0.0)
    add.add_argument(
        "--max-per-hour", type=int, default=60, help="instant messages per hour before digesting"
    )
    add.add_argument("--owner", default=DEFAULT_OWNER)
    add.add_argument("--id", dest="sub_id", help="id to use (default: derived from the name)")
    add.add_argument("--disabled", action="store_true")
    add.set_defaults(func=_add)

    listing = sub.add_parser("list", help="list subscriptions")
    listing.add_argument("--owner")
    listing.set_defaults(func=_list)

    show = sub.add_parser("show", help="one subscription in full (channel secrets redacted)")
    show.add_argument("id")
    show.set_defaults(func=_show)

    rm = sub.add_parser("rm", help="delete a subscription (its past alerts stay)")
    rm.add_argument("id")
    rm.set_defaults(func=_rm)

    for action, enabled in (("enable", True), ("disable", False)):
        toggle = sub.add_parser(action, help=f"{action} a subscription")
        toggle.add_argument("id")
        toggle.set_defaults(func=_toggle, enabled=enabled)

    test = sub.add_parser("test", help="recent articles a subscription (or --query) matches")
    target = test.add_mutually_exclusive_group(required=True)
    target.add_argument("id", nargs="?")
    target.add_argument("--query")
    test.add_argument("--since", help="only articles published since: 30m, 12h, 7d, 2w or a date")
    test.add_argument("--limit", type=int, default=20)
    test.set_defaults(func=_test)

    imp = sub.add_parser("import", help="import a subscriptions YAML file (version 2)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--owner", default=DEFAULT_OWNER, help="owner of entries that name none")
    imp.add_argument("--replace", action="store_true", help="overwrite subscriptions with the same id")
    imp.set_defaults(func=_import)

    exp = sub.add_parser("export", help="write every subscription as YAML (to stdout or --output)")
    exp.add_argument("--owner")
    exp.add_argument("--output", type=Path)
    exp.set_defaults(func=_export)


def _store(settings: Settings) -> Any:
    from elasticsearch import Elasticsearch

    from alerts.store import SubscriptionStore

    client = Elasticsearch(**settings.elasticsearch.client_kwargs())
    store = SubscriptionStore(client, settings.alerts.subscriptions_index)
    store.setup(settings.elasticsearch, progress=progress)
    return store


def _describe(sub: Any) -> str:
    parts = [f"{sub.id}  v{sub.version}  {sub.mode}{'' if sub.enabled else '  DISABLED'}  owner={sub.owner}"]
    parts.append(f"  name:     {sub.name}")
    parts.append(f"  query:    {sub.query}")
    filters = sub.filters.model_dump(exclude_defaults=True)
    if filters:
        parts.append(f"  filters:  {filters}")
    parts.append(f"  channels: {', '.join(c.redacted for c in sub.channels) or '- (alerts index only)'}")
    parts.append(f"  limit:    {sub.rate_limit.max_per_hour} instant message(s) per hour, then a digest")
    return "\n".join(parts)


def _add(args: argparse.Namespace) -> int:
    from alerts.model import Channel, Filters, RateLimit, SubscriptionSpec

    settings = load(args)
    spec = SubscriptionSpec(
        name=args.name,
        query=args.query,
        filters=Filters(
            tags_all=args.tags_all,
            tags_any=args.tags_any,
            languages=args.languages,
            sources=args.sources,
            min_relevance=args.min_relevance,
        ),
        channels=[Channel(url=url) for url in args.channel],
        mode=args.mode,
        rate_limit=RateLimit(max_per_hour=args.max_per_hour),
        enabled=not args.disabled,
    )
    sub = _store(settings).create(spec, owner=args.owner, sub_id=args.sub_id)
    within = settings.alerts.reload_interval_s
    progress(f"created subscription {sub.id}; a running pipeline matches it within {within:.0f}s")
    print(sub.id)
    return 0


def _list(args: argparse.Namespace) -> int:
    subs = _store(load(args)).list(owner=args.owner)
    if not subs:
        print("no subscriptions yet: newsmon subscriptions add --name N --query Q [--channel URL]")
        return 0
    rows = [[s.id, s.owner, s.mode if s.enabled else "disabled", len(s.channels), s.query] for s in subs]
    print(table(["id", "owner", "mode", "channels", "query"], rows))
    return 0


def _show(args: argparse.Namespace) -> int:
    print(_describe(_store(load(args)).get(args.id)))
    return 0


def _rm(args: argparse.Namespace) -> int:
    _store(load(args)).delete(args.id)
    progress(f"deleted subscription {args.id}")
    return 0


def _toggle(args: argparse.Namespace) -> int:
    store = _store(load(args))
    sub = store.get(args.id)
    store.replace(
        sub.id, sub.spec().model_copy(update={"enabled": args.enabled}), expected_version=sub.version
    )
    progress(f"subscription {sub.id} {'enabled' if args.enabled else 'disabled'}")
    return 0


def _test(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from elasticsearch import Elasticsearch

    from alerts.preview import recent_matches
    from newsmon.search.query import parse_since

    settings = load(args)
    target: Any = args.query if args.query else _store(settings).get(args.id).spec()
    query = args.query or target.query
    # without --since: the newest matches of any age (the API's default window is 7 days)
    since = parse_since(args.since) if args.since else datetime(1970, 1, 1, tzinfo=UTC)
    with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
        result = recent_matches(es, settings.elasticsearch.index, target, since=since, limit=args.limit)
    if not result.articles:
        print(f"no article{f' since {args.since}' if args.since else ''} matches {query!r}")
        return 0
    shown = len(result.articles)
    print(
        f"{result.total} article(s) match {query!r}"
        + (f"; the newest {shown}:" if shown < result.total else ":")
    )
    for article in result.articles:
        when = str(article.published_at or "")[:16]
        print(f"\n* {article.title}\n  {when}  {article.language or '?'}  {article.url or article.id}")
        print(f"  tags: {', '.join(article.tags) or '-'}")
        if article.snippet:
            print(f"  {article.snippet}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from alerts.yaml_io import import_subscriptions, load_subscription_file

    parsed = load_subscription_file(args.file)
    report = import_subscriptions(_store(load(args)), parsed, owner=args.owner, replace=args.replace)
    progress(
        f"{args.file}: {len(report.created)} created, {len(report.replaced)} replaced, "
        f"{len(report.kept)} already present and kept (--replace overwrites them)"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from alerts.yaml_io import dump_subscriptions

    text = dump_subscriptions(_store(load(args)).list(owner=args.owner))
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        progress(f"wrote {args.output} (it holds channel URLs in full: keep it private)")
    else:
        sys.stdout.write(text)
    return 0
