"""``newsmon notify``: run the alert delivery service until Ctrl-C or SIGTERM (docs/ALERTS.md)."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from newsmon.cli.common import load, progress

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "notify", help="deliver alerts: alerts topic -> webhooks, e-mail, chat (recorded in Elasticsearch)"
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=-1,
        help="Prometheus /metrics on PORT (0: any free port; default -1: off)",
    )
    parser.add_argument("--metrics-host", default="127.0.0.1", help="address for /metrics (default loopback)")
    parser.add_argument("--workers", type=int, default=16, help="deliveries sent in parallel (default 16)")
    parser.add_argument(
        "--once-idle-s",
        type=float,
        metavar="N",
        help="stop once nothing was consumed or due for N seconds (tests, cron); default: run until stopped",
    )
    parser.add_argument(
        "--digest-period-s",
        type=float,
        metavar="N",
        help="digests every N seconds instead of hourly/daily (tests and demos only)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from alerts.delivery.service import NotifyService, ServiceOptions

    settings = load(args)
    options = ServiceOptions(
        workers=max(1, args.workers),
        idle_exit_s=args.once_idle_s,
        digest_period_override_s=args.digest_period_s,
        metrics_port=args.metrics_port if args.metrics_port >= 0 else None,
        metrics_host=args.metrics_host,
    )
    service = NotifyService(settings, options)
    previous = _stop_on_signals(service.stop)
    try:
        service.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _stop_on_signals(stop: Any) -> dict[int, Any]:
    """Ctrl-C and SIGTERM (docker stop, systemd) stop the service cleanly; returns the old handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):

        def handler(signum: int, frame: Any) -> None:
            progress("stopping: finishing the deliveries in hand")
            stop()

        previous[sig] = signal.signal(sig, handler)
    return previous
