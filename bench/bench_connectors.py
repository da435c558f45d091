"""Benchmark: one polling cycle over N distinct feeds served by a local HTTP server, vs a naive loop.

    .venv/bin/python bench/bench_connectors.py --feeds 5000

The server (a separate process, asyncio, HTTP/1.1 keep-alive, 64 loopback addresses 127.0.0.1-64 so
per-host limits apply as with real sites) serves bodies from ``../shared/corpora/feeds/real-world-200``
(synthetic RSS if absent). Every feed gets distinct article links (a per-feed path segment is inserted
after the host), ETags, and answers 304 to a matching If-None-Match.

Cycles, all in one run, against the real Kafka from ``config/newsmon.yaml`` (a fresh topic, deleted
afterwards):

1. **cold**: empty state, every feed answers 200 — fetch, parse, de-duplicate, publish, acknowledge;
2. **warm**: every feed polled again, ``--changed`` (default 5 %) answer 200 with new items, the rest 304;
3. **naive baseline**: ``feedparser.parse(url)`` in a sequential loop over the first ``--baseline-feeds``
   feeds (cold answers, no conditional GET), extrapolated per feed.

Reported: wall time, feeds/s, CPU seconds (connector process and its parse workers; the server is
excluded), peak RSS (same processes), records published.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpora" / "feeds" / "real-world-200"
HOSTS = 64
_HOST_IN_LINK = re.compile(rb"(<link>\s*|<link[^>]*?href=\"|\"url\":\s*\")(https?://[^/\"<\s]+)")


# --------------------------------------------------------------------------------------------- server
def _load_bodies() -> list[list[bytes]]:
    """Each body split at the points where a per-feed path segment is inserted (after link hosts)."""
    files = (
        sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name != "LICENSE") if CORPUS.is_dir() else []
    )
    bodies = [p.read_bytes() for p in files] or [_synthetic(i) for i in range(200)]
    split: list[list[bytes]] = []
    for body in bodies:
        cuts = [m.end(2) for m in _HOST_IN_LINK.finditer(body)]
        split.append([body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)])
    return split


def _synthetic(n: int) -> bytes:
    items = "".join(
        f"<item><title>Story {n}-{i}</title><link>https://site{n}.example/news/{i}</link>"
        f"<description>{'Paragraph text. ' * 60}</description>"
        f"<pubDate>Wed, 15 Oct 2025 10:{i % 60:02d}:00 GMT</pubDate></item>"
        for i in range(30)
    )
    channel = f"<channel><title>S{n}</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


class _FeedProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server: GET /feed/N (ETag, 304) and GET /_cycle/CYCLE/PERCENT."""

    bodies: ClassVar[list[list[bytes]]] = []
    state: ClassVar[dict[str, int]] = {"cycle": 0, "changed_pct": 5}

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.transport.write(self._answer(head))

    def _answer(self, head: bytes) -> bytes:
        lines = head.split(b"\r\n")
        path = lines[0].split(b" ")[1].decode()
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
        if path.startswith("/_cycle/"):
            cycle, pct = path.split("/")[2:4]
            self.state.update(cycle=int(cycle), changed_pct=int(pct))
            return b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
        feed = int(path.rsplit("/", 1)[1])
        changed = feed % 100 < self.state["changed_pct"]
        version = self.state["cycle"] if changed else 1
        etag = f'"{feed}-{version}"'.encode()
        if headers.get(b"if-none-match") == etag:
            return b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\nContent-Length: 0\r\n\r\n"
        parts = self.bodies[feed % len(self.bodies)]
        token = f"/f{feed}v{version}".encode()
        body = token.join(parts)
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/xml; charset=utf-8\r\nETag: "
            + etag
            + b"\r\nLast-Modified: Wed, 15 Oct 2025 10:00:00 GMT\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )


def _serve(port_out: Any) -> None:
    _FeedProtocol.bodies = _load_bodies()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        first = await loop.create_server(_FeedProtocol, host="127.0.0.1", port=0, backlog=1024)
        port = first.sockets[0].getsockname()[1]
        hosts = [f"127.0.0.{n}" for n in range(2, HOSTS + 1)]
        others = await loop.create_server(_FeedProtocol, host=hosts, port=port, backlog=1024)
        port_out.put(port)
        await asyncio.gather(first.serve_forever(), others.serve_forever())

    asyncio.run(main())


def _url(port: int, feed: int) -> str:
    return f"http://127.0.0.{feed % HOSTS + 1}:{port}/feed/{feed}"


# ------------------------------------------------------------------------------------------- measuring
@dataclass
class Measure:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    other_cpu_s: float = 0.0  # everything else on the machine: bench server, Kafka broker, other users


