"""``newsmon status``: is the deployment healthy? Services, pipeline job, consumer lag, last indexed
article, dead letters and failing feeds; exit code 0 when healthy, 1 when not (a container health
check), 2 for bad arguments."""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Iterator

from newsmon.cli.common import load
from newsmon.health import CHECKS, DEFAULT_TIMEOUT_S

__all__ = ["register", "run_status"]

_NOISY_LOGGERS = ("kafka", "elastic_transport", "elasticsearch")


@contextlib.contextmanager
def _quiet_clients(verbose: int) -> Iterator[None]:
    """Client libraries log every refused connection; the report already says it once."""
    if verbose:
        yield
        return
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _checks(value: str) -> list[str]:
    """``--only`` value: comma-separated names from ``CHECKS``."""
    wanted = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in wanted if v not in CHECKS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown check(s) {', '.join(unknown)}: choose from {', '.join(CHECKS)}"
        )
    return wanted


def run_status(args: argparse.Namespace) -> int:
    """The command: collect, judge, print; 0 if healthy, 1 if not."""
    from newsmon.health.collect import collect
    from newsmon.health.render import render_json, render_text
    from newsmon.health.verdict import assess, is_healthy

    only = args.only or list(CHECKS)
    settings = load(args)
    with _quiet_clients(getattr(args, "verbose", 0)):
        facts = collect(settings, only=only, timeout_s=args.timeout)
    problems = assess(facts, max_lag=args.max_lag)
    print(render_json(facts, problems) if args.json else render_text(facts, problems))
    return 0 if is_healthy(problems) else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``newsmon status`` to the top-level parser."""
    parser = subparsers.add_parser(
        "status",
        help="health of services, pipeline, lag, index, dead letters and feeds (exit 1 if unhealthy)",
        description="Report the health of the running deployment. Exit code 0 when healthy, 1 when a "
        "service is down, the pipeline is not RUNNING (or its status file is missing/stale), or the "
        "consumer lag exceeds --max-lag. Dead letters and failing feeds are warnings.",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--max-lag",
        type=int,
        metavar="N",
        help="unhealthy when the total consumer lag exceeds N (default: no limit)",
    )
    parser.add_argument(
        "--only", type=_checks, metavar="LIST", help=f"comma-separated subset of {','.join(CHECKS)}"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"seconds per remote call (default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.set_defaults(func=run_status)
