"""``newsmon feeds import|list|status``: manage the feed registry and see how each feed is doing."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from newsmon.cli.common import load, table
from newsmon.cli.connectors_cmd import DEFAULT_FEEDS, resolve_feeds_path

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("feeds", help="the feed registry: import OPML, list feeds, polling status")
    sub = parser.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="add the feeds of an OPML export to a feed list")
    imp.add_argument("opml", type=Path, help="OPML file (e.g. exported from a feed reader)")
    imp.add_argument(
        "--into", default="config/feeds.yaml", help="feed list to add to (default: config/feeds.yaml)"
    )
    imp.set_defaults(func=_import)
    for name, func, help_text in (
        ("list", _list, "list the feeds of a feed list"),
        ("status", _status, "last success/error, HTTP status, next poll, new items per day, parked reason"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--feeds", default=DEFAULT_FEEDS, help=f"feed list YAML (default: {DEFAULT_FEEDS})")
        cmd.set_defaults(func=func)
    sub.choices["status"].add_argument("--state-dir", type=Path, help="connector state directory")


def _import(args: argparse.Namespace) -> int:
    from connectors.feedlist import FeedListError
    from connectors.opml import import_opml

    try:
        result = import_opml(args.opml, resolve_feeds_path(args.into))
    except (FeedListError, OSError) as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return 2
    print(f"added {len(result.added)} feed(s) to {args.into}; {result.already_present} already present")
    for ident in result.added:
        print(f"  + {ident}")
    return 0


def _load_feeds(value: str) -> Any:
    from connectors.feedlist import load_feed_list

    return load_feed_list(resolve_feeds_path(value))


def _list(args: argparse.Namespace) -> int:
    from connectors.feedlist import FeedListError

    try:
        feeds = _load_feeds(args.feeds)
    except FeedListError as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return 2
    rows = [
        (
            f.id,
            "yes" if f.enabled else "no",
            f.language or "-",
            f"{_duration(f.min_interval)}–{_duration(f.max_interval)}",
            ",".join(f.tags) or "-",
            "yes" if f.fulltext else "no",
            f.url if f.local_path is None else f"file:{f.local_path.name}",
        )
        for f in feeds.feeds
    ]
    print(table(("id", "enabled", "lang", "interval", "tags", "fulltext", "url"), rows))
    print(f"{len(feeds.feeds)} feed(s), {len(feeds.enabled())} enabled")
    return 0


def _status(args: argparse.Namespace) -> int:
    from connectors.feedlist import FeedListError
    from connectors.state import StateStore, state_file

    settings = load(args)
    try:
        feeds = _load_feeds(args.feeds)
    except FeedListError as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return 2
    base = args.state_dir or settings.connectors.state_dir or settings.services.state_dir / "connectors"
    path = state_file(base, settings.kafka.articles_topic)
    states = {}
    if path.exists():
        store = StateStore(path)
        states = store.load_feeds()
        store.close()
    now = time.time()
    rows = [_status_row(f, states.get(f.id), now) for f in feeds.feeds]
    headers = ("id", "state", "last success", "last error", "http", "next poll", "new/day", "disabled reason")
    print(table(headers, rows, max_width=70))
    print(f"state: {path}" + ("" if path.exists() else " (not created yet: no pass has run)"))
    return 0


def _status_row(feed: Any, state: Any, now: float) -> tuple[object, ...]:
    if not feed.enabled:
        return (feed.id, "disabled", "-", "-", "-", "-", "-", "disabled in feed list")
    if state is None or state.url != feed.url:
        return (feed.id, "new", "never", "-", "-", "now", "-", "")
    label = "parked" if state.parked_reason else "failing" if state.failures else "ok"
    error = f"{_ago(state.last_error_at, now)}: {state.last_error}" if state.last_error else "-"
    rate = f"{state.items_per_day:.1f}" if state.items_per_day is not None else "-"
    return (
        feed.id,
        label,
        _ago(state.last_success_at, now),
        error,
        state.last_status or "-",
        _until(state.next_poll_at, now),
        rate,
        state.parked_reason or "",
    )


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _ago(when: float | None, now: float) -> str:
    return "never" if when is None else f"{_span(now - when)} ago"


def _until(when: float, now: float) -> str:
    return "now" if when <= now else f"in {_span(when - now)}"