class _Sampler:
    """Peak RSS of this process plus its children except the server, sampled every 100 ms."""

    def __init__(self, exclude: int) -> None:
        self._me = psutil.Process()
        self._exclude = exclude
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _processes(self) -> list[psutil.Process]:
        return [self._me, *(c for c in self._me.children(recursive=True) if c.pid != self._exclude)]

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            total = 0
            for proc in self._processes():
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)

    def cpu(self) -> float:
        total = 0.0
        for proc in self._processes():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    def __enter__(self) -> _Sampler:
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._stop.clear()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------------------- cycles
def _feed_list(path: Path, port: int, count: int, connector: str) -> Path:
    lines = [
        "version: 1",
        "defaults: {allow_private_networks: true, min_interval: 10m, max_interval: 6h}",
        "feeds:",
    ]
    lines += [f"  - {{id: bench-{n}, url: '{_url(port, n)}', connector: {connector}}}" for n in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _set_cycle(port: int, cycle: int, changed_pct: int) -> None:
    import urllib.request

    urllib.request.urlopen(f"http://127.0.0.1:{port}/_cycle/{cycle}/{changed_pct}").read()


def _busy_cpu_s() -> float:
    """CPU seconds used by the whole machine so far (all processes, all cores)."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def _connector_cycle(runner: Any, sampler: _Sampler) -> tuple[Measure, Any]:
    cpu0, busy0, start = sampler.cpu(), _busy_cpu_s(), time.monotonic()
    with sampler:
        report = asyncio.get_event_loop().run_until_complete(runner.run_pass(force=True))
    wall, cpu = time.monotonic() - start, sampler.cpu() - cpu0
    others = max(0.0, _busy_cpu_s() - busy0 - cpu)
    return Measure(wall, cpu, sampler.peak / 2**20, others), report


def _naive(port: int, count: int, sampler: _Sampler) -> Measure:
    import feedparser

    cpu0, start = sampler.cpu(), time.monotonic()
    with sampler:
        for n in range(count):
            feedparser.parse(_url(port, n))
    return Measure(time.monotonic() - start, sampler.cpu() - cpu0, sampler.peak / 2**20)


def _delete_topic(settings: Any) -> None:
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(**settings.kafka.client_kwargs())
    try:
        admin.delete_topics([settings.kafka.articles_topic])
    finally:
        admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument(
        "--changed", type=int, default=5, help="percent of feeds with new items in the warm cycle"
    )
    parser.add_argument("--baseline-feeds", type=int, default=500)
    parser.add_argument("--parse-workers", type=int, default=2)
    parser.add_argument("--connector", default="auto", help="force a connector, e.g. rss (feedparser only)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    from connectors.feedlist import load_feed_list
    from connectors.runner import ConnectorRunner
    from newsmon.core.settings import load_settings

    context = multiprocessing.get_context("spawn")
    ports: Any = context.Queue()
    server = context.Process(target=_serve, args=(ports,), daemon=True)
    server.start()
    port = ports.get(timeout=60)
    base = load_settings()
    settings = base.model_copy(
        update={
            "kafka": base.kafka.model_copy(
                update={"articles_topic": f"bench.connectors.{uuid.uuid4().hex[:8]}"}
            ),
            "connectors": base.connectors.model_copy(update={"parse_workers": args.parse_workers}),
        }
    )
    workdir = Path(tempfile.mkdtemp(prefix="newsmon-bench-"))
    sampler = _Sampler(exclude=server.pid or -1)
    results: dict[str, Any] = {
        "feeds": args.feeds,
        "changed_pct": args.changed,
        "connector": args.connector,
        "cores": psutil.cpu_count(),
    }
    try:
        feeds = load_feed_list(_feed_list(workdir / "feeds.yaml", port, args.feeds, args.connector))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner = ConnectorRunner(settings, feeds, state_dir=workdir / "state")
        loop.run_until_complete(runner.__aenter__())
        try:
            _set_cycle(port, 1, 100)
            cold, cold_report = _connector_cycle(runner, sampler)
            _set_cycle(port, 2, args.changed)
            warm, warm_report = _connector_cycle(runner, sampler)
        finally:
            loop.run_until_complete(runner.__aexit__(None, None, None))
        _set_cycle(port, 1, 100)
        naive = _naive(port, args.baseline_feeds, sampler)
        for name, measure, report in (("cold", cold, cold_report), ("warm", warm, warm_report)):
            failed = len(report.failed)
            results[name] = {
                "wall_s": round(measure.wall_s, 2),
                "feeds_per_s": round(args.feeds / measure.wall_s, 1),
                "cpu_s": round(measure.cpu_s, 1),
                "peak_rss_mb": round(measure.peak_rss_mb),
                "other_cpu_s": round(measure.other_cpu_s, 1),
                "published": len(report.published),
                "not_modified": sum(1 for f in report.feeds if f.not_modified),
                "failed": failed,
            }
        per_feed = naive.wall_s / args.baseline_feeds
        results["naive"] = {
            "feeds_measured": args.baseline_feeds,
            "wall_s": round(naive.wall_s, 2),
            "feeds_per_s": round(1 / per_feed, 1),
            "cpu_s": round(naive.cpu_s, 1),
            "extrapolated_cycle_s": round(per_feed * args.feeds, 1),
        }
        for name in ("cold", "warm"):
            results[name]["speedup_vs_naive"] = round(
                results[name]["feeds_per_s"] / results["naive"]["feeds_per_s"], 1
            )
    finally:
        server.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            _delete_topic(settings)
        except Exception as exc:
            print(f"could not delete the bench topic: {exc}", file=sys.stderr)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
