"""``newsmon search QUERY``: Lucene query-string search over the indexed articles, with highlights."""

from __future__ import annotations

import argparse
import json
from typing import Any

from newsmon.cli.common import load, progress

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "search",
        help="search the articles (Lucene syntax, as in Kibana)",
        description=(
            'Search the indexed articles with Lucene query-string syntax: words, "phrases", AND/OR/NOT, '
            "parentheses, field:value (title, content, tags, entities, language, source), prefix*. "
            "Words are matched with each language's stemming (detainee finds detainees)."
        ),
    )
    parser.add_argument("query", help="e.g. 'Bialiatski AND tags:belarus' or 'политзаключенный'")
    parser.add_argument("--tag", action="append", default=[], help="only articles with this tag (repeatable)")
    parser.add_argument("--lang", action="append", default=[], help="only this language code (repeatable)")
    parser.add_argument("--source", action="append", default=[], help="source name or domain (repeatable)")
    parser.add_argument("--since", help="published since: 30m, 12h, 7d, 2w or a date")
    parser.add_argument("--limit", type=int, default=20, help="at most N articles (default 20)")
    parser.add_argument("--json", action="store_true", help="one JSON document per line, for scripts")
    parser.set_defaults(func=_search)


def _search(args: argparse.Namespace) -> int:
    from elasticsearch import ApiError, Elasticsearch, TransportError

    from newsmon.search.query import QueryError, build_request, parse_since

    settings = load(args)
    try:
        since = parse_since(args.since) if args.since else None
        body = build_request(
            args.query,
            tags=args.tag,
            languages=args.lang,
            sources=args.source,
            since=since,
            limit=max(1, min(args.limit, 1000)),
        )
    except QueryError as exc:
        progress(f"{exc}")
        return 2
    cfg = settings.elasticsearch
    try:
        with Elasticsearch(**cfg.client_kwargs()) as es:
            answer = es.search(index=cfg.index, **body)
    except ApiError as exc:
        if exc.meta.status == 404:
            progress(f"no index {cfg.index} at {cfg.url}: run `newsmon es setup` (or `make run`) first")
            return 2
        progress(f"elasticsearch refused the query ({exc.meta.status}): {_reason(exc)}")
        return 2
    except TransportError as exc:
        progress(f"elasticsearch at {cfg.url} unreachable ({type(exc).__name__}): `newsmon status`")
        return 1
    hits = answer["hits"]["hits"]
    if args.json:
        for hit in hits:
            print(json.dumps({**hit["_source"], "score": hit["_score"], "highlights": _snippets(hit)}))
        return 0
    total = answer["hits"]["total"]["value"]
    print(f"{total} article(s) match; showing {len(hits)}\n")
    for hit in hits:
        _print_hit(hit)
    return 0


def _reason(exc: Any) -> str:
    body = getattr(exc, "body", None) or {}
    causes = body.get("error", {}).get("root_cause", []) if isinstance(body, dict) else []
    return str(causes[0].get("reason")) if causes else str(exc)[:300]


def _snippets(hit: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    for fragments in (hit.get("highlight") or {}).values():
        for fragment in fragments:
            text = " ".join(fragment.split())
            if text not in seen:
                seen.append(text)
    return seen[:3]


def _print_hit(hit: dict[str, Any]) -> None:
    doc = hit["_source"]
    when = str(doc.get("@timestamp", ""))[:16].replace("T", " ")
    sources = ", ".join(doc.get("source_names", [])) or "-"
    print(f"* {doc.get('title', '(no title)')}")
    print(f"  {when}  {sources}  [{doc.get('language', '?')}]  tags: {', '.join(doc.get('tags', [])) or '-'}")
    for snippet in _snippets(hit):
        print(f"    … {snippet} …")
    print(f"  {doc.get('url', '')}\n")
