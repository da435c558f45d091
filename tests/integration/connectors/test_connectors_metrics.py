"""`newsmon connectors run --forever --metrics-port`: the long-running loop exports Prometheus
metrics on loopback (scraped over real HTTP) and stops cleanly on SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from newsmon.core.settings import Settings
from tests.integration.connectors.feedtest import FeedServer, Reply, item, rss, write_feeds

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_forever_loop_exports_metrics_and_stops_on_sigint(
    feed_server: FeedServer, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    feed_server.routes["/feed"] = Reply(200, rss(item(1), item(2)), {"Content-Type": "application/rss+xml"})
    settings = make_settings()
    feeds = write_feeds(tmp_path / "feeds.yaml", {"id": "metrics", "url": feed_server.url("/feed")})
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env.update(
        NEWSMON_KAFKA__BOOTSTRAP_SERVERS=settings.kafka.bootstrap_servers,
        NEWSMON_KAFKA__ARTICLES_TOPIC=settings.kafka.articles_topic,
        NEWSMON_CONNECTORS__FULLTEXT_PER_FEED="0",
    )
    command = [sys.executable, "-m", "newsmon.cli.main", "connectors", "run", "--feeds", str(feeds)]
    command += ["--forever", "--state-dir", str(tmp_path / "state"), "--metrics-port", str(port)]
    process = subprocess.Popen(command, cwd=PROJECT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        text = ""
        while time.monotonic() < deadline and "newsmon_connectors_articles_published_total 2.0" not in text:
            time.sleep(0.5)
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.HTTPError:
                continue
        assert "newsmon_connectors_articles_published_total 2.0" in text, text[-2000:]
        assert "newsmon_connectors_kafka_available 1.0" in text
        assert "newsmon_connectors_outbox_pending 0.0" in text
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    stderr = process.stderr.read() if process.stderr else ""
    assert "Traceback" not in stderr, stderr[-2000:]
    assert "stopping: state saved" in stderr
