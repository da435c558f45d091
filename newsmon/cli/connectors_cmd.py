"""``newsmon connectors run``: poll the feeds of a feed list and publish new articles to Kafka."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from pathlib import Path
from typing import Any

from newsmon.cli.common import PROJECT_ROOT, load, progress

__all__ = ["register", "resolve_feeds_path"]

DEFAULT_FEEDS = "config/feeds.demo.yaml"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "connectors", help="feed connectors: poll feeds, publish articles to Kafka"
    )
    sub = parser.add_subparsers(dest="connectors_command", metavar="ACTION", required=True)
    run = sub.add_parser("run", help="poll the feeds of a feed list and publish new articles")
    run.add_argument("--feeds", default=DEFAULT_FEEDS, help=f"feed list YAML (default: {DEFAULT_FEEDS})")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument(
        "--once", dest="forever", action="store_false", help="one pass over due feeds (default)"
    )
    mode.add_argument("--forever", dest="forever", action="store_true", help="keep polling until interrupted")
    run.add_argument("--max-feeds", type=int, metavar="N", help="poll at most N due feeds per pass")
    run.add_argument("--force", action="store_true", help="poll every enabled feed now, due or not")
    run.add_argument("--state-dir", type=Path, help="connector state directory (default: from settings)")
    run.add_argument(
        "--shard",
        metavar="I/N",
        type=_shard,
        help="poll only shard I of N of the feed list (0-based, by feed id); one process per shard, "
        "each with its own state dir (default: <state dir>/shard-I-of-N)",
    )
    run.add_argument(
        "--allow-private-networks",
        action="store_true",
        default=None,
        help="allow feeds on private/loopback hosts",
    )
    run.add_argument("--quiet", action="store_true", help="no per-feed progress lines")
    run.add_argument(
        "--metrics-port",
        type=int,
        default=-1,
        help="with --forever: Prometheus /metrics on PORT (0: any free port; default -1: off)",
    )
    run.add_argument("--metrics-host", default="127.0.0.1", help="address for /metrics (default loopback)")
    run.set_defaults(func=_run, forever=False)


def _shard(value: str) -> tuple[int, int]:
    index, _, count = value.partition("/")
    try:
        shard = int(index), int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected I/N, e.g. 0/4") from None
    if shard[1] < 1 or not 0 <= shard[0] < shard[1]:
        raise argparse.ArgumentTypeError(f"{value!r}: need 0 <= I < N")
    return shard


def resolve_feeds_path(value: str | Path) -> Path:
    """A feed list path as given, else relative to the project root (so defaults work from anywhere)."""
    path = Path(value)
    if path.exists() or path.is_absolute():
        return path
    candidate = PROJECT_ROOT / path
    return candidate if candidate.exists() else path


def _run(args: argparse.Namespace) -> int:
    from connectors.feedlist import FeedListError, load_feed_list
    from connectors.runner import ConnectorRunner, FeedOutcome

    settings = load(args)
    try:
        feeds = load_feed_list(resolve_feeds_path(args.feeds))
    except FeedListError as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return 2
    state_dir = args.state_dir
    if args.shard is not None:
        index, count = args.shard
        feeds = feeds.shard(index, count)
        base = state_dir or settings.connectors.state_dir or settings.services.state_dir / "connectors"
        state_dir = state_dir or base / f"shard-{index}-of-{count}"
        progress(f"shard {index} of {count}: {len(feeds.feeds)} feed(s), state in {state_dir}")

    def on_feed(outcome: FeedOutcome) -> None:
        if not args.quiet:
            progress(_describe(outcome))

    async def main() -> None:
        stop = asyncio.Event()
        if args.forever:
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        totals = _Totals()  # running totals only: a loop that runs for months keeps no per-pass reports
        exporter = _exporter(args)
        async with ConnectorRunner(
            settings,
            feeds,
            state_dir=state_dir,
            on_feed_done=on_feed,
            allow_private_networks=args.allow_private_networks,
        ) as runner:
            while True:
                report = await runner.run_pass(
                    force=args.force and not totals.passes, max_feeds=args.max_feeds
                )
                totals.add(report)
                _summary(report, args.feeds)
                if exporter is not None:
                    _export(exporter, totals, report)
                if not args.forever or stop.is_set():
                    return
                wait = min(max(runner.seconds_until_next_due(time.time()), 1.0), 60.0)
                progress(f"next pass in {wait:.0f}s (Ctrl-C to stop)")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                if stop.is_set():
                    progress("stopping: state saved")
                    return

    asyncio.run(main())
    return 0


def _exporter(args: argparse.Namespace) -> Any:
    if not args.forever or args.metrics_port < 0:
        return None
    from newsmon.core.prometheus import MetricsExporter

    exporter = MetricsExporter()
    port = exporter.start(host=args.metrics_host, port=args.metrics_port)
    progress(f"metrics for Prometheus on http://{args.metrics_host}:{port}/metrics")
    return exporter


class _Totals:
    """Counts over the passes of one ``connectors run`` (the Prometheus counters)."""

    def __init__(self) -> None:
        self.passes = 0
        self.polled = 0
        self.failed = 0
        self.published = 0

    def add(self, report: Any) -> None:
        self.passes += 1
        self.polled += len(report.feeds)
        self.failed += len(report.failed)
        self.published += len(report.published)


def _export(exporter: Any, totals: _Totals, last: Any) -> None:
    """Counters (totals over this run's passes) and gauges (last pass) of the connectors loop."""
    exporter.set_counter_total("connectors_passes", float(totals.passes))
    exporter.set_counter_total("connectors_feeds_polled", float(totals.polled))
    exporter.set_counter_total("connectors_feed_failures", float(totals.failed))
    exporter.set_counter_total("connectors_articles_published", float(totals.published))
    exporter.set_gauge("connectors_outbox_pending", float(last.outbox_pending))
    exporter.set_gauge("connectors_kafka_available", 0.0 if last.kafka_error else 1.0)
    exporter.set_gauge("connectors_last_pass_seconds", float(last.duration_s))


def _describe(outcome: Any) -> str:
    status = outcome.http_status if outcome.http_status is not None else "-"
    if not outcome.ok:
        return f"FAIL {outcome.feed_id}: {outcome.error}" + (" [parked]" if outcome.parked else "")
    what = "not modified" if outcome.not_modified else f"{outcome.new_items} new"
    extra = f" ({'; '.join(outcome.problems)})" if outcome.problems else ""
    return f"ok   {outcome.feed_id}: {status}, {what}{extra}"


def _summary(report: Any, feeds_path: str) -> None:
    failed = report.failed
    unchanged = sum(1 for f in report.feeds if f.ok and f.not_modified)
    progress(
        f"{feeds_path}: polled {len(report.feeds)} feed(s) in {report.duration_s:.1f}s — "
        f"{len(report.feeds) - len(failed)} ok ({unchanged} unchanged), {len(failed)} failed, "
        f"{report.not_due} not due; published {len(report.published)} article(s)"
    )
    if report.not_due and not report.feeds:
        progress("  nothing was due yet (adaptive schedule); --force polls every feed now")
    for outcome in failed:
        progress(f"  failed {outcome.feed_id}: {outcome.error}")
    if report.kafka_error:
        progress(
            f"  Kafka: {report.kafka_error}; {report.outbox_pending} record(s) kept in the outbox for retry"
        )
