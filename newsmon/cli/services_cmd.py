"""``newsmon services up|down|status|logs``: local Kafka, Elasticsearch, Prism runner and (optional)
Flink job server (no Docker).

Progress (downloads, builds, waits) goes to stderr; tables and logs to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from newsmon.core.settings import load_settings
from newsmon.services import COMPONENTS, LocalServices, ServiceError, ServiceStatus
from newsmon.services.manager import DEFAULT_COMPONENTS
from newsmon.services.process import tail_lines

__all__ = ["register", "render_table"]


def _services(args: argparse.Namespace) -> LocalServices:
    return LocalServices(load_settings(args.config).services)


def _components(args: argparse.Namespace) -> list[str] | None:
    only: str | None = getattr(args, "only", None)
    if not only:
        return None
    return [c.strip() for c in only.split(",") if c.strip()]


def render_table(statuses: Sequence[ServiceStatus]) -> str:
    """Plain-text table: name, state, pid, endpoint, data dir, version, detail."""
    header = ("NAME", "STATE", "PID", "ENDPOINT", "DATA DIR", "VERSION", "DETAIL")
    rows = [header]
    for st in statuses:
        rows.append(
            (
                st.name,
                st.state,
                str(st.pid) if st.pid else "-",
                st.endpoint,
                str(st.data_dir) if st.data_dir else "-",
                st.version or "-",
                st.detail,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _fail(action: str, exc: ServiceError) -> int:
    print(f"newsmon services {action}: {exc}", file=sys.stderr)
    return 1


def _cmd_up(args: argparse.Namespace) -> int:
    svc = _services(args)
    started = time.monotonic()
    try:
        statuses = svc.up(_components(args))
    except ServiceError as exc:
        return _fail("up", exc)
    print(render_table(statuses))
    print(f"ready in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0 if all(st.healthy for st in statuses) else 1


def _cmd_down(args: argparse.Namespace) -> int:
    svc = _services(args)
    try:
        stopped = svc.down(_components(args), purge=args.purge)
    except ServiceError as exc:
        return _fail("down", exc)
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"), file=sys.stderr)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    svc = _services(args)
    try:
        statuses = svc.status(_components(args))
    except ServiceError as exc:
        return _fail("status", exc)
    if args.json:
        payload = [
            {
                "name": st.name,
                "state": st.state,
                "running": st.running,
                "healthy": st.healthy,
                "pid": st.pid,
                "endpoint": st.endpoint,
                "data_dir": str(st.data_dir) if st.data_dir else None,
                "version": st.version,
                "detail": st.detail,
            }
            for st in statuses
        ]
        print(json.dumps(payload, indent=2))
    else:
        print(render_table(statuses))
    return 0 if all(st.healthy for st in statuses) else 1


def _follow(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            while True:
                chunk = fh.read()
                if chunk:
                    sys.stdout.write(chunk.decode("utf-8", "replace"))
                    sys.stdout.flush()
                else:
                    time.sleep(0.5)
    except KeyboardInterrupt:
        return 0


def _cmd_logs(args: argparse.Namespace) -> int:
    svc = _services(args)
    try:
        files = svc.log_files(args.name)
    except ServiceError as exc:
        return _fail("logs", exc)
    path = files[-1] if args.console else files[0]
    if args.path:
        print(path)
        return 0
    if not path.exists():
        print(
            f"newsmon services logs: {path} does not exist yet (has {args.name} been started?)",
            file=sys.stderr,
        )
        return 1
    print(f"==> {path} <==", file=sys.stderr)
    for line in tail_lines(path, args.lines, max_bytes=max(256 * 1024, args.lines * 1024)):
        print(line)
    if args.follow:
        return _follow(path)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``newsmon services ...`` to the top-level parser."""
    parser = subparsers.add_parser(
        "services",
        help="local Kafka, Elasticsearch, Beam Prism runner and Flink job server (cached, no Docker)",
        description="Run Kafka, Elasticsearch, the Beam Prism runner and (with --only flink) Beam's Flink "
        "job server locally, bound to 127.0.0.1. Downloads are cached in services.cache_dir; data, logs "
        "and pid files live in services.state_dir.",
    )

    def _usage(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=_usage)
    actions = parser.add_subparsers(dest="services_action", metavar="ACTION")
    names = ",".join(COMPONENTS)
    defaults = ",".join(DEFAULT_COMPONENTS)

    up = actions.add_parser("up", help="start (or reuse) services and wait until healthy")
    up.add_argument("--only", metavar="LIST", help=f"comma-separated subset of {names} (default: {defaults})")
    up.set_defaults(func=_cmd_up)

    down = actions.add_parser("down", help="stop the services started from this state dir")
    down.add_argument("--only", metavar="LIST", help=f"comma-separated subset of {names} (default: all)")
    down.add_argument("--purge", action="store_true", help="also delete their data and logs")
    down.set_defaults(func=_cmd_down)

    status = actions.add_parser("status", help="show services; exit code 0 only if all are healthy")
    status.add_argument(
        "--only",
        metavar="LIST",
        help=f"comma-separated subset of {names} (default: {defaults}; flink too if running)",
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=_cmd_status)

    logs = actions.add_parser("logs", help="print the tail of a service's log")
    logs.add_argument("name", choices=COMPONENTS)
    logs.add_argument("-n", "--lines", type=int, default=50, help="lines to show (default 50)")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("--console", action="store_true", help="the process console output instead")
    logs.add_argument("--path", action="store_true", help="only print the log file's path")
    logs.set_defaults(func=_cmd_logs)
